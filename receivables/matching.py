"""Bank receipts matched to clients and invoices.

Pure. :func:`import_bank` turns a :class:`~receivables.bank.Statement` into records to
commit: a :class:`~receivables.model.Receipt` for every new incoming credit (each bank
transaction once: its id is a digest of the FITID / AcctSvcrRef / CSV digest), and a
payment for each one matched with certainty. :func:`suggest` ranks the candidates of an
unmatched receipt for the Unmatched receipts screen, and :func:`accept` records one.

The evidence, per client of the receipt's currency (another currency never matches):

- **reference** (3 points): an invoice number of the client's found in the reference or
  remittance text (letters and digits compared, so ``INV0101`` finds ``INV-0101``);
- **payer** (2 points): the payer's name is the client's name (compared without case,
  accents, punctuation and words like Ltd, GmbH, plc; a name the bank cut short counts) or a
  name remembered for the client (an alias, taught by accepting a suggestion);
- **amount** (1 point): the amount equals one open invoice of the client, or its whole balance.

A receipt is matched when one client alone has reference evidence (its open named invoices
are paid in the order named), or one client alone has payer *and* amount evidence (the
invoice of that amount, else the oldest due first). Anything else (amount only, name only,
two clients with equal evidence) is left unmatched, with the candidates ranked by points.
What a payment does not need for its invoices stays as client credit.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_left
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from .bank import Statement, Txn
from .errors import DunError
from .model import Allocation, Book, Invoice, PayerAlias, Payment, Receipt, SyncMark

ZERO = Decimal(0)
BANK_METHOD = "bank transfer"
_LEGAL = {"ltd", "limited", "plc", "llc", "llp", "inc", "gmbh", "ag", "sarl", "sas", "sa", "bv", "nv", "co",
          "company", "the", "and", "srl", "spa", "oy", "ab", "as", "aps", "kg", "ug", "pty", "corp"}
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*")


def fold(name: str) -> str:
    """A name compared loosely: no case, accents, punctuation or legal-form words."""
    s = unicodedata.normalize("NFKD", name.replace("&", " and ")).encode("ascii", "ignore").decode().casefold()
    words = [w for w in re.split(r"[^a-z0-9]+", s) if w and w not in _LEGAL]
    return " ".join(words)


_NOT_KEY = re.compile(r"[^A-Za-z0-9]")
PAID_REFERENCE = "names paid "


def _key(text: str) -> str:
    t = text.replace("-", "").upper()
    return t if t.isalnum() and t.isascii() else _NOT_KEY.sub("", t)


def _keys(text: str) -> Iterator[str]:
    """The keys an invoice number in ``text`` may have: each word's, and each two adjacent
    words' joined (a bank writes "INV 2001" for INV-2001; letters and digits are compared)."""
    toks = _TOKEN.findall(text)
    for i, tok in enumerate(toks):
        yield _key(tok)
        if i + 1 < len(toks):
            yield _key(tok + toks[i + 1])


def receipt_id(txn: Txn) -> str:
    return "RCP-" + hashlib.sha256(txn.key.encode()).hexdigest()[:16]


def payment_id(receipt: Receipt) -> str:
    """The payment a receipt becomes is named after it (so the two are written together); if
    that payment was voided and the receipt matched again, the new one gets "-2", "-3"… (see
    :func:`accept`)."""
    return "PAY-B" + receipt.id[4:]  # never all digits: the store numbers its own ids PAY-000123


@dataclass(frozen=True, slots=True)
class Candidate:
    client: str
    points: int
    why: tuple[str, ...]
    invoices: tuple[str, ...] = ()  # the invoices the money would go to, in order

    def describe(self) -> str:
        return f"{self.client} ({', '.join(self.why)})" + (f" -> {', '.join(self.invoices)}" if self.invoices else "")


