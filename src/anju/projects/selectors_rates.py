"""Project rates (开工率, 完工率, 资金支付率) of a year as of a date, per county, fund source or program, for the year's
projects or the carried-over ones, with last year's figures, ranking and the warning colour of each row; the city
dashboard's monthly payment line and lagging projects.

Definitions (the brief's, shown on the page as 口径说明):
- the year's projects: `year == Y`, stage ≥ approved; carried over (结转): `year < Y`, stage ≥ approved, not completed
  before Y-01-01;
- started: `actual_start <= as_of`; completed: `actual_completion <= as_of`;
- allocated: allocations with `doc_date <= as_of` (any allocation year: cumulative); paid: payments with `paid_on <= as_of`;
- 开工率 = started / projects, 完工率 = completed / projects, 资金支付率 = paid / allocated, None when the denominator is 0;
- by fund source, money comes from that source's rows and a project counts under every source it has an allocation from
  by as_of; by program, `Project.program`;
- last year: the same computation for Y-1 as of the same day one year earlier.

Everything is aggregated in the database: one statement per table (projects, allocations and payments each scanned once
for this year and last year together), grouped by project and then by the row's key. Rates are Decimal fractions rounded
half up to 4 places (0.01 %); ranks compare the exact fractions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import NotFound, ValidationFailed
from anju.divisions.models import Division, Level
from anju.projects.models import STAGE_ORDER, Allocation, Payment, Program, Project, Stage, Term, WarningRule
from anju.projects.money import percent_text  # noqa: F401  (re-exported: pages and files format rates with it)

BY_COUNTY, BY_SOURCE, BY_PROGRAM = "county", "fund_source", "program"
GROUPINGS = (BY_COUNTY, BY_SOURCE, BY_PROGRAM)
GROUPING_LABELS = {BY_COUNTY: gettext_lazy("按县（市、区）"), BY_SOURCE: gettext_lazy("按资金来源"), BY_PROGRAM: gettext_lazy("按项目类型")}
RED, YELLOW = "red", "yellow"
LEVEL_LABELS = {RED: gettext_lazy("红色预警"), YELLOW: gettext_lazy("黄色预警"), "": ""}
RATE_PLACES = Decimal("0.0001")
FIRST_YEAR, LAST_YEAR = 2000, 2100
DEFAULT_RED_MARGIN, DEFAULT_YELLOW_MARGIN = Decimal("0.2"), Decimal("0")

MSG_YEAR = gettext_lazy("请选择 2000 年至 2100 年之间的年度")
MSG_AS_OF = gettext_lazy("统计截止日期无效")
MSG_BY = gettext_lazy("分组方式应为 county（县）、fund_source（资金来源）或 program（项目类型）")
MSG_SCOPE = gettext_lazy("范围应为区划代码（如 4299、429921）")

COUNTED_STAGES = [s for s in Stage.values if STAGE_ORDER[s] >= STAGE_ORDER[Stage.APPROVED]]

DEFINITIONS = [
    gettext_lazy("当年项目：计划年度为统计年度、阶段已到“立项/下达”及以后的项目。"),
    gettext_lazy("结转项目：以前年度立项（阶段已到“立项/下达”及以后）、统计年度1月1日前尚未完工的项目。"),
    gettext_lazy("已开工：实际开工日期不晚于统计截止日；已完工：实际完工日期不晚于统计截止日。"),
    gettext_lazy("下达资金：下达日期不晚于统计截止日的资金下达累计数（含以前年度下达）；已支付：支付日期不晚于统计截止日的支付累计数。"),
    gettext_lazy("开工率 = 已开工项目数 ÷ 项目数；完工率 = 已完工项目数 ÷ 项目数；资金支付率 = 已支付资金 ÷ 下达资金；分母为 0 时不计算（显示“—”）。"),
    gettext_lazy("按资金来源统计时，资金按该来源的下达与支付记录计算，项目计入截止日前有该来源资金下达的每个来源，合计行按项目去重。"),
    gettext_lazy("上年同期：上一年度的项目按同一口径计算，截止日为上年同日。"),
    gettext_lazy("排名按资金支付率从高到低，支付率相同的并列；预警颜色按预警规则“资金支付率低于序时进度”中截止日前最近一个节点月份（月末）的目标支付率："
                 "低于目标为黄色，低于目标20个百分点以上为红色。"),
]


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a Decimal fraction rounded half up to 4 places; None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def one_year_earlier(day: dt.date) -> dt.date:
    if day.year == dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass
class Figures:
    projects: int = 0
    started: int = 0
    completed: int = 0
    allocated: int = 0  # fen
    paid: int = 0  # fen

    @property
    def start_rate(self) -> Decimal | None:
        return rate(self.started, self.projects)

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.projects)

    @property
    def payment_rate(self) -> Decimal | None:
        return rate(self.paid, self.allocated)

    @property
    def exact_payment_rate(self) -> Fraction | None:
        return Fraction(self.paid, self.allocated) if self.allocated else None

    def add(self, other: Figures) -> None:
        self.projects += other.projects
        self.started += other.started
        self.completed += other.completed
        self.allocated += other.allocated
        self.paid += other.paid


@dataclass
class RateRow(Figures):
    code: str = ""  # county prefix (6 digits), fund source code or program
    name: str = ""
    rank: int | None = None
    level: str = ""  # "red", "yellow" or ""
    target: Decimal | None = None
    last: Figures = field(default_factory=Figures)

    @property
    def county_code(self) -> str:
        return self.code

    @property
    def county_name(self) -> str:
        return self.name

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS.get(self.level, ""))

    @property
    def payment_rate_change(self) -> Decimal | None:
        """This year's payment rate minus last year's (percentage points as a fraction), None if either is None."""
        now, then = self.payment_rate, self.last.payment_rate
        return None if now is None or then is None else now - then


@dataclass
class RateTable:
    year: int
    as_of: dt.date
    last_as_of: dt.date
    scope: str  # the division-code prefix the figures cover
    scope_name: str
    by: str
    carried_over: bool
    rows: list[RateRow]
    total: RateRow
    target: Decimal | None  # the scope's payment-rate target at as_of (None before the first checkpoint)
    checkpoint: dt.date | None  # the end of the checkpoint month that target belongs to

    @property
    def by_label(self) -> str:
        return str(GROUPING_LABELS[self.by])

    @property
    def set_label(self) -> str:
        return _("结转项目") if self.carried_over else _("当年项目")

    def ranked(self) -> list[RateRow]:
        return sorted(self.rows, key=lambda r: (r.rank is None, r.rank or 0, r.code))


# --- scope and arguments -----------------------------------------------------------------------------------------

def rates_scope(actor, scope: str = "") -> tuple[str, str]:
    """(prefix, name) of the divisions the figures cover: the actor's view scope narrowed by `scope`.

    A scope inside the view scope narrows it; a wider one (a county clerk asking for the city) is cut to the view scope;
    one outside it, or a code of no division, is NotFound, like an unknown object.
    """
    view = actor.view_prefix
    scope = (scope or "").strip()
    if not scope:
        prefix = view
    else:
        if not scope.isascii() or not scope.isdigit() or len(scope) > 12:
            raise ValidationFailed(MSG_SCOPE, code="scope_invalid", detail={"field": "scope"})
        scope = _significant(scope)
        if scope.startswith(view):
            prefix = scope
        elif view.startswith(scope):
            prefix = view
        else:
            raise NotFound()
    division = Division.objects.filter(code=prefix.ljust(12, "0")).only("code", "name", "level").first()
    if division is None or division.prefix != prefix:
        raise NotFound()
    return prefix, division.name


def _significant(code: str) -> str:
    """'429921000000' → '429921', '4299' → '4299': a full 12-digit code is cut to its level's prefix."""
    if len(code) != 12:
        return code
    for n in (2, 4, 6, 9):
        if code[n:] == "0" * (12 - n):
            return code[:n]
    return code


