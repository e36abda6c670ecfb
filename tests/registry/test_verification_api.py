"""Verification API and CLI: list, detail, run (a job), sign-off, send back, changes, entries, exports."""

from __future__ import annotations

import io
import json

import docx
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.core.context import RequestMeta, reset_meta, set_meta
from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.registry import jobs_verification  # noqa: F401
from anju.registry.models import Program, Verification
from anju.registry.services import verification as svc

from .verification_data import COUNTY, actors, base_roster, events_2025, locked

A = "/api/v1/registry/verifications"


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def year2025(tree, people):
    places = base_roster()
    locked(people, 2024)
    events_2025(places, people["clerk"])
    return svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_run_is_a_job(tree, people, api):
    base_roster()
    client = api(people["clerk"])
    response = post(client, A, {"year": 2025, "program": "reservoir", "county": "429921"})
    assert response.status_code == 202 and response.json()["kind"] == "registry.verification.run"
    job = job_execute(Job.objects.get(pk=response.json()["id"]).pk)
    v = Verification.objects.get(pk=job.result["verification"])
    body = client.get(f"{A}/{v.pk}").json()
    assert (body["year"], body["state"], body["total"], body["county_name"], body["counts"]["households"]) == (2025, "draft", 6, "白云县", 3)
    assert body["actions"] == {"run": True, "sign_county": False, "sign_city": False, "reopen": False, "export_roster": True,
                               "export_unmasked": True}
    svc.verification_sign_county(actor=people["reviewer"], verification=v)
    conflict = post(client, A, {"year": 2025, "program": "reservoir", "county": "429921"})
    assert conflict.status_code == 409 and conflict.json() == {"code": "verification_not_draft", "message": str(svc.MSG_NOT_DRAFT),
                                                               "detail": None}
    bad = post(client, A, {"year": 2026, "program": "reservoir", "county": "429921"})
    assert bad.status_code == 422 and bad.json()["code"] == "year_invalid"
    assert post(api(people["other_reviewer"]), A, {"year": 2025, "program": "reservoir", "county": "429921"}).status_code == 403
    assert post(client, A, {"year": 2025, "program": "reservoir", "county": "429922"}).status_code == 404


def test_list_detail_changes_entries(year2025, people, api):
    client = api(people["reviewer"])
    listing = client.get(f"{A}?year=2025").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == year2025.pk
    assert client.get(f"{A}?year=2024").json()["items"][0]["state"] == "locked"
    assert api(people["other_reviewer"]).get(A).json()["count"] == 0
    assert api(people["other_reviewer"]).get(f"{A}/{year2025.pk}").status_code == 404
    changes = client.get(f"{A}/{year2025.pk}/changes?kind=removed").json()
    assert {c["name"]: c["reason"] for c in changes["items"]} == {"李二": "死亡", "王一": "服刑"}
    assert all(c["request_id"] for c in changes["items"])
    changed = client.get(f"{A}/{year2025.pk}/changes?kind=changed&q=张叁").json()["items"]
    assert changed[0]["detail"]["fields"] == [{"field": "name", "old": "张三", "new": "张叁"}]
    entries = client.get(f"{A}/{year2025.pk}/entries?limit=2").json()
    assert entries["count"] == 5 and len(entries["items"]) == 2 and "*" in entries["items"][0]["id_masked"]
    assert api(people["township"]).get(f"{A}/{year2025.pk}/entries").json()["count"] == 4
    assert client.get(f"{A}/{year2025.pk}/changes?kind=bogus").status_code == 422


