"""The day's summary on Today (``u``): what this session handled, what the book logged
today (activities, payments, promises), the letters to print and the e-mails still queued."""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from receivables.daylog import counted_on, totals_by_currency

from ..fmt import clean, long_day, money, safe
from .queue import step_label

SHOWN_ACTIVITIES = 200  # the day's last activities listed in the table
SHOWN_LETTERS = 20


def day_summary(state: Any, on: date, counts: Any, outbox: Path | None) -> Any:
    """``counts``: the day's :class:`tui.progress.DayCounts`, as Today's head shows them (None
    without a queue)."""
    acts = counted_on(state.book.activities, on)  # (what was taken back, U or a void, is not an outcome)
    pays = [p for p in state.book.payments if p.date == on]
    proms = [p for p in state.book.promises if p.made == on]
    t = Text()
    if state.book.clients:  # (an empty book: how to begin, not an empty account of the day)
        t.append(f"Done today · {long_day(on)}\n\n", style="bold")
    queued = counts.total if counts is not None else 0
    if queued:
        left = queued - counts.done - counts.snoozed - counts.skipped
        t.append(f"{counts.done} of {queued} action{'' if queued == 1 else 's'} done today")
        if counts.snoozed or counts.skipped:
            t.append(f" · {counts.snoozed} snoozed · {counts.skipped} skipped")
        t.append(f" · {left} left\n" if left else " · the queue is clear\n", style="dim" if left else "green")
    counts = Counter((x.outcome or "note").replace("_", " ") for x in acts)
    if counts:
        t.append("Activities logged: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()) + "\n")
    if pays:
        by = totals_by_currency(pays)
        t.append("Payments recorded: " + ", ".join(money(v, k) for k, v in by.items()) + f" ({len(pays)})\n")
    if proms:
        by = totals_by_currency(proms)
        t.append("Promised: " + ", ".join(money(v, k) for k, v in by.items()) + f" ({len(proms)})\n")
    if not state.book.clients:
        t.append("This book is empty. To begin:\n"
                 "  · policy.toml, in the book folder: your company, mail server, ladder (5)\n"
                 "  · clients: 2, then a (or: dun import clients FILE / xero FILE)\n"
                 "  · invoices: 3, then a (or: dun import invoices FILE)\n"
                 "Today then lists the reminders, calls and notices as they fall due.\n")
    elif not acts and not pays:
        t.append("Nothing logged yet today.\n", style="dim")
    if state.book.clients and not queued:
        t.append_text(_next_due(state))
    t.append_text(outbox_summary(outbox, on))
    table = Table(box=None, padding=(0, 1), header_style="dim", expand=True)
    table.add_column("Client", ratio=2, no_wrap=True)
    table.add_column("Step", ratio=1, no_wrap=True)
    table.add_column("Channel", no_wrap=True)
    table.add_column("Outcome", ratio=1, no_wrap=True)
    names = state.book.clients
    for x in acts[-SHOWN_ACTIVITIES:]:
        c = names.get(x.client)
        table.add_row(Text(safe(c.name if c else x.client)), Text(step_label(x.step, state.policy)), x.channel,
                      Text((x.outcome or "").replace("_", " ")))
    hint = Text(("\nescape: back to the queue · " if queued else "\n") + "2: clients · 3: invoices", style="dim")
    return clean(Group(t, table, hint) if acts else Group(t, hint))


def _next_due(state: Any) -> Text:
    """Nothing to chase today: which open invoice falls due next (once the ledger is there)."""
    t = Text("\nNothing to chase today.", style="green")
    ledger = getattr(state, "ledger", None)
    if ledger is None:
        return t + Text("\n")
    upcoming = [s for cid in state.book.clients for s in ledger.open_invoices(cid)
                if s.days_overdue == 0 and not s.disputed]
    if not upcoming:
        return t + Text(" No open invoice is waiting to fall due.\n", style="dim")
    s = min(upcoming, key=lambda x: (x.invoice.due, x.invoice.number))
    c = state.book.clients.get(s.invoice.client)
    t.append(safe(f" Next to fall due: {s.invoice.number} · {c.name if c else s.invoice.client} · "
                  f"{long_day(s.invoice.due)} · {money(s.outstanding, s.invoice.currency)}") + "\n", style="dim")
    return t


def outbox_summary(outbox: Path | None, on: date) -> Text:
    """Letters made today to print, and the e-mails still waiting in the outbox."""
    from publish.outbox import letters_to_print, queued_files

    t = Text()
    if outbox is None:
        return t
    letters = letters_to_print(outbox, on)
    if letters:
        t.append(f"Letters to print and post ({len(letters)}):\n", style="bold")
        for p in letters[:SHOWN_LETTERS]:
            t.append(f"  {p}\n")
    queued = queued_files(outbox)
    if queued:
        t.append(f"E-mails waiting in the outbox: {len(queued)} — 'dun mail --send' sends them\n",
                 style="yellow")
    return t
