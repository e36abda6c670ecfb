"""Housekeeping: sealing what a lost race left unsealed, and the retention purge, from the loop and the CLI."""

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from anju.cli import main
from anju.core.audit import audit_verify
from anju.core.housekeeping import housekeeping_once, run_housekeeping
from anju.core.jobs import job_create_inline
from anju.core.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


def _old_event(days: int) -> AuditEvent:
    return AuditEvent.objects.create(occurred_at=timezone.now() - timedelta(days=days), action="test.old", actor_username="x")


def test_once_seals_and_purges_by_retention():
    _old_event(400)
    _old_event(300)
    recent = AuditEvent.objects.create(occurred_at=timezone.now(), action="test.recent", actor_username="x")
    result = housekeeping_once()
    assert result.sealed == 3
    assert result.purged == 2
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert not AuditEvent.objects.filter(action="test.old").exists()
    assert AuditEvent.objects.filter(action="audit.purged", actor_username="(cli)").exists()
    assert audit_verify().ok


def test_loop_seals_each_round_and_purges_only_when_due(monkeypatch):
    # The loop closes stale connections between rounds; here that would close the test's transaction.
    monkeypatch.setattr("anju.core.housekeeping.close_old_connections", lambda: None)
    _old_event(400)
    rounds = {"n": 0}

    class OneRoundThenStop(threading.Event):
        def wait(self, timeout=None):
            rounds["n"] += 1
            return rounds["n"] > 1

    run_housekeeping(OneRoundThenStop(), seal_every=1, purge_every=3600)
    assert rounds["n"] == 2
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="test.old").exists(), "purge not due after one short round"


def test_cli_once():
    _old_event(400)
    result = CliRunner().invoke(main, ["housekeeping", "--once"])
    assert result.exit_code == 0, result.output
    assert "清理 1 条" in result.output


def test_cli_jobs_list_and_run(tree):
    job = job_create_inline(actor=None, kind="audit.purge")
    runner = CliRunner()
    listed = runner.invoke(main, ["jobs", "list"])
    assert listed.exit_code == 0 and str(job.pk) in listed.output
    ran = runner.invoke(main, ["jobs", "run", str(job.pk)])
    assert ran.exit_code == 0, ran.output
    assert Job.objects.get(pk=job.pk).state == Job.State.SUCCEEDED
    again = runner.invoke(main, ["jobs", "run", str(job.pk)])
    assert again.exit_code == 2
    assert "只能运行排队中的任务" in again.output
    missing = runner.invoke(main, ["jobs", "run", "not-a-uuid"])
    assert missing.exit_code == 2
    assert "不存在" in missing.output


def test_loop_purges_when_due(monkeypatch):
    monkeypatch.setattr("anju.core.housekeeping.close_old_connections", lambda: None)
    _old_event(400)
    calls = iter([False, True])

    class Once(threading.Event):
        def wait(self, timeout=None):
            return next(calls)

    run_housekeeping(Once(), seal_every=10, purge_every=10)
    assert not AuditEvent.objects.filter(action="test.old").exists()
    assert audit_verify().ok
