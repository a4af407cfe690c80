"""Posting charge documents (claims of interest and compensation, dunning fees).

The one store function the CLI and the app both go through (see :mod:`receivables.claims`
for the rules). Documents are numbered in the policy's series, checked against the
client's records (the same day of interest or the same compensation is never claimed
twice) and saved in one journal entry with what caused them.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from receivables import claims
from receivables.errors import DunError
from receivables.model import Activity, Book, Invoice


def numbered(repo: Any, docs: list[Invoice], prefix: str) -> list[Invoice]:
    """``docs`` with the next free numbers of the series ``prefix``."""
    taken = list(repo._key_map("invoices"))
    out = []
    for d in docs:
        n = claims.next_number(taken, prefix)
        taken.append(n)
        out.append(replace(d, number=n))
    return out


def problems(repo: Any, docs: list[Invoice]) -> list:
    """What is wrong with posting ``docs`` on top of their client's records."""
    from receivables import validate as v

    out = []
    for d in docs:
        out += v.check_invoice(d, repo.clients())
        scope: Book = repo.client_book(d.client)
        others = [x for x in docs if x is not d and x.client == d.client]
        book = replace(scope, invoices={**scope.invoices, **{x.number: x for x in others}, d.number: d})
        out += [p for p in claims.check_claims(book) if d.number in p.where]
    return out


def post(repo: Any, docs: list[Invoice], policy) -> list[Invoice]:
    """Number, check and save charge documents in one commit; returns them as saved."""
    repo._writable()
    with repo._mutex:
        docs = numbered(repo, list(docs), policy.interest.claim_prefix)
        repo._refuse(problems(repo, docs))
        repo._put_now(docs)
    return docs


def with_fee(repo: Any, activity: Activity) -> list[Any]:
    """The records logging ``activity`` saves: itself, and the fee document of its step if the
    step has a ``fee`` not yet posted on those invoices."""
    if not activity.step or activity.outcome in claims.NO_FEE:
        return [activity]
    try:
        policy = repo.policy()
    except DunError:  # a broken policy never stops a follow-up being logged
        return [activity]
    step = policy.step(activity.step)
    if step is None or step.fee is None:
        return [activity]
    doc = claims.fee_document(repo.client_book(activity.client), policy, activity)
    if doc is None:
        return [activity]
    doc = numbered(repo, [doc], policy.interest.claim_prefix)[0]
    repo._refuse(problems(repo, [doc]))
    return [activity, doc]


def claim(repo: Any, client_id: str, on, invoices=(), dry_run: bool = False):
    """Claim the interest and compensation ``client_id`` owes as of ``on`` (``dun claim`` and
    the app's claim dialog): the :class:`~receivables.claims.ClaimPlan`, its documents as
    posted (numbered) unless ``dry_run``."""
    from receivables.errors import DunError
    from receivables.ledger import derive

    policy = repo.policy()
    book = repo.client_book(client_id)
    if client_id not in book.clients:
        raise DunError(f"unknown client {client_id!r}", "CLIENT", "see 'dun client list' for the ids")
    plan = claims.plan_claim(derive(book, on), policy, client_id, on, invoices)
    if dry_run:
        return plan
    return replace(plan, documents=tuple(repo.post_charges(list(plan.documents))))
