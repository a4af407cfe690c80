"""The actions due for one client on one date (the rules are in :mod:`receivables.agenda`)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from ..calendar import calendar_for
from ..money import to_text
from .day import Day
from .records import HUNDRED, INSTALLMENT_REMINDER_DAYS, KINDS, ZERO, Action

_ONE = timedelta(days=1)


def sort_key(a: Action):
    """Most urgent first (see "Order" in :mod:`receivables.agenda`)."""
    tier, weighted, days = a.priority
    return (-tier, -weighted, -days, a.client, a.currency, KINDS.index(a.kind), a.since, a.key)


def client_actions(dy: Day, cid: str) -> list[Action]:
    """The client's actions due on the day, most urgent first."""
    out = _client_actions(dy, cid)
    out.sort(key=sort_key)
    return out


def _hidden(dy: Day, cid: str) -> list[tuple[str | None, tuple[str, ...] | None]]:
    """Snoozes and skips in force: (step or key or None for all, and for a snoozed ladder step
    its invoices, which no ladder step chases until the snooze ends; else None)."""
    out = []
    on = dy.on
    ladder = dy.steps_by_id
    for a in dy.eng.pauses.get(cid, ()):
        if a.date > on:
            break
        if (a.outcome == "snoozed" and a.snooze_until is not None and a.snooze_until > on) or \
                (a.outcome == "skipped" and a.date == on):
            # a snoozed reminder is not followed, during the snooze, by the next and harsher
            # step on the same invoices (a final notice to a client the owner agreed to wait for);
            # a contact skipped today is not replaced by an earlier step on some of its invoices
            out.append((a.step, tuple(a.invoices) if a.step in ladder else None))
    return out


def _is_hidden(a: Action, hidden) -> bool:
    for step, invoices in hidden:
        if step is None or step == a.key or step == a.step:
            return True
        if invoices is not None and a.kind == "step" and (not invoices or set(invoices) & set(a.invoices)):
            return True
    return False


def _one_contact(dy: Day, cid: str, groups: dict[tuple[str, str], list], quiet: list[str], hidden,
                 calling: bool = False, on_hold: bool = False) -> list[tuple]:
    """The client's ladder contacts of the day, one per currency: (step, since, invoices).

    ``groups``: (currency, step id) -> [step, since, invoices] for each step due on some of
    the client's invoices; ``quiet``: its overdue invoices on the ladder with no step due.
    Before, a client was sent a friendly reminder, called and sent a final notice on the
    same day, one for each step its invoices had reached, and a milder step the day after a
    final notice. Now:

    - the steps due on overdue invoices are one contact at the furthest of them (the
      ladder's order), covering those invoices and the quiet ones not already past that
      step nor stepped on within ``min_gap_days`` (a final notice took along an invoice
      called that day, 10 days overdue, into its credit hold): one message about the
      account, and once it is done each of them is past it;
    - a step due only on invoices not yet overdue (a courtesy reminder) waits until the
      client has had no contact for ``min_gap_days``, nor one due today;
    - after a contact, the client gets no milder one for ``min_gap_days`` (as one invoice
      gets no second step sooner): not a second reminder the day after a final notice (the
      ladder may move on: a step as far or further may come);
    - a hand-over is not a contact: it stays on its own, with its own invoices;
    - a broken promise's or a missed installment's call, due (``calling``) or made, is a
      contact too: a second reminder by e-mail does not go out beside that call;
    - a contact due today that was snoozed or skipped still holds back a courtesy reminder;
    - a client on hold (by hand, or by a credit-hold step such as a final notice) is sent no
      courtesy reminder: "due shortly ... thank you" is not a message for an account in
      arrears that far.

    Snoozed and skipped steps, and the invoices they hide, are left out first."""
    idx = dy._step_idx
    states = dy.states
    contacts: dict[str, list] = {}
    early: list[tuple] = []
    out: list[tuple] = []
    paused = False  # a contact due today, snoozed or skipped: a courtesy reminder still waits
    for (cur, sid), (s, when, all_nums) in groups.items():
        nums = _visible(sid, all_nums, hidden)
        if not s.escalate and len(nums) < len(all_nums) and any(states[n].days_overdue > 0 for n in all_nums):
            paused = True
        if not nums:
            continue
        if s.escalate:
            out.append((s, when, tuple(nums)))
            continue
        due = [n for n in nums if states[n].days_overdue > 0]
        if len(due) < len(nums):
            early.append((s, when, tuple(n for n in nums if states[n].days_overdue <= 0)))
        if not due:
            continue
        got = contacts.get(cur)
        if got is None:
            contacts[cur] = [s, when, due]
        else:
            if idx[s.id] > idx[got[0].id]:
                got[0] = s
            got[1] = min(got[1], when)
            got[2].extend(due)
    if calling or _called_today(dy, cid):
        return out  # (a call about the account is due or was made today: the ladder's contact waits)
    recent = _contacted(dy, cid, dy.on - dy._gap + _ONE, dy.on - _ONE)  # (in the gap before the day)
    for cur, (s, when, nums) in contacts.items():
        if idx[s.id] < recent:
            continue  # no milder contact within the gap after one
        # (a quiet invoice goes along only if the contact's step is further than any done on
        # it: never a step done again on an invoice, never one back down the ladder)
        # (nor one with a step done within the gap: not a final notice over an invoice called today)
        more = [n for n in quiet if states[n].invoice.currency == cur and n not in nums
                and _furthest_done(dy, n) < idx[s.id] and not _invoices_hidden((n,), hidden)
                and not _stepped_since(dy, n, dy.on - dy._gap + _ONE)]
        out.append((s, when, tuple(sorted(nums + more, key=dy.eng.rank.__getitem__))))
    if early and not contacts and not paused and not on_hold and recent < 0 and _contacted(dy, cid, dy.on, dy.on) < 0:
        out.extend(early)
    return out


