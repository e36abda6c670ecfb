"""The bulletin as a job: started from the rates page and from the API, run by the worker, its file downloadable and
audited; the CLI runs the same job inline and writes the file its suffix names."""

from __future__ import annotations

import contextvars
import io
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.projects import reports_bulletin as rb

from .rates_data import build_rates_world

pytestmark = pytest.mark.django_db
FORM = {"year": "2026", "as_of": "2026-09-30", "format": "xlsx", "doc_number": "清移办〔2026〕12号"}


@pytest.fixture
def city(tree, other_city, make_user):
    build_rates_world()
    return make_user("city_clerk", "4299", username="r_city")


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_web_starts_the_job_and_the_file_downloads(city, login):
    from python_calamine import CalamineWorkbook

    client = login(city)
    response = client.post("/projects/rates/bulletin/", FORM)
    job = Job.objects.get(kind="projects.bulletin")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params == {"year": 2026, "as_of": "2026-09-30", "scope": "4299", "format": "xlsx", "doc_number": "清移办〔2026〕12号"}
    assert job.division_code == "429900000000" and job.created_by == city
    job = job_execute(job.pk)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["file"] == "项目建设进度和资金支付情况通报-清江市-2026-09-30.xlsx" and job.result["format"] == "xlsx"
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content) if download.streaming else download.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("分县排名").to_python()
    assert next(r for r in rows if r[1] == "白云县")[7:9] == [200.0, 70.0]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"jobs.job.submitted", "projects.bulletin.generated", "jobs.job.finished", "jobs.result.downloaded"} <= actions


def test_web_refuses_bad_input_and_other_scopes(city, login, make_user):
    client = login(city)
    response = client.post("/projects/rates/bulletin/", {**FORM, "format": "odt"}, follow=True)
    assert "通报参数有误" in response.content.decode() and not Job.objects.filter(kind="projects.bulletin").exists()
    clerk = make_user("county_clerk", "429922")
    assert login(clerk).post("/projects/rates/bulletin/", {**FORM, "scope": "429921"}).status_code == 404
    assert login(make_user("sysadmin", "4299")).post("/projects/rates/bulletin/", FORM).status_code == 403
    assert not Job.objects.filter(kind="projects.bulletin").exists()


def test_api_starts_the_job(city, make_user, api):
    client = api(make_user("county_clerk", "429921"))
    response = client.post("/api/v1/projects/rates/bulletins", data=json.dumps({"year": 2026, "as_of": "2026-09-30", "format": "pdf"}),
                           content_type="application/json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "projects.bulletin" and body["state"] == "queued"
    job = job_execute(body["id"])
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.params["scope"] == "429921" and job.result["file"].endswith("白云县-2026-09-30.pdf")
    refused = client.post("/api/v1/projects/rates/bulletins", data=json.dumps({"year": 2026, "as_of": "2026-09-30", "format": "odt"}),
                          content_type="application/json")
    assert refused.status_code == 422
    outside = client.post("/api/v1/projects/rates/bulletins", data=json.dumps({"year": 2026, "as_of": "2026-09-30", "scope": "429922"}),
                          content_type="application/json")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    assert Job.objects.filter(kind="projects.bulletin").count() == 1


def test_cli_writes_the_file_its_suffix_names(city, tmp_path):
    import docx

    out = tmp_path / "通报.docx"
    result = invoke("projects", "bulletin", "--year", "2026", "--as-of", "2026-09-30", "--doc-number", "清移办〔2026〕12号", "--as", "r_city",
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已生成通报" in result.output
    document = docx.Document(str(out))
    assert document.paragraphs[1].text == "清移办〔2026〕12号"
    assert any(p.text.startswith("截至2026年9月30日，全市中省后期扶持项目共4个") for p in document.paragraphs)
    job = Job.objects.get(kind="projects.bulletin")
    assert job.state == Job.State.SUCCEEDED and job.params["format"] == "docx"
    assert AuditEvent.objects.filter(action="projects.bulletin.generated", actor_id=city.pk).count() == 1
    as_json = invoke("projects", "bulletin", "--year", "2026", "--as-of", "2026-09-30", "--as", "r_city", "--out", str(tmp_path / "b.xlsx"),
                     "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["format"] == "xlsx" and (tmp_path / "b.xlsx").stat().st_size > 0
    bad = invoke("projects", "bulletin", "--year", "2026", "--as-of", "2026-09-30", "--as", "r_city", "--out", str(tmp_path / "b.odt"))
    assert bad.exit_code == 2 and str(rb.MSG_FORMAT) in bad.output
    assert Job.objects.filter(kind="projects.bulletin").count() == 2
