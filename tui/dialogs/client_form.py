"""Add or edit a client."""
from __future__ import annotations

from typing import Any

from receivables.errors import DunError
from receivables.matching import fold
from receivables.dates import parse_date
from receivables.model import Client, Contact, CreditCheck, is_email
from receivables.money import check_currency
from receivables.slugs import slugify

from .. import actions
from ..fmt import plain
from .base import Field, FormDialog, amount_parser, int_parser, text_parser


class ClientForm(FormDialog):
    def __init__(self, client: Client | None = None) -> None:
        super().__init__()
        self.client = client
        self.TITLE_TEXT = f"Edit client {client.id}" if client else "Add a client"

    def fields(self) -> list[Field]:
        c = self.client
        state = self.app.state
        defaults = state.policy.defaults if state.policy else None

        def client_id(text: str) -> str:
            t = text.strip()
            if not t or not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in t):
                raise DunError("letters, digits, - _ and . only", "id")
            if c is None and t in state.book.clients:
                raise DunError(f"{t} already exists", "id", "pick another id")
            return t

        def currency(text: str) -> str:
            return check_currency(text.strip().upper(), "currency")

        def email(text: str) -> str:
            t = text.strip()
            if t and not is_email(t):
                raise DunError("not an e-mail address (one plain address)", "email", "e.g. accounts@acme.example")
            return t

        cur = c.currency if c else (defaults.currency if defaults else "GBP")
        clients = self.app.state.book.clients

        def same_name(value: str, text: str) -> str:
            """A note (not a refusal: two firms may share a name) when another client has it:
            the two could not be told apart on Today, and nothing said so."""
            key = " ".join(value.split()).casefold()
            others = [x for x in clients.values() if c is None or x.id != c.id]
            other = next((x.id for x in others if " ".join(x.name.split()).casefold() == key), None)
            if other:
                return f"another client is named so: {other} (add what tells them apart)"
            # ("Cairn Marketing" beside "Cairn Marketing Ltd": the same firm added twice, most likely)
            loose = fold(value)
            near = next((x for x in others if loose and fold(x.name) == loose), None)
            return f"another client has almost this name: {near.name} ({near.id}); is it that one?" if near else ""

        if c is None:  # a new client: the name first, its id made from it unless typed
            head = [Field("name", "Name", "", text_parser("a name"), note=same_name),
                    Field("id", "Id", "", client_id, required=False, help="made from the name")]
        else:
            head = [Field("id", "Id", c.id, client_id),
                    Field("name", "Name", c.name, text_parser("a name"), note=same_name)]
        fields = [
            *head,
            Field("contact", "Contact name", c.contacts[0].name if c and c.contacts else "", None, required=False,
                  help="whom the messages greet (Dear …)"),
            Field("email", "E-mail", c.email if c else "", email, required=False),
            Field("phone", "Phone", c.phone if c else "", None, required=False),
            Field("currency", "Currency", cur, currency),
            Field("terms_days", "Payment terms (days)",
                  str(c.terms_days if c else (defaults.terms_days if defaults else 30)), int_parser(0, 365)),
            Field("credit_limit", "Credit limit", plain(c.credit_limit, c.currency) if c and c.credit_limit is not None else "",
                  amount_parser(lambda: self.values.get("currency") or cur, self.owner_locale, allow_zero=True),
                  required=False),
            Field("check_date", "Credit check date", c.credit_check.date.isoformat() if c and c.credit_check else "",
                  lambda t: parse_date(t, "credit check date"), required=False, help="YYYY-MM-DD"),
            Field("check_source", "Credit check source", c.credit_check.source if c and c.credit_check else "", None,
                  required=False, help="e.g. Creditsafe"),
            Field("check_rating", "Credit rating", c.credit_check.rating if c and c.credit_check else "", None,
                  required=False, help="e.g. A"),
            Field("address", "Billing address", " / ".join(c.address.splitlines()) if c else "", None,
                  required=False, help="lines separated by ' / '"),
        ]
        return fields

    def on_mount(self) -> None:  # (before FormDialog's: see there)
        if self.client is not None:
            self.query_one("#in-id").disabled = True

    def _proposed_id(self, name: str | None) -> str:
        """The id a new client gets when none is typed (receivables.slugs, as the client import)."""
        return slugify(name or "", set(self.app.state.book.clients)) if name else ""

    def on_values(self, values: dict[str, Any]) -> None:
        if self.client is None:  # the id the name makes, shown in the empty Id field
            self.query_one("#in-id").placeholder = self._proposed_id(values.get("name")) or "made from the name"

    def cross_check(self, v: dict[str, Any]) -> dict[str, str]:
        if (v.get("check_source") or v.get("check_rating")) and v.get("check_date") is None:
            return {"check_date": "a credit check needs its date"}
        return {}

    def save(self, v: dict[str, Any]) -> Any:
        c = self.client
        check = None
        if v.get("check_date") is not None:
            check = CreditCheck(v["check_date"], v.get("check_source") or "", v.get("check_rating") or "")
        contacts = ()
        name = (v.get("contact") or "").strip()
        if v.get("email") or v.get("phone") or name:
            first = c.contacts[0] if c and c.contacts else Contact()
            contacts = (Contact(name, v.get("email") or "", v.get("phone") or "", first.role),)
            if c:
                contacts += tuple(c.contacts[1:])
        elif c:
            contacts = tuple(c.contacts[1:])
        address = "\n".join(x.strip() for x in (v.get("address") or "").split(" / ") if x.strip())
        if c is None:
            new = Client(id=v.get("id") or self._proposed_id(v["name"]), name=v["name"], currency=v["currency"],
                         terms_days=v["terms_days"], contacts=contacts, address=address,
                         credit_limit=v.get("credit_limit"), credit_check=check)
            return actions.save_client(self.app.repo, new, True)
        updated = actions.replace(c, name=v["name"], currency=v["currency"], terms_days=v["terms_days"],
                                  contacts=contacts, address=address, credit_limit=v.get("credit_limit"),
                                  credit_check=check)
        return actions.save_client(self.app.repo, updated, False)
