"""Allocation and payment imports: read back, 万元/元, keys, cumulative payments within allocations (database plus file),
bad amounts, all-or-nothing and valid-only, idempotence and scope."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import PermissionDenied
from anju.core.models import AuditEvent
from anju.projects import money
from anju.projects.models import Allocation, Payment, Stage, Term
from anju.projects.services import imports as service
from anju.projects.services import imports_kinds as kinds

from .factories import make_allocation, make_payment, make_project
from .imports_data import ALLOCATION_HEADERS, PAYMENT_HEADERS, errors_of, run, write_xlsx


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="pi_clerk")


@pytest.fixture
def finance(make_user):
    return make_user("finance", "429921", username="pi_finance")



@pytest.fixture
def project(db):
    return make_project(code="BY-F1", name="茶坝村产业路", stage=Stage.APPROVED)


def test_allocations_are_read_back(tree, clerk, project, tmp_path):
    rows = [ALLOCATION_HEADERS, ["BY-F1", "茶坝村产业路", "中央水库移民扶持基金", 2026, "清移发〔2026〕12号", dt.date(2026, 3, 15), 100],
            ["BY-F1", "", "provincial", "", "鄂移〔2026〕3号", "2026/4/2", "25.5"]]
    report = run(clerk, "allocations", write_xlsx(tmp_path / "a.xlsx", rows))
    assert (report.imported, report.rejected) == (2, 0), report.errors
    got = list(Allocation.objects.order_by("doc_date").values_list("project_id", "division_code", "fund_source", "year", "doc_number", "doc_date",
                                                                   "amount", "created_by"))
    assert got == [(project.pk, project.division_code, "central", 2026, "清移发〔2026〕12号", dt.date(2026, 3, 15), 100_000_000, clerk.pk),
                   (project.pk, project.division_code, "provincial", 2026, "鄂移〔2026〕3号", dt.date(2026, 4, 2), 25_500_000, clerk.pk)]
    assert AuditEvent.objects.filter(action="projects.allocation.imported").count() == 1


def test_allocation_key_and_updates(tree, clerk, project, tmp_path):
    make_allocation(project, 50_000_000, doc_number="清移发〔2026〕1号", doc_date=dt.date(2026, 2, 1))
    make_payment(project, 30_000_000)
    headers = ["项目编码", "资金来源", "文号", "下达日期", "下达金额（元）"]
    same = [headers, ["BY-F1", "中央水库移民扶持基金", "清移发〔2026〕1号", "2026-02-01", "500000"]]
    assert run(clerk, "allocations", write_xlsx(tmp_path / "s.xlsx", same)).unchanged == 1
    raised = [headers, ["BY-F1", "中央水库移民扶持基金", "清移发〔2026〕1号", "2026-02-01", "600000"],
              ["BY-F1", "库区基金", "清移发〔2026〕1号", "2026-02-01", "1000"]]  # same 文号, another source: a new allocation
    report = run(clerk, "allocations", write_xlsx(tmp_path / "r.xlsx", raised))
    assert (report.updated, report.imported) == (1, 1)
    assert sorted(Allocation.objects.values_list("fund_source", "amount")) == [("central", 60_000_000), ("reservoir_area", 100_000)]
    below = [headers, ["BY-F1", "central", "清移发〔2026〕1号", "2026-02-01", "200000"]]
    report = run(clerk, "allocations", write_xlsx(tmp_path / "b.xlsx", below))
    assert errors_of(report) == [(2, "下达金额（元）", "below_paid")]
    assert report.errors[0].message == kinds.MSG_ALLOCATION_BELOW_PAID % {"source": "中央水库移民扶持基金", "allocated": "200,000.00",
                                                                          "paid": "300,000.00"}


def test_payments_are_read_back_and_reimport_is_unchanged(tree, finance, project, tmp_path):
    make_allocation(project, 100_000_000)
    rows = [PAYMENT_HEADERS, ["BY-F1", "中央水库移民扶持基金", "2026-05-20", 350000, "记-0518", "白云县路桥公司"],
            ["BY-F1", "中央水库移民扶持基金", dt.date(2026, 5, 28), "1,234.56", "记-0519", ""]]
    path = write_xlsx(tmp_path / "p.xlsx", rows)
    report = run(finance, "payments", path)
    assert (report.imported, report.rejected, report.applied) == (2, 0, True), report.errors
    assert sorted(Payment.objects.values_list("voucher", "fund_source", "paid_on", "amount", "payee", "division_code")) == [
        ("记-0518", "central", dt.date(2026, 5, 20), 35_000_000, "白云县路桥公司", project.division_code),
        ("记-0519", "central", dt.date(2026, 5, 28), 123_456, "", project.division_code)]
    again = run(finance, "payments", path)
    assert (again.rows, again.imported, again.updated, again.unchanged, again.rejected) == (2, 0, 0, 2, 0)
    rows[2][3] = "2000"
    changed = run(finance, "payments", write_xlsx(tmp_path / "p2.xlsx", rows))
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert Payment.objects.get(voucher="记-0519").amount == 200_000


def test_payment_amount_in_wan_by_header(tree, clerk, project, tmp_path):
    make_allocation(project, 100_000_000)
    rows = [["项目编码", "资金来源", "支付日期", "支付金额（万元）", "凭证号"], ["BY-F1", "central", "2026-05-20", 12.3456, "V1"],
            ["BY-F1", "central", "2026-05-21", "0.0000001", "V2"]]
    report = run(clerk, "payments", write_xlsx(tmp_path / "w.xlsx", rows), mode="valid-only")
    assert Payment.objects.get(voucher="V1").amount == 12_345_600
    assert errors_of(report) == [(3, "支付金额（万元）", "amount_invalid")]
    assert report.errors[0].message == money.MSG_AMOUNT_PRECISION % {"value": "0.0000001", "unit": "万元"}


def test_cumulative_payments_stay_within_allocations(tree, clerk, project, tmp_path):
    make_allocation(project, 1_000_000)  # 10,000 元 central
    make_allocation(project, 500_000, fund_source="provincial")
    earlier = make_payment(project, 600_000)  # 6,000 元 already paid from central
    rows = [PAYMENT_HEADERS, ["BY-F1", "central", "2026-05-01", "3000", "C1", ""],  # 9,000 ≤ 10,000
            ["BY-F1", "central", "2026-05-02", "1000.01", "C2", ""],  # 10,000.01 > 10,000: rejected
            ["BY-F1", "central", "2026-05-03", "1000", "C3", ""],  # 10,000: fits once C2 is out
            ["BY-F1", "provincial", "2026-05-03", "5000", "P1", ""],
            ["BY-F1", "三峡后续工作资金", "2026-05-03", "1", "T1", ""]]  # nothing allocated from this source
    report = run(clerk, "payments", write_xlsx(tmp_path / "c.xlsx", rows), mode="valid-only")
    assert errors_of(report) == [(3, "支付金额（元）", "over_allocated"), (6, "支付金额（元）", "over_allocated")]
    assert report.errors[0].message == kinds.MSG_OVERPAID % {"source": "中央水库移民扶持基金", "paid": "10,000.01", "allocated": "10,000.00"}
    assert report.errors[1].message == kinds.MSG_OVERPAID % {"source": "三峡后续工作资金", "paid": "1.00", "allocated": "0.00"}
    assert set(Payment.objects.exclude(pk=earlier.pk).values_list("voucher", flat=True)) == {"C1", "C3", "P1"}


def test_each_payment_rule_is_a_row_error_and_nothing_is_written(tree, other_city, clerk, project, tmp_path):
    make_allocation(project, 100_000_000)
    foreign = make_project(code="WX-1", division_code="429821100200")
    make_allocation(foreign, 100_000_000)
    make_project(code="QS-1", division_code="429922001001")
    Term.objects.filter(kind="fund_source", code="local").update(active=False)
    rows = [PAYMENT_HEADERS,
            ["BY-F1", "central", "2026-05-01", "100", "OK1", ""],  # 2 fine
            ["NOPE", "central", "2026-05-01", "100", "E1", ""],  # 3 unknown project
            ["WX-1", "central", "2026-05-01", "100", "E2", ""],  # 4 another city's project
            ["QS-1", "central", "2026-05-01", "100", "E3", ""],  # 5 another county's project
            ["BY-F1", "乡镇自筹", "2026-05-01", "100", "E4", ""],  # 6 unknown source
            ["BY-F1", "地方配套", "2026-05-01", "100", "E5", ""],  # 7 inactive source
            ["BY-F1", "central", "2026-13-01", "100", "E6", ""],  # 8 bad date
            ["BY-F1", "central", "2099-01-01", "100", "E7", ""],  # 9 future date
            ["BY-F1", "central", "2026-05-01", "abc", "E8", ""],  # 10 bad number
            ["BY-F1", "central", "2026-05-01", "0", "E9", ""],  # 11 zero
            ["BY-F1", "central", "2026-05-01", "100", "", ""],  # 12 no voucher
            ["BY-F1", "central", "2026-05-01", "1.005", "E10", ""],  # 13 more than fen
            ["BY-F1", "central", "2026-05-01", "100", "OK1", ""]]  # 14 voucher twice in the file
    report = run(clerk, "payments", write_xlsx(tmp_path / "e.xlsx", rows))
    assert errors_of(report) == [
        (3, "项目编码", "project_unknown"), (4, "项目编码", "project_unknown"), (5, "项目编码", "project_unknown"), (6, "资金来源", "term_unknown"),
        (7, "资金来源", "term_inactive"), (8, "支付日期", "date_invalid"), (9, "支付日期", "date_future"), (10, "支付金额（元）", "amount_invalid"),
        (11, "支付金额（元）", "amount_zero"), (12, "凭证号", "required"), (13, "支付金额（元）", "amount_invalid"), (14, "凭证号", "duplicate_in_file")]
    by_row = {e.row: e.message for e in report.errors}
    assert by_row[4] == by_row[3].replace("NOPE", "WX-1") == service.MSG_PROJECT_UNKNOWN % {"code": "WX-1"}
    assert by_row[12] == service.MSG_REQUIRED % {"column": "凭证号"}
    assert by_row[13] == money.MSG_AMOUNT_PRECISION % {"value": "1.005", "unit": "元"}
    assert (report.rows, report.imported, report.rejected, report.applied) == (13, 1, 12, False)
    assert not Payment.objects.exists()
    assert AuditEvent.objects.get(action="projects.payment.imported").outcome == "failure"


def test_error_workbook_marks_the_bad_cells(tree, clerk, project, tmp_path):
    from .imports_data import read_sheet

    make_allocation(project, 100_000_000)
    rows = [PAYMENT_HEADERS, ["BY-F1", "central", "2026-05-01", "100", "OK", ""], ["BY-F1", "central", "2026-05-01", "1.001", "BAD", ""]]
    report = run(clerk, "payments", write_xlsx(tmp_path / "e.xlsx", rows, title="支付台账"), errors_path=tmp_path / "err.xlsx")
    assert report.errors_file == str(tmp_path / "err.xlsx")
    data = (tmp_path / "err.xlsx").read_bytes()
    bad_rows = read_sheet(data, 0)
    assert bad_rows[0][:6] == PAYMENT_HEADERS and bad_rows[1][4] == "BAD" and bad_rows[1][6] == 5  # 原行号: under the title rows
    assert "支付金额（元）" in bad_rows[1][7]
    listing = read_sheet(data, 1)
    assert listing[2][1:4] == [5, "支付金额（元）", "1.001"]


def test_finance_may_import_money_but_not_progress(tree, finance, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["项目编码", "月份", "形象进度（%）"], ["BY-F1", "2026-05", 50]])
    with pytest.raises(PermissionDenied):
        run(finance, "progress", path)
