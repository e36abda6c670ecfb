"""Account lockout after repeated failures (django-axes driven by the live SecurityPolicy) and unlocking."""

from __future__ import annotations

import pytest
from django.test import Client

from anju.accounts.lockout import MSG_LOCKED
from anju.accounts.models import SecurityPolicy
from anju.accounts.selectors import locked_usernames
from anju.core.models import AuditEvent
from anju.web.forms import MSG_BAD_LOGIN

PASSWORD = "Test@2026pass"


def _fail(client, username="clerk", times=1):
    responses = [client.post("/login/", {"username": username, "password": "Wrong@2026pass"}) for _ in range(times)]
    return responses[-1]


def _login(client, username="clerk", password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def _locked_text(minutes=30):
    return str(MSG_LOCKED % {"minutes": minutes})


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="clerk")


def _set_policy(**values):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={**SecurityPolicy.defaults(), **values})


def test_four_failures_do_not_lock(clerk):
    client = Client()
    response = _fail(client, times=4)
    assert response.status_code == 200
    assert str(MSG_BAD_LOGIN) in response.content.decode()
    assert "clerk" not in locked_usernames()
    assert _login(client).status_code == 302
    assert not AuditEvent.objects.filter(action="accounts.login.locked_out").exists()


def test_fifth_failure_locks_by_default(clerk):
    client = Client()
    _fail(client, times=4)
    response = _fail(client)
    assert response.status_code == 403
    assert _locked_text() in response.content.decode()
    assert "clerk" in locked_usernames()
    assert AuditEvent.objects.filter(action="accounts.login.failed", actor_username="clerk").count() == 5
    event = AuditEvent.objects.get(action="accounts.login.locked_out")
    assert event.actor_username == "clerk"
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_locked_account_refuses_the_right_password(clerk):
    client = Client()
    _fail(client, times=5)
    response = _login(client)
    assert response.status_code == 403
    body = response.content.decode()
    assert _locked_text() in body
    # The locked page must not claim the (correct) password was wrong.
    assert str(MSG_BAD_LOGIN) not in body
    assert client.get("/").status_code == 302
    assert not AuditEvent.objects.filter(action="accounts.login.succeeded").exists()
    # One attempt, one failure and one lockout event: rendering the page must not authenticate again.
    assert AuditEvent.objects.filter(action="accounts.login.failed").count() == 6
    assert AuditEvent.objects.filter(action="accounts.login.locked_out").count() == 2


def test_lockout_is_per_username(clerk, make_user):
    make_user("county_clerk", "429922", username="other")
    client = Client()
    _fail(client, times=5)
    assert _login(client, "other").status_code == 302


def test_lockout_threshold_and_duration_come_from_policy(clerk):
    _set_policy(lockout_failures=3, lockout_minutes=15)
    client = Client()
    assert _fail(client, times=2).status_code == 200
    response = _fail(client)
    assert response.status_code == 403
    assert _locked_text(15) in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.login.locked_out").count() == 1
    assert _login(client).status_code == 403


def test_success_resets_failure_count(clerk):
    client = Client()
    _fail(client, times=4)
    assert _login(client).status_code == 302
    client.post("/logout/")
    assert _fail(client, times=4).status_code == 200
    assert _login(client).status_code == 302


def test_secadmin_unlocks_then_login_works(clerk, make_user, login):
    client = Client()
    _fail(client, times=5)
    assert _login(client).status_code == 403

    secadmin = make_user("secadmin", "4299", username="sec")
    admin = login(secadmin)
    page = admin.get("/accounts/security/users/?locked=1")
    assert page.status_code == 200
    assert "clerk" in page.content.decode()

    response = admin.post(f"/accounts/security/users/{clerk.pk}/unlock/")
    assert response.status_code == 302
    assert response.url == "/accounts/security/users/"
    event = AuditEvent.objects.get(action="accounts.user.unlocked")
    assert event.actor_id == secadmin.pk
    assert event.object_id == str(clerk.pk)
    assert event.after["attempts_cleared"] >= 1
    assert "clerk" not in locked_usernames()

    assert _login(client).status_code == 302
    assert client.get("/").status_code == 200


def test_unlock_requires_secadmin(clerk, make_user, login):
    _fail(Client(), times=5)
    sysadmin = make_user("sysadmin", "4299")
    response = login(sysadmin).post(f"/accounts/security/users/{clerk.pk}/unlock/")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="accounts.user.unlocked").exists()
    assert "clerk" in locked_usernames()


def test_unlock_out_of_scope_is_not_found(make_user, login, other_city):
    far = make_user("county_clerk", "429821", username="far")
    _fail(Client(), username="far", times=5)
    secadmin = make_user("secadmin", "4299")
    response = login(secadmin).post(f"/accounts/security/users/{far.pk}/unlock/")
    assert response.status_code == 404
    assert "far" in locked_usernames()
    assert not AuditEvent.objects.filter(action="accounts.user.unlocked").exists()


def test_unlock_requires_post(clerk, make_user, login):
    secadmin = make_user("secadmin", "4299")
    assert login(secadmin).get(f"/accounts/security/users/{clerk.pk}/unlock/").status_code == 405
