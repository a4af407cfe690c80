"""Recording what happened: ``dun pay`` (a payment received) and ``dun note`` (a follow-up
or note). Their arguments are checked before the book is opened (:mod:`cli.checks`); what
needs the book (the client, its invoices, the policy's steps) once it is open."""
from __future__ import annotations

import argparse
from datetime import date

from cli.common import client_of as _client_of, dump as _dump, no_invoice as _no_invoice
from cli.common import open_repo as _open, today as _today, warn as _warn
from cli.main import add_json, add_on
from decimal import Decimal

from receivables.errors import DunError
from receivables.model import PUT_OFF

ZERO = Decimal(0)
_CHANNELS = ("email", "phone", "letter", "sms", "meeting", "other")
_NON_STEP_PREFIXES = ("promise:", "dispute:", "installment:", "installment-reminder:", "credit:")


def register(sub, common) -> None:
    F = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("pay", parents=[common], formatter_class=F, help="record a payment received",
                       description="Record a payment from CLIENT. It goes to the named --invoice(s) in order; else\n"
                                   "to the one open invoice it pays exactly, if there is one, else to the invoices\n"
                                   "of a promise in force, then the oldest due first. Anything over what is owed is\n"
                                   "kept as client credit (with a warning).")
    p.add_argument("client", metavar="CLIENT", help="the client id")
    p.add_argument("amount", metavar="AMOUNT", help="e.g. 1250.00 (plain digits, '.' for decimals)")
    p.add_argument("--invoice", action="append", default=[], metavar="N", help="an invoice to pay (repeatable)")
    p.add_argument("--reference", default="", metavar="R", help="the bank reference")
    p.add_argument("--method", default="", metavar="M", help="e.g. bank transfer, card, cheque")
    p.add_argument("--currency", default=None, metavar="C", help="ISO code (default: the client's currency)")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_pay)

    p = sub.add_parser("credit", parents=[common], formatter_class=F,
                       help="put a client's credit on its open invoices",
                       description="Put CLIENT's unallocated credit (an overpayment, a credit note on no invoice)\n"
                                   "on its open invoices: the named --invoice(s) in order, else the oldest due\n"
                                   "first, as a payment goes. Each invoice gets a 'credit applied' record (ADJ-…),\n"
                                   "which 'dun void' takes back.")
    p.add_argument("client", metavar="CLIENT", help="the client id")
    p.add_argument("--invoice", action="append", default=[], metavar="N", help="an invoice to settle (repeatable)")
    p.add_argument("--currency", default=None, metavar="C", help="ISO code (default: the client's currency)")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_credit)

    p = sub.add_parser("void", parents=[common], formatter_class=F,
                       help="void a payment, credit or promise recorded by mistake",
                       description="Void ID: a payment (PAY-…), a credit note, write-off or adjustment (ADJ-…) or a\n"
                                   "promise (PRM-…) recorded by mistake. 'dun pay' and 'dun promise' print the id;\n"
                                   "'dun client show CLIENT' and the client's screen in the app list them. It stays\n"
                                   "in the book for the record, with the date and the reason, and counts nowhere\n"
                                   "from then on, as if it had never been recorded: what a payment or credit paid is\n"
                                   "owed again (and late again, from the due date); a promise's invoices are back\n"
                                   "on the ladder. A bank receipt a payment was made from goes back to the unmatched\n"
                                   "receipts. Then record the right one.")
    p.add_argument("record", metavar="ID", help="e.g. PAY-000123, ADJ-000007, PRM-000042")
    p.add_argument("--reason", required=True, metavar="TEXT",
                   help="why, kept with it (e.g. 'wrong client', 'cheque bounced', '2027 typed for 2026')")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_void)

    p = sub.add_parser("note", parents=[common], formatter_class=F, help="log a follow-up or note",
                       description="Add an entry to the client's follow-up log (append-only). With --step and no\n"
                                   "--invoice, it covers the invoices of that client's action for the step on\n"
                                   "that date, marking the action done.")
    p.add_argument("client", metavar="CLIENT", help="the client id")
    p.add_argument("text", metavar="TEXT", help="the note (Markdown; stored verbatim)")
    p.add_argument("--channel", choices=_CHANNELS, default=None, help="how (default: the step's channel, else other)")
    p.add_argument("--invoice", action="append", default=[], metavar="N", help="an invoice concerned (repeatable)")
    p.add_argument("--step", default=None, metavar="S", help="the policy step this carries out (e.g. reminder)")
    p.add_argument("--outcome", default=None, metavar="O",
                   help="e.g. sent, reached, no_answer, voicemail (default: done for a step)")
    p.add_argument("--direction", choices=("out", "in"), default="out", help="out: we contacted them; in: they did")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_note)


