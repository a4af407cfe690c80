"""The demo's follow-up log: every ladder step of the policy carried out up to two business
days ago (respecting ``min_gap_days``, ``min_overdue``, the tolerance and the pauses for
promises, disputes and plans)."""
from __future__ import annotations

import heapq
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from ..model import Client
from ..policy import LadderSettings, Step
from .records import CENT, DAY, ZERO, Inv, Out, weekday

LAG_DAYS = 2  # the owner has done every action due up to two business days ago


def _cutoff(today: date) -> date:
    """The owner has done every action due up to LAG_DAYS business days before today
    (a weekend counts as the Friday before it)."""
    d = today
    while d.weekday() >= 5:
        d -= DAY
    for _ in range(LAG_DAYS):
        d -= DAY
        while d.weekday() >= 5:
            d -= DAY
    return d


_STEP_BODY = {
    "email": "Sent the {title} for {invoices}.",
    "letter": "Posted the {title} for {invoices}.",
}
_CALL_NOTES = (
    "Spoke to {who}; payment run is on Friday.",
    "Spoke to {who}: invoice approved, waiting for sign-off.",
    "{who} says the invoice was never received; re-sent it.",
    "Spoke to {who}; cash flow is tight this month, will pay what they can.",
)


def follow_ladder(rng: random.Random, by_client: dict[str, list[Inv]], clients: dict[str, Client],
            steps: tuple[Step, ...], ladder: LadderSettings, today: date, out: Out) -> dict[str, date]:
    """Carry out the ladder up to two days ago; returns clients put on hold (and since when)."""
    cutoff = _cutoff(today)
    gap = timedelta(days=ladder.min_gap_days)
    tolerance = ladder.tolerance or ZERO
    grace = timedelta(days=ladder.promise_grace_days)
    held: dict[str, date] = {}
    for cid, invs in by_client.items():
        c = clients[cid]
        who = c.contacts[0].name.split()[0] if c.contacts and c.contacts[0].name else "accounts"
        # an e-mail step for a client with no address went by post (as dun mail makes a letter)
        by_mail = "email" if c.email else "letter"
        heap: list[tuple[date, int, int]] = []  # (date, step index, invoice position)
        last: dict[int, date] = {}
        for pos, inv in enumerate(invs):
            nxt = _next_date(inv, 0, None, steps, gap)
            if nxt is not None and nxt <= cutoff:
                heapq.heappush(heap, (nxt, 0, pos))
        while heap:
            d = heap[0][0]
            group: dict[int, list[int]] = defaultdict(list)
            while heap and heap[0][0] == d:
                _, si, pos = heapq.heappop(heap)
                group[si].append(pos)
            for si, positions in sorted(group.items()):
                step = steps[si]
                done: list[Inv] = []
                done_pos: list[int] = []
                for pos in positions:
                    inv = invs[pos]
                    owed = inv.outstanding(d)
                    if (inv.settled is not None and inv.settled <= d) or owed < max(tolerance, CENT):
                        continue
                    if step.min_overdue is not None and owed < step.min_overdue and \
                            _client_overdue(invs, d) < step.min_overdue:
                        _push(heap, inv, si + 1, last.get(pos), steps, gap, cutoff, pos)  # skipped
                        continue
                    done.append(inv)
                    done_pos.append(pos)
                    last[pos] = d
                if not done:
                    continue
                numbers = tuple(i.number for i in done)
                channel = by_mail if step.channel == "email" else step.channel
                kw: dict = {"channel": channel, "step": step.id, "invoices": numbers, "outcome": "sent"}
                text = ", ".join(numbers)
                if step.channel == "phone":
                    outcome = rng.choices(("reached", "voicemail", "no_answer"), weights=(60, 25, 15))[0]
                    kw["outcome"] = outcome
                    kw["body"] = (rng.choice(_CALL_NOTES).format(who=who) if outcome == "reached"
                                  else f"Called about {text}; left a message." if outcome == "voicemail"
                                  else f"Called about {text}; no answer.")
                    if outcome == "reached" and len(done) == 1:
                        inv = done[0]
                        if inv.settled is not None and inv.settled - d <= timedelta(days=12) and rng.random() < 0.35:
                            by = max(d + DAY, inv.settled - timedelta(days=rng.randint(0, 2)))
                            out.promises.append((d, cid, inv.outstanding(d), inv.currency, by, (inv.number,)))
                            kw["body"] = f"Spoke to {who}: promised to pay {inv.number} by {by.isoformat()}."
                            inv.pauses.append((d, by + grace + DAY))
                        elif (inv.settled is None or inv.settled > d + timedelta(days=20)) and rng.random() < 0.2:
                            by = d + timedelta(days=rng.randint(4, 8))
                            out.promises.append((d, cid, inv.outstanding(d), inv.currency, by, (inv.number,)))
                            kw["body"] = f"Spoke to {who}: promised to pay {inv.number} by {by.isoformat()}."
                            inv.pauses.append((d, by + grace + DAY))
                            chase = weekday(by + grace + DAY)
                            if chase <= cutoff and (inv.settled is None or inv.settled > chase):
                                out.activity(chase, cid, channel=by_mail, invoices=(inv.number,), outcome="sent",
                                             body=f"Payment promised for {by.isoformat()} has not arrived; asked for a new date.")
                else:
                    kw["body"] = _STEP_BODY.get(channel, "{title}: {invoices}.").format(
                        title=(step.title or step.id).lower(), invoices=text)
                if step.escalate:
                    kw["outcome"] = "handed over"
                    kw["body"] = f"Handed {text} over to the collection agency."
                out.activity(d, cid, **kw)
                for inv, pos in zip(done, done_pos):
                    if step.credit_hold and (inv.settled is None or inv.settled > today):
                        held[cid] = max(held.get(cid, d), d)
                    if not step.escalate:
                        _push(heap, inv, si + 1, d, steps, gap, cutoff, pos)
    return held


def _push(heap, inv: Inv, si: int, last: date | None, steps, gap, cutoff: date, pos: int) -> None:
    nxt = _next_date(inv, si, last, steps, gap)
    if nxt is not None and nxt <= cutoff:
        heapq.heappush(heap, (nxt, si, pos))


def _next_date(inv: Inv, si: int, last: date | None, steps: tuple[Step, ...], gap: timedelta) -> date | None:
    if si >= len(steps):
        return None
    d = inv.due + timedelta(days=steps[si].after_due_days)
    if d < inv.issued:
        d = inv.issued
    if last is not None and d < last + gap:
        d = last + gap
    for start, end in sorted(inv.pauses, key=lambda p: p[0]):
        if d >= start and (end is None or d < end):
            if end is None:
                return None
            d = end
    return weekday(d)


def _client_overdue(invs: list[Inv], on: date) -> Decimal:
    return sum((i.outstanding(on) for i in invs if i.due < on and i.issued <= on), ZERO)
