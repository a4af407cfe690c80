"""Widgets and helpers of the TUI: the virtual table, charts, money text, installments."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from textual.app import App

from receivables.errors import DunError
from receivables.plans import split_installments
from tui.fmt import money, safe
from tui.widgets.charts import bar, sparkline
from tui.widgets.vtable import Column, VirtualTable

from .tui_support import async_test


class TableApp(App):
    def __init__(self, rows, calls):
        super().__init__()
        self.rows, self.calls = rows, calls

    def compose(self):
        def cells(r):
            self.calls.append(r)
            return [str(r), f"name {r}", f"{r * 3}"]

        yield VirtualTable([Column("n", "N", 8), Column("name", "Name", 10, flex=True),
                            Column("x", "Triple", 8, right=True, optional=True)], cells, id="t")

    def on_mount(self):
        self.query_one(VirtualTable).set_rows(self.rows)


def line_text(table, y):
    return "".join(seg.text for seg in table.render_line(y))


@async_test
async def test_virtual_table_draws_only_visible_rows_of_100k():
    calls = []
    app = TableApp(list(range(100_000)), calls)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        assert table.row_count == 100_000
        assert len(set(calls)) < 100  # cells() ran for the screenful, not for 100,000 rows
        assert line_text(table, 0).startswith("N ")
        assert "name 0" in line_text(table, 1)
        assert line_text(table, 1).rstrip().endswith("0")
        await pilot.press("pagedown")
        assert table.cursor_row == table.size.height - 2
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99_999
        assert "name 99999" in line_text(table, table.size.height - 1)
        assert len(set(calls)) < 200


@async_test
async def test_virtual_table_drops_optional_columns_when_narrow_and_sanitises():
    app = TableApp(["a\x1b[2Jb", "x"], [])
    async with app.run_test(size=(24, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        assert [c.key for c in table._visible()] == ["n", "name"]
        first = line_text(table, 1)
        assert "\x1b" not in first and "a?[2Jb" in first


@async_test
async def test_an_empty_tables_message_wraps_to_its_width():
    app = TableApp([], [])
    async with app.run_test(size=(30, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        table.empty = "No unmatched receipts. Bank statements come in with: dun import bank FILE."
        table.refresh()
        await pilot.pause()
        shown = " ".join(line_text(table, y).strip() for y in range(2, table.size.height))
        assert " ".join(shown.split()) == table.empty
        assert all(len(line_text(table, y)) <= table.size.width for y in range(table.size.height))


def test_bars_and_sparklines_use_exact_decimals():
    assert bar(Decimal("50"), Decimal("100"), 10) == "█" * 5
    assert bar(Decimal("0.01"), Decimal("100"), 10) == "█"  # something owed shows
    assert bar(Decimal("0"), Decimal("100"), 10) == ""
    assert sparkline([Decimal(0), Decimal(7), None, Decimal(14)]) == "▁▅ █"  # 7 of 14 is cell 3.5 -> 4, half up
    assert sparkline([None, None]) == "  "


def test_money_text_rounds_half_up_per_currency():
    assert money(Decimal("2.345"), "GBP") == "£2.35"
    assert money(Decimal("-1234.5"), "EUR") == "-€1,234.50"
    assert money(Decimal("1000.5"), "JPY") == "JPY 1,001"
    assert money(Decimal("1.0005"), "BHD") == "BHD 1.001"
    assert safe("a\x07b\nc", lines=True) == "a?b\nc"


def test_installments_put_the_remainder_on_the_last():
    items = split_installments(Decimal("100.00"), "GBP", 3, date(2026, 12, 1), 30)
    assert [i.amount for i in items] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert [i.due for i in items] == [date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 30)]
    assert sum(i.amount for i in items) == Decimal("100.00")
    with pytest.raises(DunError):
        split_installments(Decimal("0.02"), "GBP", 5, date(2026, 12, 1), 7)


def test_the_queue_follows_a_new_agenda_keeping_what_the_session_did():
    from types import SimpleNamespace as A

    from tui.widgets.queue import follow

    a, b, c, d = (A(id=x, client=x, amount=Decimal(1)) for x in "abcd")
    queue = [a, b, c]
    done = {0: "sent"}
    drafts = {1: "Subject: B\n\nedited", 2: "Subject: C"}
    b2 = A(id="b", client="b", amount=Decimal(2))  # b's figures changed; c is no longer due; d is new
    got = follow(queue, done, drafts, {}, [b2, d], at="c")
    assert [x.id for x in got.queue] == ["a", "b", "d"] and got.queue[1] is b2
    assert got.done == {0: "sent"}
    assert got.drafts == {}  # b's draft was for its old figures, c left
    assert got.pos == 1  # the cursor's action left: the first one not done
    assert follow(queue, done, drafts, {}, [b, c], at="b") is None  # a (done) stays, nothing changed
    kept = follow([a, b], {}, {1: "mine"}, {}, [b, a, d], at="b")
    assert [x.id for x in kept.queue] == ["a", "b", "d"] and kept.drafts == {1: "mine"} and kept.pos == 1


def test_the_walk_through_card_ticks_only_what_was_done():
    """A skipped action's card said "✓ skipped": skipped and snoozed are handled, not done."""
    from publish.sample import sample_book
    from receivables.agenda import build_agenda
    from receivables.policy import read_policy
    from tui.widgets.queue import action_card

    on = date(2026, 11, 20)
    a = build_agenda(sample_book(on), read_policy(Path(__file__).resolve().parent.parent / "policy.toml"), on)[0]
    assert "✓ sent" in action_card(a, 0, 3, "sent").plain
    for label, mark in (("skipped", "–"), ("snoozed", "z")):
        head = action_card(a, 0, 3, label).plain.splitlines()[0]
        assert f"{mark} {label}" in head and "✓" not in head