def cmd_pay(args) -> int:
    from dataclasses import replace

    from datetime import timedelta

    from receivables.allocate import suggest_allocation
    from receivables.ledger import derive, propose_allocation
    from receivables.model import Payment
    from receivables.money import parse_amount, to_text

    on = _today(args)
    with _open(args, readonly=False, command="dun pay") as repo:
        book, client = _client_of(repo, args.client)
        currency, named = _currency_and_invoices(args, book, client, "payment")
        amount = parse_amount(args.amount, currency, "AMOUNT")
        if not named:  # only invoices issued by the payment date
            book = replace(book, invoices={k: v for k, v in book.invoices.items() if v.issued <= on})
        ledger = derive(book, date.max)
        if named:
            allocations, rest = propose_allocation(ledger, client.id, currency, amount, named)
        else:  # as the app proposes it: an exact invoice's amount pays that invoice; a promise's first
            grace = timedelta(days=repo.policy().ladder.promise_grace_days)
            promised = [n for p in book.promises if p.client == client.id and p.currency == currency
                        and p.made <= on <= p.by + grace for n in p.invoices]
            allocations, rest = suggest_allocation(ledger, client.id, currency, amount, list(dict.fromkeys(promised)))
        p = repo.record_payment(Payment(id="", date=on, client=client.id, amount=amount, currency=currency,
                                        method=args.method, reference=args.reference, allocations=allocations))
    if on > date.today():  # (money not received yet: it counts from that day, not before)
        _warn(f"the payment is dated {on.isoformat()}, after today ({date.today().isoformat()}): it counts from "
              f"that day; if the date is wrong, dun void {p.id} --reason TEXT and record it again")
    if rest > 0:
        owed = "the named invoices owe" if named else f"{client.id} owes"
        _warn(f"{to_text(rest, currency)} {currency} more than {owed} is kept as client credit")
    if args.json:
        _dump({"id": p.id, "date": p.date.isoformat(), "client": p.client, "amount": to_text(p.amount, currency),
               "currency": currency, "reference": p.reference, "method": p.method,
               "allocations": [{"invoice": a.invoice, "amount": to_text(a.amount, currency)} for a in p.allocations],
               "credit": to_text(rest, currency)})
        return 0
    to = ", ".join(f"{a.invoice} {to_text(a.amount, currency)}" for a in p.allocations) or "client credit"
    print(f"recorded {p.id}: {to_text(amount, currency)} {currency} from {client.id} on {on.isoformat()} -> {to}")
    print(f"  (if it was a mistake: dun void {p.id} --reason TEXT)")
    return 0


def _currency_and_invoices(args, book, client, what: str) -> tuple[str, list[str]]:
    """``--currency`` (the client's by default) and the ``--invoice``s named, each the
    client's and in that currency (one line naming the first that is not)."""
    from receivables.money import check_currency

    currency = check_currency(args.currency.strip(), "--currency") if args.currency else client.currency
    named = list(dict.fromkeys(n.strip() for n in args.invoice))
    for n in named:
        inv = book.invoices.get(n)
        if inv is None:
            raise _no_invoice(n, book, client.id)
        if inv.currency != currency:
            raise DunError(f"invoice {n} is in {inv.currency}, the {what} in {currency}", "--invoice",
                           "use --currency to match")
    return currency, named


def cmd_credit(args) -> int:
    from receivables.allocate import apply_credit
    from receivables.ledger import derive
    from receivables.money import to_text

    on = _today(args)
    with _open(args, readonly=False, command="dun credit") as repo:
        book, client = _client_of(repo, args.client)
        currency, named = _currency_and_invoices(args, book, client, "credit")
        ledger = derive(book, on)
        credit = ledger.credit(client.id, currency)
        if credit <= 0:
            raise DunError(f"{client.id} has no {currency} credit on {on.isoformat()}", "CLIENT",
                           "an overpayment or a credit note on no invoice is client credit")
        moves = apply_credit(ledger, client.id, currency, on, named)
        if not moves:
            what = "the invoices named owe" if named else f"{client.id} owes"
            raise DunError(f"{what} nothing in {currency} to put its {to_text(credit, currency)} of credit on",
                           "--invoice" if named else "CLIENT",
                           "name an open invoice, or leave out --invoice" if named else "the credit stays on the account")
        done = repo.commit(moves)
    left = credit - sum((a.amount for a in done), ZERO)
    if args.json:
        _dump({"client": client.id, "currency": currency, "credit_left": to_text(left, currency),
               "applied": [{"id": a.id, "invoice": a.invoice, "amount": to_text(a.amount, currency)} for a in done]})
        return 0
    print(f"applied {to_text(credit - left, currency)} {currency} of client credit ({client.id}): "
          + ", ".join(f"{a.invoice} {to_text(a.amount, currency)} ({a.id})" for a in done)
          + (f"; {to_text(left, currency)} {currency} of credit left" if left else ""))
    print(f"  (if it was a mistake: dun void {done[0].id} --reason TEXT, for each)")
    return 0


