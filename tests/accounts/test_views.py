"""Account pages: own account, user administration (系统管理员) and the security policy (安全管理员)."""

from __future__ import annotations

import pytest

from anju.accounts.models import SecurityPolicy, User
from anju.accounts.passwords import MSG_CLASSES, MSG_TOO_SHORT
from anju.accounts.services import (
    MSG_IT_ROLE_CLI,
    MSG_ROLE_LEVEL,
    MSG_SCOPE_OUTSIDE,
    MSG_SELF,
    MSG_USERNAME_INVALID,
    MSG_USERNAME_TAKEN,
    MSG_VIEW_WIDER,
)
from anju.core.exceptions import PermissionDenied
from anju.core.models import AuditEvent
from anju.divisions.selectors import MSG_CODE_FORMAT, MSG_CODE_UNKNOWN

GOOD = "Good@2026pass"


@pytest.fixture
def sysadmin(make_user):
    return make_user("sysadmin", "4299", username="sys")


@pytest.fixture
def admin_client(sysadmin, login):
    return login(sysadmin)


def _listed(response):
    return {u.username for u in response.context["page"].object_list}


def _new_user(**overrides):
    data = {"username": "newbie", "full_name": "王五", "phone": "", "role": "county_clerk", "entry_scope": "429921",
            "view_scope": "", "password": GOOD}
    data.update(overrides)
    return data


# --- own account ---------------------------------------------------------------------------------

