"""The write operations: each validates (receivables.validate), then commits through
:meth:`store.commits.Commits._put`, or raises DunError and changes nothing.

:class:`Writes` is one part of the one ``Repository`` class (see store/repository.py)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from receivables import validate as v
from receivables.dates import window_problem
from receivables.errors import Problem
from receivables.ledger import derive
from receivables.shapes import MAX_TEXT
from receivables.voiding import kind_of, undo_with
from receivables.model import (
    Activity,
    Adjustment,
    Book,
    Client,
    Dispute,
    Invoice,
    Payment,
    PayerAlias,
    PaymentPlan,
    PromiseToPay,
    Receipt,
    SyncMark,
)

from . import batchcheck, charges, codec


def _settled(scope: Book, number: str) -> Decimal:
    """What the payments and adjustments of ``scope`` (a client's records) put on invoice ``number``."""
    return (sum((a.amount for p in scope.payments for a in p.allocations if a.invoice == number), Decimal(0))
            + sum((a.amount for a in scope.adjustments if a.invoice == number), Decimal(0)))


def _followed_up(book: Book, number: str) -> bool:
    """Whether an activity, promise, plan or dispute of the book refers to invoice ``number``."""
    return (any(number in a.invoices for a in book.activities)
            or any(number in p.invoices for p in book.promises)
            or any(number in p.invoices for p in book.plans)
            or any(d.invoice == number for d in book.disputes))



def _case_clash(number: str, same: str) -> Problem:
    return Problem(f"invoice number {number!r} differs from invoice {same!r} only in case", "invoice",
                   f"use the number as the book has it ({same}), or another number")


class Writes:
    """Adding and changing records, one at a time or many in one commit (a part of
    :class:`store.repository.Repository`)."""

    def add_client(self, c: Client) -> Client:
        self._writable()
        problems = v.check_client(c)
        if c.id in self._key_map("clients"):
            problems.insert(0, Problem(f"a client with id {c.id!r} already exists", "client",
                                       "choose another id, or edit the existing client"))
        self._refuse(problems)
        self._put([c])
        return c

    def update_client(self, c: Client) -> Client:
        self._writable()
        if c.id not in self._key_map("clients"):
            self._refuse([Problem(f"unknown client {c.id!r}", "client", "check the client id")])
        self._refuse(v.check_client(c))
        self._put([c])
        return c

    def set_hold(self, client_id: str, hold: bool, reason: str = "") -> Client:
        c = self.clients().get(client_id)
        if c is None:
            self._refuse([Problem(f"unknown client {client_id!r}", "client", "check the client id")])
        return self.update_client(replace(c, hold=hold, hold_reason=reason if hold else ""))

    def add_invoice(self, inv: Invoice) -> Invoice:
        self._writable()
        problems = v.check_invoice(inv, self.clients())
        if self.has_invoice(inv.number):
            problems.insert(0, Problem(f"invoice number {inv.number!r} is already in the book", "invoice",
                                       "invoice numbers are unique; check the number"))
        elif (same := self.folded_invoice_numbers().get(inv.number.casefold())) is not None:
            problems.insert(0, _case_clash(inv.number, same))
        self._refuse(problems)
        self._put([inv])
        return inv

    def update_invoice(self, inv: Invoice) -> Invoice:
        self._writable()
        old = self.get_invoice(inv.number)
        if old is None:
            self._refuse([Problem(f"unknown invoice {inv.number!r}", "invoice", "check the number")])
        problems = v.check_invoice(inv, self.clients())
        scope = self._client_scope(old.client)
        settled = _settled(scope, inv.number)
        if inv.client != old.client and settled:
            problems.append(Problem("cannot move an invoice with payments or credits to another client",
                                    f"invoice {inv.number!r}", "credit it and raise a new invoice instead"))
        elif inv.client != old.client and _followed_up(scope, inv.number):
            # the follow-ups stay with their client: every client's records must refer only
            # to its own invoices (the engine, and a republish, work client by client)
            problems.append(Problem("cannot move an invoice with follow-ups, promises, plans or disputes to "
                                    "another client", f"invoice {inv.number!r}",
                                    "credit it and raise a new invoice instead"))
        if inv.currency != old.currency and settled:
            problems.append(Problem("cannot change the currency of an invoice with payments or credits",
                                    f"invoice {inv.number!r}"))
        if inv.amount < settled:
            problems.append(Problem(f"the new amount {inv.amount} is less than the {settled} already settled",
                                    f"invoice {inv.number!r}"))
        self._refuse(problems)
        self._put([inv])
        return inv

    def record_payment(self, p: Payment) -> Payment:
        self._writable()
        # (checked before it is numbered: a refusal names no id that was never given out)
        self._refuse(v.check_payment(p, self._client_scope(p.client)))
        p = self._with_id(p)
        self._put([p])
        return p

    def void(self, record_id: str, on: date, reason: str) -> tuple[Payment | Adjustment | PromiseToPay, Receipt | None]:
        """Void a payment, adjustment or promise recorded by mistake: it stays in the book
        (``voided``, with the day and the reason) and counts nowhere from then on, on any date,
        as if never recorded (a payment's invoices are owed again; a promise's invoices are back
        on the ladder). A bank receipt a payment was made from is unmatched again, in the same
        commit. (The record, that receipt as it is now, or None.)"""
        self._writable()
        reason = reason.strip()
        found = next(((t, doc_id) for t in codec.VOIDABLE
                      if (doc_id := self._key_map(t).get(record_id)) is not None), None)
        if found is None:
            self._refuse([Problem(f"no payment, credit or promise {record_id!r}", "void",
                                  "the ids are on the client's screen in the app, or in 'dun client show CLIENT'")])
        table, doc_id = found
        rec = codec.TABLES[table][3](self._table(table)[str(doc_id)])
        what = f"{kind_of(rec)} {record_id}"
        if rec.voided is not None:
            self._refuse([Problem(f"was already voided on {rec.voided}"
                                  + (f" ({rec.void_reason})" if rec.void_reason else ""), what)])
        problems = []
        if not reason:
            problems.append(Problem("a reason is needed", what, "say why, e.g. 'typed 1200 for 120' or 'cheque bounced'"))
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in reason):
            problems.append(Problem("the reason holds a line break or control character", what,
                                    "write the reason on one line"))
        elif len(reason) > MAX_TEXT:
            problems.append(Problem(f"the reason is longer than {MAX_TEXT} characters", what, "say it shorter"))
        # (a record dated after the day it is voided is voided all the same: a date typed wrong,
        # 2027 for 2026, is a reason to void it, and a voided record counts on no date)
        problem = window_problem(on)
        if problem is not None:
            problems.append(Problem(problem, what))
        if isinstance(rec, Adjustment) and rec.amount < 0 and rec.invoice:  # it raised what is owed
            scope = self._client_scope(rec.client)
            inv = scope.invoices.get(rec.invoice)
            settled = _settled(scope, rec.invoice) - rec.amount  # (without it)
            if inv is not None and settled > inv.amount:
                problems.append(Problem(f"{rec.invoice} would then be settled {settled - inv.amount} more than "
                                        "its amount", what, "void the payment or credit that went on it first"))
        gives_credit = (isinstance(rec, Payment) and rec.unallocated > 0) or \
            (isinstance(rec, Adjustment) and not rec.invoice and rec.amount > 0)
        if gives_credit and not problems:  # its credit may since have been put on invoices
            scope = self._client_scope(rec.client)
            without = replace(scope, payments=tuple(p for p in scope.payments if p.id != rec.id),
                              adjustments=tuple(a for a in scope.adjustments if a.id != rec.id))
            short = min(derive(without, d).credit(rec.client, rec.currency) for d in (rec.date, date.max))
            if short < 0:
                problems.append(Problem(f"its client credit has been applied to invoices ({-short} {rec.currency} "
                                        "of it)", what, "void the credit applied (ADJ-…, on the client's Payments · "
                                        "credits) first"))
        self._refuse(problems)
        rec = replace(rec, voided=on, void_reason=reason)
        receipt = None
        if isinstance(rec, Payment):
            receipt = next((codec.receipt_from_doc(d) for d in self.documents("receipts")
                            if d.get("payment") == record_id), None)
        if receipt is not None:
            receipt = replace(receipt, payment="")
        records: list[Any] = [rec] if receipt is None else [rec, receipt]
        records += [self._with_id(undo) for undo in undo_with(rec, self._client_scope(rec.client).activities, on, reason)]
        self._put(records)
        return rec, receipt

    def add_adjustment(self, a: Adjustment) -> Adjustment:
        self._writable()
        self._refuse(v.check_adjustment(a, self._client_scope(a.client)))
        a = self._with_id(a)
        self._put([a])
        return a

    def log_activity(self, a: Activity) -> Activity:
        self._writable()
        a = self._with_id(a)
        self._refuse(v.check_activity(a, self._client_scope(a.client)))
        with self._mutex:  # a step with a fee posts its charge document in the same commit
            records = charges.with_fee(self, a)
            self._put_now(records)
            self.posted_charges = records[1:]  # what the caller may tell the user
        return a

    posted_charges: list = []  # the fee documents the last log_activity posted

    def post_charges(self, docs: list[Invoice]) -> list[Invoice]:
        """Save charge documents (``dun claim``), numbered in the policy's series."""
        return charges.post(self, docs, self.policy())

    def add_promise(self, p: PromiseToPay) -> PromiseToPay:
        self._writable()
        self._refuse(v.check_promise(p, self._client_scope(p.client)))
        p = self._with_id(p)
        self._put([p])
        return p

    def add_plan(self, p: PaymentPlan) -> PaymentPlan:
        self._writable()
        self._refuse(v.check_plan(p, self._client_scope(p.client)))
        p = self._with_id(p)
        self._put([p])
        return p

    def cancel_plan(self, plan_id: str, on: date) -> PaymentPlan:
        self._writable()
        doc_id = self._key_map("plans").get(plan_id)
        if doc_id is None:
            self._refuse([Problem(f"unknown payment plan {plan_id!r}", "plan")])
        plan = codec.plan_from_doc(self._table("plans")[str(doc_id)])
        if plan.cancelled:
            self._refuse([Problem(f"was already cancelled on {plan.cancelled}", f"plan {plan_id}")])
        plan = replace(plan, cancelled=on)
        self._put([plan])
        return plan

    def open_dispute(self, d: Dispute) -> Dispute:
        self._writable()
        inv = self.get_invoice(d.invoice)
        if inv is not None and not d.client:
            d = replace(d, client=inv.client)
        d = self._with_id(d)
        self._refuse(v.check_dispute(d, self._client_scope(d.client)) if inv else [
            Problem(f"unknown invoice {d.invoice!r}", "dispute", "check the invoice number")])
        self._put([d])
        return d

    def resolve_dispute(self, dispute_id: str, on: date, resolution: str = "", credit_note: Decimal | None = None,
                        also: Iterable[Any] = ()) -> Dispute:
        """The open dispute resolved on ``on``. ``credit_note``: an amount the dispute was settled
        by, recorded as a credit note on its invoice dated ``on``; ``also``: records stored with
        it (the activity of the action it was resolved from). One all-or-nothing commit."""
        self._writable()
        doc_id = self._key_map("disputes").get(dispute_id)
        if doc_id is None:
            self._refuse([Problem(f"unknown dispute {dispute_id!r}", "dispute")])
        d = codec.dispute_from_doc(self._table("disputes")[str(doc_id)])
        if d.resolved is not None:
            self._refuse([Problem(f"was already resolved on {d.resolved}", f"dispute {dispute_id}")])
        d = replace(d, resolved=on, resolution=resolution)
        records = list(also)
        if credit_note is not None:
            inv = self.get_invoice(d.invoice)
            note = Adjustment("", "credit_note", on, d.client, credit_note, inv.currency if inv else "", d.invoice,
                              reason=resolution or f"dispute {d.id} resolved")
            self._refuse(v.check_adjustment(note, self._client_scope(d.client)))  # (said as itself, not "record 1")
            records.append(note)
        if records:
            self.commit(records, updates=[d])
            return d
        self._refuse(v.check_dispute(d, self._client_scope(d.client)))
        self._put([d])
        return d

    def commit(self, records: Iterable[Any], updates: Iterable[Any] = ()) -> list[Any]:
        """Store many new records in one all-or-nothing commit (imports). Each is checked
        against the book plus the records before it in the batch. ``updates`` (stored first)
        replace records already in the book: invoices (same client), disputes, plans, bank
        receipts, payer aliases and sync marks (the last two are added if new)."""
        self._writable()
        records = [self._with_id(r) for r in records]
        updates = list(updates)
        if not records and not updates:
            return []
        clients = dict(self.clients())
        involved = {getattr(r, "client", None) or getattr(r, "id") for r in (*updates, *records)
                    if not isinstance(r, (Receipt, SyncMark))}
        kinds = {type(r) for r in (*updates, *records)}
        if kinds <= {Payment, Receipt, SyncMark, PayerAlias}:  # a bank statement's matches: one pass
            self._refuse(batchcheck.check_statement(self, records, updates, clients))
            self._put([*updates, *records])
            return records
        scopes = self._scopes(involved, [codec.TABLE_OF[k] for k in (Activity, PromiseToPay, PaymentPlan) if k in kinds])
        self._refuse([Problem(e.message, f"update {n}: {e.where}", e.hint) for n, rec in enumerate(updates, start=1)
                      for e in batchcheck.check_update(self, rec, clients, scopes)])
        problems: list[Problem] = []
        seen_numbers: set[str] = set()
        folded: dict[str, str] | None = None  # the book's and the batch's numbers, case-folded (made once)
        pending: dict[str, dict] = {}  # client -> its scope's invoices with the batch's new ones

        def _settle(client: str) -> None:
            if client in pending:
                scopes[client] = replace(scopes[client], invoices=pending.pop(client))

        for n, rec in enumerate(records, start=1):
            if isinstance(rec, (Receipt, SyncMark, PayerAlias)):
                errs = batchcheck.check_new(self, rec, clients)
            elif isinstance(rec, Client):
                _settle(rec.id)
                errs = v.check_client(rec)
                if rec.id in clients:
                    errs.append(Problem(f"a client with id {rec.id!r} already exists", "client"))
                clients[rec.id] = rec
                scope = scopes.get(rec.id) or Book()
                scopes[rec.id] = replace(scope, clients={**scope.clients, rec.id: rec})
            elif isinstance(rec, Invoice):
                errs = v.check_invoice(rec, clients)
                if self.has_invoice(rec.number) or rec.number in seen_numbers:
                    errs.insert(0, Problem(f"invoice number {rec.number!r} is already in the book", "invoice"))
                else:
                    if folded is None:
                        folded = self.folded_invoice_numbers()
                    same = folded.get(rec.number.casefold())
                    if same is not None:
                        errs.insert(0, _case_clash(rec.number, same))
                    folded.setdefault(rec.number.casefold(), rec.number)
                seen_numbers.add(rec.number)
                scope = scopes.setdefault(rec.client, Book(clients={rec.client: clients[rec.client]} if rec.client in clients else {}))
                # (the batch's new invoices are gathered and put in the client's scope when a
                # record is checked against it: a new scope per invoice was quadratic)
                if rec.client not in pending:
                    pending[rec.client] = dict(scope.invoices)
                pending[rec.client][rec.number] = rec
            else:
                checker = {Payment: v.check_payment, Adjustment: v.check_adjustment, Activity: v.check_activity,
                           PromiseToPay: v.check_promise, PaymentPlan: v.check_plan, Dispute: v.check_dispute}[type(rec)]
                _settle(rec.client)
                scope = scopes.get(rec.client) or Book()
                errs = checker(rec, scope)
                field = {Payment: "payments", Adjustment: "adjustments", Activity: "activities",
                         PromiseToPay: "promises", PaymentPlan: "plans", Dispute: "disputes"}[type(rec)]
                scopes[rec.client] = replace(scope, **{field: getattr(scope, field) + (rec,)})
            problems += [Problem(e.message, f"record {n}: {e.where}", e.hint) for e in errs]
            if problems:
                break
        self._refuse(problems)
        self._put([*updates, *records])
        return records

    def _scopes(self, client_ids: set[str], also: Iterable[str] = ("activities", "promises", "plans")) -> dict[str, Book]:
        """Partial books for several clients in one pass over the tables: their invoices,
        payments, adjustments and disputes, and of the tables ``also`` names (the ones the
        records to check need: a batch of payments is not checked against the activities)."""
        wanted = {c for c in client_ids if c}
        if not wanted:
            return {}
        grouped: dict[str, dict[str, list]] = {c: {} for c in wanted}
        for name in ("invoices", "payments", "adjustments", "disputes", *also):
            for d in self._table(name).values():
                c = d.get("client")
                if c in grouped and not codec.is_void(d):  # (a voided record counts nowhere)
                    grouped[c].setdefault(name, []).append(d)
        clients = self.clients()
        out = {}
        for c, tables in grouped.items():
            out[c] = Book(
                clients={c: clients[c]} if c in clients else {},
                invoices={d["number"]: codec.invoice_from_doc(d) for d in tables.get("invoices", ())},
                payments=tuple(map(codec.payment_from_doc, tables.get("payments", ()))),
                adjustments=tuple(map(codec.adjustment_from_doc, tables.get("adjustments", ()))),
                activities=tuple(map(codec.activity_from_doc, tables.get("activities", ()))),
                promises=tuple(map(codec.promise_from_doc, tables.get("promises", ()))),
                plans=tuple(map(codec.plan_from_doc, tables.get("plans", ()))),
                disputes=tuple(map(codec.dispute_from_doc, tables.get("disputes", ()))),
                partial=True,
            )
        return out
