"""Resettlement sites: create/update with validation and audit, scoped reads, the site page with its households, API."""

import json

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment, Program
from anju.relocation import selectors
from anju.relocation.models import Site
from anju.relocation.services import sites as services
from anju.relocation.services.sites import site_create, site_update
from tests.registry.factories import OTHER_VILLAGE, make_household


def _create(actor, **kw):
    fields = {"code": "S001", "name": "白坪安置点", "division": "429921101", "placement": "concentrated", "area_type": "urban",
              "capacity": 300} | kw
    return site_create(actor=actor, **fields)


def test_create_at_any_level_in_scope_is_audited(tree, make_user):
    clerk = make_user("county_clerk", "429921")
    site = _create(clerk)
    assert (site.division_code, site.capacity) == ("429921101000", 300)
    county_site = _create(clerk, code="S002", division="429921", placement="dispersed", area_type="rural")
    village_site = _create(clerk, code="S003", division="429921101201")
    assert (county_site.division_code, village_site.division_code) == ("429921000000", "429921101201")
    event = AuditEvent.objects.get(action="relocation.site.created", object_id=str(site.pk))
    assert event.after["placement"] == "concentrated" and event.division_code == "429921101000"


@pytest.mark.parametrize(("kw", "message", "field"), [
    ({"name": ""}, services.MSG_REQUIRED % {"field": "安置点名称"}, "name"),
    ({"code": "S/1"}, services.MSG_CODE_FORMAT, "code"),
    ({"division": "12"}, services.MSG_DIVISION_UNKNOWN % {"code": "12"}, "division"),
    ({"division": "abc"}, services.MSG_DIVISION_FORMAT, "division"),
    ({"division": "429922"}, services.MSG_DIVISION_SCOPE, "division"),
    ({"placement": "x"}, services.MSG_PLACEMENT, "placement"),
    ({"area_type": "x"}, services.MSG_AREA_TYPE, "area_type"),
    ({"capacity": -1}, services.MSG_CAPACITY, "capacity"),
    ({"capacity": "many"}, services.MSG_CAPACITY, "capacity"),
])
def test_create_validation(tree, make_user, kw, message, field):
    with pytest.raises(ValidationFailed) as exc:
        _create(make_user("county_clerk", "429921"), **kw)
    assert exc.value.message == str(message) and exc.value.detail == {"field": field}
    assert not Site.objects.exists()


def test_duplicate_code_permission_and_update(tree, make_user):
    clerk = make_user("county_clerk", "429921")
    site = _create(clerk)
    with pytest.raises(Conflict) as exc:
        _create(clerk, name="又一个")
    assert exc.value.message == str(services.MSG_CODE_TAKEN % {"code": "S001"})
    with pytest.raises(PermissionDenied):
        _create(make_user("leader", "429921"), code="S009")
    site_update(actor=clerk, site=site, capacity=500, name="白坪新区安置点")
    event = AuditEvent.objects.get(action="relocation.site.updated")
    assert event.before == {"name": "白坪安置点", "capacity": 300} and event.after == {"name": "白坪新区安置点", "capacity": 500}
    other = _create(make_user("city_clerk", "4299"), code="S100", division="429922")
    with pytest.raises(PermissionDenied) as exc:
        site_update(actor=make_user("county_clerk", "429921", view_scope="4299"), site=other, capacity=1)
    assert exc.value.message == str(services.MSG_OUT_OF_ENTRY_SCOPE)


def test_reads_are_scoped(tree, other_city, make_user):
    city = make_user("city_clerk", "4299")
    county_site = _create(city, code="S1", division="429921")
    township_site = _create(city, code="S2", division="429921101")
    _create(city, code="S3", division="429922")
    Site.objects.create(code="X1", name="外市安置点", division_code="429821000000", placement="concentrated", area_type="urban")
    township = make_user("township_clerk", "429921101")
    assert [s.code for s in selectors.site_list(actor=township)] == ["S1", "S2"]
    assert [s.code for s in selectors.site_list(actor=city)] == ["S1", "S2", "S3"]
    assert selectors.access_site(township, county_site.pk) == county_site
    with pytest.raises(NotFound):
        selectors.access_site(make_user("county_clerk", "429922"), township_site.pk)


