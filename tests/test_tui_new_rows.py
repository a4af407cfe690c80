"""A record added from the app is the selected row of its tab: the cursor stayed on the older
row it was on (PAY-000501), and v then offered to void that one."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tui.app import create_app

from .test_tui_flows import open_client, type_into
from .tui_support import DAY, async_test, loaded, make_book, reopen, settle


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book")


async def _state_after(app, pilot, state):
    for _ in range(100):  # the app's state follows the write
        if app.state is not state:
            break
        await settle(app, pilot)
    await settle(app, pilot)


@async_test
async def test_credit_applied_and_a_payment_recorded_are_selected_on_the_payments_tab(demo):
    from receivables.ledger import derive
    from receivables.model import Payment
    from store import open_book

    book = reopen(demo)
    ledger = derive(book, DAY)
    cid = next(c for c in sorted(book.clients)
               if ledger.open_invoices(c) and sum(p.client == c for p in book.payments) >= 2)
    cur = ledger.open_invoices(cid)[0].invoice.currency
    with open_book(demo, today=DAY) as repo:
        repo.record_payment(Payment("", DAY, cid, Decimal("25.00"), cur, "bank", "ON ACCOUNT"))  # all credit
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        detail = await open_client(app, pilot, cid)
        detail.query_one("#client-tabs").active = "tab-payments"
        payments = detail.query_one("#client-payments")
        payments.focus()
        older = len(payments.rows) - 1
        payments.move_to(older)  # an older row
        await settle(app, pilot)
        was = payments.current.id
        state = app.state
        await pilot.press("k")
        await settle(app, pilot)
        await pilot.press("y")
        await _state_after(app, pilot, state)
        assert app.screen is detail
        applied = [a.id for a in app.state.book.adjustments if a.client == cid and a.kind == "credit_applied"]
        assert applied and payments.current.id in applied and payments.current.id != was
        assert payments.cursor_row == min(i for i, r in enumerate(payments.rows) if r.id in applied)

        payments.move_to(len(payments.rows) - 1)
        await settle(app, pilot)
        state = app.state
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-amount", "1.00")
        await type_into(pilot, app, "#in-reference", "NEW ROW")
        await pilot.press("ctrl+s")
        await _state_after(app, pilot, state)
        assert app.screen is detail
        assert payments.current.reference == "NEW ROW"
        assert payments.cursor_row == 0  # (dated today, the newest id: the top row)
        payments.move_to(3)  # a refresh with nothing new keeps the row the owner chose
        await settle(app, pilot)
        kept = payments.current.id
        detail.show(app.state)
        assert payments.current.id == kept
