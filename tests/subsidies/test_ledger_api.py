"""Ledger API and CLI: recoveries, reconciliation, the person ledger, funds and the report files; scope and errors."""

from __future__ import annotations

import datetime as dt
import io
import json

import docx
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.core.context import RequestMeta, reset_meta, set_meta
from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.subsidies.models import Batch, Recovery
from anju.subsidies.services import reconcile
from anju.subsidies.services import recoveries as svc

from .factories import actors
from .test_ledger_data import enrolment, two_years

A = "/api/v1/subsidies"


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def data(tree, people):
    return two_years(people)


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_recoveries_api(data, people, api):
    client = api(people["clerk"])
    listing = client.get(f"{A}/recoveries?state=partial").json()
    assert listing["count"] == 1
    row = listing["items"][0]
    assert (row["name"], row["amount"], row["recovered"], row["outstanding"], row["months"], row["batch_number"]) == (
        "张一", 30000, 10000, 20000, 6, data["b2025"].number)
    r = data["recovery"]
    detail = client.get(f"{A}/recoveries/{r.pk}").json()
    assert detail["actions"] == {"repay": True, "waive": False} and detail["repayments"][0]["receipt"] == "R-1"
    over = post(client, f"{A}/recoveries/{r.pk}/repayments", {"amount": 20001, "paid_on": dt.date.today().isoformat()})
    assert over.status_code == 422 and over.json()["code"] == "amount_exceeds"
    paid = post(client, f"{A}/recoveries/{r.pk}/repayments", {"amount": 20000, "paid_on": dt.date.today().isoformat(), "method": "offset"})
    assert paid.status_code == 201 and paid.json()["state"] == "settled" and len(paid.json()["repayments"]) == 2
    again = post(client, f"{A}/recoveries/{r.pk}/repayments", {"amount": 1, "paid_on": dt.date.today().isoformat()})
    assert again.status_code == 409 and again.json()["message"] == str(svc.MSG_REPAY_STATE)
    assert post(client, f"{A}/recoveries/{r.pk}/waive", {"reason": "x"}).status_code == 403
    waive = post(api(people["reviewer"]), f"{A}/recoveries/{r.pk}/waive", {"reason": "已结清"})
    assert waive.status_code == 409 and waive.json()["code"] == "recovery_state"
    assert api(people["other_reviewer"]).get(f"{A}/recoveries/{r.pk}").status_code == 404
    assert client.get(f"{A}/recoveries/999999").status_code == 404


def test_waive_api(data, people, api):
    r = data["recovery"]
    blank = post(api(people["reviewer"]), f"{A}/recoveries/{r.pk}/waive", {"reason": "  "})
    assert blank.status_code == 422
    done = post(api(people["reviewer"]), f"{A}/recoveries/{r.pk}/waive", {"reason": "无遗产"})
    assert done.status_code == 200 and done.json()["state"] == "waived" and done.json()["outstanding"] == 0


def test_detect_api_is_a_job(data, people, api):
    response = post(api(people["clerk"]), f"{A}/recoveries/detect", {})
    assert response.status_code == 202 and response.json()["kind"] == "subsidies.recoveries.detect"
    job = job_execute(Job.objects.get().pk)
    assert job.state == "succeeded" and job.result["scope"] == "429921" and job.result["created"] == 0
    assert post(api(people["clerk"]), f"{A}/recoveries/detect", {"scope": "429922"}).status_code == 404
    assert post(api(people["reviewer"]), f"{A}/recoveries/detect", {}).status_code == 403


def test_reconciliation_api(data, people, api):
    batch = data["b2025"]
    client = api(people["clerk"])
    body = client.get(f"{A}/batches/{batch.pk}/reconciliation").json()
    assert (body["entitled"], body["paid"], body["failed"], body["pending"], body["ties"]) == (240000, 60000, 120000, 60000, True)
    assert body["actions"] == {"reconcile": True} and len(body["townships"]) == 2
    assert [c["code"] for c in body["checks"]] == ["parts", "bank_paid", "bank_failed"]
    done = post(client, f"{A}/batches/{batch.pk}/reconciliation")
    assert done.status_code == 200 and done.json()["state"] == "reconciled" and done.json()["actions"] == {"reconcile": False}
    again = post(client, f"{A}/batches/{batch.pk}/reconciliation")
    assert again.status_code == 409 and again.json()["message"] == str(reconcile.MSG_RECONCILE_STATE)
    assert post(api(people["reviewer"]), f"{A}/batches/{batch.pk}/reconciliation").status_code == 403
    assert api(people["other_reviewer"]).get(f"{A}/batches/{batch.pk}/reconciliation").status_code == 404
    township = api(people["township"]).get(f"{A}/batches/{batch.pk}/reconciliation").json()
    assert township["entitled"] == 180000 and len(township["townships"]) == 1


