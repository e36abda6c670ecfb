"""Bank files out (代发文件): the pending items of an approved batch in a bank's layout, as xlsx or CSV, audited.

The file holds unmasked personal data (account and ID numbers), so exporting needs SUBSIDY_RUN and REGISTRY_VIEW_PII
and every export — the first and each re-export — is an audit event. Held items are never written: they are not paid.

Set-based and streamed: one aggregate query for the control total, one ordered read of the items in chunks, rows written
as they come. XlsxWriter's per-cell API costs ~40 µs a row of nine cells; `BankSheet` writes the same inline-string
row XML straight into XlsxWriter's constant-memory row stream, which keeps a million-row file well under 20 s
(bench/subsidies_bankfile.py). CSV rows are encoded chunk by chunk in the layout's encoding, strictly: a name that GBK
cannot represent fails with the row and column named, never replaced by '?'.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import xlsxwriter
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import decryptor
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed, join_list
from anju.core.masking import safe_cell
from anju.divisions.models import Division
from anju.registry.models import Program
from anju.subsidies.layouts import LAYOUT_FIELDS, layout_problems
from anju.subsidies.models import Bank, BankLayout, Batch, Item
from anju.subsidies.months import yuan_text

Progress = Callable[[int, str], None]

EXPORTABLE = (Batch.State.APPROVED, Batch.State.EXPORTED, Batch.State.RETURNED)
CHUNK = 10_000
PROGRESS_EVERY = 50_000

MSG_EXPORT_STATE = gettext_lazy("只有已审批、已出盘或已回盘的批次可以生成银行代发文件（该批次为“%(state)s”）")
MSG_NO_PII = gettext_lazy("代发文件含完整银行账号和身份证号，您的角色不能导出")
MSG_LAYOUT_INVALID = gettext_lazy("银行文件格式“%(name)s”设置有误：%(problems)s")
MSG_LAYOUT_SCOPE = gettext_lazy("银行文件格式“%(name)s”不适用于本县")
MSG_NOTHING = gettext_lazy("该批次没有待发放的明细（暂缓发放的不出盘），无需生成代发文件")
MSG_ENCODING = gettext_lazy("代发文件第 %(row)s 行（%(name)s，业务编号 %(reference)s）的“%(column)s”含有 %(encoding)s 编码无法表示的字符"
                            "“%(char)s”：请在人员信息中核实更正，或改用 UTF-8 编码的文件格式后重新出盘")
MSG_CHANGED = gettext_lazy("出盘过程中该批次的明细发生了变化，请重新出盘")

ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK"}
PROGRAM_REMARKS = {Program.RESERVOIR: gettext_lazy("水库移民后期扶持"), Program.RELOCATION: gettext_lazy("易地搬迁后续扶持")}


# --- checks ------------------------------------------------------------------------------------------------------

def layout_applies(layout: BankLayout, batch: Batch) -> bool:
    return batch.division_code.startswith(layout.scope or "")


_VALID_RETURN = {"account": "账号", "amount": "金额", "result": "处理结果"}


def _check_layout(layout: BankLayout, batch: Batch) -> None:
    # Only the file columns matter here; the return columns are checked where a return file is read.
    problems = layout_problems(layout.columns, _VALID_RETURN)
    if problems:
        raise ValidationFailed(MSG_LAYOUT_INVALID % {"name": layout.name, "problems": "；".join(problems)}, code="layout_invalid",
                               detail={"field": "layout"})
    if not layout_applies(layout, batch):
        raise ValidationFailed(MSG_LAYOUT_SCOPE % {"name": layout.name}, code="layout_scope", detail={"field": "layout"})


def bankfile_export_check(*, actor, batch: Batch, layout: BankLayout) -> None:
    """Everything bankfile_export refuses before it reads a row (the pages and the API ask before queueing the job)."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    if not in_scope(actor, batch.division_code, kind="entry"):
        raise NotFound()
    if not actor.can(Perm.REGISTRY_VIEW_PII):
        raise PermissionDenied(MSG_NO_PII, code="pii_forbidden")
    if batch.state not in EXPORTABLE:
        raise Conflict(MSG_EXPORT_STATE % {"state": batch.get_state_display()}, code="batch_state")
    _check_layout(layout, batch)


# --- values ------------------------------------------------------------------------------------------------------

