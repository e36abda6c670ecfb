"""Tamper detection: the triggers stop ordinary writers; the HMAC chain catches a DBA who bypasses them.

To play the DBA the tests switch the triggers off (SQLite: DROP TRIGGER; PostgreSQL: ALTER TABLE ...
DISABLE TRIGGER). Both are transactional DDL, undone by the test transaction's rollback (checked below).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError, InternalError, OperationalError, ProgrammingError
from django.utils import timezone

from anju.core.audit import (
    MSG_CHAIN,
    MSG_CHECKPOINT,
    MSG_CONTENT,
    MSG_SEQ_GAP,
    audit_purge,
    audit_record,
    audit_seal,
    audit_verify,
    content_hash,
)
from anju.core.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db

# SQLite RAISE(ABORT) surfaces as IntegrityError; PL/pgSQL RAISE EXCEPTION (P0001) as ProgrammingError.
DB_ERRORS = (IntegrityError, InternalError, OperationalError, ProgrammingError)
SQLITE_TRIGGERS = ["anju_audit_no_update", "anju_audit_no_delete", "anju_checkpoint_no_update", "anju_checkpoint_no_delete"]
PG_TRIGGERS = [("core_auditevent", "anju_audit_guard"), ("core_auditcheckpoint", "anju_checkpoint_guard")]


def _sql(*statements: str) -> None:
    with connection.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def _triggers_off() -> None:
    if connection.vendor == "postgresql":
        _sql(*(f"ALTER TABLE {table} DISABLE TRIGGER {name}" for table, name in PG_TRIGGERS))
    else:
        _sql(*(f"DROP TRIGGER {name}" for name in SQLITE_TRIGGERS))


def _active_triggers() -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'anju_%%' AND tgenabled <> 'D'")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'anju_%'")
        return {row[0] for row in cur.fetchall()}


@pytest.fixture
def triggers_off(db):
    """A DBA bypassing the guards; the test transaction's rollback puts them back."""
    _triggers_off()
    assert not _active_triggers() & _expected()
    yield


def _expected() -> set[str]:
    return {n for _t, n in PG_TRIGGERS} if connection.vendor == "postgresql" else set(SQLITE_TRIGGERS)


@pytest.fixture
def chain(db):
    """Ten sealed events; returns them in seq order."""
    for i in range(10):
        audit_record(actor=None, action="test.event", division_code="429921000000", message=f"第 {i} 条")
    audit_seal()
    return list(AuditEvent.objects.order_by("seq"))


def _old_events(n: int, days: int = 200) -> None:
    base = timezone.now() - timedelta(days=days)
    for i in range(n):
        AuditEvent.objects.create(occurred_at=base + timedelta(minutes=i), action="test.old", message=f"旧 {i}")


# --- the triggers ---------------------------------------------------------------------------------


def test_triggers_are_installed(db):
    assert _expected() <= _active_triggers()


def test_dropping_triggers_is_undone_by_rollback(chain):
    with pytest.raises(RuntimeError), transaction.atomic():
        _triggers_off()
        assert not _active_triggers() & _expected()
        raise RuntimeError("roll back the DDL")
    assert _expected() <= _active_triggers()
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="改")


def test_update_of_sealed_event_is_refused(chain):
    target = chain[4]
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(message="被修改")
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(chain_hash="0" * 64)
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(seq=None)
    fresh = AuditEvent.objects.get(pk=target.pk)
    assert (fresh.message, fresh.seq, fresh.chain_hash) == (target.message, target.seq, target.chain_hash)
    assert audit_verify().ok


def test_delete_of_sealed_event_is_refused(chain):
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[5].pk).delete()
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == len(chain)
    assert audit_verify().ok


def test_unsealed_event_content_cannot_change_and_cannot_be_deleted(db):
    event = audit_record(actor=None, action="test.unsealed", message="原文")
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(message="改写")
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - timedelta(days=400))
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).message == "原文"
    assert audit_seal() >= 1  # the sealer may still fill in seq and the hashes
    assert AuditEvent.objects.get(pk=event.pk).seq is not None


def test_checkpoints_cannot_be_changed_or_deleted(db):
    _old_events(3)
    audit_purge(actor=None)
    cp = AuditCheckpoint.objects.get()
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=cp.pk).update(through_seq=99)
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=cp.pk).delete()
    assert AuditCheckpoint.objects.get().through_seq == cp.through_seq


def test_events_after_the_checkpoint_cannot_be_deleted(db):
    _old_events(3)
    audit_purge(actor=None)
    audit_seal()
    kept = AuditEvent.objects.get(action="audit.purged")
    assert kept.seq == 4
    with pytest.raises(DB_ERRORS), transaction.atomic():
        AuditEvent.objects.filter(pk=kept.pk).delete()
    assert audit_verify().ok


# --- what the chain detects when the triggers are bypassed ------------------------------------------


def test_modified_message_is_reported_as_content_change(chain, triggers_off):
    target = chain[3]
    AuditEvent.objects.filter(pk=target.pk).update(message="金额改为 0")
    result = audit_verify()
    assert not result.ok
    assert (result.first_broken_id, result.first_broken_seq) == (target.id, target.seq)
    assert result.reason == str(MSG_CONTENT)
    assert result.checked == target.seq - 1


@pytest.mark.parametrize("field, value", [
    ("actor_username", "someone_else"),
    ("division_code", "429922000000"),
    ("outcome", "failure"),
    ("after", {"forged": True}),
    ("occurred_at", timezone.now() - timedelta(days=1)),
])
def test_any_content_field_change_is_detected(chain, triggers_off, field, value):
    target = chain[6]
    AuditEvent.objects.filter(pk=target.pk).update(**{field: value})
    result = audit_verify()
    assert (result.ok, result.first_broken_id, result.reason) == (False, target.id, str(MSG_CONTENT))


