"""Cross-check pages: upload a list (matched at once, or as a job when large), the batch page with masked matches,
confirm / dismiss buttons, unmatched rows for the covering scope only; the duplicates page and its export."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from anju.core.crypto import decrypt
from anju.core.models import AuditEvent, Job
from anju.registry import views_crosschecks
from anju.registry.models import CrossCheckBatch, CrossCheckMatch
from anju.registry.services.crosschecks import MSG_AS_OF_FUTURE, MSG_MATCH_DECIDED
from tests.registry.factories import make_household


def csv_upload(rows: list[tuple[str, str]], name: str = "deaths.csv") -> SimpleUploadedFile:
    body = "姓名,身份证号,死亡日期\n" + "".join(f"{n},{i},2025-03-01\n" for n, i in rows)
    return SimpleUploadedFile(name, body.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def household(tree):
    return make_household("XCK-W10", [("马一", "户主"), ("马二", "子女")])


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="xck_web_county")


def post_list(client, rows, **extra):
    data = {"kind": "death", "source": "公安局", "as_of": "2025-12-31", "file": csv_upload(rows), **extra}
    return client.post("/registry/crosschecks/new/", data)


def test_upload_matches_at_once_and_shows_the_batch_masked(login, clerk, household):
    head = household.head
    number = decrypt(head.id_enc)
    client = login(clerk)

    response = post_list(client, [(head.name, number), ("路人", "")])

    batch = CrossCheckBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/registry/crosschecks/{batch.pk}/"
    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert head.id_masked in html and number not in html
    assert "比对完成：2 行，匹配 1 行（1 人），未匹配 1 行" in html
    assert "路人" in html  # the unmatched row, for the county that ran it
    assert f"/registry/crosschecks/matches/{CrossCheckMatch.objects.get().pk}/confirm/" in html
    listing = client.get("/registry/crosschecks/").content.decode()
    assert "deaths.csv" in listing


def test_upload_form_errors_stay_on_the_page(login, clerk):
    client = login(clerk)
    response = post_list(client, [("x", "")], as_of="2999-01-01")
    assert response.status_code == 200 and str(MSG_AS_OF_FUTURE) in response.content.decode()
    bad = client.post("/registry/crosschecks/new/", {"kind": "death", "source": "公安局", "as_of": "2025-12-31",
                                                      "file": SimpleUploadedFile("list.pdf", b"%PDF")})
    assert bad.status_code == 200 and "list.pdf" in bad.content.decode()
    header = client.post("/registry/crosschecks/new/", {"kind": "death", "source": "公安局", "as_of": "2025-12-31",
                                                         "file": SimpleUploadedFile("x.csv", "姓名,备注\n甲,乙\n".encode())})
    assert header.status_code == 200 and "身份证号" in header.content.decode()
    assert not CrossCheckBatch.objects.exists()


def test_large_upload_runs_as_a_job(login, clerk, household, monkeypatch, django_capture_on_commit_callbacks):
    from anju.core.jobs import job_execute

    monkeypatch.setattr(views_crosschecks, "INLINE_BYTES", 10)
    with django_capture_on_commit_callbacks(execute=False):
        response = post_list(login(clerk), [(household.head.name, decrypt(household.head.id_enc))])

    job = Job.objects.get(kind="registry.crosscheck")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    job = job_execute(job.pk)
    assert job.state == "succeeded", job.error
    batch = CrossCheckBatch.objects.get(pk=job.result["batch_id"])
    assert batch.counts["matched_rows"] == 1 and batch.created_by == clerk


def test_township_confirms_and_dismisses_from_the_city_batch(login, make_user, household):
    city = make_user("city_clerk", "4299")
    client = login(city)
    post_list(client, [(p.name, decrypt(p.id_enc)) for p in (household.head, household.memberships.last().person)] + [("外人", "")])
    batch = CrossCheckBatch.objects.get()
    first, second = CrossCheckMatch.objects.filter(batch=batch).order_by("row")
    township = login(make_user("township_clerk", "429921101"))

    page = township.get(f"/registry/crosschecks/{batch.pk}/").content.decode()
    assert first.person.id_masked in page and "外人" not in page  # a township sees its matches, not the city's unmatched rows

    assert township.post(f"/registry/crosschecks/matches/{first.pk}/confirm/").status_code == 302
    assert township.post(f"/registry/crosschecks/matches/{second.pk}/dismiss/", {"reason": "非同一人"}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state, second.request.state) == ("confirmed", "dismissed", "withdrawn")
    again = township.post(f"/registry/crosschecks/matches/{first.pk}/confirm/", follow=True)
    assert str(MSG_MATCH_DECIDED % {"state": "已确认"}) in again.content.decode()
    other = login(make_user("township_clerk", "429921102"))
    assert other.get(f"/registry/crosschecks/{batch.pk}/").status_code == 200  # the city's batch, but none of its matches
    assert other.post(f"/registry/crosschecks/matches/{first.pk}/confirm/").status_code == 404


def test_another_county_cannot_see_the_batch(login, clerk, make_user, household):
    post_list(login(clerk), [(household.head.name, decrypt(household.head.id_enc))])
    batch = CrossCheckBatch.objects.get()
    assert login(make_user("county_clerk", "429902")).get(f"/registry/crosschecks/{batch.pk}/").status_code == 404


def test_duplicates_page_and_export(login, make_user, household):
    twin = make_household("XCK-W11", [("马一", "户主")])
    twin.head.birth_date = household.head.birth_date
    twin.head.save()
    client = login(make_user("city_clerk", "4299"))

    page = client.get("/registry/crosschecks/duplicates/").content.decode()
    assert "马一" in page and household.head.id_masked in page and "疑似同一人" in page

    response = client.post("/registry/crosschecks/duplicates/export/", {"program": ""})
    assert response.status_code == 200 and response["Content-Disposition"].startswith('attachment; filename="duplicates-')
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert any(r[2] == "马一" for r in rows[1:])
    assert AuditEvent.objects.filter(action="registry.duplicates.exported", channel="web").count() == 1
