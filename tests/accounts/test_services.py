"""Account services: create, update, reset, unlock, TOTP reset, security policy; each audits itself."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from anju.accounts.models import SecurityPolicy, User
from anju.accounts.roles import ROLES
from anju.accounts.services import (
    MSG_IT_ROLE_CLI,
    MSG_SCOPE_OUTSIDE,
    MSG_SELF,
    MSG_USERNAME_INVALID,
    MSG_USERNAME_TAKEN,
    MSG_VIEW_WIDER,
    assignable_roles,
    operator_set_password,
    security_policy_update,
    totp_reset,
    user_create,
    user_reset_password,
    user_update,
)
from anju.core.exceptions import AuthenticationRequired, Conflict, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent

GOOD = "Good@2026pass"


def _events(action):
    return AuditEvent.objects.filter(action=action)


@pytest.fixture
def sysadmin(make_user):
    return make_user("sysadmin", "4299", username="sys")


def test_user_create_by_operator_writes_audit(tree):
    user = user_create(actor=None, username="alice", role=ROLES["county_clerk"], entry_scope=tree["429921000000"],
                       view_scope=tree["429900000000"], password=GOOD, full_name=" 张三 ", phone=" 13800000000 ")
    user.refresh_from_db()
    assert user.full_name == "张三" and user.phone == "13800000000"
    assert user.view_scope_id == "429900000000" and user.entry_scope_id == "429921000000"
    assert user.must_change_password is True
    assert user.password_changed_at is not None
    assert user.check_password(GOOD)
    event = _events("accounts.user.created").get()
    assert event.actor_id is None
    assert event.object_id == str(user.pk)
    assert event.division_code == "429921000000"
    assert event.after["username"] == "alice" and event.after["role"] == "county_clerk"


@pytest.mark.parametrize("username", ["ab", "has space", "a/b", "a;b", "x" * 151, "  "])
def test_user_create_rejects_bad_username(tree, username):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=None, username=username, role=ROLES["county_clerk"], entry_scope=tree["429921000000"], password=GOOD)
    assert exc.value.message == str(MSG_USERNAME_INVALID)
    assert exc.value.detail == {"field": "username"}
    assert not _events("accounts.user.created").exists()


def test_user_create_accepts_unicode_letters_like_django(tree):
    user = user_create(actor=None, username="张三_01", role=ROLES["county_clerk"], entry_scope=tree["429921000000"],
                       password=GOOD)
    assert user.username == "张三_01"


def test_user_create_duplicate_username_is_conflict_case_insensitive(make_user, tree):
    make_user("county_clerk", "429921", username="alice")
    with pytest.raises(Conflict) as exc:
        user_create(actor=None, username="ALICE", role=ROLES["county_clerk"], entry_scope=tree["429922000000"], password=GOOD)
    assert exc.value.message == str(MSG_USERNAME_TAKEN % {"username": "ALICE"})
    assert exc.value.status == 409
    assert User.objects.filter(username__iexact="alice").count() == 1
    assert _events("accounts.user.created").count() == 1


def test_user_create_view_scope_must_contain_entry(tree):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=None, username="alice", role=ROLES["county_clerk"], entry_scope=tree["429921000000"],
                    view_scope=tree["429922000000"], password=GOOD)
    assert exc.value.message == str(MSG_VIEW_WIDER)


def test_sysadmin_creates_business_user_in_scope(sysadmin, tree):
    user = user_create(actor=sysadmin, username="bob", role=ROLES["township_clerk"], entry_scope=tree["429921101000"],
                       password=GOOD)
    event = _events("accounts.user.created").get(object_id=str(user.pk))
    assert event.actor_id == sysadmin.pk
    assert event.actor_role == "sysadmin"


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditadmin"])
def test_sysadmin_cannot_create_it_roles(sysadmin, tree, role):
    with pytest.raises(PermissionDenied) as exc:
        user_create(actor=sysadmin, username="it2", role=ROLES[role], entry_scope=tree["429900000000"], password=GOOD)
    assert exc.value.message == str(MSG_IT_ROLE_CLI)
    assert not User.objects.filter(username="it2").exists()


def test_sysadmin_cannot_create_user_outside_scope(sysadmin, other_city):
    from anju.divisions.models import Division

    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=sysadmin, username="far", role=ROLES["county_clerk"],
                    entry_scope=Division.objects.get(code="429821000000"), password=GOOD)
    assert exc.value.message == str(MSG_SCOPE_OUTSIDE)
    assert not User.objects.filter(username="far").exists()


def test_county_sysadmin_cannot_give_wider_view_scope(make_user, tree):
    county_admin = make_user("sysadmin", "429921")
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=county_admin, username="wide", role=ROLES["county_clerk"], entry_scope=tree["429921000000"],
                    view_scope=tree["429900000000"], password=GOOD)
    assert exc.value.message == str(MSG_SCOPE_OUTSIDE)


@pytest.mark.parametrize("role", ["county_clerk", "city_admin", "secadmin", "auditadmin"])
def test_non_sysadmin_cannot_create_users(make_user, tree, role):
    actor = make_user(role, "4299" if role != "county_clerk" else "429921")
    with pytest.raises(PermissionDenied):
        user_create(actor=actor, username="nobody", role=ROLES["county_clerk"], entry_scope=tree["429921000000"], password=GOOD)


def test_assignable_roles_are_business_roles_only():
    codes = {r.code for r in assignable_roles()}
    assert codes == set(ROLES) - {"sysadmin", "secadmin", "auditadmin"}


def test_user_update_changes_and_audits_diff(sysadmin, make_user, tree):
    user = make_user("county_clerk", "429921")
    user_update(actor=sysadmin, user=user, full_name="李四", role=ROLES["county_reviewer"], entry_scope=tree["429922000000"])
    user.refresh_from_db()
    assert user.full_name == "李四" and user.role == "county_reviewer"
    assert user.entry_scope_id == user.view_scope_id == "429922000000"
    event = _events("accounts.user.updated").get()
    assert event.before == {"full_name": "", "role": "county_clerk", "entry_scope": "429921000000",
                            "view_scope": "429921000000"}
    assert event.after["role"] == "county_reviewer"
    assert event.actor_id == sysadmin.pk


def test_user_update_deactivate(sysadmin, make_user):
    user = make_user("county_clerk", "429921")
    user_update(actor=sysadmin, user=user, is_active=False)
    user.refresh_from_db()
    assert not user.is_active
    assert user.perms == frozenset()
    assert _events("accounts.user.updated").get().after == {"is_active": False}


def test_user_update_role_level_checked(sysadmin, make_user):
    user = make_user("county_clerk", "429921")
    with pytest.raises(ValidationFailed) as exc:
        user_update(actor=sysadmin, user=user, role=ROLES["township_clerk"])
    assert exc.value.detail == {"field": "entry_scope"}
    user.refresh_from_db()
    assert user.role == "county_clerk"
    assert not _events("accounts.user.updated").exists()


def test_user_update_cannot_promote_to_it_role(sysadmin, make_user):
    user = make_user("county_clerk", "429921")
    with pytest.raises(PermissionDenied) as exc:
        user_update(actor=sysadmin, user=user, role=ROLES["secadmin"])
    assert exc.value.message == str(MSG_IT_ROLE_CLI)


def test_user_update_cannot_touch_it_accounts(sysadmin, make_user):
    other = make_user("auditadmin", "4299")
    with pytest.raises(PermissionDenied) as exc:
        user_update(actor=sysadmin, user=other, full_name="x")
    assert exc.value.message == str(MSG_IT_ROLE_CLI)


@pytest.mark.parametrize("change", [{"is_active": False}, {"entry_scope": "429921000000"}])
def test_user_cannot_change_own_role_scope_or_active(sysadmin, tree, change):
    if "entry_scope" in change:
        change = {"entry_scope": tree[change["entry_scope"]]}
    with pytest.raises(PermissionDenied) as exc:
        user_update(actor=sysadmin, user=sysadmin, **change)
    assert exc.value.message == str(MSG_SELF)


def test_user_reset_password_forces_change(sysadmin, make_user):
    user = make_user("county_clerk", "429921")
    user_reset_password(actor=sysadmin, user=user, password="Temp@2026pass")
    user.refresh_from_db()
    assert user.check_password("Temp@2026pass")
    assert user.must_change_password
    assert _events("accounts.user.password_reset").get().object_id == str(user.pk)


def test_user_reset_password_rules(sysadmin, make_user):
    user = make_user("county_clerk", "429921")
    with pytest.raises(ValidationFailed):
        user_reset_password(actor=sysadmin, user=user, password="weak")
    it = make_user("secadmin", "4299")
    with pytest.raises(PermissionDenied):
        user_reset_password(actor=sysadmin, user=it, password="Temp@2026pass")
    assert not _events("accounts.user.password_reset").exists()


def test_operator_set_password(make_user):
    user = make_user("sysadmin", "4299")
    operator_set_password(user=user, password="Oper@2026pass")
    user.refresh_from_db()
    assert user.check_password("Oper@2026pass")
    event = _events("accounts.user.password_reset").get()
    assert event.actor_username == "(cli)"


def test_totp_reset_requires_secadmin(make_user, sysadmin):
    user = make_user("city_admin", "4299")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    with pytest.raises(PermissionDenied):
        totp_reset(actor=sysadmin, user=user)
    secadmin = make_user("secadmin", "4299")
    totp_reset(actor=secadmin, user=user)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert _events("accounts.totp.reset").get().after == {"devices_removed": 1, "tokens_revoked": 0}


def test_security_policy_update(make_user):
    secadmin = make_user("secadmin", "4299")
    policy = security_policy_update(actor=secadmin, lockout_failures=3, idle_timeout_seconds=300)
    assert SecurityPolicy.current().lockout_failures == 3
    assert policy.idle_timeout_seconds == 300
    event = _events("accounts.security_policy.updated").get()
    assert event.before == {"lockout_failures": 5, "idle_timeout_seconds": 600}
    assert event.after == {"lockout_failures": 3, "idle_timeout_seconds": 300}


@pytest.mark.parametrize(
    "field,value,label",
    [("audit_retention_days", 183, "审计日志保存期（天）"), ("password_min_length", 6, "密码最小长度"),
     ("idle_timeout_seconds", 30, "空闲超时（秒）")],
)
def test_security_policy_update_rejects_below_baseline(make_user, field, value, label):
    secadmin = make_user("secadmin", "4299")
    with pytest.raises(ValidationFailed) as exc:
        security_policy_update(actor=secadmin, **{field: value})
    assert exc.value.message.startswith(f"{label}：")
    assert exc.value.detail["field"] == field
    assert not SecurityPolicy.objects.exists()
    assert not _events("accounts.security_policy.updated").exists()


def test_security_policy_update_requires_secadmin(sysadmin):
    with pytest.raises(PermissionDenied):
        security_policy_update(actor=sysadmin, lockout_failures=3)
    with pytest.raises(AuthenticationRequired):
        security_policy_update(actor=None, lockout_failures=3)


def test_usernames_are_unique_regardless_of_case_even_when_the_check_is_raced(make_user, monkeypatch):
    """The database index decides when two creates race past the exists() check (PostgreSQL does not serialise them)."""
    from django.db.models import QuerySet

    from anju.accounts.roles import ROLES
    from anju.accounts.services import MSG_USERNAME_TAKEN, user_create
    from anju.core.exceptions import Conflict
    from anju.divisions.models import Division

    make_user("county_clerk", "429921", username="Zhang")
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)  # as if the other create had not committed yet
    with pytest.raises(Conflict) as caught:
        user_create(actor=None, username="zhang", role=ROLES["county_clerk"],
                    entry_scope=Division.objects.get(code="429921000000"), password="Good@2026pass")
    assert caught.value.message == str(MSG_USERNAME_TAKEN % {"username": "zhang"})
    monkeypatch.undo()
    assert User.objects.filter(username__iexact="zhang").count() == 1
