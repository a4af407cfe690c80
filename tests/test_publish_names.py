"""Client ids that differ only in case (``acme`` and ``ACME``), or that are not file names at
all, get files of their own on every disk; a ``--no-pdf`` build or a deleted statement file
never makes a later ``dun publish`` fail."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from publish.sample import sample_book
from publish.site import MANIFEST, file_names, publish
from receivables.model import Allocation, Invoice, Payment
from store import init_book, open_book

ON = date(2026, 11, 23)


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


# an id made to be the name another id's file would get under a naive scheme (id plus a digest)
CRAFTED = "acme-" + hashlib.sha1(b"acme").hexdigest()[:8]


def _book_with_case_twins():
    book = sample_book(ON)
    acme = book.clients["ACME"]
    twins = {"acme": replace(acme, id="acme", name="acme lower-case Ltd"),
             "Acme": replace(acme, id="Acme", name="Acme Title-case Ltd"),
             CRAFTED: replace(acme, id=CRAFTED, name="Crafted Name Ltd")}
    # (invoice numbers that differ in more than case: a book with INV-acme-1 and INV-Acme-1 is refused)
    invoices = {f"INV-T{k}-1": Invoice(f"INV-T{k}-1", cid, ON - timedelta(days=60), ON - timedelta(days=30), "GBP",
                                       Decimal("200.00")) for k, cid in enumerate(twins)}
    return replace(book, clients={**book.clients, **twins}, invoices={**book.invoices, **invoices})


def test_ids_differing_only_in_case_get_their_own_files(tmp_path):
    book = _book_with_case_twins()
    names = file_names(book.clients)
    assert len({n.casefold() for n in names.values()}) == len(book.clients)
    init_book(tmp_path / "book", book=book)
    site = tmp_path / "site"
    with open_book(tmp_path / "book", today=ON) as repo:
        publish(repo, None, ON, site, pdf=False)
    folded = {}
    for p in (site / "clients").iterdir():
        assert p.name.casefold() not in folded, (p.name, folded.get(p.name.casefold()))
        folded[p.name.casefold()] = p.name
    for cid in ("ACME", "acme", "Acme", CRAFTED):  # each page is its own client's
        page = (site / "clients" / f"{names[cid]}.html").read_text("utf-8")
        assert book.clients[cid].name in page
        others = {"ACME", "acme", "Acme", CRAFTED} - {cid}
        assert not any(book.clients[o].name in page for o in others if book.clients[o].name != book.clients[cid].name)


def test_no_pdf_builds_deleted_statements_and_case_twins_never_break_a_later_publish(tmp_path):
    book = _book_with_case_twins()
    init_book(tmp_path / "book", book=book)
    site, full = tmp_path / "site", tmp_path / "full"
    names = file_names(book.clients)

    def build(out: Path, **kw):
        with open_book(tmp_path / "book", today=ON) as repo:
            return publish(repo, None, ON, out, **kw)

    build(site, pdf=True)
    build(site, pdf=False)  # --no-pdf
    with open_book(tmp_path / "book", today=ON) as repo:
        repo.record_payment(Payment("", ON, "acme", Decimal("50.00"), "GBP", "bank", "part",
                                    (Allocation("INV-T0-1", Decimal("50.00")),)))
    (site / "clients" / f"{names['Acme']}.html").unlink()
    build(site, pdf=True)
    (site / "clients" / f"{names['ACME']}.pdf").unlink()
    build(site, pdf=False)
    build(site, pdf=True)
    build(full, pdf=True, incremental=False)
    a, b = _files(site), _files(full)
    assert sorted(a) == sorted(b)
    assert all(a[rel] == b[rel] for rel in a), [rel for rel in a if a[rel] != b[rel]]
