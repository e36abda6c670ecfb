"""The rates page (filters, ranking, last year, colours, 口径说明, the bulletin form) and the city dashboard (cards, SVG
charts, lagging projects), scoped to the viewer."""

from __future__ import annotations

import pytest

from .rates_data import build_rates_world

pytestmark = pytest.mark.django_db
Q = "year=2026&as_of=2026-09-30"


@pytest.fixture
def city(tree, other_city, make_user):
    build_rates_world()
    return make_user("city_clerk", "4299")


def test_rates_page(city, login):
    client = login(city)
    html = client.get(f"/projects/rates/?{Q}").content.decode()
    assert "清江市 2026 年度当年项目，截至 2026-09-30，按县（市、区）" in html
    assert "白云县" in html and "200.00" in html and "70.00" in html and "35.00%" in html
    assert "口径说明" in html and "资金支付率 = 已支付资金 ÷ 下达资金" in html
    assert "红色预警" in html and "background:#fbe3e1" in html  # the warning colour of the rows behind the target
    assert "50.00%" in html and "<td>-15.00</td>" in html  # last year's payment rate and the change in points
    assert 'action="/projects/rates/bulletin/"' in html
    carried = client.get(f"/projects/rates/?{Q}&carried_over=on").content.decode()
    assert "结转项目，截至" in carried and "66.67%" in carried
    by_source = client.get(f"/projects/rates/?{Q}&by=fund_source").content.decode()
    assert "中央水库移民扶持基金" in by_source and "省级资金" in by_source
    by_program = client.get(f"/projects/rates/?{Q}&by=program").content.decode()
    assert "三峡后续工作" in by_program and "57.14%" in by_program
    default = client.get("/projects/rates/")
    assert default.status_code == 200  # this year as of today


def test_rates_page_scope(city, login, make_user):
    township = make_user("township_clerk", "429921101")
    html = login(township).get(f"/projects/rates/?{Q}").content.decode()
    assert "白坪镇 2026 年度当年项目" in html and "100.00" in html and "青山县" not in html
    assert login(city).get(f"/projects/rates/?{Q}&scope=429821").status_code == 404
    assert login(make_user("county_clerk", "429922")).get(f"/projects/rates/?{Q}&scope=429921").status_code == 404
    assert login(make_user("auditadmin", "4299")).get(f"/projects/rates/?{Q}").status_code == 403
    bad = login(city).get("/projects/rates/?year=1990&as_of=2026-09-30").content.decode()
    assert "清江市" in bad  # a bad year falls back to this year


def test_dashboard(city, login):
    html = login(city).get(f"/projects/rates/dashboard/?{Q}").content.decode()
    assert html.count("<svg") == 2 and "viewBox" in html
    assert "75.00%" in html and "34.76%" in html  # start rate and payment rate cards
    assert "另有结转 2 个" in html
    assert "湖河镇堰塘整治" in html and "303" in html  # allocated 2025-12-01, not started by 2026-09-30
    assert "低于序时进度的县（市、区）" in html and "2026-09" in html
    early = login(city).get("/projects/rates/dashboard/?year=2027&as_of=2026-09-30").content.decode()
    assert "暂无月度数据" in early
