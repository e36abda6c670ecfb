"""The audit log: record events in the caller's transaction, seal them into an HMAC chain, verify, purge."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.context import current_meta
from anju.core.models import AuditCheckpoint, AuditEvent

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x616E6A75  # "anju": advisory lock that serialises sealers (never writers)

MSG_SEQ_GAP = gettext_lazy("序号 %(expected)s 至 %(found)s 之前的事件缺失（可能被删除）")
MSG_CONTENT = gettext_lazy("事件内容与封存时的哈希不符（可能被修改）")
MSG_CHAIN = gettext_lazy("链哈希不符（事件被替换或重排）")
MSG_CHECKPOINT = gettext_lazy("清理检查点签名无效（检查点被伪造或修改）")


def _json_safe(value: Any) -> Any:
    """Round-trip through DjangoJSONEncoder so dates and decimals are stored, and hashed, as text."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def audit_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    division_code: str = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    before: Any = None,
    after: Any = None,
    message: str = "",
    username: str | None = None,
) -> AuditEvent:
    """Write one audit event inside the caller's transaction; it is sealed after commit.

    `actor` may be None (anonymous, e.g. a failed login); `username` then says who was claimed.
    """
    meta = current_meta()
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    event = AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=actor if is_user else None,
        actor_username=(actor.get_username() if is_user else (username or _system_name(meta.channel)))[:150],
        actor_role=getattr(actor, "role", "") if is_user else "",
        ip=meta.ip,
        channel=meta.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id or "")[:64],
        division_code=division_code or "",
        outcome=outcome,
        before=_json_safe(before),
        after=_json_safe(after),
        message=str(message)[:500],
    )
    if not any(entry[1] is _seal_quietly for entry in connection.run_on_commit):
        transaction.on_commit(_seal_quietly)  # once per transaction, however many events it writes
    return event


def _system_name(channel: str) -> str:
    """Who acted when no user did: the server operator at the CLI, or a job without an owner."""
    return f"({channel})" if channel in ("cli", "job") else ""


def _seal_quietly() -> None:
    try:
        audit_seal()
    except Exception:  # sealing is retried by the next commit or `anju audit seal`; never fail a request
        logger.exception("audit sealing failed; it will be retried")


def _key() -> bytes:
    return settings.ANJU_AUDIT_KEY.encode()


def content_hash(event: AuditEvent) -> str:
    occurred = event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = [
        event.id, occurred, event.actor_id, event.actor_username, event.actor_role, event.ip, event.channel,
        event.action, event.object_type, event.object_id, event.division_code, event.outcome,
        event.before, event.after, event.message,
    ]
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def chain_hash(prev: str, content: str) -> str:
    return hmac.new(_key(), (prev + content).encode(), hashlib.sha256).hexdigest()


def _checkpoint_signature(cp: AuditCheckpoint) -> str:
    raw = f"{cp.through_seq}|{cp.chain_hash}|{cp.purged_count}|{cp.cutoff.astimezone(UTC).isoformat()}"
    return hmac.new(_key(), raw.encode(), hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: the IMMEDIATE transaction already holds the single write lock.


def _chain_head() -> tuple[int, str]:
    last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "chain_hash").first()
    if last:
        return last
    cp = AuditCheckpoint.objects.order_by("-through_seq").first()
    return (cp.through_seq, cp.chain_hash) if cp else (0, GENESIS)


def audit_seal(*, batch_size: int = 2000) -> int:
    """Seal committed, unsealed events in id order. Returns how many were sealed."""
    total = 0
    while True:
        with transaction.atomic():
            _lock_chain()
            rows = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch_size])
            if not rows:
                return total
            seq, prev = _chain_head()
            for event in rows:
                seq += 1
                event.seq = seq
                event.content_hash = content_hash(event)
                event.chain_hash = prev = chain_hash(prev, event.content_hash)
            AuditEvent.objects.bulk_update(rows, ["seq", "content_hash", "chain_hash"], batch_size=500)
        total += len(rows)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    unsealed: int
    first_broken_id: int | None = None
    first_broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def audit_verify(*, progress: Callable[[int, str], None] | None = None) -> VerifyResult:
    """Walk the chain from the latest checkpoint; name the first event that does not fit."""
    cp = AuditCheckpoint.objects.order_by("-through_seq").first()
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    if cp and not hmac.compare_digest(cp.signature, _checkpoint_signature(cp)):
        return VerifyResult(False, 0, unsealed, None, cp.through_seq, str(MSG_CHECKPOINT))
    prev_seq, prev_hash = (cp.through_seq, cp.chain_hash) if cp else (0, GENESIS)
    sealed = AuditEvent.objects.filter(seq__gt=prev_seq).order_by("seq")
    total = sealed.count() or 1
    checked = 0
    for event in sealed.iterator(chunk_size=2000):
        if event.seq != prev_seq + 1:
            reason = str(MSG_SEQ_GAP % {"expected": prev_seq + 1, "found": event.seq})
            return VerifyResult(False, checked, unsealed, event.id, event.seq, reason)
        if not hmac.compare_digest(event.content_hash, content_hash(event)):
            return VerifyResult(False, checked, unsealed, event.id, event.seq, str(MSG_CONTENT))
        if not hmac.compare_digest(event.chain_hash, chain_hash(prev_hash, event.content_hash)):
            return VerifyResult(False, checked, unsealed, event.id, event.seq, str(MSG_CHAIN))
        prev_seq, prev_hash = event.seq, event.chain_hash
        checked += 1
        if progress and checked % 5000 == 0:
            progress(min(99, checked * 100 // total), _("已校验 %(n)s 条") % {"n": checked})
    return VerifyResult(True, checked, unsealed)


@dataclass
class PurgeResult:
    purged: int
    through_seq: int
    cutoff: datetime


def audit_purge(*, actor, now: datetime | None = None) -> PurgeResult:
    """Remove sealed events older than the retention period, leaving a signed checkpoint.

    Only a prefix of the chain (by seq) is removed, so what remains still verifies from the checkpoint.
    """
    from anju.accounts.models import SecurityPolicy

    now = now or timezone.now()
    days = SecurityPolicy.current().audit_retention_days
    cutoff = now - timedelta(days=days)
    audit_seal()
    with transaction.atomic():
        _lock_chain()
        first_kept = AuditEvent.objects.filter(seq__isnull=False, occurred_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        candidates = AuditEvent.objects.filter(seq__isnull=False)
        if first_kept is not None:
            candidates = candidates.filter(seq__lt=first_kept)
        last = candidates.order_by("-seq").values_list("seq", "chain_hash").first()
        purged = 0
        through = 0
        if last:
            through, head = last
            prior = AuditCheckpoint.objects.order_by("-through_seq").values_list("through_seq", flat=True).first() or 0
            purged = AuditEvent.objects.filter(seq__gt=prior, seq__lte=through).count()
            cp = AuditCheckpoint(through_seq=through, chain_hash=head, purged_count=purged, cutoff=cutoff, signature="")
            cp.signature = _checkpoint_signature(cp)
            cp.save()
            AuditEvent.objects.filter(seq__lte=through).delete()
        audit_record(
            actor=actor, action="audit.purged", object_type="audit_checkpoint", object_id=through,
            after={"purged": purged, "through_seq": through, "cutoff": cutoff, "retention_days": days},
        )
    return PurgeResult(purged=purged, through_seq=through, cutoff=cutoff)


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys that changed, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
