"""Records <-> stored documents.

The stored form is plain JSON: amounts as strings with exactly the currency's decimals,
dates as ``YYYY-MM-DD`` strings, tuples as lists, optional fields omitted when empty.
Each table holds one record kind; the record's own id is a field of the document.
"""
from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from typing import Any, Callable

from receivables.model import (
    Activity,
    Adjustment,
    Allocation,
    Client,
    Contact,
    CreditCheck,
    Dispute,
    Installment,
    Charge,
    InterestSegment,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentPlan,
    PayerAlias,
    PromiseToPay,
    Receipt,
    SyncMark,
    record_maker,
    singular,
)
from receivables.chargecsv import charge_doc
from receivables.dates import window_problem
from receivables.errors import DunError, Problem
from receivables.money import amount_from_store, to_text



@functools.lru_cache(maxsize=8192)  # shared date objects: a large book repeats few dates
def _d(v: str) -> date:
    """A stored date; one outside the book's window (a hand-edited book) is refused here, so
    the engine never meets it (its arithmetic on such dates overflows)."""
    d = date.fromisoformat(v)
    problem = window_problem(d)
    if problem is not None:
        raise ValueError(problem)
    return d


def _dn(v: str | None) -> date | None:
    return _d(v) if v else None


_ABSENT = ()  # what doc.get gives for a list field the document does not have
_ZERO = Decimal(0)

# The records of a stored document, built through record_maker (every field given, in order):
# a large book is hundreds of thousands of them.
_client, _credit_check = record_maker(Client), record_maker(CreditCheck)
_invoice, _line = record_maker(Invoice), record_maker(InvoiceLine)
_charge, _segment = record_maker(Charge), record_maker(InterestSegment)
_payment, _allocation = record_maker(Payment), record_maker(Allocation)
_adjustment, _activity = record_maker(Adjustment), record_maker(Activity)
_promise, _plan, _installment = record_maker(PromiseToPay), record_maker(PaymentPlan), record_maker(Installment)
_dispute, _receipt = record_maker(Dispute), record_maker(Receipt)
_alias, _sync = record_maker(PayerAlias), record_maker(SyncMark)


def _dec(v: str) -> Decimal:
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(f"non-finite number {v!r}")
    return d


# -- clients ---------------------------------------------------------------------------

def client_to_doc(c: Client) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": c.id, "name": c.name, "currency": c.currency, "terms_days": c.terms_days}
    if c.contacts:
        doc["contacts"] = [{k: getattr(x, k) for k in ("name", "email", "phone", "role") if getattr(x, k)} for x in c.contacts]
    if c.address:
        doc["address"] = c.address
    if c.credit_limit is not None:
        doc["credit_limit"] = to_text(c.credit_limit, c.currency)
    if c.credit_check is not None:
        doc["credit_check"] = {"date": c.credit_check.date.isoformat(), "source": c.credit_check.source, "rating": c.credit_check.rating}
    if c.locale:
        doc["locale"] = c.locale
    if c.tags:
        doc["tags"] = list(c.tags)
    if c.hold:
        doc["hold"] = True
        if c.hold_reason:
            doc["hold_reason"] = c.hold_reason
    return doc


def _days(v: Any) -> int:
    """A number of days as stored (30; "30" from a hand edit reads too). A flag, a fraction or
    any other text is refused: int() would read true as 1 and 30.5 as 30."""
    if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 6:
        v = int(v)
    if type(v) is int and 0 <= v <= 3650:  # (as csvread.parse_terms takes them)
        return v
    raise ValueError(f"terms_days is {v!r:.20}, not a whole number of days from 0 to 3650")


def _flag(v: Any, name: str) -> bool:
    """A flag as stored: true or false. bool() would read "no" and "false" as true."""
    if type(v) is not bool:
        raise ValueError(f"{name} is {v!r:.20}, not true or false")
    return v