def test_a_debtors_balance_after_its_credit_is_marked_where_overdue_exceeds_it():
    """The Reports screen showed a balance below what was overdue with nothing to say why:
    the balance is net of the client's unallocated credit."""
    from types import SimpleNamespace

    from rich.console import Console

    from receivables.model import Allocation, Book, Client, Invoice, Payment
    from receivables.policy import read_policy
    from receivables.report import build_report
    from tui.screens.reports import render_report

    on = date(2026, 4, 1)
    invs = {n: Invoice(n, "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", Decimal("500.00")) for n in ("A-1", "A-2")}
    policy = read_policy(Path(__file__).resolve().parent.parent / "policy.toml")

    def shown(payments):
        book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)}, invoices=invs, payments=payments)
        console = Console(width=120, record=True)
        console.print(render_report(build_report(book, policy, on), SimpleNamespace(policy=policy), 120))
        return console.export_text()

    plain = shown(())
    assert "£1,000.00*" not in plain and "after the client's unallocated credit" not in plain
    over = shown((Payment("P1", date(2026, 3, 1), "acme", Decimal("700.00"), "GBP",
                          allocations=(Allocation("A-1", Decimal("500.00")),)),))  # 200.00 of credit
    assert "£300.00*" in over and "£500.00" in over and "after the client's unallocated credit" in over


def test_a_client_in_credit_has_used_none_of_its_credit_limit(tmp_path):
    """The panel said "Credit limit £3,000.00 · used -2%" for a client whose credit exceeded
    what it owed."""
    from rich.console import Console

    from receivables.model import Allocation, Book, Client, Invoice, Payment
    from store import init_book, open_book
    from tui.state import build_state
    from tui.widgets.context import client_context

    on = date(2026, 4, 1)
    inv = Invoice("A-1", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", Decimal("246.00"))
    paid = Invoice("A-2", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", Decimal("100.00"))
    book = Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30, credit_limit=Decimal("3000.00"))},
                invoices={"A-1": inv, "A-2": paid},
                payments=(Payment("P1", date(2026, 3, 1), "acme", Decimal("400.00"), "GBP",
                                  allocations=(Allocation("A-2", Decimal("100.00")),)),))
    init_book(tmp_path / "b", book=book)
    with open_book(tmp_path / "b", readonly=True) as repo:
        state = build_state(repo, tmp_path / "b", on)
    console = Console(width=80, record=True)
    console.print(client_context(state, "acme"))
    text = console.export_text()
    assert "Credit limit £3,000.00 · used 0%" in text and "-" not in text.split("used")[1][:3]
    assert "£300.00 of credit can settle its open invoices" in text


