"""Reads of platform tables: audit events within the auditor's scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, prefix_for, require_perm
from anju.core.models import AuditEvent


def audit_event_list(
    *,
    actor,
    date_from: date | None = None,
    date_to: date | None = None,
    username: str = "",
    action: str = "",
    division: str = "",
    outcome: str = "",
) -> QuerySet[AuditEvent]:
    """Events in the actor's view scope, plus scope-less events (logins, system work), newest first."""
    require_perm(actor, Perm.AUDIT_VIEW)
    prefix = prefix_for(actor)
    qs = AuditEvent.objects.filter(code_prefix_q("division_code", prefix) | Q(division_code=""))
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(occurred_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(occurred_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    if username:
        qs = qs.filter(actor_username__icontains=username)
    if action:
        qs = qs.filter(action__startswith=action)
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-id")
