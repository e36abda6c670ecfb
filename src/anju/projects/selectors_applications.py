"""Guideline and application reads, always scoped: guideline lists and one guideline (a county reads its city's published
guideline), application lists and one application, the buttons an actor gets, the reviews, and a guideline's ranking."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.projects.models import Application, ApplicationReview, Guideline, Project, Stage
from anju.projects.services.applications import EDITABLE_STATES, RANKED_STATES
from anju.projects.services.applications_guidelines import guideline_for_project


def _wider(prefix: str) -> list[str]:
    return [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(prefix)]


def guideline_visible_q(actor) -> Q:
    """Guidelines inside the view scope (any state) and the published or closed guidelines of the divisions covering it."""
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return Q(pk__in=[])
    return code_prefix_q("division_code", prefix) | Q(division_code__in=_wider(prefix),
                                                       state__in=[Guideline.State.PUBLISHED, Guideline.State.CLOSED])


def guideline_visible(actor, g: Guideline) -> bool:
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return False
    return g.division_code.startswith(prefix) or (g.division_code in _wider(prefix) and g.state != Guideline.State.DRAFT)


def guideline_list(*, actor, year: int | None = None, state: str = "", q: str = "") -> QuerySet[Guideline]:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = Guideline.objects.filter(guideline_visible_q(actor)).select_related("created_by", "published_by")
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(doc_number__contains=q))
    return qs.order_by("-year", "division_code", "id")


def access_guideline(actor, guideline_id, *, kind: str = "view") -> Guideline:
    require_perm(actor, Perm.PROJECT_VIEW)
    try:
        pk = int(guideline_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    g = Guideline.objects.filter(pk=pk).select_related("created_by", "published_by").first()
    if g is None or not guideline_visible(actor, g):
        raise NotFound()
    if kind == "entry" and not in_scope(actor, g.division_code, "entry"):
        raise NotFound()
    return g


def guideline_actions(actor, g: Guideline) -> dict[str, bool]:
    manage = actor.can(Perm.PROJECT_MANAGE) and in_scope(actor, g.division_code, "entry")
    draft = g.state == Guideline.State.DRAFT
    return {"edit": manage and draft, "publish": manage and draft, "delete": manage and draft,
            "close": manage and g.state == Guideline.State.PUBLISHED}


def guideline_annotate(guidelines) -> list[Guideline]:
    guidelines = list(guidelines)
    names = division_names([g.division_code for g in guidelines])
    counts = {}
    for row in Application.objects.filter(guideline__in=[g.pk for g in guidelines]).values("guideline", "state").annotate(n=Count("id")):
        counts.setdefault(row["guideline"], {})[row["state"]] = row["n"]
    for g in guidelines:
        g.division_name = names.get(g.division_code, g.division_code)
        g.counts = counts.get(g.pk, {})
        g.application_count = sum(g.counts.values())
    return guidelines


# --- applications ---------------------------------------------------------------------------------------------

def application_list(*, actor, guideline: Guideline | None = None, year: int | None = None, state: str = "", division: str = "",
                     q: str = "") -> QuerySet[Application]:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = scope_filter(Application.objects.all(), actor).select_related("project", "guideline", "submitted_by")
    if guideline is not None:
        qs = qs.filter(guideline=guideline)
    if year:
        qs = qs.filter(guideline__year=year)
    if state:
        qs = qs.filter(state=state)
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if q:
        qs = qs.filter(Q(project__code__icontains=q) | Q(project__name__icontains=q))
    return qs.order_by("-guideline__year", "guideline_id", "rank", "division_code", "id")


def application_annotate(applications) -> list[Application]:
    applications = list(applications)
    names = division_names([a.division_code for a in applications])
    reviews = dict(ApplicationReview.objects.filter(application__in=[a.pk for a in applications]).values("application")
                   .annotate(n=Count("id")).values_list("application", "n"))
    for a in applications:
        a.county_name = names.get(a.division_code[:6].ljust(12, "0"), a.division_code[:6])
        a.place_name = names.get(a.division_code, a.division_code)
        a.review_count = reviews.get(a.pk, 0)
    return applications


def access_application(actor, application_id, *, kind: str = "view") -> Application:
    """One application in the actor's view scope (or entry scope: kind="entry"), else NotFound."""
    require_perm(actor, Perm.PROJECT_VIEW)
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    a = Application.objects.filter(pk=pk).select_related("project", "guideline", "submitted_by", "decided_by", "created_by").first()
    if a is None or not in_scope(actor, a.division_code, kind):
        raise NotFound()
    return a


def may_review(actor, a: Application) -> bool:
    return actor.can(Perm.PROJECT_REVIEW) and in_scope(actor, a.guideline.division_code, "entry") and in_scope(actor, a.division_code, "entry")


def application_actions(actor, a: Application) -> dict[str, bool]:
    """The buttons an application page offers; the services check again."""
    edit = actor.can(Perm.PROJECT_EDIT) and in_scope(actor, a.division_code, "entry")
    review = may_review(actor, a)
    S = Application.State
    submitter = a.submitted_by_id == actor.pk
    return {
        "edit": edit and a.state in EDITABLE_STATES,
        "submit": edit and a.state in EDITABLE_STATES,
        "delete": edit and a.state == S.DRAFT,
        "start_review": review and a.state == S.SUBMITTED,
        "score": review and a.state == S.REVIEWING and not submitter,
        "approve": review and a.state == S.REVIEWING and not submitter,
        "return": review and a.state in (S.SUBMITTED, S.REVIEWING),
        "reject": review and a.state in (S.SUBMITTED, S.REVIEWING),
        "see_reviews": actor.can(Perm.PROJECT_REVIEW),
    }


def application_reviews(actor, a: Application) -> list[ApplicationReview]:
    """The reviewers' scores and comments: for the reviewing side (PROJECT_REVIEW) only; others see the average."""
    if not actor.can(Perm.PROJECT_REVIEW):
        return []
    return list(ApplicationReview.objects.filter(application=a).select_related("reviewer").order_by("id"))


def ranking(*, actor, guideline: Guideline) -> list[Application]:
    """The guideline's ranked applications (under review or decided, with a score) in rank order, in the view scope."""
    qs = application_list(actor=actor, guideline=guideline).filter(state__in=RANKED_STATES, rank__isnull=False)
    return application_annotate(qs.order_by("rank", "id"))


def reserve_projects(actor, *, q: str = "") -> QuerySet[Project]:
    """Reserve projects of the actor's entry scope with a year and no application in progress (the choices of a new
    application)."""
    require_perm(actor, Perm.PROJECT_EDIT)
    active = [Application.State.DRAFT, Application.State.SUBMITTED, Application.State.REVIEWING, Application.State.RETURNED]
    qs = scope_filter(Project.objects.filter(stage=Stage.RESERVE, year__isnull=False), actor, kind="entry")
    qs = qs.exclude(pk__in=Application.objects.filter(state__in=active).values("project_id"))
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.order_by("division_code", "year", "code")


def project_guideline(project: Project) -> Guideline | None:
    return guideline_for_project(project)

