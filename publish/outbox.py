"""The outbox: approved e-mails waiting in ``BOOK/outbox/``, sent over SMTP exactly once.

An approved message is written as ``outbox/DAY_CLIENT_ACTION.eml`` (one name per action
and day, so approving or retrying again rewrites the same file, never a second message).
Private ``X-Dun-*`` headers say which client, step and invoices it carries out; they are
removed from what goes to the server. Only a file dun wrote on this machine is sent: each
carries a seal (:mod:`publish.seal`), so messages that came in a book's outbox from elsewhere,
or were edited by hand, stay queued with one line saying why. Sending a file:

1. the server accepts the message (``sendmail`` returns without refusing the recipient);
2. the file moves to ``outbox/sent/`` at once (an atomic rename);
3. the "sent" activity is logged with the exact subject, body and Message-ID.

A file already in ``outbox/sent/``, or whose Message-ID an activity already carries, is
never sent again; a file in ``sent/`` that no activity names yet (the app was closed
between 2 and 3) is logged by :func:`reconcile`. A refused recipient leaves that message
queued and the others go on; a server that cannot be reached, a timeout or a wrong
password stops the run, and everything not accepted stays queued, each with one line
saying why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Iterable

from receivables.daylog import taken_back
from receivables.errors import DunError
from receivables.model import Activity
from receivables.voiding import correction
from store.files import atomic_write

from .mail import (H_CLIENT, H_INVOICES, H_ON, H_STEP, HEADER_NAME, OutboxItem, _file_stem, build_email, read_eml,
                   set_aside, tag)
from .messages import Draft
from .plaintext import to_plain
from .seal import seal
from .smtp import Connection, SendFailed, Stale

@dataclass
class Queued:
    """One message in the outbox, as its file says."""

    path: Path
    client: str
    step: str
    invoices: tuple[str, ...]
    on: date
    subject: str
    text: str  # the body exactly as the client reads it (the plain-text part)
    to: str
    message_id: str

    @property
    def body(self) -> str:
        """What the activity keeps: the subject line, a blank line, the body."""
        return f"Subject: {self.subject}\n\n{self.text}"


@dataclass
class SendReport:
    sent: list[Queued] = field(default_factory=list)
    failed: list[tuple[Queued, str]] = field(default_factory=list)  # still queued, and why
    skipped: list[Queued] = field(default_factory=list)  # already sent before: not sent again
    stopped: str = ""  # why the run stopped early (the rest stays queued), if it did


def eml_path(outbox: Path, on: date, client: str, key: str) -> Path:
    return Path(outbox) / f"{_file_stem(on, client, key)}.eml"


def already_sent(path: Path) -> bool:
    return (path.parent / "sent" / path.name).is_file()


def compose(book, policy, action: Any, on: date, subject: str, text: str, *, ledger=None,
            now: datetime | None = None, attachment: bytes | None = None,
            pdf: Callable[[str, str], bytes] | None = None) -> EmailMessage:
    """The e-mail for ``action`` as approved: ``subject`` and ``text`` (Markdown, as edited)
    make the plain-text and HTML parts; the client's statement PDF is attached (rendered by
    ``pdf(html, paper)``, by default in this process)."""
    from .pdf import html_to_pdf
    from .names import safe_name
    from .statements import render_statement_html, statement_data

    client = book.clients[action.client]
    if not client.email:
        raise DunError(f"{client.id} has no e-mail address", f"client {client.id}",
                       "add one to the client (c in the client's screen), or send a letter")
    if not policy.mail.sender:
        raise DunError("no sender address", "policy.toml: mail.from", 'set from = "Name <you@example.com>"')
    if attachment is None:
        data = statement_data(book, policy, client.id, on, ledger=ledger, action=action, find_action=False)
        attachment = (pdf or html_to_pdf)(render_statement_html(data, for_pdf=True), policy.publish.paper)
    draft = Draft(subject=" ".join(subject.split()), text=text)
    contact = next((c for c in client.contacts if c.email == client.email), None)
    key = getattr(action, "key", "") or action.step or action.kind
    msg = build_email(draft, sender=policy.mail.sender, reply_to=policy.mail.reply_to,
                      to_name=contact.name if contact and contact.name else client.name, to_addr=client.email,
                      policy=policy, attachment=attachment,
                      attachment_name=f"Statement-{safe_name(client.id)}-{on.isoformat()}.pdf",
                      when=now or datetime.now(timezone.utc), action_key=key)
    return tag(msg, action, on, policy)


def write_queued(outbox: Path, msg: EmailMessage) -> Path:
    """Put an approved message in the outbox (replacing an unsent one for the same action and
    day). Refused if that action's message of that day was sent already."""
    on = date.fromisoformat(str(msg[H_ON]))
    path = eml_path(outbox, on, str(msg[H_CLIENT]), str(msg[HEADER_NAME]))
    if already_sent(path):
        raise DunError(f"the message for {msg[H_CLIENT]} ({msg[HEADER_NAME]}) was sent already on {on}",
                       str(path.parent / "sent" / path.name), "it is not sent twice")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, seal(msg.as_bytes(policy=email_policy.SMTP)))  # (only sealed messages are sent)
    return path


