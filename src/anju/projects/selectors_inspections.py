"""Reads of inspections, rectification, acceptance, audits and archives, always scoped to the actor: single objects
(`access_*`), the rectification lists (open, overdue with days overdue), a project's quality record and archive
status, and archive completeness per project and per county.

Completeness counts required, active checklist entries (DocumentType) that have at least one document: "to date" over
the entries of the stages up to the project's current one, "overall" over every stage. With nothing required the
figure is 1 (nothing is missing).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.projects.models import (
    STAGE_ORDER,
    Acceptance,
    Document,
    DocumentType,
    Inspection,
    Project,
    ProjectAudit,
    Rectification,
    Stage,
    Term,
)
from anju.projects.money import percent_text as money_percent_text
from anju.projects.selectors import term_names

FOUR = Decimal("0.0001")


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk < 2**63:
        raise NotFound()
    return pk


def _scoped(actor, obj, kind: str):
    if obj is None or not in_scope(actor, obj.division_code, kind):
        raise NotFound()
    return obj


# --- single objects ---------------------------------------------------------------------------------------------

def access_inspection(actor, inspection_id, *, kind: str = "view") -> Inspection:
    require_perm(actor, Perm.PROJECT_VIEW)
    return _scoped(actor, Inspection.objects.select_related("project").filter(pk=_pk(inspection_id)).first(), kind)


def access_rectification(actor, rectification_id, *, kind: str = "view") -> Rectification:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = Rectification.objects.select_related("project", "inspection", "acceptance", "audit", "evidence", "owner_user", "closed_by")
    return _scoped(actor, qs.filter(pk=_pk(rectification_id)).first(), kind)


def access_acceptance(actor, acceptance_id, *, kind: str = "view") -> Acceptance:
    require_perm(actor, Perm.PROJECT_VIEW)
    return _scoped(actor, Acceptance.objects.select_related("project").filter(pk=_pk(acceptance_id)).first(), kind)


def access_audit(actor, audit_id, *, kind: str = "view") -> ProjectAudit:
    require_perm(actor, Perm.PROJECT_VIEW)
    return _scoped(actor, ProjectAudit.objects.select_related("project").filter(pk=_pk(audit_id)).first(), kind)


def access_document(actor, document_id, *, kind: str = "view") -> Document:
    """One archive document of a project in the actor's scope, or NotFound."""
    require_perm(actor, Perm.PROJECT_VIEW)
    doc = Document.objects.select_related("project", "doc_type", "uploaded_by").filter(pk=_pk(document_id)).first()
    if doc is None or not in_scope(actor, doc.project.division_code, kind):
        raise NotFound()
    return doc


def access_document_type(actor, type_id) -> DocumentType:
    """A checklist entry (city configuration: every project user may read the checklist)."""
    require_perm(actor, Perm.PROJECT_VIEW)
    t = DocumentType.objects.filter(pk=_pk(type_id)).first()
    if t is None:
        raise NotFound()
    return t


def document_type_list(*, actor, active_only: bool = False) -> list[DocumentType]:
    """The checklist in stage order, then the city's order."""
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = DocumentType.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return sorted(qs, key=lambda t: (STAGE_ORDER.get(t.stage, 99), t.sort, t.code))


# --- a project's quality record ---------------------------------------------------------------------------------

@dataclass
class QualityRecord:
    project: Project
    inspections: list
    acceptances: list
    audits: list
    rectifications: list
    open_count: int = 0
    overdue_count: int = 0


