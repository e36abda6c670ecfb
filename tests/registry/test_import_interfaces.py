"""Roster import and export through the CLI, the web page and the API (the service rules are in test_import_roster)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.imports.models import ImportBatch
from anju.registry.models import Person

from .roster_files import headers, reservoir_sample, write_csv

COL = {label: i for i, label in enumerate(headers())}


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="clerk921")


def _cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_import_json_reports_counts_and_every_error(tree, clerk, tmp_path):
    rows = reservoir_sample(6)
    rows[3][COL["扶持方式"]] = "现金"
    path = write_csv(tmp_path / "r.csv", rows)
    errors = tmp_path / "errors.xlsx"
    result = _cli("registry", "import", str(path), "--program", "reservoir", "--mode", "valid-only", "--errors", str(errors), "--as", "clerk921",
                  "--json")
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert {k: out[k] for k in ("rows", "imported", "updated", "unchanged", "rejected")} == {"rows": 6, "imported": 5, "updated": 0,
                                                                                              "unchanged": 0, "rejected": 1}
    assert out["errors"] == [{"sheet": out["errors"][0]["sheet"], "row": 5, "column": "扶持方式", "value": "现金", "code": "support_mode_invalid",
                              "message": out["errors"][0]["message"]}]
    assert CalamineWorkbook.from_path(str(errors)).sheet_names
    again = _cli("registry", "import", str(path), "--program", "reservoir", "--mode", "valid-only", "--as", "clerk921", "--json")
    assert json.loads(again.stdout)["unchanged"] == 5


def test_cli_import_all_good_exits_zero_and_export_round_trips(tree, clerk, tmp_path):
    path = write_csv(tmp_path / "r.csv", reservoir_sample(8))
    result = _cli("registry", "import", str(path), "--program", "reservoir", "--as", "clerk921")
    assert result.exit_code == 0, result.output
    assert "新增 8" in result.output
    out = tmp_path / "export.xlsx"
    result = _cli("registry", "export", "--program", "reservoir", "--out", str(out), "--as", "clerk921")
    assert result.exit_code == 0 and "8" in result.output
    again = _cli("registry", "import", str(out), "--program", "reservoir", "--as", "clerk921", "--json")
    assert json.loads(again.stdout)["unchanged"] == 8


def test_cli_errors_are_chinese_and_exit_two(tree, clerk, tmp_path):
    bad = tmp_path / "r.pdf"
    bad.write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(main, ["registry", "import", str(bad), "--program", "reservoir", "--as", "clerk921"])
    assert result.exit_code == 2 and "不支持的文件类型" in result.output
    result = CliRunner().invoke(main, ["registry", "import", str(bad), "--program", "reservoir", "--as", "nobody"])
    assert result.exit_code == 2 and "nobody" in result.output


def test_web_upload_runs_a_job_and_shows_the_summary(tree, clerk, login, tmp_path):
    client = login(clerk)
    page = client.get("/registry/imports/")
    assert page.status_code == 200 and "下载" in page.content.decode()
    rows = reservoir_sample(5)
    rows[0][COL["身份证号"]] = "12345"
    with open(write_csv(tmp_path / "r.csv", rows), "rb") as fh:
        response = client.post("/registry/imports/", {"program": "reservoir", "mode": "valid-only", "file": fh})
    assert response.status_code == 302
    job = job_execute(Job.objects.get(kind="registry.import").pk)
    assert job.state == "succeeded", job.error
    assert job.result["imported"] == 4 and job.result["rejected"] == 1
    detail = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "新增 4" in detail and "第 2 行" in detail
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    listing = client.get("/registry/imports/").content.decode()
    assert "r.csv" in listing


def test_web_template_download_is_a_readable_workbook(tree, clerk, login, tmp_path):
    response = login(clerk).get("/registry/imports/template/reservoir/")
    assert response.status_code == 200
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    first = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert "身份证号" in " ".join(str(c) for c in first[0])


def test_web_form_errors_keep_the_page(tree, clerk, login):
    response = login(clerk).post("/registry/imports/", {"program": "reservoir", "mode": "valid-only"})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()


def test_api_upload_and_batches(tree, clerk, api, tmp_path):
    client = api(clerk)
    with open(write_csv(tmp_path / "r.csv", reservoir_sample(4)), "rb") as fh:
        response = client.post("/api/v1/registry/imports", {"program": "reservoir", "file": fh})
    assert response.status_code == 202, response.content
    job = job_execute(response.json()["id"])
    assert job.result["imported"] == 4
    batches = client.get("/api/v1/registry/imports").json()
    assert batches["count"] == 1 if isinstance(batches, dict) else len(batches) == 1
    batch = ImportBatch.objects.get()
    assert client.get(f"/api/v1/registry/imports/{batch.pk}").json()["imported"] == 4
    assert Person.objects.count() == 4


def test_api_upload_errors_name_the_field(tree, clerk, api):
    response = api(clerk).post("/api/v1/registry/imports", {"program": "reservoir"})
    assert response.status_code == 422 and response.json()["code"] == "file_missing"
    response = api(clerk).post("/api/v1/registry/imports/exports", data=json.dumps({"program": "x"}), content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid" and "program" in response.json()["message"]
