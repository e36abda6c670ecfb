"""Reference list pages, API and CLI: banks and bank file layouts."""

from __future__ import annotations

import contextvars
import json

import pytest
from click.testing import CliRunner

from anju.core.models import AuditEvent
from anju.subsidies.models import Bank, BankLayout
from anju.subsidies.services import reference as svc

from .factories import actors

A = "/api/v1/subsidies"
LAYOUT_POST = {"name": "湖北银行格式", "bank": "", "scope": "4299", "file_format": "xlsx", "encoding": "utf-8-sig",
               "columns": "seq,序号\nname：户名\naccount\namount，金额\n", "control_total": "on",
               "return_columns": "account,账号\namount,金额\nresult,处理结果\n", "note": ""}


@pytest.fixture
def people(make_user):
    return actors(make_user)


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_bank_pages(tree, people, login):
    client = login(people["city_clerk"])
    page = client.get("/subsidies/reference/banks/").content.decode()
    assert "中国农业银行" in page and "农行" in page and "添加银行" in page
    response = client.post("/subsidies/reference/banks/new/", {"name": "湖北银行", "aliases": "鄂银，湖北银行股份有限公司、HBB", "lengths": "16, 19",
                                                              "luhn_prefixes": "62 9", "active": "on"})
    bank = Bank.objects.get(name="湖北银行")
    assert response.status_code == 302 and (bank.aliases, bank.lengths, bank.luhn_prefixes) == (
        ["鄂银", "湖北银行股份有限公司", "HBB"], [16, 19], ["62", "9"])
    bad = client.post("/subsidies/reference/banks/new/", {"name": "某行", "lengths": "16,十九"})
    assert "账号长度请填写整数" in bad.content.decode()
    taken = client.post("/subsidies/reference/banks/new/", {"name": "农行"})
    assert str(svc.MSG_ALIAS_TAKEN % {"name": "农行", "bank": "中国农业银行"}) in taken.content.decode()
    edit = client.get(f"/subsidies/reference/banks/{bank.pk}/edit/").content.decode()
    assert 'value="鄂银, 湖北银行股份有限公司, HBB"' in edit and 'value="16, 19"' in edit
    client.post(f"/subsidies/reference/banks/{bank.pk}/edit/", {"name": "湖北银行", "aliases": "鄂银", "lengths": "", "luhn_prefixes": "62",
                                                              "active": "on"})
    bank.refresh_from_db()
    assert (bank.aliases, bank.lengths) == (["鄂银"], [])
    client.post(f"/subsidies/reference/banks/{bank.pk}/active/", {"active": "0"})
    assert not Bank.objects.get(pk=bank.pk).active
    assert "<td>湖北银行</td>" not in client.get("/subsidies/reference/banks/?active=true").content.decode()
    assert "<td>湖北银行</td>" in client.get("/subsidies/reference/banks/?active=false").content.decode()
    reader = login(people["clerk"])
    assert "添加银行" not in reader.get("/subsidies/reference/banks/").content.decode()
    assert reader.post(f"/subsidies/reference/banks/{bank.pk}/active/", {"active": "1"}).status_code == 403
    assert reader.get("/subsidies/reference/banks/new/").status_code == 403


def test_layout_pages(tree, people, login):
    client = login(people["city_clerk"])
    page = client.get("/subsidies/reference/layouts/").content.decode()
    assert "通用代发格式" in page and "农商行批量代发（GBK 文本）" in page and "GBK（旧银行系统）" in page
    assert "account（账号）" in client.get("/subsidies/reference/layouts/new/").content.decode()
    response = client.post("/subsidies/reference/layouts/new/", LAYOUT_POST)
    layout = BankLayout.objects.get(name="湖北银行格式")
    assert response.status_code == 302 and layout.columns == [
        {"field": "seq", "header": "序号"}, {"field": "name", "header": "户名"}, {"field": "account", "header": "账号"},
        {"field": "amount", "header": "金额"}]
    assert layout.return_columns == {"account": "账号", "amount": "金额", "result": "处理结果"} and layout.scope == "4299"
    bad = client.post("/subsidies/reference/layouts/new/", {**LAYOUT_POST, "name": "坏", "columns": "name,户名\nacct,账号",
                                                            "return_columns": "account,账号"}).content.decode()
    assert "不支持的字段“acct”" in bad and "银行文件必须包含金额" in bad and not BankLayout.objects.filter(name="坏").exists()
    edit = client.get(f"/subsidies/reference/layouts/{layout.pk}/edit/").content.decode()
    assert "seq,序号\nname,户名" in edit
    client.post(f"/subsidies/reference/layouts/{layout.pk}/edit/", {**LAYOUT_POST, "encoding": "gbk", "note": "县农商行"})
    layout.refresh_from_db()
    assert (layout.encoding, layout.note) == ("gbk", "县农商行")
    client.post(f"/subsidies/reference/layouts/{layout.pk}/delete/")
    assert not BankLayout.objects.filter(pk=layout.pk).exists()
    assert AuditEvent.objects.filter(object_type="bank_layout").count() == 3