def test_deleted_middle_event_is_reported_as_gap_at_the_next_event(chain, triggers_off):
    AuditEvent.objects.filter(pk=chain[4].pk).delete()
    result = audit_verify()
    assert not result.ok
    nxt = chain[5]
    assert (result.first_broken_id, result.first_broken_seq) == (nxt.id, nxt.seq)
    assert result.reason == MSG_SEQ_GAP % {"expected": chain[4].seq, "found": nxt.seq}
    assert "缺失" in result.reason


def test_deleted_first_event_is_reported(chain, triggers_off):
    AuditEvent.objects.filter(pk=chain[0].pk).delete()
    result = audit_verify()
    assert (result.ok, result.first_broken_id) == (False, chain[1].id)
    assert result.reason == MSG_SEQ_GAP % {"expected": 1, "found": 2}


def test_recomputed_content_hash_without_the_key_breaks_the_chain(chain, triggers_off):
    target = chain[2]
    AuditEvent.objects.filter(pk=target.pk).update(message="伪造")
    forged = AuditEvent.objects.get(pk=target.pk)
    AuditEvent.objects.filter(pk=target.pk).update(content_hash=content_hash(forged))
    result = audit_verify()
    assert (result.ok, result.first_broken_id, result.first_broken_seq) == (False, target.id, target.seq)
    assert result.reason == str(MSG_CHAIN)


def test_chain_hash_forged_with_a_wrong_key_is_detected(chain, triggers_off):
    target = chain[2]
    AuditEvent.objects.filter(pk=target.pk).update(message="伪造")
    forged = AuditEvent.objects.get(pk=target.pk)
    new_content = content_hash(forged)
    new_chain = hmac.new(b"guessed-key", (chain[1].chain_hash + new_content).encode(), hashlib.sha256).hexdigest()
    AuditEvent.objects.filter(pk=target.pk).update(content_hash=new_content, chain_hash=new_chain)
    result = audit_verify()
    assert (result.ok, result.first_broken_id, result.reason) == (False, target.id, str(MSG_CHAIN))


def test_reordered_events_break_the_chain(chain, triggers_off):
    a, b = chain[3], chain[4]
    AuditEvent.objects.filter(pk=a.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEvent.objects.filter(pk=a.pk).update(seq=b.seq)
    result = audit_verify()
    assert (result.ok, result.first_broken_id, result.first_broken_seq) == (False, b.id, a.seq)
    assert result.reason == str(MSG_CHAIN)


def test_replaced_event_is_detected(chain, triggers_off):
    """A forged row that takes over a deleted event's seq and hashes still fails the content check."""
    victim = chain[7]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    forged = AuditEvent.objects.create(occurred_at=victim.occurred_at, action=victim.action, message="替换",
                                       seq=victim.seq, content_hash=victim.content_hash, chain_hash=victim.chain_hash)
    result = audit_verify()
    assert (result.ok, result.first_broken_id, result.reason) == (False, forged.id, str(MSG_CONTENT))


def test_only_the_first_break_is_named(chain, triggers_off):
    AuditEvent.objects.filter(pk=chain[8].pk).update(message="后")
    AuditEvent.objects.filter(pk=chain[5].pk).update(message="前")
    assert audit_verify().first_broken_id == chain[5].id


# --- checkpoints ----------------------------------------------------------------------------------


@pytest.fixture
def purged(db):
    """Three old events purged behind a checkpoint, then a few current sealed events."""
    _old_events(3)
    audit_purge(actor=None)
    for i in range(3):
        audit_record(actor=None, action="test.event", message=f"新 {i}")
    audit_seal()
    assert audit_verify().ok
    return AuditCheckpoint.objects.get()


def test_modified_checkpoint_is_detected(purged, triggers_off):
    AuditCheckpoint.objects.filter(pk=purged.pk).update(chain_hash="f" * 64)
    result = audit_verify()
    assert not result.ok
    assert result.reason == str(MSG_CHECKPOINT)
    assert result.first_broken_seq == purged.through_seq and result.first_broken_id is None


def test_checkpoint_with_changed_count_is_detected(purged, triggers_off):
    AuditCheckpoint.objects.filter(pk=purged.pk).update(purged_count=0)
    assert audit_verify().reason == str(MSG_CHECKPOINT)


def test_forged_checkpoint_hiding_deleted_events_is_detected(purged):
    """Inserting a checkpoint is enough to let the trigger allow deletes, but its signature gives it away."""
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")[2]
    forged = AuditCheckpoint(through_seq=head.seq, chain_hash=head.chain_hash, purged_count=3,
                             cutoff=timezone.now(), signature="0" * 64)
    forged.save()
    AuditEvent.objects.filter(seq__lte=head.seq).delete()  # the trigger now lets this through
    result = audit_verify()
    assert (result.ok, result.reason, result.first_broken_seq) == (False, str(MSG_CHECKPOINT), head.seq)


def test_deleted_checkpoint_shows_as_a_gap(purged, triggers_off):
    AuditCheckpoint.objects.filter(pk=purged.pk).delete()
    result = audit_verify()
    first = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").first()
    assert (result.ok, result.first_broken_id) == (False, first.id)
    assert result.reason == MSG_SEQ_GAP % {"expected": 1, "found": purged.through_seq + 1}


def test_event_changed_after_a_purge_is_detected(purged, triggers_off):
    target = AuditEvent.objects.get(action="test.event", message="新 1")
    AuditEvent.objects.filter(pk=target.pk).update(message="改")
    result = audit_verify()
    assert (result.first_broken_id, result.reason) == (target.id, str(MSG_CONTENT))
