"""Bulk roster import: read → map → validate → classify → apply in set-based chunks → report.

One pass over the file inside one transaction. Rows are validated in Python, looked up against the database
a chunk at a time (persons by blind index, households by county and number), classified as new / updated /
unchanged / rejected, and written with COPY (PostgreSQL) or executemany (SQLite). In all-or-nothing mode the
first rejected row stops the writing and the transaction is rolled back at the end, so the report still
classifies every row and lists every error. Rows read = imported + updated + unchanged + rejected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, prefix_for, require_perm
from anju.core.audit import audit_record
from anju.core.bulk import allocate_ids, bulk_insert, bulk_update, db_date, db_value
from anju.core.crypto import blind_index, encrypt
from anju.core.exceptions import ValidationFailed
from anju.core.masking import mask_bank_account, mask_resident_id
from anju.core.policy import PolicyTable
from anju.divisions.models import Division, Level
from anju.imports.errors import RowError, write_error_workbook
from anju.imports.models import ImportBatch
from anju.imports.readers import RowData, read_table, user_aliases
from anju.imports.values import CellError, parse_bool, parse_date, parse_decimal, parse_digits, parse_int, parse_name, parse_text
from anju.registry import roster
from anju.registry.models import Enrolment, Household, Person, Program, Reservoir, Status
from anju.registry.resident_id import ResidentIdError, division_regions
from anju.registry.resident_id import parse as parse_resident_id
from anju.relocation.models import Site

Progress = Callable[[int, str], None]
CHUNK = 2000
KEEP_REJECTED_ROWS = 50_000  # original cells kept for the error workbook; every error is listed regardless

MSG_PROGRAM = gettext_lazy("未知的项目类别：%(program)s（应为 reservoir 或 relocation）")
MSG_MODE = gettext_lazy("未知的导入模式：%(mode)s（应为 all-or-nothing 或 valid-only）")
MSG_SCOPE = gettext_lazy("导入范围 %(code)s 不在您的录入范围内")
MSG_REQUIRED = gettext_lazy("“%(column)s”为必填项")
MSG_COUNTY = gettext_lazy("县（市、区）“%(value)s”不在导入范围内或不存在")
MSG_TOWNSHIP = gettext_lazy("乡（镇）“%(value)s”不属于%(county)s")
MSG_VILLAGE = gettext_lazy("村“%(value)s”不属于%(township)s")
MSG_GENDER = gettext_lazy("性别“%(value)s”与身份证号不符（身份证号显示为%(expected)s）")
MSG_GENDER_VALUE = gettext_lazy("性别应为 男 或 女")
MSG_BIRTH = gettext_lazy("出生日期 %(value)s 与身份证号不符（身份证号显示为 %(expected)s）")
MSG_MOVE_FUTURE = gettext_lazy("搬迁时间 %(value)s 晚于今天")
MSG_MOVE_BEFORE_BIRTH = gettext_lazy("搬迁时间 %(value)s 早于出生日期 %(birth)s")
MSG_SUPPORT_MODE = gettext_lazy("扶持方式“%(value)s”无效，应为 直补、直发直补 或 项目扶持")
MSG_BANK_REQUIRED = gettext_lazy("扶持方式为直补时须填写银行账号")
MSG_BANK_DIGITS = gettext_lazy("银行账号去掉空格后只能是数字")
MSG_BANK_LENGTH = gettext_lazy("银行账号应为 12 至 30 位数字，实为 %(length)s 位")
MSG_CATEGORY = gettext_lazy("人口类别“%(value)s”与搬迁时间不符（按截止日 %(cutoff)s 应为 %(expected)s）")
MSG_CATEGORY_VALUE = gettext_lazy("人口类别应为 现状人口 或 原迁人口")
MSG_RESERVOIR = gettext_lazy("水库“%(value)s”未在%(county)s登记，请先在“水库”中添加")
MSG_DUPLICATE_IN_FILE = gettext_lazy("身份证号与第 %(row)s 行重复")
MSG_CROSS_COUNTY = gettext_lazy("此人已在%(county)s（%(code)s）的名册中，不能在两个县重复纳入")
MSG_HOUSEHOLD_VILLAGE = gettext_lazy("户编号 %(number)s 在第 %(row)s 行属于%(village)s，同一户的成员须在同一村")
MSG_HOUSEHOLD_OTHER_VILLAGE = gettext_lazy("户编号 %(number)s 已登记在%(village)s；迁移请走变更申请")
MSG_TWO_HEADS = gettext_lazy("户编号 %(number)s 已在第 %(row)s 行有户主")
MSG_PLACEMENT = gettext_lazy("安置方式“%(value)s”无效，应为 集中安置 或 分散安置")
MSG_AREA_TYPE = gettext_lazy("安置区域“%(value)s”无效，应为 城镇 或 农村")
MSG_SITE_REQUIRED = gettext_lazy("集中安置须填写安置点")
MSG_SITE = gettext_lazy("安置点“%(value)s”未在本辖区登记，请先在“安置点”中添加")
MSG_YEAR = gettext_lazy("搬迁年度 %(value)s 不在 2000 至今年之间")
MSG_AREA_RANGE = gettext_lazy("人均住房面积 %(value)s 不在 0 至 %(max)s 平方米之间")
MSG_TOO_LONG = gettext_lazy("“%(column)s”过长（最多 %(max)s 个字）")
MSG_REJECTED_NOTHING_WRITTEN = gettext_lazy("有 %(rejected)s 行错误，按“全部或不导入”模式未写入任何数据")
MSG_WARN_NO_HEAD = gettext_lazy("户编号 %(number)s 没有与户主关系为“户主”的成员")

HEAD = roster.HEAD


@dataclass
class ImportReport:
    program: str
    file_name: str
    mode: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    applied: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    batch_id: int | None = None
    errors_file: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "program": self.program, "file": self.file_name, "mode": self.mode, "rows": self.rows, "imported": self.imported,
            "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected, "applied": self.applied,
            "skipped": self.skipped, "warnings": self.warnings, "unknown_headers": self.unknown_headers, "batch": self.batch_id,
            "errors": [e.as_dict() for e in self.errors], "seconds": round(self.seconds, 3),
        }

    @property
    def message(self) -> str:
        text = _("读取 %(rows)s 行：新增 %(imported)s，更新 %(updated)s，未变 %(unchanged)s，拒绝 %(rejected)s") % self.as_dict()
        if self.rejected and not self.applied:
            text += "；" + str(MSG_REJECTED_NOTHING_WRITTEN % {"rejected": self.rejected})
        return text


class _Rollback(Exception):
    """Raised inside the import transaction to undo an all-or-nothing import that found errors."""


class _RowRejected(Exception):
    def __init__(self, field_name: str, code: str, message, value=None):
        self.field, self.code, self.message, self.value = field_name, code, str(message), value


@dataclass(slots=True)
class _Row:
    """A validated row, ready to classify."""

    number: int
    county6: str
    village: str
    household_number: str
    name: str
    id_number: str
    id_hash: str
    gender: str
    birth_date: dt.date
    ethnicity: str
    relation: str
    phone: str
    address: str
    enrol: dict[str, Any]  # the enrolment's program fields, as stored
    bank_account: str = ""
    enrolled_on: dt.date | None = None
    id_enc: str = ""  # set by the worker process of a big import; else encrypted when written
    bank_enc: str = ""


def _sha256(source) -> str:
    digest = hashlib.sha256()
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:
        pos = source.tell()
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
        source.seek(pos)
    return digest.hexdigest()


class _Divisions:
    """Name lookups for county → township → village inside the import scope."""

    def __init__(self, prefix: str):
        from anju.core.access import code_prefix_q

        rows = Division.objects.filter(code_prefix_q("code", prefix[:6] if len(prefix) > 6 else prefix), level__gte=Level.COUNTY)
        self.names: dict[str, str] = {}
        self.counties: dict[str, str] = {}
        self.townships: dict[tuple[str, str], str] = {}
        self.villages: dict[tuple[str, str], str] = {}
        self.codes: set[str] = set()
        for code, name, level in rows.values_list("code", "name", "level"):
            if not code.startswith(prefix):
                # a township-scoped import still resolves its county by name
                if not (level == Level.COUNTY and prefix.startswith(code[:6])):
                    continue
            self.names[code] = name
            if level == Level.COUNTY:
                self.counties[name] = code[:6]
                self.counties[code[:6]] = code[:6]
                self.counties[code] = code[:6]
            elif level == Level.TOWNSHIP:
                self.townships[(code[:6], name)] = code[:9]
                self.townships[(code[:6], code[:9])] = code[:9]
                self.townships[(code[:6], code)] = code[:9]
            elif level == Level.VILLAGE:
                self.villages[(code[:9], name)] = code
                self.villages[(code[:9], code)] = code
                self.codes.add(code)

    def name(self, code: str) -> str:
        return self.names.get(code.ljust(12, "0"), code)


class _Context:
    """Everything a row's validation needs, loaded once."""

    def __init__(self, *, program: str, prefix: str, today: dt.date):
        self.program, self.prefix, self.today = program, prefix, today
        self.divisions = _Divisions(prefix)
        self.regions = division_regions()
        self.policy = PolicyTable(["reservoir.cutoff_date", "reservoir.period_start_current", "reservoir.period_years",
                                   "reservoir.period_years_current"])
        self.reservoirs: dict[tuple[str, str], int] = {}
        for rid, code, name, division in Reservoir.objects.values_list("id", "code", "name", "division_code"):
            self.reservoirs[(division[:6], name)] = rid
            self.reservoirs[(division[:6], code)] = rid
        self.sites: dict[str, tuple[int, str]] = {}
        for sid, code, name, division in Site.objects.values_list("id", "code", "name", "division_code"):
            self.sites[code] = (sid, division)
            self.sites.setdefault(name, (sid, division))


