"""Relocation reads of the sites area: resettlement sites the actor may see (with filters), a site's households,
facilities, organisations and construction projects, occupancy on a day, and the per-person housing area check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.core.policy import PolicyTable
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, EnrolmentStatus, Household, Program, Status
from anju.registry.selectors import covering, scope_or_ancestors_q
from anju.relocation.models import Facility, Organisation, Relocation, Site, Step

AREA_KEY = "relocation.max_area_per_person"
MOVED_IN_STEPS = (Step.MOVED_IN, Step.DEMOLISHED)


def site_list(*, actor, q: str = "", county: str = "", placement: str = "", area_type: str = "") -> QuerySet[Site]:
    """Sites inside the actor's view scope or at a division containing it (a county's site for its townships), filtered by
    name or code, county (a 6-digit code), placement and urban/rural."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    qs = Site.objects.filter(scope_or_ancestors_q(actor))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    if county:
        qs = qs.filter(code_prefix_q("division_code", county[:6]))
    if placement:
        qs = qs.filter(placement=placement)
    if area_type:
        qs = qs.filter(area_type=area_type)
    return qs.order_by("division_code", "code")


def access_site(actor, site_id) -> Site:
    """A site the actor may read (see site_list), or NotFound: out of scope looks like missing."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    try:
        pk = int(site_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    site = Site.objects.filter(scope_or_ancestors_q(actor), pk=pk).first()
    if site is None:
        raise NotFound()
    return site


def access_site_by_code(actor, code: str) -> Site:
    require_perm(actor, Perm.RELOCATION_VIEW)
    site = Site.objects.filter(scope_or_ancestors_q(actor), code=str(code or "").strip()).first()
    if site is None:
        raise NotFound()
    return site


def access_facility(site: Site, facility_id) -> Facility:
    """A facility of `site` (already from access_site), or NotFound."""
    try:
        pk = int(facility_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    facility = Facility.objects.filter(site=site, pk=pk).select_related("project").first()
    if facility is None:
        raise NotFound()
    facility.site = site
    return facility


def access_organisation(site: Site, organisation_id) -> Organisation:
    """A community organisation of `site` (already from access_site), or NotFound."""
    try:
        pk = int(organisation_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    organisation = Organisation.objects.filter(site=site, pk=pk).first()
    if organisation is None:
        raise NotFound()
    organisation.site = site
    return organisation


# ------------------------------------------------------------------------------------------------- population of a site
def population_periods(*, actor, as_of: dt.date, site_ids=None) -> QuerySet[EnrolmentStatus]:
    """Active periods on `as_of` of relocation enrolments in the actor's view scope (at the sites `site_ids` when given):
    the relocated population of the day, one row per person."""
    qs = EnrolmentStatus.objects.filter(covering(as_of), status=Status.ACTIVE, enrolment__program=Program.RELOCATION)
    qs = qs.filter(code_prefix_q("enrolment__division_code", actor.view_prefix))
    if site_ids is not None:
        qs = qs.filter(enrolment__site_id__in=list(site_ids))
    return qs


def site_households(*, actor, site: Site, as_of: dt.date | None = None) -> QuerySet[Household]:
    """Households in the actor's scope at the site: relocated there on `as_of` (an active relocation enrolment at the site)
    or allocated a house there (a Relocation row of the site). `persons`: their persons relocated there that day;
    `relocation`: the household's relocation (its current step), if any."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    as_of = as_of or dt.date.today()
    periods = population_periods(actor=actor, as_of=as_of, site_ids=[site.pk])
    persons = (periods.filter(enrolment__household=OuterRef("pk")).order_by().values("enrolment__household")
               .annotate(n=Count("enrolment__person", distinct=True)).values("n"))
    at_site = Q(Exists(periods.filter(enrolment__household=OuterRef("pk")))) | Q(Exists(Relocation.objects.filter(household=OuterRef("pk"),
                                                                                                                   site=site)))
    return (Household.objects.filter(code_prefix_q("division_code", actor.view_prefix)).filter(at_site)
            .annotate(persons=Subquery(persons)).select_related("head", "relocation").order_by("division_code", "number"))


