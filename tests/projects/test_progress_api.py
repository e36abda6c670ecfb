"""The progress API: GET/PUT a project's month, the decreasing-percent refusal, the lock, the monthly status list, unlocks
by the city only."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anju.core.models import AuditEvent
from anju.projects.models import ProgressReport, ProgressUnlock, Stage
from anju.projects.services import progress as svc
from anju.projects.services.progress import add_months, month_label

from .factories import OTHER_VILLAGE, make_allocation, make_progress, make_project
from .funds_data import LAST_YEAR, THIS_MONTH, TODAY, actors, months_ago

D = dt.timedelta
A = "/api/v1/projects/funds"


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def mtext(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def put(client, path, body):
    return client.put(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def project(people):
    p = make_project(year=LAST_YEAR, stage=Stage.APPROVED)
    make_allocation(p, 50_000_000, doc_date=months_ago(6))
    return p


def test_put_and_get_a_month(people, project, api):
    clerk = api(people["clerk"])
    path = f"{A}/projects/{project.pk}/progress/{mtext(THIS_MONTH)}"
    assert clerk.get(path).status_code == 404
    start = TODAY - D(days=3)
    r = put(clerk, path, {"physical_percent": "25.5", "investment_completed_yuan": "80000.00", "problems": "无", "actual_start": start.isoformat()})
    assert r.status_code == 200, r.content
    out = r.json()
    assert (out["month"], out["physical_percent"], out["investment_completed_yuan"], out["locked"]) == (mtext(THIS_MONTH), "25.50", "80000.00", False)
    assert out["deadline"] == add_months(THIS_MONTH, 1).replace(day=5).isoformat()
    project.refresh_from_db()
    assert project.stage == Stage.IMPLEMENTING and project.actual_start == start
    assert clerk.get(path).json()["physical_percent"] == "25.50"
    make_progress(project, months_ago(2), "30")
    lower = put(clerk, path, {"physical_percent": 20, "investment_completed_yuan": "80000"})
    assert lower.status_code == 422
    assert lower.json()["message"] == str(svc.MSG_PERCENT_DOWN % {"month": month_label(months_ago(2)), "percent": "30"})
    listed = clerk.get(f"{A}/projects/{project.pk}/progress").json()
    assert [x["month"] for x in listed] == [mtext(THIS_MONTH), mtext(months_ago(2))] and listed[1]["locked"] is True

    locked = put(clerk, f"{A}/projects/{project.pk}/progress/{mtext(months_ago(2))}", {"physical_percent": 10, "investment_completed_yuan": "0"})
    assert locked.status_code == 422 and locked.json()["code"] == "month_locked"
    assert put(api(people["finance"]), path, {"physical_percent": 30, "investment_completed_yuan": "0"}).status_code == 403
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    assert put(clerk, f"{A}/projects/{foreign.pk}/progress/{mtext(THIS_MONTH)}", {"physical_percent": 1, "investment_completed_yuan": "0"}).status_code == 404


def test_monthly_status_and_unlock(people, project, api):
    month = months_ago(2)
    clerk, city = api(people["clerk"]), api(people["city"])
    status = clerk.get(f"{A}/progress/monthly?month={mtext(month)}").json()
    assert status["count"] == 1
    row = status["items"][0]
    assert (row["project_code"], row["state"], row["lock"], row["county_code"]) == (project.code, "missing", "locked", "429921")
    assert row["deadline"] == add_months(month, 1).replace(day=5).isoformat()

    body = {"county": "429921", "month": mtext(month), "until": (TODAY + D(days=2)).isoformat(), "reason": "补报"}
    refused = clerk.post(f"{A}/progress/unlocks", data=json.dumps(body), content_type="application/json")
    assert refused.status_code == 403 and not ProgressUnlock.objects.exists()
    assert city.post(f"{A}/progress/unlocks", data=json.dumps({**body, "county": "429821"}), content_type="application/json").status_code == 404
    made = city.post(f"{A}/progress/unlocks", data=json.dumps(body), content_type="application/json")
    assert made.status_code == 201 and made.json()["county_name"] == "白云县" and made.json()["by"] == "f_city"
    assert AuditEvent.objects.filter(action="projects.progress.unlocked").count() == 1
    assert [u["month"] for u in clerk.get(f"{A}/progress/unlocks").json()["items"]] == [mtext(month)]

    r = put(clerk, f"{A}/projects/{project.pk}/progress/{mtext(month)}", {"physical_percent": 10, "investment_completed_yuan": "0"})
    assert r.status_code == 200 and ProgressReport.objects.filter(month=month).exists()
    row = clerk.get(f"{A}/progress/monthly?month={mtext(month)}&state=reported").json()["items"][0]
    assert (row["state"], row["lock"], row["last_percent"]) == ("reported", "unlocked", "10.00")
    assert clerk.get(f"{A}/progress/monthly?month={mtext(month)}&state=missing").json()["count"] == 0
