"""`anju projects warnings evaluate|list|rules`."""

from __future__ import annotations

import contextvars
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent, Message
from anju.projects.models import Warning
from anju.projects.seeds import projects_seed_load

from .factories import make_allocation, make_project


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def world(make_user):
    projects_seed_load()
    city, clerk = make_user("city_clerk", "4299", username="c_city"), make_user("county_clerk", "429921", username="c_clerk")
    p = make_project(name="命令行项目")
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    return {"city": city, "clerk": clerk, "project": p}


def test_evaluate_and_list(world):
    result = invoke("projects", "warnings", "evaluate", "--today", "2026-07-10", "--as", "c_city", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["raised"] == 3 and summary["open"] == 3 and summary["today"] == "2026-07-10"  # 90 days unstarted, paid nothing
    assert Message.objects.filter(recipient=world["clerk"]).count() == 3
    event = AuditEvent.objects.get(action="projects.warning.evaluated")
    assert event.channel == "cli" and event.actor == world["city"]

    again = invoke("projects", "warnings", "evaluate", "--today", "2026-07-10", "--as", "c_city")
    assert again.exit_code == 0 and "新增预警 0 条" in again.output

    listed = invoke("projects", "warnings", "list", "--as", "c_clerk", "--json")
    rows = json.loads(listed.stdout)
    assert {(r["rule"], r["level"]) for r in rows} == {("not_started_90", "yellow"), ("payment_far_behind", "red")}  # highest per measure
    assert rows[0]["project_name"] == "命令行项目" and rows[0]["assignee"] == "c_clerk"
    red = json.loads(invoke("projects", "warnings", "list", "--level", "red", "--as", "c_clerk", "--json").stdout)
    assert [r["rule"] for r in red] == ["payment_far_behind"]
    text = invoke("projects", "warnings", "list", "--as", "c_clerk")
    assert text.exit_code == 0 and "[黄色预警]" in text.output and "共 2 条" in text.output

    rules = invoke("projects", "warnings", "rules", "--as", "c_clerk", "--json")
    assert len(json.loads(rules.stdout)) == 11


def test_evaluate_refused(world):
    refused = invoke("projects", "warnings", "evaluate", "--as", "c_clerk")
    assert refused.exit_code == 2 and "无权" in refused.output
    outside = invoke("projects", "warnings", "evaluate", "--scope", "4298", "--as", "c_city")
    assert outside.exit_code == 2
    assert not Warning.objects.exists()
