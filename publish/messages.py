"""Drafts of the messages the ladder sends: subject, plain text (Markdown) and HTML.

Each step names a template in ``site_templates/messages/NAME.md``: Markdown with Jinja
placeholders whose first line is ``Subject: ...``. The context (:func:`message_context`)
holds the client, the invoices of the action with their amounts and days overdue, totals,
interest and compensation when the policy charges them (for a final notice or a hand-over,
also on the client's invoices paid late: ``paid_late``, ``total_claimed``), the promise, plan or dispute
concerned, the company and the owner who signs, and ``by_letter``: the message goes on paper
(a letter step, or a client with no e-mail address), so it says "enclosed", not "attached";
and what came before: ``reminders_sent``, ``last_reminder`` and ``earlier_contacts`` (so a
message at a later step says "we wrote to you" only when something was written).
Amounts are pre-formatted for the client's locale: templates write ``{{ m(total) }}`` and
``{{ d(inv.due) }}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import Decimal
from typing import Any

from jinja2 import TemplateNotFound
from markupsafe import Markup

from receivables.errors import DunError
from receivables.ledger import Ledger

from . import engine, formatting
from .env import environment, message_environment
from .markdown import render, unescape_text
from .paths import MESSAGES

ZERO = Decimal(0)

# Templates for actions that are not ladder steps.
KIND_TEMPLATES = {
    "promise": "broken_promise",
    "installment": "installment_missed",
    "installment_reminder": "installment_reminder",
    "dispute": "dispute_review",
    "credit_review": "credit_review",
    "credit": "apply_credit",
}


@dataclass(frozen=True, slots=True)
class Draft:
    subject: str
    text: str  # Markdown / plain text, what the owner reads and the mail's text part
    template: str = ""

    @property
    def html(self) -> str:
        """The safe HTML fragment of :attr:`text` (the mail's HTML part, the statement's message),
        made when asked for: a list of drafts (``dun agenda --json``) never needs it."""
        return _html(self.text)


@lru_cache(maxsize=256)
def _html(text: str) -> str:
    return str(render(text))


def template_name(action: Any, policy=None) -> str:
    name = getattr(action, "template", None) or ""
    if not name and getattr(action, "step", None) and policy is not None:
        step = policy.step(action.step)
        name = step.template if step else ""
    if not name:
        name = KIND_TEMPLATES.get(getattr(action, "kind", ""), "")
    return name


def template_path(name: str) -> str:
    return f"messages/{name}.md"


def check_templates(policy) -> None:
    """Every step's template exists, else one clear line naming the step and the file."""
    for step in policy.steps:
        if not (MESSAGES / f"{step.template}.md").is_file():
            raise DunError(
                f"step {step.id!r} needs the message template {step.template}.md, which does not exist",
                f"site_templates/messages/{step.template}.md",
                "create it, or change the step's template in policy.toml",
            )


def _locale(client, policy) -> str:
    return (getattr(client, "locale", "") or policy.defaults.locale or formatting.DEFAULT_LOCALE)


def message_context(action: Any, book, policy, on: date, ledger: Ledger | None = None) -> dict:
    """The values a message template sees (see the module docstring), for an action of ``book``."""
    facts = engine.agenda_module().message_context(action, ledger if ledger is not None else book, policy, on)
    return presented(action, facts, book.clients[action.client], policy, on)


