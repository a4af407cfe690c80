"""A charge document's lines in one CSV cell (``dun export invoices`` / ``dun import
invoices``, the ``charges`` column).

The cell is a JSON list in the book file's own shape (README, "invoice": ``charges``):
each line ``kind`` (interest, compensation, fee), ``amount``, and as it has them
``invoice``, ``start``, ``end``, ``segments`` (``start``, ``end``, ``basis``, ``rate``),
``step``, ``invoices``. Amounts are decimal strings in the document's currency, dates ISO.
Reading is strict: a field it does not know, a missing amount or a malformed value is an
error naming the line, never guessed at. :func:`charge_parts` reads a row's ``kind``,
``charges`` and ``note`` for :func:`receivables.imports.import_invoices`.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal

from .dates import parse_date
from .errors import DunError
from .model import CHARGE_KINDS, Charge, InterestSegment
from .money import parse_amount, to_text

_FIELDS = {"kind", "amount", "invoice", "start", "end", "segments", "step", "invoices"}
_SEGMENT = {"start", "end", "basis", "rate"}
_RATE = re.compile(r"\d{1,3}(\.\d{1,8})?")


def charge_doc(c: Charge, currency: str) -> dict:
    """One charge line in the book file's shape (store.codec writes it; the CSV cell holds a
    list of them)."""
    doc: dict = {"kind": c.kind, "amount": to_text(c.amount, currency)}
    if c.invoice:
        doc["invoice"] = c.invoice
    if c.start is not None:
        doc["start"] = c.start.isoformat()
    if c.end is not None:
        doc["end"] = c.end.isoformat()
    if c.segments:
        doc["segments"] = [{"start": g.start.isoformat(), "end": g.end.isoformat(),
                            "basis": to_text(g.basis, currency), "rate": format(g.rate, "f")}
                           for g in c.segments]
    if c.step:
        doc["step"] = c.step
    if c.invoices:
        doc["invoices"] = list(c.invoices)
    return doc


def charges_text(charges, currency: str) -> str:
    """The cell for a document's ``charges`` ("" for none)."""
    out = [charge_doc(c, currency) for c in charges]
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False) if out else ""


def charges_from_text(text: str, currency: str, where: str = "charges") -> tuple[Charge, ...]:
    """The lines of a ``charges`` cell; a :class:`DunError` naming what is wrong."""
    hint = "export the book again with dun export invoices, or leave the row out"
    try:
        lines = json.loads(text)
    except (ValueError, RecursionError):  # (RecursionError: "[[[[…" nested deeper than any charge line)
        raise DunError("is not a list of charge lines (JSON)", where, hint) from None
    if not isinstance(lines, list) or not lines:
        raise DunError("is not a list of charge lines (JSON)", where, hint)
    out = []
    for k, doc in enumerate(lines, 1):
        w = f"{where} line {k}"
        if not isinstance(doc, dict) or set(doc) - _FIELDS or not {"kind", "amount"} <= set(doc):
            raise DunError("needs kind and amount and nothing but "
                           + ", ".join(sorted(_FIELDS - {"kind", "amount"})), w, hint)
        if doc["kind"] not in CHARGE_KINDS:
            raise DunError(f"unknown charge kind {doc['kind']!r}", w, f"one of {', '.join(CHARGE_KINDS)}")
        segs = doc.get("segments", [])
        if not isinstance(segs, list) or any(not isinstance(g, dict) or set(g) != _SEGMENT for g in segs):
            raise DunError("segments need start, end, basis and rate each", w, hint)
        invoices = doc.get("invoices", [])
        if not isinstance(invoices, list) or not all(isinstance(n, str) for n in invoices):
            raise DunError("invoices is not a list of invoice numbers", w, hint)
        out.append(Charge(
            doc["kind"], parse_amount(_text(doc["amount"], w), currency, f"{w} amount"),
            _text(doc.get("invoice", ""), w), _day(doc.get("start"), f"{w} start"), _day(doc.get("end"), f"{w} end"),
            tuple(InterestSegment(parse_date(_text(g["start"], w), f"{w} segment start"),
                                  parse_date(_text(g["end"], w), f"{w} segment end"),
                                  parse_amount(_text(g["basis"], w), currency, f"{w} basis", allow_zero=True),
                                  _rate(g["rate"], w)) for g in segs),
            _text(doc.get("step", ""), w), tuple(invoices)))
    return tuple(out)


def charge_parts(rows, n: int, r: dict, number: str, currency: str, book,
                 prefix: str) -> tuple[str, tuple, str] | None:
    """An ``invoices.csv`` row's kind, charges and note (None: the row's problem is added to
    ``rows``, a :class:`~receivables.csvread.Rows`). A charge document
    must come back as one: as an ordinary invoice it would claim its interest and
    compensation a second time, and earn interest and a fixed sum of its own."""
    kind = r.get("kind", "").strip()
    if kind == "charge":
        charges = rows.run(n, charges_from_text, r.get("charges", ""), currency, "charges")
        return None if charges is None else (kind, charges, r.get("note", ""))
    if kind:
        rows.add(n, f"unknown kind {kind!r}", 'leave it empty for an invoice; "charge" for a charge document', "kind")
        return None
    if r.get("charges", "").strip():
        rows.add(n, 'has charges but its kind is not "charge"', 'a charge document has kind "charge"', "kind")
        return None
    if number not in book.invoices and number.startswith(prefix) and number[len(prefix):].isdigit():
        rows.add(n, f"{number} is in the charge-document series ({prefix}) but the row is not a charge document "
                    "(no kind and charges columns): it would claim the same interest and compensation again",
                 "export it again with this version of dun, which carries them, or leave the row out", "number")
        return None
    return "", (), ""


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise DunError(f"{value!r} is not text", where, "amounts, dates and numbers are quoted strings")
    return value


def _day(value, where: str):
    return None if value is None else parse_date(_text(value, where), where)


def _rate(value, where: str) -> Decimal:
    if not isinstance(value, str) or not _RATE.fullmatch(value):
        raise DunError(f"rate {value!r} is not a percentage", where, "e.g. \"11.75\"")
    return Decimal(value)
