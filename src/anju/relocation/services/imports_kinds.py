"""The rules of each relocation import kind, their natural keys and the 防返贫 warning signals they raise.

Natural keys (a row whose key is stored updates that record; a file never makes a duplicate):
  employment  person + 就业类型 + 开始日期          welfare   household + 救助类型 + 起始日期
  training    person + 培训项目 + 开始日期          income    household + 年度
  medical     person + 年度                        insurance person + 年度

Signals (RiskSignal, the warning list the monitoring area works through; source "import:<kind>", batch set):
  medical     合规自付 above policy `relocation.medical_high_yuan` (strictly): one per person and year, ever — a
              re-import, or a later list with a new amount for the same year, does not raise it again.
  welfare     a household newly covered: the file gives a 低保/特困 record open today for a household that had none open
              today before the import; not raised while the household has an open (unhandled) welfare signal.
  employment  a spell that ends (its 结束日期 is given or changed to a day before today and within the last 365 days,
              and it was open today before) when, after the import, no member of the household has a spell open
              today; one per household, not raised while the household has an open employment signal. Spells that
              ended more than a year ago are history, not a new risk.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db.models import Q
from django.utils.translation import gettext_lazy

from anju.core.policy import policy_value
from anju.imports.values import normalise_choice
from anju.projects.services.imports import MSG_DUPLICATE_IN_FILE, Row, chunks, update_rows
from anju.relocation.models import Employment, Income, Insurance, MedicalCost, RiskSignal, Source, Training, Welfare
from anju.relocation.services.imports import RelocationKind, insert_rows

MSG_END_BEFORE_START = gettext_lazy("%(end_column)s %(end)s 早于%(start_column)s %(start)s")
MSG_OUT_OF_POCKET = gettext_lazy("合规自付费用 %(oop)s 元大于医疗总费用 %(total)s 元")
MSG_HOUSEHOLD_ID_REQUIRED = gettext_lazy("请填写户主身份证号或家庭成员的身份证号")
MSG_OTHER_HOUSEHOLD = gettext_lazy("身份证号 %(id)s 与户主身份证号不属于同一户")
MSG_INSURANCE_EMPTY = gettext_lazy("医疗保险、养老保险至少填写一项")
MSG_YEAR_FUTURE = gettext_lazy("年度 %(year)s 晚于今年")

EMPLOYMENT_NAMES = {
    "县内务工": "county", "县内": "county", "县内就业": "county", "本县务工": "county",
    "县外省内务工": "province", "县外省内": "province", "省内县外务工": "province", "省内县外": "province", "县外省内就业": "province",
    "省外务工": "out_province", "省外": "out_province", "省外就业": "out_province", "跨省务工": "out_province",
    "公益性岗位": "public_post", "公益岗": "public_post", "公益性岗位就业": "public_post", "乡村公益性岗位": "public_post",
    "扶贫车间": "workshop", "帮扶车间": "workshop", "就业帮扶车间": "workshop", "扶贫车间就业": "workshop", "社区工厂": "workshop",
    "自主创业": "self_employed", "创业": "self_employed", "自主创业就业": "self_employed",
    "灵活就业": "flexible",
    **{k: k for k in Employment.Kind.values},
}
EMPLOYMENT_LABELS = ("县内务工", "县外省内务工", "省外务工", "公益性岗位", "扶贫车间", "自主创业", "灵活就业")
WELFARE_NAMES = {
    "低保": "dibao", "最低生活保障": "dibao", "农村低保": "dibao", "城市低保": "dibao", "城乡低保": "dibao", "低保户": "dibao",
    "农村最低生活保障": "dibao", "城市最低生活保障": "dibao",
    "特困": "tekun", "特困供养": "tekun", "特困人员": "tekun", "特困人员供养": "tekun", "特困供养人员": "tekun", "五保": "tekun", "五保户": "tekun",
    **{k: k for k in Welfare.Kind.values},
}
WELFARE_LABELS = ("低保", "特困")
INSURED_WORDS = {"已参保": True, "参保": True, "已参加": True, "参加": True, "已缴费": True, "未参保": False, "不参保": False, "未参加": False,
                 "未缴费": False}
_EMPLOYMENT = {normalise_choice(k): v for k, v in EMPLOYMENT_NAMES.items()}
_WELFARE = {normalise_choice(k): v for k, v in WELFARE_NAMES.items()}
_INSURED = {normalise_choice(k): v for k, v in INSURED_WORDS.items()}
ENDED_WITHIN_DAYS = 365


def _load(model, owner: str, ids, fields: tuple[str, ...]) -> list[dict]:
    out: list[dict] = []
    for part in chunks(sorted(ids)):
        out += model.objects.filter(**{f"{owner}_id__in": part}).values("id", f"{owner}_id", *fields)
    return out


def _open_on(day: dt.date) -> Q:
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


class _Keyed(RelocationKind):
    """A kind whose rows each match one record by a natural key: (owner id, *KEY values). Subclasses set the model,
    the owner (person or household), KEY (parsed names that are also model fields), FIELDS (updatable model fields),
    DEFAULTS (for new records when the cell is empty) and implement `parse`, `owner_of` and `given`."""

    MODEL = None
    OWNER = "person"
    KEY: tuple[str, ...] = ()
    FIELDS: tuple[str, ...] = ()
    DEFAULTS: dict = {}
    BATCHED = True  # the model has a batch column
    STAMPED = False  # the model has a created_at column

    def __init__(self, **kw):
        super().__init__(**kw)
        self.inserts: list[dict] = []
        self.updates: list[tuple[dict, int]] = []

    def parse_person(self, row: Row) -> None:
        row.v["name"] = self.text(row, "name", 64)
        row.v["id_number"] = self.resident_id(row, "id_number", required=True)

    def date_order(self, row: Row, start: str, end: str) -> None:
        v = row.v
        if v[start] and v[end] and v[end] < v[start]:
            self.error(row, end, "date_order", MSG_END_BEFORE_START % {"end_column": self.column(end), "end": v[end],
                                                                       "start_column": self.column(start), "start": v[start]})

    def empty(self, row: Row, name: str) -> bool:
        value = self.cell(row, name)
        return value is None or (isinstance(value, str) and not value.strip())

    def year(self, row: Row) -> int | None:
        if self.empty(row, "year"):
            self.required(row, "year")
            return None
        year = self.integer(row, "year", 2000, 2100)
        if year is not None and year > self.today.year:
            self.error(row, "year", "year_future", MSG_YEAR_FUTURE % {"year": year})
            return None
        return year

    def owner_of(self, row: Row) -> dict | None:
        person = self.member(row)
        if person is not None:
            self.check_name(row, person, "name", "id_number")
        return person

    def id_field(self, row: Row) -> str:
        """The resident-ID column that identified the row's owner (where a duplicate is reported)."""
        return "id_number"

    def given(self, row: Row) -> dict:
        """Model field → the file's value (None: the cell was empty)."""
        raise NotImplementedError

    def shown_key(self, row: Row) -> str:
        return " ".join(str(row.v[k]) for k in self.KEY)

    def plan(self, rows: list[Row]) -> None:
        self.load_population(rows)
        owners: dict[int, dict] = {}
        for row in rows:
            if not row.errors:
                owner = self.owner_of(row)
                if owner is not None:
                    row.v["_owner"] = owner
                    owners[owner[f"{self.OWNER}_id"]] = owner
        existing = {(r[f"{self.OWNER}_id"], *(r[k] for k in self.KEY)): r for r in
                    _load(self.MODEL, self.OWNER, owners, tuple(dict.fromkeys((*self.KEY, *self.FIELDS, *self.EXTRA_LOAD))))}
        self.before_rows(owners, existing)
        seen: dict = {}
        for row in rows:
            if row.errors:
                continue
            owner = row.v["_owner"]
            key = (owner[f"{self.OWNER}_id"], *(row.v[k] for k in self.KEY))
            first = seen.get(key)
            if first is not None:
                id_field = self.id_field(row)
                shown = f"{self.masked(row.v.get(id_field))} {self.shown_key(row)}".strip()
                self.error(row, id_field, "duplicate_in_file", MSG_DUPLICATE_IN_FILE % {"row": first, "key": shown})
                continue
            seen[key] = row.raw.number
            old = existing.get(key)
            given = self.given(row)
            if old is None:
                new = {f: self.DEFAULTS.get(f) if given[f] is None else given[f] for f in self.FIELDS}
            else:
                new = {f: old[f] if given[f] is None else given[f] for f in self.FIELDS}
            self.check(row, new, old)
            if row.errors:
                continue
            if old is None:
                record = {f"{self.OWNER}_id": key[0], **{k: row.v[k] for k in self.KEY}, **new, **self.extra_insert(owner)}
                self.inserts.append(record)
                row.outcome = "imported"
            elif all(new[f] == old[f] for f in self.FIELDS):
                row.outcome = "unchanged"
            else:
                self.updates.append((new, old["id"]))
                row.outcome = "updated"
            self.accepted(row, owner, new, old)

    EXTRA_LOAD: tuple[str, ...] = ()

    def before_rows(self, owners: dict[int, dict], existing: dict) -> None:
        """Set queries a kind's signals need about the stored state before any row is applied."""

    def check(self, row: Row, new: dict, old: dict | None) -> None:
        """Rules on the merged values (the file's over the stored ones)."""

    def accepted(self, row: Row, owner: dict, new: dict, old: dict | None) -> None:
        """A row that will be written (or is unchanged): collect signal candidates."""

    def extra_insert(self, owner: dict) -> dict:
        extra = {"division_code": owner["division_code"], "source": Source.IMPORT}
        if self.OWNER == "person":
            extra["household_id"] = owner["household_id"]
        if self.BATCHED:
            extra["batch_id"] = None  # set in write(): the batch exists only then
        if self.STAMPED:
            extra["created_at"] = self.now
        return extra

    def write(self) -> None:
        if self.BATCHED:
            for record in self.inserts:
                record["batch_id"] = self.batch_id
        insert_rows(self.MODEL, self.inserts)
        names = (*self.FIELDS, "batch") if self.BATCHED else self.FIELDS
        tail = (self.batch_id,) if self.BATCHED else ()
        update_rows(self.MODEL, names, [(*(new[f] for f in self.FIELDS), *tail, pk) for new, pk in self.updates])
        self.write_signals()

    def write_signals(self) -> None:
        """Raise this kind's signals (after the records are written, in the same transaction)."""

    def insert_signals(self, signals: list[dict]) -> None:
        rows = [{"household_id": s["household_id"], "person_id": s.get("person_id"), "division_code": s["division_code"], "kind": s["kind"],
                 "found_on": self.today, "source": f"import:{self.kind}", "batch_id": self.batch_id,
                 "detail": json.dumps(s["detail"], ensure_ascii=False, sort_keys=True), "state": RiskSignal.State.OPEN, "note": ""}
                for s in signals]
        insert_rows(RiskSignal, rows)
        self.signals += len(rows)