def project_quality(*, actor, project: Project, today: dt.date | None = None) -> QualityRecord:
    """Everything the quality page shows of one (already accessed) project: inspections with their findings,
    acceptances, audits, and all rectification items with days overdue."""
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code, "view"):
        raise NotFound()
    today = today or dt.date.today()
    kinds = term_names(Term.Kind.INSPECTION_KIND)
    rectifications = with_days_overdue(list(Rectification.objects.filter(project=project)
                                            .select_related("evidence", "owner_user", "closed_by").order_by("state", "deadline", "id")), today)
    by_parent = defaultdict(list)
    for r in rectifications:
        by_parent[(r.source, r.inspection_id or r.acceptance_id or r.audit_id)].append(r)
    inspections = list(Inspection.objects.filter(project=project).select_related("created_by").order_by("-on", "-id"))
    for i in inspections:
        i.kind_name = kinds.get(i.kind, i.kind)
        i.items = by_parent[(Rectification.Source.INSPECTION, i.pk)]
    acceptances = list(Acceptance.objects.filter(project=project).select_related("created_by").order_by("-on", "-id"))
    for a in acceptances:
        a.items = by_parent[(Rectification.Source.ACCEPTANCE, a.pk)]
    audits = list(ProjectAudit.objects.filter(project=project).select_related("created_by").order_by("-on", "-id"))
    for a in audits:
        a.items = by_parent[(Rectification.Source.AUDIT, a.pk)]
    open_items = [r for r in rectifications if r.state == Rectification.State.OPEN]
    return QualityRecord(project=project, inspections=inspections, acceptances=acceptances, audits=audits, rectifications=rectifications,
                         open_count=len(open_items), overdue_count=sum(1 for r in open_items if r.days_overdue > 0))


def inspection_list(*, actor, project: Project) -> QuerySet[Inspection]:
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code, "view"):
        raise NotFound()
    return Inspection.objects.filter(project=project).prefetch_related("findings").order_by("-on", "-id")


def acceptance_list(*, actor, project: Project) -> QuerySet[Acceptance]:
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code, "view"):
        raise NotFound()
    return Acceptance.objects.filter(project=project).prefetch_related("findings").order_by("-on", "-id")


def audit_list(*, actor, project: Project) -> QuerySet[ProjectAudit]:
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code, "view"):
        raise NotFound()
    return ProjectAudit.objects.filter(project=project).prefetch_related("findings").order_by("-on", "-id")


# --- rectification lists ----------------------------------------------------------------------------------------

def days_overdue(r: Rectification, today: dt.date) -> int:
    """Days past the deadline of an open item (0 when not overdue or closed)."""
    if r.state != Rectification.State.OPEN or r.deadline >= today:
        return 0
    return (today - r.deadline).days


def with_days_overdue(rows, today: dt.date):
    for r in rows:
        r.days_overdue = days_overdue(r, today)
    return rows


def rectification_list(*, actor, state: str = "", overdue: bool = False, division: str = "", project: int | None = None, q: str = "",
                       source: str = "", today: dt.date | None = None) -> QuerySet[Rectification]:
    """Rectification items in the actor's view scope; `overdue` keeps open items past their deadline (oldest deadline
    first). Add days overdue to a page with `with_days_overdue`."""
    require_perm(actor, Perm.PROJECT_VIEW)
    today = today or dt.date.today()
    qs = scope_filter(Rectification.objects.all(), actor).select_related("project", "owner_user", "evidence")
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state=Rectification.State.OPEN, deadline__lt=today)
    if source:
        qs = qs.filter(source=source)
    if project:
        qs = qs.filter(project_id=project)
    if q:
        qs = qs.filter(Q(finding__icontains=q) | Q(owner__icontains=q) | Q(project__code__icontains=q) | Q(project__name__icontains=q))
    return qs.order_by("state", "deadline", "id")


def overdue_rectifications(*, actor, division: str = "", today: dt.date | None = None) -> list[Rectification]:
    """Open items past their deadline in the actor's scope, each with `days_overdue`, most overdue first."""
    today = today or dt.date.today()
    return with_days_overdue(list(rectification_list(actor=actor, overdue=True, division=division, today=today)), today)


# --- archives ---------------------------------------------------------------------------------------------------

def rate(present: int, required: int) -> Decimal:
    if required <= 0:
        return Decimal(1)
    return (Decimal(present) / Decimal(required)).quantize(FOUR, rounding=ROUND_HALF_UP)


