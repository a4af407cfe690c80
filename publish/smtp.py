"""One SMTP session for the outbox (:mod:`publish.outbox`): it opens on first use, checks
where the password goes, and sends a queued file's bytes as they are, less the private
headers; every error becomes one line (:class:`SendFailed`)."""
from __future__ import annotations

import email
import ipaddress
import smtplib
import socket
import ssl
from email import policy as email_policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from receivables.controls import UNSAFE
from receivables.errors import DunError
from receivables.policytypes import example_note

from . import mailserver
from .mail import H_SENDER, PRIVATE, sender_digest, smtp_password
from .seal import HEADER as SEAL_HEADER, unsealed

TIMEOUT = 30  # seconds for the connection and each SMTP reply


class SendFailed(DunError):
    """One message was not accepted. ``fatal``: the server is not usable (down, timeout,
    password), so the messages after it are not tried either."""

    def __init__(self, message: str, where: str = "mail", hint: str = "", *, fatal: bool = False) -> None:
        super().__init__(message, where, hint)
        self.fatal = fatal


class Stale(SendFailed):
    """A message made with other sender details than the policy has now (see
    :func:`publish.mail.sender_digest`): never sent, moved to ``outbox/stale/``."""


def smtp_problem(policy) -> str:
    """Why messages cannot be sent from here ("" when ``[mail]`` names a server and a sender)."""
    m = policy.mail
    if policy.company.example:
        return example_note(policy.company)
    if not m.sender:
        return "no sender address in policy.toml [mail] from"
    if not m.smtp_host:
        return "no SMTP server in policy.toml [mail] smtp_host: messages wait in the outbox"
    return ""