def _check(year, as_of, by) -> None:
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(MSG_YEAR, code="year_invalid", detail={"field": "year"})
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):  # any day will do: before the year, nothing counts yet
        raise ValidationFailed(MSG_AS_OF, code="as_of_invalid", detail={"field": "as_of"})
    if by not in GROUPINGS:
        raise ValidationFailed(MSG_BY, code="by_invalid", detail={"field": "by"})


# --- targets -------------------------------------------------------------------------------------------------------

@dataclass
class Targets:
    """The payment-rate targets at checkpoint months and the yellow/red margins, from the payment_behind rules."""

    targets: dict[int, Decimal]
    yellow: Decimal | None
    red: Decimal | None

    def at(self, year: int, as_of: dt.date) -> tuple[Decimal | None, dt.date | None]:
        """The target of the latest checkpoint whose month has ended by as_of (the month's last day ≤ as_of)."""
        best = (None, None)
        for month in sorted(self.targets):
            end = _month_end(year, month)
            if end <= as_of:
                best = (self.targets[month], end)
        return best

    def level(self, value: Decimal | None, target: Decimal | None) -> str:
        if value is None or target is None:
            return ""
        gap = target - value
        if self.red is not None and gap > self.red:
            return RED
        if self.yellow is not None and gap > self.yellow:
            return YELLOW
        return ""


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)


