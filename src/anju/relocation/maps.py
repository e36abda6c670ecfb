"""The map of resettlement sites as a self-contained SVG drawn on the server (no tiles, no JavaScript, no network).

Sites are placed by longitude and latitude with an equirectangular projection (x scaled by the cosine of the middle
latitude) fitted to their bounding box with a margin; a graticule with degree labels, a scale bar and a north arrow give
the reader bearings. Each site is a circle sized by its households and coloured by its employment rate, linked to its
page; county names sit at the centroid of their sites; sites without coordinates are listed under the map. The SVG is
built with ElementTree, so every name is escaped.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET  # noqa: S405  (we only write XML here, never parse)
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
WIDTH, HEIGHT = 900, 620
MARGIN = 50  # pixels around the plot for the graticule labels
PAD = 0.12  # share of the bounding box added on each side
MIN_SPAN = 0.05  # degrees: one site, or sites on one line, still get an area around them
R_MIN, R_MAX = 4.0, 20.0
KM_PER_DEGREE = 111.32

GREEN, YELLOW, RED, GREY = "#2e8b57", "#e0a800", "#c0392b", "#9aa0a6"
# employment-rate classes of the legend: the target is that every household with labour has someone employed
RATE_CLASSES = ((1.0, GREEN), (0.9, YELLOW), (0.0, RED))
NICE_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500)


@dataclass
class SiteMark:
    """One site on the map: where, how big, how well employed, and where its page is."""

    code: str
    name: str
    longitude: float | None
    latitude: float | None
    households: int = 0
    rate: float | None = None  # employment rate (fraction), None when the site has no labour household
    url: str = ""
    county: str = ""  # county name, placed at the centroid of its sites


@dataclass
class Projection:
    """Degrees to SVG pixels: x = x0 + (lon - lon0)·k·cos(φm), y = y0 − (lat − lat0)·k (north up)."""

    lon0: float
    lat0: float
    lon1: float
    lat1: float
    k: float  # pixels per degree of latitude
    coslat: float
    x0: float
    y0: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return self.x0 + (lon - self.lon0) * self.k * self.coslat, self.y0 - (lat - self.lat0) * self.k

    @property
    def px_per_km(self) -> float:
        return self.k / KM_PER_DEGREE


@dataclass
class MapResult:
    svg: str
    placed: list[SiteMark] = field(default_factory=list)
    unplaced: list[SiteMark] = field(default_factory=list)


def fit(points: list[tuple[float, float]], *, width: int = WIDTH, height: int = HEIGHT, margin: int = MARGIN) -> Projection:
    """The projection that fits the points' bounding box plus PAD on each side into the plot area, centred."""
    lons = [p[0] for p in points] or [0.0]
    lats = [p[1] for p in points] or [0.0]
    lon_mid, lat_mid = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    coslat = max(math.cos(math.radians(lat_mid)), 0.05)
    span_lon = max(max(lons) - min(lons), MIN_SPAN) * (1 + 2 * PAD)
    span_lat = max(max(lats) - min(lats), MIN_SPAN) * (1 + 2 * PAD)
    plot_w, plot_h = width - 2 * margin, height - 2 * margin
    k = min(plot_w / (span_lon * coslat), plot_h / span_lat)
    # the box actually shown (the shorter side grows so the plot is filled)
    half_lon, half_lat = plot_w / (k * coslat) / 2, plot_h / k / 2
    lon0, lat0 = lon_mid - half_lon, lat_mid - half_lat
    return Projection(lon0=lon0, lat0=lat0, lon1=lon_mid + half_lon, lat1=lat_mid + half_lat, k=k, coslat=coslat, x0=margin,
                      y0=height - margin)


def rate_colour(rate: float | None) -> str:
    if rate is None:
        return GREY
    for floor, colour in RATE_CLASSES:
        if rate >= floor - 1e-9:
            return colour
    return RED


def radius(households: int, most: int) -> float:
    """Circle area proportional to households (R_MIN for an empty site)."""
    if most <= 0 or households <= 0:
        return R_MIN
    return R_MIN + (R_MAX - R_MIN) * math.sqrt(households / most)


def _step(span: float, target: int = 5) -> float:
    for s in NICE_STEPS:
        if span / s <= target + 1:
            return s
    return NICE_STEPS[-1]


def _deg(value: float, step: float, pos: str, neg: str) -> str:
    places = 0 if step >= 1 else min(3, max(1, -math.floor(math.log10(step) + 1e-9)))
    if step in (0.025, 0.25):
        places += 1
    return f"{abs(value):.{places}f}°{pos if value >= 0 else neg}"


