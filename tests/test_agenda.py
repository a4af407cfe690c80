"""Dated scenarios for every ladder rule. Helpers here are shared by the other engine tests."""
from __future__ import annotations

import tomllib
from datetime import date, timedelta
from decimal import Decimal as D

from receivables.agenda import (
    activity_for, build_agenda, client_actions, client_status, invoices_for_step, message_context, open_ledger,
)
from receivables.ledger import derive
from receivables.model import (
    Activity, Allocation, Book, Client, CreditCheck, Dispute, Installment, Invoice, Payment, PaymentPlan,
    PromiseToPay,
)
from receivables.policy import parse_policy
from receivables.report import build_report

LADDER = """
[calendar]
country = "GB"
subdivision = "ENG"
[ladder]
min_gap_days = 7
tolerance = "5.00"
promise_grace_days = 3
dispute_review_days = 14
plan_grace_days = 5
credit_review_days = 365
[[steps]]
id = "courtesy"
after_due_days = -3
channel = "email"
template = "courtesy"
[[steps]]
id = "reminder"
after_due_days = 1
channel = "email"
template = "reminder"
[[steps]]
id = "call"
after_due_days = 10
channel = "phone"
template = "call"
min_overdue = "100.00"
[[steps]]
id = "second"
after_due_days = 21
channel = "email"
template = "second_reminder"
[[steps]]
id = "final"
title = "Final notice"
after_due_days = 35
channel = "letter"
template = "final_notice"
required = true
credit_hold = true
[[steps]]
id = "agency"
after_due_days = 50
channel = "letter"
template = "agency"
escalate = "agency"
min_overdue = "250.00"
[interest]
regime = "uk-late-payment"
margin = 8
[[interest.reference_rates]]
from = 2025-08-07
rate = "4.00"
"""


def make_policy(text: str = LADDER, **edits):
    doc = tomllib.loads(text, parse_float=D)
    for path, value in edits.items():
        table, key = path.split("__")
        doc.setdefault(table, {})[key] = value
    policy, problems = parse_policy(doc, "test-policy.toml")
    assert not problems, problems
    return policy


POLICY = make_policy()


def client(cid="C1", **kw):
    kw.setdefault("terms_days", 30)
    return Client(cid, kw.pop("name", f"{cid} Ltd"), kw.pop("currency", "GBP"), **kw)


def inv(number, due, amount="500.00", cid="C1", issued=None, currency="GBP"):
    return Invoice(number, cid, issued or due - timedelta(days=30), due, currency, D(amount))


def pay(pid, when, amount, invoice=None, cid="C1", currency="GBP"):
    allocs = (Allocation(invoice, D(amount)),) if invoice else ()
    return Payment(pid, when, cid, D(amount), currency, allocations=allocs)


def act(aid, when, step=None, invoices=(), cid="C1", channel="email", outcome="sent", **kw):
    return Activity(aid, when, cid, channel, step=step, invoices=tuple(invoices), outcome=outcome, **kw)


def book(invoices, clients=None, **kw):
    clients = clients or [client()]
    return Book(clients={c.id: c for c in clients}, invoices={i.number: i for i in invoices}, **kw)


def steps_on(b, on, policy=POLICY):
    return [(a.client, a.kind, a.step, a.invoices) for a in build_agenda(b, policy, on)]


# ---------------------------------------------------------------------------------------
# the ladder


def test_steps_follow_due_date_offsets():
    b = book([inv("I1", date(2026, 3, 16))])  # a Monday
    assert steps_on(b, date(2026, 3, 12)) == []
    assert steps_on(b, date(2026, 3, 13)) == [("C1", "step", "courtesy", ("I1",))]
    assert steps_on(b, date(2026, 3, 17)) == [("C1", "step", "reminder", ("I1",))]
    a = build_agenda(b, POLICY, date(2026, 3, 17))[0]
    assert a.amount == D("500.00") and a.currency == "GBP" and a.since == date(2026, 3, 17)
    assert a.template == "reminder" and a.channel == "email" and a.days_overdue == 1


def test_a_client_gets_one_contact_a_day_at_the_furthest_step_due():
    """Invoices at different steps were one action each: a client was called, sent a
    friendly reminder and a final notice on the same day."""
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 10), "300.00"),
            inv("I3", date(2026, 2, 18), "200.00")]
    done = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 12), "call", ["I1"]),
            act("A3", date(2026, 1, 22), "second", ["I1"]))
    b = book(invs, activities=done)
    on = date(2026, 2, 23)  # I1 53 days overdue (final), I2 13 (call), I3 5 (reminder)
    got = build_agenda(b, POLICY, on)
    assert [(a.step, a.invoices, a.amount, a.channel) for a in got] == [
        ("final", ("I1", "I2", "I3"), D("1500.00"), "letter")]
    assert got[0].since == date(2026, 2, 5) and "3 invoices up to 53 days overdue" in got[0].reason
    # done: each invoice is past the final notice, so none of the earlier steps comes back
    logged = book(invs, activities=done + (act("A4", on, "final", ["I1", "I2", "I3"], channel="letter"),))
    for later in (date(2026, 2, 24), date(2026, 2, 27)):  # (the hand-over of I1 comes on 2 March)
        assert steps_on(logged, later) == []
    # another currency is another contact
    eur = book(invs + [inv("E1", date(2026, 2, 10), "400.00", currency="EUR")], activities=done)
    assert [(a.currency, a.step, a.invoices) for a in build_agenda(eur, POLICY, on)] == [
        ("GBP", "final", ("I1", "I2", "I3")), ("EUR", "call", ("E1",))]


