"""The management report as data (a dataclass), ready for the templates and the JSON.

Every figure comes from the engine's :func:`receivables.report.build_report` (aging, DSO,
countback DSO, best possible DSO, ADD, CEI and their 12-month trend, client positions and
behaviour, top debtors, escalations, holds, disputes, plans, promises, activity, the
13-week forecast); this module only reshapes it for the templates and adds the 12-month
activity counts. Nothing here reads a clock.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from receivables.ledger import BookIndex, Ledger, index_book
from receivables.money import to_text

from . import engine

ZERO = Decimal(0)
BUCKETS = engine.BUCKETS
KPI_NAMES = ("dso", "dso_countback", "best_possible_dso", "add", "cei")
KPI_LABELS = {
    "dso": "DSO", "dso_countback": "Countback DSO", "best_possible_dso": "Best possible DSO",
    "add": "ADD", "cei": "CEI",
}


@dataclass(frozen=True, slots=True)
class ClientRow:
    id: str
    name: str
    currency: str
    balance: Decimal
    overdue: Decimal
    oldest_days: int
    open_count: int
    avg_days_to_pay: Decimal | None = None
    avg_days_late: Decimal | None = None
    worsening: bool = False
    promises_kept_rate: Decimal | None = None
    risk: int | None = None
    risk_reasons: tuple[str, ...] = ()
    hold: bool = False
    over_limit: bool = False


@dataclass(frozen=True, slots=True)
class CurrencyView:
    currency: str
    aging: tuple[tuple[str, Decimal], ...]
    total: Decimal
    overdue: Decimal
    kpis: dict  # name -> Decimal | None
    trend_months: tuple[str, ...]
    trend: dict  # name -> tuple[Decimal | None, ...]
    top: tuple[ClientRow, ...]
    forecast: tuple[tuple[date, Decimal], ...]  # week start, expected receipts
    forecast_later: Decimal = ZERO  # expected after the 13 weeks
    forecast_doubtful: Decimal = ZERO  # more than 90 days past its expected date
    credit: Decimal = ZERO  # unallocated client credit


@dataclass(frozen=True, slots=True)
class Escalation:
    client: str
    name: str
    invoice: str
    to: str  # agency | legal
    outstanding: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ReportView:
    on: date
    currencies: tuple[CurrencyView, ...]
    clients: tuple[ClientRow, ...]
    escalations: tuple[Escalation, ...]
    holds: tuple[tuple[str, str, str], ...]  # id, name, reason
    disputes: tuple[dict, ...]
    plans: tuple[dict, ...]
    promises: tuple[dict, ...]
    promises_kept: tuple[int, int]  # kept, broken (promises made in the 12 months)
    promises_made: int
    promises_open: int
    promises_kept_rate: Decimal | None
    channels_30: tuple[tuple[str, int], ...]
    channels_365: tuple[tuple[str, int], ...]
    agenda_count: int
    engine_json: Any = None  # report_to_json of the engine's report, when available
    notes: tuple[str, ...] = field(default_factory=tuple)


def _row(c) -> ClientRow:
    return ClientRow(
        id=c.client, name=c.name, currency=c.currency, balance=c.balance, overdue=c.overdue,
        oldest_days=c.oldest_days_overdue, open_count=c.open_invoices, avg_days_to_pay=c.avg_days_to_pay,
        avg_days_late=c.avg_days_late, worsening=c.worsening, promises_kept_rate=c.promises_kept_rate,
        risk=c.risk, risk_reasons=tuple(c.risk_reasons), hold=c.hold, over_limit=c.over_credit_limit,
    )


def build_view(book_or_index, policy, on: date, *, trend: bool = True, ledger: Ledger | None = None,
               agenda_count: int | None = None) -> ReportView:
    """The report for ``on``, from the engine's :func:`receivables.report.build_report`."""
    index: BookIndex = book_or_index if isinstance(book_or_index, BookIndex) else index_book(book_or_index)
    rep = engine.build_report(index, policy, on)
    c365: Counter = Counter()
    for a in index.book.activities:
        if a.date <= on and (on - a.date).days < 365:
            c365[a.channel] += 1
    if agenda_count is None:
        agenda_count = len(engine.build_agenda(index, policy, on))
    return view_of(rep, c365, agenda_count, trend=trend)


