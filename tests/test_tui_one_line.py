"""Book text shown on one line in the app (a name, an e-mail, a phone, a reference): a line
break in it is a space, so it cannot draw a line of its own (a fake figure under the name)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tui.app import create_app

from .test_tui_flows import _screen_text
from .tui_support import DAY, async_test, loaded, make_empty_book, settle, text_of

FAKE = "Balance £0.00  overdue £0.00"


def test_safe_turns_every_line_break_into_a_space_on_one_line():
    from tui.fmt import safe

    for brk in ("\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f"):
        assert safe(f"ACME{brk}Ltd") in ("ACME Ltd", "ACME  Ltd"), repr(brk)
    assert safe("a\x1b[2Jb") == "a?[2Jb"  # other controls are still '?'
    assert safe("note\nmore", lines=True) == "note\nmore"  # text shown over lines keeps them


@async_test
async def test_a_line_break_in_a_name_does_not_draw_a_line_in_the_client_panel(tmp_path):
    from receivables.model import Client, Contact, Invoice
    from store import open_book

    book = make_empty_book(tmp_path / "book")
    repo = open_book(book, today=DAY)
    repo.add_client(Client(id="acme", name="ACME\n" + FAKE, currency="GBP", terms_days=30,
                           contacts=(Contact(email="ap@acme.example", phone="0123\r" + FAKE),)))
    repo.add_invoice(Invoice(number="A-1", client="acme", issued=DAY - timedelta(days=60),
                             due=DAY - timedelta(days=30), currency="GBP", amount=Decimal("500.00"),
                             reference="PO 7\x85" + FAKE))
    repo.close()
    app = create_app(book, on=DAY)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(app, pilot)
        panel = text_of(app.screen.query_one("#ctx-queue"))
        assert "ACME " + FAKE in panel, panel
        assert not any(line.strip().startswith(FAKE) for line in panel.splitlines()), panel
        seen = [panel]
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        head = text_of(app.screen.query_one("#client-head"))
        assert "ACME " + FAKE in head, head
        seen += [head, _screen_text(app)]
        await pilot.press("3")  # the invoices, with their references
        await settle(app, pilot)
        seen.append(_screen_text(app))
    for text in seen:
        for line in text.splitlines():
            assert not line.strip().startswith(FAKE), text
        assert not any(c in text for c in "\u2028\u2029\x85\v\f\r"), text


def test_a_line_break_in_an_activitys_step_does_not_draw_a_line_in_the_client_panel(tmp_path):
    from rich.console import Console

    from receivables.model import Activity, Client
    from store import open_book
    from tui.state import build_state
    from tui.widgets.context import client_context

    book = make_empty_book(tmp_path / "book")
    with open_book(book, today=DAY) as repo:
        repo.add_client(Client(id="acme", name="ACME", currency="GBP", terms_days=30))
        repo.log_activity(Activity(id="", date=DAY, client="acme", channel="phone", step="x\nBalance £9,999.00",
                                   outcome="reached", body="spoke"))
    with open_book(book, readonly=True) as repo:
        state = build_state(repo, book, DAY)
    console = Console(width=100, record=True)
    console.print(client_context(state, "acme"))
    text = console.export_text()
    assert "x Balance £9,999.00" in text and not any(line.startswith("Balance £9") for line in text.splitlines())
