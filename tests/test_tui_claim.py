"""The walk-through's claim key: a preview of the charge document, then Save posts it."""
from __future__ import annotations

from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, loaded, make_book, reopen, settle, text_of


@async_test
async def test_claim_key_previews_then_posts_a_charge_document(tmp_path):
    book_dir = make_book(tmp_path / "book", clients=10, invoices=120)
    app = create_app(book_dir, on=DAY)
    async with app.run_test(size=(140, 44)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        for _ in range(len(app.state.agenda)):  # to the first action on late invoices
            if screen.current.days_overdue > 0 and screen.current.invoices:
                break
            await pilot.press("right_square_bracket")
            await settle(app, pilot)
        client = screen.current.client
        await pilot.press("C")
        await settle(app, pilot)
        preview = text_of(app.screen.query_one("#claim-preview"))
        assert "would post a charge document to " + client in preview
        assert "Interest on invoice" in preview and "Late Payment of Commercial Debts" in preview
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TodayScreen)  # back in the walk-through, nothing advanced
    docs = [i for i in reopen(book_dir).invoices.values() if i.kind == "charge"]
    assert [d.client for d in docs] == [client] and docs[0].number == "CHG-000001"
    assert docs[0].issued == DAY and any(c.kind == "interest" for c in docs[0].charges)
