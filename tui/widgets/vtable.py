"""A virtual table: renders only the visible rows (Line API), so 100,000 rows cost nothing.

Textual's stock ``DataTable`` builds every row up front, far too slow with 100,000 rows
(benchmarks/README.md has the figures). This widget keeps a plain list of row objects and
a ``cells(row)`` function that turns one row into display strings, called only for rows on
screen. Sorting and filtering are done by the caller, which hands over a new list
(``set_rows``).

Cell text is drawn as plain segments: client names and notes are never read as markup.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..fmt import safe


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 10  # cells; the flex column takes what is left (at least ``width``)
    right: bool = False
    flex: bool = False
    optional: bool = False  # dropped first when the table is too narrow


class VirtualTable(ScrollView, can_focus=True):
    """A read-only table with a row cursor over any number of rows."""

    COMPONENT_CLASSES = {
        "vtable--header",
        "vtable--cursor",
        "vtable--odd",
        "vtable--muted",
        "vtable--sorted",
    }

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, table: "VirtualTable", index: int, row: Any) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> "VirtualTable":
            return self.table

    class Selected(Highlighted):
        pass

    class HeaderClicked(Message):
        def __init__(self, table: "VirtualTable", column: Column) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> "VirtualTable":
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        cells: Callable[[Any], Sequence[str]],
        *,
        muted: Callable[[Any], bool] | None = None,
        empty: str = "Nothing to show.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: list[Column] = list(columns)
        self._cells = cells
        self._muted = muted
        self._rows: list[Any] = []
        self._cache: dict[int, Sequence[str]] = {}
        self.empty = empty
        self.sort_key: str | None = None
        self.sort_reverse = False
        # enter's work done at once, inside its key (a row that opens another screen): a key
        # typed right behind enter then reaches that screen; as a Selected message it was
        # handled after that key, which went to this screen ("enter $" lost the "$")
        self.select_now: Callable[[Any], None] | None = None

    # -- data ----------------------------------------------------------------------
    @property
    def rows(self) -> list[Any]:
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def current(self) -> Any | None:
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row]
        return None

    def set_rows(self, rows: Sequence[Any], keep: Callable[[Any], bool] | None = None) -> None:
        """Replace the rows; the cursor stays on the row ``keep`` matches, else on the top."""
        self._rows = rows if isinstance(rows, list) else list(rows)
        self._cache.clear()
        self.virtual_size = Size(max(self.size.width, 1), len(self._rows) + 1)
        target = 0
        if keep is not None:
            for i, r in enumerate(self._rows):
                if keep(r):
                    target = i
                    break
        self.cursor_row = min(target, max(0, len(self._rows) - 1))
        self.refresh()

    def refresh_rows(self) -> None:
        self._cache.clear()
        self.refresh()

    def _total_width(self) -> int:
        return sum(c.width + 1 for c in self.columns if not c.optional)

    def _visible(self) -> list[Column]:
        """The columns that fit: optional ones are dropped (last first) when space is short."""
        width = max(self.size.width, 1) - 1
        cols = list(self.columns)
        while sum(c.width + 1 for c in cols) > width and any(c.optional for c in cols):
            drop = max(i for i, c in enumerate(cols) if c.optional)
            cols.pop(drop)
        return cols

    def _widths(self) -> list[int]:
        width = max(self.size.width, 1)
        cols = self._visible()
        fixed = sum(c.width + 1 for c in cols if not c.flex)
        widths = []
        for c in cols:
            if c.flex:
                widths.append(max(c.width, width - fixed - 2))
            else:
                widths.append(c.width)
        return widths

    def _row_cells(self, index: int) -> Sequence[str]:
        cells = self._cache.get(index)
        if cells is None:
            if len(self._cache) > 2000:
                self._cache.clear()
            cells = self._cells(self._rows[index])
            self._cache[index] = cells
        return cells

    # -- rendering -----------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self._rows) + 1)

    def _line(self, texts: Sequence[str], widths: list[int], style: Style) -> list[Segment]:
        segs: list[Segment] = []
        cols = self._visible()
        if len(cols) != len(self.columns):
            keep = {id(c) for c in cols}
            texts = [t for t, c in zip(texts, self.columns) if id(c) in keep]
        for text, col, w in zip(texts, cols, widths):
            text = safe((text or "").replace("\n", " ").replace("\r", " ").replace("\t", " "))
            if cell_len(text) > w:
                text = set_cell_size(text, max(w - 1, 0)) + ("…" if w else "")
            elif col.right:
                text = " " * (w - cell_len(text)) + text
            else:
                text = set_cell_size(text, w)
            segs.append(Segment(text + " ", style))
        return segs

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        widths = self._widths()
        scroll_x = int(self.scroll_offset.x)
        if y == 0:
            style = base + self.get_component_rich_style("vtable--header")
            labels = []
            for c in self.columns:
                mark = ""
                if self.sort_key == c.key:
                    mark = "▼" if self.sort_reverse else "▲"
                labels.append(c.label + mark)
            strip = Strip(self._line(labels, widths, style))
            return strip.crop_extend(scroll_x, scroll_x + width, style)
        index = int(self.scroll_offset.y) + y - 1
        if not self._rows:  # the empty state's text, wrapped to the table's width
            lines = textwrap.wrap(self.empty, max(10, width - 4)) or [""]
            if 2 <= y < 2 + len(lines):
                style = base + self.get_component_rich_style("vtable--muted")
                return Strip([Segment(("  " + lines[y - 2])[:width].ljust(width), style)])
            return Strip.blank(width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        style = base
        if index % 2:
            style = style + self.get_component_rich_style("vtable--odd")
        if self._muted is not None and self._muted(self._rows[index]):
            style = style + self.get_component_rich_style("vtable--muted")
        if index == self.cursor_row:
            style = style + self.get_component_rich_style("vtable--cursor" if self.has_focus else "vtable--cursor", partial=False)
        strip = Strip(self._line(self._row_cells(index), widths, style))
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    # -- cursor --------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        if not self._rows:
            return
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, new, self._rows[new]))

    def _scroll_to_cursor(self) -> None:
        visible = max(self.size.height - 1, 1)
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def move_to(self, index: int) -> None:
        if self._rows:
            self.cursor_row = max(0, min(index, len(self._rows) - 1))

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor_row + direction * max(self.size.height - 2, 1))

    def action_edge(self, end: int) -> None:
        self.move_to(len(self._rows) - 1 if end else 0)

    def action_select(self) -> None:
        if self.current is None:
            return
        if self.select_now is not None:
            self.select_now(self.current)
        else:
            self.post_message(self.Selected(self, self.cursor_row, self.current))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x + int(self.scroll_offset.x)
            for col, w in zip(self._visible(), self._widths()):
                if x < w + 1:
                    self.post_message(self.HeaderClicked(self, col))
                    return
                x -= w + 1
            return
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self._rows):
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            else:
                self.cursor_row = index
                if event.chain >= 2:
                    self.action_select()
