"""`anju projects funds allocate|pay|list` and `anju projects progress report|status|unlock`, with --unit, --json and
refusals exiting 2 with the Chinese message."""

from __future__ import annotations

import contextvars
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent
from anju.projects.models import Allocation, Payment, ProgressReport, ProgressUnlock, Stage
from anju.projects.services import funds as svc
from anju.projects.services.progress import month_label

from .factories import OTHER_VILLAGE, make_allocation, make_project
from .funds_data import LAST_YEAR, THIS_MONTH, TODAY, actors, months_ago

D = dt.timedelta


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def mtext(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def test_allocate_pay_list(people):
    project = make_project(year=LAST_YEAR, stage=Stage.REVIEWING, code="XMCLI001")
    make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE, code="XMCLI999")
    doc_date = (TODAY - D(days=15)).isoformat()
    r = invoke("projects", "funds", "allocate", "--project", "XMCLI001", "--source", "central", "--year", str(TODAY.year), "--doc-number",
               "清移发〔2026〕8号", "--doc-date", doc_date, "--amount", "12.345678", "--unit", "wan", "--as", "f_clerk", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["amount_yuan"], out["amount_wan"], out["stage"]) == ("123456.78", "12.345678", "approved")
    assert Allocation.objects.get(project=project).amount == 12_345_678

    r = invoke("projects", "funds", "allocate", "--project", "XMCLI001", "--source", "provincial", "--year", str(TODAY.year), "--doc-number",
               "鄂移发〔2026〕2号", "--doc-date", doc_date, "--amount", "1,000", "--as", "f_city")
    assert r.exit_code == 0 and "1,000.00 元" in r.output
    bad = invoke("projects", "funds", "allocate", "--project", "XMCLI001", "--source", "central", "--year", str(TODAY.year), "--doc-number", "Z",
                 "--doc-date", doc_date, "--amount", "0.0000001", "--unit", "wan", "--as", "f_clerk")
    assert bad.exit_code == 2 and "精确不到分" in bad.output
    assert invoke("projects", "funds", "allocate", "--project", "XMCLI999", "--source", "central", "--year", str(TODAY.year), "--doc-number",
                  "Z", "--doc-date", doc_date, "--amount", "1", "--as", "f_clerk").exit_code == 2

    r = invoke("projects", "funds", "pay", "--project", "XMCLI001", "--source", "central", "--paid-on", TODAY.isoformat(), "--amount", "3",
               "--unit", "wan", "--voucher", "PZ-1", "--as", "f_finance", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["amount_yuan"] == "30000.00" and Payment.objects.get().amount == 3_000_000
    over = invoke("projects", "funds", "pay", "--project", "XMCLI001", "--source", "central", "--paid-on", TODAY.isoformat(), "--amount",
                  "93456.79", "--voucher", "PZ-2", "--as", "f_clerk")
    assert over.exit_code == 2
    figures = {"source": "中央水库移民扶持基金", "date": TODAY.isoformat(), "paid": "123,456.79", "allocated": "123,456.78"}
    assert str(svc.MSG_PAY_EXCESS % figures) in over.output
    assert invoke("projects", "funds", "pay", "--project", "XMCLI001", "--source", "central", "--paid-on", TODAY.isoformat(), "--amount", "1",
                  "--voucher", "PZ-3", "--as", "f_leader").exit_code == 2

    r = invoke("projects", "funds", "list", "--as", "f_clerk", "--json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert sorted(x["doc_number"] for x in lines[:-1]) == ["清移发〔2026〕8号", "鄂移发〔2026〕2号"]
    assert lines[-1] == {"total": True, "count": 2, "amount_yuan": "124456.78"}
    r = invoke("projects", "funds", "list", "--kind", "payments", "--unit", "wan", "--as", "f_clerk")
    assert r.exit_code == 0 and "PZ-1" in r.output and "3.000000 万元" in r.output and "合计 1 笔" in r.output
    assert invoke("projects", "funds", "list", "--source", "provincial", "--as", "f_foreign", "--json").stdout.splitlines() == [
        json.dumps({"total": True, "count": 0, "amount_yuan": "0.00"}, ensure_ascii=False)]


def test_progress_report_status_unlock(people):
    project = make_project(year=LAST_YEAR, stage=Stage.APPROVED, code="XMCLI002")
    make_allocation(project, 50_000_000, doc_date=months_ago(6))
    start = (TODAY - D(days=5)).isoformat()
    r = invoke("projects", "progress", "report", "--project", "XMCLI002", "--month", mtext(THIS_MONTH), "--percent", "40", "--investment", "20",
               "--unit", "wan", "--actual-start", start, "--as", "f_clerk", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["physical_percent"], out["investment_completed_yuan"], out["investment_completed_wan"], out["stage"], out["actual_start"]) == (
        "40.00", "200000.00", "20.000000", "implementing", start)
    lower = invoke("projects", "progress", "report", "--project", "XMCLI002", "--month", mtext(THIS_MONTH), "--percent", "30", "--as", "f_clerk")
    assert lower.exit_code == 0  # correcting the same month lower is a correction, not a decrease
    month = months_ago(2)
    locked = invoke("projects", "progress", "report", "--project", "XMCLI002", "--month", mtext(month), "--percent", "10", "--as", "f_clerk")
    assert locked.exit_code == 2 and "截止填报并锁定" in locked.output

    r = invoke("projects", "progress", "status", "--month", mtext(month), "--as", "f_clerk", "--json")
    row = json.loads(r.stdout.splitlines()[0])
    assert (row["project"], row["state"], row["lock"]) == ("XMCLI002", "missing", "locked")
    text = invoke("projects", "progress", "status", "--month", mtext(month), "--as", "f_clerk").output
    assert "未报" in text and "已锁定" in text and "1 个项目" in text

    until = (TODAY + D(days=3)).isoformat()
    refused = invoke("projects", "progress", "unlock", "--county", "429921", "--month", mtext(month), "--until", until, "--reason", "补报",
                     "--as", "f_clerk")
    assert refused.exit_code == 2 and not ProgressUnlock.objects.exists()
    r = invoke("projects", "progress", "unlock", "--county", "429921", "--month", mtext(month), "--until", until, "--reason", "补报",
               "--as", "f_city", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == {"id": ProgressUnlock.objects.get().pk, "county": "429921", "month": mtext(month),
                                                         "until": until, "reason": "补报"}
    r = invoke("projects", "progress", "report", "--project", "XMCLI002", "--month", mtext(month), "--percent", "10", "--as", "f_clerk")
    assert r.exit_code == 0 and month_label(month) in r.output
    assert ProgressReport.objects.filter(project=project).count() == 2
    assert AuditEvent.objects.filter(action="projects.progress.unlocked", channel="cli").count() == 1
