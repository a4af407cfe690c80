"""Collection commands: agenda, report, promise, dispute, plan.

Thin wiring over :mod:`receivables.agenda` and :mod:`receivables.report` (the rules) and
the store (every write). The drafted message of each action comes from
``publish.messages.draft_from_day`` (Jinja lives in publishing, not in the domain),
imported only by ``dun agenda --json``; its facts are kept with each client's day (derived/).
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal

from cli.common import client_of as _client_of, dump as _dump, no_invoice as _no_invoice, open_repo as _open, today as _today
from cli.main import add_json, add_on, whole_number
from receivables.errors import DunError


# -- shared argument plumbing ---------------------------------------------------------------

def _date_arg(name: str):
    def parse(text: str) -> date:
        from receivables.dates import parse_date

        try:
            return parse_date(text, name)
        except DunError as e:
            raise argparse.ArgumentTypeError(e.problem.message + "; e.g. 2026-03-31") from None
    return parse


def register(sub, common) -> None:
    F = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "agenda", parents=[common], formatter_class=F, help="what to do today, most urgent first",
        description="The day's collection actions, most urgent first: escalations and broken promises,\n"
                    "then by overdue amount weighted by the client's risk. Each action names the client,\n"
                    "the step (or promise, installment, dispute, credit review), the channel, the\n"
                    "invoices and what they still owe. With --json each action carries its drafted message.\n\n"
                    "Mark an action done with: dun note CLIENT TEXT --step STEP  (no --invoice needed).")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_agenda)

    p = sub.add_parser(
        "report", parents=[common], formatter_class=F, help="aging, DSO, CEI, client risk and the cash forecast",
        description="The numbers as of --on: aging buckets, DSO, best possible DSO, ADD, countback DSO,\n"
                    "CEI (per currency), each client's figures and risk, the 13-week forecast and the\n"
                    "12-month trend. The README defines every figure.")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "promise", parents=[common], formatter_class=F, help="record a client's promise to pay",
        description="Record that CLIENT promised to pay AMOUNT by --by. The invoices it covers (given\n"
                    "with --invoice, else the client's open invoices in that currency, oldest due first,\n"
                    "until what they owe reaches AMOUNT) leave the ladder until --by plus the policy's\n"
                    "promise_grace_days; reminders on the others go on. Kept when what is paid on its\n"
                    "invoices (or left as client credit) from today reaches AMOUNT by then; otherwise a\n"
                    "broken-promise action appears the day after.")
    p.add_argument("client", metavar="CLIENT", help="the client id")
    p.add_argument("amount", metavar="AMOUNT", help="the amount promised, e.g. 1250.00")
    p.add_argument("--by", required=True, type=_date_arg("--by"), metavar="DATE", help="the date promised")
    p.add_argument("--invoice", action="append", default=[], metavar="N", help="an invoice the promise covers (repeat)")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_promise)

    p = sub.add_parser(
        "dispute", parents=[common], formatter_class=F, help="open or resolve a dispute on an invoice",
        description="Open a dispute on INVOICE (--reason), or resolve its open dispute (--resolve).\n"
                    "A disputed invoice leaves the ladder; a dispute with no activity for the policy's\n"
                    "dispute_review_days becomes a review action.")
    p.add_argument("invoice", metavar="INVOICE", help="the invoice number")
    p.add_argument("--reason", metavar="TEXT", help="why the client disputes it (or, with --resolve, how it was settled)")
    p.add_argument("--resolve", action="store_true", help="resolve the invoice's open dispute")
    p.add_argument("--credit-note", metavar="AMOUNT",
                   help="with --resolve: the amount the dispute was settled by, taken off the invoice by a "
                        "credit note dated the day it is resolved")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_dispute)

    p = sub.add_parser(
        "plan", parents=[common], formatter_class=F, help="agree a payment plan (installments)",
        description="Split what the given invoices still owe into K installments, one every DAYS days\n"
                    "from --first (amounts rounded half-up; the remainder goes on the last). The invoices\n"
                    "leave the ladder while the plan holds; each installment gets a reminder and, if\n"
                    "missed, an action; a miss beyond plan_grace_days breaks the plan.")
    p.add_argument("client", metavar="CLIENT", help="the client id")
    p.add_argument("--invoice", action="append", default=[], required=True, metavar="N", help="an invoice in the plan (repeat)")
    p.add_argument("--installments", type=whole_number, required=True, metavar="K", help="how many installments")
    p.add_argument("--every", type=whole_number, required=True, metavar="DAYS", help="days between installments")
    p.add_argument("--first", type=_date_arg("--first"), required=True, metavar="DATE", help="the first installment's date")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_plan)


# -- helpers ------------------------------------------------------------------------------------











def _one_line(text: str, width: int) -> str:
    """One line of untrusted text for the terminal: whitespace collapsed, control characters
    (escape sequences included) shown as ``\\uXXXX``, as everywhere on the command line, cut
    to ``width``."""
    line = " ".join(str(text).split())
    line = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in line)
    return line if len(line) <= width else line[: max(1, width - 1)] + "…"


# -- agenda -------------------------------------------------------------------------------------

def action_json(a, message: dict | None) -> dict:
    from receivables.money import to_text

    return {
        "client": a.client,
        "client_name": a.client_name,
        "kind": a.kind,
        "step": a.step,
        "title": a.title,
        "channel": a.channel,
        "invoices": list(a.invoices),
        "amount": to_text(a.amount, a.currency),
        "overdue": to_text(a.overdue, a.currency),
        "currency": a.currency,
        "days_overdue": a.days_overdue,
        "since": a.since.isoformat(),
        "reason": a.reason,
        "ref": a.ref,
        "escalate": a.escalate,
        "credit_hold": a.credit_hold,
        "risk": a.risk,
        "template": a.template,
        "log_as": a.key,
        "subject": (message or {}).get("subject"),
        "message": (message or {}).get("text"),
    }


def _drafter():
    """publish.messages.draft_from_day if publishing is installed, else None."""
    try:
        from publish.messages import draft_from_day
    except ModuleNotFoundError as e:
        if e.name and e.name.split(".")[0] in ("publish", "jinja2", "markupsafe"):
            return None
        raise
    return draft_from_day


def cmd_agenda(args) -> int:
    import derived
    from receivables.syncstate import state_of
    from store.codec import receipt_from_doc, sync_from_doc

    on = _today(args)
    with _open(args, readonly=True, command="dun agenda") as repo:
        policy = repo.policy()
        state = derived.current(repo, policy, on)  # every client's day, kept or worked out
        clients = repo.clients()
        # "Sync first": Xero or the bank not imported lately (two small tables, not the book)
        sync_line = state_of([sync_from_doc(d) for d in repo.documents("syncs")],
                             [receipt_from_doc(d) for d in repo.documents("receipts")], policy, on).line()
    actions = list(state.agenda)
    if args.json:
        if sync_line:
            print(f"dun: {sync_line}", file=sys.stderr)
        draft = _drafter() if actions else None
        out = []
        for a in actions:
            day = state.days[a.client]
            if draft is not None:
                d = draft(a, day, clients[a.client], policy, on)
                msg = {"subject": d.subject, "text": d.text}
            else:
                msg = {"subject": a.title, "text": f"{a.title}: {a.reason}"}
            out.append({**action_json(a, msg), "interest": _action_interest(day, policy, a)})
        _dump(out)
        return 0
    import shutil

    if sync_line:
        print(sync_line + "\n")
    notes: dict[int, str] = {}  # about the client: under its row
    shared: dict[int, str] = {}  # about the policy: once under the table when actions share it
    for k, a in enumerate(actions):
        if a.channel == "email" and a.client in clients and not clients[a.client].email:
            # (as dun mail decides: publish.mail.prepare_outbox)
            bad = clients[a.client].bad_emails
            notes[k] = (f"the e-mail on file ({bad[0]!r:.60}) is not one plain address" if bad else
                        "no e-mail address on file") + ": 'dun mail' makes a letter to print and post"
        if (j := _action_interest(state.days[a.client], policy, a)) and j["not_computed"]:
            shared[k] = j["not_computed"]
    print(render_agenda(actions, on, max(80, shutil.get_terminal_size((120, 24)).columns), notes, shared))
    return 0


def _action_interest(day, policy, a) -> dict | None:
    """The interest and compensation on an action's invoices, or why they are not computed
    (null without an interest regime), from the action's context kept with the client's day."""
    from receivables.money import to_text

    if policy.interest.regime == "none" or not a.invoices:
        return None
    results = [row["interest_result"] for row in day.context_of(a)["invoices"] if row["interest_result"] is not None]
    problems = [r.problem for r in results if r.problem]
    return {"interest": to_text(sum((r.interest for r in results), Decimal(0)), a.currency),
            "compensation": to_text(sum((r.compensation for r in results), Decimal(0)), a.currency),
            "currency": a.currency, "charged": policy.interest.charge,
            "not_computed": problems[0] if problems else None}


def render_agenda(actions, on: date, width: int = 100, notes: dict[int, str] | None = None,
                  shared: dict[int, str] | None = None) -> str:
    """The agenda as a table. ``notes``: a line under an action's row (by its index);
    ``shared``: the same, but a line several actions have (e.g. compensation not computed
    in a currency) is printed once under the table, with their numbers."""
    from collections import Counter

    from receivables.money import to_text

    notes, shared = dict(notes or {}), shared or {}
    once = {text for text, n in Counter(shared.values()).items() if n > 1}
    for k, text in shared.items():
        if text not in once:
            notes[k] = f"{notes[k]}; {text}" if k in notes else text
    if not actions:
        return f"Nothing to chase on {on.isoformat()}."
    lines = [f"Agenda for {on.isoformat()}: {len(actions)} action{'s' if len(actions) != 1 else ''}", ""]
    head = f"{'#':>3}  {'client':<22} {'action':<22} {'via':<6} {'owed':>14}  {'since':<10}  why"
    lines.append(head)
    lines.append("-" * min(width, len(head) + 20))
    for k, a in enumerate(actions, 1):
        flag = "!" if a.priority and a.priority[0] >= 2 else " "
        owed = f"{to_text(a.amount, a.currency)} {a.currency}" if a.invoices else ""
        title = a.title + (f" ({len(a.invoices)})" if len(a.invoices) > 1 else "")
        room = max(10, width - 86)
        lines.append(f"{k:>3}{flag} {_one_line(a.client_name or a.client, 22):<22} {_one_line(title, 22):<22} "
                     f"{a.channel:<6} {owed:>14}  {a.since.isoformat():<10}  {_one_line(a.reason, room)}")
        if (k - 1) in notes:
            lines.append(f"      {_one_line(notes[k - 1], 400)}")
    lines.append("")
    for text in sorted(once, key=lambda t: min(k for k, x in shared.items() if x == t)):
        lines.append(f"{_numbers(sorted(k + 1 for k, x in shared.items() if x == text))}: {_one_line(text, 400)}")
    lines.append("! = escalation or broken promise.  Done: dun note CLIENT TEXT --step STEP"
                 + ("; Apply credit: dun credit CLIENT" if any(a.kind == "credit" for a in actions) else ""))
    return "\n".join(lines)


def _numbers(ks: list[int]) -> str:
    """"Actions 1-3, 7" for the sorted action numbers ``ks``."""
    runs: list[list[int]] = []
    for k in ks:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    parts = [f"{r[0]}" if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs]
    return "Actions " + ", ".join(parts)


# -- report -------------------------------------------------------------------------------------

def cmd_report(args) -> int:
    import derived
    from receivables.report import report_to_json

    on = _today(args)
    with _open(args, readonly=True, command="dun report") as repo:
        report = derived.current(repo, repo.policy(), on).report
    if args.json:
        _dump(report_to_json(report))
        return 0
    print(render_report(report))
    return 0


def render_report(r) -> str:
    from receivables.money import to_text
    from receivables.report import BUCKETS

    def days(x) -> str:
        return "-" if x is None else f"{x}"

    out = [f"Receivables on {r.on.isoformat()}"]
    if not r.currencies:
        out.append("Nothing invoiced yet.")
    for cur, f in r.currencies.items():
        m = lambda x: to_text(x, cur)  # noqa: E731
        out += ["", f"{cur}: owed {m(f.total)}, overdue {m(f.overdue)} on {f.open_invoices} open invoice{'' if f.open_invoices == 1 else 's'}"
                    + (f"; unallocated credit {m(f.credit)}" if f.credit else "")]
        out.append("  aging    " + "  ".join(f"{b}: {m(f.aging[b])}" for b in BUCKETS))
        out.append(f"  DSO {days(f.dso)} days (best possible {days(f.best_possible_dso)}, ADD {days(f.add)}), "
                   f"countback DSO {days(f.dso_countback)} days, CEI {days(f.cei)}%")
        fc = r.forecast.get(cur)
        if fc is not None:
            out.append(f"  expected in 13 weeks {m(fc.total)}" + "".join(
                f"; week {k + 1}: {m(w.amount)}" for k, w in enumerate(fc.weeks[:4]))
                + (f"; later {m(fc.later)}" if fc.later else "") + (f"; doubtful {m(fc.doubtful)}" if fc.doubtful else ""))
        top = r.top_debtors.get(cur, [])[:5]
        if top:
            out.append("  top debtors: " + ", ".join(
                f"{_one_line(c.name, 24)} {m(c.balance)} (risk {c.risk})" for c in top))
    worse = [c for c in r.clients if c.worsening]
    if worse:
        out += ["", "Paying later and later: " + ", ".join(_one_line(c.name, 24) for c in worse[:10])
                + (f" and {len(worse) - 10} more" if len(worse) > 10 else "")]
    if r.escalations:
        out += ["", f"Handed over: {len(r.escalations)} invoice(s): " + ", ".join(
            f"{e.invoice} ({e.to})" for e in r.escalations[:10])]
    if r.holds:
        out.append("On hold: " + ", ".join(f"{_one_line(h.name, 24)} ({_one_line(h.reason, 40)})" for h in r.holds[:10]))
    if r.disputes:
        out.append(f"Open disputes: {len(r.disputes)}")
    if r.plans:
        out.append(f"Payment plans: {len(r.plans)}")
    p = r.promises
    out.append(f"Promises (12 months): {p.made} made, {p.kept} kept, {p.broken} broken, {p.open} open"
               + (f" ({p.kept_rate}% kept)" if p.kept_rate is not None else ""))
    if r.activity:
        out.append(f"Follow-ups since {r.activity_from.isoformat()}: "
                   + ", ".join(f"{ch} {n}" for ch, n in r.activity.items()))
    return "\n".join(out)


# -- promise ------------------------------------------------------------------------------------

def cmd_promise(args) -> int:
    from receivables.allocate import promise_cover, promise_over
    from receivables.ledger import derive
    from receivables.model import PromiseToPay
    from receivables.money import parse_amount, to_text

    on = _today(args)  # (--by checked against it in cli.checks)
    with _open(args, readonly=False, command="dun promise") as repo:
        book, client = _client_of(repo, args.client)
        ledger = derive(book, on)
        wanted = list(dict.fromkeys(n.strip() for n in args.invoice))
        for n in wanted:
            st = ledger.invoices.get(n)
            if st is None:
                raise _no_invoice(n, book, client.id)
            if st.outstanding <= 0:
                raise DunError(f"invoice {n} is already settled", "--invoice", "promise only for what is owed")
        currencies = {ledger.invoices[n].invoice.currency for n in wanted}
        if len(currencies) > 1:
            raise DunError("the invoices are in different currencies", "--invoice", "record one promise per currency")
        currency = currencies.pop() if currencies else client.currency
        amount = parse_amount(args.amount, currency, "AMOUNT")
        if not wanted:
            wanted = promise_cover(ledger, client.id, currency, amount)
            if not wanted:
                raise DunError(f"{client.id} owes nothing in {currency} that a promise could cover", "CLIENT",
                               "nothing to promise (a disputed invoice is off the ladder already)")
        owed = promise_over(ledger, client.id, currency, amount)
        if owed is not None:
            raise DunError(f"{to_text(amount, currency)} {currency} is more than the {to_text(owed, currency)} "
                           f"{currency} {client.id} owes", "AMOUNT", "a promise is for what is owed: check the amount")
        p = repo.add_promise(PromiseToPay(id="", client=client.id, made=on, amount=amount, currency=currency,
                                          by=args.by, invoices=tuple(wanted)))
    if args.json:
        _dump({"id": p.id, "client": p.client, "made": p.made.isoformat(), "amount": to_text(p.amount, p.currency),
               "currency": p.currency, "by": p.by.isoformat(), "invoices": list(p.invoices)})
        return 0
    print(f"recorded {p.id}: {client.id} promises {to_text(p.amount, p.currency)} {p.currency} by {p.by.isoformat()}"
          f" ({', '.join(p.invoices)})")
    print(f"  (if it was a mistake: dun void {p.id} --reason TEXT)")
    return 0


# -- dispute ------------------------------------------------------------------------------------

def cmd_dispute(args) -> int:
    from receivables.model import Dispute

    on = _today(args)
    number = args.invoice.strip()
    credit = None
    with _open(args, readonly=False, command="dun dispute") as repo:
        inv = repo.get_invoice(number)
        if inv is None:
            from cli.hints import all_invoice_numbers, unknown_invoice

            raise unknown_invoice(number, all_invoice_numbers(repo), "INVOICE")
        if args.resolve:
            book = repo.client_book(inv.client)
            open_ = [d for d in book.disputes if d.invoice == number and d.resolved is None]
            if not open_:
                raise DunError(f"invoice {number} has no open dispute", "--resolve", "nothing to resolve")
            if open_[-1].opened > on:
                raise DunError(f"the dispute was opened on {open_[-1].opened.isoformat()}, after {on.isoformat()}",
                               "--on", "resolve it on or after the day it was opened")
            if args.credit_note is not None:
                from receivables.money import parse_amount

                credit = parse_amount(args.credit_note, inv.currency, "--credit-note")
            d = repo.resolve_dispute(open_[-1].id, on, args.reason or "", credit)
        else:
            if args.credit_note is not None:
                raise DunError("a credit note settles a dispute being resolved", "--credit-note",
                               "add --resolve (a dispute is opened with --reason alone)")
            reason = (args.reason or "").strip()
            if not reason:
                raise DunError("a dispute needs a reason", "--reason", 'e.g. --reason "goods arrived damaged"')
            if inv.issued > on:
                raise DunError(f"invoice {number} is issued on {inv.issued.isoformat()}, after {on.isoformat()}",
                               "--on", "open the dispute on or after the issue date")
            d = repo.open_dispute(Dispute(id="", invoice=number, client=inv.client, reason=args.reason, opened=on))
    if args.json:
        _dump({"id": d.id, "invoice": d.invoice, "client": d.client, "reason": d.reason,
               "opened": d.opened.isoformat(), "resolved": d.resolved.isoformat() if d.resolved else None,
               "resolution": d.resolution, "credit_note": str(credit) if credit is not None else None})
        return 0
    if d.resolved:
        credited = f" with a credit note of {credit} {inv.currency}" if credit is not None else ""
        print(f"resolved {d.id} on invoice {d.invoice} ({d.client}) on {d.resolved.isoformat()}{credited}; "
              "what it still owes is back on the ladder")
    else:
        print(f"opened {d.id} on invoice {d.invoice} ({d.client}) on {d.opened.isoformat()}; it is off the ladder")
    return 0


# -- plan ---------------------------------------------------------------------------------------

def cmd_plan(args) -> int:
    from receivables.money import to_text
    from receivables.plans import draft_plan

    on = _today(args)
    k = args.installments
    with _open(args, readonly=False, command="dun plan") as repo:
        book, client = _client_of(repo, args.client)
        try:
            draft = draft_plan(book, repo.policy(), client.id, args.invoice, k, args.every, args.first, on)
        except DunError as e:  # name the flag to change
            flags = {"installments": "--installments", "every": "--every", "first installment": "--first",
                     "invoices": "--invoice"}
            raise DunError(e.problem.message, flags.get(e.problem.where, e.problem.where), e.problem.hint) from None
        plan = repo.add_plan(draft)
    currency = plan.currency
    if args.json:
        _dump({"id": plan.id, "client": plan.client, "created": plan.created.isoformat(), "currency": plan.currency,
               "invoices": list(plan.invoices), "total": to_text(plan.total, plan.currency),
               "installments": [{"due": i.due.isoformat(), "amount": to_text(i.amount, plan.currency)}
                                for i in plan.installments]})
        return 0
    print(f"agreed {plan.id}: {client.id} pays {to_text(plan.total, currency)} {currency} in {k} installment"
          f"{'s' if k > 1 else ''} ({', '.join(f'{to_text(i.amount, currency)} on {i.due.isoformat()}' for i in plan.installments)})")
    return 0