def _called_today(dy: Day, cid: str) -> bool:
    """Was the call about a broken promise or a missed installment made on the day, with no
    ladder step done that day (one done before the call stays the day's, shown done)?"""
    steps = dy.steps_by_id
    called = False
    for a in dy.eng.done_between(cid, dy.on, dy.on):
        if a.step in steps:
            return False
        called = called or (a.step or "").startswith(("promise:", "installment:"))
    return called


def _stepped_since(dy: Day, number: str, first: date) -> bool:
    """Was a ladder step done on the invoice on ``first`` or later (up to the day)?"""
    done = dy.done_steps(number)
    return bool(done) and done[-1][0] >= first


def _furthest_done(dy: Day, number: str) -> int:
    """The ladder index of the furthest step done on the invoice (-1: none)."""
    idx = dy._step_idx
    return max((idx.get(sid, -1) for _, sid, _ in dy.done_steps(number)), default=-1)


def _invoices_hidden(nums, hidden) -> bool:
    """Are these invoices under a snooze of a ladder step (or a skip of one today)?"""
    return any(invoices is not None and (not invoices or set(invoices) & set(nums)) for _, invoices in hidden)


def _contacted(dy: Day, cid: str, first: date, last: date) -> int:
    """The ladder index of the furthest step (not a hand-over) done for the client from
    ``first`` to ``last``; the call about a broken promise or a missed installment counts as
    the furthest of all; -1: none."""
    steps = dy.steps_by_id
    idx = dy._step_idx
    got = -1
    for a in dy.eng.done_between(cid, first, last):
        s = steps.get(a.step) if a.step else None
        if s is not None and not s.escalate:
            got = max(got, idx[s.id])
        elif (a.step or "").startswith(("promise:", "installment:")):  # (the call about the account)
            got = len(idx)
    return got


def _key_hidden(key: str, hidden) -> bool:
    """Is the action with this key (not a ladder step's) snoozed or skipped?"""
    return any(step is None or step == key for step, _ in hidden)


def _visible(sid: str, nums, hidden) -> list[str]:
    """The invoices of step ``sid``'s group that no snooze or skip in force hides: a pause of
    the whole client or of this action hides them all; one of a ladder step hides its own
    invoices only (before, the others of the group too: an invoice falling due during a
    snooze of a reminder on older ones was hidden with them)."""
    keep = list(nums)
    for step, invoices in hidden:
        if step is None or (invoices is None and step == sid) or (invoices is not None and not invoices):
            return []
        if invoices is not None:
            keep = [n for n in keep if n not in invoices]
    return keep


