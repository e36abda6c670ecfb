"""`anju subsidies entitlements …` and `anju subsidies batch create|list|show|review|approve|send-back|refresh-accounts`."""

from __future__ import annotations

import contextvars
import csv
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent
from anju.subsidies.models import Batch
from anju.subsidies.services import workflow as wf

from .factories import COUNTY, actors, locked, roster


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def ready(tree, make_user):
    people = {**actors(make_user), "approver": make_user("county_reviewer", COUNTY, username="b_approver")}
    roster()
    locked(people, 2025)
    return people


def test_entitlements_csv(ready, tmp_path):
    out = tmp_path / "e.csv"
    result = invoke("subsidies", "entitlements", "--year", "2026", "--scope", "429921", "--as", "v_reviewer", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已导出 8 人" in result.output
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["身份证号", "姓名", "月数", "金额"] and len(rows) == 9
    result = invoke("subsidies", "entitlements", "--year", "2027", "--scope", "429921", "--preview", "--as", "v_city_clerk", "--unmasked",
                    "--out", str(tmp_path / "p.csv"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 6 and json.loads(result.stdout)["preview"] is True  # 李 (现状人口) ends 2026-06
    refused = invoke("subsidies", "entitlements", "--year", "2027", "--scope", "429921", "--as", "v_reviewer", "--out", str(tmp_path / "x.csv"))
    assert refused.exit_code == 2 and "尚未锁定" in refused.output
    assert AuditEvent.objects.filter(action="subsidies.entitlements.exported").count() == 2


def test_batch_create_review_approve_send_back(ready):
    result = invoke("subsidies", "batch", "create", "--county", "429921", "--year", "2026", "--fund-source", "provincial", "--as", "v_clerk",
                    "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["persons"], out["amount"], out["state"], out["fund_source"], out["created_by"]) == (6, 300000, "draft", "provincial", "v_clerk")
    bid = str(out["batch"])
    again = invoke("subsidies", "batch", "create", "--county", "429921", "--year", "2026", "--as", "v_clerk")
    assert again.exit_code == 2 and "已有发放批次" in again.output
    approve = invoke("subsidies", "batch", "approve", bid, "--as", "b_approver")
    assert approve.exit_code == 2 and str(wf.MSG_APPROVE_STATE) in approve.output
    review = invoke("subsidies", "batch", "review", bid, "--as", "v_reviewer")
    assert review.exit_code == 0 and "已审核" in review.output and "3,000.00" in review.output
    same = invoke("subsidies", "batch", "approve", bid, "--as", "v_reviewer")
    assert same.exit_code == 2 and str(wf.MSG_APPROVER_IS_REVIEWER) in same.output
    approved = invoke("subsidies", "batch", "approve", bid, "--as", "b_approver", "--json")
    assert json.loads(approved.stdout)["approved_by"] == "b_approver"
    back = invoke("subsidies", "batch", "send-back", bid, "--reason", "重核", "--as", "b_approver", "--json")
    assert back.exit_code == 0 and json.loads(back.stdout)["state"] == "draft"
    assert Batch.objects.get(pk=bid).totals["sent_back"]["reason"] == "重核"
    refresh = invoke("subsidies", "batch", "refresh-accounts", bid, "--as", "v_clerk", "--json")
    assert json.loads(refresh.stdout) == {"batch": int(bid), "checked": 0, "released": 0, "held": 0}
    assert invoke("subsidies", "batch", "review", bid, "--as", "v_other_reviewer").exit_code == 2  # another county: not found


def test_batch_list_and_show(ready):
    invoke("subsidies", "batch", "create", "--county", "429921", "--year", "2026", "--as", "v_clerk")
    listing = invoke("subsidies", "batch", "list", "--as", "v_reviewer", "--json")
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [r["number"] for r in rows] == ["429921-2026-Y"]
    plain = invoke("subsidies", "batch", "list", "--year", "2026", "--as", "v_reviewer")
    assert "429921-2026-Y" in plain.output and "3,000.00" in plain.output
    assert invoke("subsidies", "batch", "list", "--as", "v_other_reviewer").output == ""
    show = invoke("subsidies", "batch", "show", str(rows[0]["batch"]), "--as", "v_township", "--json")
    out = json.loads(show.stdout)
    assert out["figures"]["entitled"]["persons"] == 4 and len(out["townships"]) == 1  # the township's own part
    text = invoke("subsidies", "batch", "show", str(rows[0]["batch"]), "--as", "v_clerk")
    assert text.exit_code == 0 and "应发 6 人，3,000.00 元" in text.output
