"""The typed settings of the firm's collection policy (``policy.toml``): frozen dataclasses,
read and validated by :mod:`receivables.policy`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .syncpolicy import BankCsv, SyncPolicy

REGIMES = ("none", "uk-late-payment", "eu-late-payment", "contract")
ESCALATIONS = ("agency", "legal")
PAPERS = ("A4", "Letter")


@dataclass(frozen=True, slots=True)
class Company:
    name: str = "Your Company Ltd"
    address: str = ""
    email: str = ""
    phone: str = ""
    payment_instructions: str = ""
    country: str = "GB"
    owner: str = ""  # who signs the messages
    tax_id: str = ""
    # the template's example company (its name and bank details are not the owner's): no
    # e-mail is sent until the owner puts theirs and deletes the line
    example: bool = False


# what only the shipped policy's example company has: a book whose [company] still holds one
# of these is the example's, 'example = true' deleted or not (before, deleting the line was
# enough: the statements went out with the example's bank details and tax id)
EXAMPLE_COMPANY = {
    "email": "accounts@northwind.example",
    "phone": "+44 117 496 0000",
    "tax_id": "GB 123 4567 89",
    "payment_instructions": "12345678",  # (its account number, held in the text)
}


def example_left(c: Company) -> list[str]:
    """The fields of ``c`` that still hold the example company's values."""
    return [k for k, v in EXAMPLE_COMPANY.items()
            if (v in getattr(c, k) if k == "payment_instructions" else getattr(c, k).strip() == v)]


def example_note(c: Company) -> str:
    """What to say while ``c`` is the example company (see :attr:`Company.example`)."""
    left = example_left(c)
    return (f"policy.toml [company] is still the example ({c.name}"
            + (f"; its {', '.join(left)}" if left else ", with its bank details")
            + "): put your company's details there (and delete the line 'example = true' if it is still there)")


@dataclass(frozen=True, slots=True)
class Defaults:
    terms_days: int = 30
    currency: str = "GBP"
    locale: str = "en_GB"


@dataclass(frozen=True, slots=True)
class Calendar:
    country: str = "GB"
    subdivision: str | None = None


@dataclass(frozen=True, slots=True)
class LadderSettings:
    min_gap_days: int = 7
    tolerance: Decimal = Decimal("5")
    promise_grace_days: int = 3
    dispute_review_days: int = 14
    plan_grace_days: int = 5
    credit_review_days: int = 365


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    after_due_days: int
    channel: str
    template: str
    min_overdue: Decimal | None = None
    credit_hold: bool = False
    required: bool = False
    escalate: str | None = None  # "agency" | "legal"
    title: str = ""  # a short label for screens; defaults to the id
    fee: Decimal | None = None  # a flat dunning fee posted as a charge when the step is done


@dataclass(frozen=True, slots=True)
class ReferenceRate:
    start: date  # TOML key "from"
    rate: Decimal  # percent


# The reference-rate table each regime reads (``[[interest.rates.NAME]]``) unless
# ``[interest] reference`` names another one.
REGIME_TABLE = {"uk-late-payment": "boe", "eu-late-payment": "ecb"}
# The currency whose fixed compensation the law sets: UK Act s.5A (GBP), Directive art. 6 (EUR).
REGIME_CURRENCY = {"uk-late-payment": "GBP", "eu-late-payment": "EUR"}
TABLE_LABEL = {"boe": "Bank of England Bank Rate", "ecb": "ECB main refinancing rate",
               "basiszins": "Basiszinssatz (BGB \u00a7247)"}
