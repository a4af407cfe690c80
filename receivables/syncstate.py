""""Sync first": whether the book is behind Xero or the bank before the owner starts chasing.

A kind of import ("xero", "bank") that was used at least once is *stale* when more than
``[sync] warn_after_days`` business days (default 2; the policy's calendar) have passed
since it last ran: the business days after its date up to and including today. Unmatched
bank receipts are counted too: money may have come in for an invoice about to be chased.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from .model import Receipt, SyncMark

LABELS = {"xero": "Xero", "bank": "bank"}


@dataclass(frozen=True, slots=True)
class SyncState:
    stale: tuple[tuple[str, date, int], ...] = ()  # (kind, last import, business days since)
    unmatched: int = 0

    @property
    def warn(self) -> bool:
        return bool(self.stale or self.unmatched)

    def line(self) -> str:
        """One line for Today and ``dun agenda`` ("" when all is in step)."""
        parts = []
        for kind, last, days in self.stale:
            parts.append(f"the last {LABELS.get(kind, kind)} import was {last.isoformat()} ({days} business days ago)")
        if parts:
            text = "Sync first: " + "; ".join(parts)
            if self.unmatched:
                text += f"; {self.unmatched} bank receipt{'s' if self.unmatched != 1 else ''} unmatched"
            return text + "."
        if self.unmatched:
            many = self.unmatched != 1
            return (f"{self.unmatched} bank receipt{'s are' if many else ' is'} unmatched: "
                    f"match {'them' if many else 'it'} before chasing.")
        return ""


def business_days_between(start: date, end: date, is_business_day) -> int:
    """Business days d with start < d <= end."""
    n, d = 0, start + timedelta(days=1)
    while d <= end:
        if is_business_day(d):
            n += 1
        d += timedelta(days=1)
    return n


def sync_state(syncs: Iterable[SyncMark], receipts: Iterable[Receipt], today: date, warn_after_days: int,
               is_business_day) -> SyncState:
    stale = []
    for mark in sorted(syncs, key=lambda s: s.id):
        if mark.id not in LABELS or mark.date > today:
            continue
        days = business_days_between(mark.date, today, is_business_day)
        if days > warn_after_days:
            stale.append((mark.id, mark.date, days))
    count = sum(1 for r in receipts if not r.payment and not r.ignored)
    return SyncState(tuple(stale), count)


def state_for(book, policy, today: date) -> SyncState:
    return state_of(book.syncs, book.receipts, policy, today)


def state_of(syncs: Iterable[SyncMark], receipts: Iterable[Receipt], policy, today: date) -> SyncState:
    from .calendar import calendar_for

    return sync_state(syncs, receipts, today, policy.sync.warn_after_days,
                      calendar_for(policy).is_business_day)


__all__ = ["SyncState", "sync_state", "state_for", "state_of", "business_days_between"]
