"""Annual verification: the roster as of 12-31 24:00, the diff against last year's locked snapshot, counts, re-runs."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Program, Verification, VerificationChange, VerificationEntry
from anju.registry.services import verification as svc
from anju.registry.services.verification import verification_run

from .verification_data import COUNTY, COUNTY_CODE, actors, base_roster, enrolment_of, events_2025, locked, set_status


@pytest.fixture
def people(make_user):
    return actors(make_user)


def names(v) -> set[str]:
    return set(VerificationEntry.objects.filter(verification=v).values_list("name", flat=True))


def test_roster_is_as_of_the_end_of_31_december(tree, people):
    base_roster()
    set_status(enrolment_of("张二"), dt.date(2026, 1, 1), cause="death")  # effective next 1 January: still on the roster
    set_status(enrolment_of("李二"), dt.date(2025, 12, 31), cause="death")  # effective 31 December: off at 24:00
    set_status(enrolment_of("王一"), dt.date(2025, 6, 1), status="suspended")
    v = verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert names(v) == {"张一", "张二", "张三", "李一"}
    assert (v.as_of, v.state, v.previous, v.division_code) == (dt.date(2025, 12, 31), Verification.State.DRAFT, None, COUNTY_CODE)
    assert v.counts["total"] == 4 and v.counts["households"] == 2 and v.counts["previous_total"] is None
    entry = VerificationEntry.objects.get(verification=v, name="张一")
    e = enrolment_of("张一")
    assert (entry.enrolment_id, entry.person_id, entry.household_number, entry.relation, entry.category, entry.support_mode) == (
        e.pk, e.person_id, "H001", "户主", "original", "direct")
    assert entry.id_hash == e.person.id_hash and entry.id_masked == e.person.id_masked and entry.bank_account_hash == e.bank_account_hash
    assert not VerificationChange.objects.filter(verification=v).exists()  # the first verification has nothing to compare with
    event = AuditEvent.objects.get(action="registry.verification.run", object_id=str(v.pk))
    assert event.after["total"] == 4


def test_membership_and_village_are_those_at_the_instant(tree, people):
    from anju.registry.models import Household, Membership

    base_roster()
    li1 = enrolment_of("李一")
    new_home = Household.objects.create(number="H009", county_code=COUNTY, division_code=li1.household.division_code)
    Membership.objects.filter(person=li1.person).update(valid_to=dt.date(2026, 1, 1))
    Membership.objects.create(person=li1.person, household=new_home, relation="户主", valid_from=dt.date(2026, 1, 1))
    v = verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert VerificationEntry.objects.get(verification=v, name="李一").household_number == "H002"


def test_diff_against_last_years_locked_snapshot(tree, people):
    places = base_roster()
    last = locked(people, 2024)
    requests = events_2025(places, people["clerk"])
    v = verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert v.previous == last
    assert names(v) == {"张一", "张二", "张叁", "李一", "赵一"}
    changes = {(c.kind, c.name): c for c in VerificationChange.objects.filter(verification=v)}
    assert set(changes) == {("added", "赵一"), ("removed", "李二"), ("removed", "王一"), ("changed", "张一"), ("changed", "张叁"),
                            ("changed", "李一")}
    added = changes["added", "赵一"]
    assert (added.reason, added.request, added.detail["code"]) == ("新增人员", requests["add"], "request:add_person")
    death = changes["removed", "李二"]
    assert (death.reason, death.request, death.detail["cause"], death.division_code) == ("死亡", requests["death"], "death", places["v2"])
    prison = changes["removed", "王一"]
    assert (prison.reason, prison.request) == ("服刑", requests["prison"])  # request found through the history
    name = changes["changed", "张叁"]
    assert name.detail["fields"] == [{"field": "name", "old": "张三", "new": "张叁"}]
    assert (name.reason, name.request) == ("姓名变更", requests["correct"])
    bank = changes["changed", "张一"]
    assert bank.detail["fields"] == [{"field": "bank_account"}] and bank.reason == "银行账号变更"  # no account digits, masked or not
    move = changes["changed", "李一"]
    assert move.detail["fields"] == [{"field": "village", "old": places["v2"], "new": places["v3"]}]
    c = v.counts
    assert (c["previous_total"], c["added"], c["removed"], c["changed"], c["total"]) == (6, 1, 2, 3, 5)
    assert c["reasons"] == {"added": {"request:add_person": 1}, "removed": {"death": 1, "prison": 1}}
    assert c["fields"] == {"bank_account": 1, "name": 1, "village": 1}


def test_counts_by_township_and_village_balance(tree, people):
    places = base_roster()
    locked(people, 2024)
    events_2025(places, people["clerk"])
    v = verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    villages = v.counts["villages"]
    assert villages[places["v1"]] == {"previous": 4, "added": 1, "removed": 1, "moved_in": 0, "moved_out": 0, "changed": 2, "current": 4}
    assert villages[places["v2"]] == {"previous": 2, "added": 0, "removed": 1, "moved_in": 0, "moved_out": 1, "changed": 0, "current": 0}
    assert villages[places["v3"]] == {"previous": 0, "added": 0, "removed": 0, "moved_in": 1, "moved_out": 0, "changed": 1, "current": 1}
    for row in [*villages.values(), *v.counts["townships"].values()]:
        assert row["previous"] + row["added"] - row["removed"] + row["moved_in"] - row["moved_out"] == row["current"]
    township = v.counts["townships"][places["v1"][:9] + "000"]
    assert (township["previous"], township["current"]) == (4, 4)
    assert v.counts["categories"] == {"original": 5} and v.counts["support_modes"] == {"direct": 4, "project": 1}


def test_rerun_of_a_draft_replaces_its_rows(tree, people):
    places = base_roster()
    locked(people, 2024)
    events_2025(places, people["clerk"])
    v = verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    set_status(enrolment_of("张一"), dt.date(2025, 10, 1), cause="public_employment")
    again = verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert again.pk == v.pk and again.counts["total"] == 4
    assert VerificationEntry.objects.filter(verification=v).count() == 4
    assert VerificationChange.objects.filter(verification=v, kind="removed").count() == 3
    assert VerificationChange.objects.filter(verification=v, kind="changed").count() == 2
    assert AuditEvent.objects.filter(action="registry.verification.rerun", object_id=str(v.pk)).count() == 1


def test_signed_or_locked_verification_cannot_be_rerun(tree, people):
    base_roster()
    v = verification_run(actor=people["clerk"], year=2024, program=Program.RESERVOIR, county_code=COUNTY)
    svc.verification_sign_county(actor=people["reviewer"], verification=v)
    with pytest.raises(Conflict) as exc:
        verification_run(actor=people["clerk"], year=2024, program=Program.RESERVOIR, county_code=COUNTY)
    assert exc.value.message == str(svc.MSG_NOT_DRAFT)
    with pytest.raises(Conflict) as exc:  # next year cannot be built on an unlocked year
        verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert exc.value.message == str(svc.MSG_PREVIOUS_NOT_LOCKED % {"year": 2024})
    svc.verification_sign_city(actor=people["city"], verification=v)
    with pytest.raises(Conflict) as exc:
        verification_run(actor=people["clerk"], year=2024, program=Program.RESERVOIR, county_code=COUNTY)
    assert exc.value.code == "verification_not_draft"


def test_run_checks_role_scope_and_input(tree, people, make_user):
    base_roster()
    with pytest.raises(PermissionDenied):
        verification_run(actor=people["reviewer"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    with pytest.raises(NotFound):
        verification_run(actor=make_user("county_clerk", "429922"), year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    cases = [({"year": 2026}, "year_invalid", svc.MSG_YEAR % {"last": 2025}), ({"year": 2005}, "year_invalid", svc.MSG_YEAR % {"last": 2025}),
             ({"program": "x"}, "program_invalid", svc.MSG_PROGRAM), ({"county_code": "429921101"}, "county_invalid",
                                                                      svc.MSG_COUNTY % {"code": "429921101"})]
    for change, code, message in cases:
        kwargs = {"year": 2025, "program": Program.RESERVOIR, "county_code": COUNTY, **change}
        with pytest.raises(ValidationFailed) as exc:
            verification_run(actor=people["clerk"], **kwargs)
        assert (exc.value.code, exc.value.message) == (code, str(message))
    assert not Verification.objects.exists()


def test_city_clerk_runs_any_county_of_the_city_and_programs_are_separate(tree, people):
    base_roster()
    v = verification_run(actor=people["city_clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY_CODE)
    r = verification_run(actor=people["city_clerk"], year=2025, program=Program.RELOCATION, county_code=COUNTY)
    assert v.counts["total"] == 6 and r.counts["total"] == 0 and v.pk != r.pk


def test_a_concurrent_first_run_is_a_conflict(tree, people, monkeypatch):
    base_roster()
    verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    monkeypatch.setattr(svc, "_run_state", lambda *a, **k: (None, None))  # as if the other run had not committed yet
    with pytest.raises(Conflict) as exc:
        verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert (exc.value.code, exc.value.message) == ("verification_running", str(svc.MSG_CONCURRENT))
    assert Verification.objects.count() == 1