class BookSource:
    """What matching reads, from a whole :class:`Book` in memory (the app, ``dun receipts``).
    The store offers the same from its documents (``store.importing.RepoSource``)."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.clients = book.clients
        self.aliases = book.aliases
        self._receipts: dict[str, Receipt] | None = None

    def receipt(self, rid: str) -> Receipt | None:
        if self._receipts is None:
            self._receipts = {r.id: r for r in self.book.receipts}
        return self._receipts.get(rid)

    def sync(self, kind: str) -> SyncMark | None:
        return next((s for s in self.book.syncs if s.id == kind), None)

    def invoice_positions(self) -> tuple[list[tuple[Invoice, Decimal, bool]], list[tuple[str, str, str]]]:
        """(invoice, what it still owes, under an open dispute) for every invoice owing more than
        0, and (number, client, currency) of every other invoice (settled)."""
        book = self.book
        owed: dict[str, Decimal] = {n: inv.amount for n, inv in book.invoices.items()}
        for p in book.payments:
            for a in p.allocations:
                if a.invoice in owed:
                    owed[a.invoice] -= a.amount
        for a in book.adjustments:
            if a.invoice in owed:
                owed[a.invoice] -= a.amount
        disputed = {d.invoice for d in book.disputes if d.resolved is None}
        return ([(inv, owed[n], n in disputed) for n, inv in book.invoices.items() if owed[n] > 0],
                [(n, inv.client, inv.currency) for n, inv in book.invoices.items() if owed[n] <= 0])


class OpenItems:
    """What each client owes, invoice by invoice, kept up to date as payments are added
    (each payment updates only the invoices it pays: thousands of receipts in a large book)."""

    def __init__(self, source) -> None:
        if isinstance(source, Book):
            source = BookSource(source)
        self.clients = source.clients
        self.owed: dict[str, Decimal] = {}
        self.invoices: dict[str, Invoice] = {}
        self.by_client: dict[tuple[str, str], list[Invoice]] = defaultdict(list)  # (client, currency): oldest due first
        self.amount_invs: dict[tuple[str, str, Decimal], list[str]] = defaultdict(list)  # (client, cur, owed) -> numbers
        self.amount_clients: dict[tuple[str, Decimal], dict[str, int]] = defaultdict(dict)  # (cur, owed) -> {client: n}
        self.balance: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # (client, currency) -> what it owes
        self.balance_clients: dict[tuple[str, Decimal], set[str]] = defaultdict(set)  # (cur, balance) -> clients
        self.by_key: dict[str, list[Invoice]] = defaultdict(list)
        disputed = set()
        open_ones, settled = source.invoice_positions()
        # invoices already settled, by key: a receipt naming one is not matched by its other
        # evidence (it is likely money the book already holds, e.g. from a Xero import)
        self.settled_by_key: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for number, cid, cur in settled:
            k = _key(number)
            if len(k) >= 3:
                self.settled_by_key[k].append((number, cid, cur))
        for inv, owed, in_dispute in open_ones:
            self.owed[inv.number] = owed
            self.invoices[inv.number] = inv
            self.by_client[(inv.client, inv.currency)].append(inv)
            self.balance[(inv.client, inv.currency)] += owed
            if in_dispute:
                disputed.add(inv.number)
            k = _key(inv.number)
            if len(k) >= 3:
                self.by_key[k].append(inv)
        for invs in self.by_client.values():
            invs.sort(key=lambda i: (i.number in disputed, i.due, i.issued, i.number))
            for inv in invs:
                self._add(inv, self.owed[inv.number])
        for (cid, cur), total in self.balance.items():
            self.balance_clients[(cur, total)].add(cid)
        self.names: dict[str, set[str]] = defaultdict(set)
        for c in self.clients.values():
            f = fold(c.name)
            if f:
                self.names[f].add(c.id)
        self.aliases = {a.id: a.client for a in source.aliases}
        self.sorted_names = sorted(self.names)

    def _add(self, inv: Invoice, owed: Decimal) -> None:
        self.amount_invs[(inv.client, inv.currency, owed)].append(inv.number)
        counts = self.amount_clients[(inv.currency, owed)]
        counts[inv.client] = counts.get(inv.client, 0) + 1

    def _drop(self, inv: Invoice, owed: Decimal) -> None:
        self.amount_invs[(inv.client, inv.currency, owed)].remove(inv.number)
        counts = self.amount_clients[(inv.currency, owed)]
        counts[inv.client] -= 1
        if not counts[inv.client]:
            del counts[inv.client]

    def open_of(self, cid: str, currency: str) -> list[Invoice]:
        return list(self.by_client.get((cid, currency), ()))

    def allocate(self, cid: str, currency: str, amount: Decimal, named: tuple[str, ...] = (),
                 when: date = date.max) -> tuple[Allocation, ...]:
        """To the named invoices in order, else the oldest due first (undisputed before disputed);
        only invoices issued by ``when``, the day the money came (the rest is client credit)."""
        targets = [self.invoices[n] for n in named if n in self.invoices] if named else self.open_of(cid, currency)
        rest, out = amount, []
        for inv in targets:
            left = self.owed[inv.number]
            if rest <= 0:
                break
            if left <= 0 or inv.currency != currency or inv.issued > when:
                continue
            take = min(rest, left)
            out.append(Allocation(inv.number, take))
            rest -= take
        return tuple(out)

    def paid(self, cid: str, allocations) -> None:
        for a in allocations:
            inv = self.invoices[a.invoice]
            old = self.owed[a.invoice]
            self._drop(inv, old)
            self.owed[a.invoice] = new = old - a.amount
            if new > 0:
                self._add(inv, new)
            else:  # paid: off the client's list (found by identity: the oldest due, usually first)
                lst = self.by_client[(inv.client, inv.currency)]
                del lst[next(i for i, x in enumerate(lst) if x is inv)]
            key = (inv.client, inv.currency)
            self.balance_clients[(inv.currency, self.balance[key])].discard(inv.client)
            self.balance[key] -= a.amount
            if self.balance[key] > 0:
                self.balance_clients[(inv.currency, self.balance[key])].add(inv.client)

    def amount_of(self, cid: str, currency: str, amount: Decimal) -> str | None:
        """Whether ``amount`` is what one open invoice of the client owes (its number, the
        oldest due), or ``""`` when it is the client's whole balance; None if neither."""
        numbers = self.amount_invs.get((cid, currency, amount))
        if numbers:
            return numbers[0]
        return "" if cid in self.balance_clients.get((currency, amount), ()) else None

    # -- evidence
    def payer_clients(self, payer: str) -> set[str]:
        f = fold(payer)
        if not f:
            return set()
        out = set(self.names.get(f, ()))
        if f in self.aliases:
            out.add(self.aliases[f])
        if not out and len(f) >= 8:  # a name the bank cut short: the names that begin with it
            at = bisect_left(self.sorted_names, f)
            while at < len(self.sorted_names) and self.sorted_names[at].startswith(f):
                out |= self.names[self.sorted_names[at]]
                at += 1
        return out

    def referenced(self, keys: list[str], currency: str) -> dict[str, list[str]]:
        """client -> its open invoices named by ``keys`` (:func:`_keys` of a text), in order."""
        out: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            for inv in self.by_key.get(key, ()):
                if inv.currency == currency and self.owed[inv.number] > 0 and inv.number not in out[inv.client]:
                    out[inv.client].append(inv.number)
        return {k: v for k, v in out.items() if v}

    def paid_referenced(self, keys: list[str], currency: str) -> dict[str, list[str]]:
        """client -> its invoices named by ``keys`` that owe nothing (settled before this
        statement, or by an earlier receipt of it)."""
        out: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            hits = [(n, c) for n, c, cur in self.settled_by_key.get(key, ()) if cur == currency]
            hits += [(inv.number, inv.client) for inv in self.by_key.get(key, ())
                     if inv.currency == currency and self.owed[inv.number] <= 0]
            for n, c in hits:
                if n not in out[c]:
                    out[c].append(n)
        return dict(out)

    def candidates(self, payer: str, text: str, amount: Decimal, currency: str) -> list[Candidate]:
        keys = list(_keys(f"{text} {payer}"))
        refs = self.referenced(keys, currency)
        paid = self.paid_referenced(keys, currency) if not refs else {}
        named = self.payer_clients(payer)
        by_amount = {*self.amount_clients.get((currency, amount), ()), *self.balance_clients.get((currency, amount), ())}
        clients = self.clients
        out = []
        for cid in set(refs) | named | by_amount | set(paid):
            c = clients.get(cid)
            if c is None or c.currency != currency:
                continue
            why, points, invs = [], 0, tuple(refs.get(cid, ()))
            if invs:
                points += 3
                why.append("reference " + ", ".join(invs))
            if cid in paid:
                why.append(PAID_REFERENCE + ", ".join(paid[cid]))
            if cid in named:
                points += 2
                why.append("payer name" if cid in self.names.get(fold(payer), ()) else "known payer")
            one = self.amount_of(cid, currency, amount) if cid in by_amount else None
            if one is not None:
                points += 1
                why.append("amount of " + one if one else "amount of the balance")
                if not invs and one:
                    invs = (one,)
            out.append(Candidate(cid, points, tuple(why), invs))
        out.sort(key=lambda c: (-c.points, c.client))
        return out


