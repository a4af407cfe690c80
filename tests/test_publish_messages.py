"""Message drafts: every template renders for real agenda actions; a missing one is one clear line."""
from __future__ import annotations

import re

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from publish.messages import Draft, check_templates, draft_for_action, split_subject
from publish.paths import MESSAGES
from publish.sample import sample_book
from receivables.agenda import build_agenda
from receivables.errors import DunError
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
ON = date(2026, 11, 20)
THREATS = re.compile(r"\b(court|courts|bailiffs?|sue|lawsuit|criminal|police|ruin|blacklist)\b")


@pytest.fixture(scope="module")
def policy():
    return read_policy(ROOT / "policy.toml")


def test_every_policy_step_has_a_template(policy):
    check_templates(policy)
    for step in policy.steps:
        assert (MESSAGES / f"{step.template}.md").is_file()


def test_missing_template_is_one_line_naming_step_and_file(policy):
    steps = policy.steps[:1] + (replace(policy.steps[1], template="no_such_letter"),)
    bad = replace(policy, steps=steps)
    with pytest.raises(DunError) as e:
        check_templates(bad)
    msg = str(e.value)
    assert "\n" not in msg and "'reminder'" in msg and "no_such_letter.md" in msg
    book = sample_book(ON)
    action = next(a for a in build_agenda(book, policy, ON + timedelta(days=3)) if a.step == "reminder") \
        if any(a.step == "reminder" for a in build_agenda(book, policy, ON + timedelta(days=3))) else None
    if action is not None:
        with pytest.raises(DunError) as e2:
            draft_for_action(replace(action, template="no_such_letter"), book, bad, ON)
        assert "no_such_letter.md" in str(e2.value)


def test_drafts_for_every_action_over_several_weeks(policy):
    book = sample_book(ON)
    seen = set()
    for days in range(-40, 60, 3):
        on = ON + timedelta(days=days)
        for action in build_agenda(book, policy, on):
            d = draft_for_action(action, book, policy, on)
            assert isinstance(d, Draft)
            assert d.subject and "\n" not in d.subject and "{{" not in d.subject
            assert d.text.strip() and "{{" not in d.text and "{%" not in d.text
            assert "<script" not in d.html
            low = d.text.lower()
            assert not THREATS.search(low), (action.template, d.text)
            for number in action.invoices:
                if action.kind != "credit_review":
                    assert number in d.text
            # the invoice list is one line per invoice; paragraphs have one blank line between
            items = [line for line in d.text.splitlines() if line.startswith("- Invoice ")]
            assert all(line.count(" Invoice ") == 1 for line in items), d.text
            assert "\n\n\n" not in d.text, (action.template, d.text)
            seen.add(action.template)
    assert {"reminder", "second_reminder", "final_notice"} <= seen


@pytest.mark.parametrize("name", sorted(p.stem for p in MESSAGES.glob("*.md") if not p.stem.startswith("_")))
def test_each_template_starts_with_a_subject_line(name):
    source = (MESSAGES / f"{name}.md").read_text("utf-8")
    subject, body = split_subject(source, name)
    assert subject and body.strip()


def test_template_without_subject_is_refused():
    with pytest.raises(DunError):
        split_subject("Hello\nthere", "x")


def test_german_client_money_in_the_draft(policy):
    book = sample_book(ON)
    action = next(a for a in build_agenda(book, policy, ON) if a.client == "BETA" and a.kind == "step")
    d = draft_for_action(action, book, policy, ON)
    assert "1.234,56\xa0€" in d.text