def _open_signal_households(kind: str, household_ids) -> set[int]:
    out: set[int] = set()
    for part in chunks(sorted(household_ids)):
        out.update(RiskSignal.objects.filter(kind=kind, state=RiskSignal.State.OPEN, household_id__in=part).values_list("household_id", flat=True))
    return out


class _HouseholdKind(_Keyed):
    """A household list: the household is found by the head's resident ID or any member's (both given: the same)."""

    OWNER = "household"
    ID_FIELDS = ("head_id", "id_number")

    def id_field(self, row: Row) -> str:
        return "head_id" if row.v.get("head_id") else "id_number"

    def parse_household(self, row: Row) -> None:
        v = row.v
        v["head_name"] = self.text(row, "head_name", 64)
        v["head_id"] = self.resident_id(row, "head_id")
        v["id_number"] = self.resident_id(row, "id_number")
        if not (v["head_id"] or v["id_number"]) and not row.errors:
            self.error(row, "head_id" if self.table.column_index("head_id") is not None else "id_number",
                       "household_id_required", MSG_HOUSEHOLD_ID_REQUIRED, "")

    def owner_of(self, row: Row) -> dict | None:
        v = row.v
        head = self.member(row, "head_id") if v["head_id"] else None
        if v["head_id"] and head is None:
            return None
        other = self.member(row, "id_number") if v["id_number"] else None
        if v["id_number"] and other is None:
            return None
        if head is not None and other is not None and head["household_id"] != other["household_id"]:
            self.error(row, "id_number", "other_household", MSG_OTHER_HOUSEHOLD % {"id": self.masked(v["id_number"])},
                       self.masked(v["id_number"]))
            return None
        if head is not None:
            self.check_name(row, head, "head_name", "head_id")
        found = head or other
        return {"household_id": found["household_id"], "division_code": found["division_code"], "person_id": found["person_id"]}



