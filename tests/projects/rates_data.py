"""Hand-computed rate fixtures shared by the rates and bulletin tests (year 2026, as of 2026-09-30).

Amounts are entered in 万元 through money.to_fen, as the forms and files take them. The expected figures (万元):

白云县 429921, the year's projects:
  A (village 429921101201, 水库移民): started 04-01; central 100 allocated; paid 30 on 09-30 (counts), 10 on 10-01 (does not)
  B (county-level site, 三峡后续): started 03-01, completed 09-30 (counts); central 50 + provincial 20 (04-01) allocated,
    provincial 10 on 10-01 does not count; paid central 35, provincial 5
  C (township 429921102, 水库移民): starts 10-01 (after the cut-off: not started); central 30 allocated in 2025-12 (counts)
  D: still in the reserve (not counted)
  → projects 3, started 2, completed 1, allocated 200, paid 70, rates 0.6667 / 0.3333 / 0.35
青山县 429922: H (易地搬迁): started 05-01; central 10, paid 3 → 1 / 1 / 0 / 10 / 3, payment rate 0.3
City: 4 / 3 / 1 / 210 / 73 → 0.75 / 0.25 / 0.3476

Carried over into 2026 (白云县): E (2025, unfinished): allocated 40, paid 10 (2025-08) + 10 (2026-05);
  G (2025, completed 2026-01-01): allocated 20, paid 20 (2025-10); F (2025, completed 2025-12-31) is not carried over
  → projects 2, started 2, completed 1, allocated 60, paid 40, payment rate 0.6667
Last year (2025 as of 2025-09-30, 白云县): E, F, G → projects 3, started 3, completed 0, allocated 110, paid 55 → 0.5
"""

from __future__ import annotations

import datetime as dt

from anju.projects.models import Stage
from anju.projects.money import WAN, to_fen
from tests.projects.factories import COUNTY, VILLAGE, make_allocation, make_payment, make_project

YEAR = 2026
AS_OF = dt.date(2026, 9, 30)
QINGSHAN = "429922"
TOWNSHIP_2 = "429921102000"


def wan(value: str) -> int:
    return to_fen(value, WAN)


def build_rates_world() -> dict:
    d = dt.date
    a = make_project(division_code=VILLAGE, stage=Stage.IMPLEMENTING, actual_start=d(2026, 4, 1), program="reservoir", name="白坪镇产业路")
    make_allocation(a, wan("100"), doc_date=d(2026, 3, 1))
    make_payment(a, wan("30"), paid_on=AS_OF)
    make_payment(a, wan("10"), paid_on=d(2026, 10, 1))

    b = make_project(division_code=COUNTY, stage=Stage.COMPLETED, actual_start=d(2026, 3, 1), actual_completion=AS_OF,
                     program="three_gorges", name="白云县库岸绿化")
    make_allocation(b, wan("50"), doc_date=d(2026, 2, 1))
    make_allocation(b, wan("20"), doc_date=d(2026, 4, 1), fund_source="provincial")
    make_allocation(b, wan("10"), doc_date=d(2026, 10, 1), fund_source="provincial")
    make_payment(b, wan("35"), paid_on=d(2026, 6, 1))
    make_payment(b, wan("5"), paid_on=d(2026, 7, 1), fund_source="provincial")

    c = make_project(division_code=TOWNSHIP_2, stage=Stage.APPROVED, actual_start=d(2026, 10, 1), program="reservoir", name="湖河镇堰塘整治")
    make_allocation(c, wan("30"), doc_date=d(2025, 12, 1))

    reserve = make_project(division_code=VILLAGE, stage=Stage.RESERVE, name="储备项目")
    make_allocation(reserve, wan("99"), doc_date=d(2026, 3, 1))

    h = make_project(division_code=QINGSHAN + "000000", stage=Stage.IMPLEMENTING, actual_start=d(2026, 5, 1), program="relocation",
                     name="青山县安置点配套")
    make_allocation(h, wan("10"), doc_date=d(2026, 3, 1))
    make_payment(h, wan("3"), paid_on=d(2026, 5, 1))

    e = make_project(division_code=VILLAGE, year=2025, stage=Stage.IMPLEMENTING, actual_start=d(2025, 5, 1), name="结转未完工项目")
    make_allocation(e, wan("40"), doc_date=d(2025, 3, 1))
    make_payment(e, wan("10"), paid_on=d(2025, 8, 1))
    make_payment(e, wan("10"), paid_on=d(2026, 5, 1))

    f = make_project(division_code=VILLAGE, year=2025, stage=Stage.COMPLETED, actual_start=d(2025, 2, 1), actual_completion=d(2025, 12, 31),
                     name="上年已完工项目")
    make_allocation(f, wan("50"), doc_date=d(2025, 1, 15))
    make_payment(f, wan("45"), paid_on=d(2025, 6, 1))

    g = make_project(division_code=VILLAGE, year=2025, stage=Stage.ACCEPTED, actual_start=d(2025, 4, 1), actual_completion=d(2026, 1, 1),
                     name="元旦完工项目")
    make_allocation(g, wan("20"), doc_date=d(2025, 3, 1))
    make_payment(g, wan("20"), paid_on=d(2025, 10, 1))
    return {"A": a, "B": b, "C": c, "D": reserve, "E": e, "F": f, "G": g, "H": h}
