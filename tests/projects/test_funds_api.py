"""The funds API: allocations and payments as yuan strings, the over-payment refusal, scoped lists, deletion with a
reason, the project's totals by source, scope (404) and permission (403)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anju.core.models import AuditEvent
from anju.projects.models import Allocation, Payment, Stage
from anju.projects.services import funds as svc

from .factories import OTHER_VILLAGE, make_allocation, make_payment, make_project
from .funds_data import LAST_YEAR, TODAY, actors

D = dt.timedelta
A = "/api/v1/projects/funds"


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_allocation_and_payment_in_yuan_strings(people, api):
    project = make_project(year=LAST_YEAR, stage=Stage.REVIEWING)
    clerk = api(people["clerk"])
    doc_date = (TODAY - D(days=10)).isoformat()
    r = post(clerk, f"{A}/projects/{project.pk}/allocations", {"fund_source": "central", "year": TODAY.year, "doc_number": "清移发〔2026〕5号",
                                                                "doc_date": doc_date, "amount_yuan": "123456.78"})
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["amount_yuan"] == "123456.78" and out["fund_source_name"] == "中央水库移民扶持基金" and out["created_by"] == "f_clerk"
    assert Allocation.objects.get().amount == 12_345_678
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED

    again = post(clerk, f"{A}/projects/{project.pk}/allocations", {"fund_source": "central", "year": TODAY.year, "doc_number": "清移发〔2026〕5号",
                                                                    "doc_date": doc_date, "amount_yuan": "1"})
    assert again.status_code == 409 and again.json()["message"] == str(svc.MSG_ALLOC_DUPLICATE % {"source": "中央水库移民扶持基金",
                                                                                                    "doc_number": "清移发〔2026〕5号"})
    assert post(clerk, f"{A}/projects/{project.pk}/allocations", {"fund_source": "central", "year": TODAY.year, "doc_number": "y",
                                                                   "doc_date": doc_date, "amount_yuan": "1.234"}).status_code == 422

    paid = post(clerk, f"{A}/projects/{project.pk}/payments", {"fund_source": "central", "paid_on": TODAY.isoformat(), "amount_yuan": "100000",
                                                                "voucher": "PZ-1", "payee": "县建筑公司"})
    assert paid.status_code == 201 and paid.json()["amount_yuan"] == "100000.00"
    over = post(clerk, f"{A}/projects/{project.pk}/payments", {"fund_source": "central", "paid_on": TODAY.isoformat(), "amount_yuan": "23456.79",
                                                                "voucher": "PZ-2"})
    assert over.status_code == 422
    assert over.json()["message"] == str(svc.MSG_PAY_EXCESS % {"source": "中央水库移民扶持基金", "date": TODAY.isoformat(), "paid": "123,456.79",
                                                               "allocated": "123,456.78"})
    assert over.json()["detail"]["paid"] == "123456.79" and Payment.objects.count() == 1

    summary = clerk.get(f"{A}/projects/{project.pk}").json()
    assert (summary["allocated_yuan"], summary["paid_yuan"], summary["balance_yuan"], summary["payment_rate"]) == (
        "123456.78", "100000.00", "23456.78", "0.8100")
    assert summary["sources"][0]["fund_source"] == "central" and summary["stage"] == "approved"


def test_lists_are_scoped_and_filtered(people, api):
    mine = make_project(year=LAST_YEAR)
    theirs = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    make_allocation(mine, 100, doc_date=dt.date(TODAY.year, 1, 5), doc_number="M-1")
    make_allocation(mine, 200, doc_date=dt.date(LAST_YEAR, 1, 5), fund_source="provincial", doc_number="M-0")
    make_allocation(theirs, 300, doc_date=dt.date(TODAY.year, 1, 5), doc_number="T-1")
    make_payment(mine, 50, paid_on=dt.date(TODAY.year, 2, 1), voucher="V-M")
    make_payment(theirs, 60, paid_on=dt.date(TODAY.year, 2, 1), voucher="V-T")
    clerk = api(people["clerk"])
    docs = [a["doc_number"] for a in clerk.get(f"{A}/allocations").json()["items"]]
    assert sorted(docs) == ["M-0", "M-1"]
    assert [a["doc_number"] for a in clerk.get(f"{A}/allocations?year={TODAY.year}").json()["items"]] == ["M-1"]
    assert [a["doc_number"] for a in clerk.get(f"{A}/allocations?fund_source=provincial").json()["items"]] == ["M-0"]
    assert clerk.get(f"{A}/allocations?county=429821").json()["count"] == 0
    assert [p["voucher"] for p in clerk.get(f"{A}/payments").json()["items"]] == ["V-M"]
    assert clerk.get(f"{A}/projects/{mine.pk}/payments").json()["items"][0]["amount_yuan"] == "0.50"
    assert clerk.get(f"{A}/projects/{mine.pk}/allocations").json()["count"] == 2
    for path in (f"{A}/projects/{theirs.pk}", f"{A}/projects/{theirs.pk}/allocations", f"{A}/allocations?project_id={theirs.pk}",
                 f"{A}/allocations/{Allocation.objects.get(doc_number='T-1').pk}", f"{A}/payments/{Payment.objects.get(voucher='V-T').pk}"):
        response = clerk.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path


def test_delete_needs_a_reason_scope_and_permission(people, api):
    project = make_project(year=LAST_YEAR)
    a = make_allocation(project, 10_000, doc_date=TODAY - D(days=20))
    p = make_payment(project, 10_000, paid_on=TODAY - D(days=2))
    foreign = make_allocation(make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE), 10)
    clerk, leader = api(people["clerk"]), api(people["leader"])
    assert clerk.delete(f"{A}/allocations/{a.pk}").status_code == 422  # no reason
    refused = clerk.delete(f"{A}/allocations/{a.pk}?reason=录错")
    assert refused.status_code == 409 and refused.json()["code"] == "payments_exceed"
    assert leader.delete(f"{A}/payments/{p.pk}?reason=x").json()["code"] == "forbidden"
    assert clerk.delete(f"{A}/allocations/{foreign.pk}?reason=x").status_code == 404
    assert clerk.delete(f"{A}/payments/{p.pk}?reason=重复").status_code == 204
    assert clerk.delete(f"{A}/allocations/{a.pk}?reason=录错").status_code == 204
    assert not Allocation.objects.filter(project=project).exists() and not Payment.objects.exists()
    assert AuditEvent.objects.get(action="projects.allocation.deleted").after == {"reason": "录错"}
    body = {"fund_source": "central", "year": TODAY.year, "doc_number": "x", "doc_date": TODAY.isoformat(), "amount_yuan": "1"}
    response = post(leader, f"{A}/projects/{project.pk}/allocations", body)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert post(api(people["finance"]), f"{A}/projects/{project.pk}/allocations", body).status_code == 201