def payment_targets(code: str, *, rules: list[WarningRule] | None = None) -> Targets:
    """The active payment_behind rules that apply to a division (code prefix): per rule code the narrowest scope wins."""
    if rules is None:
        rules = list(WarningRule.objects.filter(measure=WarningRule.Measure.PAYMENT_BEHIND, active=True))
    chosen: dict[str, WarningRule] = {}
    for rule in rules:
        if rule.scope and not code.startswith(rule.scope):
            continue
        if rule.code not in chosen or len(rule.scope) > len(chosen[rule.code].scope):
            chosen[rule.code] = rule
    targets: dict[int, Decimal] = {}
    yellow = red = None
    for rule in sorted(chosen.values(), key=lambda r: (len(r.scope), r.code)):
        for month, value in ((rule.params or {}).get("targets") or {}).items():
            try:
                m, v = int(month), Decimal(str(value))
            except (ValueError, ArithmeticError):
                continue
            if 1 <= m <= 12 and v.is_finite():
                targets[m] = v
        margin = rule.threshold if rule.operator in ("gt", "ge") else None
        if margin is None:
            continue
        if rule.level == WarningRule.Level.RED:
            red = margin if red is None else min(red, margin)
        else:
            yellow = margin if yellow is None else min(yellow, margin)
    if not chosen:
        return Targets({}, None, None)
    return Targets(targets, DEFAULT_YELLOW_MARGIN if yellow is None else yellow, DEFAULT_RED_MARGIN if red is None else red)


# --- the SQL -------------------------------------------------------------------------------------------------------

class _Sql:
    """Parameters of a statement built from pieces: `p(value)` gives a marker, `bind(sql)` the statement with positional
    placeholders and the values in the order the markers appear (pieces may be built in any order)."""

    _MARK = re.compile(r"\{\{p(\d+)\}\}")

    def __init__(self):
        self.values: list = []

    def p(self, value) -> str:
        self.values.append(value)
        return "{{p" + str(len(self.values) - 1) + "}}"

    def bind(self, sql: str) -> tuple[str, list]:
        order = [int(m) for m in self._MARK.findall(sql)]
        return self._MARK.sub("%s", sql), [self.values[i] for i in order]


def _set_conditions(q: _Sql, year: int, carried_over: bool) -> str:
    """The SQL condition on `p` of the project set of `year` (stage checked by the caller)."""
    if not carried_over:
        return f"p.year = {q.p(year)}"
    return f"(p.year < {q.p(year)} AND (p.actual_completion IS NULL OR p.actual_completion >= {q.p(dt.date(year, 1, 1))}))"


def _range(q: _Sql, column: str, prefix: str) -> str:
    return f"{column} >= {q.p(prefix)} AND {column} < {q.p(prefix + ':')}"


