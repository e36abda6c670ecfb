"""Follow-up support reads, scoped to the actor: one household's follow-up picture (members as of a day with age, labour
status, capacity and current employment; every record kind), the work list of relocated households with its gap
filters ("has labour but nobody employed", "no income survey for last year"), and employment spells active on a day.

Definitions (BRIEF "shared definitions"): the population on D are persons with a relocation enrolment whose `active`
status period covers D; a labour person is in the population, aged (whole years on D) within policy
`relocation.labour_age` [min, max] inclusive, and not of capacity none/student (no capacity row = able); a person is
employed on D with a spell started on or before D and not ended before D."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.models import PolicyVersion
from anju.core.policy import policy_value
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, EnrolmentStatus, Household, Membership, Person, Program, Status
from anju.registry.selectors import covering, household_members, prefix_q, search_prefix
from anju.relocation.models import (
    Employment,
    Income,
    Industry,
    Insurance,
    LabourCapacity,
    MedicalCost,
    MonitoringCase,
    Relocation,
    Service,
    Site,
    Term,
    Training,
    Welfare,
)
from anju.relocation.selectors_common import access_relocated_household, relocated_households, term_names

LABOUR_AGE = "relocation.labour_age"
NOT_LABOUR_CAPACITIES = (LabourCapacity.Capacity.NONE, LabourCapacity.Capacity.STUDENT)

MODELS = {"capacity": LabourCapacity, "employment": Employment, "training": Training, "insurance": Insurance, "medical": MedicalCost,
          "welfare": Welfare, "income": Income, "industry": Industry, "service": Service}
PERSON_ENTITIES = ("capacity", "employment", "training", "insurance", "medical")
HOUSEHOLD_ENTITIES = ("welfare", "income", "industry", "service")
ENTITY_LABELS = {"capacity": _("劳动能力"), "employment": _("就业情况"), "training": _("技能培训"), "insurance": _("参保情况"),
                 "medical": _("医疗费用"), "welfare": _("低保特困"), "income": _("收入调查"), "industry": _("产业帮扶"),
                 "service": _("社区服务")}
ENDABLE = ("employment", "welfare")

LABOUR_LABELS = {"labour": _("劳动力"), "not_population": _("不在搬迁人口中"), "under_age": _("未到劳动年龄"),
                 "over_age": _("超过劳动年龄"), "none": _("丧失劳动力"), "student": _("在校生")}

MSG_DIVISION = _("区划代码应为 6 位（县）或 9 位（乡镇）数字")


def today() -> dt.date:
    return timezone.localdate()


# --- age and labour -------------------------------------------------------------------------------------------------

def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (a person born on 29 February comes of age on 1 March in other years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def born_by(day: dt.date, years: int) -> dt.date:
    """The latest birth date of a person aged at least `years` on `day` (age_on(b, day) >= years ⟺ b <= born_by)."""
    year = day.year - years
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 2, 28)


def labour_band(on: dt.date, division_code: str) -> tuple[int, int]:
    low, high = policy_value(LABOUR_AGE, on=on, division_code=division_code)
    return int(low), int(high)


def labour_status(*, age: int, in_population: bool, capacity: str | None, band: tuple[int, int]) -> str:
    if not in_population:
        return "not_population"
    if age < band[0]:
        return "under_age"
    if age > band[1]:
        return "over_age"
    if capacity in NOT_LABOUR_CAPACITIES:
        return capacity
    return "labour"


def _active_on(day: dt.date, enrolment_field: str = "pk") -> Exists:
    return Exists(EnrolmentStatus.objects.filter(covering(day), enrolment=OuterRef(enrolment_field), status=Status.ACTIVE))


def population_enrolments(day: dt.date) -> QuerySet[Enrolment]:
    """Relocation enrolments active on `day` (the relocated population)."""
    return Enrolment.objects.filter(program=Program.RELOCATION).filter(_active_on(day))


def employed_on_q(day: dt.date) -> Q:
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


def _band_regions(prefix: str, day: dt.date) -> list[tuple[Q, tuple[int, int]]]:
    """The labour-age band in force under `prefix`, split where a policy version of a narrower scope applies."""
    scopes = set(PolicyVersion.objects.filter(key=LABOUR_AGE, effective_from__lte=day).values_list("scope", flat=True))
    inner = sorted((s for s in scopes if len(s) > len(prefix) and s.startswith(prefix)), key=len, reverse=True)
    regions, done = [], Q()
    for scope in inner:
        regions.append((code_prefix_q("division_code", scope) & ~done, labour_band(day, scope)))
        done |= code_prefix_q("division_code", scope)
    regions.append((~done if inner else Q(), labour_band(day, prefix)))
    return regions


def labour_enrolments(day: dt.date, prefix: str) -> QuerySet[Enrolment]:
    """Population enrolments of labour persons on `day` under `prefix` (age band and capacity)."""
    age_q = Q(pk__in=[])
    for where, (low, high) in _band_regions(prefix, day):
        age_q |= where & Q(person__birth_date__lte=born_by(day, low), person__birth_date__gt=born_by(day, high + 1))
    not_able = LabourCapacity.objects.filter(person=OuterRef("person_id"), capacity__in=NOT_LABOUR_CAPACITIES)
    return population_enrolments(day).filter(age_q).filter(~Exists(not_able))


# --- single records -------------------------------------------------------------------------------------------------

def access_record(actor, entity: str, record_id: int, *, kind: str = "view"):
    """A support record whose household the actor may see (kind="entry": may write); NotFound otherwise."""
    model = MODELS.get(entity)
    if model is None:
        raise NotFound()
    record = model.objects.filter(pk=record_id).first()
    if record is None:
        raise NotFound()
    access_relocated_household(actor, record.household_id, kind=kind)
    return record


def household_records(household: Household, entity: str) -> list:
    model = MODELS[entity]
    qs = model.objects.filter(household=household)
    if entity in PERSON_ENTITIES:
        qs = qs.select_related("person")
    order = {"capacity": ["person_id"], "employment": ["-started_on", "-id"], "training": ["-started_on", "-id"],
             "insurance": ["-year", "person_id"], "medical": ["-year", "person_id"], "welfare": ["-started_on", "-id"],
             "income": ["-year"], "industry": ["-year", "-id"], "service": ["-on", "-id"]}[entity]
    rows = list(qs.order_by(*order))
    decorate_records(entity, rows)
    return rows


def decorate_records(entity: str, rows: list) -> None:
    if entity == "industry":
        names = term_names(Term.Kind.INDUSTRY)
        for r in rows:
            r.kind_name = names.get(r.kind, r.kind)
    elif entity == "service":
        names = term_names(Term.Kind.SERVICE)
        for r in rows:
            r.kind_name = names.get(r.kind, r.kind)
    elif entity == "income":
        for r in rows:
            r.net = r.net_fen
            r.per_capita = r.net_fen // r.persons if r.persons else None  # floor: exact to the fen, never over-stated


# --- one household --------------------------------------------------------------------------------------------------

@dataclass
class Member:
    person: Person
    relation: str
    age: int
    in_population: bool
    capacity: LabourCapacity | None
    status: str
    employments: list = field(default_factory=list)  # spells active on the day

    @property
    def labour(self) -> bool:
        return self.status == "labour"

    @property
    def status_label(self):
        return LABOUR_LABELS[self.status]


@dataclass
class FollowUp:
    household: Household
    as_of: dt.date
    band: tuple[int, int]
    members: list[Member]
    site: Site | None
    relocation: Relocation | None
    cases: list
    records: dict[str, list]
    village: str = ""

    @property
    def labour_count(self) -> int:
        return sum(m.labour for m in self.members)

    @property
    def employed_count(self) -> int:
        return sum(bool(m.employments) and m.in_population for m in self.members)

    @property
    def gap(self) -> bool:
        """A labour household with nobody employed (the "至少1人就业" gap)."""
        return self.labour_count > 0 and self.employed_count == 0


def household_follow_up(*, actor, household: Household, as_of: dt.date | None = None) -> FollowUp:
    """The follow-up picture of a household the actor may see (members as of `as_of`, today by default)."""
    household = access_relocated_household(actor, household.pk)
    day = as_of or today()
    band = labour_band(day, household.division_code)
    memberships = household_members(household, day)
    person_ids = [m.person_id for m in memberships]
    population = set(population_enrolments(day).filter(household=household).values_list("person_id", flat=True))
    capacities = {c.person_id: c for c in LabourCapacity.objects.filter(person_id__in=person_ids)}
    spells = defaultdict(list)
    for e in Employment.objects.filter(employed_on_q(day), person_id__in=person_ids).order_by("started_on", "id"):
        spells[e.person_id].append(e)
    members = []
    for m in memberships:
        p = m.person
        age = age_on(p.birth_date, day)
        cap = capacities.get(p.pk)
        status = labour_status(age=age, in_population=p.pk in population, capacity=cap.capacity if cap else None, band=band)
        members.append(Member(person=p, relation=m.relation, age=age, in_population=p.pk in population, capacity=cap, status=status,
                              employments=spells[p.pk]))
    enrolment = (Enrolment.objects.filter(household=household, program=Program.RELOCATION, site__isnull=False)
                 .select_related("site").order_by("-status_since", "id").first())
    relocation = Relocation.objects.filter(household=household).select_related("site").first()
    cases = list(MonitoringCase.objects.filter(household=household).order_by("-identified_on", "-id"))
    records = {entity: household_records(household, entity) for entity in MODELS}
    site = enrolment.site if enrolment else (relocation.site if relocation else None)
    village = division_names([household.division_code]).get(household.division_code, "")
    return FollowUp(household=household, as_of=day, band=band, members=members, site=site, relocation=relocation, cases=cases,
                    records=records, village=village)


# --- the work list --------------------------------------------------------------------------------------------------

def _prefix(actor, division: str) -> str | None:
    division = (division or "").strip()
    if division and (not division.isdigit() or len(division) not in (2, 4, 6, 9, 12)):
        raise ValidationFailed(MSG_DIVISION, code="division_invalid", detail={"field": "division"})
    return search_prefix(actor, division or None)


def household_list(*, actor, as_of: dt.date | None = None, division: str = "", site: int | None = None, gap: bool = False,
                   no_income: bool = False, q: str = "") -> QuerySet[Household]:
    """Relocated households in the actor's view scope, narrowed by division prefix (county, township …), site, a name or
    number prefix, and the gap filters: `gap` = labour on `as_of` but nobody of the population employed; `no_income` =
    no income survey for the year before `as_of`."""
    day = as_of or today()
    prefix = _prefix(actor, division)
    qs = relocated_households(actor=actor)
    if prefix is None:
        return qs.none()
    qs = qs.filter(code_prefix_q("division_code", prefix))
    if site:
        qs = qs.filter(Exists(Enrolment.objects.filter(household=OuterRef("pk"), program=Program.RELOCATION, site_id=site)))
    q = (q or "").strip()
    if q:
        named = Membership.objects.filter(covering(day), household=OuterRef("pk")).filter(prefix_q("person__name", q))
        qs = qs.filter(Q(number__startswith=q) | Exists(named))
    if gap:
        employed = Employment.objects.filter(employed_on_q(day), person_id=OuterRef("person_id"))
        working = population_enrolments(day).filter(household=OuterRef("pk")).filter(Exists(employed))
        labour = labour_enrolments(day, prefix).filter(household=OuterRef("pk"))
        qs = qs.filter(Exists(labour)).exclude(Exists(working))
    if no_income:
        qs = qs.exclude(Exists(Income.objects.filter(household=OuterRef("pk"), year=day.year - 1)))
    return qs.order_by("division_code", "number", "id")


def decorate_households(households: list[Household], as_of: dt.date | None = None) -> None:
    """For a page of the list: village name, persons in the population, labour persons, employed persons, latest income
    survey year, site name (a few queries per page, none per row)."""
    day = as_of or today()
    ids = [h.pk for h in households]
    names = division_names({h.division_code for h in households})
    enrolments = list(population_enrolments(day).filter(household_id__in=ids).select_related("person", "site"))
    person_ids = [e.person_id for e in enrolments]
    not_able = set(LabourCapacity.objects.filter(person_id__in=person_ids, capacity__in=NOT_LABOUR_CAPACITIES)
                   .values_list("person_id", flat=True))
    employed = set(Employment.objects.filter(employed_on_q(day), person_id__in=person_ids).values_list("person_id", flat=True))
    incomes = defaultdict(int)
    for household_id, year in Income.objects.filter(household_id__in=ids).values_list("household_id", "year"):
        incomes[household_id] = max(incomes[household_id], year)
    bands = {}
    stats = {h: {"persons": 0, "labour": 0, "employed": 0, "site": None} for h in ids}
    for e in enrolments:
        band = bands.get(e.division_code) or bands.setdefault(e.division_code, labour_band(day, e.division_code))
        s = stats[e.household_id]
        s["persons"] += 1
        s["site"] = s["site"] or e.site
        age = age_on(e.person.birth_date, day)
        s["labour"] += band[0] <= age <= band[1] and e.person_id not in not_able
        s["employed"] += e.person_id in employed
    for h in households:
        s = stats[h.pk]
        h.village = names.get(h.division_code, h.division_code)
        h.township = names.get(h.division_code[:9].ljust(12, "0"), "")
        h.persons, h.labour, h.employed, h.site = s["persons"], s["labour"], s["employed"], s["site"]
        h.gap = h.labour > 0 and h.employed == 0
        h.income_year = incomes.get(h.pk)


# --- employment -----------------------------------------------------------------------------------------------------

def employment_list(*, actor, on: dt.date | None = None, kind: str = "", division: str = "", q: str = "") -> QuerySet[Employment]:
    """Employment spells active on `on` (today by default) of households in the actor's view scope."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    day = on or today()
    prefix = _prefix(actor, division)
    if prefix is None:
        return Employment.objects.none()
    qs = Employment.objects.filter(code_prefix_q("division_code", prefix)).filter(employed_on_q(day))
    if kind:
        if kind not in Employment.Kind.values:
            raise ValidationFailed(_("未知的就业类型：%(value)s") % {"value": kind}, code="kind_invalid", detail={"field": "kind"})
        qs = qs.filter(kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(prefix_q("person__name", q) | Q(employer__contains=q))
    return qs.select_related("person", "household").order_by("division_code", "household_id", "person_id", "started_on", "id")
