"""Immutable typed records of the book.

Every record is a frozen dataclass. Amounts are ``Decimal`` already rounded to the
currency's minor unit and always travel with a currency code. Nothing derived is stored:
balances, statuses and days overdue come from :mod:`receivables.ledger`.
Activities are append-only: a correction is a new activity whose ``corrects`` names the
one it corrects.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Callable, Literal, Mapping

CHANNELS = ("email", "phone", "letter", "sms", "meeting", "other")
Channel = Literal["email", "phone", "letter", "sms", "meeting", "other"]
DIRECTIONS = ("out", "in")
# credit_applied: client credit (an overpayment, a credit note on no invoice) put on an invoice:
# it settles the invoice and leaves the client's credit, in one record
ADJUSTMENT_KINDS = ("credit_note", "write_off", "adjustment", "credit_applied")
CREDIT_APPLIED = "credit_applied"
CALL_OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number")
# outcomes of an agenda action that do not carry a ladder step out: put off (snoozed,
# skipped), or answered by the client (a promise, a dispute, a payment given in reply to it).
# No letter went out, so the step is still to do once the answer no longer holds, and it puts
# no client on hold, posts no fee, and is not a letter a later one may say was sent.
PUT_OFF = ("snoozed", "skipped")
ANSWERED = ("promised", "disputed", "paid")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""
    role: str = ""


# One plain address (``name@domain.tld``): what every way in takes (the app's form, CSV and
# Xero imports), what ``dun check`` flags otherwise in a hand-edited book, and all dun ever
# sends to. ASCII only (RFC 5322 atext and dots before the @, letters, digits and hyphens in
# the domain's labels), and no "=?" (an RFC 2047 encoded word: "=?utf-8?q?x=40evil.example=2C_y?=@x"
# came out of the mail library as two other recipients). No display name, list, comment,
# quote, white space or line break: "a@x.example, b@evil.example" took mail to the first.
EMAIL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)


# a record of each table, in a sentence ("activitie" was made by cutting the last letter)
_SINGULAR = {"clients": "client", "invoices": "invoice", "payments": "payment", "adjustments": "adjustment",
             "activities": "activity", "promises": "promise", "plans": "plan", "disputes": "dispute",
             "receipts": "receipt", "aliases": "alias", "syncs": "sync mark"}


def singular(table: str) -> str:
    return _SINGULAR.get(table, table)


def is_email(text: str) -> bool:
    return EMAIL_RE.fullmatch(text) is not None and "=?" not in text


@dataclass(frozen=True, slots=True)
class CreditCheck:
    date: date
    source: str
    rating: str


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    name: str
    currency: str
    terms_days: int
    contacts: tuple[Contact, ...] = ()
    address: str = ""  # billing address, lines separated by newlines
    credit_limit: Decimal | None = None  # in the client's currency; None = no limit
    credit_check: CreditCheck | None = None
    locale: str = ""  # empty: the policy's default
    tags: tuple[str, ...] = ()
    hold: bool = False
    hold_reason: str = ""

    @property
    def email(self) -> str:
        """The address to write to: the first contact's that is one (:func:`is_email`)."""
        return next((c.email for c in self.contacts if c.email and is_email(c.email)), "")

    @property
    def bad_emails(self) -> tuple[str, ...]:
        """The contacts' e-mails that are not one plain address (a hand-edited book)."""
        return tuple(c.email for c in self.contacts if c.email and not is_email(c.email))

    @property
    def phone(self) -> str:
        return next((c.phone for c in self.contacts if c.phone), "")


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal  # quantity x unit_amount, rounded half-up


CHARGE_KINDS = ("interest", "compensation", "fee")