def period_text(year: int, month_from: int, month_to: int) -> str:
    if month_from == month_to:
        return _("%(year)s年%(m)s月") % {"year": year, "m": month_from}
    return _("%(year)s年%(a)s-%(b)s月") % {"year": year, "a": month_from, "b": month_to}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    numeric: bool  # an xlsx number cell (seq, fen, months); every other value is text
    db: tuple[str, ...]  # the item columns it reads
    text_safe: bool  # may hold user text: formula-neutralised with safe_cell


# field -> (numeric, item columns read, may hold user text)
_FIELD_SOURCES = {
    "seq": (True, (), False),
    "name": (False, ("name",), True),
    "account": (False, ("bank_account_enc",), False),
    "amount": (False, ("amount",), False),
    "amount_fen": (True, ("amount",), False),
    "id_number": (False, ("person__id_enc",), False),
    "bank_name": (False, ("bank_name",), True),
    "township": (False, ("division_code",), True),
    "village": (False, ("division_code",), True),
    "household_number": (False, ("household_number",), True),
    "months": (True, ("months",), False),
    "period": (False, ("year", "month_from", "month_to"), False),
    "remark": (False, ("year", "month_from", "month_to"), True),
    "reference": (False, ("id",), False),
}


def layout_columns(layout: BankLayout) -> list[Column]:
    cols = []
    for col in layout.columns:
        field = col["field"]
        numeric, db, text_safe = _FIELD_SOURCES[field]
        cols.append(Column(field, str(col.get("header") or LAYOUT_FIELDS[field]).strip(), numeric, db, text_safe))
    return cols


def _row_maker(batch: Batch, columns: list[Column]):
    """(item columns to read, fn(row tuple, seq) -> list of cell values in layout order).

    The function is generated for the layout (one list display, no per-cell dispatch: it runs a million times); only the
    columns the layout uses are decrypted. Its source holds nothing but tuple positions and the helper names below."""
    fields = ["id", "amount"]
    for c in columns:
        for f in c.db:
            if f not in fields:
                fields.append(f)
    at = {f: i for i, f in enumerate(fields)}
    names: dict[str, str] = {}
    if any(c.field in ("township", "village") for c in columns):
        names = dict(Division.objects.filter(code__startswith=batch.division_code[:6]).values_list("code", "name"))
    remark_head = str(PROGRAM_REMARKS.get(batch.program, "")) + (_("补发") if batch.kind == Batch.Kind.SUPPLEMENTARY else "")
    periods: dict[tuple, str] = {}
    remarks: dict[tuple, str] = {}
    villages: dict[str, str] = {}
    townships: dict[str, str] = {}
    banks: dict[str, str] = {}

    def period(row) -> str:
        key = (row[at["year"]], row[at["month_from"]], row[at["month_to"]])
        text = periods.get(key)
        if text is None:
            text = periods[key] = period_text(*key)
        return text

    def remark(row) -> str:
        key = (row[at["year"]], row[at["month_from"]], row[at["month_to"]])
        text = remarks.get(key)
        if text is None:
            text = remarks[key] = safe_cell(remark_head + period(row))
        return text

    def village(code: str) -> str:
        text = villages.get(code)
        if text is None:
            text = villages[code] = safe_cell(names.get(code, code))
        return text

    def township(code: str) -> str:
        text = townships.get(code)
        if text is None:
            text = townships[code] = safe_cell(names.get(code[:9].ljust(12, "0"), ""))
        return text

    amounts: dict[int, str] = {}

    def amount(fen: int) -> str:
        text = amounts.get(fen)
        if text is None:
            text = amounts[fen] = yuan_text(fen)
        return text

    def bank(name: str) -> str:
        text = banks.get(name)
        if text is None:
            text = banks[name] = safe_cell(name or "")
        return text

    expressions = {
        "seq": "seq",
        "name": f"sc(row[{at.get('name')}])",
        "account": f"dec(row[{at.get('bank_account_enc')}])",
        "amount": f"amount(row[{at['amount']}])",
        "amount_fen": f"int(row[{at['amount']}])",
        "id_number": f"dec(row[{at.get('person__id_enc')}])",
        "bank_name": f"bank(row[{at.get('bank_name')}])",
        "township": f"township(row[{at.get('division_code')}])",
        "village": f"village(row[{at.get('division_code')}])",
        "household_number": f"sc(row[{at.get('household_number')}])",
        "months": f"int(row[{at.get('months')}])",
        "period": "period(row)",
        "remark": "remark(row)",
        "reference": f"str(row[{at['id']}])",
    }
    source = "def make(row, seq):\n    return [" + ", ".join(expressions[c.field] for c in columns) + "]\n"
    env = {"sc": safe_cell, "dec": decryptor(), "amount": amount, "bank": bank, "township": township, "village": village,
           "period": period, "remark": remark}
    exec(compile(source, f"<bank file row: {batch.number}>", "exec"), env)  # noqa: S102 (source built from field names and ints)
    return fields, env["make"]


