"""The rate engine on hand-computed fixtures (tests/projects/rates_data.py): the year's and carried-over projects, the as-of
cut-offs, 万元 input, by fund source and program, ranking with ties, last year's figures, scope and warning colours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.projects import selectors_rates as sr
from anju.projects.models import WarningRule
from tests.projects.factories import OTHER_VILLAGE, TOWNSHIP, make_allocation, make_payment, make_project

from .rates_data import AS_OF, QINGSHAN, YEAR, build_rates_world, wan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, other_city):
    return build_rates_world()


@pytest.fixture
def city(make_user):
    return make_user("city_clerk", "4299")


def _row(table, code):
    return next(r for r in table.rows if r.code == code)


def test_year_projects_by_county_with_cut_offs(world, city):
    table = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF)
    assert table.scope == "4299" and table.scope_name == "清江市"
    assert len(table.rows) == 9  # every county of the city, with or without projects
    baiyun = _row(table, "429921")
    assert baiyun.name == "白云县"
    # A pays 30 on as_of (counts) and 10 the day after (does not); B's provincial 10 allocated after as_of does not count;
    # C starts after as_of (not started); C's allocation of 2025-12 counts for a 2026 project; D is in the reserve.
    assert (baiyun.projects, baiyun.started, baiyun.completed) == (3, 2, 1)
    assert (baiyun.allocated, baiyun.paid) == (wan("200"), wan("70")) == (200_000_000, 70_000_000)
    assert (baiyun.start_rate, baiyun.completion_rate, baiyun.payment_rate) == (Decimal("0.6667"), Decimal("0.3333"), Decimal("0.35"))
    qingshan = _row(table, QINGSHAN)
    assert (qingshan.projects, qingshan.started, qingshan.completed, qingshan.allocated, qingshan.paid) == (1, 1, 0, wan("10"), wan("3"))
    assert qingshan.payment_rate == Decimal("0.3")
    empty = _row(table, "429902")
    assert empty.projects == 0 and empty.start_rate is None and empty.payment_rate is None and empty.rank is None
    t = table.total
    assert (t.projects, t.started, t.completed, t.allocated, t.paid) == (4, 3, 1, wan("210"), wan("73"))
    assert (t.start_rate, t.completion_rate, t.payment_rate) == (Decimal("0.75"), Decimal("0.25"), Decimal("0.3476"))
    assert (baiyun.rank, qingshan.rank) == (1, 2)


def test_the_day_after_changes_the_figures(world, city):
    after = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF + dt.timedelta(days=1))
    baiyun = _row(after, "429921")
    # the 10 paid by A and the provincial 10 allocated to B on 10-01 now count, and C has started
    assert (baiyun.started, baiyun.allocated, baiyun.paid) == (3, wan("210"), wan("80"))
    before = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF - dt.timedelta(days=1))
    baiyun = _row(before, "429921")
    # B completes on as_of and A's 30 is paid on as_of: one day earlier neither counts
    assert (baiyun.completed, baiyun.paid) == (0, wan("40"))


def test_carried_over_projects(world, city):
    table = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, carried_over=True)
    baiyun = _row(table, "429921")
    # E (unfinished) and G (completed 2026-01-01) are carried over; F completed 2025-12-31 is not
    assert (baiyun.projects, baiyun.started, baiyun.completed) == (2, 2, 1)
    assert (baiyun.allocated, baiyun.paid) == (wan("60"), wan("40"))
    assert baiyun.payment_rate == Decimal("0.6667")
    assert table.total.projects == 2 and table.carried_over


def test_last_year_comparison(world, city):
    table = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF)
    assert table.last_as_of == dt.date(2025, 9, 30)
    last = _row(table, "429921").last
    assert (last.projects, last.started, last.completed, last.allocated, last.paid) == (3, 3, 0, wan("110"), wan("55"))
    assert last.payment_rate == Decimal("0.5")
    assert _row(table, "429921").payment_rate_change == Decimal("-0.15")
    assert table.total.last.projects == 3 and _row(table, QINGSHAN).last.projects == 0


def test_by_fund_source_counts_a_project_under_each_source(world, city):
    table = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, by="fund_source")
    central, provincial = _row(table, "central"), _row(table, "provincial")
    assert central.name == "中央水库移民扶持基金"
    assert (central.projects, central.started, central.completed, central.allocated, central.paid) == (4, 3, 1, wan("190"), wan("68"))
    # B has a provincial allocation by as_of (20) and one after it (10, not counted); 5 paid
    assert (provincial.projects, provincial.started, provincial.completed, provincial.allocated, provincial.paid) == (1, 1, 1, wan("20"), wan("5"))
    assert provincial.payment_rate == Decimal("0.25")
    assert _row(table, "local").projects == 0
    # the total counts each project once; money adds up
    assert (table.total.projects, table.total.allocated, table.total.paid) == (4, wan("210"), wan("73"))
    assert (central.rank, provincial.rank) == (1, 2)


def test_by_program(world, city):
    table = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, by="program")
    reservoir, gorges = _row(table, "reservoir"), _row(table, "three_gorges")
    assert (reservoir.projects, reservoir.started, reservoir.allocated, reservoir.paid) == (2, 1, wan("130"), wan("30"))
    assert reservoir.payment_rate == Decimal("0.2308")
    assert (gorges.projects, gorges.completed, gorges.allocated, gorges.paid) == (1, 1, wan("70"), wan("40"))
    assert _row(table, "relocation").payment_rate == Decimal("0.3")
    assert _row(table, "provincial_issue").payment_rate is None
    assert table.total.projects == 4


def test_ties_share_a_rank_and_warning_colours(tree, city):
    def county(code: str, allocated: str, paid: str) -> None:
        p = make_project(division_code=code + "000000", actual_start=dt.date(2026, 3, 1))
        make_allocation(p, wan(allocated), doc_date=dt.date(2026, 2, 1))
        make_payment(p, wan(paid), paid_on=dt.date(2026, 5, 1))

    county("429902", "10", "5")  # 0.5
    county("429903", "20", "10")  # 0.5
    county("429921", "10", "4")  # 0.4
    county("429922", "40", "10")  # 0.25
    table = sr.project_rates(actor=city, year=YEAR, as_of=dt.date(2026, 6, 30))
    ranks = {r.code: r.rank for r in table.rows if r.rank}
    assert ranks == {"429902": 1, "429903": 1, "429921": 3, "429922": 4}
    # June's target is 0.50: on target no colour; 0.40 is behind (yellow); 0.25 is more than 20 points behind (red)
    assert table.target == Decimal("0.50") and table.checkpoint == dt.date(2026, 6, 30)
    levels = {r.code: r.level for r in table.rows if r.rank}
    assert levels == {"429902": "", "429903": "", "429921": "yellow", "429922": "red"}
    # one day before the end of June, March's target (0.20) applies: nobody is behind
    early = sr.project_rates(actor=city, year=YEAR, as_of=dt.date(2026, 6, 29))
    assert early.target == Decimal("0.20") and not [r for r in early.rows if r.level]
    # the targets are data: a county's own rule replaces the city's
    WarningRule.objects.create(code="payment_behind", scope="429922", name="县目标", measure="payment_behind", operator="gt",
                               threshold=Decimal("0"), level="yellow", schedule="checkpoints", params={"targets": {"6": "0.25"}})
    again = sr.project_rates(actor=city, year=YEAR, as_of=dt.date(2026, 6, 30))
    assert _row(again, "429922").target == Decimal("0.25") and _row(again, "429922").level == ""


def test_scope_narrows_and_township_sees_its_own_projects(world, city, make_user):
    only = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, scope="429922")
    assert [r.code for r in only.rows] == [QINGSHAN] and only.total.projects == 1
    clerk = make_user("county_clerk", "429921")
    own = sr.project_rates(actor=clerk, year=YEAR, as_of=AS_OF)
    assert [r.code for r in own.rows] == ["429921"] and own.total.paid == wan("70")
    # a wider scope is cut to the clerk's own; another county is as unknown as a missing one
    assert sr.project_rates(actor=clerk, year=YEAR, as_of=AS_OF, scope="4299").scope == "429921"
    with pytest.raises(NotFound):
        sr.project_rates(actor=clerk, year=YEAR, as_of=AS_OF, scope=QINGSHAN)
    with pytest.raises(NotFound):
        sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, scope=OTHER_VILLAGE[:6])
    township = make_user("township_clerk", TOWNSHIP[:9])
    mine = sr.project_rates(actor=township, year=YEAR, as_of=AS_OF)
    # only A lies in 白坪镇: B sits at county level, C in another township
    assert [(r.code, r.projects, r.allocated, r.paid) for r in mine.rows] == [("429921", 1, wan("100"), wan("30"))]
    assert mine.scope == TOWNSHIP[:9]


def test_bad_input_and_permission(world, city, make_user):
    with pytest.raises(ValidationFailed) as exc:
        sr.project_rates(actor=city, year=1990, as_of=AS_OF)
    assert exc.value.message == str(sr.MSG_YEAR)
    with pytest.raises(ValidationFailed) as exc:
        sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, by="village")
    assert exc.value.message == str(sr.MSG_BY)
    with pytest.raises(ValidationFailed) as exc:
        sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, scope="42x")
    assert exc.value.message == str(sr.MSG_SCOPE)
    with pytest.raises(PermissionDenied):
        sr.project_rates(actor=make_user("sysadmin", "4299"), year=YEAR, as_of=AS_OF)


def test_monthly_line_and_lagging_projects(world, city):
    months = sr.monthly_payment_rates(actor=city, year=YEAR, as_of=AS_OF)
    assert [m.month.month for m in months] == list(range(1, 10))
    by_month = {m.month.month: m for m in months}
    # January: A's and H's allocations come in March, B's (50) in February; C's 30 of 2025-12 counts from the start
    assert (by_month[1].allocated, by_month[1].paid) == (wan("30"), 0)
    assert (by_month[6].allocated, by_month[6].paid) == (wan("210"), wan("38"))
    assert (by_month[9].allocated, by_month[9].paid) == (wan("210"), wan("73"))
    assert by_month[9].payment_rate == Decimal("0.3476")
    # last year's line: E, F, G as of the same month ends of 2025
    assert (by_month[9].last_allocated, by_month[9].last_paid) == (wan("110"), wan("55"))
    lag = sr.lagging_projects(actor=city, year=YEAR, as_of=AS_OF)
    assert [p.name for p in lag["not_started"]] == ["湖河镇堰塘整治"]
    assert lag["not_started"][0].days_waiting == (AS_OF - dt.date(2025, 12, 1)).days
    assert [p.name for p in lag["low_paid"]][:2] == ["湖河镇堰塘整治", "白坪镇产业路"]
    assert lag["low_paid"][0].county_name == "白云县"


def test_both_money_plans_give_the_same_figures(world, city, monkeypatch):
    """PostgreSQL hashes project money unless payments have an index on (project, date, amount): both plans, same answers."""
    def snapshot():
        out = []
        for by in ("county", "fund_source", "program"):
            for carried in (False, True):
                t = sr.project_rates(actor=city, year=YEAR, as_of=AS_OF, by=by, carried_over=carried)
                out.append([(r.code, r.projects, r.started, r.completed, r.allocated, r.paid, r.rank, r.level, r.last.allocated, r.last.paid)
                            for r in [*t.rows, t.total]])
        lag = sr.lagging_projects(actor=city, year=YEAR, as_of=AS_OF)
        out.append([(p.code, p.allocated, p.paid, p.first_allocation) for items in lag.values() for p in items])
        return out

    monkeypatch.setattr(sr, "money_plan", lambda: sr.INDEXED)
    indexed = snapshot()
    monkeypatch.setattr(sr, "money_plan", lambda: sr.HASHED)
    assert snapshot() == indexed
    assert indexed[0][0][:6] == ("429902", 0, 0, 0, 0, 0)
