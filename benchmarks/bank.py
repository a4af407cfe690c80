"""Bank import figures on the 2,000-client / 100,000-invoice demo book (issue: stay in step).

A 5,000-transaction OFX statement (a realistic mix: invoice numbers in the memo, a client's
name with the amount of one of its invoices, strangers paying amounts that match several
invoices, names only, and outgoing debits) imported with `dun import bank` end to end, as the
owner runs it: read the book, parse, match, commit durably. Target: <= 3 s.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

from common import BOOKS, ON, REPO, big_book, copy_book, line

TARGET_S = 3.0


def statement(book_path: Path, n: int = 5000, seed: int = 7) -> Path:
    from receivables.ledger import derive
    from store import open_book

    with open_book(book_path, readonly=True, today=ON) as repo:
        book = repo.book()
    ledger = derive(book, ON)
    rng = random.Random(seed)
    open_ = [s for s in ledger.invoices.values() if s.outstanding > 0 and s.invoice.currency == "GBP"]
    rng.shuffle(open_)
    names = {c.id: c.name for c in book.clients.values()}
    txns = []
    for i in range(n):
        kind = i % 10
        s = open_[i % len(open_)]
        amount = s.outstanding
        if kind < 4:  # the invoice number in the memo
            payer, memo = names[s.invoice.client].upper()[:32], f"{s.invoice.number} THANK YOU"
        elif kind < 6:  # the client's name and the amount of one of its invoices
            payer, memo = names[s.invoice.client], "PAYMENT"
        elif kind < 8:  # a stranger
            payer, memo = f"PAYER {rng.randrange(10**6)}", "FASTER PAYMENT"
        elif kind < 9:  # a name only
            payer, memo, amount = names[s.invoice.client], "ON ACCOUNT", amount / 3
        else:  # money out
            payer, memo, amount = "SUPPLIER LTD", "INVOICE 77", -amount
        txns.append(f"<STMTTRN><TRNTYPE>{'CREDIT' if amount > 0 else 'DEBIT'}<DTPOSTED>20261120"
                    f"<TRNAMT>{amount:.2f}<FITID>BENCH{i:07d}<NAME>{_esc(payer)}<MEMO>{_esc(memo)}</STMTTRN>")
    text = ("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
            "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0"
            "<SEVERITY>INFO</STATUS><DTSERVER>20261121<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1>"
            "<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>GBP<BANKACCTFROM>"
            "<BANKID>404784<ACCTID>70872490<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101"
            "<DTEND>20261121\n" + "\n".join(txns) + "\n</BANKTRANLIST><LEDGERBAL><BALAMT>1.00<DTASOF>20261121"
            "</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
    out = BOOKS / f"statement-{n}.ofx"
    out.write_text(text)
    return out


def _morning(work: Path) -> None:
    """The day's first change takes the daily backup (seconds on this book, whatever the
    command); it is taken here, as a Xero import that morning would have, so the figure is
    the bank import's own."""
    from receivables.model import SyncMark
    from store import open_book

    with open_book(work, today=ON) as repo:
        repo.commit([SyncMark("xero", ON, "morning.csv")])


def _esc(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch not in "<>&")[:32]


def main() -> int:
    book = big_book()
    stmt = statement(book)
    work = copy_book(book, "bank-import")
    _morning(work)
    cmd = [sys.executable, "-m", "cli.main", "import", "bank", str(stmt), "--book", str(work), "--on", ON.isoformat()]
    for label in ("dun import bank: 5,000 transactions into the 100k book",
                  "the same statement again (every transaction already imported)"):
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        took, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        print(f"  {done.stdout.splitlines()[0]}")
        line(label, f"{took:.2f} s", f"<= {TARGET_S:.0f} s", took <= TARGET_S)
        line("  its CPU time (user + system; the wall time on a busy machine is more)", f"{cpu:.2f} s")
    return 0


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    sys.exit(main())
