"""The ledgers read back (python-calamine), the situation report read back (python-docx), the map's geometry (defusedxml),
masking and the audited unmasked export, and scope: a county user's ledger holds only its county."""

from __future__ import annotations

import io

import defusedxml.ElementTree as DET
import pytest

from anju.core.crypto import decrypt
from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.relocation import reports_ledgers as rl
from anju.relocation import reports_situation as rs
from anju.relocation import selectors_dashboards as sd
from anju.relocation.maps import KM_PER_DEGREE, SiteMark, map_export, site_map

from .test_dashboards_world import D, build_world

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world(tree, other_city, make_user):
    w = build_world()
    w["city"] = make_user("city_clerk", "4299", username="db_city")
    w["county"] = make_user("county_clerk", "429921", username="db_county")
    w["leader"] = make_user("leader", "4299", username="db_leader")
    return w


def _rows(data: bytes) -> list[list]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


def _by_first(rows: list[list], col: int = 0) -> dict:
    return {r[col]: r for r in rows[3:] if r and r[col] and not str(r[col]).startswith("注：")}


# --- 安置点台账 ----------------------------------------------------------------------------------------------------------

def test_sites_ledger_figures(world):
    data, name = rl.ledger_render(actor=world["city"], kind="sites", as_of=D)
    assert name == "安置点台账-清江市-2026-06-30.xlsx"
    rows = _rows(data)
    assert rows[0][0] == "清江市易地扶贫搬迁安置点台账"
    assert rows[1][0].startswith("填报单位：清江市（盖章）") and "统计截止：2026年6月30日" in rows[1][0]
    assert rows[2][:3] == ["安置点编码", "安置点名称", "所在县（市、区）"]
    sites = _by_first(rows)
    assert set(sites) == {"DB-A", "DB-B", "DB-C", "DB-D", "合计"}
    a = sites["DB-A"]
    # code, name, county, township, placement, area, lon, lat, capacity, planned, built, households, persons, occupancy, facilities,
    # labour households, employed households, rate, employed persons, income, welfare, monitored
    assert a[1:6] == ["白云安置点一", "白云县", a[3], "集中安置", "城镇"] and a[3]
    assert a[6:8] == [110.1, 30.5]
    assert a[8:14] == [20, 10, 8, 2, 5, 0.25]
    assert a[14] == "扶贫车间一号"
    assert a[15:22] == [2, 1, 0.5, 1, 5000.0, 1, 1]
    b = sites["DB-B"]
    assert b[11:13] == [1, 1] and b[15] == 0 and b[17] == ""  # no labour household: no rate
    c = sites["DB-C"]
    assert c[2] == "青山县" and c[15:20] == [1, 1, 1.0, 1, 12000.0]
    assert sites["DB-D"][6] == "" and sites["DB-D"][11] == 0
    total = sites["合计"]
    assert total[1] == "4条" and total[8] == 43 and total[11:13] == [4, 7] and total[15:17] == [3, 2] and total[21] == 1
    assert any("66.67%" in str(r[0]) and "7,333.33" in str(r[0]) for r in rows[-2:] if r)  # the note carries the total's rate and income
    event = AuditEvent.objects.filter(action="relocation.ledger.exported").latest("id")
    assert event.after["kind"] == "sites" and event.after["rows"] == 4 and event.after["masked"] is True


def test_county_user_ledger_holds_only_its_county(world):
    data, name = rl.ledger_render(actor=world["county"], kind="sites", as_of=D)
    assert set(_by_first(_rows(data))) == {"DB-A", "DB-B", "DB-D", "合计"}
    support = _by_first(_rows(rl.ledger_render(actor=world["county"], kind="support", as_of=D)[0]))
    assert set(support) == {"DB-H1", "DB-H2", "DB-H3", "合计"}
    monitoring = _by_first(_rows(rl.ledger_render(actor=world["county"], kind="monitoring", as_of=D)[0]))
    assert set(monitoring) == {"DB-H2", "合计"}
    with pytest.raises(NotFound):
        rl.ledger_render(actor=world["county"], kind="sites", as_of=D, scope="429922")
    with pytest.raises(NotFound):
        rl.ledger_render(actor=world["county"], kind="sites", as_of=D, scope="4299")
    city_scoped = _by_first(_rows(rl.ledger_render(actor=world["city"], kind="support", as_of=D, scope="429922")[0]))
    assert set(city_scoped) == {"DB-H4", "合计"}


