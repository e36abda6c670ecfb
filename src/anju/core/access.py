"""Jurisdiction and permission checks shared by every app's selectors and access_* functions."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from anju.core.exceptions import AuthenticationRequired, PermissionDenied


def require_perm(actor, perm: str) -> None:
    """Raise unless `actor` is a logged-in, active user whose role grants `perm`."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise AuthenticationRequired()
    if not actor.can(perm):
        raise PermissionDenied()


def prefix_for(actor, kind: str = "view") -> str:
    """The division-code prefix an actor may read (`view`) or write (`entry`)."""
    return actor.entry_prefix if kind == "entry" else actor.view_prefix


def in_scope(actor, division_code: str | None, kind: str = "view") -> bool:
    return bool(division_code) and division_code.startswith(prefix_for(actor, kind))


def code_prefix_q(field: str, prefix: str) -> Q:
    """Rows whose digit-string `field` starts with `prefix`, as a range both databases answer from a btree index.

    `LIKE 'p%'` cannot use a plain index on SQLite (LIKE is case-insensitive there); codes are ASCII digits,
    so "starts with p" is exactly p <= code < p + ':' (':' sorts right after '9').
    """
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + ":"})


def scope_filter(qs: QuerySet, actor, *, field: str = "division_code", kind: str = "view") -> QuerySet:
    """Limit a queryset to rows whose `field` (a 12-digit division code) lies in the actor's scope."""
    return qs.filter(code_prefix_q(field, prefix_for(actor, kind)))


def county_visible_q(actor, field: str = "division_code") -> Q:
    """County-level objects (a verification, a payment batch) in the view scope, plus the county of a viewer scoped
    below it, who sees the object but only their own part of it."""
    prefix = actor.view_prefix
    q = code_prefix_q(field, prefix)
    if len(prefix) > 6 and prefix.isdigit():
        q |= Q(**{field: prefix[:6].ljust(12, "0")})
    return q
