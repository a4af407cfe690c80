"""Claims: late-payment interest, compensation and dunning fees posted as charge documents.

gov.uk's advice is to "send a new invoice" for the interest and compensation claimed; peer
tools post dunning fees and interest invoices. dun posts a **charge document**: an invoice
record of kind ``charge`` in its own number series (``[interest] claim_prefix``), one
:class:`~receivables.model.Charge` line per invoice and kind (interest with its period,
rate(s) and basis; compensation; or a ladder step's fee), the policy's legal-basis sentence
in ``note``. Everything else (ledger, statements, the ladder, the report) treats it as an
invoice; it carries no interest or compensation of its own.

- A claim covers the interest accrued and not yet claimed up to its date: a later claim
  starts the day after the last claimed day (:func:`receivables.interest.claims_index`),
  so no day is claimed twice; compensation is claimed once per invoice.
- A step's ``fee`` is posted when an activity carrying out that step is logged done
  (snoozed, skipped, and a promise, dispute or payment logged against it do not count),
  once per step and set of invoices.

Pure functions: the store numbers and saves the documents (``store.charges``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from .errors import DunError, Problem
from .interest import segments_interest
from .ledger import Ledger
from .model import ANSWERED, CHARGE_KINDS, PUT_OFF, Activity, Book, Charge, Invoice, InvoiceLine
from .money import MINOR_UNITS, round_money, to_text
from .policy import Policy

ZERO = Decimal(0)
NO_FEE = PUT_OFF + ANSWERED  # outcomes that do not carry the step out (receivables.model), so post no fee


def is_charge(inv: Invoice) -> bool:
    return inv.kind == "charge"


def describe(c: Charge, currency: str) -> str:
    """One line for a charge: what, on which invoice, the period, rate(s) and basis."""
    if c.kind == "fee":
        on = f" ({', '.join(c.invoices or (c.invoice,))})" if (c.invoices or c.invoice) else ""
        return f"Dunning fee: {c.step}{on}"
    if c.kind == "compensation":
        return f"Fixed-sum compensation on invoice {c.invoice}"
    parts = []
    for g in c.segments:
        parts.append(f"{g.start.isoformat()}–{g.end.isoformat()}: {g.days} day{'s' if g.days != 1 else ''} on "
                     f"{to_text(g.basis, currency)} {currency} at {_pct(g.rate)}")
    return f"Interest on invoice {c.invoice} " + "; ".join(parts)


def document_lines(doc: Invoice, posted: bool) -> list[str]:
    """A charge document as text lines (``dun claim``, the app's preview): a heading, one
    line per charge, the legal basis. Untrusted text is the caller's to neutralise."""
    cur = doc.currency
    head = (f"posted {doc.number}" if posted else "would post a charge document") + \
        f" to {doc.client} on {doc.issued.isoformat()}: {to_text(doc.amount, cur)} {cur}, due {doc.due.isoformat()}"
    out = [head]
    out += [f"  {to_text(c.amount, cur):>12} {cur}  {describe(c, cur)}" for c in doc.charges]
    if doc.note:
        out.append("  " + " ".join(doc.note.split()))
    return out


def _pct(rate: Decimal) -> str:
    return f"{rate.normalize():f}%" if rate == rate.to_integral() else f"{rate:f}%"


def _lines(charges: Iterable[Charge], currency: str) -> tuple[InvoiceLine, ...]:
    return tuple(InvoiceLine(describe(c, currency), Decimal(1), c.amount, c.amount) for c in charges)


def next_number(numbers: Iterable[str], prefix: str) -> str:
    """The next number of the series ``prefix`` + six digits."""
    top = 0
    for n in numbers:
        if n.startswith(prefix) and n[len(prefix):].isdigit():
            top = max(top, int(n[len(prefix):]))
    return f"{prefix}{top + 1:06d}"


def charge_document(client: str, on: date, currency: str, charges: list[Charge], policy: Policy,
                    number: str = "") -> Invoice:
    total = sum((c.amount for c in charges), ZERO)
    return Invoice(number=number, client=client, issued=on, due=on + timedelta(days=policy.interest.claim_terms_days),
                   currency=currency, amount=total, lines=_lines(charges, currency), kind="charge",
                   charges=tuple(charges), note=_note(charges, policy))


def _note(charges: list[Charge], policy: Policy) -> str:
    """The legal basis a charge document quotes: with or without a fixed sum as it claims one
    or not; none for fees alone (a dunning fee is the terms of business', not the statute's)."""
    if not any(c.kind in ("interest", "compensation") for c in charges):
        return ""
    return policy.interest.basis_for(any(c.kind == "compensation" for c in charges))


# ---------------------------------------------------------------------------------------
# claims of interest and compensation


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """What ``dun claim`` would post: one document per currency, and what it left out."""

    documents: tuple[Invoice, ...]
    notes: tuple[str, ...]  # one line each: compensation not computed, invoices passed over


def plan_claim(ledger: Ledger, policy: Policy, client_id: str, on: date,
               invoices: Iterable[str] = ()) -> ClaimPlan:
    """The charge documents claiming what ``client_id`` owes in interest and compensation as
    of ``on`` (``ledger`` derived for ``on``), net of earlier claims. ``invoices`` limits it
    to those (each must be one of the client's invoices); otherwise every late invoice that
    is not disputed. Raises :class:`DunError` (one line) when a named invoice is unknown,
    when the interest of one cannot be computed, or when there is nothing to claim."""
    from .interest import claims_index, invoice_interest

    ip = policy.interest
    if ip.regime == "none":
        raise DunError("the policy claims no interest ([interest] regime = \"none\")", "policy.toml",
                       "set regime to uk-late-payment, eu-late-payment or contract")
    book = ledger.book
    named = list(dict.fromkeys(invoices))
    for n in named:
        inv = book.invoices.get(n)
        if inv is None or inv.client != client_id:
            raise DunError(f"no invoice {n!r} for client {client_id!r}", "--invoice", "check the number with 'dun client show'")
        if is_charge(inv):
            raise DunError(f"{n} is a charge document: it carries no interest of its own", "--invoice",
                           "name the invoices it charges for")
        if inv.issued > on:
            raise DunError(f"invoice {n} is issued after {on}", "--invoice", "check --on")
    claims = claims_index(book, on)
    settlements = ledger.index.settlements
    states = [ledger.invoices[n] for n in named] if named else ledger.client_invoices(client_id)
    by_currency: dict[str, list[Charge]] = {}
    notes: list[str] = []
    disputed: list[str] = []  # (late, left out: said when nothing else is to claim)
    for st in states:
        inv = st.invoice
        if is_charge(inv) or on <= inv.due:
            continue
        if st.disputed and not named:
            disputed.append(inv.number)
            notes.append(f"{inv.number}: disputed, not claimed (name it with --invoice to claim anyway)")
            continue
        r = invoice_interest(st, settlements.get(inv.number, ()), ip, on, claims.get(inv.number))
        if r.error:
            raise DunError(r.error, f"invoice {inv.number}", "nothing was posted")
        if r.compensation_note:
            notes.append(f"{inv.number}: {r.compensation_note}")
        lines = by_currency.setdefault(inv.currency, [])
        if r.interest > 0:
            lines.append(Charge("interest", r.interest, inv.number, r.start, r.end, r.segments))
        if r.compensation > 0:
            lines.append(Charge("compensation", r.compensation, inv.number))
    docs = tuple(charge_document(client_id, on, cur, lines, policy) for cur, lines in sorted(by_currency.items()) if lines)
    if not docs:
        what = ", ".join(named) if named else "its invoices"
        if disputed:  # (the only late ones: "already claimed, or none is late" was not the reason)
            raise DunError(f"nothing to claim on {what} as of {on}: the late one{'s are' if len(disputed) > 1 else ' is'} "
                           f"disputed ({', '.join(disputed)})", f"client {client_id}",
                           "resolve the dispute first (dun claim --invoice N claims a disputed one all the same)")
        raise DunError(f"nothing to claim on {what} as of {on}", f"client {client_id}",
                       "interest and compensation already claimed, or no invoice is late")
    return ClaimPlan(docs, tuple(notes))


# ---------------------------------------------------------------------------------------
# dunning fees


def fee_document(book: Book, policy: Policy, activity: Activity) -> Invoice | None:
    """The charge document for the fee of the step ``activity`` carries out, or None: no
    fee on that step, the activity does not count as done, or the fee was already posted
    for that step on one of its invoices. ``book`` holds at least the client's records."""
    step = policy.step(activity.step) if activity.step else None
    if step is None or step.fee is None or activity.outcome in NO_FEE or activity.direction != "out":
        return None
    invs = [book.invoices[n] for n in activity.invoices if n in book.invoices]
    client = book.clients.get(activity.client)
    currency = invs[0].currency if invs else (client.currency if client else policy.defaults.currency)
    covered = {i.number for i in invs}
    for inv in book.invoices.values():
        if is_charge(inv) and inv.client == activity.client:
            for c in inv.charges:
                if c.kind == "fee" and c.step == step.id and (covered & set(c.invoices) or not covered and not c.invoices):
                    return None
    amount = round_money(step.fee, currency)
    charge = Charge("fee", amount, invs[0].number if invs else "", step=step.id, invoices=tuple(sorted(covered)))
    return charge_document(activity.client, activity.date, currency, [charge], policy)


# ---------------------------------------------------------------------------------------
# validation


def check_charge_document(inv: Invoice) -> list[Problem]:
    """A charge document on its own: its kind, lines and total."""
    where = f"invoice {inv.number!r}"
    out: list[Problem] = []
    if inv.kind != "charge":
        return [Problem(f"unknown kind {inv.kind!r}" if inv.kind else "has charges but is not of kind 'charge'", where)]
    if not inv.charges:
        return [Problem("a charge document needs at least one charge", where)]
    for k, c in enumerate(inv.charges, 1):
        w = f"{where} charge {k}"
        if c.kind not in CHARGE_KINDS:
            out.append(Problem(f"unknown charge kind {c.kind!r}", w, f"one of {', '.join(CHARGE_KINDS)}"))
        if c.amount <= 0:
            out.append(Problem(f"amount {c.amount} is not positive", w))
        if c.kind in ("interest", "compensation") and not c.invoice:
            out.append(Problem("names no invoice", w))
        if c.kind == "interest":
            out += _check_interest(c, inv.currency, w)
        if c.kind == "fee" and not c.step:
            out.append(Problem("a fee names no ladder step", w))
    if inv.currency in MINOR_UNITS and sum((c.amount for c in inv.charges), ZERO) != inv.amount:
        out.append(Problem(f"the charges do not add up to the amount {inv.amount}", where))
    return out


def _check_interest(c: Charge, currency: str, w: str) -> list[Problem]:
    """An interest line's period and its working (its segments) hold together, and its amount
    is what they give (receivables.interest.segments_interest): an imported file, or a hand
    edit, could claim any figure for any days."""
    if c.start is None or c.end is None or c.end < c.start:
        return [Problem("needs a period (start on or before end)", w)]
    if not c.segments:
        return []
    if c.segments[0].start != c.start or c.segments[-1].end != c.end:
        return [Problem("its segments do not span its period", w)]
    for a, b in zip(c.segments, c.segments[1:]):
        if b.start <= a.end:
            return [Problem(f"its segments overlap or are out of order ({a.end} and {b.start})", w)]
    for g in c.segments:
        if g.end < g.start or g.basis <= 0 or g.rate < 0:
            return [Problem(f"a segment ({g.start} to {g.end}) has no days, no basis or a rate below 0", w)]
    if currency in MINOR_UNITS and (worked := segments_interest(c.segments, currency)) != c.amount:
        return [Problem(f"its amount {c.amount} is not what its segments give ({worked}: basis x rate/100 x days"
                        f" / 365)", w, "import it as dun claim wrote it, or claim again with 'dun claim'")]
    return []


def check_claims(book: Book) -> list[Problem]:
    """Charge documents against the book: each names an invoice of the same client and
    currency that is not itself a charge; no day of interest and no compensation is
    claimed twice on one invoice."""
    out: list[Problem] = []
    periods: dict[str, list[tuple[date, date, str]]] = {}
    comp: dict[str, str] = {}
    for doc in book.invoices.values():
        if not is_charge(doc):
            continue
        for c in doc.charges:
            if c.kind == "fee" or not c.invoice:
                continue
            where = f"invoice {doc.number!r} ({c.kind} on {c.invoice})"
            inv = book.invoices.get(c.invoice)
            if inv is None:
                if not book.partial:
                    out.append(Problem(f"charges for unknown invoice {c.invoice!r}", where))
                continue
            if inv.client != doc.client or inv.currency != doc.currency or is_charge(inv):
                out.append(Problem(f"charges for {c.invoice!r} of another client or currency, or a charge document", where))
            if c.kind == "compensation":
                if c.invoice in comp:
                    out.append(Problem(f"compensation on {c.invoice} is already claimed by {comp[c.invoice]}", where))
                comp[c.invoice] = doc.number
            elif c.start is not None and c.end is not None:
                # Late Payment of Commercial Debts (Interest) Act 1998 s.4(2): "Statutory interest
                # starts to run on the day after the relevant day for the debt" (the agreed
                # payment day, s.4(2A)(a): the due date). A claim has no day on or before it, and
                # none after the document's own date (interest not yet accrued).
                if c.start <= inv.due or c.end > doc.issued:
                    out.append(Problem(f"claims interest from {c.start} to {c.end}: it runs from the day after the "
                                       f"due date {inv.due} up to the document's date {doc.issued}", where))
                if any(g.basis > inv.amount for g in c.segments):
                    out.append(Problem(f"claims interest on more than {c.invoice}'s amount {inv.amount}", where))
                for a, b, other in periods.get(c.invoice, ()):
                    if c.start <= b and a <= c.end:
                        out.append(Problem(f"claims interest on {c.invoice} for days {other} already claims "
                                           f"({max(a, c.start)} to {min(b, c.end)})", where))
                periods.setdefault(c.invoice, []).append((c.start, c.end, doc.number))
    return out
