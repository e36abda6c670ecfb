"""Relocation follow-up metrics (后续扶持指标) as of a day, per site, township, county or city, and their total row.

Definitions (the brief's shared ones, shown on the page as 口径说明):
- population on D: persons whose relocation Enrolment has an `active` EnrolmentStatus period covering D
  (valid_from <= D < valid_to, open when NULL); household, site and division are the enrolment's;
- labour person: in the population, age in whole years on D within policy `relocation.labour_age` [min, max] (both ends
  included) and LabourCapacity not `none`/`student` (no row: able); labour household: at least one labour person;
- employed person: an Employment with started_on <= D <= ended_on (open when NULL); labour_households_employed: labour
  households with at least one employed member of the population; employment_rate = that / labour_households;
- monitored household: a MonitoringCase with included_on <= D < eliminated_on (open when NULL);
- 低保 coverage: households with a Welfare (dibao or tekun) started_on <= D <= ended_on, over households;
- per-capita net income of year Y (default D.year − 1): Σ Income net / Σ Income persons over the households with a row.

A household is counted in one group only: where its members of the population are (by site: the site any of them is
placed at, the highest site id when they differ; by division: the lowest code), with all its members of the population.

Everything is read from the metric facts (MetricSegment, rebuilt for changed persons before each read by
services/metric_facts): one row per person and stretch of days in the population with the same employment kinds, carrying
household, site, division, birth date and labour capacity. One statement groups the rows of the day per household (kinds
summed in 9-bit slots of one integer), then per group with welfare, monitoring (one list per category) and the income
survey joined at household level, so Python only reads one row per group.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import ValidationFailed
from anju.core.models import PolicyVersion
from anju.core.policy import policy_value
from anju.divisions.models import Division, Level
from anju.relocation.models import KIND_SLOT_BITS, Employment, Income, MetricSegment, MonitoringCase, Site, Welfare, day_number
from anju.relocation.selectors_support import NOT_LABOUR_CAPACITIES
from anju.relocation.services.metric_facts import metric_facts_sync

BY_SITE, BY_TOWNSHIP, BY_COUNTY, BY_CITY = "site", "township", "county", "city"
GROUPINGS = (BY_SITE, BY_TOWNSHIP, BY_COUNTY, BY_CITY)
GROUPING_LABELS = {BY_SITE: gettext_lazy("按安置点"), BY_TOWNSHIP: gettext_lazy("按乡镇（街道）"), BY_COUNTY: gettext_lazy("按县（市、区）"),
                   BY_CITY: gettext_lazy("按市（州）")}
PREFIX_LENGTHS = {BY_TOWNSHIP: 9, BY_COUNTY: 6, BY_CITY: 4}
LEVELS = {BY_TOWNSHIP: Level.TOWNSHIP, BY_COUNTY: Level.COUNTY, BY_CITY: Level.CITY}
NO_SITE_NAME = gettext_lazy("未安置到点")
LABOUR_AGE_KEY = "relocation.labour_age"
NOT_LABOUR = NOT_LABOUR_CAPACITIES
WELFARE_KINDS = (Welfare.Kind.DIBAO, Welfare.Kind.TEKUN)
EMPLOYMENT_KINDS = list(Employment.Kind.values)
CATEGORIES = list(MonitoringCase.Category.values)

MSG_SCOPE = gettext_lazy("范围应为 2 至 12 位的区划代码（如 4299、429921）")
MSG_SCOPE_UNKNOWN = gettext_lazy("区划代码“%(code)s”不存在")
MSG_SCOPE_OUTSIDE = gettext_lazy("范围“%(code)s”不在您的查看范围内")
MSG_BY = gettext_lazy("分组方式应为 site（安置点）、township（乡镇）、county（县）或 city（市）")
MSG_AS_OF = gettext_lazy("统计日期无效")
MSG_YEAR = gettext_lazy("收入年度无效")

DEFINITIONS = [
    gettext_lazy("搬迁人口：易地扶贫搬迁扶持对象中，统计日处于“在册”状态期间的人员（暂停、核减期间不计）；户、安置点和所在区划按扶持对象登记。"),
    gettext_lazy("劳动力：统计日按周岁计算年龄在劳动年龄段内（政策“relocation.labour_age”，含两端，默认16至60周岁），"
                 "且劳动能力不是“丧失劳动力”或“在校生”（未登记劳动能力的视为普通劳动力）。有劳动力户：至少有1名劳动力的户。"),
    gettext_lazy("就业：统计日在就业期间内（开始日期不晚于统计日，结束日期为空或不早于统计日）。"
                 "有劳动力户中至少1人就业的户数 ÷ 有劳动力户数 = 至少1人就业率；分母为 0 时不计算（显示“—”）。"),
    gettext_lazy("分类型就业人数：统计日在岗的搬迁人员按就业类型计人数，同时有两种类型就业的各计1次，故各类型之和可能大于就业人数。"),
    gettext_lazy("人均纯收入：收入年度（默认统计日上一年）有收入调查的搬迁户纯收入合计 ÷ 其家庭人口合计；"
                 "纯收入 = 工资性 + 生产经营性 + 财产性 + 转移性收入 − 生产经营性支出。"),
    gettext_lazy("低保覆盖率：统计日享受低保或特困供养的搬迁户数 ÷ 搬迁户数。"),
    gettext_lazy("监测户：统计日处于监测期的防返贫监测对象（纳入监测日期不晚于统计日、尚未风险消除或消除日期晚于统计日），"
                 "待认定和不予纳入的不计；按监测对象类别分列。"),
    gettext_lazy("每户只计入一个分组：按安置点统计时计入其成员安置的安置点，按区划统计时计入其成员登记的所在区划。"),
]


# --- arguments -----------------------------------------------------------------------------------------------------

def _significant(code: str) -> str:
    """'429921000000' → '429921': a full 12-digit code is cut to its level's prefix."""
    if len(code) != 12:
        return code
    for n in (2, 4, 6, 9):
        if code[n:] == "0" * (12 - n):
            return code[:n]
    return code


