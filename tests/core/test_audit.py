"""The audit log: events written in the caller's transaction, sealed into an HMAC chain, verified."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from anju.core.audit import (
    GENESIS,
    audit_diff,
    audit_record,
    audit_seal,
    audit_verify,
    chain_hash,
    content_hash,
)
from anju.core.context import RequestMeta, reset_meta, set_meta
from anju.core.models import AuditEvent

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _events(n: int, action: str = "test.event", **kw) -> list[AuditEvent]:
    return [audit_record(actor=None, action=action, message=f"事件 {i}", **kw) for i in range(n)]


# --- same transaction ----------------------------------------------------------------------------


def test_event_rolls_back_with_the_callers_transaction(make_user):
    from anju.accounts.models import APIToken
    from anju.accounts.services import token_create

    user = make_user("county_clerk", "429921")
    before = AuditEvent.objects.count()
    with pytest.raises(Boom), transaction.atomic():
        token, _secret = token_create(actor=user, name="回滚", days=30)
        # Inside the transaction the event is there, next to the change it describes.
        assert AuditEvent.objects.filter(action="accounts.token.created", object_id=str(token.pk)).exists()
        raise Boom
    assert not APIToken.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action="accounts.token.created").exists()
    assert AuditEvent.objects.count() == before


def test_event_committed_with_the_change(make_user):
    from anju.accounts.services import token_create

    user = make_user("county_clerk", "429921")
    with transaction.atomic():
        token, _secret = token_create(actor=user, name="保留", days=30)
    event = AuditEvent.objects.get(action="accounts.token.created", object_id=str(token.pk))
    assert event.actor_id == user.pk
    assert event.actor_username == user.username
    assert event.actor_role == "county_clerk"
    assert event.division_code == "429921000000"
    assert event.object_type == "api_token"
    assert event.after["name"] == "保留"
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.seq is None  # sealed only after commit


def test_event_records_request_meta_and_claimed_username():
    token = set_meta(RequestMeta(ip="10.1.2.3", channel="api"))
    try:
        event = audit_record(actor=None, username="nobody", action="accounts.login.failed", outcome="failure",
                             message="x" * 600, object_id=12345)
    finally:
        reset_meta(token)
    event.refresh_from_db()
    assert (event.ip, event.channel) == ("10.1.2.3", "api")
    assert event.actor_id is None and event.actor_username == "nobody"
    assert event.object_id == "12345"
    assert len(event.message) == 500


def test_sealing_runs_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        event = audit_record(actor=None, action="test.committed")
        assert AuditEvent.objects.get(pk=event.pk).seq is None
    assert callbacks
    event.refresh_from_db()
    assert event.seq is not None and len(event.chain_hash) == 64
    assert audit_verify().ok


def test_sealing_failure_after_commit_never_raises(monkeypatch, caplog, django_capture_on_commit_callbacks):
    import anju.core.audit as audit_module

    def broken(**kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_module, "audit_seal", broken)
    with caplog.at_level(logging.ERROR, logger="anju.core.audit"), \
            django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = audit_record(actor=None, action="test.committed")
    assert "audit sealing failed" in caplog.text
    event.refresh_from_db()
    assert event.seq is None  # retried by the next commit or `anju audit seal`
    monkeypatch.undo()
    assert audit_seal() >= 1
    event.refresh_from_db()
    assert event.seq is not None


# --- seal and verify -----------------------------------------------------------------------------


def test_seal_builds_a_contiguous_hmac_chain():
    _events(5)
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    result = audit_verify()
    assert result.ok and result.unsealed == unsealed and result.checked == 0

    assert audit_seal() == unsealed
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, unsealed + 1))
    assert [e.id for e in events] == sorted(e.id for e in events)  # sealed in id order
    prev = GENESIS
    for e in events:
        assert e.content_hash == content_hash(e)
        assert e.chain_hash == chain_hash(prev, e.content_hash)
        prev = e.chain_hash

    result = audit_verify()
    assert result.ok
    assert (result.checked, result.unsealed, result.first_broken_id, result.reason) == (unsealed, 0, None, "")


def test_sealing_is_idempotent():
    _events(3)
    audit_seal()
    snapshot = list(AuditEvent.objects.order_by("seq").values_list("id", "seq", "content_hash", "chain_hash"))
    assert audit_seal() == 0
    assert audit_seal(batch_size=1) == 0
    assert list(AuditEvent.objects.order_by("seq").values_list("id", "seq", "content_hash", "chain_hash")) == snapshot
    assert audit_verify().ok


def test_chain_continues_across_seals():
    _events(2)
    first = audit_seal()
    head = AuditEvent.objects.order_by("-seq").first()
    later = _events(2, action="test.later")
    assert audit_seal() == 2
    sealed = [AuditEvent.objects.get(pk=e.pk) for e in later]
    assert [e.seq for e in sealed] == [first + 1, first + 2]
    assert sealed[0].chain_hash == chain_hash(head.chain_hash, sealed[0].content_hash)
    result = audit_verify()
    assert result.ok and result.checked == first + 2


def test_interleaved_writes_sealed_in_small_batches_still_verify():
    total = 0
    for round_ in range(4):
        _events(3 + round_, action=f"test.round{round_}")
        total += audit_seal(batch_size=2)
        _events(1, action="test.between")  # written between seals, sealed next time
    total += audit_seal(batch_size=3)
    result = audit_verify()
    assert result.ok and result.unsealed == 0
    assert result.checked == total == AuditEvent.objects.count()
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))


def test_seal_in_batches_equals_seal_at_once():
    _events(7)
    assert audit_seal(batch_size=2) == AuditEvent.objects.count()
    assert audit_verify().ok


def test_verify_reports_progress(monkeypatch):
    _events(3)
    audit_seal()
    calls = []
    result = audit_verify(progress=lambda p, m: calls.append((p, m)))
    assert result.ok and calls == []  # progress is reported every 5000 events
    assert result.as_dict()["ok"] is True


def test_before_after_with_dates_decimals_and_chinese_verify_after_reload():
    audit_record(actor=None, action="test.values", object_type="thing", object_id="7", division_code="429921000000",
                 before={"金额": Decimal("12.50"), "日期": date(2026, 1, 31), "名单": ["张三", "李四"], "n": 1.5},
                 after={"金额": Decimal("13.00"), "日期": None, "嵌套": {"b": 2, "a": 1}})
    event = AuditEvent.objects.get(action="test.values")
    assert event.before == {"金额": "12.50", "日期": "2026-01-31", "名单": ["张三", "李四"], "n": 1.5}
    audit_seal()
    result = audit_verify()
    assert result.ok, result.reason


def test_audit_diff_keeps_only_changed_keys():
    before = {"a": 1, "b": 2, "c": 3}
    assert audit_diff(before, {"a": 1, "b": 5, "d": 4}) == ({"b": 2, "d": None}, {"b": 5, "d": 4})
    assert audit_diff(before, dict(before)) == ({}, {})
