"""Policy version API and CLI: list, draft, patch, copy, publish, revoke, the values in force, what-if."""

from __future__ import annotations

import contextvars
import datetime as dt
import json

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job, PolicyVersion
from anju.subsidies import jobs_policy  # noqa: F401
from anju.subsidies.models import SubsidyPolicy
from anju.subsidies.services import policy as svc

from .factories import actors, roster

A = "/api/v1/subsidies/policies"
D = dt.date


@pytest.fixture
def people(make_user):
    return actors(make_user)


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, data=json.dumps(body), content_type="application/json")


def national() -> SubsidyPolicy:
    return SubsidyPolicy.objects.get(scope="", effective_from=D(2006, 7, 1))


def test_draft_patch_publish_revoke(tree, people, api, login):
    clerk = api(people["city_clerk"])
    response = post(clerk, A, {"title": "白云县提标", "scope": "429921", "effective_from": "2027-01-01", "standard_yuan": "720",
                               "direct_modes": ["direct"]})
    assert response.status_code == 201, response.content
    body = response.json()
    pid = body["id"]
    assert (body["state"], body["scope_name"], body["standard_yuan"], body["frequency"]) == ("draft", "白云县", "720.00", "")
    assert body["values"] == {"reservoir.standard_yuan": "720.00", "subsidies.direct_modes": ["direct"]}
    assert body["actions"] == {"edit": True, "copy": True, "publish": False, "revoke": False, "whatif": True} and body["conflicts"] == []
    changed = patch(clerk, f"{A}/{pid}", {"standard_yuan": None, "period_years": 25, "frequency": "quarterly"}).json()
    assert changed["values"] == {"reservoir.period_years": 25, "subsidies.frequency": "quarterly", "subsidies.direct_modes": ["direct"]}
    bad = patch(clerk, f"{A}/{pid}", {"cutoff_date": "2030-01-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "policy_cutoff_date"
    assert bad.json()["message"] == str(svc.MSG_CUTOFF_RANGE % {"date": "2027-01-01"})
    assert post(clerk, A, {"title": "x", "scope": "429921", "effective_from": "2027-01-01"}).json()["message"] == str(svc.MSG_NO_VALUES)
    assert post(clerk, A, {"title": "x", "scope": "429821", "effective_from": "2027-01-01", "period_years": 2}).status_code == 422
    assert post(clerk, A, {"title": "x", "scope": "429921", "effective_from": "2027-01-01", "standard_yuan": "0"}).status_code == 422
    assert post(clerk, f"{A}/{pid}/publish").status_code == 403
    admin = login(people["city"])  # 市级管理员 holds no API token: its session calls the API
    published = post(admin, f"{A}/{pid}/publish").json()
    assert (published["state"], published["published_by"]) == ("published", "v_city")
    assert PolicyVersion.objects.filter(scope="429921", effective_from=D(2027, 1, 1)).count() == 3
    again = post(admin, f"{A}/{pid}/publish")
    assert again.status_code == 409 and again.json()["code"] == "policy_not_draft"
    assert patch(clerk, f"{A}/{pid}", {"period_years": 26}).status_code == 409
    assert post(admin, f"{A}/{pid}/revoke", {"reason": " "}).status_code == 422
    revoked = post(admin, f"{A}/{pid}/revoke", {"reason": "废止"}).json()
    assert (revoked["state"], revoked["revoke_reason"], revoked["revoked_by"]) == ("revoked", "废止", "v_city")
    assert not PolicyVersion.objects.filter(scope="429921").exists()


def test_list_detail_copy_and_scope(tree, other_city, people, api, make_user):
    clerk = api(people["city_clerk"])
    copy = post(clerk, f"{A}/{national().pk}/copy", {"effective_from": "2026-07-01"})
    assert copy.status_code == 201 and (copy.json()["scope"], copy.json()["title"]) == ("4299", "国家政策（国发〔2006〕17号）（副本）")
    listing = clerk.get(A).json()
    assert listing["count"] == 2 and {i["state"] for i in listing["items"]} == {"draft", "published"}
    assert clerk.get(f"{A}?state=draft").json()["count"] == 1
    assert clerk.get(f"{A}?q=%00").status_code == 422
    county = api(people["clerk"])
    assert county.get(A).json()["count"] == 1  # the city's draft is not the county's business
    assert county.get(f"{A}/{copy.json()['id']}").status_code == 404
    foreign = make_user("city_clerk", "4298", username="foreign_clerk")
    theirs = post(api(foreign), A, {"title": "外市", "scope": "4298", "effective_from": "2027-01-01", "period_years": 22}).json()
    assert clerk.get(f"{A}/{theirs['id']}").status_code == 404
    assert post(clerk, f"{A}/{theirs['id']}/copy").status_code == 404
    detail = county.get(f"{A}/{national().pk}").json()
    assert detail["actions"] == {"edit": False, "copy": False, "publish": False, "revoke": False, "whatif": False}


def test_effective_values(tree, people, api):
    city = svc.subsidy_policy_create(actor=people["city_clerk"], title="清江市后续扶持", scope="4299", effective_from=D(2026, 7, 1),
                                     period_years_current=25)
    city = svc.subsidy_policy_publish(actor=people["city"], policy=city)
    client = api(people["clerk"])
    rows = {r["field"]: r for r in client.get(f"{A}/{city.pk}/effective?county=429921&on=2026-08-01").json()}
    assert (rows["period_years_current"]["value"], rows["period_years_current"]["source_id"]) == (25, city.pk)
    assert (rows["standard_yuan"]["value"], rows["standard_yuan"]["scope_name"], rows["standard_yuan"]["source_id"]) == (600, "全国", national().pk)
    default = {r["field"]: r for r in client.get(f"{A}/{city.pk}/effective").json()}  # the clerk's county, from today
    assert default["period_years_current"]["value"] == 25
    out = client.get(f"{A}/{city.pk}/effective?county=429922")
    assert out.status_code == 422 and out.json()["code"] == "county_invalid"


def test_whatif_job_and_result(tree, people, api):
    roster()
    draft = svc.subsidy_policy_create(actor=people["city_clerk"], title="白云县提标", scope="429921", effective_from=D(2026, 1, 1),
                                      standard_yuan=720)
    client = api(people["city_clerk"])
    assert client.get(f"{A}/{draft.pk}/whatif").json() == {"job": None, "running": None, "result": None}
    response = post(client, f"{A}/{draft.pk}/whatif", {"years": 1})
    assert response.status_code == 202 and response.json()["kind"] == "subsidies.policy.whatif"
    assert client.get(f"{A}/{draft.pk}/whatif").json()["running"]["id"] == response.json()["id"]
    job_execute(response.json()["id"])
    body = client.get(f"{A}/{draft.pk}/whatif").json()
    assert body["running"] is None and body["job"]["has_file"]
    (row,) = body["result"]["rows"]  # a county draft: its own county only
    assert (row["county_name"], row["year"], row["current"], row["draft"], row["diff"]) == ("白云县", 2026, 300000, 360000, 60000)
    assert post(client, f"{A}/{draft.pk}/whatif", {"years": 11}).status_code == 422
    assert post(api(people["clerk"]), f"{A}/{draft.pk}/whatif", {"years": 1}).status_code == 403


@pytest.fixture
def _restore_meta():
    from anju.core.context import RequestMeta, reset_meta, set_meta

    token = set_meta(RequestMeta(channel="cli"))
    yield
    reset_meta(token)


def invoke(*args: str):
    from anju.cli import main

    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_cli_list_show_publish_whatif(tree, people, tmp_path, _restore_meta):
    roster()
    draft = svc.subsidy_policy_create(actor=people["city_clerk"], title="清江市后续扶持", scope="4299", effective_from=D(2026, 7, 1),
                                      period_years_current=25)
    listing = invoke("subsidies", "policy", "list", "--as", "v_city_clerk", "--json")
    assert listing.exit_code == 0, listing.output
    assert [json.loads(line)["policy"] for line in listing.stdout.splitlines()] == [draft.pk, national().pk]
    shown = invoke("subsidies", "policy", "show", str(draft.pk), "--county", "429921", "--as", "v_city_clerk")
    assert shown.exit_code == 0 and "现状人口扶持年限：25 年" in shown.stdout and "扶持标准（元/人·年）：继承" in shown.stdout
    as_json = json.loads(invoke("subsidies", "policy", "show", str(draft.pk), "--county", "429921", "--on", "2026-08-01", "--as",
                                "v_city_clerk", "--json").stdout)
    assert {r["field"]: r["draft_text"] for r in as_json["effective"]}["period_years_current"] == "25 年"
    out = tmp_path / "whatif.xlsx"
    result = invoke("subsidies", "policy", "whatif", str(draft.pk), "--years", "2", "--out", str(out), "--as", "v_city_clerk", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["years"] == [2026, 2027] and data["totals"]["diff"] == 60000 + 120000
    assert CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()[1][0] == "县（市、区）"
    plain = invoke("subsidies", "policy", "whatif", str(draft.pk), "--years", "1", "--as", "v_city_clerk")
    assert plain.exit_code == 0 and "白云县\t2026\t6/6\t3,000.00\t3,600.00\t600.00" in plain.stdout
    assert Job.objects.filter(kind="subsidies.policy.whatif", state="succeeded").count() == 2
    refused = invoke("subsidies", "policy", "publish", str(draft.pk), "--as", "v_city_clerk")
    assert refused.exit_code == 2 and "无权" in refused.stderr
    published = invoke("subsidies", "policy", "publish", str(draft.pk), "--as", "v_city", "--json")
    assert published.exit_code == 0 and json.loads(published.stdout)["state"] == "published"
    assert AuditEvent.objects.get(action="subsidies.policy.published").channel == "cli"
    late = invoke("subsidies", "policy", "whatif", str(draft.pk), "--as", "v_city_clerk")
    assert late.exit_code == 2 and str(svc.MSG_WHATIF_STATE) in late.stderr
    revoked = invoke("subsidies", "policy", "revoke", str(draft.pk), "--reason", "废止", "--as", "v_city")
    assert revoked.exit_code == 0 and "已撤销" in revoked.stdout
