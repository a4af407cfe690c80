"""The open invoices of the whole book straight from the stored documents, for bank matching:
what each invoice still owes after the payments allocated to it and the adjustments on it.

Decoding the whole book into records (activities and all) takes seconds on a 100,000-invoice
book; this reads four tables' documents and builds an :class:`Invoice` for the open ones
only (without their lines). A writer keeps the tables parsed: the commit that follows reads
them too.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from receivables.model import Invoice
from receivables.money import amount_from_store

from . import codec


def open_invoices(repo) -> list[tuple[Invoice, Decimal, bool]]:
    """(invoice, what it still owes, under an open dispute) for every invoice owing more than 0."""
    return invoice_positions(repo)[0]


def invoice_positions(repo) -> tuple[list[tuple[Invoice, Decimal, bool]], list[tuple[str, str, str]]]:
    """:func:`open_invoices`, and (number, client, currency) of every other invoice (settled)."""
    keep = not getattr(repo, "read_only", True)  # parsed once: the commit that follows reads them too
    invoices = repo.documents("invoices", keep=keep)
    D = Decimal
    settled: dict[str, Decimal] = {}
    get = settled.get
    for d in repo.documents("payments", keep=keep):
        if codec.is_void(d):
            continue
        for a in d.get("allocations") or ():
            n = a["invoice"]
            s = get(n)
            settled[n] = D(a["amount"]) if s is None else s + D(a["amount"])
    for d in repo.documents("adjustments"):
        if codec.is_void(d):
            continue
        n = d.get("invoice")
        if n:
            s = get(n)
            settled[n] = D(d["amount"]) if s is None else s + D(d["amount"])
    disputed = {d["invoice"] for d in repo.documents("disputes") if not d.get("resolved")}
    out = []
    settled_ones = []
    for d in invoices:
        amount = D(d["amount"])
        s = get(d["number"])
        left = amount if s is None else amount - s
        if left > 0:
            cur = d["currency"]
            inv = Invoice(d["number"], d["client"], date.fromisoformat(d["issued"]), date.fromisoformat(d["due"]), cur,
                          amount_from_store(d["amount"], cur))
            out.append((inv, left.quantize(inv.amount), d["number"] in disputed))
        else:
            settled_ones.append((d["number"], d["client"], d["currency"]))
    return out, settled_ones
