"""Cross-check reads, always scoped: batches whose scope overlaps the actor's, matches inside the actor's view scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, prefix_for, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.registry.models import CrossCheckBatch, CrossCheckMatch

_PREFIX_LENGTHS = (2, 4, 6, 9)


def _enclosing_codes(prefix: str) -> list[str]:
    """Full codes of the divisions above a scope prefix (a county's 4299…, 42…), whose batches may hold its persons."""
    return [prefix[:n].ljust(12, "0") for n in _PREFIX_LENGTHS if n < len(prefix)]


def _batch_q(actor) -> Q:
    """Batches run inside the actor's view scope, or by a level above it (the city's list may match this township)."""
    prefix = prefix_for(actor)
    return code_prefix_q("division_code", prefix) | Q(division_code__in=_enclosing_codes(prefix))


def crosscheck_batch_list(*, actor, kind: str = "") -> QuerySet[CrossCheckBatch]:
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = CrossCheckBatch.objects.filter(_batch_q(actor)).select_related("created_by")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def access_crosscheck_batch(actor, batch_id) -> CrossCheckBatch:
    """One batch whose scope overlaps the actor's view scope, or NotFound."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    try:
        return crosscheck_batch_list(actor=actor).get(pk=batch_id)
    except (CrossCheckBatch.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound() from None


def covers_batch(actor, batch: CrossCheckBatch) -> bool:
    """Whether the actor's view covers the batch's whole scope: only then are its unmatched rows shown."""
    return in_scope(actor, batch.division_code)


def crosscheck_match_list(*, actor, batch: CrossCheckBatch | None = None, state: str = "") -> QuerySet[CrossCheckMatch]:
    """Matches of persons inside the actor's view scope (a township sees its own, even in the city's batch)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = scope_filter(CrossCheckMatch.objects.all(), actor).select_related("batch", "person", "enrolment__household", "request")
    if batch is not None:
        qs = qs.filter(batch=batch)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("batch_id", "row", "id")


def access_crosscheck_match(actor, match_id) -> CrossCheckMatch:
    """One match of a person inside the actor's view scope, or NotFound."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    try:
        return crosscheck_match_list(actor=actor).get(pk=match_id)
    except (CrossCheckMatch.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound() from None


def batch_unmatched_rows(actor, batch: CrossCheckBatch) -> list[dict]:
    """The unmatched rows kept on the batch (department data, ID masked), for actors covering its scope."""
    return list(batch.counts.get("unmatched_rows", [])) if covers_batch(actor, batch) else []


def batch_problem_rows(actor, batch: CrossCheckBatch) -> list[dict]:
    return list(batch.counts.get("problem_rows", [])) if covers_batch(actor, batch) else []


def match_note(batch: CrossCheckBatch, match: CrossCheckMatch) -> dict:
    """Who confirmed or dismissed the match, and why."""
    return (batch.counts.get("notes") or {}).get(str(match.pk), {})
