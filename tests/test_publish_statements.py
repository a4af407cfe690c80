"""Statements of account: the data, the HTML, the PDF (text, paper size, page breaks, page numbers)."""
from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish.sample import sample_book
from publish.statements import render_statement_html, render_statement_pdf, statement_data
from receivables.model import Invoice
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
ON = date(2026, 11, 20)


@pytest.fixture(scope="module")
def policy():
    return read_policy(ROOT / "policy.toml")


@pytest.fixture(scope="module")
def book():
    return sample_book(ON)


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    r = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in r.pages), r


def test_statement_data_for_acme(book, policy):
    s = statement_data(book, policy, "ACME", ON)
    (sec,) = s.sections
    assert sec.currency == "GBP"
    assert [i.number for i in sec.items] == ["INV-1001", "INV-1002", "INV-1004", "INV-1003"]
    by = {i.number: i for i in sec.items}
    assert by["INV-1001"].outstanding == Decimal("800.00") and by["INV-1001"].days_overdue == 65
    assert by["INV-1002"].outstanding == Decimal("830.50")  # 850.50 less a 20.00 credit note
    assert by["INV-1003"].days_overdue == 0
    assert dict(sec.aging) == {"current": Decimal("432.10"), "1-30": Decimal("930.49"), "31-60": Decimal("0"),
                               "61-90": Decimal("800.00"), "91-120": Decimal("0"), "120+": Decimal("0")}
    assert sec.total_due == Decimal("2162.59") == sum(dict(sec.aging).values())
    assert [(m.kind, m.amount) for m in sec.movements] == [("Payment", Decimal("400.00")),
                                                          ("Credit note", Decimal("20.00"))]
    assert sec.interest == 0  # the policy does not charge interest
    # the internal phone note is not published by default; the sent reminder is
    assert [a.channel for a in s.activities] == ["email"]


def test_internal_notes_only_when_the_policy_says_so(book, policy):
    p = replace(policy, publish=replace(policy.publish, internal_notes=True))
    s = statement_data(book, p, "ACME", ON)
    assert "she sounded stressed" in render_statement_html(s)
    assert "she sounded stressed" not in render_statement_html(statement_data(book, policy, "ACME", ON))


def test_interest_and_compensation_when_charged(book, policy):
    p = replace(policy, interest=replace(policy.interest, charge=True))
    s = statement_data(book, p, "ACME", ON)
    sec = s.sections[0]
    assert s.charge_interest
    overdue = [i for i in sec.items if i.days_overdue > 0]
    assert all(i.interest > 0 for i in overdue)
    assert {i.number: i.compensation for i in overdue}["INV-1001"] == Decimal("70")  # 1,000 - 9,999.99 band
    assert sec.total_due == sec.open_total - sec.credit + sec.interest + sec.compensation
    html = render_statement_html(s)
    assert "Interest" in html and "Compensation" in html


def test_statement_holds_only_its_clients_data(book, policy):
    for cid in book.clients:
        html = render_statement_html(statement_data(book, policy, cid, ON))
        for number, inv in book.invoices.items():
            if inv.client != cid:
                assert number not in html, (cid, number)
        for p in book.payments:
            if p.client != cid and p.reference:
                assert p.reference not in html


def test_german_client_sees_german_formats(book, policy):
    html = render_statement_html(statement_data(book, policy, "BETA", ON))
    assert "1.234,56\xa0€" in html
    assert "20.11.2026" in html


def test_statement_pdf_text_and_page_numbers(book, policy):
    data = render_statement_pdf(statement_data(book, policy, "ACME", ON))
    text, reader = pdf_text(data)
    for must in ("Statement of account", "Acme Widgets Ltd", "INV-1001", "INV-1002", "£2,162.59", "Total due",
                 "Sort code 12-34-56", f"Page 1 of {len(reader.pages)}"):
        assert must in text, must
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_letter_paper_from_the_policy(book, policy):
    p = replace(policy, publish=replace(policy.publish, paper="Letter"))
    data = render_statement_pdf(statement_data(book, p, "ACME", ON))
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_long_statement_breaks_across_pages_with_repeated_headers(book, policy):
    many = {f"INV-9{i:03d}": Invoice(f"INV-9{i:03d}", "ACME", ON - timedelta(days=200 - i), ON - timedelta(days=170 - i),
                                     "GBP", Decimal("100.00") + i) for i in range(90)}
    big = replace(book, invoices={**book.invoices, **many})
    data = render_statement_pdf(statement_data(big, policy, "ACME", ON))
    text, reader = pdf_text(data)
    assert len(reader.pages) >= 3
    for n, page in enumerate(reader.pages, start=1):
        t = page.extract_text()
        assert f"Page {n} of {len(reader.pages)}" in t
    # the open-items header row is repeated on every page the table spans
    # (pages up to the aging summary, which follows the table; the message later lists invoices too)
    texts = [p.extract_text() for p in reader.pages]
    end = next(i for i, t in enumerate(texts) if "Aging" in t)
    spans = [t for t in texts[: end + 1] if "INV-9" in t]
    assert len(spans) >= 2 and all("Outstanding" in t and "Days" in t for t in spans)


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (Decimal, date)):
        return str(obj)
    return obj


def test_golden_statement_page_data(book, policy):
    s = statement_data(book, policy, "ACME", ON)
    data = _plain(asdict(s))
    if data.get("message"):
        data["message"]["html"] = "<masked>"  # its text is checked below; HTML is markdown-it's
    path = GOLDEN / "statement_ACME.json"
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("DUN_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, "utf-8")
    assert text == path.read_text("utf-8"), "statement data changed; rerun with DUN_UPDATE_GOLDEN=1 if intended"
