"""CSV imports: native clients / invoices / payments files and Xero's sales-invoice export.

Pure functions: each takes the file's bytes (or text), the current :class:`Book` and the
policy's :class:`Defaults`, and returns an :class:`ImportResult` holding the new records
in the order they must be committed (clients, invoices, then payments and credits). The
caller commits them in one all-or-nothing write (``repo.commit``).

Rules, the same for every format:

- **All or nothing.** Any bad row rejects the whole file with :class:`ImportRejected`
  (a :class:`DunError`: one line naming the file, the row and what is wrong); nothing is
  returned to commit. Rows are counted the way a spreadsheet shows them: the header is
  row 1, the first record row 2.
- **Idempotent.** A record identical to one already in the book is skipped, so importing
  the same file twice changes nothing. A client or invoice with the same id / number but
  different content is an error naming the row and the fields that differ. A payment is
  "the same" when date, client, amount, currency and reference match an existing one
  (each existing payment matches at most one row).
- **Round trip.** A cell our exports prefixed with ``'`` (so a spreadsheet does not run
  it: ``'+44 ...``, ``'=...``) loses that apostrophe again.
- **Strict.** The file must be UTF-8 (a byte-order mark is fine). The header must hold
  exactly the documented columns, in any order, names matched ignoring case (Xero
  files may hold extra columns; a missing required one is an error). Amounts go through :func:`~receivables.money.parse_amount` (no signs,
  exponents, grouping, symbols, ``NaN`` or extra decimals), dates through
  :func:`~receivables.dates.parse_date` (``YYYY-MM-DD``; Xero: ``DD/MM/YYYY``),
  currencies through :func:`~receivables.money.check_currency`.

Native columns::

    clients.csv   id,name,email,phone,terms_days,credit_limit,currency
    invoices.csv  number,client,issued,due,amount,currency,reference[,kind,charges,note]
    payments.csv  date,client,amount,currency,reference,invoice

Empty ``terms_days`` / ``currency`` take the policy defaults (an invoice or payment's
empty currency: the client's); empty ``credit_limit`` means no limit; empty ``id`` is
made from the name (``Acme Supplies Ltd`` -> ``acme-supplies``). Empty ``due`` is the
issue date plus the client's terms. A payment's ``invoice`` may name one invoice or
several separated by ``;``: the money goes to them in that order. An empty ``invoice``
allocates to the client's oldest due invoices first (undisputed before disputed, issued
on or before the payment date) over the book *and the earlier rows of the same file*.
Whatever is left is kept as client credit, with a warning. An invoice row with ``kind``
``charge`` is a charge document, its ``charges`` as :mod:`receivables.chargecsv` reads them,
checked as a posted one (its lines and total; no day of interest and no compensation
claimed twice over the book and the file); a row numbered in the charge series that is not
one is refused (it would claim them again).

Xero exports are a sync of their own: see :mod:`receivables.xero`.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Iterable

from .chargecsv import charge_parts
from .claims import check_charge_document, check_claims
from .csvread import ID_RE, ImportRejected, Rows, check_one_line, decode, parse_currency, parse_terms, read_table
from .dates import parse_date, window_problem
from .errors import DunError
from .model import (Activity, Adjustment, Book, Client, Contact, Dispute, Invoice, PayerAlias, Payment, PaymentPlan,
                    PromiseToPay, Receipt, SyncMark, is_email)
from .money import MINOR_UNITS, parse_amount
from .payscopes import ClientScopes
from .policy import Defaults
from .slugs import slugify
from .validate import BEFORE_ISSUE_HINT, before_issue
from .xerodocs import XERO_OPTIONAL, XERO_REQUIRED

CLIENT_COLUMNS = ("id", "name", "email", "phone", "terms_days", "credit_limit", "currency")
CLIENT_OPTIONAL = ("contact",)  # the person the messages greet ("Dear Jane Doe"; without one, "Hello")
INVOICE_COLUMNS = ("number", "client", "issued", "due", "amount", "currency", "reference")
# a charge document (dun claim, a step's fee): kind "charge", its lines (receivables.chargecsv), its legal basis
INVOICE_OPTIONAL = ("kind", "charges", "note")
PAYMENT_COLUMNS = ("date", "client", "amount", "currency", "reference", "invoice")
KINDS = ("clients", "invoices", "payments", "xero")
_LISTS = {Payment: "payments", Adjustment: "adjustments", Activity: "activities", PromiseToPay: "promises",
          PaymentPlan: "plans", Dispute: "disputes", Receipt: "receipts", PayerAlias: "aliases", SyncMark: "syncs"}


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: str
    source: str
    records: tuple = ()  # to commit, in order
    skipped: int = 0  # records already in the book
    warnings: tuple[str, ...] = ()
    skipped_rows: tuple[str, ...] = field(default=())  # rows left out on purpose (Xero drafts ...)

    def counts(self) -> dict[str, int]:
        names = {Client: "clients", Invoice: "invoices", Payment: "payments", Adjustment: "credit notes"}
        out: Counter = Counter(names.get(type(r), type(r).__name__) for r in self.records)
        return dict(out)

    def summary(self) -> str:
        parts = [f"{n} {k if n != 1 else k[:-1]}" for k, n in self.counts().items()]  # "1 client", "2 clients"
        added = ", ".join(parts) if parts else "nothing new"
        return f"{self.source}: added {added}; {self.skipped} already in the book"

def _against_book(rows, n: int, what: str, old, record, diff, hint: str) -> str:
    """Is a row's record "new", the "same" as the one in the book (skipped: imports are
    idempotent), or in "conflict" with it (the row's error is added)?"""
    if old is None:
        return "new"
    changed = diff(old, record)
    if changed:
        rows.add(n, f"{what} is already in the book with a different {', '.join(changed)}", hint)
        return "conflict"
    return "same"


# -- clients ---------------------------------------------------------------------------------------

def _client_hint(typed: str, book: Book) -> str:
    """What to do about a row's unknown client: the column wants the id; a name, or part of
    one, that finds clients names them ('Acme Trading Ltd' -> did you mean 'acme-trading'?)."""
    from .slugs import match_clients

    found = match_clients(typed, book.clients) if typed.strip() else []
    if found:
        return ("the column holds the client's id: did you mean " + " or ".join(repr(c) for c in found[:3])
                + ("" if len(found) <= 3 else f" (or {len(found) - 3} more)") + "?")
    return "import the clients first, or check the client id"


def _client_key(c: Client) -> tuple:
    return (c.name, c.email, c.phone, c.terms_days, c.credit_limit, c.currency)


def contact_name(c: Client) -> str:
    """The name of the client's first contact (whom the messages greet), or ""."""
    return c.contacts[0].name if c.contacts else ""


def _client_diff(old: Client, new: Client) -> list[str]:
    names = ("name", "email", "phone", "terms_days", "credit_limit", "currency")
    out = [n for n, a, b in zip(names, _client_key(old), _client_key(new)) if a != b]
    if contact_name(new) and contact_name(new) != contact_name(old):  # (a file without one leaves it be)
        out.append("contact")
    return out


def import_clients(data: bytes | str, book: Book, defaults: Defaults | None = None,
                   source: str = "clients.csv") -> ImportResult:
    defaults = defaults or Defaults()
    table = read_table(data, source, CLIENT_COLUMNS, CLIENT_OPTIONAL)
    rows = Rows(source)
    new: list[Client] = []
    first_row: dict[str, int] = {}
    skipped = 0
    for n, r in table.rows:
        name = r["name"]
        if not name.strip():
            rows.add(n, "the name is empty", "every client needs a name", "name")
            continue
        cid = r["id"].strip()
        if not cid:  # from the name; the same name finds the same client again (idempotent)
            base = slugify(name, set(first_row))
            cid, k = base, 2
            while cid in book.clients and book.clients[cid].name != name:
                cid, k = f"{base}-{k}", k + 1
        elif not ID_RE.fullmatch(cid):
            rows.add(n, f"{cid!r} is not a client id", "use 1-64 letters, digits, '.', '_' or '-', e.g. acme-supplies", "id")
            continue
        email = r["email"].strip()
        if email and not is_email(email):
            rows.add(n, f"{email!r} is not an e-mail address", "e.g. accounts@acme.example, or leave it empty", "email")
            continue
        phone = r["phone"].strip()
        if rows.run(n, check_one_line, phone, "phone", "phone number") is None:
            continue
        terms = rows.run(n, parse_terms, r["terms_days"], "terms_days") if r["terms_days"].strip() else defaults.terms_days
        currency = rows.run(n, parse_currency, r["currency"], "currency", defaults.currency)
        if terms is None or currency is None:
            continue
        limit = None
        if r["credit_limit"].strip():
            limit = rows.run(n, parse_amount, r["credit_limit"], currency, "credit_limit", allow_zero=True)
            if limit is None:
                continue
        contact = r.get("contact", "").strip()
        if rows.run(n, check_one_line, contact, "contact", "contact name") is None:
            continue
        contacts = (Contact(name=contact, email=email, phone=phone),) if email or phone or contact else ()
        c = Client(id=cid, name=name, currency=currency, terms_days=terms, contacts=contacts, credit_limit=limit)
        if not rows.shape(n, c):
            continue
        if cid in first_row:
            rows.add(n, f"the client id {cid!r} is already on row {first_row[cid]}", "each client once per file", "id")
            continue
        first_row[cid] = n
        state = _against_book(rows, n, f"client {cid!r}", book.clients.get(cid), c, _client_diff,
                              "change it in the book, or give this row another id")
        if state == "same":
            skipped += 1
        elif state == "new":
            new.append(c)
    rows.check()
    return ImportResult("clients", source, tuple(new), skipped)

# -- invoices --------------------------------------------------------------------------------------

# what a row of the file says about an invoice: a row is compared with the book on these only
# (the file has no tax or lines, so an invoice entered with them, in the app or from Xero, and
# exported, imports back as the same invoice)
_INVOICE_FIELDS = ("client", "issued", "due", "currency", "amount", "reference")


def _invoice_diff(old: Invoice, new: Invoice) -> list[str]:
    # (a row with no kind for a charge document the book holds: a file from before the kind
    # column, the same document)
    fields = _INVOICE_FIELDS + (INVOICE_OPTIONAL if new.kind else ())
    return [f for f in fields if getattr(old, f) != getattr(new, f)]


def import_invoices(data: bytes | str, book: Book, defaults: Defaults | None = None,
                    source: str = "invoices.csv", charge_prefix: str = "CHG-", on: date | None = None) -> ImportResult:
    """``charge_prefix``: the policy's charge-document series (``[interest] claim_prefix``);
    ``on``: today (a row issued after it is refused: it would be hidden until that day)."""
    table = read_table(data, source, INVOICE_COLUMNS, INVOICE_OPTIONAL)
    rows = Rows(source)
    new: list[Invoice] = []
    first_row: dict[str, int] = {}
    skipped = 0
    # numbers that differ only in case are one invoice typed two ways (a bank reference, the
    # matcher and the owner read them alike): never a second invoice
    folded = {k.casefold(): k for k in book.invoices}
    for n, r in table.rows:
        number = r["number"].strip()
        if not number:
            rows.add(n, "the invoice number is empty", "every invoice needs its number", "number")
            continue
        if rows.run(n, check_one_line, number, "number", "invoice number") is None:
            continue
        cid = r["client"].strip()
        client = book.clients.get(cid)
        if client is None:
            rows.add(n, f"unknown client {cid!r}" if cid else "the client is empty", _client_hint(cid, book), "client")
            continue
        currency = rows.run(n, parse_currency, r["currency"], "currency", client.currency)
        issued = rows.run(n, parse_date, r["issued"], "issued")
        if currency is None or issued is None:
            continue
        if on is not None and issued > on:
            rows.add(n, f"issued {issued}, after today ({on}): it would be hidden until that day",
                     "check the year, or import the row on the day it is issued", "issued")
            continue
        if r["due"].strip():
            due = rows.run(n, parse_date, r["due"], "due")
            if due is None:
                continue
            if due < issued:
                rows.add(n, f"due date {due} is before the issue date {issued}", "check both dates", "due")
                continue
        else:
            due = issued + timedelta(days=client.terms_days)
            late = window_problem(due)
            if late is not None:  # (the dry run said "added"; only the commit refused it, naming no row)
                rows.add(n, f"its due date, {client.terms_days} days after the issue date, {late}",
                         "give a due date, or check the issue date", "due")
                continue
        amount = rows.run(n, parse_amount, r["amount"], currency, "amount")
        parts = charge_parts(rows, n, r, number, currency, book, charge_prefix)
        if amount is None or parts is None:
            continue
        inv = Invoice(number=number, client=cid, issued=issued, due=due, currency=currency, amount=amount,
                      reference=r["reference"], kind=parts[0], charges=parts[1], note=parts[2])
        if not rows.shape(n, inv):
            continue
        if inv.kind:
            found = check_charge_document(inv)
            for p in found:
                rows.add(n, p.message, p.hint or "correct it in the file", "charges")
            if found:
                continue
        if number in first_row:
            rows.add(n, f"duplicate invoice number {number!r} (also on row {first_row[number]})",
                     "every invoice number must be unique", "number")
            continue
        first_row[number] = n
        same = folded.get(number.casefold())
        if same is not None and same != number:
            rows.add(n, f"invoice {number!r} differs from {same!r} in the book only in case",
                     f"use the number as the book has it ({same})", "number")
            continue
        folded.setdefault(number.casefold(), number)
        state = _against_book(rows, n, f"invoice {number!r}", book.invoices.get(number), inv, _invoice_diff,
                              "invoice numbers are unique: check the number")
        if state == "same":
            skipped += 1
        elif state == "new":
            new.append(inv)
    docs = [i for i in new if i.kind]
    if docs and not rows.problems:  # (against the book and the file: nothing claimed twice, no unknown invoice)
        merged = replace(book, invoices={**book.invoices, **{i.number: i for i in new}})
        for p in check_claims(merged):
            for d in docs:
                if p.where.startswith(f"invoice {d.number!r}"):
                    rows.add(first_row[d.number], p.message, "correct it in the file, or leave the row out", "charges")
    rows.check()
    return ImportResult("invoices", source, tuple(new), skipped)


# -- payments --------------------------------------------------------------------------------------

def payment_key(p: Payment) -> tuple:
    """What makes two payments "the same" for an import."""
    return (p.date, p.client, p.amount, p.currency, p.reference)


def import_payments(data: bytes | str, book: Book, defaults: Defaults | None = None,
                    source: str = "payments.csv", on: date | None = None) -> ImportResult:
    """``on``: today (a row dated after it is refused: money not received yet counts nowhere)."""
    table = read_table(data, source, PAYMENT_COLUMNS)
    rows = Rows(source)
    # a voided payment counts too: importing its file again must not record it again
    existing: dict[tuple, list[Payment]] = defaultdict(list)
    for p in (*book.payments, *(v for v in book.voided if isinstance(v, Payment))):
        existing[payment_key(p)].append(p)
    scopes = ClientScopes(book)
    new: list[Payment] = []
    warnings: list[str] = []
    skipped = 0
    for n, r in table.rows:
        cid = r["client"].strip()
        client = book.clients.get(cid)
        if client is None:
            rows.add(n, f"unknown client {cid!r}" if cid else "the client is empty", _client_hint(cid, book), "client")
            continue
        currency = rows.run(n, parse_currency, r["currency"], "currency", client.currency)
        when = rows.run(n, parse_date, r["date"], "date")
        if currency is None or when is None:
            continue
        if on is not None and when > on:
            rows.add(n, f"dated {when}, after today ({on}): money not received yet counts nowhere",
                     "check the year, or import the row on or after that day", "date")
            continue
        amount = rows.run(n, parse_amount, r["amount"], currency, "amount")
        if amount is None:
            continue
        reference = r["reference"]
        named = [x.strip() for x in r["invoice"].split(";") if x.strip()]
        bad = False
        for num in named:
            inv = book.invoices.get(num)
            if inv is None or inv.client != cid:
                rows.add(n, f"no invoice {num!r} for client {cid!r}", "check the invoice number, or leave it empty", "invoice")
                bad = True
            elif inv.currency != currency:
                rows.add(n, f"invoice {num!r} is in {inv.currency}, the payment in {currency}", "", "invoice")
                bad = True
            elif inv.issued > when:
                rows.add(n, before_issue(when, inv), BEFORE_ISSUE_HINT, "date")
                bad = True
        if bad:
            continue
        if not named and currency != client.currency and currency not in scopes.currencies(cid):
            rows.add(n, f"{cid} is billed in {client.currency}, not {currency}",
                     "check the currency column (a client billed in two currencies has invoices in each)", "currency")
            continue
        if len(set(named)) != len(named):
            rows.add(n, "an invoice is named twice", "name each invoice once", "invoice")
            continue
        key = (when, cid, amount, currency, reference)
        same = existing.get(key)
        if same:
            old = same.pop(0)
            was_on = [a.invoice for a in old.allocations]
            # it disagrees when the book put it on an invoice the row does not name (on none,
            # as client credit, is what the row itself gives once its invoices are paid)
            if named and any(x not in named for x in was_on):
                rows.add(n, f"the payment {old.id} of {when} {amount} {currency} is already in the book on "
                         f"{'; '.join(was_on) or 'no invoice (client credit)'}, not on {'; '.join(named)}",
                         "correct the file, or void the payment in the book and import the row again", "invoice")
                continue
            skipped += 1
            continue
        hit = next(((num, x) for num in named if (x := scopes.paid_by(num, amount)) is not None), None)
        if hit is not None:  # (the same money recorded in the app, with another reference or date)
            rows.add(n, f"{hit[0]} is paid, by {hit[1].id} of {hit[1].date} for the same amount: the row looks "
                     "like the same money", "leave the row out; if it is new money, name no invoice (it becomes "
                     "client credit)", "invoice")
            continue
        allocations, rest = scopes.allocate(cid, currency, amount, named, when)
        p = Payment(id="", date=when, client=cid, amount=amount, currency=currency, reference=reference,
                    allocations=allocations)
        if not rows.shape(n, p):
            continue
        if rest > 0:
            where = f"row {n}"
            warnings.append(f"{source} {where}: {rest} {currency} more than "
                            f"{'the named invoices owe' if named else cid + ' owes'} is kept as client credit")
        new.append(p)
        scopes.take(p)
    rows.check()
    return ImportResult("payments", source, tuple(new), skipped, tuple(warnings))


# -- Xero (the sync itself lives in receivables.xero) -------------------------------------------------

def import_xero(data: bytes | str, book: Book, defaults: Defaults | None = None, source: str = "xero.csv", **kw):
    from .xero import import_xero as sync

    return sync(data, book, defaults, source, **kw)


# -- one entry point --------------------------------------------------------------------------------------

def import_file(kind: str, data: bytes | str, book: Book, defaults: Defaults | None = None,
                source: str | None = None, charge_prefix: str = "CHG-", on: date | None = None) -> ImportResult:
    """``on``: today (invoices and payments dated after it are refused)."""
    fn = {"clients": import_clients, "invoices": import_invoices, "payments": import_payments,
          "xero": import_xero}.get(kind)
    if fn is None:
        raise DunError(f"unknown import kind {kind!r}", "import", f"use one of {', '.join(KINDS)}")
    if kind == "invoices":
        return import_invoices(data, book, defaults, source or "invoices.csv", charge_prefix, on=on)
    if kind == "payments":
        return import_payments(data, book, defaults, source or "payments.csv", on=on)
    return fn(data, book, defaults, source or f"{kind}.csv")


def apply(book: Book, records: Iterable, updates: Iterable = ()) -> Book:
    """The book with ``updates`` replacing the records with their keys, then ``records`` added
    (empty ids numbered after the existing ones): for tests and previews; the store does the
    same when it commits."""
    clients = dict(book.clients)
    invoices = dict(book.invoices)
    lists = {name: list(getattr(book, name)) for name in _LISTS.values()}
    ids = {r.id for name in ("payments", "adjustments") for r in lists[name]} | {r.id for r in book.voided}

    def fresh(prefix: str, n: int) -> str:
        while f"{prefix}-{n:06d}" in ids:
            n += 1
        ids.add(f"{prefix}-{n:06d}")
        return f"{prefix}-{n:06d}"

    for r in updates:
        if isinstance(r, Invoice):
            invoices[r.number] = r
            continue
        items = lists[_LISTS[type(r)]]
        at = next((i for i, x in enumerate(items) if x.id == r.id), None)
        if at is None:
            items.append(r)
        else:
            items[at] = r
    for r in records:
        if isinstance(r, Client):
            clients[r.id] = r
        elif isinstance(r, Invoice):
            invoices[r.number] = r
        elif isinstance(r, Payment):
            lists["payments"].append(r if r.id else replace(r, id=fresh("PAY", len(lists["payments"]) + 1)))
        elif isinstance(r, Adjustment):
            lists["adjustments"].append(r if r.id else replace(r, id=fresh("ADJ", len(lists["adjustments"]) + 1)))
        else:
            lists[_LISTS[type(r)]].append(r)
    return replace(book, clients=clients, invoices=invoices, **{k: tuple(v) for k, v in lists.items()})


__all__ = [
    "CLIENT_COLUMNS", "CLIENT_OPTIONAL", "INVOICE_COLUMNS", "PAYMENT_COLUMNS", "XERO_REQUIRED", "XERO_OPTIONAL", "KINDS",
    "ImportRejected", "ImportResult", "decode", "read_table", "import_clients", "import_invoices",
    "import_payments", "import_xero", "import_file", "apply", "payment_key", "MINOR_UNITS",
]
