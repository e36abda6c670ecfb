"""Per-request login security: idle timeout, passive polling, password expiry and forced change."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.accounts.middleware import MSG_EXPIRED, MSG_IDLE, SESSION_LAST_SEEN
from anju.accounts.models import SecurityPolicy, User
from anju.accounts.services import MSG_WRONG_PASSWORD
from anju.core.models import AuditEvent

PASSWORD = "Test@2026pass"
NEW_PASSWORD = "New@2026pass"


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="clerk")


def _set_last_seen(client, seconds_ago):
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - seconds_ago
    session.save()


def test_activity_records_last_seen(clerk, login):
    client = login(clerk)
    assert client.get("/").status_code == 200
    assert abs(client.session[SESSION_LAST_SEEN] - time.time()) < 5


def test_idle_session_is_closed(clerk, login):
    client = login(clerk)
    client.get("/")
    _set_last_seen(client, 601)
    response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response.url == "/login/?next=/accounts/me/"
    event = AuditEvent.objects.get(action="accounts.logout")
    assert event.actor_id == clerk.pk
    assert event.message == "idle_timeout"
    # The login page explains why, and the session really is gone.
    page = client.get(response.url)
    assert page.status_code == 200
    assert str(MSG_IDLE % {"minutes": 10}) in page.content.decode()
    assert client.get("/").status_code == 302


def test_recent_activity_keeps_session(clerk, login):
    client = login(clerk)
    client.get("/")
    _set_last_seen(client, 590)
    assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.logout").exists()


def test_idle_timeout_follows_policy(clerk, login):
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "idle_timeout_seconds": 120})
    client = login(clerk)
    client.get("/")
    _set_last_seen(client, 130)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
    page = client.get(response.url)
    assert str(MSG_IDLE % {"minutes": 2}) in page.content.decode()


def test_idle_session_on_api_gets_json_401(clerk, login):
    client = login(clerk)
    client.get("/")
    _set_last_seen(client, 700)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "session_expired"
    assert body["message"] == str(MSG_IDLE % {"minutes": 10})
    assert AuditEvent.objects.get(action="accounts.logout").message == "idle_timeout"


def test_passive_requests_do_not_refresh_last_seen(clerk, login):
    client = login(clerk)
    client.get("/")
    _set_last_seen(client, 500)
    stamp = client.session[SESSION_LAST_SEEN]
    assert client.get("/", HTTP_X_ANJU_PASSIVE="1").status_code == 200
    assert client.session[SESSION_LAST_SEEN] == stamp
    # So polling alone still lets the session expire.
    _set_last_seen(client, 650)
    response = client.get("/", HTTP_X_ANJU_PASSIVE="1")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
    assert AuditEvent.objects.get(action="accounts.logout").message == "idle_timeout"


def test_active_request_refreshes_last_seen(clerk, login):
    client = login(clerk)
    client.get("/")
    _set_last_seen(client, 500)
    stamp = client.session[SESSION_LAST_SEEN]
    client.get("/")
    assert client.session[SESSION_LAST_SEEN] > stamp + 400


def _age_password(user, days):
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=days))


def test_expired_password_forces_change_then_access_is_restored(clerk, login):
    _age_password(clerk, 91)
    client = login(clerk)
    for path in ("/", "/accounts/me/", "/accounts/me/tokens/", "/divisions/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == "/accounts/me/password/", path
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "action_required"
    assert api.json()["detail"] == {"url": "/accounts/me/password/"}

    page = client.get("/accounts/me/password/")
    assert page.status_code == 200
    followed = client.get("/", follow=True)
    assert str(MSG_EXPIRED) in followed.content.decode()

    response = client.post("/accounts/me/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                       "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/accounts/me/"
    # Changing the password keeps this session logged in.
    assert client.get("/").status_code == 200
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    assert timezone.now() - clerk.password_changed_at < timedelta(minutes=1)
    assert AuditEvent.objects.get(action="accounts.password.changed").outcome == AuditEvent.Outcome.SUCCESS


def test_password_89_days_old_is_still_valid(clerk, login):
    _age_password(clerk, 89)
    assert login(clerk).get("/").status_code == 200


def test_password_max_age_follows_policy(clerk, login):
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "password_max_age_days": 30})
    _age_password(clerk, 31)
    assert login(clerk).get("/").url == "/accounts/me/password/"


def test_must_change_password_forces_change(clerk, login):
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    client = login(clerk)
    assert client.get("/").url == "/accounts/me/password/"
    response = client.post("/accounts/me/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                       "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.must_change_password is False
    assert client.get("/").status_code == 200


def test_forced_change_with_wrong_current_password_stays(clerk, login):
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    client = login(clerk)
    response = client.post("/accounts/me/password/", {"current_password": "Wrong@2026pass", "new_password": NEW_PASSWORD,
                                                       "new_password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert str(MSG_WRONG_PASSWORD) in response.context["form"].errors["current_password"]
    assert client.get("/").url == "/accounts/me/password/"
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_logout_stays_reachable_while_change_is_required(clerk, login):
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    client = login(clerk)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert AuditEvent.objects.get(action="accounts.logout").message == "user"


def test_totp_step_comes_before_password_expiry(make_user):
    from django.test import Client

    admin = make_user("city_admin", "4299")
    _age_password(admin, 100)
    client = Client()
    client.force_login(admin)
    assert client.get("/").url == "/accounts/me/totp/"


def test_unverified_session_of_a_user_with_a_bound_authenticator_is_ended(make_user):
    """A session that skipped the second factor cannot rebind the authenticator: it is logged out."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from anju.accounts.middleware import MSG_RELOGIN
    from anju.core.models import AuditEvent

    user = make_user("city_admin", "4299")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)  # password only, no OTP verification in this session
    response = client.get("/accounts/me/totp/", follow=True)
    assert response.redirect_chain[0][0] == "/login/"
    assert str(MSG_RELOGIN) in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.logout", message="second_factor_missing").exists()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
