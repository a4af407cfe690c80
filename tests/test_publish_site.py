"""The static site: contents, incremental rebuilds, the whole-folder swap, safe paths, golden data."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from publish import csvdata
from publish import context as context_mod
from publish import site as site_mod
from publish import writers as writers_mod
from publish.reportview import build_view, listing_lines, view_to_json
from publish.sample import sample_book
from publish.site import _Out, file_names, publish, safe_name
from receivables.errors import DunError
from receivables.model import Allocation, Book, Payment
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
ON = date(2026, 11, 20)


@pytest.fixture(scope="module")
def policy():
    return read_policy(ROOT / "policy.toml")


def with_payment(book: Book, client: str, invoice: str, amount: str, on: date) -> Book:
    p = Payment(f"PAY-NEW-{invoice}", on, client, Decimal(amount), book.invoices[invoice].currency, "bank", "new",
                (Allocation(invoice, Decimal(amount)),))
    return replace(book, payments=book.payments + (p,))


def test_site_contains_everything(tmp_path, policy):
    out = tmp_path / "site"
    r = publish(sample_book(ON), policy, ON, out)
    names = {p.as_posix() for p in r.paths}
    for must in ("index.html", "report.html", "report.pdf", "clients/ACME.html", "clients/ACME.pdf",
                 "data/aged-receivables.csv", "data/open-items.csv", "data/payments.csv", "data/activities.csv",
                 "data/report.json", "assets/site.css", "assets/fonts/dun-sans.ttf", "assets/fonts/LICENSE"):
        assert must in names and (out / must).is_file(), must
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    index = (out / "index.html").read_text("utf-8")
    assert "20 November 2026" in index
    assert 'href="clients/ACME.html"' in index and 'href="data/open-items.csv"' in index
    assert "£8,902.59" in index  # GBP total
    report = json.loads((out / "data" / "report.json").read_text())
    assert report["on"] == "2026-11-20"
    assert report["currencies"]["GBP"]["aging"]["total"] == "8902.59"
    # the management report shows charts inline, with no external resources
    html = (out / "report.html").read_text("utf-8")
    assert html.count("<svg") >= 4
    assert "http://" not in html.replace("http://www.w3.org", "").replace("http://purl.org", "").replace(
        "http://creativecommons.org", "").replace("http://matplotlib.org", "")
    # no build leftovers next to the site
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_second_build_rewrites_nothing(tmp_path, policy):
    book = sample_book(ON)
    first = publish(book, policy, ON, tmp_path / "site")
    again = publish(book, policy, ON, tmp_path / "site")
    assert again.written == 0
    assert again.skipped == first.written


def test_one_payment_rewrites_only_that_client_and_the_reports(tmp_path, policy):
    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site")
    before = {p: p.read_bytes() for p in (tmp_path / "site" / "clients").iterdir()}
    r = publish(with_payment(book, "ACME", "INV-1003", "100.00", ON), policy, ON, tmp_path / "site")
    rewritten = set(r.rewritten)
    assert {"clients/ACME.html", "clients/ACME.pdf"} <= rewritten
    assert not any(x.startswith("clients/") and "ACME" not in x for x in rewritten), rewritten
    assert "report.html" in rewritten and "index.html" in rewritten and "data/payments.csv" in rewritten
    assert "assets/site.css" not in rewritten
    for p, data in before.items():
        if "ACME" not in p.name:
            assert p.read_bytes() == data
    assert "£2,062.59" in (tmp_path / "site" / "clients" / "ACME.html").read_text("utf-8")


def test_a_new_date_rebuilds_every_statement(tmp_path, policy):
    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    r = publish(book, policy, ON + timedelta(days=1), tmp_path / "site", pdf=False)
    assert sum(1 for x in r.rewritten if x.startswith("clients/")) == len(book.clients)


def test_an_interrupted_build_leaves_the_old_site(tmp_path, policy, monkeypatch):
    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    old_index = (tmp_path / "site" / "index.html").read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(context_mod.Context, "aged_csv", boom)
    with pytest.raises(KeyboardInterrupt):
        publish(book, policy, ON + timedelta(days=1), tmp_path / "site", pdf=False)
    assert (tmp_path / "site" / "index.html").read_bytes() == old_index
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_swap_cut_between_its_two_renames_is_recovered(tmp_path, policy):
    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    os.replace(tmp_path / "site", tmp_path / ".site-old")  # as if killed after the first rename
    r = publish(book, policy, ON, tmp_path / "site", pdf=False)
    assert r.written == 0  # the old site was put back and reused
    assert (tmp_path / "site" / "index.html").is_file() and not (tmp_path / ".site-old").exists()


def test_paths_outside_the_folder_and_duplicates_are_refused(tmp_path):
    out = _Out(tmp_path)
    out.path("clients/a.html")
    for bad in ("../x.html", "/etc/x", "clients/../../x", "a\\b"):
        with pytest.raises(DunError):
            out.path(bad)
    with pytest.raises(DunError):
        out.path("clients/a.html")
    with pytest.raises(DunError):
        out.path("CLIENTS/A.html")  # same file on a case-insensitive disk


@pytest.mark.parametrize("cid", ["../../etc/passwd", "a/b", "..", ".hidden", "CON", "x y", "é", "", "a\x00b"])
def test_client_file_names_are_sanitised(cid):
    name = safe_name(cid)
    assert name and "/" not in name and "\\" not in name and not name.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert name.lower() not in ("con", "prn", "aux", "nul")


def test_file_names_never_collide():
    names = file_names(["a/b", "a_b", "ACME", "acme", "Acme"])
    assert len({n.casefold() for n in names.values()}) == 5
    assert names["a_b"] == "a_b"


def test_hostile_client_ids_stay_inside_the_output(tmp_path, policy):
    book = sample_book(ON)
    evil = replace(book.clients["ACME"], id="../../escape")
    book = replace(book, clients={**book.clients, evil.id: evil})
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    assert not (tmp_path / "escape.html").exists()
    assert all(tmp_path / "site" in p.parents for p in tmp_path.rglob("*.html"))


def test_statement_pages_only_name_their_own_client(tmp_path, policy):
    book = sample_book(ON)
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    for cid, client in book.clients.items():
        page = (tmp_path / "site" / "clients" / f"{safe_name(cid)}.html").read_text("utf-8")
        for other, inv in book.invoices.items():
            assert (other in page) == (inv.client == cid and other in page), (cid, other)
            if inv.client != cid:
                assert other not in page, (cid, other)
        for oid, oc in book.clients.items():
            if oid != cid and oc.name.isalnum():
                assert oc.name not in page


# -- golden page data -------------------------------------------------------------------------


def _mask(obj, keys=("seconds",)):
    if isinstance(obj, dict):
        return {k: ("<masked>" if k in keys else _mask(v, keys)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask(v, keys) for v in obj]
    return obj


def check_golden(name: str, data) -> None:
    path = GOLDEN / name
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    if os.environ.get("DUN_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, "utf-8")
    assert text == path.read_text("utf-8"), f"{name} changed; rerun with DUN_UPDATE_GOLDEN=1 if intended"


def test_golden_report_page_data(policy):
    view = build_view(sample_book(ON), policy, ON)
    check_golden("report_view.json", _mask(view_to_json(view)))


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path, policy):
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(DunError):
        publish(sample_book(ON), policy, ON, precious, pdf=False)
    assert (precious / "thesis.txt").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    publish(sample_book(ON), policy, ON, empty, pdf=False)
    assert (empty / "index.html").is_file()


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(path).pages]


def _report_parts(site: Path) -> set[str]:
    files = json.loads((site / site_mod.MANIFEST).read_text())["files"]
    return {rel for rel in files if rel.startswith(site_mod.PARTS + "/") and "/pages-" not in rel}


def test_the_report_pdf_is_joined_from_cached_parts_and_numbered_across_them(tmp_path, policy, monkeypatch):
    monkeypatch.setattr(writers_mod, "REPORT_CHUNK", 2)  # several listing parts on the small book
    book = sample_book(ON)
    site = tmp_path / "site"
    publish(book, policy, ON, site)
    pages = _pdf_pages(site / "report.pdf")
    n = len(pages)
    assert n >= 3
    for i, text in enumerate(pages, 1):
        assert f"Page {i} of {n}" in text, (i, text[-200:])
        assert "Management report" in text
        assert text.count(" of ") >= 1 and f"Page {i + 1} of" not in text
    whole = "\n".join(pages)
    view = build_view(book, policy, ON)
    listing = whole[whole.index("Every client's position"):]
    lines = listing_lines(view.clients, policy.defaults.locale)[1:]
    assert len(lines) == len(book.clients) == 5
    at = 0
    for line in lines:  # every client's line, in the report's order across the parts
        at = listing.index(line[:30].rstrip(), at) + 1
    for must in ("Every client's position", "Escalations, holds, disputes and plans", "Follow-ups by channel"):
        assert must in whole
    parts = _report_parts(site)
    assert len(parts) >= 3
    # after one payment the untouched listing parts are reused, and the report is still whole
    r = publish(with_payment(book, "ACME", "INV-1003", "100.00", ON), policy, ON, site)
    assert "report.pdf" in r.rewritten and not any(x.startswith(site_mod.PARTS) for x in r.rewritten)
    after = _report_parts(site)
    assert parts & after and after - parts
    pages = _pdf_pages(site / "report.pdf")
    assert all(f"Page {i} of {len(pages)}" in t for i, t in enumerate(pages, 1))
    assert not (site / site_mod.PARTS).exists() or all((site / p).is_file() for p in after)


def test_long_csvs_are_one_pass_byte_for_byte_and_only_a_changed_clients_rows_are_formatted(tmp_path, policy,
                                                                                            monkeypatch):
    from store import init_book, open_book

    book = sample_book(ON)
    init_book(tmp_path / "book", book=book)
    site = tmp_path / "site"
    formatted = []
    real = csvdata.client_rows
    monkeypatch.setattr(context_mod.csvdata, "client_rows", lambda rec, *a: formatted.append(
        tuple(rec.clients)) or real(rec, *a))
    with open_book(tmp_path / "book", today=ON) as repo:
        publish(repo, policy, ON, site, pdf=False)
        assert (site / "data" / "payments.csv").read_bytes() == csvdata.payments_csv(repo.book(), ON)
        assert (site / "data" / "activities.csv").read_bytes() == csvdata.activities_csv(
            repo.book(), ON, policy.publish.internal_notes)
    assert len(formatted) == len(book.clients)
    formatted.clear()
    book2 = with_payment(book, "ACME", "INV-1003", "100.00", ON)
    with open_book(tmp_path / "book", today=ON) as repo:
        repo.record_payment(book2.payments[-1])
    with open_book(tmp_path / "book", today=ON) as repo:
        r = publish(repo, policy, ON, site, pdf=False)
        assert (site / "data" / "payments.csv").read_bytes() == csvdata.payments_csv(repo.book(), ON)
    assert formatted == [("ACME",)]  # the others' rows were kept with their revisions
    assert "data/payments.csv" in r.rewritten and "data/activities.csv" not in r.rewritten
    assert b"PAY-NEW-INV-1003" in (site / "data" / "payments.csv").read_bytes()


def test_the_page_number_overlay_is_kept_while_the_report_is_unchanged(tmp_path, policy):
    book = sample_book(ON)
    site = tmp_path / "site"
    publish(book, policy, ON, site)

    def overlays():
        files = json.loads((site / site_mod.MANIFEST).read_text())["files"]
        return {rel for rel in files if rel.startswith(site_mod.PARTS + "/pages-") and (site / rel).is_file()}

    first = overlays()
    assert len(first) == 1
    publish(book, policy, ON, site)  # nothing changed: report.pdf is linked, the overlay carried along
    assert overlays() == first


def _site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != site_mod.MANIFEST}


@pytest.mark.parametrize("pdf,from_app", [(True, False), (False, False), (False, True), (True, "published before")])
def test_a_republish_after_one_payment_equals_a_full_build(tmp_path, policy, monkeypatch, pdf, from_app):
    """What the incremental build reuses and what it renders again add up to exactly what a
    full build of the new book makes: every file, byte for byte (PDFs included). From the app,
    which passes its derived state (every client's day, checked against the store), only the
    payer is worked out again, and only the payer's statement is made again."""
    import derived
    from receivables.demo import generate
    from receivables.engine import book as engine_book
    from receivables.engine import client as engine_client
    from receivables.ledger import derive, propose_allocation
    from store import init_book, open_book

    monkeypatch.setattr(writers_mod, "REPORT_CHUNK", 4)  # several listing parts
    on = date(2026, 11, 22)
    book = generate(clients=12, invoices=300, seed=3, today=on)
    ledger = derive(book, on)
    payer = next(c for c in sorted(book.clients) if len(ledger.open_invoices(c)) >= 2)
    st = ledger.open_invoices(payer)[1]
    amount = min(st.outstanding, Decimal("100.00"))
    allocs, _ = propose_allocation(ledger, payer, st.invoice.currency, amount, [st.invoice.number])
    payment = Payment("PAY-TEST", on, payer, amount, st.invoice.currency, "bank", "test", allocs)
    book2 = replace(book, payments=book.payments + (payment,))
    inc, full = tmp_path / "inc", tmp_path / "full"
    made, worked_out = [], []
    repo = None
    if from_app:  # the app's book, and its derived state before the payment (tui.state)
        init_book(tmp_path / "book", book=book)
        repo = open_book(tmp_path / "book", today=on)
        book = repo.book()
        state = derived.current(repo, policy, on, book=book)
    if from_app == "published before":
        publish(repo, policy, on, inc, pdf=pdf, derived=state)
    else:
        publish(book, policy, on, inc, pdf=pdf)
    before = _site_files(inc)
    real_statement = context_mod.Context.statement
    monkeypatch.setattr(context_mod.Context, "statement", lambda self, cid: made.append(cid) or real_statement(self, cid))
    if from_app:
        repo.record_payment(payment)
        state = derived.current(repo, policy, on, state)  # the app's reload after the payment
        assert state.worked_out == {payer}
        book2 = repo.book()
        real_start = engine_client.start_client  # (every way a client is worked out starts there)
        for mod in (engine_book, engine_client):
            monkeypatch.setattr(mod, "start_client", lambda *a: worked_out.append(a) or real_start(*a))
        r = publish(repo, policy, on, inc, pdf=pdf, derived=state)
        repo.close()
        assert not worked_out  # every client's day came from the app's derived state
    else:
        r = publish(book2, policy, on, inc, pdf=pdf)
    if from_app == "published before":  # the site was the repository's own: only the payer's statement
        assert made == [payer]
    made.clear()
    publish(book2, policy, on, full, pdf=pdf, incremental=False)
    assert len(made) == len(book.clients)  # a full build reuses nothing
    names = file_names(book.clients)
    assert {x for x in r.rewritten if x.startswith("clients/")} == (
        {f"clients/{names[payer]}.html"} | ({f"clients/{names[payer]}.pdf"} if pdf else set()))
    a, b = _site_files(inc), _site_files(full)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], rel
    for rel in (f"clients/{names[payer]}.html", "data/report.json", "data/open-items.csv", "data/payments.csv",
                "data/aged-receivables.csv", "report.html", *(("report.pdf",) if pdf else ())):
        assert a[rel] != before[rel], rel  # the payment shows
    assert "PAY-TEST" in (inc / "data" / "payments.csv").read_text("utf-8")
    if pdf:
        assert _pdf_pages(inc / "report.pdf") == _pdf_pages(full / "report.pdf")


