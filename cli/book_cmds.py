"""Book commands: init, demo, import, export, check, prepare, restore (and, from their own
modules, pay and note: :mod:`cli.record_cmds`; client show/list: :mod:`cli.client_cmds`).

Thin wiring: parse, open the book, call the domain and the store, print. Imports stay
inside the handlers so a quick command pays for no Textual, Jinja, Babel or matplotlib.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from cli import client_cmds, record_cmds
from cli.common import dump as _dump, open_repo as _open, today as _today, warn as _warn
from cli.main import add_json, add_on, iso_date, path_arg, whole_number
from receivables.errors import DunError



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
                                   "            (invoices issued and payments dated after --on are refused)\n"
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

    record_cmds.register(sub, common)  # pay, credit, void, note
    client_cmds.register(sub, common)  # client show, client list

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


# -- helpers ---------------------------------------------------------------------------------------

def _book(args) -> Path:
    from cli.main import book_dir

    return book_dir(args)


# -- init, demo --------------------------------------------------------------------------------------

def cmd_init(args) -> int:
    from store import init_book

    path = Path(args.dir).expanduser() if args.dir else _book(args)
    paths = init_book(path)
    print(f"created an empty book in {paths.root}")
    print(f"edit {paths.policy} to set your company details (no e-mail is sent until the example company "
          "there is yours) and your collection ladder")
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
    from store.importing import import_into, read_file

    path = Path(args.file).expanduser()
    data = read_file(path)
    with _open(args, readonly=args.dry_run, command=f"dun import {args.kind}") as repo:
        done = import_into(repo, args.kind, data, path.name, _today(args), paid_on=args.paid_on,
                           dry_run=args.dry_run)
    for w in done.warnings:
        _warn(w)
    if args.json:
        _dump(_import_json(done, path))
        return 0
    if args.kind in ("xero", "bank"):  # (bank text: control characters shown)
        from cli.sync_cmds import _safe

        print("\n".join(_safe(line) for line in done.lines()))
    else:
        print("\n".join(done.lines()))
    return 0


def _import_json(done, path: Path) -> dict:
    r = done.result
    if done.kind in ("xero", "bank"):
        fields = (("added", "updated", "paid", "voided", "credited", "skipped", "unchanged") if done.kind == "xero"
                  else ("matched", "unmatched", "already", "outgoing", "skipped"))
        return {"file": str(path), "kind": done.kind, "dry_run": done.dry_run, **{f: getattr(r, f) for f in fields},
                **({"paid_on": r.paid_on.isoformat()} if done.kind == "xero" and r.paid_on else {})}
    return {"file": str(path), "kind": done.kind, "dry_run": done.dry_run, "added": r.counts(), "skipped": r.skipped,
            "not_imported": list(r.skipped_rows), "warnings": list(r.warnings),
            "ids": [getattr(x, "id", None) or getattr(x, "number", None) for x in done.stored]}


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
            if out.is_dir():  # (it said "/.export-n6ksktwd: Is a directory")
                raise DunError("is a folder", f"--out {args.out}", f"name a file in it, e.g. {out / (args.kind + '.csv')}")
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
    if policy is not None and policy.company.example:  # (not the book's fault, but nothing is sent until then)
        from receivables.policytypes import example_note

        print(f"warning: {example_note(policy.company)}", file=sys.stderr)
    if policy is not None:
        from receivables.interest import stale_rate_table

        stale = stale_rate_table(policy, _today(args))
        if stale:
            print(f"warning: {stale}", file=sys.stderr)
    if problems:
        print(f"dun: {len(problems)} problem{'s' if len(problems) > 1 else ''} found", file=sys.stderr)
        return 1
    return 0


def _size(n: int) -> str:
    """310 B, 48 kB, 81.2 MB."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}" if n < 100 * scale else f"{n // scale} {unit}"
    return f"{n} B"


def cmd_restore(args) -> int:
    from store import list_backups, restore_backup
    from store.backups import what_backup

    path = _book(args)
    if not args.backup:
        backups = list_backups(path)
        if not backups:
            print(f"no backups in {path / 'backups'}")
            return 0
        width = max(len(b.name) for b in backups)
        for b in backups:
            try:
                st = b.stat()
            except OSError:
                continue
            taken = datetime.fromtimestamp(st.st_mtime).strftime("%a %d %b %Y %H:%M")
            print(f"{b.name:<{width}}  {taken}  {_size(st.st_size):>8}  {what_backup(b)}")
        print("restore one with: dun restore NAME (the book as it is now is kept as a backup first)",
              file=sys.stderr)
        return 0
    safety = restore_backup(path, args.backup, today=_today(args))
    print(f"restored {Path(args.backup).name}; the book as it was is kept as {Path(safety).name}")
    return 0
