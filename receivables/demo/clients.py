"""Demo clients: UK/EU-ish names (a few with awkward characters on purpose), contacts,
addresses, terms, credit limits and checks, and each client's paying behaviour."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from ..model import Client, Contact, CreditCheck
from ..slugs import slugify
from .records import CENT, HISTORY_DAYS, Profile


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


def make_clients(rng: random.Random, n: int, today: date, terms_default: int):
    recs: dict[str, Client] = {}
    profiles: dict[str, Profile] = {}
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
        profiles[cid] = Profile(kind, mean, spread, partial, rng.random() < 0.12 and kind in ("prompt", "steady"), size, start)
        recs[cid] = Client(
            id=cid, name=name, currency=currency, terms_days=terms, contacts=tuple(contacts), address=address,
            credit_limit=credit_limit, credit_check=check, locale=locale,
            tags=(rng.choice(_SECTORS),) if rng.random() < 0.7 else (), hold=False,
        )
    return recs, profiles