def test_credit_that_covers_part_of_what_is_open_is_not_said_to_settle_it(tmp_path):
    """"The client's £15.28 of credit can settle its open invoices" was said of a client owing £7,204.29."""
    from rich.console import Console

    from receivables.model import Allocation, Book, Client, Invoice, Payment
    from store import init_book, open_book
    from tui.state import build_state
    from tui.widgets.context import client_context

    on = date(2026, 4, 1)
    invs = {n: Invoice(n, "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", Decimal(a))
            for n, a in (("A-1", "500.00"), ("A-2", "100.00"))}
    pay = Payment("P1", date(2026, 3, 1), "acme", Decimal("115.28"), "GBP",
                  allocations=(Allocation("A-2", Decimal("100.00")),))
    init_book(tmp_path / "b", book=Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)},
                                        invoices=invs, payments=(pay,)))
    with open_book(tmp_path / "b", readonly=True) as repo:
        state = build_state(repo, tmp_path / "b", on)
    console = Console(width=100, record=True)
    console.print(client_context(state, "acme"))
    text = console.export_text()
    assert "£15.28 of credit can go toward its open invoices" in text and "can settle" not in text


def test_the_panel_says_a_plans_amount_and_outcomes_and_corrections_in_words(tmp_path):
    """It read "Plan PLN-000001: 4 × over INV-000122" (no amount), "call · no_answer" and
    "undo:ACT-000775"."""
    from rich.console import Console

    from receivables.model import Activity, Book, Client, Installment, Invoice, PaymentPlan
    from store import init_book, open_book
    from tui.state import build_state
    from tui.widgets.context import client_context

    on = date(2026, 4, 1)
    inv = Invoice("A-1", "acme", date(2026, 1, 2), date(2026, 2, 1), "GBP", Decimal("400.00"))
    plan = PaymentPlan("PLN-1", "acme", date(2026, 3, 1), "GBP", ("A-1",),
                       tuple(Installment(date(2026, m, 1), Decimal("100.00")) for m in (4, 5, 6, 7)))
    acts = (Activity("ACT-1", date(2026, 3, 20), "acme", "phone", step="call", outcome="no_answer"),
            Activity("ACT-2", date(2026, 3, 20), "acme", "other", step="undo:ACT-1", outcome="note", corrects="ACT-1"))
    init_book(tmp_path / "b", book=Book(clients={"acme": Client("acme", "Acme Ltd", "GBP", 30)},
                                        invoices={"A-1": inv}, plans=(plan,), activities=acts))
    with open_book(tmp_path / "b", readonly=True) as repo:
        state = build_state(repo, tmp_path / "b", on)
    console = Console(width=120, record=True)
    console.print(client_context(state, "acme"))
    text = console.export_text()
    assert "Plan PLN-1: £400.00 in 4 installments on A-1; next £100.00 on" in text
    assert "call · no answer" in text and "takes back ACT-1" in text and "undo:" not in text


def test_an_action_on_no_invoice_shows_no_amount_owed():
    """A credit review's row read £0.00 in the Amount column, as if a sum were owed."""
    from decimal import Decimal as D

    from receivables.engine.records import Action
    from tui.widgets.queue import action_card, queue_cells

    review = Action("acme", "credit_review", None, "other", (), D(0), "GBP", None, "Credit review", "", date(2026, 1, 1))
    step = Action("acme", "step", "call", "phone", ("INV-1",), D("12.50"), "GBP", None, "Phone call", "",
                  date(2026, 1, 1))
    assert queue_cells(review, None, False)[3] == "—" and "£0.00" not in action_card(review, 0, 1, None).plain
    assert queue_cells(step, None, False)[3] == "£12.50"
