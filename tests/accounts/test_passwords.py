"""Password rules (POLICY.md §4): length from the security policy, three character classes, no common passwords."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from anju.accounts.models import SecurityPolicy, User
from anju.accounts.passwords import MSG_CLASSES, MSG_SAME, MSG_TOO_SHORT, character_classes
from anju.accounts.roles import ROLES
from anju.accounts.services import MSG_WRONG_PASSWORD, password_change, user_create
from anju.core.exceptions import ValidationFailed
from anju.core.models import AuditEvent

GOOD = "Good@2026pass"


def _messages(password, user=None):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize(
    "password,n",
    [("abcdefgh", 1), ("abcDEF12", 3), ("Ab1!", 4), ("12345678", 1), ("中文密码abc1", 2), ("ABCdef!!", 3), ("", 0)],
)
def test_character_classes(password, n):
    assert character_classes(password) == n


@pytest.mark.django_db
def test_too_short_password_rejected():
    msgs = _messages("Ab1!xyz")
    assert str(MSG_TOO_SHORT % {"n": 8}) in msgs


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["abcdefghij", "abcdefgh12", "ABCDEFGH!!", "abcd!@#$%^"])
def test_fewer_than_three_classes_rejected(password):
    assert str(MSG_CLASSES) in _messages(password)


@pytest.mark.django_db
def test_common_password_rejected_even_with_three_classes():
    assert character_classes("P@ssw0rd") == 4
    msgs = _messages("P@ssw0rd")
    assert msgs
    assert str(MSG_CLASSES) not in msgs


@pytest.mark.django_db
@pytest.mark.parametrize("password", [GOOD, "xY7#kq2Lm", "Qingjiang2026x"])
def test_good_password_accepted(password):
    assert _messages(password) == []


@pytest.mark.django_db
def test_policy_min_length_change_takes_effect():
    assert _messages("Xy7#kq2Lm") == []
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "password_min_length": 12})
    assert str(MSG_TOO_SHORT % {"n": 12}) in _messages("Xy7#kq2Lm")
    assert _messages("Xy7#kq2Lm-long") == []


@pytest.mark.django_db
def test_help_texts_follow_policy():
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "password_min_length": 10})
    texts = password_validation.password_validators_help_texts()
    assert str(MSG_TOO_SHORT % {"n": 10}) in texts


@pytest.mark.parametrize(
    "password,msg",
    [("Ab1!", MSG_TOO_SHORT % {"n": 8}), ("abcdefghijk", MSG_CLASSES)],
)
def test_user_create_rejects_weak_password(tree, password, msg):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=None, username="weak", role=ROLES["county_clerk"], entry_scope=tree["429921000000"],
                    password=password)
    assert str(msg) in exc.value.message
    assert exc.value.detail["field"] == "password"
    assert not User.objects.filter(username="weak").exists()


def test_password_similar_to_username_rejected(tree):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=None, username="Zhangwei2026", role=ROLES["county_clerk"], entry_scope=tree["429921000000"],
                    password="Zhangwei2026")
    assert exc.value.detail["field"] == "password"


def test_password_change_wrong_current_password(make_user):
    user = make_user("county_clerk", "429921")
    with pytest.raises(ValidationFailed) as exc:
        password_change(actor=user, current_password="wrong", new_password="New@2026pass")
    assert exc.value.message == str(MSG_WRONG_PASSWORD)
    assert exc.value.detail == {"field": "current_password"}
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.outcome == AuditEvent.Outcome.FAILURE
    assert event.actor_id == user.pk
    user.refresh_from_db()
    assert user.check_password("Test@2026pass")


def test_password_change_same_password_rejected(make_user):
    user = make_user("county_clerk", "429921")
    with pytest.raises(ValidationFailed) as exc:
        password_change(actor=user, current_password="Test@2026pass", new_password="Test@2026pass")
    assert exc.value.message == str(MSG_SAME)
    assert not AuditEvent.objects.filter(action="accounts.password.changed").exists()


def test_password_change_weak_new_password_rejected(make_user):
    user = make_user("county_clerk", "429921")
    with pytest.raises(ValidationFailed) as exc:
        password_change(actor=user, current_password="Test@2026pass", new_password="alllowercase")
    assert str(MSG_CLASSES) in exc.value.message
    assert exc.value.detail["field"] == "password"
    user.refresh_from_db()
    assert user.check_password("Test@2026pass")


def test_password_change_success(make_user):
    user = make_user("county_clerk", "429921")
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    user.refresh_from_db()
    before = user.password_changed_at
    password_change(actor=user, current_password="Test@2026pass", new_password="New@2026pass")
    user.refresh_from_db()
    assert user.check_password("New@2026pass")
    assert user.must_change_password is False
    assert user.password_changed_at > before
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.object_id == str(user.pk)
    assert event.division_code == "429921000000"