def decide(cands: list[Candidate]) -> Candidate | None:
    """The one certain candidate, or None."""
    refs = [c for c in cands if c.why and c.why[0].startswith("reference")]
    if len(refs) == 1:
        return refs[0]
    if refs:
        return None
    if any(w.startswith(PAID_REFERENCE) for c in cands for w in c.why):
        # the text names only invoices already paid: most likely money the book holds already
        # (a Xero import recorded that payment), never put on another invoice by a guess
        return None
    strong = [c for c in cands if c.points >= 3]
    return strong[0] if len(strong) == 1 else None


@dataclass(slots=True)
class BankImport:
    source: str
    format: str
    records: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    already: int = 0
    outgoing: int = 0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.source} ({self.format}): {len(self.matched)} matched, {len(self.unmatched)} unmatched, "
               f"{self.already} already imported, {self.outgoing} outgoing left out"]
        out += [f"  matched: {x}" for x in self.matched]
        out += [f"  unmatched: {x}" for x in self.unmatched]
        out += [f"  skipped: {x}" for x in self.skipped]
        if self.unmatched:
            out.append("  match the unmatched ones in the app (Today: b), or with 'dun receipts'")
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())


def import_bank(st: Statement, book, today: date) -> BankImport:
    """``book``: a :class:`Book`, or a source of the same shape as :class:`BookSource`."""
    source = BookSource(book) if isinstance(book, Book) else book
    out = BankImport(st.source, st.format, skipped=list(st.skipped))
    credits = [t for t in st.txns if t.amount > 0]
    out.outgoing = sum(1 for t in st.txns if t.amount < 0)
    if st.txns and not credits:
        zero = len(st.txns) - out.outgoing
        what = (f"only outgoing transactions ({len(st.txns)})" if not zero else
                f"no money received: {out.outgoing} outgoing, {zero} of zero amount")
        raise DunError(f"holds {what}", st.source,
                       "dun imports money received: export the statement of the account clients pay into")
    billed = {c.currency for c in source.clients.values()}
    seen: dict[str, Txn] = {}
    new: list[tuple[Txn, Receipt]] = []
    for t in st.txns:
        rid = receipt_id(t)
        first = seen.get(rid)
        if first is not None:
            if (first.amount, first.date) != (t.amount, t.date):
                raise DunError(f"repeats the id {t.bank_id or t.key!r} of {first.where} with a different "
                               f"{'amount' if first.amount != t.amount else 'date'} ({first.amount} on {first.date}, "
                               f"here {t.amount} on {t.date})", t.where, "the bank's ids must be unique: ask the bank")
            continue
        seen[rid] = t
        if t.amount <= 0:
            continue
        old = source.receipt(rid)
        if old is not None:
            if (old.amount, old.date, old.currency) != (t.amount, t.date, t.currency):
                raise DunError(f"has the id {t.bank_id or t.key!r} of a receipt imported from {old.source or 'an earlier file'} "
                               f"with a different amount or date ({old.amount} {old.currency} on {old.date})", t.where,
                               "the bank's ids must be unique: check the file")
            out.already += 1
            continue
        if t.currency not in billed:
            raise DunError(f"is in {t.currency}, the currency of no client in the book "
                           f"({', '.join(sorted(billed)) or 'none yet'})", t.where,
                           "import the statement of the account in your clients' currency")
        new.append((t, Receipt(rid, t.date, t.amount, t.currency, _text(t.payer), _text(t.text), _text(st.source),
                               _text(t.bank_id))))
    items = OpenItems(source) if new else None
    for t, r in new:
        cands = items.candidates(r.payer, r.text, r.amount, r.currency)
        best = decide(cands)
        if best is None:
            out.records.append(r)
            hint = ""
            if cands:
                tie = len(cands) > 1 and cands[1].points == cands[0].points
                hint = f"; best: {cands[0].describe()}" + (" (and others as likely)" if tie else "")
            out.unmatched.append(f"{r.date} {r.amount} {r.currency} from {r.payer or '?'} {r.text!r}{hint}")
            continue
        pay = _payment(items, r, best.client, best.invoices)
        out.records += [pay, _linked(r, pay)]
        out.matched.append(f"{r.date} {r.amount} {r.currency} from {r.payer or '?'} -> {best.client}"
                           f" {', '.join(a.invoice for a in pay.allocations) or '(credit)'} ({', '.join(best.why)})")
    mark = SyncMark("bank", today, st.source, st.as_of)
    old_mark = source.sync("bank")
    if old_mark != mark:
        (out.updates if old_mark else out.records).append(mark)
    return out


