"""Reads of the relocation dashboards and reports: the scope and its figures (from `selectors_metrics.relocation_metrics`),
sites with their attributes and figures, the map marks, the issues a situation report names, and the rows of the three
ledgers (安置点台账, 后续扶持台账, 监测对象台账). Everything is scoped to the actor's view."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.policy import policy_value
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, EnrolmentStatus, Household, Person, Program
from anju.relocation import selectors_metrics as sm
from anju.relocation.maps import SiteMark
from anju.relocation.models import (
    Employment,
    Facility,
    Income,
    Industry,
    Insurance,
    LabourCapacity,
    Measure,
    MonitoringCase,
    Relocation,
    RiskSignal,
    Site,
    SpotCheckItem,
    Training,
    Welfare,
)
from anju.relocation.selectors_common import term_names

LOW_RATE = 0.9  # a site below this share of households with labour having someone employed is named in the report
INCOME_LINE_KEY = "relocation.income_line_yuan"
LEVEL_TOTAL = {4: sm.BY_CITY, 6: sm.BY_COUNTY, 9: sm.BY_TOWNSHIP, 12: sm.BY_TOWNSHIP}
LEVEL_CHILD = {4: sm.BY_COUNTY, 6: sm.BY_TOWNSHIP, 9: sm.BY_SITE, 12: sm.BY_SITE}
CHILD_LABELS = {sm.BY_COUNTY: gettext_lazy("县（市、区）"), sm.BY_TOWNSHIP: gettext_lazy("乡镇（街道）"), sm.BY_SITE: gettext_lazy("安置点")}
MSG_AS_OF = gettext_lazy("统计日期无效")


# --- scope -----------------------------------------------------------------------------------------------------------

def dashboard_scope(actor, scope: str | None = "") -> tuple[str, str]:
    """(prefix, name) of the divisions covered: the actor's view scope or a division inside it. A well-formed code outside
    the view scope (or wider than it) is NotFound, like an unknown object; a malformed one is a ValidationFailed."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    raw = (scope or "").strip()
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 12 and not sm._significant(raw).startswith(actor.view_prefix):
        raise NotFound()
    try:
        return sm.metrics_scope(actor, raw)
    except ValidationFailed as exc:
        if exc.code == "scope_unknown":
            raise NotFound() from None
        raise


def _check_day(as_of) -> None:
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValidationFailed(MSG_AS_OF, code="as_of_invalid", detail={"field": "as_of"})


def income_line_yuan(prefix: str, as_of: dt.date) -> int | None:
    try:
        return int(policy_value(INCOME_LINE_KEY, on=as_of, division_code=prefix.ljust(12, "0")))
    except Exception:  # noqa: BLE001  (no line in force: the charts and report go without it)
        return None


# --- sites -------------------------------------------------------------------------------------------------------------

@dataclass
class SiteRow:
    """A site's attributes and its figures on the day (metrics by site)."""

    id: int | None
    code: str
    name: str
    division_code: str
    county: str
    township: str
    placement: str
    area_type: str
    longitude: float | None
    latitude: float | None
    capacity: int
    planned_units: int
    built_units: int
    facilities_in_use: list[str]
    m: dict  # the metrics row

    @property
    def occupancy(self) -> float | None:
        """Relocated persons on the day over the designed capacity."""
        return self.m["persons"] / self.capacity if self.capacity else None


def _sites_in(prefix: str):
    return Site.objects.filter(code_prefix_q("division_code", prefix))


