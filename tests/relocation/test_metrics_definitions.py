"""The follow-up metrics on hand-computed fixtures: labour age band edges, employment spells around the as-of day,
households without labour, suspended/removed enrolments, monitoring inclusion and elimination, welfare, income, scope and
the groupings (site, township, county, city). `build_world` is shared with the CLI, API and page tests."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import PermissionDenied, ValidationFailed
from anju.core.models import PolicyVersion
from anju.registry.models import Enrolment, EnrolmentStatus
from anju.relocation import selectors_metrics as sm
from anju.relocation.models import Income, MonitoringCase, Welfare
from tests.relocation.factories import make_capacity, make_employment, make_relocated_household, make_site, members_of

pytestmark = pytest.mark.django_db

D = dt.date(2026, 6, 30)
DAY = dt.timedelta(days=1)
QINGSHAN_VILLAGE = "429922101001"
TOWNSHIP2_VILLAGE = "429921102201"


def _case(household, category, *, included_on, eliminated_on=None, state=None):
    state = state or (MonitoringCase.State.ELIMINATED if eliminated_on else
                      MonitoringCase.State.MONITORING if included_on else MonitoringCase.State.PROPOSED)
    return MonitoringCase.objects.create(household=household, division_code=household.division_code, category=category, channel="visit",
                                         identified_on=dt.date(2024, 12, 1), included_on=included_on, eliminated_on=eliminated_on, state=state)


def _welfare(household, kind, *, started_on, ended_on=None):
    return Welfare.objects.create(household=household, division_code=household.division_code, kind=kind, started_on=started_on,
                                  ended_on=ended_on, monthly_fen=50_000)


def _income(household, year, *, persons, wage, costs=0):
    return Income.objects.create(household=household, division_code=household.division_code, year=year, persons=persons, wage_fen=wage,
                                 transfer_fen=100_000, costs_fen=costs, surveyed_on=dt.date(year + 1, 1, 15))


def _set_periods(person, periods):
    """Replace the person's relocation status periods by [(status, valid_from, valid_to)]."""
    enrolment = Enrolment.objects.get(person=person, program="relocation")
    enrolment.periods.all().delete()
    for status, start, end in periods:
        EnrolmentStatus.objects.create(enrolment=enrolment, status=status, valid_from=start, valid_to=end)
    enrolment.status, enrolment.status_since = periods[-1][0], periods[-1][1]  # as the registry keeps them
    enrolment.save(update_fields=["status", "status_since"])


