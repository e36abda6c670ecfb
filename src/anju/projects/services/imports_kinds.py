"""The rules of each project import kind: the ledger, allocations, payments and monthly progress.

Each class parses a row's cells (`parse`, no database), then, inside the import's transaction, checks the rules that
need the database for all rows at once (`plan`: the projects the file names, locked; what is stored for them, in a
few set queries) and buffers the writes of the rows it accepts, which `write` applies in bulk. Rows are taken in file
order, so a running total (payments against allocations) counts the accepted rows before it.

Empty cells never clear a stored value: an existing record is updated only where the file gives a different value.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import Max, Sum
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q
from anju.core.policy import policy_value
from anju.imports.values import normalise_choice, parse_name, parse_text
from anju.projects.models import STAGE_ORDER, Allocation, Payment, ProgressReport, ProgressUnlock, Project, Stage, StageChange
from anju.projects.money import fen_text
from anju.projects.services.imports import KindImport, Row, chunks, division_prefix, insert_rows, month_locked, update_rows

MSG_DIVISION_CODE_FORMAT = gettext_lazy("区划代码“%(value)s”应为 6、9 或 12 位数字")
MSG_DIVISION_CODE = gettext_lazy("区划代码“%(value)s”不存在或不在您的录入范围内")
MSG_DIVISION_REQUIRED = gettext_lazy("请填写项目地点：区划代码，或县（市、区）、乡（镇）、村名称")
MSG_COUNTY = gettext_lazy("县（市、区）“%(value)s”不存在或不在您的录入范围内")
MSG_COUNTY_REQUIRED = gettext_lazy("填写乡（镇）或村时须同时填写县（市、区）")
MSG_TOWNSHIP = gettext_lazy("乡（镇）“%(value)s”不属于%(county)s")
MSG_VILLAGE = gettext_lazy("村“%(value)s”不属于%(parent)s，或名称不唯一（请填写乡镇或区划代码）")
MSG_DIVISION_CHANGED = gettext_lazy("项目地点与系统中的“%(current)s”不一致；已有项目的地点请在项目页面修改")
MSG_PROJECT_OTHER_SCOPE = gettext_lazy("项目编码“%(code)s”已被您录入范围以外的项目使用")
MSG_PLANNED_ORDER = gettext_lazy("计划完工日期 %(end)s 早于计划开工日期 %(start)s")
MSG_ACTUAL_ORDER = gettext_lazy("实际完工日期 %(end)s 早于实际开工日期 %(start)s")
MSG_COMPLETION_NEEDS_START = gettext_lazy("填写实际完工日期须同时有实际开工日期")
MSG_STAGE_BEYOND = gettext_lazy("导入只能建立“完工”及以前阶段的项目；验收、审计、绩效评价、归档请在系统中办理")
MSG_STAGE_NEEDS_START = gettext_lazy("阶段为“实施”须填写实际开工日期")
MSG_STAGE_NEEDS_COMPLETION = gettext_lazy("阶段为“完工”须填写实际完工日期")
MSG_START_NOT_APPROVED = gettext_lazy("项目处于“%(stage)s”阶段，尚未立项/下达，不能填写实际开工日期")
MSG_DESIGN = gettext_lazy("计划投资 %(amount)s 元，达到 %(threshold)s 元，申报及以后阶段的项目须填写设计单位并注明具备相应设计资质")
MSG_ALLOCATION_BELOW_PAID = gettext_lazy("调减后该项目“%(source)s”累计下达 %(allocated)s 元，低于已支付的 %(paid)s 元")
MSG_OVERPAID = gettext_lazy("该项目“%(source)s”累计支付将达 %(paid)s 元，超过已下达的 %(allocated)s 元")
MSG_PERCENT = gettext_lazy("形象进度应在 0 至 100 之间")
MSG_PROGRESS_STAGE = gettext_lazy("项目处于“%(stage)s”阶段，尚未立项/下达，不能报送月度进度")
MSG_MONTH_LOCKED = gettext_lazy("%(month)s 的进度已过报送截止日（次月 %(day)s 日）并已锁定，请联系市级解锁")
MSG_DATES_CONFLICT = gettext_lazy("与第 %(row)s 行填写的%(column)s %(other)s 不一致")

PROGRAM_NAMES = {
    "水库移民后期扶持": "reservoir", "大中型水库移民后期扶持": "reservoir", "中省后期扶持": "reservoir", "后期扶持": "reservoir",
    "三峡后续工作": "three_gorges", "三峡后续": "three_gorges", "三峡后续工作项目": "three_gorges",
    "省级突出问题": "provincial_issue", "突出问题": "provincial_issue", "省级突出问题项目": "provincial_issue",
    "易地搬迁后续扶持": "relocation", "易地扶贫搬迁后续扶持": "relocation", "易地搬迁": "relocation",
    "reservoir": "reservoir", "three_gorges": "three_gorges", "provincial_issue": "provincial_issue", "relocation": "relocation",
}
PROGRAM_LABELS = ("水库移民后期扶持", "三峡后续工作", "省级突出问题", "易地搬迁后续扶持")
STAGE_NAMES = {
    "储备": Stage.RESERVE, "项目库": Stage.RESERVE, "申报": Stage.APPLIED, "已申报": Stage.APPLIED, "评审": Stage.REVIEWING,
    "立项/下达": Stage.APPROVED, "立项": Stage.APPROVED, "下达": Stage.APPROVED, "已立项": Stage.APPROVED, "已下达": Stage.APPROVED,
    "实施": Stage.IMPLEMENTING, "在建": Stage.IMPLEMENTING, "实施中": Stage.IMPLEMENTING, "完工": Stage.COMPLETED, "已完工": Stage.COMPLETED,
    "验收": Stage.ACCEPTED, "审计": Stage.AUDITED, "绩效评价": Stage.EVALUATED, "归档": Stage.ARCHIVED,
    **{s: s for s in Stage.values},
}
STAGE_LABELS = ("储备", "申报", "评审", "立项/下达", "实施", "完工")
STAGE_CHINESE = {Stage.RESERVE: "储备", Stage.APPLIED: "申报", Stage.REVIEWING: "评审", Stage.APPROVED: "立项/下达", Stage.IMPLEMENTING: "实施",
                 Stage.COMPLETED: "完工", Stage.ACCEPTED: "验收", Stage.AUDITED: "审计", Stage.EVALUATED: "绩效评价", Stage.ARCHIVED: "归档"}
_PROGRAMS = {normalise_choice(k): v for k, v in PROGRAM_NAMES.items()}
_STAGES = {normalise_choice(k): str(v) for k, v in STAGE_NAMES.items()}
APPROVED = STAGE_ORDER[Stage.APPROVED]
NOTE_IMPORTED = "导入"


def _stage_label(stage: str) -> str:
    return STAGE_CHINESE.get(stage, stage)


# --- stage effects ------------------------------------------------------------------------------------------

def stage_moves(stage: str, *, start: dt.date | None, completion: dt.date | None, last: dt.date | None, today: dt.date) -> list[tuple]:
    """The moves an actual start (立项/下达 → 实施) and an actual completion (实施 → 完工) given in the file cause, as
    (from, to, on): dated by the actual date, never before the project's last stage change nor after today."""
    moves = []
    if stage == Stage.APPROVED and start:
        on = min(max(start, last) if last else start, today)
        moves.append((Stage.APPROVED, Stage.IMPLEMENTING, on))
        stage, last = Stage.IMPLEMENTING, on
    if stage == Stage.IMPLEMENTING and completion:
        on = min(max(completion, last) if last else completion, today)
        moves.append((Stage.IMPLEMENTING, Stage.COMPLETED, on))
    return moves