def _projects_cte(q: _Sql, *, year: int, as_of: dt.date, prefix: str, carried_over: bool, key: str) -> str:
    """pr(id, g, c, l, st_c, fi_c, st_l, fi_l): the projects of this year's set (c) and last year's (l) with their flags."""
    last_as_of = one_year_earlier(as_of)
    stages = ", ".join(q.p(s) for s in COUNTED_STAGES)
    cur = _set_conditions(q, year, carried_over)
    last = _set_conditions(q, year - 1, carried_over)
    cur2 = _set_conditions(q, year, carried_over)
    last2 = _set_conditions(q, year - 1, carried_over)
    return (
        f"pr AS (SELECT p.id, {key} AS g, CASE WHEN {cur} THEN 1 ELSE 0 END AS c, CASE WHEN {last} THEN 1 ELSE 0 END AS l, "
        f"CASE WHEN p.actual_start <= {q.p(as_of)} THEN 1 ELSE 0 END AS st_c, "
        f"CASE WHEN p.actual_completion <= {q.p(as_of)} THEN 1 ELSE 0 END AS fi_c, "
        f"CASE WHEN p.actual_start <= {q.p(last_as_of)} THEN 1 ELSE 0 END AS st_l, "
        f"CASE WHEN p.actual_completion <= {q.p(last_as_of)} THEN 1 ELSE 0 END AS fi_l "
        f"FROM {Project._meta.db_table} p WHERE {_range(q, 'p.division_code', prefix)} AND p.stage IN ({stages}) "
        f"AND ({cur2} OR {last2}))"
    )


def _money_cte(q: _Sql, name: str, table: str, date_col: str, *, as_of: dt.date, prefix: str, by_source: bool) -> str:
    """name(project_id[, fund_source], m_c, m_l[, n_c, n_l]): money (and, by source, the number of rows) up to as_of (c) and
    up to a year earlier (l) per project (and fund source) of the scope: one pass over the table's rows.

    PostgreSQL reads the scope's rows by their own division code, a scan it can run in parallel; SQLite, which would sort
    them all to group, walks the (project, date) index for the projects of `pr` instead.
    """
    last_as_of = one_year_earlier(as_of)
    source = ", t.fund_source" if by_source else ""
    where = _range(q, "t.division_code", prefix) if connection.vendor == "postgresql" else "t.project_id IN (SELECT id FROM pr)"
    counts = f", COUNT(*) AS n_c, SUM(CASE WHEN t.{date_col} <= {q.p(last_as_of)} THEN 1 ELSE 0 END) AS n_l" if by_source else ""
    return (
        f"{name} AS (SELECT t.project_id{source}, SUM(t.amount) AS m_c, "
        f"SUM(CASE WHEN t.{date_col} <= {q.p(last_as_of)} THEN t.amount ELSE 0 END) AS m_l{counts} "
        f"FROM {table} t WHERE {where} AND t.{date_col} <= {q.p(as_of)} GROUP BY t.project_id{source})"
    )


INDEXED, HASHED = "indexed", "hashed"


def money_plan() -> str:
    """How project money is summed: INDEXED (each project's range of an index, a correlated subquery per project) or HASHED
    (the rows of the set's projects hashed per project in one pass).

    SQLite has no hash aggregate (grouping sorts every row), so it always walks the index. PostgreSQL walks it only when an
    index on payments starts with (project_id, paid_on, amount): then each range is read from the index alone (about 110 ms
    for 500,000 payments against 190 ms hashed); without it the walk fetches every payment from the heap in random order
    and hashing wins.
    """
    if connection.vendor != "postgresql":
        return INDEXED
    key = connection.settings_dict.get("NAME")
    if key not in _PLANS:
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Payment._meta.db_table])
            covered = any("(project_id, paid_on, amount" in row[0] for row in cur.fetchall())
        _PLANS[key] = INDEXED if covered else HASHED
    return _PLANS[key]


_PLANS: dict = {}


def _money_sum(q: _Sql, table: str, date_col: str, until: dt.date) -> str:
    """The money of project `pr.id` up to `until`: one range of the (project, date) index."""
    return f"(SELECT SUM(t.amount) FROM {table} t WHERE t.project_id = pr.id AND t.{date_col} <= {q.p(until)})"


