"""The hand-built world of the dashboards tests (`build_world`, shared by the other test_dashboards_* modules), and a
check that the metrics see it as the comments say.

On D = 2026-06-30, in the demo city 4299:
  白云县 429921: site A 白云安置点一 (110.10°E 30.50°N, capacity 20, 8 of 10 units built, 扶贫车间 in use, a school planned),
                 site B 白云安置点二 (110.40°E 30.80°N, capacity 10), site D 无坐标安置点 (no coordinates, nobody yet);
  青山县 429922: site C 青山安置点 (110.90°E 30.20°N, capacity 5).
  H1 at A: head 1980 (labour, employed 县内务工 since 2025-03-01), spouse 1982 (labour), child 2015 — labour, employed;
           insured: all three medical, the head pension; one training; open income risk signal.
  H2 at A: head 1970 (labour, nobody employed) and a child 2012 — labour household with nobody employed; 低保 since 2025;
           2025 income 2 persons 10,000 元 → 5,000 元 per person; monitored 脱贫不稳定户 red (illness) with one measure.
  H3 at B: one person born 1950 — no labour.
  H4 at C (青山县): head 1990 employed 公益性岗位; 2025 income 1 person 12,000 元; an eliminated 边缘易致贫户 case (green).
  City: 4 households, 7 persons, 3 labour households, 2 with someone employed (66.67%), per-capita income 22,000 / 3 =
  7,333.33 元, 低保 1 of 4, 1 monitored household. An overdue spot-check follow-up in 白云县.
  Outside (4298): site X with one household.
"""

from __future__ import annotations

import datetime as dt

import pytest

from anju.relocation import selectors_metrics as sm
from anju.relocation.models import (
    Employment,
    Facility,
    Income,
    Insurance,
    Measure,
    MonitoringCase,
    RiskSignal,
    SpotCheck,
    SpotCheckItem,
    Training,
    Welfare,
)
from tests.relocation.factories import OTHER_VILLAGE, VILLAGE, make_employment, make_relocated_household, make_site, members_of

pytestmark = pytest.mark.django_db

D = dt.date(2026, 6, 30)
QINGSHAN_VILLAGE = "429922001001"


