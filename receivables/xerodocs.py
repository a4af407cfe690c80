"""Xero's sales-invoice export read into documents (:class:`XeroDoc`): one per invoice or
credit note, its rows grouped, its amounts, dates, lines and tax checked. The sync itself
(what each document changes in the book) is :mod:`receivables.xero`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .csvread import Rows, parse_currency, parse_quantity
from .dates import parse_date, parse_dmy
from .errors import DunError
from .model import InvoiceLine, is_email
from .money import ZERO, parse_amount, quantum
from .policy import Defaults

# The columns of the export: those it must have, those read when present.
XERO_REQUIRED = ("ContactName", "InvoiceNumber", "InvoiceDate", "DueDate", "Total", "InvoiceAmountPaid",
                 "InvoiceAmountDue", "Description", "Quantity", "UnitAmount")
XERO_OPTIONAL = ("EmailAddress", "Reference", "Currency", "LineAmount", "Discount", "Status", "Type",
                 "TaxTotal", "TaxAmount", "LineAmountTypes", "FullyPaidOnDate", "ExportDate", "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity",
                 "PORegion", "POPostalCode", "POCountry")
# The columns whose cells must be the same on every row of one document.
XERO_HEAD = ("ContactName", "InvoiceDate", "DueDate", "Total", "InvoiceAmountPaid", "InvoiceAmountDue",
             "Currency", "Reference", "EmailAddress")

_STATUS_NAMES = {"AWAITING_APPROVAL": "SUBMITTED", "AWAITING_PAYMENT": "AUTHORISED", "VOID": "VOIDED",
                 "APPROVED": "AUTHORISED"}
_STATUSES = {"", "DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"}  # after _STATUS_NAMES
_CREDIT_TYPES = {"ACCRECCREDIT", "CREDIT NOTE", "SALES CREDIT NOTE", "CREDIT"}
_BILL_TYPES = {"ACCPAY", "ACCPAYCREDIT", "BILL", "PURCHASES BILL"}
_FILE_DATE = re.compile(r"(?<![0-9])(20[0-9]{2})-?([01][0-9])-?([0-3][0-9])(?![0-9])")


@dataclass(slots=True)
class XeroDoc:
    """One invoice or credit note of the export (its first row's number ``row``)."""

    row: int
    number: str
    credit: bool
    status: str
    name: str
    currency: str
    issued: date
    due: date
    total: Decimal
    tax: Decimal
    paid: Decimal
    owed: Decimal
    lines: tuple
    reference: str
    email: str
    address: str
    fully_paid_on: date | None

    @property
    def credited(self) -> Decimal:
        return self.total - self.paid - self.owed


def export_date(table_rows, source: str) -> date | None:
    """The date the export was made, if the file carries one."""
    for _, r in table_rows:
        text = r.get("ExportDate", "").strip()
        if text:
            try:
                return parse_dmy(text, "ExportDate")
            except DunError:
                return parse_date(text, f"{source} (ExportDate)")
    m = _FILE_DATE.search(source)
    if m:
        try:
            return date(*(int(g) for g in m.groups()))
        except ValueError:
            return None
    return None


def _status(text: str) -> str:
    s = text.strip().upper().replace(" ", "_")
    return _STATUS_NAMES.get(s, s)


def parse_doc(rows: Rows, number: str, items, cols: set[str], defaults: Defaults) -> XeroDoc | None:
    n0, head = items[0]
    for n, r in items[1:]:  # every row of a document must agree on its document-level columns
        for col in (*XERO_HEAD, "TaxTotal", "Status", "Type"):
            if col in cols and r[col].strip() != head[col].strip():
                rows.add(n, f"{col} {r[col]!r} differs from row {n0} ({head[col]!r}) of invoice {number!r}",
                         "all rows of one invoice must agree", col)
                return None
    status = _status(head.get("Status", ""))
    if status not in _STATUSES:  # (an unknown one was imported and chased as if authorised)
        rows.add(n0, f"status {head['Status'].strip()[:40]!r} of invoice {number!r} is not one of Xero's",
                 "Xero's are Draft, Awaiting Approval, Awaiting Payment, Paid, Voided and Deleted: export again",
                 "Status")
        return None
    kind = head.get("Type", "").strip().upper()
    if kind in _BILL_TYPES:
        rows.add(n0, f"{number} is a bill ({head['Type'].strip()}), not a sales invoice",
                 "export Sales > Invoices from Xero", "Type")
        return None
    name = head["ContactName"].strip()
    if not name:
        rows.add(n0, "the contact name is empty", "every invoice needs its ContactName", "ContactName")
        return None
    currency = rows.run(n0, parse_currency, head.get("Currency", ""), "Currency", defaults.currency)
    issued = rows.run(n0, parse_dmy, head["InvoiceDate"], "InvoiceDate")
    due = rows.run(n0, parse_dmy, head["DueDate"], "DueDate") if head["DueDate"].strip() else issued
    if currency is None or issued is None or due is None:
        return None
    if due < issued:
        rows.add(n0, f"due date {due} is before the invoice date {issued}", "check both dates", "DueDate")
        return None
    total = rows.run(n0, parse_amount, head["Total"], currency, "Total", allow_zero=True)
    paid = rows.run(n0, parse_amount, head["InvoiceAmountPaid"], currency, "InvoiceAmountPaid", allow_zero=True)
    owed = rows.run(n0, parse_amount, head["InvoiceAmountDue"], currency, "InvoiceAmountDue", allow_zero=True)
    if total is None or paid is None or owed is None:
        return None
    if paid + owed > total:
        rows.add(n0, f"paid {paid} plus due {owed} is more than the total {total}",
                 "check InvoiceAmountPaid and InvoiceAmountDue", "Total")
        return None
    fully = None
    if head.get("FullyPaidOnDate", "").strip():
        fully = rows.run(n0, parse_dmy, head["FullyPaidOnDate"], "FullyPaidOnDate")
        if fully is None:
            return None
    lines, tax = _lines_and_tax(rows, n0, items, currency, cols, total)
    if lines is None:
        return None
    address = "\n".join(head.get(c, "").strip() for c in
                        ("POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4",
                         "POCity", "PORegion", "POPostalCode", "POCountry") if head.get(c, "").strip())
    email = head.get("EmailAddress", "").strip()
    if email and not is_email(email):
        rows.add(n0, f"{email!r} is not an e-mail address", "fix it in Xero or leave it empty", "EmailAddress")
        return None
    return XeroDoc(n0, number, kind in _CREDIT_TYPES, status, name, currency, issued, due,
                total, tax, paid, owed, tuple(lines), head.get("Reference", ""), email, address, fully)


def _lines_and_tax(rows: Rows, n0: int, items, currency: str, cols: set[str], total: Decimal):
    """(lines stored net of tax, the tax), or (None, None) with the problem added."""
    before = len(rows.problems)
    lines: list[InvoiceLine] = []
    line_tax: list[Decimal | None] = []
    for n, r in items:
        line = _xero_line(rows, n, r, currency, cols)
        if line is None:
            continue
        lines.append(line)
        t = r.get("TaxAmount", "").strip() if "TaxAmount" in cols else ""
        line_tax.append(rows.run(n, parse_amount, t, currency, "TaxAmount", allow_negative=True, allow_zero=True)
                        if t else None)
    if len(rows.problems) > before:
        return None, None
    gross = sum((ln.amount for ln in lines), ZERO)
    if "TaxTotal" in cols and items[0][1]["TaxTotal"].strip():
        tax = rows.run(n0, parse_amount, items[0][1]["TaxTotal"], currency, "TaxTotal", allow_negative=True,
                       allow_zero=True)
        if tax is None:
            return None, None
    elif line_tax and all(t is not None for t in line_tax):
        tax = sum(line_tax, ZERO)
    else:
        tax = total - gross
    mode = items[0][1].get("LineAmountTypes", "").strip().upper() if "LineAmountTypes" in cols else ""
    if not mode:
        mode = "EXCLUSIVE" if gross + tax == total else "INCLUSIVE" if gross == total else ""
    if mode == "INCLUSIVE" and gross == total:
        lines = _net_of_tax(lines, line_tax, tax, currency)
    elif mode in ("EXCLUSIVE", "NOTAX") and gross + tax == total:
        pass
    else:
        rows.add(n0, f"the lines ({gross}) and the tax ({tax}) do not make the Total {total}",
                 "check LineAmount, TaxTotal and Total in Xero, and export again", "Total")
        return None, None
    return lines, tax


def _net_of_tax(lines: list[InvoiceLine], line_tax: list, tax: Decimal, currency: str) -> list[InvoiceLine]:
    """Tax-inclusive lines made net: each less its own TaxAmount if the export gives them all
    (and they add up to the tax), else the tax spread in proportion, the rounding on the last line."""
    if not tax or not lines:
        return lines
    if all(t is not None for t in line_tax) and sum(line_tax, ZERO) == tax:
        cuts = list(line_tax)
    else:
        gross = sum((ln.amount for ln in lines), ZERO)
        cuts = [(ln.amount * tax / gross).quantize(quantum(currency), rounding=ROUND_HALF_UP) if gross else ZERO
                for ln in lines]
        cuts[-1] += tax - sum(cuts, ZERO)
    out = []
    for ln, cut in zip(lines, cuts):
        net = ln.amount - cut
        unit = (net / ln.quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if ln.quantity else ln.unit_amount
        out.append(replace(ln, amount=net, unit_amount=unit))
    return out


def _xero_line(rows: Rows, n: int, r: dict[str, str], currency: str, cols: set[str]) -> InvoiceLine | None:
    desc = r["Description"]
    q_text, u_text = r["Quantity"].strip(), r["UnitAmount"].strip()
    la_text = r.get("LineAmount", "").strip() if "LineAmount" in cols else ""
    if not q_text and not u_text and not la_text:
        if desc.strip():  # a text-only line
            return InvoiceLine(desc, ZERO, ZERO, ZERO)
        return None
    qty = rows.run(n, parse_quantity, q_text or "1", "Quantity")
    unit = rows.run(n, parse_quantity, u_text or "0", "UnitAmount")
    if qty is None or unit is None:
        return None
    if la_text:
        amount = rows.run(n, parse_amount, la_text, currency, "LineAmount", allow_negative=True, allow_zero=True)
        if amount is None:
            return None
    else:
        amount = qty * unit
        disc = r.get("Discount", "").strip() if "Discount" in cols else ""
        if disc:
            rate = rows.run(n, parse_quantity, disc, "Discount")
            if rate is None:
                return None
            amount = amount * (100 - rate) / 100
        amount = amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return InvoiceLine(desc, qty, unit, amount)