def _grouped(*, year, as_of, prefix, carried_over, key: str) -> dict[str, tuple[Figures, Figures]]:
    """{group key: (this year's figures, last year's)} grouped by a column expression of the project `p` (see money_plan)."""
    q = _Sql()
    pr = _projects_cte(q, year=year, as_of=as_of, prefix=prefix, carried_over=carried_over, key=key)
    alloc, pay = Allocation._meta.db_table, Payment._meta.db_table
    if money_plan() == HASHED:
        al = _money_cte(q, "al", alloc, "doc_date", as_of=as_of, prefix=prefix, by_source=False)
        py = _money_cte(q, "py", pay, "paid_on", as_of=as_of, prefix=prefix, by_source=False)
        sql = (
            f"WITH {pr}, {al}, {py} SELECT pr.g, SUM(pr.c), SUM(pr.c * pr.st_c), SUM(pr.c * pr.fi_c), "
            "SUM(CASE WHEN pr.c = 1 THEN al.m_c END), SUM(CASE WHEN pr.c = 1 THEN py.m_c END), "
            "SUM(pr.l), SUM(pr.l * pr.st_l), SUM(pr.l * pr.fi_l), SUM(CASE WHEN pr.l = 1 THEN al.m_l END), "
            "SUM(CASE WHEN pr.l = 1 THEN py.m_l END) "
            "FROM pr LEFT JOIN al ON al.project_id = pr.id LEFT JOIN py ON py.project_id = pr.id GROUP BY pr.g"
        )
        return _fetch(*q.bind(sql))
    last_as_of = one_year_earlier(as_of)
    sql = (
        f"WITH {pr} SELECT pr.g, SUM(pr.c), SUM(pr.c * pr.st_c), SUM(pr.c * pr.fi_c), "
        f"SUM(CASE WHEN pr.c = 1 THEN {_money_sum(q, alloc, 'doc_date', as_of)} END), "
        f"SUM(CASE WHEN pr.c = 1 THEN {_money_sum(q, pay, 'paid_on', as_of)} END), "
        f"SUM(pr.l), SUM(pr.l * pr.st_l), SUM(pr.l * pr.fi_l), "
        f"SUM(CASE WHEN pr.l = 1 THEN {_money_sum(q, alloc, 'doc_date', last_as_of)} END), "
        f"SUM(CASE WHEN pr.l = 1 THEN {_money_sum(q, pay, 'paid_on', last_as_of)} END) "
        "FROM pr GROUP BY pr.g"
    )
    return _fetch(*q.bind(sql))


def _grouped_by_source(*, year, as_of, prefix, carried_over) -> dict[str, tuple[Figures, Figures]]:
    """By fund source: the (project, source) pairs with an allocation or a payment; a project counts under a source when it
    has an allocation from it by the cut-off."""
    q = _Sql()
    pr = _projects_cte(q, year=year, as_of=as_of, prefix=prefix, carried_over=carried_over, key="''")
    al = _money_cte(q, "al", Allocation._meta.db_table, "doc_date", as_of=as_of, prefix=prefix, by_source=True)
    py = _money_cte(q, "py", Payment._meta.db_table, "paid_on", as_of=as_of, prefix=prefix, by_source=True)
    sql = (
        f"WITH {pr}, {al}, {py}, k AS (SELECT project_id, fund_source FROM al UNION SELECT project_id, fund_source FROM py) "
        "SELECT k.fund_source, "
        "SUM(CASE WHEN pr.c = 1 AND al.n_c > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN pr.c = 1 AND al.n_c > 0 THEN pr.st_c ELSE 0 END), "
        "SUM(CASE WHEN pr.c = 1 AND al.n_c > 0 THEN pr.fi_c ELSE 0 END), "
        "SUM(CASE WHEN pr.c = 1 THEN COALESCE(al.m_c, 0) ELSE 0 END), SUM(CASE WHEN pr.c = 1 THEN COALESCE(py.m_c, 0) ELSE 0 END), "
        "SUM(CASE WHEN pr.l = 1 AND al.n_l > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN pr.l = 1 AND al.n_l > 0 THEN pr.st_l ELSE 0 END), "
        "SUM(CASE WHEN pr.l = 1 AND al.n_l > 0 THEN pr.fi_l ELSE 0 END), "
        "SUM(CASE WHEN pr.l = 1 THEN COALESCE(al.m_l, 0) ELSE 0 END), SUM(CASE WHEN pr.l = 1 THEN COALESCE(py.m_l, 0) ELSE 0 END) "
        "FROM k JOIN pr ON pr.id = k.project_id "
        "LEFT JOIN al ON al.project_id = k.project_id AND al.fund_source = k.fund_source "
        "LEFT JOIN py ON py.project_id = k.project_id AND py.fund_source = k.fund_source GROUP BY k.fund_source"
    )
    return _fetch(*q.bind(sql))


