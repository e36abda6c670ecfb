"""The dashboard pages: headline figures, the comparison table with drill-down (city → county → township → site page),
charts and the embedded map; the map download, ledgers (at once or as a job) and the report job, all audited."""

from __future__ import annotations

import io

import defusedxml.ElementTree as DET
import pytest

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.relocation import reports_ledgers as rl

from .test_dashboards_world import build_world

pytestmark = pytest.mark.django_db
Q = "as_of=2026-06-30"


@pytest.fixture
def world(tree, other_city, make_user):
    w = build_world()
    w["city"] = make_user("city_clerk", "4299", username="dw_city")
    w["county"] = make_user("county_clerk", "429921", username="dw_county")
    w["leader"] = make_user("leader", "4299", username="dw_leader")
    return w


def test_city_dashboard(world, login):
    page = login(world["leader"]).get(f"/relocation/dashboards/?{Q}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("66.67%", "7,333", "25.00%", "脱贫不稳定户 1", "红色 1", "县内务工 1 人", "因病 1 户", "白云安置点一（50.00%）"):
        assert text in html, text
    assert 'href="?scope=429921&amp;as_of=2026-06-30"' in html and "青山县" in html  # drill down to a county
    assert html.count("<svg") >= 4  # three charts and the map
    assert f'href="/relocation/sites/{world["a"].pk}/"' in html
    assert "无坐标安置点" in html and "/relocation/dashboards/map.svg?scope=4299" in html
    assert "导出完整身份证号" not in html  # a leader may not unmask


def test_drill_down_to_county_and_township(world, login):
    client = login(world["city"])
    county = client.get(f"/relocation/dashboards/?scope=429921&{Q}").content.decode()
    assert "乡镇（街道）" in county and 'href="?scope=429921101&amp;as_of=2026-06-30"' in county
    assert "白云安置点二" in county and "青山安置点" not in county and "导出完整身份证号" in county
    township = client.get(f"/relocation/dashboards/?scope=429921101&{Q}").content.decode()
    assert f'href="/relocation/sites/{world["a"].pk}/"' in township and "50.00%" in township
    assert client.get(f"/relocation/dashboards/?scope=429821&{Q}").status_code == 404
    mine = login(world["county"])
    assert mine.get(f"/relocation/dashboards/?scope=4299&{Q}").status_code == 404
    assert "青山县" not in mine.get(f"/relocation/dashboards/?{Q}").content.decode()


def test_map_download(world, login):
    response = login(world["county"]).get(f"/relocation/dashboards/map.svg?{Q}")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in response["Content-Disposition"]
    root = DET.fromstring(response.content)
    codes = {c.get("data-code") for c in root.iter("{http://www.w3.org/2000/svg}circle") if c.get("data-code")}
    assert codes == {"DB-A", "DB-B"}
    assert AuditEvent.objects.filter(action="relocation.map.exported", actor=world["county"]).exists()


def test_small_ledger_comes_back_at_once(world, login):
    from python_calamine import CalamineWorkbook

    response = login(world["city"]).post("/relocation/dashboards/ledgers/", {"kind": "support", "as_of": "2026-06-30", "scope": "429921"})
    assert response.status_code == 200 and response["Content-Type"] == rl.XLSX
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert {r[0] for r in rows[3:7]} == {"DB-H1", "DB-H2", "DB-H3", "合计"}
    assert AuditEvent.objects.filter(action="relocation.ledger.exported").count() == 1


def test_big_ledger_is_a_job(world, login, monkeypatch):
    from python_calamine import CalamineWorkbook

    monkeypatch.setattr(rl, "INLINE_ROWS", 1)
    client = login(world["city"])
    response = client.post("/relocation/dashboards/ledgers/", {"kind": "monitoring", "as_of": "2026-06-30", "unmasked": "on"})
    job = Job.objects.get(kind="relocation.ledger")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params == {"kind": "monitoring", "as_of": "2026-06-30", "scope": "4299", "unmasked": True}
    job = job_execute(job.pk)
    assert job.state == "succeeded", job.error
    download = client.get(f"/jobs/{job.pk}/download/")
    data = b"".join(download.streaming_content) if getattr(download, "streaming", False) else download.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "清江市易地扶贫搬迁监测对象台账" and "*" not in rows[3][2]
    assert AuditEvent.objects.filter(action="relocation.ledger.exported_unmasked", actor=world["city"]).count() == 1


def test_ledger_refusals(world, login):
    leader = login(world["leader"])
    response = leader.post("/relocation/dashboards/ledgers/", {"kind": "support", "as_of": "2026-06-30", "unmasked": "on"})
    assert response.status_code == 403  # the page offers no unmasking to a leader; asking anyway is refused
    assert not AuditEvent.objects.filter(action__startswith="relocation.ledger").exists()
    bad = leader.post("/relocation/dashboards/ledgers/", {"kind": "nope", "as_of": "2026-06-30"})
    assert bad.status_code == 302 and not Job.objects.filter(kind="relocation.ledger").exists()


def test_report_job(world, login):
    import docx

    client = login(world["county"])
    response = client.post("/relocation/dashboards/report/", {"as_of": "2026-06-30", "scope": "429921", "doc_number": "白搬办〔2026〕2号"})
    job = Job.objects.get(kind="relocation.report")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    job = job_execute(job.pk)
    assert job.state == "succeeded", job.error
    download = client.get(f"/jobs/{job.pk}/download/")
    data = b"".join(download.streaming_content) if getattr(download, "streaming", False) else download.content
    texts = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert texts[1] == "白搬办〔2026〕2号" and "关于白云县易地扶贫搬迁后续扶持工作情况的报告" in texts
    assert AuditEvent.objects.filter(action="relocation.report.generated", actor=world["county"]).count() == 1