def view_of(rep, channels_365: Counter, agenda_count: int, *, trend: bool = True) -> ReportView:
    """The view of the engine's report ``rep``, with the activity counts of the 365 days and
    the day's action count (both from the book, not in the engine's report)."""
    on = rep.on
    rep_json = engine.report_to_json(rep)
    currencies = []
    for cur in sorted(rep.currencies):
        f = rep.currencies[cur]
        pts = tuple(rep.trend.get(cur, ())) if trend else ()
        fc = rep.forecast.get(cur)
        currencies.append(CurrencyView(
            currency=cur,
            aging=tuple((b, f.aging[b]) for b in BUCKETS),
            total=f.total,
            overdue=f.overdue,
            kpis={k: getattr(f, k) for k in KPI_NAMES},
            trend_months=tuple(p.date.strftime("%b %y") for p in pts),
            trend={k: tuple(getattr(p, k) for p in pts) for k in KPI_NAMES} if pts else {},
            top=tuple(_row(c) for c in rep.top_debtors.get(cur, ())),
            forecast=tuple((w.start, w.amount) for w in fc.weeks) if fc else (),
            forecast_later=fc.later if fc else ZERO,
            forecast_doubtful=fc.doubtful if fc else ZERO,
            credit=f.credit,
        ))
    pf = rep.promises
    return ReportView(
        on=on,
        currencies=tuple(currencies),
        clients=tuple(_row(c) for c in rep.clients),
        escalations=tuple(Escalation(e.client, e.name, e.invoice, e.to, e.outstanding, e.currency)
                          for e in rep.escalations),
        holds=tuple((h.client, h.name, h.reason) for h in rep.holds),
        disputes=tuple({"client": d.client, "name": d.name, "invoice": d.invoice, "reason": d.reason,
                        "opened": d.opened, "days": (on - d.opened).days, "outstanding": d.outstanding,
                        "currency": d.currency} for d in rep.disputes),
        plans=tuple({"client": p.client, "name": p.name, "id": p.id, "total": p.total, "paid": p.paid,
                     "currency": p.currency, "count": p.installments, "next_due": p.next_due,
                     "next_amount": p.next_amount} for p in rep.plans),
        promises=(),
        promises_kept=(pf.kept, pf.broken),
        promises_made=pf.made,
        promises_open=pf.open,
        promises_kept_rate=pf.kept_rate,
        channels_30=tuple(sorted(rep.activity.items(), key=lambda kv: (-kv[1], kv[0]))),
        channels_365=tuple(sorted(channels_365.items(), key=lambda kv: (-kv[1], kv[0]))),
        agenda_count=agenda_count,
        engine_json=rep_json,
    )


def _plain(v):
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def view_to_json(view: ReportView) -> dict:
    """The report figures as JSON-able data (Decimals as strings, dates ISO)."""
    out = {
        "on": view.on.isoformat(),
        "currencies": {
            c.currency: {
                "aging": {**{b: to_text(a, c.currency) for b, a in c.aging}, "total": to_text(c.total, c.currency),
                          "overdue": to_text(c.overdue, c.currency)},
                **{k: _plain(v) for k, v in c.kpis.items()},
                "trend": {"months": list(c.trend_months), **{k: _plain(v) for k, v in c.trend.items()}},
                "top_debtors": [{"client": r.id, "balance": to_text(r.balance, c.currency)} for r in c.top],
                "forecast": [{"week": d.isoformat(), "amount": to_text(a, c.currency)} for d, a in c.forecast],
                "forecast_later": to_text(c.forecast_later, c.currency),
                "forecast_doubtful": to_text(c.forecast_doubtful, c.currency),
                "credit": to_text(c.credit, c.currency),
            }
            for c in view.currencies
        },
        "clients": [
            {"id": r.id, "name": r.name, "currency": r.currency, "balance": to_text(r.balance, r.currency),
             "overdue": to_text(r.overdue, r.currency), "oldest_days_overdue": r.oldest_days,
             "avg_days_to_pay": _plain(r.avg_days_to_pay), "avg_days_late": _plain(r.avg_days_late),
             "worsening": r.worsening, "promises_kept_rate": _plain(r.promises_kept_rate),
             "risk": r.risk, "risk_reasons": list(r.risk_reasons), "hold": r.hold}
            for r in view.clients
        ],
        "escalations": [{"client": e.client, "invoice": e.invoice, "to": e.to,
                         "outstanding": to_text(e.outstanding, e.currency), "currency": e.currency} for e in view.escalations],
        "holds": [{"client": h[0], "reason": h[2]} for h in view.holds],
        "disputes": [_plain({k: v for k, v in d.items() if k != "name"}) for d in view.disputes],
        "plans": [_plain({k: v for k, v in p.items() if k != "name"}) for p in view.plans],
        "promises": {"made": view.promises_made, "kept": view.promises_kept[0], "broken": view.promises_kept[1],
                     "open": view.promises_open, "kept_rate": _plain(view.promises_kept_rate)},
        "activities_by_channel": {"30_days": dict(view.channels_30), "365_days": dict(view.channels_365)},
        "actions_due": view.agenda_count,
    }
    return out


