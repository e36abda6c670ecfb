"""Bank returns in (回盘): read the bank's result file, match each row to an exported item, flag what cannot be applied
silently, apply the rest (paid / failed), and record the file and every row.

Matching, per row: by the reference (业务编号 = the item id) when the row carries one and it names an item of the batch
with the same account and amount; otherwise by account (blind index) and amount. Several items may share one card
(a family's card): rows and items of one account and amount are paired 1:1, rows first taking the item of the same
name. A row is flagged — never applied — when it is unreadable (invalid), its account is not in the batch
(unknown_account), its account is but not its amount (amount_mismatch), it is one row too many for its account and
amount or repeats a reference (duplicate), or its item already has a result (already_resolved).

Mode "all" applies nothing if any row is flagged (the return is recorded as rejected, with an error workbook); mode
"valid_only" applies the matched rows and leaves the flagged ones for manual resolution.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.bulk import bulk_insert
from anju.core.crypto import blind_index
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed, join_list
from anju.core.masking import mask_bank_account
from anju.imports.errors import RowError, write_error_workbook
from anju.imports.readers import read_table
from anju.imports.spec import FieldSpec, TableSpec, register_spec
from anju.imports.values import CellError, parse_date, parse_decimal, parse_digits, parse_name, parse_text
from anju.subsidies.layouts import RETURN_FIELDS
from anju.subsidies.models import BankLayout, BankReturn, BankReturnRow, Batch, Item
from anju.subsidies.months import yuan_text
from anju.subsidies.services.bankfiles import MSG_NO_PII
from anju.subsidies.services.batches import batch_totals_refresh

Progress = Callable[[int, str], None]

TEMPLATE = "subsidies.bank_return"
RETURNABLE = (Batch.State.EXPORTED, Batch.State.RETURNED)
SUFFIXES = (".xlsx", ".xls", ".xlsm", ".csv", ".txt")
MAX_FILE_BYTES = 200 * 1024 * 1024

MSG_RETURN_STATE = gettext_lazy("只有已出盘或已回盘的批次可以导入回盘文件（该批次为“%(state)s”）")
MSG_MODE = gettext_lazy("入账方式应为 all（全部无误才入账）或 valid_only（只入账无误的行）")
MSG_FILE_TYPE = gettext_lazy("不支持的文件类型“%(name)s”：请上传银行回盘的 .xlsx、.xls 或 .csv 文件")
MSG_FILE_TOO_BIG = gettext_lazy("文件过大，上限为 %(mb)s MB")
MSG_EMPTY = gettext_lazy("回盘文件中没有数据行")
MSG_REQUIRED = gettext_lazy("请填写%(column)s")
MSG_AMOUNT = gettext_lazy("金额应大于 0，最多两位小数")
MSG_RESULT = gettext_lazy("“%(value)s”不是可识别的处理结果：成功填“成功”（或 交易成功、已入账、S），失败填“失败”（或 交易失败、F）")
MSG_UNKNOWN_ACCOUNT = gettext_lazy("该账号不在本批次已出盘的明细中")
MSG_HELD_ACCOUNT = gettext_lazy("该账号在本批次中只有暂缓发放（未出盘）的明细")
MSG_AMOUNT_MISMATCH = gettext_lazy("本批次该账号的金额为 %(amounts)s 元，与回盘金额 %(amount)s 元不符")
MSG_DUPLICATE_ROWS = gettext_lazy("该账号、金额的回盘行多于本批次的明细（%(items)s 笔），本行多出")
MSG_DUPLICATE_REFERENCE = gettext_lazy("业务编号 %(reference)s 在文件中重复出现（首次在第 %(first)s 行）")
MSG_ALREADY = gettext_lazy("该笔已有结果（%(state)s），不再重复入账")
MSG_CONCURRENT = gettext_lazy("入账时发现部分明细已被他人处理，本次未入账，请刷新后重试")

SUCCESS_WORDS = frozenset({"成功", "交易成功", "已入账", "入账成功", "处理成功", "发放成功", "代发成功", "已成功", "已发放", "success",
                           "succeeded", "successful", "s", "ok", "y"})
FAILURE_WORDS = frozenset({"失败", "交易失败", "入账失败", "处理失败", "发放失败", "代发失败", "退票", "已退回", "退回", "fail", "failed",
                           "failure", "f", "n", "error"})

# Field -> (built-in aliases, required, text). Labels are RETURN_FIELDS; a layout's own headers are added per layout.
_ALIASES = {
    "reference": (("业务编号", "业务参考号", "参考号", "客户流水号", "商户流水号", "明细编号", "编号"), False, True),
    "name": (("户名", "姓名", "账户名称", "账户名", "收款人", "收款人姓名", "收款户名"), False, False),
    "account": (("账号", "卡号", "银行账号", "收款账号", "收款人账号", "账户", "卡号/账号", "银行卡号"), True, True),
    "amount": (("金额", "交易金额", "发放金额", "代发金额", "金额（元）", "实发金额"), True, False),
    "result": (("处理结果", "交易结果", "处理状态", "交易状态", "状态", "结果", "入账结果"), True, False),
    "reason": (("失败原因", "错误信息", "失败说明", "返回信息", "错误原因", "备注"), False, False),
    "bank_ref": (("银行流水号", "流水号", "交易流水号", "银行交易流水号", "核心流水号"), False, True),
}
PAID_ON_FIELD = FieldSpec("paid_on", str(gettext_lazy("入账日期")), ("交易日期", "入账时间", "处理日期", "记账日期", "发放日期", "交易时间"))


def _spec(extra: dict[str, str] | None = None) -> TableSpec:
    fields = []
    for name, label in RETURN_FIELDS.items():
        aliases, required, text = _ALIASES[name]
        own = str((extra or {}).get(name, "") or "").strip()
        fields.append(FieldSpec(name, str(label), tuple(a for a in ((own,) if own else ()) + aliases if a != str(label)), required=required,
                                text=text))
    fields.append(PAID_ON_FIELD)
    return TableSpec(TEMPLATE, str(gettext_lazy("银行回盘文件")), tuple(fields))


RETURN_SPEC = register_spec(_spec())


def return_spec(layout: BankLayout | None) -> TableSpec:
    """The return template with the layout's return headers as aliases (users' aliases of the template apply too)."""
    return _spec(layout.return_columns if layout is not None and isinstance(layout.return_columns, dict) else None)


def result_word(value) -> bool | None:
    """True for the bank's spellings of success, False for failure, None when unrecognised."""
    text = parse_text(value).replace(" ", "").lower()
    if text in SUCCESS_WORDS:
        return True
    if text in FAILURE_WORDS:
        return False
    return None


