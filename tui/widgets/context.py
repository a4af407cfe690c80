"""The client context panel: everything needed to make one collection call or email."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from .. import engine
from ..fmt import clean, day, money, safe
from ..state import BookState

ZERO = Decimal(0)


def interest_for(state: BookState, client_id: str) -> dict[str, tuple[Decimal, Decimal]] | None:
    """{currency: (interest, compensation)} from the engine, or None while it is missing."""
    if state.policy is None or state.policy.interest.regime == "none":
        return None
    results = engine.get("interest")(state.ledger_for(client_id), state.policy, client_id)
    return engine.get("interest_totals")(results)


def client_status(state: BookState, client_id: str) -> Any:
    """The client's status on the state's date (None without a policy or an agenda)."""
    return state.status(client_id)


def client_context(state: BookState, client_id: str, *, invoices_limit: int = 8, activities: int = 4,
                   compact: bool = False) -> Group:
    book = state.book
    client = book.clients.get(client_id)
    if client is None:
        return Group(Text(f"Unknown client {client_id}", style="bold red"))
    ledger = state.ledger_for(client_id)
    on = state.on
    out: list[Any] = []
    title = Text()
    title.append(safe(client.name), style="bold")
    title.append(f"  {client.id}", style="dim")
    out.append(title)
    status = client_status(state, client_id)
    hold = status.hold if status is not None else client.hold
    reason = (status.hold_reason if status is not None else client.hold_reason) or client.hold_reason
    if hold:
        out.append(Text("ON HOLD" + (f": {safe(reason)}" if reason else ""), style="bold red"))
    if status is not None and status.handed_over:
        by = {}
        for n, who in status.handed_over.items():
            by.setdefault(who, []).append(n)
        for who, nums in by.items():
            out.append(Text(safe(f"Handed over to {who}: {', '.join(nums[:6])}") + (" …" if len(nums) > 6 else ""),
                            style="bold magenta"))
    contact = " · ".join(safe(x) for x in (client.email, client.phone) if x)
    if contact:
        out.append(Text(contact, style="dim"))
    for pos in ledger.positions(client_id):
        if not pos.invoiced_open and not pos.credit and pos.currency != client.currency:
            continue
        line = Text()
        line.append("Balance ", style="dim")
        line.append(money(pos.balance, pos.currency), style="bold")
        line.append("  overdue ", style="dim")
        line.append(money(pos.overdue, pos.currency), style="bold red" if pos.overdue else "")
        if pos.oldest_days_overdue:
            line.append(f"  oldest {pos.oldest_days_overdue}d", style="dim")
        if pos.credit:
            line.append(f"  credit {money(pos.credit, pos.currency)}", style="green")
        out.append(line)
        if pos.credit > 0 and pos.invoiced_open > 0:  # (the owner holds money the client is being chased for)
            what = "can settle its open invoices" if pos.credit >= pos.invoiced_open else "can go toward its open invoices"
            out.append(Text(f"The client's {money(pos.credit, pos.currency)} of credit {what}: k puts it on them",
                            style="green"))
        if client.credit_limit is not None and pos.currency == client.currency and client.credit_limit > 0:
            use = max(pos.balance, 0) * 100 / client.credit_limit  # (in credit: none of it used)
            style = "bold red" if pos.balance > client.credit_limit else "dim"
            out.append(Text(f"Credit limit {money(client.credit_limit, pos.currency)} · used {use:.0f}%", style=style))
    results = {}
    if state.policy is not None and state.policy.interest.regime != "none":
        results = engine.get("interest")(state.ledger_for(client_id), state.policy, client_id)
    for cur, (interest, comp) in sorted(engine.get("interest_totals")(results).items()):
        if interest or comp:
            charged = "" if state.policy and state.policy.interest.charge else " (not charged)"
            out.append(Text(f"Late-payment interest {money(interest, cur)} + compensation {money(comp, cur)}{charged}",
                            style="yellow"))
    for n, r in results.items():  # not computed (a rate table that does not reach, another currency)
        if r.problem:
            out.append(Text(safe(f"{n}: {r.problem}"), style="red"))
            break
    row = state.client_row(client_id)
    if row is not None and row.risk is not None:
        risk = Text(f"Risk {row.risk}", style="bold")
        if row.risk_reasons:
            risk.append(" — " + "; ".join(row.risk_reasons), style="dim")
        out.append(risk)
    if client.credit_check is not None:
        cc = client.credit_check
        out.append(Text(safe(f"Credit check {day(cc.date)} {cc.source} {cc.rating}").rstrip(), style="dim"))
    open_ = ledger.open_invoices(client_id)
    if open_:
        t = Table(box=None, padding=(0, 1), show_header=True, header_style="dim", expand=False)
        t.add_column("Invoice", no_wrap=True)
        if not compact:
            t.add_column("Due", no_wrap=True)
        t.add_column("Owed", justify="right", no_wrap=True)
        t.add_column("Late", justify="right", no_wrap=True)
        for s in open_[:invoices_limit]:
            late = f"{s.days_overdue}d" if s.days_overdue else "—"
            cells = [Text(safe(s.invoice.number) + (" ⚑" if s.disputed else ""))]
            if not compact:
                cells.append(day(s.invoice.due))
            cells += [money(s.outstanding, s.invoice.currency), Text(late, style="red" if s.days_overdue > 30 else "")]
            t.add_row(*cells)
        if len(open_) > invoices_limit:
            t.add_row(Text(f"… {len(open_) - invoices_limit} more", style="dim"), *([""] * (2 if compact else 3)))
        out.append(Text(""))
        out.append(t)
    if status is not None:
        for ps in status.promises[-3:]:
            p = ps.promise
            out.append(Text(f"Promise {ps.state}: {money(p.amount, p.currency)} by {day(p.by)} "
                            f"(made {day(p.made)}, paid {money(ps.paid, p.currency)})",
                            style="bold red" if ps.state == "broken" else "cyan"))
    else:
        for p in [p for p in book.promises if p.client == client_id and p.by >= on][-2:]:
            out.append(Text(f"Promise: {money(p.amount, p.currency)} by {day(p.by)} (made {day(p.made)})", style="cyan"))
    disputes = [d for d in book.disputes if d.client == client_id and d.resolved is None]
    for d in disputes[-3:]:
        out.append(Text(safe(f"Dispute {d.invoice} since {day(d.opened)}: {d.reason}"), style="magenta"))
    plans = [p for p in book.plans if p.client == client_id and p.cancelled is None]
    for p in plans[-1:]:
        nxt = next((i for i in p.installments if i.due >= on), None)
        n = len(p.installments)
        line = (f"Plan {p.id}: {money(p.total, p.currency)} in {n} installment{'' if n == 1 else 's'} "
                f"on {', '.join(p.invoices)}")
        if nxt:
            line += f"; next {money(nxt.amount, p.currency)} on {day(nxt.due)}"
        out.append(Text(safe(line), style="cyan"))
    acts = activities_of(book, client_id)
    if acts:
        out.append(Text(""))
        out.append(Text("Last activity", style="dim"))
        for a in acts[-activities:][::-1]:
            line = Text()
            line.append(f"{day(a.date)} ", style="dim")
            line.append(safe(a.channel))
            if a.corrects:  # (an undo or a void's correction: its step is "undo:ACT-…")
                line.append(f" · takes back {safe(a.corrects)}")
            elif a.step:
                line.append(f" · {safe(a.step)}")
            if a.outcome:
                line.append(f" · {safe(a.outcome.replace('_', ' '))}", style="italic")
            text = a.body[:400].strip()  # (its first line, of a note of any size: shortened below)
            first = text.splitlines()[0] if text else ""
            if first:
                line.append(f" — {shorten(first, 80)}", style="dim")
            out.append(line)
    return Group(*out)


_by_client: dict[str, Any] = {}


def activities_of(book: Any, client_id: str) -> list:
    """A client's activities in book order: grouped once per book (a 100,000-invoice book has
    170,000 activities, and the walk-through shows a client at every key)."""
    key = (id(book), len(book.activities))
    if _by_client.get("key") != key:
        groups: dict[str, list] = {}
        for a in book.activities:
            groups.setdefault(a.client, []).append(a)
        _by_client.update(key=key, groups=groups, book=book)
    return _by_client["groups"].get(client_id, [])


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: cut at a word, with an ellipsis if cut."""
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    if " " in cut[width // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:.-—") + "…"


class ClientContext(Static):
    """Shows :func:`client_context` for one client."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.client_id: str | None = None

    def show_client(self, state: BookState | None, client_id: str | None) -> None:
        self.client_id = client_id
        self._state = state
        if client_id is None:
            self.update(Text("No client selected.", style="dim"))
        elif state is None:  # the queue came from the last session; the book is still being read
            self.update(Text("This client's balance, invoices and history show here as soon as the "
                             "book is read (a few seconds on a large book).", style="dim"))
        else:
            width = self.size.width or (self.app.size.width // 2)
            self.update(clean(client_context(state, client_id, compact=width < 50)))

    def on_resize(self) -> None:
        if getattr(self, "_state", None) is not None and self.client_id is not None:
            self.show_client(self._state, self.client_id)
