"""API tokens: created on the page (secret shown once), used as bearer, revoked, expired, owned."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from anju.accounts.models import APIToken, User
from anju.accounts.services import MSG_TOKEN_DAYS, MSG_TOKEN_NAME, token_authenticate, token_create, token_revoke
from anju.core.exceptions import PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="clerk")


def _bearer(secret):
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _create_on_page(client, name="对账脚本", days=30):
    response = client.post("/accounts/me/tokens/", {"name": name, "days": days})
    assert response.status_code == 200
    match = re.search(r"<code class=\"secret\" data-new-token>([^<]+)</code>", response.content.decode())
    return response, (match.group(1) if match else None)


def test_token_created_on_page_shown_once_and_works(clerk, login):
    client = login(clerk)
    response, secret = _create_on_page(client)
    assert secret and secret.startswith("anju_")
    token = APIToken.objects.get(user=clerk)
    assert token.name == "对账脚本"
    assert secret.split("_")[1] == token.prefix
    assert secret not in token.digest  # only a hash is stored
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    event = AuditEvent.objects.get(action="accounts.token.created")
    assert event.actor_id == clerk.pk
    assert event.after == {"name": "对账脚本", "prefix": token.prefix, "days": 30}

    again = client.get("/accounts/me/tokens/").content.decode()
    assert secret not in again
    assert token.prefix in again

    me = _bearer(secret).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "clerk"
    assert me.json()["role"] == "county_clerk"
    assert "divisions.view" in me.json()["permissions"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_refused(clerk, login):
    client = login(clerk)
    _response, secret = _create_on_page(client)
    token = APIToken.objects.get(user=clerk)
    assert _bearer(secret).get("/api/v1/me").status_code == 200
    response = client.post(f"/accounts/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert response.url == "/accounts/me/tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = _bearer(secret).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
    event = AuditEvent.objects.get(action="accounts.token.revoked")
    assert event.object_id == str(token.pk)
    assert "已吊销" in client.get("/accounts/me/tokens/").content.decode()


def test_revoking_twice_audits_once(clerk):
    token, _secret = token_create(actor=clerk, name="x", days=1)
    token_revoke(actor=clerk, token=token)
    token_revoke(actor=clerk, token=token)
    assert AuditEvent.objects.filter(action="accounts.token.revoked").count() == 1


def test_expired_token_is_refused(clerk):
    token, secret = token_create(actor=clerk, name="x", days=1)
    assert _bearer(secret).get("/api/v1/me").status_code == 200
    APIToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _bearer(secret).get("/api/v1/me").status_code == 401


def test_token_of_deactivated_user_is_refused(clerk):
    _token, secret = token_create(actor=clerk, name="x", days=1)
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert _bearer(secret).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer anju_deadbeef_xyz", "Bearer ", "Token anju_x_y", ""],
)
def test_bad_bearer_is_refused(clerk, header):
    token_create(actor=clerk, name="x", days=1)
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_tampered_secret_with_real_prefix_is_refused(clerk):
    _token, secret = token_create(actor=clerk, name="x", days=1)
    assert token_authenticate(secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")) is None
    assert token_authenticate(secret) == clerk


def test_other_users_token_cannot_be_revoked(clerk, make_user, login):
    other = make_user("county_clerk", "429922", username="other")
    token, secret = token_create(actor=other, name="theirs", days=30)
    response = login(clerk).post(f"/accounts/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert _bearer(secret).get("/api/v1/me").status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.token.revoked").exists()
    # The list shows only one's own tokens.
    assert "theirs" not in login(clerk).get("/accounts/me/tokens/").content.decode()


def test_revoke_requires_post(clerk, login):
    token, _secret = token_create(actor=clerk, name="x", days=1)
    assert login(clerk).get(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 405


@pytest.mark.parametrize("name,days,field", [("", 30, "name"), ("x", 0, "days"), ("x", 366, "days")])
def test_token_page_rejects_bad_input(clerk, login, name, days, field):
    response, secret = _create_on_page(login(clerk), name=name, days=days)
    assert secret is None
    assert response.context["form"].errors[field]
    assert not APIToken.objects.exists()


def test_token_service_messages(clerk):
    with pytest.raises(ValidationFailed) as exc:
        token_create(actor=clerk, name="  ", days=30)
    assert exc.value.message == str(MSG_TOKEN_NAME)
    with pytest.raises(ValidationFailed) as exc:
        token_create(actor=clerk, name="x", days=400)
    assert exc.value.message == str(MSG_TOKEN_DAYS)
    token, _secret = token_create(actor=clerk, name="forever", days=None)
    assert token.expires_at is None and token.is_usable


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditadmin"])
def test_it_roles_get_no_tokens(make_user, role):
    """A bearer token would skip the second factor these roles must use."""
    admin = make_user(role, "4299")
    with pytest.raises(PermissionDenied):
        token_create(actor=admin, name="x", days=30)
    assert not APIToken.objects.exists()


def test_token_api_create_list_revoke(clerk, api):
    client = api(clerk)
    created = client.post("/api/v1/tokens", {"name": "脚本", "days": 7}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith(f"anju_{body['prefix']}_")
    listed = client.get("/api/v1/tokens").json()
    assert {t["name"] for t in listed} == {"test", "脚本"}
    assert all("secret" not in t for t in listed)
    assert _bearer(body["secret"]).delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert _bearer(body["secret"]).get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(action="accounts.token.revoked", object_id=str(body["id"])).count() == 1


def test_token_api_rejects_bad_days(clerk, api):
    response = api(clerk).post("/api/v1/tokens", {"name": "x", "days": 0}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "days" in response.json()["message"]


def test_token_api_other_users_token_is_not_found(clerk, make_user, api):
    other = make_user("county_clerk", "429922")
    token, _secret = token_create(actor=other, name="theirs", days=30)
    response = api(clerk).delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    token.refresh_from_db()
    assert token.revoked_at is None


def test_bearer_token_stops_while_the_password_must_change_or_has_expired(clerk):
    """A token is no way around the password rules: it pauses until its owner signs in and changes it."""
    from datetime import timedelta

    from django.utils import timezone

    _token, secret = token_create(actor=clerk, name="x", days=1)
    assert _bearer(secret).get("/api/v1/me").status_code == 200
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    assert _bearer(secret).get("/api/v1/me").status_code == 401
    User.objects.filter(pk=clerk.pk).update(must_change_password=False, password_changed_at=timezone.now() - timedelta(days=91))
    assert _bearer(secret).get("/api/v1/me").status_code == 401
    User.objects.filter(pk=clerk.pk).update(password_changed_at=timezone.now())
    assert _bearer(secret).get("/api/v1/me").status_code == 200


def test_password_reset_and_totp_reset_revoke_tokens(clerk, make_user):
    from anju.accounts.models import APIToken
    from anju.accounts.services import totp_reset, user_reset_password

    token_create(actor=clerk, name="a", days=1)
    user_reset_password(actor=make_user("sysadmin", "4299"), user=clerk, password="Fresh@2026pass")
    assert not APIToken.objects.filter(user=clerk, revoked_at__isnull=True).exists()
    token_create(actor=clerk, name="b", days=1)
    totp_reset(actor=make_user("secadmin", "4299"), user=clerk)
    assert not APIToken.objects.filter(user=clerk, revoked_at__isnull=True).exists()


def test_token_stops_working_when_the_role_may_no_longer_hold_tokens(make_user, api_token):
    """A token outlives a role change only while the new role may hold tokens (IT roles may not)."""
    from django.test import Client

    from anju.accounts.models import User

    user = make_user("county_clerk", "429921")
    secret = api_token(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=user.pk).update(role="auditadmin")
    assert client.get("/api/v1/me").status_code == 401
