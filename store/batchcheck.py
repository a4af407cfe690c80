"""Checking a large batch of new payments (a bank statement's matches) against the stored
documents, with the same rules as one payment (:func:`receivables.validate.check_payment_against`).

Checking each payment against a client's book decoded into records (its ledger derived every
time) takes seconds for thousands of payments in a 100,000-invoice book; here what each
allocated invoice still owes is summed from the documents once, then kept up to date as the
batch's payments are checked in order.
"""
from __future__ import annotations

from decimal import Decimal

from receivables.errors import Problem
from receivables.model import Payment
from receivables.money import amount_from_store
from receivables.validate import check_payment_against


def check_payments(repo, payments: list[Payment], clients) -> list[Problem]:
    wanted = {a.invoice for p in payments for a in p.allocations}
    invoices = {n: inv for n in wanted if (inv := repo.get_invoice(n)) is not None}
    owed: dict[str, Decimal] = {n: inv.amount for n, inv in invoices.items()}
    for d in repo.documents("payments"):
        for a in d.get("allocations", ()):
            if a["invoice"] in owed:
                owed[a["invoice"]] -= amount_from_store(a["amount"], d["currency"])
    for d in repo.documents("adjustments"):
        if d.get("invoice") in owed:
            owed[d["invoice"]] -= amount_from_store(d["amount"], d["currency"])
    problems: list[Problem] = []
    for n, p in enumerate(payments, start=1):
        errs = check_payment_against(p, clients, invoices, owed)
        if errs:
            problems += [Problem(e.message, f"record {n}: {e.where}", e.hint) for e in errs]
            break
        for a in p.allocations:
            owed[a.invoice] -= a.amount
    return problems
