"""`anju projects plan list|report`, `anju projects guideline list|show|publish`, `anju projects application
list|check|submit|start-review|score|approve|return|reject`, with --as and --json."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.models import AuditEvent
from anju.projects.models import Application, Guideline, Stage
from anju.projects.services import applications as svc
from anju.projects.services import plans as plan_svc
from anju.projects.services.applications_guidelines import guideline_create

from .applications_data import actors, application_at, published_guideline, reserve_project
from .factories import make_allocation, make_project

S = Application.State


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def people(make_user):
    return actors(make_user)


def test_guideline_list_show_publish(tree, people):
    g = guideline_create(actor=people["city"], year=2027, title="2027年度指南", division_code="4299", min_investment=10_000_000,
                         max_investment=100_000_000)
    result = invoke("projects", "guideline", "list", "--as", "a_city", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["id"], out["state"], out["min_investment"], out["max_investment"]) == (g.pk, "draft", "100000.00", "1000000.00")
    assert invoke("projects", "guideline", "list", "--as", "a_clerk").stdout == ""  # a city draft
    refused = invoke("projects", "guideline", "publish", str(g.pk), "--as", "a_clerk")
    assert refused.exit_code == 2 and "错误" in refused.output
    result = invoke("projects", "guideline", "publish", str(g.pk), "--as", "a_city")
    assert result.exit_code == 0 and "已发布" in result.output and "10 至 100 万元" in result.output
    assert Guideline.objects.get().state == Guideline.State.PUBLISHED
    again = invoke("projects", "guideline", "publish", str(g.pk), "--as", "a_city")
    assert again.exit_code == 2 and "只有草稿可以发布" in again.output
    shown = json.loads(invoke("projects", "guideline", "show", str(g.pk), "--as", "a_clerk", "--json").stdout)
    assert shown["state"] == "published" and shown["applications"] == 0
    assert invoke("projects", "guideline", "show", "999999", "--as", "a_city").exit_code == 2
    assert invoke("projects", "guideline", "list", "--as", "nobody").exit_code == 2


def test_application_check_submit_review_score_approve(tree, people):
    published_guideline(people["city"])
    a = application_at(S.DRAFT, people, project=reserve_project(code="XM-CLI", beneficiaries=10))
    result = invoke("projects", "application", "check", str(a.pk), "--as", "a_clerk")
    assert result.exit_code == 1 and "✗ 受益移民人数达到指南要求" in result.output and "1 项不符合" in result.output
    checks = json.loads(invoke("projects", "application", "check", str(a.pk), "--as", "a_clerk", "--json").stdout)
    assert [c["code"] for c in checks if not c["ok"]] == ["beneficiaries"]
    refused = invoke("projects", "application", "submit", str(a.pk), "--as", "a_clerk")
    assert refused.exit_code == 2 and "对照申报指南尚有 1 项不符合" in refused.output and "beneficiaries" in refused.output
    a.project.beneficiaries = 60
    a.project.save()
    assert invoke("projects", "application", "check", str(a.pk), "--as", "a_clerk").exit_code == 0
    result = invoke("projects", "application", "submit", str(a.pk), "--as", "a_clerk", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "submitted"
    assert invoke("projects", "application", "start-review", str(a.pk), "--as", "a_clerk").exit_code == 2
    assert invoke("projects", "application", "start-review", str(a.pk), "--as", "a_city").exit_code == 0
    out = json.loads(invoke("projects", "application", "score", str(a.pk), "--score", "80", "--comment", "可行", "--as", "a_city", "--json").stdout)
    assert (out["score"], out["rank"]) == ("80.00", 1)
    refused = invoke("projects", "application", "approve", str(a.pk), "--as", "a_city")
    assert refused.exit_code == 2 and "至少需要 2 位评审人评分" in refused.output
    bad = invoke("projects", "application", "score", str(a.pk), "--score", "abc", "--as", "a_city2")
    assert bad.exit_code == 2 and str(svc.MSG_SCORE_RANGE) in bad.output
    invoke("projects", "application", "score", str(a.pk), "--score", "91", "--as", "a_city2")
    result = invoke("projects", "application", "approve", str(a.pk), "--as", "a_city2")
    assert result.exit_code == 0 and "已批准" in result.output and "85.50" in result.output
    a.refresh_from_db()
    assert a.project.stage == Stage.APPROVED
    assert AuditEvent.objects.filter(object_type="application", object_id=str(a.pk), channel="cli").count() == 6
    listed = [json.loads(line) for line in invoke("projects", "application", "list", "--as", "a_clerk", "--json").stdout.splitlines()]
    assert [(x["project"], x["state"], x["requested"]) for x in listed] == [("XM-CLI", "approved", "400000.00")]
    assert invoke("projects", "application", "list", "--state", "draft", "--as", "a_city").stdout == ""


def test_return_and_reject(tree, people):
    published_guideline(people["city"])
    a = application_at(S.REVIEWING, people)
    missing = invoke("projects", "application", "return", str(a.pk), "--as", "a_city")
    assert missing.exit_code == 2  # --reason is required
    result = invoke("projects", "application", "return", str(a.pk), "--reason", "补充材料", "--as", "a_city", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["reason"] == "补充材料"
    b = application_at(S.SUBMITTED, people)
    assert invoke("projects", "application", "reject", str(b.pk), "--reason", "不入选", "--as", "a_city").exit_code == 0
    assert Application.objects.get(pk=b.pk).state == S.REJECTED


def test_plan_list_and_report(tree, people, tmp_path):
    plan = plan_svc.plan_create(actor=people["city"], name="十五五规划", start_year=2026, end_year=2030, division_code="4299")
    plan_svc.plan_targets_set(actor=people["city"], plan=plan, rows=[
        {"county": "429921", "category": "infrastructure", "projects": 2, "investment": 100_000_000}])
    project = make_project(year=2026, plan=plan, stage=Stage.APPROVED)
    make_allocation(project, 40_000_000, doc_date=dt.date(2026, 5, 1))
    out = json.loads(invoke("projects", "plan", "list", "--as", "a_city", "--json").stdout)
    assert (out["id"], out["target_projects"], out["target_investment"], out["projects"]) == (plan.pk, 2, "1000000.00", 1)
    path = tmp_path / "plan.xlsx"
    result = invoke("projects", "plan", "report", "--plan", str(plan.pk), "--as-of", "2026-06-30", "--as", "a_city", "--out", str(path))
    assert result.exit_code == 0, result.output
    assert "合计：已立项 1 / 目标 2 个；已下达 40.00 / 目标 100.00 万元" in result.output
    rows = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())).get_sheet_by_name("按县和类别").to_python()
    assert rows[3] == ["白云县", "基础设施", 2, 1, 0.5, 1_000_000.0, 400_000.0, 0.4]
    data = json.loads(invoke("projects", "plan", "report", "--plan", str(plan.pk), "--as", "a_city", "--json").stdout)
    assert data["total"]["investment"] == 40_000_000 and data["total"]["project_rate"] == "0.5000" and data["path"] is None
    hidden = invoke("projects", "plan", "report", "--plan", str(plan.pk), "--as", "a_clerk")
    assert hidden.exit_code == 2  # the city's draft is not the county's to read
