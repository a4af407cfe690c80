"""``dun mail``: ready-to-send e-mails in ``BOOK/outbox/`` and, with ``--send``, SMTP.

For each e-mail action due (ladder steps, installment reminders and broken-promise
follow-ups whose channel is ``email``) a ``.eml`` file (RFC 5322): From and Reply-To from
``[mail]``, To from the client's contact, the step's subject, plain text and an HTML
alternative, and the client's statement PDF attached. A client without an e-mail address
gets a letter PDF instead (the letter, then the statement), as do ``letter`` steps; the
owner is told. Sending uses ``[mail]`` host, port, user and STARTTLS; the password comes
from the environment variable named by ``mail.password_env`` or the system keyring
(service ``mail.keyring_service``), never the policy file. Each message sent is logged
as an activity carrying its step, and its file moves to ``outbox/sent/``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from markupsafe import Markup

from receivables.controls import UNSAFE
from receivables.errors import DunError
from receivables.engine import derivation
from receivables.ledger import derive, index_book
from store.files import atomic_write, read_plain

from .env import environment
from .messages import Draft, check_templates, draft_from_day, html_document
from .plaintext import to_plain
from .names import safe_name
from .seal import seal, unsealed
from .statements import render_statement_html, statement_data

MAIL_KINDS = ("step", "installment", "promise")
HEADER_NAME = "X-Dun-Action"
# private headers saying what a queued message carries out (removed before it is sent)
H_CLIENT = "X-Dun-Client"
H_STEP = "X-Dun-Step"
H_INVOICES = "X-Dun-Invoices"
H_ON = "X-Dun-On"
H_SENDER = "X-Dun-Sender"  # the digest of the sender's details it was made with (see sender_digest)
PRIVATE = (HEADER_NAME, H_CLIENT, H_STEP, H_INVOICES, H_ON, H_SENDER)
# a message in the outbox larger than this is not one dun wrote (its largest, a statement of
# hundreds of pages attached, is a few MB): it is refused, not read into memory
MAX_EML_BYTES = 32 * 2**20


def activity_step(action) -> str:
    """What an activity names to carry the action out (as tui.actions does): the step id of a
    ladder step, the action's key otherwise."""
    if getattr(action, "kind", "step") == "step":
        return action.step or ""
    return getattr(action, "key", "") or action.step or ""


def sender_digest(policy) -> str:
    """What a message tells the client about its sender, as a digest: the policy's
    ``[company]`` (name, address, tax id, where to pay: the example company's, until the owner
    puts in theirs) and the ``[mail]`` sender and reply-to. A queued message made with other
    details is never sent (publish.outbox): one approved while the example company was in
    the policy asked real clients to pay into the example's account."""
    import hashlib

    seen = repr((policy.company, policy.mail.sender, policy.mail.reply_to)).encode("utf-8")
    return hashlib.sha256(seen).hexdigest()[:32]


def tag(msg: EmailMessage, action, on: date, policy) -> EmailMessage:
    """The private headers of a queued message: its client, step, invoices and day, and the
    sender's details it was made with."""
    msg[H_CLIENT] = action.client
    msg[H_STEP] = activity_step(action)
    if action.invoices:
        msg[H_INVOICES] = " ".join(action.invoices)
    msg[H_ON] = on.isoformat()
    msg[H_SENDER] = sender_digest(policy)
    return msg


@dataclass
class OutboxItem:
    client: str
    client_name: str
    action: str  # the action's key (step id, promise:..., installment:...)
    kind: str  # "email" or "letter"
    path: Path
    subject: str
    to: str = ""
    reason: str = ""  # why a letter instead of an e-mail