def test_an_invoice_contacted_within_the_gap_does_not_go_along_with_a_further_step():
    """I2 was called today; I1's final notice, due too (its dispute just resolved), took I2
    along: a final notice and a credit hold over an invoice 10 days overdue, the day it was
    called, though the policy says 7 days between contacts on an invoice. Found in the app."""
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 13), "300.00")]
    on = date(2026, 2, 23)
    done = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 12), "call", ["I1"]),
            act("A3", date(2026, 1, 22), "second", ["I1"]), act("A4", date(2026, 2, 16), "reminder", ["I2"]),
            act("A5", on, "call", ["I2"], channel="phone"))
    assert steps_on(book(invs, activities=done), on) == [("C1", "step", "final", ("I1",))]
    # called 7 days before or earlier: it goes along (one message about the account)
    earlier = done[:4] + (act("A5", on - timedelta(days=7), "call", ["I2"], channel="phone"),)
    assert steps_on(book(invs, activities=earlier), on) == [("C1", "step", "final", ("I1", "I2"))]


def test_a_client_on_credit_hold_is_sent_no_courtesy_reminder():
    """A client put on hold by a final notice, its debt waiting for the agency step, was sent
    "a quick courtesy note: the following invoice is due shortly ... thank you" about a new
    invoice once the gap after the notice had passed."""
    invs = [inv("I1", date(2026, 1, 5), "200.00"), inv("I2", date(2026, 3, 16))]  # (I1 under the agency minimum)
    done = (act("A1", date(2026, 1, 6), "reminder", ["I1"]), act("A2", date(2026, 1, 15), "call", ["I1"], channel="phone"),
            act("A3", date(2026, 1, 26), "second", ["I1"]), act("A4", date(2026, 2, 9), "final", ["I1"], channel="letter"))
    held = book(invs, activities=done)  # (the final notice's credit hold)
    assert client_status(held, POLICY, "C1", date(2026, 3, 13)).hold
    assert steps_on(held, date(2026, 3, 13)) == []
    by_hand = book([inv("I2", date(2026, 3, 16))], clients=[client(hold=True, hold_reason="over limit")])
    assert steps_on(by_hand, date(2026, 3, 13)) == []
    free = book([inv("I2", date(2026, 3, 16))])
    assert steps_on(free, date(2026, 3, 13)) == [("C1", "step", "courtesy", ("I2",))]


def test_a_courtesy_reminder_waits_for_a_day_without_another_contact():
    invs = [inv("I1", date(2026, 3, 2)), inv("I2", date(2026, 3, 16))]
    b = book(invs)
    on = date(2026, 3, 13)  # I1 11 days overdue (call), I2 due on Monday (courtesy)
    assert steps_on(b, on) == [("C1", "step", "call", ("I1",))]
    called = book(invs, activities=(act("A1", on, "call", ["I1"], channel="phone"),))
    assert steps_on(called, on) == []  # the call made: nothing else that day
    assert steps_on(called, date(2026, 3, 14)) == []  # nor within min_gap_days (7) of it
    # I2 fell due on the 16th: no "due shortly" for an overdue invoice; its reminder, due the
    # 17th, waits for the gap's end (and I1, called already, is not sent a milder reminder)
    assert steps_on(called, date(2026, 3, 17)) == []
    assert steps_on(called, date(2026, 3, 20)) == [("C1", "step", "reminder", ("I2",))]
    uncalled = book([inv("I2", date(2026, 3, 16))])
    assert steps_on(uncalled, date(2026, 3, 13)) == [("C1", "step", "courtesy", ("I2",))]
    # the call skipped (or snoozed): no "due shortly" in its place either (skip is "not today")
    skipped = book(invs, activities=(act("A1", on, "call", ["I1"], channel="phone", outcome="skipped"),))
    assert steps_on(skipped, on) == []


def test_a_contact_skipped_today_is_not_replaced_by_an_earlier_step_on_its_invoices():
    """Skipping the day's final notice (I1, I2) brought up a call on I2 in its place."""
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 10), "300.00")]
    done = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 12), "call", ["I1"]),
            act("A3", date(2026, 1, 22), "second", ["I1"]))
    on = date(2026, 2, 23)
    assert steps_on(book(invs, activities=done), on) == [("C1", "step", "final", ("I1", "I2"))]
    skip = act("X1", on, "final", ["I1", "I2"], channel="letter", outcome="skipped")
    assert steps_on(book(invs, activities=done + (skip,)), on) == []
    assert steps_on(book(invs, activities=done + (skip,)), date(2026, 2, 24)) == [("C1", "step", "final", ("I1", "I2"))]


def test_after_a_contact_the_client_gets_no_other_within_the_gap_and_then_one_for_all():
    """A final notice on I1 one day, a second reminder on I2 the next: a milder step the day
    after a final notice. The next contact waits min_gap_days and covers every overdue
    invoice not already past its step (I3, reminded, with no step of its own due: it goes
    along; I1, past the final notice: it does not)."""
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 1, 20), "300.00"),
            inv("I3", date(2026, 2, 2), "50.00")]
    done = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 12), "call", ["I1"]),
            act("A3", date(2026, 1, 22), "second", ["I1"]), act("A4", date(2026, 2, 5), "final", ["I1"], channel="letter"),
            act("A5", date(2026, 1, 21), "reminder", ["I2"]), act("A6", date(2026, 1, 30), "call", ["I2"], channel="phone"),
            act("A7", date(2026, 2, 3), "reminder", ["I3"]))
    b = book(invs, activities=done)
    assert steps_on(b, date(2026, 2, 10)) == []  # I2's second reminder (due 10 Feb) waits: I1's notice of 5 Feb
    got = build_agenda(b, POLICY, date(2026, 2, 12))
    assert [(a.step, a.invoices) for a in got] == [("second", ("I2", "I3"))]
    assert got[0].amount == D("350.00") and got[0].overdue == D("350.00")


