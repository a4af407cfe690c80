"""The app's background work once the book is read: the rest of the state (stage 2), and in
a quiet moment (no key press for a while, no publish running) what the session's first write
and first publish need, and the derived state's file for the next start; and the turn of the
day for an app left open past midnight."""
from __future__ import annotations

import time
from datetime import date

from textual import work
from textual.screen import ModalScreen
from textual.worker import get_current_worker

import derived
from receivables.errors import DunError

from .fmt import long_day
from .messages import StateCompleted, WorkFailed
from .state import BookState, complete_state


class BackgroundWork:
    """A part of :class:`tui.app.DunApp` (it uses the app's repo, state, publishing flag and
    last input time)."""

    def _start_completion(self, state: BookState) -> None:
        """Stage 2 starts once the first screen is drawn, so it does not compete with it."""
        self._completion(state)

    @work(thread=True, exclusive=True, group="complete", description="complete the state")
    def _completion(self, state: BookState) -> None:
        self._complete(state, get_current_worker())

    def _complete(self, state: BookState, worker) -> None:
        try:
            complete_state(state)
        except DunError as e:
            self.post_message(WorkFailed(str(e)))
            return
        if not worker.is_cancelled:
            self.post_message(StateCompleted(state))
            self._prepare_session(state, worker)
            self._save_derived(state, worker)
            self._prepare_ahead(state, worker)

    def _prepare_session(self, state: BookState, worker) -> None:
        """Once per session, in a quiet moment: what the store's first write needs (which the
        first logged outcome would otherwise wait for), and what the first publish needs (the
        chart library and the PDF joiner; for a book that has a site, the PDF workers and the
        statements' fingerprints too). What each costs: benchmarks/README.md."""
        repo = self.repo
        if self._session_prepared or not self._wait_for_quiet(
                lambda: not worker.is_cancelled and self.state is state):
            return
        try:
            if repo is not None and not getattr(repo, "read_only", True) and hasattr(repo, "prepare_writes"):
                repo.prepare_writes()
                # one client's records without parsing the tables, for the next command (dun pay)
                repo.save_client_docs()
        except DunError:
            pass  # the first write will say what is wrong
        self._session_prepared = True
        if worker.is_cancelled or not self._quiet_moment():
            return  # the owner is back: the first publish imports these itself
        from publish.warm import has_site, ready_to_publish, warm_up

        try:
            warm_up()
            site = getattr(getattr(repo, "paths", None), "site", None)
            if (site is not None and state.policy is not None and has_site(site) and not worker.is_cancelled
                    and self._quiet_moment()):
                ready_to_publish(state.policy)
        except Exception:  # only a slower first publish, which will say what is wrong itself
            pass

    def _quiet_moment(self) -> bool:
        """A quiet moment for background work: no key press or click for a few seconds, and no
        publish running (which wants both cores)."""
        return not self.publishing and time.monotonic() - self._last_input >= self.QUEUE_SAVE_DELAY

    def _wait_for_quiet(self, wanted) -> bool:
        """Wait (in a worker thread) for a quiet moment while ``wanted()``; True once there."""
        while wanted():
            if self._quiet_moment():
                return True
            time.sleep(0.1)
        return False

    def _save_derived(self, state: BookState, worker) -> None:
        """Keep the derived state's file up to date (:mod:`derived`) in a quiet moment, so the
        next start shows Today at once; the last one is kept when the app quits."""
        if state.derived is None or not self._wait_for_quiet(lambda: not worker.is_cancelled and self.state is state):
            return
        self.save_derived(state)

    def _prepare_ahead(self, state: BookState, worker) -> None:
        """In quiet moments, the derived state of the days the owner most likely opens the book
        next (:func:`derived.days_ahead`), kept in its file: tomorrow's first start then shows
        Today from it rather than working every client out (benchmarks/README.md). After a
        change, only the clients it touched are worked out again for those days."""
        d = state.derived
        if not self.prepares_ahead or d is None or state.policy is None or self.repo is None:
            return
        rules = derived.policy_digest(state.policy)  # (an edited policy: worked out again)
        for day in derived.days_ahead(state.on, state.policy):
            if self._ahead.get((day, rules)) == d.revisions:
                continue
            if not self._wait_for_quiet(lambda: not worker.is_cancelled and self.state is state):
                return
            try:
                derived.current(self.repo, state.policy, day, book=state.book, revisions=d.revisions)
            except (DunError, OSError):
                return  # (the day itself will say what is wrong)
            self._ahead[(day, rules)] = d.revisions

    def save_derived(self, state: BookState | None) -> None:
        d = getattr(state, "derived", None)
        if d is not None and d is not self._saved_derived:
            derived.write_file(d)
            self._saved_derived = d

    # -- the turn of the day ----------------------------------------------------------
    def check_day(self) -> None:
        """Called every ``DAY_CHECK_EVERY`` seconds when the app follows the clock (no --on):
        once the day has turned, move to it (:meth:`turn_day`) when nothing is in the middle
        of a change: no dialog open, no publish, no message being sent, the book read."""
        if not self.follows_clock:  # (dun --on DATE: that day, whatever the clock says)
            return
        today = self.clock()
        if today <= self.on or self.state is None or self.publishing or self.sender.busy:
            return
        if isinstance(self.screen, ModalScreen):  # (a form filled in with the old date: later)
            return
        self.turn_day(today)

    def turn_day(self, today: date) -> None:
        """The app's day becomes ``today``: what is logged from now on is dated ``today``, the
        day's backup is taken before its first change, and the state is worked out for it (Today
        starts the new day's queue when it arrives)."""
        was = self.on
        self.on = today
        repo = self.repo
        if repo is not None and hasattr(repo, "begin_day"):
            repo.begin_day(today)
        self._update_subtitle()
        self.notify(f"It is {long_day(today)} now: Today moves from {long_day(was)} to the new day's actions.",
                    title="A new day", markup=False, timeout=8)
        self.reload()
