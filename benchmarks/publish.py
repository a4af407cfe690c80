"""Publishing speed: one statement PDF, a full HTML build and an incremental republish.

Targets (issue 6): a one-page statement PDF <= 120 ms median; after one payment, republishing
a 2,000-client book <= 3 s (measured from the app, which publishes through its repository
and its derived state, and with ``dun pay`` then ``dun publish`` in new processes, which read
the derived state and the last build's kept rows from the user's cache; a bare book, derived
whole, is shown for comparison); a full HTML-only build of 2,000 clients <= 30 s. The stock WeasyPrint figure (system DejaVu Sans,
per-PDF font subsetting, stylesheet parsed each time) is measured in the same run for the
ratio.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ON  # noqa: E402

from receivables.policy import read_policy  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("DUN_BENCH_CLIENTS", "2000"))
INVOICES = int(os.environ.get("DUN_BENCH_INVOICES", "100000"))


def median_ms(fn, n: int = 15) -> float:
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def one_page_statement(book, policy):
    """The first client (by id) with a few open items whose statement fits one page."""
    import io

    from pypdf import PdfReader

    from publish.pdf import html_to_pdf
    from publish.statements import render_statement_html, statement_data
    from receivables.ledger import derive

    ledger = derive(book, ON)
    for cid in sorted(book.clients):
        if 3 <= len(ledger.open_invoices(cid)) <= 8:
            html = render_statement_html(statement_data(book, policy, cid, ON, ledger=ledger), for_pdf=True)
            if len(PdfReader(io.BytesIO(html_to_pdf(html))).pages) == 1:
                return cid, html
    raise SystemExit("no one-page statement in the demo book")


def main() -> int:
    from weasyprint import CSS, HTML

    from publish.paths import ASSETS
    from publish.pdf import html_to_pdf
    from receivables.demo import generate

    policy = read_policy(REPO / "policy.toml")
    t = time.perf_counter()
    book = generate(clients=CLIENTS, invoices=INVOICES, seed=1, today=ON)
    print(f"demo book: {len(book.clients)} clients, {len(book.invoices)} invoices "
          f"(made in {time.perf_counter() - t:.1f} s)")

    # 1. one statement PDF
    cid, html = one_page_statement(book, policy)
    pages = 1
    ours = median_ms(lambda: html_to_pdf(html))
    css_text = (ASSETS / "print.css").read_text().replace('"Dun Sans"', '"DejaVu Sans"')
    css_text = "\n".join(line for line in css_text.splitlines() if not line.startswith("@font-face"))

    def stock():
        HTML(string=html).write_pdf(stylesheets=[CSS(string=css_text + "@page { size: A4; }")])

    base = median_ms(stock, n=7)
    print(f"statement PDF ({pages} page{'s' if pages != 1 else ''}, {cid}): {ours:.0f} ms median "
          f"(target <= 120 ms; stock WeasyPrint + DejaVu {base:.0f} ms: {base / ours:.1f}x faster)")

    # 1b. the same client's statement with a long note in its correspondence (an e-mail of a few
    # pages, a note pasted in: up to the 100,000 characters dun keeps)
    from publish.statements import render_statement_html, statement_data
    from receivables.model import Activity

    for chars in (5_000, 100_000):
        note = Activity(id="ACT-LONG", date=ON, client=cid, channel="email", outcome="sent", internal=False,
                        body="We spoke about the account and the dates. " * (chars // 42))
        long_html = render_statement_html(statement_data(replace(book, activities=(*book.activities, note)), policy,
                                                         cid, ON), for_pdf=True)
        t = time.perf_counter()
        html_to_pdf(long_html)
        print(f"statement PDF with a note of {chars:,} characters in its correspondence: "
              f"{time.perf_counter() - t:.2f} s (target <= 3 s: no slower than a republish)")

    # 2. full HTML-only build, then 3. one payment and an incremental republish (with PDFs)
    from publish.site import publish

    tmp = Path(tempfile.mkdtemp(prefix="dun-bench-publish-"))
    try:
        t = time.perf_counter()
        r = publish(book, policy, ON, tmp / "html", pdf=False, incremental=False)
        full = time.perf_counter() - t
        print(f"full HTML-only build, {len(book.clients)} clients: {full:.1f} s, {r.written} files "
              f"(target <= 30 s: {30 / full:.1f}x under)")

        t = time.perf_counter()
        r = publish(book, policy, ON, tmp / "site", incremental=False)
        first = time.perf_counter() - t
        print(f"full build with PDFs on {os.cpu_count()} cores: {first:.1f} s, {r.written} files")

        from receivables.ledger import derive, propose_allocation
        from receivables.model import Payment

        ledger = derive(book, ON)
        payer = next(c for c in sorted(book.clients) if ledger.open_invoices(c))
        st = ledger.open_invoices(payer)[0]
        amount = min(st.outstanding, Decimal("100.00"))
        allocs, _ = propose_allocation(ledger, payer, st.invoice.currency, amount, [st.invoice.number])
        pay = Payment("PAY-BENCH", ON, payer, amount, st.invoice.currency, "bank", "bench", allocs)
        # The machine may be shared: republish three times and report the median. Three ways:
        # - from the app: its repository (the book written through the store) and its derived
        #   state of the book as it was before the payment (made here, untimed, afresh for each
        #   run); the payment is recorded, the app's state reloaded (the payer derived again),
        #   and the timed republish builds into the app's site: the payer's statement made
        #   again, every other client's verified file reused, its CSV rows kept (publish.kept)
        #   — as the owner does: pay, publish, pay, publish;
        # - without it (a bare book in memory, every client derived, no kept rows), each run
        #   from a hard-linked copy of the site as it was before the payment.
        import multiprocessing
        import resource

        import derived
        from store import init_book, open_book

        from publish.pdf import release_workers
        from publish.warm import ready_to_publish

        app_dir = init_book(tmp / "app-book", book=book).root
        shutil.rmtree(app_dir / "site", ignore_errors=True)
        shutil.copytree(tmp / "site", app_dir / "site", copy_function=os.link)
        with open_book(app_dir) as repo:  # the owner's last publish: the app's site and its kept state
            publish(repo, policy, ON, app_dir / "site", pdf=True)
        load = os.getloadavg()[0]
        for label, app in (("from the app, readied (PDF workers warm)", "readied"),
                           ("from the app before its first quiet moment", "not readied"),
                           ("without the app's engine (built whole)", None)):
            times, cpus = [], []
            for i in range(3):
                repo = work = None
                state = None
                if app:  # the app's state before the payment (tui.state.build_state)
                    repo = open_book(app_dir)
                    work = app_dir / "site"
                    state = derived.current(repo, policy, ON, book=repo.book())
                    if app == "readied":  # its first quiet moment (tui.app, publish.warm): the PDF workers
                        ready_to_publish(policy)
                    led = derive(repo.book(), ON)
                    due = led.open_invoices(payer)[0]
                    got, _ = propose_allocation(led, payer, due.invoice.currency, Decimal("10.00"),
                                                [due.invoice.number])
                    repo.record_payment(replace(pay, id="", amount=Decimal("10.00"), allocations=got))
                    state = derived.current(repo, policy, ON, state, save=False)  # the app's reload (untimed)
                    what = repo
                else:
                    work = tmp / f"republish-{i}"
                    shutil.copytree(tmp / "site", work, copy_function=os.link)
                    what = replace(book, payments=book.payments + (pay,))  # a new object each time
                before = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
                t = time.perf_counter()
                r = publish(what, policy, ON, work, keep_workers=app == "readied", derived=state)
                times.append(time.perf_counter() - t)
                release_workers()
                for _ in range(100):  # the workers exit on their own after the build: count them in
                    if not multiprocessing.active_children():
                        break
                    time.sleep(0.02)
                after = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
                cpus.append([a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before)])
                del what, state
                if repo is not None:
                    repo.close()
                else:
                    shutil.rmtree(work, ignore_errors=True)
            inc = statistics.median(times)
            # the owner's republishes: from the app, and dun publish (below); a bare book, derived
            # whole, is no path of theirs, shown for comparison
            target = f"target <= 3 s: {'met' if inc <= 3 else 'NOT MET'}" if app else "for comparison, no target"
            clients_rewritten = sorted({p.split("/")[1].rsplit(".", 1)[0] for p in r.rewritten
                                        if p.startswith("clients/")})
            print(f"republish after one payment, {label}: {inc:.2f} s, {r.written} rewritten "
                  f"(clients: {', '.join(clients_rewritten)}), {r.skipped} unchanged "
                  f"({target}; runs {', '.join(f'{x:.2f}' for x in times)} s)")
            print("  phases (last run): " + ", ".join(f"{k} {v:.2f} s" for k, v in r.phases.items()))
            own, side = (statistics.median(c[k] for c in cpus) for k in (0, 1))
            print(f"  CPU per republish (median): {own:.2f} s in the building process, {side:.2f} s in its workers "
                  f"and side processes")
        print(f"  load average before the republishes {load:.2f} on {os.cpu_count()} cores")
        cli_republish(book, tmp, payer)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def cli_republish(book, tmp: Path, payer: str) -> None:
    """``dun pay`` then ``dun publish``, each a new process, on this book written through the
    store, with the site built above: the wall time of the publish."""
    import json
    import subprocess

    from store import init_book

    init_book(tmp / "book", book=book)
    shutil.rmtree(tmp / "book" / "site", ignore_errors=True)
    dun = [sys.executable, "-m", "cli.main"]
    times, written = [], []
    work = tmp / "cli-book"
    shutil.copytree(tmp / "book", work)
    shutil.copytree(tmp / "site", work / "site", copy_function=os.link)
    common = ["--book", str(work), "--on", ON.isoformat()]
    # One publish first, as the owner's last one: it derives every client (the derived file)
    # and keeps the CSV rows the next one starts from (publish.kept); the site above is reused.
    subprocess.run([*dun, *common, "publish", "--json"], cwd=REPO, check=True, capture_output=True, timeout=300)
    for i in range(3):
        subprocess.run([*dun, *common, "pay", payer, "10.00"], cwd=REPO, check=True, capture_output=True)
        t = time.perf_counter()
        try:
            out = subprocess.run([*dun, *common, "publish", "--json"], cwd=REPO, check=True, capture_output=True,
                                 timeout=120)
        except subprocess.TimeoutExpired:
            print("republish in a new process: over 120 s (the site above was not reused?)")
            return
        times.append(time.perf_counter() - t)
        written.append(json.loads(out.stdout)["written"])
    shutil.rmtree(work, ignore_errors=True)
    med = statistics.median(times)
    print(f"republish after one payment in a new process (dun pay, then dun publish): {med:.2f} s wall, "
          f"{written[-1]} rewritten (target <= 3 s: {'met' if med <= 3 else 'NOT MET'}; "
          f"runs {', '.join(f'{x:.2f}' for x in times)} s; from the derived file and the kept rows)")


if __name__ == "__main__":
    sys.exit(main())
