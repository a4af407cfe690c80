"""Sending what the owner approved, without ever holding the keys.

Approving an e-mail step hands a :class:`Job` to the app's :class:`Sender` and returns at
once. One Textual worker (a thread) works the jobs in order: it makes the message (the text
as edited, the client's statement PDF attached), writes it to ``BOOK/outbox/`` and, when
``[mail]`` names a server, sends it (see :mod:`publish.outbox`). It reports each step as a
typed :class:`SendStatus` message posted to the app; the app writes the activity on its own
thread: "sent" only once the server accepted the message, "queued" (with the reason) when
there is no server or it failed, so the message waits in the outbox for ``dun mail --send``.
A letter step makes the letter PDF in the outbox, to print.

Several jobs approved at once (the bulk send) are all written to the outbox first, then sent
over one connection. Quitting stops the worker between two messages: what the server accepted
is logged, everything else written stays queued and is logged so.
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from textual.message import Message

from receivables.errors import DunError

_ids = itertools.count(1)


@dataclass
class Job:
    """One approved message: the action, and the subject and body as the owner left them."""

    action: Any
    on: date
    subject: str
    text: str
    id: int = field(default_factory=lambda: next(_ids))
    path: Path | None = None  # the file in the outbox, once written
    message_id: str = ""
    quiet: bool = False  # part of a bulk send: its dialog shows how it went (no notification each)
    queued: Any = None  # publish.outbox.Queued, once written

    @property
    def letter(self) -> bool:
        return self.action.channel == "letter"


class SendStatus(Message):
    """What happened to a job (posted from the sending worker to the app).

    ``status``: "writing", "sending" (in progress), then one of "sent" (accepted by the
    server), "queued" (in the outbox, ``reason`` says why it was not sent), "letter" (the
    PDF is in the outbox to print) or "failed" (nothing could be made; ``reason``).
    ``done``/``total`` count the jobs of its batch."""

    def __init__(self, job: Job, status: str, reason: str = "", done: int = 0, total: int = 0,
                 queued: Any = None) -> None:
        super().__init__()
        self.job = job
        self.status = status
        self.reason = reason
        self.done = done
        self.total = total
        self.queued = queued  # publish.outbox.Queued, for "sent" and "queued"


FINAL = ("sent", "queued", "letter", "failed")


class Sender:
    """The app's send queue and its worker (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.batches: deque[list[Job]] = deque()
        self.lock = threading.Lock()
        self.running = False
        self.stopping = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.open_jobs: dict[int, Job] = {}  # approved, not yet logged (main thread)
        self.last_failure = ""
        self._worker: Any = None
        self._pool: Any = None  # the PDF worker process (see _pdf)

    # -- the app's side (main thread) -------------------------------------------------
    def submit(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        for j in jobs:
            self.open_jobs[j.id] = j
        with self.lock:
            self.batches.append(jobs)
            start = not self.running
            self.running = True
        if start:
            # once the screen has caught up with the key (the next action drawn): the worker's
            # first steps (the statement's data and HTML) are Python work that would compete with it
            self.app.call_after_refresh(self._start)

    def _start(self) -> None:
        self.idle.clear()
        self.app.run_worker(self._work, thread=True, group="send", description="send the approved messages",
                            exit_on_error=False)

    @property
    def busy(self) -> bool:
        return bool(self.open_jobs)

    def stop(self, wait: float) -> None:
        """Stop between two messages (quitting); wait up to ``wait`` seconds for the one in flight."""
        self.stopping.set()
        self.idle.wait(wait)

    # -- the worker (a thread) ---------------------------------------------------------
    def _post(self, *args: Any, **kwargs: Any) -> None:
        self.app.post_message(SendStatus(*args, **kwargs))

    def _stopped(self) -> bool:
        """Quitting: the app cancels its workers first, then unmounts (which calls stop())."""
        worker = self._worker
        return self.stopping.is_set() or (worker is not None and worker.is_cancelled)

    def _work(self) -> None:
        from textual.worker import get_current_worker

        self._worker = get_current_worker()
        try:
            while not self._stopped():
                with self.lock:
                    if not self.batches:
                        self.running = False
                        return
                    batch = self.batches.popleft()
                self._batch(batch)
        finally:
            with self.lock:
                self.running = False
            self.idle.set()

    def _batch(self, jobs: list[Job]) -> None:
        from publish.smtp import Connection, SendFailed, smtp_problem

        state = self.app.state
        repo = self.app.repo
        total = len(jobs)
        outbox = repo.paths.outbox
        policy = state.policy
        to_send: list[Job] = []
        for n, job in enumerate(jobs):
            if self._stopped():
                return  # not written: these actions are still to do
            self._post(job, "writing", done=n, total=total)
            try:
                made = self._make(job, state, outbox)
            except DunError as e:
                self._post(job, "failed", str(e), done=n + 1, total=total)
                continue
            except Exception as e:  # a PDF that could not be made, a full disk: said, never a crash
                self._post(job, "failed", f"{type(e).__name__}: {e}", done=n + 1, total=total)
                continue
            if made == "letter":
                self._post(job, "letter", str(job.path), done=n + 1, total=total)
            else:
                to_send.append(job)
        problem = smtp_problem(policy)
        if problem:
            for job in to_send:
                self._post(job, "queued", problem, done=total, total=total, queued=job.queued)
            return
        stopped = ""
        with Connection(policy) as conn:
            for job in to_send:
                q = job.queued
                if stopped or self._stopped():
                    self._post(job, "queued", stopped or "the app was closed before it was sent",
                               done=total, total=total, queued=q)
                    continue
                self._post(job, "sending", done=jobs.index(job), total=total)
                try:
                    conn.send(job.path)
                except SendFailed as e:
                    self._post(job, "queued", str(e), done=jobs.index(job) + 1, total=total, queued=q)
                    if e.fatal:
                        stopped = str(e)
                    continue
                from publish.outbox import mark_sent

                q.path = job.path = mark_sent(job.path)
                self._post(job, "sent", done=jobs.index(job) + 1, total=total, queued=q)

    def _pdf(self, html: str, paper: str) -> bytes:
        """A PDF rendered in a worker process (started on first use from the PDF fork server,
        kept for the session): WeasyPrint is pure Python work that, in a thread of the app,
        would hold the interpreter and make the keys wait."""
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        from publish.pdf import _safe_path, _stderr_with_fd, html_to_pdf, warm, worker_context

        if self._pool is None:
            try:
                with _stderr_with_fd(), _safe_path():  # (as publish.pdf starts its own workers)
                    self._pool = ProcessPoolExecutor(max_workers=1, mp_context=worker_context(), initializer=warm,
                                                     initargs=(paper,))
                    self._pool.submit(int)
            except (OSError, ValueError):  # no fork server here: render in this thread
                self._pool = None
                return html_to_pdf(html, paper)
        try:
            return self._pool.submit(html_to_pdf, html, paper).result()
        except BrokenProcessPool:  # the worker died (out of memory...): this one in the thread
            self._pool = None
            return html_to_pdf(html, paper)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _make(self, job: Job, state: Any, outbox: Path) -> str:
        """Write the job's file into the outbox: "email", or "letter" (a letter step, or a
        client without an e-mail address)."""
        from publish.outbox import compose, queued_of, write_letter, write_queued

        a = job.action
        book = state.book
        ledger = state.ledger_for(a.client)
        client = book.clients.get(a.client)
        if client is None:
            raise DunError(f"no client {a.client!r}", "send")
        if job.letter or not client.email:
            job.path = write_letter(book, state.policy, a, job.on, job.subject, job.text, outbox, ledger=ledger,
                                    pdf=self._pdf)
            return "letter"
        msg = compose(book, state.policy, a, job.on, job.subject, job.text, ledger=ledger, pdf=self._pdf)
        job.message_id = str(msg["Message-ID"])
        job.path = write_queued(outbox, msg)
        job.queued = queued_of(msg, job.path, job.text)
        return "email"


SAME_REASON = "the same reason as the last one (in the head)"


def log_status(app: Any, event: SendStatus) -> str:
    """Record a final status in the store (on the app's thread); returns the one line to show."""
    from publish.outbox import activity_of, logged_ids

    from . import actions

    job = event.job
    sender: Sender = app.sender
    who = getattr(job.action, "client_name", "") or job.action.client
    if event.status == "sent":
        q = event.queued
        if q.message_id not in logged_ids(app.repo.book()):
            app.repo.log_activity(activity_of(q, "sent"))
        line = f"Sent to {who} ({q.to})"
    elif event.status == "queued":
        from publish.smtp import smtp_problem

        app.repo.log_activity(activity_of(event.queued, "queued"))
        policy = app.state.policy if app.state is not None else None
        said = sender.last_failure == event.reason
        if policy is None or not smtp_problem(policy) or policy.company.example:
            sender.last_failure = event.reason  # (no server set up is not a failure; the example company is)
        # the reason once: while it is the one the head shows, a message queued for it says so
        line = f"Queued for {who}: {SAME_REASON if said else event.reason}"
    elif event.status == "letter":
        actions.log_done(app.repo, job.action, job.on, f"Subject: {job.subject}\n\n{job.text}".strip(),
                         channel="letter")
        line = f"Letter for {who} ready to print: {Path(event.reason).name}"
    else:
        said = sender.last_failure == event.reason
        sender.last_failure = event.reason
        line = f"Not sent to {who}: {SAME_REASON if said else event.reason}"
    sender.open_jobs.pop(job.id, None)
    return line


def finish_on_quit(app: Any) -> None:
    """Quitting: stop the worker between messages, then log what it left: the accepted ones
    as sent (files in ``outbox/sent/`` no activity names), the written ones as queued."""
    from publish.outbox import activity_of, already_sent, read_queued, reconcile
    from publish.smtp import TIMEOUT

    sender: Sender | None = getattr(app, "sender", None)
    repo = app.repo
    if sender is None or repo is None or getattr(repo, "read_only", True):
        return
    sender.stop(TIMEOUT + 5)
    sender.close()
    try:
        reconcile(repo.paths.outbox, repo.book(), repo.log_activity)
        for job in list(sender.open_jobs.values()):
            path = job.path
            if (path is not None and path.suffix == ".eml" and path.parent == repo.paths.outbox and path.is_file()
                    and not already_sent(path)):
                repo.log_activity(activity_of(read_queued(path), "queued"))
        sender.open_jobs.clear()
    except (DunError, OSError):
        pass  # 'dun mail --send' logs what is left the next time