# --- employment (人社) ---------------------------------------------------------------------------------------

class EmploymentImport(_Keyed):
    kind = "employment"
    MODEL = Employment
    KEY = ("kind", "started_on")
    FIELDS = ("employer", "place", "ended_on", "monthly_income_fen")
    DEFAULTS = {"employer": "", "place": "", "ended_on": None, "monthly_income_fen": 0}
    STAMPED = True

    def __init__(self, **kw):
        super().__init__(**kw)
        self.ended: dict[int, dict] = {}  # household id → the first spell of the file that ends

    def parse(self, row: Row) -> None:
        v = row.v
        self.parse_person(row)
        v["kind"] = self.choice(row, "kind", _EMPLOYMENT, EMPLOYMENT_LABELS, required=True)
        v["employer"] = self.text(row, "employer", 100, keep=True)
        v["place"] = self.text(row, "place", 100, keep=True)
        v["started_on"] = self.date(row, "started_on", required=True)
        v["ended_on"] = self.date(row, "ended_on", future=True)
        v["monthly_income"] = self.amount(row, "monthly_income")
        self.date_order(row, "started_on", "ended_on")

    def given(self, row: Row) -> dict:
        v = row.v
        return {"employer": v["employer"], "place": v["place"], "ended_on": v["ended_on"], "monthly_income_fen": v["monthly_income"]}

    def shown_key(self, row: Row) -> str:
        return f"{Employment.Kind(row.v['kind']).label} {row.v['started_on']}"

    def accepted(self, row: Row, owner: dict, new: dict, old: dict | None) -> None:
        today, end = self.today, new["ended_on"]
        if end is None or not (today - dt.timedelta(days=ENDED_WITHIN_DAYS) <= end < today):
            return
        was_open = old is None or old["ended_on"] is None or old["ended_on"] >= today
        if was_open and (old is None or old["ended_on"] != end):
            self.ended.setdefault(owner["household_id"], {"person_id": owner["person_id"], "division_code": owner["division_code"],
                                                          "detail": {"kind": row.v["kind"], "started_on": row.v["started_on"].isoformat(),
                                                                     "ended_on": end.isoformat(), "employer": new["employer"]}})

    def write_signals(self) -> None:
        if not self.ended:
            return
        still_employed: set[int] = set()
        for part in chunks(sorted(self.ended)):
            still_employed.update(Employment.objects.filter(_open_on(self.today), household_id__in=part).values_list("household_id", flat=True))
        candidates = set(self.ended) - still_employed
        candidates -= _open_signal_households(RiskSignal.Kind.EMPLOYMENT, candidates)
        self.insert_signals([{"household_id": h, "kind": RiskSignal.Kind.EMPLOYMENT, **self.ended[h]} for h in sorted(candidates)])