def test_reference_api(tree, other_city, people, api, make_user):
    client = api(people["city_clerk"])
    banks = client.get(f"{A}/banks?active=true&limit=100").json()
    assert banks["count"] == 8 and banks["items"][0]["active"]
    created = post(client, f"{A}/banks", {"name": "湖北银行", "aliases": ["鄂银"], "lengths": [16, 19], "luhn_prefixes": ["62"]})
    assert created.status_code == 201 and created.json()["lengths"] == [16, 19]
    bank_id = created.json()["id"]
    assert post(client, f"{A}/banks", {"name": "鄂银"}).status_code == 409
    assert post(client, f"{A}/banks", {"name": "x", "lengths": [7]}).status_code == 422
    off = client.patch(f"{A}/banks/{bank_id}", data=json.dumps({"active": False}), content_type="application/json").json()
    assert off["active"] is False and client.get(f"{A}/banks/{bank_id}").json()["name"] == "湖北银行"
    assert post(api(people["clerk"]), f"{A}/banks", {"name": "某行"}).status_code == 403
    body = {"name": "湖北银行格式", "bank": bank_id, "scope": "4299", "encoding": "gbk",
            "columns": [{"field": "name", "header": "户名"}, {"field": "account", "header": "账号"}, {"field": "amount_fen", "header": "金额（分）"}],
            "return_columns": {"account": "账号", "amount": "金额", "result": "结果"}}
    layout = post(client, f"{A}/bank-layouts", body)
    assert layout.status_code == 201 and (layout.json()["bank_name"], layout.json()["actions"]) == ("湖北银行", {"edit": True, "delete": True})
    lid = layout.json()["id"]
    bad = post(client, f"{A}/bank-layouts", {**body, "name": "坏", "return_columns": {"account": "账号"}})
    assert bad.status_code == 422 and bad.json()["code"] == "layout_invalid" and bad.json()["detail"]["field"] == "return_columns"
    changed = client.patch(f"{A}/bank-layouts/{lid}", data=json.dumps({"bank": None, "note": "改"}), content_type="application/json").json()
    assert (changed["bank_id"], changed["note"], changed["encoding"]) == (None, "改", "gbk")
    assert client.get(f"{A}/bank-layouts?q=湖北").json()["count"] == 1
    foreign = make_user("city_clerk", "4298", username="foreign_layout")
    assert api(foreign).get(f"{A}/bank-layouts/{lid}").status_code == 404
    assert api(foreign).delete(f"{A}/bank-layouts/{lid}").status_code == 404
    assert client.delete(f"{A}/bank-layouts/{lid}").status_code == 204
    assert client.get(f"{A}/bank-layouts/{lid}").status_code == 404


def test_reference_cli(tree, people):
    from anju.cli import main
    from anju.core.context import RequestMeta, reset_meta, set_meta

    def invoke(*args):
        token = set_meta(RequestMeta(channel="cli"))
        try:
            return contextvars.copy_context().run(CliRunner().invoke, main, list(args))
        finally:
            reset_meta(token)

    Bank.objects.filter(name="村镇银行").update(active=False)
    banks = invoke("subsidies", "bank", "list", "--as", "v_clerk", "--json")
    assert banks.exit_code == 0, banks.output
    names = [json.loads(line)["name"] for line in banks.stdout.splitlines()]
    assert "中国农业银行" in names and "村镇银行" not in names
    assert "(停用)" in invoke("subsidies", "bank", "list", "--all", "--as", "v_clerk").stdout
    layouts = invoke("subsidies", "layout", "list", "--as", "v_clerk")
    assert layouts.exit_code == 0 and "通用代发格式" in layouts.stdout
    layout = BankLayout.objects.get(name="通用代发格式")
    shown = json.loads(invoke("subsidies", "layout", "show", str(layout.pk), "--as", "v_clerk").stdout)
    assert shown["return_columns"]["result"] == "处理结果"
