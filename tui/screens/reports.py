"""Reports: aging, DSO, countback DSO, best possible DSO, ADD, CEI, top debtors and the
13-week forecast, from the engine's report object (``receivables.report.build_report``)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from .. import engine
from ..fmt import money
from ..state import BookState
from .base import DunScreen

BUCKET_ORDER = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
SPARK = "▁▂▃▄▅▆▇█"


def bar(value: Decimal, top: Decimal, width: int) -> str:
    """A horizontal bar; the length is exact decimal arithmetic, rounded to cells."""
    if top <= 0 or value <= 0:
        return ""
    cells = int((value * width / top).to_integral_value())
    return "█" * max(cells, 1)


def sparkline(values: list[Decimal]) -> str:
    top = max(values, default=Decimal(0))
    if top <= 0:
        return SPARK[0] * len(values)
    out = []
    for v in values:
        k = int((max(v, Decimal(0)) * (len(SPARK) - 1) / top).to_integral_value())
        out.append(SPARK[k])
    return "".join(out)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _fig(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.1'))}{unit}"
    return f"{value}{unit}"


def render_report(report: Any, state: BookState, width: int = 80) -> Group:
    out: list[Any] = []
    currencies = _get(report, "currencies", {}) or {}
    bar_width = max(10, min(40, width - 40))
    if not currencies:
        out.append(Text("Nothing owed: no figures yet.", style="dim"))
    for cur, figs in sorted(currencies.items()):
        out.append(Text(f"{cur}", style="bold underline"))
        aging = _get(figs, "aging", {}) or {}
        total = _get(aging, "total") if isinstance(aging, dict) else None
        buckets = [(b, Decimal(_get(aging, b, 0) or 0)) for b in BUCKET_ORDER]
        top = max((v for _, v in buckets), default=Decimal(0))
        t = Table(box=None, padding=(0, 1), show_header=False)
        t.add_column("Bucket", no_wrap=True)
        t.add_column("Amount", justify="right", no_wrap=True)
        t.add_column("Bar", no_wrap=True)
        for name, value in buckets:
            label = "not yet due" if name == "current" else f"{name} days"
            t.add_row(label, money(value, cur),
                      Text(bar(value, top, bar_width), style="green" if name == "current" else "red"))
        if total is not None:
            t.add_row(Text("total", style="bold"), Text(money(Decimal(total), cur), style="bold"), "")
        out.append(t)
        line = Text()
        for label, key, unit in (("DSO", "dso", " d"), ("countback", "dso_countback", " d"),
                                 ("best", "best_possible_dso", " d"), ("ADD", "add", " d"), ("CEI", "cei", "%")):
            line.append(f"{label} ", style="dim")
            line.append(_fig(_get(figs, key), unit), style="bold")
            line.append("   ")
        out.append(line)
        out.append(Text(""))
    clients = _get(report, "clients", None)
    rows = []
    if isinstance(clients, dict):
        rows = list(clients.items())
    elif clients:
        rows = [(_get(c, "client", _get(c, "id", "?")), c) for c in clients]
    if rows:
        def bal(item):
            v = _get(item[1], "balance", 0)
            return Decimal(v) if v is not None else Decimal(0)
        rows.sort(key=bal, reverse=True)
        out.append(Text("Top debtors", style="bold"))
        t = Table(box=None, padding=(0, 1), header_style="dim")
        for col, j in (("Client", "left"), ("Balance", "right"), ("Overdue", "right"), ("Oldest", "right"),
                       ("Days late", "right"), ("Risk", "right"), ("", "left")):
            t.add_column(col, justify=j, no_wrap=True)
        for cid, c in rows[:10]:
            client = state.book.clients.get(cid)
            cur = _get(c, "currency", client.currency if client else "GBP")
            late = _get(c, "avg_days_late")
            worse = "worsening" if _get(c, "worsening") else ""
            t.add_row(Text(client.name if client else str(cid)), money(Decimal(_get(c, "balance", 0) or 0), cur),
                      money(Decimal(_get(c, "overdue", 0) or 0), cur), _fig(_get(c, "oldest_days_overdue"), "d"),
                      _fig(late), _fig(_get(c, "risk")), Text(worse, style="yellow"))
        out.append(t)
        out.append(Text(""))
    forecast = _get(report, "forecast", None)
    weeks = []
    if isinstance(forecast, dict):
        for cur, items in forecast.items():
            weeks.append((cur, list(items)))
    elif forecast:
        weeks.append(("", list(forecast)))
    for cur, items in weeks:
        values = [Decimal(_get(w, "amount", w if isinstance(w, Decimal) else 0) or 0) for w in items]
        if not values:
            continue
        out.append(Text(f"13-week forecast {cur}".rstrip(), style="bold"))
        out.append(Text(sparkline(values), style="cyan"))
        total = sum(values, Decimal(0))
        out.append(Text(f"expected {money(total, cur or state.book.clients and next(iter(state.book.clients.values())).currency or 'GBP')}"
                        f" over {len(values)} weeks; week 1 {values[0]}, peak {max(values)}", style="dim"))
    return Group(*out)


class ReportsScreen(DunScreen):
    report_for: BookState | None = None
    report: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="reports-body"):
            yield Static("", id="report", markup=False)
        yield Footer()

    def show(self, state: BookState) -> None:
        widget = self.query_one("#report", Static)
        fn = engine.get("report")
        if fn is None:
            widget.update(Text.assemble(("Reports are not available yet.\n\n", "bold"), engine.why_missing("report"),
                                        "\n\nThis screen fills in by itself once the report module is installed."))
            return
        if state.policy is None:
            widget.update(Text("The policy has problems; see the Policy screen (5).", style="bold red"))
            return
        if self.report_for is not state:
            widget.update(Text("Working out the figures…", style="dim"))
            self.report_for = state
            self._build(fn, state)

    @work(thread=True, exclusive=True, group="report")
    def _build(self, fn, state: BookState) -> None:
        try:
            report = fn(state.index, state.policy, state.on)
        except Exception as e:
            self.app.call_from_thread(self._show_error, f"The report could not be built: {e}")
            return
        self.app.call_from_thread(self._show_report, report, state)

    def _show_error(self, message: str) -> None:
        self.query_one("#report", Static).update(Text(message, style="bold red"))

    def _show_report(self, report, state: BookState) -> None:
        self.report = report
        self.query_one("#report", Static).update(render_report(report, state, self.size.width or 80))