def cmd_void(args) -> int:
    from receivables.money import to_text
    from receivables.voiding import back_on_ladder, kind_of, owed_again

    on = _today(args)
    with _open(args, readonly=False, command="dun void") as repo:
        rec, receipt = repo.void(args.record.strip(), on, args.reason)
    cur = rec.currency
    kind, again, back = kind_of(rec), owed_again(rec), list(back_on_ladder(rec))
    if args.json:
        _dump({"id": rec.id, "kind": kind, "client": rec.client, "amount": to_text(rec.amount, cur), "currency": cur,
               "voided": rec.voided.isoformat(), "reason": rec.void_reason,
               "owed_again": [{"invoice": n, "amount": to_text(a, cur)} for n, a in again],
               "back_on_the_ladder": back,
               "receipt_unmatched": receipt.id if receipt is not None else None})
        return 0
    print(f"voided {kind} {rec.id}: {to_text(rec.amount, cur)} {cur} of {rec.client} ({rec.void_reason}); "
          "it counts nowhere now")
    if again:
        print("  owed again: " + ", ".join(f"{n} {to_text(a, cur)}" for n, a in again))
    if back:
        print("  back on the ladder: " + ", ".join(back))
    if receipt is not None:
        print(f"  bank receipt {receipt.id} is unmatched again: see 'dun receipts'")
    return 0


def cmd_note(args) -> int:
    from receivables.model import Activity

    on = _today(args)
    text = args.text
    if not text.strip():
        raise DunError("the note is empty", "TEXT", "write what happened")
    with _open(args, readonly=False, command="dun note") as repo:
        book, client = _client_of(repo, args.client)
        invoices = list(dict.fromkeys(n.strip() for n in args.invoice))
        for n in invoices:
            if n not in book.invoices:
                raise _no_invoice(n, book, client.id)
        channel = args.channel
        step = args.step.strip() if args.step else None
        if step:
            policy = repo.policy()
            ladder = {s.id: s for s in policy.steps}
            if step in ladder:
                channel = channel or ladder[step].channel
                if not invoices:
                    from receivables.agenda import invoices_for_step

                    invoices = list(invoices_for_step(book, policy, client.id, step, on))
                    if not invoices:
                        raise DunError(f"no {step!r} action is due for {client.id} on {on.isoformat()}",
                                       "--step", "name the invoices with --invoice, or check 'dun agenda'")
            elif step.startswith("credit:") and args.outcome not in PUT_OFF:
                # (the credit held is put on the invoices, or the action stays: a note does not do it)
                raise DunError(f"{step!r} is done by applying the client's credit, not by a note", "--step",
                               f"dun credit {client.id} (or skip it for the day: --outcome skipped)")
            elif not (step == "credit_review" or step.startswith(_NON_STEP_PREFIXES)):
                raise DunError(f"unknown step {step!r}", "--step",
                               f"the policy's steps are: {', '.join(ladder) or 'none'}")
        outcome = args.outcome if args.outcome is not None else ("done" if step else "")
        a = repo.log_activity(Activity(id="", date=on, client=client.id, channel=channel or "other",
                                       direction=args.direction, step=step, invoices=tuple(invoices),
                                       outcome=outcome, body=text))
        fees = list(getattr(repo, "posted_charges", ()))
    from receivables.money import to_text

    if args.json:
        _dump({"id": a.id, "date": a.date.isoformat(), "client": a.client, "channel": a.channel,
               "direction": a.direction, "step": a.step, "invoices": list(a.invoices), "outcome": a.outcome,
               "body": a.body, "charges": [d.number for d in fees]})
        return 0
    what = f"{a.step} " if a.step else ""
    on_what = f" ({', '.join(a.invoices)})" if a.invoices else ""
    print(f"logged {a.id}: {what}{a.channel} note for {a.client}{on_what} on {a.date.isoformat()}")
    for doc in fees:  # the step's dunning fee, posted with it
        print(f"posted {doc.number}: {what}fee {to_text(doc.amount, doc.currency)} {doc.currency}, due {doc.due.isoformat()}")
    return 0
