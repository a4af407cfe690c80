"""dun mail: .eml drafts parsed back with the email package; sending to a real SMTP server."""
from __future__ import annotations

import email
import time
from dataclasses import replace
from datetime import date
from email import policy as email_policy
from pathlib import Path

import pytest

from publish.mail import prepare_outbox, read_eml
from publish.outbox import send_outbox
from publish.sample import sample_book
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
ON = date(2026, 11, 20)


@pytest.fixture(scope="module")
def policy():  # the owner's own company put in place of the template's example
    p = read_policy(ROOT / "policy.toml")
    return replace(p, company=replace(p.company, example=False))


@pytest.fixture(scope="module")
def outbox(tmp_path_factory, policy):
    out = tmp_path_factory.mktemp("book") / "outbox"
    return prepare_outbox(sample_book(ON), policy, ON, out)


def test_eml_parses_back_with_the_email_package(outbox, policy):
    assert outbox.emails
    item = next(i for i in outbox.emails if i.client == "ACME")
    raw = item.path.read_bytes()
    msg = email.message_from_bytes(raw, policy=email_policy.default)
    assert msg["From"] == "Northwind Studio Accounts <accounts@northwind.example>"
    assert msg["Reply-To"] == "accounts@northwind.example"
    assert msg["To"] == "Jane Doe <jane@acme.example>"
    assert msg["Subject"].startswith("Second reminder")
    assert msg["Message-ID"] and msg["Date"]
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "INV-1002" in plain and "£830.50" in plain
    assert "<li>" in html and "INV-1002" in html
    atts = list(msg.iter_attachments())
    assert len(atts) == 1
    assert atts[0].get_content_type() == "application/pdf"
    assert atts[0].get_filename() == "Statement-ACME-2026-11-20.pdf"
    assert atts[0].get_content()[:5] == b"%PDF-"
    # RFC 5322: CRLF line ends, no line over 998 characters
    assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_client_without_email_gets_a_letter_and_the_owner_is_told(tmp_path, policy):
    book = sample_book(ON)
    acme = book.clients["ACME"]
    book = replace(book, clients={**book.clients, "ACME": replace(acme, contacts=(replace(acme.contacts[0], email=""),))})
    res = prepare_outbox(book, policy, ON, tmp_path / "outbox")
    assert not any(i.client == "ACME" for i in res.emails)
    letters = [i for i in res.letters if i.client == "ACME" and i.reason == "no e-mail address on file"]
    assert letters and letters[0].path.read_bytes()[:5] == b"%PDF-"
    assert any(n.startswith("ACME: no e-mail address") for n in res.notices)
    # on paper the statement is enclosed, and the client writes or calls (no e-mail to reply to)
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(letters[0].path).pages).split())
    assert "Your current statement is enclosed." in text and "reply to this email" not in text
    assert "write to us or call us" in text
    sent = read_eml(next(i for i in prepare_outbox(sample_book(ON), policy, ON, tmp_path / "o2").emails
                         if i.client == "ACME").path)
    plain = sent.get_body(("plain",)).get_content()
    assert "Your current statement is attached." in " ".join(plain.split()) and "reply to this email" in plain


def test_hostile_client_name_cannot_inject_headers(tmp_path, policy):
    book = sample_book(ON)
    evil = book.clients["EVIL"]
    book = replace(book, clients={**book.clients, "EVIL": replace(
        evil, contacts=(replace(evil.contacts[0], name="Mallory\r\nBcc: victim@example.com"),))})
    res = prepare_outbox(book, policy, ON, tmp_path / "outbox")
    for item in res.emails:
        msg = read_eml(item.path)
        assert msg["Bcc"] is None


CONTROL_NAME = "\x1b[31mEvil\x1b]0;pwned\x07 Ltd\u202e"


def _with_control_name(book):
    acme = book.clients["ACME"]
    return replace(book, clients={**book.clients, "ACME": replace(
        acme, name=CONTROL_NAME, contacts=(replace(acme.contacts[0], name=CONTROL_NAME),))})


def test_control_characters_in_a_name_stay_out_of_the_headers(tmp_path, policy):
    """An escape sequence or a bidi override in a client's name went raw into To (the mail
    library encodes only the non-ASCII words), and the address after it no longer parsed."""
    res = prepare_outbox(_with_control_name(sample_book(ON)), policy, ON, tmp_path / "outbox")
    item = next(i for i in res.emails if i.client == "ACME")
    head = item.path.read_bytes().split(b"\r\n\r\n", 1)[0]
    assert not [b for b in head if b < 32 and b not in (9, 10, 13) or b == 127]
    msg = email.message_from_bytes(item.path.read_bytes(), policy=email_policy.default)
    assert msg["To"].addresses[0].addr_spec == "jane@acme.example"
    assert msg["To"].addresses[0].display_name == "31mEvil 0 pwned Ltd"
    assert "\u202e" not in str(msg["To"]) and "\x1b" not in str(msg["Subject"])