@pytest.fixture
def site_with_households(tree, other_city, make_user):
    clerk = make_user("city_clerk", "4299")
    site = _create(clerk)
    ours = make_household("Y001", [("孙一", "户主"), ("孙二", "子女")], program=Program.RELOCATION)
    make_household("Y002", [("周一", "户主")], program=Program.RELOCATION)  # not at the site
    foreign = make_household("Y003", [("吴一", "户主")], program=Program.RELOCATION, village=OTHER_VILLAGE)
    Enrolment.objects.filter(household__in=[ours, foreign]).update(site=site)
    return {"clerk": clerk, "site": site, "ours": ours}


def test_site_page_lists_its_households(site_with_households, login, make_user):
    site = site_with_households["site"]
    rows = list(selectors.site_households(actor=site_with_households["clerk"], site=site))
    assert [(h.number, h.persons) for h in rows] == [("Y001", 2)]  # the foreign household is outside the scope
    page = login(make_user("leader", "429921")).get(f"/relocation/sites/{site.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Y001" in text and "Y002" not in text and "孙一" in text
    assert "/relocation/sites/new/" not in text and "修改" not in text  # no write links for a reader


def test_site_pages_create_and_edit(tree, make_user, login):
    client = login(make_user("county_clerk", "429921"))
    assert client.get("/relocation/sites/new/").status_code == 200
    bad = client.post("/relocation/sites/new/", {"code": "S1", "name": "甲", "division": "429922", "placement": "concentrated",
                                                 "area_type": "urban", "capacity": 10})
    assert bad.status_code == 200 and str(services.MSG_DIVISION_SCOPE) in bad.content.decode()
    ok = client.post("/relocation/sites/new/", {"code": "S1", "name": "甲", "division": "429921101", "placement": "concentrated",
                                                "area_type": "urban", "capacity": 10})
    site = Site.objects.get(code="S1")
    assert ok.status_code == 302 and ok.url == f"/relocation/sites/{site.pk}/"
    edit = client.post(f"/relocation/sites/{site.pk}/edit/", {"code": "S1", "name": "乙", "division": "429921101",
                                                               "placement": "dispersed", "area_type": "rural", "capacity": 20})
    assert edit.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.placement, site.capacity) == ("乙", "dispersed", 20)
    listing = client.get("/relocation/sites/?q=乙").content.decode()
    assert "乙" in listing and "分散安置" in listing
    assert login(make_user("leader", "429921")).get("/relocation/sites/new/").status_code == 403


def test_sites_api(site_with_households, make_user, api):
    clerk_api = api(make_user("county_clerk", "429921"))
    body = {"code": "S9", "name": "新区", "division": "429921", "placement": "concentrated", "area_type": "urban", "capacity": 80}
    created = clerk_api.post("/api/v1/relocation/sites", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    site_id = created.json()["id"]
    assert created.json()["division_code"] == "429921000000"
    again = clerk_api.post("/api/v1/relocation/sites", json.dumps(body), content_type="application/json")
    assert again.status_code == 409 and again.json()["message"] == str(services.MSG_CODE_TAKEN % {"code": "S9"})
    outside = clerk_api.post("/api/v1/relocation/sites", json.dumps(body | {"code": "S10", "division": "429922"}),
                             content_type="application/json")
    assert outside.status_code == 422 and outside.json()["message"] == str(services.MSG_DIVISION_SCOPE)
    patched = clerk_api.patch(f"/api/v1/relocation/sites/{site_id}", json.dumps({"capacity": 90}), content_type="application/json")
    assert patched.status_code == 200 and patched.json()["capacity"] == 90
    listed = clerk_api.get("/api/v1/relocation/sites").json()
    assert {s["code"] for s in listed["items"]} == {"S001", "S9"}
    detail = clerk_api.get(f"/api/v1/relocation/sites/{site_with_households['site'].pk}").json()
    assert [h["number"] for h in detail["households"]] == ["Y001"] and detail["households_total"] == 1
    assert api(make_user("county_clerk", "429821")).get(f"/api/v1/relocation/sites/{site_id}").status_code == 404
    leader = api(make_user("leader", "429921"))
    assert leader.patch(f"/api/v1/relocation/sites/{site_id}", json.dumps({"capacity": 1}), content_type="application/json").status_code == 403
