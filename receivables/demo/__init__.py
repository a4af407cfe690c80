"""Realistic, deterministic demo data: ``generate(clients, invoices, seed, today) -> Book``.

Everything comes from ``random.Random(seed)`` and the ``today`` you pass; nothing reads the
clock, so the same arguments always give the same book. Floats only ever decide *dates*
and *probabilities*; every amount is built from whole minor units and ``Decimal``.

What the book holds, in the proportions a small B2B firm sees:

- clients with UK/EU-ish names (a few with accents, apostrophes, an ampersand, quotes),
  contacts (one or two without e-mail), billing addresses, terms of 7-60 days, credit
  limits, credit checks (some stale), mostly GBP with a few EUR and USD clients;
- per-client paying behaviour: prompt, steady, slow and late payers, and one client who
  used to pay on time and is getting later and later;
- invoices over the last ~18 months (a third with line items, UK VAT on GBP invoices),
  partial payments, batched remittances, bank charges written off, an overpayment kept
  as credit, credit notes, a bad debt written off, disputes (open and resolved),
  promises to pay (kept and broken) and a payment plan;
- the follow-up log: every ladder step of the policy carried out up to two days ago
  (respecting ``min_gap_days``, ``min_overdue``, the tolerance and pauses for promises,
  disputes and plans), so the agenda for ``today`` holds a sensible handful of actions.

The work is done in steps, one module each: :mod:`.clients` (names, contacts, behaviour),
:mod:`.invoices` (invoices and when each gets paid), :mod:`.scenarios` (plans, disputes,
promises, then the payments), :mod:`.ladder` (the follow-up log) and :mod:`.records` (the
working records and the final book). Its speed is measured in ``benchmarks/``.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from ..dates import FIRST_DATE, LAST_DATE
from ..errors import DunError
from ..model import Book, Client
from ..policy import LadderSettings, Policy
from ..slugs import slugify
from .clients import make_clients
from .invoices import decide_fates, make_invoices
from .ladder import follow_ladder
from .records import DEFAULT_STEPS, Inv, Out, assemble
from .scenarios import play_scenarios, settle

__all__ = ["DEFAULT_STEPS", "generate", "slugify"]


def generate(clients: int = 40, invoices: int = 600, seed: int = 1, today: date | None = None,
             policy: Policy | None = None) -> Book:
    """A realistic demo book as of ``today`` (required: nothing here reads the clock)."""
    if today is None:
        raise ValueError("generate() needs today= (the demo is built as of that date)")
    if clients < 1 or invoices < 0:
        raise ValueError("clients must be at least 1 and invoices not negative")
    earliest, latest = FIRST_DATE + timedelta(days=3 * 365), LAST_DATE - timedelta(days=365)
    if not earliest <= today <= latest:  # its history and its terms stay inside the book's window
        raise DunError(f"a demo book cannot be made as of {today.isoformat()}", "--on",
                       f"use a date from {earliest.isoformat()} to {latest.isoformat()}")
    rng = random.Random(seed)
    steps = policy.steps if policy is not None and policy.steps else DEFAULT_STEPS
    ladder = policy.ladder if policy is not None else LadderSettings()
    terms_default = policy.defaults.terms_days if policy is not None else 30
    out = Out()

    client_recs, profiles = make_clients(rng, clients, today, terms_default)
    invs = make_invoices(rng, client_recs, profiles, invoices, today)
    by_client: dict[str, list[Inv]] = defaultdict(list)
    for inv in invs:
        by_client[inv.client].append(inv)

    decide_fates(rng, invs, profiles, today)
    play_scenarios(rng, by_client, profiles, client_recs, today, ladder, out)
    settle(rng, by_client, profiles, client_recs, today, out)
    held = follow_ladder(rng, by_client, client_recs, steps, ladder, today, out)

    for cid in held:
        c = client_recs[cid]
        client_recs[cid] = Client(**{**_fields(c), "hold": True,
                                     "hold_reason": f"Final notice sent {held[cid].isoformat()}: no new work until the account is paid"})
    return assemble(client_recs, invs, out)


def _fields(c: Client) -> dict:
    return {k: getattr(c, k) for k in Client.__slots__}