def test_a_payment_renders_again_only_its_own_currencys_part_of_the_report_pdf(tmp_path, policy, monkeypatch):
    """The report PDF is cached in parts, one per currency at the front: a payment in one
    currency renders that currency's part again (and its client's listing chunk), not the
    first part, whose currency did not change."""
    from publish import pdf as pdf_mod
    from receivables.demo import generate
    from receivables.ledger import derive, propose_allocation

    from publish import engine

    on = date(2026, 11, 22)
    book = generate(clients=12, invoices=300, seed=3, today=on)
    ledger = derive(book, on)
    currencies = sorted({c.currency for c in book.clients.values()})
    assert len(currencies) > 1
    agenda = engine.build_agenda(book, policy, on)
    # a client whose currency's part is not the first, paying off an invoice an action is about
    a = next(a for a in agenda if a.kind == "step" and a.currency != currencies[0])
    payer = a.client
    st = next(s for s in ledger.open_invoices(payer) if s.number == a.invoices[0])
    allocs, _ = propose_allocation(ledger, payer, st.invoice.currency, st.outstanding, [st.invoice.number])
    book2 = replace(book, payments=book.payments + (
        Payment("PAY-TEST", on, payer, st.outstanding, st.invoice.currency, "bank", "test", allocs),))
    assert len(engine.build_agenda(book2, policy, on)) != len(agenda)  # the day's action count changes
    publish(book, policy, on, tmp_path / "site")
    submitted = []
    real = pdf_mod.PdfQueue.submit
    monkeypatch.setattr(pdf_mod.PdfQueue, "submit", lambda self, key, html, *a: submitted.append(
        (key, html)) or real(self, key, html, *a))
    publish(book2, policy, on, tmp_path / "site")
    fronts = [html for key, html in submitted if key.startswith(site_mod.PARTS) and "<h3>Aging</h3>" in html]
    assert len(fronts) == 1 and f"<h2>{st.invoice.currency}: " in fronts[0]
    assert f"clients/{file_names(book.clients)[payer]}.pdf" in [key for key, _ in submitted]


