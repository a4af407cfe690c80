"""Issue 18: a day's e-mail actions sent from the walk-through through a real SMTP server
(aiosmtpd on 127.0.0.1, on a free port), with one refused recipient and one server outage;
the server's mailbox is checked against the activities: each message exactly once."""
from __future__ import annotations

import email
import re
import socket
from email import policy as email_policy

import pytest

from tui.app import create_app
from tui.screens.today import TodayScreen

from .tui_support import DAY, async_test, loaded, make_book, owners_company, reopen, settle, text_of


class Mailbox:
    """An SMTP server's handler: keeps what it accepted; refuses the ``refuse`` addresses."""

    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def ids(self):
        return [email.message_from_bytes(e.content, policy=email_policy.default)["Message-ID"] for e in self.messages]


def free_port() -> int:
    with socket.socket() as s:  # loopback only, never any other address
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def point_policy_at(book, port: int) -> None:
    path = book / "policy.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^smtp_host = .*$', 'smtp_host = "127.0.0.1"', text)
    text = re.sub(r'(?m)^smtp_port = .*$', f"smtp_port = {port}", text)
    text = re.sub(r'(?m)^starttls = .*$', "starttls = false", text)
    text = owners_company(text)  # the owner's own company, not the example
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def book(tmp_path):
    return make_book(tmp_path / "book", clients=30, invoices=450, seed=1)  # a day with several e-mail steps and a letter


def emails_of(screen):
    return [i for i, a in enumerate(screen.queue) if a.channel == "email" and a.kind != "dispute"]


@async_test
async def test_a_days_emails_go_out_exactly_once_through_a_real_server(book):
    from aiosmtpd.controller import Controller

    from cli.main import main

    port = free_port()
    point_policy_at(book, port)
    app = create_app(book, on=DAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        targets = emails_of(screen)
        assert len(targets) >= 4
        clients = app.state.book.clients
        refused = screen.queue[targets[1]].client
        # 1. the server is down: the first one is queued, with the reason, and nothing is logged as sent
        screen.query_one("#queue").move_to(targets[0])
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert "cannot reach the mail server" in app.sender.last_failure
        assert "queued in the outbox" in text_of(screen.query_one("#today-head"))
        # 2. the server is up, and refuses one client's address: the rest go in one bulk send
        mailbox = Mailbox(refuse={clients[refused].email})
        server = Controller(mailbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            await pilot.press("S")
            await settle(app, pilot)
            dialog = app.screen
            assert len(dialog.jobs) == len(targets) - 1  # all of today's e-mail actions not done yet
            assert mailbox.messages == []  # nothing goes before the confirmation
            await pilot.press("y")
            await settle(app, pilot)
            summary = text_of(dialog.query_one("#bulk-status"))
            assert f"{len(targets) - 2} sent" in summary and "1 queued" in summary, summary
            assert "no such mailbox" in summary
            assert str(dialog.query_one("#send").label) == "Done"
            await pilot.press("escape")
            await settle(app, pilot)
            assert all(i in screen.done for i in targets)
        finally:
            server.stop()
    sent = [a for a in reopen(book).activities if a.date == DAY and a.outcome == "sent" and a.channel == "email"]
    queued = [a for a in reopen(book).activities if a.date == DAY and a.outcome == "queued"]
    assert sorted(a.message_id for a in sent) == sorted(mailbox.ids())
    assert len(mailbox.messages) == len(targets) - 2
    assert {a.client for a in queued} == {screen.queue[targets[0]].client, refused}
    for env in mailbox.messages:  # what the client gets: no private headers, real plain text
        msg = email.message_from_bytes(env.content, policy=email_policy.default)
        assert not [k for k in msg.keys() if k.lower().startswith("x-dun")]
        assert "**" not in msg.get_body(("plain",)).get_content()
        att = list(msg.iter_attachments())
        assert len(att) == 1 and att[0].get_content()[:5] == b"%PDF-"

    # 3. later, from the command line: the queue goes out (the refused one stays), then again: nothing twice
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 1  # the refusal is said
        assert main(["--book", str(book), "--on", DAY.isoformat(), "mail", "--send"]) == 1
    finally:
        server.stop()
    acts = reopen(book).activities
    sent = [a for a in acts if a.date == DAY and a.outcome == "sent" and a.channel == "email"]
    ids = mailbox.ids()
    assert len(ids) == len(set(ids)) == len(targets) - 1  # each once: the refused one never went
    assert sorted(a.message_id for a in sent) == sorted(ids)
    left = list((book / "outbox").glob("*.eml"))
    assert [p.name for p in left] == [p.name for p in left if refused in p.name] and len(left) == 1


class SlowMailbox(Mailbox):
    """Holds the second message until ``gate`` opens (the owner quits meanwhile)."""

    def __init__(self):
        super().__init__()
        import threading

        self.gate = threading.Event()
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if len(self.messages) == 1:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 60)
        return await super().handle_DATA(server, session, envelope)


@async_test
async def test_the_example_company_keeps_every_message_queued_and_the_head_says_why(book):
    point_policy_at(book, free_port())  # a server set up, but the company still the template's example
    policy = book / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("[company]\n", "[company]\nexample = true\n", 1),
                      encoding="utf-8")
    app = create_app(book, on=DAY)
    said = []
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        notify = app.notify
        app.notify = lambda text, **kw: (said.append(str(text)), notify(text, **kw))[1]
        screen = app.screen
        first, second = emails_of(screen)[:2]
        for i in (first, second):
            screen.query_one("#queue").move_to(i)
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
        assert "policy.toml [company] is still the example" in app.sender.last_failure
        assert "still the example" in text_of(screen.query_one("#today-head"))
    assert not [a for a in reopen(book).activities if a.date == DAY and a.outcome == "sent"]
    # the long reason is said once (the head keeps it); the next message queued for it says so
    queued = [line for line in said if line.startswith("Queued for")]
    assert len(queued) == 2 and "still the example" in queued[0]
    assert queued[1].endswith("the same reason as the last one (in the head)")