def decorate_households(households) -> None:
    names = division_names({h.division_code for h in households})
    for h in households:
        h.village = names.get(h.division_code, h.division_code)
        h.persons = h.persons or 0
        try:
            rel = h.relocation
        except Relocation.DoesNotExist:
            rel = None
        h.step = rel.step if rel else ""
        h.step_label = Step(rel.step).label if rel else ""


def site_projects(*, actor, site: Site):
    """Construction projects (projects.Project) that name the site, in the actor's view scope; none without PROJECT_VIEW."""
    from anju.projects.models import Project

    if not actor.can(Perm.PROJECT_VIEW):
        return Project.objects.none()
    return scope_filter(Project.objects.filter(site=site), actor).order_by("code")


def project_choices(*, actor, site: Site) -> list[tuple[int, str]]:
    """Projects a facility of the site may name: in the site's county and the actor's view scope."""
    from anju.projects.models import Project

    if not actor.can(Perm.PROJECT_VIEW):
        return []
    qs = scope_filter(Project.objects.filter(code_prefix_q("division_code", site.division_code[:6])), actor).order_by("code")
    return [(p.pk, f"{p.code} {p.name}") for p in qs.only("pk", "code", "name")[:500]]


# --------------------------------------------------------------------------------------------------- housing area check
@dataclass
class AreaRow:
    household_id: int
    site_id: int | None
    division_code: str
    area_per_person: Decimal
    limit: Decimal
    source: str  # "relocation": house area / persons of the Relocation row; "enrolment": the enrolments' per-person area
    house_area: Decimal | None
    persons: int | None
    poverty_registered: bool
    number: str = ""
    head_name: str = ""

    @property
    def over(self) -> bool:
        return self.area_per_person > self.limit

    @property
    def excess(self) -> Decimal:
        return self.area_per_person - self.limit


