"""Today's queue as the owner reads it: the table's columns and rows, the action card, the
draft's label and the head line; and :func:`follow`, which brings a queue on screen up to
date with a new agenda. Presentation only: what is due and in what order is the engine's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.text import Text

from ..fmt import clean, long_day, money, safe
from .vtable import Column

KIND_LABEL = {
    "promise": "Broken promise",
    "installment": "Installment",
    "dispute": "Dispute review",
    "credit_review": "Credit review",
    "credit": "Apply credit",
}
DRAFTED = ("email", "letter", "sms")
BAR_WIDTH = 20  # characters of the progress bar in the head


def step_label(step: str | None, policy: Any) -> str:
    """A step id or action key as the owner reads it ("Friendly reminder", "Broken promise")."""
    if not step:
        return ""
    s = policy.step(step) if policy is not None else None
    if s is not None:
        return s.title or s.id
    return KIND_LABEL.get(step.split(":", 1)[0], step)


def action_title(a: Any) -> str:
    return getattr(a, "title", "") or KIND_LABEL.get(getattr(a, "kind", ""), "") or (a.step or a.kind)


def queue_columns() -> list[Column]:
    return [
        Column("mark", " ", 1),
        Column("client", "Client", 8, flex=True),
        Column("action", "Action", 15),
        Column("amount", "Amount", 11, right=True),
        Column("late", "Late", 4, right=True, optional=True),
    ]


PAUSE_MARKS = {"skipped": "–", "snoozed": "z"}  # handled, not done (the head counts them apart)


def queue_cells(a: Any, label: str | None, marked: bool) -> list[str]:
    """One row of the queue: ✓ done, – skipped, z snoozed (``label``: what the session logged
    for it), ● selected for a bulk send, ! urgent, · to do."""
    mark = PAUSE_MARKS.get(label, "✓") if label else "●" if marked else (
        "!" if getattr(a, "escalate", None) or a.kind == "promise" else "·")
    name = getattr(a, "client_name", "") or a.client
    late = getattr(a, "days_overdue", 0)
    return [mark, name, action_title(a), _amount(a), f"{late}d" if late else ""]


def _amount(a: Any) -> str:
    """What the action's invoices owe; "—" for one on no invoice (a credit review: "£0.00"
    read as a sum owed)."""
    return money(a.amount, a.currency) if a.invoices or a.amount else "—"


@dataclass
class Followed:
    """A queue brought up to date, with the session's marks moved to the new positions."""

    queue: list[Any]
    done: dict[int, str]
    drafts: dict[int, str]
    subjects: dict[int, str]
    pos: int


def follow(queue: list[Any], done: dict[int, str], drafts: dict[int, str], subjects: dict[int, str],
           agenda: list[Any], at: Any = None) -> Followed | None:
    """The queue brought up to date with ``agenda``, in place: what was done here stays
    (ticked); an action still due takes its new figures; one no longer due (paid, promised,
    snoozed elsewhere) leaves; a newly due one (a new invoice, say) joins at the end. ``at``:
    the id of the action under the cursor, which stays on it when it is still there. None
    when nothing changed."""
    fresh = {a.id: a for a in agenda}
    new_queue: list[Any] = []
    new_done: dict[int, str] = {}
    new_drafts: dict[int, str] = {}
    new_subjects: dict[int, str] = {}
    for i, a in enumerate(queue):
        if i in done:
            a2 = a
        elif a.id in fresh:
            a2 = fresh[a.id]
        else:
            continue
        k = len(new_queue)
        new_queue.append(a2)
        if i in done:
            new_done[k] = done[i]
        if i in drafts and a2 is a:
            new_drafts[k] = drafts[i]
        if i in subjects and a2 is a:
            new_subjects[k] = subjects[i]
    seen = {a.id for a in new_queue}
    new_queue.extend(a for a in agenda if a.id not in seen)
    if [a.id for a in new_queue] == [a.id for a in queue] and all(x is y for x, y in zip(new_queue, queue)):
        return None
    ids = [a.id for a in new_queue]
    if at in ids:
        pos = ids.index(at)
    else:
        pos = next((k for k in range(len(new_queue)) if k not in new_done), 0)
    return Followed(new_queue, new_done, new_drafts, new_subjects, pos)


