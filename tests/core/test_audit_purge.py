"""Retention purge: remove a sealed prefix older than the retention period behind a signed checkpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.audit import audit_purge, audit_record, audit_seal, audit_verify
from anju.core.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db


def _old_events(n: int, days: int = 200, action: str = "test.old") -> list[AuditEvent]:
    """Events dated in the past. Created directly: the trigger forbids back-dating an existing row."""
    base = timezone.now() - timedelta(days=days)
    return [AuditEvent.objects.create(occurred_at=base + timedelta(minutes=i), action=action, message=f"旧 {i}")
            for i in range(n)]


def _new_events(n: int) -> list[AuditEvent]:
    return [audit_record(actor=None, action="test.new", message=f"新 {i}") for i in range(n)]


def test_purge_removes_old_events_and_leaves_a_checkpoint():
    _old_events(5)
    _new_events(3)
    audit_seal()
    last_old = AuditEvent.objects.filter(action="test.old").order_by("-seq").first()
    assert last_old.seq == 5

    before = timezone.now()
    result = audit_purge(actor=None)

    assert (result.purged, result.through_seq) == (5, 5)
    assert before - timedelta(days=184) <= result.cutoff <= timezone.now() - timedelta(days=184)
    assert not AuditEvent.objects.filter(action="test.old").exists()
    assert AuditEvent.objects.filter(action="test.new").count() == 3

    cp = AuditCheckpoint.objects.get()
    assert (cp.through_seq, cp.chain_hash, cp.purged_count) == (5, last_old.chain_hash, 5)
    assert cp.cutoff == result.cutoff
    assert len(cp.signature) == 64

    verified = audit_verify()
    assert verified.ok, verified.reason
    assert verified.checked == 3 and verified.unsealed == 1  # the audit.purged event waits for the sealer


def test_purge_is_audited_and_the_chain_continues():
    _old_events(4)
    _new_events(2)
    audit_seal()
    result = audit_purge(actor=None)
    event = AuditEvent.objects.get(action="audit.purged")
    assert event.object_type == "audit_checkpoint" and event.object_id == "4"
    assert event.after["purged"] == 4 and event.after["through_seq"] == 4
    assert event.after["retention_days"] == 184
    assert event.after["cutoff"].startswith(result.cutoff.isoformat()[:19])

    assert audit_seal() == 1
    event.refresh_from_db()
    assert event.seq == 7
    assert audit_verify().ok


def test_second_purge_later_still_verifies():
    _old_events(3)
    _new_events(2)
    audit_seal()
    audit_purge(actor=None)
    audit_seal()

    # Months later: everything sealed so far is past retention.
    later = timezone.now() + timedelta(days=200)
    remaining = AuditEvent.objects.count()
    result = audit_purge(actor=None, now=later)
    assert result.purged == remaining
    assert result.through_seq == 3 + remaining
    cps = list(AuditCheckpoint.objects.order_by("through_seq"))
    assert [c.through_seq for c in cps] == [3, 3 + remaining]
    assert cps[1].purged_count == remaining
    assert AuditEvent.objects.filter(seq__isnull=False).count() == 0

    assert audit_verify().ok
    audit_seal()  # the second audit.purged event starts after the checkpoint
    assert AuditEvent.objects.get(seq__isnull=False).seq == result.through_seq + 1
    _new_events(2)
    audit_seal()
    verified = audit_verify()
    assert verified.ok and verified.checked == 3


def test_nothing_to_purge_writes_no_checkpoint():
    _new_events(3)
    audit_seal()
    result = audit_purge(actor=None)
    assert (result.purged, result.through_seq) == (0, 0)
    assert not AuditCheckpoint.objects.exists()
    assert AuditEvent.objects.filter(action="test.new").count() == 3
    event = AuditEvent.objects.get(action="audit.purged")
    assert event.after["purged"] == 0
    audit_seal()
    assert audit_verify().ok


def test_purge_twice_in_a_row_removes_nothing_more():
    _old_events(2)
    audit_purge(actor=None)
    result = audit_purge(actor=None)
    assert result.purged == 0
    assert AuditCheckpoint.objects.count() == 1
    audit_seal()
    assert audit_verify().ok


def test_unsealed_old_events_are_sealed_then_purged():
    _old_events(3)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 3
    result = audit_purge(actor=None)
    assert result.purged == 3
    assert not AuditEvent.objects.filter(action="test.old").exists()


def test_only_a_prefix_of_the_chain_is_removed():
    """An old event sealed after a recent one stays, so the rest of the chain still verifies."""
    _old_events(2)
    _new_events(1)
    straggler = _old_events(1, days=300, action="test.straggler")[0]
    audit_seal()
    result = audit_purge(actor=None)
    assert result.purged == 2 and result.through_seq == 2
    assert AuditEvent.objects.filter(pk=straggler.pk).exists()
    audit_seal()
    assert audit_verify().ok


def test_events_exactly_at_the_cutoff_are_kept():
    now = timezone.now()
    AuditEvent.objects.create(occurred_at=now - timedelta(days=184, seconds=1), action="test.old")
    AuditEvent.objects.create(occurred_at=now - timedelta(days=184), action="test.edge")
    result = audit_purge(actor=None, now=now)
    assert result.purged == 1
    assert AuditEvent.objects.filter(action="test.edge").exists()


def test_retention_comes_from_the_security_policy(request):
    _old_events(3, days=400, action="test.ancient")
    _old_events(2, days=200)
    make_user = request.getfixturevalue("make_user")  # users (and their events) after the old ones
    from anju.accounts.services import security_policy_update

    secadmin = make_user("secadmin", "4299")
    security_policy_update(actor=secadmin, audit_retention_days=365)
    result = audit_purge(actor=None)
    assert result.purged == 3
    assert not AuditEvent.objects.filter(action="test.ancient").exists()
    assert AuditEvent.objects.filter(action="test.old").count() == 2
    assert AuditEvent.objects.get(action="audit.purged").after["retention_days"] == 365
    audit_seal()
    assert audit_verify().ok


@pytest.mark.parametrize("days", [0, 30, 183])
def test_retention_below_184_days_is_refused(make_user, days):
    from anju.accounts.models import SecurityPolicy
    from anju.accounts.services import security_policy_update
    from anju.core.exceptions import ValidationFailed

    secadmin = make_user("secadmin", "4299")
    with pytest.raises(ValidationFailed) as exc:
        security_policy_update(actor=secadmin, audit_retention_days=days)
    assert exc.value.detail["field"] == "audit_retention_days"
    assert "审计日志保存期" in exc.value.message
    assert SecurityPolicy.current().audit_retention_days == 184


def test_default_retention_never_drops_below_184(settings):
    from anju.accounts.models import SecurityPolicy

    settings.ANJU_AUDIT_RETENTION_DAYS = 30
    assert SecurityPolicy.defaults()["audit_retention_days"] == 184


def test_purge_job_by_the_audit_administrator(request):
    from anju.core.jobs import job_execute, job_submit
    from anju.core.models import Job

    _old_events(4)
    make_user = request.getfixturevalue("make_user")
    admin = make_user("auditadmin", "4299")
    job = job_submit(actor=admin, kind="audit.purge")
    job = job_execute(job.pk)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["purged"] == 4 and job.result["through_seq"] == 4
    assert job.progress == 100
    purged = AuditEvent.objects.get(action="audit.purged")
    assert purged.actor_id == admin.pk and purged.actor_username == admin.username
    audit_seal()
    assert audit_verify().ok


def test_purge_job_is_refused_to_other_roles(make_user):
    from anju.core.exceptions import PermissionDenied
    from anju.core.jobs import job_submit

    for role, scope in [("sysadmin", "4299"), ("secadmin", "4299"), ("city_admin", "4299")]:
        with pytest.raises(PermissionDenied):
            job_submit(actor=make_user(role, scope), kind="audit.purge")
