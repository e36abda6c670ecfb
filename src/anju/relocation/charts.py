"""Server-side charts of the relocation dashboards (matplotlib through `anju.projects.charts`: the same CJK font, SVG for
pages, PNG for the Word report): employment rate by area with the 100% line, per-capita income by area against the
monitoring income line, monitored households by category stacked."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from anju.projects.charts import BLUE, GREEN, GREY, RED, YELLOW, _figure, _render, _svg_text

CATEGORY_COLOURS = {"unstable": RED, "marginal": YELLOW, "sudden": BLUE}


def _out(fig, rc, fmt: str):
    data = _render(fig, rc, fmt)
    return _svg_text(data) if fmt == "svg" else data


def _labels(ax, names: Sequence[str]) -> None:
    xs = list(range(len(names)))
    ax.set_xticks(xs)
    many = len(names) > 6
    ax.set_xticklabels(list(names), rotation=30 if many else 0, ha="right" if many else "center", fontsize=8)


def employment_chart(names: Sequence[str], rates: Sequence[float | None], *, fmt: str = "svg"):
    """Bars of the share of households with labour that have at least one person employed (fractions; None drawn as an
    empty slot marked "—"), with the 100% target line."""
    import matplotlib

    fig, rc = _figure(7.2, 3.2)
    with matplotlib.rc_context(rc):
        ax = fig.add_subplot(1, 1, 1)
        heights = [0.0 if r is None else r * 100 for r in rates]
        colours = [GREY if r is None else GREEN if r >= 1 - 1e-9 else YELLOW if r >= 0.9 else RED for r in rates]
        bars = ax.bar(range(len(names)), heights, color=colours, width=0.6)
        for bar, r in zip(bars, rates, strict=False):
            ax.annotate("—" if r is None else f"{r * 100:.1f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
        ax.axhline(100, color=RED, linestyle="--", linewidth=1, label=_("目标 100%"))
        _labels(ax, names)
        ax.set_ylim(0, 110)
        ax.set_ylabel("%")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    return _out(fig, rc, fmt)


def income_chart(names: Sequence[str], per_capita_fen: Sequence[int | None], *, line_yuan: float | None = None, fmt: str = "svg"):
    """Bars of per-capita net income (元) by area against the monitoring income line (a dashed line)."""
    import matplotlib

    fig, rc = _figure(7.2, 3.2)
    with matplotlib.rc_context(rc):
        ax = fig.add_subplot(1, 1, 1)
        values = [0.0 if v is None else v / 100 for v in per_capita_fen]
        colours = [GREY if v is None else (RED if line_yuan is not None and v / 100 < line_yuan else BLUE) for v in per_capita_fen]
        bars = ax.bar(range(len(names)), values, color=colours, width=0.6)
        for bar, v in zip(bars, per_capita_fen, strict=False):
            ax.annotate("—" if v is None else f"{v / 100:,.0f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
        if line_yuan is not None:
            ax.axhline(line_yuan, color=RED, linestyle="--", linewidth=1, label=_("监测收入线 %(y)s 元") % {"y": f"{line_yuan:,.0f}"})
            ax.legend(loc="upper right", fontsize=7)
        _labels(ax, names)
        top = max([*values, line_yuan or 0, 1.0])
        ax.set_ylim(0, top * 1.15)
        ax.set_ylabel(_("元/人"))
        ax.grid(axis="y", alpha=0.3)
    return _out(fig, rc, fmt)


def monitored_chart(names: Sequence[str], by_category: dict[str, Sequence[int]], labels: dict[str, str], *, fmt: str = "svg"):
    """Monitored households by area, one stacked segment per category (codes → counts aligned with `names`)."""
    import matplotlib

    fig, rc = _figure(7.2, 3.2)
    with matplotlib.rc_context(rc):
        ax = fig.add_subplot(1, 1, 1)
        bottom = [0] * len(names)
        for code, counts in by_category.items():
            ax.bar(range(len(names)), list(counts), bottom=bottom, width=0.6, color=CATEGORY_COLOURS.get(code, GREY), label=labels.get(code, code))
            bottom = [b + c for b, c in zip(bottom, counts, strict=False)]
        for x, total in enumerate(bottom):
            if total:
                ax.annotate(str(total), (x, total), ha="center", va="bottom", fontsize=7)
        _labels(ax, names)
        ax.set_ylim(0, max([*bottom, 1]) * 1.2)
        ax.set_ylabel(_("户"))
        ax.grid(axis="y", alpha=0.3)
        if by_category:
            ax.legend(loc="upper right", fontsize=7, ncol=len(by_category))
    return _out(fig, rc, fmt)
