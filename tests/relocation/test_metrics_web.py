"""The metrics page: form, every measure, total, definitions, drill-down links and the Excel download."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook

from anju.relocation import selectors_metrics as sm

from .test_metrics_definitions import build_world

pytestmark = pytest.mark.django_db
URL = "/relocation/metrics/"


@pytest.fixture
def world(tree, other_city):
    return build_world()


def test_page_by_county_with_drill_down(world, make_user, login):
    web = login(make_user("city_clerk", "4299"))
    response = web.get(URL, {"as_of": "2026-06-30"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "白云县" in html and "66.67%" in html and "75.00%" in html and "合计" in html
    assert "公益性岗位" in html and "突发严重困难户" in html and "低保覆盖率" in html and "人均纯收入" in html
    assert str(sm.DEFINITIONS[0]) in html
    assert "scope=429921&amp;by=township" in html  # county → township
    township = web.get(URL, {"as_of": "2026-06-30", "scope": "429921", "by": "township"}).content.decode()
    assert "scope=429921101&amp;by=site" in township and "返回上一级" in township
    sites = web.get(URL, {"as_of": "2026-06-30", "scope": "429921101", "by": "site"}).content.decode()
    assert f"/relocation/sites/{world['s1'].pk}/" in sites and "未安置到点" in sites
    download = web.get(URL + "export/", {"as_of": "2026-06-30", "scope": "429921101", "by": "site"})
    assert download.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_name("后续扶持指标").to_python()
    assert [row[1] for row in sheet[3:7]] == ["幸福社区", "空安置点", "未安置到点", "合计"]


def test_page_scope_error_and_permission(world, make_user, login):
    web = login(make_user("county_clerk", "429921"))
    response = web.get(URL, {"as_of": "2026-06-30", "scope": "429922"})
    assert response.status_code == 200 and str(sm.MSG_SCOPE_OUTSIDE % {"code": "429922"}) in response.content.decode()
    assert "青山县" not in web.get(URL).content.decode()
    assert login(make_user("sysadmin", "4299")).get(URL).status_code == 403