def _last_changes(project_ids) -> dict[int, dt.date]:
    out = {}
    for part in chunks(project_ids):
        out.update(StageChange.objects.filter(project_id__in=part).values("project_id").annotate(last=Max("on")).values_list("project_id", "last"))
    return out


# --- places -------------------------------------------------------------------------------------------------

_NAME_SUFFIXES = (("村民委员会", "村"), ("村委会", "村"), ("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", ""), ("居委会", ""),
                  ("街道办事处", "街道"))
_LEVEL_SUFFIXES = ("街道", "镇", "乡", "县", "区", "市", "村", "社区")


def name_variants(name: str) -> list[str]:
    """How a place may be written: 茶坝村委会 → 茶坝村, 茶坝; 白坪镇 → 白坪; 白云县 → 白云."""
    out = [name]
    for suffix, short in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            out += [base + short, base]
            break
    for suffix in _LEVEL_SUFFIXES:
        for n in list(out):
            if n.endswith(suffix) and len(n) - len(suffix) >= 2:
                out.append(n[: -len(suffix)])
    return list(dict.fromkeys(v for v in out if v))


class _Index(dict):
    """(parent, name) → code; a name two places share maps to None (ambiguous); exact names beat variants."""

    def __init__(self, entries):
        super().__init__()
        exact: dict = {}
        for parent, name, code in entries:
            for i, variant in enumerate(name_variants(name)):
                target = exact if i == 0 else self
                key = (parent, variant)
                target[key] = code if target.get(key, code) == code else None
        self.update(exact)