def test_an_invoice_not_yet_due_never_goes_into_a_contact_about_overdue_ones():
    """A courtesy reminder's invoices, one of them just overdue, were pulled into a final
    notice whole: it demanded, as overdue, an invoice due the next day."""
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 21), "300.00"),  # a Saturday
            inv("I3", date(2026, 2, 23), "200.00")]  # (its courtesy reminder due since Friday)
    done = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 12), "call", ["I1"]),
            act("A3", date(2026, 1, 22), "second", ["I1"]))
    got = build_agenda(book(invs, activities=done), POLICY, date(2026, 2, 22))  # Sunday: I2's reminder is Monday's
    assert [(a.step, a.invoices) for a in got] == [("final", ("I1", "I2"))]
    assert got[0].amount == got[0].overdue == D("1300.00")


def test_an_invoice_falling_due_during_a_snooze_of_a_step_on_others_is_chased():
    """A reminder on I1 snoozed for two weeks hid I2's reminder too when I2 fell due
    meanwhile (the same step: one group)."""
    invs = [inv("I1", date(2026, 3, 2)), inv("I2", date(2026, 3, 9))]
    snooze = act("S1", date(2026, 3, 3), "reminder", ["I1"], outcome="snoozed", snooze_until=date(2026, 3, 17))
    b = book(invs, activities=(snooze,))
    assert steps_on(b, date(2026, 3, 4)) == []
    assert steps_on(b, date(2026, 3, 10)) == [("C1", "step", "reminder", ("I2",))]
    everything = act("S2", date(2026, 3, 3), None, [], outcome="snoozed", snooze_until=date(2026, 3, 17))
    assert steps_on(book(invs, activities=(everything,)), date(2026, 3, 10)) == []


def test_a_hand_over_keeps_its_own_invoices_beside_the_days_contact():
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 10), "300.00")]
    done = tuple(act(f"A{k}", d, sid, ["I1"]) for k, (d, sid) in enumerate(
        [(date(2026, 1, 2), "reminder"), (date(2026, 1, 12), "call"), (date(2026, 1, 22), "second"),
         (date(2026, 2, 5), "final")]))
    got = build_agenda(book(invs, activities=done), POLICY, date(2026, 2, 23))
    assert [(a.step, a.escalate, a.invoices) for a in got] == [("agency", "agency", ("I1",)), ("call", None, ("I2",))]


def test_a_snoozed_step_is_left_out_before_the_days_contact_is_made():
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 10), "300.00")]
    done = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 12), "call", ["I1"]),
            act("A3", date(2026, 1, 22), "second", ["I1"]),
            act("S1", date(2026, 2, 20), "final", ["I1"], channel="letter", outcome="snoozed",
                snooze_until=date(2026, 3, 1)))
    got = build_agenda(book(invs, activities=done), POLICY, date(2026, 2, 23))
    assert [(a.step, a.invoices) for a in got] == [("call", ("I2",))]


def test_step_on_a_bank_holiday_moves_to_the_next_business_day():
    b = book([inv("I1", date(2026, 12, 24))])  # reminder would fall on Christmas Day
    done = [act("A1", date(2026, 12, 21), "courtesy", ["I1"])]
    b = book([inv("I1", date(2026, 12, 24))], activities=tuple(done))
    assert steps_on(b, date(2026, 12, 28)) == []  # 25, 26-27 weekend, 28 Boxing Day observed
    got = build_agenda(b, POLICY, date(2026, 12, 29))
    assert [(a.step, a.since) for a in got] == [("reminder", date(2026, 12, 29))]


def test_the_latest_due_step_is_offered_and_a_required_step_blocks_the_jump():
    b = book([inv("I1", date(2026, 1, 1), "1000.00")])
    # 90 days overdue with nothing done: the agency step is past, but final notice is required
    got = build_agenda(b, POLICY, date(2026, 4, 1))
    assert [(a.step, a.credit_hold, a.escalate) for a in got] == [("final", True, None)]
    # without the required flag the ladder jumps straight to the latest due step
    loose = make_policy(LADDER.replace("required = true\n", ""))
    assert [a.step for a in build_agenda(b, loose, date(2026, 4, 1))] == ["agency"]
    # once the final notice is done, the agency step waits min_gap_days
    b2 = book([inv("I1", date(2026, 1, 1), "1000.00")], activities=(act("A1", date(2026, 4, 1), "final", ["I1"]),))
    assert steps_on(b2, date(2026, 4, 7)) == []
    got = build_agenda(b2, POLICY, date(2026, 4, 8))
    assert [(a.step, a.escalate, a.since) for a in got] == [("agency", "agency", date(2026, 4, 8))]


def test_min_overdue_passes_a_step_over():
    small = book([inv("I1", date(2026, 1, 1), "50.00")], activities=(act("A1", date(2026, 1, 2), "reminder", ["I1"]),))
    # the call step needs 100 overdue: passed over, so nothing is due until the second reminder
    assert steps_on(small, date(2026, 1, 13)) == []
    assert [a.step for a in build_agenda(small, POLICY, date(2026, 1, 22))] == ["second"]
    # with another overdue invoice the client's overdue total reaches 100: the call is due
    big = book([inv("I1", date(2026, 1, 1), "50.00"), inv("I2", date(2026, 1, 2), "60.00")],
               activities=(act("A1", date(2026, 1, 5), "reminder", ["I1", "I2"]),))
    got = build_agenda(big, POLICY, date(2026, 1, 13))
    assert [(a.step, a.invoices, a.amount) for a in got] == [("call", ("I1", "I2"), D("110.00"))]


