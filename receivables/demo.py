"""Realistic, deterministic demo data: ``generate(clients, invoices, seed, today) -> Book``.

Everything comes from ``random.Random(seed)`` and the ``today`` you pass; nothing reads the
clock, so the same arguments always give the same book. Floats only ever decide *dates*
and *probabilities*; every amount is built from whole minor units and ``Decimal``.

What the book holds, in the proportions a small B2B firm sees:

- clients with UK/EU-ish names (a few with accents, apostrophes, an ampersand, quotes),
  contacts (one or two without e-mail), billing addresses, terms of 7-60 days, credit
  limits, credit checks (some stale), mostly GBP with a few EUR and USD clients;
- per-client paying behaviour: prompt, steady, slow and late payers, and one client who
  used to pay on time and is getting later and later;
- invoices over the last ~18 months (a third with line items, UK VAT on GBP invoices),
  partial payments, batched remittances, bank charges written off, an overpayment kept
  as credit, credit notes, a bad debt written off, disputes (open and resolved),
  promises to pay (kept and broken) and a payment plan;
- the follow-up log: every ladder step of the policy carried out up to two days ago
  (respecting ``min_gap_days``, ``min_overdue``, the tolerance and pauses for promises,
  disputes and plans), so the agenda for ``today`` holds a sensible handful of actions.

A 2,000-client / 100,000-invoice book takes a few seconds (see ``benchmarks/``).
"""
from __future__ import annotations

import bisect
import heapq
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .dates import FIRST_DATE, LAST_DATE
from .errors import DunError
from .model import (
    Activity,
    Adjustment,
    Allocation,
    Book,
    Client,
    Contact,
    CreditCheck,
    Dispute,
    Installment,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentPlan,
    PromiseToPay,
)
from .policy import LadderSettings, Policy, Step

ZERO = Decimal(0)
CENT = Decimal("0.01")
DAY = timedelta(days=1)
HISTORY_DAYS = 540  # invoices spread over the last ~18 months
LAG_DAYS = 2  # the owner has done every action due up to two business days ago

# The ladder of the repo's policy.toml, used when no policy is given.
DEFAULT_STEPS: tuple[Step, ...] = (
    Step("courtesy", -3, "email", "courtesy", title="Courtesy reminder"),
    Step("reminder", 1, "email", "reminder", title="Friendly reminder"),
    Step("call", 10, "phone", "call", min_overdue=Decimal("100.00"), title="Phone call"),
    Step("second-reminder", 21, "email", "second_reminder", title="Second reminder"),
    Step("final-notice", 35, "letter", "final_notice", required=True, credit_hold=True, title="Final notice"),
    Step("agency", 50, "letter", "agency", escalate="agency", min_overdue=Decimal("250.00"), title="Hand over to agency"),
)

# -- names ---------------------------------------------------------------------------------

# Hand-written clients that always come first: awkward characters on purpose.
_SPECIAL = (
    ("O'Neill & Daughters Joinery Ltd", "GB", "GBP"),
    ("Müller Präzisionstechnik GmbH", "DE", "EUR"),
    ("Brasserie Chez Éloïse SARL", "FR", "EUR"),
    ('The "Good Bean" Coffee Co.', "GB", "GBP"),
    ("Łódź Logistyka sp. z o.o.", "PL", "EUR"),
    ("Smith & Jones <Catering> Ltd", "GB", "GBP"),
    ("Ærø Skibsværft ApS", "DK", "EUR"),
    ("Harbour Lights Hotel Ltd", "GB", "GBP"),
    ("Fjord & Field Outfitters Inc.", "US", "USD"),
    ("St. Mary's Dental Practice", "GB", "GBP"),
)
_STEMS = (
    "Acme", "Ashford", "Beacon", "Birch", "Blackwater", "Bramble", "Bridgewater", "Brook", "Cairn",
    "Castlegate", "Cedar", "Clearwater", "Cobalt", "Copperfield", "Cotswold", "Crown", "Dales",
    "Dover", "Elm", "Falcon", "Fenwick", "Fernhill", "Foxglove", "Granite", "Greenway", "Hadley",
    "Hawthorn", "Heath", "Highland", "Holloway", "Ivy", "Juniper", "Kestrel", "Kingsley", "Lakeside",
    "Larch", "Linden", "Marlow", "Meadow", "Mercer", "Millbrook", "Moorland", "Northgate", "Oakridge",
    "Orchard", "Pembroke", "Pennine", "Quarry", "Redwood", "Riverside", "Rowan", "Saxon", "Severn",
    "Silverdale", "Southbank", "Stirling", "Stonebridge", "Summit", "Thames", "Thornbury", "Tudor",
    "Upland", "Vale", "Waverley", "Westbury", "Whitby", "Willow", "Windsor", "Wren", "Yew",
    "Albion", "Anchor", "Atlas", "Bishop", "Chiltern", "Derwent", "Eden", "Humber", "Kelso", "Mendip",
)
_TRADES = (
    "Supplies", "Engineering", "Logistics", "Print", "Interiors", "Catering", "Facilities", "Joinery",
    "Electrical", "Plumbing", "Architects", "Dental", "Veterinary", "Brewing", "Bakery", "Garden Centre",
    "Software", "Marketing", "Media", "Consulting", "Accountants", "Builders", "Roofing", "Scaffolding",
    "Hotels", "Events", "Cleaning", "Security", "Packaging", "Signs", "Motors", "Fitness", "Pharmacy",
    "Opticians", "Florists", "Tiling", "Glazing", "Fabrication", "Analytics", "Design",
)
_SUFFIXES_GB = ("Ltd", "Ltd", "Ltd", "Limited", "LLP", "plc", "& Co", "Group Ltd")
_EU = {
    "DE": ("EUR", "GmbH", "de_DE", ("Hauptstraße 12", "Bahnhofstraße 7", "Lindenallee 3"), ("10115 Berlin", "80331 München", "20095 Hamburg")),
    "FR": ("EUR", "SARL", "fr_FR", ("12 rue de la Paix", "4 avenue Foch", "27 quai Voltaire"), ("75002 Paris", "69001 Lyon", "33000 Bordeaux")),
    "NL": ("EUR", "B.V.", "nl_NL", ("Keizersgracht 101", "Coolsingel 40"), ("1015 CJ Amsterdam", "3011 AD Rotterdam")),
    "IE": ("EUR", "Ltd", "en_IE", ("14 Grafton Street", "2 Patrick Street"), ("Dublin 2, D02 XY45", "Cork T12 AB34")),
    "US": ("USD", "Inc.", "en_US", ("500 Market Street", "77 Water Street"), ("San Francisco, CA 94105", "New York, NY 10005")),
}
_GB_STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Road", "King Street",
               "Queens Parade", "Park Avenue", "Harbour Way", "Canal Wharf", "Market Place", "Bridge Street")
