"""Relocation-step reads: a household's steps, one step (for its evidence), and per-site progress with county totals."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.exceptions import NotFound, ValidationFailed
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, Household, Program
from anju.relocation.models import STEP_ORDER, Relocation, RelocationStep, Site, Step
from anju.relocation.services.steps import next_step

MSG_SCOPE = gettext_lazy("区划代码“%(code)s”有误或不在您的查看范围内")
NO_SITE_NAME = gettext_lazy("未安置到点")


@dataclass
class HouseholdSteps:
    household: Household
    relocation: Relocation | None
    steps: list  # RelocationStep, in order
    next_step: str | None
    timeline: list  # [{"step", "label", "done", "row"}] for every step


def household_steps(*, actor, household: Household) -> HouseholdSteps:
    """The relocation of a household the caller accessed (access_relocated_household), its steps and the next one."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    relocation = Relocation.objects.select_related("site").filter(household=household).first()
    steps = list(relocation.steps.select_related("recorded_by").order_by("on", "id")) if relocation else []
    by_step = {s.step: s for s in steps}
    timeline = [{"step": s, "label": Step(s).label, "done": s in by_step, "row": by_step.get(s)} for s in Step.values]
    return HouseholdSteps(household=household, relocation=relocation, steps=steps, next_step=next_step(relocation), timeline=timeline)


