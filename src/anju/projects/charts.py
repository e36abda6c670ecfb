"""Server-side charts for the projects module (matplotlib, Agg backend).

SVG for the web pages (inline, no external assets), PNG for the docx and pdf bulletins. Labels are Chinese: the font is
the first file of `anju.registry.posting.CJK_FONTS` that exists; without one, matplotlib's default font draws boxes,
and nothing fails because of it.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

_LOCK = threading.Lock()  # pyplot's state machine is not thread-safe; we use the object API, but fonts register once
_FONT: list[str | None] = []

RED = "#c0392b"
YELLOW = "#d4a017"
GREEN = "#2e8b57"
BLUE = "#2f6db5"
GREY = "#888888"


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return matplotlib, Figure


def _font_family() -> str | None:
    """The CJK font family name, registered with matplotlib once (None: use the default font)."""
    with _LOCK:
        if _FONT:
            return _FONT[0]
        name = None
        try:
            from matplotlib import font_manager

            from anju.registry.posting import CJK_FONTS

            for path, _index in CJK_FONTS:
                if Path(path).is_file():
                    try:
                        font_manager.fontManager.addfont(path)
                        name = font_manager.FontProperties(fname=path).get_name()
                        break
                    except Exception:  # noqa: BLE001, S112  (a broken font file: try the next one)
                        continue
        except Exception:  # noqa: BLE001  (never fail a page for a font)
            name = None
        _FONT.append(name)
        return name


def _figure(width: float = 6.4, height: float = 3.2):
    matplotlib, Figure = _matplotlib()
    family = _font_family()
    fig = Figure(figsize=(width, height), dpi=100)
    rc = {"svg.fonttype": "none", "axes.unicode_minus": False}
    if family:
        rc["font.family"] = [family, "DejaVu Sans"]
    return fig, rc


def _render(fig, rc: dict, fmt: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")  # no CJK font installed: boxes
        # fixed margins: tight_layout lays every label out twice and costs more than drawing the chart
        fig.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.2)
        fig.savefig(buf, format=fmt, dpi=120 if fmt == "png" else 100, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


_SVG_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def _svg_text(data: bytes) -> str:
    """The <svg> element alone (no XML prolog or DOCTYPE), scaling to its container (the viewBox keeps the proportions)."""
    text = data.decode("utf-8")
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    return _SVG_SIZE.sub(r'<svg\1 width="100%" style="max-width:100%;height:auto"', text, count=1)


def _pct(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(value) * 100) if not isinstance(value, float) else value * 100


def _draw_progress(fig, rc, months, percents, paid_shares):
    import matplotlib

    with matplotlib.rc_context(rc):
        ax = fig.add_subplot(1, 1, 1)
        labels = [f"{m.year}-{m.month:02d}" for m in months]
        xs = list(range(len(months)))
        if xs:
            ax.plot(xs, [float(p) for p in percents], marker="o", color=BLUE, label=_("形象进度（%）"))
            paid_pts = [(x, float(s) * 100) for x, s in zip(xs, paid_shares, strict=False) if s is not None]
            if paid_pts:
                ax.plot([p[0] for p in paid_pts], [p[1] for p in paid_pts], marker="s", color=GREEN, label=_("累计支付占比（%）"))
            ax.set_xticks(xs)
            ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
            ax.legend(loc="upper left", fontsize=8)
        else:
            ax.text(0.5, 0.5, _("暂无进度数据"), ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
        ax.set_ylim(0, 105)
        ax.set_ylabel("%")
        ax.grid(axis="y", alpha=0.3)


def progress_chart_svg(months: list[date], percents: list[float], paid_shares: list[float | None]) -> str:
    """One project's physical progress % by month (a line) and its cumulative payment share (0..1, a second line)."""
    fig, rc = _figure(6.4, 3.0)
    _draw_progress(fig, rc, months, percents, paid_shares)
    return _svg_text(_render(fig, rc, "svg"))


