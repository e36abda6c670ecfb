"""Project imports: the ledger, allocations, payments and monthly progress from Excel/CSV, set-based and idempotent.

read (the import engine: title rows, header variants, merged cells, zip-bomb checks) → parse every cell in one
Python pass → inside one transaction: lock the projects the file names, load what the database holds for them in a
few set queries, apply the business rules row by row in file order → one ImportBatch row → write with
`anju.core.bulk` (COPY on PostgreSQL, executemany on SQLite), never one ORM save() per row → one audit event. That
run, the permission checks, the job and the reads of past imports are shared with relocation in `anju.imports.kinds`;
this module keeps the area's description (`AREA`), its report and the cell parsers and writers its kinds use.

Rows read = imported + updated + unchanged + rejected. In all-or-nothing mode (the default) any rejected row means
nothing is written; the report still classifies every row and lists every error, and the error workbook marks them.
The rules of each kind live in `imports_kinds.py`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.bulk import allocate_ids, bulk_insert, bulk_update, db_value
from anju.core.exceptions import join_list
from anju.imports.errors import RowError
from anju.imports.kinds import (  # noqa: F401  (the shared names stay importable from here)
    ALL_OR_NOTHING,
    KEEP_REJECTED_ROWS,
    MAX_ROWS,
    MSG_CONCURRENT,
    MSG_MODE,
    MSG_REJECTED_NOTHING_WRITTEN,
    MSG_TOO_MANY_ROWS,
    VALID_ONLY,
    ImportArea,
    KindReport,
    Progress,
    Row,
)
from anju.imports.values import CellError, normalise_choice, parse_bool, parse_date, parse_decimal, parse_int, parse_text
from anju.projects import money
from anju.projects.imports import EXAMPLE_ROWS, KIND_BY_TEMPLATE, KIND_LABELS, KINDS, SPECS, TEMPLATE_NOTES

CHUNK = 500  # values per IN (...) list

KIND_PERMS = {"projects": Perm.PROJECT_EDIT, "allocations": Perm.PROJECT_FUNDS, "payments": Perm.PROJECT_FUNDS, "progress": Perm.PROJECT_EDIT}
ENTITY = {"projects": "project", "allocations": "allocation", "payments": "payment", "progress": "progress"}

MSG_KIND = gettext_lazy("未知的导入类型：%(kind)s（应为 projects、allocations、payments 或 progress）")
MSG_REQUIRED = gettext_lazy("“%(column)s”为必填项")
MSG_TOO_LONG = gettext_lazy("“%(column)s”过长（最多 %(max)s 个字）")
MSG_INT_RANGE = gettext_lazy("“%(column)s”应为 %(min)s 至 %(max)s 之间的整数")
MSG_AMOUNT_ZERO = gettext_lazy("“%(column)s”须大于 0")
MSG_DATE_FUTURE = gettext_lazy("“%(column)s” %(value)s 晚于今天")
MSG_CHOICE = gettext_lazy("“%(value)s”不是有效的%(column)s，应为：%(choices)s")
MSG_TERM_UNKNOWN = gettext_lazy("%(column)s“%(value)s”不在项目字典中，应为：%(choices)s")
MSG_TERM_INACTIVE = gettext_lazy("%(column)s“%(value)s”已停用，不能用于新的记录")
MSG_PROJECT_UNKNOWN = gettext_lazy("项目编码“%(code)s”不存在或不在您的录入范围内")
MSG_DUPLICATE_IN_FILE = gettext_lazy("与第 %(row)s 行重复（%(key)s）")
MSG_NAME_DIFFERS = gettext_lazy("第 %(row)s 行：项目名称“%(name)s”与系统中项目 %(code)s 的名称“%(current)s”不同，已按项目编码导入")


@dataclass
class ProjectImportReport(KindReport):
    """The shared summary plus the projects moved to their next stage by the import."""

    EXTRA: ClassVar[str] = "stage_changes"
    stage_changes: int = 0

    def extra_message(self) -> str:
        return _("；%(n)s 个项目转入下一阶段") % {"n": self.stage_changes} if self.stage_changes else ""


# The area: the four kinds, each behind its own permission (projects and progress need PROJECT_EDIT, allocations and
# payments PROJECT_FUNDS); the audit names the entity (`projects.payment.imported`).
AREA = ImportArea(name="projects", kinds=KINDS, specs=SPECS, labels=KIND_LABELS, by_template=KIND_BY_TEMPLATE, example_rows=EXAMPLE_ROWS,
                  template_notes=TEMPLATE_NOTES, kind_perms=KIND_PERMS, view_perm=Perm.PROJECT_VIEW, msg_kind=MSG_KIND,
                  report=ProjectImportReport, kind_classes="anju.projects.services.imports_kinds", job_kind="projects.import",
                  url_ns="projects_imports", entities=ENTITY)
importable_kinds = AREA.importable_kinds
require_importer = AREA.require_importer
check_import_kind = AREA.check_kind


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_SPACE = re.compile(r"\s+")
_choice_key = functools.lru_cache(maxsize=4096)(normalise_choice)  # a column of a big file repeats a few values


def plain(value) -> str:
    """parse_text with a fast path for strings already in NFKC form (most cells of a big file)."""
    if type(value) is str:
        text = value.strip()
        if text.isascii() or unicodedata.is_normalized("NFKC", text):
            return text
    return parse_text(value)


def _excel_number(value: float) -> str:
    """A number cell as Excel shows it at full precision (15 significant digits): 0.30000000000000004 → "0.3"."""
    return f"{value:.15g}"


def chunks(values: Iterable, size: int = CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def division_prefix(code: str) -> str:
    """The significant digits of a 12-digit division code: 429921000000 → 429921."""
    for n in (2, 4, 6, 9):
        if not code[n:].strip("0"):
            return code[:n]
    return code


def month_locked(month: dt.date, *, deadline_day: int, today: dt.date) -> bool:
    """Whether month M's reporting closed (after day `deadline_day` of M+1), before any unlock."""
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    day = min(int(deadline_day), calendar.monthrange(following.year, following.month)[1])
    return today > following.replace(day=day)


