"""The command palette (ctrl+p): every action of the app, by name.

App-wide actions come from :func:`app_commands`; the screen in front adds its own
(``DunScreen.commands``), so what the palette lists is what can be done right there.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider


def app_commands(app: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    cmds = [
        ("Go to Today", "The day's collection actions, one at a time (1)", partial(app.go, "today")),
        ("Go to Clients", "Search and sort clients (2)", partial(app.go, "clients")),
        ("Go to Invoices", "Filter invoices (3)", partial(app.go, "invoices")),
        ("Go to Reports", "Aging, DSO, CEI, forecast (4)", partial(app.go, "reports")),
        ("Go to Policy", "The ladder and interest as loaded (5)", partial(app.go, "policy")),
        ("Add a note", "A Markdown note on a client or invoice (n)", app.action_note),
        ("Record a payment", "Amount, date, reference and allocation ($)", app.action_payment),
        ("Void a payment, credit or promise (undo a mistake)", "One recorded by mistake: the client's "
         "Payments · credits tab, then v", app.action_void_record),
        ("Add a client", "A new client record", app.action_add_client),
        ("Add an invoice", "A new invoice", app.action_add_invoice),
        ("Import a file", "Clients, invoices, payments, a bank statement or a Xero export (I)", app.action_import_file),
        ("Publish the report folder", "Statements, management report and CSVs in BOOK/site (P)", app.action_publish),
        ("Toggle dark/light theme", "Switch between the dark and light theme (ctrl+t)", app.action_toggle_theme),
        ("Reload the book", "Read the book again from disk (ctrl+r)", app.action_reload),
        ("Help", "Keys and how things work (?)", app.action_help),
    ]
    return cmds


class DunCommands(Provider):
    def _all(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        if getattr(app, "state", None) is None:
            return []
        cmds = list(app_commands(app))
        screen = self.screen
        # the palette is itself a screen: use the one under it
        stack = app.screen_stack
        target = stack[-2] if len(stack) > 1 and screen is stack[-1] else screen
        extra = getattr(target, "commands", None)
        if extra is not None:
            cmds.extend(extra())
        return cmds

    async def discover(self) -> Hits:
        for title, help_, cb in self._all():
            yield DiscoveryHit(title, cb, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_, cb in self._all():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), cb, help=help_)