def _fetch(sql: str, params: list) -> dict[str, tuple[Figures, Figures]]:
    out: dict[str, tuple[Figures, Figures]] = {}
    for g, *v in _rows(sql, params):
        v = [int(x or 0) for x in v]  # PostgreSQL sums bigint as numeric
        out[g or ""] = (Figures(*v[:5]), Figures(*v[5:]))
    return out


def _rows(sql: str, params: list) -> list[tuple]:
    """Run a read. PostgreSQL would JIT-compile these statements (their cost estimate passes jit_above_cost): 40–50 ms spent
    compiling for a query that runs in about 150, so the JIT is turned off for the statement's transaction."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql, params)
        return cur.fetchall()


# --- the table -----------------------------------------------------------------------------------------------------

def _rank(rows: list[RateRow]) -> None:
    """Competition ranking by the exact payment rate, highest first (1, 2, 2, 4); rows without a rate get no rank."""
    rated = sorted((r for r in rows if r.allocated), key=lambda r: r.exact_payment_rate, reverse=True)
    previous, rank = None, 0
    for i, r in enumerate(rated, start=1):
        value = r.exact_payment_rate
        if value != previous:
            rank, previous = i, value
        r.rank = rank
    for r in rows:
        if not r.allocated:
            r.rank = None


def _row(code: str, name: str, figures: tuple[Figures, Figures] | None) -> RateRow:
    cur, last = figures or (Figures(), Figures())
    return RateRow(projects=cur.projects, started=cur.started, completed=cur.completed, allocated=cur.allocated, paid=cur.paid,
                   code=code, name=name, last=last)


def project_rates(*, actor, year: int, as_of: dt.date, scope: str = "", by: str = BY_COUNTY, carried_over: bool = False) -> RateTable:
    """The rate table of `year` as of `as_of` in the actor's view scope narrowed by `scope`, grouped `by` county, fund source
    or program, with a total row, last year's figures, ranks and warning levels."""
    require_perm(actor, Perm.PROJECT_VIEW)
    _check(year, as_of, by)
    prefix, scope_name = rates_scope(actor, scope)
    args = {"year": year, "as_of": as_of, "prefix": prefix, "carried_over": carried_over}
    rows: list[RateRow] = []
    if by == BY_COUNTY:
        data = _grouped(key="SUBSTR(p.division_code, 1, 6)", **args)
        counties = dict(Division.objects.filter(level=Level.COUNTY, code__startswith=prefix[:6])
                        .values_list("code", "name")) if len(prefix) <= 6 else {}
        names = {code[:6]: name for code, name in counties.items()}
        if len(prefix) > 6:  # a township (or village) viewer: its county's row, with the township's projects only
            county = Division.objects.filter(code=prefix[:6].ljust(12, "0")).values_list("name", flat=True).first()
            names = {prefix[:6]: county or prefix[:6]}
        codes = sorted(set(names) | set(data))
        rows = [_row(c, names.get(c, c), data.get(c)) for c in codes]
        total = _total(rows)
    elif by == BY_PROGRAM:
        data = _grouped(key="p.program", **args)
        labels = dict(Program.choices)
        codes = [c for c in Program.values] + sorted(set(data) - set(Program.values))
        rows = [_row(c, str(labels.get(c, c)), data.get(c)) for c in codes]
        total = _total(rows)
    else:
        data = _grouped_by_source(**args)
        terms = list(Term.objects.filter(kind=Term.Kind.FUND_SOURCE).order_by("sort", "code").values_list("code", "name", "active"))
        names = {c: n for c, n, _a in terms}
        codes = [c for c, _n, active in terms if active or c in data] + sorted(set(data) - set(names))
        rows = [_row(c, names.get(c, c), data.get(c)) for c in codes]
        overall = _grouped(key="''", **args).get("", (Figures(), Figures()))  # projects counted once in the total
        total = _row("", "", overall)
    total.name = _("合计")
    _rank(rows)
    rules = list(WarningRule.objects.filter(measure=WarningRule.Measure.PAYMENT_BEHIND, active=True))
    targets = payment_targets(prefix, rules=rules)
    target, checkpoint = targets.at(year, as_of)
    for r in [*rows, total]:
        t = payment_targets(r.code, rules=rules) if by == BY_COUNTY and r.code else targets
        r.target = t.at(year, as_of)[0]
        r.level = t.level(r.payment_rate, r.target)
    return RateTable(year=year, as_of=as_of, last_as_of=one_year_earlier(as_of), scope=prefix, scope_name=scope_name, by=by,
                     carried_over=carried_over, rows=rows, total=total, target=target, checkpoint=checkpoint)