def _f(v: float) -> str:
    return f"{v:.1f}"


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_").replace("__", ":").replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def site_map(marks: list[SiteMark], *, title: str = "", width: int = WIDTH, height: int = HEIGHT) -> MapResult:
    """The SVG of the sites (placed ones drawn, the others listed under the map)."""
    placed = [m for m in marks if m.longitude is not None and m.latitude is not None]
    unplaced = [m for m in marks if m.longitude is None or m.latitude is None]
    lines = _unplaced_lines(unplaced, width)
    total_h = height + (len(lines) * 18 + 16 if lines else 0) + 40  # + the legend band
    svg = ET.Element("svg", {"xmlns": SVG_NS, "xmlns:xlink": XLINK_NS, "version": "1.1", "width": str(width), "height": str(total_h),
                             "viewBox": f"0 0 {width} {total_h}", "font-family": "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif",
                             "role": "img", "class": "site-map"})
    _sub(svg, "title", title or _("安置点分布图"))
    _sub(svg, "rect", x=0, y=0, width=width, height=total_h, fill="#ffffff")
    _sub(svg, "rect", x=MARGIN, y=MARGIN, width=width - 2 * MARGIN, height=height - 2 * MARGIN, fill="#f4f8fb", stroke="#b0bec5")
    if title:
        _sub(svg, "text", title, x=width / 2, y=MARGIN / 2 + 4, text_anchor="middle", font_size=16, font_weight="bold", fill="#222")
    if placed:
        proj = fit([(float(m.longitude), float(m.latitude)) for m in placed], width=width, height=height)
        _graticule(svg, proj, width, height)
        _counties(svg, proj, placed)
        _sites(svg, proj, placed)
        _scale_bar(svg, proj, width, height)
    else:
        _sub(svg, "text", _("暂无带坐标的安置点"), x=width / 2, y=height / 2, text_anchor="middle", font_size=14, fill="#666")
    _north_arrow(svg, width)
    _legend(svg, width, height)
    y = height + 40
    for i, line in enumerate(lines):
        _sub(svg, "text", line, x=MARGIN, y=y + 14 + i * 18, font_size=12, fill="#444", class_="unplaced")
    return MapResult(svg=ET.tostring(svg, encoding="unicode"), placed=placed, unplaced=unplaced)


