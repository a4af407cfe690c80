"""What waits in the outbox goes out only while it is still true.

- A message approved while policy.toml held the example company waited in the outbox with
  the example's sender and bank details; once the owner put in their own, 'dun mail --send'
  sent it as it was: a real client asked to pay into the example's account. A message made
  with other sender details than the policy's now is never sent: it is set aside, and its
  action is to do again, to be made with the owner's details.
- 'dun mail' on one day and 'dun mail --send' on a later one sent the earlier day's draft
  and the later day's of the same still-due action (the client had two), and a draft for an
  invoice paid in between. A draft never approved is set aside once its day has passed.
Found by a tester with a local SMTP server."""
from __future__ import annotations

from datetime import timedelta

from publish.outbox import activity_of, compose, queued_of, write_queued
from receivables.agenda import build_agenda
from receivables.policy import read_policy
from store import open_book

from .test_mail_seal import _send
from .tui_support import DAY, make_book, reopen


def test_a_message_approved_with_the_example_company_is_never_sent_and_its_action_comes_back(tmp_path, capsys):
    book = make_book(tmp_path / "book", seed=1)
    with open_book(book, today=DAY) as repo:
        b, policy = repo.book(), repo.policy()
        assert policy.company.example
        action = next(a for a in build_agenda(b, policy, DAY)
                      if a.channel == "email" and a.kind == "step" and b.clients[a.client].email)
        msg = compose(b, policy, action, DAY, "Approved under the example", "Please pay.", attachment=b"%PDF-1.4\n")
        path = write_queued(repo.paths.outbox, msg)
        repo.log_activity(activity_of(queued_of(msg, path, "Please pay."), "queued"))  # (as the app's s does)
        assert all((a.client, a.step) != (action.client, action.step) for a in build_agenda(repo.book(), policy, DAY))
    code, mailbox, err = _send(book, capsys)  # (the owner's company now, and a real server)
    assert code == 1
    assert not any(b"Approved under the example" in m.content for m in mailbox.messages)
    assert not path.exists() and (path.parent / "stale" / path.name).is_file()
    said = [line for line in err if path.name in line]
    assert len(said) == 1 and "other sender details" in said[0], err
    after = reopen(book)
    assert any((a.client, a.step) == (action.client, action.step)
               for a in build_agenda(after, read_policy(book / "policy.toml"), DAY))


def test_a_draft_never_approved_is_not_sent_once_its_day_has_passed(tmp_path, capsys):
    from cli.main import main

    book = make_book(tmp_path / "book", seed=1)
    for back in range(1, 15):  # (the latest day before with e-mails to draft)
        before = DAY - timedelta(days=back)
        assert main(["--book", str(book), "--on", before.isoformat(), "mail"]) == 0
        old = sorted(p.name for p in (book / "outbox").glob(f"{before.isoformat()}_*.eml"))
        if old:
            break
    assert old
    capsys.readouterr()
    had = {a.id for a in reopen(book).activities}
    code, mailbox, err = _send(book, capsys)
    assert code == 0, err
    assert sorted(p.name for p in (book / "outbox" / "stale").glob("*.eml")) == old
    sent = [a for a in reopen(book).activities if a.outcome == "sent" and a.id not in had]
    assert len({(a.client, a.step) for a in sent}) == len(sent) == len(mailbox.messages) > 0  # one per action
    assert all(a.date == DAY for a in sent)  # (none of the day before's drafts)