class Places:
    """Divisions inside the actor's entry scope: codes, and names county → township → village."""

    def __init__(self, prefix: str):
        from anju.divisions.models import Division, Level

        self.prefix = prefix
        rows = list(Division.objects.filter(code_prefix_q("code", prefix), level__gte=Level.COUNTY).values_list("code", "name", "level"))
        self.names = {code: name for code, name, _level in rows}
        self.counties = _Index(("", name, code[:6]) for code, name, level in rows if level == Level.COUNTY)
        self.townships = _Index((code[:6], name, code[:9]) for code, name, level in rows if level == Level.TOWNSHIP)
        villages = [(code, name) for code, name, level in rows if level == Level.VILLAGE]
        self.villages = _Index((code[:9], name, code) for code, name in villages)
        self.villages_in_county = _Index((code[:6], name, code) for code, name in villages)
        county = prefix[:6] if len(prefix) >= 6 else ""
        self.default_county = county if county.ljust(12, "0") in self.names else None

    def name(self, code: str) -> str:
        return self.names.get(code.ljust(12, "0"), code)


# --- the ledger ---------------------------------------------------------------------------------------------

PROJECT_FIELDS = ("name", "program", "category", "year", "content", "planned_investment", "beneficiaries", "responsible_unit",
                  "responsible_person", "responsible_phone", "design_institute", "design_qualified", "planned_start", "planned_completion",
                  "actual_start", "actual_completion", "note")