@dataclass
class ChecklistItem:
    doc_type: DocumentType
    documents: list
    reached: bool  # the project has reached the item's stage

    @property
    def present(self) -> bool:
        return bool(self.documents)

    @property
    def missing(self) -> bool:
        return self.doc_type.required and self.doc_type.active and not self.documents


@dataclass
class StageGroup:
    stage: str
    label: str
    reached: bool
    current: bool
    items: list = field(default_factory=list)


@dataclass
class ArchiveStatus:
    project: Project
    stages: list
    others: list  # documents without a type, or of a checklist entry that no longer exists in order
    documents: list
    present_to_date: int
    required_to_date: int
    present_overall: int
    required_overall: int
    missing_to_date: list
    missing_overall: list

    @property
    def rate_to_date(self) -> Decimal:
        return rate(self.present_to_date, self.required_to_date)

    @property
    def rate_overall(self) -> Decimal:
        return rate(self.present_overall, self.required_overall)

    @property
    def percent_to_date(self) -> str:
        return percent_text(self.rate_to_date)

    @property
    def percent_overall(self) -> str:
        return percent_text(self.rate_overall)


def percent_text(value: Decimal | None) -> str:
    """Completeness with one decimal: "87.5%"."""
    return money_percent_text(value, 1)


def archive_status(*, actor, project: Project) -> ArchiveStatus:
    """The project's archive against the checklist, stage by stage: each entry with its documents, what is missing, and
    completeness to date and overall."""
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code, "view"):
        raise NotFound()
    here = STAGE_ORDER[project.stage]
    documents = list(Document.objects.filter(project=project).select_related("doc_type", "uploaded_by").order_by("uploaded_at", "id"))
    by_type = defaultdict(list)
    for d in documents:
        by_type[d.doc_type_id].append(d)
    groups = {s: StageGroup(stage=s, label=str(Stage(s).label), reached=STAGE_ORDER[s] <= here, current=s == project.stage)
              for s in Stage.values}
    shown = set()
    for t in sorted(DocumentType.objects.all(), key=lambda t: (STAGE_ORDER.get(t.stage, 99), t.sort, t.code)):
        if not t.active and not by_type.get(t.pk):
            continue  # a retired entry shows only where documents were filed under it
        groups[t.stage].items.append(ChecklistItem(doc_type=t, documents=by_type.get(t.pk, []), reached=STAGE_ORDER[t.stage] <= here))
        shown.add(t.pk)
    required = [i for g in groups.values() for i in g.items if i.doc_type.required and i.doc_type.active]
    to_date = [i for i in required if i.reached]
    return ArchiveStatus(
        project=project, stages=[g for g in groups.values() if g.items], documents=documents,
        others=[d for d in documents if d.doc_type_id is None or d.doc_type_id not in shown],
        present_to_date=sum(1 for i in to_date if i.present), required_to_date=len(to_date),
        present_overall=sum(1 for i in required if i.present), required_overall=len(required),
        missing_to_date=[i.doc_type for i in to_date if not i.present], missing_overall=[i.doc_type for i in required if not i.present])


@dataclass
class ProjectCompleteness:
    project_id: int
    code: str
    name: str
    division_code: str
    stage: str
    present_to_date: int
    required_to_date: int
    present_overall: int
    required_overall: int

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    @property
    def rate_to_date(self) -> Decimal:
        return rate(self.present_to_date, self.required_to_date)

    @property
    def rate_overall(self) -> Decimal:
        return rate(self.present_overall, self.required_overall)

    @property
    def complete_to_date(self) -> bool:
        return self.present_to_date >= self.required_to_date

    @property
    def complete_overall(self) -> bool:
        return self.present_overall >= self.required_overall


