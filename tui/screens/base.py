"""What the screens share: the loaded state, the repo and safe writes; the table screen; and
the pieces more than one screen offers (the invoice keys, putting a client on hold or lifting
it, Today's "sync first" line). Screens never import each other: they reach another screen
through the app (``app.go``, ``app.open_client``, ``app.open_receipts``)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable

from textual import on
from textual.screen import Screen
from textual.widgets import Input

from receivables.errors import DunError

from ..fmt import safe
from ..widgets.typing import focus_now, type_into
from ..widgets.vtable import VirtualTable

if TYPE_CHECKING:
    from receivables.ledger import InvoiceState

    from ..app import DunApp
    from ..state import BookState


class DunScreen(Screen):
    """A top-level screen. Subclasses implement ``show(state)`` and may list commands."""

    @property
    def dun(self) -> "DunApp":
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> "BookState | None":
        return self.dun.state

    @property
    def on(self) -> date:
        return self.dun.on

    def on_resize(self, event) -> None:
        from textual.widgets import Footer

        from ..widgets.footer import COMPACT, NARROW, DunFooter  # (tui.widgets.footer: what fits)

        for footer in self.query(Footer):
            footer.compact = self.size.width < COMPACT
            # the palette key (ctrl+p) is in the help; on a narrow terminal its room goes to the keys
            footer.show_command_palette = self.size.width >= NARROW
            if isinstance(footer, DunFooter):
                footer.refresh_keys()  # the keys that fit the new width (made again if they differ)
            else:
                footer.refresh(recompose=True)
        self.refresh()  # no character of the old, wider footer is left at the end of a line

    def on_mount(self) -> None:
        self.dun.state_changed.subscribe(self, self._state_changed)
        if self.state is not None:
            self.show(self.state)
        # the rest of the book is worked out once this screen is on the terminal
        self.call_after_refresh(self.dun.ensure_complete)

    def _state_changed(self, state: "BookState") -> None:
        self.show(state)

    def show(self, state: "BookState") -> None:  # pragma: no cover - overridden
        pass

    def current_client_id(self) -> str | None:
        """The client the user is looking at, for "note" and "payment" from anywhere."""
        return None

    def current_invoice(self) -> str | None:
        return None

    def commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        """Extra (title, help, callback) entries for the command palette on this screen."""
        return ()


def write(app: Any, fn: Callable[..., Any], *args: Any, success: str = "", **kwargs: Any) -> Any:
    """Run one store write; show a refusal as a notification and return None."""
    try:
        result = fn(app.repo, *args, **kwargs)
    except DunError as e:
        app.notify(safe(str(e)), title="Not saved", severity="error", markup=False, timeout=8)
        return None
    if success:
        app.notify(safe(success), markup=False)
    app.reload()
    return result


class TableScreen(DunScreen):
    """A screen around one searchable, sortable :class:`VirtualTable`.

    Subclasses set ``table_id``, ``search_id``, ``sorts`` (column key -> (sort key,
    high-first)) and ``sort_cycle`` (the order ``o`` steps through), keep ``self.sort`` and
    ``self.reverse``, and implement ``_apply()`` to filter, sort and show the rows.
    """

    table_id = ""
    search_id = ""
    sorts: dict[str, tuple[Callable[[Any], Any], bool]] = {}
    sort_cycle: tuple[str, ...] = ()

    @on(VirtualTable.HeaderClicked)
    def _header(self, event: VirtualTable.HeaderClicked) -> None:
        key = event.column.key
        if key in self.sorts:
            if key == self.sort:
                self.reverse = not self.reverse
            else:
                self.sort, self.reverse = key, self.sorts[key][1]
            self._apply()

    _search_opening = False  # / was pressed: keys typed right after it are the search's

    def action_search(self) -> None:
        self._search_opening = True
        focus_now(self.query_one(f"#{self.search_id}", Input))  # (focus() came after keys typed behind /)

    def action_clear(self) -> None:
        self._search_opening = False
        search = self.query_one(f"#{self.search_id}", Input)
        if search.value:
            search.value = ""
        self.query_one(f"#{self.table_id}", VirtualTable).focus()

    def search_done(self) -> None:
        """Enter in the search: the rows it finds, the table focused."""
        self._search_opening = False
        self.query_text = self.query_one(f"#{self.search_id}", Input).value
        self._apply()
        # at once: a key typed right behind this enter (enter again: open the row found) finds
        # the table focused; focus() queued the move behind it, and that enter was lost
        focus_now(self.query_one(f"#{self.table_id}", VirtualTable))

    def on_descendant_blur(self, event) -> None:
        if getattr(event, "widget", None) is not None and event.widget.id == self.search_id:
            self._search_opening = False  # (a click elsewhere: the keys go where they go again)

    def typed_ahead(self, event, ahead: bool = False) -> bool:
        """A key typed right after / reaching the app's bindings from the table, which had the
        focus when it came in (the search takes the focus only once /'s binding has run):
        "/yew", enter, "e" typed at once opened the first client's form, not Yew's. Such a key
        is the search's, in order; enter ends the search with its rows shown, so a key after
        it acts on them. True if it was taken."""
        if not self._search_opening:
            return False
        if event.key == "enter":
            self.search_done()
            return True
        return type_into(self.query_one(f"#{self.search_id}", Input), event)

    def action_sort_next(self) -> None:
        cycle = self.sort_cycle
        i = cycle.index(self.sort) if self.sort in cycle else -1
        self.sort = cycle[(i + 1) % len(cycle)]
        self.reverse = self.sorts[self.sort][1]
        self._apply()

    def action_sort_reverse(self) -> None:
        self.reverse = not self.reverse
        self._apply()


def sync_line(state: Any) -> str:
    """Today's "sync first" line ("" when Xero and the bank are in step, or no state yet)."""
    if state is None or state.policy is None:
        return ""
    from receivables.syncstate import state_for

    return state_for(state.book, state.policy, state.on).line()


def toggle_hold(screen: Any, client_id: str) -> None:
    """Put the client on hold (a dialog asks why), or lift the hold once confirmed."""
    from .. import actions

    app = screen.app
    if not app.check_writable():
        return
    client = app.state.book.clients[client_id]
    from ..widgets.context import client_status

    status = client_status(app.state, client_id)
    held = client.hold or bool(status is not None and status.hold)
    if held:
        from ..dialogs.base import ConfirmDialog

        def answer(yes: bool | None) -> None:
            if yes:
                # the activity lifts a hold a credit-hold step put on, and records the lift
                write(app, actions.lift_hold, client_id, app.on, flag=client.hold, from_step=True,
                      success=f"Hold lifted for {client.name}")

        app.push_screen(ConfirmDialog(f"Lift the hold on {client.name}?", "Lift"), answer)
    else:
        from ..dialogs.hold import HoldDialog

        app.push_screen(HoldDialog(client))


def offer_credit(screen: Any, client_id: str, action: Any = None, done: Callable[[], None] | None = None) -> None:
    """Put the client's credit on its open invoices, once the owner agrees to what it pays;
    for the day's "Apply credit" ``action``, recorded done with it, then ``done()``."""
    from .. import actions
    from ..dialogs.base import ConfirmDialog
    from ..fmt import money

    app = screen.app
    if not app.check_writable():
        return
    client = app.state.book.clients[client_id]
    ledger = app.state.ledger_for(client_id)
    moves = actions.credit_moves(ledger, client_id, app.on)
    if not moves:
        app.notify(safe(f"{client.name} has no client credit to put on an open invoice"), markup=False)
        return
    what = ", ".join(f"{money(m.amount, m.currency)} on {m.invoice}" for m in moves)
    left = [(cur, ledger.credit(client_id, cur) - sum((m.amount for m in moves if m.currency == cur), Decimal(0)))
            for cur in ledger.currencies(client_id)]
    rest = ", ".join(money(amount, cur) for cur, amount in left if amount > 0)
    if rest:
        what += f" ({rest} of credit left)"

    def answer(yes: bool | None) -> None:
        if yes and write(app, actions.apply_credit, client_id, app.on, action,
                         success=f"Client credit applied for {client.name}: {what}") is not None and done:
            done()

    app.push_screen(ConfirmDialog(f"Put {client.name}'s credit on its invoices: {what}?", "Apply"), answer)


class InvoiceActions:
    """Dispute, write-off, credit note, plan and edit on the selected invoice (shared with client detail)."""

    def selected_invoice(self) -> "InvoiceState | None":  # pragma: no cover - overridden
        return None

    def action_dispute(self) -> None:
        s = self.selected_invoice()
        if s is None or not self.app.check_writable():
            return
        open_disputes = [d for d in self.app.state.book.disputes if d.invoice == s.invoice.number and d.resolved is None]
        if open_disputes:
            from ..dialogs.resolve import ResolveDialog

            self.app.push_screen(ResolveDialog(open_disputes[-1]))
        else:
            from ..dialogs.dispute import DisputeDialog

            if s.outstanding <= 0:
                self.app.notify(f"{s.invoice.number} is settled; nothing to dispute.", markup=False)
                return
            self.app.push_screen(DisputeDialog(s.invoice.client, [s.invoice.number], self.app.on))

    def action_write_off(self, kind: str = "write_off") -> None:
        s = self.selected_invoice()
        if s is None or not self.app.check_writable():
            return
        if s.outstanding <= 0:
            self.app.notify(f"{s.invoice.number} owes nothing.", markup=False)
            return
        from ..dialogs.writeoff import WriteOffDialog

        self.app.push_screen(WriteOffDialog(s.invoice, s.outstanding, self.app.on, kind))

    def action_credit_note(self) -> None:
        self.action_write_off("credit_note")

    def action_plan(self) -> None:
        s = self.selected_invoice()
        if s is None or not self.app.check_writable():
            return
        from ..dialogs.plan import PlanDialog

        nums = [s.invoice.number] if s.outstanding > 0 and not s.disputed else None
        self.app.push_screen(PlanDialog(s.invoice.client, nums))

    def action_edit_invoice(self) -> None:
        s = self.selected_invoice()
        if s is None or not self.app.check_writable():
            return
        from ..dialogs.invoice_form import InvoiceForm

        self.app.push_screen(InvoiceForm(s.invoice))


def invoice_commands(screen: Any) -> list:
    return [
        ("Invoice: open or resolve a dispute", "On the selected invoice (d)", screen.action_dispute),
        ("Invoice: write off", "What the selected invoice still owes (w)", screen.action_write_off),
        ("Invoice: credit note", "Take an amount off the selected invoice: goods returned, a price corrected (C)",
         screen.action_credit_note),
        ("Invoice: start a payment plan", "Installments over the client's invoices (p)", screen.action_plan),
        ("Invoice: edit", "The selected invoice (E / e)", screen.action_edit_invoice),
    ]