# --- xlsx: inline-string rows straight into XlsxWriter's constant-memory stream ------------------------------------

_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_XML_ESCAPED_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
_XML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Anything in a row's text that might need escaping (an underscore may start an _xHHHH_ sequence) or whitespace (which
# may sit at a cell's edge and need xml:space="preserve"): one character-class scan of the row's text decides whether
# the row takes the plain template or the careful, per-cell path. Rare in bank files, so a conservative test is cheap.
_ROW_SPECIAL = re.compile(r"[&<>\x00-\x1f\ufffe\uffff_\s]")


def _xml_t(text: str) -> str:
    """The <t> element of an inline string, escaped the way XlsxWriter escapes it (control characters as _xHHHH_)."""
    if _XML_SPECIAL.search(text) is not None:
        text = _XML_ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _XML_CONTROL.sub(lambda m: f"_x{ord(m[0]):04X}_", text).replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    if text and (text[0].isspace() or text[-1].isspace()):
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class BankSheet(Worksheet):
    """A constant-memory worksheet with a bulk row writer producing the XML XlsxWriter itself writes for inline strings
    and numbers, without its per-cell bookkeeping. Rows written this way must come after every row written through the
    ordinary API, and nothing may be written below them through it.

    `cell_refs`: whether each cell carries its `r` reference ("C3"). The attribute is optional (a cell without one follows
    the previous cell of its row; Excel, LibreOffice, POI and calamine read it so) and leaving it out keeps the sheet XML
    a fifth smaller to write, copy and compress; rows always carry theirs."""

    cell_refs = False

    def append_rows(self, first_row: int, rows: Iterable[list], numeric: list[bool]) -> int:
        """Write `rows` (lists of cell values: int for numeric columns, str otherwise) from 0-based `first_row` down;
        returns how many were written."""
        self._write_single_row(first_row)  # flush what the ordinary API left pending (the header rows)
        plain, careful = [], []
        for c, is_number in enumerate(numeric):
            ref = f' r="{xl_col_to_name(c)}{{0}}"' if self.cell_refs else ""
            if is_number:
                plain.append(f"<c{ref}><v>{{{c + 1}}}</v></c>")
                careful.append(f"<c{ref}><v>{{{c + 1}}}</v></c>")
            else:
                plain.append(f'<c{ref} t="inlineStr"><is><t>{{{c + 1}}}</t></is></c>')
                careful.append(f'<c{ref} t="inlineStr"><is>{{{c + 1}}}</is></c>')
        plain_row = ('<row r="{0}">' + "".join(plain) + "</row>").format
        careful_row = ('<row r="{0}">' + "".join(careful) + "</row>").format
        text_cols = [c for c, is_number in enumerate(numeric) if not is_number]
        texts = itemgetter(*text_cols) if len(text_cols) > 1 else (lambda values: (values[text_cols[0]],)) if text_cols else (lambda v: ())
        special = _ROW_SPECIAL.search
        join = "".join
        write = self.fh.write
        buffer: list[str] = []
        n = first_row
        for values in rows:
            n += 1
            if special(join(texts(values))) is None:
                buffer.append(plain_row(n, *values))
            else:
                for c in text_cols:
                    values[c] = _xml_t(values[c])
                buffer.append(careful_row(n, *values))
            if len(buffer) >= 2000:
                write("".join(buffer))
                buffer.clear()
        if buffer:
            write("".join(buffer))
        count = n - first_row
        if count:
            self._check_dimensions(n - 1, len(numeric) - 1)
            self.previous_row = n  # the rows above are written: the final flush finds nothing pending
        return count