# --- 后续扶持台账 --------------------------------------------------------------------------------------------------------

def test_support_ledger_figures(world):
    data, _name = rl.ledger_render(actor=world["city"], kind="support", as_of=D)
    rows = _rows(data)
    assert rows[0][0] == "清江市易地扶贫搬迁后续扶持台账" and "金额单位：元" in rows[1][0]
    assert rows[2][11] == "2025年人均纯收入（元）"
    h = _by_first(rows)
    # number, head, id, county, township, village, site, members, labour, employed, kinds, income, welfare, medical, pension,
    # trainings, industry, category, colour
    h1 = h["DB-H1"]
    assert h1[1] == "张一" and "*" in h1[2] and h1[3] == "白云县" and h1[6] == "白云安置点一"
    assert h1[7:16] == [3, 2, 1, "县内务工1", "", "否", 3, 1, 1]
    h2 = h["DB-H2"]
    assert h2[7:13] == [2, 1, 0, "", 5000.0, "最低生活保障"] and h2[17:19] == ["脱贫不稳定户", "红色"]
    assert h["DB-H3"][7:10] == [1, 0, 0]
    h4 = h["DB-H4"]
    assert h4[3] == "青山县" and h4[7:13] == [1, 1, 1, "公益性岗位1", 12000.0, "否"] and h4[17] == ""  # eliminated before D
    total = h["合计"]
    assert total[1] == "4条" and total[7:10] == [7, 4, 2] and total[13:16] == [3, 1, 1]
    assert "DB-HX" not in h


def test_support_ledger_matches_the_metrics(world):
    """The per-household labour and employment flags add up to the metrics' figures for every site."""
    rows = sd.support_rows(actor=world["city"], as_of=D)
    metrics = {s.name: s.m for s in sd.site_rows(actor=world["city"], as_of=D)}
    for site, m in metrics.items():
        mine = [r for r in rows if r.site == site]
        assert len(mine) == m["households"]
        assert sum(1 for r in mine if r.labour) == m["labour_households"]
        assert sum(1 for r in mine if r.labour and r.employed) == m["labour_households_employed"]
        assert sum(r.employed for r in mine) == m["employed_persons"]


# --- 监测对象台账 --------------------------------------------------------------------------------------------------------

def test_monitoring_ledger_figures(world):
    rows = _rows(rl.ledger_render(actor=world["city"], kind="monitoring", as_of=D)[0])
    h = _by_first(rows)
    assert set(h) == {"DB-H2", "DB-H4", "合计"}
    h2 = h["DB-H2"]
    # number, head, id, county, township, village, site, category, channel, risks, income, identified, included, measures,
    # measures n, state, colour, eliminated
    assert h2[6:13] == ["白云安置点一", "脱贫不稳定户", "干部走访排查", "因病", 5000.0, "2026-01-05", "2026-01-10"]
    assert h2[13] == "公益性岗位：安排保洁公益性岗位（2026-02-01起，有一定成效）" and h2[14] == 1
    assert h2[15:18] == ["监测帮扶中", "红色", ""]
    h4 = h["DB-H4"]
    assert h4[7] == "边缘易致贫户" and h4[9] == "因意外事故" and h4[15:18] == ["风险已消除", "绿色", "2026-03-01"]
    assert h["合计"][14] == 1


# --- masking and PII ---------------------------------------------------------------------------------------------------

