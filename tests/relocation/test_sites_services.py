"""Sites: the new fields (address, coordinates, housing units, completion date, managing unit, note) with one Chinese
message per field, scope and audit; facilities and community organisations (add, change, delete) within the entry scope."""

import datetime as dt

import pytest

from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.relocation import selectors
from anju.relocation.models import Facility, Organisation, Site
from anju.relocation.services import sites as services
from anju.relocation.services import sites_facilities as items
from anju.relocation.services.sites import site_create, site_update
from tests.projects.factories import make_project
from tests.relocation.factories import make_site

TOMORROW = dt.date.today() + dt.timedelta(days=1)


def _create(actor, **kw):
    fields = {"code": "S001", "name": "白坪安置点", "division": "429921101", "placement": "concentrated", "area_type": "urban",
              "capacity": 300} | kw
    return site_create(actor=actor, **fields)


@pytest.fixture
def clerk(tree, make_user):
    return make_user("county_clerk", "429921")


def test_create_with_every_field_is_audited(clerk):
    site = _create(clerk, address="白云县城南新区 8 号", longitude="111.2865", latitude=30.7012, planned_units=120, built_units=100,
                   completed_on=dt.date(2019, 10, 1), manager="白坪社区居委会", note="一期")
    site.refresh_from_db()
    assert (str(site.longitude), str(site.latitude), site.planned_units, site.built_units) == ("111.286500", "30.701200", 120, 100)
    assert (site.completed_on, site.manager, site.address) == (dt.date(2019, 10, 1), "白坪社区居委会", "白云县城南新区 8 号")
    after = AuditEvent.objects.get(action="relocation.site.created").after
    assert after["longitude"] == "111.286500" and after["completed_on"] == "2019-10-01" and after["built_units"] == 100


@pytest.mark.parametrize(("kw", "message", "field"), [
    ({"longitude": "72.99", "latitude": "30"}, services.MSG_LONGITUDE, "longitude"),
    ({"longitude": "136.000001", "latitude": "30"}, services.MSG_LONGITUDE, "longitude"),
    ({"longitude": "东经111", "latitude": "30"}, services.MSG_LONGITUDE, "longitude"),
    ({"longitude": "111", "latitude": "2.5"}, services.MSG_LATITUDE, "latitude"),
    ({"longitude": "111", "latitude": "54.1"}, services.MSG_LATITUDE, "latitude"),
    ({"longitude": "111", "latitude": "nan"}, services.MSG_LATITUDE, "latitude"),
    ({"longitude": "111"}, services.MSG_COORDINATES_PAIR, "latitude"),
    ({"latitude": "30"}, services.MSG_COORDINATES_PAIR, "longitude"),
    ({"planned_units": -1}, services.MSG_UNITS % {"field": "规划安置住房（套）"}, "planned_units"),
    ({"built_units": "十"}, services.MSG_UNITS % {"field": "建成安置住房（套）"}, "built_units"),
    ({"planned_units": 10, "built_units": 11}, services.MSG_BUILT_OVER_PLANNED % {"built": 11, "planned": 10}, "built_units"),
    ({"completed_on": TOMORROW}, services.MSG_DATE_FUTURE % {"field": "建成日期"}, "completed_on"),
    ({"completed_on": "2020-13-01"}, services.MSG_DATE_FORMAT % {"field": "建成日期"}, "completed_on"),
    ({"address": "路" * 201}, services.MSG_TOO_LONG % {"field": "地址", "n": 200}, "address"),
    ({"manager": "单" * 101}, services.MSG_TOO_LONG % {"field": "管理单位", "n": 100}, "manager"),
    ({"note": "a\x00b"}, services.MSG_BAD_CHARS % {"field": "备注"}, "note"),
])
def test_new_field_validation(clerk, kw, message, field):
    with pytest.raises(ValidationFailed) as exc:
        _create(clerk, **kw)
    assert exc.value.message == str(message) and exc.value.detail == {"field": field}
    assert not Site.objects.exists()


def test_bounds_are_inclusive_and_built_units_free_while_planned_is_zero(clerk):
    site = _create(clerk, longitude=73, latitude=3, built_units=40)
    assert (site.longitude, site.latitude, site.planned_units, site.built_units) == (73, 3, 0, 40)
    other = _create(clerk, code="S002", longitude="136", latitude="54", planned_units=40, built_units=40)
    assert other.built_units == other.planned_units == 40