# --- 低保/特困 (民政) ----------------------------------------------------------------------------------------

class WelfareImport(_HouseholdKind):
    kind = "welfare"
    MODEL = Welfare
    KEY = ("kind", "started_on")
    FIELDS = ("persons", "monthly_fen", "ended_on")
    DEFAULTS = {"persons": 1, "monthly_fen": 0, "ended_on": None}

    def __init__(self, **kw):
        super().__init__(**kw)
        self.covered_before: set[int] = set()
        self.newly: dict[int, dict] = {}

    def parse(self, row: Row) -> None:
        v = row.v
        self.parse_household(row)
        v["kind"] = self.choice(row, "kind", _WELFARE, WELFARE_LABELS, required=True)
        v["persons"] = self.integer(row, "persons", 1, 99)
        if self.empty(row, "persons"):
            self.required(row, "persons")
        v["monthly"] = self.amount(row, "monthly")
        v["started_on"] = self.date(row, "started_on", required=True)
        v["ended_on"] = self.date(row, "ended_on", future=True)
        self.date_order(row, "started_on", "ended_on")

    def given(self, row: Row) -> dict:
        v = row.v
        return {"persons": v["persons"], "monthly_fen": v["monthly"], "ended_on": v["ended_on"]}

    def shown_key(self, row: Row) -> str:
        return f"{Welfare.Kind(row.v['kind']).label} {row.v['started_on']}"

    def before_rows(self, owners: dict[int, dict], existing: dict) -> None:
        for part in chunks(sorted(owners)):
            self.covered_before.update(Welfare.objects.filter(_open_on(self.today), household_id__in=part).values_list("household_id", flat=True))

    def accepted(self, row: Row, owner: dict, new: dict, old: dict | None) -> None:
        household = owner["household_id"]
        if old is not None or household in self.covered_before:
            return
        if row.v["started_on"] <= self.today and (new["ended_on"] is None or new["ended_on"] >= self.today):
            self.newly.setdefault(household, {"division_code": owner["division_code"],
                                              "detail": {"kind": row.v["kind"], "started_on": row.v["started_on"].isoformat(),
                                                         "persons": new["persons"], "monthly_fen": new["monthly_fen"]}})

    def write_signals(self) -> None:
        candidates = set(self.newly) - _open_signal_households(RiskSignal.Kind.WELFARE, self.newly)
        self.insert_signals([{"household_id": h, "kind": RiskSignal.Kind.WELFARE, **self.newly[h]} for h in sorted(candidates)])


