"""Change-request workflow: township submits → county reviews → city approves → posting → applied on the effective date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent, PolicyVersion
from anju.registry.models import ChangeRequest, ChangeRequestStep, Enrolment, EnrolmentStatus, History
from anju.registry.selectors_requests import access_change_request, change_request_list
from anju.registry.services import records
from anju.registry.services import requests as svc

from .factories import make_household

State = ChangeRequest.State
TODAY = dt.date(2026, 3, 15)


def status_on(enrolment, day):
    rows = EnrolmentStatus.objects.filter(enrolment=enrolment, valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return list(rows.values_list("status", flat=True))


def make_actors(make_user) -> dict:
    """Users at each level of 白云县 (429921) and a reviewer of another county (429902)."""
    return {
        "township": make_user("township_clerk", "429921101", "t_clerk"),
        "township_other": make_user("township_clerk", "429921102", "t_other"),
        "county_clerk": make_user("county_clerk", "429921", "c_clerk"),
        "county": make_user("county_reviewer", "429921", "c_rev"),
        "county_other": make_user("county_reviewer", "429902", "c_other"),
        "city": make_user("city_clerk", "4299", "city_clerk"),
        "city_admin": make_user("city_admin", "4299", "city_admin"),
    }


def make_family():
    return make_household("H001", [("张三", "户主"), ("李四", "配偶"), ("张小", "子")])


@pytest.fixture
def actors(make_user):
    return make_actors(make_user)


@pytest.fixture
def household(tree):
    return make_family()


def enrolment_of(household, name):
    return Enrolment.objects.get(household=household, person__name=name)


def removal(actors, household, name="李四", **kw):
    e = enrolment_of(household, name)
    return svc.change_request_create(actor=actors["township"], kind="remove", program="reservoir", enrolment=e, cause="death",
                                     payload={"event_date": "2026-03-10"}, reason="病故", submit=True, today=TODAY, **kw)


def test_removal_goes_through_every_level_posting_and_takes_effect_next_year(actors, household):
    e = enrolment_of(household, "李四")
    cr = removal(actors, household)
    assert cr.state == State.PENDING and cr.levels == ["township", "county", "city"] and svc.awaited_level(cr) == "county"
    assert cr.field == "status.reservoir" and cr.person_id == e.person_id

    cr = svc.change_request_approve(actor=actors["county"], request=cr, comment="属实", today=dt.date(2026, 3, 20))
    assert cr.state == State.PENDING and svc.awaited_level(cr) == "city"
    cr = svc.change_request_approve(actor=actors["city"], request=cr, today=dt.date(2026, 4, 1))
    assert cr.state == State.POSTING
    assert (cr.posting_from, cr.posting_until) == (dt.date(2026, 4, 1), dt.date(2026, 4, 7))  # 7 days
    assert cr.effective_on == dt.date(2027, 1, 1)  # removal: 1 January of the year after the death

    assert svc.change_requests_apply_due(today=dt.date(2026, 4, 7)) == {"posting_ended": 0, "applied": [], "failed": []}
    assert svc.change_requests_apply_due(today=dt.date(2026, 4, 8))["posting_ended"] == 1
    cr.refresh_from_db()
    assert cr.state == State.APPROVED
    assert svc.change_requests_apply_due(today=dt.date(2026, 12, 31))["applied"] == []
    assert svc.change_requests_apply_due(today=dt.date(2027, 1, 1))["applied"] == [cr.pk]

    cr.refresh_from_db()
    e.refresh_from_db()
    assert cr.state == State.EFFECTIVE
    assert (e.status, e.status_since) == ("removed", dt.date(2027, 1, 1))
    periods = list(EnrolmentStatus.objects.filter(enrolment=e).order_by("valid_from").values_list("status", "valid_from", "valid_to", "cause"))
    assert periods == [("active", dt.date(2010, 1, 1), dt.date(2027, 1, 1), ""), ("removed", dt.date(2027, 1, 1), None, "death")]
    assert status_on(e, dt.date(2026, 12, 31)) == ["active"]
    assert status_on(e, dt.date(2027, 1, 1)) == ["removed"]
    assert set(History.objects.filter(request=cr).values_list("field", "old", "new")) == {("status", "active", "removed"), ("cause", "", "death")}
    actions = [s.action for s in cr.steps.all()]
    assert actions == ["create", "submit", "approve", "approve", "post", "apply"]
    audited = set(AuditEvent.objects.filter(object_type="change_request", object_id=str(cr.pk)).values_list("action", flat=True))
    assert {"registry.request.created", "registry.request.submitted", "registry.request.approved", "registry.request.posted",
            "registry.request.posting_ended", "registry.request.applied"} <= audited
    assert AuditEvent.objects.filter(action="registry.person.removed", object_id=str(e.pk)).exists()


def test_removal_rule_next_month_and_immediate(actors, household):
    PolicyVersion.objects.create(key="registry.removal_effective", scope="429921", effective_from=dt.date(2020, 1, 1), value="next_month")
    cr = removal(actors, household)
    cr = svc.change_request_approve(actor=actors["county"], request=cr, today=TODAY)
    cr = svc.change_request_approve(actor=actors["city"], request=cr, today=TODAY)
    assert cr.effective_on == dt.date(2026, 4, 1)


def test_township_clerk_cannot_approve(actors, household):
    cr = removal(actors, household)
    with pytest.raises(PermissionDenied):
        svc.change_request_approve(actor=actors["township"], request=cr)
    cr.refresh_from_db()
    assert cr.state == State.PENDING and cr.level_index == 1


def test_only_the_awaited_level_decides(actors, household):
    cr = removal(actors, household)
    with pytest.raises(PermissionDenied) as exc:
        svc.change_request_approve(actor=actors["city"], request=cr)
    assert exc.value.code == "wrong_level" and exc.value.message == str(svc.MSG_WRONG_LEVEL % {"level": "县级"})
    with pytest.raises(PermissionDenied) as exc:
        svc.change_request_approve(actor=actors["county_other"], request=cr)
    assert exc.value.code == "wrong_scope"
    svc.change_request_approve(actor=actors["county"], request=cr)
    with pytest.raises(PermissionDenied) as exc:
        svc.change_request_approve(actor=actors["county"], request=cr)
    assert exc.value.code == "wrong_level"
    cr = svc.change_request_approve(actor=actors["city_admin"], request=cr, today=TODAY)
    assert cr.state == State.POSTING


def test_a_county_cannot_see_another_countys_requests(actors, household):
    cr = removal(actors, household)
    with pytest.raises(NotFound):
        access_change_request(actors["county_other"], cr.pk)
    with pytest.raises(NotFound):
        access_change_request(actors["township_other"], cr.pk)
    assert access_change_request(actors["county"], cr.pk) == cr
    assert list(change_request_list(actor=actors["county_other"])) == []
    assert list(change_request_list(actor=actors["county"], box="awaiting")) == [cr]
    assert list(change_request_list(actor=actors["city"], box="awaiting")) == []
    assert list(change_request_list(actor=actors["township"], box="mine")) == [cr]
    assert list(change_request_list(actor=actors["township"], box="awaiting")) == []


def test_county_clerk_request_skips_the_township_and_nobody_decides_their_own(actors, household, make_user):
    e = enrolment_of(household, "张小")
    cr = svc.change_request_create(actor=actors["county_clerk"], kind="remove", program="reservoir", enrolment=e, cause="military_officer",
                                   payload={"event_date": "2025-09-01"}, submit=True)
    assert svc.awaited_level(cr) == "county"
    assert [s.level for s in cr.steps.all()] == ["county", "county"]
    cr = svc.change_request_approve(actor=actors["county"], request=cr)
    assert svc.awaited_level(cr) == "city"
    city_request = svc.change_request_create(actor=actors["city"], kind="correct", program="reservoir", person=e.person,
                                             payload={"changes": {"phone": "13800138000"}}, submit=True)
    assert svc.awaited_level(city_request) == "county"  # correct: 乡镇 → 县 only; the last level decides a city clerk's proposal
    other_city_clerk = make_user("city_clerk", "4299", "city_clerk2")
    cr2 = svc.change_request_create(actor=other_city_clerk, kind="remove", program="reservoir", enrolment=enrolment_of(household, "张三"),
                                    cause="death", payload={"event_date": "2026-01-02"}, submit=True)
    assert svc.awaited_level(cr2) == "city"
    with pytest.raises(PermissionDenied) as exc:
        svc.change_request_approve(actor=other_city_clerk, request=cr2)
    assert exc.value.code == "own_request" and exc.value.message == str(svc.MSG_OWN_REQUEST)


def test_reject_needs_a_reason_is_final_and_frees_the_person(actors, household):
    cr = removal(actors, household)
    with pytest.raises(ValidationFailed) as exc:
        svc.change_request_reject(actor=actors["county"], request=cr, reason="  ")
    assert exc.value.code == "reason_required" and exc.value.message == str(svc.MSG_REASON_REQUIRED)
    cr = svc.change_request_reject(actor=actors["county"], request=cr, reason="缺死亡证明")
    assert cr.state == State.REJECTED
    assert cr.steps.last().comment == "缺死亡证明"
    with pytest.raises(Conflict) as exc:
        svc.change_request_approve(actor=actors["county"], request=cr)
    assert exc.value.code == "not_pending"
    copy = svc.change_request_copy(actor=actors["township"], request=cr)
    assert copy.state == State.DRAFT and copy.cause == "death" and copy.payload["event_date"] == "2026-03-10"
    with pytest.raises(Conflict) as exc:
        svc.change_request_copy(actor=actors["township"], request=copy)
    assert exc.value.message == str(svc.MSG_NOT_COPYABLE)


def test_withdraw_by_the_creator_only_while_open(actors, household):
    cr = removal(actors, household)
    with pytest.raises(PermissionDenied) as exc:
        svc.change_request_withdraw(actor=actors["county_clerk"], request=cr)
    assert exc.value.message == str(svc.MSG_NOT_CREATOR)
    svc.change_request_approve(actor=actors["county"], request=cr)
    cr = svc.change_request_withdraw(actor=actors["township"], request=cr, comment="误报")
    assert cr.state == State.WITHDRAWN
    with pytest.raises(Conflict) as exc:
        svc.change_request_withdraw(actor=actors["township"], request=cr)
    assert exc.value.code == "not_open"
    assert AuditEvent.objects.filter(action="registry.request.withdrawn", object_id=str(cr.pk)).exists()


def test_submit_only_drafts_by_their_creator(actors, household):
    e = enrolment_of(household, "李四")
    cr = svc.change_request_create(actor=actors["township"], kind="remove", program="reservoir", enrolment=e, cause="death",
                                   payload={"event_date": "2026-03-10"})
    assert cr.state == State.DRAFT
    with pytest.raises(PermissionDenied):
        svc.change_request_submit(actor=actors["county_clerk"], request=cr)
    svc.change_request_submit(actor=actors["township"], request=cr)
    with pytest.raises(Conflict) as exc:
        svc.change_request_submit(actor=actors["township"], request=cr)
    assert exc.value.message == str(svc.MSG_NOT_DRAFT % {"state": "审批中"})


def test_one_open_request_per_person_and_field(actors, household):
    cr = removal(actors, household)
    with pytest.raises(Conflict) as exc:
        removal(actors, household)
    assert exc.value.code == "request_open"
    assert exc.value.message == str(svc.MSG_OPEN_REQUEST % {"kind": "核减", "id": cr.pk, "state": "审批中"})
    # another field of the same person is fine
    svc.change_request_create(actor=actors["township"], kind="correct", program="reservoir", person=cr.person,
                              payload={"changes": {"phone": "13800138000"}})
    with pytest.raises(Conflict):
        svc.change_request_create(actor=actors["township"], kind="correct", program="reservoir", person=cr.person,
                                  payload={"changes": {"phone": "13900139000", "name": "李四四"}})


def test_the_database_constraint_backs_the_check(actors, household, monkeypatch):
    cr = removal(actors, household)
    monkeypatch.setattr(svc, "_check_conflicts", lambda prepared, exclude=None: None)
    with pytest.raises(Conflict) as exc:
        removal(actors, household)
    assert exc.value.message == str(svc.MSG_OPEN_REQUEST % {"kind": "核减", "id": cr.pk, "state": "审批中"})
    assert ChangeRequest.objects.count() == 1


def test_out_of_scope_create_is_not_found(actors, tree):
    other = make_household("H900", [("王五", "户主")], village="429921102201")
    with pytest.raises(NotFound):
        svc.change_request_create(actor=actors["township"], kind="remove", program="reservoir", enrolment=enrolment_of(other, "王五"),
                                  cause="death", payload={"event_date": "2026-01-01"})


def test_correction_without_posting_applies_on_approval(actors, household):
    p = enrolment_of(household, "李四").person
    cr = svc.change_request_create(actor=actors["township"], kind="correct", program="reservoir", person=p, submit=True,
                                   payload={"changes": {"name": "李 思", "phone": "138-0013-8000", "bank_account": "6217 0000 1000 9999 888"}})
    assert cr.field == "correct:bank_account+name+phone"
    assert "6217000010009999888" not in str(cr.payload)
    cr = svc.change_request_approve(actor=actors["county"], request=cr, today=TODAY)
    assert cr.state == State.APPROVED and cr.effective_on == TODAY and cr.posting_from is None
    assert svc.change_requests_apply_due(today=TODAY)["applied"] == [cr.pk]
    p.refresh_from_db()
    e = enrolment_of(household, "李思")
    assert (p.name, p.phone, e.bank_account_masked) == ("李思", "138-0013-8000", "6217***********9888")
    hist = dict(History.objects.filter(request=cr).values_list("field", "new"))
    assert hist == {"name": "李思", "phone": "138-0013-8000", "bank_account": "6217***********9888"}


def test_named_effective_date_is_kept(actors, household):
    p = enrolment_of(household, "李四").person
    cr = svc.change_request_create(actor=actors["township"], kind="correct", program="reservoir", person=p, submit=True,
                                   payload={"changes": {"ethnicity": "土家族"}}, effective_on=dt.date(2026, 7, 1))
    cr = svc.change_request_approve(actor=actors["county"], request=cr, today=TODAY)
    assert cr.effective_on == dt.date(2026, 7, 1)
    with pytest.raises(Conflict) as exc:
        svc.change_request_apply(actor=None, request=cr, today=TODAY)
    assert exc.value.code == "not_due"


def approve_all(actors, cr, today=TODAY):
    while cr.state == State.PENDING:
        level = svc.awaited_level(cr)
        cr = svc.change_request_approve(actor=actors["county" if level == "county" else "city"], request=cr, today=today)
    return cr


def test_restore_after_prison(actors, household):
    e = enrolment_of(household, "张小")
    records.person_remove(actor=actors["county_clerk"], enrolment=e, cause="prison", effective_on=dt.date(2020, 1, 1))
    cr = svc.change_request_create(actor=actors["township"], kind="restore", program="reservoir", person=e.person, reason="刑满释放",
                                   payload={"event_date": "2025-06-30"}, effective_on=dt.date(2025, 7, 1), submit=True)
    cr = approve_all(actors, cr)
    assert cr.state == State.APPROVED and cr.effective_on == dt.date(2025, 7, 1)  # restore is not posted by default
    svc.change_requests_apply_due(today=TODAY)
    assert status_on(e, dt.date(2024, 1, 1)) == ["removed"] and status_on(e, dt.date(2025, 7, 1)) == ["active"]
    with pytest.raises(Conflict) as exc:
        svc.change_request_create(actor=actors["township"], kind="restore", program="reservoir", person=e.person)
    assert exc.value.message == str(records.MSG_NOT_REMOVED)


def test_applying_a_stale_request_fails_alone(actors, household):
    cr = removal(actors, household)
    cr = approve_all(actors, cr, today=dt.date(2026, 4, 1))
    records.person_remove(actor=actors["county_clerk"], enrolment=cr.enrolment, cause="death", effective_on=dt.date(2026, 4, 2))
    result = svc.change_requests_apply_due(today=dt.date(2027, 1, 2))
    assert result["applied"] == [] and result["failed"][0]["code"] == "already_removed"
    cr.refresh_from_db()
    assert cr.state == State.APPROVED
    assert AuditEvent.objects.filter(action="registry.request.applied", outcome="failure", object_id=str(cr.pk)).exists()


def test_step_levels_are_recorded(actors, household):
    cr = approve_all(actors, removal(actors, household))
    levels = list(ChangeRequestStep.objects.filter(request=cr).values_list("action", "level"))
    assert levels == [("create", "township"), ("submit", "township"), ("approve", "county"), ("approve", "city"), ("post", "city")]


def test_levels_follow_the_policy_of_the_kind(actors, household):
    PolicyVersion.objects.create(key="registry.workflow", scope="4299", effective_from=dt.date(2020, 1, 1),
                                 value={"remove": ["county", "city"], "correct": ["township", "county"]})
    cr = removal(actors, household)
    assert cr.levels == ["county", "city"] and svc.awaited_level(cr) == "county"  # a township proposal goes to the county first
    county_made = svc.change_request_create(actor=actors["county_clerk"], kind="remove", program="reservoir", cause="death",
                                            enrolment=enrolment_of(household, "张三"), payload={"event_date": "2026-01-01"}, submit=True)
    assert svc.awaited_level(county_made) == "city"  # the county proposes, the city decides
    cr = approve_all(actors, cr)
    assert cr.state == State.POSTING