class Connection:
    """One SMTP session, opened on first use; every error becomes a :class:`SendFailed`."""

    def __init__(self, policy, password: str | None = None, *, new_server: bool = False) -> None:
        self.policy = policy
        self.password = password
        self.new_server = new_server  # the owner said the policy's server is right (publish.mailserver)
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        m = self.policy.mail
        problem = smtp_problem(self.policy)
        if problem:
            raise SendFailed(problem, "" if self.policy.company.example else "policy.toml [mail]",
                             "messages wait in BOOK/outbox/", fatal=True)
        if m.smtp_user and not m.starttls and not _on_this_machine(m.smtp_host):
            raise SendFailed(f"the mail server {m.smtp_host} would get your password in clear text",
                             "policy.toml [mail] starttls", "set starttls = true (or use a server on this machine)",
                             fatal=True)
        remote = m.smtp_user and not _on_this_machine(m.smtp_host)
        was = mailserver.other_than_known(m.smtp_host, m.smtp_user) if remote and not self.new_server else None
        if was is not None:
            raise SendFailed(f"your SMTP password has gone to {was[0]} ({was[1]}) until now, and this book's "
                             f"policy names {m.smtp_host} ({m.smtp_user})", "policy.toml [mail] smtp_host",
                             "if the new server is right, send once with 'dun mail --send --new-server' (a book "
                             "from someone else may name a server of theirs)", fatal=True)
        password = self.password if self.password is not None else smtp_password(self.policy)
        if m.smtp_user and not password:
            raise SendFailed(f"no SMTP password for {m.smtp_user}", "mail",
                             f"set {m.password_env} or store it in the keyring "
                             f"(keyring set {m.keyring_service or 'dun'} {m.smtp_user})", fatal=True)
        where = f"{m.smtp_host}:{m.smtp_port}"
        try:
            smtp = smtplib.SMTP(m.smtp_host, m.smtp_port, timeout=TIMEOUT)
        except (OSError, smtplib.SMTPException) as e:
            raise SendFailed(f"cannot reach the mail server {where}: {_why(e)}", "mail",
                             "check smtp_host and smtp_port in policy.toml, or try again later", fatal=True) from None
        try:
            smtp.ehlo()
            if m.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if m.smtp_user:
                smtp.login(m.smtp_user, password or "")
                if remote:
                    mailserver.remember(m.smtp_host, m.smtp_user)
        except smtplib.SMTPAuthenticationError:
            _quit(smtp)
            raise SendFailed(f"the mail server {where} refused the user name or password", "mail",
                             f"check smtp_user and the password ({m.password_env} or the keyring)",
                             fatal=True) from None
        except (OSError, smtplib.SMTPException) as e:
            _quit(smtp)
            raise SendFailed(f"the mail server {where} did not let us in: {_why(e)}", "mail",
                             "check starttls and the port in policy.toml", fatal=True) from None
        self.smtp = smtp

    def send(self, path: Path) -> None:
        """Send one queued file; returns once the server accepted it (else SendFailed). The
        file's bytes go as they are, less the private headers (and any Bcc): the message is
        not parsed and generated again (a statement PDF makes it a megabyte or more)."""
        raw = unsealed(path.read_bytes())
        if raw is None:  # (see publish.seal)
            raise SendFailed("dun on this machine did not write it (it came with the book, or was edited by hand)",
                             str(path.name),
                             "check it; delete it, and 'dun mail' or the app drafts the day's messages again")
        if self.smtp is None:
            self.open()
        if b"\r\n\r\n" not in raw:  # (written by 'dun mail': LF line ends) made canonical first
            raw = email.message_from_bytes(raw, policy=email_policy.default).as_bytes(policy=email_policy.SMTP)
        head, sep, body = raw.partition(b"\r\n\r\n")
        msg = BytesHeaderParser(policy=email_policy.default).parsebytes(head + sep)
        if str(msg[H_SENDER] or "") != sender_digest(self.policy):
            raise Stale("it was made with other sender details than policy.toml has now ([company]: name, "
                        "address, where to pay; [mail] from): not sent", str(path.name),
                        "it is kept in outbox/stale/; its action is to do again, made with your details")
        sender = getaddresses([str(msg["From"])])[0][1]
        rcpts = [a for _, a in getaddresses([str(v) for k in ("To", "Cc", "Bcc") for v in msg.get_all(k, [])]) if a]
        odd = [a for a in (sender, *rcpts) if not _plain_address(a)]
        if not rcpts or odd:  # (never a message to whatever a damaged header parses as)
            raise SendFailed(f"its header names {odd[0]!r} where an e-mail address belongs" if odd
                             else "it names no recipient", str(path.name),
                             "check the client's e-mail address, delete the file and draft it again")
        data = _without_headers(head, PRIVATE + ("Bcc", SEAL_HEADER.decode())) + sep + body
        try:
            refused = self.smtp.sendmail(sender, rcpts, data)
        except smtplib.SMTPRecipientsRefused as e:
            who = ", ".join(f"{a} ({c} {_text(t)})" for a, (c, t) in e.recipients.items())
            raise SendFailed(f"the mail server refused {who}", str(path.name),
                             "check the client's e-mail address; the message stays queued") from None
        except smtplib.SMTPDataError as e:
            raise SendFailed(f"the mail server refused the message: {e.smtp_code} {_text(e.smtp_error)}",
                             str(path.name), "the message stays queued") from None
        except smtplib.SMTPSenderRefused as e:
            raise SendFailed(f"the mail server refused the sender {e.sender}: {e.smtp_code} {_text(e.smtp_error)}",
                             "policy.toml [mail] from", "check the sender address", fatal=True) from None
        except (OSError, smtplib.SMTPException) as e:
            self.close()
            raise SendFailed(f"the mail server stopped answering: {_why(e)}", "mail",
                             "the message stays queued; try again later", fatal=True) from None
        if refused:  # accepted for some recipients: it went out, the refusals are reported
            pass

    def close(self) -> None:
        if self.smtp is not None:
            _quit(self.smtp)
            self.smtp = None


def _plain_address(addr: str) -> bool:
    """One plain address (local@domain): no space, control character or mailbox syntax."""
    local, at, domain = addr.rpartition("@")
    return bool(local and at and domain) and not any(c.isspace() or c in '<>,;"()' for c in addr) \
        and not UNSAFE.search(addr)


def _on_this_machine(host: str) -> bool:
    """A loopback address (a relay on this machine): no network sees what is sent to it."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _without_headers(head: bytes, names: tuple[str, ...]) -> bytes:
    """A header block (CRLF lines) less the named fields, continuation lines included."""
    drop = {n.lower().encode() for n in names}
    out: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                out.append(line)
            continue
        skipping = line.split(b":", 1)[0].strip().lower() in drop
        if not skipping:
            out.append(line)
    return b"\r\n".join(out)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:
        try:
            smtp.close()
        except Exception:
            pass


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _why(e: BaseException) -> str:
    if isinstance(e, (socket.timeout, TimeoutError)):
        return f"no answer within {TIMEOUT} s"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    if isinstance(e, smtplib.SMTPResponseException):
        return f"{e.smtp_code} {_text(e.smtp_error)}"
    return str(e) or type(e).__name__
