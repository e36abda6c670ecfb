"""Sites API (list with occupancy and filters, detail with every panel, create and update with the new fields, facilities and
organisations) and CLI (`anju relocation sites list|show`, `sites facility add`)."""

import contextvars
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent
from anju.relocation.models import Facility, Organisation, Relocation
from anju.relocation.services import sites as services
from tests.projects.factories import make_project
from tests.relocation.factories import make_relocated_household, make_site

JSON = "application/json"


@pytest.fixture
def data(tree, other_city, make_user):
    site = make_site("API1", name="白坪安置点", capacity=10)
    household = make_relocated_household(site=site)
    Relocation.objects.filter(household=household).update(house_area=90, persons=3)  # 30 m² per person
    make_site("API2", division_code="429922000000", placement="dispersed")
    project = make_project(code="XM-API-1", division_code="429921101000", site=site)
    foreign = make_site("APIX", division_code="429821000000")
    return {"site": site, "household": household, "project": project, "foreign": foreign,
            "clerk": make_user("county_clerk", "429921", username="s_clerk"), "leader": make_user("leader", "4299", username="s_leader")}


def test_list_and_detail(data, api):
    client = api(data["leader"])
    listed = client.get("/api/v1/relocation/sites?county=429921").json()
    [row] = listed["items"]
    assert row["code"] == "API1" and row["occupancy"]["households"] == 1 and row["occupancy"]["persons"] == 3
    assert row["occupancy"]["rate"] == pytest.approx(0.3) and row["occupancy"]["area_over"] == 1 and row["division_name"]
    assert [s["code"] for s in client.get("/api/v1/relocation/sites?placement=dispersed").json()["items"]] == ["API2"]
    detail = client.get(f"/api/v1/relocation/sites/{data['site'].pk}").json()
    assert detail["households"][0]["step"] == "moved_in" and detail["households"][0]["persons"] == 3
    assert [p["code"] for p in detail["projects"]] == ["XM-API-1"]
    [exception] = detail["housing_area_exceptions"]
    assert exception["area_per_person"] == 30 and exception["limit"] == 25 and exception["poverty_registered"] is True
    assert client.get(f"/api/v1/relocation/sites/{data['foreign'].pk}").status_code == 404


def test_create_update_with_new_fields(data, api):
    client = api(data["clerk"])
    body = {"code": "API9", "name": "新区", "division": "429921", "placement": "concentrated", "area_type": "urban", "capacity": 80,
            "longitude": 111.25, "latitude": 30.5, "planned_units": 30, "built_units": 20, "completed_on": "2020-01-01", "manager": "管委会"}
    created = client.post("/api/v1/relocation/sites", json.dumps(body), content_type=JSON)
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["longitude"], out["planned_units"], out["completed_on"]) == (111.25, 30, "2020-01-01")
    over = client.patch(f"/api/v1/relocation/sites/{out['id']}", json.dumps({"built_units": 31}), content_type=JSON)
    assert over.status_code == 422 and over.json()["message"] == str(services.MSG_BUILT_OVER_PLANNED % {"built": 31, "planned": 30})
    assert over.json()["detail"] == {"field": "built_units"}
    assert client.post("/api/v1/relocation/sites", json.dumps(body | {"code": "API8", "longitude": 140}), content_type=JSON).status_code == 422
    cleared = client.patch(f"/api/v1/relocation/sites/{out['id']}", json.dumps({"longitude": None, "latitude": None}), content_type=JSON)
    assert cleared.status_code == 200 and cleared.json()["longitude"] is None


