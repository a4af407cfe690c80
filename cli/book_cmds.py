"""Book commands: init, demo, import, export, pay, note, client show/list, check, restore.

Thin wiring: parse, open the book, call the domain and the store, print. Imports stay
inside the handlers so ``dun client show X --json`` pays only for the store, the ledger
and the interest rules (no Textual, Jinja, Babel, holidays or matplotlib).
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from cli.common import client_of as _client_of, dump as _dump, no_invoice as _no_invoice, open_repo as _open, today as _today
from cli.main import add_json, add_on, iso_date, path_arg, whole_number
from receivables.errors import DunError

_CHANNELS = ("email", "phone", "letter", "sms", "meeting", "other")
_NON_STEP_PREFIXES = ("promise:", "dispute:", "installment:", "installment-reminder:")


def register(sub, common) -> None:
    F = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("init", parents=[common], formatter_class=F, help="create an empty book",
                       description="Create an empty book in DIR (default: --book, $DUN_BOOK or your user data folder)\n"
                                   "with a copy of the default policy.toml to edit.")
    p.add_argument("dir", nargs="?", metavar="DIR", type=path_arg, help="the folder for the new book")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", parents=[common], formatter_class=F, help="create a book filled with demo data",
                       description="Create a new book filled with realistic, deterministic demo data: clients with\n"
                                   "varied terms and behaviour, invoices over the last 18 months, payments,\n"
                                   "follow-ups, promises, disputes and a payment plan. The same --seed and --on\n"
                                   "always give the same book.")
    p.add_argument("dir", nargs="?", metavar="DIR", type=path_arg, help="the folder for the new book (default: the book)")
    p.add_argument("--clients", type=whole_number, default=40, metavar="N", help="number of clients (default 40)")
    p.add_argument("--invoices", type=whole_number, default=600, metavar="N", help="number of invoices (default 600)")
    p.add_argument("--seed", type=whole_number, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument("--if-missing", action="store_true", help="do nothing if the book already exists")
    add_on(p)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("import", parents=[common], formatter_class=F, help="import clients, invoices, payments, a Xero export or a bank statement",
                       description="Import a CSV file, all or nothing: a bad row rejects the whole file (with its\n"
                                   "row number); rows already in the book are skipped, so importing the same file\n"
                                   "twice changes nothing.\n\n"
                                   "  clients   id,name,email,phone,terms_days,credit_limit,currency\n"
                                   "  invoices  number,client,issued,due,amount,currency,reference\n"
                                   "            (empty due: issued + the client's terms)\n"
                                   "  payments  date,client,amount,currency,reference,invoice\n"
                                   "            (empty invoice: oldest due first; the rest stays as credit)\n"
                                   "  xero      Xero's sales-invoice export, as a sync: new invoices added,\n"
                                   "            payments, credit notes, voids and changed totals or due dates\n"
                                   "            brought in step (payments dated --paid-on, else the export's\n"
                                   "            date, else today)\n"
                                   "  bank      a bank statement: OFX/QFX, camt.053 or CSV (policy.toml [bank]);\n"
                                   "            money in is matched to clients and invoices, the rest waits in\n"
                                   "            Unmatched receipts (the app, or 'dun receipts')\n\n"
                                   "Dates are YYYY-MM-DD; files must be UTF-8.")
    p.add_argument("kind", choices=("clients", "invoices", "payments", "xero", "bank"), metavar="KIND",
                   help="clients, invoices, payments, xero or bank")
    p.add_argument("file", metavar="FILE", type=path_arg, help="the CSV, OFX or XML file")
    p.add_argument("--paid-on", type=iso_date, metavar="DATE", default=None,
                   help="xero: the date of the payments the export shows (default: the export's date, else today)")
    add_on(p)
    p.add_argument("--dry-run", action="store_true", help="check the file and say what it would add; write nothing")
    add_json(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("pay", parents=[common], formatter_class=F, help="record a payment received",
                       description="Record a payment from CLIENT. It goes to the named --invoice(s) in order, else\n"
                                   "to the oldest due invoices first; anything over what is owed is kept as client\n"
                                   "credit (with a warning).")
    p.add_argument("client", metavar="CLIENT", help="the client id")
    p.add_argument("amount", metavar="AMOUNT", help="e.g. 1250.00 (plain digits, '.' for decimals)")
    p.add_argument("--invoice", action="append", default=[], metavar="N", help="an invoice to pay (repeatable)")
    p.add_argument("--reference", default="", metavar="R", help="the bank reference")
    p.add_argument("--method", default="", metavar="M", help="e.g. bank transfer, card, cheque")
    p.add_argument("--currency", default=None, metavar="C", help="ISO code (default: the client's currency)")
    add_on(p)
    add_json(p)
    p.set_defaults(handler=cmd_pay)

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

    p = sub.add_parser("client", parents=[common], formatter_class=F, help="show or list clients",
                       description="Show one client's position, or list every client.")
    csub = p.add_subparsers(dest="client_command", metavar="COMMAND", parser_class=sub._parser_class)
    p.set_defaults(handler=_client_usage)
    s = csub.add_parser("show", parents=[common], formatter_class=F, help="one client's position",
                        description="One client's balance, hold, invoices (outstanding, days overdue, status) and\n"
                                    "late-payment interest and compensation as of --on.")
    s.add_argument("id", metavar="ID", help="the client id")
    add_on(s)
    add_json(s)
    s.set_defaults(handler=cmd_client_show)
    s = csub.add_parser("list", parents=[common], formatter_class=F, help="every client with balance and overdue",
                        description="Every client: balance, overdue, oldest days overdue, hold.")
    add_on(s)
    add_json(s)
    s.set_defaults(handler=cmd_client_list)

    p = sub.add_parser("export", parents=[common], formatter_class=F, help="export records as CSV",
                       description="Write clients, invoices, payments or activities as CSV (stdout unless --out).\n"
                                   "Clients, invoices and payments use the import columns. Cells that a\n"
                                   "spreadsheet could run as formulas are prefixed with '.")
    p.add_argument("kind", choices=("clients", "invoices", "payments", "activities"), metavar="KIND",
                   help="clients, invoices, payments or activities")
    p.add_argument("--out", metavar="FILE", type=path_arg, help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("check", parents=[common], formatter_class=F, help="validate the whole book",
                       description="Check the whole book (references, allocations, sums, duplicates) and the\n"
                                   "policy; print every problem; change nothing. Exit 1 if there is any.")
    add_json(p)
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("prepare", parents=[common], formatter_class=F,
                       help="work out the day's derived state so the app and the reports open at once",
                       description="Work out every client's day for DATE and keep it in your cache folder\n"
                                   "(DUN_CACHE_DIR, else the platform's user cache folder), so the app, 'dun agenda'\n"
                                   "and 'dun report' start from it. Reads the book without locking it and changes\n"
                                   "nothing in it; anything stale in the kept state is simply worked out again.")
    add_on(p, help="the day to work out, YYYY-MM-DD (default: today)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(handler=cmd_prepare)

    p = sub.add_parser("restore", parents=[common], formatter_class=F, help="list or restore backups",
                       description="Without BACKUP: list the backups. With BACKUP: bring it back (the current book\n"
                                   "is saved as a backup first, so this can be undone).")
    p.add_argument("backup", nargs="?", metavar="BACKUP", help="a backup file name from the list")
    add_on(p)
    p.set_defaults(handler=cmd_restore)


def _client_usage(args) -> int:
    raise DunError("which one: show ID or list?", "dun client", "see 'dun client --help'")


# -- helpers ---------------------------------------------------------------------------------------

def _book(args) -> Path:
    from cli.main import book_dir

    return book_dir(args)








def _warn(text: str) -> None:
    print(f"dun: warning: {text}", file=sys.stderr)






# -- init, demo --------------------------------------------------------------------------------------

def cmd_init(args) -> int:
    from store import init_book

    path = Path(args.dir).expanduser() if args.dir else _book(args)
    paths = init_book(path)
    print(f"created an empty book in {paths.root}")
    print(f"edit {paths.policy} to set your company details and collection ladder")
    return 0


def cmd_demo(args) -> int:
    path = Path(args.dir).expanduser() if args.dir else _book(args)
    if (path / "book.json").exists():
        if args.if_missing:
            return 0
        raise DunError("a book already exists here", str(path), "choose another folder, or use --if-missing")
    if args.clients < 1:
        raise DunError("needs at least one client", "--clients", "e.g. --clients 40")
    if args.invoices > 2_000_000 or args.clients > 100_000:
        raise DunError("is too large for a demo", "--clients/--invoices", "up to 100,000 clients and 2,000,000 invoices")
    from receivables.demo import generate
    from receivables.policy import read_policy
    from store import init_book
    from store.repository import DEFAULT_POLICY

    today = _today(args)
    policy = read_policy(DEFAULT_POLICY)
    book = generate(clients=args.clients, invoices=args.invoices, seed=args.seed, today=today, policy=policy)
    paths = init_book(path, book=book)
    print(f"created a demo book in {paths.root}: {len(book.clients)} clients, {len(book.invoices)} invoices, "
          f"{len(book.payments)} payments, {len(book.activities)} follow-ups (as of {today.isoformat()})")
    return 0


# -- import, export -----------------------------------------------------------------------------------

def cmd_import(args) -> int:
    from receivables.imports import import_file

    path = Path(args.file).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DunError("file not found", str(path), "check the path") from None
    except IsADirectoryError:
        raise DunError("is a folder, not a file", str(path), "name the CSV file") from None
    except OSError as e:
        raise DunError(f"cannot be read: {e.strerror}", str(path)) from None
    if args.kind in ("xero", "bank"):
        from cli.sync_cmds import run_sync_import

        return run_sync_import(args, path, data)
    with _open(args, readonly=args.dry_run, command=f"dun import {args.kind}") as repo:
        policy = repo.policy()
        result = import_file(args.kind, data, repo.book(), policy.defaults, source=path.name)
        stored = repo.commit(result.records) if result.records and not args.dry_run else []
    for w in result.warnings:
        _warn(w)
    if args.json:
        _dump({"file": str(path), "kind": args.kind, "dry_run": args.dry_run, "added": result.counts(), "skipped": result.skipped,
               "not_imported": list(result.skipped_rows), "warnings": list(result.warnings),
               "ids": [getattr(r, "id", None) or getattr(r, "number", None) for r in stored]})
        return 0
    print(result.summary() + ("  (dry run: nothing written)" if args.dry_run else ""))
    for line in result.skipped_rows:
        print(line)
    return 0


def cmd_export(args) -> int:
    from receivables.csvsafe import write_rows
    from receivables.exports import export_rows

    with _open(args, readonly=True, command="dun export") as repo:
        header, rows, numeric = export_rows(repo.book(), args.kind)
        if args.out:
            import io
            import os
            import tempfile

            out = Path(args.out).expanduser()
            buf = io.StringIO()
            n = write_rows(buf, header, rows, numeric)
            folder = out.parent if str(out.parent) else Path(".")
            if not folder.is_dir():
                raise DunError("no such folder", str(folder), "create it first")
            fd, tmp = tempfile.mkstemp(prefix=".export-", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                    f.write(buf.getvalue())
                os.replace(tmp, out)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            print(f"wrote {n} {args.kind} to {out}", file=sys.stderr)
        else:  # CSV is data: byte for byte into a pipe or file, control characters shown on a terminal
            from cli.terminal import raw

            write_rows(sys.stdout if sys.stdout.isatty() else raw(sys.stdout), header, rows, numeric)
    return 0


# -- pay, note ----------------------------------------------------------------------------------------------

def cmd_pay(args) -> int:
    from dataclasses import replace

    from receivables.ledger import derive, propose_allocation
    from receivables.model import Payment
    from receivables.money import check_currency, parse_amount, to_text

    on = _today(args)
    with _open(args, readonly=False, command="dun pay") as repo:
        book, client = _client_of(repo, args.client)
        currency = check_currency(args.currency.strip(), "--currency") if args.currency else client.currency
        amount = parse_amount(args.amount, currency, "AMOUNT")
        named = list(dict.fromkeys(n.strip() for n in args.invoice))
        for n in named:
            inv = book.invoices.get(n)
            if inv is None:
                raise _no_invoice(n, book, client.id)
            if inv.currency != currency:
                raise DunError(f"invoice {n} is in {inv.currency}, the payment in {currency}", "--invoice",
                               "use --currency to match")
        if not named:  # only invoices issued by the payment date
            book = replace(book, invoices={k: v for k, v in book.invoices.items() if v.issued <= on})
        ledger = derive(book, date.max)
        allocations, rest = propose_allocation(ledger, client.id, currency, amount, named or None)
        p = repo.record_payment(Payment(id="", date=on, client=client.id, amount=amount, currency=currency,
                                        method=args.method, reference=args.reference, allocations=allocations))
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


# -- client show / list ------------------------------------------------------------------------------------

def _interest(ledger, policy, client_id: str) -> dict:
    try:
        from receivables.interest import client_interest
    except ImportError:  # the interest rules are optional for this view
        return {}
    return client_interest(ledger, policy, client_id)


def client_view(book, policy, client_id: str, on: date) -> dict:
    """The data of ``dun client show --json`` (money as strings)."""
    from decimal import Decimal

    from receivables.ledger import derive
    from receivables.money import to_text

    zero = Decimal(0)
    client = book.clients[client_id]
    ledger = derive(book, on)
    interest = _interest(ledger, policy, client_id)
    cur = client.currency
    positions = {p.currency: p for p in ledger.positions(client_id)}
    main = positions.get(cur) or ledger.position(client_id, cur)
    invoices = []
    tot_i: dict[str, object] = {}
    tot_c: dict[str, object] = {}
    for st in ledger.client_invoices(client_id):
        inv = st.invoice
        r = interest.get(inv.number)
        ic = inv.currency
        invoices.append({
            "number": inv.number, "issued": inv.issued.isoformat(), "due": inv.due.isoformat(),
            "currency": ic, "amount": to_text(inv.amount, ic), "outstanding": to_text(st.outstanding, ic),
            "days_overdue": st.days_overdue, "status": st.status, "reference": inv.reference,
            "interest": to_text(r.interest, ic) if r else to_text(zero, ic),
            "compensation": to_text(r.compensation, ic) if r else to_text(zero, ic),
        })
        if r:
            tot_i[ic] = tot_i.get(ic, zero) + r.interest
            tot_c[ic] = tot_c.get(ic, zero) + r.compensation
    hold, hold_reason, extra = client.hold, client.hold_reason, {}
    try:
        from receivables.agenda import client_status
    except ImportError:  # the engine is optional for this view
        client_status = None
    if client_status is not None:
        st = client_status(book, policy, client_id, on)
        hold, hold_reason = st.hold, st.hold_reason
        extra = {
            "handed_over": dict(sorted(st.handed_over.items())),
            "over_credit_limit": st.over_credit_limit,
            "open_disputes": [d.invoice for d in st.disputes],
            "promises": [{"id": ps.promise.id, "amount": to_text(ps.promise.amount, ps.promise.currency),
                          "currency": ps.promise.currency, "by": ps.promise.by.isoformat(), "state": ps.state}
                         for ps in st.promises],
            "plan": None if st.plan is None else {"id": st.plan.plan.id, "state": st.plan.state,
                                                  "paid": to_text(st.plan.paid, st.plan.plan.currency)},
        }
    return {
        "id": client.id, "name": client.name, "currency": cur, "as_of": on.isoformat(),
        "balance": to_text(main.balance, cur), "overdue": to_text(main.overdue, cur),
        "credit": to_text(main.credit, cur), "oldest_days_overdue": main.oldest_days_overdue,
        "balances": {c: to_text(p.balance, c) for c, p in sorted(positions.items())},
        "hold": hold, "hold_reason": hold_reason,
        "terms_days": client.terms_days,
        "credit_limit": to_text(client.credit_limit, cur) if client.credit_limit is not None else None,
        "email": client.email, "phone": client.phone,
        "interest": to_text(tot_i.get(cur, zero), cur), "compensation": to_text(tot_c.get(cur, zero), cur),
        "invoices": invoices,
        **extra,
    }


def cmd_client_show(args) -> int:
    on = _today(args)
    with _open(args, readonly=True, command="dun client show") as repo:
        book = repo.client_book(args.id)
        if args.id not in book.clients:
            from cli.hints import unknown_client

            raise unknown_client(repo, args.id, "ID")
        view = client_view(book, repo.policy(), args.id, on)
    if args.json:
        _dump(view)
        return 0
    cur = view["currency"]
    print(f"{view['name']}  ({view['id']})")
    hold = f"  ON HOLD: {view['hold_reason']}" if view["hold"] else ""
    print(f"balance {view['balance']} {cur}, overdue {view['overdue']} {cur}, credit {view['credit']} {cur}{hold}")
    for c, b in view["balances"].items():
        if c != cur:
            print(f"also {b} {c}")
    if view["interest"] != "0.00" or view["compensation"] != "0.00":
        print(f"late-payment interest {view['interest']} {cur}, compensation {view['compensation']} {cur}")
    for number, to in view.get("handed_over", {}).items():
        print(f"{number} handed over to {'the agency' if to == 'agency' else 'legal'}")
    for pr in view.get("promises", ()):
        print(f"promise {pr['id']}: {pr['amount']} {pr['currency']} by {pr['by']} ({pr['state']})")
    if view.get("plan"):
        print(f"payment plan {view['plan']['id']}: {view['plan']['state']}, {view['plan']['paid']} {cur} paid so far")
    if view.get("over_credit_limit"):
        print(f"over the credit limit of {view['credit_limit']} {cur}")
    open_ = [i for i in view["invoices"] if i["outstanding"].strip("0.") != ""]
    if open_:
        print(f"{'invoice':<14}{'due':<12}{'amount':>12}{'outstanding':>13}{'days':>6}  status")
        for i in open_:
            print(f"{i['number']:<14}{i['due']:<12}{i['amount']:>12}{i['outstanding']:>13}{i['days_overdue']:>6}  {i['status']}")
    else:
        print("no open invoices")
    return 0


def cmd_client_list(args) -> int:
    import derived
    from receivables.money import to_text

    on = _today(args)
    with _open(args, readonly=True, command="dun client list") as repo:
        clients = repo.clients()
        state = derived.current(repo, repo.policy(), on)
    rows = []
    for c in sorted(clients.values(), key=lambda c: c.name.casefold()):
        day = state.days[c.id]
        pos = next(r for r in day.part.rows if r.currency == c.currency)  # (its own currency is always there)
        rows.append({"id": c.id, "name": c.name, "currency": c.currency,
                     "balance": to_text(pos.balance, c.currency), "overdue": to_text(pos.overdue, c.currency),
                     "oldest_days_overdue": pos.oldest_days_overdue,
                     "hold": day.status.hold})  # the flag or a done credit-hold step
    if args.json:
        _dump(rows)
        return 0
    if not rows:
        print("no clients yet: 'dun import clients FILE' or 'dun demo'")
        return 0
    width = min(40, max(len(r["id"]) for r in rows))
    print(f"{'client':<{width}}  {'balance':>14}  {'overdue':>14}  {'days':>5}  hold  name")
    for r in rows:
        name = " ".join(r["name"].split())  # a name with line breaks stays on one line here
        print(f"{r['id']:<{width}}  {r['balance']:>10} {r['currency']}  {r['overdue']:>10} {r['currency']}  "
              f"{r['oldest_days_overdue']:>5}  {'yes ' if r['hold'] else '    '}  {name}")
    return 0


# -- check, restore ------------------------------------------------------------------------------------

def cmd_prepare(args) -> int:
    import derived
    from derived.state import path_of

    on = _today(args)
    with _open(args, readonly=True, command="dun prepare") as repo:
        state = derived.current(repo, repo.policy(), on)
    if not args.quiet:
        if state.key.book_id is None:
            print("dun: this book has no id yet (made by an older dun): its derived state is kept once it is next "
                  "changed", file=sys.stderr)
        else:
            print(f"worked out {len(state.worked_out)} of {len(state.days)} clients for {on.isoformat()}; "
                  f"kept in {path_of(state.key)}")
    return 0


def cmd_check(args) -> int:
    with _open(args, readonly=True, command="dun check") as repo:
        problems = list(repo.check())
        policy, policy_problems = repo.policy_problems()
        problems += policy_problems
        if policy is not None and not problems:  # interest a rate table cannot give, as of --on
            from receivables.interest import interest_problem_list

            problems += interest_problem_list(repo.book(), policy, _today(args))
    if getattr(args, "json", False):
        _dump([{"where": p.where, "message": p.message, "hint": p.hint} for p in problems])
    else:
        for p in problems:
            print(p.line())
        if not problems:
            print("the book is consistent: no problems found")
    if problems:
        print(f"dun: {len(problems)} problem{'s' if len(problems) > 1 else ''} found", file=sys.stderr)
        return 1
    return 0


def cmd_restore(args) -> int:
    from store import list_backups, restore_backup

    path = _book(args)
    if not args.backup:
        backups = list_backups(path)
        if not backups:
            print(f"no backups in {path / 'backups'}")
            return 0
        for b in backups:
            print(f"{b.name}  {b.stat().st_size:>12,} bytes")
        print("restore one with: dun restore NAME", file=sys.stderr)
        return 0
    safety = restore_backup(path, args.backup, today=_today(args))
    print(f"restored {Path(args.backup).name}; the book as it was is kept as {Path(safety).name}")
    return 0
