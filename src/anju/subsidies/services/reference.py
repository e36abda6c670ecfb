"""Reference lists of direct subsidies: the bank list (银行名录) with its account rules, and the bank file layouts
(银行文件格式). Each write is audited.

Banks are shared by the whole installation. A layout has a scope: "" (any county) is shared reference data like the
banks; a layout with a division scope may only be set, changed or deleted by an actor whose entry scope covers it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.divisions.codes import full_code
from anju.divisions.models import Division
from anju.subsidies.layouts import LAYOUT_FIELDS, RETURN_FIELDS, layout_problems
from anju.subsidies.models import Bank, BankLayout, Batch

MSG_REQUIRED = _("请填写%(field)s")
MSG_BANK_NAME_LENGTH = _("银行名称最长 100 个字")
MSG_BANK_NAME_TAKEN = _("银行“%(name)s”已在名录中")
MSG_ALIAS_LENGTH = _("别名最长 100 个字")
MSG_ALIAS_TAKEN = _("名称或别名“%(name)s”已用于银行“%(bank)s”；同一名称只能对应一家银行")
MSG_LENGTHS = _("账号长度应为 8 至 32 之间的整数")
MSG_LUHN_PREFIX = _("校验 Luhn 的卡号前缀应为 1 至 6 位数字")
MSG_LAYOUT_NAME_LENGTH = _("格式名称最长 100 个字")
MSG_LAYOUT_NAME_TAKEN = _("格式名称“%(name)s”已被使用")
MSG_LAYOUT_BANK = _("银行不存在")
MSG_LAYOUT_FORMAT = _("文件类型应为 xlsx 或 csv")
MSG_LAYOUT_ENCODING = _("编码应为 utf-8、utf-8-sig 或 gbk")
MSG_LAYOUT_GBK = _("列标题“%(header)s”含有 GBK 编码不能表示的字符")
MSG_LAYOUT_INVALID = _("银行文件格式有误：%(problems)s")
MSG_HEADER_LENGTH = _("列标题最长 50 个字")
MSG_NOTE_LENGTH = _("说明最长 300 个字")
MSG_SCOPE_FORMAT = _("适用区划应为 2、4、6、9 或 12 位区划代码；所有地区通用留空")
MSG_SCOPE_UNKNOWN = _("区划代码 %(code)s 不存在")
MSG_SCOPE_ENTRY = _("适用区划不在您的录入范围内")
MSG_LAYOUT_OUT_OF_ENTRY = _("该格式不在您的录入范围内，不能修改或删除")
MSG_LAYOUT_IN_USE = _("已有发放批次使用该格式（%(batches)s），不能删除")

BANK_FIELDS = ("name", "aliases", "lengths", "luhn_prefixes", "active")
LAYOUT_EDITABLE = ("name", "bank", "scope", "file_format", "encoding", "columns", "control_total", "return_columns", "note")


def _invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, code=f"{field}_invalid", detail={"field": field})


def _norm(name: str) -> str:
    """Names compare without whitespace (as BankRules matches them)."""
    return "".join((name or "").split())


def _text(field: str, value, limit: int, message, *, label=None) -> str:
    text = " ".join(str(value or "").split()) if field != "note" else str(value or "").strip()
    if label is not None and not text:
        raise _invalid(field, MSG_REQUIRED % {"field": label})
    if "\x00" in text or len(text) > limit:
        raise _invalid(field, message)
    return text


# --- banks -----------------------------------------------------------------------------------------------------

def _aliases(value, name: str) -> list[str]:
    found: list[str] = []
    for alias in value or []:
        alias = " ".join(str(alias).split())
        if not alias or _norm(alias) == _norm(name) or _norm(alias) in {_norm(a) for a in found}:
            continue
        if "\x00" in alias or len(alias) > 100:
            raise _invalid("aliases", MSG_ALIAS_LENGTH)
        found.append(alias)
    return found


def _lengths(value) -> list[int]:
    found = set()
    for n in value or []:
        if isinstance(n, bool):
            raise _invalid("lengths", MSG_LENGTHS)
        try:
            number = int(str(n).strip())
        except ValueError:
            raise _invalid("lengths", MSG_LENGTHS) from None
        if not 8 <= number <= 32:
            raise _invalid("lengths", MSG_LENGTHS)
        found.add(number)
    return sorted(found)


def _prefixes(value) -> list[str]:
    found: list[str] = []
    for p in value or []:
        p = str(p).strip()
        if not (p.isascii() and p.isdigit() and 1 <= len(p) <= 6):
            raise _invalid("luhn_prefixes", MSG_LUHN_PREFIX)
        if p not in found:
            found.append(p)
    return found


def _check_names_free(name: str, aliases: list[str], exclude: int | None) -> None:
    """A name or alias may stand for one bank only (BankRules would otherwise pick one at random)."""
    taken: dict[str, str] = {}
    for other in Bank.objects.exclude(pk=exclude).only("name", "aliases"):
        for n in [other.name, *(other.aliases or [])]:
            taken.setdefault(_norm(n), other.name)
    if _norm(name) in taken:
        bank = taken[_norm(name)]
        if _norm(bank) == _norm(name):
            raise Conflict(MSG_BANK_NAME_TAKEN % {"name": name}, code="bank_name_taken", detail={"field": "name"})
        raise Conflict(MSG_ALIAS_TAKEN % {"name": name, "bank": bank}, code="bank_alias_taken", detail={"field": "name"})
    for alias in aliases:
        if _norm(alias) in taken:
            raise Conflict(MSG_ALIAS_TAKEN % {"name": alias, "bank": taken[_norm(alias)]}, code="bank_alias_taken",
                           detail={"field": "aliases"})


def _bank_snapshot(b: Bank) -> dict[str, Any]:
    return {"name": b.name, "aliases": list(b.aliases or []), "lengths": list(b.lengths or []), "luhn_prefixes": list(b.luhn_prefixes or []),
            "active": b.active}


def bank_create(*, actor, name: str, aliases: list[str] | None = None, lengths: list[int] | None = None,
                luhn_prefixes: list[str] | None = None, active: bool = True) -> Bank:
    """A new bank in the list; its name and aliases must not name another bank."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    name = _text("name", name, 100, MSG_BANK_NAME_LENGTH, label=_("银行名称"))
    aliases, lengths, luhn_prefixes = _aliases(aliases, name), _lengths(lengths), _prefixes(luhn_prefixes)
    _check_names_free(name, aliases, None)
    try:
        with transaction.atomic():
            bank = Bank.objects.create(name=name, aliases=aliases, lengths=lengths, luhn_prefixes=luhn_prefixes, active=bool(active))
            audit_record(actor=actor, action="subsidies.bank.created", object_type="bank", object_id=bank.pk, after=_bank_snapshot(bank))
    except IntegrityError:  # a concurrent create took the name
        raise Conflict(MSG_BANK_NAME_TAKEN % {"name": name}, code="bank_name_taken", detail={"field": "name"}) from None
    return bank


