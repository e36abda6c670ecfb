"""`anju relocation monitoring list|propose|approve|reject|measure|propose-elimination|approve-elimination|send-back|
signals|scan`."""

from __future__ import annotations

import contextvars
import json

from click.testing import CliRunner

from anju.cli import main
from anju.relocation.models import Measure, MonitoringCase

from . import test_monitoring_services as base
from .factories import make_relocated_household
from .test_monitoring_services import LONG_AGO, TODAY, income

people = base.people


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, ["relocation", "monitoring", *args])


def test_the_whole_round(people):
    household = make_relocated_household()
    proposed = invoke("propose", "--household", str(household.pk), "--category", "unstable", "--risk", "illness", "--risk", "no_labour",
                      "--income", "6500", "--identified-on", LONG_AGO.isoformat(), "--as", "rm_clerk", "--json")
    assert proposed.exit_code == 0, proposed.output
    case = json.loads(proposed.stdout)
    assert (case["state"], case["risks"], case["per_capita_income_fen"]) == ("proposed", ["illness", "no_labour"], 650_000)
    cid = str(case["id"])
    refused = invoke("approve", cid, "--as", "rm_clerk")
    assert refused.exit_code == 2 and "不能审批自己提出的" in refused.output
    approved = invoke("approve", cid, "--included-on", LONG_AGO.isoformat(), "--as", "rm_reviewer", "--json")
    assert approved.exit_code == 0 and json.loads(approved.stdout)["state"] == "monitoring"

    added = invoke("measure", cid, "--kind", "medical", "--content", "大病救助", "--started-on", LONG_AGO.isoformat(), "--amount", "2000",
                   "--as", "rm_township", "--json")
    assert added.exit_code == 0, added.output
    mid = json.loads(added.stdout)["id"]
    assert Measure.objects.get(pk=mid).amount_fen == 200_000
    effect = invoke("measure", cid, "--id", str(mid), "--effect", "effective", "--effect-note", "费用已报销", "--as", "rm_township")
    assert effect.exit_code == 0
    income(household, 30_000)
    missing = invoke("propose-elimination", cid, "--confirm", "food_clothing", "--as", "rm_township")
    assert missing.exit_code == 2 and "请逐项核实并确认" in missing.output
    confirm = [a for c in ("food_clothing", "education", "medical", "housing") for a in ("--confirm", c)]
    assert invoke("propose-elimination", cid, *confirm, "--as", "rm_township").exit_code == 0
    back = invoke("send-back", cid, "--reason", "再核实", "--as", "rm_reviewer", "--json")
    assert json.loads(back.stdout)["state"] == "monitoring"
    assert invoke("propose-elimination", cid, *confirm, "--as", "rm_township").exit_code == 0
    done = invoke("approve-elimination", cid, "--as", "rm_reviewer", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["eliminated_on"] == TODAY.isoformat()

    listed = invoke("list", "--state", "eliminated", "--as", "rm_leader", "--json")
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [case["id"]]
    text = invoke("list", "--as", "rm_leader")
    assert "脱贫不稳定户" in text.stdout and "风险已消除" in text.stdout
    assert invoke("list", "--as", "rm_foreign", "--json").stdout == ""


def test_reject_scan_and_signals(people):
    household = make_relocated_household()
    proposed = invoke("propose", "--household", str(household.pk), "--category", "marginal", "--risk", "illness", "--as", "rm_township",
                      "--json")
    cid = str(json.loads(proposed.stdout)["id"])
    assert invoke("reject", cid, "--reason", "收入达标", "--as", "rm_clerk").exit_code == 0
    assert MonitoringCase.objects.get().state == "rejected"
    assert invoke("propose", "--household", str(household.pk), "--category", "x", "--risk", "illness", "--as", "rm_township").exit_code == 2
    assert invoke("propose", "--household", str(household.pk), "--category", "marginal", "--risk", "illness",
                  "--as", "rm_leader").exit_code == 2

    income(household, 3_000)
    scanned = invoke("scan", "--as", "rm_reviewer", "--json")
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout)["raised"] == 1
    assert "新增风险预警 0 条" in invoke("scan", "--as", "rm_reviewer").stdout
    assert invoke("scan", "--as", "rm_township").exit_code == 2
    signals = invoke("signals", "--as", "rm_leader", "--json")
    row = json.loads(signals.stdout.splitlines()[0])
    assert row["kind"] == "income" and row["household_id"] == household.pk
