"""Project imports through the CLI (JSON summary, exit codes), the web pages (upload → job → summary, error workbook,
templates) and the API; files refused by the engine (zip bomb, wrong type behind the right name)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.imports import readers
from anju.imports.models import ImportBatch
from anju.imports.readers import ImportFileError
from anju.projects.imports import EXAMPLE_ROWS, SPECS
from anju.projects.models import Payment, Project, Stage

from .factories import make_allocation, make_project
from .imports_data import LEDGER_HEADERS, PAYMENT_HEADERS, ledger_row, read_sheet, run, write_xlsx


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="pi_clerk")


@pytest.fixture
def finance(make_user):
    return make_user("finance", "429921", username="pi_finance")


SUMMARY = {"rows", "imported", "updated", "unchanged", "rejected", "applied", "skipped", "warnings", "batch", "errors"}


def _cli(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def funded(db):
    project = make_project(code="BY-C1", stage=Stage.IMPLEMENTING)
    make_allocation(project, 100_000_000)
    return project


def _payments(tmp_path, *extra, name="p.xlsx"):
    rows = [PAYMENT_HEADERS, ["BY-C1", "central", "2026-05-20", 1000, "V-1", "路桥公司"], ["BY-C1", "central", "2026-05-21", 2000, "V-2", ""], *extra]
    return write_xlsx(tmp_path / name, rows)


def test_cli_json_summary_and_exit_codes(tree, clerk, funded, tmp_path):
    path = _payments(tmp_path)
    result = _cli("projects", "import", str(path), "--kind", "payments", "--as", "pi_clerk", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == SUMMARY  # the shape of `anju registry import --json`
    assert {k: out[k] for k in ("rows", "imported", "updated", "unchanged", "rejected", "applied", "errors")} == {
        "rows": 2, "imported": 2, "updated": 0, "unchanged": 0, "rejected": 0, "applied": True, "errors": []}
    assert out["batch"] == ImportBatch.objects.get().pk
    again = json.loads(_cli("projects", "import", str(path), "--kind", "payments", "--as", "pi_clerk", "--json").stdout)
    assert (again["unchanged"], again["imported"]) == (2, 0)


def test_cli_errors_exit_two_and_list_row_column_message(tree, clerk, funded, tmp_path):
    path = _payments(tmp_path, ["BY-C1", "central", "2026-05-22", "12.345", "V-3", ""])
    errors = tmp_path / "errors.xlsx"
    result = _cli("projects", "import", str(path), "--kind", "payments", "--as", "pi_clerk", "--json", "--errors", str(errors))
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert (out["rejected"], out["applied"]) == (1, False)
    assert [(e["row"], e["column"], e["code"]) for e in out["errors"]] == [(4, "支付金额（元）", "amount_invalid")]
    assert errors.is_file() and not Payment.objects.exists()
    text = _cli("projects", "import", str(path), "--kind", "payments", "--as", "pi_clerk", "--mode", "valid-only")
    assert text.exit_code == 2 and "第 4 行“支付金额（元）”" in text.output and "新增 2" in text.output
    assert Payment.objects.count() == 2


def test_cli_refuses_what_it_cannot_read(tree, clerk, tmp_path):
    fake = tmp_path / "ledger.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a workbook")
    result = _cli("projects", "import", str(fake), "--kind", "projects", "--as", "pi_clerk")
    assert result.exit_code == 2 and "内容与扩展名不符" in result.output
    out = json.loads(_cli("projects", "import", str(fake), "--kind", "projects", "--as", "pi_clerk", "--json").stdout)
    assert out["error"]["code"] == "file_type"
    assert _cli("projects", "import", str(fake), "--kind", "projects", "--as", "nobody").exit_code == 2
    assert not Project.objects.exists()


def test_cli_role_without_the_kinds_permission(tree, finance, tmp_path):
    good = write_xlsx(tmp_path / "g.xlsx", [LEDGER_HEADERS, ledger_row("BY-Z")])
    result = _cli("projects", "import", str(good), "--kind", "projects", "--as", "pi_finance")
    assert result.exit_code == 2 and not Project.objects.exists()


def test_zip_bomb_and_wrong_type_are_refused_on_the_import_path(tree, clerk, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ZIP_UNCOMPRESSED_BYTES", 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 1024 * 1024))
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(buf.getvalue())
    with pytest.raises(ImportFileError) as exc:
        run(clerk, "payments", bomb)
    assert exc.value.code == "zip_bomb"
    renamed = tmp_path / "payments.xlsx"
    renamed.write_bytes(b"MZ\x90\x00 an executable")
    with pytest.raises(ImportFileError) as exc:
        run(clerk, "payments", renamed)
    assert exc.value.code == "file_type"
    csv_zip = tmp_path / "payments.csv"
    csv_zip.write_bytes(buf.getvalue())
    with pytest.raises(ImportFileError) as exc:
        run(clerk, "payments", csv_zip)
    assert exc.value.code == "file_type"
    assert not ImportBatch.objects.exists()


def test_web_upload_job_summary_and_error_workbook(tree, clerk, funded, login, tmp_path):
    client = login(clerk)
    page = client.get("/projects/imports/")
    assert page.status_code == 200 and "下载资金支付模板" in page.content.decode()
    path = _payments(tmp_path, ["BY-C1", "central", "2026-05-22", "abc", "V-3", ""])
    with open(path, "rb") as fh:
        response = client.post("/projects/imports/", {"kind": "payments", "mode": "valid-only", "file": fh})
    job = Job.objects.get(kind="projects.import")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    job = job_execute(job.pk)
    assert job.state == "succeeded", job.error
    assert job.title == "导入资金支付" and "新增 2" in job.message and job.result["detail"][0]["row"] == 4
    detail = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "新增 2" in detail and "第 4 行" in detail
    batch = ImportBatch.objects.get()
    assert batch.job_id == job.pk and (batch.imported, batch.rejected, batch.applied) == (2, 1, True)
    summary = client.get(f"/projects/imports/{batch.pk}/").content.decode()
    assert "下载错误报告" in summary and "abc" in summary
    download = client.get(f"/projects/imports/{batch.pk}/errors/")
    assert download.status_code == 200
    rows = read_sheet(b"".join(download.streaming_content))
    assert rows[1][3] == "abc" and rows[1][6] == 4
    index = client.get("/projects/imports/").content.decode()
    assert "p.xlsx" in index
    from django.conf import settings

    assert not list((Path(settings.MEDIA_ROOT) / "projects" / "imports").glob("*/p.xlsx"))  # the upload is removed after the job


def test_web_form_offers_only_the_kinds_a_role_may_import(tree, finance, login, make_user, tmp_path):
    client = login(finance)
    page = client.get("/projects/imports/").content.decode()
    assert 'value="payments"' in page and 'value="progress"' not in page
    with open(write_xlsx(tmp_path / "g.xlsx", [["项目编码", "月份", "形象进度（%）"], ["X", "2026-05", 1]]), "rb") as fh:
        response = client.post("/projects/imports/", {"kind": "progress", "mode": "all-or-nothing", "file": fh})
    assert response.status_code == 422 and not Job.objects.exists()
    assert login(make_user("leader", "429921")).get("/projects/imports/").status_code == 403


@pytest.mark.parametrize("kind", list(SPECS))
def test_templates_have_the_headers_and_an_example_that_imports(tree, clerk, login, api, kind, tmp_path):
    response = login(clerk).get(f"/projects/imports/template/{kind}/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    rows = read_sheet(data)
    assert rows[0] == [f.label for f in SPECS[kind].fields]
    assert [str(c) for c in rows[1]][:2] == [str(c) for c in EXAMPLE_ROWS[kind]][:2]
    assert api(clerk).get(f"/api/v1/projects/imports/templates/{kind}").status_code == 200
    if kind == "projects":  # the ledger example imports as it stands
        path = tmp_path / "t.xlsx"
        path.write_bytes(data)
        report = run(clerk, "projects", path)
        assert (report.imported, report.rejected) == (1, 0), report.errors


def test_api_upload_list_detail_and_errors(tree, clerk, finance, funded, api, make_user, tmp_path):
    client = api(finance)
    path = _payments(tmp_path, ["BY-C1", "central", "2026-05-22", "1.001", "V-3", ""])
    with open(path, "rb") as fh:
        response = client.post("/api/v1/projects/imports", {"kind": "payments", "mode": "valid-only", "file": fh})
    assert response.status_code == 202, response.content
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded" and job.result["rejected"] == 1
    listed = client.get("/api/v1/projects/imports").json()
    assert listed["count"] == 1 and listed["items"][0]["kind"] == "payments" and listed["items"][0]["has_errors_file"]
    batch_id = listed["items"][0]["id"]
    one = client.get(f"/api/v1/projects/imports/{batch_id}").json()
    assert (one["imported"], one["rejected"], one["applied"]) == (2, 1, True)
    errors = client.get(f"/api/v1/projects/imports/{batch_id}/errors")
    assert errors.status_code == 200 and read_sheet(b"".join(errors.streaming_content))[1][3] == "1.001"
    # a kind the role may not import, a bad mode, a missing file, a role that imports nothing
    with open(path, "rb") as fh:
        assert client.post("/api/v1/projects/imports", {"kind": "progress", "file": fh}).status_code == 403
    with open(path, "rb") as fh:
        bad = client.post("/api/v1/projects/imports", {"kind": "payments", "mode": "some", "file": fh})
    assert bad.status_code == 422 and bad.json()["code"] == "mode_invalid"
    assert client.post("/api/v1/projects/imports", {"kind": "payments"}).json()["code"] == "file_missing"
    with open(path, "rb") as fh:
        assert api(make_user("leader", "429921")).post("/api/v1/projects/imports", {"kind": "payments", "file": fh}).status_code == 403
    # another county's clerk sees neither the batch nor its errors
    other = api(make_user("county_clerk", "429922"))
    assert other.get(f"/api/v1/projects/imports/{batch_id}").status_code == 404
    assert other.get(f"/api/v1/projects/imports/{batch_id}/errors").status_code == 404
    assert other.get("/api/v1/projects/imports").json()["count"] == 0
