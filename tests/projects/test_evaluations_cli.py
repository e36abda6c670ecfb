"""`anju projects evaluation list|start|show|score|submit|review|send-back|report`."""

from __future__ import annotations

import contextvars
import io
import json

import docx
import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent
from anju.projects.models import Evaluation, Project, Stage
from anju.projects.services import evaluations as svc

from .evaluations_data import YEAR, actors, reviewed, scores_totalling
from .factories import make_allocation, make_payment, make_project


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, ["projects", "evaluation", *args])


def test_a_whole_evaluation_from_the_command_line(people, tmp_path):
    project = make_project(stage=Stage.AUDITED, name="己村产业路")
    make_allocation(project, 10_000_000)
    make_payment(project, 6_000_000)
    result = invoke("start", "--project", project.code, "--year", str(YEAR), "--as", "ev_clerk", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    eid = str(out["id"])
    assert (out["state"], out["suggestion"], out["payment_rate"]) == ("draft", {"budget_execution": "3.00"}, "0.6000")
    again = invoke("start", "--project", project.code, "--year", str(YEAR), "--as", "ev_clerk")
    assert again.exit_code == 2 and str(svc.MSG_EXISTS % {"year": YEAR}) in again.output

    over = invoke("score", eid, "--score", "output_quantity=15.01", "--as", "ev_clerk")
    assert over.exit_code == 2 and str(svc.MSG_SCORE_RANGE % {"name": "产出数量", "weight": 15}) in over.output
    negative = invoke("score", eid, "--score", "outcome_social=-1", "--as", "ev_clerk")
    assert negative.exit_code == 2 and str(svc.MSG_SCORE_RANGE % {"name": "社会效益", "weight": 10}) in negative.output
    malformed = invoke("score", eid, "--score", "output_quantity", "--as", "ev_clerk")
    assert malformed.exit_code == 2

    scores = scores_totalling("90")
    del scores["budget_execution"]
    first = dict(list(scores.items())[:4])
    path = tmp_path / "scores.json"
    path.write_text(json.dumps({k: float(v) if "." in v else int(v) for k, v in list(scores.items())[4:]}), encoding="utf-8")
    result = invoke("score", eid, *[a for k, v in first.items() for a in ("--score", f"{k}={v}")], "--as", "ev_clerk")
    assert result.exit_code == 0, result.output
    incomplete = invoke("submit", eid, "--as", "ev_clerk")
    assert incomplete.exit_code == 2 and "以下指标尚未评分" in incomplete.output
    result = invoke("score", eid, "--scores-json", str(path), "--accept-suggestion", "--comment", "自评", "--as", "ev_clerk", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["self_scores"]["budget_execution"] == "3.00" and out["self_comment"] == "自评" and len(out["self_scores"]) == 11
    result = invoke("submit", eid, "--as", "ev_clerk", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["self_total"] == "88.00"  # 90 less 2 of budget_execution

    own = invoke("review", eid, "--as", "ev_clerk")
    assert own.exit_code == 2 and "无权" in own.output
    result = invoke("send-back", eid, "--reason", "请补充佐证", "--as", "ev_city", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["state"] == "draft"
    assert invoke("submit", eid, "--as", "ev_clerk2").exit_code == 0
    result = invoke("review", eid, "--score", "outcome_economic=5", "--comment", "核减经济效益", "--as", "ev_city", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["state"], out["review_total"], out["grade"], out["reviewed_by"]) == ("reviewed", "83.00", "good", "ev_city")
    assert Project.objects.get(pk=project.pk).stage == Stage.EVALUATED

    result = invoke("list", "--year", str(YEAR), "--as", "ev_leader", "--json")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [int(eid)]
    text = invoke("show", eid, "--as", "ev_leader")
    assert text.exit_code == 0 and "复核总分 83.00，等级 良" in text.output

    out_file = tmp_path / "report.docx"
    result = invoke("report", "--project", project.code, "--as", "ev_leader", "--out", str(out_file), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "己村产业路项目绩效评价报告"
    d = docx.Document(io.BytesIO(out_file.read_bytes()))
    assert d.paragraphs[0].text == "己村产业路项目绩效评价报告"
    assert [c.text for c in d.tables[1].rows[-1].cells][-2:] == ["88.00", "83.00"]
    summary = tmp_path / "summary.docx"
    result = invoke("report", "--scope", "429921", "--year", str(YEAR), "--as", "ev_city", "--out", str(summary))
    assert result.exit_code == 0, result.output
    assert docx.Document(str(summary)).paragraphs[0].text == "白云县2025年度扶持项目绩效评价情况汇总报告"
    assert AuditEvent.objects.filter(action="projects.evaluation.report_downloaded").count() == 1
    assert AuditEvent.objects.filter(action="projects.evaluation.summary_downloaded").count() == 1
    assert AuditEvent.objects.filter(action="projects.evaluation.started", channel="cli").exists()


def test_cli_scope_and_arguments(people, tmp_path):
    e = reviewed(people, "90")
    assert invoke("show", str(e.pk), "--as", "ev_foreign").exit_code == 2
    assert "不存在" in invoke("score", str(e.pk), "--score", "output_cost=1", "--as", "ev_foreign").output
    both = invoke("report", "--project", e.project.code, "--scope", "429921", "--as", "ev_city", "--out", str(tmp_path / "x.docx"))
    assert both.exit_code == 2
    no_year = invoke("report", "--scope", "429921", "--as", "ev_city", "--out", str(tmp_path / "x.docx"))
    assert no_year.exit_code == 2 and "--year" in no_year.output
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[1, 2]", encoding="utf-8")
    draft = make_project(stage=Stage.ACCEPTED)
    started = invoke("start", "--project", draft.code, "--year", str(YEAR), "--as", "ev_clerk", "--json")
    eid = str(json.loads(started.stdout)["id"])
    result = invoke("score", eid, "--scores-json", str(bad_json), "--as", "ev_clerk")
    assert result.exit_code == 2 and "JSON" in result.output
    assert Evaluation.objects.get(pk=eid).self_scores == {}