def test_me_page_shows_role_and_permissions(make_user, login):
    clerk = make_user("county_clerk", "429921")
    response = login(clerk).get("/accounts/me/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "县级经办" in body
    assert "查看行政区划" in body


def test_password_page_mismatch_and_weak(make_user, login):
    clerk = make_user("county_clerk", "429921")
    client = login(clerk)
    response = client.post("/accounts/me/password/", {"current_password": "Test@2026pass", "new_password": GOOD,
                                                       "new_password2": GOOD + "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    response = client.post("/accounts/me/password/", {"current_password": "Test@2026pass", "new_password": "short",
                                                       "new_password2": "short"})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert str(MSG_TOO_SHORT % {"n": 8}) in errors
    clerk.refresh_from_db()
    assert clerk.check_password("Test@2026pass")
    assert not AuditEvent.objects.filter(action="accounts.password.changed").exists()


# --- user administration: scope -----------------------------------------------------------------

def test_sysadmin_lists_users_in_own_city_only(sysadmin, admin_client, make_user, other_city):
    make_user("county_clerk", "429921", username="near")
    make_user("township_clerk", "429921101", username="nearer")
    make_user("county_clerk", "429821", username="far")
    response = admin_client.get("/accounts/users/")
    assert response.status_code == 200
    assert _listed(response) == {"sys", "near", "nearer"}
    assert "far" not in response.content.decode()


def test_county_sysadmin_lists_own_county_only(make_user, login):
    county_admin = make_user("sysadmin", "429921", username="countysys")
    make_user("county_clerk", "429921", username="mine")
    make_user("county_clerk", "429922", username="neighbour")
    response = login(county_admin).get("/accounts/users/")
    assert _listed(response) == {"countysys", "mine"}


def test_user_list_filters(sysadmin, admin_client, make_user):
    make_user("county_clerk", "429921", username="alpha", full_name="赵六")
    make_user("township_clerk", "429921101", username="beta")
    assert _listed(admin_client.get("/accounts/users/", {"q": "赵"})) == {"alpha"}
    assert _listed(admin_client.get("/accounts/users/", {"role": "township_clerk"})) == {"beta"}


def test_user_detail_out_of_scope_is_404(admin_client, make_user, other_city):
    far = make_user("county_clerk", "429821")
    assert admin_client.get(f"/accounts/users/{far.pk}/").status_code == 404
    assert admin_client.post(f"/accounts/users/{far.pk}/", _new_user()).status_code == 404
    assert admin_client.get("/accounts/users/999999/").status_code == 404


@pytest.mark.parametrize("role,scope", [("county_clerk", "429921"), ("city_admin", "4299"), ("secadmin", "4299"),
                                        ("auditadmin", "4299")])
def test_non_sysadmin_gets_403_on_user_admin(make_user, login, role, scope):
    actor = make_user(role, scope)
    client = login(actor)
    response = client.get("/accounts/users/")
    assert response.status_code == 403
    assert str(PermissionDenied.default_message) in response.content.decode()
    assert client.get("/accounts/users/new/").status_code == 403
    assert client.post("/accounts/users/new/", _new_user()).status_code == 403
    assert not User.objects.filter(username="newbie").exists()


# --- user administration: create ------------------------------------------------------------------

def test_create_user_via_form(sysadmin, admin_client):
    response = admin_client.post("/accounts/users/new/", _new_user(view_scope="4299"))
    user = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert response.url == f"/accounts/users/{user.pk}/"
    assert user.role == "county_clerk"
    assert user.entry_scope_id == "429921000000" and user.view_scope_id == "429900000000"
    assert user.must_change_password
    assert user.full_name == "王五"
    event = AuditEvent.objects.get(action="accounts.user.created", object_id=str(user.pk))
    assert event.actor_id == sysadmin.pk
    assert event.channel == "web"


def test_create_form_offers_business_roles_only(admin_client):
    choices = {c for c, _label in admin_client.get("/accounts/users/new/").context["form"].fields["role"].choices}
    assert choices.isdisjoint({"sysadmin", "secadmin", "auditadmin"})
    assert "county_clerk" in choices


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditadmin"])
def test_create_form_refuses_it_role(admin_client, role):
    response = admin_client.post("/accounts/users/new/", _new_user(role=role, entry_scope="4299"))
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(username="newbie").exists()


def _field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


@pytest.mark.parametrize(
    "overrides,field,expected",
    [
        ({"entry_scope": "4299x"}, "entry_scope", str(MSG_CODE_FORMAT % {"code": "4299x"})),
        ({"entry_scope": "12345"}, "entry_scope", str(MSG_CODE_FORMAT % {"code": "12345"})),
        ({"entry_scope": "429999"}, "entry_scope", str(MSG_CODE_UNKNOWN % {"code": "429999"})),
        ({"view_scope": "abc"}, "view_scope", str(MSG_CODE_FORMAT % {"code": "abc"})),
        ({"password": "weakpassword"}, "password", str(MSG_CLASSES)),
        ({"password": "Ab1!"}, "password", str(MSG_TOO_SHORT % {"n": 8})),
        ({"view_scope": "429922"}, "view_scope", str(MSG_VIEW_WIDER)),
        ({"username": "a b"}, "username", str(MSG_USERNAME_INVALID)),
    ],
)
def test_create_user_bad_input(admin_client, overrides, field, expected):
    response = admin_client.post("/accounts/users/new/", _new_user(**overrides))
    assert response.status_code == 200
    errors = _field_errors(response, field)
    assert any(expected in e for e in errors), errors
    assert expected in response.content.decode()
    assert not User.objects.filter(username=overrides.get("username", "newbie")).exists()
    assert not AuditEvent.objects.filter(action="accounts.user.created", actor_username="sys").exists()


def test_create_user_role_level_mismatch(admin_client, tree):
    response = admin_client.post("/accounts/users/new/", _new_user(role="township_clerk", entry_scope="429921"))
    assert response.status_code == 200
    errors = _field_errors(response, "entry_scope")
    assert len(errors) == 1
    assert "乡镇经办" in errors[0] and "白云县" in errors[0]
    assert str(MSG_ROLE_LEVEL).split("“")[0] in errors[0]
    assert not User.objects.filter(username="newbie").exists()


def test_create_user_duplicate_username(admin_client, make_user):
    make_user("county_clerk", "429922", username="newbie")
    response = admin_client.post("/accounts/users/new/", _new_user(username="NewBie"))
    assert response.status_code == 200
    assert _field_errors(response, "username") == [str(MSG_USERNAME_TAKEN % {"username": "NewBie"})]
    assert User.objects.filter(username__iexact="newbie").count() == 1


def test_create_user_outside_scope(admin_client, other_city):
    response = admin_client.post("/accounts/users/new/", _new_user(entry_scope="429821"))
    assert response.status_code == 200
    assert _field_errors(response, "entry_scope") == [str(MSG_SCOPE_OUTSIDE)]
    assert not User.objects.filter(username="newbie").exists()


# --- user administration: edit and reset ----------------------------------------------------------

def _edit(target, **overrides):
    data = {"full_name": target.full_name, "phone": target.phone, "role": target.role,
            "entry_scope": target.entry_scope.prefix, "view_scope": target.view_scope.prefix, "is_active": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_user_via_form(sysadmin, admin_client, make_user):
    clerk = make_user("county_clerk", "429921")
    page = admin_client.get(f"/accounts/users/{clerk.pk}/")
    assert page.status_code == 200
    assert page.context["form"].initial["entry_scope"] == "429921"
    response = admin_client.post(f"/accounts/users/{clerk.pk}/", _edit(clerk, full_name="钱七", role="county_reviewer",
                                                                       entry_scope="429922", view_scope=""))
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.full_name == "钱七" and clerk.role == "county_reviewer"
    assert clerk.entry_scope_id == clerk.view_scope_id == "429922000000"
    event = AuditEvent.objects.get(action="accounts.user.updated")
    assert event.after["role"] == "county_reviewer"
    assert event.actor_id == sysadmin.pk


def test_edit_user_deactivate_blocks_login(admin_client, make_user):
    from django.test import Client

    clerk = make_user("county_clerk", "429921", username="clerk")
    response = admin_client.post(f"/accounts/users/{clerk.pk}/", _edit(clerk, is_active=None))
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    client = Client()
    client.post("/login/", {"username": "clerk", "password": "Test@2026pass"})
    assert client.get("/").status_code == 302


def test_edit_username_cannot_change(admin_client, make_user):
    clerk = make_user("county_clerk", "429921", username="clerk")
    admin_client.post(f"/accounts/users/{clerk.pk}/", _edit(clerk, username="renamed"))
    clerk.refresh_from_db()
    assert clerk.username == "clerk"


def test_edit_it_account_is_refused(admin_client, make_user):
    secadmin = make_user("secadmin", "4299")
    response = admin_client.post(f"/accounts/users/{secadmin.pk}/", _edit(secadmin, role="city_clerk", full_name="x"))
    assert response.status_code == 200
    assert str(MSG_IT_ROLE_CLI) in response.content.decode()
    secadmin.refresh_from_db()
    assert secadmin.role == "secadmin"
    assert not AuditEvent.objects.filter(action="accounts.user.updated").exists()


def test_edit_self_deactivation_is_refused(sysadmin, admin_client):
    response = admin_client.post(f"/accounts/users/{sysadmin.pk}/", {"full_name": "", "phone": "", "role": "city_clerk",
                                                                       "entry_scope": "4299", "view_scope": "4299"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(MSG_SELF)]
    sysadmin.refresh_from_db()
    assert sysadmin.is_active and sysadmin.role == "sysadmin"


def test_edit_role_level_error_names_field(admin_client, make_user):
    clerk = make_user("county_clerk", "429921")
    response = admin_client.post(f"/accounts/users/{clerk.pk}/", _edit(clerk, role="city_clerk"))
    assert response.status_code == 200
    assert "市级经办" in " ".join(_field_errors(response, "entry_scope"))
    clerk.refresh_from_db()
    assert clerk.role == "county_clerk"


def test_reset_password_via_page(admin_client, make_user):
    clerk = make_user("county_clerk", "429921")
    response = admin_client.post(f"/accounts/users/{clerk.pk}/password/", {"password": "Temp@2026pass"}, follow=True)
    assert response.status_code == 200
    assert "已重置密码" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password("Temp@2026pass") and clerk.must_change_password
    assert AuditEvent.objects.get(action="accounts.user.password_reset").object_id == str(clerk.pk)


def test_reset_password_weak_shows_message(admin_client, make_user):
    clerk = make_user("county_clerk", "429921")
    response = admin_client.post(f"/accounts/users/{clerk.pk}/password/", {"password": "weakweakweak"}, follow=True)
    assert str(MSG_CLASSES) in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password("Test@2026pass")
    assert not AuditEvent.objects.filter(action="accounts.user.password_reset").exists()


def test_reset_password_out_of_scope_404(admin_client, make_user, other_city):
    far = make_user("county_clerk", "429821")
    assert admin_client.post(f"/accounts/users/{far.pk}/password/", {"password": "Temp@2026pass"}).status_code == 404


# --- security policy (安全管理员) -----------------------------------------------------------------

def _policy_form(**overrides):
    data = {**SecurityPolicy.defaults()}
    data.update(overrides)
    if data.pop("totp_required_for_all", False):
        data["totp_required_for_all"] = "on"
    return data


@pytest.fixture
def sec_client(make_user, login):
    return login(make_user("secadmin", "4299", username="sec"))


def test_security_policy_page_updates_values(sec_client):
    assert sec_client.get("/accounts/security/").status_code == 200
    response = sec_client.post("/accounts/security/", _policy_form(lockout_failures=3, idle_timeout_seconds=300,
                                                                    audit_retention_days=365, totp_required_for_all=True))
    assert response.status_code == 302
    policy = SecurityPolicy.current()
    assert (policy.lockout_failures, policy.idle_timeout_seconds, policy.audit_retention_days) == (3, 300, 365)
    assert policy.totp_required_for_all
    event = AuditEvent.objects.get(action="accounts.security_policy.updated")
    assert event.actor_username == "sec"
    assert event.before["lockout_failures"] == 5 and event.after["lockout_failures"] == 3
    assert "password_min_length" not in event.after  # only changed values


def test_security_policy_retention_below_six_months_rejected(sec_client):
    response = sec_client.post("/accounts/security/", _policy_form(audit_retention_days=183))
    assert response.status_code == 200
    errors = response.context["form"].errors["audit_retention_days"]
    assert errors and "184" in errors[0]
    assert "184" in response.content.decode()
    assert not SecurityPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="accounts.security_policy.updated").exists()


@pytest.mark.parametrize("field,value", [("password_min_length", 7), ("idle_timeout_seconds", 59),
                                         ("lockout_failures", 0),
                                         # weaker than the 等保 baseline
                                         ("idle_timeout_seconds", 601), ("lockout_failures", 6),
                                         ("password_max_age_days", 91), ("audit_retention_days", 3651)])
def test_security_policy_other_floors(sec_client, field, value):
    response = sec_client.post("/accounts/security/", _policy_form(**{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not SecurityPolicy.objects.exists()


def test_security_pages_require_secadmin(sysadmin, admin_client):
    assert admin_client.get("/accounts/security/").status_code == 403
    assert admin_client.post("/accounts/security/", _policy_form(lockout_failures=3)).status_code == 403
    assert admin_client.get("/accounts/security/users/").status_code == 403
    assert not SecurityPolicy.objects.exists()


def test_security_users_page_is_scoped(sec_client, make_user, other_city):
    make_user("county_clerk", "429921", username="near")
    make_user("county_clerk", "429821", username="far")
    response = sec_client.get("/accounts/security/users/")
    names = {u.username for u in response.context["page"].object_list}
    assert "near" in names and "far" not in names


def test_security_users_filter_refuses_nul_with_a_field_error(sec_client):
    response = sec_client.get("/accounts/security/users/", {"q": "a\x00b"})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
