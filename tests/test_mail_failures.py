"""Issue 18, bad input: a wrong password and a server that never answers. Each is one line,
nothing is logged as sent, nothing is sent, and the messages stay queued in the outbox."""
from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

from .test_tui_send import Mailbox, free_port, point_policy_at
from .tui_support import DAY, make_book, owners_company, reopen


def _queued_book(tmp_path, capsys):
    from cli.main import main

    book = make_book(tmp_path / "book", seed=1)
    assert main(["--book", str(book), "--on", DAY.isoformat(), "mail"]) == 0
    capsys.readouterr()
    queued = sorted(p.name for p in (book / "outbox").glob("*.eml"))
    assert queued
    return book, queued


def _nothing_sent(book, queued):
    assert sorted(p.name for p in (book / "outbox").glob("*.eml")) == queued
    assert not [a for a in reopen(book).activities if a.date == DAY and a.outcome == "sent"]


def test_a_wrong_password_is_one_line_and_everything_stays_queued(tmp_path, capsys, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from cli.main import main

    book, queued = _queued_book(tmp_path, capsys)
    port = free_port()
    point_policy_at(book, port)
    policy = book / "policy.toml"
    policy.write_text(re.sub(r'(?m)^smtp_user = .*$', 'smtp_user = "owner"', policy.read_text(encoding="utf-8")),
                      encoding="utf-8")
    assert 'smtp_user = "owner"' in policy.read_text(encoding="utf-8")
    monkeypatch.setenv("DUN_SMTP_PASSWORD", "not-the-password")
    mailbox = Mailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port, auth_require_tls=False,
                        authenticator=lambda *args: AuthResult(success=False, handled=False))
    server.start()
    try:
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 1
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "password" in err.lower() or "authentication" in err.lower(), err
    assert mailbox.messages == []
    _nothing_sent(book, queued)


def test_a_server_that_never_answers_times_out_in_one_line(tmp_path, capsys, monkeypatch):
    import publish.smtp as outbox  # (the SMTP session)
    from cli.main import main

    book, queued = _queued_book(tmp_path, capsys)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))  # loopback only
    silent.listen(8)
    accepted = []
    stop = threading.Event()

    def hold():  # accept, then say nothing: no greeting ever comes
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    point_policy_at(book, silent.getsockname()[1])
    monkeypatch.setattr(outbox, "TIMEOUT", 1)
    try:
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 1
    finally:
        stop.set()
        t.join()
        for c in accepted:
            c.close()
        silent.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "time" in err.lower(), err
    _nothing_sent(book, queued)


def test_a_refused_message_is_one_line_naming_its_file_once_and_the_others_go(tmp_path, capsys):
    """A server that refuses one message's data (with an escape sequence in its reply): that
    message is named once on one line, without the server's control characters, and stays
    queued; the others are sent."""
    from aiosmtpd.controller import Controller

    from cli.main import main

    book, queued = _queued_book(tmp_path, capsys)
    port = free_port()
    point_policy_at(book, port)

    class Refusing(Mailbox):
        async def handle_DATA(self, server, session, envelope):
            if not self.refuse:  # the first message
                self.refuse.add("done")
                return "554 5.7.1 \x1b[2Jrefused by policy"
            return await super().handle_DATA(server, session, envelope)

    mailbox = Refusing()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 1
    finally:
        server.stop()
    err = capsys.readouterr().err
    left = [p.name for p in (book / "outbox").glob("*.eml")]
    assert len(left) == 1 and left[0] in queued
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].count(left[0]) == 1, lines[0]
    assert "refused" in lines[0] and "\x1b" not in err
    assert len(mailbox.messages) == len(queued) - 1


def test_nothing_is_sent_while_the_company_is_the_templates_example(tmp_path, capsys):
    """A book fresh from 'dun init' (or 'dun demo') names the template's example company, with
    its bank details: every message stays queued, one line says why, and publishing warns."""
    from aiosmtpd.controller import Controller

    from cli.main import main

    book, queued = _queued_book(tmp_path, capsys)
    policy = book / "policy.toml"
    example = policy.read_text(encoding="utf-8")
    assert re.search(r"(?m)^example = true$", example)
    port = free_port()
    point_policy_at(book, port)
    policy.write_text(policy.read_text(encoding="utf-8").replace("[company]\n", "[company]\nexample = true\n", 1),
                      encoding="utf-8")
    mailbox = Mailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "policy.toml [company] is still the example (Northwind Studio Ltd" in err
        assert mailbox.messages == []
        _nothing_sent(book, queued)
        assert main(["--book", str(book), "--on", DAY.isoformat(), "publish", "--no-pdf"]) == 0
        assert "warning: policy.toml [company] is still the example" in capsys.readouterr().err
        # the owner puts their company in place: now it goes
        policy.write_text(owners_company(policy.read_text(encoding="utf-8")), encoding="utf-8")
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 0
        assert len(mailbox.messages) == len(queued)
        assert main(["--book", str(book), "--on", DAY.isoformat(), "publish", "--no-pdf"]) == 0
        assert "still the example" not in capsys.readouterr().err
    finally:
        server.stop()


def test_the_example_flag_is_true_or_false():
    from receivables.policy import parse_policy

    policy, problems = parse_policy({"company": {"example": "yes"}})
    assert policy is None and [(p.where, p.message) for p in problems] == [
        ("policy.toml: company.example", "must be true or false, not 'yes'")]
    assert parse_policy({"company": {"example": True}})[0].company.example
    assert not parse_policy({})[0].company.example


def test_deleting_the_example_line_is_not_enough_while_its_details_remain(tmp_path):
    """With 'example = true' deleted and nothing else changed, mail went out and statements
    were published without a word, carrying the example's bank details and tax id."""
    from receivables.policy import read_policy
    from receivables.policytypes import example_note

    path = tmp_path / "policy.toml"
    shipped = (Path(__file__).resolve().parent.parent / "policy.toml").read_text(encoding="utf-8")
    path.write_text(shipped.replace("example = true\n", ""), encoding="utf-8")
    company = read_policy(path).company
    assert company.example
    assert "its email, phone, tax_id, payment_instructions" in example_note(company)
    path.write_text(shipped.replace("example = true\n", "").replace("GB 123 4567 89", "GB 555 0000 11")
                    .replace("+44 117 496 0000", "+44 20 7000 0000"), encoding="utf-8")
    assert "its email, payment_instructions)" in example_note(read_policy(path).company)
    path.write_text(owners_company(shipped), encoding="utf-8")
    assert not read_policy(path).company.example