def metrics_scope(actor, scope: str | None) -> tuple[str, str]:
    """(prefix, name) of the divisions covered: the actor's view scope, or `scope` when it lies within it."""
    view = actor.view_prefix
    raw = (scope or "").strip()
    if not raw:
        prefix = view
    else:
        if not raw.isascii() or not raw.isdigit() or not 2 <= len(raw) <= 12:
            raise ValidationFailed(MSG_SCOPE, code="scope_invalid", detail={"field": "scope"})
        prefix = _significant(raw)
        if not prefix.startswith(view):
            raise ValidationFailed(MSG_SCOPE_OUTSIDE % {"code": raw}, code="scope_outside", detail={"field": "scope"})
    division = Division.objects.filter(code=prefix.ljust(12, "0")).only("code", "name", "level").first()
    if division is None or (raw and division.prefix != prefix):
        raise ValidationFailed(MSG_SCOPE_UNKNOWN % {"code": raw or prefix}, code="scope_unknown", detail={"field": "scope"})
    return prefix, division.name


def _check(as_of, by, income_year) -> None:
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValidationFailed(MSG_AS_OF, code="as_of_invalid", detail={"field": "as_of"})
    if by not in GROUPINGS:
        raise ValidationFailed(MSG_BY, code="by_invalid", detail={"field": "by"})
    if income_year is not None and (not isinstance(income_year, int) or isinstance(income_year, bool) or not 1900 <= income_year <= 2200):
        raise ValidationFailed(MSG_YEAR, code="year_invalid", detail={"field": "income_year"})


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for 29 February in a common year): a person born on or before it is at
    least `years` old on `day` in whole years."""
    year = day.year - years
    if year < dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def labour_bands(prefix: str, as_of: dt.date) -> list[tuple[str, int, int]]:
    """[(scope, min, max)] of the labour-age policy in force on as_of: the prefix's own band last (scope = prefix) after the
    narrower scopes under it that set their own, longest first."""
    bands = []
    narrower = sorted({s for s in PolicyVersion.objects.filter(key=LABOUR_AGE_KEY, effective_from__lte=as_of).values_list("scope", flat=True)
                       if s and len(s) > len(prefix) and s.startswith(prefix)}, key=lambda s: (-len(s), s))
    for scope in [*narrower, prefix]:
        low, high = policy_value(LABOUR_AGE_KEY, on=as_of, division_code=scope)
        bands.append((scope, int(low), int(high)))
    return bands


# --- the SQL -------------------------------------------------------------------------------------------------------

class _Sql:
    """Named parameters (`%(p0)s`, …): the statement's pieces may be written in any order and a value used twice."""

    def __init__(self):
        self.values: dict = {}

    def p(self, value) -> str:
        for name, v in self.values.items():
            if v == value and type(v) is type(value):
                return f"%({name})s"
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s"