def client_from_doc(doc: dict[str, Any]) -> Client:
    cur = doc["currency"]
    get = doc.get
    cc = get("credit_check")
    return _client(
        doc["id"], doc["name"], cur, _days(doc["terms_days"]),
        tuple(Contact(**x) for x in get("contacts", ())),
        get("address", ""),
        amount_from_store(doc["credit_limit"], cur) if get("credit_limit") is not None else None,
        _credit_check(_d(cc["date"]), cc.get("source", ""), cc.get("rating", "")) if cc else None,
        get("locale", ""), tuple(get("tags", ())), _flag(get("hold", False), "hold"), get("hold_reason", ""),
    )


# -- invoices ---------------------------------------------------------------------------

def invoice_to_doc(i: Invoice) -> dict[str, Any]:
    cur = i.currency
    doc: dict[str, Any] = {
        "number": i.number,
        "client": i.client,
        "issued": i.issued.isoformat(),
        "due": i.due.isoformat(),
        "currency": cur,
        "amount": to_text(i.amount, cur),
    }
    if i.tax:
        doc["tax"] = to_text(i.tax, cur)
    if i.lines:
        doc["lines"] = [
            {"description": ln.description, "quantity": format(ln.quantity, "f"),
             "unit_amount": format(ln.unit_amount, "f"), "amount": to_text(ln.amount, cur)}
            for ln in i.lines
        ]
    if i.reference:
        doc["reference"] = i.reference
    if i.kind:
        doc["kind"] = i.kind
    if i.charges:
        doc["charges"] = [charge_doc(c, cur) for c in i.charges]
    if i.note:
        doc["note"] = i.note
    return doc


def _charge_from(doc: dict[str, Any], cur: str) -> Charge:
    kind = doc["kind"]
    get = doc.get
    return _charge(
        kind, amount_from_store(doc["amount"], cur), get("invoice", ""), _dn(get("start")), _dn(get("end")),
        tuple(_segment(_d(g["start"]), _d(g["end"]), amount_from_store(g["basis"], cur), _dec(g["rate"]))
              for g in get("segments", ())),
        get("step", ""), tuple(get("invoices", ())),
    )


def invoice_from_doc(doc: dict[str, Any]) -> Invoice:
    cur = doc["currency"]
    get = doc.get
    lines = get("lines", _ABSENT)
    charges = get("charges", _ABSENT)
    return _invoice(
        doc["number"], doc["client"], _d(doc["issued"]), _d(doc["due"]), cur,
        amount_from_store(doc["amount"], cur),
        amount_from_store(doc["tax"], cur) if "tax" in doc else _ZERO,
        () if lines is _ABSENT else tuple([
            _line(ln["description"], _dec(ln["quantity"]), _dec(ln["unit_amount"]), amount_from_store(ln["amount"], cur))
            for ln in lines]),
        get("reference", ""), get("kind", ""),
        () if charges is _ABSENT else tuple([_charge_from(c, cur) for c in charges]),
        get("note", ""),
    )


# -- payments ---------------------------------------------------------------------------

def payment_to_doc(p: Payment) -> dict[str, Any]:
    cur = p.currency
    doc: dict[str, Any] = {
        "id": p.id, "date": p.date.isoformat(), "client": p.client,
        "amount": to_text(p.amount, cur), "currency": cur,
    }
    if p.method:
        doc["method"] = p.method
    if p.reference:
        doc["reference"] = p.reference
    if p.allocations:
        doc["allocations"] = [{"invoice": a.invoice, "amount": to_text(a.amount, cur)} for a in p.allocations]
    return _with_void(doc, p)


# the tables whose records can be voided (recorded by mistake): such a record stays stored,
# with "voided" (the day) and "void_reason", and counts nowhere
VOIDABLE = ("payments", "adjustments", "promises")


