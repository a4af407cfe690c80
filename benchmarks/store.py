"""Store figures on a 2,000-client / 100,000-invoice demo book (issue: the book).

1. Recording one payment durably, in-process (journal append + fsync), vs stock TinyDB
   JSONStorage doing one update on the same data.
2. `dun client show X --json` end to end vs `python -c "import orjson; orjson.loads(...)"`.
3. Peak memory (max RSS) of the commands that load the whole book.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from common import ON, REPO, big_book, copy_book, line, median_ms


def payment_in_process(book: Path) -> float:
    from receivables.ledger import derive, propose_allocation
    from receivables.model import Payment
    from store import open_book

    work = copy_book(book, "store-pay")
    repo = open_book(work, today=ON)
    clients = sorted(repo.clients())
    samples = []
    for i in range(30):
        cid = clients[(i * 37) % len(clients)]
        t0 = time.perf_counter()
        scope = repo.client_book(cid)
        cur = scope.clients[cid].currency
        allocs, _ = propose_allocation(derive(scope, ON), cid, cur, Decimal("10.00"))
        repo.record_payment(Payment("", ON, cid, Decimal("10.00"), cur, reference=f"bench-{i}", allocations=allocs))
        samples.append(time.perf_counter() - t0)
    repo.close()
    return median_ms(samples)


def stock_tinydb_update(book: Path) -> float:
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    work = copy_book(book, "store-stock")
    stock = work / "stock.json"
    os.replace(work / "book.json", stock)
    samples = []
    for i in range(3):
        db = TinyDB(stock, storage=JSONStorage)
        t0 = time.perf_counter()
        db.table("payments").insert({"id": f"STOCK-{i}", "date": ON.isoformat(), "client": "x",
                                     "amount": "10.00", "currency": "GBP"})
        samples.append(time.perf_counter() - t0)
        db.close()
    return median_ms(samples)


def run_ms(cmd: list[str], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, cwd=REPO)
        samples.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.decode()}")
    return median_ms(samples)


def peak_mb(cmd: list[str], env: dict | None = None) -> int:
    """Max RSS of one command, measured in a wrapper process of its own."""
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, cwd=REPO, check=True,
                         env=env)
    code, kb = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}")
    return int(kb) // 1024


def main() -> None:
    book = big_book()
    size = (book / "book.json").stat().st_size / 1e6
    print(f"store — {book.name} ({size:.0f} MB book.json), one core")
    pay = payment_in_process(book)
    stock = stock_tinydb_update(book)
    line("record one payment durably (median of 30)", f"{pay:.1f} ms", "target <= 50 ms", pay <= 50)
    line("stock TinyDB JSONStorage, one insert (median of 3)", f"{stock:.0f} ms")
    line("ratio stock / ours", f"{stock / pay:.0f}x")

    py = sys.executable
    dun = str(Path(py).parent / "dun")
    some = "acme-supplies"
    from store import open_book

    with open_book(book, readonly=True) as repo:
        some = sorted(repo.clients())[len(repo.clients()) // 2]
    base = run_ms([py, "-c", f"import orjson; orjson.loads(open({str(book / 'book.json')!r},'rb').read())"])
    show = run_ms([dun, "--book", str(book), "client", "show", some, "--on", ON.isoformat(), "--json"])
    line("python -c 'orjson.loads(book.json)' (median of 5)", f"{base:.0f} ms")
    line(f"dun client show {some} --json (median of 5)", f"{show:.0f} ms")
    line("ratio client show / orjson.loads", f"{show / base:.2f}x", "target <= 2x", show / base <= 2)

    on = ["--on", ON.isoformat()]
    peaks = {
        "orjson.loads(book.json), for comparison": peak_mb([py, "-c", f"import orjson; orjson.loads(open({str(book / 'book.json')!r},'rb').read())"]),
        "dun client show --json": peak_mb([dun, "--book", str(book), "client", "show", some, *on, "--json"]),
        "dun agenda --json": peak_mb([dun, "--book", str(book), "agenda", *on, "--json"]),
        # (the first run of a day: no derived file, every client worked out and the file written)
        "dun agenda --json, no derived file": peak_mb([dun, "--book", str(book), "agenda", *on, "--json"],
                                                      env={**os.environ, "DUN_CACHE_DIR": tempfile.mkdtemp()}),
        "dun report --json": peak_mb([dun, "--book", str(book), "report", *on, "--json"]),
        "dun check": peak_mb([dun, "--book", str(book), "check"]),
    }
    work = copy_book(book, "store-cli-pay")
    peaks["dun pay (opens for writing, daily backup)"] = peak_mb(
        [dun, "--book", str(work), "pay", some, "10.00", *on, "--reference", "bench"])
    for name, mb in peaks.items():
        target = name.startswith("dun")
        line(f"peak memory: {name}", f"{mb} MB", "target <= 600 MB" if target else "", (mb <= 600) if target else None)


if __name__ == "__main__":
    main()