def _unplaced_lines(unplaced: list[SiteMark], width: int) -> list[str]:
    if not unplaced:
        return []
    per_line = max(10, (width - 2 * MARGIN) // 13)  # about 13 px per CJK character at 12 px
    text = _("未标注坐标的安置点（%(n)s个）：") % {"n": len(unplaced)} + "、".join(m.name for m in unplaced)
    return [text[i:i + per_line] for i in range(0, len(text), per_line)]


def _graticule(svg, proj: Projection, width: int, height: int) -> None:
    g = _sub(svg, "g", class_="graticule", stroke="#cfd8dc", stroke_width="0.6")
    labels = _sub(svg, "g", class_="graticule-labels", font_size=10, fill="#555")
    left, right, top, bottom = MARGIN, width - MARGIN, MARGIN, height - MARGIN
    step = _step(proj.lon1 - proj.lon0)
    lon = math.ceil(proj.lon0 / step) * step
    while lon <= proj.lon1 + 1e-9:
        x, _y = proj.xy(lon, proj.lat0)
        if left - 0.5 <= x <= right + 0.5:
            _sub(g, "line", x1=_f(x), y1=top, x2=_f(x), y2=bottom)
            _sub(labels, "text", _deg(lon, step, "E", "W"), x=_f(x), y=bottom + 14, text_anchor="middle")
        lon += step
    step = _step(proj.lat1 - proj.lat0)
    lat = math.ceil(proj.lat0 / step) * step
    while lat <= proj.lat1 + 1e-9:
        _x, y = proj.xy(proj.lon0, lat)
        if top - 0.5 <= y <= bottom + 0.5:
            _sub(g, "line", x1=left, y1=_f(y), x2=right, y2=_f(y))
            _sub(labels, "text", _deg(lat, step, "N", "S"), x=left - 4, y=_f(y + 3), text_anchor="end")
        lat += step


def _counties(svg, proj: Projection, placed: list[SiteMark]) -> None:
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for m in placed:
        if m.county:
            groups[m.county].append(proj.xy(float(m.longitude), float(m.latitude)))
    g = _sub(svg, "g", class_="counties", font_size=15, font_weight="bold", fill="#607d8b", fill_opacity="0.75", text_anchor="middle")
    for name, pts in sorted(groups.items()):
        cx, cy = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
        _sub(g, "text", name, x=_f(cx), y=_f(cy - 24), class_="county")


def _sites(svg, proj: Projection, placed: list[SiteMark]) -> None:
    most = max((m.households for m in placed), default=0)
    g = _sub(svg, "g", class_="sites")
    # big circles first, so small ones stay clickable on top
    for m in sorted(placed, key=lambda s: (-s.households, s.code)):
        x, y = proj.xy(float(m.longitude), float(m.latitude))
        r = radius(m.households, most)
        parent = _sub(g, "a", href=m.url, xlink__href=m.url) if m.url else g
        rate = "—" if m.rate is None else f"{m.rate * 100:.1f}%"
        tip = _("%(name)s：%(h)s户，就业率 %(rate)s") % {"name": m.name, "h": m.households, "rate": rate}
        circle = _sub(parent, "circle", cx=_f(x), cy=_f(y), r=_f(r), fill=rate_colour(m.rate), fill_opacity="0.8", stroke="#ffffff",
                      stroke_width="1.2", class_="site", data_code=m.code, data_households=m.households)
        _sub(circle, "title", tip)
        _sub(parent, "text", m.name, x=_f(x + r + 3), y=_f(y + 4), font_size=11, fill="#263238", class_="site-label")


def _scale_bar(svg, proj: Projection, width: int, height: int) -> None:
    target_px = (width - 2 * MARGIN) / 5
    km = next((k for k in reversed(NICE_KM) if k * proj.px_per_km <= target_px), NICE_KM[0])
    length = km * proj.px_per_km
    x, y = MARGIN + 14, height - MARGIN - 16
    g = _sub(svg, "g", class_="scale-bar")
    _sub(g, "rect", x=x - 6, y=y - 18, width=_f(length + 12), height=30, fill="#ffffff", fill_opacity="0.8")
    _sub(g, "line", x1=x, y1=y, x2=_f(x + length), y2=y, stroke="#333", stroke_width=2)
    for xx in (x, x + length):
        _sub(g, "line", x1=_f(xx), y1=y - 4, x2=_f(xx), y2=y + 4, stroke="#333", stroke_width=1.5)
    label = f"{km:g} km"
    _sub(g, "text", label, x=_f(x + length / 2), y=y - 6, text_anchor="middle", font_size=10, fill="#333", data_km=f"{km:g}",
         data_px=_f(length))


def _north_arrow(svg, width: int) -> None:
    x, y = width - MARGIN - 22, MARGIN + 14
    g = _sub(svg, "g", class_="north-arrow")
    _sub(g, "polygon", points=f"{x},{y} {x - 8},{y + 24} {x},{y + 18} {x + 8},{y + 24}", fill="#333")
    _sub(g, "text", "N", x=x, y=y + 38, text_anchor="middle", font_size=12, font_weight="bold", fill="#333")


def _legend(svg, width: int, height: int) -> None:
    g = _sub(svg, "g", class_="legend", font_size=11, fill="#333")
    y = height - MARGIN + 32
    items = [(GREEN, _("就业率 100%")), (YELLOW, _("90%–100%")), (RED, _("低于 90%")), (GREY, _("无有劳动力户"))]
    x = MARGIN
    _sub(g, "text", _("有劳动力户中至少1人就业的比例："), x=x, y=y + 4)
    x += 200
    for colour, label in items:
        _sub(g, "circle", cx=x, cy=y, r=6, fill=colour)
        _sub(g, "text", label, x=x + 10, y=y + 4)
        x += 110
    _sub(g, "text", _("圆圈大小：安置户数"), x=x + 10, y=y + 4)


# --- the city's map ------------------------------------------------------------------------------------------------------

def sites_map(*, actor, as_of, scope: str | None = "", site_rows=None) -> MapResult:
    """The map of the sites in the actor's scope (or `scope`) with their households and employment rate on `as_of`."""
    from anju.relocation import selectors_dashboards as sd

    prefix, name = sd.dashboard_scope(actor, scope)
    rows = site_rows if site_rows is not None else sd.site_rows(actor=actor, as_of=as_of, scope=prefix)
    title = _("%(scope)s易地扶贫搬迁安置点分布图（%(date)s）") % {"scope": name, "date": as_of.isoformat()}
    return site_map(sd.map_marks(rows), title=title)


def map_export(*, actor, as_of, scope: str | None = "") -> tuple[str, str]:
    """(svg text, file name) of the map as a download; audited as relocation.map.exported."""
    from django.db import transaction

    from anju.core.audit import audit_record
    from anju.relocation import selectors_dashboards as sd

    prefix, name = sd.dashboard_scope(actor, scope)
    sd._check_day(as_of)
    result = sites_map(actor=actor, as_of=as_of, scope=prefix)
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + result.svg
    filename = _("安置点分布图-%(scope)s-%(date)s.svg") % {"scope": name, "date": as_of.isoformat()}
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.map.exported", object_type="relocation_map", object_id=prefix,
                     division_code=prefix.ljust(12, "0"), after={"as_of": as_of.isoformat(), "scope": prefix, "sites": len(result.placed),
                                                                 "unplaced": len(result.unplaced)})
    return svg, filename