def queued_of(msg: EmailMessage, path: Path, text: str) -> Queued:
    """The :class:`Queued` for a message just composed (``text``: its Markdown), without
    reading the file back."""
    return Queued(path=path, client=str(msg[H_CLIENT]), step=str(msg[H_STEP] or ""),
                  invoices=tuple(str(msg[H_INVOICES] or "").split()), on=date.fromisoformat(str(msg[H_ON])),
                  subject=str(msg["Subject"]), text=to_plain(text), to=str(msg["To"]),
                  message_id=str(msg["Message-ID"]))


def read_queued(path: Path) -> Queued:
    msg = read_eml(path)
    body = msg.get_body(("plain",))
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""
    try:
        on = date.fromisoformat(str(msg[H_ON] or ""))
    except ValueError:
        on = date.fromisoformat(path.name[:10])
    return Queued(path=path, client=str(msg[H_CLIENT] or ""), step=str(msg[H_STEP] or msg[HEADER_NAME] or ""),
                  invoices=tuple(str(msg[H_INVOICES] or "").split()), on=on, subject=str(msg["Subject"] or ""),
                  text=text, to=str(msg["To"] or ""), message_id=str(msg["Message-ID"] or ""))


def activity_of(q: Queued, outcome: str) -> Activity:
    """The activity that records ``q`` "sent" (or "queued"): the exact subject and body the
    client gets, and the message's Message-ID."""
    return Activity(id="", date=q.on, client=q.client, channel="email", direction="out", step=q.step or None,
                    invoices=q.invoices, outcome=outcome, body=q.body, internal=False, message_id=q.message_id)


def logged_ids(book) -> set[str]:
    return {a.message_id for a in book.activities if a.message_id and a.outcome == "sent"}


def queued_files(outbox: Path) -> list[Path]:
    outbox = Path(outbox)
    return sorted(outbox.glob("*.eml")) if outbox.is_dir() else []


def mark_sent(path: Path) -> Path:
    """The server accepted ``path``: move it to ``sent/`` at once (what makes it never go twice)."""
    return set_aside(path, "sent")


def retraction(book, q: Queued, on: date) -> Activity | None:
    """The activity that takes back the "queued" one of a message set aside as stale (its
    action is then to do again), or None when the message was never approved (a draft)."""
    corrected = taken_back(book.activities)
    done = next((a for a in reversed(book.activities) if a.outcome == "queued" and a.message_id == q.message_id
                 and q.message_id and a.id not in corrected), None)
    if done is None:
        return None
    return correction(done, on, f"unsent:{done.id}",
                      f"The message approved on {done.date.isoformat()} was not sent: it was made with other "
                      f"sender details than policy.toml has now (moved to outbox/stale/{q.path.name}). "
                      "The action is to do again.")


def send_files(paths: Iterable[Path], policy, *, log: Callable[[Activity], Any] | None = None,
               logged: set[str] | None = None, password: str | None = None, new_server: bool = False,
               progress: Callable[[int, int, Queued, str], None] | None = None,
               stop: Callable[[], bool] | None = None,
               retract: Callable[[Queued], Any] | None = None) -> SendReport:
    """Send queued files in order (see the module docstring). ``log`` records each sent one
    (an activity); ``logged`` the Message-IDs already recorded (never sent again);
    ``progress(done, total, item, status)``; ``stop()`` true ends the run between messages.
    A message made with other sender details than the policy's now (:class:`Stale`) is moved
    to ``outbox/stale/`` and ``retract(item)`` puts its action back to do."""
    paths = list(paths)
    logged = set(logged or ())
    report = SendReport()
    with Connection(policy, password, new_server=new_server) as conn:
        for n, path in enumerate(paths):
            if stop is not None and stop():
                report.stopped = "stopped: the rest stays queued"
                break
            try:
                q = read_queued(path)
            except DunError as e:  # not a message dun wrote: a link, a device, a huge file
                p = e.problem
                report.failed.append((Queued(path, "", "", (), date.min, "", "", "", ""),
                                      f"{p.message}; {p.hint}" if p.hint else p.message))
                continue
            if already_sent(path) or (q.message_id and q.message_id in logged):
                if not already_sent(path):
                    mark_sent(path)
                else:
                    path.unlink(missing_ok=True)  # a stale copy of a message that went already
                report.skipped.append(q)
                continue
            if progress is not None:
                progress(n, len(paths), q, "sending")
            try:
                conn.send(path)
            except Stale as e:
                q.path = set_aside(path, "stale")
                if retract is not None:
                    retract(q)
                report.failed.append((q, str(e)))
                if progress is not None:
                    progress(n + 1, len(paths), q, "failed")
                continue
            except SendFailed as e:
                report.failed.append((q, str(e)))
                if progress is not None:
                    progress(n + 1, len(paths), q, "failed")
                if e.fatal:
                    report.stopped = str(e)
                    break
                continue
            q.path = mark_sent(path)
            if log is not None:
                log(activity_of(q, "sent"))
            logged.add(q.message_id)
            report.sent.append(q)
            if progress is not None:
                progress(n + 1, len(paths), q, "sent")
    return report