def bank_update(*, actor, bank: Bank, name: str | None = None, aliases: list[str] | None = None, lengths: list[int] | None = None,
                luhn_prefixes: list[str] | None = None, active: bool | None = None) -> Bank:
    """Change a bank (from access_bank); None leaves a field. Deactivating one keeps it for history but its accounts no
    longer pass the check (BankRules loads active banks only)."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    before = _bank_snapshot(bank)
    if name is not None:
        bank.name = _text("name", name, 100, MSG_BANK_NAME_LENGTH, label=_("银行名称"))
    if aliases is not None:
        bank.aliases = _aliases(aliases, bank.name)
    if lengths is not None:
        bank.lengths = _lengths(lengths)
    if luhn_prefixes is not None:
        bank.luhn_prefixes = _prefixes(luhn_prefixes)
    if active is not None:
        bank.active = bool(active)
    _check_names_free(bank.name, bank.aliases, bank.pk)
    old, new = audit_diff(before, _bank_snapshot(bank))
    if not new:
        return bank
    action = "subsidies.bank.updated"
    if set(new) == {"active"}:
        action = "subsidies.bank.activated" if bank.active else "subsidies.bank.deactivated"
    try:
        with transaction.atomic():
            bank.save(update_fields=[*BANK_FIELDS, "updated_at"])
            audit_record(actor=actor, action=action, object_type="bank", object_id=bank.pk, before=old, after=new)
    except IntegrityError:
        raise Conflict(MSG_BANK_NAME_TAKEN % {"name": bank.name}, code="bank_name_taken", detail={"field": "name"}) from None
    return bank


def bank_set_active(*, actor, bank: Bank, active: bool) -> Bank:
    """启用 / 停用 a bank."""
    return bank_update(actor=actor, bank=bank, active=active)


# --- layouts ---------------------------------------------------------------------------------------------------

def layout_may_enter(actor, scope: str) -> bool:
    """A shared layout ("") is open to every holder of the permission; a scoped one to those whose entry scope covers it."""
    prefix = actor.entry_prefix
    return not scope or (prefix.isdigit() and scope.startswith(prefix))


def _scope(actor, value) -> str:
    value = str(value or "").strip()
    if not value:
        return ""
    try:
        code = full_code(value)
    except ValueError:
        raise _invalid("scope", MSG_SCOPE_FORMAT) from None
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise _invalid("scope", MSG_SCOPE_UNKNOWN % {"code": value})
    if not layout_may_enter(actor, division.prefix):
        raise _invalid("scope", MSG_SCOPE_ENTRY)
    return division.prefix


def _bank(value) -> Bank | None:
    if value in (None, ""):
        return None
    if isinstance(value, Bank):
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise _invalid("bank", MSG_LAYOUT_BANK) from None
    bank = Bank.objects.filter(pk=pk).first()
    if bank is None:
        raise _invalid("bank", MSG_LAYOUT_BANK)
    return bank


def _columns(value) -> list[dict[str, str]]:
    columns = []
    for col in value or []:
        if not isinstance(col, dict):
            columns.append({"field": "", "header": ""})
            continue
        header = " ".join(str(col.get("header", "")).split())
        if "\x00" in header or len(header) > 50:
            raise _invalid("columns", MSG_HEADER_LENGTH)
        columns.append({"field": str(col.get("field", "")).strip(), "header": header})
    return columns


def _return_columns(value) -> dict[str, str]:
    found = {}
    for field, header in (value or {}).items():
        header = " ".join(str(header or "").split())
        if "\x00" in header or len(header) > 50:
            raise _invalid("return_columns", MSG_HEADER_LENGTH)
        if header:
            found[str(field).strip()] = header
    return found


def clean_layout(actor, data: dict[str, Any]) -> dict[str, Any]:
    """A layout's fields checked and normalised; the columns through layout_problems (all problems in detail)."""
    clean = {
        "name": _text("name", data.get("name"), 100, MSG_LAYOUT_NAME_LENGTH, label=_("格式名称")),
        "bank": _bank(data.get("bank")),
        "scope": _scope(actor, data.get("scope")),
        "file_format": str(data.get("file_format") or BankLayout.Format.XLSX),
        "encoding": str(data.get("encoding") or BankLayout.Encoding.UTF8_BOM),
        "columns": _columns(data.get("columns")),
        "control_total": bool(data.get("control_total", True)),
        "return_columns": _return_columns(data.get("return_columns")),
        "note": _text("note", data.get("note"), 300, MSG_NOTE_LENGTH),
    }
    if clean["file_format"] not in BankLayout.Format.values:
        raise _invalid("file_format", MSG_LAYOUT_FORMAT)
    if clean["encoding"] not in BankLayout.Encoding.values:
        raise _invalid("encoding", MSG_LAYOUT_ENCODING)
    problems = layout_problems(clean["columns"], clean["return_columns"])
    if problems:
        complete_return = dict.fromkeys(("account", "amount", "result"), "-")
        field = "columns" if layout_problems(clean["columns"], complete_return) else "return_columns"
        raise ValidationFailed(MSG_LAYOUT_INVALID % {"problems": "；".join(problems)}, code="layout_invalid",
                               detail={"field": field, "problems": problems})
    if clean["encoding"] == BankLayout.Encoding.GBK:
        for header in [c["header"] for c in clean["columns"]] + list(clean["return_columns"].values()):
            try:
                header.encode("gbk")
            except UnicodeEncodeError:
                raise _invalid("columns", MSG_LAYOUT_GBK % {"header": header}) from None
    return clean


