"""Clients, invoices, payments, notes: each flow driven with keys, checked in the store."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tui.app import create_app

from .tui_support import DAY, async_test, loaded, make_book, reopen, settle, text_of


@pytest.fixture
def demo(tmp_path):
    return make_book(tmp_path / "book")


async def open_client(app, pilot, cid: str):
    """The client's screen, reached as the owner does: 2, the client's row, enter."""
    await pilot.press("2")
    await settle(app, pilot)
    table = app.screen.query_one("#clients")
    table.move_to(next(i for i, r in enumerate(table.rows) if r.client.id == cid))
    await pilot.press("enter")
    await settle(app, pilot)
    return app.screen


async def new_invoice_form(app, pilot):
    """The new-invoice form, reached as the owner does: 3 (Invoices), then a."""
    await pilot.press("3")
    await settle(app, pilot)
    await pilot.press("a")
    await settle(app, pilot)
    return app.screen


async def type_into(pilot, app, selector: str, text: str) -> None:
    widget = app.screen.query_one(selector)
    widget.value = ""
    widget.focus()
    await pilot.press(*text)


@async_test
async def test_clients_search_sort_and_open_detail(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#clients")
        assert table.row_count == len(app.state.book.clients)
        home = app.state.policy.defaults.currency
        overdue = [r.overdue for r in table.rows if r.currency == home]
        assert overdue == sorted(overdue, reverse=True)  # default: most overdue first
        await pilot.press("o")  # next sort: balance
        await settle(app, pilot)
        assert screen.sort == "balance"
        rows = list(table.rows)  # by currency (never comparing £ with €), highest first within each
        assert [(r.currency, r.balance) for r in rows] == sorted(
            ((r.currency, r.balance) for r in rows),
            key=lambda cb: (cb[0] != app.state.policy.defaults.currency, cb[0], -cb[1]))
        target = app.state.book.clients[sorted(app.state.book.clients)[3]]
        await pilot.press("slash")
        await pilot.press(*target.name[:6])
        await settle(app, pilot)
        assert all(target.name[:6].casefold() in r.client.name.casefold() for r in table.rows)
        await pilot.press("enter")  # back to the table
        table.move_to(next(i for i, r in enumerate(table.rows) if r.client.id == target.id))
        await pilot.press("enter")
        await settle(app, pilot)
        detail = app.screen
        assert type(detail).__name__ == "ClientDetailScreen" and detail.client_id == target.id
        assert target.name in text_of(detail.query_one("#client-head"))


@async_test
async def test_add_edit_client_and_hold_on_off(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-id", "acme")
        await type_into(pilot, app, "#in-name", 'Acme <b>"Tools"</b> & Co')
        await type_into(pilot, app, "#in-email", "not-an-email")
        await settle(app, pilot)
        assert "not an e-mail" in text_of(form.query_one("#err-email"))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form  # refused, nothing lost
        assert form.query_one("#in-name").value == 'Acme <b>"Tools"</b> & Co'
        await type_into(pilot, app, "#in-email", "ap@acme.example")
        await type_into(pilot, app, "#in-credit_limit", "5000")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form
        c = reopen(demo).clients["acme"]
        assert c.name == 'Acme <b>"Tools"</b> & Co' and c.email == "ap@acme.example"
        assert c.credit_limit == Decimal("5000.00") and not c.hold

        screen = app.screen
        table = screen.query_one("#clients")
        await pilot.press("slash", *"acme", "enter")
        await settle(app, pilot)
        assert table.current.client.id == "acme"
        await pilot.press("e")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-terms_days", "45")
        await type_into(pilot, app, "#in-check_rating", "B")
        await settle(app, pilot)
        assert "needs its date" in text_of(app.screen.query_one("#err-check_date"))
        await type_into(pilot, app, "#in-check_date", "2026-11-20")
        await type_into(pilot, app, "#in-check_source", "Creditsafe")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        c = reopen(demo).clients["acme"]
        assert c.terms_days == 45
        assert (c.credit_check.date.isoformat(), c.credit_check.source, c.credit_check.rating) == \
            ("2026-11-20", "Creditsafe", "B")

        await pilot.press("h")
        await settle(app, pilot)
        await pilot.press(*"over limit", "ctrl+s")
        await settle(app, pilot)
        c = reopen(demo).clients["acme"]
        assert c.hold and c.hold_reason == "over limit"
        await pilot.press("h")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert not reopen(demo).clients["acme"].hold


@async_test
async def test_payment_form_allocation_edit_and_resulting_balances(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        state = app.state
        cid = next(r.client.id for r in state.clients if len(state.ledger.open_invoices(r.client.id, r.currency)) >= 2)
        row = state.client_row(cid)
        open_ = state.ledger.open_invoices(cid, row.currency)
        first, second = open_[0], open_[1]
        amount = first.outstanding + Decimal("1.00")
        await pilot.press("2")
        await settle(app, pilot)
        table = app.screen.query_one("#clients")
        table.move_to(next(i for i, r in enumerate(table.rows) if r.client.id == cid))
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-amount", str(amount))
        await settle(app, pilot)
        # proposal: oldest due first
        assert form.alloc == {first.invoice.number: first.outstanding, second.invoice.number: Decimal("1.00")}
        summary = text_of(form.query_one("#alloc-summary"))
        assert "balance" in summary
        # change it by hand: everything on the second invoice (capped by what it owes)
        put = min(amount, second.outstanding)
        from tui.dialogs.payment import _safe

        await type_into(pilot, app, f"#al-{_safe(first.invoice.number)}", "")
        await type_into(pilot, app, f"#al-{_safe(second.invoice.number)}", str(put))
        await settle(app, pilot)
        assert form.manual
        await type_into(pilot, app, "#in-reference", "BACS 991")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form
        said = [n.message for n in app._notifications if n.title == "Payment recorded"]
    pays = [p for p in reopen(demo).payments if p.date == DAY and p.client == cid and p.reference == "BACS 991"]
    assert len(pays) == 1
    p = pays[0]
    assert len(said) == 1 and said[0].startswith(f"{p.id}: ") and second.invoice.number in said[0]
    assert "v on the client's Payments · credits tab voids it" in said[0]
    assert p.amount == amount and p.reference == "BACS 991"
    assert {a.invoice: a.amount for a in p.allocations} == {second.invoice.number: put}
    assert p.unallocated == amount - put


@async_test
async def test_payment_over_allocation_is_refused_and_kept(demo):
    before = reopen(demo).payments
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        state = app.state
        cid = next(r.client.id for r in state.clients if state.ledger.open_invoices(r.client.id, r.currency))
        inv = state.ledger.open_invoices(cid, state.client_row(cid).currency)[0]
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-client", cid)
        await type_into(pilot, app, "#in-amount", "1.00")
        await settle(app, pilot)
        from tui.dialogs.payment import _safe

        await type_into(pilot, app, f"#al-{_safe(inv.invoice.number)}", "2.00")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert "more than this" in text_of(form.query_one("#err-amount"))
        assert form.query_one(f"#al-{_safe(inv.invoice.number)}").value == "2.00"
    assert reopen(demo).payments == before


@async_test
async def test_note_from_anywhere_with_markdown_preview(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")  # from the invoices screen
        await settle(app, pilot)
        inv = app.screen.query_one("#invoices").current
        await pilot.press("n")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#in-client").value == inv.invoice.client
        assert form.query_one("#in-invoices").value == inv.invoice.number
        form.query_one("#note-body").focus()
        await pilot.press(*"**Called** <script>x</script>")
        await settle(app, pilot)
        preview = form.query_one("#note-preview")
        assert "Called" in preview.source
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    notes = [a for a in reopen(demo).activities if a.date == DAY and a.outcome == "note"]
    assert len(notes) == 1
    assert notes[0].body == "**Called** <script>x</script>"
    assert notes[0].client == inv.invoice.client and notes[0].invoices == (inv.invoice.number,)


@async_test
async def test_invoices_filter_add_edit_dispute_resolve_writeoff_plan(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#invoices")
        assert all(s.outstanding > 0 for s in table.rows)  # default: open
        await pilot.press("f")  # overdue
        await settle(app, pilot)
        assert screen.status == "overdue" and all(s.days_overdue > 0 and s.outstanding > 0 for s in table.rows)
        await pilot.press("g", "g", "g")  # 31-60 days
        await settle(app, pilot)
        assert screen.bucket == "31-60" and all(31 <= s.days_overdue <= 60 for s in table.rows)
        await pilot.press("g", "g", "g", "g")  # back to any age
        await pilot.press("f", "f", "f", "f")  # back to open
        await settle(app, pilot)
        assert screen.status == "open" and screen.bucket == "any"

        # add an invoice
        cid = sorted(app.state.book.clients)[0]
        await pilot.press("a")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-number", "T-1")
        await type_into(pilot, app, "#in-client", cid)
        await type_into(pilot, app, "#in-due", "2026-11-01")
        await type_into(pilot, app, "#in-issued", "2026-11-10")
        await settle(app, pilot)
        assert "due before issued" in text_of(app.screen.query_one("#err-due"))
        await type_into(pilot, app, "#in-issued", "2026-10-01")
        await type_into(pilot, app, "#in-amount", "300.00")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        inv = reopen(demo).invoices["T-1"]
        assert inv.amount == Decimal("300.00") and inv.client == cid

        await pilot.press("slash", *"T-1", "enter")
        await settle(app, pilot)
        assert table.current.invoice.number == "T-1"
        await pilot.press("e")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-reference", "PO-7")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert reopen(demo).invoices["T-1"].reference == "PO-7"

        # dispute, then resolve
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"not delivered", "ctrl+s")
        await settle(app, pilot)
        d = [d for d in reopen(demo).disputes if d.invoice == "T-1"]
        assert len(d) == 1 and d[0].reason == "not delivered" and d[0].resolved is None
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"delivered late; agreed", "ctrl+s")
        await settle(app, pilot)
        d = [d for d in reopen(demo).disputes if d.invoice == "T-1"]
        assert d[0].resolved == DAY

        # write off part, then a plan for the rest
        await pilot.press("w")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-amount", "100.00")
        await type_into(pilot, app, "#in-reason", "goodwill")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        adj = [a for a in reopen(demo).adjustments if a.invoice == "T-1"]
        assert len(adj) == 1 and adj[0].kind == "write_off" and adj[0].amount == Decimal("100.00")
        await pilot.press("p")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-invoices", "T-1")
        await type_into(pilot, app, "#in-count", "3")
        await settle(app, pilot)
        assert "66.67" in text_of(app.screen.query_one("#plan-preview"))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    plans = [p for p in reopen(demo).plans if p.invoices == ("T-1",)]
    assert len(plans) == 1
    assert [i.amount for i in plans[0].installments] == [Decimal("66.67"), Decimal("66.67"), Decimal("66.66")]


async def plan_form_on_an_open_invoice(app, pilot) -> str:
    """The Invoices screen, its first open undisputed invoice in no plan selected, p pressed:
    that invoice's number."""
    await loaded(app, pilot)
    await pilot.press("3")
    await settle(app, pilot)
    table = app.screen.query_one("#invoices")
    pick = next(i for i, s in enumerate(table.rows) if s.outstanding > 10 and not s.disputed
                and not any(p.cancelled is None and s.invoice.number in p.invoices for p in app.state.book.plans))
    number = table.rows[pick].invoice.number
    table.move_to(pick)
    await pilot.press("p")
    await settle(app, pilot)
    return number


