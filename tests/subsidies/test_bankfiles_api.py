"""Bank-file API and CLI: export (a job), return upload (a job), returns and rows, problem list, outstanding items,
manual resolution, supplementary batches; `anju subsidies bankfile …` and `anju subsidies batch supplement`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.subsidies.models import BankReturn, Batch, Item

from .bankfiles_data import csv_rows, exported, gbk_layout, layout, return_row, return_xlsx, world, xlsx_rows
from .factories import card

A = "/api/v1/subsidies/batches"


@pytest.fixture
def data(tree, make_user):
    return world(make_user)


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_export_is_a_job(data, api):
    people, batch, _items = data
    client = api(people["clerk"])
    missing = post(client, f"{A}/{batch.pk}/bank-file")
    assert missing.status_code == 422 and missing.json()["code"] == "layout_required"
    response = post(client, f"{A}/{batch.pk}/bank-file", {"layout": gbk_layout().pk})
    assert response.status_code == 202 and response.json()["kind"] == "subsidies.bankfile.export"
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded" and job.result["rows"] == 6 and job.result["encoding"] == "gbk"
    # the batch remembers its layout: a re-export may leave it out
    again = post(client, f"{A}/{batch.pk}/bank-file")
    assert again.status_code == 202 and Job.objects.get(pk=again.json()["id"]).params["layout"] == gbk_layout().pk
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.RECONCILED)
    conflict = post(client, f"{A}/{batch.pk}/bank-file", {"layout": layout().pk})
    assert conflict.status_code == 409 and conflict.json()["code"] == "batch_state"
    assert post(api(people["reviewer"]), f"{A}/{batch.pk}/bank-file", {"layout": layout().pk}).status_code == 403
    assert post(client, f"{A}/{batch.pk}/bank-file", {"layout": 99999}).status_code == 404


def test_return_upload_rows_and_problem_list(data, api, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    unknown = return_row(items["王一"], reference=False)
    unknown[2] = card()
    path = return_xlsx(tmp_path / "r.xlsx", [return_row(items["张一"]), unknown])
    client = api(people["clerk"])
    with open(path, "rb") as f:
        response = client.post(f"{A}/{batch.pk}/returns", {"file": f, "mode": "valid_only"})
    assert response.status_code == 202
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded" and (job.result["paid"], job.result["flagged"], job.result["state"]) == (1, 1, "partial")
    rid = job.result["return"]
    body = client.get(f"{A}/returns/{rid}").json()
    assert (body["state"], body["mode"], body["has_errors"], body["counts"]["applied"]) == ("partial", "valid_only", True, 1)
    assert "error_file" not in body["counts"]
    listing = client.get(f"{A}/{batch.pk}/returns").json()
    assert [r["id"] for r in listing["items"]] == [rid]
    rows = client.get(f"{A}/returns/{rid}/rows?flag=flagged").json()["items"]
    assert len(rows) == 1 and rows[0]["flag"] == "unknown_account" and rows[0]["flag_label"] == "账号不在本批次" and "*" in rows[0]["account_masked"]
    assert client.get(f"{A}/returns/{rid}/rows?flag=ok").json()["items"][0]["applied"] is True
    errors = client.get(f"{A}/returns/{rid}/errors")
    assert errors.status_code == 200 and errors["Content-Type"].startswith("application/vnd.openxmlformats")
    assert api(people["reviewer"]).get(f"{A}/returns/{rid}/errors").status_code == 403


def test_upload_refusals(data, api, tmp_path, make_user):
    people, batch, items = data
    client = api(people["clerk"])
    no_file = client.post(f"{A}/{batch.pk}/returns", {"mode": "all"})
    assert no_file.status_code == 409  # the batch is approved, not exported: the state is checked first
    batch = exported(people, batch, tmp_path)
    no_file = client.post(f"{A}/{batch.pk}/returns", {"mode": "all"})
    assert no_file.status_code == 422 and no_file.json()["code"] == "file_required"
    with open(return_xlsx(tmp_path / "r.xlsx", []), "rb") as f:
        assert api(people["reviewer"]).post(f"{A}/{batch.pk}/returns", {"file": f}).status_code == 403
    other = api(make_user("county_clerk", "429922", username="other_clerk"))
    assert other.post(f"{A}/{batch.pk}/returns", {"mode": "all"}).status_code == 404


def test_outstanding_resolve_and_supplement(data, api, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    client = api(people["clerk"])
    outstanding = client.get(f"{A}/{batch.pk}/outstanding").json()
    assert outstanding["count"] == 6 and {i["name"] for i in outstanding["items"]} == set(items)
    response = post(client, f"{A}/{batch.pk}/items/{items['张一'].pk}/resolve", {"outcome": "failed", "reason": "账户已销户"})
    assert response.status_code == 200 and (response.json()["state"], response.json()["failure_reason"]) == ("failed", "账户已销户")
    blank = post(client, f"{A}/{batch.pk}/items/{items['张二'].pk}/resolve", {"outcome": "failed"})
    assert blank.status_code == 422 and blank.json()["code"] == "reason_required"
    again = post(client, f"{A}/{batch.pk}/items/{items['张一'].pk}/resolve", {"outcome": "paid"})
    assert again.status_code == 409 and again.json()["code"] == "item_state"
    assert client.get(f"{A}/{batch.pk}/outstanding").json()["count"] == 5
    created = post(client, f"{A}/{batch.pk}/supplements", {"note": "补发"})
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["state"], body["parent_id"], body["number"]) == ("supplementary", "draft", batch.pk, f"{batch.number}-B1")
    assert body["supplement"]["items"] == 1 and body["supplement"]["amount"] == 60000
    none_left = post(client, f"{A}/{batch.pk}/supplements", {})
    assert none_left.status_code == 409 and none_left.json()["code"] == "supplement_empty"


# --- CLI -------------------------------------------------------------------------------------------------------------

def run(args: list[str]):
    from anju.cli import main
    from anju.core.context import RequestMeta, reset_meta, set_meta

    token = set_meta(RequestMeta(channel="cli"))
    try:
        return CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        reset_meta(token)


def test_cli_export_return_resolve_supplement(tree, make_user, tmp_path):
    people, batch, items = world(make_user)
    out = tmp_path / "bank.csv"
    result = run(["subsidies", "bankfile", "export", str(batch.pk), "--layout", str(gbk_layout().pk), "--out", str(out), "--as", "v_clerk",
                  "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["rows"], body["total"], body["state"]) == (6, 360000, "exported")
    assert len(csv_rows(out)) == 8
    xlsx = tmp_path / "bank.xlsx"
    result = run(["subsidies", "bankfile", "export", str(batch.pk), "--layout", str(layout().pk), "--out", str(xlsx), "--as", "v_clerk"])
    assert result.exit_code == 0 and "已生成代发文件：6 笔，合计 3600.00 元" in result.output and len(xlsx_rows(xlsx)) == 8

    failed = return_row(items["李一"], "失败", reason="户名不符")
    path = return_xlsx(tmp_path / "r.xlsx", [return_row(items["张一"]), failed])
    result = run(["subsidies", "bankfile", "return", str(batch.pk), path, "--as", "v_clerk", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["state"], body["paid"], body["failed"], body["batch_state"], body["flagged_rows"]) == ("applied", 1, 1, "returned", [])
    unknown = return_row(items["王一"], reference=False)
    unknown[2] = card()
    result = run(["subsidies", "bankfile", "return", str(batch.pk), return_xlsx(tmp_path / "u.xlsx", [unknown]), "--as", "v_clerk"])
    assert result.exit_code == 0 and "未入账" in result.output and "账号不在本批次已出盘的明细中" in result.output and "问题行清单" in result.output

    result = run(["subsidies", "bankfile", "resolve", str(batch.pk), str(items["张二"].pk), "--outcome", "failed", "--reason", "来函：冻结",
                  "--as", "v_clerk", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["state"] == "failed"
    bad = run(["subsidies", "bankfile", "resolve", str(batch.pk), str(items["张三"].pk), "--outcome", "failed", "--as", "v_clerk"])
    assert bad.exit_code == 2 and "发放失败时请填写失败原因" in bad.output

    result = run(["subsidies", "batch", "supplement", str(batch.pk), "--as", "v_clerk", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["items"], body["failed"], body["state"], body["parent"]) == (2, 2, "draft", batch.pk)
    assert set(Item.objects.filter(batch_id=body["batch"]).values_list("name", flat=True)) == {"李一", "张二"}
    again = run(["subsidies", "batch", "supplement", str(batch.pk), "--as", "v_clerk"])
    assert again.exit_code == 2 and "没有需要补发的明细" in again.output
    denied = run(["subsidies", "batch", "supplement", str(batch.pk), "--as", "v_reviewer"])
    assert denied.exit_code == 2
    assert BankReturn.objects.count() == 2
    assert AuditEvent.objects.filter(action="subsidies.bankfile.exported").count() == 2