def test_ids_masked_unless_asked_by_a_pii_holder_and_audited(world):
    head = world["h2"].head
    masked = _by_first(_rows(rl.ledger_render(actor=world["city"], kind="monitoring", as_of=D)[0]))["DB-H2"][2]
    assert masked == head.id_masked and decrypt(head.id_enc) not in masked
    full = _by_first(_rows(rl.ledger_render(actor=world["city"], kind="monitoring", as_of=D, unmasked=True)[0]))["DB-H2"][2]
    assert full == decrypt(head.id_enc)
    event = AuditEvent.objects.filter(action="relocation.ledger.exported_unmasked").get()
    assert event.after["kind"] == "monitoring" and event.after["masked"] is False and event.actor_id == world["city"].pk
    assert full not in str(event.after)
    with pytest.raises(PermissionDenied):
        rl.ledger_render(actor=world["leader"], kind="support", as_of=D, unmasked=True)
    assert not AuditEvent.objects.filter(action="relocation.ledger.exported_unmasked", actor=world["leader"]).exists()
    with pytest.raises(ValidationFailed):
        rl.ledger_render(actor=world["city"], kind="payments", as_of=D)


# --- the situation report ------------------------------------------------------------------------------------------------

def test_report_text_tables_and_fonts(world):
    import docx
    from docx.oxml.ns import qn

    data, name = rs.report_render(actor=world["city"], as_of=D, doc_number="清搬办〔2026〕3号")
    assert name == "易地扶贫搬迁后续扶持情况报告-清江市-2026-06-30.docx"
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "清江市易地扶贫搬迁后续扶持工作领导小组办公室文件" and texts[1] == "清搬办〔2026〕3号"
    assert "关于全市易地扶贫搬迁后续扶持工作情况的报告" in texts
    body = "\n".join(texts)
    assert "共有安置点4个，其中集中安置点4个；城镇安置点4个、农村安置点0个，设计安置43人" in body
    assert "在册搬迁群众4户7人，其中在安置点安置7人" in body
    assert "有劳动力的搬迁户3户，其中至少1人就业的2户，至少1人就业率66.67%；搬迁劳动力就业2人，其中县内务工1人、公益性岗位1人。" in body
    assert "最高的是青山县（100.00%），最低的是白云县（50.00%）" in body
    assert "2025年有收入调查的搬迁户2户，人均纯收入7,333元" in body and "白云县人均纯收入低于监测收入线" in body
    assert "纳入低保或特困供养的搬迁户1户，占搬迁户的25.00%" in body
    assert "纳入防返贫监测的搬迁户1户，其中脱贫不稳定户1户、边缘易致贫户0户、突发严重困难户0户；按风险等级，红色1户、黄色0户、绿色0户。" in body
    assert "主要风险类型为因病（1户）" in body
    assert "白云安置点一（50.00%）至少1人就业率低于90.00%" in body
    assert "有劳动力但无人就业的搬迁户1户（白云县1户）" in body
    assert "待核实的风险预警线索1条（收入低于监测线1条）" in body and "抽查发现问题逾期未整改1户" in body
    # tables: by county (with the total) and by site
    county_table, site_table = document.tables
    cells = [[c.text for c in row.cells] for row in county_table.rows]
    assert cells[0][0] == "县（市、区）"
    baiyun = next(r for r in cells if r[0] == "白云县")
    assert baiyun[1:9] == ["3", "6", "2", "1", "50.00%", "5,000", "33.33%", "1"]
    assert cells[-1][:3] == ["合计", "4", "7"]
    assert any(r[0] == "白云安置点一" and r[5] == "25.00%" for r in ([c.text for c in row.cells] for row in site_table.rows))
    # three chart images, fonts of official documents as East Asian fonts
    assert len(document.inline_shapes) == 3
    fonts = {r._element.rPr.rFonts.get(qn("w:eastAsia")) for p in document.paragraphs for r in p.runs if r._element.rPr is not None
             and r._element.rPr.rFonts is not None}
    assert {"方正小标宋简体", "黑体", "仿宋_GB2312"} <= fonts
    event = AuditEvent.objects.filter(action="relocation.report.generated").get()
    assert event.after["scope"] == "4299" and event.after["households"] == 4