DEFAULT_LEGAL_BASIS = {
    "uk-late-payment": "Statutory interest and fixed compensation are claimed under the Late Payment of "
                       "Commercial Debts (Interest) Act 1998 (interest at 8% over the Bank of England base "
                       "rate, SI 2002/1675; fixed sums under s.5A).",
    "eu-late-payment": "Interest for late payment and the fixed sum of EUR 40 are claimed under Directive "
                       "2011/7/EU on combating late payment in commercial transactions (arts. 3 and 6).",
    "contract": "Interest is claimed at the rate agreed in our terms of business.",
}
# the same when no fixed sum is claimed (an invoice in a currency the law fixes no sum in, and
# [interest.compensation] names none): "and the fixed sum of EUR 40" was quoted all the same
INTEREST_ONLY_BASIS = {
    "uk-late-payment": "Statutory interest is claimed under the Late Payment of Commercial Debts (Interest) Act "
                       "1998 (interest at 8% over the Bank of England base rate, SI 2002/1675).",
    "eu-late-payment": "Interest for late payment is claimed under Directive 2011/7/EU on combating late payment "
                       "in commercial transactions (art. 3).",
}


@dataclass(frozen=True, slots=True)
class InterestPolicy:
    regime: str = "none"
    margin: Decimal = Decimal("8")
    annual_rate: Decimal = Decimal("0")
    charge: bool = False
    reference_rates: tuple[ReferenceRate, ...] = ()  # the table the regime reads, sorted by start
    reference: str = ""  # that table's name ("boe", "ecb", ...); "" without a statutory regime
    tables: tuple[tuple[str, tuple[ReferenceRate, ...]], ...] = ()  # every [[interest.rates.NAME]]
    compensation: tuple[tuple[str, Decimal], ...] = ()  # explicit fixed sums for other currencies
    legal_basis: str = ""  # the sentence a claim quotes
    claim_prefix: str = "CHG-"  # the number series of charge documents
    claim_terms_days: int = 14  # a charge document is due this many days after it is posted

    def table(self, name: str) -> tuple[ReferenceRate, ...]:
        return next((rates for n, rates in self.tables if n == name), ())

    def fixed_sum(self, currency: str) -> Decimal | None:
        return next((amt for c, amt in self.compensation if c == currency), None)

    @property
    def basis(self) -> str:
        return self.legal_basis or DEFAULT_LEGAL_BASIS.get(self.regime, "")

    def basis_for(self, compensation: bool) -> str:
        """The sentence a claim of interest with (``compensation``) or without a fixed sum
        quotes: the owner's ``legal_basis`` if set, else the regime's."""
        if self.legal_basis or compensation:
            return self.basis
        return INTEREST_ONLY_BASIS.get(self.regime, self.basis)


@dataclass(frozen=True, slots=True)
class BackupPolicy:
    keep: int = 14


@dataclass(frozen=True, slots=True)
class PublishPolicy:
    paper: str = "A4"
    internal_notes: bool = False
    statement_activities: int = 5


@dataclass(frozen=True, slots=True)
class MailPolicy:
    sender: str = ""  # TOML key "from"
    reply_to: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_user: str = ""
    starttls: bool = True
    password_env: str = "DUN_SMTP_PASSWORD"
    keyring_service: str = "dun"


@dataclass(frozen=True, slots=True)
class Policy:
    company: Company = field(default_factory=Company)
    defaults: Defaults = field(default_factory=Defaults)
    calendar: Calendar = field(default_factory=Calendar)
    ladder: LadderSettings = field(default_factory=LadderSettings)
    steps: tuple[Step, ...] = ()
    interest: InterestPolicy = field(default_factory=InterestPolicy)
    backup: BackupPolicy = field(default_factory=BackupPolicy)
    publish: PublishPolicy = field(default_factory=PublishPolicy)
    mail: MailPolicy = field(default_factory=MailPolicy)
    source: str = ""
    bank: BankCsv = field(default_factory=BankCsv)  # [bank]: receivables.syncpolicy
    sync: SyncPolicy = field(default_factory=SyncPolicy)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def step_index(self, step_id: str) -> int:
        for i, s in enumerate(self.steps):
            if s.id == step_id:
                return i
        return -1