def test_sign_off_and_reopen(year2025, people, api, login):
    url = f"{A}/{year2025.pk}"
    assert post(api(people["township"]), url + "/sign-county").status_code == 403
    reviewer = api(people["reviewer"])
    body = post(reviewer, url + "/sign-county").json()
    assert (body["state"], body["county_signed_by"]) == ("county_signed", "v_reviewer")
    again = post(reviewer, url + "/sign-county")
    assert again.status_code == 409 and again.json()["message"] == str(svc.MSG_SIGN_COUNTY_STATE)
    refused = post(reviewer, url + "/sign-city")
    assert refused.status_code == 403 and refused.json()["code"] == "verification_level"
    city = login(people["city"])  # 市级管理员 holds no API token: its session (with CSRF off in tests) calls the API
    empty = post(city, url + "/reopen", {"reason": "  "})
    assert empty.status_code == 422 and empty.json()["code"] == "invalid"  # the schema refuses a blank reason
    assert post(city, url + "/reopen", {"reason": "重核"}).json()["state"] == "draft"
    post(reviewer, url + "/sign-county")
    locked_body = post(city, url + "/sign-city").json()
    assert (locked_body["state"], locked_body["city_signed_by"]) == ("locked", "v_city")
    assert post(city, url + "/reopen", {"reason": "x"}).status_code == 409


def test_exports(year2025, people, api):
    client = api(people["reviewer"])
    response = post(client, f"{A}/{year2025.pk}/roster-exports", {"unmasked": False})
    assert response.status_code == 202
    job = job_execute(response.json()["id"])
    assert job.result == {"verification": year2025.pk, "rows": 5, "unmasked": False}
    file = client.get(f"/api/v1/jobs/{job.pk}/file")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(file.streaming_content))).get_sheet_by_index(0).to_python()
    assert len(rows) == 7
    summary = client.get(f"{A}/{year2025.pk}/summary")
    assert summary.status_code == 200 and summary["Content-Type"].startswith("application/vnd.openxmlformats")
    report = client.get(f"{A}/{year2025.pk}/report")
    assert docx.Document(io.BytesIO(report.content)).paragraphs[0].text == "白云县2025年度水库移民后期扶持人口核定报告"
    assert post(api(people["township"]), f"{A}/{year2025.pk}/roster-exports").status_code == 403


@pytest.fixture
def _restore_meta():
    token = set_meta(RequestMeta(channel="cli"))
    yield
    reset_meta(token)


def test_cli_verify_sign_and_export(tree, people, tmp_path, _restore_meta):
    from anju.cli import main

    base_roster()
    runner = CliRunner()
    result = runner.invoke(main, ["registry", "verify", "--year", "2024", "--program", "reservoir", "--county", "429921", "--as", "v_clerk",
                                  "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["year"], out["total"], out["state"], out["previous_total"]) == (2024, 6, "draft", None)
    vid = str(out["verification"])
    result = runner.invoke(main, ["registry", "verification", "sign", vid, "--level", "city", "--as", "v_city"])
    assert result.exit_code == 2 and str(svc.MSG_SIGN_CITY_STATE) in result.output
    assert runner.invoke(main, ["registry", "verification", "sign", vid, "--level", "county", "--as", "v_reviewer"]).exit_code == 0
    assert runner.invoke(main, ["registry", "verification", "sign", vid, "--level", "city", "--as", "v_city", "--json"]).exit_code == 0
    assert Verification.objects.get(pk=vid).state == "locked"
    result = runner.invoke(main, ["registry", "verify", "--year", "2025", "--program", "reservoir", "--county", "429921", "--as", "v_clerk"])
    assert result.exit_code == 0 and "上年 6 人；新增 0，核减 0，变更 0" in result.output
    out_file = tmp_path / "roster.xlsx"
    result = runner.invoke(main, ["registry", "verification", "export", vid, "--what", "roster", "--out", str(out_file), "--as", "v_reviewer"])
    assert result.exit_code == 0, result.output
    assert len(CalamineWorkbook.from_path(str(out_file)).get_sheet_by_index(0).to_python()) == 8
    report = tmp_path / "r.docx"
    assert runner.invoke(main, ["registry", "verification", "export", vid, "--what", "report", "--out", str(report), "--as", "v_city"]).exit_code == 0
    assert docx.Document(str(report)).paragraphs[0].text == "白云县2024年度水库移民后期扶持人口核定报告"
    listing = runner.invoke(main, ["registry", "verification", "list", "--as", "v_reviewer", "--json"])
    assert [json.loads(line)["year"] for line in listing.output.splitlines()] == [2025, 2024]
    refused = runner.invoke(main, ["registry", "verify", "--year", "2025", "--program", "reservoir", "--county", "429921", "--as", "v_reviewer"])
    assert refused.exit_code == 2
