"""What a message about an action needs to know (its *context*), worked out with the client's
day: plain data (Decimal, date, str, records), kept with the day by the derived layer so a
message can be drafted without reading the book again. Publishing adds the presentation
(the company, the greeting, money and date formatting, the interest detail as text).

Sequences are tuples (what the derived layer reads back). Keys: ``client_id``, ``client_name``, ``currency``, ``invoices`` (one row per invoice of the
action: number, issued, due, reference, amount, outstanding, days_overdue, disputed, and
interest, compensation, rate, interest_from, interest_to, interest_note and the whole
``interest_result``, or None without an interest regime), ``total_amount``,
``total_outstanding``, ``total``, ``interest_total``, ``compensation_total``,
``total_with_charges``, ``balance`` and ``overdue_total`` (the client's position in the
action's currency), ``step_id``, ``step_title``, ``action_title``, ``reason``,
``days_overdue``, ``hold``, ``earlier_contacts`` (the ladder steps done on the action's
invoices by the date: date, step_id, step_title, template, channel), ``reminders_sent`` (how
many of them were e-mails or letters), ``last_reminder`` (the latest of those, or None) and
``reminded_invoices`` (the action's invoices one of them was about), and
``promise``, ``plan``, ``dispute`` (the latest made by the
date that covers the action's invoices, or None), ``action_promise`` / ``action_plan`` (the
promise or plan the action is about, with what was paid toward it). For a step that puts the
client on hold or escalates (a final notice, a hand-over): ``paid_late``, the client's other
invoices in the currency that were paid after their due date and still carry interest or
compensation not yet claimed (number, issued, due, reference, amount, settled_on, and
``interest_result``), as the statement sent with it lists them; else ().
"""
from __future__ import annotations

from datetime import date

from ..interest import claims_index, invoice_interest, late_results
from ..ledger import invoice_state
from ..policy import Policy
from .day import Day
from .records import ZERO, Action


def action_context(dy: Day, action: Action, policy: Policy, on: date) -> dict:
    """The context of ``action`` (one of ``dy``'s client's actions on ``on``)."""
    eng = dy.eng
    cid = action.client
    client = eng.book.clients[cid]
    settlements = eng.settlements
    regime = policy.interest.regime != "none"
    claims = claims_index(eng.book, on) if regime else {}
    rows = []
    tot_amount = tot_out = tot_int = tot_comp = ZERO
    for n in action.invoices:
        st = dy.states.get(n)
        if st is None:
            continue
        inv = st.invoice
        r = invoice_interest(st, settlements.get(n, ()), policy.interest, on, claims.get(n)) if regime else None
        interest = r.interest if r is not None else ZERO
        compensation = r.compensation if r is not None else ZERO
        rows.append({
            "number": n, "issued": inv.issued, "due": inv.due, "reference": inv.reference,
            "amount": inv.amount, "outstanding": st.outstanding, "days_overdue": st.days_overdue,
            "disputed": st.disputed, "interest": interest, "compensation": compensation,
            "rate": r.rate if r is not None else ZERO, "interest_from": r.start if r is not None else None,
            "interest_to": r.end if r is not None else None, "interest_note": r.problem if r is not None else "",
            "interest_result": r,
        })
        tot_amount += inv.amount
        tot_out += st.outstanding
        tot_int += interest
        tot_comp += compensation
    currency = action.currency or client.currency
    amt, over, _count, _oldest = dy.totals.get((cid, currency), (ZERO, ZERO, 0, 0))
    step = dy.steps_by_id.get(action.step) if action.step else None
    ctx = {
        "client_id": cid,
        "client_name": client.name,
        "currency": currency,
        "invoices": tuple(rows),
        "total_amount": tot_amount,
        "total_outstanding": tot_out,
        "total": tot_out,
        "interest_total": tot_int,
        "compensation_total": tot_comp,
        "total_with_charges": tot_out + tot_int + tot_comp,
        # the position (as receivables.ledger.Ledger.position): open invoices less unallocated credit
        "balance": amt - dy.credit.get((cid, currency), ZERO),
        "overdue_total": over,
        "step_id": action.step,
        "step_title": (step.title if step else "") or action.title,
        "action_title": action.title,
        "reason": action.reason,
        "days_overdue": action.days_overdue,
        "hold": dy.status(cid).hold,
    }
    if regime and step is not None and (step.credit_hold or step.escalate):
        ctx["paid_late"] = _paid_late(dy, action, currency, policy, on, claims)
    else:
        ctx["paid_late"] = ()
    ctx.update(_contacts(dy, cid, action.invoices, on))
    ctx.update(_covering(eng.book, cid, set(action.invoices), on))
    ctx.update(_about(dy, action))
    return ctx


def _paid_late(dy: Day, action: Action, currency: str, policy: Policy, on: date, claims: dict) -> tuple:
    """The client's invoices in ``currency`` besides the action's, paid in full after their due
    date, that still carry interest or compensation not claimed (the statement's "paid late"
    rows, receivables.interest.late_results): what a letter before action claims with them.
    Worked out once per client and currency on the day (two actions share them)."""
    rows = dy.paid_late_rows.get(currency)
    if rows is None:
        eng = dy.eng
        settlements = eng.settlements
        states = []
        for inv in sorted(eng.book.invoices.values(), key=lambda i: (i.due, i.number)):
            if inv.client != action.client or inv.currency != currency:
                continue
            if inv.issued > on or inv.due >= on or inv.number in dy.states:  # (not due, or still open)
                continue
            st = invoice_state(inv, settlements.get(inv.number, ()), on, False)
            if st.outstanding <= 0:
                states.append(st)
        rows = dy.paid_late_rows[currency] = tuple(
            {"number": n, "issued": st.invoice.issued, "due": st.invoice.due, "reference": st.invoice.reference,
             "amount": st.invoice.amount, "settled_on": st.settled_on, "interest_result": r}
            for st in states
            for n, r in late_results((st,), settlements, policy.interest, on, claims).items()
            if r.interest or r.compensation)
    return tuple(row for row in rows if row["number"] not in action.invoices)