def write_xlsx(path, *, sheet_name: str, control: list | None, headers: list[str], numeric: list[bool], rows: Iterable[list]) -> int:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    try:
        sheet = workbook.add_worksheet(sheet_name, worksheet_class=BankSheet)
        head = workbook.add_format({"bold": True})
        for c, (header, is_number) in enumerate(zip(headers, numeric, strict=True)):
            sheet.set_column(c, c, 8 if is_number else max(12, min(40, len(header) * 2 + 4)))
        r = 0
        if control is not None:
            for c, value in enumerate(control):
                if isinstance(value, int):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
            r += 1
        for c, header in enumerate(headers):
            sheet.write_string(r, c, safe_cell(header), head)
        sheet.freeze_panes(r + 1, 0)
        return sheet.append_rows(r + 1, rows, numeric)
    finally:
        workbook.close()


# --- CSV: strict encoding, chunk by chunk --------------------------------------------------------------------------

def write_csv(path, *, encoding: str, control: list | None, headers: list[str], columns: list[Column], rows: Iterable[list]) -> int:
    """Write the file; a value the encoding cannot represent raises ValidationFailed naming the file line and column."""
    encoder = codecs.getincrementalencoder(encoding)(errors="strict")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = 0  # file lines written so far
    n = 0

    def emit(out, chunk: list[list], items: bool) -> None:
        nonlocal lines
        writer.writerows(chunk)
        try:
            data = encoder.encode(buffer.getvalue())
        except UnicodeEncodeError:
            _raise_encoding(chunk, lines, encoding, headers, columns, items)
        out.write(data)
        lines += len(chunk)
        buffer.seek(0)
        buffer.truncate()

    with open(path, "wb") as out:
        head = ([[str(v) for v in control]] if control is not None else []) + [[safe_cell(h) for h in headers]]
        emit(out, head, items=False)
        chunk: list[list] = []
        for values in rows:
            chunk.append(values)
            if len(chunk) >= 5000:
                emit(out, chunk, items=True)
                n += len(chunk)
                chunk = []
        if chunk:
            emit(out, chunk, items=True)
            n += len(chunk)
        out.write(encoder.encode("", final=True))
    return n


def _raise_encoding(chunk: list[list], lines: int, encoding: str, headers: list[str], columns: list[Column], items: bool) -> None:
    """Find the first value of the chunk the encoding refuses and say where it is (file line, column, name, reference)."""
    name_at = next((i for i, c in enumerate(columns) if c.field == "name"), None)
    ref_at = next((i for i, c in enumerate(columns) if c.field == "reference"), None)
    label = ENCODING_NAMES.get(encoding, encoding)
    for offset, values in enumerate(chunk):
        for c, value in enumerate(values):
            text = str(value)
            try:
                text.encode(encoding)
            except UnicodeEncodeError as exc:
                column = headers[c] if c < len(headers) else str(c + 1)
                row = lines + offset + 1
                raise ValidationFailed(MSG_ENCODING % {
                    "row": row, "name": values[name_at] if items and name_at is not None else "",
                    "reference": values[ref_at] if items and ref_at is not None else "—", "column": column, "encoding": label,
                    "char": text[exc.start:exc.end]}, code="bankfile_encoding",
                    detail={"row": row, "column": column, "field": "layout"}) from None
    raise ValidationFailed(MSG_ENCODING % {"row": lines + 1, "name": "", "reference": "—", "column": "", "char": "", "encoding": label},
                           code="bankfile_encoding")


# --- the service -------------------------------------------------------------------------------------------------

def _pending_totals(batch_id: int) -> tuple[int, int]:
    agg = Item.objects.filter(batch_id=batch_id, state=Item.State.PENDING).aggregate(n=Count("id"), fen=Sum("amount"))
    return agg["n"] or 0, int(agg["fen"] or 0)


