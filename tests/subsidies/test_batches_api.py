"""Batch and entitlement API: list, detail, create (a job), review, approve, send back, delete, items, exceptions,
figures by township, hold and release, entitlement totals and the CSV job."""

from __future__ import annotations

import json

import pytest

from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.subsidies import jobs  # noqa: F401
from anju.subsidies.models import Batch, Item
from anju.subsidies.services import workflow as wf
from anju.subsidies.services.batches import batch_create

from .factories import COUNTY, actors, locked, paying_household, roster

A = "/api/v1/subsidies/batches"


@pytest.fixture
def people(make_user):
    return {**actors(make_user), "approver": make_user("county_reviewer", COUNTY, username="b_approver")}


@pytest.fixture
def ready(tree, people):
    roster()
    paying_household("S005", ["孙一"], accounts=[""])
    locked(people, 2025)


@pytest.fixture
def draft(ready, people):
    return batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_create_is_a_job(ready, people, api):
    client = api(people["clerk"])
    response = post(client, A, {"county": "429921", "year": 2026})
    assert response.status_code == 202 and response.json()["kind"] == "subsidies.batch.create"
    job = job_execute(Job.objects.get(pk=response.json()["id"]).pk)
    body = client.get(f"{A}/{job.result['batch']}").json()
    assert (body["year"], body["state"], body["persons"], body["amount"], body["held"], body["county_name"]) == (2026, "draft", 7, 360000, 1, "白云县")
    assert body["figures"]["entitled"] == {"persons": 7, "months": 72, "fen": 360000, "yuan": "3,600.00"}
    assert body["actions"] == {"review": False, "approve": False, "send_back": False, "delete": True, "hold": True, "refresh_accounts": True}
    assert [e["action"] for e in body["timeline"]] == ["subsidies.batch.created"]
    conflict = post(client, A, {"county": "429921", "year": 2026})
    assert conflict.status_code == 409 and conflict.json()["code"] == "batch_exists"
    assert post(client, A, {"county": "429921", "year": 2026, "quarter": 1}).status_code == 422
    assert post(client, A, {"county": "429922", "year": 2026}).status_code == 404
    assert post(api(people["reviewer"]), A, {"county": "429921", "year": 2026}).status_code == 403
    assert post(client, A, {"county": "4299", "year": 2026}).status_code == 422  # the schema wants a county code


def test_list_detail_items_exceptions_townships(draft, people, api):
    client = api(people["reviewer"])
    listing = client.get(f"{A}?year=2026").json()
    assert listing["count"] == 1 and listing["items"][0]["number"] == draft.number and listing["items"][0]["county_name"] == "白云县"
    assert client.get(f"{A}?state=approved").json()["count"] == 0
    assert api(people["other_reviewer"]).get(A).json()["count"] == 0
    assert api(people["other_reviewer"]).get(f"{A}/{draft.pk}").status_code == 404
    items = client.get(f"{A}/{draft.pk}/items?q=张&limit=2").json()
    assert items["count"] == 3 and len(items["items"]) == 2 and "*" in items["items"][0]["id_masked"]
    assert client.get(f"{A}/{draft.pk}/items?state=held").json()["items"][0]["name"] == "孙一"
    exceptions = client.get(f"{A}/{draft.pk}/exceptions").json()["items"]
    assert [(e["name"], e["exception"], e["exception_label"]) for e in exceptions] == [("孙一", "no_account", "无银行账号")]
    townships = client.get(f"{A}/{draft.pk}/townships").json()
    assert sum(t["figures"]["entitled"]["persons"] for t in townships) == 7
    assert all(sum(v["figures"]["entitled"]["fen"] for v in t["villages"]) == t["figures"]["entitled"]["fen"] for t in townships)
    assert api(people["township"]).get(f"{A}/{draft.pk}/items").json()["count"] == 5  # its township only
    assert client.get(f"{A}/{draft.pk}/items?state=bogus").status_code == 422


