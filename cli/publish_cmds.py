"""``dun publish`` and ``dun mail``."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from cli.main import add_on, book_dir, on_date, path_arg
from cli.terminal import clean
from receivables.errors import DunError


def register(sub, common) -> None:
    p = sub.add_parser("publish", parents=[common], help="build the static report folder (statements, report, CSV)",
                       description="Build the static site: index, management report (HTML+PDF), a statement per "
                                   "client (HTML+PDF), CSV and JSON for the accountant. Only what changed is "
                                   "rebuilt; the folder is swapped in whole.")
    add_on(p, "the as-of date (default: today)")
    p.add_argument("--out", metavar="DIR", type=path_arg, help="output folder (default: BOOK/site)")
    p.add_argument("--full", action="store_true", help="rebuild everything, ignoring the last build")
    p.add_argument("--no-pdf", action="store_true", help="HTML, CSV and JSON only (faster)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=cmd_publish)

    m = sub.add_parser("mail", parents=[common], help="draft (and send) the day's e-mails into BOOK/outbox",
                       description="Write a ready-to-send .eml for each e-mail action due (statement PDF "
                                   "attached) and a letter PDF for clients without an e-mail address or for "
                                   "letter steps, into BOOK/outbox. --send sends the e-mails over SMTP and "
                                   "logs each one as an activity.")
    add_on(m)
    m.add_argument("--send", action="store_true", help="send the e-mails through the SMTP server in policy.toml")
    m.add_argument("--new-server", action="store_true",
                   help="with --send: the SMTP server in policy.toml is a new one of yours (your password has "
                        "gone to another until now); it is remembered from now on")
    m.add_argument("--json", action="store_true", help="print the result as JSON")
    m.set_defaults(handler=cmd_mail)


class ProgressBar:
    """A simple bar on stderr when it is a terminal; nothing until the final line otherwise."""

    def __init__(self, stream=None, width: int = 30) -> None:
        from cli.terminal import raw

        self.stream = stream or raw(sys.stderr)  # its own carriage returns; the label is cleaned below
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.width = width
        self.last = 0.0

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        frac = 0 if total <= 0 else min(1.0, done / total)
        filled = int(frac * self.width)
        bar = "█" * filled + "·" * (self.width - filled)
        self.stream.write(f"\r{bar} {done}/{total} {clean(label)[:40]:<40}")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()


def _start_pdf_workers(folder: Path) -> bool:
    """Start the PDF workers before the book is read (see publish.pdf.start_workers), if the
    policy reads; else the build reports what is wrong, in its turn."""
    from publish.pdf import start_workers
    from receivables.policy import read_policy

    if not (folder / "book.json").is_file():
        return False
    try:
        paper = read_policy(folder / "policy.toml").publish.paper
    except (DunError, OSError):
        return False
    start_workers(paper)
    return True


def cmd_publish(args: argparse.Namespace) -> int:
    from publish.pdf import release_workers

    early = not args.no_pdf and _start_pdf_workers(book_dir(args))  # first: before the build's imports
    try:
        from publish.site import publish
        from store import open_book

        repo = open_book(book_dir(args), readonly=True, command="dun publish")
        try:
            on = on_date(args)
            out = Path(args.out).expanduser() if args.out else None  # None: the book's own, checked as such
            bar = ProgressBar()
            try:
                result = publish(repo, repo.policy(), on, out, progress=bar, incremental=not args.full,
                                 pdf=not args.no_pdf, keep_workers=early)
            finally:
                bar.finish()
            for w in result.warnings:
                print(f"dun: warning: {w}", file=sys.stderr)
            # the copy of every client's documents that lets the next command (a payment, the
            # next publish) read one client without parsing the book's tables: kept in the user's
            # cache once a publish has read the book whole anyway (a cache: failing is only slower)
            repo.save_client_docs()
        finally:
            repo.close()
    finally:
        if early:
            release_workers(wait=True)
    if args.json:
        print(json.dumps({"out": str(result.out_dir), "written": result.written, "skipped": result.skipped,
                          "seconds": round(result.seconds, 3), "rewritten": result.rewritten}, indent=2))
    else:
        print(f"published {result.out_dir}/index.html as of {on.isoformat()}: {result.written} written, "
              f"{result.skipped} unchanged ({result.seconds:.1f} s)", file=sys.stderr)
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    """Draft the day's e-mails into the outbox; with --send, send everything queued there
    (today's drafts and the messages approved in the app), each exactly once."""
    from publish.mail import prepare_outbox
    from publish.outbox import logged_ids, queued_files, reconcile, retraction, send_files
    from store import open_book

    if args.new_server and not args.send:
        raise DunError("--new-server goes with --send", "--new-server", "dun mail --send --new-server")
    repo = open_book(book_dir(args), readonly=not args.send, command="dun mail")
    report = None
    try:
        on = on_date(args)
        policy = repo.policy()
        result = prepare_outbox(repo, policy, on, repo.paths.outbox, now=datetime.now(timezone.utc))
        if args.send:
            reconcile(repo.paths.outbox, repo.book(), repo.log_activity)
            bar = ProgressBar()
            def retract(q) -> None:  # (a message made with other sender details: its action to do again)
                undo = retraction(repo.book(), q, on)
                if undo is not None:
                    repo.log_activity(undo)

            report = send_files(queued_files(repo.paths.outbox), policy, log=repo.log_activity,
                                logged=logged_ids(repo.book()), new_server=args.new_server,
                                progress=lambda n, total, q, status: bar(n, total, f"{status} {q.client}"),
                                retract=retract)
            bar.finish()
    finally:
        repo.close()
    sent_names = {q.path.name for q in report.sent} if report else set()
    failed = {q.path.name: why for q, why in report.failed} if report else {}
    if args.json:
        print(json.dumps({
            "outbox": str(result.outbox),
            "emails": [{"client": i.client, "action": i.action, "to": i.to, "subject": i.subject,
                        "file": str(i.path), "sent": i.path.name in sent_names} for i in result.emails],
            "letters": [{"client": i.client, "action": i.action, "subject": i.subject, "file": str(i.path),
                         "reason": i.reason} for i in result.letters],
            "sent": [{"client": q.client, "step": q.step, "to": q.to, "subject": q.subject,
                      "message_id": q.message_id, "file": str(q.path)} for q in (report.sent if report else [])],
            "failed": [{"client": q.client, "step": q.step, "file": str(q.path), "reason": why}
                       for q, why in (report.failed if report else [])],
            "notices": result.notices,
        }, indent=2, ensure_ascii=False))
        return 1 if failed else 0
    out = sys.stdout
    if not result.emails and not result.letters and not (report and (report.sent or report.failed)):
        print(f"nothing to send on {on.isoformat()}", file=out)
    for i in result.emails:
        if i.path.name not in sent_names and i.path.name not in failed:
            print(f"ready  {i.client:<12} {i.to}  {i.subject}", file=out)
    if report is not None:
        for q in report.sent:
            print(f"sent   {q.client:<12} {q.to}  {q.subject}", file=out)
        for q, why in report.failed:
            # (a refusal of the message names its file already; a stopped server does not)
            named = why if why.startswith(q.path.name) else f"{q.path.name}: {why}"
            print(f"dun: not sent: {q.client} {named}" if q.client else f"dun: not sent: {named}", file=sys.stderr)
        if report.stopped and not report.failed:
            print(f"dun: {report.stopped}", file=sys.stderr)
    for i in result.letters:
        print(f"letter {i.client:<12} {i.path.name}  ({i.reason})", file=out)
    for n in result.notices:
        print(f"note: {n}", file=out)
    if result.emails and not args.send:
        print(f"{len(result.emails)} e-mail(s) in {result.outbox}; review them, then run 'dun mail --send'", file=out)
    elif report is not None:
        left = len(queued_files(result.outbox))
        print(f"{len(report.sent)} sent" + (f", {left} still queued in {result.outbox}" if left else ""), file=out)
    return 1 if failed else 0