# --- medical costs (医保) ------------------------------------------------------------------------------------

class MedicalImport(_Keyed):
    kind = "medical"
    MODEL = MedicalCost
    KEY = ("year",)
    FIELDS = ("total_fen", "out_of_pocket_fen")
    DEFAULTS = {"total_fen": 0, "out_of_pocket_fen": 0}

    def __init__(self, **kw):
        super().__init__(**kw)
        self.thresholds: dict[str, int] = {}
        self.high: list[dict] = []

    def parse(self, row: Row) -> None:
        v = row.v
        self.parse_person(row)
        v["year"] = self.year(row)
        v["total"] = self.amount(row, "total", required=True)
        v["out_of_pocket"] = self.amount(row, "out_of_pocket", required=True)
        if v["total"] is not None and v["out_of_pocket"] is not None and v["out_of_pocket"] > v["total"]:
            self.error(row, "out_of_pocket", "out_of_pocket_above_total", MSG_OUT_OF_POCKET % {
                "oop": _yuan(v["out_of_pocket"]), "total": _yuan(v["total"])})

    def given(self, row: Row) -> dict:
        return {"total_fen": row.v["total"], "out_of_pocket_fen": row.v["out_of_pocket"]}

    def shown_key(self, row: Row) -> str:
        return str(row.v["year"])

    def threshold(self, division_code: str) -> int:
        if division_code not in self.thresholds:
            self.thresholds[division_code] = int(policy_value("relocation.medical_high_yuan", on=self.today, division_code=division_code)) * 100
        return self.thresholds[division_code]

    def accepted(self, row: Row, owner: dict, new: dict, old: dict | None) -> None:
        threshold = self.threshold(owner["division_code"])
        if new["out_of_pocket_fen"] > threshold:
            self.high.append({"household_id": owner["household_id"], "person_id": owner["person_id"], "division_code": owner["division_code"],
                              "detail": {"year": row.v["year"], "out_of_pocket_fen": new["out_of_pocket_fen"], "total_fen": new["total_fen"],
                                         "threshold_fen": threshold}})

    def write_signals(self) -> None:
        if not self.high:
            return
        raised: set[tuple[int, int]] = set()
        for part in chunks(sorted({s["person_id"] for s in self.high})):
            for person_id, detail in RiskSignal.objects.filter(kind=RiskSignal.Kind.MEDICAL, source="import:medical",
                                                               person_id__in=part).values_list("person_id", "detail"):
                raised.add((person_id, (detail or {}).get("year")))
        signals = [dict(s, kind=RiskSignal.Kind.MEDICAL) for s in self.high if (s["person_id"], s["detail"]["year"]) not in raised]
        self.insert_signals(signals)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}" if fen % 100 else str(fen // 100)


