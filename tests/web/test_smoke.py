"""The shell renders for a signed-in user and sends anonymous users to the login page."""

import pytest


@pytest.mark.django_db
def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_home_shows_division_tree_for_county_clerk(make_user, login):
    user = make_user("county_clerk", "429921")
    response = login(user).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "白云县" in body
    assert "区划树" in body
    assert "429921101" in body