# --- reading -----------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Row:
    number: int
    reference: int | None = None
    reference_text: str = ""
    name: str = ""
    account_hash: str = ""
    account_masked: str = ""
    amount: int | None = None
    success: bool | None = None
    reason: str = ""
    bank_ref: str = ""
    paid_on: dt.date | None = None
    errors: list = field(default_factory=list)  # [(field, message)]
    flag: str = ""
    message: str = ""
    column: str = ""  # the field a flag is about (the error workbook marks that cell)
    item: int | None = None
    applied: bool = False


def _parse(table, row) -> _Row:
    values = dict(zip(table.fields, row.values, strict=True))
    r = _Row(row.number)

    def bad(name: str, message: str) -> None:
        r.errors.append((name, message))

    ref = parse_text(values["reference"])
    if ref:
        r.reference_text = ref[:64]
        r.reference = int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 18 else None
    r.name = parse_name(values["name"])[:64]
    try:
        account = parse_digits(values["account"], field_label=table.column_label("account"))
    except CellError as exc:
        account = ""
        r.account_masked = mask_bank_account(parse_text(values["account"]))[:40]
        bad("account", exc.message)
    else:
        if not account:
            bad("account", str(MSG_REQUIRED % {"column": table.column_label("account")}))
        r.account_hash, r.account_masked = blind_index(account, kind="bank"), mask_bank_account(account)[:40]
    if values["amount"] is None:
        bad("amount", str(MSG_REQUIRED % {"column": table.column_label("amount")}))
    else:
        try:
            yuan = parse_decimal(values["amount"], places=2)
        except CellError as exc:
            bad("amount", exc.message)
        else:
            if yuan <= 0:
                bad("amount", str(MSG_AMOUNT))
            else:
                r.amount = int(yuan * 100)
    if values["result"] is None:
        bad("result", str(MSG_REQUIRED % {"column": table.column_label("result")}))
    else:
        r.success = result_word(values["result"])
        if r.success is None:
            bad("result", str(MSG_RESULT % {"value": parse_text(values["result"])}))
    r.reason = parse_text(values["reason"])[:200]
    r.bank_ref = parse_text(values["bank_ref"])[:64]
    if values["paid_on"] is not None:
        try:
            r.paid_on = parse_date(values["paid_on"], allow_month=False)
        except CellError as exc:
            bad("paid_on", exc.message)
    if r.errors:
        r.flag = BankReturnRow.Flag.INVALID
        r.message = "；".join(m for _f, m in r.errors)[:300]
    return r


