"""A small, fixed book for publishing tests, previews and benchmarks (no store needed).

``sample_book(today)`` holds a handful of clients covering every case a statement or the
report shows: overdue and current invoices, a part payment, client credit, a credit note,
a dispute, a promise, a payment plan, public and internal notes, a client with no email,
a second currency, and a client whose name and note are hostile HTML/Markdown.
``bulk_book(n, today)`` makes ``n`` similar clients for speed measurements when
``receivables.demo`` is not at hand.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from receivables.model import (
    Activity, Adjustment, Allocation, Book, Client, Contact, CreditCheck, Dispute, Installment,
    Invoice, Payment, PaymentPlan, PromiseToPay,
)

D = Decimal
HOSTILE_NAME = '<script>alert("x")</script> Evil & Co <link rel="attachment" href="file:///etc/passwd">'
HOSTILE_NOTE = (
    'Called them. <link rel="attachment" href="file:///etc/passwd"> '
    '<img src="file:///etc/passwd"> ![tracker](http://example.com/x.png) '
    '<script>alert(1)</script> [phish](javascript:alert(1)) =HYPERLINK("http://x")'
)


def sample_book(today: date = date(2026, 11, 20)) -> Book:
    t = today
    clients = {
        "ACME": Client("ACME", "Acme Widgets Ltd", "GBP", 30,
                       contacts=(Contact("Jane Doe", "jane@acme.example", "+44 20 7946 0001", "Accounts"),),
                       address="Unit 4, Riverside Park\nLeeds LS1 4AB\nUnited Kingdom",
                       credit_limit=D("5000.00"), credit_check=CreditCheck(t - timedelta(days=400), "Experian", "B")),
        "BETA": Client("BETA", "Beta Logistics GmbH", "EUR", 14,
                       contacts=(Contact("Max Mustermann", "max@beta.example"),),
                       address="Hafenstraße 1\n20457 Hamburg\nDeutschland", locale="de_DE"),
        "GAMMA": Client("GAMMA", "Gamma Print & Design", "GBP", 30,
                        contacts=(Contact("Sam Lee", "", "+44 117 496 0999"),),
                        address="3 Mill Lane\nBath BA1 1AA"),
        "EVIL": Client("EVIL", HOSTILE_NAME, "GBP", 30,
                       contacts=(Contact("Mallory", "mallory@evil.example"),),
                       address='<img src="file:///etc/passwd">\n=cmd|"/c calc"!A1'),
        "DELTA": Client("DELTA", "Delta Architects LLP", "GBP", 30,
                        contacts=(Contact("Priya Shah", "priya@delta.example"),),
                        address="88 King Street\nManchester M2 4WU"),
    }
    inv = [
        Invoice("INV-1001", "ACME", t - timedelta(days=95), t - timedelta(days=65), "GBP", D("1200.00")),
        Invoice("INV-1002", "ACME", t - timedelta(days=60), t - timedelta(days=30), "GBP", D("850.50"), reference="PO-7781"),
        Invoice("INV-1003", "ACME", t - timedelta(days=20), t + timedelta(days=10), "GBP", D("432.10")),
        Invoice("INV-1004", "ACME", t - timedelta(days=50), t - timedelta(days=20), "GBP", D("99.99")),
        Invoice("INV-2001", "BETA", t - timedelta(days=40), t - timedelta(days=26), "EUR", D("1234.56")),
        Invoice("INV-2002", "BETA", t - timedelta(days=10), t + timedelta(days=4), "EUR", D("980.00")),
        Invoice("INV-3001", "GAMMA", t - timedelta(days=140), t - timedelta(days=110), "GBP", D("3600.00")),
        Invoice("INV-3002", "GAMMA", t - timedelta(days=70), t - timedelta(days=40), "GBP", D("240.00")),
        Invoice("INV-4001", "EVIL", t - timedelta(days=45), t - timedelta(days=15), "GBP", D("500.00"),
                reference='=HYPERLINK("http://evil.example")'),
        Invoice("INV-5001", "DELTA", t - timedelta(days=80), t - timedelta(days=50), "GBP", D("2400.00")),
        Invoice("INV-5002", "DELTA", t - timedelta(days=200), t - timedelta(days=170), "GBP", D("700.00")),
    ]
    payments = (
        Payment("PAY-1", t - timedelta(days=25), "ACME", D("400.00"), "GBP", "bank", "ACME BACS 1001",
                (Allocation("INV-1001", D("400.00")),)),
        Payment("PAY-2", t - timedelta(days=5), "BETA", D("50.00"), "EUR", "bank", "Vorauszahlung"),
        Payment("PAY-3", t - timedelta(days=160), "DELTA", D("700.00"), "GBP", "bank", "DELTA 5002",
                (Allocation("INV-5002", D("700.00")),)),
    )
    adjustments = (
        Adjustment("ADJ-1", "credit_note", t - timedelta(days=12), "ACME", D("20.00"), "GBP", "INV-1002",
                   "Short delivery"),
    )
    activities = (
        Activity("ACT-1", t - timedelta(days=29), "ACME", "email", step="reminder", invoices=("INV-1002",),
                 outcome="sent", body="Reminder sent for INV-1002.", internal=False),
        Activity("ACT-2", t - timedelta(days=8), "ACME", "phone", outcome="reached",
                 body="Spoke to Jane: **payment run on Friday**. Internal: she sounded stressed.", internal=True),
        Activity("ACT-3", t - timedelta(days=3), "EVIL", "phone", outcome="reached", body=HOSTILE_NOTE, internal=False),
        Activity("ACT-4", t - timedelta(days=3), "EVIL", "other", body=HOSTILE_NOTE, internal=True),
    )
    promises = (PromiseToPay("PRM-1", "GAMMA", t - timedelta(days=30), D("240.00"), "GBP", t - timedelta(days=20), ("INV-3002",)),)
    plans = (PaymentPlan("PLN-1", "DELTA", t - timedelta(days=40), "GBP", ("INV-5001",),
                         (Installment(t - timedelta(days=10), D("800.00")), Installment(t + timedelta(days=20), D("800.00")),
                          Installment(t + timedelta(days=50), D("800.00")))),)
    # (ACME's oldest invoice in dispute: its day's contact is the second reminder, by e-mail,
    # for the two others; otherwise it would be a final notice by letter, for all three)
    disputes = (Dispute("DSP-1", "INV-3001", "GAMMA", "Colour proofs not approved", t - timedelta(days=60)),
                Dispute("DSP-2", "INV-1001", "ACME", "Delivery note not signed", t - timedelta(days=6)))
    return Book(clients=clients, invoices={i.number: i for i in inv}, payments=payments, adjustments=adjustments,
                activities=activities, promises=promises, plans=plans, disputes=disputes)


def bulk_book(n_clients: int = 2000, invoices_per_client: int = 10, today: date = date(2026, 11, 20)) -> Book:
    """A deterministic book of ``n_clients`` ordinary clients (no randomness)."""
    clients, invoices, payments = {}, {}, []
    for c in range(n_clients):
        cid = f"C{c:05d}"
        clients[cid] = Client(cid, f"Client {c:05d} Ltd", "GBP", 30,
                              contacts=(Contact(f"Contact {c}", f"ap{c}@client{c}.example"),),
                              address=f"{c} High Street\nTown {c % 97}\nUnited Kingdom")
        for k in range(invoices_per_client):
            issued = today - timedelta(days=7 + (c * 7 + k * 23) % 330)
            num = f"I{c:05d}-{k:03d}"
            amount = D(100 + (c * 31 + k * 17) % 4900) + D((c + k) % 100) / 100
            invoices[num] = Invoice(num, cid, issued, issued + timedelta(days=30), "GBP", amount)
            if (c + k) % 3:
                pay_day = issued + timedelta(days=20 + (c + k) % 40)
                if pay_day <= today:
                    payments.append(Payment(f"P{c:05d}-{k:03d}", pay_day, cid, amount, "GBP", "bank", num,
                                            (Allocation(num, amount),)))
    return Book(clients=clients, invoices=invoices, payments=tuple(payments))