def site_rows(*, actor, as_of: dt.date, scope: str | None = "", metrics: list[dict] | None = None) -> list[SiteRow]:
    """Every site in the scope (and any site outside it where people of the scope live), then 未安置到点 if anyone is."""
    prefix, _name = dashboard_scope(actor, scope)
    _check_day(as_of)
    rows = metrics if metrics is not None else sm.relocation_metrics(actor=actor, as_of=as_of, scope=prefix, by=sm.BY_SITE)
    by_id = {r["site_id"]: r for r in rows}
    sites = {s.pk: s for s in _sites_in(prefix)}
    extra = [i for i in by_id if i and i not in sites]
    if extra:
        sites.update({s.pk: s for s in Site.objects.filter(pk__in=extra)})
    facilities: dict[int, list[str]] = defaultdict(list)
    for site_id, name in Facility.objects.filter(site_id__in=list(sites), status=Facility.Status.IN_USE).order_by("kind", "name").values_list(
            "site_id", "name"):
        facilities[site_id].append(name)
    names = division_names({s.division_code for s in sites.values()})
    placements, areas = dict(Site.Placement.choices), dict(Site.AreaType.choices)
    out = []
    for s in sorted(sites.values(), key=lambda s: (s.division_code, s.code)):
        m = by_id.get(s.pk) or sm._finish(sm._empty(s.code, s.name, as_of.year - 1))
        out.append(SiteRow(id=s.pk, code=s.code, name=s.name, division_code=s.division_code, county=names.get(s.division_code[:6].ljust(12, "0"), ""),
                           township=names.get(s.division_code[:9].ljust(12, "0"), "") if s.division_code[6:9] != "000" else "",
                           placement=str(placements.get(s.placement, s.placement)), area_type=str(areas.get(s.area_type, s.area_type)),
                           longitude=None if s.longitude is None else float(s.longitude),
                           latitude=None if s.latitude is None else float(s.latitude), capacity=s.capacity, planned_units=s.planned_units,
                           built_units=s.built_units, facilities_in_use=facilities.get(s.pk, []), m=m))
    if None in by_id and by_id[None]["households"]:
        m = by_id[None]
        out.append(SiteRow(id=None, code="", name=m["name"], division_code="", county="", township="", placement="", area_type="",
                           longitude=None, latitude=None, capacity=0, planned_units=0, built_units=0, facilities_in_use=[], m=m))
    return out


def map_marks(rows: list[SiteRow]) -> list[SiteMark]:
    return [SiteMark(code=r.code, name=r.name, longitude=r.longitude, latitude=r.latitude, households=r.m["households"],
                     rate=r.m["employment_rate"], url=reverse("relocation:site", args=[r.id]), county=r.county)
            for r in rows if r.id is not None]


# --- the dashboard ---------------------------------------------------------------------------------------------------

@dataclass
class Dashboard:
    as_of: dt.date
    scope: str
    scope_name: str
    total: dict
    child_by: str
    rows: list[dict]  # metrics by child division (or by site for a township or village)
    sites: list[SiteRow]
    colours: dict[str, int]
    risks: list[tuple[str, int]]  # (risk name, monitored households) most frequent first
    income_line_yuan: int | None
    issues: Issues
    definitions: list = field(default_factory=lambda: list(sm.DEFINITIONS))

    @property
    def child_label(self) -> str:
        return str(CHILD_LABELS[self.child_by])

    @property
    def is_city(self) -> bool:
        return len(self.scope) == 4


@dataclass
class Issues:
    low_rate_sites: list[SiteRow]
    idle_households: list[tuple[str, int]]  # (area name, labour households with nobody employed)
    idle_total: int
    open_signals: dict[str, int]  # signal kind label → count
    overdue_follow_ups: int


def _monitored_cases(prefix: str, as_of: dt.date):
    return MonitoringCase.objects.filter(code_prefix_q("division_code", prefix), included_on__isnull=False, included_on__lte=as_of).filter(
        Q(eliminated_on__isnull=True) | Q(eliminated_on__gt=as_of))


def monitored_colours(prefix: str, as_of: dt.date) -> dict[str, int]:
    """Monitored households on the day by their three-colour code (the case's colour; one open case per household)."""
    counts = dict(_monitored_cases(prefix, as_of).values_list("colour").annotate(n=Count("household", distinct=True)))
    return {c: counts.get(c, 0) for c in MonitoringCase.Colour.values}


def monitored_risks(prefix: str, as_of: dt.date) -> list[tuple[str, int]]:
    names = term_names("risk")
    counter: Counter = Counter()
    for risks in _monitored_cases(prefix, as_of).values_list("risks", flat=True):
        for code in set(risks or []):
            counter[names.get(code, code)] += 1
    return counter.most_common()


