"""The footer, with room for the keys that matter on a narrow terminal.

Below 180 columns the footer is compact (no padding around the keys). When the keys would
not all fit, the screen keys 1–5 are left out first, then what the screen names in
``narrow_hidden`` (the bulk send, "back to the queue"...): they still work and the help
(``?``) lists them, but nothing is cut mid-word or left over at the end of the line, and the
outcome keys, ``?`` and ``q`` fit in 80 columns.

Textual's footer makes its keys again after every change of the screen's bindings (each
focus change, each ``refresh_bindings``), several times in a row while a screen opens; this
one makes them again at most once per refresh, and only when what they show changed
(:meth:`DunFooter.refresh_keys`).
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW = 110  # columns: below this the palette key (ctrl+p, in the help) gives its room to the keys
COMPACT = 180  # below this, no padding around the keys
SCREEN_KEYS = frozenset({"go('today')", "go('clients')", "go('invoices')", "go('reports')", "go('policy')"})


class DunFooter(Footer):
    _shown: tuple | None = None  # what the keys on show were made from
    _pending = False  # a refresh_keys is waiting for the next refresh

    def _what(self) -> tuple:
        """Everything the keys are made from (the screen's shown bindings, the room)."""
        screen = self.screen
        shown = tuple((b, enabled, tooltip) for _, b, enabled, tooltip in screen.active_bindings.values() if b.show)
        return (shown, self.compact, self.show_command_palette, self.app.size.width,
                tuple(sorted(getattr(screen, "narrow_hidden", ()))))

    def bindings_changed(self, screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.refresh_keys()

    def refresh_keys(self) -> None:
        """Make the keys again after the next refresh, if what they are made from changed by
        then (many calls before it: one check)."""
        if not self._pending:
            self._pending = True  # (then from the footer's own queue: its keys bind to it)
            self.call_after_refresh(self.call_later, self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if self.is_attached and self._what() != self._shown:
            await self.recompose()

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._what()
        widgets = list(super().compose())
        palette = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        keys = [w for w in widgets if w not in palette]
        room = self.app.size.width - sum(self._width(w) + 2 for w in palette)
        for drop in (SCREEN_KEYS, getattr(self.screen, "narrow_hidden", frozenset())):
            if self._total(keys) <= room:
                break
            keys = [w for w in keys if not (isinstance(w, FooterKey) and w.action.removeprefix("app.") in drop)]
        self.styles.grid_size_columns = max(1, len(keys))
        yield from keys + palette

    def _width(self, w) -> int:
        if not isinstance(w, FooterKey):
            return 0
        text = len(w.key_display) + (1 + len(w.description) if w.description else 0)
        return text + (1 if self.compact else 3)  # the gap to the next key / the padding

    def _total(self, keys) -> int:
        return sum(self._width(w) for w in keys)
