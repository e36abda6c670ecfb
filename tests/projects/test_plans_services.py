"""Five-year plans: drafting in scope, editing, publishing and closing, the target grid, projects assigned within the plan
years, and the execution report (targets against achieved) with its workbook read back."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Plan, PlanTarget, Project, Stage
from anju.projects.reports_applications import plan_execution_xlsx
from anju.projects.selectors_plans import access_plan, plan_execution, plan_list, plan_target_grid
from anju.projects.services import plans as svc

from .applications_data import OTHER_VILLAGE, actors
from .factories import make_allocation, make_project

COUNTY2 = "429922000000"  # 青山县, another county of the demo city


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user, foreign=True)


def plan(people, **kw):
    data = {"name": "“十五五”移民后期扶持规划", "start_year": 2026, "end_year": 2030, "division_code": "4299"}
    data.update(kw)
    return svc.plan_create(actor=people["city"], **data)


def test_create_in_scope_at_city_or_county_level(tree, people):
    p = plan(people, note="全市规划")
    assert (p.division_code, p.state, p.created_by) == ("429900000000", Plan.State.DRAFT, people["city"])
    assert AuditEvent.objects.get(action="projects.plan.created").after["name"] == "“十五五”移民后期扶持规划"
    county = plan(people, name="白云县十五五规划", division_code="429921")
    assert county.division_code == "429921000000"
    with pytest.raises(Conflict, match=str(svc.MSG_PLAN_EXISTS % {"year": 2026})):
        plan(people, name="重复")
    for bad in ("429821", "429921101", "42", "x"):  # another city, a township, a province, junk
        with pytest.raises(ValidationFailed, match=str(svc.MSG_DIVISION)):
            plan(people, start_year=2021, end_year=2025, division_code=bad)
    for start, end in ((2030, 2026), (1999, 2003), (2021, 2031)):
        with pytest.raises(ValidationFailed, match=str(svc.MSG_YEARS)):
            plan(people, start_year=start, end_year=end)
    with pytest.raises(ValidationFailed, match=str(svc.MSG_NAME)):
        plan(people, name="  ", start_year=2021, end_year=2025)
    for who in ("clerk", "leader", "county_reviewer"):
        with pytest.raises(PermissionDenied):
            svc.plan_create(actor=people[who], name="x", start_year=2021, end_year=2025, division_code="429921")
    assert Plan.objects.count() == 2


def test_visibility_county_reads_the_published_city_plan(tree, people):
    p = plan(people)
    assert list(plan_list(actor=people["clerk"])) == []  # a city draft is the city's business
    svc.plan_publish(actor=people["admin"], plan=p)
    assert list(plan_list(actor=people["clerk"])) == [p]
    assert access_plan(people["clerk"], p.pk) == p
    with pytest.raises(NotFound):
        access_plan(people["foreign"], p.pk)
    with pytest.raises(NotFound):
        access_plan(people["clerk"], p.pk, kind="entry")
    with pytest.raises(NotFound):
        access_plan(people["clerk"], "abc")


def test_edit_publish_close_and_delete(tree, people):
    p = plan(people)
    svc.plan_update(actor=people["city"], plan=p, name="十五五规划", note="修订")
    p.refresh_from_db()
    assert (p.name, p.note) == ("十五五规划", "修订")
    event = AuditEvent.objects.get(action="projects.plan.updated")
    assert event.before == {"name": "“十五五”移民后期扶持规划", "note": ""} and event.after == {"name": "十五五规划", "note": "修订"}
    with pytest.raises(Conflict, match=str(svc.MSG_CLOSE_STATE)):
        svc.plan_close(actor=people["city"], plan=p)
    svc.plan_publish(actor=people["city"], plan=p)
    with pytest.raises(Conflict, match=str(svc.MSG_PUBLISH_STATE)):
        svc.plan_publish(actor=people["city"], plan=p)
    with pytest.raises(Conflict, match=str(svc.MSG_DELETE_STATE)):
        svc.plan_delete(actor=people["city"], plan=p)
    svc.plan_close(actor=people["admin"], plan=p)
    for change in (lambda: svc.plan_update(actor=people["city"], plan=p, name="x"),
                   lambda: svc.plan_targets_set(actor=people["city"], plan=p, rows=[]),
                   lambda: svc.plan_projects_add(actor=people["city"], plan=p, project_ids=[make_project().pk])):
        with pytest.raises(Conflict, match=str(svc.MSG_PLAN_CLOSED)):
            change()
    assert [e.action for e in AuditEvent.objects.filter(object_type="plan").order_by("id")] == [
        "projects.plan.created", "projects.plan.updated", "projects.plan.published", "projects.plan.closed"]
    draft = plan(people, start_year=2021, end_year=2025, name="十四五")
    project = make_project(year=2023, plan=draft)
    svc.plan_delete(actor=people["city"], plan=draft)
    project.refresh_from_db()
    assert project.plan is None and not Plan.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.get(action="projects.plan.deleted").before["projects"] == [project.code]


def test_years_must_keep_covering_the_projects(tree, people):
    p = plan(people)
    make_project(year=2030, plan=p, code="XM-2030")
    with pytest.raises(ValidationFailed, match="XM-2030"):
        svc.plan_update(actor=people["city"], plan=p, end_year=2029)
    svc.plan_update(actor=people["city"], plan=p, start_year=2027)
    p.refresh_from_db()
    assert (p.start_year, p.end_year) == (2027, 2030)


def test_targets_grid(tree, people):
    p = plan(people)
    rows = [{"county": "429921", "category": "infrastructure", "projects": 10, "investment": 500_000_000},
            {"county": "429921000000", "category": "industry", "projects": 4, "investment": 0},
            {"county": COUNTY2, "category": "infrastructure", "projects": "6", "investment": 300_000_000},
            {"county": COUNTY2, "category": "ecology", "projects": 0, "investment": 0}]
    svc.plan_targets_set(actor=people["city"], plan=p, rows=rows)
    assert sorted(PlanTarget.objects.values_list("division_code", "category", "projects", "investment")) == [
        ("429921000000", "industry", 4, 0), ("429921000000", "infrastructure", 10, 500_000_000),
        (COUNTY2, "infrastructure", 6, 300_000_000)]
    grid = plan_target_grid(people["city"], p)
    assert len(grid["rows"]) == 9 and grid["categories"][0] == ("infrastructure", "基础设施")
    baiyun = next(r for r in grid["rows"] if r["county"] == "429921000000")
    assert (baiyun["projects"], baiyun["investment"]) == (14, 500_000_000)
    assert [r["county"] for r in plan_target_grid(people["clerk"], p)["rows"]] == ["429921000000"]
    # replacing: what is not given goes
    svc.plan_targets_set(actor=people["city"], plan=p, rows=rows[:1])
    assert PlanTarget.objects.count() == 1
    events = AuditEvent.objects.filter(action="projects.plan.targets_set").order_by("id")
    assert events.count() == 2 and events.last().after == {"429921/industry": None, "429922/infrastructure": None}
    bad = [{"county": "429821", "category": "infrastructure", "projects": 1, "investment": 1},
           {"county": "429921", "category": "gold", "projects": -1, "investment": -5},
           {"county": "429921", "category": "infrastructure", "projects": 1, "investment": 1},
           {"county": "429921", "category": "infrastructure", "projects": 2, "investment": 1}]
    with pytest.raises(ValidationFailed) as exc:
        svc.plan_targets_set(actor=people["city"], plan=p, rows=bad)
    assert exc.value.message == str(svc.MSG_TARGETS_INVALID % {"n": 5})
    assert exc.value.detail == [
        {"row": 1, "column": "county", "message": str(svc.MSG_TARGET_COUNTY % {"code": "429821"})},
        {"row": 2, "column": "category", "message": str(svc.MSG_TARGET_CATEGORY % {"code": "gold"})},
        {"row": 2, "column": "projects", "message": str(svc.MSG_TARGET_PROJECTS)},
        {"row": 2, "column": "investment", "message": str(svc.MSG_TARGET_INVESTMENT)},
        {"row": 4, "column": "category", "message": str(svc.MSG_TARGET_DUPLICATE)}]
    assert list(PlanTarget.objects.values_list("projects", flat=True)) == [10]  # nothing written
    county_plan = plan(people, name="白云县规划", division_code="429921")
    with pytest.raises(ValidationFailed):
        svc.plan_targets_set(actor=people["city"], plan=county_plan, rows=[{**rows[2]}])  # 青山县 is outside 白云县's plan


def test_assign_projects_within_the_plan_years_and_place(tree, people):
    p = plan(people)
    inside = make_project(year=2026)
    late = make_project(year=2031, code="XM-LATE")
    no_year = make_project(year=None, code="XM-NOYEAR")
    elsewhere = make_project(year=2027, division_code=OTHER_VILLAGE)
    other_plan = plan(people, name="十四五", start_year=2021, end_year=2025)
    moved = make_project(year=2026, plan=other_plan)
    assert svc.plan_projects_add(actor=people["city"], plan=p, project_ids=[inside.pk, moved.pk]) == 2
    assert set(Project.objects.filter(plan=p).values_list("pk", flat=True)) == {inside.pk, moved.pk}
    event = AuditEvent.objects.get(action="projects.plan.projects_added")
    assert sorted(event.after["projects"]) == sorted([inside.code, moved.code]) and event.before["plans"] == {moved.code: other_plan.pk}
    with pytest.raises(ValidationFailed) as exc:
        svc.plan_projects_add(actor=people["city"], plan=p, project_ids=[late.pk, no_year.pk, inside.pk])
    assert {d["code"]: d["reason"] for d in exc.value.detail} == {
        "XM-LATE": str(svc.MSG_ASSIGN_YEAR % {"code": "XM-LATE", "year": 2031, "start": 2026, "end": 2030}),
        "XM-NOYEAR": str(svc.MSG_ASSIGN_YEAR % {"code": "XM-NOYEAR", "year": "—", "start": 2026, "end": 2030})}
    with pytest.raises(NotFound):
        svc.plan_projects_add(actor=people["city"], plan=p, project_ids=[elsewhere.pk])
    with pytest.raises(ValidationFailed, match=str(svc.MSG_ASSIGN_NONE)):
        svc.plan_projects_add(actor=people["city"], plan=p, project_ids=[])
    county_plan = plan(people, name="青山县规划", division_code="429922")
    with pytest.raises(ValidationFailed) as exc:
        svc.plan_projects_add(actor=people["city"], plan=county_plan, project_ids=[inside.pk])
    assert exc.value.detail == [{"code": inside.code, "reason": str(svc.MSG_ASSIGN_PLACE % {"code": inside.code})}]
    svc.plan_project_remove(actor=people["city"], plan=p, project=inside)
    inside.refresh_from_db()
    assert inside.plan is None
    with pytest.raises(Conflict, match=str(svc.MSG_NOT_IN_PLAN)):
        svc.plan_project_remove(actor=people["city"], plan=p, project=inside)
    with pytest.raises(PermissionDenied):
        svc.plan_projects_add(actor=people["clerk"], plan=p, project_ids=[inside.pk])


def execution_fixture(people):
    """白云县: infrastructure target 4 projects / 200 万元, industry 2 / 100 万元; 青山县: infrastructure 1 / 50 万元.
    In the plan: 白云县 infrastructure 2 approved-or-later (allocated 60 万 + 30 万, one allocation after the as-of day) and
    1 in the reserve; an industry project implementing (allocated 20 万); 青山县 nothing. A project outside the plan is
    ignored."""
    p = plan(people)
    svc.plan_targets_set(actor=people["city"], plan=p, rows=[
        {"county": "429921", "category": "infrastructure", "projects": 4, "investment": 200_000_000},
        {"county": "429921", "category": "industry", "projects": 2, "investment": 100_000_000},
        {"county": "429922", "category": "infrastructure", "projects": 1, "investment": 50_000_000}])
    a = make_project(year=2026, plan=p, stage=Stage.APPROVED)
    b = make_project(year=2027, plan=p, stage=Stage.COMPLETED)
    make_project(year=2027, plan=p, stage=Stage.RESERVE)
    c = make_project(year=2026, plan=p, stage=Stage.IMPLEMENTING, category="industry")
    make_allocation(a, 60_000_000, doc_date=dt.date(2026, 3, 1))
    make_allocation(b, 30_000_000, doc_date=dt.date(2026, 4, 1))
    make_allocation(b, 5_000_000, doc_date=dt.date(2026, 10, 1), doc_number="清移发〔2026〕99号")
    make_allocation(c, 20_000_000, doc_date=dt.date(2026, 5, 1))
    outside = make_project(year=2026, stage=Stage.APPROVED)
    make_allocation(outside, 99_000_000)
    return p


def test_execution_report_by_county_and_category(tree, people):
    p = execution_fixture(people)
    report = plan_execution(actor=people["city"], plan=p, as_of=dt.date(2026, 9, 30))
    rows = {(r.county, r.category): r for r in report.rows}
    infra = rows[("429921000000", "infrastructure")]
    assert (infra.target_projects, infra.projects, infra.target_investment, infra.investment) == (4, 2, 200_000_000, 90_000_000)
    assert (infra.project_rate, infra.investment_rate) == (Decimal("0.5000"), Decimal("0.4500"))
    industry = rows[("429921000000", "industry")]
    assert (industry.projects, industry.investment, industry.project_rate, industry.investment_rate) == (1, 20_000_000, Decimal("0.5"), Decimal("0.2"))
    qingshan = rows[("429922000000", "infrastructure")]
    assert (qingshan.projects, qingshan.investment, qingshan.project_rate) == (0, 0, Decimal("0"))
    assert [b.county_name for b in report.counties] == ["白云县", "青山县"]
    baiyun = report.counties[0].total
    assert (baiyun.target_projects, baiyun.projects, baiyun.target_investment, baiyun.investment) == (6, 3, 300_000_000, 110_000_000)
    t = report.total
    assert (t.target_projects, t.projects, t.target_investment, t.investment) == (7, 3, 350_000_000, 110_000_000)
    assert [(r.category, r.target_projects, r.projects) for r in report.by_category] == [("infrastructure", 5, 2), ("industry", 2, 1)]
    later = plan_execution(actor=people["city"], plan=p, as_of=dt.date(2026, 10, 1))
    assert later.total.investment == 115_000_000
    county_view = plan_execution(actor=people["clerk"], plan=p, as_of=dt.date(2026, 9, 30))
    assert [b.county for b in county_view.counties] == ["429921000000"] and county_view.total.target_projects == 6


def test_achieved_without_a_target_has_no_rate(tree, people):
    p = plan(people)
    make_project(year=2026, plan=p, stage=Stage.APPROVED, category="ecology")
    row = plan_execution(actor=people["city"], plan=p).rows[0]
    assert (row.category_name, row.projects, row.target_projects, row.project_rate) == ("生态环境", 1, 0, None)


def test_execution_workbook_reads_back(tree, people):
    p = execution_fixture(people)
    data = plan_execution_xlsx(plan_execution(actor=people["city"], plan=p, as_of=dt.date(2026, 9, 30)))
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == ["按县和类别", "按类别"]
    rows = book.get_sheet_by_name("按县和类别").to_python()
    assert rows[0][0] == "“十五五”移民后期扶持规划（2026—2030年）执行情况"
    assert "统计截至：2026-09-30" in rows[1][0]
    assert rows[2] == ["县（市、区）", "项目类别", "目标项目数", "已立项项目数", "项目完成率", "目标投资（元）", "已下达资金（元）", "投资完成率"]
    assert rows[3] == ["白云县", "基础设施", 4, 2, 0.5, 2_000_000.0, 900_000.0, 0.45]
    assert rows[4] == ["白云县", "产业发展", 2, 1, 0.5, 1_000_000.0, 200_000.0, 0.2]
    assert rows[5] == ["白云县", "小计", 6, 3, 0.5, 3_000_000.0, 1_100_000.0, pytest.approx(0.3667)]
    assert rows[6][:4] == ["青山县", "基础设施", 1, 0] and rows[-1][:4] == ["合计", "", 7, 3]
    assert rows[-1][5:7] == [3_500_000.0, 1_100_000.0]
    by_category = book.get_sheet_by_name("按类别").to_python()
    assert by_category[3][1:4] == ["基础设施", 5, 2] and by_category[-1][1] == "合计"