def is_void(doc: dict[str, Any]) -> bool:
    """Whether a stored payment, adjustment or promise was voided: such a document counts
    nowhere (every reader of those tables asks this, so none counts it)."""
    return bool(doc.get("voided"))


def _with_void(doc: dict[str, Any], rec: Any) -> dict[str, Any]:
    if rec.voided is not None:
        doc["voided"] = rec.voided.isoformat()
        doc["void_reason"] = rec.void_reason
    return doc


def payment_from_doc(doc: dict[str, Any], strict: bool = True) -> Payment:
    """The payment; ``strict`` (all but ``dun check``, which names the problem among the
    others it finds): allocations that exceed the payment or are zero or less are refused."""
    cur = doc["currency"]
    get = doc.get
    allocations = get("allocations", _ABSENT)
    amount = amount_from_store(doc["amount"], cur)
    allocs = () if allocations is _ABSENT else tuple([_allocation(a["invoice"], amount_from_store(a["amount"], cur))
                                                      for a in allocations])
    if allocs and strict:  # (dun never writes these: a hand edit, which would count money twice or take it back)
        put = allocs[0].amount if len(allocs) == 1 else sum(a.amount for a in allocs)
        if put > amount:
            raise ValueError(f"allocations of {put} exceed the payment of {amount}")
        if put <= 0 or (len(allocs) > 1 and any(a.amount <= 0 for a in allocs)):
            raise ValueError("an allocation is zero or less")
    return _payment(doc["id"], _d(doc["date"]), doc["client"], amount, cur, get("method", ""), get("reference", ""),
                    allocs, _dn(get("voided")), get("void_reason", ""))


# -- adjustments --------------------------------------------------------------------------

def adjustment_to_doc(a: Adjustment) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": a.id, "kind": a.kind, "date": a.date.isoformat(), "client": a.client,
        "amount": to_text(a.amount, a.currency), "currency": a.currency,
    }
    if a.invoice:
        doc["invoice"] = a.invoice
    if a.reason:
        doc["reason"] = a.reason
    return _with_void(doc, a)


def adjustment_from_doc(doc: dict[str, Any]) -> Adjustment:
    cur = doc["currency"]
    return _adjustment(
        doc["id"], doc["kind"], _d(doc["date"]), doc["client"], amount_from_store(doc["amount"], cur), cur,
        doc.get("invoice"), doc.get("reason", ""), _dn(doc.get("voided")), doc.get("void_reason", ""),
    )


# -- activities ---------------------------------------------------------------------------

def activity_to_doc(a: Activity) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": a.id, "date": a.date.isoformat(), "client": a.client, "channel": a.channel}
    if a.direction != "out":
        doc["direction"] = a.direction
    if a.step:
        doc["step"] = a.step
    if a.invoices:
        doc["invoices"] = list(a.invoices)
    if a.outcome:
        doc["outcome"] = a.outcome
    if a.body:
        doc["body"] = a.body
    if a.corrects:
        doc["corrects"] = a.corrects
    if a.snooze_until:
        doc["snooze_until"] = a.snooze_until.isoformat()
    if not a.internal:
        doc["internal"] = False
    if a.message_id:
        doc["message_id"] = a.message_id
    return doc


def _names(v: Any) -> tuple:
    """A list of invoice numbers as stored; text would be read as its characters."""
    if type(v) is not list:
        if v is _ABSENT:
            return ()
        raise ValueError(f"invoices is {v!r:.20}, not a list of invoice numbers")
    for n in v:  # (a plain loop: most lists hold one number, and this runs for every activity)
        if type(n) is not str:
            raise ValueError(f"invoices is {v!r:.20}, not a list of invoice numbers")
    return tuple(v)


def activity_from_doc(doc: dict[str, Any]) -> Activity:
    id_ = doc["id"]
    get = doc.get
    return _activity(
        id_, _d(doc["date"]), doc["client"], doc["channel"], get("direction", "out"), get("step"),
        _names(get("invoices", _ABSENT)), get("outcome", ""), get("body", ""), get("corrects"),
        _dn(get("snooze_until")), get("internal", True), get("message_id", ""),
    )


