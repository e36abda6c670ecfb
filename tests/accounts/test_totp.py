"""Second factor: the /login/totp/ step, forced enrolment for roles that need TOTP, and reset by 安全管理员."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from anju.accounts.lockout import MSG_LOCKED
from anju.accounts.middleware import MSG_ENROL
from anju.accounts.models import SecurityPolicy
from anju.accounts.services import MSG_TOTP_BAD, MSG_TOTP_NONE, totp_confirm
from anju.core.exceptions import ValidationFailed
from anju.core.models import AuditEvent

PASSWORD = "Test@2026pass"
MSG_STEP_BAD = "验证码不正确或已过期"  # inline in anju.web.views.login_totp_view


def token_for(key: bytes, steps_ahead: int = 0) -> str:
    """The code an authenticator shows now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(key, step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def wrong_for(key: bytes) -> str:
    valid = {token_for(key, s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def _password_step(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


@pytest.fixture
def admin(make_user):
    """A 市级管理员 with a confirmed authenticator."""
    user = make_user("city_admin", "4299", username="cityadmin")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def _device(user):
    return TOTPDevice.objects.get(user=user, confirmed=True)


def test_password_alone_does_not_log_in_a_user_with_totp(admin):
    client = Client()
    response = _password_step(client, "cityadmin")
    assert response.status_code == 302
    assert response.url == "/login/totp/"
    assert client.get("/").status_code == 302
    assert client.get("/accounts/me/").url.startswith("/login/")
    assert not AuditEvent.objects.filter(action="accounts.login.succeeded").exists()
    page = client.get("/login/totp/")
    assert page.status_code == 200


def test_totp_step_with_valid_code_logs_in(admin):
    client = Client()
    _password_step(client, "cityadmin")
    response = client.post("/login/totp/", {"token": token_for(_device(admin).bin_key)})
    assert response.status_code == 302
    assert response.url == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user.is_verified()
    event = AuditEvent.objects.get(action="accounts.login.succeeded")
    assert event.actor_id == admin.pk


def test_totp_step_keeps_next(admin):
    client = Client()
    client.post("/login/", {"username": "cityadmin", "password": PASSWORD, "next": "/accounts/me/"})
    response = client.post("/login/totp/", {"token": token_for(_device(admin).bin_key)})
    assert response.url == "/accounts/me/"


def test_totp_step_rejects_wrong_code(admin):
    client = Client()
    _password_step(client, "cityadmin")
    response = client.post("/login/totp/", {"token": wrong_for(_device(admin).bin_key)})
    assert response.status_code == 200
    assert MSG_STEP_BAD in response.content.decode()
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action="accounts.login.failed")
    assert event.actor_username == "cityadmin"
    assert event.message == "totp"
    assert not AuditEvent.objects.filter(action="accounts.login.succeeded").exists()


def test_totp_step_rejects_non_numeric_code(admin):
    client = Client()
    _password_step(client, "cityadmin")
    response = client.post("/login/totp/", {"token": "abcdef"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_totp_step_repeated_failures_lock_the_account(admin):
    """Wrong codes count as failed logins, so guessing the second factor locks the account like a password."""
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "lockout_failures": 3})
    client = Client()
    _password_step(client, "cityadmin")
    key = _device(admin).bin_key
    bad = wrong_for(key)
    for _ in range(2):
        assert client.post("/login/totp/", {"token": bad}).status_code == 200
    response = client.post("/login/totp/", {"token": bad})
    assert response.status_code == 403
    assert str(MSG_LOCKED % {"minutes": 30}) in response.content.decode()
    # The pending login is gone: the right code no longer helps without the password again...
    assert client.get("/login/totp/").url == "/login/"
    assert client.get("/").status_code == 302
    # ...and the password step is locked too.
    assert _password_step(Client(), "cityadmin").status_code == 403
    assert AuditEvent.objects.filter(action="accounts.login.failed", message="totp").count() == 3
    assert AuditEvent.objects.filter(action="accounts.login.locked_out", actor_username="cityadmin").exists()
    assert not AuditEvent.objects.filter(action="accounts.login.succeeded").exists()


def test_totp_step_without_pending_login_goes_to_login(db):
    response = Client().get("/login/totp/")
    assert response.status_code == 302
    assert response.url == "/login/"


def test_voluntary_device_also_requires_the_step(make_user):
    clerk = make_user("county_clerk", "429921", username="clerk")
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    client = Client()
    assert _password_step(client, "clerk").url == "/login/totp/"


def _enrol_page_secret(response) -> bytes:
    body = response.content.decode()
    match = re.search(r'<code class="secret" data-secret>([A-Z2-7 ]+)</code>', body)
    assert match, "secret not shown"
    return base64.b32decode(match.group(1).replace(" ", ""))


def test_city_admin_without_device_is_forced_to_enrol_then_can_work(make_user):
    user = make_user("city_admin", "4299", username="cityadmin")
    client = Client()
    response = _password_step(client, "cityadmin")  # no device yet: the password logs in...
    assert response.status_code == 302
    # ...but every page sends them to the enrolment page until an authenticator is bound.
    for path in ("/", "/accounts/me/", "/accounts/me/tokens/", "/divisions/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == "/accounts/me/totp/", path
    followed = client.get("/", follow=True)
    assert str(MSG_ENROL) in followed.content.decode()
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "action_required"
    assert api.json()["message"] == str(MSG_ENROL)

    page = client.get("/accounts/me/totp/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    key = _enrol_page_secret(page)
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    assert pending.bin_key == key

    response = client.post("/accounts/me/totp/", {"token": token_for(key)})
    assert response.status_code == 302
    assert response.url == "/accounts/me/"
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    event = AuditEvent.objects.get(action="accounts.totp.enrolled")
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.actor_id == user.pk
    assert client.get("/").status_code == 200

    # Next time the password alone is not enough.
    client.post("/logout/")
    other = Client()
    assert _password_step(other, "cityadmin").url == "/login/totp/"
    response = other.post("/login/totp/", {"token": token_for(key, steps_ahead=1)})
    assert response.url == "/"
    assert other.get("/").status_code == 200


def test_enrolment_rejects_wrong_code(make_user):
    user = make_user("city_admin", "4299", username="cityadmin")
    client = Client()
    client.force_login(user)
    key = _enrol_page_secret(client.get("/accounts/me/totp/"))
    response = client.post("/accounts/me/totp/", {"token": wrong_for(key)})
    assert response.status_code == 200
    body = response.content.decode()
    assert str(MSG_TOTP_BAD) in body
    # The same pending secret stays on the page so the user can retry.
    assert _enrol_page_secret(response) == key
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get("/").url == "/accounts/me/totp/"
    event = AuditEvent.objects.get(action="accounts.totp.enrolled")
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_each_enrolment_page_view_starts_a_fresh_secret(make_user):
    user = make_user("city_admin", "4299")
    client = Client()
    client.force_login(user)
    first = _enrol_page_secret(client.get("/accounts/me/totp/"))
    second = _enrol_page_secret(client.get("/accounts/me/totp/"))
    assert first != second
    assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1


def test_re_enrolment_replaces_the_old_device(admin, login):
    client = login(admin)
    old = _device(admin)
    key = _enrol_page_secret(client.get("/accounts/me/totp/"))
    assert client.post("/accounts/me/totp/", {"token": token_for(key)}).status_code == 302
    devices = TOTPDevice.objects.filter(user=admin)
    assert devices.count() == 1
    assert devices.get().pk != old.pk


def test_totp_confirm_without_begin(make_user):
    user = make_user("city_admin", "4299")
    with pytest.raises(ValidationFailed) as exc:
        totp_confirm(actor=user, token="123456")
    assert exc.value.message == str(MSG_TOTP_NONE)


def test_totp_required_for_all_policy_forces_business_roles(make_user):
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "totp_required_for_all": True})
    clerk = make_user("county_clerk", "429921", username="clerk")
    client = Client()
    client.force_login(clerk)
    assert client.get("/").url == "/accounts/me/totp/"


def test_business_role_without_device_is_not_forced(make_user, login):
    clerk = make_user("county_clerk", "429921")
    assert login(clerk).get("/").status_code == 200


def test_secadmin_totp_reset_removes_devices(admin, make_user, login):
    secadmin = make_user("secadmin", "4299", username="sec")
    client = login(secadmin)
    page = client.get("/accounts/security/users/")
    assert page.status_code == 200
    assert "cityadmin" in page.content.decode()

    response = client.post(f"/accounts/security/users/{admin.pk}/totp-reset/")
    assert response.status_code == 302
    assert response.url == "/accounts/security/users/"
    assert not TOTPDevice.objects.filter(user=admin).exists()
    event = AuditEvent.objects.get(action="accounts.totp.reset")
    assert event.actor_id == secadmin.pk
    assert event.object_id == str(admin.pk)
    assert event.after == {"devices_removed": 1, "tokens_revoked": 0}

    # The admin now logs in with the password and must enrol again.
    other = Client()
    assert _password_step(other, "cityadmin").url == "/"
    assert other.get("/").url == "/accounts/me/totp/"


def test_totp_reset_requires_secadmin(admin, make_user, login):
    sysadmin = make_user("sysadmin", "4299")
    response = login(sysadmin).post(f"/accounts/security/users/{admin.pk}/totp-reset/")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert not AuditEvent.objects.filter(action="accounts.totp.reset").exists()


def test_totp_reset_out_of_scope_is_not_found(make_user, login, other_city):
    far = make_user("county_clerk", "429821")
    TOTPDevice.objects.create(user=far, name="phone", confirmed=True)
    secadmin = make_user("secadmin", "4299")
    response = login(secadmin).post(f"/accounts/security/users/{far.pk}/totp-reset/")
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=far).exists()