# --- matching ----------------------------------------------------------------------------------------------------

# What the item's state means for a return row: awaiting a result, already has one, or was never in the file.
_OPEN = (Item.State.PENDING,)
_RESOLVED = (Item.State.PAID, Item.State.FAILED, Item.State.REISSUED)


def _items(batch: Batch) -> tuple[dict, dict]:
    """The batch's items as {id: (id, account hash, amount, name, state)} and {account hash: [those]} (one read)."""
    by_id, by_hash = {}, defaultdict(list)
    qs = Item.objects.filter(batch_id=batch.pk).order_by("id").values_list("id", "bank_account_hash", "amount", "name", "state")
    for item in qs.iterator(chunk_size=20_000):
        by_id[item[0]] = item
        if item[1]:
            by_hash[item[1]].append(item)
    return by_id, by_hash


def _state_label(state: str) -> str:
    return str(dict(Item.State.choices).get(state, state))


def _match(rows: list[_Row], by_id: dict, by_hash: dict) -> None:
    """Set each valid row's item and flag (see the module docstring)."""
    taken: set[int] = set()
    seen_refs: dict[int, int] = {}
    by_account: list[_Row] = []
    for r in rows:
        if r.flag:
            continue
        if r.reference is not None:
            first = seen_refs.get(r.reference)
            if first is not None:
                r.flag, r.column = BankReturnRow.Flag.DUPLICATE, "reference"
                r.message = str(MSG_DUPLICATE_REFERENCE % {"reference": r.reference_text, "first": first})
                continue
            seen_refs[r.reference] = r.number
            item = by_id.get(r.reference)
            if item is not None and item[1] == r.account_hash and item[2] == r.amount and item[4] in _OPEN + _RESOLVED:
                r.item = item[0]
                if item[4] in _RESOLVED or item[0] in taken:
                    r.flag = BankReturnRow.Flag.ALREADY_RESOLVED
                    r.message = str(MSG_ALREADY % {"state": _state_label(item[4])})
                else:
                    taken.add(item[0])
                continue
        by_account.append(r)

    groups: dict[tuple[str, int], list[_Row]] = defaultdict(list)
    for r in by_account:
        groups[(r.account_hash, r.amount)].append(r)
    for (account_hash, amount), group in groups.items():
        items = [i for i in by_hash.get(account_hash, ()) if i[4] in _OPEN + _RESOLVED]
        if not items:
            flag = BankReturnRow.Flag.UNKNOWN_ACCOUNT
            message = MSG_HELD_ACCOUNT if by_hash.get(account_hash) else MSG_UNKNOWN_ACCOUNT
            for r in group:
                r.flag, r.message = flag, str(message)
            continue
        same = [i for i in items if i[2] == amount]
        if not same:
            amounts = join_list(sorted({yuan_text(i[2]) for i in items}))
            for r in group:
                r.flag = BankReturnRow.Flag.AMOUNT_MISMATCH
                r.message = str(MSG_AMOUNT_MISMATCH % {"amounts": amounts, "amount": yuan_text(amount)})
                r.item = items[0][0] if len(items) == 1 else None
            continue
        open_items = [i for i in same if i[4] in _OPEN and i[0] not in taken]
        resolved = [i for i in same if i[4] in _RESOLVED]
        # 1:1, the rows whose name matches an open item first, then the rest in file order.
        unassigned = []
        for r in group:
            hit = next((i for i in open_items if i[3] == r.name), None) if r.name else None
            if hit is not None:
                open_items.remove(hit)
                r.item = hit[0]
                taken.add(hit[0])
            else:
                unassigned.append(r)
        for r in unassigned:
            if open_items:
                hit = open_items.pop(0)
                r.item = hit[0]
                taken.add(hit[0])
            elif resolved:
                hit = next((i for i in resolved if i[3] == r.name), resolved[0])
                r.item = hit[0]
                r.flag = BankReturnRow.Flag.ALREADY_RESOLVED
                r.message = str(MSG_ALREADY % {"state": _state_label(hit[4])})
            else:
                r.flag = BankReturnRow.Flag.DUPLICATE
                r.message = str(MSG_DUPLICATE_ROWS % {"items": len(same)})