@dataclass(frozen=True, slots=True)
class InterestSegment:
    """Days ``start``..``end`` (both included) on which interest ran on ``basis`` at ``rate``."""

    start: date
    end: date
    basis: Decimal  # the amount outstanding on those days
    rate: Decimal  # percent a year, margin included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Charge:
    """One line of a charge document: interest or compensation on one invoice, or a fee."""

    kind: str  # one of CHARGE_KINDS
    amount: Decimal
    invoice: str = ""  # the invoice charged for (a fee: the first invoice the step covered)
    start: date | None = None  # interest: the claimed period, both days included
    end: date | None = None
    segments: tuple[InterestSegment, ...] = ()  # interest: how it was worked out
    step: str = ""  # fee: the ladder step; compensation and interest: ""
    invoices: tuple[str, ...] = ()  # fee: every invoice the step covered


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    client: str
    issued: date
    due: date
    currency: str
    amount: Decimal  # total owed, tax included
    tax: Decimal = Decimal(0)
    lines: tuple[InvoiceLine, ...] = ()
    reference: str = ""
    # A charge document (kind "charge": late-payment interest, compensation or dunning fees,
    # see receivables.claims) is an invoice with ``charges`` and the legal basis in ``note``.
    kind: str = ""  # "" (an invoice) or "charge"
    charges: tuple[Charge, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    date: date
    client: str
    amount: Decimal
    currency: str
    method: str = ""
    reference: str = ""
    allocations: tuple[Allocation, ...] = ()  # the rest stays as client credit
    # A payment recorded by mistake (wrong client, wrong amount, a cheque that bounced) is
    # voided, not deleted: it stays in the book for the record and counts nowhere, as if it
    # had never been recorded (Book.voided, never Book.payments). Adjustments and promises
    # are voided the same way.
    voided: date | None = None  # the day it was voided
    void_reason: str = ""

    @property
    def unallocated(self) -> Decimal:
        return self.amount - sum((a.amount for a in self.allocations), Decimal(0))


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A credit note, write-off or adjustment.

    ``amount`` is positive and reduces what the client owes (on ``invoice`` if given,
    otherwise it is client credit); an ``adjustment`` may be negative to increase it.
    """

    id: str
    kind: str  # one of ADJUSTMENT_KINDS
    date: date
    client: str
    amount: Decimal
    currency: str
    invoice: str | None = None
    reason: str = ""
    voided: date | None = None  # voided (made by mistake): see Payment
    void_reason: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    """One entry of the append-only follow-up log."""

    id: str
    date: date
    client: str
    channel: str  # one of CHANNELS
    direction: str = "out"  # "out" (we contacted them) or "in"
    step: str | None = None  # the policy step this activity carries out
    invoices: tuple[str, ...] = ()
    outcome: str = ""  # free text or one of CALL_OUTCOMES, "sent", "snoozed", "skipped", ...
    body: str = ""  # Markdown
    corrects: str | None = None  # id of the activity this one corrects
    snooze_until: date | None = None  # with outcome "snoozed": hide the action until then
    internal: bool = True  # internal notes are published only if the policy says so
    message_id: str = ""  # an e-mail sent or queued: its Message-ID header, as the server got it


@dataclass(frozen=True, slots=True)
class PromiseToPay:
    id: str
    client: str
    made: date
    amount: Decimal
    currency: str
    by: date
    invoices: tuple[str, ...] = ()
    voided: date | None = None  # voided (recorded by mistake): see Payment
    void_reason: str = ""


@dataclass(frozen=True, slots=True)
class Installment:
    due: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    id: str
    client: str
    created: date
    currency: str
    invoices: tuple[str, ...]
    installments: tuple[Installment, ...]
    cancelled: date | None = None

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.installments), Decimal(0))


@dataclass(frozen=True, slots=True)
class Receipt:
    """A bank transaction crediting the owner's account, imported from a statement (book-level:
    it belongs to no client until it becomes a payment)."""

    id: str  # "RCP-" + a digest of the bank's own id (FITID, AcctSvcrRef) or of date, amount and text
    date: date
    amount: Decimal
    currency: str
    payer: str = ""
    text: str = ""  # reference, remittance information, memo
    source: str = ""  # the statement file it came from
    bank_id: str = ""  # FITID / AcctSvcrRef as the bank wrote it; empty for CSV
    payment: str = ""  # the payment it became; empty while unmatched
    ignored: bool = False  # the owner said it is not a client's payment


@dataclass(frozen=True, slots=True)
class PayerAlias:
    """A payer name on bank statements that means this client (taught by accepting a match)."""

    id: str  # the name folded (see receivables.matching.fold)
    client: str
    name: str  # as the bank wrote it


@dataclass(frozen=True, slots=True)
class SyncMark:
    """When the last import of a kind ("xero", "bank") ran, and the date its file was as of."""

    id: str
    date: date
    source: str = ""
    as_of: date | None = None


@dataclass(frozen=True, slots=True)
class Dispute:
    id: str
    invoice: str
    client: str
    reason: str
    opened: date
    resolved: date | None = None
    resolution: str = ""


def _frozen(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True, slots=True)
class Book:
    """Everything the owner has recorded, as immutable records.

    ``clients`` and ``invoices`` are keyed by id / number; the other collections are
    tuples in the order they were recorded. ``partial`` is true when the book was loaded
    for a subset of clients only (see ``store``).
    """

    clients: Mapping[str, Client] = field(default_factory=dict)
    invoices: Mapping[str, Invoice] = field(default_factory=dict)
    payments: tuple[Payment, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    activities: tuple[Activity, ...] = ()
    promises: tuple[PromiseToPay, ...] = ()
    plans: tuple[PaymentPlan, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    receipts: tuple[Receipt, ...] = ()  # book-level: not in a partial (one-client) book
    aliases: tuple[PayerAlias, ...] = ()
    syncs: tuple[SyncMark, ...] = ()
    # payments, adjustments and promises voided: kept for the record, counted nowhere
    voided: tuple[Payment | Adjustment | PromiseToPay, ...] = ()
    partial: bool = False

    def only(self, client_id: str) -> "Book":
        """The records of ``client_id`` alone (``partial``)."""
        return Book(
            clients={k: c for k, c in self.clients.items() if k == client_id},
            invoices={k: i for k, i in self.invoices.items() if i.client == client_id},
            payments=tuple(x for x in self.payments if x.client == client_id),
            adjustments=tuple(x for x in self.adjustments if x.client == client_id),
            activities=tuple(x for x in self.activities if x.client == client_id),
            promises=tuple(x for x in self.promises if x.client == client_id),
            plans=tuple(x for x in self.plans if x.client == client_id),
            disputes=tuple(x for x in self.disputes if x.client == client_id),
            aliases=tuple(x for x in self.aliases if x.client == client_id),
            voided=tuple(x for x in self.voided if x.client == client_id),
            partial=True,
        )

    def __post_init__(self) -> None:
        object.__setattr__(self, "clients", _frozen(self.clients))
        object.__setattr__(self, "invoices", _frozen(self.invoices))


def record_maker(cls: type) -> Callable[..., Any]:
    """``cls(*values)`` for a frozen, slotted record class given every field in order: the same
    record (its class, fields, equality and hash), made faster, for the store's bulk reads.

    A frozen class's ``__init__`` sets each field through ``object.__setattr__``. Here a twin
    class with the same slots sets them as plain attributes, then the object becomes a ``cls``
    (the two have one layout, so Python allows it). Only for classes whose ``__init__`` does
    nothing else (no ``__post_init__``)."""
    names = tuple(f.name for f in fields(cls))
    params = getattr(cls, "__dataclass_params__", None)
    if (params is None or not params.frozen or getattr(cls, "__slots__", None) != names
            or hasattr(cls, "__post_init__") or not names or cls.__bases__ != (object,)):
        raise TypeError(f"record_maker needs a frozen, slotted record class, not {cls.__name__}")
    args = ", ".join(names)
    body = "".join(f"\n    self.{n} = {n}" for n in names)
    scope: dict[str, Any] = {"_cls": cls}
    exec(f"def __init__(self, {args}):{body}\n    self.__class__ = _cls", scope)  # our own field names only
    twin = type(f"{cls.__name__}Maker", (), {"__slots__": names, "__init__": scope["__init__"],
                                             "__module__": cls.__module__})
    return twin