def bankfile_export(*, actor, batch: Batch, layout: BankLayout, path, progress: Progress | None = None) -> dict:
    """Write the batch's pending items to `path` in `layout`; the first export moves approved → exported.

    The file is written outside any transaction (a million rows must not hold SQLite's write lock for seconds); the
    short transaction at the end locks the batch, checks that its state and its pending items (count and fen) are what
    the file holds, then records the export. Any difference — a return or a send-back in the meantime — is a Conflict.
    Returns {"rows", "total" (fen), "format", "encoding", "layout", "reexport"}. On any failure the partial file is
    removed and nothing changes."""
    report = progress or (lambda percent, message="": None)
    bankfile_export_check(actor=actor, batch=batch, layout=layout)
    columns = layout_columns(layout)
    headers = [c.header for c in columns]
    path = Path(path)
    count, total = _pending_totals(batch.pk)
    if not count:
        raise Conflict(MSG_NOTHING, code="bankfile_empty")
    report(2, _("共 %(n)s 笔，合计 %(total)s 元") % {"n": count, "total": yuan_text(total)})
    fields, make = _row_maker(batch, columns)
    amount_at = fields.index("amount")
    written = {"n": 0, "fen": 0}

    def rows():
        seq = 0
        pending = Item.objects.filter(batch_id=batch.pk, state=Item.State.PENDING).order_by("id")
        for row in pending.values_list(*fields).iterator(chunk_size=CHUNK):
            seq += 1
            written["fen"] += row[amount_at]
            yield make(row, seq)
            if seq % PROGRESS_EVERY == 0:
                report(2 + 93 * seq // count, _("已写出 %(n)s / %(total)s 笔") % {"n": seq, "total": count})
        written["n"] = seq

    control = [batch.number, count, yuan_text(total)] if layout.control_total else None
    try:
        if layout.file_format == BankLayout.Format.XLSX:
            write_xlsx(path, sheet_name=_("代发明细"), control=control, headers=headers, numeric=[c.numeric for c in columns], rows=rows())
        else:
            write_csv(path, encoding=layout.encoding, control=control, headers=headers, columns=columns, rows=rows())
        report(97, _("核对并登记"))
        with transaction.atomic():
            locked = Batch.objects.select_for_update().get(pk=batch.pk)
            if locked.state not in EXPORTABLE:
                raise Conflict(MSG_EXPORT_STATE % {"state": locked.get_state_display()}, code="batch_state")
            if (written["n"], written["fen"]) != (count, total) or _pending_totals(locked.pk) != (count, total):
                raise Conflict(MSG_CHANGED, code="bankfile_changed")
            reexport = locked.state != Batch.State.APPROVED
            before = {"state": locked.state, "layout": locked.layout_id}
            update = ["layout"]
            locked.layout = layout
            if not reexport:
                locked.state, locked.exported_by, locked.exported_at = Batch.State.EXPORTED, actor, timezone.now()
                update += ["state", "exported_by", "exported_at"]
            locked.save(update_fields=update)
            result = {"rows": count, "total": total, "format": layout.file_format,
                      "encoding": layout.encoding if layout.file_format == BankLayout.Format.CSV else "",
                      "layout": layout.pk, "layout_name": layout.name, "reexport": reexport, "file": path.name}
            audit_record(actor=actor, action="subsidies.bankfile.exported", object_type="batch", object_id=locked.pk,
                         division_code=locked.division_code, before=before,
                         after={**result, "number": locked.number, "state": locked.state, "control_total": layout.control_total,
                                "fields": [c.field for c in columns]})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    batch.state, batch.layout = locked.state, layout
    batch.exported_by_id, batch.exported_at = locked.exported_by_id, locked.exported_at
    report(100, _("已生成代发文件：%(n)s 笔，合计 %(total)s 元") % {"n": count, "total": yuan_text(total)})
    return result


def bankfile_name(batch: Batch, layout: BankLayout) -> str:
    """The file name offered for download: batch number, time and the layout's extension."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    ext = "xlsx" if layout.file_format == BankLayout.Format.XLSX else "csv"
    return f"bankfile-{batch.number}-{stamp}.{ext}"


def layout_summary(layout: BankLayout) -> str:
    """One line describing a layout for a choice list: format, encoding, bank and columns."""
    fmt = layout.get_file_format_display()
    parts = [str(fmt)]
    if layout.file_format == BankLayout.Format.CSV:
        parts.append(str(layout.get_encoding_display()))
    if layout.bank_id:
        parts.append(Bank.objects.filter(pk=layout.bank_id).values_list("name", flat=True).first() or "")
    parts.append(join_list(str(c.get("header", "")) for c in layout.columns))
    return " · ".join(p for p in parts if p)


__all__ = ["bankfile_export", "bankfile_export_check", "bankfile_name", "layout_applies", "layout_columns", "layout_summary",
           "period_text", "write_csv", "write_xlsx", "BankSheet", "EXPORTABLE"]