def test_update_new_fields_clears_coordinates_and_audits_only_changes(clerk):
    site = _create(clerk, longitude="111.1", latitude="30.1", planned_units=50)
    site_update(actor=clerk, site=site, built_units=50, manager="管委会")
    event = AuditEvent.objects.get(action="relocation.site.updated")
    assert event.before == {"built_units": 0, "manager": ""} and event.after == {"built_units": 50, "manager": "管委会"}
    with pytest.raises(ValidationFailed) as exc:
        site_update(actor=clerk, site=Site.objects.get(pk=site.pk), planned_units=49)
    assert exc.value.detail == {"field": "built_units"}
    site_update(actor=clerk, site=Site.objects.get(pk=site.pk), longitude=None, latitude=None)
    site.refresh_from_db()
    assert site.longitude is None and site.latitude is None
    site_update(actor=clerk, site=site, capacity=300)  # unchanged: no event
    assert AuditEvent.objects.filter(action="relocation.site.updated").count() == 2


def test_site_edit_scope(tree, other_city, make_user):
    city = make_user("city_clerk", "4299")
    city_site = _create(city, code="SC", division="4299")
    county_site = _create(city, code="SK", division="429921")
    county_clerk = make_user("county_clerk", "429921")
    assert selectors.access_site(county_clerk, city_site.pk) == city_site  # a city site is visible in its counties ...
    with pytest.raises(PermissionDenied) as exc:  # ... but not the county's to change
        site_update(actor=county_clerk, site=city_site, capacity=1)
    assert exc.value.message == str(services.MSG_OUT_OF_ENTRY_SCOPE)
    township = make_user("township_clerk", "429921101")
    assert selectors.access_site(township, county_site.pk) == county_site
    with pytest.raises(PermissionDenied):
        site_update(actor=township, site=county_site, capacity=1)
    foreign = make_site("X1", division_code="429821000000")
    with pytest.raises(NotFound):
        selectors.access_site(city, foreign.pk)
    with pytest.raises(NotFound):
        selectors.access_site_by_code(city, "X1")


def test_site_list_filters(tree, make_user):
    make_site("A1", division_code="429921101000", placement="concentrated", area_type="urban")
    make_site("A2", division_code="429921000000", placement="dispersed", area_type="rural")
    make_site("B1", division_code="429922000000", placement="concentrated", area_type="rural")
    city = make_user("leader", "4299")
    codes = lambda **kw: [s.code for s in selectors.site_list(actor=city, **kw)]  # noqa: E731
    assert codes() == ["A2", "A1", "B1"]
    assert codes(county="429921") == ["A2", "A1"]
    assert codes(placement="concentrated") == ["A1", "B1"]
    assert codes(area_type="rural", county="429922") == ["B1"]
    assert codes(q="A") == ["A2", "A1"]


# ---------------------------------------------------------------------------------------------- facilities, organisations
@pytest.fixture
def site(tree):
    return make_site("F1", division_code="429921101000")


def test_facility_add_change_delete_audited(site, make_user):
    reviewer = make_user("county_reviewer", "429921")
    project = make_project(code="XM-S-1", division_code="429921101000")
    facility = items.facility_create(actor=reviewer, site=site, kind="workshop", name="白坪扶贫车间", status="in_use", capacity=80,
                                     jobs=45, opened_on=dt.date(2020, 5, 1), project=project.pk)
    assert (facility.project_id, facility.jobs) == (project.pk, 45)
    created = AuditEvent.objects.get(action="relocation.facility.created")
    assert created.division_code == "429921101000" and created.after["kind"] == "workshop" and created.after["project"] == project.pk
    items.facility_update(actor=reviewer, facility=facility, status="suspended", jobs=0)
    updated = AuditEvent.objects.get(action="relocation.facility.updated")
    assert updated.before == {"status": "in_use", "jobs": 45} and updated.after == {"name": "白坪扶贫车间", "status": "suspended", "jobs": 0}
    items.facility_delete(actor=reviewer, facility=facility)
    assert not Facility.objects.exists()
    assert AuditEvent.objects.get(action="relocation.facility.deleted").before["name"] == "白坪扶贫车间"


