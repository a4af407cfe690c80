"""The Unmatched receipts screen: reached from Today, one key accepts the best suggestion,
and the payer's name it teaches matches the next statement by itself."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from tui.app import create_app

from .tui_support import async_test, loaded, reopen, settle, text_of

DATA = Path(__file__).parent / "data" / "sync"
ON = date(2026, 3, 25)


def _book(tmp_path) -> Path:
    from receivables.bank import read_statement
    from receivables.matching import import_bank
    from receivables.policy import read_policy
    from receivables.xero import import_xero
    from store import init_book, open_book

    path = tmp_path / "book"
    init_book(path)
    with open_book(path, today=ON) as repo:
        policy = read_policy(path / "policy.toml")
        for name, on in (("xero-export-2026-03-02.csv", date(2026, 3, 3)), ("xero-export-2026-03-16.csv", date(2026, 3, 17))):
            r = import_xero((DATA / name).read_bytes(), repo.book(), policy.defaults, name, today=on)
            repo.commit(r.records, r.updates)
        st = read_statement((DATA / "statement-2026-03-20.ofx").read_bytes(), "statement-2026-03-20.ofx", policy.bank)
        r = import_bank(st, repo.book(), date(2026, 3, 20))
        repo.commit(r.records, r.updates)
    return path


def _import_next(path: Path):
    from receivables.bank import read_statement
    from receivables.matching import import_bank
    from receivables.policy import read_policy
    from store import open_book

    with open_book(path, today=ON) as repo:
        st = read_statement((DATA / "statement-2026-03-27.ofx").read_bytes(), "statement-2026-03-27.ofx",
                            read_policy(path / "policy.toml").bank)
        r = import_bank(st, repo.book(), ON)
        repo.commit(r.records, r.updates)
        return r


@async_test
async def test_accepting_a_suggestion_pays_the_invoice_and_teaches_the_payer(tmp_path):
    path = _book(tmp_path)
    app = create_app(path, on=ON)
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(app, pilot)
        head = text_of(app.screen.query_one("#today-head"))
        assert "2 bank receipts unmatched" in head  # the sync-first line
        await pilot.press("b")
        await settle(app, pilot)
        screen = app.screen
        assert type(screen).__name__ == "ReceiptsScreen"
        table = screen.query_one("#receipts")
        assert [(r.payer, r.amount) for r in table.rows] == [("J SMITH", Decimal("360.00")),
                                                             ("KESTREL LOGISTICS", Decimal("100.00"))]
        shown = text_of(screen.query_one("#suggestions"))
        assert "Harbour & Sons Café Ltd" in shown and "Kestrel Logistics Ltd" in shown
        assert "as likely" in shown  # a tie is shown as such, never decided by itself
        await pilot.press("a")  # accept the best (first) suggestion
        await settle(app, pilot)
        await settle(app, pilot)
        assert [r.payer for r in screen.query_one("#receipts").rows] == ["KESTREL LOGISTICS"]
    book = reopen(path)
    rcp = next(r for r in book.receipts if r.payer == "J SMITH")
    pay = next(p for p in book.payments if p.id == rcp.payment)
    assert (pay.client, pay.amount, pay.date) == ("harbour-sons-cafe", Decimal("360.00"), date(2026, 3, 18))
    assert [(a.invoice, a.amount) for a in pay.allocations] == [("INV-0207", Decimal("360.00"))]
    assert [(a.id, a.client) for a in book.aliases] == [("j smith", "harbour-sons-cafe")]

    # the next statement: J SMITH pays 95.00, the amount of Harbour's INV-0213 -> matched by itself
    r = _import_next(path)
    assert r.already == 1 and len(r.matched) == 1 and not r.unmatched
    book = reopen(path)
    pay = next(p for p in book.payments if p.reference.startswith("J SMITH THANKS"))
    assert pay.client == "harbour-sons-cafe"
    assert [(a.invoice, a.amount) for a in pay.allocations] == [("INV-0213", Decimal("95.00"))]


@async_test
async def test_pick_the_client_and_invoice_for_a_receipt(tmp_path):
    path = _book(tmp_path)
    app = create_app(path, on=ON)
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("down")  # KESTREL LOGISTICS 100.00: a name, no amount that fits
        await settle(app, pilot)
        assert "Kestrel Logistics Ltd  2 pt · payer name" in text_of(app.screen.query_one("#suggestions"))
        await pilot.press("m")
        await settle(app, pilot)
        dialog = app.screen
        assert dialog.query_one("#in-client").value == "kestrel-logistics"
        dialog.query_one("#in-invoices").focus()
        await pilot.press(*"INV-0210")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await settle(app, pilot)
        assert [r.payer for r in app.screen.query_one("#receipts").rows] == ["J SMITH"]
    book = reopen(path)
    pay = next(p for p in book.payments if p.method == "bank transfer" and p.client == "kestrel-logistics")
    assert (pay.amount, [(a.invoice, a.amount) for a in pay.allocations]) == (Decimal("100.00"), [("INV-0210", Decimal("100.00"))])
    assert not book.aliases  # the payer's name is the client's already: nothing to remember


@async_test
async def test_matching_by_hand_finds_the_client_from_part_of_its_name_in_the_receipts_currency(tmp_path):
    from receivables.model import Client
    from store import open_book

    path = _book(tmp_path)
    with open_book(path, today=ON) as repo:  # a client billed in another currency
        repo.add_client(Client("kestrel-eu", "Kestrel Europe GmbH", "EUR", 30))
    app = create_app(path, on=ON)
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#receipts")
        table.move_to(next(i for i, r in enumerate(table.rows) if r.payer == "KESTREL LOGISTICS"))
        await pilot.press("m")
        await settle(app, pilot)
        form = app.screen
        assert type(form).__name__ == "MatchDialog"
        form.query_one("#in-client").value = "kestrel europe"
        await settle(app, pilot)
        assert "kestrel-eu is billed in EUR, the receipt is in GBP" in text_of(form.query_one("#err-client"))
        form.query_one("#in-client").value = "KESTREL LOG"
        await settle(app, pilot)
        assert text_of(form.query_one("#err-client")).startswith("= Kestrel Logistics Ltd (")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
    book = reopen(path)
    rcp = next(r for r in book.receipts if r.payer == "KESTREL LOGISTICS")
    assert next(p for p in book.payments if p.id == rcp.payment).client == next(
        c.id for c in book.clients.values() if c.name == "Kestrel Logistics Ltd")
