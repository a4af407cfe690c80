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


def open_invoices(repo) -> list[tuple[Invoice, Decimal, bool]]:
    """(invoice, what it still owes, under an open dispute) for every invoice owing more than 0."""
    keep = not getattr(repo, "read_only", True)  # parsed once: the commit that follows reads them too
    invoices = repo.documents("invoices", keep=keep)
    owed: dict[str, Decimal] = {d["number"]: Decimal(d["amount"]) for d in invoices}
    for d in repo.documents("payments", keep=keep):
        for a in d.get("allocations", ()):
            n = a["invoice"]
            if n in owed:
                owed[n] -= Decimal(a["amount"])
    for d in repo.documents("adjustments"):
        n = d.get("invoice")
        if n in owed:
            owed[n] -= Decimal(d["amount"])
    disputed = {d["invoice"] for d in repo.documents("disputes") if not d.get("resolved")}
    out = []
    for d in invoices:
        left = owed[d["number"]]
        if left > 0:
            cur = d["currency"]
            inv = Invoice(d["number"], d["client"], date.fromisoformat(d["issued"]), date.fromisoformat(d["due"]), cur,
                          amount_from_store(d["amount"], cur))
            out.append((inv, left.quantize(inv.amount), d["number"] in disputed))
    return out
