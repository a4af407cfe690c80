"""Drafts of the messages the ladder sends: subject, plain text (Markdown) and HTML.

Each step names a template in ``site_templates/messages/NAME.md``: Markdown with Jinja
placeholders whose first line is ``Subject: ...``. The context (:func:`message_context`)
holds the client, the invoices of the action with their amounts and days overdue, totals,
interest and compensation when the policy charges them, the promise, plan or dispute
concerned, the company and the owner who signs. Amounts are pre-formatted for the
client's locale: templates write ``{{ m(total) }}`` and ``{{ d(inv.due) }}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from jinja2 import TemplateNotFound
from markupsafe import Markup

from receivables.errors import DunError
from receivables.ledger import Ledger, derive

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
}


@dataclass(frozen=True, slots=True)
class Draft:
    subject: str
    text: str  # Markdown / plain text, what the owner reads and the mail's text part
    html: str  # safe HTML fragment (the mail's HTML part, the statement's message)
    template: str = ""


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
    """The values a message template sees (see the module docstring)."""
    ledger = ledger if ledger is not None else derive(book, on)
    client = book.clients[action.client]
    locale = _locale(client, policy)
    currency = getattr(action, "currency", None) or client.currency
    charge = bool(policy.interest.charge and policy.interest.regime != "none")
    invoices = []
    interest_total = compensation_total = ZERO
    for number in getattr(action, "invoices", ()) or ():
        st = ledger.invoices.get(number)
        if st is None:
            continue
        interest = compensation = ZERO
        detail = ""
        if charge:
            r = engine.interest_result(ledger, policy, number, on)
            interest, compensation, detail = r.interest, r.compensation, formatting.interest_detail(r, locale, reasons=False)
        interest_total += interest
        compensation_total += compensation
        inv = st.invoice
        invoices.append({
            "number": inv.number, "issued": inv.issued, "due": inv.due, "reference": inv.reference,
            "amount": inv.amount, "outstanding": st.outstanding, "days_overdue": st.days_overdue,
            "interest": interest, "compensation": compensation, "disputed": st.disputed,
            "interest_detail": detail,
        })
    total = sum((i["outstanding"] for i in invoices), ZERO)
    pos = ledger.position(client.id, currency)
    step = policy.step(action.step) if getattr(action, "step", None) else None
    contact = next((c for c in client.contacts if c.name), None)

    promise = plan = dispute = None
    nums = set(getattr(action, "invoices", ()) or ())
    for p in reversed(book.promises):
        if p.client == client.id and (not p.invoices or nums & set(p.invoices)) and p.made <= on:
            promise = {"amount": p.amount, "by": p.by, "made": p.made, "currency": p.currency}
            break
    for pl in reversed(book.plans):
        if pl.client == client.id and (nums & set(pl.invoices)) and pl.created <= on:
            missed = [i for i in pl.installments if i.due < on]
            upcoming = [i for i in pl.installments if i.due >= on]
            plan = {
                "installments": [{"due": i.due, "amount": i.amount} for i in pl.installments],
                "next": {"due": upcoming[0].due, "amount": upcoming[0].amount} if upcoming else None,
                "last_due": {"due": missed[-1].due, "amount": missed[-1].amount} if missed else None,
                "total": pl.total, "count": len(pl.installments),
            }
            break
    for dsp in reversed(book.disputes):
        if dsp.client == client.id and dsp.invoice in nums and dsp.opened <= on:
            dispute = {"invoice": dsp.invoice, "reason": dsp.reason, "opened": dsp.opened}
            break

    def m(value, cur: str | None = None) -> str:
        return formatting.money(Decimal(value), cur or currency, locale)

    def d(value) -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return formatting.day(value, locale, "medium")

    ctx = {
        "client": client,
        "client_name": client.name,
        "contact_name": contact.name if contact else "",
        "greeting": f"Dear {contact.name}" if contact else "Hello",
        "company": policy.company,
        "owner": policy.company.owner or policy.company.name,
        "invoices": invoices,
        "currency": currency,
        "total": total,
        "balance": pos.balance,
        "overdue_total": pos.overdue,
        "charge_interest": charge and (interest_total > 0 or compensation_total > 0),
        "interest_total": interest_total,
        "compensation_total": compensation_total,
        "total_with_charges": total + interest_total + compensation_total,
        "interest_basis": policy.interest.basis if charge else "",
        "step": step,
        "step_title": (step.title if step else "") or getattr(action, "title", "") or "",
        "reason": getattr(action, "reason", "") or "",
        "promise": promise,
        "plan": plan,
        "dispute": dispute,
        "on": on,
        "locale": locale,
        "m": m,
        "d": d,
        "hold": client.hold,
    }
    for k, v in engine.agenda_module().message_context(action, ledger, policy, on).items():
        ctx.setdefault(k, v)  # the engine's extra detail (promise, plan, step title)
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
    return Draft(subject=unescape_text(subject), text=text, html=str(render(text)), template=name)


def draft_for_action(action: Any, book, policy, on: date, ledger: Ledger | None = None) -> Draft:
    """The drafted message for one agenda action."""
    name = template_name(action, policy)
    if not name:
        raise DunError(f"no message template for a {getattr(action, 'kind', '?')!r} action",
                       "site_templates/messages", "name one in the step's template")
    ctx = message_context(action, book, policy, on, ledger)
    return render_message(name, ctx, getattr(action, "step", None))


def html_document(draft: Draft, policy) -> str:
    """The mail's HTML part: the drafted body in a small, plain document."""
    return environment().get_template("mail.html").render(draft=draft, body=Markup(draft.html), company=policy.company)