def build_world() -> dict:
    """白云县 429921: sites S1 (township 101) and S2 (township 102); 青山县 429922: site S3. Expected figures on D = 2026-06-30
    are written next to each household."""
    s1 = make_site("MS-S1", name="幸福社区", division_code="429921101000")
    s2 = make_site("MS-S2", name="和谐新村", division_code="429921102000")
    s3 = make_site("MS-S3", name="青山安置点", division_code="429922101000")
    make_site("MS-S4", name="空安置点", division_code="429921101000")

    # H1 (S1): A turns 16 on D (labour), B turns 61 on D (not), C is 60 until tomorrow (labour, spell starts on D).
    h1 = make_relocated_household([("甲一", "户主", dt.date(2010, 6, 30)), ("乙一", "配偶", dt.date(1965, 6, 30)),
                                   ("丙一", "子女", dt.date(1965, 7, 1))], site=s1)
    a, b, c = members_of(h1)
    make_employment(c, kind="county", started_on=D)
    _case(h1, "unstable", included_on=dt.date(2025, 1, 1), eliminated_on=D)  # eliminated on D: not monitored
    _welfare(h1, "dibao", started_on=dt.date(2024, 1, 1), ended_on=D)  # ends on D: covered
    _income(h1, 2025, persons=3, wage=3_000_000)  # net 3_100_000

    # H2 (S1): P turned 60 on D (labour, spell ended on D), Q turned 61 yesterday (not labour, employed).
    h2 = make_relocated_household([("丁二", "户主", dt.date(1966, 6, 30)), ("戊二", "配偶", dt.date(1965, 6, 29))], site=s1)
    p, q = members_of(h2)
    make_employment(p, kind="workshop", started_on=dt.date(2026, 1, 1), ended_on=D)
    make_employment(q, kind="flexible", started_on=dt.date(2026, 1, 1))
    _case(h2, "marginal", included_on=dt.date(2025, 1, 1), eliminated_on=D + DAY)  # monitored on D
    _welfare(h2, "dibao", started_on=dt.date(2024, 1, 1), ended_on=D - DAY)  # ended yesterday: not covered
    _income(h2, 2025, persons=2, wage=2_000_000, costs=300_000)  # net 1_800_000

    # H3 (no site, township 101): no labour: X is 15 (16 tomorrow), Y none, Z student (employed all the same).
    h3 = make_relocated_household([("己三", "户主", dt.date(1990, 1, 1)), ("庚三", "子女", dt.date(2010, 7, 1)),
                                   ("辛三", "子女", dt.date(1995, 1, 1))], site=None)
    y, x, z = members_of(h3)
    make_capacity(y, "none", disability_grade=1)
    make_capacity(z, "student")
    make_employment(z, kind="self_employed", started_on=dt.date(2026, 3, 1))
    _case(h3, "sudden", included_on=None)  # proposed only: not monitored
    _welfare(h3, "tekun", started_on=dt.date(2025, 1, 1))  # open: covered

    # H4 (S2, township 102): M labour (capacity weak still counts), spells ended yesterday and starting tomorrow; N suspended
    # before D, O removed from tomorrow (still in the population on D), R enrolled only from tomorrow.
    h4 = make_relocated_household([("壬四", "户主", dt.date(1985, 1, 1)), ("癸四", "配偶", dt.date(1986, 1, 1)),
                                   ("子四", "子女", dt.date(1987, 1, 1)), ("丑四", "子女", dt.date(1988, 1, 1))], site=s2, village=TOWNSHIP2_VILLAGE)
    m, n, o, r = members_of(h4)
    make_capacity(m, "weak")
    make_employment(m, kind="county", started_on=dt.date(2025, 1, 1), ended_on=D - DAY)
    make_employment(m, kind="province", started_on=D + DAY)
    make_employment(n, kind="county", started_on=dt.date(2025, 1, 1))  # suspended: not counted
    _set_periods(n, [("active", dt.date(2019, 6, 1), dt.date(2026, 1, 1)), ("suspended", dt.date(2026, 1, 1), None)])
    _set_periods(o, [("active", dt.date(2019, 6, 1), D + DAY), ("removed", D + DAY, None)])
    _set_periods(r, [("active", D + DAY, None)])
    _case(h4, "sudden", included_on=D)  # included on D: monitored
    _welfare(h4, "dibao", started_on=D + DAY)  # starts tomorrow: not covered
    _income(h4, 2024, persons=4, wage=4_000_000)  # another year: not counted

    # H5 (S3, 青山县): one labour person employed in a public post, monitored (marginal, open), an income row.
    h5 = make_relocated_household([("寅五", "户主", dt.date(1980, 5, 5))], site=s3, village=QINGSHAN_VILLAGE)
    make_employment(members_of(h5)[0], kind="public_post", started_on=dt.date(2024, 5, 1))
    _case(h5, "marginal", included_on=dt.date(2025, 1, 1))
    _income(h5, 2025, persons=1, wage=1_000_000)  # net 1_100_000

    # H6 (S1): the whole household suspended before D: counted nowhere, its case neither.
    h6 = make_relocated_household([("卯六", "户主", dt.date(1980, 1, 1))], site=s1)
    _set_periods(members_of(h6)[0], [("active", dt.date(2019, 6, 1), dt.date(2025, 1, 1)), ("suspended", dt.date(2025, 1, 1), None)])
    _case(h6, "unstable", included_on=dt.date(2025, 1, 1))
    return {"s1": s1, "s2": s2, "s3": s3, "h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5, "h6": h6}


@pytest.fixture
def world(tree, other_city):
    return build_world()


@pytest.fixture
def city(make_user):
    return make_user("city_clerk", "4299")


def _by_code(rows):
    return {r["code"]: r for r in rows}


def test_county_figures_by_hand(world, city):
    rows = _by_code(sm.relocation_metrics(actor=city, as_of=D))
    assert len(rows) == 9  # every county of the city, with or without relocated people
    baiyun = rows["429921000000"]
    assert baiyun["name"] == "白云县" and baiyun["prefix"] == "429921"
    # persons: H1 3 + H2 2 + H3 3 + H4 2 (M and O; N suspended, R not yet) = 10
    assert (baiyun["households"], baiyun["persons"], baiyun["labour_households"], baiyun["labour_households_employed"]) == (4, 10, 3, 2)
    assert baiyun["employment_rate"] == pytest.approx(2 / 3)
    assert baiyun["employed_persons"] == 4  # C, P, Q, Z
    assert {k: v for k, v in baiyun["employed_by_kind"].items() if v} == {"county": 1, "workshop": 1, "flexible": 1, "self_employed": 1}
    assert baiyun["monitored_households"] == 2
    assert {k: v for k, v in baiyun["monitored_by_category"].items() if v} == {"marginal": 1, "sudden": 1}
    assert (baiyun["welfare_households"], baiyun["welfare_coverage"]) == (2, 0.5)
    assert (baiyun["income_year"], baiyun["income_households"], baiyun["income_persons"]) == (2025, 2, 5)
    assert baiyun["per_capita_income_fen"] == (3_100_000 + 1_800_000) // 5 == 980_000
    qingshan = rows["429922000000"]
    assert (qingshan["households"], qingshan["persons"], qingshan["labour_households_employed"], qingshan["employment_rate"]) == (1, 1, 1, 1.0)
    empty = rows["429902000000"]
    assert (empty["households"], empty["employment_rate"], empty["per_capita_income_fen"], empty["welfare_coverage"]) == (0, None, None, None)


def test_one_day_earlier_and_later(world, city):
    """The edges move with the day: on D − 1 A is 15, C unemployed (his spell starts on D), B still 60, M still employed."""
    before = _by_code(sm.relocation_metrics(actor=city, as_of=D - DAY))["429921000000"]
    # H1: B and C (60) labour, C not employed yet → labour, not employed; H2: P labour and employed, Q turned 61 on D − 1;
    # H4: M employed (spell ends on D − 1); N suspended; O active; R not yet.
    assert (before["households"], before["persons"], before["labour_households"], before["labour_households_employed"]) == (4, 10, 3, 2)
    assert before["monitored_households"] == 2  # H1 (eliminated on D) and H2; H4 not yet included
    assert {k: v for k, v in before["monitored_by_category"].items() if v} == {"unstable": 1, "marginal": 1}
    after = _by_code(sm.relocation_metrics(actor=city, as_of=D + DAY))["429921000000"]
    # O removed and R enrolled from D + 1: still 10 persons. Any employed member of a labour household counts, labour or not:
    # H1: A labour, C turns 61 but is employed → counts; H2: P's spell ended on D, Q (61) employed → counts; H3: X turns 16,
    # so H3 has labour, and Z (a student) is employed → counts; H4: M employed again (spell from D + 1).
    assert (after["households"], after["persons"], after["labour_households"], after["labour_households_employed"]) == (4, 10, 4, 4)
    assert after["welfare_households"] == 2  # H3 (open) and H4 (from D + 1); H1 ended on D


def test_groupings(world, city):
    sites = sm.relocation_metrics(actor=city, as_of=D, by="site")
    by_site = _by_code(sites)
    assert [r["code"] for r in sites] == ["MS-S1", "MS-S4", "MS-S2", "MS-S3", ""]  # by division, then code; no site last
    assert (by_site["MS-S1"]["households"], by_site["MS-S1"]["persons"], by_site["MS-S1"]["labour_households"]) == (2, 5, 2)
    assert by_site["MS-S1"]["site_id"] == world["s1"].pk and by_site["MS-S1"]["name"] == "幸福社区"
    assert (by_site["MS-S2"]["households"], by_site["MS-S2"]["persons"], by_site["MS-S2"]["labour_households_employed"]) == (1, 2, 0)
    assert by_site["MS-S4"]["households"] == 0 and by_site["MS-S4"]["employment_rate"] is None
    none = by_site[""]
    assert (none["name"], none["site_id"], none["households"], none["labour_households"], none["employment_rate"]) == ("未安置到点", None, 1, 0, None)
    assert (none["welfare_households"], none["employed_persons"]) == (1, 1)
    townships = _by_code(sm.relocation_metrics(actor=city, as_of=D, by="township"))
    assert set(townships) == {"429921101000", "429921102000", "429922101000"}  # townships with relocated people
    assert (townships["429921101000"]["households"], townships["429921101000"]["persons"]) == (3, 8)
    assert townships["429921101000"]["prefix"] == "429921101"
    cities = sm.relocation_metrics(actor=city, as_of=D, by="city")
    assert [(r["code"], r["households"], r["persons"], r["labour_households"], r["labour_households_employed"]) for r in cities] == [
        ("429900000000", 5, 11, 4, 3)]
    total = sm.metrics_total(sm.relocation_metrics(actor=city, as_of=D, by="county"))
    assert (total["households"], total["persons"], total["labour_households_employed"], total["employment_rate"]) == (5, 11, 3, 0.75)
    assert total["per_capita_income_fen"] == round((3_100_000 + 1_800_000 + 1_100_000) / 6) == 1_000_000
    assert total["monitored_by_category"] == {"unstable": 0, "marginal": 2, "sudden": 1}


def test_scope_and_coarser_grouping(world, city, make_user):
    township = sm.relocation_metrics(actor=city, as_of=D, scope="429921101", by="county")
    assert [(r["code"], r["households"]) for r in township] == [("429921000000", 3)]  # the county's row, the township's people
    sites = sm.relocation_metrics(actor=city, as_of=D, scope="429921101000", by="site")
    assert [r["code"] for r in sites] == ["MS-S1", "MS-S4", ""]
    county_clerk = make_user("county_clerk", "429921")
    own = sm.relocation_metrics(actor=county_clerk, as_of=D)
    assert [(r["code"], r["households"]) for r in own] == [("429921000000", 4)]
    for bad, message in (("429922", sm.MSG_SCOPE_OUTSIDE % {"code": "429922"}), ("4299", sm.MSG_SCOPE_OUTSIDE % {"code": "4299"}),
                         ("42992x", sm.MSG_SCOPE), ("4", sm.MSG_SCOPE), ("429921999", sm.MSG_SCOPE_UNKNOWN % {"code": "429921999"})):
        with pytest.raises(ValidationFailed) as exc:
            sm.relocation_metrics(actor=county_clerk, as_of=D, scope=bad)
        assert exc.value.detail == {"field": "scope"} and exc.value.message == str(message)
    with pytest.raises(ValidationFailed) as exc:
        sm.relocation_metrics(actor=city, as_of=D, by="village")
    assert exc.value.detail == {"field": "by"}
    outsider = make_user("city_clerk", "4298")
    assert sm.relocation_metrics(actor=outsider, as_of=D)[0]["households"] == 0  # 外县: nobody relocated there
    with pytest.raises(PermissionDenied):
        sm.relocation_metrics(actor=make_user("sysadmin", "4299"), as_of=D)


def test_income_year_and_policy_band(world, city):
    rows = _by_code(sm.relocation_metrics(actor=city, as_of=D, income_year=2024))
    assert rows["429921000000"]["per_capita_income_fen"] == 1_025_000  # H4 only: 4_100_000 / 4
    assert rows["429922000000"]["per_capita_income_fen"] is None
    # 白云县 sets its own band [18, 59]: A (16) and P (60) and C (60) drop out; H2 has no labour left, H1 none either.
    PolicyVersion.objects.create(key="relocation.labour_age", scope="429921", effective_from=dt.date(2026, 1, 1), value=[18, 59])
    rows = _by_code(sm.relocation_metrics(actor=city, as_of=D))
    assert (rows["429921000000"]["labour_households"], rows["429921000000"]["labour_households_employed"]) == (1, 0)  # H4 only
    assert rows["429922000000"]["labour_households"] == 1  # the city band still applies to 青山县
    county_only = sm.relocation_metrics(actor=city, as_of=D, scope="429921")
    assert county_only[0]["labour_households"] == 1


def test_years_before_leap_day():
    assert sm.years_before(dt.date(2026, 6, 30), 16) == dt.date(2010, 6, 30)
    assert sm.years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
