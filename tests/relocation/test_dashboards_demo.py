"""The dashboards over the demo city: every figure of the pages and files comes from the same metrics, the ledgers add up
to them, the map places the demo's sites and the report renders."""

from __future__ import annotations

import datetime as dt
import io

import defusedxml.ElementTree as DET
import pytest

from anju.accounts.models import User
from anju.demo import build_demo
from anju.relocation import reports_ledgers as rl
from anju.relocation import reports_situation as rs
from anju.relocation import selectors_dashboards as sd
from anju.relocation.maps import sites_map

pytestmark = pytest.mark.django_db


def test_demo_city(tmp_path):
    from python_calamine import CalamineWorkbook

    build_demo()
    actor = User.objects.filter(role="city_clerk").first()
    day = dt.date.today()
    d = sd.dashboard_data(actor=actor, as_of=day)
    assert d.total["households"] > 0 and d.child_by == "county" and len(d.rows) >= 9
    assert d.total["monitored_households"] > 0 and sum(d.colours.values()) == d.total["monitored_households"]
    result = sites_map(actor=actor, as_of=day, site_rows=d.sites)
    assert len(result.placed) == sum(1 for s in d.sites if s.id is not None and s.longitude is not None)
    assert DET.fromstring(result.svg) is not None and result.placed
    rows = CalamineWorkbook.from_filelike(io.BytesIO(rl.ledger_render(actor=actor, kind="support", as_of=day)[0])).get_sheet_by_index(0).to_python()
    total = next(r for r in rows if r[0] == "合计")
    assert total[7] == d.total["persons"]
    assert sum(1 for r in sd.support_rows(actor=actor, as_of=day) if r.labour and r.employed) == d.total["labour_households_employed"]
    data, _name = rs.report_render(actor=actor, as_of=day)
    assert len(data) > 10_000
