"""Plan pages: list, form, the target grid in 万元 or 元, assigning projects, publish/close, and the execution report page
with its Excel download read back."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.projects.models import Plan, PlanTarget, Project, Stage
from anju.projects.services import plans as svc

from .applications_data import actors
from .factories import make_allocation, make_project

P = "/projects/planning/plans"


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def plan(people):
    return svc.plan_create(actor=people["city"], name="十五五规划", start_year=2026, end_year=2030, division_code="4299")


def test_list_and_create(tree, people, login):
    client = login(people["city"])
    page = client.get(P + "/new/").content.decode()
    assert 'value="4299"' in page and 'value="429921"' in page and "编制区划" in page
    response = client.post(P + "/new/", {"name": "十四五规划", "start_year": "2021", "end_year": "2025", "division_code": "4299", "note": ""})
    p = Plan.objects.get(name="十四五规划")
    assert response.status_code == 302 and response.url == f"{P}/{p.pk}/"
    bad = client.post(P + "/new/", {"name": "坏", "start_year": "2030", "end_year": "2026", "division_code": "4299"})
    assert bad.status_code == 200 and str(svc.MSG_YEARS) in bad.content.decode()
    dup = client.post(P + "/new/", {"name": "重复", "start_year": "2021", "end_year": "2025", "division_code": "4299"})
    assert str(svc.MSG_PLAN_EXISTS % {"year": 2021}) in dup.content.decode()
    listing = client.get(P + "/").content.decode()
    assert "十四五规划" in listing and "2021—2025" in listing and "新建规划" in listing
    assert "新建规划" not in login(people["clerk"]).get(P + "/").content.decode()
    assert login(people["clerk"]).get(P + "/new/").status_code == 403
    assert client.get(P + "/?state=zzz&q=%00").status_code == 200


def test_target_grid_in_wan_and_yuan(tree, people, login, plan):
    client = login(people["city"])
    page = client.get(f"{P}/{plan.pk}/targets/").content.decode()
    assert "白云县" in page and "基础设施" in page and 'name="i__429921__infrastructure"' in page
    response = client.post(f"{P}/{plan.pk}/targets/", {"unit": "wan", "p__429921__infrastructure": "4", "i__429921__infrastructure": "200.5",
                                                        "p__429922__industry": "1", "i__429922__industry": "0.000001"})
    assert response.status_code == 302
    assert sorted(PlanTarget.objects.values_list("division_code", "category", "projects", "investment")) == [
        ("429921000000", "infrastructure", 4, 200_500_000), ("429922000000", "industry", 1, 1)]
    shown = client.get(f"{P}/{plan.pk}/targets/").content.decode()
    assert 'value="200.5"' in shown and 'value="0.000001"' in shown
    response = client.post(f"{P}/{plan.pk}/targets/", {"unit": "yuan", "p__429921__infrastructure": "4", "i__429921__infrastructure": "2005000.01"})
    assert response.status_code == 302 and PlanTarget.objects.get().investment == 200_500_001
    bad = client.post(f"{P}/{plan.pk}/targets/", {"unit": "yuan", "p__429921__infrastructure": "4", "i__429921__infrastructure": "1.001",
                                                  "p__429922__ecology": "-1"})
    html = bad.content.decode()
    assert bad.status_code == 200 and "精确不到分" in html and PlanTarget.objects.get().investment == 200_500_001
    detail = client.get(f"{P}/{plan.pk}/").content.decode()
    assert "4 / 200.50" in detail  # projects / 万元


def test_assign_remove_publish_close(tree, people, login, plan):
    client = login(people["city"])
    candidate = make_project(year=2027, code="XM-WEB-1", name="茶坝村产业路")
    make_project(year=2031, code="XM-WEB-LATE")
    page = client.get(f"{P}/{plan.pk}/projects/").content.decode()
    assert "XM-WEB-1" in page and "XM-WEB-LATE" not in page
    assert "XM-WEB-1" not in client.get(f"{P}/{plan.pk}/projects/?q=nothing").content.decode()
    response = client.post(f"{P}/{plan.pk}/projects/", {"project": [candidate.pk]})
    assert response.status_code == 302 and Project.objects.get(pk=candidate.pk).plan == plan
    detail = client.get(f"{P}/{plan.pk}/").content.decode()
    assert "茶坝村产业路" in detail and "移出" in detail
    client.post(f"{P}/{plan.pk}/projects/{candidate.pk}/remove/")
    assert Project.objects.get(pk=candidate.pk).plan is None
    empty = client.post(f"{P}/{plan.pk}/projects/", {})
    assert empty.status_code == 200 and str(svc.MSG_ASSIGN_NONE) in empty.content.decode()
    client.post(f"{P}/{plan.pk}/close/")  # not yet published: a message, nothing changes
    assert Plan.objects.get(pk=plan.pk).state == Plan.State.DRAFT
    assert str(svc.MSG_CLOSE_STATE) in client.get(f"{P}/{plan.pk}/").content.decode()
    client.post(f"{P}/{plan.pk}/publish/")
    client.post(f"{P}/{plan.pk}/close/")
    assert Plan.objects.get(pk=plan.pk).state == Plan.State.CLOSED
    closed = client.get(f"{P}/{plan.pk}/").content.decode()
    assert "设定目标" not in closed and "纳入项目</a>" not in closed
    assert client.get(f"{P}/{plan.pk}/edit/").status_code == 200  # the form shows; saving is refused
    refused = client.post(f"{P}/{plan.pk}/edit/", {"name": "改", "start_year": "2026", "end_year": "2030", "division_code": "4299"})
    assert str(svc.MSG_PLAN_CLOSED) in refused.content.decode()
    assert login(people["leader"]).post(f"{P}/{plan.pk}/publish/").status_code == 403
    draft = svc.plan_create(actor=people["city"], name="十四五", start_year=2021, end_year=2025, division_code="429921")
    response = client.post(f"{P}/{draft.pk}/delete/")
    assert response.url == P + "/" and not Plan.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="projects.plan.deleted").exists()


def test_report_page_and_download(tree, people, login, plan):
    svc.plan_targets_set(actor=people["city"], plan=plan, rows=[
        {"county": "429921", "category": "infrastructure", "projects": 2, "investment": 100_000_000}])
    p = make_project(year=2026, plan=plan, stage=Stage.IMPLEMENTING)
    make_allocation(p, 25_000_000, doc_date=dt.date(2026, 4, 1))
    client = login(people["clerk"])
    assert client.get(f"{P}/{plan.pk}/report/").status_code == 404  # the city's draft
    svc.plan_publish(actor=people["city"], plan=plan)
    page = client.get(f"{P}/{plan.pk}/report/?as_of=2026-06-30").content.decode()
    assert "白云县" in page and "50.0%" in page and "25.0%" in page and "25.00" in page
    assert client.get(f"{P}/{plan.pk}/report/?as_of=bad").status_code == 200
    response = client.get(f"{P}/{plan.pk}/report/export/?as_of=2026-06-30")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("按县和类别").to_python()
    assert rows[3] == ["白云县", "基础设施", 2, 1, 0.5, 1_000_000.0, 250_000.0, 0.25]
    early = client.get(f"{P}/{plan.pk}/report/export/?as_of=2026-03-31")
    assert CalamineWorkbook.from_filelike(io.BytesIO(early.content)).get_sheet_by_name("按县和类别").to_python()[3][6] == 0.0
    assert login(people["county_reviewer"]).get(f"{P}/{plan.pk}/report/").status_code == 200
