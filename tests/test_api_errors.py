"""The API's own errors (CSRF, unparsable bodies) come back in the one shape, in Chinese."""

from anju.api import MSG_BAD_REQUEST, MSG_CSRF


def test_session_post_without_csrf_token_is_refused_in_chinese(make_user, login):
    from django.test import Client

    user = make_user("county_clerk", "429921")
    client = login(user, Client(enforce_csrf_checks=True))
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "csrf_failed" and body["message"] == str(MSG_CSRF)
    assert set(body) == {"code", "message", "detail"}


def test_unparsable_body_is_a_400_in_chinese(make_user, api):
    response = api(make_user("county_clerk", "429921")).post("/api/v1/tokens", "{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["message"] == str(MSG_BAD_REQUEST)