def _range(q: _Sql, column: str, prefix: str) -> str:
    return f"{column} >= {q.p(prefix)} AND {column} < {q.p(prefix + ':')}"


def _labour_sql(q: _Sql, bands, as_of: dt.date) -> str:
    """A condition: the person of fact row `e` is of labour age on as_of under the band of their division — born on or
    before as_of − min years and after as_of − (max + 1) years, a range test on the birth date."""
    def band(low, high):
        return f"e.birth_day <= {q.p(day_number(years_before(as_of, low)))} AND e.birth_day > {q.p(day_number(years_before(as_of, high + 1)))}"

    *narrower, (_scope, low, high) = bands
    if not narrower:
        return band(low, high)
    whens = " ".join(f"WHEN {_range(q, 'e.division_code', s)} THEN CASE WHEN {band(lo, hi)} THEN 1 ELSE 0 END" for s, lo, hi in narrower)
    return f"(CASE {whens} ELSE CASE WHEN {band(low, high)} THEN 1 ELSE 0 END END) = 1"


def _holds_every_fact(prefix: str) -> bool:
    """Whether every metric fact lies in the divisions under `prefix` (the lowest and highest codes, two index probes)."""
    codes = MetricSegment.objects.values_list("division_code", flat=True)
    low, high = codes.order_by("division_code").first(), codes.order_by("-division_code").first()
    return low is None or (low >= prefix and high < prefix + ":")


def _statement(*, prefix: str, as_of: dt.date, by: str, income_year: int) -> tuple[str, dict]:
    """One read: per household from the metric facts (population members on the day, labour, employment kinds packed in
    slots), then per group with welfare, income and monitoring joined at household level."""
    q = _Sql()
    segment, welfare, income, case = (MetricSegment._meta.db_table, Welfare._meta.db_table, Income._meta.db_table,
                                      MonitoringCase._meta.db_table)
    d, day = q.p(as_of), q.p(day_number(as_of))
    # A household's group: by site the highest site its members of the day are placed at (0: none); by division the lowest
    # code, cut to the group's prefix outside (the prefix of the lowest code is the lowest prefix).
    key, pick = ("COALESCE(e.site_id, 0)", "MAX") if by == BY_SITE else ("e.division_code", "MIN")
    group = "hh.g" if by == BY_SITE else f"SUBSTR(hh.g, 1, {PREFIX_LENGTHS[by]})"
    # A wide scope (a city) reads most facts: the covering index in household order (no sort for the GROUP BY) beats a
    # division range; `+column` keeps SQLite off the range, and a scope holding every fact needs no range at all.
    column = "+e.division_code" if len(prefix) < 6 and connection.vendor == "sqlite" else "e.division_code"
    in_scope = "" if _holds_every_fact(prefix) else f"{_range(q, column, prefix)} AND "
    on_day = f"e.seg_from <= {day} AND (e.seg_to IS NULL OR e.seg_to > {day})"
    labour = f"CASE WHEN e.able AND {_labour_sql(q, labour_bands(prefix, as_of), as_of)} THEN 1 ELSE 0 END"
    hh = (f"SELECT e.household_id AS h, {pick}({key}) AS g, COUNT(*) AS n, MAX({labour}) AS lab, "
          f"MAX(CASE WHEN e.slots <> 0 THEN 1 ELSE 0 END) AS emp, SUM(CASE WHEN e.slots <> 0 THEN 1 ELSE 0 END) AS ne, CAST(SUM(e.slots) AS BIGINT) AS ks "
          f"FROM {segment} e WHERE {in_scope}{on_day} GROUP BY e.household_id")
    mask = 2 ** KIND_SLOT_BITS - 1  # a household has fewer members employed in one kind
    kinds = ", ".join(f"SUM((hh.ks >> {KIND_SLOT_BITS * i}) & {mask})" for i in range(len(EMPLOYMENT_KINDS)))
    kinds_w = ", ".join(q.p(k) for k in WELFARE_KINDS)
    covered = (f"SELECT w.household_id FROM {welfare} w WHERE w.kind IN ({kinds_w}) AND w.started_on <= {d} "
               f"AND (w.ended_on IS NULL OR w.ended_on >= {d})")
    monitored = (f"SELECT mc.household_id FROM {case} mc WHERE mc.included_on IS NOT NULL AND mc.included_on <= {d} "
                 f"AND (mc.eliminated_on IS NULL OR mc.eliminated_on > {d})")
    by_category = ", ".join(f"SUM(CASE WHEN hh.h IN ({monitored} AND mc.category = {q.p(c)}) THEN 1 ELSE 0 END)" for c in CATEGORIES)
    sql = (f"SELECT {group}, COUNT(*), SUM(hh.n), SUM(hh.lab), SUM(hh.lab * hh.emp), SUM(hh.ne), {kinds}, "
           f"SUM(CASE WHEN hh.h IN ({covered}) THEN 1 ELSE 0 END), SUM(CASE WHEN hh.h IN ({monitored}) THEN 1 ELSE 0 END), {by_category}, "
           "COUNT(i.household_id), SUM(i.wage_fen + i.business_fen + i.property_fen + i.transfer_fen - i.costs_fen), SUM(i.persons) "
           f"FROM ({hh}) hh LEFT JOIN {income} i ON i.household_id = hh.h AND i.year = {q.p(income_year)} GROUP BY {group}")
    return sql, q.values


