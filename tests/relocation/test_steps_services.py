"""Relocation steps: starting a relocation, steps in order with dates, allocation rules, evidence checked by content,
undo with a reason, evidence downloads, per-site progress counts, scope and audit."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.core.uploads import MSG_UPLOAD_CONTENT
from anju.relocation import selectors_steps as sel
from anju.relocation.models import Relocation, RelocationStep, Step
from anju.relocation.services import steps as svc

from .factories import OTHER_VILLAGE, VILLAGE, make_relocated_household, make_site

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
D1, D2, D3, D4, D5 = (dt.date(2024, 3, d) for d in (1, 5, 10, 20, 25))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def people(make_user, other_city):
    return {
        "township": make_user("township_clerk", VILLAGE[:9], username="rs_township"),
        "clerk": make_user("county_clerk", VILLAGE[:6], username="rs_clerk"),
        "city": make_user("city_clerk", "4299", username="rs_city"),
        "leader": make_user("leader", "4299", username="rs_leader"),
        "auditor": make_user("auditor", "4299", username="rs_auditor"),
        "other_township": make_user("township_clerk", "429921102", username="rs_other_township"),
        "foreign": make_user("county_clerk", "429821", username="rs_foreign"),
    }


def fresh(site=None, **kw):
    return make_relocated_household(site=site, step=None, **kw)


def rec(actor, household, step, on, **kw):
    return svc.step_record(actor=actor, household=household, step=step, on=on, **kw)


def walk(actor, household, until: str, *, site=None):
    """Record every step up to `until` on D1..D5."""
    dates = dict(zip(Step.values, (D1, D2, D3, D4, D5), strict=True))
    for s in Step.values[: Step.values.index(until) + 1]:
        extra = {"house_number": "3-2-501", "house_area": "60"} if s == Step.ALLOCATED else {}
        rec(actor, household, s, dates[s], **({"site": site.pk} if site and s == Step.CONFIRMED else {}), **extra)


# --- order and dates ---------------------------------------------------------------------------------------------

def test_start_takes_site_year_and_persons_from_the_roster_and_is_audited(people):
    site = make_site()
    h = fresh(site, year=2019)
    row = rec(people["township"], h, "confirmed", D1, note="村民代表会议确认")
    r = Relocation.objects.get(household=h)
    assert (r.step, r.confirmed_on, r.site, r.year, r.persons, r.division_code) == ("confirmed", D1, site, 2019, 3, VILLAGE)
    assert (row.step, row.on, row.note, row.recorded_by) == ("confirmed", D1, "村民代表会议确认", people["township"])
    event = AuditEvent.objects.get(action="relocation.step.recorded", object_id=str(r.pk))
    assert event.division_code == VILLAGE and event.before is None and event.after["recorded"]["step"] == "confirmed"


def test_steps_go_in_order_one_at_a_time(people):
    site = make_site()
    h = fresh(site)
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "agreement", D1)
    assert exc.value.message == str(svc.MSG_STEP_FIRST) and exc.value.detail == {"field": "step"}
    rec(people["township"], h, "confirmed", D1)
    with pytest.raises(ValidationFailed) as exc:  # skipping 签订协议
        rec(people["township"], h, "allocated", D2, house_number="1-101", house_area="60")
    assert exc.value.message == str(svc.MSG_STEP_NEXT % {"current": "确认搬迁", "next": "签订搬迁协议", "step": "分配安置住房"})
    with pytest.raises(ValidationFailed):  # the same step again
        rec(people["township"], h, "confirmed", D2)
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "nope", D2)
    assert exc.value.detail == {"field": "step"}
    walk(people["township"], fresh(site), Step.DEMOLISHED)
    done = Relocation.objects.get(step=Step.DEMOLISHED)
    assert (done.agreement_on, done.allocated_on, done.moved_in_on, done.demolished_on) == (D2, D3, D4, D5)
    assert done.steps.count() == 5
    with pytest.raises(Conflict) as exc:
        rec(people["township"], done.household, "demolished", D5)
    assert exc.value.code == "steps_done"


def test_dates_may_not_go_back_nor_be_in_the_future(people):
    h = fresh(make_site())
    rec(people["township"], h, "confirmed", D3)
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "agreement", D2)
    assert exc.value.message == str(svc.MSG_DATE_BEFORE % {"previous": "确认搬迁", "date": D3.isoformat()})
    assert exc.value.detail == {"field": "on"}
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "agreement", dt.date.today() + dt.timedelta(days=1))
    assert exc.value.message == str(svc.MSG_DATE_FUTURE) and exc.value.detail == {"field": "on"}
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "agreement", None)
    assert exc.value.detail == {"field": "on"}
    rec(people["township"], h, "agreement", D3)  # the same day as the previous step is fine
    assert RelocationStep.objects.filter(relocation__household=h).count() == 2


def test_allocation_needs_a_site_a_house_number_and_an_area_within_the_standard(people):
    h = fresh(None)
    rec(people["township"], h, "confirmed", D1)
    rec(people["township"], h, "agreement", D2)
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "allocated", D3, house_number="1-101", house_area="60")
    assert exc.value.message == str(svc.MSG_SITE_REQUIRED) and exc.value.detail == {"field": "site"}
    site = make_site()
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "allocated", D3, site=site.pk, house_area="60")
    assert exc.value.message == str(svc.MSG_HOUSE_NUMBER_REQUIRED) and exc.value.detail == {"field": "house_number"}
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "allocated", D3, site=site.pk, house_number="1-101")
    assert exc.value.detail == {"field": "house_area"}
    with pytest.raises(ValidationFailed) as exc:  # 3 persons × 25 m² = 75 m²
        rec(people["township"], h, "allocated", D3, site=site.pk, house_number="1-101", house_area="75.01")
    assert exc.value.code == "house_area_limit" and "75" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "allocated", D3, site=site.pk, house_number="1-101", house_area="-3")
    assert exc.value.message == str(svc.MSG_HOUSE_AREA_INVALID)
    rec(people["township"], h, "allocated", D3, site=site.code, house_number="1-101", house_area="75")
    r = Relocation.objects.get(household=h)
    assert (r.site, r.house_number, r.house_area, r.step) == (site, "1-101", Decimal("75.00"), "allocated")
    with pytest.raises(ValidationFailed) as exc:  # the house is recorded at allocation only
        rec(people["township"], h, "moved_in", D4, house_number="9-9")
    assert exc.value.message == str(svc.MSG_HOUSE_ONLY_AT_ALLOCATION)


def test_a_site_outside_scope_is_refused(people):
    foreign_site = make_site(division_code="429821100000")
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], fresh(), "confirmed", D1, site=foreign_site.pk)
    assert exc.value.message == str(svc.MSG_SITE_SCOPE) and exc.value.detail == {"field": "site"}
    assert not Relocation.objects.exists()


# --- evidence ------------------------------------------------------------------------------------------------------

def test_evidence_is_checked_by_content_stored_and_downloaded_with_audit(people, media):
    h = fresh(make_site())
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "confirmed", D1, evidence_name="协议.pdf", evidence_data=EXE)
    assert exc.value.message == str(MSG_UPLOAD_CONTENT % {"name": "协议.pdf"}) and exc.value.detail == {"field": "file"}
    with pytest.raises(ValidationFailed) as exc:
        rec(people["township"], h, "confirmed", D1, evidence_name="协议.docx", evidence_data=PDF)
    assert exc.value.code == "upload_type"
    assert not Relocation.objects.exists() and not list(media.rglob("*.*"))
    row = rec(people["township"], h, "confirmed", D1, evidence_name="确认书.pdf", evidence_data=PDF)
    assert row.evidence_name == "确认书.pdf" and row.evidence_sha256 == hashlib.sha256(PDF).hexdigest()
    stored = media / row.evidence_path
    assert stored.read_bytes() == PDF and row.evidence_path.startswith("relocation/steps/")
    photo = rec(people["township"], h, "agreement", D2, evidence_name="现场.PNG", evidence_data=PNG)
    assert (media / photo.evidence_path).read_bytes() == PNG

    step = sel.access_step(people["leader"], row.pk)
    assert Path(svc.evidence_open(actor=people["leader"], step=step)).read_bytes() == PDF
    event = AuditEvent.objects.get(action="relocation.step.evidence_downloaded")
    assert event.actor == people["leader"] and event.after["sha256"] == row.evidence_sha256
    with pytest.raises(NotFound):
        sel.access_step(people["foreign"], row.pk)


def test_a_failed_step_leaves_no_file_behind(people, media):
    h = fresh(make_site())
    rec(people["township"], h, "confirmed", D3)
    with pytest.raises(ValidationFailed):
        rec(people["township"], h, "agreement", D1, evidence_name="协议.pdf", evidence_data=PDF)
    assert not list(media.rglob("*.pdf"))


# --- undo ------------------------------------------------------------------------------------------------------------

def test_undo_removes_the_last_step_with_a_reason(people, media, django_capture_on_commit_callbacks):
    site = make_site()
    h = fresh(site)
    walk(people["township"], h, Step.ALLOCATED, site=site)
    rec(people["township"], h, "moved_in", D4, evidence_name="入住.pdf", evidence_data=PDF)
    stored = media / RelocationStep.objects.get(step="moved_in").evidence_path
    with pytest.raises(ValidationFailed) as exc:
        svc.step_undo(actor=people["township"], household=h, reason="  ")
    assert exc.value.message == str(svc.MSG_REASON_REQUIRED) and exc.value.detail == {"field": "reason"}
    with django_capture_on_commit_callbacks(execute=True):
        r = svc.step_undo(actor=people["township"], household=h, reason="入住日期录错")
    assert (r.step, r.moved_in_on, r.house_number) == ("allocated", None, "3-2-501")
    assert not stored.exists()
    event = AuditEvent.objects.get(action="relocation.step.undone")
    assert event.message == "入住日期录错" and event.before["removed"]["step"] == "moved_in" and event.after["step"] == "allocated"
    r = svc.step_undo(actor=people["township"], household=h, reason="房号录错")
    assert (r.step, r.allocated_on, r.house_number, r.house_area) == ("agreement", None, "", None)
    rec(people["township"], h, "allocated", D3, house_number="3-2-502", house_area="70")
    assert Relocation.objects.get(household=h).house_number == "3-2-502"
    for _ in range(3):
        svc.step_undo(actor=people["township"], household=h, reason="重新确认")
    assert not Relocation.objects.filter(household=h).exists() and not RelocationStep.objects.exists()
    with pytest.raises(Conflict):
        svc.step_undo(actor=people["township"], household=h, reason="再撤销")
    assert AuditEvent.objects.filter(action="relocation.step.undone").count() == 5


# --- scope and permission --------------------------------------------------------------------------------------------

def test_writes_need_the_entry_scope_and_the_permission(people):
    h = fresh(make_site())
    for who, error in (("leader", PermissionDenied), ("auditor", PermissionDenied), ("other_township", NotFound), ("foreign", NotFound)):
        with pytest.raises(error):
            rec(people[who], h, "confirmed", D1)
    rec(people["city"], h, "confirmed", D1)
    with pytest.raises(NotFound):
        svc.step_undo(actor=people["foreign"], household=h, reason="x")
    assert Relocation.objects.count() == 1


# --- progress --------------------------------------------------------------------------------------------------------

def test_progress_counts_per_site_and_county(people):
    a, b = make_site(name="甲安置点", code="SA"), make_site(name="乙安置点", code="SB")
    for step in (Step.CONFIRMED, Step.ALLOCATED, Step.MOVED_IN, Step.MOVED_IN, Step.DEMOLISHED):
        make_relocated_household(site=a, step=step)
    make_relocated_household(site=a, step=None)  # not started yet
    make_relocated_household(site=b, step=Step.MOVED_IN)
    make_relocated_household(site=None, step=Step.AGREEMENT, village="429922100200")  # another county, no site
    make_relocated_household(site=b, step=Step.MOVED_IN, village=OTHER_VILLAGE)  # another city
    p = sel.step_progress(actor=people["city"])
    rows = {(r.county_code[:6], r.site_code): r for r in p.rows}
    assert set(rows) == {("429921", "SA"), ("429921", "SB"), ("429922", "")}
    ra = rows[("429921", "SA")]
    assert (ra.households, ra.not_started, ra.moved_in, ra.demolished) == (6, 1, 3, 1)
    assert ra.steps == {"confirmed": 1, "agreement": 0, "allocated": 1, "moved_in": 2, "demolished": 1}
    assert ra.moved_in_rate == pytest.approx(0.5) and ra.moved_in_pct == "50.0%" and ra.demolished_pct == "16.7%"
    assert rows[("429922", "")].site_name == "未安置到点"
    county = {c.county_code[:6]: c for c in p.counties}
    assert (county["429921"].households, county["429921"].moved_in) == (7, 4)
    assert (p.total.households, p.total.moved_in, p.total.demolished) == (8, 4, 1)
    township = sel.step_progress(actor=people["township"])
    assert township.total.households == 7
    assert sel.step_progress(actor=people["city"], scope="429922").total.households == 1
    assert sel.step_progress(actor=people["city"], site=b.pk).total.households == 1
    with pytest.raises(ValidationFailed) as exc:
        sel.step_progress(actor=people["township"], scope="429922")
    assert exc.value.detail == {"field": "scope"}