def test_done_steps_are_never_offered_again_and_min_gap_holds():
    b = book([inv("I1", date(2026, 1, 1), "300.00")],
             activities=(act("A1", date(2026, 1, 20), "reminder", ["I1"]),))
    # the call (11 Jan) and the second reminder (22 Jan) wait for the 7-day gap after the
    # reminder of the 20th; on the 27th both are due and the later one is offered
    assert steps_on(b, date(2026, 1, 26)) == []
    assert [(a.step, a.since) for a in build_agenda(b, POLICY, date(2026, 1, 27))] == [("second", date(2026, 1, 27))]
    # a later step done jumps the ladder forward: earlier steps never come back
    b = book([inv("I1", date(2026, 1, 1), "300.00")],
             activities=(act("A1", date(2026, 1, 22), "second", ["I1"]),))
    assert [a.step for a in build_agenda(b, POLICY, date(2026, 2, 10))] == ["final"]


def test_snoozed_and_skipped_actions_hide_without_doing_the_step():
    b = book([inv("I1", date(2026, 3, 16))], activities=(
        act("A1", date(2026, 3, 17), "reminder", ["I1"], outcome="snoozed", snooze_until=date(2026, 3, 20)),))
    assert steps_on(b, date(2026, 3, 18)) == []
    assert [a.step for a in build_agenda(b, POLICY, date(2026, 3, 20))] == ["reminder"]
    b = book([inv("I1", date(2026, 3, 16))], activities=(act("A1", date(2026, 3, 17), "reminder", ["I1"], outcome="skipped"),))
    assert steps_on(b, date(2026, 3, 17)) == []
    assert [a.step for a in build_agenda(b, POLICY, date(2026, 3, 18))] == ["reminder"]


def test_a_snoozed_step_is_not_followed_by_a_harsher_one_during_the_snooze():
    """A reminder snoozed for a week: when the next step's date came during the snooze, that
    step (a final notice, a hold) was offered at once, and the snoozed one never again."""
    b = book([inv("I1", date(2026, 1, 1), "300.00")],
             activities=(act("A1", date(2026, 1, 20), "second", ["I1"], outcome="snoozed",
                             snooze_until=date(2026, 2, 20)),))
    assert build_agenda(b, POLICY, date(2026, 2, 10)) == []  # the final notice's date has come
    assert [a.step for a in build_agenda(b, POLICY, date(2026, 2, 20))] == ["final"]


def test_corrected_activity_no_longer_counts():
    acts = (act("A1", date(2026, 3, 17), "reminder", ["I1"]),
            act("A2", date(2026, 3, 17), None, ["I1"], outcome="logged by mistake", corrects="A1"))
    b = book([inv("I1", date(2026, 3, 16))], activities=acts)
    assert [a.step for a in build_agenda(b, POLICY, date(2026, 3, 18))] == ["reminder"]


def test_one_action_per_client_and_step_and_tolerance():
    invs = [inv("I1", date(2026, 3, 2)), inv("I2", date(2026, 3, 3), "200.00"), inv("I3", date(2026, 3, 3), "4.99"),
            inv("I4", date(2026, 3, 3), "900.00", cid="C2")]
    b = book(invs, clients=[client("C1"), client("C2")])
    got = build_agenda(b, POLICY, date(2026, 3, 4))
    assert [(a.client, a.step, a.invoices, a.amount) for a in got] == [
        ("C2", "reminder", ("I4",), D("900.00")),  # larger overdue amount first
        ("C1", "reminder", ("I1", "I2"), D("700.00")),  # I3 is below the tolerance
    ]
    assert invoices_for_step(b, POLICY, "C1", "reminder", date(2026, 3, 4)) == ("I1", "I2")
    assert invoices_for_step(b, POLICY, "C1", "call", date(2026, 3, 4)) == ()


def test_paid_and_partly_paid_invoices():
    b = book([inv("I1", date(2026, 3, 2)), inv("I2", date(2026, 3, 2))],
             payments=(pay("P1", date(2026, 3, 1), "500.00", "I1"), pay("P2", date(2026, 3, 1), "497.00", "I2")))
    assert steps_on(b, date(2026, 3, 4)) == []  # I1 paid, I2 owes 3.00 < tolerance
    b = book([inv("I1", date(2026, 3, 2))], payments=(pay("P1", date(2026, 3, 1), "200.00", "I1"),))
    assert build_agenda(b, POLICY, date(2026, 3, 4))[0].amount == D("300.00")


def test_step_activity_without_invoices_covers_the_clients_open_invoices():
    b = book([inv("I1", date(2026, 3, 2)), inv("I2", date(2026, 3, 2))],
             activities=(act("A1", date(2026, 3, 3), "reminder"),))
    assert steps_on(b, date(2026, 3, 4)) == []


# ---------------------------------------------------------------------------------------
# escalation and hold


def test_escalation_hands_invoices_over_and_they_leave_the_ladder():
    acts = (act("A1", date(2026, 2, 10), "final", ["I1"]), act("A2", date(2026, 2, 23), "agency", ["I1"]))
    b = book([inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 2, 20), "300.00")], activities=acts)
    on = date(2026, 4, 1)
    st = client_status(b, POLICY, "C1", on)
    assert st.handed_over == {"I1": "agency"}
    assert all("I1" not in a.invoices for a in build_agenda(b, POLICY, on))