# -- promises, plans, disputes ---------------------------------------------------------------

def promise_to_doc(p: PromiseToPay) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": p.id, "client": p.client, "made": p.made.isoformat(),
        "amount": to_text(p.amount, p.currency), "currency": p.currency, "by": p.by.isoformat(),
    }
    if p.invoices:
        doc["invoices"] = list(p.invoices)
    return _with_void(doc, p)


def promise_from_doc(doc: dict[str, Any]) -> PromiseToPay:
    cur = doc["currency"]
    return _promise(
        doc["id"], doc["client"], _d(doc["made"]), amount_from_store(doc["amount"], cur), cur, _d(doc["by"]),
        tuple(doc.get("invoices", ())), _dn(doc.get("voided")), doc.get("void_reason", ""),
    )


def plan_to_doc(p: PaymentPlan) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": p.id, "client": p.client, "created": p.created.isoformat(), "currency": p.currency,
        "invoices": list(p.invoices),
        "installments": [{"due": i.due.isoformat(), "amount": to_text(i.amount, p.currency)} for i in p.installments],
    }
    if p.cancelled:
        doc["cancelled"] = p.cancelled.isoformat()
    return doc


def plan_from_doc(doc: dict[str, Any]) -> PaymentPlan:
    cur = doc["currency"]
    return _plan(
        doc["id"], doc["client"], _d(doc["created"]), cur, tuple(doc["invoices"]),
        tuple(_installment(_d(i["due"]), amount_from_store(i["amount"], cur)) for i in doc["installments"]),
        _dn(doc.get("cancelled")),
    )


def dispute_to_doc(d: Dispute) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": d.id, "invoice": d.invoice, "client": d.client, "reason": d.reason, "opened": d.opened.isoformat()}
    if d.resolved:
        doc["resolved"] = d.resolved.isoformat()
    if d.resolution:
        doc["resolution"] = d.resolution
    return doc


def dispute_from_doc(doc: dict[str, Any]) -> Dispute:
    return _dispute(
        doc["id"], doc["invoice"], doc["client"], doc.get("reason", ""), _d(doc["opened"]),
        _dn(doc.get("resolved")), doc.get("resolution", ""),
    )


# -- bank receipts, payer aliases, sync marks ------------------------------------------------

def receipt_to_doc(r: Receipt) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": r.id, "date": r.date.isoformat(), "amount": to_text(r.amount, r.currency),
                           "currency": r.currency}
    for k in ("payer", "text", "source", "bank_id", "payment"):
        if getattr(r, k):
            doc[k] = getattr(r, k)
    if r.ignored:
        doc["ignored"] = True
    return doc


def receipt_from_doc(doc: dict[str, Any]) -> Receipt:
    cur = doc["currency"]
    return _receipt(doc["id"], _d(doc["date"]), amount_from_store(doc["amount"], cur), cur,
                    doc.get("payer", ""), doc.get("text", ""), doc.get("source", ""),
                    doc.get("bank_id", ""), doc.get("payment", ""), bool(doc.get("ignored")))


def alias_to_doc(a: PayerAlias) -> dict[str, Any]:
    return {"id": a.id, "client": a.client, "name": a.name}


def alias_from_doc(doc: dict[str, Any]) -> PayerAlias:
    return _alias(doc["id"], doc["client"], doc.get("name", ""))


def sync_to_doc(s: SyncMark) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": s.id, "date": s.date.isoformat()}
    if s.source:
        doc["source"] = s.source
    if s.as_of:
        doc["as_of"] = s.as_of.isoformat()
    return doc


def sync_from_doc(doc: dict[str, Any]) -> SyncMark:
    return _sync(doc["id"], _d(doc["date"]), doc.get("source", ""), _dn(doc.get("as_of")))