@pytest.mark.parametrize(("kw", "message", "field"), [
    ({"kind": "spaceport"}, "“spaceport”不是有效的配套设施类型", "kind"),
    ({"name": "  "}, items.MSG_REQUIRED % {"field": "名称"}, "name"),
    ({"status": "open"}, items.MSG_STATUS, "status"),
    ({"capacity": -2}, items.MSG_NUMBER % {"field": "规模"}, "capacity"),
    ({"jobs": "many"}, items.MSG_NUMBER % {"field": "吸纳就业人数"}, "jobs"),
    ({"opened_on": TOMORROW, "status": "in_use"}, items.MSG_DATE_FUTURE % {"field": "投用日期"}, "opened_on"),
    ({"opened_on": dt.date(2020, 1, 1), "status": "building"}, items.MSG_OPENED_STATUS, "opened_on"),
    ({"project": "XM-NONE"}, items.MSG_PROJECT, "project"),
    ({"note": "注" * 301}, items.MSG_TOO_LONG % {"field": "备注", "n": 300}, "note"),
])
def test_facility_validation(site, make_user, kw, message, field):
    with pytest.raises(ValidationFailed) as exc:
        items.facility_create(actor=make_user("county_clerk", "429921"), site=site, **({"kind": "school", "name": "白坪小学"} | kw))
    assert exc.value.message == str(message) and exc.value.detail == {"field": field}


def test_facility_project_must_be_in_scope(site, other_city, make_user):
    foreign = make_project(code="XM-FOREIGN", division_code="429821100200")
    with pytest.raises(ValidationFailed) as exc:
        items.facility_create(actor=make_user("county_clerk", "429921"), site=site, kind="school", name="小学", project=foreign.pk)
    assert exc.value.detail == {"field": "project"}


def test_facility_and_organisation_permissions(site, make_user):
    with pytest.raises(PermissionDenied):  # township clerks record households, not the county's facilities
        items.facility_create(actor=make_user("township_clerk", "429921101"), site=site, kind="school", name="小学")
    with pytest.raises(PermissionDenied) as exc:  # a county clerk of another county who can see the whole city
        items.organisation_create(actor=make_user("county_clerk", "429922", view_scope="4299"), site=site, kind="party", name="党支部")
    assert exc.value.message == str(items.MSG_OUT_OF_ENTRY_SCOPE)
    city_site = make_site("FC", division_code="429900000000")
    with pytest.raises(PermissionDenied):
        items.facility_create(actor=make_user("county_clerk", "429921"), site=city_site, kind="school", name="小学")
    assert items.facility_create(actor=make_user("city_clerk", "4299"), site=city_site, kind="school", name="小学").pk


def test_organisation_add_change_delete(site, make_user):
    clerk = make_user("county_clerk", "429921")
    org = items.organisation_create(actor=clerk, site=site, kind="party", name="白坪社区党支部", established_on=dt.date(2019, 7, 1),
                                    leader="王书记", phone="0718-1234567", members=23)
    assert AuditEvent.objects.get(action="relocation.organisation.created").after["members"] == 23
    with pytest.raises(ValidationFailed) as exc:
        items.organisation_update(actor=clerk, organisation=org, phone="call me")
    assert exc.value.message == str(items.MSG_PHONE) and exc.value.detail == {"field": "phone"}
    org = Organisation.objects.get(pk=org.pk)
    items.organisation_update(actor=clerk, organisation=org, members=25)
    assert AuditEvent.objects.get(action="relocation.organisation.updated").after == {"name": "白坪社区党支部", "members": 25}
    with pytest.raises(ValidationFailed) as exc:
        items.organisation_create(actor=clerk, site=site, kind="guild", name="x")
    assert exc.value.detail == {"field": "kind"}
    items.organisation_delete(actor=clerk, organisation=org)
    assert not Organisation.objects.exists() and AuditEvent.objects.filter(action="relocation.organisation.deleted").count() == 1


def test_access_facility_only_of_its_site(site, make_user):
    clerk = make_user("county_clerk", "429921")
    facility = items.facility_create(actor=clerk, site=site, kind="clinic", name="卫生室")
    other = make_site("F2", division_code="429921101000")
    assert selectors.access_facility(site, facility.pk) == facility
    with pytest.raises(NotFound):
        selectors.access_facility(other, facility.pk)
    with pytest.raises(NotFound):
        selectors.access_organisation(site, "x")
