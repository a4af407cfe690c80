"""Reports: aging, DSO, countback DSO, best possible DSO, ADD, CEI, top debtors and the
13-week forecast, from the engine's report object (``receivables.report.build_report``)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.columns import Columns
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from .. import engine
from ..fmt import clean, money, safe
from ..messages import ReportBuilt, ReportFailed
from ..state import BookState
from ..widgets.footer import DunFooter
from .base import DunScreen

from ..widgets.charts import BUCKET_ORDER, bar, sparkline


def _fig(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.1'))}{unit}"
    return f"{value}{unit}"


def render_report(report: Any, state: BookState, width: int = 80) -> Group:
    """The engine's Report as terminal text: bars for aging, sparklines for trends and the
    forecast. Figures are Decimal throughout; bars are sized by exact arithmetic."""
    out: list[Any] = []
    wide = width >= 110
    bar_width = max(8, min(40, width - 44))
    out.append(Text(f"Reports as of {report.on.isoformat()}", style="bold"))
    if not report.currencies:
        out.append(Text("Nothing is owed: no figures yet.", style="dim"))
    home = state.policy.defaults.currency if state.policy else ""
    for cur, figs in sorted(report.currencies.items(), key=lambda kv: (kv[0] != home, kv[0])):
        out.append(Text(""))
        head = Text()
        head.append(f"{cur}  ", style="bold underline")
        head.append(f"owed {money(figs.total, cur)} · overdue {money(figs.overdue, cur)} · "
                    f"{figs.open_invoices:,} open invoice{'' if figs.open_invoices == 1 else 's'}", style="dim")
        if figs.credit:
            head.append(f" · client credit {money(figs.credit, cur)}", style="dim")
        out.append(head)
        top = max(figs.aging.values(), default=Decimal(0))
        t = Table(box=None, padding=(0, 1), show_header=False)
        t.add_column("Bucket", no_wrap=True)
        t.add_column("Amount", justify="right", no_wrap=True)
        t.add_column("Bar", no_wrap=True)
        for name in BUCKET_ORDER:
            value = figs.aging.get(name, Decimal(0))
            label = "not yet due" if name == "current" else f"{name} days"
            t.add_row(label, money(value, cur),
                      Text(bar(value, top, bar_width), style="green" if name == "current" else "red"))
        out.append(t)
        trend = report.trend.get(cur, ())
        items = []
        for label, key, unit in (("DSO", "dso", "d"), ("countback", "dso_countback", "d"),
                                 ("best", "best_possible_dso", "d"), ("ADD", "add", "d"), ("CEI", "cei", "%")):
            item = Text(no_wrap=True)
            item.append(f"{label} ", style="dim")
            item.append(_fig(getattr(figs, key), unit), style="bold")
            series = [getattr(f, key) for f in trend]
            if wide and any(v is not None for v in series):
                item.append(" " + sparkline(series), style="cyan")
            items.append(item)
        out.append(Columns(items, padding=(0, 3)))  # a figure with its trend is never cut in two
        if wide and trend:
            out.append(Text(f"(trends: 12 month-ends to {trend[-1].date.isoformat()})", style="dim"))
        fc = report.forecast.get(cur)
        if fc is not None and fc.weeks:
            values = [w.amount for w in fc.weeks]
            total = sum(values, Decimal(0))
            f = Text()
            f.append("13-week forecast ", style="dim")
            f.append(sparkline(values), style="cyan")
            f.append(f"  {money(total, cur)} expected", style="bold")
            peak = max(range(len(values)), key=lambda k: values[k])
            f.append(f"; peak week of {fc.weeks[peak].start.isoformat()} {money(values[peak], cur)}", style="dim")
            if fc.later:
                f.append(f"; later {money(fc.later, cur)}", style="dim")
            if fc.doubtful:
                f.append(f"; doubtful {money(fc.doubtful, cur)}", style="yellow")
            out.append(f)
        debtors = report.top_debtors.get(cur, [])[: 10 if wide else 5]
        if debtors:
            t = Table(box=None, padding=(0, 1), header_style="dim", title=None)
            t.add_column("Top debtors", no_wrap=True, max_width=34 if wide else 22)
            t.add_column("Balance", justify="right", no_wrap=True)
            t.add_column("Overdue", justify="right", no_wrap=True)
            t.add_column("Oldest", justify="right", no_wrap=True)
            if wide:
                t.add_column("Days late", justify="right", no_wrap=True)
                t.add_column("Kept", justify="right", no_wrap=True)
            t.add_column("Risk", justify="right", no_wrap=True)
            credited = False
            for c in debtors:
                # (the balance is net of the client's credit, so it can be below what is overdue)
                net = c.open_amount != c.balance
                credited |= net
                row = [Text(safe(c.name)), money(c.balance, cur) + ("*" if net else ""), money(c.overdue, cur),
                       _fig(c.oldest_days_overdue, "d")]
                if wide:
                    late = _fig(c.avg_days_late) + (" ↑" if c.worsening else "")
                    row += [Text(late, style="yellow" if c.worsening else ""),
                            _fig(c.promises_kept_rate, "%") if c.promises_kept_rate is not None else "—"]
                row.append(Text(str(c.risk) + (" HOLD" if c.hold else ""), style="red" if c.hold else ""))
                t.add_row(*row)
            out.append(t)
            if credited:
                out.append(Text("* after the client's unallocated credit (k on the client's screen puts it on "
                                "its open invoices)", style="dim"))
    p = report.promises
    out.append(Text(""))
    out.append(Text(f"Promises in the last year: {p.made} made, {p.kept} kept, {p.broken} broken, {p.open} open",
                    style="dim"))
    if report.activity:
        acts = ", ".join(f"{k} {v}" for k, v in sorted(report.activity.items(), key=lambda kv: -kv[1]))
        out.append(Text(f"Follow-ups since {report.activity_from.isoformat()}: {acts}", style="dim"))
    if report.escalations:
        out.append(Text(f"Handed over: {len(report.escalations)} invoice(s) — "
                        + ", ".join(f"{e.invoice} ({e.to})" for e in report.escalations[:6]), style="magenta"))
    if report.holds:
        out.append(Text("On hold: " + ", ".join(safe(h.name) for h in report.holds[:8])
                        + (" …" if len(report.holds) > 8 else ""), style="red"))
    if report.disputes:
        out.append(Text(f"Open disputes: {len(report.disputes)}", style="magenta"))
    if report.plans:
        out.append(Text(f"Payment plans: {len(report.plans)}", style="cyan"))
    return Group(*out)


class ReportsScreen(DunScreen):
    report_for: BookState | None = None
    report: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="reports-body"):
            yield Static("", id="report", markup=False)
        yield DunFooter()

    def show(self, state: BookState) -> None:
        widget = self.query_one("#report", Static)
        fn = engine.get("report")
        if state.policy is None:
            widget.update(Text("The policy has problems; see the Policy screen (5).", style="bold red"))
            return
        if self.report_for is not state:
            widget.update(Text("Working out the figures…", style="dim"))
            self.report_for = state
            self._build(fn, state)

    @work(thread=True, exclusive=True, group="report", description="build the report")
    def _build(self, fn, state: BookState) -> None:
        try:
            report = state.report if state.report is not None else fn(state.index, state.policy, state.on)
        except Exception as e:
            self.post_message(ReportFailed(f"The report could not be built: {e}"))
            return
        self.post_message(ReportBuilt(report, state))

    def on_report_failed(self, message: ReportFailed) -> None:
        self.query_one("#report", Static).update(Text(message.text, style="bold red"))

    def on_report_built(self, message: ReportBuilt) -> None:
        report, state = message.report, message.state
        self.report = report
        self.query_one("#report", Static).update(clean(render_report(report, state, self.size.width or 80)))