def test_credit_hold_step_puts_the_client_on_hold_until_lifted_or_paid():
    acts = [act("A1", date(2026, 2, 10), "final", ["I1"])]
    b = book([inv("I1", date(2026, 1, 1), "1000.00")], activities=tuple(acts))
    assert not client_status(b, POLICY, "C1", date(2026, 2, 9)).hold
    st = client_status(b, POLICY, "C1", date(2026, 2, 10))
    assert st.hold and "Final notice" in st.hold_reason
    lifted = book([inv("I1", date(2026, 1, 1), "1000.00")],
                  activities=tuple(acts + [act("A2", date(2026, 2, 12), None, outcome="hold_lifted")]))
    assert client_status(lifted, POLICY, "C1", date(2026, 2, 11)).hold
    assert not client_status(lifted, POLICY, "C1", date(2026, 2, 12)).hold
    paid = book([inv("I1", date(2026, 1, 1), "1000.00")], activities=tuple(acts),
                payments=(pay("P1", date(2026, 2, 15), "1000.00", "I1"),))
    assert not client_status(paid, POLICY, "C1", date(2026, 2, 15)).hold
    flagged = book([inv("I1", date(2026, 1, 1))], clients=[client(hold=True, hold_reason="owner's call")])
    st = client_status(flagged, POLICY, "C1", date(2026, 1, 1))
    assert st.hold and st.hold_reason == "owner's call"


def test_escalations_and_broken_promises_come_first():
    invs = [inv("I1", date(2026, 1, 1), "300.00"), inv("I2", date(2026, 3, 30), "90000.00", cid="C2")]
    acts = (act("A1", date(2026, 2, 10), "final", ["I1"]),)
    b = book(invs, clients=[client("C1"), client("C2")], activities=acts)
    got = build_agenda(b, POLICY, date(2026, 4, 1))
    assert [(a.client, a.step) for a in got] == [("C1", "agency"), ("C2", "reminder")]
    assert got[0].priority > got[1].priority


# ---------------------------------------------------------------------------------------
# promises


def test_kept_promise_takes_invoices_off_the_ladder_then_returns_them():
    p = PromiseToPay("PTP1", "C1", date(2026, 2, 2), D("400.00"), "GBP", date(2026, 2, 10), ("I1",))
    b = book([inv("I1", date(2026, 1, 1), "1000.00")], promises=(p,),
             activities=(act("A1", date(2026, 1, 2), "reminder", ["I1"]),),
             payments=(pay("P1", date(2026, 2, 9), "400.00", "I1"),))
    assert steps_on(b, date(2026, 2, 5)) == []  # promised
    st = client_status(b, POLICY, "C1", date(2026, 2, 5))
    assert [ps.state for ps in st.promises] == ["open"]
    # kept on the 9th: the rest of the invoice is back on the ladder
    got = build_agenda(b, POLICY, date(2026, 2, 9))
    assert [(a.kind, a.step, a.amount) for a in got] == [("step", "final", D("600.00"))]
    assert client_status(b, POLICY, "C1", date(2026, 2, 9)).promises == ()


def test_broken_promise_becomes_an_action_the_day_after_grace_and_logging_it_returns_the_invoices():
    p = PromiseToPay("PTP1", "C1", date(2026, 2, 2), D("400.00"), "GBP", date(2026, 2, 10))  # all open invoices
    base = dict(promises=(p,), activities=(act("A1", date(2026, 1, 2), "reminder", ["I1"]),),
                payments=(pay("P1", date(2026, 2, 9), "100.00", "I1"),))
    invs = [inv("I1", date(2026, 1, 1), "1000.00")]
    b = book(invs, **base)
    assert steps_on(b, date(2026, 2, 13)) == []  # by + 3 days of grace
    got = build_agenda(b, POLICY, date(2026, 2, 16))
    assert [(a.kind, a.template, a.ref, a.invoices, a.since) for a in got] == [
        ("promise", "broken_promise", "PTP1", ("I1",), date(2026, 2, 14))]
    assert got[0].priority[0] == 2 and got[0].amount == D("900.00")
    assert "100.00 paid" in got[0].reason
    # logging the broken-promise action returns the invoice to the ladder
    done = activity_for(got[0], date(2026, 2, 16), body="called, no answer")
    assert done.step == "promise:PTP1"
    b2 = book(invs, promises=(p,), payments=base["payments"],
              activities=base["activities"] + (Activity("A9", **{k: getattr(done, k) for k in (
                  "date", "client", "channel", "direction", "step", "invoices", "outcome", "body")}),))
    # (after the gap: the call was the day's contact, so no final notice beside it that day)
    assert build_agenda(b2, POLICY, date(2026, 2, 16)) == []
    got = build_agenda(b2, POLICY, date(2026, 2, 23))
    assert [(a.kind, a.step) for a in got] == [("step", "final")]


# ---------------------------------------------------------------------------------------
# disputes


def test_dispute_leaves_the_ladder_and_comes_back_for_review():
    d = Dispute("D1", "I1", "C1", "wrong quantity", date(2026, 2, 1))
    invs = [inv("I1", date(2026, 1, 1), "1000.00")]
    b = book(invs, disputes=(d,))
    assert steps_on(b, date(2026, 2, 14)) == []
    got = build_agenda(b, POLICY, date(2026, 2, 15))
    assert [(a.kind, a.template, a.ref, a.invoices, a.since) for a in got] == [
        ("dispute", "dispute_review", "D1", ("I1",), date(2026, 2, 15))]
    assert got[0].channel == "other"  # the owner's own review: nothing is e-mailed to the client
    # activity on the invoice restarts the clock
    b = book(invs, disputes=(d,), activities=(act("A1", date(2026, 2, 10), None, ["I1"]),))
    assert steps_on(b, date(2026, 2, 23)) == []
    assert [a.kind for a in build_agenda(b, POLICY, date(2026, 2, 24))] == ["dispute"]
    # resolved: back on the ladder
    b = book(invs, disputes=(Dispute("D1", "I1", "C1", "x", date(2026, 2, 1), resolved=date(2026, 2, 20)),))
    assert [a.kind for a in build_agenda(b, POLICY, date(2026, 2, 19))] == ["dispute"]
    assert [(a.kind, a.step) for a in build_agenda(b, POLICY, date(2026, 2, 20))] == [("step", "final")]