@pytest.mark.parametrize("name", [
    "Acme Trading Company International Holdings Limited, thief@evil.example, Group Services Division",
    "Acme <script>alert(1)</script> Trading Company International Holdings Limited Group Services",
    '[Acme] "Trading"; Company: International (Holdings) Limited \\ Group Services Division Ltd.',
    "Short, Name",
])
def test_a_long_name_with_specials_gives_one_recipient(tmp_path, policy, name):
    """A display name holding a comma, <, > or a quote must be quoted; the mail library drops
    the quotes when it folds a long one, so the To header named three mailboxes (one of them
    a stranger's) and the message could never be sent."""
    book = sample_book(ON)
    acme = book.clients["ACME"]
    book = replace(book, clients={**book.clients, "ACME": replace(
        acme, contacts=(replace(acme.contacts[0], name=name),))})
    item = next(i for i in prepare_outbox(book, policy, ON, tmp_path / "outbox").emails if i.client == "ACME")
    msg = email.message_from_bytes(item.path.read_bytes(), policy=email_policy.default)
    (only,) = msg["To"].addresses
    assert only.addr_spec == "jane@acme.example"
    assert only.display_name.split()[0].strip("[") in ("Acme", "Short")


def test_a_message_whose_recipient_does_not_parse_is_not_sent(tmp_path, policy):
    """A queued message (sealed: dun wrote it) whose To header parses as no plain address is
    refused in one line and stays queued; it never goes to whatever the header parses as."""
    from aiosmtpd.controller import Controller

    from publish.seal import seal
    from publish.outbox import send_files

    from .test_tui_send import Mailbox, free_port

    res = prepare_outbox(sample_book(ON), policy, ON, tmp_path / "outbox")
    item = next(i for i in res.emails if i.client == "ACME")
    data = email.message_from_bytes(item.path.read_bytes(), policy=email_policy.default)
    del data["X-Dun-Seal"]
    del data["To"]
    body = data.as_bytes(policy=email_policy.SMTP)
    # the header as an earlier dun wrote it for a name with control characters
    body = b"To: \x1b[31mEvil\x1b]0;pwned\x07 =?utf-8?q?Ltd=E2=80=AE?= <jane@acme.example>\r\n" + body
    item.path.write_bytes(seal(body))
    port = free_port()
    mailbox = Mailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        pol = replace(policy, mail=replace(policy.mail, smtp_host="127.0.0.1", smtp_port=port, starttls=False,
                                           smtp_user=""))
        report = send_files([item.path], pol)
    finally:
        server.stop()
    assert not report.sent and len(report.failed) == 1
    why = report.failed[0][1]
    assert "where an e-mail address belongs" in why and "\n" not in why
    assert mailbox.messages == [] and item.path.is_file()


def test_a_name_with_control_characters_is_sent_to_the_clients_address(tmp_path, policy):
    from aiosmtpd.controller import Controller

    from publish.outbox import send_files

    from .test_tui_send import Mailbox, free_port

    res = prepare_outbox(_with_control_name(sample_book(ON)), policy, ON, tmp_path / "outbox")
    item = next(i for i in res.emails if i.client == "ACME")
    port = free_port()
    mailbox = Mailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        pol = replace(policy, mail=replace(policy.mail, smtp_host="127.0.0.1", smtp_port=port, starttls=False,
                                           smtp_user=""))
        report = send_files([item.path], pol)
        deadline = time.time() + 5
        while not mailbox.messages and time.time() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    assert len(report.sent) == 1 and not report.failed
    assert [e.rcpt_tos for e in mailbox.messages] == [["jane@acme.example"]]


