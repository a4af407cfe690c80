"""An index (and the engine on it) updated after a change equals one built from scratch.

``index_book(book, base=earlier)`` re-indexes only the clients whose records changed and
takes the rest from ``earlier``; the engine, its day and the report series are updated the
same way. Every test here builds both and compares what they hold and everything computed
from them: agendas, client statuses, behaviour, risk, open ledgers and the report.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receivables import agenda as A
from receivables.demo import generate
from receivables.ledger import index_book, propose_allocation
from receivables.model import Activity, Adjustment, Allocation, Dispute, Invoice, Payment, PromiseToPay
from receivables.policy import read_policy
from receivables.report import _series, build_report, report_to_json
from tests.conftest import REPO
from tests.test_engine_properties import books as small_books
from tests.test_agenda import POLICY as SMALL_POLICY

ON = date(2026, 11, 22)
POLICY = read_policy(REPO / "policy.toml")
PER_CLIENT = ("final", "rank", "step_acts", "client_acts", "client_act_dates", "pauses", "lifts", "history",
              "history_keys", "hist_pay", "hist_late", "promises", "plans", "disputes", "pay_dates", "pay_cum",
              "promise_cover", "kept_on")


def warm(index, policy, on):
    """What the app holds for a book: its engine, the day and the report series."""
    A.build_agenda(index, policy, on)
    _series(A.engine(index))
    return index


def assert_same(inc, full, policy, dates) -> None:
    for name in ("settlements", "invoices_by_client", "credits", "open_disputes"):
        assert getattr(inc, name) == getattr(full, name), name
    ei, ef = A.engine(inc), A.engine(full)
    for name in PER_CLIENT:
        assert getattr(ei, name) == getattr(ef, name), name
    assert ei.book is inc.book is full.book
    assert ei.live_keys == ef.live_keys
    # equal settle dates may come in another order: the same invoices at each date
    assert sorted(zip(ei.live_keys, ei.live_numbers)) == sorted(zip(ef.live_keys, ef.live_numbers))
    assert ei.by_step.keys() == ef.by_step.keys()
    for step, entries in ef.by_step.items():
        assert [e[0] for e in ei.by_step[step]] == [e[0] for e in entries]
        assert sorted(ei.by_step[step]) == sorted(entries)
    si, sf = _series(ei), _series(ef)
    assert si.first_issue == sf.first_issue and si.irregular.keys() == sf.irregular.keys()
    assert {c: sorted(v) for c, v in si.irregular.items()} == {c: sorted(v) for c, v in sf.irregular.items()}
    assert sorted(zip(si.act_dates, si.act_channels)) == sorted(zip(sf.act_dates, sf.act_channels))
    for on in dates:
        assert A.build_agenda(inc, policy, on) == A.build_agenda(full, policy, on)
        assert report_to_json(build_report(inc, policy, on)) == report_to_json(build_report(full, policy, on))
        assert A.open_ledger(inc, policy, on).invoices == A.open_ledger(full, policy, on).invoices
        for cid in full.book.clients:
            assert A.client_status(inc, policy, cid, on) == A.client_status(full, policy, cid, on)
            assert A.client_behaviour(inc, policy, cid, on) == A.client_behaviour(full, policy, cid, on)
            assert A.client_risk(inc, policy, cid, on) == A.client_risk(full, policy, cid, on)


def updated(base, book2):
    """index_book(book2, base=base), checking it took the incremental path."""
    inc = index_book(book2, base=base)
    assert "delta" in inc.cache, "the update fell back to a full index"
    return inc


# ---------------------------------------------------------------------------------------
# a demo book and the changes the owner makes in a day


def demo():
    return generate(clients=25, invoices=700, seed=3, today=ON, policy=POLICY)


def _payment(book, index, allocated: bool, credit: D = D(0)):
    ledger = A.open_ledger(index, POLICY, ON)
    cid = next(c for c in sorted(book.clients) if len(ledger.open_invoices(c)) >= 2)
    st_ = ledger.open_invoices(cid)[0]
    amount = st_.outstanding if allocated else D("0")
    allocs, _ = propose_allocation(ledger, cid, st_.invoice.currency, amount, [st_.number]) if allocated else ((), 0)
    return Payment("PAY-T", ON, cid, amount + credit, st_.invoice.currency, "bank", "t", allocs)


def changes(book, index):
    """(label, changed book) for each kind of change, each made to ``book``."""
    ledger = A.open_ledger(index, POLICY, ON)
    agenda = A.build_agenda(index, POLICY, ON)
    step = next(a for a in agenda if a.kind == "step")
    cid = step.client
    inv = ledger.open_invoices(cid)[0].invoice
    pay = _payment(book, index, True)
    out = [
        ("payment settling an invoice", replace(book, payments=book.payments + (pay,))),
        ("payment with credit left over", replace(book, payments=book.payments + (_payment(book, index, True, D("55.00")),))),
        ("unallocated payment", replace(book, payments=book.payments + (_payment(book, index, False, D("80.00")),))),
        ("back-dated part payment", replace(book, payments=book.payments + (
            Payment("PAY-B", inv.issued + timedelta(days=3), cid, D("10.00"), inv.currency, "bank", "",
                    (Allocation(inv.number, D("10.00")),)),))),
        ("step done for all open invoices", replace(book, activities=book.activities + (
            Activity("ACT-T1", ON, cid, step.channel, step=step.step, outcome="sent"),))),
        ("step done for some invoices", replace(book, activities=book.activities + (
            Activity("ACT-T2", ON, cid, step.channel, step=step.step, invoices=step.invoices[:1], outcome="sent"),))),
        ("snoozed", replace(book, activities=book.activities + (
            Activity("ACT-T3", ON, cid, "phone", step=step.step, outcome="snoozed",
                     snooze_until=ON + timedelta(days=5)),))),
        ("promise", replace(book, promises=book.promises + (
            PromiseToPay("PTP-T", cid, ON, D("100.00"), inv.currency, ON + timedelta(days=7)),))),
        ("dispute", replace(book, disputes=book.disputes + (
            Dispute("DSP-T", inv.number, cid, "wrong quantity", ON),))),
        ("credit note", replace(book, adjustments=book.adjustments + (
            Adjustment("ADJ-T", "credit_note", ON, cid, D("20.00"), inv.currency, inv.number, "goodwill"),))),
        ("new invoice", replace(book, invoices={**book.invoices, "INV-T": Invoice(
            "INV-T", cid, ON - timedelta(days=40), ON - timedelta(days=10), inv.currency, D("1234.56"))})),
        ("client put on hold", replace(book, clients={**book.clients, cid: replace(book.clients[cid], hold=True)})),
        ("invoice amended", replace(book, invoices={**book.invoices, inv.number: replace(inv, amount=inv.amount + 1)})),
        ("activity corrected", replace(book, activities=book.activities + (
            replace(next(a for a in book.activities if a.client == cid), id="ACT-T4", outcome="x",
                    corrects=next(a for a in book.activities if a.client == cid).id),))),
    ]
    # a record taken out (an undone import, say): every later position moves
    last_of = max(k for k, p in enumerate(book.payments) if p.client == cid)
    out.append(("payment removed", replace(book, payments=book.payments[:last_of] + book.payments[last_of + 1:])))
    return out


def test_every_kind_of_change_updates_to_what_a_full_index_holds():
    book = demo()
    base = warm(index_book(book), POLICY, ON)
    dates = (ON, ON + timedelta(days=9))
    for label, book2 in changes(book, base):
        inc = index_book(book2, base=base)
        if label != "payment removed":
            assert "delta" in inc.cache, label
        try:
            assert_same(inc, index_book(book2), POLICY, dates)
        except AssertionError as e:
            raise AssertionError(f"{label}: {e}") from e


def test_a_day_of_changes_in_a_row():
    """Each state is updated from the last, as the app does after every change."""
    book = demo()
    index = warm(index_book(book), POLICY, ON)
    rng = random.Random(7)
    for k in range(6):
        label, book2 = rng.choice([c for c in changes(book, index) if c[0] != "payment removed"])
        # ids stay unique along the chain
        book2 = _renumbered(book2, book, k)
        index = warm(updated(index, book2), POLICY, ON)
        assert_same(index, index_book(book2), POLICY, (ON,))
        book = book2


def _renumbered(book2, book, k):
    for name in ("payments", "activities", "promises", "disputes", "adjustments"):
        a, b = getattr(book, name), getattr(book2, name)
        if len(b) == len(a) + 1:
            return replace(book2, **{name: a + (replace(b[-1], id=f"{b[-1].id}-{k}"),)})
    return book2


def test_without_the_earlier_engine_the_index_still_updates_and_the_engine_is_built_whole():
    book = demo()
    base = index_book(book)  # nothing derived from it yet
    book2 = replace(book, payments=book.payments + (_payment(book, warm(index_book(book), POLICY, ON), True),))
    inc = index_book(book2, base=base)
    assert "delta" not in inc.cache
    assert_same(inc, index_book(book2), POLICY, (ON,))


def test_changes_to_many_clients_or_a_book_with_cross_client_records_are_indexed_whole():
    book = demo()
    base = warm(index_book(book), POLICY, ON)
    everyone = replace(book, clients={c: replace(v, hold=True) for c, v in book.clients.items()})
    assert "delta" not in index_book(everyone, base=base).cache
    # a payment allocated to another client's invoice (dun check faults it): never per client
    a, b = sorted(book.clients)[:2]
    theirs = next(n for n in base.invoices_by_client[b])
    odd = replace(book, payments=book.payments + (
        Payment("PAY-X", ON, a, D("5.00"), book.invoices[theirs].currency, "", "", (Allocation(theirs, D("5.00")),)),))
    inc = index_book(odd, base=base)
    assert "delta" not in inc.cache
    assert_same(inc, index_book(odd), POLICY, (ON,))
    # an activity id used by another client
    other = next(x for x in book.activities if x.client == b)
    dup = replace(book, activities=book.activities + (replace(other, client=a, invoices=()),))
    assert "delta" not in index_book(dup, base=base).cache


def test_an_updated_engine_lets_go_of_the_earlier_one():
    import gc
    import weakref

    book = demo()
    base = warm(index_book(book), POLICY, ON)
    old_engine = weakref.ref(_series(A.engine(base)))  # what only the earlier engine holds
    book2 = replace(book, payments=book.payments + (_payment(book, base, True),))
    inc = updated(base, book2)
    A.engine(inc)
    del base
    was = gc.isenabled()
    gc.disable()
    try:
        assert old_engine() is None  # freed by reference counting alone (the app freezes its heap)
    finally:
        if was:
            gc.enable()


# ---------------------------------------------------------------------------------------
# random small books: take one client's later records away, then put them back


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_books(), st.sampled_from(["C1", "C2"]), st.integers(0, 3), st.integers(0, 260))
def test_putting_back_a_clients_records_updates_to_a_full_index(book2, cid, keep, offset):
    on = date(2026, 1, 1) + timedelta(days=offset)
    book = book2
    for name in ("payments", "activities", "promises", "disputes"):
        records = getattr(book2, name)
        mine = [k for k, r in enumerate(records) if r.client == cid][keep:]
        book = replace(book, **{name: tuple(r for k, r in enumerate(records) if k not in mine)})
    base = warm(index_book(book), SMALL_POLICY, on)
    inc = index_book(book2, base=base)
    assert_same(inc, index_book(book2), SMALL_POLICY, (on,))
