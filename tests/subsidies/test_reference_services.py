"""Reference lists: banks (names, aliases, account rules, deactivation) and bank file layouts (checked columns, scope)."""

from __future__ import annotations

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.subsidies.banks import BankRules, bank_account_problem
from anju.subsidies.layouts import MSG_LAYOUT_AMOUNT, MSG_LAYOUT_FIELD, MSG_RETURN_REQUIRED
from anju.subsidies.models import Bank, BankLayout, Batch
from anju.subsidies.selectors_reference import access_layout, bank_list, layout_list
from anju.subsidies.services import reference as svc

from .factories import actors, card, make_batch

COLUMNS = [{"field": "name", "header": "户名"}, {"field": "account", "header": "账号"}, {"field": "amount", "header": "金额"}]
RETURNS = {"account": "账号", "amount": "金额", "result": "处理结果"}


@pytest.fixture
def people(make_user):
    return actors(make_user)


def test_bank_create_and_its_rules_apply(tree, people):
    bank = svc.bank_create(actor=people["city_clerk"], name=" 湖北银行 ", aliases=["鄂银", "湖北银行", " 鄂银 ", "湖北银行股份有限公司"],
                           lengths=["19", 16, 16], luhn_prefixes=["62"])
    assert (bank.name, bank.aliases, bank.lengths, bank.luhn_prefixes, bank.active) == (
        "湖北银行", ["鄂银", "湖北银行股份有限公司"], [16, 19], ["62"], True)
    assert AuditEvent.objects.get(action="subsidies.bank.created").after["aliases"] == ["鄂银", "湖北银行股份有限公司"]
    rules = BankRules.load()
    assert bank_account_problem(rules, "鄂银", card()) == ""
    assert bank_account_problem(rules, "鄂银", "12345678901234567") != ""  # 17 digits


@pytest.mark.parametrize(("values", "exc_type", "message"), [
    ({"name": " "}, ValidationFailed, svc.MSG_REQUIRED % {"field": "银行名称"}),
    ({"name": "长" * 101}, ValidationFailed, svc.MSG_BANK_NAME_LENGTH),
    ({"lengths": [7]}, ValidationFailed, svc.MSG_LENGTHS),
    ({"lengths": ["十六"]}, ValidationFailed, svc.MSG_LENGTHS),
    ({"luhn_prefixes": ["6a"]}, ValidationFailed, svc.MSG_LUHN_PREFIX),
    ({"aliases": ["长" * 101]}, ValidationFailed, svc.MSG_ALIAS_LENGTH),
    ({"name": "中国 农业银行"}, Conflict, svc.MSG_BANK_NAME_TAKEN % {"name": "中国 农业银行"}),
    ({"name": "农行"}, Conflict, svc.MSG_ALIAS_TAKEN % {"name": "农行", "bank": "中国农业银行"}),
    ({"aliases": ["邮储银行"]}, Conflict, svc.MSG_ALIAS_TAKEN % {"name": "邮储银行", "bank": "中国邮政储蓄银行"}),
])
def test_bank_validation(tree, people, values, exc_type, message):
    with pytest.raises(exc_type) as exc:
        svc.bank_create(actor=people["city_clerk"], **({"name": "湖北银行"} | values))
    assert exc.value.message == str(message)
    assert not Bank.objects.filter(name="湖北银行").exists()


def test_bank_update_and_deactivate(tree, people):
    bank = Bank.objects.get(name="村镇银行")
    with pytest.raises(PermissionDenied):
        svc.bank_update(actor=people["clerk"], bank=bank, lengths=[16])
    svc.bank_update(actor=people["city_clerk"], bank=bank, lengths=[16, 19], aliases=["村镇行"])
    event = AuditEvent.objects.get(action="subsidies.bank.updated")
    assert event.after == {"aliases": ["村镇行"], "lengths": [16, 19]} and event.before["aliases"] == []
    svc.bank_set_active(actor=people["city_clerk"], bank=bank, active=False)
    assert not Bank.objects.get(pk=bank.pk).active and AuditEvent.objects.filter(action="subsidies.bank.deactivated").count() == 1
    assert "不在银行名录中" in bank_account_problem(BankRules.load(), "村镇行", card())
    assert bank not in bank_list(actor=people["clerk"], active=True)
    svc.bank_set_active(actor=people["city_clerk"], bank=bank, active=True)
    assert AuditEvent.objects.filter(action="subsidies.bank.activated").count() == 1
    svc.bank_update(actor=people["city_clerk"], bank=bank, active=True)  # nothing changes: no event
    assert AuditEvent.objects.filter(object_type="bank").count() == 3
    with pytest.raises(Conflict):
        svc.bank_update(actor=people["city_clerk"], bank=bank, aliases=["工行"])