def _rows(sql: str, params: dict) -> list[tuple]:
    """Run the read. On PostgreSQL without JIT (it would compile the statement for longer than it runs) and with 16 MB of
    work memory, so the per-household sort of a city's facts stays in memory (the default 4 MB spills it to disk)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '16MB'")
        cur.execute(sql, params)
        return cur.fetchall()


# --- rows ----------------------------------------------------------------------------------------------------------

def _empty(code: str, name: str, income_year: int) -> dict:
    return {"code": code, "name": name, "households": 0, "persons": 0, "labour_households": 0, "labour_households_employed": 0,
            "employment_rate": None, "employed_persons": 0, "employed_by_kind": dict.fromkeys(EMPLOYMENT_KINDS, 0),
            "monitored_households": 0, "monitored_by_category": dict.fromkeys(CATEGORIES, 0), "income_year": income_year,
            "income_households": 0, "income_net_fen": 0, "income_persons": 0, "per_capita_income_fen": None,
            "welfare_households": 0, "welfare_coverage": None}


def _fraction(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _per_capita(net: int, persons: int) -> int | None:
    """Σ net / Σ persons in whole fen, rounded half up (away from zero)."""
    if not persons:
        return None
    return int((Decimal(net) / Decimal(persons)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _finish(row: dict) -> dict:
    row["employment_rate"] = _fraction(row["labour_households_employed"], row["labour_households"])
    row["welfare_coverage"] = _fraction(row["welfare_households"], row["households"])
    row["per_capita_income_fen"] = _per_capita(row["income_net_fen"], row["income_persons"])
    return row


def _fill(row: dict, values) -> None:
    """Fill `row` from a row of the statement: counts, kinds, welfare, monitoring (all, by category), income."""
    n_kinds, n_cat = len(EMPLOYMENT_KINDS), len(CATEGORIES)
    values = [int(v or 0) for v in values]  # PostgreSQL sums bigint as numeric
    households, persons, labour, labour_employed, employed, *rest = values
    row.update(households=households, persons=persons, labour_households=labour, labour_households_employed=labour_employed,
               employed_persons=employed)
    row["employed_by_kind"].update(zip(EMPLOYMENT_KINDS, rest[:n_kinds], strict=True))
    rest = rest[n_kinds:]
    row["welfare_households"], row["monitored_households"] = rest[0], rest[1]
    row["monitored_by_category"].update(zip(CATEGORIES, rest[2:2 + n_cat], strict=True))
    row["income_households"], row["income_net_fen"], row["income_persons"] = rest[2 + n_cat:]


def relocation_metrics(*, actor, as_of: dt.date, scope: str | None = None, by: str = BY_COUNTY,
                       income_year: int | None = None) -> list[dict]:
    """The follow-up metrics on `as_of` of the relocated population in the actor's view scope (or `scope`, a division within
    it), one dict per site, township, county or city (`by`), ordered by code; see the module docstring for the definitions.

    Each dict: code, name, households, persons, labour_households, labour_households_employed, employment_rate (float or
    None), employed_persons, employed_by_kind {kind: persons}, monitored_households, monitored_by_category {category:
    households}, income_year, income_households, income_net_fen, income_persons, per_capita_income_fen (int or None),
    welfare_households, welfare_coverage (float or None); by site also site_id (None for 未安置到点), by division also
    prefix (the 4-, 6- or 9-digit code prefix, for drilling down).
    """
    require_perm(actor, Perm.RELOCATION_VIEW)
    _check(as_of, by, income_year)
    prefix, _scope_name = metrics_scope(actor, scope)
    metric_facts_sync()
    year = income_year if income_year is not None else as_of.year - 1
    data: dict = {}
    for g, *values in _rows(*_statement(prefix=prefix, as_of=as_of, by=by, income_year=year)):
        g = int(g or 0) if by == BY_SITE else (g or "")
        row = data.setdefault(g, _empty("", "", year))
        _fill(row, values)
    rows = _site_rows(prefix, data, year) if by == BY_SITE else _division_rows(prefix, by, data, year)
    return [_finish(r) for r in rows]


def _site_rows(prefix: str, data: dict, year: int) -> list[dict]:
    sites = {s.pk: s for s in Site.objects.filter(code_prefix_q("division_code", prefix)).only("id", "code", "name", "division_code")}
    missing = [g for g in data if g and g not in sites]
    if missing:  # a site outside the scope that people of the scope are placed at
        sites.update({s.pk: s for s in Site.objects.filter(pk__in=missing).only("id", "code", "name", "division_code")})
    rows = []
    for site in sorted(sites.values(), key=lambda s: (s.division_code, s.code)):
        row = data.get(site.pk) or _empty("", "", year)
        row.update(code=site.code, name=site.name, site_id=site.pk, division_code=site.division_code)
        rows.append(row)
    if 0 in data:
        row = data[0]
        row.update(code="", name=str(NO_SITE_NAME), site_id=None, division_code="")
        rows.append(row)
    return rows


def _division_rows(prefix: str, by: str, data: dict, year: int) -> list[dict]:
    n = PREFIX_LENGTHS[by]
    if len(prefix) >= n:  # grouping coarser than the scope: the one division containing it
        wanted = {prefix[:n]}
    elif by == BY_TOWNSHIP:  # townships with relocated people
        wanted = set()
    else:  # every county (city) of the scope, with or without relocated people
        wanted = {d.code[:n] for d in Division.objects.filter(code_prefix_q("code", prefix), level=LEVELS[by]).only("code")}
    codes = sorted(wanted | {g for g in data if g})
    names = dict(Division.objects.filter(code__in=[c.ljust(12, "0") for c in codes]).values_list("code", "name"))
    rows = []
    for c in codes:
        full = c.ljust(12, "0")
        row = data.get(c) or _empty("", "", year)
        row.update(code=full, name=names.get(full, full), prefix=c)
        rows.append(row)
    return rows


def metrics_total(rows: list[dict], *, name: str = "", income_year: int | None = None) -> dict:
    """The total row of `rows` (households are counted in one group only, so sums are exact)."""
    total = _empty("", name or _("合计"), income_year if income_year is not None else (rows[0]["income_year"] if rows else 0))
    for r in rows:
        for key in ("households", "persons", "labour_households", "labour_households_employed", "employed_persons", "monitored_households",
                    "income_households", "income_net_fen", "income_persons", "welfare_households"):
            total[key] += r[key]
        for key in ("employed_by_kind", "monitored_by_category"):
            for k, v in r[key].items():
                total[key][k] = total[key].get(k, 0) + v
    return _finish(total)


__all__ = ["relocation_metrics", "metrics_total", "metrics_scope", "labour_bands", "years_before", "DEFINITIONS", "GROUPINGS",
           "GROUPING_LABELS", "BY_SITE", "BY_TOWNSHIP", "BY_COUNTY", "BY_CITY", "NO_SITE_NAME", "MSG_SCOPE", "MSG_SCOPE_UNKNOWN",
           "MSG_SCOPE_OUTSIDE", "MSG_BY", "MSG_AS_OF", "MSG_YEAR"]
