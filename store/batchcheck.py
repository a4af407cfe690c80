"""Checks of the sync records (bank receipts, payer aliases, sync marks), of records that
replace others (``Repository.commit``'s updates), and of a large batch of new payments (a bank
statement's matches) against the stored documents, with the same rules as one payment
(:func:`receivables.validate.check_payment_against`).

Checking each payment against a client's book decoded into records (its ledger derived every
time) takes seconds for thousands of payments in a 100,000-invoice book; here what each
allocated invoice still owes is summed from the documents once, then kept up to date as the
batch's payments are checked in order.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from receivables import validate as v
from receivables.dates import window_problem
from receivables.errors import Problem
from receivables.model import Book, Dispute, Invoice, PayerAlias, Payment, PaymentPlan, Receipt, SyncMark
from receivables.money import amount_from_store
from receivables.shapes import shape_problems
from receivables.validate import check_payment_against

from . import codec


def exists(repo, rec: Any) -> bool:
    table = codec.TABLE_OF[type(rec)]
    return getattr(rec, codec.TABLES[table][1]) in repo._key_map(table)


def _sync_record(rec: Any, clients) -> list[Problem]:
    """A receipt, sync mark or payer alias: its fields' shapes and dates."""
    where = f"{type(rec).__name__} {rec.id}"
    out = shape_problems(rec, where)
    if out:
        return out
    if isinstance(rec, PayerAlias):
        return [] if rec.client in clients else [Problem(f"unknown client {rec.client!r}", "payer alias")]
    dates = [rec.date] + ([rec.as_of] if isinstance(rec, SyncMark) and rec.as_of else [])
    return [Problem(p, where) for d in dates if (p := window_problem(d))]


def check_new(repo, rec: Any, clients) -> list[Problem]:
    """A new receipt, sync mark or payer alias."""
    out = _sync_record(rec, clients)
    if not out and not isinstance(rec, PayerAlias) and exists(repo, rec):
        out.append(Problem(f"{rec.id} is already in the book", "record"))
    return out


def check_update(repo, rec: Any, clients, scopes: dict[str, Book]) -> list[Problem]:
    """Problems of ``rec`` replacing the record with its key (a sync mark or payer alias may be
    new); the scopes see the new record."""
    if isinstance(rec, (SyncMark, PayerAlias, Receipt)) and (out := _sync_record(rec, clients)):
        return out
    if isinstance(rec, (SyncMark, PayerAlias)):
        return []
    if not isinstance(rec, (Invoice, Dispute, PaymentPlan, Receipt)) or not exists(repo, rec):
        return [Problem(f"{type(rec).__name__} {getattr(rec, 'id', getattr(rec, 'number', ''))} is not in the book",
                        "update")]
    if isinstance(rec, Receipt):
        return []
    scope = scopes.get(rec.client) or Book()
    if isinstance(rec, Invoice):
        old = scope.invoices.get(rec.number)
        if old is None or old.client != rec.client or old.currency != rec.currency:
            return [Problem("cannot move an invoice to another client or currency", f"invoice {rec.number!r}")]
        scopes[rec.client] = replace(scope, invoices={**scope.invoices, rec.number: rec})
        return v.check_invoice(rec, clients)
    field = "disputes" if isinstance(rec, Dispute) else "plans"
    scopes[rec.client] = scope = replace(scope, **{field: tuple(rec if x.id == rec.id else x
                                                              for x in getattr(scope, field))})
    return v.check_dispute(rec, scope) if isinstance(rec, Dispute) else []


def check_statement(repo, records: list, updates: list, clients) -> list[Problem]:
    """A batch of payments, receipts, sync marks and payer aliases (a bank statement's): each
    receipt names a payment of the batch or the book, each payment is new and checked in order."""
    problems = [Problem(e.message, f"update {n}: {e.where}", e.hint) for n, rec in enumerate(updates, start=1)
                for e in check_update(repo, rec, clients, {})]
    problems += [Problem(e.message, f"record {n}: {e.where}", e.hint) for n, rec in enumerate(records, start=1)
                 if not isinstance(rec, Payment) for e in check_new(repo, rec, clients)]
    problems += [Problem(f"{p.id} is already in the book", f"record {n}") for n, p in enumerate(records, start=1)
                 if isinstance(p, Payment) and exists(repo, p)]
    paid = {p.id for p in records if isinstance(p, Payment)}
    problems += [Problem(f"names payment {r.payment!r}, which is not in the book", f"receipt {r.id}")
                 for r in (*updates, *records) if isinstance(r, Receipt) and r.payment
                 and r.payment not in paid and r.payment not in repo._key_map("payments")]
    return problems or check_payments(repo, [r for r in records if isinstance(r, Payment)], clients)


def check_payments(repo, payments: list[Payment], clients) -> list[Problem]:
    wanted = {a.invoice for p in payments for a in p.allocations}
    keys, table = repo._key_map("invoices"), repo._table("invoices")
    invoices = {}
    for n in wanted:
        doc_id = keys.get(n)
        if doc_id is not None:  # what the rules read: client, currency, amount (not the lines)
            d = table[str(doc_id)]
            invoices[n] = Invoice(n, d["client"], date.fromisoformat(d["issued"]), date.fromisoformat(d["due"]),
                                  d["currency"], amount_from_store(d["amount"], d["currency"]))
    owed: dict[str, Decimal] = {n: inv.amount for n, inv in invoices.items()}
    for d in repo.documents("payments"):
        if codec.is_void(d):
            continue
        for a in d.get("allocations") or ():
            if a["invoice"] in owed:
                owed[a["invoice"]] -= Decimal(a["amount"])
    for d in repo.documents("adjustments"):
        if codec.is_void(d):
            continue
        if d.get("invoice") in owed:
            owed[d["invoice"]] -= Decimal(d["amount"])
    problems: list[Problem] = []
    for n, p in enumerate(payments, start=1):
        errs = check_payment_against(p, clients, invoices, owed)
        if errs:
            problems += [Problem(e.message, f"record {n}: {e.where}", e.hint) for e in errs]
            break
        for a in p.allocations:
            owed[a.invoice] -= a.amount
    return problems
