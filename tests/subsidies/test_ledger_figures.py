"""The per-person ledger (台账) and the fund summary (资金汇总): figures, each month counted once, scope."""

from __future__ import annotations

import pytest

from anju.core.exceptions import NotFound, PermissionDenied
from anju.registry.selectors import access_person
from anju.subsidies.selectors_ledger import fund_summary, person_ledger, recovery_list, recovery_totals

from .factories import actors
from .test_ledger_data import enrolment, two_years


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def data(tree, people):
    return two_years(people)


def test_person_ledger_year_by_year(data, people):
    person = access_person(people["reviewer"], enrolment("张一").person_id)
    ledger = person_ledger(actor=people["reviewer"], person=person)
    assert [y.year for y in ledger.years] == [2024, 2025]
    y2024, y2025 = ledger.years
    assert (y2024.entitled, y2024.months, y2024.paid, y2024.failed, y2024.recovery) == (60000, 12, 60000, 0, 0)
    assert (y2025.entitled, y2025.paid, y2025.recovery, y2025.recovered, y2025.outstanding) == (60000, 60000, 30000, 10000, 20000)
    assert (ledger.totals.entitled, ledger.totals.paid, ledger.totals.outstanding) == (120000, 120000, 20000)
    refs = [(i.batch.number, i.year, i.state, i.bank_ref, i.bank_account_masked) for i in ledger.items]
    assert [r[3] for r in refs] == ["BR2024-1", "BR2025-1"] and all("*" in r[4] for r in refs)
    assert ledger.items[1].recovery.amount == 30000 and len(ledger.recoveries) == 1


def test_a_failed_item_reissued_counts_once(data, people):
    ledger = person_ledger(actor=people["reviewer"], person=enrolment("李一").person)
    (y2025,) = ledger.years
    assert (y2025.entitled, y2025.months, y2025.paid, y2025.failed, y2025.pending) == (60000, 12, 60000, 0, 0)
    first, again = ledger.items
    assert (first.state, first.counted, again.state, again.counted, again.reissue_of_id) == ("reissued", False, "paid", True, first.pk)


def test_a_failure_not_yet_reissued_is_still_owed(data, people):
    (y,) = person_ledger(actor=people["reviewer"], person=enrolment("张二").person).years
    assert (y.entitled, y.paid, y.failed) == (60000, 0, 60000)
    (held,) = person_ledger(actor=people["reviewer"], person=enrolment("王一").person).years
    assert (held.entitled, held.pending) == (60000, 60000)
    (cancelled,) = person_ledger(actor=people["reviewer"], person=enrolment("赵一").person).years
    assert (cancelled.entitled, cancelled.paid) == (0, 0)


def test_ledger_scope(data, people, make_user):
    other = make_user("county_clerk", "429922")
    with pytest.raises(NotFound):
        access_person(other, enrolment("张一").person_id)
    with pytest.raises(PermissionDenied):
        person_ledger(actor=make_user("sysadmin", "4299"), person=enrolment("张一").person)


def test_fund_summary_by_county_source_and_year(data, people):
    summary = fund_summary(actor=people["city_clerk"], year=2025)
    rows = {(r.county[:6], r.fund_source): r for r in summary.rows}
    assert set(rows) == {("429921", "central"), ("429922", "provincial")}
    c = rows[("429921", "central")]
    # 张一 paid, 张二 failed (owed), 李一 re-issued and paid (once), 王一 held; 赵一 cancelled
    assert (c.entitled, c.paid, c.failed, c.pending, c.paid_count) == (240000, 120000, 60000, 60000, 2)
    assert (c.recovery, c.recovered, c.outstanding, c.project_persons, c.project_amount) == (30000, 10000, 20000, 2, 120000)
    assert c.county_name == "白云县" and c.source_label == "中央水库移民扶持基金"
    p = rows[("429922", "provincial")]
    assert (p.entitled, p.paid, p.project_amount) == (60000, 60000, 0)
    assert (summary.total.entitled, summary.total.paid, summary.total.project_amount) == (300000, 180000, 120000)
    assert [r.fund_source for r in summary.by_source] == ["central", "provincial"] and len(summary.by_county) == 2

    all_years = fund_summary(actor=people["city_clerk"])
    assert {(r.year, r.county[:6]) for r in all_years.rows} == {(2024, "429921"), (2025, "429921"), (2025, "429922")}
    assert [r.entitled for r in fund_summary(actor=people["city_clerk"], fund_source="provincial").rows] == [60000]
    assert [r.county[:6] for r in fund_summary(actor=people["city_clerk"], county="429922").rows] == ["429922"]


def test_fund_summary_scope(data, people):
    county = fund_summary(actor=people["clerk"], year=2025)
    assert [r.county[:6] for r in county.rows] == ["429921"]
    # a township viewer sees its own villages' money and no county-level project funds
    township = fund_summary(actor=people["township"], year=2025)
    (row,) = township.rows
    assert (row.entitled, row.paid, row.failed, row.pending, row.project_amount) == (180000, 60000, 60000, 60000, 0)


def test_recovery_list_and_totals(data, people):
    qs = recovery_list(actor=people["city_clerk"], state="partial", year=2025)
    assert [r.name for r in qs] == ["张一"]
    assert recovery_totals(qs) == {"count": 1, "amount": 30000, "recovered": 10000, "outstanding": 20000, "waived": 0}
    assert not recovery_list(actor=people["other_reviewer"]).exists()
    assert not recovery_list(actor=people["city_clerk"], county="429922").exists()
