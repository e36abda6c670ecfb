"""Relocation reads shared by every area: relocated households in scope, single-household access, vocabularies."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.registry.models import Enrolment, Household, Program
from anju.relocation.models import Term

MSG_NOT_IN_ENTRY_SCOPE = _("该户不在您的录入范围内")
MSG_TERM_UNKNOWN = _("“%(value)s”不是有效的%(kind)s")


def _relocation_enrolment_q():
    return Exists(Enrolment.objects.filter(household=OuterRef("pk"), program=Program.RELOCATION))


def relocated_households(*, actor, prefix: str | None = None) -> QuerySet[Household]:
    """Households with a relocation enrolment (any status) in the actor's view scope, optionally under `prefix`."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    qs = Household.objects.filter(code_prefix_q("division_code", actor.view_prefix)).filter(_relocation_enrolment_q())
    if prefix and prefix.startswith(actor.view_prefix[: len(prefix)]):
        qs = qs.filter(code_prefix_q("division_code", prefix))
    return qs.select_related("head")


def access_relocated_household(actor, household_id: int, *, kind: str = "view") -> Household:
    """A household with a relocation enrolment in the actor's scope; not-found otherwise. `kind="entry"` also demands
    the actor's entry scope and RELOCATION_EDIT (for writes)."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    household = Household.objects.filter(pk=household_id).filter(_relocation_enrolment_q()).select_related("head").first()
    if household is None:
        raise NotFound()
    if not in_scope(actor, household.division_code):
        raise NotFound()
    if kind == "entry":
        require_perm(actor, Perm.RELOCATION_EDIT)
        if not in_scope(actor, household.division_code, kind="entry"):
            raise PermissionDenied(MSG_NOT_IN_ENTRY_SCOPE)
    return household


def term_choices(kind: str, *, include: str = "") -> list[tuple[str, str]]:
    """(code, name) of the active terms of `kind`, plus `include` (an inactive code an existing row still carries)."""
    return [(t.code, t.name) for t in Term.objects.filter(kind=kind).order_by("sort", "code") if t.active or t.code == include]


def term_names(kind: str) -> dict[str, str]:
    return dict(Term.objects.filter(kind=kind).values_list("code", "name"))


def check_term(kind: str, value: str, *, field: str, current: str = "") -> str:
    """`value` if it is an active term of `kind` (or the row's current code); else a ValidationFailed naming `field`."""
    value = (value or "").strip()
    if value and (value == current or Term.objects.filter(kind=kind, code=value, active=True).exists()):
        return value
    label = Term.Kind(kind).label
    raise ValidationFailed(MSG_TERM_UNKNOWN % {"value": value, "kind": label}, code="term_unknown", detail={"field": field})