@dataclass
class MailResult:
    outbox: Path
    emails: list[OutboxItem] = field(default_factory=list)
    letters: list[OutboxItem] = field(default_factory=list)
    sent: list[OutboxItem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _one_line(text: str) -> str:
    """Header text on one line, without control characters (receivables.controls): a client's
    name with an escape sequence or a bidi override in it would go raw into the header (the
    mail library encodes only the non-ASCII words), and could break the address after it."""
    return " ".join(UNSAFE.sub(" ", text or "").split())


# RFC 5322 3.2.3: "specials" ... "()<>[]:;@\\,." -- a display name holding one must be a
# quoted-string; the mail library drops the quotes when it folds a long one (a client named
# "Acme, thief@evil.example, … Division" came out as three mailboxes, and the message could
# never be sent). A name is only what the client sees beside the address, so those characters
# become spaces ("." stays: RFC 5322 4.1 obs-phrase allows it unquoted).
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,"]')


def _display_name(text: str) -> str:
    return " ".join(_SPECIALS.sub(" ", _one_line(text)).split())


def _address(value: str) -> str:
    """A mailbox header value, refusing anything that is not one plain address."""
    name, addr = parseaddr(_one_line(value))
    if not addr or "@" not in addr or any(c in addr for c in "<>,;\"() "):
        raise DunError(f"{value!r} is not an e-mail address", "mail")
    return formataddr((name, addr)) if name else addr


def _domain(sender: str) -> str:
    addr = parseaddr(sender)[1]
    return addr.rsplit("@", 1)[1] if "@" in addr else "dun.invalid"


def build_email(draft: Draft, *, sender: str, reply_to: str, to_name: str, to_addr: str, policy,
                attachment: bytes | None, attachment_name: str, when: datetime, action_key: str) -> EmailMessage:
    msg = EmailMessage(policy=email_policy.SMTP)
    msg["From"] = _address(sender)
    if reply_to:
        msg["Reply-To"] = _address(reply_to)
    msg["To"] = formataddr((_display_name(to_name), parseaddr(_address(to_addr))[1]))
    msg["Subject"] = _one_line(draft.subject)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=_domain(sender))
    msg[HEADER_NAME] = _one_line(action_key)
    msg.set_content(to_plain(draft.text))  # real plain text; the HTML part from the same Markdown
    msg.add_alternative(html_document(draft, policy), subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=attachment_name)
    return msg


def _file_stem(on: date, client_id: str, key: str) -> str:
    key = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "action"
    return f"{on.isoformat()}_{safe_name(client_id)}_{key}"


def set_aside(path: Path, folder: str) -> Path:
    """Move an outbox file into its subfolder ``folder`` ("sent", "stale") at once."""
    done = path.parent / folder
    done.mkdir(exist_ok=True)
    target = done / path.name
    os.replace(path, target)
    return target


def _set_aside_old_drafts(book, outbox: Path, on: date) -> list[str]:
    """The drafts of earlier days that were never approved (``dun mail`` made them; no
    "queued" activity names them) moved to ``outbox/stale/``: the day's drafts are made from
    what is due now. Before, 'dun mail' on Monday and 'dun mail --send' on Tuesday sent
    Monday's draft and Tuesday's of the same still-due action, and a Monday draft for an
    invoice paid since."""
    approved = {a.message_id for a in book.activities if a.outcome == "queued" and a.message_id}
    said = []
    for path in sorted(outbox.glob("*.eml")):
        try:
            day = date.fromisoformat(path.name[:10])
        except ValueError:
            continue
        if day >= on or path.is_symlink() or not path.is_file():
            continue
        try:
            raw = unsealed(read_plain(path, MAX_EML_BYTES + 1))
        except (DunError, OSError):
            continue
        if raw is None or len(raw) > MAX_EML_BYTES:
            continue  # (not one of dun's: sending refuses it, saying why)
        head = BytesParser(policy=email_policy.default).parsebytes(raw, headersonly=True)
        if str(head["Message-ID"] or "") in approved:
            continue  # (approved in the app: it goes as approved)
        set_aside(path, "stale")
        said.append(f"{path.name}: drafted on {day.isoformat()} and never sent; moved to outbox/stale/ "
                    f"(today's drafts are made from what is due now)")
    return said