WRITTEN = ("email", "letter")  # the channels of a contact a message can say "we wrote" about


def _contacts(dy: Day, cid: str, nums, on: date) -> dict:
    """The ladder steps done on the action's invoices by ``on`` (``earlier_contacts``: each once,
    oldest first, with its date, step, template and channel), how many of them were written
    (``reminders_sent``) and the latest of those (``last_reminder``): what a message may
    truthfully say came before it. An invoice entered late, already well overdue, gets its
    first message at a later step ("Second reminder", "Final notice"); that message must not
    say "we wrote to you recently" or "despite our earlier reminders" when nothing was sent."""
    eng = dy.eng
    done: dict[str, tuple[date, str]] = {}
    on_invoice: dict[str, list[str]] = {}  # invoice -> the ids of the step activities on it
    for n in nums:
        for when, step, act_id in eng.step_acts.get(n, ()):
            if when <= on:
                done.setdefault(act_id, (when, step))
                on_invoice.setdefault(n, []).append(act_id)
    if not done:
        return {"earlier_contacts": (), "reminders_sent": 0, "last_reminder": None, "reminded_invoices": ()}
    channels = eng.channels(cid)
    # the invoices a message was written about (a client's contact of the day may cover
    # invoices at different steps: "we wrote to you about the invoices below" must hold for each)
    reminded = tuple(n for n in nums if any(channels.get(i) in WRITTEN for i in on_invoice.get(n, ())))
    contacts = []
    for act_id, (when, step) in sorted(done.items(), key=lambda kv: (kv[1][0], kv[0])):
        known = dy.steps_by_id.get(step)
        contacts.append({"date": when, "step_id": step, "step_title": (known.title or known.id) if known else step,
                         "template": known.template if known else "", "channel": channels.get(act_id, "")})
    written = [c for c in contacts if c["channel"] in WRITTEN]
    return {"earlier_contacts": tuple(contacts), "reminders_sent": len(written),
            "last_reminder": written[-1] if written else None, "reminded_invoices": reminded}


def _covering(records, cid: str, nums: set[str], on: date) -> dict:
    """The latest promise, plan and dispute made by ``on`` that cover the invoices ``nums``."""
    promise = plan = dispute = None
    for p in reversed(records.promises):
        if p.client == cid and (not p.invoices or nums & set(p.invoices)) and p.made <= on:
            promise = {"amount": p.amount, "by": p.by, "made": p.made, "currency": p.currency}
            break
    for pl in reversed(records.plans):
        if pl.client == cid and (nums & set(pl.invoices)) and pl.created <= on:
            missed = [i for i in pl.installments if i.due < on]
            upcoming = [i for i in pl.installments if i.due >= on]
            plan = {
                "installments": tuple({"due": i.due, "amount": i.amount} for i in pl.installments),
                "next": {"due": upcoming[0].due, "amount": upcoming[0].amount} if upcoming else None,
                "last_due": {"due": missed[-1].due, "amount": missed[-1].amount} if missed else None,
                "total": pl.total, "count": len(pl.installments),
            }
            break
    for d in reversed(records.disputes):
        if d.client == cid and d.invoice in nums and d.opened <= on:
            dispute = {"invoice": d.invoice, "reason": d.reason, "opened": d.opened}
            break
    return {"promise": promise, "plan": plan, "dispute": dispute}


def _about(dy: Day, action: Action) -> dict:
    """The promise or the plan the action itself is about, with what was paid toward it."""
    eng = dy.eng
    cid = action.client
    out: dict = {"action_promise": None, "action_plan": None}
    if action.kind == "promise" and action.ref:
        p = next((p for p in eng.promises.get(cid, ()) if p.id == action.ref), None)
        if p is not None:
            ps = dy.promise_status(p)
            out["action_promise"] = {"amount": p.amount, "by": p.by, "made": p.made, "currency": p.currency,
                                     "paid": ps.paid, "shortfall": max(ZERO, p.amount - ps.paid), "state": ps.state}
    if action.kind == "installment" and action.ref:
        pl = next((p for p in eng.plans.get(cid, ()) if p.id == action.ref), None)
        if pl is not None:
            ps = dy.plan_status(pl)
            k = ps.next_index if ps and ps.next_index is not None else 0
            cum = sum((i.amount for i in pl.installments[: k + 1]), ZERO)
            out["action_plan"] = {
                "installments": tuple({"due": i.due, "amount": i.amount} for i in pl.installments),
                "count": len(pl.installments), "total": pl.total, "paid": ps.paid if ps else ZERO,
                "number": k + 1, "installment": {"due": pl.installments[k].due, "amount": pl.installments[k].amount},
                "shortfall": max(ZERO, cum - (ps.paid if ps else ZERO)),
            }
    return out
