"""Shown while the book opens in a worker; says plainly what went wrong if it cannot."""
from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static


class LoadingScreen(Screen):
    BINDINGS = [Binding("q,escape", "app.quit", "Quit", id="loading.quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle():
            with Center():
                yield Static("Opening the book…", id="loading-text", markup=False)
            yield LoadingIndicator(id="loading-indicator")
        yield Footer()

    def stage(self, message: str) -> None:
        """What the worker is doing now (reading the book, building the agenda...)."""
        self.query_one("#loading-text", Static).update(message)

    def fail(self, message: str, book_dir: Path) -> None:
        self.query_one("#loading-indicator").display = False
        t = Text()
        t.append("The book could not be opened\n\n", style="bold red")
        t.append(message + "\n\n")
        t.append("To start: ", style="dim")
        t.append(f"dun --book {book_dir} init", style="bold")
        t.append("  (an empty book)  or  ", style="dim")
        t.append(f"dun --book {book_dir} demo", style="bold")
        t.append("  (demo data).\nPress q to quit.", style="dim")
        self.query_one("#loading-text", Static).update(t)