def test_county_report_names_townships(world):
    import docx

    data, name = rs.report_render(actor=world["county"], as_of=D)
    assert name.startswith("易地扶贫搬迁后续扶持情况报告-白云县-")
    document = docx.Document(io.BytesIO(data))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "关于白云县易地扶贫搬迁后续扶持工作情况的报告" in body and "在册搬迁群众3户6人" in body and "青山" not in body
    assert document.tables[0].rows[0].cells[0].text == "乡镇（街道）"
    with pytest.raises(ValidationFailed):
        rs.report_render(actor=world["county"], as_of=D, doc_number="a\x01b")


# --- the map ---------------------------------------------------------------------------------------------------------------

def _circles(svg: str) -> dict:
    root = DET.fromstring(svg)
    return {c.get("data-code"): (float(c.get("cx")), float(c.get("cy")), float(c.get("r")), c.get("fill")) for c in root.iter(f"{SVG}circle")
            if c.get("data-code")}


def test_map_positions_follow_coordinates(world):
    svg, filename = map_export(actor=world["city"], as_of=D)
    assert filename == "安置点分布图-清江市-2026-06-30.svg"
    root = DET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    c = _circles(svg)
    assert set(c) == {"DB-A", "DB-B", "DB-C"}  # D has no coordinates, X is outside the city
    (xa, ya, ra, fa), (xb, yb, rb, fb), (xc, yc, rc, fc) = c["DB-A"], c["DB-B"], c["DB-C"]
    assert xa < xb < xc and yb < ya < yc  # east is right, north is up
    assert (xb - xa) / (xc - xa) == pytest.approx(0.3 / 0.8, abs=1e-3)
    assert (ya - yb) / (yc - yb) == pytest.approx(0.3 / 0.6, abs=1e-3)
    # equirectangular: a degree of longitude is cos(φ) of a degree of latitude, φ the middle latitude 30.5°
    import math

    k_lat = (yc - yb) / 0.6
    assert (xc - xa) / 0.8 == pytest.approx(k_lat * math.cos(math.radians(30.5)), rel=2e-3)
    scale = next(t for t in root.iter(f"{SVG}text") if t.get("data-km"))
    assert float(scale.get("data-px")) / float(scale.get("data-km")) == pytest.approx(k_lat / KM_PER_DEGREE, rel=5e-3)
    assert ra > rb and ra > rc  # sized by households (A has two)
    assert (fa, fb, fc) == ("#c0392b", "#9aa0a6", "#2e8b57")  # 50% red, no labour grey, 100% green
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert f"/relocation/sites/{world['a'].pk}/" in links
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "白云县" in texts and "青山县" in texts  # county names
    assert any("无坐标安置点" in t for t in texts)  # listed under the map
    assert any(t.endswith("°E") for t in texts) and any(t.endswith("°N") for t in texts) and "N" in texts
    assert AuditEvent.objects.filter(action="relocation.map.exported").count() == 1


def test_map_escapes_names_and_handles_one_site():
    result = site_map([SiteMark(code="S<1>", name="甲&乙<script>", longitude=110.0, latitude=30.0, households=3, rate=None, url="/x?a=1&b=2")])
    root = DET.fromstring(result.svg)
    assert any(t.text == "甲&乙<script>" for t in root.iter(f"{SVG}text"))
    [circle] = [c for c in root.iter(f"{SVG}circle") if c.get("data-code")]
    assert 50 < float(circle.get("cx")) < 850 and 50 < float(circle.get("cy")) < 570
    empty = site_map([SiteMark(code="N", name="无", longitude=None, latitude=None)])
    assert [m.code for m in empty.unplaced] == ["N"] and DET.fromstring(empty.svg) is not None