def reconcile(outbox: Path, book, log: Callable[[Activity], Any]) -> list[Queued]:
    """Log the messages in ``outbox/sent/`` the server accepted but no activity records yet
    (the app or the command was stopped between the send and the log)."""
    folder = Path(outbox) / "sent"
    if not folder.is_dir():
        return []
    have = logged_ids(book)
    out = []
    for path in sorted(folder.glob("*.eml")):
        try:
            q = read_queued(path)
        except (DunError, OSError, ValueError):  # not a message dun wrote: nothing to log
            continue
        if q.message_id and q.message_id not in have and q.client in book.clients:
            log(activity_of(q, "sent"))
            have.add(q.message_id)
            out.append(q)
    return out


def write_letter(book, policy, action: Any, on: date, subject: str, text: str, outbox: Path, *,
                 ledger=None, pdf: Callable[[str, str], bytes] | None = None) -> Path:
    """The letter for ``action`` as approved (the letter, then the statement) as a PDF in the
    outbox, to print and post: ``outbox/DAY_CLIENT_ACTION.pdf``."""
    from markupsafe import Markup

    from .env import environment
    from .pdf import html_to_pdf
    from .statements import statement_data

    draft = Draft(subject=" ".join(subject.split()), text=text)
    data = statement_data(book, policy, action.client, on, ledger=ledger, action=action, find_action=False)
    html = environment().get_template("letter.html").render(s=data, draft=draft, body=Markup(draft.html),
                                                             L=data.locale)
    key = getattr(action, "key", "") or action.step or action.kind
    path = Path(outbox) / f"{_file_stem(on, action.client, key)}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (pdf or html_to_pdf)(html, policy.publish.paper))
    return path


def letters_to_print(outbox: Path, on: date) -> list[Path]:
    """The letters made for ``on`` (still in the outbox: print and post them)."""
    outbox = Path(outbox)
    return sorted(outbox.glob(f"{on.isoformat()}_*.pdf")) if outbox.is_dir() else []


def split_draft(text: str) -> tuple[str, str]:
    """A draft as the app shows it ("Subject: ..." line, blank line, body) -> (subject, body)."""
    first, sep, rest = text.lstrip("\n").partition("\n")
    if first.lower().startswith("subject:"):
        return first[len("subject:"):].strip(), rest.lstrip("\n")
    return "", text


def send_outbox(items: list[OutboxItem], policy, on: date, *, repo=None, book=None,
                password: str | None = None) -> list[OutboxItem]:
    """Send ``items`` (e-mails from :func:`prepare_outbox`) over SMTP, each logged as a "sent"
    activity with its step (through ``repo``) once the server accepted it, its file moved
    to ``outbox/sent/`` (see :mod:`publish.outbox`). The first failure is raised as one
    line once the messages before it are logged; the rest stay in the outbox."""
    emails = [i for i in items if i.kind == "email"]
    if not emails:
        return []
    book = book if book is not None else (repo.book() if repo is not None else None)
    log = (lambda act: repo.log_activity(act)) if repo is not None else None
    report = send_files([i.path for i in emails], policy, log=log,
                        logged=logged_ids(book) if book is not None else set(), password=password)
    by_path = {i.path.name: i for i in emails}
    sent = []
    for q in report.sent:
        item = by_path[q.path.name]
        item.path = q.path
        sent.append(item)
    if report.failed:
        q, why = report.failed[0]
        raise DunError(f"{why} ({len(sent)} sent, {len(emails) - len(sent)} still in the outbox)", "mail",
                       "the rest stay in the outbox; run 'dun mail --send' again")
    return sent
