"""The projects' vocabularies (项目类别, 资金来源, 检查类型): add, rename, reorder, deactivate and delete unused terms, audited.

A code is stable once created (rows store it); names are unique within a kind; a term in use is deactivated, never deleted.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, NotFound
from anju.core.terms import (  # noqa: F401 - the MSG_TERM_* are re-exported: callers and tests use them from here
    MSG_TERM_CODE_FORMAT,
    MSG_TERM_CODE_IMMUTABLE,
    MSG_TERM_CODE_TAKEN,
    MSG_TERM_DIRECTION,
    MSG_TERM_KIND,
    MSG_TERM_NAME_LENGTH,
    MSG_TERM_NAME_REQUIRED,
    MSG_TERM_NAME_TAKEN,
    MSG_TERM_SORT,
    Vocabulary,
)
from anju.projects.models import Term

MSG_TERM_IN_USE = _("“%(name)s”已被 %(n)s 条记录使用，不能删除，只能停用")

VOCABULARY = Vocabulary(Term, perm=Perm.PROJECT_MANAGE, action="projects.term", object_type="project_term")


# The vocabulary services (anju.core.terms), under this app's names.
term_snapshot = VOCABULARY.snapshot
term_create = VOCABULARY.create
term_update = VOCABULARY.update
term_move = VOCABULARY.move


def term_usage(term: Term) -> int:
    """How many rows refer to the term's code (projects, plan targets, guidelines, allocations, payments, applications,
    inspections)."""
    from anju.projects.models import Allocation, Application, Guideline, Inspection, Payment, PlanTarget, Project

    code = term.code
    if term.kind == Term.Kind.CATEGORY:
        guidelines = sum(1 for cats in Guideline.objects.values_list("categories", flat=True) if code in (cats or []))
        return Project.objects.filter(category=code).count() + PlanTarget.objects.filter(category=code).count() + guidelines
    if term.kind == Term.Kind.FUND_SOURCE:
        return (Allocation.objects.filter(fund_source=code).count() + Payment.objects.filter(fund_source=code).count()
                + Application.objects.filter(requested_by_source__has_key=code).count())
    return Inspection.objects.filter(kind=code).count()


def term_delete(*, actor, term: Term) -> None:
    """Delete a term no row uses; one in use can only be deactivated."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        locked = Term.objects.select_for_update().filter(pk=term.pk).first()
        if locked is None:
            raise NotFound()
        used = term_usage(locked)
        if used:
            raise Conflict(MSG_TERM_IN_USE % {"name": locked.name, "n": used}, code="term_in_use")
        before = term_snapshot(locked)
        pk = locked.pk
        locked.delete()
        VOCABULARY.audit(actor, "deleted", pk, before=before)
