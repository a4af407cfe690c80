"""SVG charts for the report: matplotlib's SVG backend only (no pyplot state; nothing is
rasterised, so Agg — which matplotlib's SVG backend imports for mixed-mode artists — never
draws anything).

Output is deterministic (``svg.hashsalt`` fixed, no date in the metadata), so an
unchanged chart hashes the same and the incremental build skips it. Text stays text
(``svg.fonttype = none``) in the "Dun Sans" family, which the site's stylesheet and the
PDF renderer both provide. Amounts arrive as ``Decimal``; they become floats only inside
the plotting calls, and no money text is ever made from those floats (axis labels are
formatted from the Decimal values' scale, tick labels by matplotlib).
"""
from __future__ import annotations

import io
import re
import warnings
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Sequence

from markupsafe import Markup

from receivables.controls import CONTROLS

INK = "#1d1d1f"
MUTED = "#6e6e73"
FONTS = ("Dun Sans", "DejaVu Sans", "sans-serif")
ACCENT = "#2458a6"
WARN = "#b3261e"
PALETTE = ["#2e7d32", "#9acd32", "#f2c200", "#f28c28", "#d9480f", "#a4001d"]


def setup() -> None:
    """Import and set up matplotlib now, and draw one small chart (its fonts loaded): the app
    in a quiet moment (publish.warm)."""
    aging_chart([("current", Decimal("1.00")), ("1-30", Decimal("2.00"))], "GBP")


def draw(name: str, args: tuple) -> str:
    """Chart ``name`` (one of this module's chart functions) of ``args``, as SVG text."""
    if name not in CHARTS:
        raise ValueError(f"no chart {name!r}")
    return str(globals()[name](*args))


def draw_all(charts: list[tuple[str, tuple]]) -> list[str]:
    """Every chart of ``charts`` ((name, args), see :func:`draw`): what one PDF worker is sent,
    so only that one imports matplotlib (~0.35 s) while the others render PDFs."""
    return [draw(name, args) for name, args in charts]


@lru_cache(maxsize=1)
def _setup():
    import matplotlib
    from matplotlib import font_manager

    from .paths import ASSETS

    for face in ("dun-sans.ttf", "dun-sans-bold.ttf"):  # metrics of the font the pages use
        font_manager.fontManager.addfont(str(ASSETS / "fonts" / face))
    matplotlib.rcParams.update({
        "svg.hashsalt": "dun",
        "svg.fonttype": "none",
        "svg.image_inline": True,
        "font.family": list(FONTS),
        "font.size": 8,
        "axes.edgecolor": "#999999",
        "axes.labelcolor": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "axes.grid": True,
        "grid.color": "#e5e5ea",
        "grid.linewidth": 0.6,
        "axes.axisbelow": True,
        "path.simplify": True,
    })
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    return Figure, FigureCanvasSVG


def _figure(width: float = 6.4, height: float = 2.4):
    Figure, Canvas = _setup()
    fig = Figure(figsize=(width, height), dpi=72)
    Canvas(fig)
    return fig


_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)


def _svg(fig, title: str) -> Markup:
    buf = io.StringIO()
    with _no_glyph_warning():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Title": title})
    text = _PROLOGUE.sub("", buf.getvalue(), count=1)
    # Let the page size the chart; keep the aspect ratio from the viewBox.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)
    text = text.replace("<svg", f'<svg role="img" aria-label="{_attr(title)}"', 1)
    return Markup(text)


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


# C0 and C1 control characters and bidi controls (a client's name may hold any; XML admits no
# C0 control) are left out, as on every page (publish.env); a tab or a line break is a space
_CONTROL = {**dict.fromkeys(CONTROLS), 0x09: " ", 0x0A: " "}
LABEL_CHARS = 38  # a label is never longer than this


def _label(text: str) -> str:
    """A label from the book, as the chart shows it: control characters left out, shortened."""
    text = text.translate(_CONTROL)
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