# ---------------------------------------------------------------------------------------
# plans


def _plan_book(payments=(), extra=()):
    plan = PaymentPlan("PL1", "C1", date(2026, 3, 1), "GBP", ("I1",), (
        Installment(date(2026, 3, 16), D("300.00")), Installment(date(2026, 4, 15), D("300.00")),
        Installment(date(2026, 5, 15), D("300.00"))))
    return book([inv("I1", date(2026, 1, 1), "900.00"), *extra], plans=(plan,), payments=tuple(payments))


def test_plan_reminds_before_each_installment_and_flags_a_missed_one():
    b = _plan_book([pay("P1", date(2026, 3, 14), "300.00", "I1")])
    assert steps_on(b, date(2026, 3, 10)) == []  # covered by the plan, nothing due yet
    b0 = _plan_book()
    got = build_agenda(b0, POLICY, date(2026, 3, 13))
    assert [(a.kind, a.template, a.ref) for a in got] == [("installment", "installment_reminder", "PL1")]
    assert steps_on(b, date(2026, 3, 16)) == []  # the first one is paid
    got = build_agenda(b, POLICY, date(2026, 4, 12))
    assert [(a.kind, a.template, a.since) for a in got] == [("installment", "installment_reminder", date(2026, 4, 12))]
    got = build_agenda(b, POLICY, date(2026, 4, 16))
    assert [(a.kind, a.template, a.since) for a in got] == [("installment", "installment_missed", date(2026, 4, 16))]
    assert "300.00 GBP still to pay" in got[0].reason
    assert client_status(b, POLICY, "C1", date(2026, 4, 20)).plan is not None


def test_broken_plan_returns_the_invoices_to_the_ladder():
    b = _plan_book([pay("P1", date(2026, 3, 14), "300.00", "I1")])
    got = build_agenda(b, POLICY, date(2026, 4, 21))  # 15 April + 5 days of grace has passed
    assert [(a.kind, a.step, a.amount) for a in got] == [("step", "final", D("600.00"))]
    assert client_status(b, POLICY, "C1", date(2026, 4, 21)).plan is None


# ---------------------------------------------------------------------------------------
# credit


def test_credit_limit_flag_and_credit_review_action():
    c = client(credit_limit=D("1000.00"), credit_check=CreditCheck(date(2025, 1, 1), "Experian", "B"))
    b = book([inv("I1", date(2026, 2, 1), "700.00"), inv("I2", date(2026, 3, 1), "400.00")], clients=[c])
    assert not client_status(b, POLICY, "C1", date(2025, 12, 31)).over_credit_limit
    st = client_status(b, POLICY, "C1", date(2026, 2, 1))
    assert st.over_credit_limit and st.balance == D("1100.00")
    assert st.credit_review_due == date(2026, 1, 1)
    got = [a for a in build_agenda(b, POLICY, date(2026, 1, 1)) if a.kind == "credit_review"]
    assert [(a.template, a.since) for a in got] == [("credit_review", date(2026, 1, 1))]
    assert not [a for a in build_agenda(b, POLICY, date(2025, 12, 31)) if a.kind == "credit_review"]
    # an ordinary note does not count as the review; one logged as the review does
    b1 = book(list(b.invoices.values()), clients=[c], activities=(act("A0", date(2026, 1, 5), None),))
    assert [a for a in build_agenda(b1, POLICY, date(2026, 1, 6)) if a.kind == "credit_review"]
    b2 = book(list(b.invoices.values()), clients=[c], activities=(act("A1", date(2026, 1, 5), "credit_review"),))
    assert not [a for a in build_agenda(b2, POLICY, date(2026, 1, 6)) if a.kind == "credit_review"]


# ---------------------------------------------------------------------------------------
# messages


def test_message_context_has_invoices_interest_and_totals():
    b = book([inv("I1", date(2026, 3, 2), "1000.00"), inv("I2", date(2026, 3, 2), "200.00")],
             payments=(pay("P1", date(2026, 3, 1), "50.00", "I2"),))
    on = date(2026, 4, 1)
    a = [x for x in client_actions(b, POLICY, "C1", on) if x.kind == "step"][0]
    ctx = message_context(a, derive(b, on), POLICY, on)
    assert ctx["client_name"] == "C1 Ltd" and ctx["currency"] == "GBP"
    rows = {r["number"]: r for r in ctx["invoices"]}
    assert rows["I2"]["outstanding"] == D("150.00") and rows["I2"]["days_overdue"] == 30
    assert rows["I1"]["interest"] == D("9.86")  # 1000 x 12% x 30 / 365
    assert ctx["total"] == D("1150.00")
    assert ctx["interest_total"] == rows["I1"]["interest"] + rows["I2"]["interest"]
    assert ctx["compensation_total"] == D("110.00")  # 70 + 40
    assert ctx["step_title"] == a.title


