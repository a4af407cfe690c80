"""A republish in a new process from the state the last build kept (publish.fast): the same
site, byte for byte, as a build from the whole book; and the whole book whenever the state
cannot be trusted."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from publish import csvdata, fast
from publish import site as site_mod
from publish.site import publish
from receivables import demo
from receivables.model import Activity, Allocation, Client, Payment
from receivables.policy import read_policy
from store import init_book, open_book

ON = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def policy():
    return read_policy(ROOT / "policy.toml")


@pytest.fixture(scope="module")
def demo_book(policy):
    return demo.generate(clients=24, invoices=300, seed=7, today=ON, policy=policy)


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != site_mod.MANIFEST and site_mod.CACHE not in p.parts}


def _publish(book_dir: Path, out: Path, on: date = ON, **kw):
    """A build as `dun publish` makes it: a fresh, read-only reading of the book."""
    repo = open_book(book_dir, readonly=True)
    try:
        return publish(repo, None, on, out, **kw)
    finally:
        repo.close()


def _open_invoice(repo, on=ON):
    from receivables.ledger import derive

    ledger = derive(repo.book(), on)
    for cid in sorted(repo.clients()):
        items = ledger.open_invoices(cid)
        if items:
            return cid, items[0]
    raise AssertionError("no open invoice")


def _pay(repo, cid=None):
    if cid is None:
        cid, st = _open_invoice(repo)
    else:
        from receivables.ledger import derive

        st = derive(repo.book(), ON).open_invoices(cid)[0]
    amount = min(st.outstanding, Decimal("100.00"))
    repo.record_payment(Payment("", ON, cid, amount, st.invoice.currency,
                                allocations=(Allocation(st.invoice.number, amount),)))
    return {cid}


def _note(repo):
    cid = sorted(repo.clients())[3]
    repo.log_activity(Activity("", ON, cid, "phone", body="Promised to look into it", outcome="reached",
                               internal=False))
    return {cid}


def _hold(repo):
    cid = sorted(repo.clients())[5]
    repo.set_hold(cid, True, "=HYPERLINK(\"x\") until the account is paid")
    return {cid}


def _new_client(repo):
    repo.add_client(Client("zz-new-client", "<b>New</b> & Co", "EUR", 30))
    return {"zz-new-client"}


def _moved_invoice(repo):
    from store.repository import _followed_up

    book = repo.book()
    for inv in book.invoices.values():
        paid = any(a.invoice == inv.number for p in book.payments for a in p.allocations)
        credited = any(a.invoice == inv.number for a in book.adjustments)
        if not paid and not credited and not _followed_up(book, inv.number):
            other = next(c for c in sorted(book.clients) if c != inv.client
                         and book.clients[c].currency == inv.currency)
            repo.update_invoice(replace(inv, client=other))
            return {inv.client, other}
    raise AssertionError("no invoice to move")


def test_an_invoice_with_follow_ups_stays_with_its_client(tmp_path, demo_book):
    """Every client's records refer only to its own invoices: the engine and a republish from
    the kept state work client by client."""
    from receivables.errors import DunError

    book_dir = init_book(tmp_path / "book", book=demo_book).root
    with open_book(book_dir) as repo:
        book = repo.book()
        for d in book.disputes:
            inv = book.invoices[d.invoice]
            if not any(a.invoice == inv.number for p in book.payments for a in p.allocations):
                other = next(c for c in sorted(book.clients) if c != inv.client)
                with pytest.raises(DunError, match="cannot move an invoice with follow-ups"):
                    repo.update_invoice(replace(inv, client=other))
                assert repo.book().invoices[inv.number].client == inv.client
                return
    pytest.skip("no disputed invoice without payments in the demo book")


def _two_payments(repo):
    book = repo.book()
    from receivables.ledger import derive

    ledger = derive(book, ON)
    payers = [c for c in sorted(book.clients) if ledger.open_invoices(c)][-2:]
    for cid in payers:
        _pay(repo, cid)
    return set(payers)


CHANGES = {"payment": _pay, "public note": _note, "hold": _hold, "new client": _new_client,
           "moved invoice": _moved_invoice, "two payments": _two_payments}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_republish_from_the_kept_state_equals_a_build_from_the_whole_book(tmp_path, demo_book, change):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    first = _publish(book_dir, site, pdf=False)
    assert "kept state" not in first.phases  # nothing kept yet: the whole book
    assert fast.state_path(open_book(book_dir, readonly=True), site).is_file()

    with open_book(book_dir) as repo:
        touched = CHANGES[change](repo)
    with open_book(book_dir, readonly=True) as repo:
        assert repo.clients_changed_since(_kept_mark(book_dir, site)) == touched

    r = _publish(book_dir, site, pdf=False)
    assert "kept state" in r.phases  # the kept state, and only the changed clients read
    _publish(book_dir, full, pdf=False, incremental=False)
    a, b = _files(site), _files(full)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], rel
    names = site_mod.file_names(sorted(a_cid for a_cid in _client_ids(book_dir)))
    assert {x for x in r.rewritten if x.startswith("clients/")} <= {f"clients/{names[c]}.html" for c in touched}

    again = _publish(book_dir, site, pdf=False)  # and from the state this build kept
    assert "kept state" in again.phases and again.written == 0


@pytest.mark.parametrize("change", ["payment", "moved invoice"])
def test_the_apps_republish_starts_from_the_kept_state_too(tmp_path, demo_book, change):
    """The app holds its repository (the book read, writable) and its index of the book before
    the change: with a kept state it reads only the changed clients too, and the site equals a
    build from the whole book."""
    from receivables.ledger import index_book

    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    with open_book(book_dir) as repo:
        publish(repo, None, ON, site, pdf=False)
        index = index_book(repo.book())
        touched = CHANGES[change](repo)
        r = publish(repo, None, ON, site, pdf=False, index=index)
        assert "kept state" in r.phases
        names = site_mod.file_names(sorted(repo.clients()))
        assert {x for x in r.rewritten if x.startswith("clients/")} == {f"clients/{names[c]}.html" for c in touched}
        again = publish(repo, None, ON, site, pdf=False, index=index_book(repo.book()))
        assert "kept state" in again.phases and again.written == 0
    _publish(book_dir, full, pdf=False, incremental=False)
    assert _files(site) == _files(full)


def _kept_mark(book_dir: Path, site: Path) -> str:
    import pickle

    with open_book(book_dir, readonly=True) as repo:
        return pickle.loads(fast.state_path(repo, site).read_bytes())["mark"]


def _client_ids(book_dir: Path) -> list[str]:
    with open_book(book_dir, readonly=True) as repo:
        return sorted(repo.clients())


def test_the_kept_state_republish_renders_the_payers_pdf_like_a_full_build(tmp_path, demo_book):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _publish(book_dir, site, pdf=True)
    with open_book(book_dir) as repo:
        (payer,) = _pay(repo)
    r = _publish(book_dir, site, pdf=True)
    assert "kept state" in r.phases
    name = site_mod.file_names(_client_ids(book_dir))[payer]
    assert f"clients/{name}.pdf" in r.rewritten and "report.pdf" in r.rewritten
    _publish(book_dir, full, pdf=True, incremental=False)
    a, b = _files(site), _files(full)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], rel


def _policy_edited(book_dir: Path, site: Path):
    p = book_dir / "policy.toml"
    p.write_text(p.read_text().replace('locale = "en_GB"', 'locale = "de_DE"'))
    assert 'locale = "de_DE"' in p.read_text()


def _checkpointed(book_dir: Path, site: Path):
    with open_book(book_dir) as repo:
        _pay(repo)
        repo.checkpoint()


def _restored_and_changed_again(book_dir: Path, site: Path):
    """book.json rewritten (as a restored backup is) with the same number of changes since."""
    with open_book(book_dir) as repo:
        repo.checkpoint()
    with open_book(book_dir) as repo:
        _note(repo)


def _foreign_code(book_dir: Path, site: Path):
    import pickle

    with open_book(book_dir, readonly=True) as repo:
        path = fast.state_path(repo, site)
    state = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps({**state, "code": "another dun"}))


def _damaged_state(book_dir: Path, site: Path):
    with open_book(book_dir, readonly=True) as repo:
        path = fast.state_path(repo, site)
    path.write_bytes(path.read_bytes()[:100])


def _site_rebuilt_from_a_bare_book(book_dir: Path, site: Path):
    """The site replaced by a build the state knows nothing of (here: of another book)."""
    with open_book(book_dir, readonly=True) as repo:
        book, policy = repo.book(), repo.policy()
    cid = sorted(book.clients)[0]
    other = replace(book, clients={**book.clients, cid: replace(book.clients[cid], name="Renamed Ltd")})
    publish(other, policy, ON, site, pdf=False, incremental=False)


def _many_changed(book_dir: Path, site: Path, monkeypatch=None):
    with open_book(book_dir) as repo:
        _two_payments(repo)


@pytest.mark.parametrize("case", [_policy_edited, _checkpointed, _restored_and_changed_again, _foreign_code,
                                  _damaged_state, _site_rebuilt_from_a_bare_book, _many_changed, "another date"])
def test_the_whole_book_is_read_when_the_kept_state_cannot_be_trusted(tmp_path, demo_book, monkeypatch, case):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _publish(book_dir, site, pdf=False)
    on = ON
    if case == "another date":
        on = ON + timedelta(days=1)
    else:
        if case is _many_changed:
            monkeypatch.setattr(fast, "MAX_CHANGED", 1)
        case(book_dir, site)
    r = _publish(book_dir, site, on, pdf=False)
    assert "kept state" not in r.phases
    _publish(book_dir, full, on, pdf=False, incremental=False)
    assert _files(site) == _files(full)


def test_a_state_kept_for_one_output_folder_is_not_used_for_another(tmp_path, demo_book):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    _publish(book_dir, tmp_path / "one", pdf=False)
    _publish(book_dir, tmp_path / "two", pdf=False)
    with open_book(book_dir) as repo:
        _pay(repo)
    for out in ("one", "two"):
        assert "kept state" in _publish(book_dir, tmp_path / out, pdf=False).phases
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_the_long_csvs_from_stored_documents_equal_those_from_records(tmp_path, demo_book):
    """A republish from the kept state makes the payments and activities CSVs from the stored
    documents (decoding only new blocks): the same blocks, names and bytes as from records."""
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    with open_book(book_dir, readonly=True) as repo:
        book = repo.book()
        docs = repo.documents("payments"), repo.documents("activities")
    for on in (ON, ON - timedelta(days=40)):
        for show in (True, False):
            from_records = csvdata.build(csvdata.tables_of_records(book, on, show), {}, "tag")
            from_docs = csvdata.build(csvdata.tables_of_docs(*docs, on, show), {}, "tag")
            assert from_docs == from_records
            assert sum(len(c.blocks) for c in from_docs) >= 2
    assert book.payments and book.activities


def test_charts_drawn_by_the_pdf_workers_equal_those_drawn_here(demo_book, policy):
    """A build in a new process has its charts drawn by the PDF workers (matplotlib is
    imported there, not in the building process), all by one worker in one call: the same
    SVG as drawn here."""
    from publish import charts
    from publish.pdf import PdfQueue
    from publish.reportview import build_view
    from receivables.ledger import index_book

    view = build_view(index_book(demo_book), policy, ON)
    here = site_mod._report_charts(view).wait()
    queue = PdfQueue(2)
    queue.start(policy.publish.paper)
    asked = []
    try:
        def call(fn, *args):
            asked.append(args[0])
            return queue.call(fn, *args)

        there = site_mod._report_charts(view, None, call).wait()
    finally:
        queue.close()
    assert len(asked) == 1 and len(asked[0]) == len(here)  # every chart, to the workers in one call
    assert {name for name, _ in asked[0]} <= set(charts.CHARTS)
    assert list(there) == list(here) and dict(there) == dict(here)
    assert there.files == here.files and there.used == here.used



class _Planted:
    """A pickle that runs code when it is loaded (writes the marker file)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "planted pickle ran"))


def test_a_pickle_planted_in_the_book_or_the_site_folder_is_never_loaded(tmp_path, demo_book):
    """A received book (or site) folder can hold any file: the kept state is never read from
    there, so a planted pickle never runs, whatever its name."""
    import hashlib
    import pickle

    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, marker = tmp_path / "site", tmp_path / "ran"
    _publish(book_dir, site, pdf=False)
    payload = pickle.dumps({"format": "x", "boom": _Planted(marker)})
    key = hashlib.sha256(str(site).encode()).hexdigest()[:16]
    for folder in (book_dir / ".cache", site, site / site_mod.CACHE):
        folder.mkdir(exist_ok=True)
        for name in (f"site-{key}.pickle", "site.pickle", "state.pickle"):
            (folder / name).write_bytes(payload)
    with open_book(book_dir) as repo:
        _pay(repo, sorted(repo.clients())[0])
    _publish(book_dir, site, pdf=False)
    assert not marker.exists()
    state = fast.state_path(open_book(book_dir, readonly=True), site)
    assert book_dir not in state.parents and site not in state.parents
