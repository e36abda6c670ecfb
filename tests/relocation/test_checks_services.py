"""Spot checks: a reproducible sample (same seed, same households; another seed, others), the population on the as-of
date, sizes and percentages, results and follow-up transitions, closing rules, scope, audit, Excel files read back."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from python_calamine import CalamineWorkbook

from anju.core.crypto import decrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import EnrolmentStatus
from anju.relocation import reports_checks as reports
from anju.relocation import selectors_checks as sel
from anju.relocation.models import SpotCheck, SpotCheckItem
from anju.relocation.services import checks as svc

from .factories import OTHER_VILLAGE, VILLAGE, make_relocated_household, make_site

AS_OF = dt.date(2025, 6, 30)
TODAY = dt.date.today()


@pytest.fixture
def people(make_user, other_city):
    return {
        "reviewer": make_user("county_reviewer", VILLAGE[:6], username="sc_reviewer"),
        "auditor": make_user("auditor", "4299", username="sc_auditor"),
        "city": make_user("city_clerk", "4299", username="sc_city"),
        "clerk": make_user("county_clerk", VILLAGE[:6], username="sc_clerk"),
        "township": make_user("township_clerk", VILLAGE[:9], username="sc_township"),
        "leader": make_user("leader", "4299", username="sc_leader"),
        "foreign": make_user("auditor", "429821", username="sc_foreign"),
    }


@pytest.fixture
def households(people):
    """Ten households in 白云县 (four at one site, two in another township), one moved in after AS_OF, one removed
    before it, and one in another city."""
    site = make_site(code="SC-SITE")
    hs = [make_relocated_household(site=site if n < 4 else None, village=VILLAGE if n < 8 else "429921102201") for n in range(10)]
    late = make_relocated_household(since=dt.date(2025, 9, 1))
    gone = make_relocated_household()
    EnrolmentStatus.objects.filter(enrolment__household=gone).update(valid_to=dt.date(2025, 1, 1))
    make_relocated_household(village=OTHER_VILLAGE)
    return {"all": hs, "site": site, "late": late, "gone": gone}


def draw(actor, **kw):
    fields = {"as_of": AS_OF, "scope": "429921", "size": 4, "seed": "2025-抽查-1"} | kw
    return svc.check_draw(actor=actor, **fields)


def ids(check):
    return list(check.items.order_by("order").values_list("household_id", flat=True))


# --- the sample ------------------------------------------------------------------------------------------------------

def test_the_sample_is_reproducible_from_its_seed(people, households):
    check = draw(people["reviewer"])
    population = sorted(h.pk for h in households["all"])
    assert (check.population, check.sample_size, check.seed, check.division_code) == (10, 4, "2025-抽查-1", "429921000000")
    assert ids(check) == random.Random("2025-抽查-1").sample(population, 4)
    assert ids(draw(people["auditor"])) == ids(check)
    assert ids(draw(people["reviewer"], seed="2025-抽查-2")) != ids(check)
    item = check.items.get(order=1)
    assert item.division_code == item.household.division_code and item.result == "pending"
    event = AuditEvent.objects.get(action="relocation.spot_check.drawn", object_id=str(check.pk))
    assert event.after["seed"] == "2025-抽查-1" and event.after["population"] == 10

    verified = svc.check_verify(actor=people["leader"], check=check)
    assert verified["match"] and verified["drawn"] == ids(check) and not verified["missing"]
    assert AuditEvent.objects.filter(action="relocation.spot_check.verified", object_id=str(check.pk)).exists()
    SpotCheckItem.objects.filter(spot_check=check, order=1).update(household=households["late"])  # tampered
    tampered = svc.check_verify(actor=people["leader"], check=check)
    assert not tampered["match"] and tampered["extra"] == [ids(draw(people["reviewer"]))[0]]


def test_a_generated_seed_is_recorded_and_reproduces(people, households):
    check = draw(people["reviewer"], seed=None)
    assert len(check.seed) == 32
    assert svc.check_verify(actor=people["reviewer"], check=check)["match"]
    assert draw(people["reviewer"], seed=None).seed != check.seed


def test_the_population_follows_the_as_of_date_and_the_scope(people, households):
    assert svc.population_ids(as_of=AS_OF, prefix="429921") == sorted(h.pk for h in households["all"])
    later = svc.population_ids(as_of=dt.date(2025, 9, 1), prefix="429921")
    assert households["late"].pk in later and households["gone"].pk not in later
    earlier = svc.population_ids(as_of=dt.date(2024, 12, 31), prefix="429921")
    assert households["gone"].pk in earlier and households["late"].pk not in earlier
    assert draw(people["reviewer"], as_of=dt.date(2025, 9, 1), size=1).population == 11
    township = draw(people["reviewer"], scope="429921102", size=2)
    assert township.population == 2 and set(ids(township)) == {h.pk for h in households["all"][8:]}
    at_site = draw(people["reviewer"], scope=None, site=households["site"].pk, size=4)
    assert at_site.site == households["site"] and set(ids(at_site)) == {h.pk for h in households["all"][:4]}


@pytest.mark.parametrize(("kw", "message", "field"), [
    ({"size": 11}, svc.MSG_SIZE_TOO_LARGE % {"size": 11, "population": 10}, "size"),
    ({"size": 0}, svc.MSG_SIZE_MIN, "size"),
    ({"size": None}, svc.MSG_SIZE_REQUIRED, "size"),
    ({"size": 2, "percent": 10}, svc.MSG_SIZE_BOTH, "size"),
    ({"size": None, "percent": 0}, svc.MSG_PERCENT_RANGE, "percent"),
    ({"size": None, "percent": 101}, svc.MSG_PERCENT_RANGE, "percent"),
    ({"scope": None}, svc.MSG_SCOPE_REQUIRED, "scope"),
    ({"scope": "4299"}, svc.MSG_SCOPE_LEVEL, "scope"),
    ({"scope": "429921101201"}, svc.MSG_SCOPE_LEVEL, "scope"),
    ({"scope": "42992x"}, svc.MSG_SCOPE_FORMAT, "scope"),
    ({"scope": "429821"}, svc.MSG_SCOPE_OUT % {"code": "429821"}, "scope"),
    ({"scope": "429922"}, svc.MSG_SCOPE_OUT % {"code": "429922"}, "scope"),
    ({"scope": "429921001"}, svc.MSG_POPULATION_EMPTY % {"date": AS_OF.isoformat()}, "scope"),
    ({"as_of": TODAY + dt.timedelta(days=1)}, svc.MSG_AS_OF_FUTURE, "as_of"),
    ({"as_of": None}, svc.MSG_AS_OF_REQUIRED, "as_of"),
    ({"method": "x"}, svc.MSG_METHOD % {"method": "x"}, "method"),
    ({"seed": "x" * 65}, svc.MSG_SEED_FORMAT, "seed"),
])
def test_draw_is_checked(people, households, kw, message, field):
    with pytest.raises(ValidationFailed) as exc:
        draw(people["reviewer"], **kw)
    assert exc.value.message == str(message) and exc.value.detail == {"field": field}
    assert not SpotCheck.objects.exists()


def test_a_percentage_is_rounded_up_with_at_least_one(people, households):
    assert draw(people["reviewer"], size=None, percent=25).sample_size == 3
    assert draw(people["reviewer"], size=None, percent=0.1).sample_size == 1
    assert draw(people["reviewer"], size=None, percent=100).sample_size == 10


def test_drawing_needs_the_inspect_permission(people, households):
    for who in ("clerk", "township", "leader"):
        with pytest.raises(PermissionDenied):
            draw(people[who])
    with pytest.raises(ValidationFailed):
        draw(people["foreign"])
    foreign_site = make_site(division_code="429821100000")
    with pytest.raises(ValidationFailed) as exc:
        draw(people["reviewer"], scope=None, site=foreign_site.pk)
    assert exc.value.detail == {"field": "site"}


# --- results, follow-up, closing ---------------------------------------------------------------------------------------

def result(actor, item, res="consistent", **kw):
    fields = {"checked_on": dt.date(2025, 7, 10), "checker": "张三、李四"} | kw
    return svc.item_record(actor=actor, item=item, result=res, **fields)


def test_results_follow_up_and_closing(people, households):
    check = draw(people["reviewer"], scope="429921101", size=3)  # households of the township clerk's township
    a, b, c = check.items.order_by("order")
    with pytest.raises(Conflict) as exc:
        svc.check_close(actor=people["reviewer"], check=check)
    assert exc.value.message == str(svc.MSG_CLOSE_PENDING % {"n": 3})
    result(people["reviewer"], a)
    result(people["reviewer"], c, "not_found", findings="户内无人，邻居称外出务工")
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, "discrepancy")
    assert exc.value.message == str(svc.MSG_FINDINGS_REQUIRED) and exc.value.detail == {"field": "findings"}
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, "discrepancy", findings="实际住房面积与台账不符")
    assert exc.value.detail == {"field": "follow_up_owner"}
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, "discrepancy", findings="实际住房面积与台账不符", follow_up_owner="王乡长")
    assert exc.value.detail == {"field": "follow_up_deadline"}
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, "discrepancy", findings="x", follow_up_owner="王乡长", follow_up_deadline=dt.date(2025, 7, 1))
    assert exc.value.detail == {"field": "follow_up_deadline"}
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, checked_on=dt.date(2025, 6, 1))
    assert exc.value.message == str(svc.MSG_CHECKED_BEFORE % {"date": AS_OF.isoformat()})
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, checked_on=TODAY + dt.timedelta(days=1))
    assert exc.value.detail == {"field": "checked_on"}
    with pytest.raises(ValidationFailed) as exc:
        result(people["reviewer"], b, "pending")
    assert exc.value.detail == {"field": "result"}
    b = result(people["reviewer"], b, "discrepancy", findings="实际住房面积与台账不符", follow_up_owner="王乡长",
               follow_up_deadline=dt.date(2025, 8, 1))
    assert (b.follow_up, b.follow_up_owner, b.follow_up_deadline) == ("open", "王乡长", dt.date(2025, 8, 1))
    with pytest.raises(Conflict) as exc:  # a result with a follow-up stays
        result(people["reviewer"], b)
    assert exc.value.code == "has_follow_up"
    a = result(people["reviewer"], a, "not_found")  # corrected while it has no follow-up
    assert a.result == "not_found"

    overdue = list(sel.follow_up_list(actor=people["city"], overdue=True, today=dt.date(2025, 8, 2)))
    assert overdue == [b] and sel.days_overdue(b, dt.date(2025, 8, 2)) == 1
    assert not sel.follow_up_list(actor=people["city"], overdue=True, today=dt.date(2025, 8, 1)).exists()
    with pytest.raises(Conflict) as exc:
        svc.check_close(actor=people["reviewer"], check=check)
    assert exc.value.message == str(svc.MSG_CLOSE_OPEN % {"n": 1})
    with pytest.raises(ValidationFailed) as exc:
        svc.follow_up_resolve(actor=people["township"], item=b, note="", resolved_on=dt.date(2025, 7, 20))
    assert exc.value.detail == {"field": "note"}
    with pytest.raises(ValidationFailed) as exc:
        svc.follow_up_resolve(actor=people["township"], item=b, note="已更正", resolved_on=dt.date(2025, 7, 1))
    assert exc.value.detail == {"field": "resolved_on"}
    b = svc.follow_up_resolve(actor=people["township"], item=b, note="已核实更正台账面积", resolved_on=dt.date(2025, 7, 20))
    assert (b.follow_up, b.follow_up_note, b.resolved_on) == ("resolved", "已核实更正台账面积", dt.date(2025, 7, 20))
    with pytest.raises(Conflict):
        svc.follow_up_resolve(actor=people["township"], item=b, note="再次", resolved_on=dt.date(2025, 7, 21))
    with pytest.raises(PermissionDenied):
        svc.check_close(actor=people["township"], check=check)
    closed = svc.check_close(actor=people["reviewer"], check=check)
    assert (closed.state, closed.closed_on) == ("closed", TODAY)
    with pytest.raises(Conflict) as exc:
        result(people["reviewer"], c)
    assert exc.value.message == str(svc.MSG_CLOSED)
    actions = list(AuditEvent.objects.filter(action__startswith="relocation.spot_check").values_list("action", flat=True))
    assert actions.count("relocation.spot_check_item.recorded") == 4 and "relocation.spot_check_item.resolved" in actions
    assert AuditEvent.objects.get(action="relocation.spot_check.closed").after["results"] == {
        "consistent": 0, "discrepancy": 1, "not_found": 2}


def test_results_stay_in_scope(people, households):
    check = draw(people["city"], size=10)
    item = check.items.first()
    for who, error in (("foreign", NotFound), ("clerk", PermissionDenied), ("leader", PermissionDenied)):
        with pytest.raises(error):
            result(people[who], item)
    with pytest.raises(NotFound):
        sel.access_check(people["foreign"], check.pk)
    with pytest.raises(NotFound):
        sel.access_item(people["foreign"], item.pk)
    assert sel.access_check(people["leader"], check.pk) == check
    with pytest.raises(NotFound):  # a township user does not see a county's check
        sel.access_check(people["township"], check.pk)


# --- files --------------------------------------------------------------------------------------------------------------

def rows_of(data: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_sample_list_is_masked_unless_asked_by_a_pii_holder(people, households):
    check = draw(people["reviewer"], scope=None, site=households["site"].pk, size=2)
    items = list(check.items.order_by("order").select_related("household__head"))
    rows = rows_of(reports.sample_xlsx(actor=people["leader"], check=check))
    assert rows[3][:4] == ["抽样序号", "户编号", "户主", "户主身份证号"]
    first = rows[4]
    head = items[0].household.head
    assert first[:4] == ["1", items[0].household.number, head.name, head.id_masked] and "*" in first[3]
    assert first[4:7] == ["白坪镇", "茶坝村委会", households["site"].name]
    assert "random.Random" in rows[2][0] and check.seed in rows[1][0]
    event = AuditEvent.objects.get(action="relocation.spot_check.sample_exported")
    assert event.after == {"rows": 2, "masked": True}
    with pytest.raises(PermissionDenied):
        reports.sample_xlsx(actor=people["leader"], check=check, unmasked=True)
    full = rows_of(reports.sample_xlsx(actor=people["reviewer"], check=check, unmasked=True))
    assert full[4][3] == decrypt(head.id_enc)
    assert AuditEvent.objects.filter(action="relocation.spot_check.sample_exported", after__masked=False).count() == 1


def test_results_file_reads_back(people, households):
    check = draw(people["reviewer"], size=2)
    a, b = check.items.order_by("order")
    result(people["reviewer"], a)
    result(people["reviewer"], b, "discrepancy", findings="=未入住", follow_up_owner="王乡长", follow_up_deadline=dt.date(2025, 8, 1))
    rows = rows_of(reports.results_xlsx(actor=people["leader"], check=check))
    assert rows[4][6:10] == ["一致", "", "2025-07-10", "张三、李四"]
    assert rows[5][6:8] == ["存在问题", "'=未入住"] and rows[5][10:13] == ["整改中", "王乡长", "2025-08-01"]
    assert int(rows[5][13]) == (TODAY - dt.date(2025, 8, 1)).days
    assert AuditEvent.objects.filter(action="relocation.spot_check.results_exported").count() == 1