def test_person_ledger_api(data, people, api):
    li = enrolment("李一").person
    body = api(people["reviewer"]).get(f"{A}/ledger/{li.pk}").json()
    assert body["name"] == "李一" and "*" in body["id_masked"]
    assert body["years"] == [{"year": 2025, "entitled": 60000, "months": 12, "paid": 60000, "failed": 0, "pending": 0, "recovery": 0,
                              "recovered": 0, "outstanding": 0, "waived": 0}]
    first, again = body["items"]
    assert (first["state"], first["counted"], again["counted"], again["reissue_of_id"], again["bank_ref"]) == ("reissued", False, True,
                                                                                                              first["id"], "BR2025-9")
    assert again["batch_kind"] == "supplementary" and "*" in again["bank_account_masked"]
    zhang = api(people["reviewer"]).get(f"{A}/ledger/{enrolment('张一').person_id}").json()
    assert zhang["totals"]["outstanding"] == 20000 and zhang["items"][1]["recovery_id"] == data["recovery"].pk
    assert api(people["other_reviewer"]).get(f"{A}/ledger/{li.pk}").status_code == 404


def test_funds_and_files_api(data, people, api):
    client = api(people["city_clerk"])
    funds = client.get(f"{A}/funds?year=2025").json()
    assert funds["total"]["entitled"] == 300000 and {r["fund_source"] for r in funds["rows"]} == {"central", "provincial"}
    assert client.get(f"{A}/funds?fund_source=nope").status_code == 422
    export = client.get(f"{A}/funds/export?year=2025")
    assert export.status_code == 200 and CalamineWorkbook.from_filelike(io.BytesIO(export.content)).sheet_names == ["明细"]
    posting = client.get(f"{A}/reports/batches/{data['b2025'].pk}/posting?format=pdf")
    assert posting.status_code == 200 and posting.content.startswith(b"%PDF-")
    summary = client.get(f"{A}/reports/batches/{data['b2025'].pk}/summary")
    assert summary.status_code == 200 and summary["Content-Type"].startswith("application/vnd.openxmlformats")
    annual = client.get(f"{A}/reports/annual?year=2025&scope=429921&format=docx")
    assert docx.Document(io.BytesIO(annual.content)).paragraphs[0].text == "白云县2025年度水库移民后期扶持直补资金发放情况报告"
    assert api(people["other_reviewer"]).get(f"{A}/reports/annual?year=2025&scope=429921").status_code == 404
    assert client.get(f"{A}/reports/annual?year=2025&scope=429899").status_code == 404  # no such county
    assert api(people["other_reviewer"]).get(f"{A}/reports/batches/{data['b2025'].pk}/posting").status_code == 404
    assert AuditEvent.objects.filter(action__in=["subsidies.batch.posting_exported", "subsidies.batch.summary_exported",
                                                 "subsidies.funds.report_exported", "subsidies.funds.summary_exported"]).count() == 4


@pytest.fixture
def _restore_meta():
    token = set_meta(RequestMeta(channel="cli"))
    yield
    reset_meta(token)


def test_cli(data, people, tmp_path, _restore_meta):
    from anju.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["subsidies", "recoveries", "detect", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["created"] == 0
    result = runner.invoke(main, ["subsidies", "recoveries", "detect", "--scope", "429922", "--as", "v_clerk"])
    assert result.exit_code == 2 and "不存在" in result.output
    result = runner.invoke(main, ["subsidies", "recoveries", "list", "--as", "v_city_clerk", "--json"])
    assert result.exit_code == 0 and json.loads(result.output.splitlines()[0])["outstanding"] == 20000
    rid = str(data["recovery"].pk)
    result = runner.invoke(main, ["subsidies", "recoveries", "repay", rid, "--amount", "50", "--receipt", "R-9", "--as", "v_clerk", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recovered"] == 15000
    result = runner.invoke(main, ["subsidies", "recoveries", "repay", rid, "--amount", "abc", "--as", "v_clerk"])
    assert result.exit_code == 2
    result = runner.invoke(main, ["subsidies", "recoveries", "waive", rid, "--reason", "无遗产", "--as", "v_reviewer"])
    assert result.exit_code == 0 and "已核销" in result.output
    assert Recovery.objects.get(pk=rid).state == "waived"

    bid = str(data["b2025"].pk)
    result = runner.invoke(main, ["subsidies", "reconcile", bid, "--as", "v_clerk"])
    assert result.exit_code == 0 and "账目相符" in result.output and "2,400.00" in result.output
    result = runner.invoke(main, ["subsidies", "reconcile", bid, "--confirm", "--as", "v_clerk", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["state"] == "reconciled"
    assert Batch.objects.get(pk=bid).state == "reconciled"

    result = runner.invoke(main, ["subsidies", "ledger", str(enrolment("李一").person_id), "--as", "v_reviewer", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["totals"]["entitled"] == 60000
    result = runner.invoke(main, ["subsidies", "funds", "--year", "2025", "--as", "v_city_clerk", "--json"])
    assert result.exit_code == 0 and len(result.output.splitlines()) == 2

    for args, name in ((["report", "posting", bid, "--format", "pdf"], "p.pdf"), (["report", "summary", bid], "s.xlsx"),
                       (["report", "annual", "--year", "2025", "--format", "docx"], "a.docx"), (["funds", "--year", "2025"], "f.xlsx")):
        out = tmp_path / name
        result = runner.invoke(main, ["subsidies", *args, "--out", str(out), "--as", "v_clerk"])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert docx.Document(str(tmp_path / "a.docx")).paragraphs[0].text.startswith("白云县2025年度")