class _Handler:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_send_to_a_real_smtp_server_logs_each_message(tmp_path, policy):
    from aiosmtpd.controller import Controller

    from store import init_book, open_book

    import socket

    with socket.socket() as s:  # a free port on the loopback interface (never any other address)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        pol = replace(policy, mail=replace(policy.mail, smtp_host="127.0.0.1", smtp_port=port, starttls=False,
                                           smtp_user=""))
        init_book(tmp_path / "book", book=sample_book(ON))
        repo = open_book(tmp_path / "book")
        try:
            res = prepare_outbox(repo.book(), pol, ON, repo.paths.outbox)
            before = len(repo.book().activities)
            sent = send_outbox(res.emails, pol, ON, repo=repo)
            assert len(sent) == len(res.emails) >= 2
            deadline = time.time() + 5
            while len(handler.messages) < len(sent) and time.time() < deadline:
                time.sleep(0.05)
            assert len(handler.messages) == len(sent)
            rcpts = sorted(r for env in handler.messages for r in env.rcpt_tos)
            assert "jane@acme.example" in rcpts
            got = email.message_from_bytes(handler.messages[0].content, policy=email_policy.default)
            assert got["From"] == "Northwind Studio Accounts <accounts@northwind.example>"
            acts = repo.book().activities[before:]
            assert len(acts) == len(sent)
            assert {a.step for a in acts} == {i.action for i in sent}
            assert all(a.channel == "email" and a.outcome == "sent" for a in acts)
            assert all((repo.paths.outbox / "sent" / i.path.name).is_file() for i in sent)
            # once logged, the step is done: tomorrow's mail run does not draft it again
            again = prepare_outbox(repo.book(), pol, ON, tmp_path / "outbox2")
            assert not {(i.client, i.action) for i in again.emails} & {(i.client, i.action) for i in sent}
        finally:
            repo.close()
    finally:
        controller.stop()


def test_password_never_comes_from_the_policy(monkeypatch, policy):
    from publish.mail import smtp_password

    pol = replace(policy, mail=replace(policy.mail, smtp_user="me", password_env="DUN_TEST_PW"))
    monkeypatch.setenv("DUN_TEST_PW", "s3cret")
    assert smtp_password(pol) == "s3cret"


def test_a_password_never_goes_in_clear_text_to_another_machine(monkeypatch, tmp_path, policy):
    """starttls = false with a user: refused before any connection, unless the server is on this
    machine (a local relay); the password is not even looked up."""
    import smtplib

    import publish.smtp as outbox  # (the SMTP session)

    connected = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: connected.append(a) or (_ for _ in ()).throw(OSError("no")))
    monkeypatch.setattr(outbox, "smtp_password", lambda pol: pytest.fail("the password was looked up"))
    pol = replace(policy, mail=replace(policy.mail, smtp_host="mail.example.net", smtp_user="me", starttls=False))
    with pytest.raises(outbox.SendFailed) as e:
        outbox.Connection(pol).open()
    assert "clear text" in str(e.value) and "starttls" in str(e.value) and e.value.fatal
    assert connected == []
    for here in ("localhost", "127.0.0.1", "::1"):
        local = replace(policy, mail=replace(policy.mail, smtp_host=here, smtp_user="me", starttls=False))
        monkeypatch.setattr(outbox, "smtp_password", lambda pol: "pw")
        with pytest.raises(outbox.SendFailed) as e:
            outbox.Connection(local).open()
        assert "cannot reach" in str(e.value)  # it tried: no refusal for this machine
    assert len(connected) == 3


def test_the_password_goes_only_to_the_server_it_went_to_before(monkeypatch, tmp_path, policy):
    """A book's policy names the SMTP server: the first remote server a password is accepted by
    is remembered outside every book, and another one is refused before the password is even
    looked up, until the owner says it is theirs (new_server)."""
    import smtplib

    import publish.smtp as outbox  # (the SMTP session)
    from publish import mailserver

    logins = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            self.host = host

        def ehlo(self):
            pass

        def starttls(self, context=None):
            pass

        def login(self, user, password):
            logins.append((self.host, user, password))

        def quit(self):
            pass

    looked_up = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(outbox, "smtp_password", lambda pol: looked_up.append(pol.mail.smtp_host) or "pw")
    monkeypatch.setattr(mailserver, "record_path", lambda: tmp_path / "data" / "mail-server.json")

    def at(host, user="me"):
        return replace(policy, mail=replace(policy.mail, smtp_host=host, smtp_user=user, starttls=True))

    outbox.Connection(at("smtp.mine.example")).open()  # the first: remembered
    assert mailserver.known() == ("smtp.mine.example", "me")
    outbox.Connection(at("SMTP.mine.example")).open()  # the same server
    for other in (at("smtp.theirs.example"), at("smtp.mine.example", user="them")):
        with pytest.raises(outbox.SendFailed) as e:
            outbox.Connection(other).open()
        assert "smtp.mine.example" in str(e.value) and "--new-server" in str(e.value) and e.value.fatal
    assert looked_up == ["smtp.mine.example", "SMTP.mine.example"]  # never for the other ones
    outbox.Connection(at("127.0.0.1", user="relay")).open()  # this machine: not checked, not remembered
    assert mailserver.known() == ("smtp.mine.example", "me")
    outbox.Connection(at("smtp.new.example"), new_server=True).open()  # the owner's word
    assert mailserver.known() == ("smtp.new.example", "me")
    assert [h for h, _, _ in logins] == ["smtp.mine.example", "SMTP.mine.example", "127.0.0.1", "smtp.new.example"]
