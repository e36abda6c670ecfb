"""Monitoring API: identify and decide, measures in 元, elimination criteria and decisions, the warning list and scan."""

from __future__ import annotations

import json

from anju.relocation.models import MonitoringCase, RiskSignal

from . import test_monitoring_services as base
from .factories import OTHER_VILLAGE, make_relocated_household
from .test_monitoring_services import ALL, LONG_AGO, TODAY, income, monitored

people = base.people
A = "/api/v1/relocation/monitoring"


def post(client, path, data):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_identify_decide_and_read(people, api):
    household = make_relocated_household()
    clerk = api(people["clerk"])
    body = {"household_id": household.pk, "category": "sudden", "channel": "visit", "risks": ["accident"],
            "per_capita_income_yuan": "5200.50", "identified_on": LONG_AGO.isoformat(), "description": "车祸致残"}
    created = post(clerk, f"{A}/cases", body)
    assert created.status_code == 201, created.content
    case = created.json()
    assert (case["state"], case["colour"], case["per_capita_income_yuan"], case["proposed_by"]) == (
        "proposed", "red", "5200.50", "rm_clerk")
    assert case["actions"]["approve"] is False and case["timeline"][0]["label"] == "提出纳入监测"
    dup = post(clerk, f"{A}/cases", body)
    assert dup.status_code == 409 and dup.json()["code"] == "open_case_exists"
    bad = post(clerk, f"{A}/cases", {**body, "household_id": make_relocated_household(village=OTHER_VILLAGE).pk})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "household_id"
    unknown_risk = post(clerk, f"{A}/cases", {**body, "household_id": make_relocated_household().pk, "risks": ["gambling"]})
    assert unknown_risk.status_code == 422 and unknown_risk.json()["detail"]["field"] == "risks"

    own = post(clerk, f"{A}/cases/{case['id']}/approve", {})
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    approved = post(api(people["reviewer"]), f"{A}/cases/{case['id']}/approve", {"included_on": LONG_AGO.isoformat(), "note": "属实"})
    assert approved.status_code == 200 and approved.json()["state"] == "monitoring"
    assert post(api(people["reviewer"]), f"{A}/cases/{case['id']}/reject", {"reason": "x"}).status_code == 409

    listed = clerk.get(f"{A}/cases?category=sudden").json()
    assert listed["count"] == 1 and listed["items"][0]["household_number"] == household.number
    assert clerk.get(f"{A}/cases?colour=green").json()["count"] == 0
    counts = clerk.get(f"{A}/cases/counts").json()
    assert counts["category"]["sudden"] == 1 and counts["colour"]["red"] == 1 and "红色" in counts["colour_rule"]
    assert api(people["foreign"]).get(f"{A}/cases/{case['id']}").status_code == 404
    assert api(people["foreign"]).get(f"{A}/cases").json()["count"] == 0


def test_measures_and_elimination(people, api):
    case = monitored(people)
    client = api(people["township"])
    m = post(client, f"{A}/cases/{case.pk}/measures", {"kind": "employment", "content": "推荐务工", "started_on": LONG_AGO.isoformat(),
                                                      "amount_yuan": "300.5"})
    assert m.status_code == 201 and m.json()["amount_yuan"] == "300.50" and m.json()["effect"] == "pending"
    patched = client.patch(f"{A}/measures/{m.json()['id']}", data=json.dumps({"effect": "effective", "effect_note": "稳定就业"}),
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["effect"] == "effective"
    criteria = {c["code"]: c for c in client.get(f"{A}/cases/{case.pk}/elimination").json()}
    assert criteria["income"]["auto"] is False and criteria["months"]["met"] is True and criteria["measures"]["met"] is True
    income(case.household, 6_000)
    refused = post(client, f"{A}/cases/{case.pk}/elimination", {"confirmed": ALL})
    assert refused.status_code == 422 and refused.json()["detail"]["failed"] == ["income"]
    income(case.household, 60_000, year=TODAY.year)
    proposed = post(client, f"{A}/cases/{case.pk}/elimination", {"confirmed": ALL, "notes": {"education": "子女在校"}})
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["state"] == "elimination_proposed" and proposed.json()["elimination_criteria"]["education"]["note"] == "子女在校"
    back = post(api(people["reviewer"]), f"{A}/cases/{case.pk}/elimination/send-back", {"reason": "再核实"})
    assert back.status_code == 200 and back.json()["state"] == "monitoring"
    post(client, f"{A}/cases/{case.pk}/elimination", {"confirmed": ALL})
    done = post(api(people["reviewer"]), f"{A}/cases/{case.pk}/elimination/approve", {"note": "同意"})
    assert done.status_code == 200 and done.json()["state"] == "eliminated" and done.json()["colour"] == "green"
    late = post(client, f"{A}/cases/{case.pk}/measures", {"kind": "employment", "content": "x", "started_on": "2025-01-01"})
    assert late.status_code == 409


def test_signals_and_scan(people, api):
    poor = make_relocated_household()
    income(poor, 3_000)
    reviewer = api(people["reviewer"])
    scanned = post(reviewer, f"{A}/scan", {"as_of": TODAY.isoformat()})
    assert scanned.status_code == 200 and scanned.json()["raised"] == 1
    assert post(reviewer, f"{A}/scan", {}).json()["raised"] == 0
    assert post(api(people["township"]), f"{A}/scan", {}).status_code == 403
    listed = reviewer.get(f"{A}/signals").json()
    assert listed["count"] == 1
    s = listed["items"][0]
    assert s["kind"] == "income" and s["open_case_id"] is None and "低于监测线" in s["detail_text"]
    clerk = api(people["township"])
    attach = post(clerk, f"{A}/signals/{s['id']}/attach", {})
    assert attach.status_code == 409
    opened = post(clerk, f"{A}/signals/{s['id']}/case", {"category": "marginal", "risks": ["no_labour"]})
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert body["channel"] == "department" and body["identified_on"] == TODAY.isoformat() and body["signals"][0]["state"] == "case"
    other = RiskSignal.objects.create(household=poor, division_code=poor.division_code, kind="welfare", found_on=TODAY,
                                      source="import:welfare")
    attached = post(clerk, f"{A}/signals/{other.pk}/attach", {"note": "新纳入低保"})
    assert attached.status_code == 200 and attached.json()["case_id"] == body["id"]
    third = RiskSignal.objects.create(household=poor, division_code=poor.division_code, kind="medical", found_on=TODAY, source="manual")
    assert post(clerk, f"{A}/signals/{third.pk}/dismiss", {"note": ""}).status_code == 422
    dismissed = post(clerk, f"{A}/signals/{third.pk}/dismiss", {"note": "已报销"})
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    assert reviewer.get(f"{A}/signals?state=all").json()["count"] == 3
    assert MonitoringCase.objects.count() == 1