class ProjectsImport(KindImport):
    kind = "projects"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.places = Places(self.prefix)
        self.thresholds: dict[str, int] = {}
        self.inserts: list[dict] = []
        self.updates: list[tuple] = []
        self.changes: list[tuple] = []  # (project id or the insert dict, from, to, on)

    def parse(self, row: Row) -> None:
        v = row.v
        v["code"] = self.code(row, "code", 40, required=True)
        v["name"] = self.text(row, "name", 200, required=True, keep=True)
        v["division"] = self.place(row)
        v["program"] = self.choice(row, "program", _PROGRAMS, PROGRAM_LABELS)
        v["category"] = self.term(row, "category", "category")
        v["year"] = self.integer(row, "year", 2000, 2100)
        v["content"] = self.text(row, "content", 5000, keep=True)
        v["planned_investment"] = self.amount(row, "planned_investment")
        v["beneficiaries"] = self.integer(row, "beneficiaries", 0, 10_000_000)
        v["responsible_unit"] = self.text(row, "responsible_unit", 100, keep=True)
        v["responsible_person"] = self.text(row, "responsible_person", 50, keep=True)
        v["responsible_phone"] = self.text(row, "responsible_phone", 30)
        v["design_institute"] = self.text(row, "design_institute", 100, keep=True)
        v["design_qualified"] = self.boolean(row, "design_qualified")
        v["planned_start"] = self.date(row, "planned_start", future=True)
        v["planned_completion"] = self.date(row, "planned_completion", future=True)
        if v["planned_start"] and v["planned_completion"] and v["planned_completion"] < v["planned_start"]:
            self.error(row, "planned_completion", "date_order", MSG_PLANNED_ORDER % {"start": v["planned_start"], "end": v["planned_completion"]})
        v["actual_start"] = self.date(row, "actual_start")
        v["actual_completion"] = self.date(row, "actual_completion")
        if v["actual_start"] and v["actual_completion"] and v["actual_completion"] < v["actual_start"]:
            self.error(row, "actual_completion", "date_order", MSG_ACTUAL_ORDER % {"start": v["actual_start"], "end": v["actual_completion"]})
        v["stage"] = self.choice(row, "stage", _STAGES, STAGE_LABELS)
        v["note"] = self.text(row, "note", 2000, keep=True)

    def place(self, row: Row) -> str | None:
        """The project's division from 区划代码, or from the county/township/village names, inside the entry scope."""
        places = self.places
        code_text = parse_text(self.cell(row, "division_code"))
        if code_text:
            row.v["division_field"] = "division_code"
            if not (code_text.isascii() and code_text.isdigit() and len(code_text) in (6, 9, 12)):
                self.error(row, "division_code", "division_code_format", MSG_DIVISION_CODE_FORMAT % {"value": code_text})
                return None
            full = code_text.ljust(12, "0")
            if full not in places.names or not full.startswith(self.prefix):
                self.error(row, "division_code", "division_unknown", MSG_DIVISION_CODE % {"value": code_text})
                return None
            return full
        county_text, township_text, village_text = (parse_name(self.cell(row, f)) if self.cell(row, f) is not None else ""
                                                    for f in ("county", "township", "village"))
        if not (county_text or township_text or village_text):
            return None
        if county_text:
            county = places.counties.get(("", county_text))
            if county is None:
                self.error(row, "county", "county_unknown", MSG_COUNTY % {"value": county_text})
                return None
        else:
            county = places.default_county
            if county is None:
                self.error(row, "county", "county_required", MSG_COUNTY_REQUIRED, "")
                return None
        code, where = county.ljust(12, "0"), "county"
        township = None
        if township_text:
            township = places.townships.get((county, township_text))
            if township is None:
                self.error(row, "township", "township_unknown", MSG_TOWNSHIP % {"value": township_text, "county": places.name(county)})
                return None
            code, where = township.ljust(12, "0"), "township"
        if village_text:
            village = places.villages.get((township, village_text)) if township else places.villages_in_county.get((county, village_text))
            if village is None:
                self.error(row, "village", "village_unknown", MSG_VILLAGE % {"value": village_text, "parent": places.name(township or county)})
                return None
            code, where = village, "village"
        if not code.startswith(self.prefix):
            self.error(row, where, "division_unknown", MSG_DIVISION_CODE % {"value": code})
            return None
        row.v["division_field"] = where
        return code

    def threshold(self, division_code: str) -> int:
        county = division_code[:6]
        if county not in self.thresholds:
            self.thresholds[county] = int(policy_value("projects.design_threshold_yuan", division_code=division_code)) * 100
        return self.thresholds[county]

    def plan(self, rows: list[Row]) -> None:
        codes = {r.v["code"] for r in rows if not r.errors}
        existing = self.load_projects(codes, ("division_code", "stage", "stage_on", *PROJECT_FIELDS))
        last = _last_changes([p["id"] for p in existing.values()])
        seen: dict[str, int] = {}
        for row in rows:
            if row.errors or self.duplicate(row, seen, row.v["code"], "code", row.v["code"]):
                continue
            project = existing.get(row.v["code"])
            if project is None:
                self.plan_new(row)
            else:
                self.plan_update(row, project, last.get(project["id"]))

    def plan_update(self, row: Row, p: dict, last: dt.date | None) -> None:
        v = row.v
        if not p["division_code"].startswith(self.prefix):
            self.error(row, "code", "project_other_scope", MSG_PROJECT_OTHER_SCOPE % {"code": v["code"]})
            return
        division = v["division"]
        if division and division != p["division_code"] and not p["division_code"].startswith(division_prefix(division)):
            self.error(row, v["division_field"], "division_changed", MSG_DIVISION_CHANGED % {"current": self.places.name(p["division_code"])})
        new = {f: p[f] for f in PROJECT_FIELDS}
        for f in PROJECT_FIELDS:
            value = v[f][0] if f == "category" and v[f] else v[f]
            if value is not None:
                new[f] = value
        if v["category"] and not v["category"][1] and v["category"][0] != p["category"]:
            self.term_inactive(row, "category")
        self.check_actual(row, new, p["stage"], changed_start=new["actual_start"] != p["actual_start"])
        if row.errors:
            return
        # a completion date in the file moves an approved project that already had its start on through 实施 to 完工
        dated = v["actual_start"] or v["actual_completion"]
        moves = stage_moves(p["stage"], start=new["actual_start"] if dated else None, completion=v["actual_completion"], last=last,
                            today=self.today)
        changed = [f for f in PROJECT_FIELDS if new[f] != p[f]]
        if not changed and not moves:
            row.outcome = "unchanged"
            return
        row.outcome = "updated"
        stage, stage_on = (moves[-1][1], moves[-1][2]) if moves else (p["stage"], p["stage_on"])
        self.updates.append((*(new[f] for f in PROJECT_FIELDS), stage, stage_on, self.now, p["id"]))
        self.changes += [(p["id"], *m) for m in moves]

    def check_actual(self, row: Row, new: dict, stage: str, *, changed_start: bool) -> None:
        if new["actual_completion"] and not new["actual_start"]:
            self.error(row, "actual_completion", "completion_needs_start", MSG_COMPLETION_NEEDS_START)
        elif new["actual_completion"] and new["actual_completion"] < new["actual_start"] and not row.errors:
            self.error(row, "actual_completion", "date_order", MSG_ACTUAL_ORDER % {"start": new["actual_start"], "end": new["actual_completion"]})
        if new["actual_start"] and changed_start and STAGE_ORDER[stage] < APPROVED:
            self.error(row, "actual_start", "not_approved", MSG_START_NOT_APPROVED % {"stage": _stage_label(stage)})

    def plan_new(self, row: Row) -> None:
        v = row.v
        for f in ("program", "category", "planned_investment"):
            if v[f] is None:
                self.required(row, f)
        if v["division"] is None:
            self.error(row, v.get("division_field") or "division_code", "division_required", MSG_DIVISION_REQUIRED, "")
        if v["category"] and not v["category"][1]:
            self.term_inactive(row, "category")
        stated = v["stage"] or Stage.RESERVE
        base = stated
        if STAGE_ORDER[stated] > STAGE_ORDER[Stage.COMPLETED]:
            self.error(row, "stage", "stage_beyond", MSG_STAGE_BEYOND)
        elif STAGE_ORDER[stated] > APPROVED:
            base = Stage.APPROVED
            if not v["actual_start"]:
                self.error(row, "stage", "stage_needs_start", MSG_STAGE_NEEDS_START)
            elif stated == Stage.COMPLETED and not v["actual_completion"]:
                self.error(row, "stage", "stage_needs_completion", MSG_STAGE_NEEDS_COMPLETION)
        self.check_actual(row, v, base, changed_start=True)
        if (not row.errors and STAGE_ORDER[base] >= STAGE_ORDER[Stage.APPLIED]
                and v["planned_investment"] >= self.threshold(v["division"]) and not (v["design_qualified"] and v["design_institute"])):
            self.error(row, "design_institute", "design_required", MSG_DESIGN % {
                "amount": fen_text(v["planned_investment"]), "threshold": fen_text(self.threshold(v["division"]))}, v["design_institute"] or "")
        if row.errors:
            return
        first = min(self.today, v["actual_start"] or self.today)
        moves = [(Stage.RESERVE, base, first)] if base != Stage.RESERVE else []
        moves += stage_moves(base, start=v["actual_start"], completion=v["actual_completion"], last=first, today=self.today)
        record = {f: v[f] for f in PROJECT_FIELDS}
        record.update(code=v["code"], division_code=v["division"], category=v["category"][0], stage=moves[-1][1] if moves else Stage.RESERVE,
                      stage_on=moves[-1][2] if moves else self.today, created_by_id=self.actor.pk, created_at=self.now, updated_at=self.now)
        for f, blank in (("content", ""), ("beneficiaries", 0), ("responsible_unit", ""), ("responsible_person", ""), ("responsible_phone", ""),
                         ("design_institute", ""), ("design_qualified", False), ("note", "")):
            if record[f] is None:
                record[f] = blank
        self.inserts.append(record)
        self.changes += [(record, *m) for m in moves]
        row.outcome = "imported"

    def write(self) -> None:
        ids = insert_rows(Project, self.inserts)
        for record, pk in zip(self.inserts, ids, strict=True):
            record["id"] = pk
        update_rows(Project, (*PROJECT_FIELDS, "stage", "stage_on", "updated_at"), self.updates)
        write_stage_changes(self, self.changes)