def test_review_approve_send_back_delete(draft, people, api):
    url = f"{A}/{draft.pk}"
    assert post(api(people["township"]), url + "/review").status_code == 403
    reviewer = api(people["reviewer"])
    body = post(reviewer, url + "/review").json()
    assert (body["state"], body["reviewed_by"]) == ("reviewed", "v_reviewer")
    again = post(reviewer, url + "/review")
    assert again.status_code == 409 and again.json()["message"] == str(wf.MSG_REVIEW_STATE)
    same = post(reviewer, url + "/approve")
    assert same.status_code == 403 and same.json()["code"] == "batch_four_eyes"
    approver = api(people["approver"])
    assert post(approver, url + "/approve").json()["approved_by"] == "b_approver"
    assert post(approver, url + "/send-back", {"reason": "  "}).status_code == 422
    body = post(approver, url + "/send-back", {"reason": "重核"}).json()
    assert body["state"] == "draft" and body["totals"]["sent_back"]["reason"] == "重核"
    assert [e["label"] for e in body["timeline"]] == ["生成批次", "审核", "审批", "退回"]
    assert api(people["reviewer"]).delete(url).status_code == 403
    assert api(people["clerk"]).delete(url).status_code == 204
    assert not Batch.objects.filter(pk=draft.pk).exists()


def test_hold_release_refresh(draft, people, api):
    clerk = api(people["clerk"])
    zhang, sun = Item.objects.get(name="张一"), Item.objects.get(name="孙一")
    url = f"{A}/{draft.pk}/items"
    body = post(clerk, f"{url}/{zhang.pk}/hold", {"cause": "duplicate", "reason": "疑与外县重复"}).json()
    assert (body["state"], body["exception"], body["exception_note"]) == ("held", "duplicate", "疑与外县重复")
    assert post(clerk, f"{url}/{zhang.pk}/hold", {"reason": "again"}).status_code == 409
    assert post(clerk, f"{url}/{zhang.pk}/hold", {"cause": "no_account", "reason": "x"}).status_code == 422
    assert post(clerk, f"{url}/{zhang.pk}/release").json()["state"] == "pending"
    refused = post(clerk, f"{url}/{sun.pk}/release")
    assert refused.status_code == 409 and refused.json()["code"] == "hold_unresolved"
    assert post(clerk, f"{A}/{draft.pk}/refresh-accounts").json() == {"checked": 1, "released": 0, "held": 1}
    assert post(api(people["reviewer"]), f"{url}/{zhang.pk}/hold", {"reason": "x"}).status_code == 403
    assert post(clerk, f"{url}/999999/hold", {"reason": "x"}).status_code == 404


def test_entitlements_totals_and_export(ready, people, api):
    client = api(people["reviewer"])
    body = client.get("/api/v1/subsidies/entitlements?scope=429921&year=2026").json()
    assert body["total"]["direct_persons"] == 7 and body["total"]["direct_amount"] == 360000
    assert body["total"]["project_persons"] == 2 and body["total"]["project_amount"] == 120000
    county = body["counties"][0]
    assert (county["code"], county["source"], county["name"]) == ("429921000000", "snapshot", "白云县")
    assert sum(t["figures"]["direct_amount"] for t in county["townships"]) == 360000
    missing = client.get("/api/v1/subsidies/entitlements?scope=429921&year=2027")
    assert missing.status_code == 422 and missing.json()["code"] == "no_snapshot"
    assert client.get("/api/v1/subsidies/entitlements?scope=429921&year=2027&preview=true").json()["counties"][0]["source"] == "live"
    assert api(people["other_reviewer"]).get("/api/v1/subsidies/entitlements?scope=429921&year=2026").status_code == 404
    response = post(client, "/api/v1/subsidies/entitlements/exports", {"scope": "429921", "year": 2026})
    assert response.status_code == 202
    job = job_execute(response.json()["id"])
    assert job.result["rows"] == 9 and job.result["unmasked"] is False
    file = client.get(f"/api/v1/jobs/{job.pk}/file")
    assert b"".join(file.streaming_content).decode("utf-8-sig").splitlines()[0].startswith("身份证号,姓名,月数,金额")