def issues(prefix: str, as_of: dt.date, rows: list[dict], sites: list[SiteRow]) -> Issues:
    low = sorted((s for s in sites if s.id is not None and s.m["employment_rate"] is not None and s.m["employment_rate"] < LOW_RATE),
                 key=lambda s: (s.m["employment_rate"], s.code))
    idle = [(r["name"], r["labour_households"] - r["labour_households_employed"]) for r in rows]
    labels = dict(RiskSignal.Kind.choices)
    signals = dict(RiskSignal.objects.filter(code_prefix_q("division_code", prefix), state=RiskSignal.State.OPEN, found_on__lte=as_of)
                   .values_list("kind").annotate(n=Count("id")))
    overdue = SpotCheckItem.objects.filter(code_prefix_q("division_code", prefix), follow_up=SpotCheckItem.FollowUp.OPEN,
                                           follow_up_deadline__lt=as_of).count()
    return Issues(low_rate_sites=low, idle_households=[i for i in idle if i[1]], idle_total=sum(n for _name, n in idle),
                  open_signals={str(labels.get(k, k)): n for k, n in sorted(signals.items())}, overdue_follow_ups=overdue)


def dashboard_data(*, actor, as_of: dt.date, scope: str | None = "") -> Dashboard:
    """Headline figures, the comparison of the areas one level down, the sites, colours, risks and issues of the scope."""
    prefix, name = dashboard_scope(actor, scope)
    _check_day(as_of)
    child_by = LEVEL_CHILD[len(prefix)]
    site_metrics = sm.relocation_metrics(actor=actor, as_of=as_of, scope=prefix, by=sm.BY_SITE)
    rows = site_metrics if child_by == sm.BY_SITE else sm.relocation_metrics(actor=actor, as_of=as_of, scope=prefix, by=child_by)
    total = sm.metrics_total(rows, name=name)
    total["code"] = prefix.ljust(12, "0")
    sites = site_rows(actor=actor, as_of=as_of, scope=prefix, metrics=site_metrics)
    return Dashboard(as_of=as_of, scope=prefix, scope_name=name, total=total, child_by=child_by, rows=rows, sites=sites,
                     colours=monitored_colours(prefix, as_of), risks=monitored_risks(prefix, as_of),
                     income_line_yuan=income_line_yuan(prefix, as_of), issues=issues(prefix, as_of, rows, sites))


# --- ledger rows -----------------------------------------------------------------------------------------------------

def _population(prefix: str, as_of: dt.date):
    """Enrolments of the relocated population on the day (the metrics' definition: an active status period covering it)."""
    covering = EnrolmentStatus.objects.filter(enrolment_id=OuterRef("pk"), status="active", valid_from__lte=as_of).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
    return Enrolment.objects.filter(code_prefix_q("division_code", prefix), program=Program.RELOCATION).filter(Exists(covering))


def _labour_test(prefix: str, as_of: dt.date):
    """person (division_code, birth_date, capacity) → labour on the day, with the metrics' age bands and capacities."""
    bands = sm.labour_bands(prefix, as_of)
    limits = [(scope, sm.years_before(as_of, low), sm.years_before(as_of, high + 1)) for scope, low, high in bands]

    def test(division_code: str, birth: dt.date, capacity: str | None) -> bool:
        if capacity in sm.NOT_LABOUR:
            return False
        for scope, oldest, too_old in limits:  # the narrowest band whose scope holds the person (the prefix's band last)
            if division_code.startswith(scope):
                return too_old < birth <= oldest
        return False

    return test


@dataclass
class SupportRow:
    household_id: int
    number: str
    head_name: str
    head_id_masked: str
    head_id_enc: str
    division_code: str
    county: str
    township: str
    village: str
    site: str
    members: int
    labour: int
    employed: int
    employed_kinds: dict[str, int]
    income_year: int
    per_capita_income_fen: int | None
    welfare: str
    medical: tuple[int, int]  # (insured members, members with a record)
    pension: tuple[int, int]
    trainings: int
    industries: list[str]
    category: str
    colour: str


def support_count(*, actor, as_of: dt.date, scope: str | None = "") -> int:
    prefix, _name = dashboard_scope(actor, scope)
    return _population(prefix, as_of).values("household_id").distinct().count()


