"""A client's statement of account: data first (a dataclass), then HTML and PDF.

The data holds that client's records and nothing else: its open invoices with due dates
and days overdue, an aging summary, the payments and credits of the period (the
:data:`PERIOD_DAYS` days up to the statement date), interest and compensation when the
policy charges them, the total due, the current step's drafted message and the recent
follow-ups (internal notes only when ``[publish] internal_notes`` is true).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from receivables.ledger import Ledger, derive
from receivables.model import Activity, Adjustment, Client, Payment
from receivables.policy import Company, Policy
from receivables.shapes import clipped

from . import engine, formatting
from .env import environment
from .messages import Draft

ZERO = Decimal(0)
PERIOD_DAYS = 90
BUCKETS = engine.BUCKETS


@dataclass(frozen=True, slots=True)
class OpenItem:
    number: str
    issued: date
    due: date
    reference: str
    amount: Decimal
    settled: Decimal  # paid and credited so far
    outstanding: Decimal
    days_overdue: int
    status: str
    disputed: bool
    interest: Decimal = ZERO
    compensation: Decimal = ZERO
    interest_detail: str = ""  # the rate(s), the period and the amount it ran on; or why not computed
    details: tuple[str, ...] = ()  # a charge document's lines


@dataclass(frozen=True, slots=True)
class Movement:
    date: date
    kind: str  # "payment", "credit note", "write-off", "adjustment"
    reference: str
    amount: Decimal
    invoices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """The statement for one currency (most clients have one)."""

    currency: str
    items: tuple[OpenItem, ...]
    aging: tuple[tuple[str, Decimal], ...]  # (bucket, amount) in BUCKETS order
    movements: tuple[Movement, ...]
    open_total: Decimal
    overdue: Decimal
    credit: Decimal  # unallocated payments and credit notes
    interest: Decimal
    compensation: Decimal
    total_due: Decimal


@dataclass(frozen=True, slots=True)
class ActivityLine:
    date: date
    channel: str
    summary: str  # Markdown
    step: str = ""


@dataclass(frozen=True, slots=True)
class StatementData:
    company: Company
    client: Client
    on: date
    period_start: date
    locale: str
    paper: str
    sections: tuple[Section, ...]
    charge_interest: bool
    message: Draft | None = None
    step_title: str = ""
    activities: tuple[ActivityLine, ...] = ()
    hold: bool = False
    interest_basis: str = ""  # the policy's legal-basis sentence

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.client.address.splitlines() if line.strip()]

    @property
    def has_open_items(self) -> bool:
        return any(s.items for s in self.sections)


def _locale(client: Client, policy: Policy) -> str:
    return client.locale or policy.defaults.locale or formatting.DEFAULT_LOCALE


_KIND_LABEL = {"payment": "Payment", "credit_note": "Credit note", "write_off": "Write-off", "adjustment": "Adjustment",
               "credit_applied": "Your credit applied"}  # (money received before, not a new payment)


def statement_data(
    book,
    policy: Policy,
    client_id: str,
    on: date,
    *,
    ledger: Ledger | None = None,
    draft: Draft | None = None,
    step_title: str = "",
    action: Any = None,
    find_action: bool = True,
    records: Any = None,
) -> StatementData:
    """Everything a statement shows, for one client as of ``on``.

    When many statements are built at once the caller passes the ``ledger`` (derived for
    ``on``), the client's ``action`` and ``draft`` (``find_action=False``: do not run the
    agenda here) and the client's ``records`` (its payments, adjustments and activities,
    in any order); otherwise they are computed here.
    """
    ledger = ledger if ledger is not None else derive(book, on)
    client = book.clients[client_id]
    period_start = on - timedelta(days=PERIOD_DAYS - 1)
    charge = bool(policy.interest.charge and policy.interest.regime != "none")

    if draft is None and action is None and find_action:
        from .messages import draft_for_action

        for a in engine.build_agenda(book, policy, on):
            if a.client == client_id and getattr(a, "kind", "step") == "step" and getattr(a, "channel", "") != "phone":
                action = a
                break
        if action is not None:
            draft = draft_for_action(action, book, policy, on, ledger)
    if action is not None and not step_title:
        step = policy.step(action.step) if getattr(action, "step", None) else None
        step_title = (step.title if step else "") or getattr(action, "title", "") or ""

    if records is None:
        payments = [p for p in book.payments if p.client == client_id]
        adjustments = [a for a in book.adjustments if a.client == client_id]
        client_acts = [a for a in book.activities if a.client == client_id]
    else:
        payments = [r for r in records if isinstance(r, Payment)]
        adjustments = [r for r in records if isinstance(r, Adjustment)]
        client_acts = [r for r in records if isinstance(r, Activity)]
    # invoices paid late still carry their interest and compensation (as `dun client show`
    # counts them): with charging on, each is a row of its own and in the total due
    paid_late = ({n: r for n, r in engine.client_interest(ledger, policy, client_id).items()
                  if ledger.invoices[n].outstanding <= 0 and (r.interest or r.compensation)} if charge else {})
    sections = []
    for currency in ledger.currencies(client_id):
        items = []
        aging = {b: ZERO for b in BUCKETS}
        interest_total = compensation_total = ZERO
        locale = _locale(client, policy)

        def item(st, r) -> OpenItem:
            nonlocal interest_total, compensation_total
            inv = st.invoice
            if r is not None:
                interest_total += r.interest
                compensation_total += r.compensation
            return OpenItem(
                number=inv.number, issued=inv.issued, due=inv.due, reference=inv.reference,
                amount=inv.amount, settled=inv.amount - st.outstanding, outstanding=st.outstanding,
                days_overdue=st.days_overdue, status=st.status, disputed=st.disputed,
                interest=r.interest if r is not None else ZERO,
                compensation=r.compensation if r is not None else ZERO,
                # (the client's document: never the owner's to-do when it is not computed)
                interest_detail=formatting.interest_detail(r, locale, reasons=False) if r is not None else "",
                details=tuple(f"{ln.description}: {formatting.money(ln.amount, inv.currency, locale)}"
                              for ln in inv.lines) if inv.kind == "charge" else (),
            )

        for st in ledger.open_invoices(client_id, currency):
            r = engine.interest_result(ledger, policy, st.number, on) if charge and st.days_overdue > 0 else None
            aging[engine.bucket_of(st.days_overdue)] += st.outstanding
            items.append(item(st, r))
        items += [item(ledger.invoices[n], r) for n, r in paid_late.items()
                  if ledger.invoices[n].invoice.currency == currency]
        movements = []
        for p in payments:
            if p.currency == currency and period_start <= p.date <= on:
                movements.append(Movement(p.date, "Payment", p.reference, p.amount,
                                          tuple(a.invoice for a in p.allocations)))
        for adj in adjustments:
            if adj.currency == currency and period_start <= adj.date <= on:
                movements.append(Movement(adj.date, _KIND_LABEL.get(adj.kind, adj.kind), adj.reason,
                                          adj.amount, (adj.invoice,) if adj.invoice else ()))
        movements.sort(key=lambda m: (m.date, m.kind, m.reference))
        pos = ledger.position(client_id, currency)
        if not items and not movements and pos.credit == 0 and currency != client.currency:
            continue
        sections.append(Section(
            currency=currency,
            items=tuple(items),
            aging=tuple(aging.items()),
            movements=tuple(movements),
            open_total=pos.invoiced_open,
            overdue=pos.overdue,
            credit=pos.credit,
            interest=interest_total,
            compensation=compensation_total,
            total_due=pos.invoiced_open - pos.credit + interest_total + compensation_total,
        ))

    show_internal = policy.publish.internal_notes
    acts = [a for a in client_acts if a.date <= on and (show_internal or not a.internal)]
    acts.sort(key=lambda a: (a.date, a.id), reverse=True)
    activities = tuple(
        ActivityLine(a.date, a.channel, clipped(a.body) or a.outcome, a.step or "")
        for a in acts[: policy.publish.statement_activities]
    )
    return StatementData(
        company=policy.company, client=client, on=on, period_start=period_start,
        locale=_locale(client, policy), paper=policy.publish.paper, sections=tuple(sections),
        charge_interest=charge, message=draft, step_title=step_title, activities=activities,
        hold=client.hold,
        interest_basis=policy.interest.basis_for(any(sec.compensation for sec in sections)) if charge else "",
    )


def render_statement_html(data: StatementData, *, for_pdf: bool = False, asset_prefix: str = "../assets/",
                          nav_prefix: str | None = None, pdf_name: str | None = None) -> str:
    """The statement as a standalone HTML page (``for_pdf``: without stylesheet links;
    ``nav_prefix``: with links back to the site's index and report)."""
    return environment().get_template("statement.html").render(
        s=data, for_pdf=for_pdf, asset_prefix=asset_prefix, nav_prefix=None if for_pdf else nav_prefix, pdf_name=pdf_name,
        message_html=Markup(data.message.html) if data.message else None,
        buckets=BUCKETS,
    )


def render_statement_pdf(data: StatementData) -> bytes:
    from .pdf import html_to_pdf

    return html_to_pdf(render_statement_html(data, for_pdf=True), data.paper)