def presented(action: Any, facts: dict, client, policy, on: date) -> dict:
    """A template's context from the domain's facts about ``action``
    (:func:`receivables.engine.context.action_context`, kept with the client's day) and the
    client's record: interest shown only when the policy charges it, money and dates
    formatted for the client's locale, the company and who signs."""
    locale = _locale(client, policy)
    currency = facts["currency"]
    charge = bool(policy.interest.charge and policy.interest.regime != "none")
    invoices = []
    interest_total = compensation_total = ZERO
    for row in facts["invoices"]:
        r = row["interest_result"] if charge else None
        interest = r.interest if r is not None else ZERO
        compensation = r.compensation if r is not None else ZERO
        interest_total += interest
        compensation_total += compensation
        invoices.append({**{k: v for k, v in row.items() if k != "interest_result"},
                         "interest": interest, "compensation": compensation,
                         # not computed (the rate table does not reach back; no fixed sum in the
                         # currency): the message names no figure for it, never a 0 owed
                         "interest_unknown": bool(r is not None and r.error),
                         "compensation_unknown": bool(r is not None and r.compensation_note),
                         "interest_detail": formatting.interest_detail(r, locale, reasons=False) if r is not None else ""})
    total = facts["total"]
    # invoices paid late that still carry interest or compensation (a final notice, a hand-over:
    # receivables.engine.context), as the statement sent with the message lists them
    paid_late = []
    late_charges = ZERO
    for row in facts.get("paid_late", ()) if charge else ():
        r = row["interest_result"]
        interest = ZERO if r.error else r.interest
        compensation = ZERO if r.compensation_note else r.compensation
        if interest or compensation:
            paid_late.append({**{k: v for k, v in row.items() if k != "interest_result"},
                              "interest": interest, "compensation": compensation})
            late_charges += interest + compensation
    step = policy.step(action.step) if getattr(action, "step", None) else None
    contact = next((c for c in client.contacts if c.name), None)

    def m(value, cur: str | None = None) -> str:
        return formatting.money(Decimal(value), cur or currency, locale)

    def d(value) -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return formatting.day(value, locale, "medium")

    ctx = dict(facts)
    ctx.update({
        "client": client,
        "client_name": client.name,
        "contact_name": contact.name if contact else "",
        "greeting": f"Dear {contact.name}" if contact else "Hello",
        "company": policy.company,
        "owner": policy.company.owner or policy.company.name,
        "invoices": invoices,
        "charge_interest": charge and (interest_total > 0 or compensation_total > 0),
        "interest_total": interest_total,
        "compensation_total": compensation_total,
        "total_with_charges": total + interest_total + compensation_total,
        "paid_late": paid_late,
        "paid_late_charges": late_charges,
        "total_claimed": total + interest_total + compensation_total + late_charges,
        "interest_basis": policy.interest.basis_for(compensation_total > 0) if charge else "",
        "step": step,
        "step_title": (step.title if step else "") or getattr(action, "title", "") or "",
        "on": on,
        "locale": locale,
        "m": m,
        "d": d,
        "hold": client.hold,
        # on paper: as publish.mail decides (a letter step, or no e-mail address to send to)
        "by_letter": getattr(action, "channel", "") == "letter" or not client.email,
    })
    return ctx


def split_subject(source: str, name: str) -> tuple[str, str]:
    first, _, rest = source.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise DunError(f"the message template {name}.md must start with a 'Subject: ...' line",
                       f"site_templates/messages/{name}.md")
    return " ".join(first[len("subject:"):].split()), rest.strip("\n") + "\n"


def render_message(name: str, ctx: dict, step_id: str | None = None) -> Draft:
    """The template's text is Markdown; every value put in is text (message_environment)."""
    env = message_environment()
    try:
        tpl = env.get_template(template_path(name))
    except TemplateNotFound:
        what = f"step {step_id!r}" if step_id else f"template {name!r}"
        raise DunError(
            f"{what} needs the message template {name}.md, which does not exist",
            f"site_templates/messages/{name}.md",
            "create it, or change the step's template in policy.toml",
        ) from None
    subject, text = split_subject(tpl.render(**ctx), name)
    return Draft(subject=unescape_text(subject), text=text, template=name)


def _template_or_refuse(action: Any, policy) -> str:
    name = template_name(action, policy)
    if not name:
        raise DunError(f"no message template for a {getattr(action, 'kind', '?')!r} action",
                       "site_templates/messages", "name one in the step's template")
    return name


def draft_for_action(action: Any, book, policy, on: date, ledger: Ledger | None = None) -> Draft:
    """The drafted message for one agenda action."""
    name = _template_or_refuse(action, policy)
    return render_message(name, message_context(action, book, policy, on, ledger), getattr(action, "step", None))


def draft_from_day(action: Any, day, client, policy, on: date) -> Draft:
    """The drafted message for one of ``day``'s actions (a client's day read through the derived
    layer: its message contexts are kept with it), without the book."""
    name = _template_or_refuse(action, policy)
    facts = day.context_of(action)
    if facts is None:
        raise ValueError(f"{getattr(action, 'id', action)!r} is not one of the client's actions on {on}")
    return render_message(name, presented(action, facts, client, policy, on), getattr(action, "step", None))


def html_document(draft: Draft, policy) -> str:
    """The mail's HTML part: the drafted body in a small, plain document."""
    return environment().get_template("mail.html").render(draft=draft, body=Markup(draft.html), company=policy.company)