def support_rows(*, actor, as_of: dt.date, scope: str | None = "", progress=None) -> list[SupportRow]:
    """One row per household of the relocated population on the day (with its members of the population)."""
    prefix, _name = dashboard_scope(actor, scope)
    _check_day(as_of)
    step = progress or (lambda p, m="": None)
    enrolments = list(_population(prefix, as_of).values_list("household_id", "person_id", "division_code", "site_id"))
    step(10, _("读取搬迁人口"))
    persons_by_household: dict[int, list[int]] = defaultdict(list)
    division_of: dict[int, str] = {}
    person_division: dict[int, str] = {}
    site_of: dict[int, int] = {}
    person_ids = []
    for h, p, d, s in enrolments:
        persons_by_household[h].append(p)
        person_division[p] = d
        division_of[h] = min(division_of.get(h, d), d)
        if s:
            site_of[h] = max(site_of.get(h, 0), s)  # as the metrics place a household: the highest site id
        person_ids.append(p)
    household_ids = list(persons_by_household)
    year = as_of.year - 1

    def chunked(ids):
        for i in range(0, len(ids), 900):
            yield ids[i:i + 900]

    births, capacities = {}, {}
    for ids in chunked(person_ids):
        births.update(Person.objects.filter(pk__in=ids).values_list("id", "birth_date"))
        capacities.update(LabourCapacity.objects.filter(person_id__in=ids).values_list("person_id", "capacity"))
    households = {}
    for ids in chunked(household_ids):
        for hh in Household.objects.filter(pk__in=ids).select_related("head"):
            households[hh.pk] = hh
    employed_kinds: dict[int, list[str]] = defaultdict(list)
    trainings: Counter = Counter()
    medical: dict[int, bool | None] = {}
    pension: dict[int, bool | None] = {}
    for ids in chunked(person_ids):
        for p, kind in Employment.objects.filter(person_id__in=ids, started_on__lte=as_of).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gte=as_of)).values_list("person_id", "kind"):
            employed_kinds[p].append(kind)
        trainings.update(Training.objects.filter(person_id__in=ids, started_on__lte=as_of).values_list("household_id", flat=True))
        for p, med, pen in Insurance.objects.filter(person_id__in=ids, year__lte=as_of.year).order_by("person_id", "year").values_list(
                "person_id", "medical", "pension"):
            medical[p], pension[p] = med, pen  # the latest year up to the day's wins
    step(40, _("读取后续扶持记录"))
    incomes, welfare, industries, cases = {}, {}, defaultdict(list), {}
    welfare_labels = dict(Welfare.Kind.choices)
    industry_names = term_names("industry")
    for ids in chunked(household_ids):
        for i in Income.objects.filter(household_id__in=ids, year=year):
            incomes[i.household_id] = i
        for h, kind in Welfare.objects.filter(household_id__in=ids, started_on__lte=as_of).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gte=as_of)).values_list("household_id", "kind"):
            welfare[h] = str(welfare_labels.get(kind, kind)) if h not in welfare else welfare[h]
        for h, kind in Industry.objects.filter(household_id__in=ids, year__in=(as_of.year, year)).values_list("household_id", "kind").distinct():
            name = industry_names.get(kind, kind)
            if name not in industries[h]:
                industries[h].append(name)
        for h, cat, colour in MonitoringCase.objects.filter(household_id__in=ids, included_on__isnull=False, included_on__lte=as_of).filter(
                Q(eliminated_on__isnull=True) | Q(eliminated_on__gt=as_of)).values_list("household_id", "category", "colour"):
            cases[h] = (cat, colour)
    step(70, _("汇总每户情况"))
    site_names = dict(Site.objects.filter(pk__in=set(site_of.values())).values_list("id", "name"))
    names = division_names(set(division_of.values()))
    cat_labels, colour_labels = dict(MonitoringCase.Category.choices), dict(MonitoringCase.Colour.choices)
    is_labour = _labour_test(prefix, as_of)
    out = []
    for h in sorted(household_ids, key=lambda h: (division_of[h], households[h].number)):
        hh, d, members = households[h], division_of[h], persons_by_household[h]
        kinds = Counter(k for p in members for k in set(employed_kinds.get(p, [])))
        inc = incomes.get(h)
        cat, colour = cases.get(h, ("", ""))
        out.append(SupportRow(
            household_id=h, number=hh.number, head_name=hh.head.name if hh.head else "", head_id_masked=hh.head.id_masked if hh.head else "",
            head_id_enc=hh.head.id_enc if hh.head else "", division_code=d, county=names.get(d[:6].ljust(12, "0"), ""),
            township=names.get(d[:9].ljust(12, "0"), ""), village=names.get(d, d), site=site_names.get(site_of.get(h), ""),
            members=len(members), labour=sum(1 for p in members if is_labour(person_division[p], births[p], capacities.get(p))),
            employed=sum(1 for p in members if employed_kinds.get(p)), employed_kinds=dict(kinds), income_year=year,
            per_capita_income_fen=None if inc is None or not inc.persons else sm._per_capita(inc.net_fen, inc.persons),
            welfare=welfare.get(h, ""), medical=(sum(1 for p in members if medical.get(p)), sum(1 for p in members if p in medical)),
            pension=(sum(1 for p in members if pension.get(p)), sum(1 for p in members if p in pension)), trainings=trainings.get(h, 0),
            industries=industries.get(h, []), category=str(cat_labels.get(cat, "")), colour=str(colour_labels.get(colour, ""))))
    step(80, _("写入文件"))
    return out