def _client_actions(dy: Day, cid: str) -> list[Action]:
    eng, policy, on = dy.eng, dy.policy, dy.on
    client = eng.book.clients.get(cid)
    if client is None:
        return []
    status = dy.status(cid)
    open_ = dy.by_client.get(cid, ())
    states = dy.states
    out: list[Action] = []
    name = client.name
    hidden = _hidden(dy, cid)

    def total(nums) -> tuple[Decimal, Decimal, int]:
        amt = over = ZERO
        days = 0
        for n in nums:
            st = states.get(n)
            if st is None:
                continue
            amt += st.outstanding
            if st.days_overdue > 0:
                over += st.outstanding
                days = max(days, st.days_overdue)
        return amt, over, days

    # ladder
    if open_ and policy.steps:
        tol = policy.ladder.tolerance
        off = dy.off_ladder_invoices(cid)
        cal = calendar_for(policy)
        groups: dict[tuple[str, str], list] = {}
        quiet: list[str] = []  # overdue on the ladder, no step due on them today
        overdue = dy.overdue
        for st in open_:
            number = st.invoice.number
            if st.disputed or st.outstanding < tol or number in off:
                continue
            cur = st.invoice.currency
            got = dy.due_step(st, overdue.get((cid, cur), ZERO), cal)
            if got is not None and got[0].after_due_days < 0 and st.days_overdue > 0:
                got = None  # a step for before the due date ("due shortly") is not for an overdue invoice
            if got is None:
                if st.days_overdue > 0:
                    quiet.append(number)
                continue
            s, when = got
            g = groups.get((cur, s.id))
            if g is None:
                groups[(cur, s.id)] = [s, when, [number]]
            else:
                g[2].append(number)
                if when < g[1]:
                    g[1] = when
        # a broken promise's call (or a missed installment's), due that day and not snoozed or
        # skipped, is the call about the account: the ladder's contact waits
        calling = any(ps.state == "broken" and any(n in states for n in ps.invoices)
                      and not _key_hidden(f"promise:{ps.promise.id}", hidden) for ps in status.promises)
        plan = status.plan
        if plan is not None and plan.next_index is not None and on > plan.plan.installments[plan.next_index].due:
            calling = calling or not _key_hidden(f"installment:{plan.plan.id}:{plan.next_index + 1}", hidden)
        contacts = []
        for s, when, nums in _one_contact(dy, cid, groups, quiet, hidden, calling, status.hold):
            amt, over, days = total(nums)
            if s.escalate:
                reason = f"{len(nums)} invoice{'s' if len(nums) > 1 else ''} {days} days overdue: hand over to {'the agency' if s.escalate == 'agency' else 'legal'}"
            elif days:
                reason = f"{len(nums)} invoice{'s' if len(nums) > 1 else ''} up to {days} days overdue"
            else:
                first_due = min(states[n].invoice.due for n in nums)
                reason = f"{len(nums)} invoice{'s' if len(nums) > 1 else ''} due {first_due.isoformat()}"
            contacts.append(_action(dy, cid, name, "step", s.id, s.channel, nums, amt, over, days,
                                    states[nums[0]].invoice.currency, s.template, s.title or s.id, reason, when,
                                    None, s.escalate, s.credit_hold, f"{s.id}", tier=2 if s.escalate else 1))
        out.extend(_credit_first(dy, cid, name, contacts, total))

    # broken promises
    for ps in status.promises:
        if ps.state != "broken":
            continue
        nums = tuple(n for n in ps.invoices if n in states)
        if not nums:
            continue
        p = ps.promise
        amt, over, days = total(nums)
        reason = (f"promised {to_text(p.amount, p.currency)} {p.currency} by {p.by.isoformat()}; "
                  f"{to_text(ps.paid, p.currency)} paid since {p.made.isoformat()}")
        out.append(_action(dy, cid, name, "promise", None, "phone", nums, amt, over, days, p.currency,
                           "broken_promise", "Broken promise", reason, ps.deadline + _ONE, p.id, None, False,
                           f"promise:{p.id}", tier=2))

    # the active plan's next installment
    if status.plan is not None and status.plan.next_index is not None:
        ps = status.plan
        pl = ps.plan
        k = ps.next_index
        inst = pl.installments[k]
        cum = sum((i.amount for i in pl.installments[: k + 1]), ZERO)
        short = cum - ps.paid
        nums = tuple(n for n in pl.invoices if n in states)
        if nums:
            amt, over, days = total(nums)
            cur = pl.currency
            label = (f"installment {k + 1} of {len(pl.installments)} ({to_text(inst.amount, cur)} {cur}) "
                     f"due {inst.due.isoformat()}")
            if on > inst.due:
                key = f"installment:{pl.id}:{k + 1}"
                since = inst.due + _ONE
                if not dy._logged(cid, key, since, nums):
                    out.append(_action(dy, cid, name, "installment", None, "phone", nums, amt, over, days,
                                       pl.currency, "installment_missed", "Missed installment",
                                       f"{label}; {to_text(short, cur)} {cur} still to pay", since, pl.id, None, False,
                                       key, tier=1, weight=short))
            elif on >= inst.due - timedelta(days=INSTALLMENT_REMINDER_DAYS):
                key = f"installment-reminder:{pl.id}:{k + 1}"
                since = inst.due - timedelta(days=INSTALLMENT_REMINDER_DAYS)
                if not dy._logged(cid, key, since, nums):
                    out.append(_action(dy, cid, name, "installment", None, "email", nums, amt, ZERO, 0,
                                       pl.currency, "installment_reminder", "Installment reminder",
                                       label, since, pl.id, None, False, key, tier=1))

    # disputes that need a review
    review = timedelta(days=policy.ladder.dispute_review_days)
    for d in status.disputes:
        if d.invoice not in states:
            continue
        last = eng.last_touch(cid, d.invoice, d.opened, on)
        since = last + review
        if since > on:
            continue
        amt, over, days = total((d.invoice,))
        cur = states[d.invoice].invoice.currency
        # an internal review (the owner's own notes on it): nothing goes to the client, so it is not
        # an e-mail, and it is logged as done, never as "email sent"
        out.append(_action(dy, cid, name, "dispute", None, "other", (d.invoice,), amt, over, days, cur,
                           "dispute_review", "Review dispute",
                           f"disputed since {d.opened.isoformat()} with no follow-up for {(on - last).days} days: {_one_line(d.reason)}",
                           since, d.id, None, False, f"dispute:{d.id}", tier=1))

    # credit review
    if status.credit_review_due is not None:
        cc = client.credit_check
        out.append(_action(dy, cid, name, "credit_review", None, "other", (), ZERO, ZERO, 0, client.currency,
                           "credit_review", "Credit review",
                           f"credit check of {cc.date.isoformat()} ({cc.source or 'no source'}, rating {cc.rating or '-'}) is over {policy.ladder.credit_review_days} days old",
                           status.credit_review_due, None, None, False, "credit_review", tier=0))

    if hidden:  # (the ladder's own were left out, invoice by invoice, before they were made)
        out = [a for a in out if a.kind == "step" or not _is_hidden(a, hidden)]
    return out


