"""What the app's worker threads tell the screen thread, as typed messages.

A worker never calls into the UI: it posts one of these (``post_message`` is thread-safe in
Textual) and the app, a dialog or a screen handles it on its own thread in an ``on_...``
method, in the order they were posted.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from .state import BookState


class LoadStage(Message):
    """What the loading worker is doing now ("Reading the book…")."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class PreviewReady(Message):
    """Today's queue before the state is there, with what its drafts are made from (``kept``:
    anything whose ``days`` give each client's actions and their contexts; the clients'
    records; the policy): from the derived state kept for today before the book is read, or
    from what is due (:class:`derived.Due`) before the rest of the day is worked out."""

    def __init__(self, queue: list, kept: Any = None, clients: Any = None, policy: Any = None) -> None:
        super().__init__()
        self.queue = queue
        self.kept = kept
        self.clients = clients
        self.policy = policy


class BookLoaded(Message):
    """A state of the book is ready: the first (``first``) or one derived again after a change."""

    def __init__(self, state: "BookState", first: bool = False) -> None:
        super().__init__()
        self.state = state
        self.first = first


class LoadFailed(Message):
    """The book could not be opened or read: one line saying why."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StateCompleted(Message):
    """Stage 2 (the whole ledger, every client's row) is there for ``state``."""

    def __init__(self, state: "BookState") -> None:
        super().__init__()
        self.state = state


class WorkFailed(Message):
    """Background work went wrong in a way the owner should hear of (a notification)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class PublishDone(Message):
    """The publish worker ended: what to show, and whether it failed."""

    def __init__(self, text: str, failed: bool) -> None:
        super().__init__()
        self.text = text
        self.failed = failed


class ReportBuilt(Message):
    """The Reports screen's worker made the report for ``state``."""

    def __init__(self, report: Any, state: "BookState") -> None:
        super().__init__()
        self.report = report
        self.state = state


class ReportFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ImportDone(Message):
    """The import worker ended: what it did (``store.importing.Imported``), or the refusal."""

    def __init__(self, done: Any = None, error: Any = None) -> None:
        super().__init__()
        self.done = done
        self.error = error