@dataclass
class CaseRow:
    case: MonitoringCase
    number: str
    head_name: str
    head_id_masked: str
    head_id_enc: str
    county: str
    township: str
    village: str
    site: str
    risks: list[str]
    measures: list[str]


def monitoring_queryset(prefix: str, as_of: dt.date):
    """Cases identified by the day (every state: a ledger keeps eliminated and rejected ones too)."""
    return MonitoringCase.objects.filter(code_prefix_q("division_code", prefix), identified_on__lte=as_of)


def monitoring_count(*, actor, as_of: dt.date, scope: str | None = "") -> int:
    prefix, _name = dashboard_scope(actor, scope)
    return monitoring_queryset(prefix, as_of).count()


def monitoring_rows(*, actor, as_of: dt.date, scope: str | None = "", progress=None) -> list[CaseRow]:
    prefix, _name = dashboard_scope(actor, scope)
    _check_day(as_of)
    cases = list(monitoring_queryset(prefix, as_of).select_related("household__head").prefetch_related("measures")
                 .order_by("division_code", "household__number", "identified_on", "id"))
    site_of = dict(Relocation.objects.filter(household_id__in=[c.household_id for c in cases], site__isnull=False).values_list(
        "household_id", "site__name"))
    missing = [c.household_id for c in cases if c.household_id not in site_of]
    if missing:
        for h, name in Enrolment.objects.filter(household_id__in=missing, program=Program.RELOCATION, site__isnull=False).values_list(
                "household_id", "site__name"):
            site_of.setdefault(h, name)
    names = division_names({c.division_code for c in cases})
    risk_names, assistance = term_names("risk"), term_names("assistance")
    effects = dict(Measure.Effect.choices)
    out = []
    for c in cases:
        head = c.household.head
        measures = [_("%(kind)s：%(content)s（%(start)s起，%(effect)s%(note)s）") % {
            "kind": assistance.get(m.kind, m.kind), "content": m.content, "start": m.started_on.isoformat(), "effect": effects.get(m.effect, m.effect),
            "note": f"，{m.effect_note}" if m.effect_note else ""} for m in c.measures.all() if m.started_on <= as_of]
        out.append(CaseRow(case=c, number=c.household.number, head_name=head.name if head else "", head_id_masked=head.id_masked if head else "",
                           head_id_enc=head.id_enc if head else "", county=names.get(c.division_code[:6].ljust(12, "0"), ""),
                           township=names.get(c.division_code[:9].ljust(12, "0"), ""), village=names.get(c.division_code, c.division_code),
                           site=site_of.get(c.household_id, ""), risks=[risk_names.get(r, r) for r in c.risks or []], measures=measures))
    return out
