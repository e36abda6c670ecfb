"""Project reads shared by every area, always scoped to the actor: one project (`access_project`), the project list,
and the configurable vocabularies (categories, fund sources, inspection kinds)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.projects.models import Project, Term


def access_project(actor, project_id, *, kind: str = "view", perm: str = Perm.PROJECT_VIEW) -> Project:
    """One project the actor may read (`kind="view"`) or write (`kind="entry"`), or NotFound (unknown, malformed or
    outside that scope: an out-of-scope project looks exactly like a missing one)."""
    require_perm(actor, perm)
    try:
        pk = int(project_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    project = Project.objects.filter(pk=pk).select_related("owner", "plan", "site").first()
    if project is None:
        raise NotFound()
    if not in_scope(actor, project.division_code, kind):
        raise NotFound()
    return project


def access_project_by_code(actor, code: str, *, kind: str = "view", perm: str = Perm.PROJECT_VIEW) -> Project:
    require_perm(actor, perm)
    project = Project.objects.filter(code=str(code or "").strip()).first()
    if project is None or not in_scope(actor, project.division_code, kind):
        raise NotFound()
    return project


def project_list(*, actor, q: str = "", division: str = "", year: int | None = None, stage: str = "", program: str = "",
                 category: str = "") -> QuerySet[Project]:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = scope_filter(Project.objects.all(), actor).select_related("owner")
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if year:
        qs = qs.filter(year=year)
    if stage:
        qs = qs.filter(stage=stage)
    if program:
        qs = qs.filter(program=program)
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.order_by("division_code", "code")


def terms(kind: str, *, active_only: bool = True) -> list[tuple[str, str]]:
    """(code, name) pairs of a vocabulary in the city's order: the choices of a form field."""
    qs = Term.objects.filter(kind=kind)
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("sort", "code").values_list("code", "name"))


def term_names(kind: str) -> dict[str, str]:
    """Every code of a vocabulary (inactive ones too: old rows keep them) with its name."""
    return dict(Term.objects.filter(kind=kind).values_list("code", "name"))


def archive_missing(project: Project, *, up_to_stage: str | None = None) -> list:
    """The required, active checklist documents (DocumentType) the project's archive lacks, for the stages up to
    `up_to_stage` (all stages by default), in checklist order."""
    from anju.projects.models import STAGE_ORDER, Document, DocumentType

    present = set(Document.objects.filter(project=project, doc_type__isnull=False).values_list("doc_type_id", flat=True))
    limit = STAGE_ORDER[up_to_stage] if up_to_stage else len(STAGE_ORDER)
    return [t for t in DocumentType.objects.filter(active=True, required=True).order_by("sort", "code")
            if STAGE_ORDER.get(t.stage, 0) <= limit and t.pk not in present]
