"""Only messages dun wrote on this machine leave the outbox (publish.seal): a book folder from
someone else may hold .eml files ready to go out from the owner's server in the owner's name."""
from __future__ import annotations

import os
import stat

from .test_mail_failures import _queued_book
from .test_tui_send import Mailbox, free_port, point_policy_at
from .tui_support import DAY, reopen


def _send(book, capsys):
    from aiosmtpd.controller import Controller

    from cli.main import main

    port = free_port()
    point_policy_at(book, port)
    mailbox = Mailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        code = main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"])
    finally:
        server.stop()
    return code, mailbox, capsys.readouterr().err.splitlines()


def test_a_message_that_came_with_the_book_or_was_edited_is_not_sent(tmp_path, capsys):
    from publish.seal import key_path

    book, queued = _queued_book(tmp_path, capsys)
    outbox = book / "outbox"
    before = (DAY.replace(day=DAY.day - 1)).isoformat()  # messages left from the day before
    # one put there by someone else: a whole message of their own, without dun's seal
    planted = outbox / f"{before}_someone_reminder.eml"
    planted.write_bytes(b"From: owner@northwind.example\r\nTo: victim@elsewhere.example\r\n"
                        b"Subject: Urgent: new bank details\r\n\r\nPlease pay to IBAN XX00 ...\r\n")
    # one sealed on another machine (another key)
    elsewhere = outbox / f"{before}{queued[1][10:]}"
    elsewhere.write_bytes((outbox / queued[1]).read_bytes().replace(b"X-Dun-Seal: ", b"X-Dun-Seal: 0", 1))
    # one of dun's, edited by hand after it was written
    edited = outbox / f"{before}{queued[0][10:]}"
    edited.write_bytes((outbox / queued[0]).read_bytes().replace(b"Subject: ", b"Subject: Re: ", 1))
    foreign = sorted([planted.name, elsewhere.name, edited.name])

    code, mailbox, err = _send(book, capsys)
    assert code == 1
    assert len(mailbox.messages) == len(queued)  # today's, which dun wrote, went
    assert sorted(p.name for p in outbox.glob("*.eml")) == foreign
    assert len(err) == 3 and all("did not write it" in line for line in err), err
    assert all(sum(name in line for name in foreign) == 1 for line in err)
    assert not any(b"victim@elsewhere" in env.content or b"X-Dun-Seal" in env.content for env in mailbox.messages)
    sent = [a for a in reopen(book).activities if a.outcome == "sent" and a.message_id]
    assert len(sent) == len(queued)
    # the key is the owner's: outside the book, readable by them only
    assert book not in key_path().parents and key_path().is_file()
    assert stat.S_IMODE(os.stat(key_path()).st_mode) == 0o600


def test_a_message_dun_wrote_goes_out_without_its_seal(tmp_path, capsys):
    book, queued = _queued_book(tmp_path, capsys)
    assert all((book / "outbox" / name).read_bytes().startswith(b"X-Dun-Seal: ") for name in queued)
    code, mailbox, err = _send(book, capsys)
    assert code == 0 and err == []
    assert len(mailbox.messages) == len(queued)
    assert not any(b"X-Dun-Seal" in env.content or b"X-Dun-Client" in env.content for env in mailbox.messages)


def test_links_planted_in_the_outbox_never_take_a_write_or_hang_a_read(tmp_path, capsys):
    """A book folder from someone else may hold, in its outbox, a link named as dun's temp file
    for a message it will write (the names are predictable: day, client, action), or a
    message that is a link to a device. Writing the message never writes through the link,
    and the link to the device is refused in one line instead of read for ever."""
    from cli.main import main

    book, queued = _queued_book(tmp_path, capsys)
    outbox = book / "outbox"
    victim = tmp_path / "thesis.txt"
    victim.write_text("three years of work\n")
    for name in queued:
        (outbox / name).unlink()
        (outbox / f".{name}.tmp").symlink_to(victim)
    assert main(["--book", str(book), "--on", DAY.isoformat(), "mail"]) == 0
    assert victim.read_text() == "three years of work\n"
    assert sorted(p.name for p in outbox.glob("*.eml")) == queued
    capsys.readouterr()

    before = DAY.replace(day=DAY.day - 1).isoformat()
    (outbox / f"{before}_someone_reminder.eml").symlink_to("/dev/zero")
    code, mailbox, err = _send(book, capsys)
    assert code == 1
    assert len(mailbox.messages) == len(queued)  # dun's own went
    assert len(err) == 1 and f"{before}_someone_reminder.eml is a link" in err[0], err
