"""The vocabulary of bank file layouts: the fields a bank file (代发文件) may carry and those a return file (回盘文件) must."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# field -> default header; a layout lists some of them in the bank's order, with the bank's own headers
LAYOUT_FIELDS = {
    "seq": _("序号"),
    "name": _("户名"),
    "account": _("账号"),
    "amount": _("金额"),  # yuan with two decimals
    "amount_fen": _("金额（分）"),
    "id_number": _("身份证号"),
    "bank_name": _("开户银行"),
    "township": _("乡镇"),
    "village": _("所在村"),
    "household_number": _("户编号"),
    "months": _("月数"),
    "period": _("发放期间"),
    "remark": _("摘要"),
    "reference": _("业务编号"),  # the item's reference, echoed back by most banks' return files
}
REQUIRED_LAYOUT_FIELDS = ("name", "account")  # plus one of amount / amount_fen

RETURN_FIELDS = {
    "reference": _("业务编号"),
    "name": _("户名"),
    "account": _("账号"),
    "amount": _("金额"),
    "result": _("处理结果"),  # 成功 / 失败 (and the bank's spellings of them)
    "reason": _("失败原因"),
    "bank_ref": _("银行流水号"),
}
REQUIRED_RETURN_FIELDS = ("account", "amount", "result")

MSG_LAYOUT_EMPTY = _("请至少设置一列")
MSG_LAYOUT_FIELD = _("第 %(n)s 列：不支持的字段“%(field)s”")
MSG_LAYOUT_DUPLICATE = _("第 %(n)s 列：字段“%(field)s”重复")
MSG_LAYOUT_HEADER = _("第 %(n)s 列：请填写列标题")
MSG_LAYOUT_REQUIRED = _("银行文件必须包含：%(fields)s")
MSG_LAYOUT_AMOUNT = _("银行文件必须包含金额（元）或金额（分）")
MSG_RETURN_FIELD = _("回盘文件：不支持的字段“%(field)s”")
MSG_RETURN_REQUIRED = _("回盘文件必须包含：%(fields)s")


def layout_problems(columns, return_columns) -> list[str]:
    """What is wrong with a layout's columns ([{field, header}]) and return columns ({field: header}); [] when fine."""
    problems: list[str] = []
    if not isinstance(columns, list) or not columns:
        return [str(MSG_LAYOUT_EMPTY)]
    seen = set()
    for n, col in enumerate(columns, start=1):
        field = (col or {}).get("field", "") if isinstance(col, dict) else ""
        if field not in LAYOUT_FIELDS:
            problems.append(str(MSG_LAYOUT_FIELD % {"n": n, "field": field}))
        elif field in seen:
            problems.append(str(MSG_LAYOUT_DUPLICATE % {"n": n, "field": LAYOUT_FIELDS[field]}))
        if not str((col or {}).get("header", "") if isinstance(col, dict) else "").strip():
            problems.append(str(MSG_LAYOUT_HEADER % {"n": n}))
        seen.add(field)
    missing = [str(LAYOUT_FIELDS[f]) for f in REQUIRED_LAYOUT_FIELDS if f not in seen]
    if missing:
        problems.append(str(MSG_LAYOUT_REQUIRED % {"fields": "、".join(missing)}))
    if not seen & {"amount", "amount_fen"}:
        problems.append(str(MSG_LAYOUT_AMOUNT))
    if not isinstance(return_columns, dict):
        return_columns = {}
    for field in return_columns:
        if field not in RETURN_FIELDS:
            problems.append(str(MSG_RETURN_FIELD % {"field": field}))
    missing = [str(RETURN_FIELDS[f]) for f in REQUIRED_RETURN_FIELDS if not str(return_columns.get(f, "")).strip()]
    if missing:
        problems.append(str(MSG_RETURN_REQUIRED % {"fields": "、".join(missing)}))
    return problems