def write_stage_changes(importer: KindImport, changes: list[tuple]) -> None:
    """StageChange rows in bulk (the project's timeline); a new project is named by its insert dict, given its id."""
    rows = [{"project_id": ref["id"] if isinstance(ref, dict) else ref, "from_stage": str(frm), "to_stage": str(to), "on": on,
             "note": NOTE_IMPORTED, "by_id": importer.actor.pk, "at": importer.now} for ref, frm, to, on in changes]
    insert_rows(StageChange, rows)
    # a new project's first row records the stage it was created at; the count is of projects the dates moved on
    importer.stage_changes = len({r["project_id"] for r in rows if r["to_stage"] in (Stage.IMPLEMENTING, Stage.COMPLETED)})


# --- money --------------------------------------------------------------------------------------------------

def _select_pairs(model, key: tuple[str, str], pairs, fields: tuple[str, ...]) -> list[dict]:
    """Rows whose two key columns match one of `pairs`, as dicts: `(a, b) IN (VALUES ...)`, which both databases answer
    from the unique index on the pair (two separate IN lists would probe their cross product)."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    a, b = (quote(meta.get_field(f).column) for f in key)
    out = []
    with connection.cursor() as cur:
        for part in chunks(sorted(pairs)):
            marks = ", ".join(["(%s, %s)"] * len(part))
            cur.execute(f"SELECT {columns} FROM {meta.db_table} WHERE ({a}, {b}) IN (VALUES {marks})",  # noqa: S608 (names are ours)
                        [v for pair in part for v in pair])
            out += [dict(zip(fields, r, strict=True)) for r in cur.fetchall()]
    return out


def _totals(model, project_ids) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = defaultdict(int)
    for part in chunks(project_ids):
        for pid, source, total in model.objects.filter(project_id__in=part).values("project_id", "fund_source").annotate(
                total=Sum("amount")).values_list("project_id", "fund_source", "total"):
            out[(pid, source)] = int(total or 0)
    return out


class _MoneyImport(KindImport):
    """Allocations and payments: rows name a project by code and a fund source by name or code."""

    def source_name(self, code: str) -> str:
        from anju.projects.selectors import term_names

        if not hasattr(self, "_source_names"):
            self._source_names = term_names("fund_source")
        return self._source_names.get(code, code)

    def parse_common(self, row: Row) -> None:
        v = row.v
        v["project_code"] = self.code(row, "project_code", 40, required=True)
        v["project_name"] = self.text(row, "project_name", 200, keep=True)
        v["fund_source"] = self.term(row, "fund_source", "fund_source", required=True)
        v["note"] = self.text(row, "note", 300, keep=True)

    def projects_of(self, rows: list[Row]) -> dict[str, dict]:
        return self.load_projects({r.v["project_code"] for r in rows if not r.errors}, ("name", "division_code", "stage"))


class AllocationsImport(_MoneyImport):
    kind = "allocations"
    FIELDS = ("year", "doc_date", "amount", "note")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.inserts: list[dict] = []
        self.updates: list[tuple] = []

    def parse(self, row: Row) -> None:
        self.parse_common(row)
        v = row.v
        v["year"] = self.integer(row, "year", 2000, 2100)
        v["doc_number"] = self.code(row, "doc_number", 100, required=True)
        v["doc_date"] = self.date(row, "doc_date", required=True)
        v["amount"] = self.amount(row, "amount", required=True, positive=True)

    def plan(self, rows: list[Row]) -> None:
        projects = self.projects_of(rows)
        ids = [p["id"] for p in projects.values()]
        existing = {}
        for part in chunks(ids):
            for a in Allocation.objects.filter(project_id__in=part).values("id", "project_id", "fund_source", "doc_number", *self.FIELDS):
                existing[(a["project_id"], a["fund_source"], parse_name(a["doc_number"]))] = a
        allocated, paid = _totals(Allocation, ids), _totals(Payment, ids)
        seen: dict = {}
        for row in rows:
            if row.errors:
                continue
            v = row.v
            project = self.project_of(row, projects)
            if project is None:
                continue
            source, active = v["fund_source"]
            key = (project["id"], source, v["doc_number"])
            if self.duplicate(row, seen, key, "doc_number", f"{v['project_code']} {self.source_name(source)} {v['doc_number']}"):
                continue
            old = existing.get(key)
            if old is None:
                if not active:
                    self.term_inactive(row, "fund_source")
                    continue
                allocated[(project["id"], source)] += v["amount"]
                self.inserts.append({"project_id": project["id"], "division_code": project["division_code"], "fund_source": source,
                                     "year": v["year"] or v["doc_date"].year, "doc_number": v["doc_number"], "doc_date": v["doc_date"],
                                     "amount": v["amount"], "note": v["note"] or "", "created_by_id": self.actor.pk, "created_at": self.now})
                row.outcome = "imported"
                continue
            new = {f: old[f] if v[f] is None else v[f] for f in self.FIELDS}
            if all(new[f] == old[f] for f in self.FIELDS):
                row.outcome = "unchanged"
                continue
            total = allocated[(project["id"], source)] - old["amount"] + new["amount"]
            if total < paid[(project["id"], source)]:
                self.error(row, "amount", "below_paid", MSG_ALLOCATION_BELOW_PAID % {
                    "source": self.source_name(source), "allocated": fen_text(total), "paid": fen_text(paid[(project["id"], source)])})
                continue
            allocated[(project["id"], source)] = total
            self.updates.append((*(new[f] for f in self.FIELDS), old["id"]))
            row.outcome = "updated"

    def write(self) -> None:
        insert_rows(Allocation, self.inserts)
        update_rows(Allocation, self.FIELDS, self.updates)


class PaymentsImport(_MoneyImport):
    kind = "payments"
    FIELDS = ("fund_source", "paid_on", "amount", "payee", "note")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.inserts: list[dict] = []
        self.updates: list[tuple] = []

    def parse(self, row: Row) -> None:
        self.parse_common(row)
        v = row.v
        v["paid_on"] = self.date(row, "paid_on", required=True)
        v["amount"] = self.amount(row, "amount", required=True, positive=True)
        v["voucher"] = self.code(row, "voucher", 60, required=True)
        v["payee"] = self.text(row, "payee", 100, keep=True)

    def plan(self, rows: list[Row]) -> None:
        projects = self.projects_of(rows)
        keys = set()
        for row in rows:
            project = projects.get(row.v.get("project_code") or "")
            if not row.errors and project is not None:
                keys.add((project["id"], row.v["voucher"]))
        existing = {(p["project_id"], p["voucher"]): p for p in _select_pairs(Payment, ("project_id", "voucher"), keys,
                                                                              ("id", "project_id", "voucher", *self.FIELDS))}
        ids = [p["id"] for p in projects.values()]
        allocated, paid = _totals(Allocation, ids), _totals(Payment, ids)
        seen: dict = {}
        for row in rows:
            if row.errors:
                continue
            v = row.v
            project = self.project_of(row, projects)
            if project is None:
                continue
            pid = project["id"]
            source, active = v["fund_source"]
            if self.duplicate(row, seen, (pid, v["voucher"]), "voucher", f"{v['project_code']} {v['voucher']}"):
                continue
            old = existing.get((pid, v["voucher"]))
            new = {"fund_source": source, "paid_on": v["paid_on"], "amount": v["amount"],
                   "payee": v["payee"] if v["payee"] is not None else (old["payee"] if old else ""),
                   "note": v["note"] if v["note"] is not None else (old["note"] if old else "")}
            if old is not None and all(new[f] == old[f] for f in self.FIELDS):
                row.outcome = "unchanged"
                continue
            if not active and (old is None or old["fund_source"] != source):
                self.term_inactive(row, "fund_source")
                continue
            after = paid[(pid, source)] + new["amount"] - (old["amount"] if old and old["fund_source"] == source else 0)
            if after > allocated[(pid, source)]:
                self.error(row, "amount", "over_allocated", MSG_OVERPAID % {
                    "source": self.source_name(source), "paid": fen_text(after), "allocated": fen_text(allocated[(pid, source)])})
                continue
            if old is not None:
                paid[(pid, old["fund_source"])] -= old["amount"]
                self.updates.append((*(new[f] for f in self.FIELDS), old["id"]))
                row.outcome = "updated"
            else:
                self.inserts.append({"project_id": pid, "division_code": project["division_code"], "voucher": v["voucher"], **new,
                                     "created_by_id": self.actor.pk, "created_at": self.now})
                row.outcome = "imported"
            paid[(pid, source)] += new["amount"]

    def write(self) -> None:
        insert_rows(Payment, self.inserts)
        update_rows(Payment, self.FIELDS, self.updates)


# --- monthly progress ---------------------------------------------------------------------------------------

class ProgressImport(KindImport):
    kind = "progress"
    FIELDS = ("physical_percent", "investment_completed", "problems")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.manage = self.actor.can(Perm.PROJECT_MANAGE)
        self.deadline_days: dict[str, int] = {}
        self.inserts: list[dict] = []
        self.updates: list[tuple] = []
        self.project_updates: list[tuple] = []
        self.changes: list[tuple] = []

    def parse(self, row: Row) -> None:
        v = row.v
        v["project_code"] = self.code(row, "project_code", 40, required=True)
        v["project_name"] = self.text(row, "project_name", 200, keep=True)
        v["month"] = self.date(row, "month", required=True, month=True)
        v["physical_percent"] = self.percent(row, "physical_percent", required=True)
        if v["physical_percent"] is not None and not 0 <= v["physical_percent"] <= 100:
            self.error(row, "physical_percent", "percent_range", MSG_PERCENT)
        v["investment_completed"] = self.amount(row, "investment_completed")
        v["problems"] = self.text(row, "problems", 5000, keep=True)
        v["actual_start"] = self.date(row, "actual_start")
        v["actual_completion"] = self.date(row, "actual_completion")
        if v["actual_start"] and v["actual_completion"] and v["actual_completion"] < v["actual_start"]:
            self.error(row, "actual_completion", "date_order", MSG_ACTUAL_ORDER % {"start": v["actual_start"], "end": v["actual_completion"]})

    def deadline_day(self, division_code: str) -> int:
        county = division_code[:6]
        if county not in self.deadline_days:
            self.deadline_days[county] = int(policy_value("projects.progress_deadline_day", on=self.today, division_code=division_code))
        return self.deadline_days[county]

    def locked(self, division_code: str, month: dt.date, unlocks: set) -> bool:
        """The deadline lock binds county users only: PROJECT_MANAGE holders (the city) import any month."""
        if self.manage or not month_locked(month, deadline_day=self.deadline_day(division_code), today=self.today):
            return False
        return not any(division_code.startswith(prefix) for prefix, m in unlocks if m == month)

    def plan(self, rows: list[Row]) -> None:
        projects = self.load_projects({r.v["project_code"] for r in rows if not r.errors},
                                      ("name", "division_code", "stage", "actual_start", "actual_completion"))
        wanted: dict[int, set[dt.date]] = defaultdict(set)
        for row in rows:
            project = projects.get(row.v.get("project_code") or "")
            if not row.errors and project is not None:
                wanted[project["id"]].add(row.v["month"])
        existing = {}
        for part in chunks(sorted(wanted)):
            months = sorted(set().union(*(wanted[pid] for pid in part)))
            for r in ProgressReport.objects.filter(project_id__in=part, month__in=months).values("id", "project_id", "month", *self.FIELDS):
                existing[(r["project_id"], r["month"])] = r
        unlocks = {(division_prefix(code), month) for code, month in
                   ProgressUnlock.objects.filter(until__gte=self.today).values_list("division_code", "month")} if not self.manage else set()
        dates: dict[int, dict] = {}  # project id -> merged actual dates, which row gave them, and whether the file gave them
        seen: dict = {}
        for row in rows:
            if row.errors:
                continue
            v = row.v
            project = self.project_of(row, projects)
            if project is None:
                continue
            pid = project["id"]
            if STAGE_ORDER[project["stage"]] < APPROVED:
                self.error(row, "project_code", "not_approved", MSG_PROGRESS_STAGE % {"stage": _stage_label(project["stage"])})
                continue
            if self.duplicate(row, seen, (pid, v["month"]), "month", f"{v['project_code']} {v['month']:%Y-%m}"):
                continue
            state = dates.setdefault(pid, {"actual_start": project["actual_start"], "actual_completion": project["actual_completion"],
                                           "rows": {}, "given": set(), "by": []})
            project_changed = False
            for f in ("actual_start", "actual_completion"):
                if v[f] is None:
                    continue
                earlier = state["rows"].get(f)
                if earlier is not None and state[f] != v[f]:
                    self.error(row, f, "dates_conflict", MSG_DATES_CONFLICT % {"row": earlier, "column": self.column(f), "other": state[f]})
            merged = {f: v[f] or state[f] for f in ("actual_start", "actual_completion")}
            if merged["actual_completion"] and not merged["actual_start"]:
                self.error(row, "actual_completion", "completion_needs_start", MSG_COMPLETION_NEEDS_START)
            elif merged["actual_completion"] and merged["actual_completion"] < merged["actual_start"]:
                self.error(row, "actual_completion", "date_order", MSG_ACTUAL_ORDER % {"start": merged["actual_start"],
                                                                                       "end": merged["actual_completion"]})
            old = existing.get((pid, v["month"]))
            new = {"physical_percent": v["physical_percent"],
                   "investment_completed": v["investment_completed"] if v["investment_completed"] is not None else (old["investment_completed"] if old else 0),
                   "problems": v["problems"] if v["problems"] is not None else (old["problems"] if old else "")}
            report_changed = old is None or any(new[f] != old[f] for f in self.FIELDS)
            if report_changed and not row.errors and self.locked(project["division_code"], v["month"], unlocks):
                self.error(row, "month", "month_locked", MSG_MONTH_LOCKED % {"month": f"{v['month']:%Y-%m}",
                                                                             "day": self.deadline_day(project["division_code"])})
            if row.errors:
                continue
            for f in ("actual_start", "actual_completion"):
                if v[f] is not None:
                    project_changed |= merged[f] != project[f] and merged[f] != state[f]
                    state[f] = merged[f]
                    state["rows"].setdefault(f, row.raw.number)
                    state["given"].add(f)
                    state["by"].append(row)
            if old is None:
                self.inserts.append({"project_id": pid, "division_code": project["division_code"], "month": v["month"], **new,
                                     "reported_by_id": self.actor.pk, "reported_at": self.now})
                row.outcome = "imported"
            elif report_changed:
                self.updates.append((*(new[f] for f in self.FIELDS), self.actor.pk, self.now, old["id"]))
                row.outcome = "updated"
            else:
                row.outcome = "updated" if project_changed else "unchanged"
        self.plan_projects(projects, dates)

    def plan_projects(self, projects: dict[str, dict], dates: dict[int, dict]) -> None:
        """The projects whose actual dates the file gave: new dates, and the stage moves they cause."""
        by_id = {p["id"]: p for p in projects.values()}
        last = _last_changes([pid for pid, s in dates.items() if s["given"]])
        for pid, state in dates.items():
            if not state["given"]:
                continue
            p = by_id[pid]
            moves = stage_moves(p["stage"], start=state["actual_start"],
                                completion=state["actual_completion"] if "actual_completion" in state["given"] else None,
                                last=last.get(pid), today=self.today)
            if not moves and state["actual_start"] == p["actual_start"] and state["actual_completion"] == p["actual_completion"]:
                continue
            stage, stage_on = (moves[-1][1], moves[-1][2]) if moves else (p["stage"], None)
            if moves and state["by"][0].outcome == "unchanged":  # its report is as stored, but its dates move the project on
                state["by"][0].outcome = "updated"
            self.project_updates.append((pid, state["actual_start"], state["actual_completion"], stage, stage_on, bool(moves)))
            self.changes += [(pid, *m) for m in moves]

    def write(self) -> None:
        insert_rows(ProgressReport, self.inserts)
        update_rows(ProgressReport, (*self.FIELDS, "reported_by", "reported_at"), self.updates)
        moved = [(start, completion, stage, on, self.now, pid) for pid, start, completion, stage, on, has_moves in self.project_updates if has_moves]
        dated = [(start, completion, self.now, pid) for pid, start, completion, _stage, _on, has_moves in self.project_updates if not has_moves]
        update_rows(Project, ("actual_start", "actual_completion", "stage", "stage_on", "updated_at"), moved)
        update_rows(Project, ("actual_start", "actual_completion", "updated_at"), dated)
        write_stage_changes(self, self.changes)


KIND_CLASSES = {"projects": ProjectsImport, "allocations": AllocationsImport, "payments": PaymentsImport, "progress": ProgressImport}
