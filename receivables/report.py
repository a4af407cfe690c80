"""The numbers: aging, DSO and friends, per-client figures, the 13-week forecast, the trend.

Compute first, render second (as Fava does): :func:`build_report` returns plain frozen
dataclasses that the CLI, the TUI and publishing all render; :func:`report_to_json` is
the ``dun report --json`` document. Every figure is per currency; nothing is converted.

Definitions (the README repeats them). "AR" is what invoices still owe (unallocated
client credit is shown apart, as ``credit``); "credit sales" are the amounts of invoices
issued; a period "ending on" a date includes that date.

- ``aging``: outstanding by days past due on the date: ``current`` (not yet due, or due
  that day), ``1-30``, ``31-60``, ``61-90``, ``91-120``, ``120+``; ``total``, ``overdue``.
- ``dso`` = AR / credit sales of the 90 days ending on the date x 90;
  ``best_possible_dso`` = current AR / the same sales x 90; ``add`` = dso - best_possible_dso
  (of the rounded figures, so the three always add up). No sales in the 90 days: null.
- ``dso_countback``: from the date's month (counted to the date) backwards, each calendar
  month's credit sales are taken from AR, adding the month's days, while AR covers them;
  then the fraction AR / that month's sales of its days. Months without sales add their
  days. If AR outlasts the whole history the days counted so far are given.
- ``cei`` = (AR at the start + credit sales - AR at the end) / (AR at the start + credit
  sales - current AR at the end) x 100 over the three calendar months ending with the
  date's month (counted to the date); "AR at the start" is AR at the end of the day before.
- Per client: balance (open invoices less unallocated credit), overdue, oldest days
  overdue; over the invoices settled in the 365 days ending on the date, the average days
  to pay (settled - issued) and days late (settled - due, early counts as 0); *worsening*
  when the invoices settled in the last 91 days average at least 7 days, and at least
  half as much again, later than those settled in the 9 months before, and at least 10
  days late (three or more on each side), or
  when a client who paid within 15 days late on average (3+ invoices) now has an invoice
  overdue by more than twice that plus 14 days (at least 30); promises kept rate (kept / (kept + broken), promises made in the
  365 days); risk 0-100 with its reasons (receivables.agenda.Risk).
- ``forecast``: 13 weeks from the date (week 1 = the date and the 6 days after it). Each
  open invoice that is not disputed, handed over, in a plan or under an open promise is
  expected on its due date plus the client's own average days late (clients without
  history: the book's average); if that day has passed it is expected in week 1, unless it
  is more than 90 days past it (then ``doubtful``). Open promises are expected on their date
  for what is still to pay (at most what their invoices owe); active plans on each unmet
  installment's date. Beyond week 13: ``later``.
- ``trend``: the figures at the 11 month-ends before the date and on the date itself.

JSON: money is a decimal string with the currency's decimals; day figures (dso,
best_possible_dso, add, dso_countback, averages) and percentages (cei, kept rate) are
decimal strings with one decimal (``"42.3"``); whole-day counts (oldest days overdue) are
integers; a figure that cannot be computed (nothing to divide by) is ``null``; dates are
``YYYY-MM-DD``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from .engine.book import derivation, report_of
from .engine.client import ClientPart, CurrencyPart  # noqa: F401
from .engine.records import (  # noqa: F401  (the report's records, importable from here)
    ACTIVITY_DAYS, BUCKETS, DOUBTFUL_DAYS, TOP, WEEKS, ClientFigures, CurrencyFigures, DisputeLine, Escalation,
    Figures, Forecast, ForecastWeek, Hold, PlanLine, PromiseFigures, Report, bucket_of, tenth,
)
from .engine.figures import month_ends  # noqa: F401
from .ledger import BookIndex, Ledger
from .model import Book
from .money import to_text
from .policy import Policy


def build_report(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> Report:
    """Every figure of the report as of ``on`` (see the module docstring)."""
    return derivation(book_or_index, policy, on).day().report


def client_parts(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date,
                 clients=None) -> dict[str, ClientPart]:
    """The parts of ``clients`` (every client when None): what each adds to the report of
    ``on`` (each client's day's part: the report is their fold)."""
    d = derivation(book_or_index, policy, on)
    book = d.book
    wanted = list(book.clients) if clients is None else [c for c in clients if c in book.clients]
    return {cid: d.client(cid).part for cid in wanted}


def report_from_parts(parts, on: date) -> Report:
    """The report of ``on`` from every client's part (a mapping of client id to part)."""
    return report_of(parts, on)


