"""Relocation imports through the CLI (JSON summary of `anju projects import`'s shape, exit codes), the web pages
(upload → job → summary with row errors, error workbook, templates) and the API (upload, status, template)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.imports.models import ImportBatch
from anju.relocation.imports import EXAMPLE_ROWS, SPECS
from anju.relocation.models import Employment, MedicalCost
from tests.projects.imports_data import read_sheet

from .factories import make_relocated_household, members_of
from .test_imports_kinds import EMPLOYMENT_HEADERS, MEDICAL_HEADERS, emp_row, rid, xlsx

SUMMARY = {"rows", "imported", "updated", "unchanged", "rejected", "applied", "skipped", "warnings", "batch", "errors"}


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="ri_cli")


@pytest.fixture
def people(tree):
    return members_of(make_relocated_household())


def _cli(*args):
    return CliRunner().invoke(main, list(args))


def _employment(tmp_path, people, *extra, name="e.xlsx"):
    return xlsx(tmp_path, name, EMPLOYMENT_HEADERS, emp_row(people[0]), emp_row(people[1], "灵活就业", n=2), *extra)


def test_cli_json_summary_idempotent_and_exit_codes(clerk, people, tmp_path):
    path = _employment(tmp_path, people)
    result = _cli("relocation", "import", str(path), "--kind", "employment", "--as", "ri_cli", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == SUMMARY
    assert {k: out[k] for k in ("rows", "imported", "updated", "unchanged", "rejected", "applied", "errors")} == {
        "rows": 2, "imported": 2, "updated": 0, "unchanged": 0, "rejected": 0, "applied": True, "errors": []}
    assert out["batch"] == ImportBatch.objects.get().pk
    again = json.loads(_cli("relocation", "import", str(path), "--kind", "employment", "--as", "ri_cli", "--json").stdout)
    assert (again["unchanged"], again["imported"]) == (2, 0) and Employment.objects.count() == 2


def test_cli_errors_modes_and_error_workbook(clerk, people, tmp_path):
    path = xlsx(tmp_path, "m.xlsx", MEDICAL_HEADERS, [people[0].name, rid(people[0]), 2025, 1000, 200],
                [people[1].name, rid(people[1]), 2025, 1000, 2000], title=None)
    errors = tmp_path / "errors.xlsx"
    result = _cli("relocation", "import", str(path), "--kind", "medical", "--as", "ri_cli", "--json", "--errors", str(errors))
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert (out["rejected"], out["applied"]) == (1, False)
    assert [(e["row"], e["column"], e["code"]) for e in out["errors"]] == [(3, "合规自付费用（元）", "out_of_pocket_above_total")]
    assert errors.is_file() and not MedicalCost.objects.exists()
    text = _cli("relocation", "import", str(path), "--kind", "medical", "--as", "ri_cli", "--mode", "valid")
    assert text.exit_code == 2 and "第 3 行“合规自付费用（元）”" in text.output and "新增 1" in text.output
    assert MedicalCost.objects.count() == 1


def test_cli_refuses_a_reader_and_an_unreadable_file(make_user, people, tmp_path):
    make_user("leader", "429921", username="ri_leader")
    path = _employment(tmp_path, people)
    assert _cli("relocation", "import", str(path), "--kind", "employment", "--as", "ri_leader").exit_code == 2
    fake = tmp_path / "list.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a workbook")
    make_user("county_clerk", "429921", username="ri_cli2")
    out = json.loads(_cli("relocation", "import", str(fake), "--kind", "employment", "--as", "ri_cli2", "--json").stdout)
    assert out["error"]["code"] == "file_type" and not Employment.objects.exists()


def test_web_upload_job_summary_row_errors_and_error_workbook(clerk, people, login, tmp_path):
    client = login(clerk)
    page = client.get("/relocation/imports/").content.decode()
    assert "下载就业情况（人社）模板" in page and 'value="medical"' in page
    path = _employment(tmp_path, people, [3, "某", rid(people[2]), "县内务工", "", "", "2025-03-01", "2025-01-01", 100])
    with open(path, "rb") as fh:
        response = client.post("/relocation/imports/", {"kind": "employment", "mode": "valid-only", "file": fh})
    job = Job.objects.get(kind="relocation.import")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    job = job_execute(job.pk)
    assert job.state == "succeeded", job.error
    assert "新增 2" in job.message and job.result["detail"][0]["row"] == 6
    batch = ImportBatch.objects.get()
    assert batch.job_id == job.pk and (batch.imported, batch.rejected, batch.applied) == (2, 1, True)
    summary = client.get(f"/relocation/imports/{batch.pk}/").content.decode()
    assert "下载错误报告" in summary and "早于就业时间" in summary
    download = client.get(f"/relocation/imports/{batch.pk}/errors/")
    assert download.status_code == 200
    rows = read_sheet(b"".join(download.streaming_content))
    assert rows[1][-2] == 6 and "结束日期" in rows[1][-1]
    assert "e.xlsx" in client.get("/relocation/imports/").content.decode()


def test_web_refuses_readers_and_bad_files(make_user, people, login, tmp_path):
    assert login(make_user("leader", "429921")).get("/relocation/imports/").status_code == 403
    client = login(make_user("county_clerk", "429921"))
    bad = tmp_path / "list.pdf"
    bad.write_bytes(b"%PDF-1.4")
    with open(bad, "rb") as fh:
        response = client.post("/relocation/imports/", {"kind": "employment", "mode": "all-or-nothing", "file": fh})
    assert response.status_code == 422 and not Job.objects.exists()


@pytest.mark.parametrize("kind", list(SPECS))
def test_templates_read_back_and_their_example_rows_parse(clerk, login, api, kind, tmp_path):
    response = login(clerk).get(f"/relocation/imports/template/{kind}/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    rows = read_sheet(data)
    assert rows[0] == [f.label for f in SPECS[kind].fields]
    assert str(rows[1][1]) == str(EXAMPLE_ROWS[kind][1])
    assert api(clerk).get(f"/api/v1/relocation/imports/templates/{kind}").status_code == 200
    from tests.relocation.test_imports_kinds import run

    path = tmp_path / "t.xlsx"
    path.write_bytes(data)
    report = run(clerk, kind, path)
    # the example is a person of no one's population: its only error is the match, every other cell parses
    assert {e.code for e in report.errors} == {"not_relocated"}, report.errors


def test_api_upload_status_list_and_errors(clerk, people, api, make_user, tmp_path):
    client = api(clerk)
    path = _employment(tmp_path, people, [3, "某", rid(people[2]), "上班", "", "", "2025-03-01", "", 100])
    with open(path, "rb") as fh:
        response = client.post("/api/v1/relocation/imports", {"kind": "employment", "mode": "valid-only", "file": fh})
    assert response.status_code == 202, response.content
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded" and job.result["rejected"] == 1 and job.result["detail"][0]["column"] == "就业类型"
    listed = client.get("/api/v1/relocation/imports?kind=employment").json()
    assert listed["count"] == 1 and listed["items"][0]["kind"] == "employment" and listed["items"][0]["has_errors_file"]
    batch_id = listed["items"][0]["id"]
    one = client.get(f"/api/v1/relocation/imports/{batch_id}").json()
    assert (one["imported"], one["rejected"], one["applied"], one["mode"]) == (2, 1, True, "valid-only")
    errors = client.get(f"/api/v1/relocation/imports/{batch_id}/errors")
    assert errors.status_code == 200 and read_sheet(b"".join(errors.streaming_content))[1][3] == "上班"
    with open(path, "rb") as fh:
        bad = client.post("/api/v1/relocation/imports", {"kind": "employment", "mode": "some", "file": fh})
    assert bad.status_code == 422 and bad.json()["code"] == "mode_invalid"
    with open(path, "rb") as fh:
        assert client.post("/api/v1/relocation/imports", {"kind": "pensions", "file": fh}).json()["code"] == "kind_invalid"
    assert client.post("/api/v1/relocation/imports", {"kind": "employment"}).json()["code"] == "file_missing"
    with open(path, "rb") as fh:
        assert api(make_user("leader", "429921")).post("/api/v1/relocation/imports", {"kind": "employment", "file": fh}).status_code == 403
    other = api(make_user("county_clerk", "429922"))
    assert other.get(f"/api/v1/relocation/imports/{batch_id}").status_code == 404
    assert other.get(f"/api/v1/relocation/imports/{batch_id}/errors").status_code == 404
    assert other.get("/api/v1/relocation/imports").json()["count"] == 0