def test_a_promise_is_kept_only_by_money_on_its_invoices_or_left_as_credit():
    """A payment put on another invoice kept a promise to pay I2: I2 stayed unpaid, off the
    ladder, and its promise counted as kept in the client's record."""
    p = PromiseToPay("PTP1", "C1", date(2026, 2, 2), D("400.00"), "GBP", date(2026, 2, 10), ("I2",))
    invs = [inv("I1", date(2026, 1, 1), "400.00"), inv("I2", date(2026, 1, 5), "400.00")]
    acts = (act("A1", date(2026, 1, 6), "reminder", ["I1", "I2"]),)
    other = book(invs, promises=(p,), activities=acts, payments=(pay("P1", date(2026, 2, 9), "400.00", "I1"),))
    st = client_status(other, POLICY, "C1", date(2026, 2, 16))
    assert [(ps.state, ps.paid) for ps in st.promises] == [("broken", D("0"))]
    got = [a for a in build_agenda(other, POLICY, date(2026, 2, 16)) if a.kind == "promise"]
    assert [(a.ref, a.invoices) for a in got] == [("PTP1", ("I2",))]
    assert "0.00 paid since 2026-02-02" in got[0].reason
    # on the promised invoice, or on no invoice (client credit the owner can put there): kept
    for payment in (pay("P1", date(2026, 2, 9), "400.00", "I2"), pay("P1", date(2026, 2, 9), "400.00")):
        b = book(invs, promises=(p,), activities=acts, payments=(payment,))
        assert [a for a in build_agenda(b, POLICY, date(2026, 2, 16)) if a.kind == "promise"] == []
        assert client_status(b, POLICY, "C1", date(2026, 2, 9)).promises == ()
        assert build_report(b, POLICY, date(2026, 2, 16)).promises.kept == 1
    # part of one payment on each: only I2's part counts
    split = Payment("P1", date(2026, 2, 9), "C1", D("500.00"), "GBP",
                    allocations=(Allocation("I1", D("200.00")), Allocation("I2", D("300.00"))))
    b = book(invs, promises=(p,), activities=acts, payments=(split,))
    st = client_status(b, POLICY, "C1", date(2026, 2, 16))
    assert [(ps.state, ps.paid) for ps in st.promises] == [("broken", D("300.00"))]
    assert build_report(other, POLICY, date(2026, 2, 16)).promises.broken == 1


def test_a_plans_installments_are_met_only_by_money_on_its_invoices():
    """The plan covers I1; a payment of another invoice met its installment (and kept I1 off
    the ladder) while I1 stayed unpaid."""
    b = _plan_book([pay("P1", date(2026, 3, 14), "300.00", "I9")], extra=[inv("I9", date(2026, 3, 1), "300.00")])
    got = [a for a in build_agenda(b, POLICY, date(2026, 3, 17)) if a.kind == "installment"]
    assert [(a.template, a.ref) for a in got] == [("installment_missed", "PL1")]
    assert client_status(b, POLICY, "C1", date(2026, 3, 17)).plan.paid == D("0")


def test_a_broken_promise_call_is_the_days_one_contact():
    """A client got a broken-promise call and a second reminder by e-mail the same day."""
    p = PromiseToPay("PTP1", "C1", date(2026, 2, 2), D("400.00"), "GBP", date(2026, 2, 10), ("I1",))
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 1, 20), "300.00")]
    acts = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 21), "reminder", ["I2"]),
            act("A3", date(2026, 1, 30), "call", ["I2"], channel="phone"))
    on = date(2026, 2, 16)  # the promise broke on the 14th; I2's second reminder is due
    got = build_agenda(book(invs, promises=(p,), activities=acts), POLICY, on)
    assert [(a.kind, a.invoices) for a in got] == [("promise", ("I1",))]
    called = acts + (act("C1", on, "promise:PTP1", ["I1"], channel="phone", outcome="reached"),)
    # the call made, that same day: the second reminder did not come up beside it
    for outcome in ("reached", "no_answer", "voicemail"):
        made = acts + (act("C1", on, "promise:PTP1", ["I1"], channel="phone", outcome=outcome),)
        assert steps_on(book(invs, promises=(p,), activities=made), on) == [], outcome
    assert steps_on(book(invs, promises=(p,), activities=called), date(2026, 2, 17)) == []  # within the gap
    assert [a.step for a in build_agenda(book(invs, promises=(p,), activities=called), POLICY, date(2026, 2, 23))] \
        == ["final"]


def test_a_snoozed_broken_promise_does_not_hold_the_ladder_and_a_missed_installment_call_does():
    """Snoozing the broken-promise call stopped all chasing of the client's other invoices
    for the length of the snooze; a missed installment's call was followed the next day by
    a ladder call."""
    p = PromiseToPay("PTP1", "C1", date(2026, 2, 2), D("400.00"), "GBP", date(2026, 2, 10), ("I1",))
    invs = [inv("I1", date(2026, 1, 1), "1000.00"), inv("I2", date(2026, 1, 20), "300.00")]
    acts = (act("A1", date(2026, 1, 2), "reminder", ["I1"]), act("A2", date(2026, 1, 21), "reminder", ["I2"]),
            act("A3", date(2026, 1, 30), "call", ["I2"], channel="phone"),
            act("Z1", date(2026, 2, 16), "promise:PTP1", ["I1"], channel="phone", outcome="snoozed",
                snooze_until=date(2026, 3, 2)))
    got = build_agenda(book(invs, promises=(p,), activities=acts), POLICY, date(2026, 2, 16))
    assert [(a.kind, a.step, a.invoices) for a in got] == [("step", "second", ("I2",))]
    # a plan's missed installment: its call is the day's contact, and one in the gap after it
    plan = PaymentPlan("PL1", "C1", date(2026, 2, 1), "GBP", ("I1",), (Installment(date(2026, 2, 10), D("500.00")),
                                                                     Installment(date(2026, 3, 10), D("500.00"))))
    b = book(invs, plans=(plan,), activities=acts[:3])
    got = build_agenda(b, POLICY, date(2026, 2, 11))
    assert [a.kind for a in got] == ["installment"]
    called = book(invs, plans=(plan,), activities=acts[:3] + (act("C1", date(2026, 2, 11), "installment:PL1:1", ["I1"],
                                                                   channel="phone", outcome="reached"),))
    assert steps_on(called, date(2026, 2, 12)) == []


