"""Account API: /me, user administration (scoped, business roles only) and its error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from anju.accounts.api import MSG_ROLE
from anju.accounts.models import User
from anju.accounts.passwords import MSG_CLASSES
from anju.accounts.services import MSG_IT_ROLE_CLI, MSG_SCOPE_OUTSIDE, MSG_USERNAME_TAKEN
from anju.core.exceptions import NotFound, PermissionDenied
from anju.core.models import AuditEvent
from anju.divisions.selectors import MSG_CODE_FORMAT, MSG_CODE_UNKNOWN

GOOD = "Good@2026pass"


@pytest.fixture
def sysadmin(make_user):
    return make_user("sysadmin", "4299", username="sys")


@pytest.fixture
def admin_api(sysadmin, login):
    """IT roles hold no API tokens (their second factor must not be bypassed): they use the verified session."""
    return login(sysadmin)


def _post(client, payload):
    return client.post("/api/v1/users", payload, content_type="application/json")


def _patch(client, user_id, payload):
    return client.patch(f"/api/v1/users/{user_id}", payload, content_type="application/json")


def _payload(**overrides):
    data = {"username": "apiuser", "password": GOOD, "role": "county_clerk", "entry_scope": "429921"}
    data.update(overrides)
    return data


def _assert_error(response, status, code, message=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    if message is not None:
        assert body["message"] == str(message)
    return body


def test_me_with_token(make_user, api):
    clerk = make_user("county_clerk", "429921", username="clerk", full_name="张三")
    body = api(clerk).get("/api/v1/me").json()
    assert body["username"] == "clerk"
    assert body["full_name"] == "张三"
    assert body["role_name"] == "县级经办"
    assert body["entry_scope"] == body["view_scope"] == "429921000000"
    assert body["permissions"] == sorted(clerk.perms)


def test_anonymous_gets_401(db):
    _assert_error(Client().get("/api/v1/me"), 401, "unauthenticated")
    _assert_error(Client().get("/api/v1/users"), 401, "unauthenticated")


def test_user_list_is_scoped(admin_api, make_user, other_city):
    make_user("county_clerk", "429921", username="near")
    make_user("county_clerk", "429821", username="far")
    response = admin_api.get("/api/v1/users")
    assert response.status_code == 200
    names = {u["username"] for u in response.json()["items"]}
    assert names == {"sys", "near"}
    filtered = admin_api.get("/api/v1/users", {"division": "429921"}).json()["items"]
    assert [u["username"] for u in filtered] == ["near"]


def test_user_get_out_of_scope_is_404(admin_api, make_user, other_city):
    near = make_user("county_clerk", "429921", username="near")
    far = make_user("county_clerk", "429821", username="far")
    assert admin_api.get(f"/api/v1/users/{near.pk}").json()["username"] == "near"
    _assert_error(admin_api.get(f"/api/v1/users/{far.pk}"), 404, "not_found", NotFound.default_message)
    _assert_error(admin_api.get("/api/v1/users/999999"), 404, "not_found")


def test_business_role_gets_403_on_user_admin(make_user, api):
    clerk = make_user("county_clerk", "429921")
    client = api(clerk)
    _assert_error(client.get("/api/v1/users"), 403, "forbidden", PermissionDenied.default_message)
    _assert_error(client.get(f"/api/v1/users/{clerk.pk}"), 403, "forbidden")
    _assert_error(_post(client, _payload()), 403, "forbidden")
    _assert_error(_patch(client, clerk.pk, {"full_name": "x"}), 403, "forbidden")
    assert not User.objects.filter(username="apiuser").exists()


def test_create_user(admin_api, sysadmin):
    response = _post(admin_api, _payload(full_name="孙八", view_scope="4299"))
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "apiuser"
    assert body["entry_scope"] == "429921000000" and body["view_scope"] == "429900000000"
    user = User.objects.get(username="apiuser")
    assert user.check_password(GOOD) and user.must_change_password
    event = AuditEvent.objects.get(action="accounts.user.created", object_id=str(user.pk))
    assert event.actor_id == sysadmin.pk
    assert event.channel == "api"


def test_create_duplicate_username_is_409(admin_api, make_user):
    make_user("county_clerk", "429922", username="apiuser")
    body = _assert_error(_post(admin_api, _payload(username="APIUSER")), 409, "conflict",
                         MSG_USERNAME_TAKEN % {"username": "APIUSER"})
    assert body["detail"] == {"field": "username"}
    assert User.objects.filter(username__iexact="apiuser").count() == 1


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"entry_scope": "42992"}, "entry_scope", "entry_scope：" + str(MSG_CODE_FORMAT % {"code": "42992"})),
        ({"entry_scope": "429999"}, "entry_scope", "entry_scope：" + str(MSG_CODE_UNKNOWN % {"code": "429999"})),
        ({"view_scope": "x"}, "view_scope", "view_scope：" + str(MSG_CODE_FORMAT % {"code": "x"})),
        ({"role": "boss"}, "role", str(MSG_ROLE % {"role": "boss"})),
        ({"password": "weakpassword"}, "password", None),
        ({"role": "township_clerk"}, "entry_scope", None),
    ],
)
def test_create_bad_input_is_422_naming_the_field(admin_api, overrides, field, message):
    body = _assert_error(_post(admin_api, _payload(**overrides)), 422, "invalid", message)
    assert body["detail"]["field"] == field
    if field == "password":
        assert str(MSG_CLASSES) in body["message"]
    assert not User.objects.filter(username="apiuser").exists()


def test_create_schema_errors_name_the_field(admin_api):
    body = _assert_error(_post(admin_api, {"username": "ab", "password": GOOD, "role": "county_clerk"}), 422, "invalid")
    assert "username" in body["message"] and "entry_scope" in body["message"]
    assert body["message"].startswith("输入有误：")
    assert not User.objects.filter(username="ab").exists()


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditadmin"])
def test_create_it_role_is_refused(admin_api, role):
    _assert_error(_post(admin_api, _payload(role=role, entry_scope="4299")), 403, "forbidden", MSG_IT_ROLE_CLI)
    assert not User.objects.filter(username="apiuser").exists()


def test_create_outside_scope_is_refused(admin_api, other_city):
    body = _assert_error(_post(admin_api, _payload(entry_scope="429821")), 422, "invalid", MSG_SCOPE_OUTSIDE)
    assert body["detail"] == {"field": "entry_scope"}
    assert not User.objects.filter(username="apiuser").exists()


def test_patch_user(admin_api, sysadmin, make_user):
    clerk = make_user("county_clerk", "429921")
    response = _patch(admin_api, clerk.pk, {"full_name": "周九", "role": "county_reviewer"})
    assert response.status_code == 200
    assert response.json()["role"] == "county_reviewer"
    clerk.refresh_from_db()
    assert clerk.full_name == "周九" and clerk.role == "county_reviewer"
    assert clerk.entry_scope_id == "429921000000"
    event = AuditEvent.objects.get(action="accounts.user.updated")
    assert event.before == {"full_name": "", "role": "county_clerk"}
    assert event.actor_id == sysadmin.pk


def test_patch_deactivate_and_move(admin_api, make_user):
    clerk = make_user("county_clerk", "429921")
    response = _patch(admin_api, clerk.pk, {"is_active": False, "entry_scope": "429922"})
    assert response.status_code == 200
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert clerk.entry_scope_id == clerk.view_scope_id == "429922000000"


def test_patch_errors(admin_api, sysadmin, make_user, other_city):
    clerk = make_user("county_clerk", "429921")
    far = make_user("county_clerk", "429821")
    it = make_user("auditadmin", "4299")
    _assert_error(_patch(admin_api, far.pk, {"full_name": "x"}), 404, "not_found")
    _assert_error(_patch(admin_api, clerk.pk, {"entry_scope": "429821"}), 422, "invalid", MSG_SCOPE_OUTSIDE)
    _assert_error(_patch(admin_api, clerk.pk, {"role": "secadmin"}), 403, "forbidden", MSG_IT_ROLE_CLI)
    _assert_error(_patch(admin_api, it.pk, {"full_name": "x"}), 403, "forbidden", MSG_IT_ROLE_CLI)
    body = _assert_error(_patch(admin_api, clerk.pk, {"role": "city_clerk"}), 422, "invalid")
    assert body["detail"] == {"field": "entry_scope"}
    _assert_error(_patch(admin_api, clerk.pk, {"entry_scope": "9"}), 422, "invalid")
    _assert_error(_patch(admin_api, clerk.pk, {"is_active": "maybe"}), 422, "invalid")
    _assert_error(_patch(admin_api, sysadmin.pk, {"is_active": False}), 403, "forbidden")
    clerk.refresh_from_db()
    assert clerk.role == "county_clerk" and clerk.entry_scope_id == "429921000000"
    assert not AuditEvent.objects.filter(action="accounts.user.updated").exists()


def test_session_api_needs_second_factor(sysadmin):
    """A session that passed the password but not TOTP cannot reach the API."""
    client = Client()
    client.force_login(sysadmin)
    response = client.get("/api/v1/users")
    _assert_error(response, 403, "action_required")
    assert response.json()["detail"] == {"url": "/accounts/me/totp/"}