def build_world() -> dict:
    a = make_site("DB-A", name="白云安置点一", division_code="429921101000", capacity=20, longitude="110.100000", latitude="30.500000",
                  planned_units=10, built_units=8)
    b = make_site("DB-B", name="白云安置点二", division_code="429921101000", capacity=10, longitude="110.400000", latitude="30.800000")
    c = make_site("DB-C", name="青山安置点", division_code="429922001000", capacity=5, longitude="110.900000", latitude="30.200000")
    d = make_site("DB-D", name="无坐标安置点", division_code="429921000000", capacity=8)
    x = make_site("DB-X", name="外市安置点", division_code="429821100000", capacity=8, longitude="111.000000", latitude="31.000000")
    Facility.objects.create(site=a, kind="workshop", name="扶贫车间一号", status=Facility.Status.IN_USE, jobs=20)
    Facility.objects.create(site=a, kind="school", name="安置点小学", status=Facility.Status.PLANNED)

    h1 = make_relocated_household([("张一", "户主", dt.date(1980, 1, 1)), ("李一", "配偶", dt.date(1982, 2, 2)),
                                   ("张小一", "子女", dt.date(2015, 3, 3))], site=a, number="DB-H1")
    h2 = make_relocated_household([("王二", "户主", dt.date(1970, 4, 4)), ("王小二", "子女", dt.date(2012, 5, 5))], site=a, number="DB-H2")
    h3 = make_relocated_household([("赵三", "户主", dt.date(1950, 6, 6))], site=b, number="DB-H3")
    h4 = make_relocated_household([("钱四", "户主", dt.date(1990, 7, 7))], site=c, village=QINGSHAN_VILLAGE, number="DB-H4")
    hx = make_relocated_household([("孙外", "户主", dt.date(1985, 8, 8))], site=x, village=OTHER_VILLAGE, number="DB-HX")

    p1 = members_of(h1)
    make_employment(p1[0], kind=Employment.Kind.COUNTY, started_on=dt.date(2025, 3, 1))
    make_employment(members_of(h4)[0], kind=Employment.Kind.PUBLIC_POST, started_on=dt.date(2026, 1, 1))
    make_employment(members_of(hx)[0], kind=Employment.Kind.COUNTY, started_on=dt.date(2026, 1, 1))
    for i, p in enumerate(p1):
        Insurance.objects.create(person=p, household=h1, division_code=h1.division_code, year=2026, medical=True, pension=i == 0)
    Training.objects.create(person=p1[0], household=h1, division_code=h1.division_code, course="电工培训", started_on=dt.date(2026, 1, 5))
    RiskSignal.objects.create(household=h1, division_code=h1.division_code, kind=RiskSignal.Kind.INCOME, found_on=dt.date(2026, 6, 1),
                              source="manual")

    Welfare.objects.create(household=h2, division_code=h2.division_code, kind=Welfare.Kind.DIBAO, started_on=dt.date(2025, 1, 1), monthly_fen=50_000)
    Income.objects.create(household=h2, division_code=h2.division_code, year=2025, persons=2, wage_fen=1_000_000, surveyed_on=dt.date(2026, 1, 10))
    Income.objects.create(household=h4, division_code=h4.division_code, year=2025, persons=1, wage_fen=1_200_000, surveyed_on=dt.date(2026, 1, 10))
    case = MonitoringCase.objects.create(household=h2, division_code=h2.division_code, category=MonitoringCase.Category.UNSTABLE,
                                         channel=MonitoringCase.Channel.VISIT, risks=["illness"], per_capita_income_fen=500_000,
                                         identified_on=dt.date(2026, 1, 5), included_on=dt.date(2026, 1, 10),
                                         state=MonitoringCase.State.MONITORING, colour=MonitoringCase.Colour.RED)
    Measure.objects.create(case=case, kind="public_post", content="安排保洁公益性岗位", started_on=dt.date(2026, 2, 1),
                           effect=Measure.Effect.PARTIAL)
    MonitoringCase.objects.create(household=h4, division_code=h4.division_code, category=MonitoringCase.Category.MARGINAL,
                                  channel=MonitoringCase.Channel.DEPARTMENT, risks=["accident"], identified_on=dt.date(2025, 2, 20),
                                  included_on=dt.date(2025, 3, 1), eliminated_on=dt.date(2026, 3, 1), state=MonitoringCase.State.ELIMINATED,
                                  colour=MonitoringCase.Colour.GREEN)
    check = SpotCheck.objects.create(name="二季度抽查", division_code="429921000000", seed="s", sample_size=1, as_of=D)
    SpotCheckItem.objects.create(spot_check=check, household=h3, division_code=h3.division_code, order=1, result=SpotCheckItem.Result.DISCREPANCY,
                                 follow_up=SpotCheckItem.FollowUp.OPEN, follow_up_deadline=dt.date(2026, 5, 1))
    return {"a": a, "b": b, "c": c, "d": d, "x": x, "h1": h1, "h2": h2, "h3": h3, "h4": h4, "hx": hx, "case": case}


def test_world_as_the_metrics_see_it(tree, other_city, make_user):
    build_world()
    city = make_user("city_clerk", "4299")
    [total] = sm.relocation_metrics(actor=city, as_of=D, by=sm.BY_CITY)
    assert (total["households"], total["persons"], total["labour_households"], total["labour_households_employed"]) == (4, 7, 3, 2)
    assert (total["per_capita_income_fen"], total["welfare_households"], total["monitored_households"]) == (733_333, 1, 1)
    assert VILLAGE.startswith("429921")