@contextmanager
def _no_glyph_warning():
    """A name with a character no font has (an emoji) is drawn as a box; matplotlib would also
    print a two-line warning into the owner's terminal."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        yield


def _fitted(text: str, room: float, size: float) -> str:
    """``text`` shortened (with "…") until it is at most ``room`` points wide at ``size``: a
    label wider than the bar chart's left margin was cut at the chart's left edge, so its bar
    could not be told from another client's."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(family=list(FONTS), size=size)

    def width(s: str) -> float:
        with _no_glyph_warning():
            return text_to_path.get_text_width_height_descent(s, font, ismath=False)[0]

    if width(text) <= room:
        return text
    lo, hi = 0, len(text) - 1  # the longest prefix that fits with the ellipsis, by halves
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if width(text[:mid].rstrip() + "…") <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _plain(text: str) -> str:
    """A label that matplotlib must not read as mathtext."""
    return text.replace("$", r"\$")


def _compact(value: float, _pos=None) -> str:
    """Axis ticks: 800, 12k, 1.5M (tick positions only; amounts shown as text never come from here)."""
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.3g}M"
    if a >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}"


def _money_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(_compact))


def _f(values: Sequence[Decimal | None]) -> list[float]:
    # The one place amounts become floats: positions of bars and points only.
    return [float(v) if v is not None else float("nan") for v in values]


def aging_chart(buckets: Sequence[tuple[str, Decimal]], currency: str) -> Markup:
    """Bars of outstanding amounts by age bucket."""
    fig = _figure(6.4, 2.3)
    ax = fig.add_axes((0.1, 0.16, 0.88, 0.76))
    labels = ["Not due" if b == "current" else b for b, _ in buckets]
    ax.bar(range(len(labels)), _f([v for _, v in buckets]), color=PALETTE[: len(labels)], width=0.65)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel(currency)
    _money_axis(ax.yaxis)
    ax.grid(axis="x", visible=False)
    return _svg(fig, f"Aging of receivables in {currency}")


def trend_chart(months: Sequence[str], series: dict[str, Sequence[Decimal | None]], unit: str, title: str) -> Markup:
    """Month-by-month lines (e.g. DSO, best possible DSO, ADD)."""
    fig = _figure(6.4, 2.3)
    ax = fig.add_axes((0.09, 0.16, 0.68, 0.76))
    colours = [ACCENT, "#2e7d32", WARN, "#7d3c98"]
    xs = list(range(len(months)))
    for (name, values), colour in zip(series.items(), colours):
        ax.plot(xs, _f(values), marker="o", markersize=3, linewidth=1.6, color=colour, label=_plain(name))
    ax.set_xticks(xs, list(months))
    ax.tick_params(axis="x", labelrotation=0, labelsize=7)
    ax.set_ylabel(unit)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7.5)
    return _svg(fig, title)


def hbar_chart(labels: Sequence[str], values: Sequence[Decimal], unit: str, title: str) -> Markup:
    """Horizontal bars, largest first (top debtors)."""
    n = max(1, len(labels))
    height = max(1.3, 0.5 + 0.24 * n)
    fig = _figure(6.4, height)
    bottom = 0.42 / height
    left = 0.34
    ax = fig.add_axes((left, bottom, 0.62, 1 - bottom - 0.06))
    ys = list(range(n))[::-1]
    room = left * 6.4 * 72 - 12  # the margin in points, less the tick and its padding
    short = [_fitted(_label(label), room, 8) for label in labels]
    ax.barh(ys[: len(values)], _f(values), color=ACCENT, height=0.6)
    ax.set_yticks(ys[: len(short)], short)
    ax.set_xlabel(unit)
    _money_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    for t in ax.get_yticklabels():
        t.set_parse_math(False)
    return _svg(fig, title)


def weekly_chart(weeks: Sequence[str], values: Sequence[Decimal], currency: str, title: str) -> Markup:
    """Bars per week (the 13-week cash forecast)."""
    fig = _figure(6.4, 2.3)
    ax = fig.add_axes((0.1, 0.2, 0.88, 0.72))
    xs = list(range(len(weeks)))
    ax.bar(xs, _f(values), color=ACCENT, width=0.7)
    ax.set_xticks(xs, list(weeks))
    ax.tick_params(axis="x", labelsize=6.5, labelrotation=45)
    ax.set_ylabel(currency)
    _money_axis(ax.yaxis)
    ax.grid(axis="x", visible=False)
    return _svg(fig, title)


def channel_chart(counts: Sequence[tuple[str, int]], title: str = "Follow-ups by channel") -> Markup:
    labels = [c for c, _ in counts]
    return hbar_chart(labels, [Decimal(n) for _, n in counts], "follow-ups", title)


CHARTS = ("aging_chart", "trend_chart", "hbar_chart", "weekly_chart", "channel_chart")
