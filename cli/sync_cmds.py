"""Staying in step: ``dun import xero|bank`` (wired from ``dun import``) and ``dun receipts``
(the unmatched bank receipts: list, match, ignore)."""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from cli.common import dump as _dump, open_repo, today as _today, warn as _warn
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


def run_sync_import(args, path: Path, data: bytes) -> int:
    today = _today(args)
    with _open(args, readonly=args.dry_run, command=f"dun import {args.kind}") as repo:
        policy = repo.policy()
        if args.kind == "xero":
            from receivables.xero import import_xero

            result = import_xero(data, repo.book(), policy.defaults, source=path.name, today=today,
                                 paid_on=args.paid_on)
        else:  # (--paid-on with a bank statement is refused before: cli.checks)
            from receivables.bank import read_statement
            from receivables.matching import import_bank

            result = import_bank(read_statement(data, path.name, policy.bank), RepoSource(repo), today)
        if not args.dry_run and (result.records or result.updates):
            repo.commit(result.records, result.updates)
    for w in getattr(result, "warnings", ()):
        _warn(w)
    if args.json:
        fields = (("added", "updated", "paid", "voided", "credited", "skipped", "unchanged") if args.kind == "xero"
                  else ("matched", "unmatched", "already", "outgoing", "skipped"))
        _dump({"file": str(path), "kind": args.kind, "dry_run": args.dry_run,
               **{f: getattr(result, f) for f in fields},
               **({"paid_on": result.paid_on.isoformat()} if args.kind == "xero" and result.paid_on else {})})
        return 0
    lines = result.lines()
    lines[0] += "  (dry run: nothing written)" if args.dry_run else ""
    print("\n".join(_safe(line) for line in lines))
    return 0


class RepoSource:
    """What bank matching reads, straight from the store's documents (see
    :class:`receivables.matching.BookSource`): a statement of thousands of lines into a large
    book need not decode the whole book."""

    def __init__(self, repo) -> None:
        from store import codec

        self.repo, self.codec = repo, codec
        self.clients = repo.clients()
        self.aliases = [codec.alias_from_doc(d) for d in repo.documents("aliases")]
        self._receipts = {d["id"]: d for d in repo.documents("receipts")}

    def receipt(self, rid: str):
        doc = self._receipts.get(rid)
        return None if doc is None else self.codec.receipt_from_doc(doc)

    def sync(self, kind: str):
        return next((self.codec.sync_from_doc(d) for d in self.repo.documents("syncs") if d.get("id") == kind), None)

    def invoice_positions(self):
        from store.openitems import invoice_positions

        return invoice_positions(self.repo)


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
