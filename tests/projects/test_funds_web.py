"""The funds pages: a project's funds with 元/万元 forms and totals by source, deletion, the allocation and payment lists
with their Excel exports read back, scope (404) and permission (403)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.projects.models import Allocation, Payment, Stage
from anju.projects.services import funds as svc

from .factories import OTHER_VILLAGE, VILLAGE, make_allocation, make_payment, make_project
from .funds_data import LAST_YEAR, TODAY, actors

D = dt.timedelta


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


@pytest.fixture
def project(people):
    return make_project(year=LAST_YEAR, stage=Stage.REVIEWING, name="白云村道路硬化")


def url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"projects_funds:{name}", args=args)


def sheet(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_allocation_and_payment_forms_in_yuan_and_wan(people, project, login):
    web = login(people["clerk"])
    doc_date = TODAY - D(days=20)
    page = web.get(url("project", project.pk))
    assert page.status_code == 200 and "登记资金下达" in page.content.decode() and "登记支付" not in page.content.decode()
    response = web.post(url("allocation_create", project.pk), {"fund_source": "central", "year": TODAY.year, "doc_number": "清移发〔2026〕9号",
                                                               "doc_date": doc_date.isoformat(), "amount": "12.5", "unit": "wan", "note": ""})
    assert response.status_code == 302 and response.url == url("project", project.pk)
    a = Allocation.objects.get(project=project)
    assert a.amount == 12_500_000  # 12.5 万元 = 125,000.00 元
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED

    response = web.post(url("payment_create", project.pk), {"fund_source": "central", "paid_on": TODAY.isoformat(), "amount": "1,234.56",
                                                            "unit": "yuan", "voucher": "PZ-01", "payee": "县建筑公司"})
    assert response.status_code == 302
    assert Payment.objects.get(project=project).amount == 123_456
    response = web.post(url("payment_create", project.pk), {"fund_source": "central", "paid_on": TODAY.isoformat(), "amount": "0.0123",
                                                            "unit": "wan", "voucher": "PZ-02"})
    assert response.status_code == 302 and Payment.objects.get(voucher="PZ-02").amount == 12_300  # 0.0123 万元 = 123.00 元

    page = web.get(url("project", project.pk)).content.decode()
    assert "125,000.00" in page and "1,357.56" in page and "123,642.44" in page and "1.09%" in page  # 135,756 / 12,500,000


def test_form_errors_write_nothing(people, project, login):
    make_allocation(project, 10_000_000, doc_date=TODAY - D(days=30))  # 100,000.00 元
    web = login(people["clerk"])
    bad_amount = web.post(url("allocation_create", project.pk), {"fund_source": "central", "year": TODAY.year, "doc_number": "X",
                                                                 "doc_date": TODAY.isoformat(), "amount": "1.2345", "unit": "yuan"})
    assert bad_amount.status_code == 200 and "精确不到分" in bad_amount.content.decode()
    over = web.post(url("payment_create", project.pk), {"fund_source": "central", "paid_on": TODAY.isoformat(), "amount": "10.0001",
                                                        "unit": "wan", "voucher": "PZ-9"})
    body = over.content.decode()
    assert over.status_code == 200
    assert str(svc.MSG_PAY_EXCESS % {"source": "中央水库移民扶持基金", "date": TODAY.isoformat(), "paid": "100,001.00",
                                     "allocated": "100,000.00"}) in body
    assert Allocation.objects.count() == 1 and not Payment.objects.exists()


def test_delete_with_reason(people, project, login):
    a = make_allocation(project, 10_000, doc_date=TODAY - D(days=30))
    p = make_payment(project, 10_000, paid_on=TODAY - D(days=3))
    web = login(people["clerk"])
    refused = web.post(url("allocation_delete", a.pk), {"reason": "录错"}, follow=True)
    assert "将超过剩余下达资金" in refused.content.decode() and Allocation.objects.filter(pk=a.pk).exists()
    no_reason = web.post(url("payment_delete", p.pk), {"reason": ""}, follow=True)
    assert "请填写删除原因" in no_reason.content.decode() and Payment.objects.filter(pk=p.pk).exists()
    assert web.post(url("payment_delete", p.pk), {"reason": "重复"}).status_code == 302
    assert web.post(url("allocation_delete", a.pk), {"reason": "录错"}).status_code == 302
    assert not Payment.objects.exists() and not Allocation.objects.exists()
    assert AuditEvent.objects.filter(action__in=["projects.payment.deleted", "projects.allocation.deleted"]).count() == 2


def test_scope_and_permission(people, project, login):
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    fa = make_allocation(foreign, 1_000)
    clerk = login(people["clerk"])
    for path in (url("project", foreign.pk), url("progress", foreign.pk)):
        assert clerk.get(path).status_code == 404
    assert clerk.post(url("allocation_delete", fa.pk), {"reason": "x"}).status_code == 404
    neighbour = make_project(year=LAST_YEAR, division_code="429922000000")  # 青山县, the same city
    na = make_allocation(neighbour, 1_000)
    for path in (url("project", neighbour.pk), url("progress", neighbour.pk)):
        assert clerk.get(path).status_code == 404
    assert clerk.post(url("payment_create", neighbour.pk), {"fund_source": "central"}).status_code == 404
    assert clerk.post(url("allocation_delete", na.pk), {"reason": "x"}).status_code == 404
    assert login(people["city"]).get(url("project", neighbour.pk)).status_code == 200
    assert "429922" not in clerk.get(url("allocations")).content.decode()
    leader = login(people["leader"])
    page = leader.get(url("project", project.pk))
    assert page.status_code == 200 and "登记资金下达" not in page.content.decode()
    data = {"fund_source": "central", "year": TODAY.year, "doc_number": "X", "doc_date": TODAY.isoformat(), "amount": "1", "unit": "yuan"}
    assert leader.post(url("allocation_create", project.pk), data).status_code == 403
    a = make_allocation(project, 1_000)
    assert leader.post(url("allocation_delete", a.pk), {"reason": "x"}).status_code == 403
    assert not Allocation.objects.filter(doc_number="X").exists() and Allocation.objects.filter(pk=a.pk).exists()
    # the project page links here with GET: it lands on the form
    assert clerk.get(url("allocation_create", project.pk)).url == url("project", project.pk) + "#allocation-form"


def test_lists_and_exports_read_back(people, login):
    p1 = make_project(year=LAST_YEAR, name="=HYPERLINK(\"x\")")
    p2 = make_project(year=LAST_YEAR, division_code=VILLAGE)
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    make_allocation(p1, 12_345_678, doc_date=dt.date(TODAY.year, 1, 10), doc_number="A-1")
    make_allocation(p2, 100_000, doc_date=dt.date(TODAY.year, 1, 11), fund_source="provincial", doc_number="A-2")
    make_allocation(p1, 500, doc_date=dt.date(LAST_YEAR, 6, 1), doc_number="A-0")
    make_allocation(foreign, 999, doc_date=dt.date(TODAY.year, 1, 12))
    make_payment(p1, 1_000_001, paid_on=dt.date(TODAY.year, 2, 1), voucher="V-1")
    make_payment(p2, 50_000, paid_on=dt.date(TODAY.year, 2, 2), fund_source="provincial", voucher="V-2")
    make_payment(foreign, 1, paid_on=dt.date(TODAY.year, 2, 3))
    web = login(people["city"])

    page = web.get(url("allocations") + f"?year={TODAY.year}").content.decode()
    assert "A-1" in page and "A-2" in page and "A-0" not in page and "124,456.78" in page
    page = web.get(url("allocations") + "?fund_source=provincial").content.decode()
    assert "A-2" in page and "A-1" not in page

    response = web.get(url("allocations_export") + f"?year={TODAY.year}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet(response.content)
    assert rows[0][0] == "清江市项目资金下达明细表"
    assert rows[2][:4] == ["序号", "项目编码", "项目名称", "县（市、区）"] and rows[2][8] == "下达金额（元）"
    body = rows[3:-1]
    assert sorted(r[6] for r in body) == ["A-1", "A-2"]
    by_doc = {r[6]: r for r in body}
    assert by_doc["A-1"][8] == 123456.78 and by_doc["A-2"][8] == 1000.0 and by_doc["A-2"][4] == "省级资金"
    assert by_doc["A-1"][2] == "'=HYPERLINK(\"x\")" and by_doc["A-1"][3] == "白云县"
    assert rows[-1][0] == "合计" and rows[-1][8] == 124456.78
    event = AuditEvent.objects.get(action="projects.allocations.exported")
    assert event.after["rows"] == 2 and event.after["year"] == TODAY.year and event.actor == people["city"]

    rows = sheet(web.get(url("payments_export") + "?county=429921").content)
    assert rows[0][0] == "白云县项目资金支付明细表"
    assert sorted(r[6] for r in rows[3:-1]) == ["V-1", "V-2"] and rows[-1][8] == 10500.01
    assert AuditEvent.objects.filter(action="projects.payments.exported").count() == 1

    clerk = login(people["foreign"])
    rows = sheet(clerk.get(url("payments_export")).content)
    assert len(rows[3:-1]) == 1 and rows[-1][8] == 0.01  # the other county's clerk sees its own payment only