def action_card(a: Any, pos: int, total: int, status: str | None) -> Text:
    """The walk-through's card: the action, its client, the amount and what doing it means."""
    t = Text()
    t.append(f"{pos + 1}/{total}  ", style="dim")
    t.append(action_title(a), style="bold")
    t.append(f"  · {a.channel}", style="dim")
    if status:  # (skipped and snoozed are handled, not done: their own marks, not a tick)
        mark = PAUSE_MARKS.get(status)
        t.append(f"  {mark or '✓'} {status}", style="bold yellow" if mark else "bold green")
    t.append("\n")
    t.append(safe(getattr(a, "client_name", "") or a.client), style="bold")
    t.append(f"  {a.client}\n", style="dim")
    t.append(_amount(a), style="bold")
    if a.invoices:
        nums = ", ".join(a.invoices[:5]) + (f" +{len(a.invoices) - 5}" if len(a.invoices) > 5 else "")
        t.append(safe(f" on {nums}"))
    if getattr(a, "reason", ""):
        t.append(f"\n{a.reason}", style="italic")
    if getattr(a, "escalate", None):
        t.append(f"\nDoing this hands the invoices over to {a.escalate}.", style="bold magenta")
    if getattr(a, "credit_hold", False):
        t.append("\nDoing this puts the client on hold.", style="bold red")
    return clean(t)


def draft_label(a: Any, has_email: bool = True) -> str:
    """What the text under the card is and what the keys do with it. ``has_email``: the client
    has an address to send to (an e-mail step without one goes on paper, as in dun mail)."""
    if a.kind == "dispute":  # an internal review: nothing goes to the client
        return "Your review notes, not sent — e edits; s logs the review"
    if a.kind == "credit":  # the client's credit covers it: nothing goes to the client
        return "Note (not sent) — k or s puts the client's credit on its invoices"
    if a.channel == "email" and not has_email:
        return "No e-mail on file: a letter to print — e edits; s makes it"
    if a.channel == "email":
        return "E-mail to send, statement attached — e edits; s sends it"
    if a.channel == "letter":
        return "Letter — e edits; s makes the PDF to print and logs it"
    if a.channel in DRAFTED:
        return f"Message to send ({a.channel}) — e edits; s logs it as sent"
    if a.channel == "phone":
        return "Call script (not logged) — c logs the call"
    return "Notes (not logged) — s marks it done"


def today_head(on: date, counts: Any, have_queue: bool, walking_at: tuple[int, int] | None, reading: bool,
               outbox: Text, sync: str) -> Text:
    """Today's head: the date, "n of m done" with a bar, the pauses, where the walk is, and
    the outbox and "sync first" lines. ``walking_at``: the action shown in the walk-through,
    as (its position, the queue's length)."""
    head = Text()
    head.append(f"Today · {long_day(on)}", style="bold")
    if have_queue:
        total, done = counts.total, counts.done
        if total and reading:
            # what the book says was handled today is not read yet: "0 of n done" would jump to
            # "k of n + k done" a moment later; what is left to do is the same either way
            head.append(f"   {total - done} to do", style="bold")
        elif total:
            filled = round(BAR_WIDTH * done / total)
            head.append(f"   {done} of {total} done  ")
            head.append("█" * filled, style="green")
            head.append("░" * (BAR_WIDTH - filled), style="dim")
            if counts.snoozed or counts.skipped:
                head.append(f"  {counts.snoozed} snoozed · {counts.skipped} skipped", style="dim")
            if walking_at is not None:  # (of the queue: the day's total counts actions handled earlier)
                head.append(f"   action {walking_at[0] + 1} of {walking_at[1]}", style="dim")
        else:
            head.append("   nothing due today", style="dim")
    if reading:  # the kept derived state's queue is on screen (tui.app preview)
        head.append("   reading the book: details in a moment…", style="dim italic")
    head.append_text(outbox)
    if sync:
        head.append(f"\n{sync}  (b: bank receipts)", style="bold yellow")
    return head
