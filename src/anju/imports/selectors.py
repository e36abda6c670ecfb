"""Header aliases for people and the engine (global, see services.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import NotFound
from anju.imports.models import HeaderAlias


def header_alias_list(*, actor, template: str | None = None) -> QuerySet[HeaderAlias]:
    require_perm(actor, Perm.REFERENCE_MANAGE)
    qs = HeaderAlias.objects.select_related("created_by").order_by("template", "field", "alias")
    if template:
        qs = qs.filter(template=template)
    return qs


def access_header_alias(actor, alias_id: int) -> HeaderAlias:
    require_perm(actor, Perm.REFERENCE_MANAGE)
    alias = HeaderAlias.objects.filter(pk=alias_id).first()
    if alias is None:
        raise NotFound()
    return alias