def _plain(value) -> str:
    """parse_text with a fast path for plain ASCII strings (most cells of a big file)."""
    if type(value) is str:
        text = value.strip()
        if text.isascii() or unicodedata.is_normalized("NFKC", text):
            return text
    return parse_text(value)


def _cell(field_name: str, fn, value, *args, **kwargs):
    try:
        return fn(value, *args, **kwargs)
    except CellError as exc:
        raise _RowRejected(field_name, exc.code, exc.message, value) from None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Validator:
    def __init__(self, ctx: _Context, columns: dict[str, str], fields: tuple[str, ...]):
        self.ctx, self.columns = ctx, columns
        self.index = {name: i for i, name in enumerate(fields)}
        self.label = {f.name: f.label for f in roster.SPECS[ctx.program].fields}

    def column(self, field_name: str) -> str:
        return self.columns.get(field_name) or self.label.get(field_name, field_name)

    def _text(self, value, field_name: str, max_length: int, required: bool = False) -> str:
        text = "" if value is None else _plain(value)
        if required and not text:
            raise _RowRejected(field_name, "required", MSG_REQUIRED % {"column": self.column(field_name)}, value)
        if len(text) > max_length:
            raise _RowRejected(field_name, "too_long", MSG_TOO_LONG % {"column": self.column(field_name), "max": max_length}, value)
        return text

    def validate(self, row: RowData) -> _Row:
        v, ix, ctx = row.values, self.index, self.ctx
        col = self.column
        # where
        county_text = self._text(v[ix["county"]], "county", 60, True)
        county6 = ctx.divisions.counties.get(county_text)
        if county6 is None:
            raise _RowRejected("county", "county_unknown", MSG_COUNTY % {"value": county_text}, county_text)
        township_text = self._text(v[ix["township"]], "township", 60, True)
        township9 = ctx.divisions.townships.get((county6, township_text))
        if township9 is None:
            raise _RowRejected("township", "township_not_in_county",
                               MSG_TOWNSHIP % {"value": township_text, "county": ctx.divisions.name(county6)}, township_text)
        village_text = self._text(v[ix["village"]], "village", 60, True)
        village = ctx.divisions.villages.get((township9, village_text))
        if village is None or not village.startswith(ctx.prefix):
            raise _RowRejected("village", "village_not_in_township",
                               MSG_VILLAGE % {"value": village_text, "township": ctx.divisions.name(township9)}, village_text)
        # who
        name = _cell("name", parse_name, v[ix["name"]]) if v[ix["name"]] is not None else ""
        if not name:
            raise _RowRejected("name", "required", MSG_REQUIRED % {"column": col("name")}, "")
        if len(name) > 64:
            raise _RowRejected("name", "too_long", MSG_TOO_LONG % {"column": col("name"), "max": 64}, name)
        try:
            rid = parse_resident_id(v[ix["id_number"]], extra_regions=ctx.regions, today=ctx.today)
        except ResidentIdError as exc:
            raise _RowRejected("id_number", exc.code, exc.message, v[ix["id_number"]]) from None
        gender_raw = v[ix["gender"]]
        if gender_raw not in (None, ""):
            gender = roster.GENDERS.get(_plain(gender_raw))
            if gender is None:
                raise _RowRejected("gender", "gender_invalid", MSG_GENDER_VALUE, gender_raw)
            if gender != rid.gender:
                raise _RowRejected("gender", "gender_mismatch", MSG_GENDER % {"value": gender_raw, "expected": roster.GENDER_LABEL[rid.gender]},
                                   gender_raw)
        birth_raw = v[ix["birth_date"]]
        if birth_raw not in (None, ""):
            birth = _cell("birth_date", parse_date, birth_raw)
            same_month_only = isinstance(birth_raw, str) and len("".join(ch for ch in birth_raw if ch.isdigit())) <= 6
            matches = (birth.year, birth.month) == (rid.birth_date.year, rid.birth_date.month) if same_month_only else birth == rid.birth_date
            if not matches:
                raise _RowRejected("birth_date", "birth_mismatch", MSG_BIRTH % {"value": birth.isoformat(), "expected": rid.birth_date.isoformat()},
                                   birth_raw)
        household_number = self._text(v[ix["household_number"]], "household_number", 32, True)
        relation = self._text(v[ix["relation"]], "relation", 16, True)
        out = _Row(
            number=row.number, county6=county6, village=village, household_number=household_number, name=name,
            id_number=rid.number, id_hash=blind_index(rid.number), gender=rid.gender, birth_date=rid.birth_date,
            ethnicity=self._text(v[ix["ethnicity"]], "ethnicity", 16),
            relation=relation, phone=self._text(v[ix["phone"]], "phone", 32),
            address=self._text(v[ix["address"]], "address", 200), enrol={},
        )
        if ctx.program == Program.RESERVOIR:
            self._reservoir(v, out)
        else:
            self._relocation(v, out)
        return out

    def _reservoir(self, v, out: _Row) -> None:
        ix, ctx, col = self.index, self.ctx, self.column
        reservoir_text = self._text(v[ix["reservoir"]], "reservoir", 100, True)
        reservoir_id = ctx.reservoirs.get((out.county6, reservoir_text))
        if reservoir_id is None:
            raise _RowRejected("reservoir", "reservoir_unknown", MSG_RESERVOIR % {"value": reservoir_text, "county": ctx.divisions.name(out.county6)},
                               reservoir_text)
        if v[ix["move_date"]] in (None, ""):
            raise _RowRejected("move_date", "required", MSG_REQUIRED % {"column": col("move_date")}, "")
        move = _cell("move_date", parse_date, v[ix["move_date"]])
        if move > ctx.today:
            raise _RowRejected("move_date", "move_in_future", MSG_MOVE_FUTURE % {"value": move.isoformat()}, v[ix["move_date"]])
        if move < out.birth_date.replace(day=1):
            raise _RowRejected("move_date", "move_before_birth",
                               MSG_MOVE_BEFORE_BIRTH % {"value": move.isoformat(), "birth": out.birth_date.isoformat()}, v[ix["move_date"]])
        mode_text = self._text(v[ix["support_mode"]], "support_mode", 20, True)
        mode = roster.SUPPORT_MODES.get(mode_text)
        if mode is None:
            raise _RowRejected("support_mode", "support_mode_invalid", MSG_SUPPORT_MODE % {"value": mode_text}, mode_text)
        village = out.village
        # the policy version in force today decides (a successor policy is a new version, not a code change)
        cutoff = dt.date.fromisoformat(ctx.policy.value("reservoir.cutoff_date", on=ctx.today, division_code=village))
        category = Enrolment.Category.CURRENT if move <= cutoff else Enrolment.Category.ORIGINAL
        category_raw = v[ix["category"]]
        if category_raw not in (None, ""):
            given = roster.CATEGORIES.get(parse_text(category_raw))
            if given is None:
                raise _RowRejected("category", "category_invalid", MSG_CATEGORY_VALUE, category_raw)
            if given != category:
                raise _RowRejected("category", "category_mismatch", MSG_CATEGORY % {
                    "value": category_raw, "cutoff": cutoff.isoformat(), "expected": roster.CATEGORY_LABEL[category]}, category_raw)
        if category == Enrolment.Category.CURRENT:
            start = dt.date.fromisoformat(ctx.policy.value("reservoir.period_start_current", on=ctx.today, division_code=village))
        else:
            start = move.replace(day=1)
        years_key = "reservoir.period_years_current" if category == Enrolment.Category.CURRENT else "reservoir.period_years"
        years = int(ctx.policy.value(years_key, on=ctx.today, division_code=village))
        bank_raw = v[ix["bank_account"]]
        bank = ""
        if bank_raw not in (None, ""):
            try:
                bank = parse_digits(bank_raw, field_label=col("bank_account"))
            except CellError as exc:
                raise _RowRejected("bank_account", "bank_not_digits" if exc.code == "not_digits" else exc.code,
                                   MSG_BANK_DIGITS if exc.code == "not_digits" else exc.message, bank_raw) from None
            if not 12 <= len(bank) <= 30:
                raise _RowRejected("bank_account", "bank_length", MSG_BANK_LENGTH % {"length": len(bank)}, bank_raw)
        if mode == Enrolment.SupportMode.DIRECT and not bank:
            raise _RowRejected("bank_account", "bank_required", MSG_BANK_REQUIRED, "")
        out.bank_account = bank
        out.enrolled_on = start
        out.enrol = {
            "reservoir_id": reservoir_id, "move_date": move, "origin": self._text(v[ix["origin"]], "origin", 200),
            "category": category, "support_mode": mode, "support_start": start, "support_end": _add_years(start, years) - dt.timedelta(days=1),
            "bank_name": self._text(v[ix["bank_name"]], "bank_name", 100),
            "bank_account_hash": blind_index(bank, kind="bank") if bank else "",
        }

    def _relocation(self, v, out: _Row) -> None:
        ix, ctx, col = self.index, self.ctx, self.column
        if v[ix["poverty_registered"]] in (None, ""):
            raise _RowRejected("poverty_registered", "required", MSG_REQUIRED % {"column": col("poverty_registered")}, "")
        registered = _cell("poverty_registered", parse_bool, v[ix["poverty_registered"]])
        if v[ix["relocation_year"]] in (None, ""):
            raise _RowRejected("relocation_year", "required", MSG_REQUIRED % {"column": col("relocation_year")}, "")
        year_raw = v[ix["relocation_year"]]
        if isinstance(year_raw, (dt.date, dt.datetime)):
            year = year_raw.year
        else:
            text = parse_text(year_raw).rstrip("年")
            year = _cell("relocation_year", parse_int, text) if len(text) <= 4 else _cell("relocation_year", parse_date, year_raw).year
        if not 2000 <= year <= ctx.today.year:
            raise _RowRejected("relocation_year", "year_range", MSG_YEAR % {"value": year}, year_raw)
        placement_text = self._text(v[ix["placement"]], "placement", 20, True)
        placement = roster.PLACEMENTS.get(placement_text)
        if placement is None:
            raise _RowRejected("placement", "placement_invalid", MSG_PLACEMENT % {"value": placement_text}, placement_text)
        area_text = self._text(v[ix["area_type"]], "area_type", 20)
        area_type = ""
        if area_text:
            area_type = roster.AREA_TYPES.get(area_text)
            if area_type is None:
                raise _RowRejected("area_type", "area_type_invalid", MSG_AREA_TYPE % {"value": area_text}, area_text)
        housing = None
        if v[ix["housing_area"]] not in (None, ""):
            housing = _cell("housing_area", parse_decimal, v[ix["housing_area"]])
            if not Decimal(0) <= housing <= roster.HOUSING_AREA_MAX:
                raise _RowRejected("housing_area", "area_range", MSG_AREA_RANGE % {"value": housing, "max": roster.HOUSING_AREA_MAX},
                                   v[ix["housing_area"]])
        site_text = self._text(v[ix["site"]], "site", 100)
        site_id = None
        if site_text:
            site = ctx.sites.get(site_text)
            if site is None or not (site[1].startswith(out.county6) or out.county6.startswith(site[1].rstrip("0")[:6])):
                raise _RowRejected("site", "site_unknown", MSG_SITE % {"value": site_text}, site_text)
            site_id = site[0]
        elif placement == Enrolment.Placement.CONCENTRATED:
            raise _RowRejected("site", "site_required", MSG_SITE_REQUIRED, "")
        out.enrolled_on = dt.date(year, 1, 1)
        out.enrol = {"poverty_registered": registered, "relocation_year": year, "placement": placement, "area_type": area_type,
                     "housing_area": housing, "site_id": site_id}