def _text(text: str) -> str:
    """Bank text as stored: verbatim but for NUL characters, and its first 500 characters
    (the longest text a record field holds; a remittance rarely comes near)."""
    return text.replace("\x00", "?")[:500]


def _linked(r: Receipt, p: Payment) -> Receipt:
    return replace(r, payment=p.id)


def _payment(items: OpenItems, r: Receipt, cid: str, invoices: tuple[str, ...]) -> Payment:
    allocations = items.allocate(cid, r.currency, r.amount, invoices, r.date)
    items.paid(cid, allocations)
    ref = " ".join(x for x in (r.payer, r.text) if x)[:200]
    return Payment(payment_id(r), r.date, cid, r.amount, r.currency, BANK_METHOD, ref, allocations)


def suggest(book: Book, receipt: Receipt, items: OpenItems | None = None, limit: int = 5) -> list[Candidate]:
    """The best candidates for an unmatched receipt, best first."""
    items = items or OpenItems(BookSource(book))
    return items.candidates(receipt.payer, receipt.text, receipt.amount, receipt.currency)[:limit]


def accept(book: Book, receipt: Receipt, client: str, invoices: tuple[str, ...] = (),
           items: OpenItems | None = None) -> tuple[list, list]:
    """(new records, updates) recording ``receipt`` as ``client``'s payment for ``invoices``
    (none: the oldest due first) and remembering the payer's name for the client."""
    if receipt.payment:
        raise DunError("is already matched", f"receipt {receipt.id}", f"it became payment {receipt.payment}")
    c = book.clients.get(client)
    if c is None:
        raise DunError(f"unknown client {client!r}", f"receipt {receipt.id}", "check the client id")
    if c.currency != receipt.currency:
        raise DunError(f"the receipt is in {receipt.currency}, {client} is billed in {c.currency}",
                       f"receipt {receipt.id}", "match it to a client billed in that currency")
    for n in invoices:
        inv = book.invoices.get(n)
        if inv is None or inv.client != client:
            raise DunError(f"no invoice {n!r} for {client}", f"receipt {receipt.id}", "check the invoice number")
    items = items or OpenItems(BookSource(book))
    pay = _payment(items, receipt, client, tuple(invoices))
    taken = {v.id for v in book.voided}  # the receipt was matched before, to a payment since voided
    if pay.id in taken:
        n = 2
        while f"{pay.id}-{n}" in taken:
            n += 1
        pay = replace(pay, id=f"{pay.id}-{n}")
    updates: list = [_linked(receipt, pay)]
    key = fold(receipt.payer)
    if key and client not in items.names.get(key, ()) and items.aliases.get(key) != client:
        updates.append(PayerAlias(key, client, receipt.payer))
    return [pay], updates


def unmatched(book: Book) -> list[Receipt]:
    return [r for r in book.receipts if not r.payment and not r.ignored]


__all__ = ["BankImport", "BookSource", "Candidate", "OpenItems", "accept", "decide", "fold", "import_bank", "suggest", "unmatched",
           "receipt_id", "payment_id"]