_GB_TOWNS = (("Bristol", "BS1", "117 496"), ("Manchester", "M1", "161 496"), ("Leeds", "LS1", "113 496"),
             ("London", "EC1A", "20 7946"), ("Cardiff", "CF10", "29 2018"), ("Edinburgh", "EH1", "131 496"),
             ("Birmingham", "B1", "121 496"), ("Bath", "BA1", "1225 496"), ("Exeter", "EX1", "1392 496"),
             ("Norwich", "NR1", "1603 496"), ("Glasgow", "G1", "141 496"), ("Sheffield", "S1", "114 496"))
_FIRST = ("Sarah", "James", "Aisha", "Tom", "Priya", "Owen", "Chloe", "Dev", "Niamh", "Liam", "Zofia",
          "Marek", "Hannah", "Yusuf", "Emma", "Callum", "Fatima", "Rhys", "Ingrid", "Luca", "Sinéad",
          "Jürgen", "Amélie", "Björn", "Grace", "Kwame", "Mei", "Oliver", "Rosa", "Tariq")
_LAST = ("Patel", "Smith", "O'Brien", "Jones", "Williams", "Nowak", "Khan", "Taylor", "Brown", "Evans",
         "Schmidt", "Dubois", "Murphy", "Hughes", "Ahmed", "Wilson", "Clarke", "Rossi", "Larsen", "Byrne")
_ROLES = ("Accounts payable", "Finance manager", "Owner", "Office manager", "Bookkeeper")
_CHECK_SOURCES = ("Creditsafe", "Experian", "Dun & Bradstreet", "Companies House accounts", "Trade references")
_RATINGS = ("A", "A", "B", "B", "B", "C", "C", "D")
_SECTORS = ("hospitality", "construction", "retail", "healthcare", "manufacturing", "professional services", "public sector")
_LEGAL = {"ltd", "limited", "llp", "plc", "gmbh", "sarl", "sas", "ag", "bv", "b-v", "inc", "aps", "ab", "co",
          "sp-z-o-o", "group", "the"}


