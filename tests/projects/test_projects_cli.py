"""`anju projects create|list|show|stage`."""

from __future__ import annotations

import contextvars
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent
from anju.projects.models import Project, Stage
from anju.projects.services import stages

from .factories import OTHER_VILLAGE, make_allocation, make_project


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, ["projects", *args])


@pytest.fixture
def people(make_user, other_city):
    return {"clerk": make_user("county_clerk", "429921", username="c_clerk"), "other": make_user("county_clerk", "429821", username="c_other"),
            "leader": make_user("leader", "429921", username="c_leader")}


CREATE = ["create", "--code", "CLI-001", "--name", "命令行项目", "--division", "429921101201", "--program", "reservoir", "--category",
          "infrastructure", "--year", "2026", "--as", "c_clerk"]


def test_create_in_wan_exactly(people):
    result = invoke(*CREATE, "--investment", "12.345678", "--unit", "wan", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["code"], out["planned_investment_yuan"], out["stage"], out["county"], out["next_stage"]) == (
        "CLI-001", "123456.78", "reserve", "白云县", "applied")
    assert Project.objects.get(code="CLI-001").planned_investment == 12_345_678
    refused = invoke(*[a if a != "CLI-001" else "CLI-002" for a in CREATE], "--investment", "1.2345678", "--unit", "wan")
    assert refused.exit_code == 2 and "精确不到分" in refused.output and not Project.objects.filter(code="CLI-002").exists()
    plain = invoke(*[a if a != "CLI-001" else "CLI-003" for a in CREATE], "--investment", "80000", "--unit", "yuan")
    assert plain.exit_code == 0 and "已登记项目 CLI-003" in plain.output and "80,000.00 元" in plain.output
    assert invoke(*CREATE[:-1], "c_leader", "--investment", "1").exit_code == 2
    assert AuditEvent.objects.filter(action="projects.project.created").count() == 2


def test_list_show_stage(people):
    a = make_project(code="CLI-A", year=2026, stage=Stage.APPROVED)
    make_allocation(a, 2_000_000)
    make_project(code="CLI-B", year=2025, stage=Stage.RESERVE)
    make_project(code="CLI-F", division_code=OTHER_VILLAGE, year=2026)
    listing = invoke("list", "--as", "c_clerk", "--json")
    assert listing.exit_code == 0, listing.output
    assert [p["code"] for p in json.loads(listing.stdout)] == ["CLI-A", "CLI-B"]
    filtered = json.loads(invoke("list", "--year", "2026", "--stage", "approved", "--county", "429921", "--as", "c_clerk", "--json").stdout)
    assert [(p["code"], p["allocated_yuan"]) for p in filtered] == [("CLI-A", "20000.00")]
    text = invoke("list", "--as", "c_clerk")
    assert text.exit_code == 0 and "CLI-A" in text.output and "立项/下达" in text.output
    shown = json.loads(invoke("show", "CLI-A", "--as", "c_leader", "--json").stdout)
    assert (shown["allocated_yuan"], shown["paid_yuan"], shown["payment_rate"]) == ("20000.00", "0.00", "0.0000")
    assert shown["next_stage"] == "implementing" and shown["stage_problems"] == [str(stages.MSG_NEEDS_START)]
    assert str(stages.MSG_NEEDS_START) in invoke("show", "CLI-A", "--as", "c_clerk").output
    assert invoke("show", "CLI-A", "--as", "c_other").exit_code == 2  # out of scope: not found
    skip = invoke("stage", "CLI-B", "--to", "reviewing", "--as", "c_clerk")
    assert skip.exit_code == 2 and "阶段须依次推进" in skip.output
    moved = invoke("stage", "CLI-B", "--to", "applied", "--on", "2026-02-01", "--note", "申报", "--as", "c_clerk")
    assert moved.exit_code == 0, moved.output
    assert "已转入“申报”（2026-02-01）" in moved.output
    assert Project.objects.get(code="CLI-B").stage == Stage.APPLIED
    assert invoke("stage", "CLI-B", "--to", "reserve", "--as", "c_leader").exit_code == 2
    assert invoke("list", "--county", "42x", "--as", "c_clerk").exit_code == 2
