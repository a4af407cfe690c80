"""Each report figure against a hand-computed example."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D

from receivables.agenda import build_agenda
from receivables.report import BUCKETS, build_report, month_ends, report_to_json
from tests.test_agenda import POLICY, act, book, client, pay
from receivables.model import Invoice, PromiseToPay

ON = date(2026, 3, 31)


def _inv(number, issued, due, amount, cid="C1", currency="GBP"):
    return Invoice(number, cid, issued, due, currency, D(amount))


def hand_book(**kw):
    """Five invoices whose figures on 31 March 2026 are worked out by hand below."""
    invs = [
        _inv("A", date(2026, 1, 10), date(2026, 2, 9), "1000.00"),   # 50 days overdue
        _inv("B", date(2026, 2, 15), date(2026, 3, 17), "600.00"),   # 200 paid, 14 days overdue
        _inv("C", date(2026, 3, 20), date(2026, 4, 19), "400.00"),   # not yet due
        _inv("D", date(2025, 12, 1), date(2025, 12, 31), "800.00"),  # paid 20 days late
        _inv("E", date(2025, 10, 1), date(2025, 10, 31), "300.00"),  # 151 days overdue
    ]
    pays = (pay("P1", date(2026, 1, 20), "800.00", "D"), pay("P2", date(2026, 3, 10), "200.00", "B"))
    return book(invs, payments=pays, **kw)


def test_aging_buckets():
    f = build_report(hand_book(), POLICY, ON).currencies["GBP"]
    assert f.aging == {"current": D("400.00"), "1-30": D("400.00"), "31-60": D("1000.00"), "61-90": 0,
                       "91-120": 0, "120+": D("300.00")}
    assert list(f.aging) == list(BUCKETS)
    assert (f.total, f.overdue, f.open_invoices) == (D("2100.00"), D("1700.00"), 4)


def test_dso_best_possible_and_add():
    f = build_report(hand_book(), POLICY, ON).currencies["GBP"]
    # sales of the 90 days 1 Jan - 31 Mar: A + B + C = 2000
    assert f.sales_90d == D("2000.00")
    assert f.dso == D("94.5")  # 2100 / 2000 x 90
    assert f.best_possible_dso == D("18.0")  # 400 / 2000 x 90
    assert f.add == D("76.5")


def test_countback_dso():
    f = build_report(hand_book(), POLICY, ON).currencies["GBP"]
    # AR 2100: March sales 400 (31 days) -> 1700; Feb 600 (28) -> 1100; Jan 1000 (31) -> 100;
    # Dec sales 800 > 100: 100/800 x 31 = 3.875 -> 90 + 3.875 = 93.875
    assert f.dso_countback == D("93.9")


def test_cei():
    f = build_report(hand_book(), POLICY, ON).currencies["GBP"]
    # Jan-Mar: AR at start (31 Dec: D 800 + E 300) 1100, sales 2000, AR at end 2100, current 400
    # (1100 + 2000 - 2100) / (1100 + 2000 - 400) = 1000 / 2700 = 37.04 %
    assert f.cei == D("37.0")


def test_trend_has_twelve_points_ending_on_the_date():
    r = build_report(hand_book(), POLICY, ON)
    pts = r.trend["GBP"]
    assert [p.date for p in pts] == month_ends(ON)
    assert pts[-1].date == ON and pts[-2].date == date(2026, 2, 28) and pts[0].date == date(2025, 4, 30)
    feb = pts[-2]
    # 28 Feb: AR = A 1000 + B 600 + E 300 = 1900 (D paid 20 Jan); current = B 600;
    # sales 1 Dec - 28 Feb = 2400
    assert (feb.total, feb.current, feb.sales_90d) == (D("1900.00"), D("600.00"), D("2400.00"))
    assert feb.dso == D("71.3")  # 71.25 rounded half-up
    assert feb.best_possible_dso == D("22.5")
    assert feb.add == D("48.8")
    assert pts[-1].dso == r.currencies["GBP"].dso


def test_client_figures_and_forecast():
    r = build_report(hand_book(), POLICY, ON)
    (c,) = r.clients
    assert (c.client, c.balance, c.overdue, c.oldest_days_overdue, c.open_invoices) == (
        "C1", D("2100.00"), D("1700.00"), 151, 4)
    assert c.avg_days_to_pay == D("50.0")  # D: 1 Dec -> 20 Jan
    assert c.avg_days_late == D("20.0")
    assert not c.worsening
    assert c.risk > 0 and any("overdue" in x for x in c.risk_reasons)
    f = r.forecast["GBP"]
    # the client pays 20 days late: A expected 1 Mar (passed, within 90 days) -> week 1;
    # B 6 Apr -> week 1; C 9 May -> week 6; E expected 20 Nov, over 90 days ago -> doubtful
    assert f.weeks[0].start == ON and f.weeks[0].end == ON + timedelta(days=6)
    assert f.weeks[0].amount == D("1400.00")
    assert f.weeks[5].amount == D("400.00")
    assert sum((w.amount for k, w in enumerate(f.weeks) if k not in (0, 5)), D(0)) == 0
    assert f.doubtful == D("300.00") and f.later == 0
    assert len(f.weeks) == 13


def test_worsening_payer_is_flagged():
    invs, pays = [], []
    for k in range(8):  # paid on the due date, 4 to 11 months ago
        due = date(2025, 5, 1) + timedelta(days=30 * k)
        invs.append(_inv(f"E{k}", due - timedelta(days=30), due, "100.00"))
        pays.append(pay(f"PE{k}", due, "100.00", f"E{k}"))
    for k in range(3):  # paid 20-30 days late, lately
        due = date(2026, 1, 5) + timedelta(days=10 * k)
        invs.append(_inv(f"L{k}", due - timedelta(days=30), due, "100.00"))
        pays.append(pay(f"PL{k}", due + timedelta(days=20 + 5 * k), "100.00", f"L{k}"))
    r = build_report(book(invs, payments=tuple(pays)), POLICY, ON)
    (c,) = r.clients
    assert c.worsening
    assert any("later and later" in x for x in c.risk_reasons)
    # the same client without the late ones is steady
    steady = book(invs[:8], payments=tuple(pays[:8]))
    assert not build_report(steady, POLICY, ON).clients[0].worsening


def test_promises_kept_rate_lists_and_activity():
    p1 = PromiseToPay("PT1", "C1", date(2026, 3, 1), D("200.00"), "GBP", date(2026, 3, 12), ("B",))
    p2 = PromiseToPay("PT2", "C1", date(2026, 2, 1), D("500.00"), "GBP", date(2026, 2, 10), ("A",))
    acts = (act("X1", date(2026, 3, 30), None, ["A"], channel="phone"), act("X2", date(2026, 3, 2), None),
            act("X3", date(2026, 2, 1), None))  # outside the 30 days
    r = build_report(hand_book(promises=(p1, p2), activities=acts), POLICY, ON)
    assert (r.promises.made, r.promises.kept, r.promises.broken, r.promises.open) == (2, 1, 1, 0)
    assert r.promises.kept_rate == D("50.0")
    assert r.clients[0].promises_kept_rate == D("50.0")
    assert r.activity == {"email": 1, "phone": 1}


def test_currencies_are_kept_apart_and_json_shape():
    b = hand_book()
    b = book(list(b.invoices.values()) + [_inv("U1", date(2026, 3, 1), date(2026, 3, 31), "250.00", "C2", "USD")],
             clients=[client("C1"), client("C2", currency="USD")], payments=b.payments)
    r = build_report(b, POLICY, ON)
    assert set(r.currencies) == {"GBP", "USD"}
    assert r.currencies["USD"].aging["current"] == D("250.00")
    doc = report_to_json(r)
    text = json.dumps(doc)  # plain JSON: no Decimal, no date objects
    assert "NaN" not in text
    g = doc["currencies"]["GBP"]
    assert g["aging"] == {"current": "400.00", "1-30": "400.00", "31-60": "1000.00", "61-90": "0.00",
                          "91-120": "0.00", "120+": "300.00", "total": "2100.00", "overdue": "1700.00"}
    assert (g["dso"], g["best_possible_dso"], g["add"], g["dso_countback"], g["cei"]) == (
        "94.5", "18.0", "76.5", "93.9", "37.0")
    assert (doc["currencies"]["USD"]["dso"], doc["currencies"]["USD"]["add"]) == ("90.0", "0.0")  # 250 / 250 x 90
    c1 = next(c for c in doc["clients"] if c["id"] == "C1")
    assert c1["balance"] == "2100.00" and c1["oldest_days_overdue"] == 151 and c1["avg_days_late"] == "20.0"
    assert isinstance(c1["risk"]["score"], int) and isinstance(c1["risk"]["reasons"], list)
    assert len(doc["forecast"]["GBP"]["weeks"]) == 13 and len(doc["trend"]["GBP"]) == 12
    assert doc["on"] == "2026-03-31"


def test_escalations_holds_disputes_and_plans_are_listed():
    from receivables.model import Dispute, Installment, PaymentPlan

    acts = (act("F1", date(2026, 3, 1), "final", ["E"]), act("G1", date(2026, 3, 20), "agency", ["E"]))
    d = Dispute("D1", "A", "C1", "never received", date(2026, 3, 20))
    plan = PaymentPlan("PL1", "C1", date(2026, 3, 25), "GBP", ("B",), (
        Installment(date(2026, 4, 10), D("200.00")), Installment(date(2026, 5, 10), D("200.00"))))
    r = build_report(hand_book(activities=acts, disputes=(d,), plans=(plan,)), POLICY, ON)
    assert [(e.invoice, e.to, e.outstanding) for e in r.escalations] == [("E", "agency", D("300.00"))]
    assert [h.client for h in r.holds] == ["C1"]
    assert [(x.id, x.invoice, x.outstanding) for x in r.disputes] == [("D1", "A", D("1000.00"))]
    assert [(p.id, p.next_due, p.next_amount) for p in r.plans] == [("PL1", date(2026, 4, 10), D("200.00"))]
    f = r.forecast["GBP"]
    # A disputed, E handed over, B in the plan: C (9 May, week 6) and the installments
    # (10 April: week 2; 10 May: week 6) are expected
    assert f.weeks[1].amount == D("200.00") and f.weeks[5].amount == D("600.00")
    assert f.total == D("800.00")
    assert f.doubtful == 0


def test_prompt_payer_with_a_long_overdue_invoice_is_flagged():
    invs, pays = [], []
    for k in range(4):  # paid two days late, months ago
        due = date(2025, 6, 1) + timedelta(days=30 * k)
        invs.append(_inv(f"E{k}", due - timedelta(days=30), due, "100.00"))
        pays.append(pay(f"PE{k}", due + timedelta(days=2), "100.00", f"E{k}"))
    invs.append(_inv("N1", date(2026, 1, 20), date(2026, 2, 19), "100.00"))  # 40 days overdue on 31 Mar
    c = build_report(book(invs, payments=tuple(pays)), POLICY, ON).clients[0]
    assert c.avg_days_late == D("2.0") and c.worsening  # 40 > max(30, 2 x 2 + 14)
    invs[-1] = _inv("N1", date(2026, 2, 1), date(2026, 3, 3), "100.00")  # 28 days: not yet
    assert not build_report(book(invs, payments=tuple(pays)), POLICY, ON).clients[0].worsening


def test_a_dropped_index_frees_the_engine_and_its_days_without_the_cycle_collector():
    """The app freezes its heap and publishing pauses the collector, so what the engine keeps
    with an index must be freed by reference counting alone: no reference cycles."""
    import gc

    from receivables.agenda import build_agenda, client_status, open_ledger
    from receivables.demo import generate
    from receivables.ledger import index_book
    from receivables.policy import read_policy
    from tests.conftest import REPO

    policy = read_policy(REPO / "policy.toml")
    b = generate(clients=6, invoices=60, seed=2, today=ON, policy=policy)

    def use_everything() -> None:
        index = index_book(b)
        for on in (ON, ON + timedelta(days=3)):
            build_agenda(index, policy, on)
            build_report(index, policy, on)
            open_ledger(index, policy, on)
            client_status(index, policy, next(iter(b.clients)), on)

    use_everything()  # first use: module-level caches (calendars, templates) are filled once
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        use_everything()
        assert gc.collect() == 0  # nothing was left for the cycle collector
    finally:
        if was:
            gc.enable()


# -- the report as the fold of every client's day -------------------------------------------------

def test_a_clients_day_from_its_own_records_is_its_day_in_the_whole_book():
    """What the book says about a client (status, risk, actions, share of the report) is worked
    out from that client's records alone: the same from a book of that client only. The
    report is the fold of the parts, and the forecast of clients without a history uses the
    book's average lateness, known only once every part is in."""
    from receivables import demo
    from receivables.engine import derive_client, fold
    from receivables.report import client_parts, report_from_parts

    today = date(2026, 11, 23)
    floating = False
    for seed in (1, 4):
        b = demo.generate(clients=30, invoices=420, seed=seed, today=today, policy=POLICY)
        for on in (today, today - timedelta(days=47), today + timedelta(days=16)):
            parts = client_parts(b, POLICY, on)
            whole = build_report(b, POLICY, on)
            assert report_from_parts(parts, on) == whole
            floating = floating or any(p.floating for p in parts.values())
            days = {cid: derive_client(b.only(cid), POLICY, on) for cid in b.clients}
            assert {cid: d.part for cid, d in days.items()} == parts
            assert fold(days, on).report == whole
            assert list(fold(days, on).agenda) == build_agenda(b, POLICY, on)
    assert floating  # some client without a history had open invoices: the book's average was used


def test_a_clients_promise_kept_rate_rounds_half_up_as_the_books():
    """1 kept of 16 is 6.25 %: the client's row said 6.2 (half-even), the book's total 6.3."""
    from receivables.engine.records import Behaviour

    fields = {f: None for f in Behaviour.__dataclass_fields__}
    fig = Behaviour(**{**fields, "promises_made": 16, "promises_kept": 1, "promises_broken": 15})
    assert fig.promises_kept_rate == D("6.3")
    fig = Behaviour(**{**fields, "promises_made": 80, "promises_kept": 1, "promises_broken": 79})
    assert fig.promises_kept_rate == D("1.3")