def access_step(actor, step_id: int) -> RelocationStep:
    """One recorded step whose household lies in the actor's view scope; not-found otherwise."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    step = RelocationStep.objects.select_related("relocation").filter(pk=step_id).first()
    if step is None or not in_scope(actor, step.relocation.division_code):
        raise NotFound()
    return step


def check_view_scope(actor, scope: str | None) -> str:
    """The division prefix to read: the actor's view prefix, or a narrower one inside it (a code of 2–12 digits, short or
    full form). A code containing the actor's scope reads the actor's scope."""
    from anju.divisions.codes import full_code, prefix_of

    prefix = actor.view_prefix
    if not (scope or "").strip():
        return prefix
    try:
        wanted = prefix_of(full_code(scope))
    except ValueError:
        raise ValidationFailed(MSG_SCOPE % {"code": scope}, code="scope_invalid", detail={"field": "scope"}) from None
    if wanted.startswith(prefix):
        return wanted
    if prefix.startswith(wanted):
        return prefix
    raise ValidationFailed(MSG_SCOPE % {"code": scope}, code="scope_out_of_range", detail={"field": "scope"})


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@dataclass
class ProgressRow:
    county_code: str
    county_name: str
    site_id: int | None
    site_code: str
    site_name: str
    not_started: int = 0
    steps: dict = field(default_factory=lambda: dict.fromkeys(Step.values, 0))  # households whose current step is this

    @property
    def started(self) -> int:
        return sum(self.steps.values())

    @property
    def households(self) -> int:
        return self.started + self.not_started

    def reached(self, step: str) -> int:
        return sum(n for s, n in self.steps.items() if STEP_ORDER[s] >= STEP_ORDER[step])

    @property
    def moved_in(self) -> int:
        return self.reached(Step.MOVED_IN)

    @property
    def demolished(self) -> int:
        return self.reached(Step.DEMOLISHED)

    @property
    def moved_in_rate(self) -> float | None:
        return self.moved_in / self.households if self.households else None

    @property
    def demolished_rate(self) -> float | None:
        return self.demolished / self.households if self.households else None

    @property
    def moved_in_pct(self) -> str:
        return _pct(self.moved_in_rate)

    @property
    def demolished_pct(self) -> str:
        return _pct(self.demolished_rate)

    def add(self, other: ProgressRow) -> None:
        self.not_started += other.not_started
        for s, n in other.steps.items():
            self.steps[s] += n

    def as_dict(self) -> dict:
        return {"county_code": self.county_code, "county_name": self.county_name, "site_id": self.site_id, "site_code": self.site_code,
                "site_name": self.site_name, "households": self.households, "not_started": self.not_started,
                "steps": dict(self.steps), "moved_in": self.moved_in, "demolished": self.demolished,
                "moved_in_rate": self.moved_in_rate, "demolished_rate": self.demolished_rate}


@dataclass
class Progress:
    rows: list[ProgressRow]  # per county and site, ordered by county then site code
    counties: list[ProgressRow]  # per county (site fields empty)
    total: ProgressRow


def step_progress(*, actor, scope: str | None = None, site: int | None = None, year: int | None = None) -> Progress:
    """Per site (within each county of the households) the households at each current step, and those of the relocation
    program not yet started (a relocation enrolment, no Relocation row; placed by their enrolment's site). Percentages
    moved in and demolished are over all those households. Scoped by the household's village code."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    prefix = check_view_scope(actor, scope)
    started = Relocation.objects.filter(code_prefix_q("division_code", prefix))
    waiting = (Enrolment.objects.filter(code_prefix_q("division_code", prefix), program=Program.RELOCATION)
               .exclude(Exists(Relocation.objects.filter(household_id=OuterRef("household_id")))))
    if site:
        started, waiting = started.filter(site_id=site), waiting.filter(site_id=site)
    if year:
        started = started.filter(year=year)
        waiting = waiting.filter(relocation_year=year)
    counts = (started.annotate(county=Substr("division_code", 1, 6)).values("county", "site_id", "step")
              .annotate(n=Count("id")).order_by())
    pending = (waiting.annotate(county=Substr("division_code", 1, 6)).values("county", "site_id")
               .annotate(n=Count("household_id", distinct=True)).order_by())
    rows: dict[tuple[str, int | None], ProgressRow] = {}

    def row(county: str, site_id: int | None) -> ProgressRow:
        key = (county, site_id)
        if key not in rows:
            rows[key] = ProgressRow(county_code=county.ljust(12, "0"), county_name="", site_id=site_id, site_code="", site_name="")
        return rows[key]

    for c in counts:
        row(c["county"], c["site_id"]).steps[c["step"]] += c["n"]
    for p in pending:
        row(p["county"], p["site_id"]).not_started += p["n"]
    sites = {s.pk: s for s in Site.objects.filter(pk__in={k[1] for k in rows if k[1]})}
    names = division_names({r.county_code for r in rows.values()})
    counties: dict[str, ProgressRow] = {}
    total = ProgressRow(county_code="", county_name="", site_id=None, site_code="", site_name="")
    for r in rows.values():
        r.county_name = names.get(r.county_code, r.county_code)
        s = sites.get(r.site_id)
        r.site_code, r.site_name = (s.code, s.name) if s else ("", str(NO_SITE_NAME))
        counties.setdefault(r.county_code, ProgressRow(county_code=r.county_code, county_name=r.county_name, site_id=None,
                                                       site_code="", site_name="")).add(r)
        total.add(r)
    ordered = sorted(rows.values(), key=lambda r: (r.county_code, r.site_id is None, r.site_code))
    return Progress(rows=ordered, counties=[counties[k] for k in sorted(counties)], total=total)


def household_list(*, actor, scope: str | None = None, step: str = "", site: int | None = None, q: str = ""):
    """Relocated households in the actor's view scope with their relocation (if started), for the steps list."""
    from anju.relocation.selectors_common import relocated_households

    qs = relocated_households(actor=actor, prefix=check_view_scope(actor, scope))
    if step == "none":
        qs = qs.filter(relocation__isnull=True)
    elif step:
        qs = qs.filter(relocation__step=step)
    if site:
        qs = qs.filter(Q(relocation__site_id=site) | Q(relocation__isnull=True, enrolments__site_id=site)).distinct()
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(head__name__contains=q))
    return qs.select_related("relocation", "relocation__site").order_by("division_code", "number")