def test_a_new_promise_replaces_a_broken_one():
    p1 = PromiseToPay("PTP1", "C1", date(2026, 2, 2), D("400.00"), "GBP", date(2026, 2, 10), ("I1",))
    p2 = PromiseToPay("PTP2", "C1", date(2026, 2, 16), D("400.00"), "GBP", date(2026, 2, 27), ("I1",))
    invs = [inv("I1", date(2026, 1, 1), "1000.00")]
    b = book(invs, promises=(p1, p2))
    assert [a.kind for a in build_agenda(b, POLICY, date(2026, 2, 15))] == ["promise"]
    assert build_agenda(b, POLICY, date(2026, 2, 16)) == []  # renegotiated: the new promise holds
    got = build_agenda(b, POLICY, date(2026, 3, 3))
    assert [(a.kind, a.ref) for a in got] == [("promise", "PTP2")]


def test_open_ledger_agrees_with_the_full_ledger_on_open_invoices_and_positions():
    b = book([inv("I1", date(2026, 3, 2), "1000.00"), inv("I2", date(2026, 3, 2), "200.00"),
              inv("I3", date(2026, 1, 2), "50.00")],
             payments=(pay("P1", date(2026, 3, 1), "50.00", "I2"), pay("P2", date(2026, 2, 1), "50.00", "I3"),
                       pay("P3", date(2026, 3, 5), "30.00")))
    on = date(2026, 4, 1)
    full, part = derive(b, on), open_ledger(b, POLICY, on)
    assert set(part.invoices) == {"I1", "I2"}
    for n in part.invoices:
        assert part.invoices[n] == full.invoices[n]
    assert part.position("C1", "GBP") == full.position("C1", "GBP")


def test_a_promise_with_no_invoices_named_covers_the_oldest_up_to_its_amount():
    from receivables.allocate import promise_cover

    d = Dispute("D1", "I2", "C1", "wrong quantity", date(2026, 2, 1))
    invs = [inv("I1", date(2026, 1, 10), "300.00"), inv("I2", date(2026, 1, 20), "900.00"),
            inv("I3", date(2026, 1, 31), "200.00"), inv("I4", date(2026, 2, 28), "400.00")]
    ledger = derive(book(invs, disputes=(d,)), date(2026, 3, 1))
    cover = [(amount, promise_cover(ledger, "C1", "GBP", D(amount))) for amount in
             ("0.01", "300.00", "300.01", "500.00", "500.01", "900.00", "5000.00")]
    assert cover == [  # oldest due first, the disputed I2 aside, until what they owe reaches the amount
        ("0.01", ["I1"]), ("300.00", ["I1"]), ("300.01", ["I1", "I3"]), ("500.00", ["I1", "I3"]),
        ("500.01", ["I1", "I3", "I4"]), ("900.00", ["I1", "I3", "I4"]), ("5000.00", ["I1", "I3", "I4"])]
    assert promise_cover(ledger, "C1", "EUR", D("10")) == []


def test_a_payment_taken_on_an_action_goes_to_its_invoices_first_and_does_it_only_when_it_pays_them():
    from receivables.allocate import settles, suggest_allocation
    from receivables.model import Allocation, Payment

    d = Dispute("D1", "I2", "C1", "wrong quantity", date(2026, 2, 1))
    invs = [inv("I1", date(2026, 1, 10), "300.00"), inv("I2", date(2026, 1, 20), "900.00"),
            inv("I3", date(2026, 1, 31), "200.00"), inv("I4", date(2026, 2, 28), "400.00")]
    ledger = derive(book(invs, disputes=(d,)), date(2026, 3, 1))

    def alloc(amount, first=()):
        got, rest = suggest_allocation(ledger, "C1", "GBP", D(amount), first)
        return [(a.invoice, str(a.amount)) for a in got], rest

    # no action: oldest due first, the disputed I2 last; an exact amount goes to its invoice
    assert alloc("350.00") == ([("I1", "300.00"), ("I3", "50.00")], D("0.00"))
    assert alloc("400.00") == ([("I4", "400.00")], D("0.00"))
    # an action on I3, then I4: those first, then the oldest, the disputed last
    assert alloc("50.00", ("I3", "I4")) == ([("I3", "50.00")], D("0.00"))
    assert alloc("650.00", ("I3", "I4")) == ([("I3", "200.00"), ("I4", "400.00"), ("I1", "50.00")], D("0.00"))
    assert alloc("2000.00", ("I3",)) == ([("I3", "200.00"), ("I1", "300.00"), ("I4", "400.00"), ("I2", "900.00")],
                                         D("200.00"))
    assert alloc("300.00", ("I3",)) == ([("I1", "300.00")], D("0.00"))  # exactly what I1 owes: I1's

    owed = {"I3": D("200.00"), "I4": D("400.00")}

    def pay(*allocs):
        return Payment("P", date(2026, 3, 1), "C1", sum((D(x) for _, x in allocs), D(0)), "GBP",
                       allocations=tuple(Allocation(n, D(x)) for n, x in allocs))

    assert settles(pay(("I3", "200.00")), owed, ["I3"])
    assert not settles(pay(("I3", "199.99")), owed, ["I3"])
    assert not settles(pay(("I3", "200.00")), owed, ["I3", "I4"])
    assert settles(pay(("I3", "150.00"), ("I4", "400.00"), ("I3", "50.00")), owed, ["I3", "I4"])
    assert not settles(pay(("I1", "300.00")), owed, ["I3"])
    assert settles(pay(("I1", "300.00")), owed, ["I9"])  # (an invoice that owed nothing)
