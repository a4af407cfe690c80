"""A writer for the crash test: records payments in a loop, printing each acknowledged id.

Usage: python crash_writer.py BOOK START — checkpoints every few commits so a kill can land
inside a journal append, a checkpoint or a backup.
"""
import sys
from datetime import date
from decimal import Decimal

from receivables.model import Payment
from store import open_book

book, start = sys.argv[1], int(sys.argv[2])
repo = open_book(book, today=date(2026, 11, 22))
i = start
while True:
    p = repo.record_payment(Payment("", date(2026, 11, 1), "acme", Decimal("1.00"), "GBP", reference=f"r{i}"))
    print(p.reference, flush=True)
    if i % 7 == 0:
        repo.checkpoint()
    i += 1