class KindImport:
    """What every kind shares: cell parsers that record errors on the row, look-ups, and the set-based writers.

    Subclasses implement `parse(row)` (cells only, no database), `plan(rows)` (inside the transaction: the rules that
    need the database, classifying each row and buffering its writes) and `write()`.
    """

    kind = ""

    def __init__(self, *, actor, table, prefix: str, today: dt.date, report: ProjectImportReport):
        self.actor, self.table, self.prefix, self.today, self.report = actor, table, prefix, today, report
        self.index = {name: i for i, name in enumerate(table.fields)}
        self.now = timezone.now()
        self.stage_changes = 0
        self._terms: dict[str, tuple[dict[str, tuple[str, bool]], list[str]]] = {}

    # cells ------------------------------------------------------------------------------------------------
    def column(self, name: str) -> str:
        return self.table.column_label(name)

    def cell(self, row: Row, name: str):
        return row.raw.values[self.index[name]]

    def error(self, row: Row, name: str, code: str, message, value=None) -> None:
        if value is None and name:
            value = self.cell(row, name)
        row.errors.append(RowError(sheet=row.raw.sheet, row=row.raw.number, column=self.column(name) if name else "",
                                   value=_show(value)[:200], code=code, message=str(message)))

    def required(self, row: Row, name: str) -> None:
        self.error(row, name, "required", MSG_REQUIRED % {"column": self.column(name)}, "")

    def text(self, row: Row, name: str, max_length: int, *, required: bool = False, keep: bool = False) -> str | None:
        """Text of a cell (NFKC-normalised unless `keep`: free text keeps its characters), or None when empty."""
        value = self.cell(row, name)
        text = value.strip() if keep and isinstance(value, str) else plain(value)
        if not text:
            if required:
                self.required(row, name)
            return None
        if len(text) > max_length:
            self.error(row, name, "too_long", MSG_TOO_LONG % {"column": self.column(name), "max": max_length})
            return None
        return text

    def code(self, row: Row, name: str, max_length: int, *, required: bool = False) -> str | None:
        """A code or number (项目编码, 文号, 凭证号): NFKC, no whitespace inside."""
        value = self.cell(row, name)
        text = plain(value) if value is not None else ""
        if " " in text or not text.isprintable():
            text = _SPACE.sub("", text)
        if not text:
            if required:
                self.required(row, name)
            return None
        if len(text) > max_length:
            self.error(row, name, "too_long", MSG_TOO_LONG % {"column": self.column(name), "max": max_length})
            return None
        return text

    def amount(self, row: Row, name: str, *, required: bool = False, positive: bool = False) -> int | None:
        """Fen from a cell in the unit its header names (（万元） → 万元, else 元), exactly, or a row error."""
        value = self.cell(row, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.required(row, name)
            return None
        unit = money.unit_from_header(self.column(name))
        number = _excel_number(value) if isinstance(value, float) else value
        try:
            fen = money.to_fen(number, unit)
        except money.AmountError as exc:
            self.error(row, name, "amount_invalid", exc.message)
            return None
        if positive and fen == 0:
            self.error(row, name, "amount_zero", MSG_AMOUNT_ZERO % {"column": self.column(name)})
            return None
        return fen

    def date(self, row: Row, name: str, *, required: bool = False, month: bool = False, future: bool = False) -> dt.date | None:
        value = self.cell(row, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.required(row, name)
            return None
        try:
            day = parse_date(value, allow_month=month)
        except CellError as exc:
            self.error(row, name, exc.code, exc.message)
            return None
        if month:
            day = day.replace(day=1)
        limit = self.today.replace(day=1) if month else self.today
        if not future and day > limit:
            self.error(row, name, "date_future", MSG_DATE_FUTURE % {"column": self.column(name), "value": day.isoformat()[: 7 if month else 10]})
            return None
        return day

    def integer(self, row: Row, name: str, low: int, high: int) -> int | None:
        value = self.cell(row, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = parse_int(parse_text(value).removesuffix("年").removesuffix("人") if isinstance(value, str) else value)
        except CellError as exc:
            self.error(row, name, exc.code, exc.message)
            return None
        if not low <= number <= high:
            self.error(row, name, "int_range", MSG_INT_RANGE % {"column": self.column(name), "min": low, "max": high})
            return None
        return number

    def boolean(self, row: Row, name: str) -> bool | None:
        value = self.cell(row, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_bool(value)
        except CellError as exc:
            self.error(row, name, exc.code, exc.message)
            return None

    def percent(self, row: Row, name: str, *, required: bool = False) -> Decimal | None:
        value = self.cell(row, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.required(row, name)
            return None
        try:
            if isinstance(value, float):
                number = Decimal(_excel_number(value)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
            else:
                number = parse_decimal(parse_text(value).rstrip("%％") if isinstance(value, str) else value, places=2)
        except (CellError, InvalidOperation) as exc:
            self.error(row, name, getattr(exc, "code", "decimal_format"), getattr(exc, "message", str(exc)))
            return None
        return number

    def choice(self, row: Row, name: str, mapping: dict[str, str], labels: Iterable[str], *, required: bool = False) -> str | None:
        """A value from a fixed list, by its label, code or a known variant (compared normalised)."""
        value = self.cell(row, name)
        text = parse_text(value)
        if not text:
            if required:
                self.required(row, name)
            return None
        code = mapping.get(_choice_key(text))
        if code is None:
            self.error(row, name, "choice_invalid", MSG_CHOICE % {"value": text, "column": self.column(name), "choices": join_list(labels)})
        return code

    def term(self, row: Row, name: str, kind: str, *, required: bool = False) -> tuple[str, bool] | None:
        """A vocabulary term (category, fund source) by name or code: (code, active), or None."""
        lookup, names = self.terms(kind)
        text = plain(self.cell(row, name))
        if not text:
            if required:
                self.required(row, name)
            return None
        found = lookup.get(_choice_key(text))
        if found is None:
            self.error(row, name, "term_unknown", MSG_TERM_UNKNOWN % {"column": self.column(name), "value": text, "choices": join_list(names)})
        return found

    def term_inactive(self, row: Row, name: str) -> None:
        self.error(row, name, "term_inactive", MSG_TERM_INACTIVE % {"column": self.column(name), "value": parse_text(self.cell(row, name))})

    def terms(self, kind: str):
        if kind not in self._terms:
            from anju.projects.models import Term

            lookup: dict[str, tuple[str, bool]] = {}
            names: list[str] = []
            rows = list(Term.objects.filter(kind=kind).order_by("sort", "code").values_list("code", "name", "active"))
            for code, _name, active in rows:
                lookup[normalise_choice(code)] = (code, active)
            for code, name, active in rows:  # names win over codes
                lookup[normalise_choice(name)] = (code, active)
                if active:
                    names.append(name)
            self._terms[kind] = (lookup, names)
        return self._terms[kind]

    # projects ---------------------------------------------------------------------------------------------
    def load_projects(self, codes: Iterable[str], fields: tuple[str, ...]) -> dict[str, dict]:
        """The projects with these codes (any scope: the caller tells out-of-scope ones apart), locked for the
        transaction so that a concurrent import cannot move the totals under the rules."""
        from anju.projects.models import Project

        out: dict[str, dict] = {}
        for part in chunks(sorted(codes)):
            for p in Project.objects.select_for_update().filter(code__in=part).order_by("pk").values("id", "code", *fields):
                out[p["code"]] = p
        return out

    def project_of(self, row: Row, projects: dict[str, dict]) -> dict | None:
        """The row's project if it exists in the actor's entry scope (otherwise a row error, as if unknown)."""
        code = row.v["project_code"]
        project = projects.get(code)
        if project is None or not project["division_code"].startswith(self.prefix):
            self.error(row, "project_code", "project_unknown", MSG_PROJECT_UNKNOWN % {"code": code}, code)
            return None
        name = row.v.get("project_name")
        if name and project.get("name") is not None and "".join(name.split()) != "".join(project["name"].split()) \
                and len(self.report.warnings) < 200:
            self.report.warnings.append(str(MSG_NAME_DIFFERS % {"row": row.raw.number, "name": name, "code": code, "current": project["name"]}))
        return project

    def duplicate(self, row: Row, seen: dict, key, name: str, shown: str) -> bool:
        first = seen.get(key)
        if first is not None:
            self.error(row, name, "duplicate_in_file", MSG_DUPLICATE_IN_FILE % {"row": first, "key": shown})
            return True
        seen[key] = row.raw.number
        return False

    # the steps --------------------------------------------------------------------------------------------
    def parse(self, row: Row) -> None:
        raise NotImplementedError

    def plan(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def write(self) -> None:
        raise NotImplementedError


# --- set-based writers --------------------------------------------------------------------------------------

def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert dicts (field name → value, the same keys in each) in bulk with fresh ids; returns the ids in order."""
    if not rows:
        return []
    meta = model._meta
    names = list(rows[0])
    quote = connection.ops.quote_name
    columns = [quote("id"), *[quote(meta.get_field(n).column) for n in names]]
    ids = list(allocate_ids(meta.db_table, len(rows)))
    convert = db_value()
    bulk_insert(meta.db_table, columns, [(pk, *[convert(r[n]) for n in names]) for pk, r in zip(ids, rows, strict=True)], native=True)
    return ids


def update_rows(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """UPDATE each row's fields `names` (the tuple's values, then the id last) in one executemany."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    convert = db_value()
    bulk_update(meta.db_table, quote("id"), [quote(meta.get_field(n).column) for n in names], [tuple(convert(v) for v in r) for r in rows])


# --- the service --------------------------------------------------------------------------------------------

def project_import(*, actor, kind: str, source, filename: str, mode: str = ALL_OR_NOTHING, errors_path: Path | None = None,
                   progress: Progress | None = None, job=None, today: dt.date | None = None) -> ProjectImportReport:
    """Import a file of `kind` into the actor's entry scope; see the module docstring and `anju.imports.kinds`."""
    return AREA.run(actor=actor, kind=kind, source=source, filename=filename, mode=mode, errors_path=errors_path, progress=progress,
                    job=job, today=today)
