"""``dun receipts``: the unmatched bank receipts (list, match, ignore). (``dun import xero|bank``
is ``dun import``'s, through store.importing.)"""
from __future__ import annotations

import argparse
from dataclasses import replace

from cli.common import dump as _dump, open_repo
from cli.main import add_json, add_on
from receivables.errors import DunError


def register(sub, common) -> None:
    F = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("receipts", parents=[common], formatter_class=F, help="bank receipts no client was matched to",
                       description="List the bank receipts 'dun import bank' could not match with certainty, with\n"
                                   "the best candidates; match one to a client (and invoices), or ignore one that\n"
                                   "is not a client's payment. Matching remembers the payer's name for the client.\n\n"
                                   "  dun receipts                                   list them\n"
                                   "  dun receipts match RCP-... CLIENT [--invoice N]  record it as CLIENT's payment\n"
                                   "  dun receipts ignore RCP-...                    not a client's payment")
    p.add_argument("action", nargs="?", choices=("list", "match", "ignore"), default="list", metavar="ACTION",
                   help="list (default), match or ignore")
    p.add_argument("receipt", nargs="?", metavar="RECEIPT", help="the receipt id (RCP-...)")
    p.add_argument("client", nargs="?", metavar="CLIENT", help="match: the client id")
    p.add_argument("--invoice", action="append", default=[], metavar="N",
                   help="match: an invoice to pay (repeatable; default: the oldest due first)")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_receipts)


def _open(args, readonly: bool, command: str):
    return open_repo(args, readonly, command)


def cmd_receipts(args) -> int:
    from receivables.matching import OpenItems, accept, suggest, unmatched
    from receivables.money import to_text

    if args.action == "list":
        with _open(args, readonly=True, command="dun receipts") as repo:
            book = repo.book()
            todo = unmatched(book)
            items = OpenItems(book) if todo else None
            rows = [(r, suggest(book, r, items)) for r in todo]
        if args.json:
            _dump([{"id": r.id, "date": r.date.isoformat(), "amount": to_text(r.amount, r.currency),
                    "currency": r.currency, "payer": r.payer, "text": r.text, "source": r.source,
                    "suggestions": [{"client": c.client, "points": c.points, "why": list(c.why),
                                     "invoices": list(c.invoices)} for c in s]} for r, s in rows])
            return 0
        if not rows:
            print("no unmatched receipts")
            return 0
        for r, s in rows:
            print(f"{r.id}  {r.date}  {to_text(r.amount, r.currency):>12} {r.currency}  {_safe(r.payer) or '?'}  "
                  f"{_safe(r.text)}")
            for c in s:
                print(f"    {c.points}  {_safe(c.describe())}")
            if not s:
                print(f"    no candidate: dun receipts match {r.id} CLIENT (or ignore it)")
        return 0
    if not args.receipt:
        raise DunError(f"name the receipt to {args.action}", "dun receipts", "list them with 'dun receipts'")
    with _open(args, readonly=False, command=f"dun receipts {args.action}") as repo:
        book = repo.book()
        receipt = next((r for r in book.receipts if r.id == args.receipt), None)
        if receipt is None:
            raise DunError(f"no receipt {args.receipt!r}", "dun receipts", "list them with 'dun receipts'")
        if args.action == "ignore":
            if receipt.payment:
                raise DunError(f"became payment {receipt.payment}", f"receipt {receipt.id}", "it cannot be ignored")
            repo.commit([], [replace(receipt, ignored=True)])
            print(f"{receipt.id} ignored: not a client's payment")
            return 0
        if not args.client:
            raise DunError("name the client", "dun receipts match", "dun receipts match RCP-... CLIENT [--invoice N]")
        records, updates = accept(book, receipt, args.client, tuple(args.invoice))
        repo.commit(records, updates)
    pay = records[0]
    to = ", ".join(f"{a.invoice} {to_text(a.amount, pay.currency)}" for a in pay.allocations) or "client credit"
    print(f"recorded {pay.id}: {to_text(pay.amount, pay.currency)} {pay.currency} from {pay.client} on {pay.date} -> {to}")
    return 0


def _safe(text: str) -> str:
    """Bank text printed to a terminal: control characters shown, never sent raw."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