def test_facilities_and_organisations(data, api, make_user):
    site = data["site"]
    client = api(data["clerk"])
    made = client.post(f"/api/v1/relocation/sites/{site.pk}/facilities", json.dumps(
        {"kind": "workshop", "name": "扶贫车间", "status": "in_use", "jobs": 30, "opened_on": "2021-03-01",
         "project_id": data["project"].pk}), content_type=JSON)
    assert made.status_code == 201, made.content
    fid = made.json()["id"]
    assert made.json()["project_id"] == data["project"].pk
    bad = client.post(f"/api/v1/relocation/sites/{site.pk}/facilities", json.dumps({"kind": "nope", "name": "x"}), content_type=JSON)
    assert bad.status_code == 422 and bad.json()["detail"] == {"field": "kind"}
    patched = client.patch(f"/api/v1/relocation/sites/{site.pk}/facilities/{fid}", json.dumps({"project_id": None, "jobs": 35}),
                           content_type=JSON)
    assert patched.status_code == 200 and patched.json()["project_id"] is None and patched.json()["jobs"] == 35
    leader = api(data["leader"])
    assert leader.delete(f"/api/v1/relocation/sites/{site.pk}/facilities/{fid}").status_code == 403
    assert client.delete(f"/api/v1/relocation/sites/{site.pk}/facilities/{fid}").status_code == 204
    assert not Facility.objects.exists()
    org = client.post(f"/api/v1/relocation/sites/{site.pk}/organisations", json.dumps({"kind": "volunteers", "name": "志愿服务队",
                                                                                        "members": 12}), content_type=JSON)
    assert org.status_code == 201
    oid = org.json()["id"]
    assert client.patch(f"/api/v1/relocation/sites/{site.pk}/organisations/{oid}", json.dumps({"members": 15}),
                        content_type=JSON).json()["members"] == 15
    assert client.delete(f"/api/v1/relocation/sites/{site.pk}/organisations/{oid}").status_code == 204
    assert not Organisation.objects.exists()
    foreign = api(make_user("county_clerk", "429821"))
    assert foreign.post(f"/api/v1/relocation/sites/{site.pk}/organisations", json.dumps({"kind": "party", "name": "x"}),
                        content_type=JSON).status_code == 404
    actions = set(AuditEvent.objects.filter(action__startswith="relocation.").values_list("action", flat=True))
    assert {"relocation.facility.created", "relocation.facility.updated", "relocation.facility.deleted",
            "relocation.organisation.created", "relocation.organisation.updated", "relocation.organisation.deleted"} <= actions


# ------------------------------------------------------------------------------------------------------------------ CLI
def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_cli_list_show_and_facility_add(data):
    listed = invoke("relocation", "sites", "list", "--county", "429921", "--as", "s_leader", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["code"], row["households"], row["persons"], row["area_over"]) == ("API1", 1, 3, 1)
    added = invoke("relocation", "sites", "facility", "add", "API1", "--kind", "clinic", "--name", "白坪卫生室", "--status", "in_use",
                   "--opened-on", "2020-05-01", "--project", "XM-API-1", "--as", "s_clerk", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["project"] == data["project"].pk
    shown = invoke("relocation", "sites", "show", "API1", "--as", "s_leader", "--json")
    out = json.loads(shown.output)
    assert [f["name"] for f in out["facilities"]] == ["白坪卫生室"] and out["facilities_in_use"] == 1
    assert out["housing_area_exceptions"][0]["area_per_person"] == "30.00" and out["projects"][0]["code"] == "XM-API-1"
    text = invoke("relocation", "sites", "show", "API1", "--as", "s_leader")
    assert "白坪安置点" in text.output and "白坪卫生室" in text.output
    refused = invoke("relocation", "sites", "facility", "add", "API1", "--kind", "clinic", "--name", "x", "--as", "s_leader")
    assert refused.exit_code == 2
    assert invoke("relocation", "sites", "show", "APIX", "--as", "s_leader").exit_code == 2
    bad = invoke("relocation", "sites", "facility", "add", "API1", "--kind", "clinic", "--name", "x", "--opened-on", "2099-01-01",
                 "--status", "in_use", "--as", "s_clerk")
    assert bad.exit_code == 2 and "投用日期不能晚于今天" in bad.output


def test_project_api_names_its_site(data, api):
    client = api(data["clerk"])
    project = data["project"]
    url = f"/api/v1/projects/{project.pk}"
    assert client.get(url).json()["site_id"] == data["site"].pk
    other = make_site("API3", division_code="429922000000")
    refused = client.patch(url, json.dumps({"site_id": other.pk}), content_type=JSON)
    assert refused.status_code == 422 and refused.json()["detail"] == {"field": "site"}
    assert client.patch(url, json.dumps({"site_id": None}), content_type=JSON).json()["site_id"] is None