def slugify(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A client id from a name: ``"Acme Supplies Ltd"`` -> ``"acme-supplies"`` (unique in ``taken``).

    Accents are folded to ASCII, legal suffixes dropped; a name with no Latin letters
    becomes ``client``; a clash gets ``-2``, ``-3``, ...
    """
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L").replace("ø", "o")
                                   .replace("Ø", "O").replace("æ", "ae").replace("Æ", "Ae").replace("ß", "ss")
                                   .replace("'", "").replace("\u2019", ""))
    ascii_ = "".join(ch for ch in folded if ch.isascii()).lower().replace("&", " ")
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_).split()
    # drop a trailing "sp z o o" and legal words at the end
    text = "-".join(words)
    for tail in ("-sp-z-o-o", "-b-v"):
        if text.endswith(tail):
            text = text[: -len(tail)]
    parts = [p for p in text.split("-") if p]
    while len(parts) > 1 and parts[-1] in _LEGAL:
        parts.pop()
    if len(parts) > 1 and parts[0] == "the":
        parts.pop(0)
    base = "-".join(parts)[:48].strip("-") or "client"
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


# -- money helpers (integers of minor units; never floats) ---------------------------------------

def _money(minor: int, places: int = 2) -> Decimal:
    return Decimal(minor).scaleb(-places)


def _pct(amount: Decimal, percent: int) -> Decimal:
    """``percent``% of an amount, rounded half-up to pence."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _cutoff(today: date) -> date:
    """The owner has done every action due up to LAG_DAYS business days before today
    (a weekend counts as the Friday before it)."""
    d = today
    while d.weekday() >= 5:
        d -= DAY
    for _ in range(LAG_DAYS):
        d -= DAY
        while d.weekday() >= 5:
            d -= DAY
    return d


def _weekday(d: date) -> date:
    wd = d.weekday()
    return d + timedelta(days=7 - wd) if wd >= 5 else d


# -- internal working records ---------------------------------------------------------------------

@dataclass(slots=True)
class _Profile:
    kind: str  # prompt, steady, slow, late, drifting
    mean: float  # days late, on average
    spread: float
    partial: float  # probability an invoice is paid in two parts
    batch: bool  # pays on a weekly payment run (one remittance for several invoices)
    size: str  # small, medium, large
    start: date  # first invoice
    stop: date | None = None  # pays nothing from this date on (a broken promise)


@dataclass(slots=True)
class _Inv:
    number: str
    client: str
    issued: date
    due: date
    amount: Decimal
    currency: str
    tax: Decimal
    lines: tuple[InvoiceLine, ...]
    reference: str
    pay: date | None = None  # when the (rest of the) invoice is paid; None: not by today
    events: list = field(default_factory=list)  # (date, amount) settlements, for the ladder
    pauses: list = field(default_factory=list)  # (start, end or None): the ladder waits
    settled: date | None = None
    special: str = ""  # set by a scenario: the natural payment is not generated

    def outstanding(self, on: date) -> Decimal:
        out = self.amount
        for d, amt in self.events:
            if d <= on:
                out -= amt
        return out


_METHODS = {"GBP": "BACS", "EUR": "SEPA transfer", "USD": "wire transfer"}


class _Out:
    """Collects generated records before ids are given in date order."""

    def __init__(self) -> None:
        self.payments: list[tuple] = []  # (date, client, currency, amount, allocations, method, reference)
        self.adjustments: list[tuple] = []  # (date, kind, client, amount, currency, invoice, reason)
        self.activities: list[tuple] = []  # (date, order, client, kwargs)
        self.promises: list[tuple] = []  # (made, client, amount, currency, by, invoices)
        self.disputes: list[tuple] = []  # (opened, invoice, client, reason, resolved, resolution)
        self.plans: list[tuple] = []

    def pay(self, inv_list: list[tuple["_Inv", Decimal]], d: date, client: str, currency: str,
            extra: Decimal = ZERO, method: str = "", reference: str = "") -> None:
        method = method or _METHODS.get(currency, "bank transfer")
        allocs = []
        total = extra
        for inv, amt in inv_list:
            inv.events.append((d, amt))
            allocs.append(Allocation(inv.number, amt))
            total += amt
        self.payments.append((d, client, currency, total, tuple(allocs), method, reference))

    def adjust(self, inv: "_Inv", d: date, kind: str, amount: Decimal, reason: str) -> None:
        inv.events.append((d, amount))
        self.adjustments.append((d, kind, inv.client, amount, inv.currency, inv.number, reason))

    def activity(self, d: date, client: str, **kw) -> None:
        self.activities.append((d, len(self.activities), client, kw))


# -- the generator -----------------------------------------------------------------------------------

def generate(clients: int = 40, invoices: int = 600, seed: int = 1, today: date | None = None,
             policy: Policy | None = None) -> Book:
    """A realistic demo book as of ``today`` (required: nothing here reads the clock)."""
    if today is None:
        raise ValueError("generate() needs today= (the demo is built as of that date)")
    if clients < 1 or invoices < 0:
        raise ValueError("clients must be at least 1 and invoices not negative")
    earliest, latest = FIRST_DATE + timedelta(days=3 * 365), LAST_DATE - timedelta(days=365)
    if not earliest <= today <= latest:  # its history and its terms stay inside the book's window
        raise DunError(f"a demo book cannot be made as of {today.isoformat()}", "--on",
                       f"use a date from {earliest.isoformat()} to {latest.isoformat()}")
    rng = random.Random(seed)
    steps = policy.steps if policy is not None and policy.steps else DEFAULT_STEPS
    ladder = policy.ladder if policy is not None else LadderSettings()
    terms_default = policy.defaults.terms_days if policy is not None else 30
    out = _Out()

    client_recs, profiles = _make_clients(rng, clients, today, terms_default)
    invs = _make_invoices(rng, client_recs, profiles, invoices, today)
    by_client: dict[str, list[_Inv]] = defaultdict(list)
    for inv in invs:
        by_client[inv.client].append(inv)

    _fates(rng, invs, profiles, today)
    _scenarios(rng, by_client, profiles, client_recs, today, ladder, out)
    _settle(rng, by_client, profiles, client_recs, today, out)
    held = _ladder(rng, by_client, client_recs, steps, ladder, today, out)

    for cid in held:
        c = client_recs[cid]
        client_recs[cid] = Client(**{**_fields(c), "hold": True,
                                     "hold_reason": f"Final notice sent {held[cid].isoformat()}: no new work until the account is paid"})
    return _assemble(client_recs, invs, out)


def _fields(c: Client) -> dict:
    return {k: getattr(c, k) for k in Client.__slots__}


def _make_clients(rng: random.Random, n: int, today: date, terms_default: int):
    recs: dict[str, Client] = {}
    profiles: dict[str, _Profile] = {}
    taken: set[str] = set()
    names: set[str] = set()
    no_email = {3, 17}  # one or two clients have no e-mail address (phone only)
    kinds = ["prompt"] * 30 + ["steady"] * 30 + ["slow"] * 22 + ["late"] * 18
    start_min = today - timedelta(days=HISTORY_DAYS)
    for i in range(n):
        if i < len(_SPECIAL):
            name, country, currency = _SPECIAL[i]
        else:
            roll = rng.random()
            country = "GB" if roll < 0.86 else rng.choice(("DE", "FR", "NL", "IE", "IE", "US"))
            for _ in range(1000):
                stem = rng.choice(_STEMS)
                trade = rng.choice(_TRADES)
                if country == "GB":
                    suffix = rng.choice(_SUFFIXES_GB)
                else:
                    suffix = _EU[country][1]
                name = f"{stem} {trade} {suffix}"
                if name not in names:
                    break
            else:  # pragma: no cover - only for absurd client counts
                name = f"{stem} {trade} {i} {suffix}"
            currency = "GBP" if country == "GB" else _EU[country][0]
        names.add(name)
        cid = slugify(name, taken)
        taken.add(cid)

        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        mail_local = slugify(f"{first}.{last}").replace("-", ".")
        email = "" if i in no_email else f"{mail_local}@{cid}.example"
        if country == "GB":
            town, pc, area = rng.choice(_GB_TOWNS)
            phone = f"+44 {area} {rng.randint(0, 999):03d}" if len(area) > 6 else f"+44 {area} 0{rng.randint(0, 999):03d}"
            address = f"{rng.randint(1, 180)} {rng.choice(_GB_STREETS)}\n{town} {pc} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}\nUnited Kingdom"
            locale = ""
        elif country in ("PL", "DK"):
            locale = {"PL": "pl_PL", "DK": "da_DK"}[country]
            phone = {"PL": "+48 42 ", "DK": "+45 "}[country] + f"{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            address = {"PL": "ul. Piotrkowska 104\n90-006 Łódź\nPoland", "DK": "Havnegade 5\n5970 Ærøskøbing\nDenmark"}[country]
        else:
            _, _, locale, streets, towns = _EU[country]
            prefix = {"DE": "+49 30", "FR": "+33 1", "NL": "+31 20", "IE": "+353 1", "US": "+1 415"}[country]
            phone = f"{prefix} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            land = {"DE": "Germany", "FR": "France", "NL": "Netherlands", "IE": "Ireland", "US": "United States"}[country]
            address = f"{rng.choice(streets)}\n{rng.choice(towns)}\n{land}"
        contacts = [Contact(name=f"{first} {last}", email=email, phone=phone, role=rng.choice(_ROLES))]
        if rng.random() < 0.25 and email:
            f2, l2 = rng.choice(_FIRST), rng.choice(_LAST)
            contacts.append(Contact(name=f"{f2} {l2}", email=f"{slugify(f2)}@{cid}.example", role="Director"))

        size = rng.choices(("small", "medium", "large"), weights=(55, 35, 10))[0]
        limit_units = {"small": rng.randint(2, 6) * 1000, "medium": rng.randint(10, 30) * 1000,
                       "large": rng.randint(50, 120) * 1000}[size]
        credit_limit = None if rng.random() < 0.15 else Decimal(limit_units).quantize(CENT)
        roll = rng.random()
        if roll < 0.12 and i not in (4, 12):
            check = None
        else:  # some are stale: always two of the first clients, then one in twenty
            age = rng.randint(380, 900) if roll < 0.17 or i in (4, 12) else rng.randint(15, 330)
            check = CreditCheck(today - timedelta(days=age), rng.choice(_CHECK_SOURCES), rng.choice(_RATINGS))
        terms = rng.choice((7, 14, 30, 30, 30, 30, 45, 60)) if i else terms_default

        kind = "drifting" if i == 7 else rng.choice(kinds)
        if i in (0, 5):
            kind = "late"  # the awkward names also have the interesting histories
        elif i in (1, 3):
            kind = "slow"
        mean, spread = {
            "prompt": (rng.uniform(-4, 1), 2.0),
            "steady": (rng.uniform(2, 9), 4.0),
            "slow": (rng.uniform(12, 24), 8.0),
            "late": (rng.uniform(30, 50), 14.0),
            "drifting": (0.0, 3.0),
        }[kind]
        partial = {"prompt": 0.0, "steady": 0.03, "slow": 0.12, "late": 0.2, "drifting": 0.05}[kind]
        start = start_min if rng.random() < 0.8 else start_min + timedelta(days=rng.randint(30, HISTORY_DAYS - 60))
        if kind == "drifting":
            start = start_min  # a long relationship that is souring
        profiles[cid] = _Profile(kind, mean, spread, partial, rng.random() < 0.12 and kind in ("prompt", "steady"), size, start)
        recs[cid] = Client(
            id=cid, name=name, currency=currency, terms_days=terms, contacts=tuple(contacts), address=address,
            credit_limit=credit_limit, credit_check=check, locale=locale,
            tags=(rng.choice(_SECTORS),) if rng.random() < 0.7 else (), hold=False,
        )
    return recs, profiles


def _make_invoices(rng: random.Random, clients: dict[str, Client], profiles: dict[str, _Profile],
                   n: int, today: date) -> list[_Inv]:
    ids = list(clients)
    # a few big accounts, many small ones (Pareto-ish weights)
    # a few big accounts, many small ones; no client gets more than ~6% of the invoices
    weights = [min(rng.paretovariate(1.6), 8.0) * (3 if profiles[c].size == "large" else 1) for c in ids]
    mean_w = sum(weights) / len(weights)
    for k, c in enumerate(ids):  # the drifting client needs a steady flow of invoices to show it
        if profiles[c].kind == "drifting":
            weights[k] = max(weights[k], 2.5 * mean_w)
    counts = [0] * len(ids)
    if n >= len(ids):
        counts = [1] * len(ids)
        rest = n - len(ids)
    else:
        rest = n
    for idx in rng.choices(range(len(ids)), weights=weights, k=rest):
        counts[idx] += 1
    drafts: list[tuple] = []
    for cid, k in zip(ids, counts):
        c, p = clients[cid], profiles[cid]
        span = max(1, (today - p.start).days)
        po = rng.random() < 0.3
        for _ in range(k):
            issued = _weekday(p.start + timedelta(days=rng.randint(0, span)))
            if issued > today:
                issued = today - timedelta(days=rng.randint(0, 3))
            drafts.append((issued, cid, rng.random(), po))
    drafts.sort(key=lambda t: (t[0], t[1], t[2]))
    invs: list[_Inv] = []
    for seq, (issued, cid, _, po) in enumerate(drafts, start=1):
        c, p = clients[cid], profiles[cid]
        lo, hi = {"small": (100, 1500), "medium": (600, 6000), "large": (2000, 15000)}[p.size]
        vat = c.currency == "GBP"
        if rng.random() < 0.35:  # itemised invoice
            lines = []
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.5:
                    qty = Decimal(rng.randint(1, 16) * 5).scaleb(-1)  # hours: 0.5 .. 8.0
                    unit = Decimal(rng.choice((45, 60, 75, 85, 95, 120, 150)))
                else:  # goods: the line comes to roughly a quarter of a typical invoice
                    qty = Decimal(rng.randint(1, 12))
                    unit = _money(rng.randint(lo, hi) * 25 // int(qty))
                line_amt = (qty * unit).quantize(CENT, rounding=ROUND_HALF_UP)
                lines.append(InvoiceLine(_line_text(rng, qty), qty, unit.quantize(CENT), line_amt))
            net = sum((ln.amount for ln in lines), ZERO)
            line_tuple = tuple(lines)
        else:
            net = _money(rng.randint(lo, hi) * 100 + rng.choice((0, 0, 0, 50, rng.randint(1, 99))))
            line_tuple = ()
        tax = _pct(net, 20) if vat else ZERO
        if net + tax > 50000:  # the largest invoices stay under 50k
            net = _money(rng.randint(30000, 41000) * 100)
            line_tuple = ()
            tax = _pct(net, 20) if vat else ZERO
        invs.append(_Inv(
            number=f"INV-{seq:06d}", client=cid, issued=issued, due=issued + timedelta(days=c.terms_days),
            amount=net + tax, currency=c.currency, tax=tax, lines=line_tuple,
            reference=f"PO-{rng.randint(10000, 99999)}" if po else "",
        ))
    return invs


_ITEMS = ("Consultancy", "Site visit", "Design work", "Installation", "Maintenance visit", "Materials",
          "Delivery", "Training session", "Support hours", "Printing", "Call-out fee", "Project management")


def _line_text(rng: random.Random, qty: Decimal) -> str:
    return rng.choice(_ITEMS) + (" (hours)" if qty != qty.to_integral_value() else "")


def _fates(rng: random.Random, invs: list[_Inv], profiles: dict[str, _Profile], today: date) -> None:
    """When each invoice gets paid (None: not yet), from its client's behaviour."""
    for inv in invs:
        p = profiles[inv.client]
        mean = p.mean
        if p.kind == "drifting":  # on time a year and a half ago, ~45 days late now
            t = max(0.0, min(1.0, (inv.issued - p.start).days / HISTORY_DAYS))
            mean = 45.0 * t ** 1.5
        late = rng.gauss(mean, p.spread)
        if p.kind == "late" and rng.random() < 0.08:
            late += rng.uniform(60, 300)  # the occasional very bad one
        pay = _weekday(inv.due + timedelta(days=round(late)))
        if pay <= inv.issued:
            pay = _weekday(inv.issued + DAY)
        inv.pay = pay if pay <= today else None


def _choose(rng: random.Random, pool: list[_Inv], taken: set[str]) -> _Inv | None:
    pool = [i for i in pool if i.number not in taken]
    if not pool:
        return None
    inv = rng.choice(pool)
    taken.add(inv.number)
    return inv


def _scenarios(rng: random.Random, by_client: dict[str, list[_Inv]], profiles: dict[str, _Profile],
               clients: dict[str, Client], today: date, ladder: LadderSettings, out: _Out) -> None:
    """Disputes, promises, a payment plan: a few guaranteed, more in proportion to the book."""
    taken: set[str] = set()
    all_invs = sorted((i for lst in by_client.values() for i in lst), key=lambda i: i.due)
    due_keys = [i.due for i in all_invs]

    def window(lo: date, hi: date) -> list[_Inv]:  # invoices due in [lo, hi]
        return all_invs[bisect.bisect_left(due_keys, lo): bisect.bisect_right(due_keys, hi)]

    scale = max(1, len(clients) // 40)
    late_clients = [c for c in by_client if profiles[c].kind in ("late", "slow")] or list(by_client)
    rough = today - timedelta(days=55)
    plan_cands = [c for c in late_clients
                  if sum(1 for i in by_client[c] if i.due < rough - timedelta(days=20) and (i.pay is None or i.pay > rough)) >= 2]
    rng.shuffle(plan_cands)

    # A payment plan (one per 40 clients): a late client with old unpaid invoices.
    for k in range(scale):
        created = today - timedelta(days=50 + rng.randint(0, 10))
        if not plan_cands:
            break
        cid = plan_cands.pop()
        plan_invs = [i for i in by_client[cid] if i.due < created and (i.pay is None or i.pay > created)
                     and i.number not in taken]
        plan_invs.sort(key=lambda i: (i.due, i.number))
        plan_invs = plan_invs[: rng.randint(2, 4)]
        if not plan_invs:
            continue
        for i in plan_invs:
            taken.add(i.number)
            i.special = "plan"
            i.pay = None
            i.pauses.append((created, None))
        total = sum((i.amount for i in plan_invs), ZERO)
        n = 4
        base = (total / n).quantize(CENT, rounding=ROUND_HALF_UP)
        amounts = [base] * (n - 1) + [total - base * (n - 1)]
        dues = [_weekday(created + timedelta(days=15 + 30 * j)) for j in range(n)]
        out.plans.append((created, cid, clients[cid].currency, tuple(i.number for i in plan_invs),
                          tuple(Installment(d, a) for d, a in zip(dues, amounts))))
        out.activity(created, cid, channel="phone", step=None, invoices=tuple(i.number for i in plan_invs),
                     outcome="reached", body=f"Agreed a payment plan: {n} monthly installments of about {base} {clients[cid].currency}.")
        queue = list(plan_invs)
        for d, amt in zip(dues, amounts):
            if d > today - timedelta(days=1):
                break
            allocs, rest = [], amt
            for i in queue:
                owed = i.outstanding(d)
                if owed <= 0:
                    continue
                take = min(owed, rest)
                allocs.append((i, take))
                rest -= take
                if rest <= 0:
                    break
            out.pay(allocs, d, cid, clients[cid].currency, method="standing order", reference="Plan installment")
            for i, _ in allocs:
                if i.outstanding(d) <= 0:
                    i.settled = d

    # Disputes: one stale (needs a review), one fresh, one resolved with a credit note; more in big books.
    reasons = ("Goods arrived damaged", "Hours billed do not match the timesheet", "Price differs from the quote",
               "Work not finished to specification", "Invoice sent to the wrong department", "Duplicate of an earlier invoice?")
    plans_of = {pl[1] for pl in out.plans}

    def dispute_pool(opened: date) -> list[_Inv]:
        return [i for i in window(opened - timedelta(days=40), opened - timedelta(days=2))
                if i.client not in plans_of and not i.special
                and (i.pay is None or i.pay > opened) and profiles[i.client].kind != "prompt"]

    for k in range(scale):
        for kind, opened in (("stale", today - timedelta(days=rng.randint(20, 32))),
                             ("fresh", today - timedelta(days=rng.randint(3, 8))),
                             ("resolved", today - timedelta(days=rng.randint(70, 200)))):
            inv = _choose(rng, dispute_pool(opened), taken)
            if inv is None:
                continue
            reason = rng.choice(reasons)
            inv.special = "dispute"
            out.activity(opened, inv.client, channel="email", direction="in", invoices=(inv.number,), outcome="disputed",
                         body=f"Client disputes {inv.number}: {reason}.")
            if kind == "resolved":
                resolved = opened + timedelta(days=rng.randint(8, 30))
                credit = _pct(inv.amount, rng.choice((10, 15, 20, 25)))
                out.adjust(inv, resolved, "credit_note", credit, f"Agreed reduction after dispute: {reason.lower()}")
                out.disputes.append((opened, inv.number, inv.client, reason, resolved,
                                     f"Credit note of {credit} {inv.currency} agreed; balance to be paid"))
                out.activity(resolved, inv.client, channel="phone", invoices=(inv.number,), outcome="reached",
                             body=f"Dispute settled: credit note of {credit} {inv.currency}, the rest will be paid this week.")
                inv.pauses.append((opened, resolved + timedelta(days=7)))
                inv.pay = _weekday(resolved + timedelta(days=rng.randint(2, 7)))
                if inv.pay > today:
                    inv.pay = None
                inv.special = "resolved"
            else:
                out.disputes.append((opened, inv.number, inv.client, reason, None, ""))
                inv.pauses.append((opened, None))
                inv.pay = None

    # Promises: a recent broken one (an action today), one still to come, and a kept one.
    grace = timedelta(days=ladder.promise_grace_days)
    for k in range(scale):
        made = today - timedelta(days=rng.randint(9, 12))
        by = today - timedelta(days=rng.randint(4, 5))
        pool = [i for i in window(made - timedelta(days=60), made - timedelta(days=12))
                if not i.special and i.pay is None and i.client not in plans_of]
        inv = _choose(rng, pool, taken)
        if inv is not None:
            inv.special = "promise"
            _promise(out, inv, made, by, grace, clients, kept=False)
            # the client has paid nothing since: that is what makes the promise broken
            profiles[inv.client].stop = made
            for other in by_client[inv.client]:
                if other.pay is not None and other.pay >= made and other.special != "plan":
                    other.pay = None
        made = today - timedelta(days=rng.randint(3, 6))
        by = today + timedelta(days=rng.randint(2, 6))
        pool = [i for i in window(made - timedelta(days=30), made - timedelta(days=5))
                if not i.special and i.pay is None and i.client not in plans_of]
        inv = _choose(rng, pool, taken)
        if inv is not None:
            inv.special = "promise"
            _promise(out, inv, made, by, grace, clients, kept=None)
        pool = [i for i in window(today - timedelta(days=120), today - timedelta(days=32))
                if not i.special and i.pay is not None
                and i.pay - i.due >= timedelta(days=12) and i.pay <= today - timedelta(days=20)]
        inv = _choose(rng, pool, taken)
        if inv is not None:
            made = inv.pay - timedelta(days=rng.randint(4, 8))
            by = inv.pay + timedelta(days=rng.randint(0, 2))
            _promise(out, inv, made, by, grace, clients, kept=True)


def _promise(out: _Out, inv: _Inv, made: date, by: date, grace: timedelta, clients: dict[str, Client],
             kept: bool | None) -> None:
    c = clients[inv.client]
    who = c.contacts[0].name.split()[0] if c.contacts and c.contacts[0].name else "them"
    out.activity(made, inv.client, channel="phone", invoices=(inv.number,), outcome="reached",
                 body=f"Spoke to {who}: promised to pay {inv.number} in full by {by.isoformat()}.")
    out.promises.append((made, inv.client, inv.outstanding(made), inv.currency, by, (inv.number,)))
    inv.pauses.append((made, by + grace + DAY))


def _settle(rng: random.Random, by_client: dict[str, list[_Inv]], profiles: dict[str, _Profile],
            clients: dict[str, Client], today: date, out: _Out) -> None:
    """Payments, partial payments, bank charges, credit notes and write-offs from the fates."""
    credit_given = 0
    for cid, invs in by_client.items():
        p, c = profiles[cid], clients[cid]
        run: dict[date, list[tuple[_Inv, Decimal]]] = defaultdict(list)
        for inv in invs:
            if inv.special == "plan":
                continue
            # a credit note now and then (returned goods, pricing error)
            if not inv.special and rng.random() < 0.012 and inv.issued + timedelta(days=20) <= today:
                d = _weekday(inv.issued + timedelta(days=rng.randint(3, 20)))
                if inv.pay is not None and d >= inv.pay:
                    d = max(inv.issued, inv.pay - DAY)
                credit = min(_pct(inv.amount, rng.choice((5, 10, 20, 50))), inv.outstanding(date.max))
                reason = rng.choice(("Returned goods", "Pricing error", "Goodwill: late delivery"))
                if credit > 0:
                    out.adjust(inv, d, "credit_note", credit, reason)
            # a bad debt: very late and long past the agency step
            if inv.pay is None and not inv.special and p.kind == "late" and (today - inv.due).days > 240 and rng.random() < 0.5:
                d = _weekday(inv.due + timedelta(days=rng.randint(200, 230)))
                left = min(inv.outstanding(d), inv.outstanding(date.max))
                if left > 0:
                    out.adjust(inv, d, "write_off", left, "Bad debt: the agency could not recover it")
                inv.settled = d
                continue
            # a partial payment first
            if not inv.special and rng.random() < p.partial:
                first = _weekday(inv.due + timedelta(days=rng.randint(0, 20)))
                last = inv.pay or today
                if first < last and first <= today and (p.stop is None or first < p.stop):
                    # of what is owed then, and never more than is left after every credit
                    # (a credit note dated after this payment counts too: no invoice is settled twice)
                    owed = min(inv.outstanding(first), inv.outstanding(date.max))
                    part = _pct(owed, rng.choice((25, 30, 40, 50, 60)))
                    if part > 0:
                        out.pay([(inv, part)], first, cid, inv.currency, reference=f"Part payment {inv.number}")
            if inv.pay is None:
                continue
            rest = inv.outstanding(date.max)  # every credit, whatever its date
            if rest <= 0:
                inv.settled = inv.pay
                continue
            if inv.currency != "GBP" and rng.random() < 0.06 and rest > _money(450):  # the bank took its charges
                fee = _money(rng.randint(150, 450))
                out.pay([(inv, rest - fee)], inv.pay, cid, inv.currency, reference=inv.number)
                wo = _weekday(inv.pay + timedelta(days=rng.randint(1, 4)))
                if wo <= today:
                    out.adjust(inv, wo, "write_off", fee, "Bank charges deducted by the client's bank")
                    inv.settled = wo
                continue
            if p.batch and not inv.special:
                friday = inv.pay + timedelta(days=(4 - inv.pay.weekday()) % 7)
                if friday <= today:
                    run[friday].append((inv, rest))
                    inv.settled = friday
                    continue
            extra = ZERO
            if credit_given < max(1, len(clients) // 40) and rest > 100 and rng.random() < 0.05:
                extra = _money(rng.randint(500, 5000))  # paid a round sum: the rest is their credit
                credit_given += 1
            out.pay([(inv, rest)], inv.pay, cid, inv.currency, extra=extra,
                    reference=inv.reference or inv.number)
            inv.settled = inv.pay
        for d, items in sorted(run.items()):
            out.pay(items, d, cid, c.currency, reference=f"Remittance {d.strftime('%d%m%y')}")


_STEP_BODY = {
    "email": "Sent the {title} for {invoices}.",
    "letter": "Posted the {title} for {invoices}.",
}
_CALL_NOTES = (
    "Spoke to {who}; payment run is on Friday.",
    "Spoke to {who}: invoice approved, waiting for sign-off.",
    "{who} says the invoice was never received; re-sent it.",
    "Spoke to {who}; cash flow is tight this month, will pay what they can.",
)


def _ladder(rng: random.Random, by_client: dict[str, list[_Inv]], clients: dict[str, Client],
            steps: tuple[Step, ...], ladder: LadderSettings, today: date, out: _Out) -> dict[str, date]:
    """Carry out the ladder up to two days ago; returns clients put on hold (and since when)."""
    cutoff = _cutoff(today)
    gap = timedelta(days=ladder.min_gap_days)
    tolerance = ladder.tolerance or ZERO
    grace = timedelta(days=ladder.promise_grace_days)
    held: dict[str, date] = {}
    for cid, invs in by_client.items():
        c = clients[cid]
        who = c.contacts[0].name.split()[0] if c.contacts and c.contacts[0].name else "accounts"
        heap: list[tuple[date, int, int]] = []  # (date, step index, invoice position)
        last: dict[int, date] = {}
        for pos, inv in enumerate(invs):
            nxt = _next_date(inv, 0, None, steps, gap)
            if nxt is not None and nxt <= cutoff:
                heapq.heappush(heap, (nxt, 0, pos))
        while heap:
            d = heap[0][0]
            group: dict[int, list[int]] = defaultdict(list)
            while heap and heap[0][0] == d:
                _, si, pos = heapq.heappop(heap)
                group[si].append(pos)
            for si, positions in sorted(group.items()):
                step = steps[si]
                done: list[_Inv] = []
                done_pos: list[int] = []
                for pos in positions:
                    inv = invs[pos]
                    owed = inv.outstanding(d)
                    if (inv.settled is not None and inv.settled <= d) or owed < max(tolerance, CENT):
                        continue
                    if step.min_overdue is not None and owed < step.min_overdue and \
                            _client_overdue(invs, d) < step.min_overdue:
                        _push(heap, inv, si + 1, last.get(pos), steps, gap, cutoff, pos)  # skipped
                        continue
                    done.append(inv)
                    done_pos.append(pos)
                    last[pos] = d
                if not done:
                    continue
                numbers = tuple(i.number for i in done)
                kw: dict = {"channel": step.channel, "step": step.id, "invoices": numbers, "outcome": "sent"}
                text = ", ".join(numbers)
                if step.channel == "phone":
                    outcome = rng.choices(("reached", "voicemail", "no_answer"), weights=(60, 25, 15))[0]
                    kw["outcome"] = outcome
                    kw["body"] = (rng.choice(_CALL_NOTES).format(who=who) if outcome == "reached"
                                  else f"Called about {text}; left a message." if outcome == "voicemail"
                                  else f"Called about {text}; no answer.")
                    if outcome == "reached" and len(done) == 1:
                        inv = done[0]
                        if inv.settled is not None and inv.settled - d <= timedelta(days=12) and rng.random() < 0.35:
                            by = max(d + DAY, inv.settled - timedelta(days=rng.randint(0, 2)))
                            out.promises.append((d, cid, inv.outstanding(d), inv.currency, by, (inv.number,)))
                            kw["body"] = f"Spoke to {who}: promised to pay {inv.number} by {by.isoformat()}."
                            inv.pauses.append((d, by + grace + DAY))
                        elif (inv.settled is None or inv.settled > d + timedelta(days=20)) and rng.random() < 0.2:
                            by = d + timedelta(days=rng.randint(4, 8))
                            out.promises.append((d, cid, inv.outstanding(d), inv.currency, by, (inv.number,)))
                            kw["body"] = f"Spoke to {who}: promised to pay {inv.number} by {by.isoformat()}."
                            inv.pauses.append((d, by + grace + DAY))
                            chase = _weekday(by + grace + DAY)
                            if chase <= cutoff and (inv.settled is None or inv.settled > chase):
                                out.activity(chase, cid, channel="email", invoices=(inv.number,), outcome="sent",
                                             body=f"Payment promised for {by.isoformat()} has not arrived; asked for a new date.")
                else:
                    kw["body"] = _STEP_BODY.get(step.channel, "{title}: {invoices}.").format(
                        title=(step.title or step.id).lower(), invoices=text)
                if step.escalate:
                    kw["outcome"] = "handed over"
                    kw["body"] = f"Handed {text} over to the collection agency."
                out.activity(d, cid, **kw)
                for inv, pos in zip(done, done_pos):
                    if step.credit_hold and (inv.settled is None or inv.settled > today):
                        held[cid] = max(held.get(cid, d), d)
                    if not step.escalate:
                        _push(heap, inv, si + 1, d, steps, gap, cutoff, pos)
    return held


def _push(heap, inv: _Inv, si: int, last: date | None, steps, gap, cutoff: date, pos: int) -> None:
    nxt = _next_date(inv, si, last, steps, gap)
    if nxt is not None and nxt <= cutoff:
        heapq.heappush(heap, (nxt, si, pos))


def _next_date(inv: _Inv, si: int, last: date | None, steps: tuple[Step, ...], gap: timedelta) -> date | None:
    if si >= len(steps):
        return None
    d = inv.due + timedelta(days=steps[si].after_due_days)
    if d < inv.issued:
        d = inv.issued
    if last is not None and d < last + gap:
        d = last + gap
    for start, end in sorted(inv.pauses, key=lambda p: p[0]):
        if d >= start and (end is None or d < end):
            if end is None:
                return None
            d = end
    return _weekday(d)


def _client_overdue(invs: list[_Inv], on: date) -> Decimal:
    return sum((i.outstanding(on) for i in invs if i.due < on and i.issued <= on), ZERO)


def _assemble(clients: dict[str, Client], invs: list[_Inv], out: _Out) -> Book:
    invoices = {
        i.number: Invoice(i.number, i.client, i.issued, i.due, i.currency, i.amount, i.tax, i.lines, i.reference)
        for i in invs
    }
    payments = tuple(
        Payment(f"PAY-{n:06d}", d, cl, amt, cur, method, ref, allocs)
        for n, (d, cl, cur, amt, allocs, method, ref) in enumerate(sorted(out.payments, key=lambda t: (t[0], t[1])), start=1)
    )
    adjustments = tuple(
        Adjustment(f"ADJ-{n:06d}", kind, d, cl, amt, cur, inv, reason)
        for n, (d, kind, cl, amt, cur, inv, reason) in enumerate(sorted(out.adjustments, key=lambda t: (t[0], t[2], t[5] or "")), start=1)
    )
    activities = tuple(
        Activity(id=f"ACT-{n:06d}", date=d, client=cl, **kw)
        for n, (d, _, cl, kw) in enumerate(sorted(out.activities, key=lambda t: (t[0], t[2], t[1])), start=1)
    )
    promises = tuple(
        PromiseToPay(f"PRM-{n:06d}", cl, made, amt, cur, by, invs_)
        for n, (made, cl, amt, cur, by, invs_) in enumerate(sorted(out.promises, key=lambda t: (t[0], t[1])), start=1)
    )
    disputes = tuple(
        Dispute(f"DSP-{n:06d}", inv, cl, reason, opened, resolved, resolution)
        for n, (opened, inv, cl, reason, resolved, resolution) in enumerate(sorted(out.disputes, key=lambda t: (t[0], t[1])), start=1)
    )
    plans = tuple(
        PaymentPlan(f"PLN-{n:06d}", cl, created, cur, invs_, inst)
        for n, (created, cl, cur, invs_, inst) in enumerate(sorted(out.plans, key=lambda t: (t[0], t[1])), start=1)
    )
    return Book(clients=clients, invoices=invoices, payments=payments, adjustments=adjustments,
                activities=activities, promises=promises, plans=plans, disputes=disputes)
