"""Shown while the book opens in a worker; says plainly what went wrong if it cannot.

What the worker is doing and the seconds waited so far, redrawn once a second
(``LOADING_TICK``): an animated indicator redraws many times a second, which takes the
interpreter from the worker reading the book (the cold start's figure in
benchmarks/README.md)."""
from __future__ import annotations

import shlex
import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from receivables.tuning import LOADING_TICK


class LoadingScreen(Screen):
    BINDINGS = [Binding("q,escape", "app.quit", "Quit", id="loading.quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle():
            with Center():
                yield Static("Opening the book…", id="loading-text", markup=False)
            with Center():
                yield Static("", id="loading-indicator", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._started = time.monotonic()
        self._ticker = self.set_interval(LOADING_TICK, self._tick)

    def _tick(self) -> None:
        waited = int(time.monotonic() - self._started)
        self.query_one("#loading-indicator", Static).update(f"{waited} s" if waited else "")

    def stage(self, message: str) -> None:
        """What the worker is doing now (reading the book, building the agenda...)."""
        self.query_one("#loading-text", Static).update(message)

    def fail(self, message: str, book_dir: Path) -> None:
        ticker = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.stop()
        self.query_one("#loading-indicator").display = False
        t = Text()
        t.append("The book could not be opened\n\n", style="bold red")
        t.append(message + "\n\n")
        book = shlex.quote(str(book_dir))
        if (book_dir / "book.json").exists():  # a book that cannot be read: never "start again" over it
            t.append("Every problem, where it is: ", style="dim")
            t.append(f"dun --book {book} check", style="bold")
            t.append("\nBack to a backup: ", style="dim")
            t.append(f"dun --book {book} restore", style="bold")
            t.append("  (lists them; the book is left as it is until you pick one)", style="dim")
        else:
            t.append("To start: ", style="dim")
            t.append(f"dun --book {book} init", style="bold")
            t.append("  (an empty book)  or  ", style="dim")
            t.append(f"dun --book {book} demo", style="bold")
            t.append("  (demo data).", style="dim")
        t.append("\nPress q to quit.", style="dim")
        self.query_one("#loading-text", Static).update(t)
