"""Server-side charts: SVG strings for the pages (scaling, no prolog, text escaped) and PNG bytes for the documents,
with or without data; never failing for a missing CJK font."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from anju.projects import charts


def test_progress_chart_svg():
    months = [dt.date(2026, m, 1) for m in range(3, 9)]
    svg = charts.progress_chart_svg(months, [10, 25, 40, 55, 70, 90], [0.1, None, 0.3, 0.45, 0.5, 0.8])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'width="100%"' in svg and "viewBox" in svg and "<?xml" not in svg
    assert "2026-03" in svg and "2026-08" in svg  # month labels as text (svg.fonttype none: the browser's fonts draw them)
    assert "形象进度" in svg and "累计支付占比" in svg
    empty = charts.progress_chart_svg([], [], [])
    assert empty.startswith("<svg") and "暂无进度数据" in empty


def test_rates_bar_and_monthly_line():
    names = ["白云县", "青山县", "A&B<县>"]
    svg = charts.rates_bar(names, [Decimal("0.5"), None, Decimal("1")], [Decimal("0.1"), None, Decimal("0")],
                           [Decimal("0.35"), None, Decimal("0.3")], target=Decimal("0.75"))
    assert "白云县" in svg and "A&amp;B&lt;县&gt;" in svg and "<县>" not in svg
    png = charts.rates_bar(names, [None] * 3, [None] * 3, [None] * 3, fmt="png")
    assert png.startswith(b"\x89PNG")
    months = [dt.date(2026, m, 1) for m in range(1, 10)]
    line = charts.monthly_line(months, [Decimal(m) / 20 for m in range(1, 10)], last_year=[None] * 9,
                               targets={3: Decimal("0.2"), 6: Decimal("0.5"), 9: Decimal("0.75")}, fmt="png")
    assert line.startswith(b"\x89PNG") and len(line) > 1000
    assert charts.progress_chart_png(months, [10] * 9, [None] * 9).startswith(b"\x89PNG")
