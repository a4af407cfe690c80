"""Today's progress read through derived/progress.py equals working it out from scratch.

An entry is reused only while the derived state's key matches and the client's revision is
unchanged; these tests change a real book on disk (outcomes, snoozes, skips, corrections,
notes, payments, a new day, another process) and compare the progress kept from the last
reading with the progress of the book as it is, worked out afresh.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derived
from derived.progress import logged
from receivables.daylog import action_key, handled_on, totals_by_currency
from receivables.demo import generate
from receivables.model import Activity, Payment, PromiseToPay
from receivables.policy import read_policy
from store import init_book, open_book
from tests.conftest import REPO

ON = date(2026, 11, 22)
POLICY = read_policy(REPO / "policy.toml")


def make(path, clients=6, invoices=70, seed=9):
    init_book(path, book=generate(clients=clients, invoices=invoices, seed=seed, today=ON, policy=POLICY))
    return path


def read(path, on, previous=None):
    """The book and its derived state as the app reads them after a change."""
    with open_book(path, readonly=True) as repo:
        book = repo.book()
        return book, derived.current(repo, repo.policy(), on, previous, book=book, save=False)


def test_the_rule_counts_the_latest_outcome_pauses_apart_and_drops_corrected_ones():
    acts = [
        Activity("A1", ON, "c1", "email", step="reminder", outcome="sent"),
        Activity("A2", ON, "c1", "phone", step="call", outcome="snoozed", snooze_until=ON + timedelta(days=3)),
        Activity("A3", ON, "c1", "phone", step="call", outcome="skipped"),  # the latest counts
        Activity("A4", ON, "c2", "email", step="final", outcome="sent"),
        Activity("A5", ON, "c2", "other", corrects="A4", body="logged by mistake"),
        Activity("A6", ON, "c3", "phone", step="call", outcome="note"),  # a note handles nothing
        Activity("A7", ON - timedelta(days=1), "c3", "email", step="reminder", outcome="sent"),  # another day
    ]
    assert handled_on(acts, ON) == {("c1", "reminder"): "done", ("c1", "call"): "skipped"}


def test_totals_by_currency_are_exact_decimals():
    pays = [Payment("", ON, "c1", D("0.10"), "EUR", "bank", "x", ()), Payment("", ON, "c2", D("0.20"), "EUR", "bank", "y", ()),
            Payment("", ON, "c3", D("5.00"), "GBP", "bank", "z", ())]
    got = totals_by_currency(pays)
    assert got == {"EUR": D("0.30"), "GBP": D("5.00")} and all(isinstance(v, D) for v in got.values())


OPS = st.sampled_from(["done", "snooze", "skip", "correct", "note", "pay", "promise", "day", "new process"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(OPS, st.integers(0, 7)), min_size=1, max_size=8))
def test_cached_equals_uncached_after_any_sequence_of_changes(tmp_path_factory, ops):
    path = make(tmp_path_factory.mktemp("progress") / "b")
    on = ON
    book, state = read(path, on)
    kept = logged(book, on, state)
    for op, k in ops:
        agenda = list(state.agenda)
        a = agenda[k % len(agenda)] if agenda else None
        cid = a.client if a is not None else sorted(book.clients)[k % len(book.clients)]
        step = action_key(a)[1] if a is not None else "reminder"
        touched = {cid}
        with open_book(path, today=on) as repo:
            if op == "done":
                repo.log_activity(Activity("", on, cid, "email", step=step, outcome="sent"))
            elif op in ("snooze", "skip"):
                outcome = {"snooze": "snoozed", "skip": "skipped"}[op]
                until = on + timedelta(days=2) if op == "snooze" else None
                repo.log_activity(Activity("", on, cid, "other", step=step, outcome=outcome, snooze_until=until))
            elif op == "correct":
                mine = [x for x in repo.book().activities if x.client == cid and x.date == on and x.step]
                if mine:
                    repo.log_activity(Activity("", on, cid, "other", corrects=mine[-1].id, body="a mistake"))
            elif op == "note":
                repo.log_activity(Activity("", on, cid, "phone", body=f"note {k}"))
            elif op == "pay":
                currency = repo.book().clients[cid].currency
                repo.record_payment(Payment("", on, cid, D("10.00"), currency, "bank", f"p{k}", ()))
            elif op == "promise":
                currency = repo.book().clients[cid].currency
                repo.add_promise(PromiseToPay("", cid, on, D("20.00"), currency, on + timedelta(days=k + 1), ()))
        if op == "day":
            on = on + timedelta(days=k - 3)
        previous = None if op == "new process" else state
        book, state = read(path, on, previous)
        got = logged(book, on, state, kept)
        fresh = logged(book, on)  # no derived state: every client worked out from its activities
        assert got.steps == fresh.steps == handled_on(book.activities, on)
        if op not in ("day", "new process") and kept.key == got.key:
            # only the touched client was worked out again: every other entry is the one kept
            assert all(got.clients[c] is kept.clients[c] for c in got.clients if c not in touched)
        kept = got


def test_an_unchanged_state_reads_the_kept_progress_and_a_new_day_reads_afresh(tmp_path):
    path = make(tmp_path / "b")
    book, state = read(path, ON)
    first = logged(book, ON, state)
    assert logged(book, ON, state, first) is first
    later = ON + timedelta(days=1)
    book2, state2 = read(path, later, state)
    again = logged(book2, later, state2, first)
    assert again is not first and again.on == later and again.key == state2.key