# --- classification and writing ---------------------------------------------------------------------

PERSON_FIELDS = ("name", "ethnicity", "phone", "division_code")
RESERVOIR_FIELDS = ("reservoir_id", "move_date", "origin", "category", "support_mode", "support_start", "support_end", "bank_name", "bank_account_hash")
RELOCATION_FIELDS = ("poverty_registered", "relocation_year", "placement", "area_type", "housing_area", "site_id")


class _Writer:
    """Buffers one chunk's inserts and updates and flushes them set-based."""

    def __init__(self, *, program: str, batch: ImportBatch, actor, now, today: dt.date):
        self.program, self.batch, self.actor, self.now, self.today = program, batch, actor, now, today
        self.enrol_fields = RESERVOIR_FIELDS if program == Program.RESERVOIR else RELOCATION_FIELDS
        # (county6, number) -> [id or None, village, address, head_id, first row in this file, head person id to set]
        self.households: dict[tuple[str, str], list] = {}
        # Into empty tables (a county's first import) every row is new: skip the per-chunk look-ups. Rows of this
        # file are caught by the in-file duplicate check and the household cache instead.
        self.no_people = not Person.objects.exists()
        self.no_households = not Household.objects.exists()
        self.heads: dict[tuple[str, str], int] = {}  # household key -> row number of its 户主 in this file
        self.reset()

    def reset(self) -> None:
        self.new_households: list[tuple[str, str]] = []
        self.new_rows: list[tuple[_Row, dict | None]] = []  # (row, existing person state or None)
        self.updates: list[tuple[_Row, dict, list[str]]] = []
        self.household_updates: dict[int, tuple[str, str]] = {}

    # lookups -------------------------------------------------------------------------------------------
    def existing(self, rows: list[_Row]) -> dict[str, dict]:
        """The persons of these rows already registered, with their enrolment in this program and open membership.

        Raw SQL: the ORM spends longer preparing two thousand `IN` values than the database spends answering.
        """
        if self.no_people:
            return {}
        people = {p["id_hash"]: p for p in _select_in(
            "SELECT id, id_hash, name, ethnicity, phone, division_code FROM registry_person WHERE id_hash IN ({})", [r.id_hash for r in rows])}
        if not people:
            return {}
        by_id = {p["id"]: p for p in people.values()}
        columns = ["id", "person_id", "division_code", "household_id", "status", *self.enrol_fields]
        if self.program == Program.RESERVOIR:
            columns.append("bank_account_masked")
        for e in _select_in(f"SELECT {', '.join(columns)} FROM registry_enrolment WHERE program = %s AND person_id IN ({{}})",  # noqa: S608
                            list(by_id), before=[self.program]):
            by_id[e["person_id"]]["enrolment"] = e
        for m in _select_in("SELECT id, person_id, household_id, relation FROM registry_membership WHERE valid_to IS NULL AND person_id IN ({})",
                            list(by_id)):
            by_id[m["person_id"]]["membership"] = m
        return people

    def load_households(self, rows: list[_Row]) -> None:
        if self.no_households:
            return
        wanted: dict[str, set[str]] = {}
        for r in rows:
            if (r.county6, r.household_number) not in self.households:
                wanted.setdefault(r.county6, set()).add(r.household_number)
        for county6, numbers in wanted.items():
            for h in _select_in("SELECT id, number, division_code, address, head_id FROM registry_household WHERE county_code = %s AND number IN ({})",
                                list(numbers), before=[county6]):
                self.households[(county6, h["number"])] = [h["id"], h["division_code"], h["address"], h["head_id"], None, None]

    # classification ------------------------------------------------------------------------------------
    def household_key(self, row: _Row) -> tuple[str, str]:
        return (row.county6, row.household_number)

    def check_household(self, row: _Row, divisions: _Divisions) -> None:
        key = self.household_key(row)
        entry = self.households.get(key)
        if entry is None:
            self.households[key] = [None, row.village, row.address, None, row.number, None]
            self.new_households.append(key)
        elif entry[0] is not None and entry[1] != row.village:
            raise _RowRejected("village", "household_other_village",
                               MSG_HOUSEHOLD_OTHER_VILLAGE % {"number": row.household_number, "village": divisions.name(entry[1])})
        elif entry[0] is None and entry[1] != row.village:
            raise _RowRejected("village", "household_village_mismatch", MSG_HOUSEHOLD_VILLAGE % {
                "number": row.household_number, "row": entry[4], "village": divisions.name(entry[1])})
        if row.relation == HEAD:
            first = self.heads.get(key)
            if first is not None:
                raise _RowRejected("relation", "household_two_heads", MSG_TWO_HEADS % {"number": row.household_number, "row": first}, row.relation)
            self.heads[key] = row.number

    def classify(self, row: _Row, state: dict | None) -> str:
        """'imported' (new to this program's roster), 'updated' or 'unchanged'; buffers the writes."""
        if state is None or "enrolment" not in state:
            self.new_rows.append((row, state))
            return "imported"
        changed = self.diff(row, state)
        if not changed:
            return "unchanged"
        self.updates.append((row, state, changed))
        return "updated"

    def diff(self, row: _Row, state: dict) -> list[str]:
        changed = [f for f in ("name", "ethnicity", "phone") if getattr(row, f) != state[f]]
        if row.village != state["division_code"]:
            changed.append("division_code")
        e = state["enrolment"]
        changed += [f for f in self.enrol_fields if _norm(row.enrol[f]) != _norm(e[f])]
        m = state.get("membership")
        household = self.households[self.household_key(row)]
        if m is None or household[0] is None or m["household_id"] != household[0]:
            changed.append("household")
        elif m["relation"] != row.relation:
            changed.append("relation")
        if household[0] is not None and row.address and household[2] != row.address:
            changed.append("address")
        return changed

    # writing -------------------------------------------------------------------------------------------
    def flush(self) -> None:
        now, today = self.now, self.today
        # households first: members and heads point at them
        new_keys = [k for k in self.new_households if self.households[k][0] is None]
        ids = iter(allocate_ids("registry_household", len(new_keys)))
        household_rows = []
        for key in new_keys:
            entry = self.households[key]
            entry[0] = next(ids)
            household_rows.append((entry[0], key[1], key[0], entry[1], entry[2], None, now, now))
        bulk_insert("registry_household", ("id", "number", "county_code", "division_code", "address", "head_id", "created_at", "updated_at"),
                    household_rows)
        self._insert_new(now)
        self._apply_updates(now, today)
        heads = []
        for entry in self.households.values():
            if entry[5] is not None:
                entry[3], entry[5] = entry[5], None
                heads.append((entry[3], now, entry[0]))
        bulk_update("registry_household", "id", ("head_id", "updated_at"), heads)
        self.reset()

    def _insert_new(self, now) -> None:
        rows = self.new_rows
        if not rows:
            return
        fresh = [r for r, state in rows if state is None]
        person_ids = iter(allocate_ids("registry_person", len(fresh)))
        person_rows, enrol_rows, member_rows, status_rows = [], [], [], []
        membership_ids = iter(allocate_ids("registry_membership", sum(1 for _r, s in rows if s is None or not s.get("membership"))))
        enrolment_ids = iter(allocate_ids("registry_enrolment", len(rows)))
        status_ids = iter(allocate_ids("registry_enrolmentstatus", len(rows)))
        reservoir = self.program == Program.RESERVOIR
        note = f"import:{self.batch.pk}"
        d, convert = db_date(), db_value()
        now = convert(now)
        for r, state in rows:
            household = self.households[self.household_key(r)]
            if state is None:
                pid = next(person_ids)
                person_rows.append((pid, r.name, r.id_hash, r.id_enc or encrypt(r.id_number), mask_resident_id(r.id_number), r.gender, d(r.birth_date),
                                    r.ethnicity, r.phone, r.village, now, now))
            else:
                pid = state["id"]
            if state is None or not state.get("membership"):
                member_rows.append((next(membership_ids), pid, household[0], r.relation, d(r.enrolled_on), None))
            if r.relation == HEAD and household[3] is None:
                household[5] = pid
            eid = next(enrolment_ids)
            e = r.enrol
            enrolled_on = d(r.enrolled_on)
            common = (eid, pid, household[0], str(self.program), r.village, str(Status.ACTIVE), enrolled_on, enrolled_on, now, now)
            if reservoir:
                enrol_rows.append(common + (e["reservoir_id"], d(e["move_date"]), e["origin"], str(e["category"]), str(e["support_mode"]),
                                            d(e["support_start"]), d(e["support_end"]), e["bank_name"], r.bank_enc or encrypt(r.bank_account),
                                            e["bank_account_hash"], mask_bank_account(r.bank_account), None, None, "", "", None, None))
            else:
                enrol_rows.append(common + (None, None, "", "", "", None, None, "", "", "", "", e["poverty_registered"], e["relocation_year"],
                                            str(e["placement"]), str(e["area_type"]), convert(e["housing_area"]), e["site_id"]))
            status_rows.append((next(status_ids), eid, str(Status.ACTIVE), enrolled_on, None, "", note, None))
        bulk_insert("registry_person", ("id", "name", "id_hash", "id_enc", "id_masked", "gender", "birth_date", "ethnicity", "phone",
                                        "division_code", "created_at", "updated_at"), person_rows, native=True)
        bulk_insert("registry_membership", ("id", "person_id", "household_id", "relation", "valid_from", "valid_to"), member_rows, native=True)
        bulk_insert("registry_enrolment", ("id", "person_id", "household_id", "program", "division_code", "status", "status_since", "enrolled_on",
                                           "created_at", "updated_at", "reservoir_id", "move_date", "origin", "category", "support_mode",
                                           "support_start", "support_end", "bank_name", "bank_account_enc", "bank_account_hash",
                                           "bank_account_masked", "poverty_registered", "relocation_year", "placement", "area_type",
                                           "housing_area", "site_id"), enrol_rows, native=True)
        bulk_insert("registry_enrolmentstatus", ("id", "enrolment_id", "status", "valid_from", "valid_to", "cause", "note", "request_id"),
                    status_rows, native=True)

    def _apply_updates(self, now, today: dt.date) -> None:
        if not self.updates:
            return
        history, person_rows, enrol_rows, close_members, new_members, household_rows = [], [], [], [], [], []
        for r, state, changed in self.updates:
            e = state["enrolment"]
            household = self.households[self.household_key(r)]

            def record(field_name, old, new, *, r=r, state=state, e=e, household=household):
                history.append((now, today, state["id"], household[0], e["id"], r.village, field_name, _show(old)[:300], _show(new)[:300],
                                "import", self.batch.pk, None, self.actor.pk if self.actor else None))

            person_changed = [f for f in changed if f in PERSON_FIELDS]
            for f in person_changed:
                record(f, state[f], getattr(r, f) if f != "division_code" else r.village)
            person_rows.append((r.name, r.ethnicity, r.phone, r.village, now, state["id"]))
            enrol_changed = [f for f in changed if f in self.enrol_fields]
            for f in enrol_changed:
                if f == "bank_account_hash":
                    record("bank_account", e.get("bank_account_masked", ""), mask_bank_account(r.bank_account))
                else:
                    record(f, e[f], r.enrol[f])
            values = [r.enrol[f] for f in self.enrol_fields]
            extra = []
            if self.program == Program.RESERVOIR:
                extra = [encrypt(r.bank_account), mask_bank_account(r.bank_account)]
            enrol_rows.append((*values, *extra, household[0], r.village, now, e["id"]))
            if "household" in changed or "relation" in changed:
                m = state.get("membership")
                if m is not None:
                    close_members.append((today, m["id"]))
                new_members.append((state["id"], household[0], r.relation, today, None))
                record("household" if "household" in changed else "relation", (m or {}).get("relation", ""), r.relation)
            if "address" in changed:
                record("address", household[2], r.address)
                household[2] = r.address
                household_rows.append((r.address, now, household[0]))
        bulk_update("registry_person", "id", ("name", "ethnicity", "phone", "division_code", "updated_at"), person_rows)
        enrol_cols = [*self.enrol_fields]
        if self.program == Program.RESERVOIR:
            enrol_cols += ["bank_account_enc", "bank_account_masked"]
        bulk_update("registry_enrolment", "id", (*enrol_cols, "household_id", "division_code", "updated_at"), enrol_rows)
        bulk_update("registry_membership", "id", ("valid_to",), close_members)
        ids = iter(allocate_ids("registry_membership", len(new_members)))
        bulk_insert("registry_membership", ("id", "person_id", "household_id", "relation", "valid_from", "valid_to"),
                    [(next(ids), *m) for m in new_members])
        bulk_update("registry_household", "id", ("address", "updated_at"), household_rows)
        hist_ids = iter(allocate_ids("registry_history", len(history)))
        bulk_insert("registry_history", ("id", "at", "effective_on", "person_id", "household_id", "enrolment_id", "division_code", "field", "old",
                                         "new", "source", "batch_id", "request_id", "actor_id"), [(next(hist_ids), *h) for h in history])


