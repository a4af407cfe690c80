"""Each client's ledger while a file of payments is imported: worked out once, then what the
file's earlier rows paid is counted, so a row puts its payment on what is still owed after
them (:func:`receivables.imports.import_payments`)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from .ledger import Ledger, allocate, derive, oldest_due_first
from .model import Book, Invoice, Payment


class ClientScopes:
    """Each client's ledger, worked out once (payments allocation): a row then puts its
    payment on what the invoices still owe after the earlier rows (``taken``)."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.invoices: dict[str, dict[str, Invoice]] = defaultdict(dict)
        self.payments: dict[str, list[Payment]] = defaultdict(list)
        self.adjustments: dict[str, list] = defaultdict(list)
        self.disputes: dict[str, list] = defaultdict(list)
        for inv in book.invoices.values():
            self.invoices[inv.client][inv.number] = inv
        for p in book.payments:
            self.payments[p.client].append(p)
        for a in book.adjustments:
            self.adjustments[a.client].append(a)
        for d in book.disputes:
            self.disputes[d.client].append(d)
        self._ledgers: dict[str, Ledger] = {}
        self._queues: dict[tuple[str, str], list] = {}  # (client, currency): its open invoices in order
        self._heads: dict[tuple[str, str], int] = {}  # ... and how many of them earlier rows paid off
        self.taken: dict[str, Decimal] = defaultdict(Decimal)

    def ledger(self, cid: str) -> Ledger:
        got = self._ledgers.get(cid)
        if got is None:
            sub = Book(clients={cid: self.book.clients[cid]}, invoices=self.invoices.get(cid, {}),
                       payments=tuple(self.payments.get(cid, ())), adjustments=tuple(self.adjustments.get(cid, ())),
                       disputes=tuple(self.disputes.get(cid, ())), partial=True)
            got = self._ledgers[cid] = derive(sub, date.max)  # everything recorded, whatever its date
        return got

    def allocate(self, cid: str, currency: str, amount: Decimal, named: list[str], when: date):
        """The allocations of a payment of ``when`` and the rest (credit): on the ``named``
        invoices in that order, else on the client's invoices issued by ``when``, oldest due
        first (ledger.propose_allocation); the rows taken before it count as paid."""
        ledger = self.ledger(cid)
        if named:
            return allocate([ledger.invoices[n] for n in named if n in ledger.invoices], currency, amount, self.taken)
        key = (cid, currency)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = oldest_due_first(ledger.open_invoices(cid, currency))
        # the invoices at the head that earlier rows paid off stay paid: start after them
        head, taken = self._heads.get(key, 0), self.taken
        while head < len(queue) and queue[head].outstanding <= taken.get(queue[head].invoice.number, 0):
            head += 1
        self._heads[key] = head
        targets = (queue[i] for i in range(head, len(queue)) if queue[i].invoice.issued <= when)
        return allocate(targets, currency, amount, taken)

    def currencies(self, cid: str) -> set[str]:
        """The currencies of the client's invoices."""
        return {inv.currency for inv in self.invoices.get(cid, {}).values()}

    def paid_by(self, number: str, amount: Decimal) -> Payment | None:
        """The payment of exactly ``amount`` on the invoice ``number``, when nothing is owed on
        it any more (a row for that invoice and amount is most likely the same money)."""
        inv = self.book.invoices[number]
        state = self.ledger(inv.client).invoices.get(number)
        if state is None or state.outstanding - self.taken.get(number, Decimal(0)) > 0:
            return None
        return next((p for p in self.payments.get(inv.client, ()) if p.amount == amount
                     and any(a.invoice == number and a.amount == amount for a in p.allocations)), None)

    def take(self, payment: Payment) -> None:
        """A row's payment is in: later rows see it."""
        for a in payment.allocations:
            self.taken[a.invoice] += a.amount