def _total(rows: list[RateRow]) -> RateRow:
    total = RateRow()
    for r in rows:
        total.add(r)
        total.last.add(r.last)
    return total


# --- dashboard: the monthly payment line and lagging projects --------------------------------------------------------------

@dataclass
class MonthPoint:
    month: dt.date  # first day of the month
    allocated: int
    paid: int
    last_allocated: int | None = None
    last_paid: int | None = None

    @property
    def payment_rate(self) -> Decimal | None:
        return rate(self.paid, self.allocated)

    @property
    def last_payment_rate(self) -> Decimal | None:
        return rate(self.last_paid or 0, self.last_allocated or 0)


def monthly_payment_rates(*, actor, year: int, as_of: dt.date, scope: str = "") -> list[MonthPoint]:
    """The cumulative payment rate of the year's projects at the end of each month of `year` up to as_of (the last point is
    as_of itself), with last year's projects at the same points one year earlier."""
    require_perm(actor, Perm.PROJECT_VIEW)
    _check(year, as_of, BY_COUNTY)
    prefix, _name = rates_scope(actor, scope)
    end = min(as_of, dt.date(year, 12, 31))
    if end < dt.date(year, 1, 1):
        return []
    cuts = [min(_month_end(year, m), as_of) for m in range(1, end.month + 1)]
    sums: dict[tuple[str, str], list[int]] = {}
    for name, table, col in (("al", Allocation._meta.db_table, "doc_date"), ("py", Payment._meta.db_table, "paid_on")):
        for flag, points in (("c", cuts), ("l", [one_year_earlier(c) for c in cuts])):
            # Cumulative sums at each month end as conditional aggregates: one pass over the set's rows and no GROUP BY, which
            # SQLite would answer by sorting every row; each project's rows come from the (project, date) index.
            q = _Sql()
            pr = _projects_cte(q, year=year, as_of=as_of, prefix=prefix, carried_over=False, key="''")
            columns = ", ".join(f"SUM(CASE WHEN t.{col} <= {q.p(cut)} THEN t.amount ELSE 0 END)" for cut in points)
            scoped = f" AND {_range(q, 't.division_code', prefix)}" if connection.vendor == "postgresql" else ""
            sql = (f"WITH {pr} SELECT {columns} FROM pr JOIN {table} t ON t.project_id = pr.id "
                   f"WHERE pr.{flag} = 1 AND t.{col} <= {q.p(points[-1])}{scoped}")
            sums[(name, flag)] = [int(v or 0) for v in _rows(*q.bind(sql))[0]]
    return [MonthPoint(month=dt.date(year, i + 1, 1), allocated=sums[("al", "c")][i], paid=sums[("py", "c")][i],
                       last_allocated=sums[("al", "l")][i], last_paid=sums[("py", "l")][i]) for i in range(len(cuts))]


@dataclass
class LaggingProject:
    id: int
    code: str
    name: str
    division_code: str
    county_name: str
    allocated: int
    paid: int
    first_allocation: dt.date | None
    actual_start: dt.date | None
    days_waiting: int | None = None  # days from the first allocation to as_of, for projects not started

    @property
    def paid_share(self) -> Decimal | None:
        return rate(self.paid, self.allocated)


