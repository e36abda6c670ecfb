"""What-if (测算对比) of a draft version against the policy in force: by county and year, as a job with an xlsx result."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.subsidies import jobs_policy  # noqa: F401
from anju.subsidies.services import policy as svc

from .factories import actors, roster

D = dt.date


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def successor(tree, people):
    """Four direct households and one project-support household in 白云县; a city draft extending the current population's
    period from 2026-07-01 (李一、李二 moved before the cut-off: their 20 years end 2026-06-30)."""
    roster()
    return svc.subsidy_policy_create(actor=people["city_clerk"], title="清江市后续扶持", scope="4299", effective_from=D(2026, 7, 1),
                                     period_years_current=25)


def by_county_year(result) -> dict:
    return {(r["county"][:6], r["year"]): r for r in result["rows"]}


def test_whatif_costs_the_draft_against_the_policy_in_force(successor, people):
    result = svc.policy_whatif(actor=people["city_clerk"], policy=successor, years=3)
    assert result["years"] == [2026, 2027, 2028] and result["counties"] == 9 and len(result["rows"]) == 27
    rows = by_county_year(result)
    # 2026: 张×3 and 王 (原迁, moved 2008-03) a full year; 李×2 (现状) half a year now, a full year under the draft
    assert {k: rows[("429921", 2026)][k] for k in svc.WHATIF_SUMS} == {
        "persons_current": 6, "persons_draft": 6, "current": 4 * 60000 + 2 * 30000, "draft": 6 * 60000, "diff": 60000,
        "project_current": 2 * 60000, "project_draft": 2 * 60000}
    assert (rows[("429921", 2027)]["persons_current"], rows[("429921", 2027)]["current"], rows[("429921", 2027)]["draft"]) == (
        4, 240000, 360000)
    # 2028: the 原迁 window (from 2008-03) ends in February
    assert rows[("429921", 2028)]["current"] == 4 * 10000 and rows[("429921", 2028)]["draft"] == 4 * 10000 + 2 * 60000
    assert rows[("429922", 2026)]["persons_current"] == 0 and rows[("429922", 2026)]["county_name"]
    assert result["totals"]["diff"] == 60000 + 120000 + 120000
    assert [y["diff"] for y in result["by_year"]] == [60000, 120000, 120000]


def test_whatif_checks(successor, people):
    with pytest.raises(PermissionDenied):
        svc.policy_whatif_check(actor=people["clerk"], policy=successor, years=5)
    for years in (0, 11, "5", True):
        with pytest.raises(ValidationFailed) as exc:
            svc.policy_whatif_check(actor=people["city_clerk"], policy=successor, years=years)
        assert exc.value.message == str(svc.MSG_WHATIF_YEARS)
    published = svc.subsidy_policy_publish(actor=people["city"], policy=successor)
    with pytest.raises(Conflict) as exc:
        svc.policy_whatif_check(actor=people["city_clerk"], policy=published, years=5)
    assert exc.value.message == str(svc.MSG_WHATIF_STATE)


def test_whatif_job_writes_the_table(successor, people, login):
    client = login(people["city_clerk"])
    response = client.post(f"/subsidies/policies/{successor.pk}/whatif/", {"years": 2})
    job = Job.objects.get(kind="subsidies.policy.whatif")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params == {"policy": successor.pk, "years": 2} and job.division_code == "429900000000"
    page = client.get(f"/subsidies/policies/{successor.pk}/").content.decode()
    assert "有一次测算正在进行" in page
    job = job_execute(job.pk)
    assert job.state == "succeeded", job.error
    page = client.get(f"/subsidies/policies/{successor.pk}/").content.decode()
    assert "3,600.00" in page and "600.00" in page and "下载 Excel" in page and "有一次测算正在进行" not in page
    download = client.get(f"/jobs/{job.pk}/download/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(download.streaming_content))).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "清江市后续扶持（清江市，2026-07-01起）测算对比" and rows[1][0] == "县（市、区）"
    baiyun = next(r for r in rows if r[0] == "白云县" and r[1] == 2026)
    assert baiyun[2:9] == [6, 6, 3000.0, 3600.0, 600.0, 1200.0, 1200.0]
    total = next(r for r in rows if r[0] == "合计")
    assert total[4:7] == [5400.0, 7200.0, 1800.0]
    refused = client.post(f"/subsidies/policies/{successor.pk}/whatif/", {"years": 99}, follow=True)
    assert str(svc.MSG_WHATIF_YEARS) in refused.content.decode() and Job.objects.count() == 1
