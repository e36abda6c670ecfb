"""Ledger pages: recoveries (list, detection job, repay, waive), reconciliation, the person ledger, funds, reports."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from python_calamine import CalamineWorkbook

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.subsidies.models import Batch, Recovery
from anju.subsidies.services import recoveries as svc

from .factories import actors
from .test_ledger_data import enrolment, two_years


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def data(tree, people):
    return two_years(people)


def test_recovery_list_and_detail(data, people, login):
    client = login(people["clerk"])
    page = client.get("/subsidies/recoveries/").content.decode()
    for text in ("追缴管理", "张一", "300.00", "100.00", "部分追回", "死亡", "查找核减后多发"):
        assert text in page, text
    assert "张一" not in client.get("/subsidies/recoveries/?state=settled").content.decode()
    assert client.get("/subsidies/recoveries/?year=abc&county=x%00").status_code == 200
    r = data["recovery"]
    detail = client.get(f"/subsidies/recoveries/{r.pk}/").content.decode()
    for text in ("张一 2025年度多发追缴", "应追缴（元），多发 6 个月", "R-1", "登记还款", data["b2025"].number):
        assert text in detail, text
    assert "核销理由" not in detail  # a clerk may not write off
    assert "核销理由" in login(people["reviewer"]).get(f"/subsidies/recoveries/{r.pk}/").content.decode()
    assert login(people["other_reviewer"]).get(f"/subsidies/recoveries/{r.pk}/").status_code == 404


def test_repay_and_waive_through_the_pages(data, people, login):
    r = data["recovery"]
    clerk = login(people["clerk"])
    bad = clerk.post(f"/subsidies/recoveries/{r.pk}/repay/", {"amount": "500", "paid_on": dt.date.today().isoformat(), "method": "refund"})
    assert bad.status_code == 200 and str(svc.MSG_AMOUNT_OVER % {"amount": "500.00", "outstanding": "200.00"}) in bad.content.decode()
    assert clerk.post(f"/subsidies/recoveries/{r.pk}/repay/", {"amount": "1.234", "paid_on": "2025-01-01", "method": "refund"}).status_code == 200
    ok = clerk.post(f"/subsidies/recoveries/{r.pk}/repay/", {"amount": "50.5", "paid_on": dt.date.today().isoformat(), "method": "offset",
                                                              "receipt": "R-2"})
    assert ok.status_code == 302 and Recovery.objects.get(pk=r.pk).recovered == 15050
    assert clerk.post(f"/subsidies/recoveries/{r.pk}/waive/", {"reason": "x"}).status_code == 403
    reviewer = login(people["reviewer"])
    empty = reviewer.post(f"/subsidies/recoveries/{r.pk}/waive/", {"reason": ""})
    assert empty.status_code == 200 and Recovery.objects.get(pk=r.pk).state == "partial"
    done = reviewer.post(f"/subsidies/recoveries/{r.pk}/waive/", {"reason": "无力偿还"})
    assert done.status_code == 302 and Recovery.objects.get(pk=r.pk).state == "waived"
    again = reviewer.post(f"/subsidies/recoveries/{r.pk}/waive/", {"reason": "再次"}, follow=True)
    assert again.status_code == 200 and str(svc.MSG_WAIVE_STATE) in again.content.decode()


def test_detection_is_a_job(data, people, login):
    client = login(people["city_clerk"])
    response = client.post("/subsidies/recoveries/detect/", {"scope": "429921"})
    job = Job.objects.get(kind="subsidies.recoveries.detect")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/" and job.params == {"scope": "429921"}
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["created"] == 0 and job.result["scope"] == "429921"
    assert login(people["clerk"]).post("/subsidies/recoveries/detect/", {"scope": "4299"}).status_code == 302  # not a choice: a message
    assert Job.objects.count() == 1
    assert login(people["reviewer"]).post("/subsidies/recoveries/detect/", {"scope": "429921"}).status_code == 403


def test_reconciliation_page_and_confirm(data, people, login):
    batch = data["b2025"]
    client = login(people["clerk"])
    page = client.get(f"/subsidies/batches/{batch.pk}/reconciliation/").content.decode()
    for text in ("对账", "应发 = 已发 + 失败 + 待发", "2,400.00", "账目相符", "对账确认", "发放公示表（PDF）"):
        assert text in page, text
    response = client.post(f"/subsidies/batches/{batch.pk}/reconciliation/confirm/")
    assert response.status_code == 302 and Batch.objects.get(pk=batch.pk).state == Batch.State.RECONCILED
    again = client.post(f"/subsidies/batches/{batch.pk}/reconciliation/confirm/", follow=True)
    assert "只有“已回盘”的批次可以对账确认" in again.content.decode()
    assert login(people["reviewer"]).post(f"/subsidies/batches/{batch.pk}/reconciliation/confirm/").status_code == 403
    assert login(people["other_reviewer"]).get(f"/subsidies/batches/{batch.pk}/reconciliation/").status_code == 404


def test_person_ledger_page_and_link(data, people, login):
    person = enrolment("李一").person
    client = login(people["reviewer"])
    registry = client.get(f"/registry/persons/{person.pk}/").content.decode()
    assert f"/subsidies/ledger/{person.pk}/" in registry
    page = client.get(f"/subsidies/ledger/{person.pk}/").content.decode()
    for text in ("李一 补贴台账", "已转补发", data["supplement"].number, "BR2025-9", "600.00", "补发批次"):
        assert text in page, text
    zhang = client.get(f"/subsidies/ledger/{enrolment('张一').person_id}/").content.decode()
    assert "追缴 300.00 元" in zhang and "200.00" in zhang
    assert login(people["other_reviewer"]).get(f"/subsidies/ledger/{person.pk}/").status_code == 404
    search = client.get("/subsidies/ledger/?q=李").content.decode()
    assert f"/subsidies/ledger/{person.pk}/" in search


def test_funds_page_and_export(data, people, login):
    client = login(people["city_clerk"])
    page = client.get("/subsidies/funds/?year=2025").content.decode()
    for text in ("资金汇总", "白云县", "中央水库移民扶持基金", "省级资金", "2,400.00", "1,200.00"):
        assert text in page, text
    response = client.get("/subsidies/funds/summary.xlsx?year=2025&fund_source=central")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert "2025年度直补资金汇总表" in rows[0][0] and rows[3][1] == "白云县" and rows[3][3] == 2400.0 and rows[-1][0] == "合计"
    assert AuditEvent.objects.filter(action="subsidies.funds.summary_exported", actor=people["city_clerk"]).count() == 1


def test_annual_report_page(data, people, login):
    client = login(people["city_clerk"])
    assert "年度资金报告" in client.get("/subsidies/reports/").content.decode()
    response = client.get("/subsidies/reports/?year=2025&scope=4299&format=docx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
    assert "清江市2025年度水库移民后期扶持直补资金发放情况报告" in text
    bad = client.get("/subsidies/reports/?year=2025&scope=429821&format=docx")
    assert bad.status_code == 200 and bad["Content-Type"].startswith("text/html")  # not a choice
    township = login(people["township"]).get("/subsidies/reports/").content.decode()
    assert "请查看资金汇总" in township