def test_the_engines_state_is_freed_without_the_cycle_collector(policy):
    """What the engine works out for a book (every client's day) holds no reference cycle, so
    dropping it (as a build does when it ends) frees it by reference counting, not by a long
    collection (receivables.engine)."""
    import gc

    from publish import engine
    from receivables.ledger import index_book

    index = index_book(sample_book(ON))
    engine.agenda_module().open_ledger(index, policy, ON)
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        del index
        assert gc.collect() == 0  # nothing was left in a cycle
    finally:
        if was:
            gc.enable()


def test_kept_pdf_workers_serve_the_next_build_until_released():
    """The app keeps its warm PDF workers between publishes (``keep_workers``); a one-off
    build (the CLI) stops its own."""
    from publish import pdf as pdf_mod

    first = pdf_mod.PdfQueue(2, keep=True)
    first.start("A4")
    pool = first.pool
    first.submit("a", "<p>one</p>", "A4")
    assert [(k, d[:5]) for k, d in first.results()] == [("a", b"%PDF-")]
    first.close()
    again = pdf_mod.PdfQueue(2, keep=True)
    again.start("A4")
    assert again.pool is pool
    again.submit("b", "<p>two</p>", "A4")
    assert [k for k, _ in again.results()] == ["b"]
    again.close()
    one_off = pdf_mod.PdfQueue(2)
    one_off.start("A4")
    assert one_off.pool is not pool
    one_off.close()
    workers = list(pool._processes.values())
    assert workers and all(w.is_alive() for w in workers)
    pdf_mod.release_workers()
    assert not pdf_mod._KEPT
    for w in workers:
        w.join(timeout=10)
    assert not any(w.is_alive() for w in workers)