# --- applying ----------------------------------------------------------------------------------------------------

def _apply(updates: list[tuple]) -> int:
    """Set outcomes on pending items: rows (id, state, bank_ref, failure_reason, paid_on). Returns the rows changed."""
    if not updates:
        return 0
    changed = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # One statement per chunk: the claim guard (a statement trigger) runs once per chunk, not once per row.
            for start in range(0, len(updates), 2000):
                chunk = updates[start:start + 2000]
                values = ", ".join(["(%s, %s, %s, %s, %s::date)"] * len(chunk))
                cur.execute("UPDATE subsidies_item AS i SET state = v.state, bank_ref = v.bank_ref, failure_reason = v.reason, "
                            f"paid_on = v.paid_on FROM (VALUES {values}) AS v(id, state, bank_ref, reason, paid_on) "
                            "WHERE i.id = v.id AND i.state = 'pending'", [x for row in chunk for x in row])
                changed += cur.rowcount
        else:
            cur.executemany("UPDATE subsidies_item SET state = %s, bank_ref = %s, failure_reason = %s, paid_on = %s "
                            "WHERE id = %s AND state = 'pending'", [(row[1], row[2], row[3], row[4], row[0]) for row in updates])
            changed = cur.rowcount
    return changed


ROW_COLUMNS = ("bank_return_id", "row", "name", "account_masked", "account_hash", "amount", "success", "reason", "bank_ref", "item_id",
               "flag", "message", "applied")


def error_dir(bank_return: BankReturn) -> Path:
    return Path(settings.ANJU_GENERATED_DIR) / "bankreturns" / str(bank_return.pk)


def error_file(bank_return: BankReturn) -> Path | None:
    """The error workbook of a return, when it has one."""
    name = (bank_return.counts or {}).get("error_file")
    if not name:
        return None
    path = (Path(settings.ANJU_GENERATED_DIR) / name).resolve()
    root = Path(settings.ANJU_GENERATED_DIR).resolve()
    return path if path.is_file() and root in path.parents else None


# --- the service -------------------------------------------------------------------------------------------------