def _late_book(*acts):
    """One client whose one invoice fell due on 2026-09-01 (entered late: never chased before
    ``acts``)."""
    from decimal import Decimal

    from receivables.model import Activity, Book, Client, Contact, Invoice

    client = Client("acme", "Acme Ltd", "GBP", 30, contacts=(Contact(name="", email="ap@acme.test"),))
    inv = Invoice("INV-1", "acme", date(2026, 8, 2), date(2026, 9, 1), "GBP", Decimal("1250.00"))
    activities = tuple(Activity(f"ACT-{k}", day, "acme", channel, step=step, invoices=("INV-1",), outcome="sent")
                       for k, (day, step, channel) in enumerate(acts, 1))
    return Book(clients={"acme": client}, invoices={"INV-1": inv}, activities=activities)


def _draft(policy, book, on, step):
    action = next(a for a in build_agenda(book, policy, on) if a.step == step)
    d = draft_for_action(action, book, policy, on)
    assert "\n\n- Invoice INV-1" in d.text  # the paragraph, a blank line, the list (Markdown)
    return d


def test_a_later_step_says_we_wrote_only_when_something_was_written(policy):
    """An invoice entered when already well overdue gets its first message at a later step.
    That message must not claim earlier reminders that were never sent; once they were, it
    says so, with the latest one."""
    on = date(2026, 9, 24)  # 23 days late: the second reminder is due (the steps before it were jumped)
    d = _draft(policy, _late_book(), on, "second-reminder")
    assert d.subject.startswith("Payment reminder:") and "We wrote to you" not in d.text
    assert "now well past its due date and remains unpaid" in d.text
    reminded = _late_book((date(2026, 9, 2), "reminder", "email"))
    d = _draft(policy, reminded, on, "second-reminder")
    assert d.subject.startswith("Second reminder:") and "We wrote to you recently" in d.text
    called = _late_book((date(2026, 9, 11), "call", "phone"))  # a call is not something we wrote
    assert "We wrote to you" not in _draft(policy, called, on, "second-reminder").text

    on = date(2026, 10, 7)  # 36 days: the final notice (required, never jumped)
    assert "Despite our earlier reminders" not in _draft(policy, _late_book(), on, "final-notice").text
    assert "Despite our earlier reminders" in _draft(policy, reminded, on, "final-notice").text

    on = date(2026, 10, 27)  # 56 days, after a final notice alone: the hand-over to the agency
    only_notice = _late_book((date(2026, 10, 7), "final-notice", "letter"))
    d = _draft(policy, only_notice, on, "agency")
    assert "on several occasions" not in d.text
    assert "We wrote to you on 7 Oct 2026 (final notice) about the following overdue invoice, and have not" in d.text
    assert "As set out in our final notice, we have now referred" in d.text
    chased = _late_book((date(2026, 9, 2), "reminder", "email"), (date(2026, 9, 23), "second-reminder", "email"),
                        (date(2026, 10, 7), "final-notice", "letter"))
    assert "We wrote to you on several occasions about the following overdue invoice, most recently on 7 Oct 2026" \
        in _draft(policy, chased, on, "agency").text


def test_the_call_script_says_when_we_last_wrote(policy):
    on = date(2026, 9, 11)  # 10 days late: the call
    assert "Nothing has been written to them about it yet." in _draft(policy, _late_book(), on, "call").text
    reminded = _late_book((date(2026, 9, 2), "reminder", "email"))
    assert "We last wrote on 2 Sept 2026 (friendly reminder)." in _draft(policy, reminded, on, "call").text


def test_one_contact_on_invoices_written_about_and_not_names_the_ones_that_were(policy):
    """A day's contact covers invoices at different steps: a second reminder on INV-1 (written
    to about it) and INV-2 (never) said "We wrote to you recently about the invoices below"."""
    from dataclasses import replace as _replace
    from decimal import Decimal

    from receivables.model import Invoice

    book = _late_book((date(2026, 9, 2), "reminder", "email"))
    late = Invoice("INV-2", "acme", date(2026, 8, 12), date(2026, 9, 11), "GBP", Decimal("300.00"))
    book = _replace(book, invoices={**book.invoices, "INV-2": late})
    on = date(2026, 9, 24)  # INV-1 23 days late (second reminder), INV-2 13 (a call): one contact
    action = next(a for a in build_agenda(book, policy, on) if a.client == "acme")
    assert action.step == "second-reminder" and action.invoices == ("INV-1", "INV-2")
    text = draft_for_action(action, book, policy, on).text
    assert "We wrote to you recently about invoice INV-1. The invoices below remain unpaid:" in text
    assert "about the invoices below" not in text