# --- training -----------------------------------------------------------------------------------------------

class TrainingImport(_Keyed):
    kind = "training"
    MODEL = Training
    KEY = ("course", "started_on")
    FIELDS = ("organiser", "ended_on", "certificate")
    DEFAULTS = {"organiser": "", "ended_on": None, "certificate": ""}

    def parse(self, row: Row) -> None:
        v = row.v
        self.parse_person(row)
        v["course"] = self.text(row, "course", 100, required=True)
        v["organiser"] = self.text(row, "organiser", 100, keep=True)
        v["started_on"] = self.date(row, "started_on", required=True)
        v["ended_on"] = self.date(row, "ended_on", future=True)
        v["certificate"] = self.text(row, "certificate", 100, keep=True)
        self.date_order(row, "started_on", "ended_on")

    def given(self, row: Row) -> dict:
        v = row.v
        return {"organiser": v["organiser"], "ended_on": v["ended_on"], "certificate": v["certificate"]}


# --- insurance ----------------------------------------------------------------------------------------------

class InsuranceImport(_Keyed):
    kind = "insurance"
    MODEL = Insurance
    KEY = ("year",)
    FIELDS = ("medical", "pension")
    DEFAULTS = {"medical": None, "pension": None}
    BATCHED = False

    def parse(self, row: Row) -> None:
        v = row.v
        self.parse_person(row)
        v["year"] = self.year(row)
        v["medical"] = self.insured(row, "medical")
        v["pension"] = self.insured(row, "pension")
        if v["medical"] is None and v["pension"] is None and not row.errors:
            self.error(row, "medical", "insurance_empty", MSG_INSURANCE_EMPTY, "")

    def insured(self, row: Row, name: str) -> bool | None:
        value = self.cell(row, name)
        if isinstance(value, str):
            word = _INSURED.get(normalise_choice(value))
            if word is not None:
                return word
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return self.boolean(row, name)

    def given(self, row: Row) -> dict:
        return {"medical": row.v["medical"], "pension": row.v["pension"]}

    def shown_key(self, row: Row) -> str:
        return str(row.v["year"])


# --- income survey ------------------------------------------------------------------------------------------

INCOME_SOURCES = (("wage", "wage_fen"), ("business", "business_fen"), ("property", "property_fen"), ("transfer", "transfer_fen"),
                  ("costs", "costs_fen"))


class IncomeImport(_HouseholdKind):
    kind = "income"
    MODEL = Income
    KEY = ("year",)
    FIELDS = ("persons", *(f for _c, f in INCOME_SOURCES), "surveyed_on")
    BATCHED = False

    def __init__(self, **kw):
        super().__init__(**kw)
        self.DEFAULTS = {"persons": None, **{f: 0 for _c, f in INCOME_SOURCES}, "surveyed_on": self.today}

    def parse(self, row: Row) -> None:
        v = row.v
        self.parse_household(row)
        v["year"] = self.year(row)
        v["persons"] = self.integer(row, "persons", 1, 99)
        if self.empty(row, "persons"):
            self.required(row, "persons")
        for column, _f in INCOME_SOURCES:
            v[column] = self.amount(row, column)
        v["surveyed_on"] = self.date(row, "surveyed_on")

    def given(self, row: Row) -> dict:
        v = row.v
        return {"persons": v["persons"], **{f: v[c] for c, f in INCOME_SOURCES}, "surveyed_on": v["surveyed_on"]}

    def shown_key(self, row: Row) -> str:
        return str(row.v["year"])


KIND_CLASSES = {"employment": EmploymentImport, "welfare": WelfareImport, "medical": MedicalImport, "training": TrainingImport,
                "insurance": InsuranceImport, "income": IncomeImport}