# ---------------------------------------------------------------------------------------
# JSON


def _days(x: Decimal | None) -> str | None:
    return None if x is None else format(tenth(x), "f")


def report_to_json(report: Report) -> dict:
    """The ``dun report --json`` document (see the module docstring for the formats)."""
    def m(x: Decimal, cur: str) -> str:
        return to_text(x, cur)

    cur_json = {}
    for cur, f in report.currencies.items():
        aging = {b: m(f.aging[b], cur) for b in BUCKETS}
        aging["total"] = m(f.total, cur)
        aging["overdue"] = m(f.overdue, cur)
        cur_json[cur] = {
            "aging": aging,
            "dso": _days(f.dso),
            "best_possible_dso": _days(f.best_possible_dso),
            "add": _days(f.add),
            "dso_countback": _days(f.dso_countback),
            "cei": _days(f.cei),
            "sales_90d": m(f.sales_90d, cur),
            "credit": m(f.credit, cur),
            "open_invoices": f.open_invoices,
        }
    clients = [{
        "id": c.client, "name": c.name, "currency": c.currency,
        "balance": m(c.balance, c.currency), "overdue": m(c.overdue, c.currency),
        "open_invoices": c.open_invoices, "oldest_days_overdue": c.oldest_days_overdue,
        "avg_days_to_pay": _days(c.avg_days_to_pay), "avg_days_late": _days(c.avg_days_late),
        "worsening": c.worsening, "promises_kept_rate": _days(c.promises_kept_rate),
        "risk": {"score": c.risk, "reasons": list(c.risk_reasons)},
        "hold": c.hold, "over_credit_limit": c.over_credit_limit,
        "credit_limit": None if c.credit_limit is None else m(c.credit_limit, c.currency),
        "handed_over": c.handed_over, "disputes": c.disputes,
    } for c in report.clients]
    forecast = {
        cur: {
            "weeks": [{"start": w.start.isoformat(), "end": w.end.isoformat(), "amount": m(w.amount, cur)} for w in f.weeks],
            "total": m(f.total, cur), "later": m(f.later, cur), "doubtful": m(f.doubtful, cur),
        }
        for cur, f in report.forecast.items()
    }
    trend = {
        cur: [{
            "date": p.date.isoformat(), "total": m(p.total, cur), "overdue": m(p.overdue, cur),
            "dso": _days(p.dso), "best_possible_dso": _days(p.best_possible_dso), "add": _days(p.add),
            "dso_countback": _days(p.dso_countback), "cei": _days(p.cei),
        } for p in pts]
        for cur, pts in report.trend.items()
    }
    pf = report.promises
    return {
        "on": report.on.isoformat(),
        "currencies": cur_json,
        "clients": clients,
        "top_debtors": {
            cur: [{"id": c.client, "name": c.name, "balance": m(c.balance, cur), "overdue": m(c.overdue, cur),
                   "risk": c.risk} for c in lst]
            for cur, lst in report.top_debtors.items()
        },
        "forecast": forecast,
        "trend": trend,
        "escalations": [{"client": e.client, "name": e.name, "invoice": e.invoice, "to": e.to,
                         "outstanding": m(e.outstanding, e.currency), "currency": e.currency}
                        for e in report.escalations],
        "holds": [{"client": h.client, "name": h.name, "reason": h.reason} for h in report.holds],
        "disputes": [{"id": d.id, "client": d.client, "name": d.name, "invoice": d.invoice, "reason": d.reason,
                      "opened": d.opened.isoformat(), "outstanding": m(d.outstanding, d.currency),
                      "currency": d.currency} for d in report.disputes],
        "plans": [{"id": p.id, "client": p.client, "name": p.name, "currency": p.currency,
                   "total": m(p.total, p.currency), "paid": m(p.paid, p.currency), "installments": p.installments,
                   "next_due": p.next_due.isoformat() if p.next_due else None,
                   "next_amount": m(p.next_amount, p.currency) if p.next_amount is not None else None}
                  for p in report.plans],
        "promises": {"made": pf.made, "kept": pf.kept, "broken": pf.broken, "open": pf.open,
                     "kept_rate": _days(pf.kept_rate)},
        "activity": {"from": report.activity_from.isoformat(), "to": report.on.isoformat(),
                     "by_channel": report.activity},
    }