@async_test
async def test_a_plan_on_the_selected_invoice_takes_the_installments_typed_at_once(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        number = await plan_form_on_an_open_invoice(app, pilot)
        burst(app, "6", "ctrl+s")  # the number of installments, then save
        await settle(app, pilot)
        assert type(app.screen).__name__ != "PlanDialog", [text_of(w) for w in app.screen.query(".form-error, .field-error")]
    plans = [p for p in reopen(demo).plans if p.invoices == (number,) and p.created == DAY]
    assert len(plans) == 1 and len(plans[0].installments) == 6


def _screen_text(app) -> str:
    """Every character the visible widgets would send to the terminal."""
    from textual.geometry import Region

    chunks = []
    for widget in app.screen.walk_children(with_self=True):
        if not widget.display or not widget.size.area:
            continue
        try:
            strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
        except Exception:
            continue
        for strip in strips:
            chunks.append("".join(seg.text for seg in strip))
    return "\n".join(chunks)


@async_test
async def test_hostile_names_and_notes_cannot_drive_the_terminal(tmp_path):
    from datetime import timedelta

    from receivables.model import Activity, Client, Invoice
    from store import open_book

    from .tui_support import make_empty_book

    book = make_empty_book(tmp_path / "book")
    evil = 'Evil\x1b]2;pwned\x07\x1b[31m <b>[red]Ltd[/red]</b>'
    repo = open_book(book, today=DAY)
    repo.add_client(Client(id="evil", name=evil, currency="GBP", terms_days=30))
    repo.add_invoice(Invoice(number="E-1", client="evil", issued=DAY - timedelta(days=60),
                             due=DAY - timedelta(days=30), currency="GBP", amount=Decimal("500.00")))
    repo.log_activity(Activity(id="", date=DAY - timedelta(days=2), client="evil", channel="phone",
                               outcome="note", body="said \x1b[2J **bold** [link](javascript:alert(1))"))
    repo.close()
    app = create_app(book, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        seen = [_screen_text(app)]
        await pilot.press("2")
        await settle(app, pilot)
        seen.append(_screen_text(app))
        await pilot.press("enter")
        await settle(app, pilot)
        seen.append(_screen_text(app))
        app.screen.query_one("#client-tabs").active = "tab-timeline"
        await settle(app, pilot)
        seen.append(_screen_text(app))
        await pilot.press("h")  # the hold dialog's title holds the name
        await settle(app, pilot)
        seen.append(_screen_text(app))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("n")  # a form's client field names the client it found
        await settle(app, pilot)
        await type_into(pilot, app, "#in-client", "EVI")
        await settle(app, pilot)
        assert text_of(app.screen.query_one("#err-client")).startswith("= Evil?]2;pwned")
        seen.append(_screen_text(app))
    text = "\n".join(seen)
    assert "Evil?]2;pwned??[31m <b>[red]Ltd[/red]</b>" in text  # shown verbatim, made inert
    assert "\x1b" not in text and "\x07" not in text
    assert reopen(book).clients["evil"].name == evil  # stored verbatim


@async_test
async def test_lifting_a_hold_clears_it_everywhere(demo):
    from receivables.agenda import client_status

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await settle(app, pilot)
        state = app.state
        held = [cid for cid in state.book.clients
                if client_status(state.index, state.policy, cid, DAY).hold]
        assert held, "the demo has clients on hold"
        cid = held[0]
        await pilot.press("2")
        await settle(app, pilot)
        table = app.screen.query_one("#clients")
        table.move_to(next(i for i, r in enumerate(table.rows) if r.client.id == cid))
        await pilot.press("h")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
    from receivables.policy import read_policy

    book = reopen(demo)
    assert [a.outcome for a in book.activities if a.client == cid and a.date == DAY] == ["hold_lifted"]
    assert not book.clients[cid].hold
    assert not client_status(book, read_policy(demo / "policy.toml"), cid, DAY).hold


@async_test
async def test_cursor_stays_on_the_client_after_a_write(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        table = app.screen.query_one("#clients")
        table.move_to(5)
        cid = table.current.client.id
        await pilot.press("e")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-terms_days", "21")
        await pilot.press("ctrl+s")
        for _ in range(5):
            await settle(app, pilot)
        assert table.current.client.id == cid
        assert table.current.client.terms_days == 21


@async_test
async def test_payment_form_reaches_every_open_invoice_of_a_client_with_many(demo):
    from datetime import timedelta

    from receivables.model import Client, Invoice
    from store import open_book
    from tui.dialogs.payment import PAGE, _safe

    with open_book(demo, today=DAY) as repo:
        repo.add_client(Client("many-co", "Many Invoices Ltd", "GBP", 30))
        repo.commit([Invoice(f"MANY-{k:03d}", "many-co", DAY - timedelta(days=90 - k), DAY - timedelta(days=60 - k),
                             "GBP", Decimal("10.00")) for k in range(PAGE + 12)])
    numbers = [f"MANY-{k:03d}" for k in range(PAGE + 12)]  # oldest due first
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-client", "many-co")
        await type_into(pilot, app, "#in-amount", "25.00")
        await settle(app, pilot)
        assert form.alloc == {numbers[0]: Decimal("10.00"), numbers[1]: Decimal("10.00"), numbers[2]: Decimal("5.00")}
        last = numbers[-1]
        assert not form.query(f"#al-{_safe(last)}")  # beyond the first lines...
        form.query_one("#more-rows").focus()  # below the fold: reached with tab, pressed with enter
        await pilot.press("enter")
        await settle(app, pilot)
        assert form.query_one(f"#al-{_safe(last)}")  # ...reachable on request
        assert not form.query("#more-rows")
        assert form.query_one(f"#al-{_safe(numbers[0])}").value == "10.00"  # the proposal is kept
        await type_into(pilot, app, f"#al-{_safe(numbers[2])}", "")
        await type_into(pilot, app, f"#al-{_safe(last)}", "5.00")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form
    pay = next(p for p in reopen(demo).payments if p.client == "many-co")
    assert {a.invoice: a.amount for a in pay.allocations} == {
        numbers[0]: Decimal("10.00"), numbers[1]: Decimal("10.00"), last: Decimal("5.00")}


@async_test
async def test_a_long_form_keeps_save_and_its_error_line_on_screen(demo):
    """A client with many open invoices fills the payment form with allocation lines: the
    lines scroll, and the Save button and the line saying why nothing was saved stay inside
    the dialog, on screen, in a large and in a small terminal."""
    from datetime import timedelta

    from receivables.model import Client, Invoice
    from store import open_book
    from tui.dialogs.payment import PAGE

    with open_book(demo, today=DAY) as repo:
        repo.add_client(Client("many-co", "Many Invoices Ltd", "GBP", 30))
        repo.commit([Invoice(f"MANY-{k:03d}", "many-co", DAY - timedelta(days=90 - k), DAY - timedelta(days=60 - k),
                             "GBP", Decimal("10.00")) for k in range(PAGE + 12)])
    for size in ((120, 40), (80, 24)):
        app = create_app(demo, on=DAY)
        async with app.run_test(size=size) as pilot:
            await loaded(app, pilot)
            await pilot.press("dollar_sign")
            await settle(app, pilot)
            form = app.screen
            await type_into(pilot, app, "#in-client", "many-co")
            await type_into(pilot, app, "#in-amount", "abc")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is form
            dialog = form.query_one("#dialog").region
            for selector in ("#save", "#cancel", "#form-error"):
                r = form.query_one(selector).region
                assert r.height >= 1 and dialog.contains_region(r), (size, selector, r, dialog)
                assert r.bottom <= size[1], (size, selector, r)
            assert "nothing was saved" in str(form.query_one("#form-error").render())


# the editing keys a burst can hold (as a terminal sends them)
EDIT_KEYS = {"backspace": "\x7f", "delete": None, "left": None, "right": None, "home": None, "end": None,
             "up": None, "down": None, "slash": "/", "dollar_sign": "$", "ctrl+u": "\x15", "ctrl+w": "\x17", "ctrl+k": "\x0b",
             "tab": "\t", "shift+tab": None}


def burst(app, *parts: str) -> None:
    """Keys typed faster than the app handles them (tmux, a quick typist): every key queued
    before the first is handled. ``parts``: text typed as it is, "enter", "ctrl+s" or one of
    ``EDIT_KEYS``."""
    from textual import events

    for part in parts:
        if part == "enter":
            app.post_message(events.Key("enter", "\r"))
        elif part == "ctrl+s":
            app.post_message(events.Key("ctrl+s", "\x13"))
        elif part in EDIT_KEYS:
            app.post_message(events.Key(part, EDIT_KEYS[part]))
        else:
            for c in part:
                app.post_message(events.Key(c if c.isalnum() else {"-": "minus", ".": "full_stop"}.get(c, c), c))


@async_test
async def test_a_new_invoice_typed_in_one_burst_lands_field_by_field(demo):
    """Enter in a field moves to the next one at once: the keys typed after it go there, not
    onto the end of the field before (they did when enter's move came after them)."""
    cid = "larch-analytics" if "larch-analytics" in reopen(demo).clients else sorted(reopen(demo).clients)[0]
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        form = await new_invoice_form(app, pilot)
        burst(app, "INV-BURST-1", "enter", cid, "enter", "enter", "enter", "enter", "1234.50", "enter", "PO-77",
              "enter")
        await settle(app, pilot)
        assert app.screen is not form, [w.value for w in form.query(".field-input")]
    inv = reopen(demo).invoices["INV-BURST-1"]
    assert inv.client == cid and inv.amount == Decimal("1234.50") and inv.reference == "PO-77"


@async_test
async def test_ctrl_s_typed_right_after_the_last_field_saves_what_was_typed(demo):
    """ctrl+s saves once the keys typed before it are in their fields (it came before them:
    the form said a field was needed, then the field filled in, and nothing was saved)."""
    cid = sorted(reopen(demo).clients)[0]
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        form = await new_invoice_form(app, pilot)
        burst(app, "INV-BURST-2", "enter", cid, "enter", "enter", "enter", "enter", "99.00", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form, [w.value for w in form.query(".field-input")]
        await pilot.press("2")
        await settle(app, pilot)
        cid = app.screen.current_client_id()
        await pilot.press("n")
        await settle(app, pilot)
        burst(app, "Left a message with Ann", "ctrl+s")
        await settle(app, pilot)
    book = reopen(demo)
    assert book.invoices["INV-BURST-2"].amount == Decimal("99.00")
    notes = [a for a in book.activities if a.date == DAY and a.outcome == "note"]
    assert [(n.client, n.body) for n in notes] == [(cid, "Left a message with Ann")]


@async_test
async def test_a_new_invoice_left_without_a_number_takes_the_one_after_the_latest(demo):
    book = reopen(demo)
    latest = max(enumerate(book.invoices.values()), key=lambda p: (p[1].issued, p[0]))[1].number
    head, digits = latest.rstrip("0123456789"), latest[len(latest.rstrip("0123456789")):]
    want = f"{head}{int(digits) + 1:0{len(digits)}d}"
    assert want not in book.invoices
    cid = sorted(book.clients)[0]
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        form = await new_invoice_form(app, pilot)
        assert form.query_one("#in-number").placeholder == f"{want} if left empty"
        assert form.focused is form.query_one("#in-number")
        burst(app, "enter", cid, "enter", "enter", "enter", "enter", "75.00", "ctrl+s")  # enter: as proposed
        await settle(app, pilot)
        assert app.screen is not form
    inv = reopen(demo).invoices[want]
    assert inv.client == cid and inv.amount == Decimal("75.00")


@async_test
async def test_a_note_opened_on_a_client_starts_in_the_note_and_enter_makes_a_new_line(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        cid = app.screen.current_client_id()
        await pilot.press("n")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#in-client").value == cid
        burst(app, "Spoke to Ann", "enter", "pays Friday")
        await settle(app, pilot)
        assert form.query_one("#note-body").text == "Spoke to Ann\npays Friday"
        assert form.query_one("#in-client").value == cid
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        said = [n.message for n in app._notifications if n.title == "Note added"]
        name = app.state.book.clients[cid].name
    notes = [a for a in reopen(demo).activities if a.date == DAY and a.outcome == "note"]
    assert [(n.client, n.body) for n in notes] == [(cid, "Spoke to Ann\npays Friday")]
    assert said == [f"{notes[0].id} for {name}, dated {DAY.isoformat()}, is in the book"]


@async_test
async def test_a_payment_recorded_by_mistake_is_voided_from_the_clients_payments_tab(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        state = app.state
        pay = next(p for p in reversed(state.book.payments) if p.allocations and p.date <= DAY)
        number = pay.allocations[0].invoice
        detail = await open_client(app, pilot, pay.client)
        await pilot.press("v")  # not on the Payments tab yet: v does nothing there
        await settle(app, pilot)
        assert app.screen is detail
        detail.query_one("#client-tabs").active = "tab-payments"
        payments = detail.query_one("#client-payments")
        payments.focus()
        payments.move_to(next(i for i, p in enumerate(payments.rows) if p.id == pay.id))
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        form = app.screen
        assert type(form).__name__ == "VoidDialog"
        assert number in text_of(form.query_one("#void-effect"))
        await pilot.press("ctrl+s")  # a reason is needed
        await settle(app, pilot)
        assert app.screen is form and "nothing was saved" in text_of(form.query_one("#form-error"))
        await pilot.press(*"wrong client", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is detail
        for _ in range(100):  # the app's state follows the change
            if app.state is not state:
                break
            await settle(app, pilot)
        row = next(p for p in payments.rows if p.id == pay.id)
        assert row.voided == DAY and "VOIDED" in " ".join(detail._payment_cells(row))
        assert pay.id not in {p.id for p in app.state.book.payments}
        paid_now = sum(s.amount for s in app.state.ledger.index.settlements.get(number, ()) if s.ref == pay.id)
        assert paid_now == 0
    book = reopen(demo)
    assert pay.id not in {p.id for p in book.payments}
    voided = {p.id: p for p in book.voided}
    assert voided[pay.id].void_reason == "wrong client" and voided[pay.id].voided == DAY
    assert voided[pay.id].amount == pay.amount and voided[pay.id].allocations == pay.allocations


@async_test
async def test_a_promise_and_a_write_off_recorded_by_mistake_are_voided_from_the_clients_screen(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        book = app.state.book
        prom = next(p for p in reversed(book.promises) if p.made <= DAY)
        detail = await open_client(app, pilot, prom.client)
        # a write-off first (w on the invoice), then void it from the payments and credits tab
        invoices = detail.query_one("#client-invoices")
        target = next(i for i, s in enumerate(invoices.rows) if s.outstanding > 0)
        number = invoices.rows[target].invoice.number
        owed = invoices.rows[target].outstanding
        invoices.move_to(target)
        invoices.focus()
        await pilot.press("w")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-reason", "meant another invoice")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is detail
        adj = next(a for a in reopen(demo).adjustments if a.invoice == number and a.kind == "write_off"
                   and a.reason == "meant another invoice")
        for tab, selector, rec in (("tab-payments", "#client-payments", adj), ("tab-promises", "#client-promises", prom)):
            detail.query_one("#client-tabs").active = tab
            rows = detail.query_one(selector)
            rows.focus()
            for _ in range(50):
                await settle(app, pilot)
                if any(x.id == rec.id for x in rows.rows):
                    break
            rows.move_to(next(i for i, x in enumerate(rows.rows) if x.id == rec.id))
            await pilot.press("v")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "VoidDialog"
            await pilot.press(*"typed in error", "ctrl+s")
            await settle(app, pilot)
            assert app.screen is detail
        for _ in range(100):
            await settle(app, pilot)
            if {adj.id, prom.id} <= {x.id for x in app.state.book.voided}:
                break
        assert "VOIDED" in " ".join(detail._promise_cells(next(x for x in detail.query_one("#client-promises").rows
                                                                 if x.id == prom.id)))
        states = {s.number: s for s in app.state.ledger_for(prom.client).client_invoices(prom.client)}
        assert states[number].outstanding == owed
    after = reopen(demo)
    assert {adj.id, prom.id} <= {x.id for x in after.voided}
    assert adj.id not in {a.id for a in after.adjustments} and prom.id not in {p.id for p in after.promises}


@async_test
async def test_a_form_finds_the_client_from_part_of_its_name_and_says_which(demo):
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        clients = app.state.book.clients
        target = next(c for c in clients.values()
                      if sum(c.name.split()[0].casefold() in x.name.casefold() for x in clients.values()) == 1)
        word = target.name.split()[0]
        form = await new_invoice_form(app, pilot)
        await type_into(pilot, app, "#in-number", "FIND-1")
        await type_into(pilot, app, "#in-client", "zzz-nobody")
        await settle(app, pilot)
        assert "no client's id or name holds 'zzz-nobody'" in text_of(form.query_one("#err-client"))
        await type_into(pilot, app, "#in-client", "e")
        await settle(app, pilot)
        assert "clients match 'e'" in text_of(form.query_one("#err-client"))
        await type_into(pilot, app, "#in-client", word.upper())
        await settle(app, pilot)
        assert text_of(form.query_one("#err-client")) == f"= {target.name} ({target.id})"
        await type_into(pilot, app, "#in-amount", "10.00")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form
    assert reopen(demo).invoices["FIND-1"].client == target.id


@async_test
async def test_the_palette_finds_void_and_opens_the_clients_payments(demo):
    """"void" (or "undo") in the palette: a payment recorded by mistake is found where v voids
    it, the client in front on its Payments · credits tab (the palette found nothing before)."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        today = app.screen
        cid = today.current_client_id()
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press(*"void a payment", "enter")
        await settle(app, pilot)
        detail = app.screen
        assert type(detail).__name__ == "ClientDetailScreen" and detail.client_id == cid
        assert detail.query_one("#client-tabs").active == "tab-payments"
        assert app.focused is detail.query_one("#client-payments")
        assert detail.check_action("void", ()) is True  # v works from here
        detail.query_one("#client-tabs").active = "tab-invoices"
        await settle(app, pilot)
        await pilot.press("ctrl+p")  # from the client's screen: its own tab
        await settle(app, pilot)
        await pilot.press(*"undo", "enter")
        await settle(app, pilot)
        assert app.screen is detail and detail.query_one("#client-tabs").active == "tab-payments"


@async_test
async def test_an_invoice_with_the_agency_says_so_in_the_invoice_lists(demo):
    """Its status read "part-paid" or "open", as if nobody was chasing a 200-day-old invoice."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        state = app.state
        handed = {(n, to) for cid in state.book.clients for n, to in (state.status(cid).handed_over or {}).items()}
        number, to = sorted(handed)[0]
        await pilot.press("3")
        await settle(app, pilot)
        table = app.screen.query_one("#invoices")
        row = next(s for s in table.rows if s.invoice.number == number)
        assert table._cells(row)[-1] == f"→ {to}"
        other = next(s for s in table.rows if s.outstanding > 0 and (s.invoice.number, "agency") not in handed
                     and (s.invoice.number, "legal") not in handed)
        assert table._cells(other)[-1] == other.status
        detail = await open_client(app, pilot, row.invoice.client)
        inner = detail.query_one("#client-invoices")
        assert inner._cells(next(s for s in inner.rows if s.invoice.number == number))[-1] == f"→ {to}"


@async_test
async def test_a_due_date_emptied_and_typed_again_is_what_was_typed(demo):
    """Emptying the proposed due date put it straight back with the cursor before it, so the
    date typed next read "2026-11-012027-01-18"."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        form = await new_invoice_form(app, pilot)
        due = form.query_one("#in-due")
        proposed = due.value
        assert proposed
        due.focus()
        await settle(app, pilot)
        await pilot.press("end", "ctrl+u")
        await settle(app, pilot)
        assert due.value == ""
        await pilot.press(*"2026-11-01")
        await settle(app, pilot)
        assert due.value == "2026-11-01"
        issued = form.query_one("#in-issued")  # a date typed stays when the issue date changes
        issued.focus()
        await pilot.press("end", "ctrl+u", *"2026-10-02")
        await settle(app, pilot)
        assert due.value == "2026-11-01"


@async_test
async def test_a_clients_credit_is_offered_and_put_on_its_open_invoices(demo):
    """An overpayment sat on the account, shown in green, while the app chased the client for
    invoices it covered: nothing offered to put it on them."""
    from receivables.ledger import derive
    from store import open_book

    book = reopen(demo)
    ledger = derive(book, DAY)
    cid = next(c for c in sorted(book.clients) if ledger.open_invoices(c))
    st = ledger.open_invoices(cid)[0]
    cur = st.invoice.currency
    with open_book(demo, today=DAY) as repo:
        from receivables.model import Payment
        repo.record_payment(Payment("", DAY, cid, Decimal("25.00"), cur, "bank", "ON ACCOUNT"))  # all credit
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        detail = await open_client(app, pilot, cid)
        assert "k puts it on them" in text_of(detail.query_one("#client-head"))
        await pilot.press("k")
        await settle(app, pilot)
        assert "25.00 on " + st.number in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("y")
        await settle(app, pilot)
    after = derive(reopen(demo), DAY)
    assert after.credit(cid, cur) == 0
    assert after.invoices[st.number].outstanding == st.outstanding - Decimal("25.00")
    applied = [a for a in reopen(demo).adjustments if a.kind == "credit_applied"]
    assert [(a.client, a.invoice, a.amount) for a in applied] == [(cid, st.number, Decimal("25.00"))]


@async_test
async def test_the_invoices_screen_names_the_client_and_finds_invoices_by_its_name(demo):
    """The Invoices screen showed client ids ('lodz-logistyka') and a search by the client's
    name found nothing; 'by late' left equally late invoices in no useful order."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#invoices")
        book = app.state.book
        # a client whose name is not its id, with an open invoice
        open_by = {s.invoice.client for s in table.rows}
        client = next(c for c in sorted(book.clients.values(), key=lambda c: c.id)
                      if c.id in open_by and c.name.split()[0].casefold() not in c.id)
        shown = "".join(seg.text for seg in table.render_line(1))
        assert any(book.clients[s.invoice.client].name[:8] in shown for s in table.rows[:1])
        word = client.name.split()[0]
        await pilot.press("slash", *word, "enter")
        await settle(app, pilot)
        assert table.rows and {s.invoice.client for s in table.rows} >= {client.id}
        assert all(word.casefold() in book.clients[s.invoice.client].name.casefold()
                   or word.casefold() in s.invoice.number.casefold() + s.invoice.reference.casefold() + s.invoice.client
                   for s in table.rows)
        await pilot.press("escape")
        await settle(app, pilot)
        screen.sort, screen.reverse = "late", True  # (as o sets it: most late first)
        screen._apply()
        keys = [(s.days_overdue, s.outstanding) for s in table.rows]
        assert keys == sorted(keys, reverse=True)


@async_test
async def test_v_on_the_invoices_tab_says_where_voiding_is(demo):
    """v on the client's Invoices tab did nothing at all (the key was hidden there): an owner
    who typed an invoice wrong and pressed v learnt nothing. It now says what v voids, where,
    and what to do with an invoice."""
    app = create_app(demo, on=DAY)
    said: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.notify = lambda message, **kw: said.append(str(message))
        cid = next(iter(app.state.book.clients))
        detail = await open_client(app, pilot, cid)
        detail.query_one("#client-invoices").focus()
        await pilot.press("v")
        await settle(app, pilot)
        assert app.screen is detail
    assert said and "Payments · credits" in said[-1] and "E edits" in said[-1]


@async_test
async def test_credit_notes_from_the_invoices_screen_and_a_dispute_settled_by_one(demo):
    """A credit note (goods returned, a price corrected, a dispute settled by one) could only be
    imported from a CSV: C takes an amount off the selected invoice, and resolving a dispute
    (d on its invoice) can record the credit note it was settled by, in the same commit."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        table = app.screen.query_one("#invoices")
        target = next(s for s in table.rows if s.outstanding > 100 and not s.disputed)
        number, owed = target.invoice.number, target.outstanding
        await pilot.press("slash", *number, "enter")
        await settle(app, pilot)
        assert table.current.invoice.number == number
        await pilot.press("d", *"two boxes damaged", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("d")  # the open dispute: resolve it
        await settle(app, pilot)
        await type_into(pilot, app, "#in-resolution", "agreed 40 off")
        await type_into(pilot, app, "#in-credit_note", str(owed + 1))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "still owed" in text_of(app.screen.query_one("#err-credit_note"))  # refused, the form kept
        await type_into(pilot, app, "#in-credit_note", "40")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        book = reopen(demo)
        assert [d.resolved for d in book.disputes if d.invoice == number] == [DAY]
        assert [(a.kind, a.amount, a.reason) for a in book.adjustments if a.invoice == number] == [
            ("credit_note", Decimal("40.00"), "agreed 40 off")]
        await pilot.press("C")
        await settle(app, pilot)
        assert "Credit note on" in text_of(app.screen.query_one(".dialog-title"))
        await type_into(pilot, app, "#in-amount", "10")
        await type_into(pilot, app, "#in-reason", "price corrected")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    notes = [(a.kind, a.amount, a.reason) for a in reopen(demo).adjustments if a.invoice == number]
    assert notes[-1] == ("credit_note", Decimal("10.00"), "price corrected")


@async_test
async def test_a_clients_debt_in_another_currency_has_its_own_row_on_the_clients_screen(demo):
    """A GBP client's EUR invoice 50 days overdue showed as "£0.00+" with overdue "—", sorted to
    the bottom by overdue, and left out of the screen's EUR total (Reports counted it)."""
    from datetime import timedelta

    from receivables.ledger import derive
    from receivables.model import Invoice
    from store import open_book
    from tui.fmt import money

    with open_book(demo, today=DAY) as repo:
        cid = next(c.id for c in repo.book().clients.values()
                   if c.currency == "GBP" and not derive(repo.client_book(c.id), DAY).open_invoices(c.id))
        repo.add_invoice(Invoice("EUR-1", cid, DAY - timedelta(days=80), DAY - timedelta(days=50), "EUR",
                                 Decimal("1234.50")))
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        for _ in range(200):
            await settle(app, pilot)
            if app.state.clients is not None:
                break
        screen = app.screen
        rows = [r for r in screen.query_one("#clients").rows if r.client.id == cid]
        assert [(r.currency, r.balance, r.overdue) for r in rows] == [
            ("GBP", Decimal("0.00"), Decimal("0.00")), ("EUR", Decimal("1234.50"), Decimal("1234.50"))]
        status = text_of(screen.query_one("#clients-status"))
        ledger = app.state.ledger  # (every client's positions: what Reports sums)
        eur = sum((p.balance for c in app.state.book.clients for p in ledger.positions(c) if p.currency == "EUR"),
                  Decimal(0))
        assert money(eur, "EUR") in status, status
        assert f"of {len(app.state.book.clients)} clients" in status


@async_test
async def test_a_payment_in_another_currency_than_the_clients_pays_that_invoice(demo):
    """A GBP client's EUR invoice could not be paid from the app: the $ form worked in the
    client's currency only, so the euros became a pound credit. The form has a currency now
    (last, filled in), and from the invoice's action it is the action's."""
    from datetime import timedelta

    from receivables.ledger import derive
    from receivables.model import Invoice
    from store import open_book

    with open_book(demo, today=DAY) as repo:
        cid = next(c.id for c in repo.book().clients.values()
                   if c.currency == "GBP" and not derive(repo.client_book(c.id), DAY).open_invoices(c.id))
        repo.add_invoice(Invoice("EUR-1", cid, DAY - timedelta(days=80), DAY - timedelta(days=50), "EUR",
                                 Decimal("1234.50")))
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await open_client(app, pilot, cid)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#in-currency").value == "GBP"
        form.query_one("#in-currency").value = "EUR"
        await settle(app, pilot)
        await type_into(pilot, app, "#in-amount", "1234.50")
        await settle(app, pilot)
        assert form.alloc == {"EUR-1": Decimal("1234.50")}
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    book = reopen(demo)
    paid = [p for p in book.payments if p.client == cid and p.date == DAY]
    assert [(p.currency, p.amount, [(a.invoice, a.amount) for a in p.allocations]) for p in paid] == [
        ("EUR", Decimal("1234.50"), [("EUR-1", Decimal("1234.50"))])]


@async_test
async def test_U_takes_back_an_outcome_pressed_by_mistake_on_today(demo):
    """x (or s, or a call outcome) pressed on the wrong row could not be taken back."""
    from receivables.daylog import action_key, handled_on

    from .tui_support import at_action

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        pos = await at_action(app, pilot, lambda a: True)
        screen = app.screen
        action = screen.queue[pos]
        await pilot.press("x")
        await settle(app, pilot)
        assert screen.done.get(pos) == "skipped"
        screen.pos = pos
        screen.query_one("#queue").move_to(pos)
        await pilot.press("U")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(app, pilot)
        assert pos not in screen.done
    assert action_key(action) not in handled_on(reopen(demo).activities, DAY)


@async_test
async def test_a_plan_takes_invoice_numbers_typed_in_lower_case(demo):
    """"inv-000467" was refused as "not an open, undisputed invoice", with no word of the one
    meant: the client field ignores case, the invoices field did not."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        number = await plan_form_on_an_open_invoice(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-invoices", number.lower())
        await settle(app, pilot)
        assert form.values["invoices"] == (number,)
        await type_into(pilot, app, "#in-invoices", "nope-1")
        await settle(app, pilot)
        assert "its open ones:" in text_of(form.query_one("#err-invoices"))


@async_test
async def test_a_new_client_named_as_another_is_pointed_out(demo):
    """A second "Bridgewater Brewing Ltd" was made without a word; on Today the two could not
    be told apart. Said under the name (two firms may share one: not refused)."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        existing = next(iter(app.state.book.clients.values()))
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-name", existing.name.upper() + " ")
        await settle(app, pilot)
        assert f"another client is named so: {existing.id}" in text_of(form.query_one("#err-name"))
        await type_into(pilot, app, "#in-name", existing.name + " (North)")
        await settle(app, pilot)
        assert "another client" not in text_of(form.query_one("#err-name"))
        # the same firm with another legal form or punctuation ("Cairn Marketing" and "Cairn
        # Marketing Ltd") was added without a word, and "cairn" then matched two clients
        await type_into(pilot, app, "#in-name", existing.name.replace(" ", ", ", 1) + " Ltd.")
        await settle(app, pilot)
        assert f"almost this name: {existing.name} ({existing.id})" in text_of(form.query_one("#err-name"))


@async_test
async def test_an_invoice_dated_after_today_is_refused_and_one_added_is_confirmed(demo):
    """2027-06-01 typed for 2026 was saved without a word and hidden until then, and the owner
    added the invoice a second time."""
    cid = sorted(reopen(demo).clients)[0]
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        form = await new_invoice_form(app, pilot)
        burst(app, "INV-LATER-1", "enter", cid, "enter")
        await settle(app, pilot)
        await type_into(pilot, app, "#in-issued", "2027-06-01")
        await type_into(pilot, app, "#in-amount", "1250.00")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert "after today: the invoice would be hidden until then" in text_of(form.query_one("#err-issued"))
        await type_into(pilot, app, "#in-issued", DAY.isoformat())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form
        notes = [n.message for n in app._notifications]
        assert any("INV-LATER-1 for " in m and "1,250.00" in m and "is in the book" in m for m in notes), notes
    assert reopen(demo).invoices["INV-LATER-1"].issued == DAY


@async_test
async def test_enter_then_a_key_typed_at_once_reaches_the_client_screen_it_opens(demo):
    """"enter $" on the Clients screen opened the client's screen with no payment dialog, and
    the amount typed next switched screens ("1" to Today): the "$" reached the Clients screen
    before enter's client screen was in front."""
    from tui.dialogs.payment import PaymentDialog
    from tui.screens.client_detail import ClientDetailScreen

    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        for screen_key, table in (("2", "#clients"), ("3", "#invoices")):
            await pilot.press(screen_key)
            await settle(app, pilot)
            t = app.screen.query_one(table)
            t.move_to(3)
            await settle(app, pilot)
            row = t.current
            cid = row.client.id if table == "#clients" else row.invoice.client
            burst(app, "enter", "dollar_sign", "125")
            await settle(app, pilot)
            assert isinstance(app.screen, PaymentDialog), type(app.screen)
            assert app.screen.values.get("client") == cid
            assert app.screen.query_one("#in-amount").value == "125"
            assert isinstance(app.screen_stack[-2], ClientDetailScreen)
            await pilot.press("escape")
            await settle(app, pilot)
            await pilot.press("escape")
            await settle(app, pilot)


@async_test
async def test_a_payments_file_imported_in_the_app_takes_its_action_off_the_queue_at_once(tmp_path):
    """There was no import in the app, and `dun import` is refused while the app holds the
    book: the owner had to quit, import and start again. I imports as `dun import` does, and
    the queue follows."""
    demo = make_book(tmp_path / "book", seed=1)  # (a day with steps due)
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        a = next(a for a in screen.queue if a.kind == "step" and a.amount > 0 and len(a.invoices) == 1)
        src = tmp_path / "paid.csv"
        src.write_text("date,client,amount,currency,reference,invoice\n"
                       f"{DAY.isoformat()},{a.client},{a.amount},{a.currency},BACS 42,{a.invoices[0]}\n")
        bad = tmp_path / "bad.csv"
        bad.write_text("date,client,amount,currency,reference,invoice\n2099-01-01,nobody,1.00,GBP,,\n")
        payments = len(app.state.book.payments)
        await pilot.press("I")
        await settle(app, pilot)
        dialog = app.screen
        burst(app, str(bad), "ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog  # refused, nothing changed, the form kept
        assert "bad.csv row 2" in text_of(dialog.query_one("#form-error"))
        assert len(app.state.book.payments) == payments
        await type_into(pilot, app, "#in-file", str(src))
        await pilot.press("ctrl+o")  # a dry run first: what it would add, nothing written
        await settle(app, pilot)
        assert app.screen is dialog
        assert "paid.csv: added 1 payment" in text_of(dialog.query_one("#import-preview"))
        assert "dry run: nothing written" in text_of(dialog.query_one("#import-preview"))
        assert len(app.state.book.payments) == payments and len(reopen(demo).payments) == payments
        state = app.state
        await pilot.press("ctrl+s")
        for _ in range(100):
            if app.state is not state:
                break
            await settle(app, pilot)
        await settle(app, pilot)
        assert app.screen is screen
        assert not any(q.client == a.client and q.invoices == a.invoices and q.step == a.step for q in screen.queue)
        notes = [n.message for n in app._notifications]
        assert any("added 1 payment" in m for m in notes), notes
    (p,) = [p for p in reopen(demo).payments if p.reference == "BACS 42"]
    assert p.client == a.client and [x.invoice for x in p.allocations] == list(a.invoices)


@async_test
async def test_a_payment_dated_years_back_says_so_and_is_refused_on_later_invoices(demo):
    """2016 typed for 2026 was saved without a word, on invoices issued in 2026: the form now
    says how long ago the date is, and the store refuses the allocation, naming the year."""
    app = create_app(demo, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        state = app.state
        cid = next(r.client.id for r in state.clients if state.ledger.open_invoices(r.client.id, r.currency))
        before = len(state.book.payments)
        await open_client(app, pilot, cid)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        form = app.screen
        await type_into(pilot, app, "#in-amount", "10.00")
        slip = DAY.replace(year=DAY.year - 10)
        await type_into(pilot, app, "#in-date", slip.isoformat())
        await settle(app, pilot)
        assert f"= {(DAY - slip).days} days ago" in text_of(form.query_one("#err-date"))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        said = text_of(form.query_one("#form-error"))
        assert "Not saved" in said and f"the payment is dated {slip}, before" in said and "year" in said
    assert len(reopen(demo).payments) == before
