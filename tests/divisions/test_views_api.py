"""Division pages and API: scoped browsing, the lazy tree partial, the upload job, /api/v1/divisions."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.core.exceptions import NotFound
from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.divisions.models import Division, Level
from anju.divisions.services import MSG_BAD_PARENT, MSG_MISSING_PARENT, MSG_SUMMARY, RowError

CITY_HEADER = "code,name,provinceCode\n"


def upload(name: str, text: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921")


@pytest.fixture
def sysadmin(make_user):
    return make_user("sysadmin", "4299")


# --- pages ------------------------------------------------------------------------------------------


def test_index_redirects_to_the_users_view_scope(clerk, login):
    response = login(clerk).get("/divisions/")

    assert response.status_code == 302
    assert response.url == "/divisions/429921/"


def test_index_with_a_query_lists_matches_in_scope(tree, other_city, make_user, login):
    user = make_user("city_clerk", "4299")

    response = login(user).get("/divisions/", {"q": "县"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "白云县" in body
    assert "外县" not in body


def test_anonymous_user_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/divisions/429921/")

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_detail_in_scope_shows_ancestors_children_and_counts(tree, clerk, login):
    township = next(d for c, d in sorted(tree.items()) if d.parent_id == "429921000000")
    villages = [d for d in tree.values() if d.parent_id == township.code]

    response = login(clerk).get("/divisions/429921/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "白云县" in body and "429921000000" in body
    assert "清江市" in body  # breadcrumb
    assert township.name in body and f'href="/divisions/{township.prefix}/"' in body
    assert f"{len(villages)} 个村（居）" in body
    assert [c["division"].code for c in response.context["children"]][0] == township.code


@pytest.mark.parametrize("code", ["429821", "4298", "429821100200", "429922", "4299", "429921999", "bad"])
def test_detail_out_of_scope_or_unknown_is_404(other_city, clerk, login, code):
    response = login(clerk).get(f"/divisions/{code}/")

    assert response.status_code == 404
    assert str(NotFound.default_message) in response.content.decode()


def test_children_partial_lists_the_children_only(tree, clerk, login):
    county = tree["429921000000"]
    townships = sorted((d for d in tree.values() if d.parent_id == county.code), key=lambda d: d.code)

    response = login(clerk).get("/divisions/429921/children/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.count('class="tree-node') == len(townships)
    for township in townships:
        assert township.name in body
        assert f'data-url="/divisions/{township.prefix}/children/"' in body


def test_children_partial_out_of_scope_is_404(other_city, clerk, login):
    assert login(clerk).get("/divisions/429821/children/").status_code == 404


# --- upload: a job that validates everything, then writes all or nothing --------------------------


def test_load_page_needs_the_load_permission(tree, clerk, sysadmin, login):
    assert login(sysadmin).get("/divisions/load/").status_code == 200
    assert login(clerk).get("/divisions/load/").status_code == 403
    assert login(clerk).post("/divisions/load/", {"files": [upload("provinces.csv", "code,name\n43,湖南省\n")]}).status_code == 403
    assert Job.objects.count() == 0


def test_upload_creates_a_job_that_loads_the_files(tree, make_user, login):
    sysadmin = make_user("sysadmin", "42")  # a province-level 系统管理员: 湖北省 is their entry scope
    client = login(sysadmin)
    files = [upload("provinces.csv", "code,name\n42,湖北省\n"),
             upload("cities.csv", "\ufeff" + CITY_HEADER + "4298,新设市,42\n4299,清江市,42\n")]

    response = client.post("/divisions/load/", {"files": files, "root": ""})

    job = Job.objects.get(kind="divisions.load")
    assert response.status_code == 302
    assert response.url == f"/jobs/{job.pk}/"
    assert job.state == Job.State.QUEUED
    assert job.created_by == sysadmin
    assert job.params["source"] == "web"
    folder = Path(job.params["dir"])
    assert sorted(p.name for p in folder.iterdir()) == ["cities.csv", "provinces.csv"]
    assert not Division.objects.filter(code="429800000000").exists()  # nothing until the worker runs it

    job = job_execute(job.pk)

    assert job.state == Job.State.SUCCEEDED
    assert (job.result["inserted"], job.result["updated"], job.result["unchanged"]) == (1, 0, 2)
    assert job.result["per_level"] == {"1": 1, "2": 2}
    assert Division.objects.get(code="429800000000").parent_id == "420000000000"
    assert not folder.exists()  # uploaded files are removed once loaded
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200


def test_upload_of_real_files_with_a_root(tree, make_user, login, shared_divisions):
    sysadmin = make_user("sysadmin", "42")
    names = ["provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"]
    files = [upload(n, (shared_divisions / n).read_bytes()) for n in names]

    login(sysadmin).post("/divisions/load/", {"files": files, "root": "4205"})
    job = job_execute(Job.objects.get(kind="divisions.load").pk)

    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["per_level"] == {"1": 1, "2": 1, "3": 13, "4": 113, "5": 678}
    assert Division.objects.filter(code__startswith="4205").count() == 1 + 13 + 113 + 678
    assert not Division.objects.filter(code__startswith="11").exists()


def test_upload_without_root_is_cut_to_the_entry_scope(tree, sysadmin, login):
    """A city 系统管理员 leaving the root empty loads their own city (and its unchanged ancestors) only."""
    files = [upload("provinces.csv", "code,name\n42,湖北省\n43,湖南省\n"),
             upload("cities.csv", CITY_HEADER + "4301,长沙市,43\n4299,清江市,42\n4298,邻市,42\n")]
    login(sysadmin).post("/divisions/load/", {"files": files, "root": ""})
    job = job_execute(Job.objects.get(kind="divisions.load").pk)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert (job.result["read"], job.result["inserted"], job.result["unchanged"]) == (2, 0, 2)
    assert not Division.objects.filter(code__in=["430000000000", "430100000000", "429800000000"]).exists()


def test_upload_root_must_be_a_code_inside_the_entry_scope(tree, sysadmin, login):
    from anju.divisions.forms import MSG_ROOT_FORMAT, MSG_ROOT_SCOPE

    client = login(sysadmin)
    for root, message in (("42x", MSG_ROOT_FORMAT), ("4205", MSG_ROOT_SCOPE), ("42", MSG_ROOT_SCOPE)):
        files = [upload("provinces.csv", "code,name\n42,湖北省\n")]
        response = client.post("/divisions/load/", {"files": files, "root": root})
        assert response.status_code == 200
        assert response.context["form"].errors["root"] == [str(message)]
    assert not Job.objects.filter(kind="divisions.load").exists()


def test_bad_upload_fails_the_job_with_file_and_line_and_writes_nothing(tree, make_user, login):
    client = login(make_user("sysadmin", "42"))
    before = Division.objects.count()
    files = [upload("provinces.csv", "code,name\n43,湖南省\n"),
             upload("cities.csv", CITY_HEADER + "4301,长沙市,43\n4401,广州市,43\n4501,南宁市,45\n")]

    client.post("/divisions/load/", {"files": files, "root": ""})
    job = Job.objects.get(kind="divisions.load")
    folder = Path(job.params["dir"])
    job = job_execute(job.pk)

    expected = [RowError("cities.csv", 3, str(MSG_BAD_PARENT % {"parent": "43", "code": "4401", "n": 2})),
                RowError("cities.csv", 4, str(MSG_MISSING_PARENT % {"parent": "45"}))]
    assert job.state == Job.State.FAILED
    assert job.error == str(MSG_SUMMARY % {"count": 2, "first": str(expected[0])})
    assert job.result["code"] == "division_file_invalid"
    assert job.result["detail"] == [{"file": e.file, "line": e.line, "reason": e.reason} for e in expected]
    assert Division.objects.count() == before
    assert not folder.exists()
    body = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "cities.csv 第 3 行" in body and "cities.csv 第 4 行" in body


def test_upload_with_an_unknown_file_name_is_refused_by_the_form(tree, sysadmin, login):
    response = login(sysadmin).post("/divisions/load/", {"files": [upload("towns.csv", "code,name\n")], "root": ""})

    assert response.status_code == 200
    assert "towns.csv" in response.content.decode()
    assert response.context["form"].errors["files"]
    assert Job.objects.count() == 0


def test_upload_without_files_is_refused_by_the_form(tree, sysadmin, login):
    response = login(sysadmin).post("/divisions/load/", {"root": "4205"})

    assert response.status_code == 200
    assert response.context["form"].errors["files"] == [str(response.context["form"].fields["files"].error_messages["required"])]
    assert Job.objects.count() == 0


# --- API ----------------------------------------------------------------------------------------------


def test_api_list_is_paginated_and_scoped(tree, other_city, clerk, api):
    in_scope = sorted(c for c in tree if c.startswith("429921"))

    response = api(clerk).get("/api/v1/divisions", {"limit": 5})

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == len(in_scope)
    assert [d["code"] for d in data["items"]] == in_scope[:5]
    assert data["items"][0] == {"code": "429921000000", "short_code": "429921", "name": "白云县", "level": 3,
                                "parent_code": "429900000000"}
    page2 = api(clerk).get("/api/v1/divisions", {"limit": 5, "offset": 5}).json()
    assert [d["code"] for d in page2["items"]] == in_scope[5:10]


def test_api_list_filters(tree, make_user, api):
    client = api(make_user("city_clerk", "4299"))

    counties = client.get("/api/v1/divisions", {"level": Level.COUNTY, "limit": 100}).json()
    children = client.get("/api/v1/divisions", {"parent": "429921", "limit": 100}).json()
    found = client.get("/api/v1/divisions", {"q": "白云"}).json()

    assert counties["count"] == 9
    assert [d["code"] for d in children["items"]] == sorted(c for c, d in tree.items() if d.parent_id == "429921000000")
    assert [d["code"] for d in found["items"]] == ["429921000000"]


def test_api_list_with_a_parent_out_of_scope_is_404(other_city, clerk, api):
    response = api(clerk).get("/api/v1/divisions", {"parent": "4298"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_detail_has_ancestors_and_children_with_counts(tree, clerk, api):
    townships = sorted(c for c, d in tree.items() if d.parent_id == "429921000000")
    villages_of_first = sum(1 for d in tree.values() if d.parent_id == townships[0])

    response = api(clerk).get("/api/v1/divisions/429921")

    assert response.status_code == 200
    data = response.json()
    assert (data["code"], data["short_code"], data["name"], data["level"]) == ("429921000000", "429921", "白云县", 3)
    assert [a["code"] for a in data["ancestors"]] == ["420000000000", "429900000000"]
    assert [c["division"]["code"] for c in data["children"]] == townships
    assert data["children"][0]["counts"] == {"5": villages_of_first}


def test_api_detail_accepts_the_full_code(tree, clerk, api):
    assert api(clerk).get("/api/v1/divisions/429921000000").json()["short_code"] == "429921"


def test_api_children(tree, clerk, api):
    township = min(c for c, d in tree.items() if d.parent_id == "429921000000")
    villages = sorted(c for c, d in tree.items() if d.parent_id == township)

    response = api(clerk).get(f"/api/v1/divisions/{township[:9]}/children")

    assert response.status_code == 200
    assert [c["division"]["code"] for c in response.json()] == villages
    assert all(c["counts"] == {} for c in response.json())


@pytest.mark.parametrize("path", ["/api/v1/divisions/4298", "/api/v1/divisions/429821/children",
                                  "/api/v1/divisions/429922", "/api/v1/divisions/xyz"])
def test_api_out_of_scope_is_404_with_the_error_shape(other_city, clerk, api, path):
    response = api(clerk).get(path)

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": str(NotFound.default_message), "detail": None}


def test_api_needs_a_valid_token(tree):
    from django.test import Client

    assert Client().get("/api/v1/divisions").status_code == 401
    response = Client(HTTP_AUTHORIZATION="Bearer anju_not_a_token").get("/api/v1/divisions/429921")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "detail"}