def _layout_snapshot(layout: BankLayout) -> dict[str, Any]:
    return {"name": layout.name, "bank": layout.bank_id, "scope": layout.scope, "file_format": layout.file_format,
            "encoding": layout.encoding, "columns": layout.columns, "control_total": layout.control_total,
            "return_columns": layout.return_columns, "note": layout.note}


def _layout_division(layout: BankLayout) -> str:
    return layout.scope.ljust(12, "0") if layout.scope else ""


def _name_taken(name: str) -> Conflict:
    return Conflict(MSG_LAYOUT_NAME_TAKEN % {"name": name}, code="layout_name_taken", detail={"field": "name"})


def layout_create(*, actor, name: str, columns: list[dict], return_columns: dict | None = None, bank: Bank | int | None = None,
                  scope: str = "", file_format: str = BankLayout.Format.XLSX, encoding: str = BankLayout.Encoding.UTF8_BOM,
                  control_total: bool = True, note: str = "") -> BankLayout:
    """A new bank file layout; its columns must make a payable file and its return columns a readable return file."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    clean = clean_layout(actor, {"name": name, "columns": columns, "return_columns": return_columns, "bank": bank, "scope": scope,
                                 "file_format": file_format, "encoding": encoding, "control_total": control_total, "note": note})
    if BankLayout.objects.filter(name=clean["name"]).exists():
        raise _name_taken(clean["name"])
    try:
        with transaction.atomic():
            layout = BankLayout.objects.create(**clean)
            audit_record(actor=actor, action="subsidies.layout.created", object_type="bank_layout", object_id=layout.pk,
                         division_code=_layout_division(layout), after=_layout_snapshot(layout))
    except IntegrityError:
        raise _name_taken(clean["name"]) from None
    return layout


def layout_update(*, actor, layout: BankLayout, **changes: Any) -> BankLayout:
    """Change a layout (from access_layout) the actor may enter; fields not given stay. Files already written keep the
    layout they were written with; the next export uses the new one."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    unknown = set(changes) - set(LAYOUT_EDITABLE)
    if unknown:
        raise TypeError(f"layout_update: unknown fields {sorted(unknown)}")
    if not layout_may_enter(actor, layout.scope):
        raise PermissionDenied(MSG_LAYOUT_OUT_OF_ENTRY, code="layout_out_of_entry")
    before = _layout_snapshot(layout)
    data = {f: getattr(layout, f) for f in LAYOUT_EDITABLE} | changes
    clean = clean_layout(actor, data)
    if clean["name"] != layout.name and BankLayout.objects.filter(name=clean["name"]).exclude(pk=layout.pk).exists():
        raise _name_taken(clean["name"])
    for field, value in clean.items():
        setattr(layout, field, value)
    old, new = audit_diff(before, _layout_snapshot(layout))
    if not new:
        return layout
    try:
        with transaction.atomic():
            layout.save(update_fields=[*LAYOUT_EDITABLE, "updated_at"])
            audit_record(actor=actor, action="subsidies.layout.updated", object_type="bank_layout", object_id=layout.pk,
                         division_code=_layout_division(layout), before=old, after=new)
    except IntegrityError:
        raise _name_taken(layout.name) from None
    return layout


def layout_delete(*, actor, layout: BankLayout) -> None:
    """Delete a layout no batch has used (BankLayout has no active flag; a used one stays, as batches name it)."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    if not layout_may_enter(actor, layout.scope):
        raise PermissionDenied(MSG_LAYOUT_OUT_OF_ENTRY, code="layout_out_of_entry")
    with transaction.atomic():
        used = list(Batch.objects.filter(layout=layout).order_by("number").values_list("number", flat=True)[:10])
        if used:
            raise Conflict(MSG_LAYOUT_IN_USE % {"batches": "、".join(used)}, code="layout_in_use", detail={"batches": used})
        snapshot, pk = _layout_snapshot(layout), layout.pk
        layout.delete()
        audit_record(actor=actor, action="subsidies.layout.deleted", object_type="bank_layout", object_id=pk,
                     division_code=snapshot["scope"].ljust(12, "0") if snapshot["scope"] else "", before=snapshot)


__all__ = ["bank_create", "bank_update", "bank_set_active", "layout_create", "layout_update", "layout_delete", "clean_layout",
           "layout_may_enter", "LAYOUT_FIELDS", "RETURN_FIELDS"]