def bank_return_check(*, actor, batch: Batch, filename: str = "", size: int | None = None, mode: str = BankReturn.Mode.ALL) -> None:
    """Everything bank_return_import refuses before reading the file (the pages and the API ask before queueing a job)."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    if not in_scope(actor, batch.division_code, kind="entry"):
        raise NotFound()
    if mode not in BankReturn.Mode.values:
        raise ValidationFailed(MSG_MODE, code="return_mode", detail={"field": "mode"})
    if batch.state not in RETURNABLE:
        raise Conflict(MSG_RETURN_STATE % {"state": batch.get_state_display()}, code="batch_state")
    if filename and PurePath(filename).suffix.lower() not in SUFFIXES:
        raise ValidationFailed(MSG_FILE_TYPE % {"name": filename}, code="return_file_type", detail={"field": "file"})
    if size is not None and size > MAX_FILE_BYTES:
        raise ValidationFailed(MSG_FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)}, code="return_file_too_big",
                               detail={"field": "file"})


def bank_return_import(*, actor, batch: Batch, source, filename: str = "", layout: BankLayout | None = None,
                       mode: str = BankReturn.Mode.ALL, progress: Progress | None = None) -> BankReturn:
    """Read a return file (a path or a binary file) and apply it to the batch as `mode` says; returns the recorded BankReturn."""
    report = progress or (lambda percent, message="": None)
    filename = PurePath(str(filename or getattr(source, "name", "") or source)).name
    bank_return_check(actor=actor, batch=batch, filename=filename, mode=mode)
    layout = layout or batch.layout
    report(2, _("正在读取回盘文件"))
    table = read_table(source, spec=return_spec(layout), filename=filename)
    rows = [_parse(table, row) for row in table.rows()]
    if not rows:
        raise ValidationFailed(MSG_EMPTY, code="return_empty")
    report(40, _("已读取 %(n)s 行，正在匹配") % {"n": len(rows)})
    today = timezone.localdate()
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.state not in RETURNABLE:
            raise Conflict(MSG_RETURN_STATE % {"state": locked.get_state_display()}, code="batch_state")
        by_id, by_hash = _items(locked)
        _match(rows, by_id, by_hash)
        flagged = [r for r in rows if r.flag]
        apply = [r for r in rows if not r.flag] if (mode == BankReturn.Mode.VALID_ONLY or not flagged) else []
        report(70, _("匹配完成：%(ok)s 行无误，%(bad)s 行有问题") % {"ok": len(rows) - len(flagged), "bad": len(flagged)})
        updates = [(r.item, Item.State.PAID if r.success else Item.State.FAILED, r.bank_ref,
                    "" if r.success else (r.reason or _("银行回盘：失败")), (r.paid_on or today).isoformat() if r.success else None)
                   for r in apply]
        if _apply(updates) != len(updates):
            raise Conflict(MSG_CONCURRENT, code="return_concurrent")
        for r in apply:
            r.applied = True
        state = (BankReturn.State.APPLIED if apply and not flagged else BankReturn.State.PARTIAL if apply else BankReturn.State.REJECTED)
        paid = [r for r in apply if r.success]
        failed = [r for r in apply if not r.success]
        flags = defaultdict(int)
        for r in flagged:
            flags[r.flag] += 1
        counts = {"rows": len(rows), "matched": sum(1 for r in rows if r.item and not r.flag), "applied": len(apply),
                  "paid": len(paid), "paid_amount": sum(r.amount for r in paid), "failed": len(failed),
                  "failed_amount": sum(r.amount for r in failed), "flagged": len(flagged), "flags": dict(flags),
                  "by_reference": sum(1 for r in rows if r.reference is not None and r.item == r.reference and not r.flag),
                  "skipped": dict(table.skipped), "layout": layout.pk if layout else None, "error_file": ""}
        bank_return = BankReturn.objects.create(batch=locked, file_name=filename[:200], mode=mode, state=state, counts=counts,
                                                uploaded_by=actor)
        bulk_insert("subsidies_bankreturnrow", ROW_COLUMNS, [
            (bank_return.pk, r.number, r.name, r.account_masked, r.account_hash, r.amount, r.success, r.reason, r.bank_ref, r.item,
             r.flag, r.message, r.applied) for r in rows])
        before = {"state": locked.state}
        if apply and locked.state == Batch.State.EXPORTED:
            locked.state = Batch.State.RETURNED
            locked.save(update_fields=["state"])
        batch_totals_refresh(locked)
        audit_record(actor=actor, action="subsidies.bankreturn.imported", object_type="bank_return", object_id=bank_return.pk,
                     division_code=locked.division_code, before=before,
                     after={"batch": locked.pk, "number": locked.number, "file": bank_return.file_name, "mode": mode, "state": state,
                            "batch_state": locked.state, **{k: v for k, v in counts.items() if k != "error_file"}})
    batch.state = locked.state
    if flagged:  # after the commit: a second pass over the file must not hold the batch's lock
        report(90, _("正在生成问题行清单"))
        counts["error_file"] = _write_errors(bank_return, table, flagged)
        BankReturn.objects.filter(pk=bank_return.pk).update(counts=counts)
        bank_return.counts = counts
    report(100, _("回盘处理完成：入账 %(applied)s 行（成功 %(paid)s、失败 %(failed)s），有问题 %(flagged)s 行") % counts)
    return bank_return


# Which column of the file an error is about, per flag.
_FLAG_COLUMN = {
    BankReturnRow.Flag.UNKNOWN_ACCOUNT: "account",
    BankReturnRow.Flag.AMOUNT_MISMATCH: "amount",
    BankReturnRow.Flag.DUPLICATE: "account",
    BankReturnRow.Flag.ALREADY_RESOLVED: "result",
}


def _write_errors(bank_return: BankReturn, table, flagged: list[_Row]) -> str:
    """The error workbook (flagged rows with their original cells, each problem on its column); returns its relative path."""
    wanted = {r.number: r for r in flagged}
    labels = {f.name: table.column_label(f.name) for f in table.spec.fields}

    def errors_of(r: _Row) -> list[RowError]:
        if r.errors:
            return [RowError(table.sheet, r.number, labels[name], "", "invalid", message) for name, message in r.errors]
        column = r.column or _FLAG_COLUMN.get(r.flag, "account")
        return [RowError(table.sheet, r.number, labels[column], "", r.flag, r.message)]

    def rejected():
        for row in table.rows():  # a second pass: only flagged rows' cells are kept, however big the file
            r = wanted.get(row.number)
            if r is not None:
                yield row, errors_of(r)

    folder = error_dir(bank_return)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"return-{bank_return.pk}-errors.xlsx"
    write_error_workbook(path, table_title=_("回盘文件“%(name)s”中有问题的行") % {"name": bank_return.file_name},
                         headers=table.headers, rejected=rejected())
    return str(path.relative_to(Path(settings.ANJU_GENERATED_DIR)))


def bank_return_error_file(*, actor, bank_return: BankReturn) -> Path:
    """The error workbook for download (it repeats the bank's rows, full account numbers included): audited."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    if not in_scope(actor, bank_return.batch.division_code, kind="entry"):
        raise NotFound()
    if not actor.can(Perm.REGISTRY_VIEW_PII):
        raise PermissionDenied(MSG_NO_PII, code="pii_forbidden")
    path = error_file(bank_return)
    if path is None:
        raise NotFound()
    with transaction.atomic():
        audit_record(actor=actor, action="subsidies.bankreturn.errors_downloaded", object_type="bank_return", object_id=bank_return.pk,
                     division_code=bank_return.batch.division_code, after={"file": path.name})
    return path


__all__ = ["bank_return_check", "bank_return_import", "bank_return_error_file", "error_file", "result_word", "return_spec", "RETURN_SPEC"]
