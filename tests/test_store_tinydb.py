"""book.json is a TinyDB document for real (issue 17 item 5): stock TinyDB, with its own JSON
storage, opens it read-only and reads every table; a book written with the stock TinyDB API
opens in dun and passes 'dun check'."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson
from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

from cli.main import main
from receivables.model import (
    Activity,
    Adjustment,
    Allocation,
    Client,
    Dispute,
    Installment,
    Invoice,
    Payment,
    PaymentPlan,
    PromiseToPay,
)
from store import codec, open_book

from .conftest import TODAY


def _every_kind(repo) -> None:
    repo.add_client(Client(id="acme", name="Acme & Söhne", currency="EUR", terms_days=30))
    repo.add_invoice(Invoice("INV-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "EUR", Decimal("100.00")))
    repo.add_invoice(Invoice("INV-2", "acme", date(2026, 9, 5), date(2026, 10, 5), "EUR", Decimal("80.00")))
    repo.record_payment(Payment("", date(2026, 10, 3), "acme", Decimal("40.00"), "EUR", "bank", "r1",
                                (Allocation("INV-1", Decimal("40.00")),)))
    repo.add_adjustment(Adjustment("", "credit_note", date(2026, 10, 4), "acme", Decimal("5.00"), "EUR", "INV-1", "discount"))
    repo.log_activity(Activity("", date(2026, 10, 6), "acme", "email", body="reminder", invoices=("INV-1",)))
    repo.add_promise(PromiseToPay("", "acme", date(2026, 10, 7), Decimal("55.00"), "EUR", date(2026, 10, 20)))
    repo.add_plan(PaymentPlan("", "acme", date(2026, 10, 8), "EUR", ("INV-2",),
                              (Installment(date(2026, 11, 1), Decimal("80.00")),)))
    repo.open_dispute(Dispute("", "INV-1", "acme", "wrong price", date(2026, 10, 9)))


def test_stock_tinydb_opens_a_dun_book_read_only_and_reads_every_table(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        _every_kind(repo)
        repo.checkpoint()  # every change in book.json (see README: the journal holds later ones)
        expected = {name: repo.documents(name) for name in codec.TABLES}
    raw = (book_dir / "book.json").read_bytes()
    db = TinyDB(book_dir / "book.json", access_mode="r")  # tinydb's own JSONStorage
    try:
        assert isinstance(db.storage, JSONStorage)
        assert db.tables() == {*codec.TABLES, "meta"}
        for name, docs in expected.items():
            assert db.table(name).all() == docs, name
            assert all(len(d) for d in docs), name
        assert db.table("meta").get(doc_id=1)["schema"] == 1
        hit = db.table("invoices").search(Query().client == "acme")
        assert sorted(d["number"] for d in hit) == ["INV-1", "INV-2"]
        assert db.table("payments").get(Query().reference == "r1")["amount"] == "40.00"
    finally:
        db.close()
    assert (book_dir / "book.json").read_bytes() == raw  # read-only: not a byte changed


def test_a_book_written_with_stock_tinydb_opens_in_dun_and_passes_check(tmp_path, capsys):
    book = tmp_path / "scripted"
    assert main(["init", str(book)]) == 0
    (book / "book.json").unlink()
    (book / "book.journal").unlink(missing_ok=True)
    db = TinyDB(book / "book.json")  # the stock API, its own storage, as a user's script would
    db.table("clients").insert(codec.client_to_doc(Client(id="acme", name="Acme", currency="GBP", terms_days=30)))
    db.table("invoices").insert_multiple([
        codec.invoice_to_doc(Invoice("INV-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("100.00"))),
        codec.invoice_to_doc(Invoice("INV-2", "acme", date(2026, 9, 2), date(2026, 10, 2), "GBP", Decimal("250.00"))),
    ])
    db.table("payments").insert(codec.payment_to_doc(
        Payment("PAY-000001", date(2026, 10, 2), "acme", Decimal("100.00"), "GBP", "bank", "x",
                (Allocation("INV-1", Decimal("100.00")),))))
    db.close()
    capsys.readouterr()
    assert main(["check", "--book", str(book)]) == 0
    assert "consistent" in capsys.readouterr().out
    assert main(["client", "show", "acme", "--json", "--book", str(book), "--on", "2026-11-01"]) == 0
    shown = orjson.loads(capsys.readouterr().out)
    assert "250.00" in orjson.dumps(shown).decode()
    # dun writes to it (its first write upgrades the file, keeping a copy), and it stays a TinyDB document
    assert main(["pay", "acme", "50", "--book", str(book), "--on", "2026-11-01"]) == 0
    assert main(["check", "--book", str(book)]) == 0
    with open_book(book, today=TODAY) as repo:
        repo.checkpoint()
    db = TinyDB(book / "book.json", access_mode="r")
    try:
        assert len(db.table("payments")) == 2 and len(db.table("invoices")) == 2
    finally:
        db.close()


def test_dun_checkpoint_brings_book_json_up_to_date_for_a_tinydb_reader(book_dir, capsys):
    with open_book(book_dir, today=TODAY) as repo:
        _every_kind(repo)
        repo.checkpoint()
    assert main(["note", "acme", "called, will pay Friday", "--book", str(book_dir), "--on", "2026-11-01"]) == 0
    capsys.readouterr()

    def notes() -> list[str]:
        db = TinyDB(book_dir / "book.json", access_mode="r")
        try:
            return [d.get("body") for d in db.table("activities").all()]
        finally:
            db.close()

    assert "called, will pay Friday" not in notes()  # in book.journal, as the README says
    assert main(["checkpoint", "--book", str(book_dir)]) == 0
    assert "every saved change" in capsys.readouterr().err
    assert "called, will pay Friday" in notes()
    assert (book_dir / "book.journal").read_bytes() == b""


def test_dun_checkpoint_has_help_and_refuses_a_missing_book_in_one_line(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as e:
        main(["checkpoint", "--help"])
    assert e.value.code == 0 and "TinyDB" in capsys.readouterr().out
    assert main(["checkpoint", "--book", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no book here" in err
    assert not (tmp_path / "nowhere").exists()