def progress_chart_png(months: list[date], percents: list[float], paid_shares: list[float | None]) -> bytes:
    fig, rc = _figure(6.4, 3.0)
    _draw_progress(fig, rc, months, percents, paid_shares)
    return _render(fig, rc, "png")


def _draw_rate_bars(fig, rc, names: Sequence[str], series: Sequence[tuple[str, Sequence, str]], target=None):
    """Grouped bars: one group per name, one bar per (label, rates 0..1 or None, colour) series; a dashed target line."""
    import matplotlib

    with matplotlib.rc_context(rc):
        ax = fig.add_subplot(1, 1, 1)
        n = max(len(series), 1)
        width = 0.8 / n
        xs = list(range(len(names)))
        for i, (label, values, colour) in enumerate(series):
            heights = [_pct(v) or 0.0 for v in values]
            offs = [x - 0.4 + width * (i + 0.5) for x in xs]
            bars = ax.bar(offs, heights, width=width, color=colour, label=label)
            for bar, v in zip(bars, values, strict=False):
                if v is not None and i == len(series) - 1:  # the payment rate, the figure the bulletin ranks by
                    ax.annotate(f"{_pct(v):.0f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=6)
        if target is not None:
            ax.axhline(_pct(target), color=RED, linestyle="--", linewidth=1, label=_("目标 %(p)s%%") % {"p": f"{_pct(target):.0f}"})
        ax.set_xticks(xs)
        ax.set_xticklabels(list(names), rotation=30 if len(names) > 6 else 0, ha="right" if len(names) > 6 else "center", fontsize=8)
        ax.set_ylim(0, 110)
        ax.set_ylabel("%")
        ax.grid(axis="y", alpha=0.3)
        if series:
            ax.legend(loc="upper right", fontsize=7, ncol=min(4, len(series) + (1 if target is not None else 0)))


def rates_bar(names: Sequence[str], start_rates: Sequence, completion_rates: Sequence, payment_rates: Sequence, *, target=None, fmt="svg"):
    """Bars of 开工率, 完工率 and 支付率 per county (rates as Decimal fractions, None drawn as 0 without a label)."""
    fig, rc = _figure(7.2, 3.4)
    _draw_rate_bars(
        fig,
        rc,
        names,
        [(_("开工率"), start_rates, BLUE), (_("完工率"), completion_rates, GREY), (_("资金支付率"), payment_rates, GREEN)],
        target=target,
    )
    data = _render(fig, rc, fmt)
    return _svg_text(data) if fmt == "svg" else data


def monthly_line(months: Sequence[date], rates: Sequence, *, last_year: Sequence | None = None, targets: dict[int, Decimal] | None = None, fmt="svg"):
    """The cumulative payment rate by month (this year, optionally last year), with the checkpoint targets as points."""
    import matplotlib

    fig, rc = _figure(7.2, 3.2)
    with matplotlib.rc_context(rc):
        ax = fig.add_subplot(1, 1, 1)
        labels = [_("%(m)d月") % {"m": m.month} for m in months]
        xs = list(range(len(months)))
        pts = [(x, _pct(v)) for x, v in zip(xs, rates, strict=False) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=GREEN, label=_("本年累计支付率"))
        if last_year:
            lpts = [(x, _pct(v)) for x, v in zip(xs, last_year, strict=False) if v is not None]
            if lpts:
                ax.plot([p[0] for p in lpts], [p[1] for p in lpts], marker=".", linestyle=":", color=GREY, label=_("上年同期"))
        if targets:
            tpts = [(x, _pct(targets[m.month])) for x, m in zip(xs, months, strict=False) if m.month in targets]
            if tpts:
                ax.scatter([p[0] for p in tpts], [p[1] for p in tpts], marker="_", s=300, color=RED, label=_("节点目标"), zorder=3)
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_ylim(0, 105)
        ax.set_ylabel("%")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", fontsize=7)
    data = _render(fig, rc, fmt)
    return _svg_text(data) if fmt == "svg" else data
