"""Shared helpers for the benchmark scripts: a cached 2,000-client / 100,000-invoice book."""
from __future__ import annotations

import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ON = date(2026, 11, 22)
BOOKS = REPO / "bench-books"


def big_book(clients: int = 2000, invoices: int = 100_000, seed: int = 1) -> Path:
    """The benchmark book (made once, reused; delete bench-books/ to remake it)."""
    from receivables.demo import generate
    from store import init_book

    path = BOOKS / f"demo-{clients}-{invoices}-{seed}"
    if (path / "book.json").exists():
        return path
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    book = generate(clients=clients, invoices=invoices, seed=seed, today=ON)
    init_book(tmp, book=book)
    tmp.rename(path)
    print(f"  (made {path.name} in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return path


def copy_book(src: Path, name: str) -> Path:
    dst = BOOKS / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def line(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    mark = "" if ok is None else ("  ok" if ok else "  OVER TARGET")
    print(f"  {label:<58} {value:>14}  {target}{mark}")
