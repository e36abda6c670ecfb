"""`anju audit verify | seal | purge` and `anju worker --batch` through click's CliRunner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.db import connection
from django.utils import timezone

from anju.cli import main
from anju.core.audit import audit_record, audit_seal
from anju.core.context import RequestMeta, reset_meta, set_meta
from anju.core.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _restore_meta():
    """The CLI sets the request meta to channel=cli for the rest of the process; undo that after each test."""
    token = set_meta(RequestMeta(channel="cli"))
    yield
    reset_meta(token)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _tamper(event: AuditEvent) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER anju_audit_guard")
        else:
            cur.execute("DROP TRIGGER anju_audit_no_update")
    AuditEvent.objects.filter(pk=event.pk).update(message="篡改")


def test_seal_then_verify():
    for i in range(4):
        audit_record(actor=None, action="test.cli", message=str(i))
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "审计日志完整：已校验 0 条已封存事件，4 条待封存。" in result.output

    result = run("audit", "seal")
    assert result.exit_code == 0 and "已封存 4 条事件。" in result.output
    assert run("audit", "seal").output.strip() == "已封存 0 条事件。"

    result = run("audit", "verify")
    assert result.exit_code == 0
    assert "审计日志完整：已校验 4 条已封存事件，0 条待封存。" in result.output


def test_verify_names_the_tampered_event():
    for i in range(5):
        audit_record(actor=None, action="test.cli", message=str(i))
    audit_seal()
    victim = AuditEvent.objects.get(seq=3)
    _tamper(victim)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert f"id={victim.id} 序号=3" in result.stderr
    assert "审计日志被篡改" in result.stderr and "可能被修改" in result.stderr
    assert result.stdout == ""


def test_purge():
    base = timezone.now() - timedelta(days=300)
    for i in range(3):
        AuditEvent.objects.create(occurred_at=base + timedelta(minutes=i), action="test.old")
    audit_record(actor=None, action="test.new")
    result = run("audit", "purge")
    assert result.exit_code == 0, result.output
    assert re.search(r"已清理 3 条 \d{4}-\d\d-\d\d \d\d:\d\d 之前的事件（至序号 3）。", result.output)
    assert AuditCheckpoint.objects.get().through_seq == 3
    assert AuditEvent.objects.filter(action="test.new").exists()
    purged = AuditEvent.objects.get(action="audit.purged")
    assert purged.actor_id is None and purged.channel == "cli" and purged.ip == "cli"

    assert "已封存 1 条事件。" in run("audit", "seal").output
    result = run("audit", "verify")
    assert result.exit_code == 0 and "已校验 2 条已封存事件" in result.output
    result = run("audit", "purge")
    assert result.exit_code == 0 and "已清理 0 条" in result.output


def test_audit_help_lists_the_commands():
    result = run("audit", "--help")
    assert result.exit_code == 0
    for name in ("verify", "seal", "purge"):
        assert name in result.output


def test_purge_shows_the_cutoff_in_local_time():
    if timezone.localtime().utcoffset() == timedelta(0):
        pytest.skip("local time is UTC here")
    result = run("audit", "purge")
    cutoff = timezone.localtime(timezone.now() - timedelta(days=184))
    assert f"{cutoff:%Y-%m-%d %H}:" in result.output