def test_a_final_notice_on_invoices_not_all_written_about_names_the_ones_that_were(policy):
    """A final notice covering invoices never written about said 'Despite our earlier
    reminders, the following amounts remain unpaid'."""
    from dataclasses import replace as _replace
    from decimal import Decimal

    from receivables.model import Invoice

    book = _late_book((date(2026, 9, 2), "reminder", "email"))
    late = Invoice("INV-2", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("300.00"))
    book = _replace(book, invoices={**book.invoices, "INV-2": late})
    on = date(2026, 10, 7)  # INV-1 36 days late (the final notice), INV-2 6 (never written about)
    action = next(a for a in build_agenda(book, policy, on) if a.client == "acme")
    assert action.step == "final-notice" and action.invoices == ("INV-1", "INV-2")
    text = draft_for_action(action, book, policy, on).text
    assert "Despite our earlier reminders about invoice INV-1, the following amounts remain" in text


def test_a_final_notice_claims_what_invoices_paid_late_still_carry_as_its_statement_does(policy):
    """The statement sent with a final notice lists an invoice paid late that still carries
    interest and compensation, and counts it in the total due; the letter itself named only
    the overdue invoices' interest, so the two disagreed about what is owed."""
    from dataclasses import replace as _replace
    from decimal import Decimal

    from receivables.model import Allocation, Invoice, Payment

    charging = _replace(policy, interest=_replace(policy.interest, charge=True))
    book = _late_book((date(2026, 9, 2), "reminder", "email"), (date(2026, 9, 23), "second-reminder", "email"))
    on = date(2026, 10, 7)  # INV-1 36 days late: the final notice
    plain = _draft(charging, book, on, "final-notice").text
    assert "also remain due" not in plain and "\n\nWe ask you to pay" in plain
    # INV-0, 500.00 due 1 June 2026, paid 21 June: 20 days at 3.75% + 8% (Bank Rate on 31 Dec
    # 2025, SI 2002/1675 art. 4) = 500 x 11.75 x 20 / 36500 = 3.219... = 3.22; compensation 40.00
    early = Invoice("INV-0", "acme", date(2026, 5, 2), date(2026, 6, 1), "GBP", Decimal("500.00"))
    paid = Payment("PAY-1", date(2026, 6, 21), "acme", Decimal("500.00"), "GBP",
                   allocations=(Allocation("INV-0", Decimal("500.00")),))
    book = _replace(book, invoices={**book.invoices, "INV-0": early}, payments=(paid,))
    text = _draft(charging, book, on, "final-notice").text
    assert ("\n\nInterest and compensation also remain due on an invoice paid after its due date: INV-0 "
            "(due 1 Jun 2026, paid 21 Jun 2026): interest £3.22 and compensation £40.00.") in text
    # INV-1: 1,250.00 x 11.75 x 36 / 36500 = 14.49, compensation 70.00; with INV-0's 43.22
    assert "(total **£1,334.49**)" in text and "the total due is **£1,377.71**." in text
    assert "\n\nWe ask you to pay" in text
    assert "also remain due" not in _draft(policy, book, on, "final-notice").text  # (not charging: not named)
    on = date(2026, 10, 27)  # the hand-over, after the final notice
    handed = _replace(book, activities=(*book.activities, *_late_book(
        (date(2026, 10, 7), "final-notice", "letter")).activities[-1:]))
    text = _draft(charging, handed, on, "agency").text
    assert "also remain due on an invoice paid late (INV-0)" in text and "£43.22" in text
