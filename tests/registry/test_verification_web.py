"""Verification pages: list, run form (a job), detail with counts and changes, sign-off buttons, send back, exports."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.registry import jobs_verification  # noqa: F401
from anju.registry.models import Program, Verification
from anju.registry.services import verification as svc

from .verification_data import COUNTY, actors, base_roster, events_2025, locked


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def year2025(tree, people):
    places = base_roster()
    locked(people, 2024)
    events_2025(places, people["clerk"])
    return svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)


def test_run_form_queues_a_job_that_builds_the_verification(tree, people, login):
    base_roster()
    client = login(people["clerk"])
    page = client.get("/registry/verification/run/")
    assert page.status_code == 200 and "白云县（429921）" in page.content.decode()
    response = client.post("/registry/verification/run/", {"year": 2025, "program": "reservoir", "county": "429921"})
    job = Job.objects.get(kind="registry.verification.run")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params == {"year": 2025, "program": "reservoir", "county": "429921"} and job.division_code == "429921000000"
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["total"] == 6
    v = Verification.objects.get(pk=job.result["verification"])
    assert (v.year, v.created_by) == (2025, people["clerk"])


def test_run_form_shows_service_errors(tree, people, login):
    base_roster()
    svc.verification_run(actor=people["clerk"], year=2024, program=Program.RESERVOIR, county_code=COUNTY)  # a draft, not locked
    response = login(people["clerk"]).post("/registry/verification/run/", {"year": 2025, "program": "reservoir", "county": "429921"})
    assert response.status_code == 200
    assert str(svc.MSG_PREVIOUS_NOT_LOCKED % {"year": 2024}) in response.content.decode()
    assert not Job.objects.filter(kind="registry.verification.run").exists()
    other = login(people["clerk"]).post("/registry/verification/run/", {"year": 2025, "program": "reservoir", "county": "429922"})
    assert other.status_code == 200 and not Job.objects.exists()  # another county is not a choice


def test_list_and_detail(year2025, people, login):
    client = login(people["reviewer"])
    listing = client.get("/registry/verification/?year=2025").content.decode()
    assert f"/registry/verification/{year2025.pk}/" in listing and "白云县" in listing
    assert f"/registry/verification/{year2025.pk}/" not in client.get("/registry/verification/?year=2024").content.decode()
    page = client.get(f"/registry/verification/{year2025.pk}/").content.decode()
    for text in ("白云县2025年度水库移民后期扶持人口核定", "县级确认", "李二", "死亡", "张叁", "姓名：张三 → 张叁", "银行账号（已变更）", "新增人员"):
        assert text in page, text
    assert "市级确认并锁定" not in page
    removed = client.get(f"/registry/verification/{year2025.pk}/?kind=removed").content.decode()
    assert "李二" in removed and "张叁" not in removed
    entries = client.get(f"/registry/verification/{year2025.pk}/entries/?q=张").content.decode()
    assert "张一" in entries and "李一" not in entries
    bad = client.get(f"/registry/verification/{year2025.pk}/?division=abc&kind=zzz")
    assert bad.status_code == 200


def test_sign_off_through_the_pages(year2025, people, login):
    url = f"/registry/verification/{year2025.pk}"
    assert login(people["township"]).post(url + "/sign-county/").status_code == 403
    assert login(people["other_reviewer"]).post(url + "/sign-county/").status_code == 404
    assert login(people["other_reviewer"]).get(url + "/").status_code == 404
    reviewer = login(people["reviewer"])
    assert reviewer.post(url + "/sign-county/").status_code == 302
    assert Verification.objects.get(pk=year2025.pk).state == "county_signed"
    response = reviewer.post(url + "/sign-county/", follow=True)  # twice: a message, not an error page
    assert str(svc.MSG_SIGN_COUNTY_STATE) in response.content.decode()
    assert reviewer.post(url + "/sign-city/").status_code == 403
    city = login(people["city"])
    assert "市级确认并锁定" in city.get(url + "/").content.decode()
    response = city.post(url + "/reopen/", {"reason": ""}, follow=True)
    assert str(svc.MSG_REASON_REQUIRED) in response.content.decode()
    city.post(url + "/reopen/", {"reason": "人数有误"})
    assert Verification.objects.get(pk=year2025.pk).state == "draft"
    assert "人数有误" in reviewer.get(url + "/").content.decode()
    reviewer.post(url + "/sign-county/")
    city.post(url + "/sign-city/")
    assert Verification.objects.get(pk=year2025.pk).state == "locked"
    assert "重新生成" not in login(people["clerk"]).get(url + "/").content.decode()


def test_township_clerk_sees_its_part(year2025, people, login):
    page = login(people["township"]).get(f"/registry/verification/{year2025.pk}/").content.decode()
    assert "张叁" in page and "李二" not in page


def test_downloads(year2025, people, login):
    client = login(people["reviewer"])
    summary = client.get(f"/registry/verification/{year2025.pk}/summary.xlsx")
    assert summary.status_code == 200 and "attachment" in summary["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(summary.content)).get_sheet_by_index(0).to_python()
    assert rows[-1][1] == "合计"
    report = client.get(f"/registry/verification/{year2025.pk}/report.docx")
    assert report.status_code == 200 and report.content[:2] == b"PK"
    response = client.post(f"/registry/verification/{year2025.pk}/roster/", {"unmasked": "on"})
    job = Job.objects.get(kind="registry.verification.roster")
    assert response.url == f"/jobs/{job.pk}/" and job.params == {"verification": year2025.pk, "unmasked": True}
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["rows"] == 5
    download = client.get(f"/jobs/{job.pk}/download/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(download.streaming_content))).get_sheet_by_index(0).to_python()
    assert len(rows) == 7 and all("*" not in r[6] for r in rows[2:])
    assert AuditEvent.objects.filter(action="registry.verification.roster_exported_unmasked").count() == 1
    assert login(people["city"]).post(f"/registry/verification/{year2025.pk}/roster/").status_code == 403  # no REGISTRY_EXPORT
