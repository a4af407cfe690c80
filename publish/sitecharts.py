"""The report's charts: SVG drawn from the report's figures, inline in report.html and as
image files for the PDF.

A chart is named by the digest of what it is drawn from (its data and the templates); the
drawings of the last build come from :mod:`publish.kept` (the user's cache), never from the
site: a chart not kept is drawn again (by the PDF workers when they are up).
"""
from __future__ import annotations

import re
from typing import Callable

from markupsafe import Markup

from . import charts
from .digests import h, templates_hash


class Charts(dict):
    """Charts by name, drawn only when their data changed since the last build; by the PDF
    workers when ``call`` hands work to them (see :meth:`wait`)."""

    def __init__(self, cache: dict, call: Callable | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.call = call
        self.used: dict[str, str] = {}
        self.pdf: dict[str, Markup] = {}  # the same charts as <img> for the PDF (see publish.pdf.html_to_pdf)
        self.files: dict[str, tuple[bytes, str]] = {}  # their SVG documents by URL (relative to the assets)
        self._drawn: list[tuple] = []  # (name, key, SVG text or None: to be drawn, fn, args), in order
        self._sent = None  # the workers' answer for the charts to be drawn (see send)

    def draw(self, name: str, fn, *args) -> None:
        key = h(name, repr(args), templates_hash())
        svg = self.cache.get(key)
        if svg is None and self.call is None:
            svg = str(fn(*args))
        self._drawn.append((name, key, svg, fn, args))

    def send(self) -> "Charts":
        """Hand the charts to be drawn to one worker, in one call (see charts.draw_all)."""
        todo = [(fn.__name__, args) for _, _, svg, fn, args in self._drawn if svg is None]
        if todo:
            self._sent = self.call(charts.draw_all, todo)
        return self

    def wait(self) -> "Charts":
        """Every chart drawn (the workers' answers collected), in the order asked for."""
        drawn: list = []
        if self._sent is not None:
            try:
                drawn = self._sent.result()
            except Exception:  # the workers are gone (killed): drawn here
                drawn = []
        answers = iter(drawn)
        for name, key, svg, fn, args in self._drawn:
            if svg is None:
                svg = next(answers, None) or str(fn(*args))
            self._put(name, key, svg)
        self._drawn, self._sent = [], None
        return self

    def _put(self, name: str, key: str, svg: str) -> None:
        self.used[key] = svg
        self[name] = Markup(svg)
        # A standalone document: the size in user units comes from the viewBox; the page
        # sizes it like the inline chart (full width, height from the aspect ratio).
        doc = _VIEWBOX.sub(r'<svg\1 width="\2" height="\3" viewBox="0 0 \2 \3"', svg, count=1).encode("utf-8")
        rel = f"charts/{h(doc)}.svg"
        self.files[rel] = (doc, "image/svg+xml")
        self.pdf[name] = Markup(f'<img src="{rel}" alt="" style="width: 100%; height: auto">')


_VIEWBOX = re.compile(r'<svg([^>]*?) viewBox="0 0 ([0-9.]+) ([0-9.]+)"')


def report_charts(view, cache: dict | None = None, call: Callable | None = None) -> Charts:
    """The report's charts, asked for (collect them with :meth:`Charts.wait`)."""
    out = Charts(cache or {}, call)
    for c in view.currencies:
        cur = c.currency
        out.draw(f"aging-{cur}", charts.aging_chart, c.aging, cur)
        if c.trend and any(x is not None for x in c.trend.get("dso", ())):
            out.draw(
                f"dso-{cur}", charts.trend_chart, c.trend_months, {"DSO": c.trend["dso"], "Countback": c.trend["dso_countback"],
                                  "Best possible": c.trend["best_possible_dso"], "ADD": c.trend["add"]},
                "days", f"DSO, countback DSO, best possible DSO and ADD in {cur}, last 12 months")
            out.draw(f"cei-{cur}", charts.trend_chart, c.trend_months, {"CEI": c.trend["cei"]}, "%",
                     f"Collection effectiveness index in {cur}, last 12 months")
        if c.top:
            out.draw(f"top-{cur}", charts.hbar_chart, tuple(r.name for r in c.top), tuple(r.balance for r in c.top),
                     cur, f"Top debtors in {cur}")
        if c.forecast:
            out.draw(f"forecast-{cur}", charts.weekly_chart, tuple(d.strftime("%d %b") for d, _ in c.forecast),
                     tuple(a for _, a in c.forecast), cur, f"Expected receipts in {cur}, next 13 weeks")
    if view.channels_365:
        out.draw("channels", charts.channel_chart, view.channels_365, "Follow-ups by channel, last 12 months")
    return out.send() if call is not None else out
