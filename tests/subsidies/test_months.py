"""Month arithmetic of entitlements at every edge (POLICY.md §1), through the engine's per-person rule."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.models import PolicyVersion
from anju.registry.models import Enrolment
from anju.subsidies.months import fen_text, month_date, month_index, period_bounds, round_half_up, yuan
from anju.subsidies.services.entitlements import CountyPolicy, _window_start, person_months, policy_table

COUNTY = "429921000000"
CUR, ORIG = Enrolment.Category.CURRENT, Enrolment.Category.ORIGINAL


def months_of(*, year, quarter=0, category="", move=None, removed_on=None, county=COUNTY):
    policy = CountyPolicy(policy_table(), county, year)
    current, start = _window_start(category, move, policy)
    periods = [("removed", removed_on, None)] if removed_on else None
    first, last = period_bounds(year, quarter)
    return person_months(policy=policy, current=current, start=start, first=first, last=last, periods=periods, default_status="active")


def test_month_helpers():
    assert month_index(dt.date(2026, 1, 31)) == 2026 * 12
    assert month_date(2026 * 12 + 11) == dt.date(2026, 12, 1)
    assert period_bounds(2026, 0) == (2026 * 12, 2026 * 12 + 11)
    assert period_bounds(2026, 3) == (2026 * 12 + 6, 2026 * 12 + 8)
    with pytest.raises(ValueError):
        period_bounds(2026, 5)
    assert fen_text(123456) == "1,234.56" and fen_text(-5) == "-0.05" and fen_text(0) == "0.00"
    assert str(yuan(60000)) == "600.00"


def test_round_half_up():
    from fractions import Fraction
    assert round_half_up(Fraction(1, 2)) == 1 and round_half_up(Fraction(3, 2)) == 2 and round_half_up(Fraction(49, 100)) == 0


@pytest.mark.django_db
def test_move_on_cutoff_day_is_current_population_ending_2026_06():
    # moved 2006-06-30: 现状人口, window 2006-07-01 .. 2026-06-30 → six months of 2026
    assert months_of(year=2026, move=dt.date(2006, 6, 30)) == (6, 1, 6, 30000, "")
    assert months_of(year=2006, move=dt.date(2006, 6, 30)) == (6, 7, 12, 30000, "")
    assert months_of(year=2027, move=dt.date(2006, 6, 30))[0] == 0


@pytest.mark.django_db
def test_move_the_day_after_cutoff_is_original_from_that_month():
    # moved 2006-07-01: 原迁人口 from July 2006 for 20 years — the same end, by the other rule
    assert months_of(year=2006, move=dt.date(2006, 7, 1)) == (6, 7, 12, 30000, "")
    assert months_of(year=2026, move=dt.date(2006, 7, 1)) == (6, 1, 6, 30000, "")
    assert months_of(year=2026, move=dt.date(2006, 8, 20)) == (7, 1, 7, 35000, "")


@pytest.mark.django_db
@pytest.mark.parametrize("day", [1, 31])
def test_move_on_first_and_last_day_of_month_starts_that_month(day):
    move = dt.date(2010, 3, day)
    assert months_of(year=2010, move=move) == (10, 3, 12, 50000, "")
    assert months_of(year=2026, move=move) == (12, 1, 12, 60000, "")
    assert months_of(year=2030, move=move) == (2, 1, 2, 10000, "")  # ends 2030-02-28


@pytest.mark.django_db
def test_move_in_the_future_of_the_period_gives_nothing():
    assert months_of(year=2026, move=dt.date(2027, 1, 5))[0] == 0


@pytest.mark.django_db
def test_removal_mid_period_cuts_from_the_next_month_and_on_the_first_from_that_month():
    move = dt.date(2010, 3, 1)
    assert months_of(year=2026, move=move, removed_on=dt.date(2026, 5, 15)) == (5, 1, 5, 25000, "")
    assert months_of(year=2026, move=move, removed_on=dt.date(2026, 5, 1)) == (4, 1, 4, 20000, "")
    assert months_of(year=2026, move=move, removed_on=dt.date(2026, 1, 1))[0] == 0
    assert months_of(year=2026, move=move, removed_on=dt.date(2027, 1, 1)) == (12, 1, 12, 60000, "")


@pytest.mark.django_db
def test_period_crossing_2026_06_30_with_and_without_a_successor_version():
    move = dt.date(2000, 5, 1)
    assert months_of(year=2026, category=CUR, move=move) == (6, 1, 6, 30000, "")
    # the province publishes a successor: 现状人口 supported five more years from 2026-07-01
    PolicyVersion.objects.create(key="reservoir.period_years_current", value=25, effective_from=dt.date(2026, 7, 1), scope="4299")
    assert months_of(year=2026, category=CUR, move=move) == (12, 1, 12, 60000, "")
    assert months_of(year=2031, category=CUR, move=move) == (6, 1, 6, 30000, "")
    # the successor for 现状人口 leaves 原迁人口 alone, and applies only inside its scope
    assert months_of(year=2026, move=dt.date(2006, 7, 1)) == (6, 1, 6, 30000, "")
    assert months_of(year=2026, category=CUR, move=move, county="429821000000") == (6, 1, 6, 30000, "")


@pytest.mark.django_db
def test_standard_changed_mid_year_is_paid_month_by_month():
    PolicyVersion.objects.create(key="reservoir.standard_yuan", value="720.00", effective_from=dt.date(2026, 7, 1), scope="429921")
    # 6 × 50 + 6 × 60 yuan
    assert months_of(year=2026, move=dt.date(2010, 3, 1)) == (12, 1, 12, 66000, "")


@pytest.mark.django_db
@pytest.mark.parametrize("standard", ["600", "700", "500", "637.77"])
def test_four_quarters_sum_to_the_yearly_amount(standard):
    PolicyVersion.objects.create(key="reservoir.standard_yuan", value=standard, effective_from=dt.date(2010, 1, 1), scope="429921")
    cases = [dict(move=dt.date(2010, 3, 9), removed_on=dt.date(2010, 11, 1)),  # Mar..Oct: partial first and last quarter
             dict(move=dt.date(2010, 2, 1)), dict(move=dt.date(2010, 6, 30), removed_on=dt.date(2010, 8, 2))]
    for case in cases:
        yearly = months_of(year=2010, **case)
        quarters = [months_of(year=2010, quarter=q, **case) for q in (1, 2, 3, 4)]
        assert sum(q[3] for q in quarters) == yearly[3]
        assert sum(q[0] for q in quarters) == yearly[0]


@pytest.mark.django_db
def test_rounding_is_half_up_per_year_to_date():
    PolicyVersion.objects.create(key="reservoir.standard_yuan", value="700", effective_from=dt.date(2010, 1, 1), scope="429921")
    case = dict(move=dt.date(2010, 3, 1), removed_on=dt.date(2010, 11, 1))
    assert months_of(year=2010, **case)[3] == 46667  # 8 × 700 / 12 = 466.666… yuan
    assert [months_of(year=2010, quarter=q, **case)[3] for q in (1, 2, 3, 4)] == [5833, 17500, 17500, 5834]