def test_layout_create_checks_the_columns(tree, people):
    layout = svc.layout_create(actor=people["city_clerk"], name="湖北银行格式", columns=[*COLUMNS, {"field": "reference", "header": " 业务 编号 "}],
                               return_columns={**RETURNS, "reason": " ", "bank_ref": "流水号"}, bank=Bank.objects.get(name="中国银行").pk,
                               scope="429921", file_format="csv", encoding="gbk", control_total=False, note="县农商行")
    assert (layout.scope, layout.bank.name, layout.encoding, layout.control_total) == ("429921", "中国银行", "gbk", False)
    assert layout.columns[-1] == {"field": "reference", "header": "业务 编号"}
    assert layout.return_columns == {**RETURNS, "bank_ref": "流水号"}  # a blank header is no column
    assert AuditEvent.objects.get(action="subsidies.layout.created").division_code == "429921000000"
    with pytest.raises(ValidationFailed) as exc:
        svc.layout_create(actor=people["city_clerk"], name="坏", columns=[{"field": "name", "header": "户名"}, {"field": "acct", "header": "账号"}],
                          return_columns={"account": "账号"})
    problems = exc.value.detail["problems"]
    assert str(MSG_LAYOUT_FIELD % {"n": 2, "field": "acct"}) in problems and str(MSG_LAYOUT_AMOUNT) in problems
    assert str(MSG_RETURN_REQUIRED % {"fields": "金额、处理结果"}) in problems and exc.value.detail["field"] == "columns"
    with pytest.raises(ValidationFailed) as exc:
        svc.layout_create(actor=people["city_clerk"], name="坏", columns=COLUMNS, return_columns={"account": "账号"})
    assert exc.value.detail["field"] == "return_columns"
    with pytest.raises(ValidationFailed) as exc:
        svc.layout_create(actor=people["city_clerk"], name="坏", columns=[*COLUMNS[:2], {"field": "amount", "header": "金额€"}],
                          return_columns=RETURNS, encoding="gbk")
    assert exc.value.message == str(svc.MSG_LAYOUT_GBK % {"header": "金额€"})
    for kwargs, message in (({"scope": "429821"}, svc.MSG_SCOPE_UNKNOWN % {"code": "429821"}), ({"scope": "4298x"}, svc.MSG_SCOPE_FORMAT),
                            ({"bank": 10**6}, svc.MSG_LAYOUT_BANK), ({"file_format": "txt"}, svc.MSG_LAYOUT_FORMAT),
                            ({"encoding": "big5"}, svc.MSG_LAYOUT_ENCODING)):
        with pytest.raises(ValidationFailed) as exc:
            svc.layout_create(actor=people["city_clerk"], name="坏", columns=COLUMNS, return_columns=RETURNS, **kwargs)
        assert exc.value.message == str(message)
    with pytest.raises(Conflict) as exc:
        svc.layout_create(actor=people["city_clerk"], name="通用代发格式", columns=COLUMNS, return_columns=RETURNS)
    assert exc.value.message == str(svc.MSG_LAYOUT_NAME_TAKEN % {"name": "通用代发格式"})


def test_layout_scope_update_and_delete(tree, other_city, people, make_user):
    foreign = make_user("city_clerk", "4298", username="foreign_ref")
    theirs = svc.layout_create(actor=foreign, name="外市格式", columns=COLUMNS, return_columns=RETURNS, scope="4298")
    with pytest.raises(ValidationFailed) as exc:
        svc.layout_create(actor=people["city_clerk"], name="越界", columns=COLUMNS, return_columns=RETURNS, scope="4298")
    assert exc.value.message == str(svc.MSG_SCOPE_ENTRY)
    ours = svc.layout_create(actor=people["city_clerk"], name="本市格式", columns=COLUMNS, return_columns=RETURNS, scope="4299")
    names = {x.name for x in layout_list(actor=people["clerk"])}
    assert {"通用代发格式", "本市格式"} <= names and "外市格式" not in names
    with pytest.raises(NotFound):
        access_layout(people["city_clerk"], theirs.pk)
    with pytest.raises(PermissionDenied):
        svc.layout_update(actor=people["city_clerk"], layout=theirs, note="x")
    svc.layout_update(actor=people["city_clerk"], layout=ours, note="改", columns=[*COLUMNS, {"field": "seq", "header": "序号"}])
    event = AuditEvent.objects.get(action="subsidies.layout.updated")
    assert set(event.after) == {"note", "columns"}
    shared = BankLayout.objects.get(name="通用代发格式")
    make_batch(layout=shared, state=Batch.State.EXPORTED)
    with pytest.raises(Conflict) as exc:
        svc.layout_delete(actor=people["city_clerk"], layout=shared)
    assert exc.value.code == "layout_in_use"
    svc.layout_delete(actor=people["city_clerk"], layout=ours)
    assert not BankLayout.objects.filter(name="本市格式").exists()
    assert AuditEvent.objects.get(action="subsidies.layout.deleted").before["name"] == "本市格式"
