"""The coverage check (应搬尽搬，不漏一户、不落一人) on hand-built fixtures, the candidate list and both Excel exports read back."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.relocation import reports_identification as reports
from anju.relocation import selectors_identification as sel
from anju.relocation.models import Relocation, Survey
from anju.relocation.services import identification as svc
from tests.registry.factories import make_household, resident_id

from .factories import make_relocated_household

AREA_VILLAGE, OUTSIDE_VILLAGE = "429921101201", "429921102201"
TODAY = dt.date(2025, 6, 30)


def _poor(number: str, village: str = AREA_VILLAGE, *, poor: bool = True):
    household = make_household(number, [(f"户主{number}", "户主")], village=village)
    Enrolment.objects.filter(household=household).update(poverty_registered=poor)
    return household


def _survey(actor, *, state: str = Survey.State.DRAFT, days_ago: int = 5, **kw):
    data = {"village": AREA_VILLAGE, "head_name": "调查户", "head_id": resident_id(), "conditions": ["stony"], "poverty_registered": True,
            "surveyed_on": dt.date.today() - dt.timedelta(days=days_ago)} | kw
    s = svc.survey_create(actor=actor, **data)
    Survey.objects.filter(pk=s.pk).update(state=state)
    s.refresh_from_db()
    return s


@pytest.fixture
def world(tree, make_user):
    city, clerk = make_user("city_clerk", "4299"), make_user("township_clerk", "429921101")
    svc.area_create(actor=city, division="429921101", conditions=["stony"], designated_on=dt.date(2016, 1, 1))
    return {"city": city, "clerk": clerk, "county": make_user("county_clerk", "429921")}


def test_coverage_lists(world):
    clerk = world["clerk"]
    missing = _poor("P-MISS")
    _poor("P-NOTPOOR", poor=False)
    _poor("P-OUTSIDE", village=OUTSIDE_VILLAGE)
    surveyed = _poor("P-SURVEYED")
    _survey(clerk, household_number="P-SURVEYED", head_name="已调查")
    by_id = _poor("P-BYID")
    from anju.core.crypto import decrypt

    _survey(clerk, head_id=decrypt(by_id.head.id_enc), head_name="按身份证匹配")
    make_relocated_household(village=AREA_VILLAGE)  # already enrolled in relocation

    unlinked = _survey(clerk, state=Survey.State.CONFIRMED, head_name="未入名册")
    allocated = make_relocated_household(village=AREA_VILLAGE, step="allocated")
    waiting = _survey(clerk, state=Survey.State.CONFIRMED, head_name="待入住", household_number=allocated.number)
    moved = make_relocated_household(village=AREA_VILLAGE, step="moved_in")
    _survey(clerk, state=Survey.State.CONFIRMED, head_name="已入住", household_number=moved.number)
    no_enrolment = _poor("P-NOENROL")
    Relocation.objects.create(household=no_enrolment, division_code=AREA_VILLAGE, step="moved_in")
    not_enrolled = _survey(clerk, state=Survey.State.CONFIRMED, head_name="未纳入搬迁名册", household_number="P-NOENROL")
    no_relocation = make_relocated_household(village=AREA_VILLAGE, step=None)
    no_step = _survey(clerk, state=Survey.State.CONFIRMED, head_name="无搬迁记录", household_number=no_relocation.number)

    stale = _survey(clerk, state=Survey.State.SUBMITTED, days_ago=31, head_name="逾期")
    _survey(clerk, days_ago=29, head_name="未逾期")
    _survey(clerk, days_ago=40, head_name="不符合", poverty_registered=False)
    _survey(clerk, state=Survey.State.REJECTED, days_ago=40, head_name="已否决")

    c = sel.coverage_check(actor=world["city"])
    assert [r.household_id for r in c.missing] == [missing.pk]
    assert c.missing[0].head_id_masked == missing.head.id_masked and c.missing[0].township_name
    assert surveyed.pk not in [r.household_id for r in c.missing]
    reasons = {r.survey_id: r.reason for r in c.not_moved}
    assert set(reasons) == {unlinked.pk, waiting.pk, not_enrolled.pk, no_step.pk}
    assert reasons[unlinked.pk] == str(sel.REASON_NO_HOUSEHOLD)
    assert reasons[waiting.pk] == sel.REASON_NOT_MOVED % {"step": "分配安置住房"}
    assert reasons[not_enrolled.pk] == str(sel.REASON_NO_ENROLMENT)
    assert reasons[no_step.pk] == str(sel.REASON_NO_RELOCATION)
    assert [(r.survey_id, r.days) for r in c.overdue] == [(stale.pk, 31)]
    assert len(sel.coverage_check(actor=world["city"], days=20).overdue) == 2

    # scope: another township sees none of it; a narrower division of the city too
    other = sel.coverage_check(actor=world["county"], division="429921102")
    assert other.total == 0
    assert sel.coverage_check(actor=world["county"], division="429921101").total == c.total

    data = reports.coverage_xlsx(actor=world["city"], coverage=c)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert wb.sheet_names == ["迁出区未识别户", "已确认未入住", "逾期未确认"]
    rows = wb.get_sheet_by_name("迁出区未识别户").to_python()
    assert rows[2][4] == "P-MISS" and rows[2][7] == missing.head.id_masked
    assert len(wb.get_sheet_by_name("已确认未入住").to_python()) == 2 + 4
    assert AuditEvent.objects.get(action="relocation.coverage.exported").after == {"rows": c.total, "full_ids": False}


def test_candidates_and_export_mask_by_permission(world, make_user):
    clerk = world["clerk"]
    a = _survey(clerk, head_name="甲", per_capita_income_fen=350_050)
    b = _survey(clerk, head_name="乙", state=Survey.State.TOWNSHIP_CONFIRMED)
    _survey(clerk, head_name="丙", state=Survey.State.CONFIRMED)
    _survey(clerk, head_name="丁", poverty_registered=False)
    _survey(world["county"], head_name="戊", village=OUTSIDE_VILLAGE)
    assert {s.pk for s in sel.candidate_list(actor=world["county"], division="429921101")} == {a.pk, b.pk}
    assert [s.pk for s in sel.candidate_list(actor=world["county"], state="township_confirmed")] == [b.pk]

    from anju.core.crypto import decrypt

    full = CalamineWorkbook.from_filelike(io.BytesIO(reports.candidates_xlsx(
        actor=clerk, surveys=sel.candidate_list(actor=clerk)))).get_sheet_by_index(0).to_python()
    assert full[1][:7] == ["序号", "调查编号", "县（市、区）", "乡镇", "村", "户主姓名", "户主身份证号"]
    first = next(r for r in full[2:] if r[5] == "甲")
    assert first[6] == decrypt(a.head_id_enc) and first[12] == "3500.50" and first[15] == "调查中"
    leader = make_user("leader", "429921")
    masked = CalamineWorkbook.from_filelike(io.BytesIO(reports.candidates_xlsx(
        actor=leader, surveys=sel.candidate_list(actor=leader)))).get_sheet_by_index(0).to_python()
    assert {r[6] for r in masked[2:]} == {a.head_id_masked, b.head_id_masked, Survey.objects.get(head_name="戊").head_id_masked}
    events = list(AuditEvent.objects.filter(action="relocation.candidates.exported").order_by("id").values_list("after", flat=True))
    assert events == [{"rows": 2, "full_ids": True}, {"rows": 3, "full_ids": False}]
