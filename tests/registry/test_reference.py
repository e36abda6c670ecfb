"""Reservoirs: create and update with validation, audit, scope; who may read them."""

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry import selectors
from anju.registry.models import Reservoir
from anju.registry.services import reference
from anju.registry.services.reference import reservoir_create, reservoir_update


def _create(actor, **kw):
    fields = {"code": "R001", "name": "白云水库", "scale": "large", "county": "429921"} | kw
    return reservoir_create(actor=actor, **fields)


def test_create_is_audited(tree, make_user):
    clerk = make_user("county_clerk", "429921")
    reservoir = _create(clerk)
    assert (reservoir.code, reservoir.name, reservoir.scale, reservoir.division_code) == ("R001", "白云水库", "large", "429921000000")
    event = AuditEvent.objects.get(action="registry.reservoir.created")
    assert event.object_id == str(reservoir.pk) and event.after["county"] == "429921000000" and event.actor_id == clerk.pk


@pytest.mark.parametrize(("kw", "error", "message", "field"), [
    ({"code": ""}, ValidationFailed, reference.MSG_REQUIRED % {"field": reference.MSG_CODE_LABEL}, "code"),
    ({"code": "R 1"}, ValidationFailed, reference.MSG_CODE_FORMAT, "code"),
    ({"name": "  "}, ValidationFailed, reference.MSG_REQUIRED % {"field": "水库名称"}, "name"),
    ({"scale": "small"}, ValidationFailed, reference.MSG_SCALE, "scale"),
    ({"county": "4299x"}, ValidationFailed, reference.MSG_COUNTY_FORMAT, "county"),
    ({"county": "429999"}, ValidationFailed, reference.MSG_COUNTY_UNKNOWN % {"code": "429999"}, "county"),
    ({"county": "429921101"}, ValidationFailed, reference.MSG_COUNTY_UNKNOWN % {"code": "429921101"}, "county"),  # a township
    ({"county": "429922"}, ValidationFailed, reference.MSG_COUNTY_SCOPE, "county"),  # another county
])
def test_create_validation(tree, make_user, kw, error, message, field):
    clerk = make_user("county_clerk", "429921")
    with pytest.raises(error) as exc:
        _create(clerk, **kw)
    assert exc.value.message == str(message)
    assert exc.value.detail == {"field": field}
    assert not Reservoir.objects.exists() and not AuditEvent.objects.filter(action__startswith="registry.reservoir").exists()


def test_duplicate_code_and_permission(tree, make_user):
    clerk = make_user("city_clerk", "4299")
    _create(clerk)
    with pytest.raises(Conflict) as exc:
        _create(clerk, county="429922", name="另一个")
    assert exc.value.message == str(reference.MSG_CODE_TAKEN % {"code": "R001"}) and exc.value.code == "code_taken"
    for role in ("leader", "county_reviewer", "township_clerk"):
        with pytest.raises(PermissionDenied):
            _create(make_user(role, "429921" if role != "township_clerk" else "429921101"), code="R002")
    assert Reservoir.objects.count() == 1


def test_update_records_the_difference(tree, make_user):
    clerk = make_user("city_clerk", "4299")
    reservoir = _create(clerk)
    _create(clerk, code="R002", name="青山水库", county="429922")
    reservoir_update(actor=clerk, reservoir=reservoir, name="白云水库（扩建）", scale="medium")
    reservoir.refresh_from_db()
    assert (reservoir.name, reservoir.scale) == ("白云水库（扩建）", "medium")
    event = AuditEvent.objects.get(action="registry.reservoir.updated")
    assert event.before == {"name": "白云水库", "scale": "large"} and event.after == {"name": "白云水库（扩建）", "scale": "medium"}
    reservoir_update(actor=clerk, reservoir=reservoir, name="白云水库（扩建）")  # nothing changes: no event
    assert AuditEvent.objects.filter(action="registry.reservoir.updated").count() == 1
    with pytest.raises(Conflict) as exc:
        reservoir_update(actor=clerk, reservoir=reservoir, code="R002")
    assert exc.value.message == str(reference.MSG_CODE_TAKEN % {"code": "R002"})


def test_update_outside_entry_scope(tree, make_user):
    reservoir = _create(make_user("city_clerk", "4299"), county="429922")
    clerk = make_user("county_clerk", "429921")
    with pytest.raises(NotFound):
        selectors.access_reservoir(clerk, reservoir.pk)
    city_reader = make_user("county_clerk", "429921", view_scope="4299")  # reads the city, writes its county
    found = selectors.access_reservoir(city_reader, reservoir.pk)
    with pytest.raises(PermissionDenied) as exc:
        reservoir_update(actor=city_reader, reservoir=found, name="x")
    assert exc.value.message == str(reference.MSG_OUT_OF_ENTRY_SCOPE)


def test_reading_reservoirs(tree, other_city, make_user):
    city = make_user("city_clerk", "4299")
    ours = _create(city)
    _create(city, code="R002", name="青山水库", county="429922")
    Reservoir.objects.create(code="X001", name="外市水库", scale="medium", division_code="429821000000")
    township = make_user("township_clerk", "429921101")
    assert [r.code for r in selectors.reservoir_list(actor=township)] == ["R001"]  # its county's reservoir
    assert [r.code for r in selectors.reservoir_list(actor=city)] == ["R001", "R002"]
    assert [r.code for r in selectors.reservoir_list(actor=city, q="青山")] == ["R002"]
    assert selectors.access_reservoir(township, ours.pk) == ours
    with pytest.raises(PermissionDenied):
        selectors.reservoir_list(actor=make_user("sysadmin", "4299"))
