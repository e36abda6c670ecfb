"""Seed data: the national policy version (国发〔2006〕17号, already loaded as core policy defaults), a bank list with
the account rules of the banks that pay rural subsidies, and a default bank file layout. All are editable data."""

import datetime as dt

from django.db import migrations

CARD = ["62"]  # UnionPay debit cards carry a Luhn check digit; passbook accounts (存折) do not
BANKS = [
    ("中国农业银行", ["农业银行", "农行", "中国农业银行股份有限公司"], [16, 17, 18, 19], CARD),
    ("中国邮政储蓄银行", ["邮政储蓄银行", "邮储银行", "邮政储蓄", "邮政银行"], [16, 17, 18, 19, 21], CARD),
    ("农村商业银行", ["农商银行", "农商行", "农村信用合作社", "农村信用合作联社", "农村信用社", "信用社", "农信社", "农村合作银行"],
     [16, 17, 18, 19, 20, 21, 22], CARD),
    ("中国工商银行", ["工商银行", "工行"], [16, 17, 19], CARD),
    ("中国建设银行", ["建设银行", "建行"], [16, 19], CARD),
    ("中国银行", ["中行"], [16, 19], CARD),
    ("交通银行", ["交行"], [17, 19], CARD),
    ("村镇银行", [], [16, 17, 18, 19, 20, 21, 22], CARD),
]

LAYOUT_COLUMNS = [
    {"field": "seq", "header": "序号"},
    {"field": "name", "header": "户名"},
    {"field": "account", "header": "账号"},
    {"field": "amount", "header": "金额"},
    {"field": "id_number", "header": "身份证号"},
    {"field": "bank_name", "header": "开户银行"},
    {"field": "village", "header": "所在村"},
    {"field": "remark", "header": "摘要"},
    {"field": "reference", "header": "业务编号"},
]
RETURN_COLUMNS = {"reference": "业务编号", "name": "户名", "account": "账号", "amount": "金额", "result": "处理结果",
                  "reason": "失败原因", "bank_ref": "银行流水号"}


def seed(apps, schema_editor):
    SubsidyPolicy = apps.get_model("subsidies", "SubsidyPolicy")
    Bank = apps.get_model("subsidies", "Bank")
    BankLayout = apps.get_model("subsidies", "BankLayout")
    SubsidyPolicy.objects.get_or_create(
        scope="", effective_from=dt.date(2006, 7, 1), title="国家政策（国发〔2006〕17号）",
        defaults={"doc_number": "国发〔2006〕17号", "state": "published", "standard_yuan": 600, "frequency": "yearly",
                  "cutoff_date": dt.date(2006, 6, 30), "period_start_current": dt.date(2006, 7, 1), "period_years_current": 20,
                  "period_years": 20, "removal_effective": "next_year", "direct_modes": ["direct"],
                  "note": "每人每年600元，扶持20年；2006年6月30日前搬迁的现状人口自2006年7月1日起，之后搬迁的原迁人口自完成搬迁之月起。"})
    for name, aliases, lengths, prefixes in BANKS:
        Bank.objects.get_or_create(name=name, defaults={"aliases": aliases, "lengths": lengths, "luhn_prefixes": prefixes})
    BankLayout.objects.get_or_create(name="通用代发格式", defaults={
        "file_format": "xlsx", "encoding": "utf-8-sig", "columns": LAYOUT_COLUMNS, "control_total": True,
        "return_columns": RETURN_COLUMNS, "note": "序号、户名、账号、金额、身份证号；首行为批次号、笔数与总金额"})
    BankLayout.objects.get_or_create(name="农商行批量代发（GBK 文本）", defaults={
        "file_format": "csv", "encoding": "gbk", "columns": [c for c in LAYOUT_COLUMNS if c["field"] in ("seq", "account", "name", "amount", "reference")],
        "control_total": True, "return_columns": RETURN_COLUMNS, "note": "旧版农信代发系统：GBK 编码的逗号分隔文本"})


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0002_item_claim_guard")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
