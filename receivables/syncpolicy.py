"""The ``[bank]`` and ``[sync]`` tables of ``policy.toml``.

``[bank]`` declares how to read the bank's CSV statements (OFX and camt.053 need nothing)::

    [bank]
    layout = "starling"          # a named layout (below), or leave it out and name the columns:
    date = "Date"                # column names as in the file's header row
    amount = "Amount"            # signed: money in is positive
    description = "Description"
    reference = "Reference"
    payer = "Counter Party"      # optional
    id = ""                      # optional: a column holding the bank's own transaction id
    date_format = "%d/%m/%Y"     # strptime codes: %d day, %m month, %Y year, %b month name
    decimal = "."                # "." or ","
    delimiter = ","              # "," or ";" or "\\t"
    currency = "GBP"             # the account's currency (default: [defaults] currency)

Keys given next to ``layout`` override the layout's. ``[sync] warn_after_days`` (default 2
business days) is how old the last Xero or bank import may be before Today and
``dun agenda`` say "sync first".
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .money import MINOR_UNITS


@dataclass(frozen=True, slots=True)
class BankCsv:
    date: str = ""
    amount: str = ""
    description: str = ""
    reference: str = ""
    payer: str = ""
    id: str = ""
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    delimiter: str = ","
    currency: str = ""  # empty: the policy's default currency
    layout: str = ""

    @property
    def declared(self) -> bool:
        return bool(self.date and self.amount)


# A few common layouts (the header names the banks' CSV exports use).
LAYOUTS: dict[str, BankCsv] = {
    "starling": BankCsv(date="Date", amount="Amount (GBP)", description="Type", reference="Reference",
                        payer="Counter Party", date_format="%d/%m/%Y", currency="GBP"),
    "monzo": BankCsv(date="Date", amount="Amount", description="Description", reference="Notes and #tags",
                     payer="Name", id="Transaction ID", date_format="%d/%m/%Y"),
    "barclays": BankCsv(date="Date", amount="Amount", description="Subcategory", reference="Memo",
                        date_format="%d/%m/%Y", currency="GBP"),
    "generic": BankCsv(date="date", amount="amount", description="description", reference="reference",
                       payer="payer"),
}


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    warn_after_days: int = 2  # business days


def read_bank(r, doc: dict, default_currency: str) -> BankCsv:
    """``[bank]`` with problems reported through the policy reader ``r``."""
    names = {f.name for f in fields(BankCsv)}
    t = r.table(doc, "bank", names)
    base = BankCsv()
    layout = r.get(t, "bank.", "layout", str, "")
    if layout:
        if layout not in LAYOUTS:
            r.problem("bank.layout", f"unknown layout {layout!r}", f"use one of {', '.join(sorted(LAYOUTS))}, "
                      "or name the columns (date, amount, description, reference)")
        else:
            base = replace(LAYOUTS[layout], layout=layout)
    values = {k: r.get(t, "bank.", k, str, getattr(base, k)) for k in names if k != "layout"}
    out = replace(base, **values)
    if out.decimal not in (".", ","):
        r.problem("bank.decimal", f"must be \".\" or \",\", not {out.decimal!r}")
    if out.delimiter not in (",", ";", "\t", "|"):
        r.problem("bank.delimiter", f"must be \",\", \";\", \"|\" or a tab, not {out.delimiter!r}")
    if out.decimal == out.delimiter:
        r.problem("bank.decimal", "the decimal separator cannot also be the delimiter", 'use delimiter = ";"')
    if out.currency and out.currency not in MINOR_UNITS:
        r.problem("bank.currency", f"unknown currency {out.currency!r}", "use an ISO 4217 code such as GBP")
    if "%d" not in out.date_format or "%Y" not in out.date_format and "%y" not in out.date_format:
        r.problem("bank.date_format", f"{out.date_format!r} needs %d, %m (or %b) and %Y",
                  'e.g. date_format = "%d/%m/%Y"')
    if bool(out.date) != bool(out.amount):
        r.problem("bank.date" if not out.date else "bank.amount", "name both the date and the amount columns")
    return replace(out, currency=out.currency or default_currency)


def read_sync(r, doc: dict) -> SyncPolicy:
    t = r.table(doc, "sync", {"warn_after_days"})
    return SyncPolicy(warn_after_days=r.count(t, "sync.", "warn_after_days", 2, 1))
