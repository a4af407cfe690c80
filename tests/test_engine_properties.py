"""Properties of the engine over random small books (hypothesis)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receivables.agenda import build_agenda
from receivables.interest import invoice_interest
from receivables.ledger import derive, index_book
from receivables.model import Activity, Allocation, Book, Client, Dispute, Invoice, Payment, PromiseToPay
from receivables.policy import InterestPolicy, ReferenceRate
from receivables.report import build_report
from tests.test_agenda import POLICY

START = date(2026, 1, 1)
STEP_IDS = [s.id for s in POLICY.steps]
CLIENTS = ("C1", "C2")


def days(lo=0, hi=200):
    return st.integers(lo, hi).map(lambda n: START + timedelta(days=n))


def money(lo=1, hi=300000):
    return st.integers(lo, hi).map(lambda n: D(n).scaleb(-2))


@st.composite
def books(draw):
    n = draw(st.integers(1, 6))
    invoices = {}
    for k in range(n):
        issued = draw(days(0, 150))
        due = issued + timedelta(days=draw(st.integers(0, 60)))
        invoices[f"I{k}"] = Invoice(f"I{k}", draw(st.sampled_from(CLIENTS)), issued, due, "GBP", draw(money()))
    numbers = sorted(invoices)
    payments = []
    for k in range(draw(st.integers(0, 5))):
        num = draw(st.sampled_from(numbers))
        i = invoices[num]
        amt = draw(st.sampled_from([i.amount, (i.amount / 2).quantize(D("0.01")), D("1.00")]))
        when = i.issued + timedelta(days=draw(st.integers(0, 120)))
        payments.append(Payment(f"P{k}", when, i.client, amt, "GBP", allocations=(Allocation(num, amt),)))
    activities = []
    for k in range(draw(st.integers(0, 8))):
        num = draw(st.sampled_from(numbers))
        activities.append(Activity(
            f"A{k}", draw(days(0, 240)), invoices[num].client, "email",
            step=draw(st.sampled_from(STEP_IDS + [None])),
            invoices=(num,) if draw(st.booleans()) else (),
            outcome=draw(st.sampled_from(["sent", "sent", "snoozed", "skipped"])),
            snooze_until=draw(days(0, 240)),
        ))
    promises = []
    for k in range(draw(st.integers(0, 2))):
        num = draw(st.sampled_from(numbers))
        i = invoices[num]
        made = draw(days(0, 200))
        promises.append(PromiseToPay(f"PT{k}", i.client, made, draw(money()), "GBP",
                                     made + timedelta(days=draw(st.integers(0, 30))), (num,)))
    disputes = []
    for k in range(draw(st.integers(0, 2))):
        num = draw(st.sampled_from(numbers))
        opened = draw(days(0, 200))
        resolved = opened + timedelta(days=draw(st.integers(1, 60))) if draw(st.booleans()) else None
        disputes.append(Dispute(f"D{k}", num, invoices[num].client, "reason", opened, resolved))
    clients = {c: Client(c, c, "GBP", 30) for c in CLIENTS}
    return Book(clients=clients, invoices=invoices, payments=tuple(payments), activities=tuple(activities),
                promises=tuple(promises), disputes=tuple(disputes))


def _paid_since(book, client, start, end):
    return sum((p.amount for p in book.payments if p.client == client and start <= p.date <= end), D(0))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(), days(0, 260))
def test_agenda_never_offers_a_done_step_nor_covers_paid_disputed_or_promised_invoices(book, on):
    ledger = derive(book, on)
    grace = timedelta(days=POLICY.ladder.promise_grace_days)
    for a in build_agenda(book, POLICY, on):
        assert a.amount == sum((ledger.invoices[n].outstanding for n in a.invoices), D(0))
        if a.kind != "step":
            continue
        idx = POLICY.step_index(a.step)
        for n in a.invoices:
            s = ledger.invoices[n]
            assert s.outstanding >= POLICY.ladder.tolerance  # never a paid invoice
            assert not s.disputed
            assert not any(d.invoice == n and d.opened <= on and (d.resolved is None or d.resolved > on)
                           for d in book.disputes)
            for k, p in enumerate(book.promises):  # never under an unexpired, unkept promise
                replaced = any(q.made >= p.made and q.made <= on and set(q.invoices) & set(p.invoices)
                               for q in book.promises[k + 1:] if q.client == p.client)
                if n in p.invoices and p.made <= on <= p.by + grace and not replaced:
                    assert _paid_since(book, p.client, p.made, on) >= p.amount
            for x in book.activities:  # never a done step, never back down the ladder
                if x.step and x.date <= on and x.outcome not in ("snoozed", "skipped") and n in x.invoices:
                    assert x.step != a.step
                    assert POLICY.step_index(x.step) < idx


UK = InterestPolicy(regime="uk-late-payment", margin=D(8), reference_rates=(ReferenceRate(date(2020, 1, 1), D("4")),))


@settings(max_examples=200, deadline=None)
@given(books(), st.integers(-60, 200))
def test_interest_is_zero_until_the_day_after_due(book, offset):
    idx = index_book(book)
    for number, inv in book.invoices.items():
        asof = inv.due + timedelta(days=offset)
        st_ = derive(idx, asof).invoices.get(number)
        if st_ is None:
            continue
        r = invoice_interest(st_, idx.settlements.get(number, ()), UK, asof)
        assert r.interest >= 0
        if asof <= inv.due:
            assert (r.interest, r.compensation, r.days) == (0, 0, 0)
        elif st_.outstanding > 0 and inv.amount >= 10:
            # still owed after due: interest ran every day since, on at least what is owed now
            assert r.days == offset
            assert r.compensation > 0


@settings(max_examples=80, deadline=None)
@given(books(), days(0, 260))
def test_report_aging_adds_up_and_matches_the_ledger(book, on):
    r = build_report(book, POLICY, on)
    ledger = derive(book, on)
    owed = sum((s.outstanding for s in ledger.invoices.values() if s.outstanding > 0), D(0))
    f = r.currencies.get("GBP")
    if f is None:
        assert owed == 0
        return
    assert f.total == owed == sum(f.aging.values(), D(0))
    assert r.trend["GBP"][-1].total == f.total
    # the prefix-sum AR of the trend agrees with a ledger derived at each month-end
    for p in r.trend["GBP"][:-1]:
        lg = derive(book, p.date)
        assert p.total == sum((s.outstanding for s in lg.invoices.values() if s.outstanding > 0), D(0))
        assert p.current == sum((s.outstanding for s in lg.invoices.values()
                                 if s.outstanding > 0 and s.invoice.due >= p.date), D(0))
        sales = sum((i.amount for i in book.invoices.values()
                     if p.date - timedelta(days=89) <= i.issued <= p.date), D(0))
        assert p.sales_90d == sales
        if sales:
            assert p.dso == (p.total * 90 / sales).quantize(D("0.1"), rounding="ROUND_HALF_UP")
