"""Verification sign-off: county then city, by the right roles and scopes; locked snapshots never change."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Program, Verification, VerificationChange, VerificationEntry
from anju.registry.services import verification as svc

from .verification_data import COUNTY, actors, base_roster, events_2025, locked


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def draft(tree, people):
    base_roster()
    return svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)


def test_county_then_city_sign_off_locks(draft, people):
    v = svc.verification_sign_county(actor=people["reviewer"], verification=draft)
    assert (v.state, v.county_signed_by) == (Verification.State.COUNTY_SIGNED, people["reviewer"]) and v.county_signed_at
    v = svc.verification_sign_city(actor=people["city"], verification=v)
    assert (v.state, v.city_signed_by) == (Verification.State.LOCKED, people["city"]) and v.city_signed_at
    actions = list(AuditEvent.objects.filter(object_type="verification", object_id=str(v.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["registry.verification.run", "registry.verification.county_signed", "registry.verification.locked"]


def test_sign_off_order(draft, people):
    with pytest.raises(Conflict) as exc:
        svc.verification_sign_city(actor=people["city"], verification=draft)
    assert exc.value.message == str(svc.MSG_SIGN_CITY_STATE)
    svc.verification_sign_county(actor=people["reviewer"], verification=draft)
    with pytest.raises(Conflict) as exc:
        svc.verification_sign_county(actor=people["reviewer"], verification=draft)
    assert exc.value.message == str(svc.MSG_SIGN_COUNTY_STATE)


def test_roles_and_scopes_of_signers(draft, people):
    for who in ("township", "clerk", "city_clerk"):  # no VERIFICATION_SIGN
        with pytest.raises(PermissionDenied):
            svc.verification_sign_county(actor=people[who], verification=draft)
    with pytest.raises(NotFound):  # another county's reviewer: as if it did not exist
        svc.verification_sign_county(actor=people["other_reviewer"], verification=draft)
    with pytest.raises(PermissionDenied) as exc:  # a city signer cannot sign for the county
        svc.verification_sign_county(actor=people["city"], verification=draft)
    assert (exc.value.code, exc.value.message) == ("verification_level", str(svc.MSG_COUNTY_LEVEL))
    svc.verification_sign_county(actor=people["reviewer"], verification=draft)
    with pytest.raises(PermissionDenied) as exc:  # the county reviewer cannot city-sign
        svc.verification_sign_city(actor=people["reviewer"], verification=draft)
    assert exc.value.message == str(svc.MSG_CITY_LEVEL)
    with pytest.raises(PermissionDenied):
        svc.verification_reopen(actor=people["reviewer"], verification=draft, reason="x")
    assert Verification.objects.get(pk=draft.pk).state == Verification.State.COUNTY_SIGNED


def test_city_sends_back_with_a_reason_and_county_reruns(draft, people):
    svc.verification_sign_county(actor=people["reviewer"], verification=draft)
    with pytest.raises(ValidationFailed) as exc:
        svc.verification_reopen(actor=people["city"], verification=draft, reason="  ")
    assert (exc.value.message, exc.value.detail) == (str(svc.MSG_REASON_REQUIRED), {"field": "reason"})
    v = svc.verification_reopen(actor=people["city"], verification=draft, reason="第三组人数有误")
    assert (v.state, v.county_signed_by, v.county_signed_at) == (Verification.State.DRAFT, None, None)
    assert v.counts["reopened"]["reason"] == "第三组人数有误"
    event = AuditEvent.objects.get(action="registry.verification.reopened")
    assert event.after == {"state": "draft", "reason": "第三组人数有误"}
    rerun = svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    assert rerun.pk == v.pk and rerun.state == Verification.State.DRAFT
    assert rerun.counts["reopened"]["reason"] == "第三组人数有误" and rerun.counts["total"] == 6


def test_locked_verification_refuses_every_service(draft, people):
    svc.verification_sign_county(actor=people["reviewer"], verification=draft)
    svc.verification_sign_city(actor=people["city"], verification=draft)
    for call in (lambda: svc.verification_sign_county(actor=people["reviewer"], verification=draft),
                 lambda: svc.verification_sign_city(actor=people["city"], verification=draft),
                 lambda: svc.verification_reopen(actor=people["city"], verification=draft, reason="x"),
                 lambda: svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)):
        with pytest.raises(Conflict):
            call()
    assert Verification.objects.get(pk=draft.pk).state == Verification.State.LOCKED


def _refused(statement) -> None:
    with pytest.raises((DatabaseError, IntegrityError)) as exc, transaction.atomic():
        statement()
    assert svc.GUARD_MESSAGE in str(exc.value)


def test_database_guard_keeps_locked_snapshots_immutable(tree, people):
    from django.db import connection

    svc.install_verification_guard(connection)
    svc.install_verification_guard(connection)  # idempotent
    places = base_roster()
    last = locked(people, 2024)  # built and signed with the guard in place
    events_2025(places, people["clerk"])
    v = svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    v = svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)  # a draft may be rebuilt
    assert VerificationChange.objects.filter(verification=v).count() == 6
    entry = VerificationEntry.objects.filter(verification=last).first()
    _refused(lambda: VerificationEntry.objects.filter(pk=entry.pk).update(name="改"))
    _refused(lambda: VerificationEntry.objects.filter(verification=last).delete())
    if connection.vendor == "postgresql":  # SQLite guards new entries through the services only (a row trigger would double the copy)
        _refused(lambda: VerificationEntry.objects.create(**{**{f.attname: getattr(entry, f.attname) for f in entry._meta.fields}, "id": None}))
    _refused(lambda: Verification.objects.filter(pk=last.pk).update(state="draft"))
    _refused(lambda: connection.cursor().execute("DELETE FROM registry_verification WHERE id = %s", [last.pk]))
    change = VerificationChange.objects.filter(verification=v).first()
    _refused(lambda: VerificationChange.objects.create(verification=last, kind="added", enrolment_id=1, division_code="x", name="x",
                                                       id_masked="x"))
    VerificationChange.objects.filter(pk=change.pk).update(reason="草稿可改")  # a draft's rows are not guarded
    assert VerificationEntry.objects.filter(verification=last).count() == 6
    svc.remove_verification_guard(connection)
    Verification.objects.filter(pk=last.pk).update(counts={})  # without the guard only the services refuse
