"""Xero as a sync: each export of Sales > Invoices brings the book in step with Xero.

Pure: :func:`import_xero` takes the file, the book, the policy's defaults, today and the
date payments are dated, and returns a :class:`XeroSync`: the new records and the updates
to commit in one all-or-nothing write, and what happened to each invoice.

One row per line item; the rows of one document (invoice or credit note) share its number.
Required columns (a leading ``*`` is ignored): ContactName, InvoiceNumber, InvoiceDate,
DueDate, Total, InvoiceAmountPaid, InvoiceAmountDue, Description, Quantity, UnitAmount.
Used when present: the others in ``XERO_OPTIONAL``.

For each document, against the book:

- **Status** (CSV labels and API names): Draft, Awaiting Approval / SUBMITTED are never
  imported (nor chased); Voided / Deleted are not imported, and an invoice already in the
  book that is now voided or deleted gets an *adjustment* for what is still owed (reason
  "Voided in Xero") and its open disputes resolved and payment plans cancelled.
- **New invoice**: imported with its client (found by name, else created). What Xero shows
  as paid becomes a payment dated the *sync date* (``--paid-on``, else the export's date if
  the file carries one — an ``ExportDate`` column or a ``YYYY-MM-DD`` date in the file name —,
  else today; ``FullyPaidOnDate`` when the export has it), never the invoice date; a part
  neither paid nor due becomes a credit note.
- **Known invoice**: a paid amount that grew (Xero's paid less what the book has allocated to
  the invoice) becomes a payment for the difference, referenced to the import; a credited
  amount that grew becomes a credit note; a changed total, tax, lines, reference or dates is
  applied and reported.
- **Credit notes** (``Type`` ACCRECCREDIT / "Credit Note" / "Sales credit note"): each becomes
  credit for its client ("Xero credit note CN-..."), allocated to the invoices whose credited
  amount grew (the one its Reference names first); what no invoice takes stays client credit.
- **Tax**: ``TaxTotal``, else the sum of ``TaxAmount``, else the Total less the lines. Lines
  are tax-exclusive or tax-inclusive (``LineAmountTypes`` Exclusive/Inclusive/NoTax, else
  whichever makes lines and tax add up to the Total); inclusive lines are stored net of
  their tax. Lines and tax that cannot make the Total are an error naming the row.

Importing the same file twice changes nothing.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from .csvread import Rows, read_table
from .errors import DunError
from .model import Adjustment, Allocation, Book, Client, Contact, Invoice, Payment, SyncMark
from .money import ZERO
from .policy import Defaults
from .slugs import slugify
from .xerodocs import XERO_OPTIONAL, XERO_REQUIRED, XeroDoc, export_date, parse_doc

XERO_METHOD = "xero"
NOT_CHASED = {"DRAFT": "a draft", "SUBMITTED": "awaiting approval", "VOIDED": "voided", "DELETED": "deleted"}
VOID_REASON = "Voided in Xero"
CN_REASON = "Xero credit note"
IN_XERO = "correct it in Xero, then export again"  # the hint for a record the store would refuse


@dataclass(slots=True)
class XeroSync:
    source: str
    records: list = field(default_factory=list)  # new, in commit order
    updates: list = field(default_factory=list)  # replacing records in the book
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    paid: list[str] = field(default_factory=list)
    voided: list[str] = field(default_factory=list)
    credited: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # with reasons
    unchanged: int = 0
    paid_on: date | None = None
    paid_on_why: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.added or self.updated or self.paid or self.voided or self.credited)

    def lines(self) -> list[str]:
        out = [f"{self.source}: {len(self.added)} added, {len(self.updated)} updated, {len(self.paid)} paid, "
               f"{len(self.voided)} voided, {len(self.credited)} credited, {len(self.skipped)} skipped, "
               f"{self.unchanged} unchanged"]
        for label, items in (("added", self.added), ("updated", self.updated), ("paid", self.paid),
                             ("voided", self.voided), ("credited", self.credited), ("skipped", self.skipped)):
            out += [f"  {label}: {x}" for x in items]
        if self.paid and self.paid_on is not None:
            out.append(f"  payments are dated {self.paid_on} ({self.paid_on_why}): Xero's export carries no "
                       "payment dates; use --paid-on DATE to choose another")
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())


class _Settled:
    """What the book has settled on each invoice, and the Xero credit notes it holds."""

    def __init__(self, book: Book) -> None:
        self.paid: dict[str, Decimal] = defaultdict(Decimal)
        self.credited: dict[str, Decimal] = defaultdict(Decimal)
        self.cn_total: dict[str, Decimal] = defaultdict(Decimal)  # credit note number -> credit recorded
        self.cn_free: dict[str, Decimal] = defaultdict(Decimal)  # ... of which not on an invoice
        self.voided: set[str] = set()
        for p in book.payments:
            for a in p.allocations:
                self.paid[a.invoice] += a.amount
        for a in book.adjustments:
            if a.invoice:
                self.credited[a.invoice] += a.amount
                if a.reason.startswith(VOID_REASON):
                    self.voided.add(a.invoice)
            cn = _cn_of(a.reason)
            if cn:
                self.cn_total[cn] += a.amount
                if not a.invoice:
                    self.cn_free[cn] += a.amount

    def outstanding(self, inv: Invoice) -> Decimal:
        return inv.amount - self.paid[inv.number] - self.credited[inv.number]


def _cn_of(reason: str) -> str:
    if not reason.startswith(CN_REASON + " "):
        return ""
    return reason[len(CN_REASON) + 1:].split(" ", 1)[0]


def import_xero(data: bytes | str, book: Book, defaults: Defaults | None = None, source: str = "xero.csv",
                today: date | None = None, paid_on: date | None = None) -> XeroSync:
    defaults = defaults or Defaults()
    today = today or date.today()
    table = read_table(data, source, XERO_REQUIRED, XERO_OPTIONAL, extra_ok=True, star=True)
    rows = Rows(source)
    cols = set(table.header)
    out = XeroSync(source)
    as_of = rows.run(1, export_date, table.rows, source)
    if paid_on is not None:
        out.paid_on, out.paid_on_why = paid_on, "--paid-on"
    elif as_of is not None:
        out.paid_on, out.paid_on_why = as_of, "the export's date"
    else:
        out.paid_on, out.paid_on_why = today, "today, the export carries no date"

    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for n, r in table.rows:
        number = r["InvoiceNumber"].strip()
        if not number:
            rows.add(n, "the invoice number is empty", "every row needs its InvoiceNumber", "InvoiceNumber")
            continue
        groups.setdefault(number, []).append((n, r))
    rows.check()

    docs: list[XeroDoc] = []
    for number, items in groups.items():
        d = parse_doc(rows, number, items, cols, defaults)
        if d is not None:
            docs.append(d)
    rows.check()

    sync = _Sync(book, out, rows, source, today)
    for d in docs:  # credit notes first: the invoices they are allocated to take from them
        if d.credit:
            sync.credit_note(d)
    for d in docs:
        if not d.credit:
            sync.invoice(d)
    sync.finish()
    rows.check()
    old = next((s for s in book.syncs if s.id == "xero"), None)
    if old is not None and old.as_of and as_of and as_of < old.as_of:
        raise DunError(f"is an export of {as_of}, older than the last one imported ({old.source}, {old.as_of})",
                       source, "import the latest export: an older one would undo what has changed since")
    mark = SyncMark("xero", today, source, as_of)
    if old != mark:
        (out.updates if old else out.records).append(mark)
    return out


class _Sync:
    """The decisions for each document, against the book plus what this file added before it."""

    def __init__(self, book: Book, out: XeroSync, rows: Rows, source: str, today: date) -> None:
        self.book, self.out, self.rows, self.source, self.today = book, out, rows, source, today
        self.settled = _Settled(book)
        self.by_name: dict[str, list[Client]] = defaultdict(list)
        for c in book.clients.values():
            self.by_name[c.name.strip().casefold()].append(c)
        self.new_clients: dict[str, Client] = {}
        self.taken = set(book.clients)
        # client -> [[credit note, credit still to record, client credit recorded before, reference, date]]
        self.pending_cn: dict[str, list[list]] = defaultdict(list)

    # -- helpers
    def client_for(self, d: XeroDoc, create: bool) -> Client | None:
        key = d.name.casefold()
        matches = self.by_name.get(key, [])
        if len(matches) > 1:
            self.rows.add(d.row, f"{len(matches)} clients are called {d.name!r}: {', '.join(c.id for c in matches)}",
                          "rename one of them in the book", "ContactName")
            return None
        if matches:
            return matches[0]
        if key in self.new_clients:
            return self.new_clients[key]
        if not create:
            return None
        cid = slugify(d.name, self.taken)
        self.taken.add(cid)
        c = Client(id=cid, name=d.name, currency=d.currency, terms_days=min((d.due - d.issued).days, 3650),
                   contacts=(Contact(email=d.email),) if d.email else (), address=d.address)
        if not self.rows.shape(d.row, c, IN_XERO):
            return None
        self.new_clients[key] = c
        self.out.records.append(c)
        return c

    def when(self, d: XeroDoc) -> date:
        on = d.fully_paid_on if d.fully_paid_on and d.owed == 0 else self.out.paid_on
        return max(on, d.issued)

    def ref(self) -> str:
        return f"Xero import {self.source}"

    # -- credit notes
    def credit_note(self, d: XeroDoc) -> None:
        skip = self.out.skipped
        if d.status in NOT_CHASED:
            already = self.settled.cn_total.get(d.number, ZERO)
            if already and d.status in ("VOIDED", "DELETED"):
                skip.append(f"credit note {d.number} is {NOT_CHASED[d.status]} in Xero but its {already} {d.currency} "
                            "is in the book: reverse it by hand if it no longer stands")
            else:
                skip.append(f"credit note {d.number} is {NOT_CHASED[d.status]} in Xero: not imported")
            return
        client = self.client_for(d, create=True)
        if client is None:
            return
        if client.currency != d.currency:
            skip.append(f"credit note {d.number} is in {d.currency}, {client.id} in {client.currency}: not imported")
            return
        left = d.total - self.settled.cn_total.get(d.number, ZERO)
        free = self.settled.cn_free.get(d.number, ZERO)  # recorded before as client credit: may move to an invoice
        if left <= 0 and free <= 0:
            self.out.unchanged += 1
            return
        self.pending_cn[client.id].append([d.number, max(left, ZERO), free, d.reference, d.issued])

    def take_credit(self, client: str, inv: Invoice, amount: Decimal, on: date) -> Decimal:
        """Allocate ``amount`` of credit on ``inv`` from the client's credit notes (the ones whose
        reference names the invoice first); the amount no credit note covered."""
        notes = sorted(self.pending_cn.get(client, ()), key=lambda p: inv.number not in _tokens(p[3]))
        for p in notes:
            if amount <= 0:
                break
            number, left, free, _, issued = p
            take = min(amount, left + free)
            if take <= 0:
                continue
            moved = min(take, free)
            if moved:  # client credit recorded earlier now goes to this invoice
                self.out.records.append(Adjustment("", "adjustment", max(on, issued), client, -moved, inv.currency,
                                                   None, f"{CN_REASON} {number} allocated to {inv.number} in Xero"))
                p[2] -= moved
            p[1] -= take - moved
            self.out.records.append(Adjustment("", "credit_note", max(issued, inv.issued), client, take, inv.currency,
                                               inv.number, f"{CN_REASON} {number} ({self.source})"))
            self.out.credited.append(f"{inv.number}: {take} {inv.currency} from credit note {number}")
            amount -= take
        return amount

    def finish(self) -> None:
        for client, notes in self.pending_cn.items():
            for number, left, _free, _ref, issued in notes:
                if left > 0:
                    c = self.book.clients.get(client) or next(x for x in self.new_clients.values() if x.id == client)
                    self.out.records.append(Adjustment("", "credit_note", issued, client, left, c.currency, None,
                                                       f"{CN_REASON} {number} ({self.source}): not allocated"))
                    self.out.credited.append(f"{client}: {left} {c.currency} credit from credit note {number}")

    # -- invoices
    def invoice(self, d: XeroDoc) -> None:
        old = self.book.invoices.get(d.number)
        if d.status in NOT_CHASED:
            self.not_chased(d, old)
            return
        if old is None:
            self.new_invoice(d)
        else:
            self.known_invoice(d, old)

    def not_chased(self, d: XeroDoc, old: Invoice | None) -> None:
        what = NOT_CHASED[d.status]
        if old is None:
            self.out.skipped.append(f"{d.number} is {what} in Xero: not imported")
            return
        if d.status in ("DRAFT", "SUBMITTED"):
            self.out.skipped.append(f"{d.number} is {what} in Xero again: left as it is in the book")
            return
        owed = self.settled.outstanding(old)
        if owed <= 0:
            paid = self.settled.paid[old.number]
            if paid > 0 and old.number not in self.settled.voided:
                # money the book holds on an invoice Xero says never stood: it is not moved or
                # undone by a guess, nor passed over in silence
                self.out.skipped.append(f"{d.number} is {what} in Xero but {paid} {old.currency} is paid on it in "
                                        "the book: left as it is (move the payment with 'dun void' and 'dun pay', "
                                        "or correct Xero)")
            else:
                self.out.unchanged += 1
            return
        # dated the invoice's own date: a voided invoice never stood, so it was never late
        self.out.records.append(Adjustment("", "adjustment", old.issued, old.client, owed,
                                           old.currency, old.number, f"{VOID_REASON} ({self.source})"))
        for x in self.book.disputes:
            if x.invoice == old.number and x.resolved is None:
                self.out.updates.append(replace(x, resolved=max(self.today, x.opened), resolution=f"{VOID_REASON}"))
        for p in self.book.plans:
            if old.number in p.invoices and p.cancelled is None:
                self.out.updates.append(replace(p, cancelled=max(self.today, p.created)))
        self.out.voided.append(f"{d.number}: {owed} {old.currency} still owed written back ({what} in Xero)")

    def new_invoice(self, d: XeroDoc) -> None:
        if not d.total:
            self.out.skipped.append(f"{d.number} has a zero total in Xero: not imported")
            return
        client = self.client_for(d, create=True)
        if client is None:
            return
        inv = Invoice(d.number, client.id, d.issued, d.due, d.currency, d.total, d.tax, d.lines, d.reference)
        if not self.rows.shape(d.row, inv, IN_XERO):
            return
        self.out.records.append(inv)
        self.out.added.append(f"{d.number} for {client.id}: {d.total} {d.currency}, due {d.due}")
        rest = self.take_credit(client.id, inv, d.credited, d.issued)
        if rest > 0:
            self.out.records.append(Adjustment("", "credit_note", d.issued, client.id, rest, d.currency, d.number,
                                               f"Credited in Xero ({self.source})"))
            self.out.credited.append(f"{d.number}: {rest} {d.currency}")
        if d.paid > 0:
            self.pay(inv, d, d.paid)

    def pay(self, inv: Invoice, d: XeroDoc, amount: Decimal) -> None:
        on = self.when(d)
        self.out.records.append(Payment("", on, inv.client, amount, inv.currency, XERO_METHOD,
                                        f"{inv.number} paid in Xero ({self.ref()})", (Allocation(inv.number, amount),)))
        self.out.paid.append(f"{inv.number}: {amount} {inv.currency} on {on}")

    def known_invoice(self, d: XeroDoc, old: Invoice) -> None:
        client = self.client_for(d, create=False)
        if client is None or client.id != old.client:
            self.out.skipped.append(f"{d.number} belongs to {d.name!r} in Xero but to {old.client} in the book: "
                                    "not changed")
            return
        if d.currency != old.currency:
            self.out.skipped.append(f"{d.number} is in {d.currency} in Xero but {old.currency} in the book: not changed")
            return
        if d.number in self.settled.voided:
            self.out.skipped.append(f"{d.number} was voided in the book but stands in Xero: check it by hand")
            return
        new = replace(old, issued=d.issued, due=d.due, amount=d.total, tax=d.tax, lines=d.lines or old.lines,
                      reference=d.reference)
        settled = self.settled.paid[d.number] + self.settled.credited[d.number]
        changed = [f for f in ("amount", "due", "issued", "tax", "lines", "reference") if getattr(new, f) != getattr(old, f)]
        if changed and new.amount < settled:
            self.out.skipped.append(f"{d.number}: Xero's total {new.amount} is less than the {settled} {old.currency} "
                                    "already settled in the book: not changed")
            return
        if changed:
            self.out.updates.append(new)
            said = [f"total {old.amount} -> {new.amount}" if "amount" in changed else "",
                    f"due {old.due} -> {new.due}" if "due" in changed else "",
                    f"issued {old.issued} -> {new.issued}" if "issued" in changed else "",
                    ", ".join(f for f in changed if f in ("tax", "lines", "reference"))]
            self.out.updated.append(f"{d.number}: " + ", ".join(s for s in said if s))
        owed = new.amount - settled
        credit_more = d.credited - self.settled.credited[d.number]
        if credit_more > 0:
            credit_more = min(credit_more, owed)
            rest = self.take_credit(old.client, new, credit_more, d.issued)
            if rest > 0:
                self.out.records.append(Adjustment("", "credit_note", max(self.out.paid_on, d.issued), old.client, rest,
                                                   d.currency, d.number, f"Credited in Xero ({self.source})"))
                self.out.credited.append(f"{d.number}: {rest} {d.currency}")
            owed -= credit_more
        book_paid = self.settled.paid[d.number]
        pay_more = min(d.paid - book_paid, owed)
        if pay_more > 0:
            self.pay(new, d, pay_more)
        elif d.paid < book_paid:
            # a payment reversed or deleted in Xero (or one Xero has not seen yet, from the bank):
            # never undone by a guess, never passed over in silence
            self.out.skipped.append(f"{d.number}: Xero shows {d.paid} {d.currency} paid, the book {book_paid}: "
                                    "left as it is (a payment reversed in Xero: void it with 'dun void'; "
                                    "one Xero has not recorded yet: nothing to do)")
            return
        if not changed and credit_more <= 0 and pay_more <= 0:
            self.out.unchanged += 1


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9][A-Za-z0-9._/-]*", text or ""))


__all__ = ["XeroSync", "import_xero", "export_date", "NOT_CHASED", "XERO_METHOD"]
