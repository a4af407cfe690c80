"""Helpers for the TUI tests: demo books on disk, the app on a fixed date, waiting for work."""
from __future__ import annotations

from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAY = date(2026, 11, 23)  # a Monday; "today" for every TUI test


def make_book(path: Path, clients: int = 20, invoices: int = 300, seed: int = 3, on: date = DAY) -> Path:
    """A deterministic demo book written through the store."""
    from receivables.demo import generate
    from receivables.policy import read_policy
    from store import init_book

    policy = read_policy(REPO / "policy.toml")
    book = generate(clients=clients, invoices=invoices, seed=seed, today=on, policy=policy)
    init_book(path, book=book)
    return path


def make_empty_book(path: Path) -> Path:
    from store import init_book

    init_book(path)
    return path


def reopen(path: Path):
    """The book as the store now has it on disk (a fresh read-only repository)."""
    from store import open_book

    repo = open_book(path, readonly=True, today=DAY)
    try:
        return repo.book()
    finally:
        repo.close()


async def settle(app, pilot) -> None:
    """Wait until the app's workers are done and the screen has caught up."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def loaded(app, pilot) -> None:
    from tui.screens.base import DunScreen

    for _ in range(200):
        await settle(app, pilot)
        if app.state is not None and isinstance(app.screen, DunScreen) and app.screen.is_mounted:
            await settle(app, pilot)
            return
    raise AssertionError("the app did not finish loading")


def async_test(fn):
    """Run an async test function with asyncio (no pytest plugin needed)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def text_of(widget) -> str:
    """The plain text a Static shows (whatever renderable it holds)."""
    from rich.console import Console

    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=160, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(content)
    return console.export_text()


async def at_action(app, pilot, pick, walk: bool = False) -> int:
    """Today's queue moved to its first action ``pick(action)`` holds for (its index returned);
    with ``walk``, that action opened in the walk-through (enter)."""
    screen = app.screen
    i = next(i for i, a in enumerate(screen.queue) if pick(a))
    screen.query_one("#queue").move_to(i)
    await settle(app, pilot)
    if walk:
        await pilot.press("enter")
        await settle(app, pilot)
    return i


def owners_company(text: str) -> str:
    """policy.toml ``text`` with the owner's own company in place of the template's example:
    the 'example = true' line gone and the example's e-mail, phone, tax id and account number
    replaced (a [company] that still holds one of them is the example's)."""
    import re

    from receivables.policytypes import EXAMPLE_COMPANY

    text = re.sub(r"(?m)^example = true\n", "", text)
    own = {"email": "accounts@owner.test", "phone": "+44 20 7946 0999", "tax_id": "GB 999 9999 99",
           "payment_instructions": "87654321"}
    for key, value in EXAMPLE_COMPANY.items():
        text = text.replace(value, own[key])
    return text
