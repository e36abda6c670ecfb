"""The progress pages: a project's monthly table and report form, the county's monthly reporting status with deadline
and lock, and the city's unlock page (dates relative to today)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.models import AuditEvent
from anju.projects.models import ProgressReport, ProgressUnlock, Stage
from anju.projects.services import progress as svc
from anju.projects.services.progress import add_months, month_label

from .factories import OTHER_VILLAGE, make_allocation, make_progress, make_project
from .funds_data import LAST_YEAR, THIS_MONTH, TODAY, actors, months_ago

D = dt.timedelta


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"projects_funds:{name}", args=args)


def mtext(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


@pytest.fixture
def project(people):
    p = make_project(year=LAST_YEAR, stage=Stage.APPROVED, name="白云村饮水工程")
    make_allocation(p, 50_000_000, doc_date=months_ago(6))
    return p


def test_report_form_moves_stage_and_shows_the_table(people, project, login):
    web = login(people["clerk"])
    page = web.get(url("progress", project.pk))
    assert page.status_code == 200 and "填报月度进度" in page.content.decode()
    start = TODAY - D(days=10)
    response = web.post(url("progress_report", project.pk), {"month": mtext(THIS_MONTH), "physical_percent": "30", "investment_completed": "12.5",
                                                             "unit": "wan", "problems": "雨季影响", "actual_start": start.isoformat()})
    assert response.status_code == 302 and response.url == url("progress", project.pk)
    r = ProgressReport.objects.get(project=project)
    assert (r.month, r.physical_percent, r.investment_completed) == (THIS_MONTH, Decimal("30.00"), 12_500_000)
    project.refresh_from_db()
    assert (project.stage, project.actual_start) == (Stage.IMPLEMENTING, start)
    body = web.get(url("progress", project.pk)).content.decode()
    assert mtext(THIS_MONTH) in body and "12.50" in body and "雨季影响" in body and "<svg" in body

    make_progress(project, months_ago(1), "31")  # last month's report (now locked) says 31%
    lower = web.post(url("progress_report", project.pk), {"month": mtext(THIS_MONTH), "physical_percent": "20", "investment_completed": "0",
                                                          "unit": "yuan"})
    assert lower.status_code == 200 and "不能低于" in lower.content.decode()
    assert ProgressReport.objects.get(project=project, month=THIS_MONTH).physical_percent == Decimal("30.00")
    corrected = web.post(url("progress_report", project.pk), {"month": mtext(THIS_MONTH), "physical_percent": "32.5",
                                                              "investment_completed": "125000", "unit": "yuan"})
    assert corrected.status_code == 302 and ProgressReport.objects.get(project=project, month=THIS_MONTH).physical_percent == Decimal("32.50")


def test_locked_month_is_refused_with_the_deadline(people, project, login):
    month = months_ago(2)
    deadline = add_months(month, 1).replace(day=5)
    web = login(people["clerk"])
    response = web.post(url("progress_report", project.pk), {"month": mtext(month), "physical_percent": "10", "investment_completed": "0",
                                                             "unit": "yuan"})
    assert response.status_code == 200
    assert str(svc.MSG_LOCKED % {"month": month_label(month), "deadline": deadline.isoformat()}) in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_monthly_status_page(people, project, login):
    month = months_ago(2)  # its deadline (day 5 of last month) has passed: locked
    reported = make_project(year=LAST_YEAR, stage=Stage.IMPLEMENTING, name="已报项目")
    make_allocation(reported, 1_000, doc_date=months_ago(5))
    make_progress(reported, months_ago(3), "40")
    make_progress(reported, month, "55")
    late = make_project(year=LAST_YEAR, stage=Stage.APPROVED, name="新下达项目")
    make_allocation(late, 1_000, doc_date=TODAY)  # may report from last month on: not due for `month`
    make_project(year=LAST_YEAR, stage=Stage.REVIEWING, name="评审中项目")
    make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE, stage=Stage.APPROVED, name="外县项目")
    web = login(people["city"])
    page = web.get(url("monthly") + f"?month={mtext(month)}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "已报项目" in body and "白云村饮水工程" in body and "新下达项目" in body
    assert "评审中项目" not in body and "外县项目" not in body
    counts = page.context["counts"]
    assert (counts["reported"], counts["missing"], counts["not_due"]) == (1, 1, 1)
    rows = {r.project.name: r for r in page.context["page"]}
    assert rows["已报项目"].last_percent == Decimal("55.00") and rows["白云村饮水工程"].state == "missing"
    deadline = add_months(month, 1).replace(day=5)
    assert rows["白云村饮水工程"].deadline == deadline
    assert rows["白云村饮水工程"].lock == "locked" and rows["新下达项目"].state == "not_due"
    missing = web.get(url("monthly") + f"?month={mtext(month)}&state=missing").context["page"]
    assert [r.project.name for r in missing] == ["白云村饮水工程"]
    assert "?month=" in body and url("progress", project.pk) in body


def test_unlock_page_city_only(people, project, login):
    month = months_ago(2)
    until = TODAY + D(days=5)
    county = login(people["clerk"])
    assert county.get(url("unlocks")).status_code == 200
    assert county.post(url("unlock_create"), {"county": "429921", "month": mtext(month), "until": until.isoformat(), "reason": "补报"}).status_code == 403
    assert login(people["leader"]).post(url("unlock_create"), {}).status_code == 403
    city = login(people["city"])
    page = city.get(url("unlocks")).content.decode()
    assert "白云县（429921）" in page
    response = city.post(url("unlock_create"), {"county": "429921", "month": mtext(month), "until": until.isoformat(), "reason": "系统故障补报"})
    assert response.status_code == 302
    unlock = ProgressUnlock.objects.get()
    assert (unlock.division_code, unlock.month, unlock.until) == ("429921000000", month, until)
    assert AuditEvent.objects.filter(action="projects.progress.unlocked").count() == 1
    assert "系统故障补报" in city.get(url("unlocks")).content.decode()
    bad = city.post(url("unlock_create"), {"county": "429921", "month": mtext(month), "until": (TODAY - D(days=1)).isoformat(), "reason": "x"})
    assert bad.status_code == 200 and str(svc.MSG_UNLOCK_UNTIL) in bad.content.decode()
    # now the clerk may report the locked month
    clerk = login(people["clerk"])
    response = clerk.post(url("progress_report", project.pk), {"month": mtext(month), "physical_percent": "10", "investment_completed": "0",
                                                               "unit": "yuan"})
    assert response.status_code == 302 and ProgressReport.objects.filter(project=project, month=month).exists()
    status = clerk.get(url("monthly") + f"?month={mtext(month)}").context["page"]
    assert [(r.state, r.lock) for r in status] == [("reported", "unlocked")]