@async_test
async def test_quitting_during_a_bulk_send_logs_what_went_and_keeps_the_rest_queued(book):
    import asyncio
    import threading

    from aiosmtpd.controller import Controller

    port = free_port()
    point_policy_at(book, port)
    mailbox = SlowMailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        app = create_app(book, on=DAY)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(app, pilot)
            screen = app.screen
            targets = emails_of(screen)
            assert len(targets) >= 3
            await pilot.press("S")
            await settle(app, pilot)
            await pilot.press("y")
            while not mailbox.holding.is_set():  # the second message is on the wire
                await asyncio.sleep(0.05)
            # quit now; the server takes the message in flight once the app is stopping

            def release():
                while not app.sender._stopped():
                    mailbox.holding.wait(0.05)
                mailbox.gate.set()

            threading.Thread(target=release, daemon=True).start()
            await pilot.press("escape", "q")
    finally:
        mailbox.gate.set()
        server.stop()
    acts = [a for a in reopen(book).activities if a.date == DAY and a.channel == "email"]
    sent = [a for a in acts if a.outcome == "sent"]
    queued = [a for a in acts if a.outcome == "queued"]
    assert sorted(a.message_id for a in sent) == sorted(mailbox.ids())  # accepted = logged, once each
    assert len(sent) == 2
    assert len(queued) == len(targets) - 2  # the rest stays queued, and says so
    left = sorted(p.name for p in (book / "outbox").glob("*.eml"))
    assert len(left) == len(targets) - 2


def test_the_head_says_a_letter_is_being_made_not_sent():
    """A letter step in progress showed "sending 1…" in Today's head."""
    from types import SimpleNamespace

    from tui.progress import outbox_line

    def job(channel):
        return SimpleNamespace(action=SimpleNamespace(channel=channel))

    for jobs, said, unsaid in (({1: job("letter")}, "making 1 letter…", "sending"),
                               ({1: job("letter"), 2: job("email"), 3: job("email")}, "sending 2…", "")):
        app = SimpleNamespace(sender=SimpleNamespace(open_jobs=jobs, last_failure=None), repo=None)
        text = outbox_line(app).plain
        assert said in text and (not unsaid or unsaid not in text), text