def test_pdfs_are_rendered_here_when_a_worker_dies():
    """A PDF worker killed (out of memory, by hand) breaks the pool: what it had and what is
    handed over after render in the building process, and the build goes on."""
    from publish import pdf as pdf_mod

    queue = pdf_mod.PdfQueue(2)
    queue.start("A4")
    try:
        pool = queue.pool
        queue.submit("a", "<p>one</p>", "A4")
        for worker in list(pool._processes.values()):
            worker.kill()
            worker.join(timeout=10)
        queue.submit("b", "<p>two</p>", "A4")
        got = dict(queue.results())
    finally:
        queue.close()
    assert sorted(got) == ["a", "b"] and all(d[:5] == b"%PDF-" for d in got.values())
    assert getattr(pool, "_broken", False)


def test_pdf_workers_ignore_a_publish_module_in_the_current_folder(tmp_path):
    """The owner may run ``dun publish`` in a folder that has a ``publish.py`` (or a
    ``publish/`` folder) of their own: the PDF workers still load this package."""
    import subprocess
    import sys

    here = tmp_path / "cwd"
    here.mkdir()
    (here / "publish.py").write_text("raise SystemExit('the wrong publish')\n")
    script = tmp_path / "bin" / "render.py"
    script.parent.mkdir()
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from publish.pdf import PdfQueue\n"
        "if __name__ == '__main__':\n"
        "    q = PdfQueue(2)\n"
        "    q.start('A4')\n"
        "    q.submit('a', '<p>x</p>', 'A4')\n"
        "    print([(k, d[:5]) for k, d in q.results()])\n"
        "    q.close()\n")
    out = subprocess.run([sys.executable, str(script)], cwd=here, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[('a', b'%PDF-')]"


def test_two_builders_starting_kept_workers_at_once_share_one_pool():
    """The app may ready its first publish (publish.warm) while the owner starts one: the
    workers start once, on a thread, and both use them; neither stops the other's."""
    from publish import pdf as pdf_mod

    a, b = pdf_mod.PdfQueue(2, keep=True), pdf_mod.PdfQueue(2, keep=True)
    try:
        a.start("A4")
        b.start("A4")  # while a's workers are still starting
        pool = a.pool
        assert pool is b.pool is pdf_mod._KEPT[("A4", 2)]
        b.submit("x", "<p>x</p>", "A4")
        assert [(k, d[:5]) for k, d in b.results()] == [("x", b"%PDF-")]
        a.close()
        b.close()
        assert list(pdf_mod._KEPT.values()) == [pool] and not pool._shutdown_thread
    finally:
        pdf_mod.release_workers()
