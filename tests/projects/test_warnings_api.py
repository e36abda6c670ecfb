"""The warnings API: lists and counts in scope, one project's history, evaluation, rules and county settings."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anju.core.models import AuditEvent
from anju.projects.models import Warning, WarningRule
from anju.projects.seeds import projects_seed_load
from anju.projects.services import warnings as svc

from .factories import make_allocation, make_project

A = "/api/v1/projects/warnings"


@pytest.fixture
def world(make_user, other_city):
    projects_seed_load()
    people = {"city": make_user("city_clerk", "4299", username="a_city"), "clerk": make_user("county_clerk", "429921", username="a_clerk"),
              "qs_clerk": make_user("county_clerk", "429922", username="a_qs")}
    here = make_project(name="本县项目")
    make_allocation(here, 1_000_000, doc_date=dt.date(2026, 1, 1))
    there = make_project(division_code="429922101201", name="青山项目")
    make_allocation(there, 1_000_000, doc_date=dt.date(2026, 3, 1))
    svc.warnings_evaluate(today=dt.date(2026, 7, 10))
    return {**people, "here": here, "there": there}


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, data=json.dumps(body), content_type="application/json")


def test_list_counts_and_one_warning(world, api):
    city, clerk = api(world["city"]), api(world["clerk"])
    body = city.get(A + "?level=red").json()
    assert body["count"] == 3 and {w["rule_code"] for w in body["items"]} == {"not_started_180", "payment_far_behind"}
    item = body["items"][0]
    assert item["project_name"] == "本县项目" and item["level"] == "red" and item["assignee"] == "a_clerk"
    mine = clerk.get(A).json()
    assert {w["project_name"] for w in mine["items"]} == {"本县项目"}
    assert clerk.get(A + "?county=429922").json()["count"] == 0
    assert clerk.get(A + "?state=all").json()["count"] == 4  # red and yellow of two measures
    assert city.get(A + "/counts").json() == [{"county_code": "429921", "red": 2, "yellow": 0}, {"county_code": "429922", "red": 1, "yellow": 1}]
    assert clerk.get(A + "/counts?scope=4299").json() == [{"county_code": "429921", "red": 2, "yellow": 0}]
    theirs = Warning.objects.filter(project=world["there"]).first()
    assert city.get(f"{A}/{theirs.pk}").json()["project_name"] == "青山项目"
    assert clerk.get(f"{A}/{theirs.pk}").json()["code"] == "not_found"
    history = clerk.get(f"{A}/projects/{world['here'].pk}").json()
    assert history["count"] == 4
    assert clerk.get(f"{A}/projects/{world['there'].pk}").status_code == 404
    assert city.get(A + "?county=42x").status_code == 422


def test_evaluate(world, api):
    city, clerk = api(world["city"]), api(world["clerk"])
    response = post(city, A + "/evaluate", {})
    assert response.status_code == 200 and set(response.json()) == {"raised", "cleared", "updated", "open"}
    assert AuditEvent.objects.filter(action="projects.warning.evaluated", actor=world["city"]).count() == 1
    assert post(city, A + "/evaluate", {"scope": "4298"}).json()["code"] == "not_found"
    refused = post(clerk, A + "/evaluate", {})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_rules_override_and_delete(world, api):
    city, clerk = api(world["city"]), api(world["clerk"])
    rules = city.get(A + "/rules").json()
    assert len(rules) == 11
    payment = next(r for r in rules if r["code"] == "payment_behind")
    assert payment["params"]["targets"]["6"] == "0.50"
    changed = patch(city, f"{A}/rules/{payment['id']}", {"targets": {"3": "0.2", "6": "0.45", "9": "0.7", "12": "0.9"}, "level": "yellow"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["params"]["targets"] == {"3": "0.2", "6": "0.45", "9": "0.7", "12": "0.9"}
    bad = patch(city, f"{A}/rules/{payment['id']}", {"targets": {"3": "0.6", "6": "0.5"}})
    assert bad.status_code == 422 and bad.json()["message"] == str(svc.MSG_TARGETS_ORDER % {"month": 6})
    assert patch(city, f"{A}/rules/{payment['id']}", {"targets": {"6": "1.5"}}).status_code == 422
    assert patch(city, f"{A}/rules/{payment['id']}", {"threshold": "-1"}).status_code == 422
    assert patch(clerk, f"{A}/rules/{payment['id']}", {"threshold": "0.1"}).status_code == 403

    created = post(city, f"{A}/rules/{payment['id']}/overrides", {"scope": "429921"})
    assert created.status_code == 201 and created.json()["scope"] == "429921"
    override_id = created.json()["id"]
    assert post(city, f"{A}/rules/{payment['id']}/overrides", {"scope": "429921"}).status_code == 409
    assert post(city, f"{A}/rules/{payment['id']}/overrides", {"scope": "429821"}).status_code == 422
    assert clerk.get(f"{A}/rules/{override_id}").json()["scope"] == "429921"
    assert api(world["qs_clerk"]).get(f"{A}/rules/{override_id}").status_code == 404
    assert city.delete(f"{A}/rules/{payment['id']}").status_code == 409
    assert city.delete(f"{A}/rules/{override_id}").status_code == 204
    assert not WarningRule.objects.filter(pk=override_id).exists()
    assert AuditEvent.objects.filter(action__startswith="projects.warning_rule.").count() == 3