def housing_area_check(*, actor, as_of: dt.date | None = None, sites=None, prefix: str = "", only_over: bool = True) -> list[AreaRow]:
    """The per-person housing area of each household at the sites `sites` (Sites or ids; every site when None) or under
    the division `prefix`, in the actor's view scope, against policy relocation.max_area_per_person on `as_of` for the
    household's division. A household counts when it is relocated that day (active relocation enrolment) or has a
    Relocation row. Area per person: Relocation.house_area / Relocation.persons; without those, the enrolments' per-person
    housing_area (the largest). Households with neither are not checked. Over the line means strictly more than the limit
    (25 m² passes, 25.01 m² does not); 建档立卡 households (poverty_registered) are the red line. Other areas may call this."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    as_of = as_of or dt.date.today()
    site_ids = None if sites is None else [s.pk if isinstance(s, Site) else int(s) for s in sites]
    periods = population_periods(actor=actor, as_of=as_of, site_ids=site_ids)
    if prefix:
        periods = periods.filter(code_prefix_q("enrolment__division_code", prefix))
    households: dict[int, dict] = {}
    for hid, site_id, division, area, poor in periods.values_list("enrolment__household_id", "enrolment__site_id",
                                                                  "enrolment__division_code", "enrolment__housing_area",
                                                                  "enrolment__poverty_registered"):
        h = households.setdefault(hid, {"site": site_id, "division": division, "area": None, "poor": False})
        if area is not None and (h["area"] is None or area > h["area"]):
            h["area"] = area
        h["poor"] = h["poor"] or bool(poor)
    relocations = Relocation.objects.filter(code_prefix_q("division_code", actor.view_prefix))
    if prefix:
        relocations = relocations.filter(code_prefix_q("division_code", prefix))
    near = Q(household_id__in=periods.values("enrolment__household_id"))
    if site_ids is not None:
        near |= Q(site_id__in=site_ids)
    rows = {hid: (site_id, division, area, persons) for hid, site_id, division, area, persons in
            relocations.filter(near).values_list("household_id", "site_id", "division_code", "house_area", "persons")}
    newcomers = [hid for hid in rows if hid not in households]
    if newcomers:
        poor = set(Enrolment.objects.filter(household_id__in=newcomers, program=Program.RELOCATION, poverty_registered=True)
                   .values_list("household_id", flat=True))
        for hid in newcomers:
            site_id, division, _area, _persons = rows[hid]
            households[hid] = {"site": site_id, "division": division, "area": None, "poor": hid in poor}
    table = PolicyTable([AREA_KEY])
    out: list[AreaRow] = []
    for hid, h in households.items():
        site_id, area, persons, house_area, source = h["site"], h["area"], None, None, "enrolment"
        if hid in rows:
            r_site, _division, house_area, persons = rows[hid]
            site_id = site_id or r_site
            if house_area is not None and persons:
                area, source = Decimal(house_area) / Decimal(persons), "relocation"
        if area is None or (site_ids is not None and site_id not in site_ids):
            continue
        limit = Decimal(str(table.value(AREA_KEY, on=as_of, division_code=h["division"])))
        row = AreaRow(household_id=hid, site_id=site_id, division_code=h["division"], area_per_person=Decimal(area), limit=limit,
                      source=source, house_area=house_area, persons=persons, poverty_registered=h["poor"])
        if row.over or not only_over:
            out.append(row)
    if out:
        facts = {pk: (number, head) for pk, number, head in Household.objects.filter(pk__in=[r.household_id for r in out])
                 .values_list("pk", "number", "head__name")}
        for r in out:
            r.number, r.head_name = facts.get(r.household_id, ("", ""))
            r.head_name = r.head_name or ""
    out.sort(key=lambda r: (not r.poverty_registered, -r.excess, r.number))
    return out


# ------------------------------------------------------------------------------------------------------------ occupancy
@dataclass
class Occupancy:
    households: int = 0
    persons: int = 0
    moved_in: int = 0  # households with a Relocation row of the site moved in by the day
    capacity: int = 0
    facilities_in_use: int = 0
    facilities_total: int = 0
    area_over: int = 0
    area_over_registered: int = 0

    @property
    def rate(self) -> float | None:
        """Persons relocated there over the designed capacity (a fraction; None without a capacity)."""
        return self.persons / self.capacity if self.capacity else None


def site_occupancy(*, actor, sites, as_of: dt.date | None = None) -> dict[int, Occupancy]:
    """Occupancy of each site on `as_of`, counting households and persons in the actor's view scope (population
    definition: active relocation enrolments at the site that day), moved-in Relocation rows, facilities in use and the
    households over the housing-area line."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    as_of = as_of or dt.date.today()
    sites = list(sites)
    ids = [s.pk for s in sites]
    out = {s.pk: Occupancy(capacity=s.capacity) for s in sites}
    if not ids:
        return out
    for site_id, households, persons in (population_periods(actor=actor, as_of=as_of, site_ids=ids).order_by()
                                         .values("enrolment__site_id")
                                         .annotate(h=Count("enrolment__household_id", distinct=True),
                                                   p=Count("enrolment__person_id", distinct=True))
                                         .values_list("enrolment__site_id", "h", "p")):
        out[site_id].households, out[site_id].persons = households, persons
    moved = (Relocation.objects.filter(code_prefix_q("division_code", actor.view_prefix), site_id__in=ids, moved_in_on__lte=as_of)
             .order_by().values("site_id").annotate(n=Count("id")).values_list("site_id", "n"))
    for site_id, n in moved:
        out[site_id].moved_in = n
    for site_id, total, in_use in (Facility.objects.filter(site_id__in=ids).order_by().values("site_id")
                                   .annotate(t=Count("id"), u=Count("id", filter=Q(status=Facility.Status.IN_USE)))
                                   .values_list("site_id", "t", "u")):
        out[site_id].facilities_total, out[site_id].facilities_in_use = total, in_use
    for row in housing_area_check(actor=actor, as_of=as_of, sites=ids):
        out[row.site_id].area_over += 1
        out[row.site_id].area_over_registered += int(row.poverty_registered)
    return out


def decorate_sites(sites, *, actor, as_of: dt.date | None = None) -> None:
    """Attach division_name and occupancy to each site of a page."""
    sites = list(sites)
    names = division_names({s.division_code for s in sites})
    occupancy = site_occupancy(actor=actor, sites=sites, as_of=as_of)
    for s in sites:
        s.division_name = names.get(s.division_code, s.division_code)
        s.occupancy = occupancy[s.pk]


def may_manage_site(actor, site: Site) -> bool:
    return actor.can(Perm.REFERENCE_MANAGE) and in_scope(actor, site.division_code, kind="entry")


def may_confirm_site(actor, site: Site) -> bool:
    return actor.can(Perm.RELOCATION_CONFIRM) and in_scope(actor, site.division_code, kind="entry")