@dataclass
class CountyCompleteness:
    county_code: str
    county_name: str
    projects: int = 0
    complete_to_date: int = 0
    complete_overall: int = 0
    sum_to_date: Decimal = Decimal(0)
    sum_overall: Decimal = Decimal(0)

    @property
    def average_to_date(self) -> Decimal | None:
        return (self.sum_to_date / self.projects).quantize(FOUR, rounding=ROUND_HALF_UP) if self.projects else None

    @property
    def average_overall(self) -> Decimal | None:
        return (self.sum_overall / self.projects).quantize(FOUR, rounding=ROUND_HALF_UP) if self.projects else None

    @property
    def percent_to_date(self) -> str:
        return percent_text(self.average_to_date)

    @property
    def percent_overall(self) -> str:
        return percent_text(self.average_overall)


def _archive_projects(actor, *, division: str = "", year: int | None = None, program: str = "") -> QuerySet[Project]:
    """Projects whose archive counts: in the actor's view scope and out of the reserve (a reserve project has filed nothing yet)."""
    qs = scope_filter(Project.objects.all(), actor).exclude(stage=Stage.RESERVE)
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if year:
        qs = qs.filter(year=year)
    if program:
        qs = qs.filter(program=program)
    return qs


def completeness_of(projects) -> list[ProjectCompleteness]:
    """Completeness figures of the given projects (rows or a queryset), in one query for the documents."""
    rows = list(projects.values_list("pk", "code", "name", "division_code", "stage") if isinstance(projects, QuerySet)
                else [(p.pk, p.code, p.name, p.division_code, p.stage) for p in projects])
    required = list(DocumentType.objects.filter(active=True, required=True).values_list("pk", "stage"))
    rank = {pk: STAGE_ORDER.get(stage, 99) for pk, stage in required}
    present = defaultdict(set)
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 500):  # under SQLite's parameter limit
        for project_id, type_id in (Document.objects.filter(project_id__in=ids[start:start + 500], doc_type_id__in=list(rank))
                                    .values_list("project_id", "doc_type_id").distinct()):
            present[project_id].add(type_id)
    out = []
    for pk, code, name, division_code, stage in rows:
        here = STAGE_ORDER.get(stage, 0)
        due = [t for t, r in rank.items() if r <= here]
        have = present[pk]
        out.append(ProjectCompleteness(project_id=pk, code=code, name=name, division_code=division_code, stage=stage,
                                       present_to_date=sum(1 for t in due if t in have), required_to_date=len(due),
                                       present_overall=len(have), required_overall=len(rank)))
    return out


def archive_completeness_projects(*, actor, division: str = "", year: int | None = None, program: str = "") -> QuerySet[Project]:
    """The projects counted in archive completeness (paginate, then pass a page to `completeness_of`)."""
    require_perm(actor, Perm.PROJECT_VIEW)
    return _archive_projects(actor, division=division, year=year, program=program).order_by("division_code", "code")


def archive_completeness_by_county(*, actor, division: str = "", year: int | None = None, program: str = "") -> list[CountyCompleteness]:
    """Per county of the actor's scope: projects out of the reserve, the average completeness (to date and overall)
    and how many projects are complete, plus a last row for the whole scope (county_code '')."""
    from anju.divisions.selectors import division_names

    require_perm(actor, Perm.PROJECT_VIEW)
    figures = completeness_of(_archive_projects(actor, division=division, year=year, program=program))
    counties: dict[str, CountyCompleteness] = {}
    total = CountyCompleteness(county_code="", county_name="")
    for f in figures:
        code = f.division_code[:6].ljust(12, "0")
        row = counties.setdefault(code, CountyCompleteness(county_code=code, county_name=""))
        for target in (row, total):
            target.projects += 1
            target.complete_to_date += f.complete_to_date
            target.complete_overall += f.complete_overall
            target.sum_to_date += f.rate_to_date
            target.sum_overall += f.rate_overall
    names = division_names(list(counties))
    for code, row in counties.items():
        row.county_name = names.get(code, code[:6])
    return [counties[c] for c in sorted(counties)] + [total]
