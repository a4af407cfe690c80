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

import dataclasses
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from markupsafe import Markup

from receivables.errors import DunError
from receivables.ledger import derive, index_book

from . import engine
from .env import environment
from .messages import Draft, check_templates, draft_for_action, html_document
from .site import safe_name
from .statements import render_statement_html, statement_data

MAIL_KINDS = ("step", "installment", "promise")
HEADER_NAME = "X-Dun-Action"


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
    return " ".join((text or "").split())


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
    msg["To"] = formataddr((_one_line(to_name), parseaddr(_address(to_addr))[1]))
    msg["Subject"] = _one_line(draft.subject)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=_domain(sender))
    msg[HEADER_NAME] = _one_line(action_key)
    msg.set_content(draft.text)
    msg.add_alternative(html_document(draft, policy), subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=attachment_name)
    return msg


def _file_stem(on: date, client_id: str, key: str) -> str:
    key = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "action"
    return f"{on.isoformat()}_{safe_name(client_id)}_{key}"


def prepare_outbox(repo_or_book, policy, on: date, outbox: Path, *, now: datetime | None = None) -> MailResult:
    """Write the day's e-mails (.eml) and letters (.pdf) into ``outbox``."""
    from .pdf import html_to_pdf

    if hasattr(repo_or_book, "book") and callable(repo_or_book.book):
        book = repo_or_book.book()
        policy = policy or repo_or_book.policy()
    else:
        book = repo_or_book
    check_templates(policy)
    if not policy.mail.sender:
        raise DunError("no sender address", "policy.toml: mail.from", 'set from = "Name <you@example.com>"')
    when = now or datetime.combine(on, time(9, 0), tzinfo=timezone.utc)
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    index = index_book(book)
    ledger = derive(index, on)
    result = MailResult(outbox=outbox)
    env = environment()
    for action in engine.build_agenda(index, policy, on):
        if action.kind not in MAIL_KINDS or action.channel not in ("email", "letter"):
            if action.channel == "email" and action.kind == "dispute":
                result.notices.append(f"{action.client}: dispute review is for you, not the client — see the agenda")
            continue
        client = book.clients[action.client]
        key = action.key or action.step or action.kind
        draft = draft_for_action(action, book, policy, on, ledger)
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
            _write_atomic(path, msg.as_bytes())
            result.emails.append(OutboxItem(client.id, client.name, key, "email", path, msg["Subject"], msg["To"]))
        else:
            reason = "letter step" if action.channel == "letter" else "no e-mail address on file"
            html = env.get_template("letter.html").render(s=data, draft=draft, body=Markup(draft.html), L=data.locale)
            path = outbox / f"{stem}.pdf"
            _write_atomic(path, html_to_pdf(html, policy.publish.paper))
            result.letters.append(OutboxItem(client.id, client.name, key, "letter", path, draft.subject, reason=reason))
            if action.channel == "email":
                result.notices.append(
                    f"{client.id}: no e-mail address — print and post {path.name}, or add an e-mail to the client")
    return result


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
    with open(path, "rb") as f:
        return BytesParser(policy=email_policy.default).parse(f)


def send_outbox(items: list[OutboxItem], policy, on: date, *, repo=None, book=None,
                password: str | None = None) -> list[OutboxItem]:
    """Send ``items`` (e-mails from :func:`prepare_outbox`) over SMTP; log each sent one as an
    activity with its step (through ``repo``) and move its file to ``outbox/sent/``."""
    from receivables.agenda import build_agenda

    m = policy.mail
    if not items:
        return []
    if password is None:
        password = smtp_password(policy)
    if m.smtp_user and not password:
        raise DunError(f"no SMTP password for {m.smtp_user}", "mail",
                       f"set the environment variable {m.password_env} or store it in the keyring "
                       f"(keyring set {m.keyring_service or 'dun'} {m.smtp_user})")
    book = book if book is not None else (repo.book() if repo is not None else None)
    actions = {}
    if book is not None:
        for a in build_agenda(book, policy, on):
            actions[(a.client, a.key or a.step or a.kind)] = a
    sent: list[OutboxItem] = []
    try:
        smtp = smtplib.SMTP(m.smtp_host, m.smtp_port, timeout=30)
    except OSError as e:
        raise DunError(f"cannot reach the mail server {m.smtp_host}:{m.smtp_port}: {e}", "mail",
                       "check smtp_host and smtp_port in policy.toml") from None
    try:
        smtp.ehlo()
        if m.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if m.smtp_user:
            smtp.login(m.smtp_user, password or "")
        for item in items:
            if item.kind != "email":
                continue
            msg = read_eml(item.path)
            smtp.send_message(msg)
            sent.append(item)
            action = actions.get((item.client, item.action))
            if repo is not None and action is not None:
                from receivables.agenda import activity_for

                act = activity_for(action, on, channel="email", outcome="sent",
                                   body=f"E-mailed: {item.subject}")
                repo.log_activity(dataclasses.replace(act, internal=False))
            done = item.path.parent / "sent"
            done.mkdir(exist_ok=True)
            os.replace(item.path, done / item.path.name)
            item.path = done / item.path.name
    except smtplib.SMTPAuthenticationError:
        raise DunError("the mail server refused the user name or password", "mail",
                       f"check smtp_user and {m.password_env}") from None
    except smtplib.SMTPException as e:
        raise DunError(f"sending failed after {len(sent)} message(s): {e}", "mail",
                       "the rest stay in the outbox; run 'dun mail --send' again") from None
    finally:
        try:
            smtp.quit()
        except Exception:
            pass
    return sent
