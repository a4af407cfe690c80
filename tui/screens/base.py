"""What every screen of the app shares: the loaded state, the repo, and safe writes."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable

from textual import on
from textual.screen import Screen
from textual.widgets import Input

from receivables.errors import DunError

from ..fmt import safe
from ..widgets.vtable import VirtualTable

if TYPE_CHECKING:
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

        from ..widgets.footer import COMPACT, NARROW  # (tui.widgets.footer: what fits)

        for footer in self.query(Footer):
            footer.compact = self.size.width < COMPACT
            # the palette key (ctrl+p) is in the help; on a narrow terminal its room goes to the keys
            footer.show_command_palette = self.size.width >= NARROW
            footer.refresh(recompose=True)  # the keys that fit the new width
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

    def action_search(self) -> None:
        self.query_one(f"#{self.search_id}", Input).focus()

    def action_clear(self) -> None:
        search = self.query_one(f"#{self.search_id}", Input)
        if search.value:
            search.value = ""
        self.query_one(f"#{self.table_id}", VirtualTable).focus()

    def action_sort_next(self) -> None:
        cycle = self.sort_cycle
        i = cycle.index(self.sort) if self.sort in cycle else -1
        self.sort = cycle[(i + 1) % len(cycle)]
        self.reverse = self.sorts[self.sort][1]
        self._apply()

    def action_sort_reverse(self) -> None:
        self.reverse = not self.reverse
        self._apply()