# table name -> (record type, key field, to_doc, from_doc)
TABLES: dict[str, tuple[type, str, Callable[[Any], dict], Callable[[dict], Any]]] = {
    "clients": (Client, "id", client_to_doc, client_from_doc),
    "invoices": (Invoice, "number", invoice_to_doc, invoice_from_doc),
    "payments": (Payment, "id", payment_to_doc, payment_from_doc),
    "adjustments": (Adjustment, "id", adjustment_to_doc, adjustment_from_doc),
    "activities": (Activity, "id", activity_to_doc, activity_from_doc),
    "promises": (PromiseToPay, "id", promise_to_doc, promise_from_doc),
    "plans": (PaymentPlan, "id", plan_to_doc, plan_from_doc),
    "disputes": (Dispute, "id", dispute_to_doc, dispute_from_doc),
    "receipts": (Receipt, "id", receipt_to_doc, receipt_from_doc),
    "aliases": (PayerAlias, "id", alias_to_doc, alias_from_doc),
    "syncs": (SyncMark, "id", sync_to_doc, sync_from_doc),
}
# tables of the whole book, not of one client: their changes touch no client's derived state
BOOK_LEVEL = frozenset({"receipts", "syncs"})
TABLE_OF: dict[type, str] = {t[0]: name for name, t in TABLES.items()}


def undecodable(table: str, docs: dict[str, Any], source: str) -> list[Problem]:
    """A problem for each stored document of ``table`` that cannot be read as its record
    (for ``dun check``: every bad document, each named, where a reader stops at the first)."""
    _, key, _, from_doc = TABLES[table]
    out = []
    for doc_id, doc in docs.items():
        try:
            from_doc(doc)
        except DunError as e:
            message = e.problem.message
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
            message = f"no {e} field" if isinstance(e, KeyError) else str(e)
        else:
            continue
        name = doc.get(key) if isinstance(doc, dict) else None
        what = f"{singular(table)} {name!r}" if isinstance(name, str) else f"document {doc_id}"
        out.append(Problem(f"{what} cannot be read: {message}", f"{source}: {table}",
                           "correct it by hand or restore a backup with 'dun restore'"))
    return out


def not_as_written(table: str, docs: dict[str, Any], source: str) -> list[Problem]:
    """A problem for each stored document that reads, but holds a value in another form than
    dun writes it (for ``dun check``: a hand-edited book): an amount "1e3" or with more
    decimals than its currency has, a number of days "30". The reader takes such values as
    it can (1000.00, rounded half-up, 30), which need not be what the hand that wrote them
    meant; one it cannot take for sure (a flag "no", a number of days true) is refused where
    it is read. Fields dun would leave out are not compared."""
    _, key, to_doc, from_doc = TABLES[table]
    out = []
    for doc_id, doc in docs.items():
        try:
            again = to_doc(from_doc(doc))
        except Exception:  # (undecodable: named by :func:`undecodable`)
            continue
        field = next((k for k, v in doc.items() if k in again and not _same(again[k], v)), None)
        if field is None:
            continue
        name = doc.get(key)
        what = f"{singular(table)} {name!r}" if isinstance(name, str) else f"document {doc_id}"
        out.append(Problem(f"{what}: {field} is stored as {doc[field]!r:.60}, which dun reads as {again[field]!r:.60}",
                           f"{source}: {table}", "write it as dun does, or restore a backup with 'dun restore'"))
    return out


def _same(written: Any, stored: Any) -> bool:
    """``stored`` is the value dun writes (types compared too: 1 is not true, "30" is not 30)."""
    if type(written) is not type(stored):
        return False
    if isinstance(written, dict):
        return written.keys() <= stored.keys() and all(_same(v, stored[k]) for k, v in written.items())
    if isinstance(written, list):
        return len(written) == len(stored) and all(_same(a, b) for a, b in zip(written, stored))
    return written == stored
