"""``dun claim``: post the late-payment interest and compensation a client owes as a charge
document (rules in :mod:`receivables.claims`; the store numbers and saves it)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.main import add_json, add_on


def register(sub, common) -> None:
    p = sub.add_parser(
        "claim", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="post the interest and compensation a client owes as a charge document",
        description="Claim the late-payment interest and fixed compensation CLIENT owes as of --on: one\n"
                    "charge document per currency, numbered in the policy's claim_prefix series, one line\n"
                    "per invoice with the period, the rate(s) and the amount interest ran on, and the\n"
                    "policy's legal basis. Statements, the ladder and the report then treat it as an\n"
                    "invoice. Interest already claimed is never claimed again: the next claim starts the\n"
                    "day after the last day claimed; compensation is claimed once per invoice.\n\n"
                    "Without --invoice: every late invoice of the client that is not disputed.")
    p.add_argument("client", metavar="CLIENT", help="the client's id")
    p.add_argument("--invoice", action="append", default=[], metavar="N",
                   help="claim on this invoice only (repeat for more)")
    p.add_argument("--dry-run", action="store_true", help="show what would be posted; change nothing")
    add_on(p, "the claim date: interest up to and including this day (default: today)")
    add_json(p)
    p.set_defaults(handler=cmd_claim)


def document_json(doc) -> dict:
    """A charge document as JSON (money as decimal strings, dates ISO)."""
    from receivables.money import to_text

    cur = doc.currency
    lines = []
    for c in doc.charges:
        line = {"kind": c.kind, "invoice": c.invoice or None, "amount": to_text(c.amount, cur)}
        if c.kind == "interest":
            line.update({
                "start": c.start.isoformat(), "end": c.end.isoformat(),
                "days": sum(g.days for g in c.segments),
                "segments": [{"start": g.start.isoformat(), "end": g.end.isoformat(), "days": g.days,
                              "basis": to_text(g.basis, cur), "rate": f"{g.rate:f}"} for g in c.segments],
            })
        if c.kind == "fee":
            line.update({"step": c.step, "invoices": list(c.invoices)})
        lines.append(line)
    return {"number": doc.number or None, "client": doc.client, "issued": doc.issued.isoformat(),
            "due": doc.due.isoformat(), "currency": cur, "amount": to_text(doc.amount, cur),
            "basis": doc.note, "lines": lines}


def render(doc, posted: bool) -> str:
    """The document as text; names and notes from the book never drive the terminal."""
    from receivables.claims import document_lines

    return "\n".join("".join(ch if ch.isprintable() else "?" for ch in line) for line in document_lines(doc, posted))


def cmd_claim(args) -> int:
    from store import open_book
    from store.charges import claim

    from cli.main import book_dir, on_date

    on = on_date(args)
    with open_book(Path(book_dir(args)), readonly=args.dry_run, command="dun claim", today=on) as repo:
        plan = claim(repo, args.client, on, [n.strip() for n in args.invoice], dry_run=args.dry_run)
    docs = plan.documents
    if args.json:
        import json

        sys.stdout.write(json.dumps({"posted": not args.dry_run, "documents": [document_json(d) for d in docs],
                                     "notes": list(plan.notes)}, ensure_ascii=False, indent=2) + "\n")
        return 0
    from cli.collect_cmds import _one_line

    for d in docs:
        print(render(d, not args.dry_run))
    for n in plan.notes:
        print(f"note: {_one_line(n, 300)}", file=sys.stderr)
    return 0
