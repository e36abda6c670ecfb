"""The login page through the real views: success, failure, inactive accounts, safe redirects, logout."""

from __future__ import annotations

import pytest
from django.test import Client

from anju.core.models import AuditEvent
from anju.web.forms import MSG_BAD_LOGIN

PASSWORD = "Test@2026pass"


def _post_login(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="clerk")


def test_login_page_renders(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_login_success(clerk):
    client = Client()
    response = _post_login(client, "clerk", PASSWORD)
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action="accounts.login.succeeded")
    assert event.actor_id == clerk.pk
    assert event.actor_username == "clerk"
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.channel == "web"
    assert event.division_code == "429921000000"
    clerk.refresh_from_db()
    assert clerk.last_login is not None


def test_login_failure_wrong_password(clerk):
    client = Client()
    response = _post_login(client, "clerk", "Wrong@2026pass")
    assert response.status_code == 200
    assert str(MSG_BAD_LOGIN) in response.content.decode()
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action="accounts.login.failed")
    assert event.outcome == AuditEvent.Outcome.FAILURE
    assert event.actor_id is None
    assert event.actor_username == "clerk"
    assert event.message == "password"
    assert not AuditEvent.objects.filter(action="accounts.login.succeeded").exists()


def test_login_failure_unknown_user(db):
    response = _post_login(Client(), "ghost", PASSWORD)
    assert response.status_code == 200
    assert str(MSG_BAD_LOGIN) in response.content.decode()
    assert AuditEvent.objects.get(action="accounts.login.failed").actor_username == "ghost"


def test_inactive_user_cannot_log_in(clerk):
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    client = Client()
    response = _post_login(client, "clerk", PASSWORD)
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    assert not AuditEvent.objects.filter(action="accounts.login.succeeded").exists()


def test_login_redirects_to_safe_next(clerk):
    response = _post_login(Client(), "clerk", PASSWORD, next="/accounts/me/")
    assert response.status_code == 302
    assert response.url == "/accounts/me/"


def test_login_ignores_offsite_next(clerk):
    response = _post_login(Client(), "clerk", PASSWORD, next="https://evil.example/steal")
    assert response.status_code == 302
    assert response.url == "/"


def test_anonymous_page_redirects_to_login_with_next(db):
    response = Client().get("/accounts/me/")
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=/accounts/me/")


def test_logged_in_user_visiting_login_goes_home(clerk, login):
    response = login(clerk).get("/login/")
    assert response.status_code == 302
    assert response.url == "/"


def test_logout_audits_and_ends_session(clerk, login):
    client = login(clerk)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action="accounts.logout")
    assert event.actor_id == clerk.pk
    assert event.message == "user"


def test_logout_requires_post(clerk, login):
    assert login(clerk).get("/logout/").status_code == 405