def _select_in(sql: str, values: list, *, before: list | None = None) -> list[dict]:
    """Run `sql` with its `IN ({})` filled by one placeholder per value; rows as dicts (typed by the driver's converters)."""
    if not values:
        return []
    with connection.cursor() as cur:
        cur.execute(sql.format(", ".join(["%s"] * len(values))), [*(before or []), *values])
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _county_name(divisions: _Divisions, county6: str) -> str:
    """Any county's name, in scope or not (the cross-county message names where the person already is); one query per county."""
    code = county6.ljust(12, "0")
    if code not in divisions.names:
        divisions.names[code] = Division.objects.filter(code=code).values_list("name", flat=True).first() or county6
    return divisions.names[code]


def _norm(value):
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, float):
        return Decimal(str(value)).normalize()
    if value is None:
        return ""
    return value


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


# --- the service ------------------------------------------------------------------------------------

PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # from about 35,000 rows, validating in a second process pays for its start-up


def produce_chunks(table, validator: _Validator, *, encrypt_rows: bool = False):
    """Yield (rows read, valid [(RowData, _Row)], rejected [(RowData, (field, code, message, value))]) per chunk.

    `encrypt_rows` also encrypts each valid row's ID and bank account (done by the worker process, off the writer's core).
    """
    seen: dict[str, int] = {}
    n, valid, bad = 0, [], []
    for raw in table.rows():
        n += 1
        try:
            row = validator.validate(raw)
        except _RowRejected as exc:
            bad.append((raw, (exc.field, exc.code, exc.message, exc.value)))
            continue
        earlier = seen.get(row.id_hash)
        if earlier is not None:
            bad.append((raw, ("id_number", "duplicate_in_file", str(MSG_DUPLICATE_IN_FILE % {"row": earlier}), mask_resident_id(row.id_number))))
            continue
        seen[row.id_hash] = raw.number
        if encrypt_rows:
            row.id_enc = encrypt(row.id_number)
            row.bank_enc = encrypt(row.bank_account)
        valid.append((raw, row))
        if len(valid) >= CHUNK:
            yield n, valid, bad
            n, valid, bad = 0, [], []
    yield n, valid, bad