LISTING_HEADER = ("Client", "Balance", "Overdue", "Oldest", "To pay", "Late", "Kept", "Risk", "Flags")
_WIDTHS = (44, 16, 16, 8, 8, 8, 7, 6, 0)


def _fit(text: str, width: int) -> str:
    text = " ".join(str(text).split())  # no newline or tab can break the columns
    return text if len(text) <= width else text[: width - 1] + "…"


def listing_lines(rows, locale: str) -> list[str]:
    """Every client's position as fixed-width text lines (the report PDF's listing)."""
    from .formatting import figure, money

    def line(cells) -> str:
        out = [_fit(cells[0], _WIDTHS[0]).ljust(_WIDTHS[0])]
        for cell, w in zip(cells[1:-1], _WIDTHS[1:-1]):
            out.append(_fit(cell, w - 1).rjust(w))
        out.append("  " + cells[-1])
        return "".join(out).rstrip()

    lines = [line(LISTING_HEADER)]
    for r in rows:
        flags = " ".join(f for f, on in (("hold", r.hold), ("over-limit", r.over_limit), ("worse", r.worsening)) if on)
        lines.append(line((
            f"{r.name} ({r.id})",
            money(r.balance, r.currency, locale),
            money(r.overdue, r.currency, locale) if r.overdue else "",
            str(r.oldest_days) if r.oldest_days else "",
            figure(r.avg_days_to_pay, 1, locale) if r.avg_days_to_pay is not None else "",
            figure(r.avg_days_late, 1, locale) if r.avg_days_late is not None else "",
            figure(r.promises_kept_rate, 0, locale) + "%" if r.promises_kept_rate is not None else "",
            str(r.risk) if r.risk is not None else "",
            flags,
        )))
    return lines


def text_table(header: tuple[str, ...], rows: list[tuple], widths: tuple[int, ...], right: set[int]) -> list[str]:
    """Fixed-width lines; the last column takes what is left of the line."""
    def line(cells) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            if w == 0:
                out.append(" " + _fit(cell, 200))
            elif i in right:
                out.append(_fit(cell, w - 1).rjust(w))
            else:
                out.append(_fit(cell, w - 1).ljust(w))
        return "".join(out).rstrip()

    return [line(header)] + [line(r) for r in rows]


def pdf_listings(view: ReportView, locale: str) -> dict[str, list[str]]:
    """The report PDF's long lists as fixed-width lines (see :func:`listing_lines`)."""
    from .formatting import day, money

    return {
        "escalations": text_table(("Client", "Invoice", "To", "Outstanding"),
                                  [(f"{e.name} ({e.client})", e.invoice, e.to, money(e.outstanding, e.currency, locale))
                                   for e in view.escalations], (52, 18, 9, 16), {3}),
        "holds": text_table(("Client", "Reason"), [(f"{n} ({c})", r) for c, n, r in view.holds], (52, 0), set()),
        "disputes": text_table(("Client", "Invoice", "Since", "Amount", "Reason"),
                               [(f"{d['name']} ({d['client']})", d["invoice"], day(d["opened"], locale),
                                 money(d["outstanding"], d["currency"], locale), d["reason"]) for d in view.disputes],
                               (40, 16, 13, 15, 0), {3}),
        "plans": text_table(("Client", "Instalments", "Paid", "Total", "Next"),
                            [(f"{p['name']} ({p['client']})", str(p["count"]), money(p["paid"], p["currency"], locale),
                              money(p["total"], p["currency"], locale),
                              (money(p["next_amount"], p["currency"], locale) + " on " + day(p["next_due"], locale))
                              if p["next_due"] else "") for p in view.plans],
                            (40, 12, 15, 15, 0), {1, 2, 3}),
    }