def _credit_first(dy: Day, cid: str, name: str, contacts: list[Action], total) -> list[Action]:
    """The ladder's actions of the day with the client's unallocated credit (an overpayment, a
    credit note on no invoice) in each currency taken into account: where it covers what
    every ladder action of that currency is about (what their invoices owe), they give way
    to one ``credit`` action, "Apply credit", done by putting the credit on the invoices
    (``dun credit``, ``k`` in the app) — the firm already holds that money, so no reminder,
    final notice, credit hold or hand-over goes out over it. Where it covers part, the
    ladder goes on and each action's reason says how much the credit covers.

    The interest is not changed: Late Payment of Commercial Debts (Interest) Act 1998,
    s.4(7): "Statutory interest ceases to run when the interest would cease to run if it
    were carried under an express contract term" — that is, when the debt is paid; and
    money held unappropriated (neither the client nor the firm has put it on the invoice)
    is not payment of that invoice until it is put there. So interest runs on until the
    credit is applied (on the day ``dun credit --on`` gives), and the reason says so."""
    if not contacts:
        return contacts
    by_cur: dict[str, list[Action]] = {}
    for a in contacts:
        by_cur.setdefault(a.currency, []).append(a)
    out: list[Action] = []
    for cur, acts in by_cur.items():
        credit = dy.credit.get((cid, cur), ZERO)
        if credit <= 0:
            out.extend(acts)
            continue
        nums = tuple(sorted((n for a in acts for n in a.invoices), key=dy.eng.rank.__getitem__))
        amt, over, days = total(nums)
        c_txt, a_txt = to_text(credit, cur), to_text(amt, cur)
        if credit < amt:
            for a in acts:
                part = to_text(min(credit, a.amount), cur)
                out.append(replace(a, reason=f"{a.reason}; client credit {c_txt} {cur} covers {part} of "
                                             f"{to_text(a.amount, cur)}: apply it with dun credit {cid} (k in the app)"))
            continue
        held = ", ".join(a.title for a in acts)
        reason = (f"client credit {c_txt} {cur} covers the {a_txt} {cur} owed on {len(nums)} "
                  f"invoice{'s' if len(nums) > 1 else ''}" + (f" up to {days} days overdue" if days else "")
                  + f" ({held} held back): apply it with dun credit {cid} (k in the app); "
                  "interest runs on them until it is applied")
        out.append(_action(dy, cid, name, "credit", None, "other", nums, amt, over, days, cur, "apply_credit",
                           "Apply credit", reason, min(a.since for a in acts), None, None, False,
                           f"credit:{cur}", tier=1))
    return out


def _one_line(text: str, width: int = 80) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _action(dy: Day, cid, name, kind, step, channel, nums, amt, over, days, cur, template, title, reason,
            since, ref, escalate, credit_hold, key, tier: int, weight: Decimal | None = None) -> Action:
    risk = dy.risk(cid).score
    base = over if weight is None else weight
    weighted = (base * (HUNDRED + risk) / HUNDRED).quantize(Decimal("0.01"))
    return Action(
        client=cid, kind=kind, step=step, channel=channel, invoices=tuple(nums), amount=amt, currency=cur,
        template=template, title=title, reason=reason, since=since, ref=ref, escalate=escalate,
        credit_hold=credit_hold, priority=(tier, weighted, days), client_name=name, overdue=over,
        days_overdue=days, risk=risk, key=key,
    )