def prepare_outbox(repo_or_book, policy, on: date, outbox: Path, *, now: datetime | None = None) -> MailResult:
    """Write the day's e-mails (.eml) and letters (.pdf) into ``outbox``."""
    from .pdf import html_to_pdf

    import derived

    repo = repo_or_book if hasattr(repo_or_book, "book") and callable(repo_or_book.book) else None
    if repo is not None:
        book = repo.book()
        policy = policy or repo.policy()
    else:
        book = repo_or_book
    check_templates(policy)
    if not policy.mail.sender:
        raise DunError("no sender address", "policy.toml: mail.from", 'set from = "Name <you@example.com>"')
    when = now or datetime.combine(on, time(9, 0), tzinfo=timezone.utc)
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    result = MailResult(outbox=outbox)
    result.notices += _set_aside_old_drafts(book, outbox, on)
    index = index_book(book)
    ledger = derive(index, on)
    env = environment()
    # the day's actions and their messages through the derived state (a book alone: the engine's fold)
    day = derived.current(repo, policy, on, book=book).book_day if repo is not None else \
        derivation(index, policy, on).day()
    for action in day.agenda:
        if action.kind not in MAIL_KINDS or action.channel not in ("email", "letter"):
            if action.kind == "dispute":
                result.notices.append(f"{action.client}: dispute review is for you, not the client — see the agenda")
            continue
        client = book.clients[action.client]
        key = action.key or action.step or action.kind
        draft = draft_from_day(action, day.clients[action.client], client, policy, on)
        data = statement_data(book, policy, client.id, on, ledger=ledger, draft=None, action=action,
                              find_action=False)
        stem = _file_stem(on, client.id, key)
        email = client.email
        if action.channel == "email" and email:
            pdf = html_to_pdf(render_statement_html(data, for_pdf=True), policy.publish.paper)
            contact = next((c for c in client.contacts if c.email == email), None)
            msg = build_email(draft, sender=policy.mail.sender, reply_to=policy.mail.reply_to,
                              to_name=(contact.name if contact and contact.name else client.name), to_addr=email,
                              policy=policy, attachment=pdf,
                              attachment_name=f"Statement-{safe_name(client.id)}-{on.isoformat()}.pdf",
                              when=when, action_key=key)
            path = outbox / f"{stem}.eml"
            if (outbox / "sent" / path.name).is_file():
                continue  # sent already today (the app or an earlier run): never twice
            tag(msg, action, on, policy)
            atomic_write(path, seal(msg.as_bytes()))  # (only sealed messages are ever sent)
            result.emails.append(OutboxItem(client.id, client.name, key, "email", path, msg["Subject"], msg["To"]))
        else:
            bad = client.bad_emails
            reason = ("letter step" if action.channel == "letter" else
                      f"the e-mail on file ({bad[0]!r:.60}) is not one plain address" if bad else "no e-mail address on file")
            html = env.get_template("letter.html").render(s=data, draft=draft, body=Markup(draft.html), L=data.locale)
            path = outbox / f"{stem}.pdf"
            atomic_write(path, html_to_pdf(html, policy.publish.paper))
            result.letters.append(OutboxItem(client.id, client.name, key, "letter", path, draft.subject, reason=reason))
            if action.channel == "email":
                result.notices.append(
                    f"{client.id}: {reason if bad else 'no e-mail address'} — print and post {path.name}, or "
                    f"{'correct' if bad else 'add'} the client's e-mail")
    return result


def smtp_password(policy) -> str | None:
    """The SMTP password: the environment variable named in the policy, else the keyring."""
    m = policy.mail
    value = os.environ.get(m.password_env) if m.password_env else None
    if value:
        return value
    if not m.smtp_user:
        return None
    try:
        import keyring

        return keyring.get_password(m.keyring_service or "dun", m.smtp_user)
    except Exception:  # no keyring backend on this machine
        return None


def read_eml(path: Path) -> EmailMessage:
    """A message in the outbox: a plain file (never read through a link: a book folder from
    elsewhere may put one to a device there), of at most ``MAX_EML_BYTES``."""
    data = read_plain(path, MAX_EML_BYTES + 1)
    if len(data) > MAX_EML_BYTES:
        raise DunError(f"{path.name} is larger than any message dun writes ({MAX_EML_BYTES // 2**20} MB)",
                       str(path.parent), "move it out of the outbox")
    return BytesParser(policy=email_policy.default).parsebytes(data)
