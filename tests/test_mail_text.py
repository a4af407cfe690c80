"""Issue 18: the plain-text part is real plain text rendered from the Markdown, the HTML part
comes from the same source, and a long subject is folded per RFC 5322 (section 2.2.3: folding
inserts CRLF before whitespace; unfolding removes the CRLF only, so the decoded subject is the
original, with no space added at the front)."""
from __future__ import annotations

import email
from dataclasses import replace
from datetime import date, datetime, timezone
from email import policy as email_policy
from pathlib import Path

from publish.mail import build_email, prepare_outbox
from publish.messages import Draft
from publish.plaintext import to_plain
from publish.sample import sample_book
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
ON = date(2026, 11, 20)


def test_markdown_becomes_plain_text():
    md = ("Dear Jane,\n\nAmount outstanding: **£800.00**\n\n**How to pay**\n\nBank: Example  \nSort code: 12-34-56\n\n"
          "- Invoice *INV-1*, [pay online](https://pay.example/1)\n- see <https://pay.example/2>\n\n"
          "1. first\n2. second\n\nWrite to [us](mailto:ar@example.com) or ar@example.com.\n\n> quoted `code`\n")
    text = to_plain(md)
    assert "**" not in text and "*INV" not in text and "`" not in text
    assert "Amount outstanding: £800.00" in text
    assert "\nHow to pay\n" in text
    assert "Bank: Example\nSort code: 12-34-56" in text
    assert "- Invoice INV-1, pay online (https://pay.example/1)\n- see https://pay.example/2\n" in text
    assert "1. first\n2. second" in text
    assert "us (ar@example.com)" in text
    assert "> quoted code" in text


def test_raw_html_in_a_note_stays_text():
    assert to_plain("Thanks <b>!</b>") == "Thanks <b>!</b>\n"


def test_eml_parts_come_from_one_source(tmp_path):
    policy = read_policy(ROOT / "policy.toml")
    res = prepare_outbox(sample_book(ON), policy, ON, tmp_path / "outbox")
    assert res.emails
    for item in res.emails:
        msg = email.message_from_bytes(item.path.read_bytes(), policy=email_policy.default)
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "**" not in plain and "](" not in plain
        assert "<strong>" in html


def test_long_subject_is_folded_and_decodes_to_the_original():
    policy = read_policy(ROOT / "policy.toml")
    subject = ("Zahlungserinnerung für Müller Präzisionstechnik: RE-000123, RE-000124, RE-000125, RE-000126, "
               "RE-000127, RE-000128 (12.345,67 €)")
    draft = Draft(subject=subject, text="Hallo **Welt**\n")
    msg = build_email(draft, sender=policy.mail.sender, reply_to="", to_name="Jörg Müller",
                      to_addr="joerg@example.de", policy=policy, attachment=None, attachment_name="",
                      when=datetime(2026, 11, 20, 9, tzinfo=timezone.utc), action_key="reminder")
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in head)  # RFC 5322 2.1.1: SHOULD be no more than 78
    start = next(i for i, line in enumerate(head) if line.startswith(b"Subject:"))
    assert head[start + 1].startswith(b" ")  # folded onto continuation lines
    back = email.message_from_bytes(raw, policy=email_policy.default)
    assert str(back["Subject"]) == subject
    assert back.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hallo Welt\n"