def lagging_projects(*, actor, year: int, as_of: dt.date, scope: str = "", limit: int = 10) -> dict[str, list[LaggingProject]]:
    """The year's projects that lag as of `as_of`: {"not_started": allocated but not started, longest waiting first,
    "low_paid": allocated, lowest paid share first (then the larger allocation)}."""
    from anju.divisions.selectors import division_names

    require_perm(actor, Perm.PROJECT_VIEW)
    _check(year, as_of, BY_COUNTY)
    prefix, _name = rates_scope(actor, scope)
    q = _Sql()
    stages = ", ".join(q.p(s) for s in COUNTED_STAGES)
    alloc, pay = Allocation._meta.db_table, Payment._meta.db_table
    where = f"{_range(q, 'p.division_code', prefix)} AND p.year = {q.p(year)} AND p.stage IN ({stages})"
    if money_plan() == HASHED:
        sql = (
            f"WITH al AS (SELECT t.project_id, SUM(t.amount) AS a, MIN(t.doc_date) AS f FROM {alloc} t "
            f"WHERE {_range(q, 't.division_code', prefix)} AND t.doc_date <= {q.p(as_of)} GROUP BY t.project_id), "
            f"py AS (SELECT t.project_id, SUM(t.amount) AS s FROM {pay} t "
            f"WHERE {_range(q, 't.division_code', prefix)} AND t.paid_on <= {q.p(as_of)} GROUP BY t.project_id) "
            f"SELECT p.id, p.code, p.name, p.division_code, p.actual_start, al.a, COALESCE(py.s, 0), al.f "
            f"FROM {Project._meta.db_table} p JOIN al ON al.project_id = p.id LEFT JOIN py ON py.project_id = p.id "
            f"WHERE {where} AND al.a > 0"
        )
    else:  # each project's range of the (project, date) indexes
        sql = (
            f"SELECT * FROM (SELECT p.id, p.code, p.name, p.division_code, p.actual_start, "
            f"(SELECT SUM(t.amount) FROM {alloc} t WHERE t.project_id = p.id AND t.doc_date <= {q.p(as_of)}) AS a, "
            f"COALESCE((SELECT SUM(t.amount) FROM {pay} t WHERE t.project_id = p.id AND t.paid_on <= {q.p(as_of)}), 0) AS s, "
            f"(SELECT MIN(t.doc_date) FROM {alloc} t WHERE t.project_id = p.id AND t.doc_date <= {q.p(as_of)}) AS f "
            f"FROM {Project._meta.db_table} p WHERE {where}) x WHERE a > 0"
        )
    raw = _rows(*q.bind(sql))
    items = []
    for pid, code, name, division, start, allocated, paid, first in raw:
        start, first = _as_date(start), _as_date(first)
        items.append(LaggingProject(id=pid, code=code, name=name, division_code=division, county_name="", allocated=int(allocated),
                                    paid=int(paid), first_allocation=first, actual_start=start))
    not_started = sorted((i for i in items if i.actual_start is None or i.actual_start > as_of),
                         key=lambda i: (i.first_allocation or as_of, -i.allocated, i.code))[:limit]
    for i in not_started:
        i.days_waiting = (as_of - i.first_allocation).days if i.first_allocation else None
    low_paid = sorted(items, key=lambda i: (Fraction(i.paid, i.allocated), -i.allocated, i.code))[:limit]
    names = division_names({i.division_code for i in [*not_started, *low_paid]})
    for i in [*not_started, *low_paid]:
        i.county_name = names.get(i.division_code[:6].ljust(12, "0"), i.division_code[:6])
    return {"not_started": not_started, "low_paid": low_paid}


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass
class Dashboard:
    table: RateTable
    carried: RateTable
    months: list[MonthPoint]
    lagging: dict[str, list[LaggingProject]]
    below_target: list[RateRow]


def rates_dashboard(*, actor, year: int, as_of: dt.date, scope: str = "", limit: int = 10) -> Dashboard:
    table = project_rates(actor=actor, year=year, as_of=as_of, scope=scope)
    carried = project_rates(actor=actor, year=year, as_of=as_of, scope=scope, carried_over=True)
    months = monthly_payment_rates(actor=actor, year=year, as_of=as_of, scope=scope)
    lagging = lagging_projects(actor=actor, year=year, as_of=as_of, scope=scope, limit=limit)
    below = [r for r in table.ranked() if r.level]
    return Dashboard(table=table, carried=carried, months=months, lagging=lagging, below_target=below)


__all__ = ["project_rates", "rates_dashboard", "monthly_payment_rates", "lagging_projects", "rates_scope", "payment_targets", "rate",
           "percent_text", "one_year_earlier", "RateTable", "RateRow", "Figures", "DEFINITIONS", "GROUPINGS", "BY_COUNTY", "BY_SOURCE",
           "BY_PROGRAM", "MSG_YEAR", "MSG_AS_OF", "MSG_BY", "MSG_SCOPE"]