def _validated_chunks(table, validator: _Validator, *, source, filename: str, program: str):
    """The validated chunks: from a worker process for a big file on disk (a second core), else in this process.

    Threads would not help: validation is pure Python and holds the interpreter lock the writer needs.
    """
    if not isinstance(source, (str, Path)) or Path(source).stat().st_size < PARALLEL_MIN_BYTES:
        yield from produce_chunks(table, validator)
        return
    from anju.registry import import_worker

    yield from import_worker.chunks_from_worker(
        path=str(source), filename=filename, program=program, ctx=validator.ctx, aliases=user_aliases(roster.SPECS[program].template),
        skipped=table.skipped)


def check_scope(actor, scope: str | None, *, kind: str = "entry", message=MSG_SCOPE) -> str:
    """The division prefix an import may write (entry scope) or an export may read (view scope): the actor's own,
    or a narrower one inside it."""
    if not scope:
        return prefix_for(actor, kind)
    from anju.divisions.selectors import division_by_code

    division = division_by_code(scope, field="scope")
    if not in_scope(actor, division.code, kind):
        raise ValidationFailed(message % {"code": scope}, code="scope_out_of_range")
    return division.prefix


def registry_import(*, actor, program: str, source, filename: str, mode: str = ImportBatch.Mode.ALL_OR_NOTHING, scope: str | None = None,
                    errors_path: Path | None = None, progress: Progress | None = None, job=None, today: dt.date | None = None) -> ImportReport:
    """Import a roster file for `program` within the actor's entry scope (or `scope` inside it). See the module docstring."""
    import time

    started = time.perf_counter()
    require_perm(actor, Perm.REGISTRY_IMPORT)
    if program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM % {"program": program}, code="program_invalid")
    if mode not in ImportBatch.Mode.values:
        raise ValidationFailed(MSG_MODE % {"mode": mode}, code="mode_invalid")
    prefix = check_scope(actor, scope)
    today = today or timezone.localdate()
    progress = progress or (lambda percent, message="": None)
    digest = _sha256(source)
    table = read_table(source, spec=roster.SPECS[program], filename=filename, progress=progress)
    report = ImportReport(program=program, file_name=filename, mode=mode, unknown_headers=list(table.unknown_headers))
    ctx = _Context(program=program, prefix=prefix, today=today)
    validator = _Validator(ctx, table.columns, table.fields)
    rejected_rows: list[tuple[RowData, list[RowError]]] = []
    all_or_nothing = mode == ImportBatch.Mode.ALL_OR_NOTHING

    def reject(row: RowData, field_name: str, code: str, message, value) -> None:
        error = RowError(sheet=row.sheet, row=row.number, column=validator.column(field_name), value=_show(value)[:200], code=code, message=str(message))
        report.errors.append(error)
        report.rejected += 1
        if len(rejected_rows) < KEEP_REJECTED_ROWS:
            rejected_rows.append((row, [error]))

    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(template=roster.SPECS[program].template, file_name=filename[:200], file_sha256=digest, mode=mode,
                                               division_code=prefix.ljust(12, "0"), created_by=actor, job=job)
            writer = _Writer(program=program, batch=batch, actor=actor, now=timezone.now(), today=today)
            def process(chunk):
                valid = [r for _raw, r in chunk]
                states = writer.existing(valid)
                writer.load_households(valid)
                for raw, r in chunk:
                    state = states.get(r.id_hash)
                    enrolment = state.get("enrolment") if state else None
                    if enrolment is not None and enrolment["division_code"][:6] != r.county6:
                        county = enrolment["division_code"][:6]
                        reject(raw, "id_number", "cross_county_duplicate", MSG_CROSS_COUNTY % {"county": _county_name(ctx.divisions, county),
                                                                                               "code": county},
                               mask_resident_id(r.id_number))
                        continue
                    try:
                        writer.check_household(r, ctx.divisions)
                    except _RowRejected as exc:
                        value = raw.values[validator.index[exc.field]] if exc.value is None else exc.value
                        reject(raw, exc.field, exc.code, exc.message, value)
                        continue
                    outcome = writer.classify(r, state)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                if not (all_or_nothing and report.rejected):
                    writer.flush()
                else:
                    writer.reset()

            for n, valid, bad in _validated_chunks(table, validator, source=source, filename=filename, program=program):
                report.rows += n
                for raw, (field_name, code, message, value) in bad:
                    reject(raw, field_name, code, message, value)
                if valid:
                    process(valid)
                progress(min(95, 5 + report.rows // 20000), _("已处理 %(rows)s 行") % {"rows": report.rows})
            report.errors.sort(key=lambda e: (e.sheet, e.row))
            report.skipped = dict(table.skipped)
            for key, entry in writer.households.items():
                if entry[4] is not None and key not in writer.heads and entry[3] is None:
                    report.warnings.append(str(MSG_WARN_NO_HEAD % {"number": key[1]}))
            if all_or_nothing and report.rejected:
                raise _Rollback()
            report.applied = True
            _finish(report, batch, actor, prefix)
    except _Rollback:
        with transaction.atomic():
            batch = ImportBatch.objects.create(template=roster.SPECS[program].template, file_name=filename[:200], file_sha256=digest, mode=mode,
                                               division_code=prefix.ljust(12, "0"), created_by=actor, job=job)
            _finish(report, batch, actor, prefix)
    if report.errors and errors_path is not None:
        write_error_workbook(errors_path, table_title=str(roster.SPECS[program].title), headers=table.headers, rejected=rejected_rows)
        report.errors_file = str(errors_path)
        ImportBatch.objects.filter(pk=report.batch_id).update(errors_file=str(errors_path))
    report.seconds = time.perf_counter() - started
    progress(100, report.message)
    return report


def _finish(report: ImportReport, batch: ImportBatch, actor, prefix: str) -> None:
    batch.rows, batch.imported, batch.updated, batch.unchanged, batch.rejected = (report.rows, report.imported, report.updated, report.unchanged,
                                                                                  report.rejected)
    batch.applied = report.applied
    batch.save(update_fields=["rows", "imported", "updated", "unchanged", "rejected", "applied"])
    report.batch_id = batch.pk
    audit_record(actor=actor, action="registry.roster.imported", object_type="import_batch", object_id=batch.pk, division_code=prefix.ljust(12, "0"),
                 outcome="success" if report.applied else "failure",
                 after={"program": report.program, "file": report.file_name, "sha256": batch.file_sha256, "mode": report.mode, "rows": report.rows,
                        "imported": report.imported, "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected,
                        "applied": report.applied})
