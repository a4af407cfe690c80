"""A republish (a new process, or the app) after changes: the same site, byte for byte, as a
full build, making again only the statements of the clients that changed; and whatever the
last build left (its kept rows, its site) cannot be trusted is made again."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from publish import context as context_mod
from publish import kept as kept_mod
from publish import site as site_mod
from publish import sitecharts
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
            if p.is_file() and p.name != site_mod.MANIFEST}


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


@pytest.mark.parametrize("follow_up", ["dispute", "promise", "activity"])
def test_an_invoice_with_follow_ups_stays_with_its_client(tmp_path, demo_book, follow_up):
    """Every client's records refer only to its own invoices: the engine and a republish from
    the kept state work client by client. An invoice nothing refers to moves; once a dispute,
    a promise or a follow-up names it, the move is refused and changes nothing."""
    from receivables.errors import DunError
    from receivables.model import Dispute, PromiseToPay
    from store.repository import _followed_up

    book_dir = init_book(tmp_path / "book", book=demo_book).root
    with open_book(book_dir) as repo:
        book = repo.book()
        settled = {a.invoice for p in book.payments for a in p.allocations} | {a.invoice for a in book.adjustments}
        free = [inv for inv in book.invoices.values()
                if inv.number not in settled and not _followed_up(book, inv.number)]
        assert len(free) >= 2, "the demo book has invoices nothing refers to"
        inv = free[0]
        other = next(c for c in sorted(book.clients) if c != inv.client and book.clients[c].currency == inv.currency)
        if follow_up == "dispute":
            repo.open_dispute(Dispute("", inv.number, inv.client, "wrong rate", ON))
        elif follow_up == "promise":
            repo.add_promise(PromiseToPay("", inv.client, ON, inv.amount, inv.currency, ON + timedelta(days=7),
                                          (inv.number,)))
        else:
            repo.log_activity(Activity("", ON, inv.client, "phone", step="call", invoices=(inv.number,),
                                       outcome="no answer"))
        with pytest.raises(DunError, match="cannot move an invoice with follow-ups"):
            repo.update_invoice(replace(inv, client=other))
        assert repo.book().invoices[inv.number].client == inv.client
        # the same move of an invoice nothing refers to is made
        moved = free[1]
        to = next(c for c in sorted(repo.book().clients)
                  if c != moved.client and repo.book().clients[c].currency == moved.currency)
        repo.update_invoice(replace(moved, client=to))
        assert repo.book().invoices[moved.number].client == to
    with open_book(book_dir, readonly=True) as repo:
        assert repo.book().invoices[inv.number].client == inv.client


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


class _Made:
    """The clients whose statements a build made (the rest were reused from the last site)."""

    def __init__(self, monkeypatch) -> None:
        self.clients: list[str] = []
        real = context_mod.Context.statement
        monkeypatch.setattr(context_mod.Context, "statement", lambda ctx, cid: self.clients.append(cid) or real(ctx, cid))


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_republish_equals_a_full_build_and_makes_only_the_changed_statements(tmp_path, demo_book, change,
                                                                               monkeypatch):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    made = _Made(monkeypatch)
    _publish(book_dir, site, pdf=False)
    assert sorted(made.clients) == _client_ids(book_dir)
    with open_book(book_dir) as repo:
        touched = CHANGES[change](repo)
    made.clients.clear()
    r = _publish(book_dir, site, pdf=False)
    assert set(made.clients) == touched
    _publish(book_dir, full, pdf=False, incremental=False)
    a, b = _files(site), _files(full)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], rel
    names = site_mod.file_names(_client_ids(book_dir))
    assert {x for x in r.rewritten if x.startswith("clients/")} <= {f"clients/{names[c]}.html" for c in touched}
    made.clients.clear()
    again = _publish(book_dir, site, pdf=False)  # nothing changed: nothing made, nothing written
    assert again.written == 0 and not made.clients


@pytest.mark.parametrize("change", ["payment", "moved invoice"])
def test_the_apps_republish_makes_only_the_changed_statements_too(tmp_path, demo_book, change, monkeypatch):
    """The app holds its repository (the book read, writable) and its derived state: the same
    site as a full build, the changed clients' statements made again."""
    import derived

    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    made = _Made(monkeypatch)
    with open_book(book_dir) as repo:
        policy = repo.policy()
        state = derived.current(repo, policy, ON)
        publish(repo, None, ON, site, pdf=False, derived=state)
        touched = CHANGES[change](repo)
        state = derived.current(repo, policy, ON, state)
        made.clients.clear()
        r = publish(repo, None, ON, site, pdf=False, derived=state)
        assert set(made.clients) == touched
        names = site_mod.file_names(sorted(repo.clients()))
        assert {x for x in r.rewritten if x.startswith("clients/")} == {f"clients/{names[c]}.html" for c in touched}
        again = publish(repo, None, ON, site, pdf=False, derived=state)
        assert again.written == 0
    _publish(book_dir, full, pdf=False, incremental=False)
    assert _files(site) == _files(full)


def _client_ids(book_dir: Path) -> list[str]:
    with open_book(book_dir, readonly=True) as repo:
        return sorted(repo.clients())


def test_a_republish_renders_the_payers_pdf_like_a_full_build(tmp_path, demo_book):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _publish(book_dir, site, pdf=True)
    with open_book(book_dir) as repo:
        (payer,) = _pay(repo)
    r = _publish(book_dir, site, pdf=True)
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


def _kept_file(book_dir: Path) -> Path:
    with open_book(book_dir, readonly=True) as repo:
        (path,) = kept_mod.path_of(repo.cache_id, "x").parent.glob("publish-*.json")
    return path


def _foreign_key(book_dir: Path, site: Path):
    import orjson

    path = _kept_file(book_dir)
    data = orjson.loads(path.read_bytes())
    path.write_bytes(orjson.dumps({**data, "key": "another dun"}))


def _damaged_kept(book_dir: Path, site: Path):
    path = _kept_file(book_dir)
    path.write_bytes(path.read_bytes()[:100])


def _edited_kept_rows(book_dir: Path, site: Path):
    """Someone's hand in the user's cache: a client's rows edited, its revision an old one's."""
    import orjson

    path = _kept_file(book_dir)
    data = orjson.loads(path.read_bytes())
    cid = next(c for c, (_, rows) in sorted(data["clients"].items()) if rows["payments"][0])
    data["clients"][cid][0] = "0-00000000"
    data["clients"][cid][1]["payments"] = [1, "2026-01-01 FAKE", "2026-01-01,FAKE,x,GBP,99999.99,0.00,bank,,\n"]
    path.write_bytes(orjson.dumps(data))


def _site_rebuilt_from_a_bare_book(book_dir: Path, site: Path):
    """The site replaced by a build the state knows nothing of (here: of another book)."""
    with open_book(book_dir, readonly=True) as repo:
        book, policy = repo.book(), repo.policy()
    cid = sorted(book.clients)[0]
    other = replace(book, clients={**book.clients, cid: replace(book.clients[cid], name="Renamed Ltd")})
    publish(other, policy, ON, site, pdf=False, incremental=False)


def _many_changed(book_dir: Path, site: Path):
    with open_book(book_dir) as repo:
        _two_payments(repo)


@pytest.mark.parametrize("case", [_policy_edited, _checkpointed, _restored_and_changed_again, _foreign_key,
                                  _damaged_kept, _edited_kept_rows, _site_rebuilt_from_a_bare_book, _many_changed,
                                  "another date"])
def test_a_republish_after_anything_the_last_build_cannot_vouch_for_equals_a_full_build(tmp_path, demo_book, case):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    site, full = tmp_path / "site", tmp_path / "full"
    _publish(book_dir, site, pdf=False)
    on = ON
    if case == "another date":
        on = ON + timedelta(days=1)
    else:
        case(book_dir, site)
    _publish(book_dir, site, on, pdf=False)
    _publish(book_dir, full, on, pdf=False, incremental=False)
    assert _files(site) == _files(full)
    assert b"99999.99" not in (site / "data" / "payments.csv").read_bytes()


def test_one_book_published_to_two_folders_gives_the_same_sites(tmp_path, demo_book):
    book_dir = init_book(tmp_path / "book", book=demo_book).root
    _publish(book_dir, tmp_path / "one", pdf=False)
    _publish(book_dir, tmp_path / "two", pdf=False)
    with open_book(book_dir) as repo:
        _pay(repo)
    for out in ("one", "two"):
        _publish(book_dir, tmp_path / out, pdf=False)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_charts_drawn_by_the_pdf_workers_equal_those_drawn_here(demo_book, policy):
    """A build in a new process has its charts drawn by the PDF workers (matplotlib is
    imported there, not in the building process), all by one worker in one call: the same
    SVG as drawn here."""
    from publish import charts
    from publish.pdf import PdfQueue
    from publish.reportview import build_view
    from receivables.ledger import index_book

    view = build_view(index_book(demo_book), policy, ON)
    here = sitecharts.report_charts(view).wait()
    queue = PdfQueue(2)
    queue.start(policy.publish.paper)
    asked = []
    try:
        def call(fn, *args):
            asked.append(args[0])
            return queue.call(fn, *args)

        there = sitecharts.report_charts(view, None, call).wait()
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


def test_a_pickle_planted_in_the_book_or_the_site_folder_is_never_loaded(tmp_path, policy):
    """A received book (or site) folder can hold any file: nothing kept is read from there
    (and nothing is ever unpickled), so a planted pickle never runs, whatever its name; nor
    does a ``cli/`` package, a ``.pth`` file or a module named like one dun imports, when
    ``dun publish`` (with its PDF workers) runs from inside the book or the site folder."""
    import hashlib
    import os
    import pickle
    import subprocess
    import sys

    import orjson

    small = demo.generate(clients=4, invoices=24, seed=7, today=ON, policy=policy)  # its PDFs are few
    book_dir = init_book(tmp_path / "book", book=small).root
    site, marker = book_dir / "site", tmp_path / "ran"
    _publish(book_dir, site, pdf=False)
    payload = pickle.dumps({"format": "x", "boom": _Planted(marker)})
    key = hashlib.sha256(str(site).encode()).hexdigest()[:16]
    planted = f"open({str(marker)!r}, 'w').write('planted code ran')\n"
    for folder in (book_dir / ".cache", book_dir, site, site / site_mod.CACHE):
        folder.mkdir(exist_ok=True)
        for name in (f"site-{key}.pickle", "site.pickle", "state.pickle", "client-docs.bin"):
            (folder / name).write_bytes(payload)
        for pkg in ("cli", "publish", "jinja2"):
            (folder / pkg).mkdir(exist_ok=True)
            (folder / pkg / "__init__.py").write_text(planted)
            (folder / pkg / "main.py").write_text(planted)
        for name in ("weasyprint.py", "orjson.py", "sitecustomize.py", "usercustomize.py"):
            (folder / name).write_text(planted)
        (folder / "evil.pth").write_text(f"import os; {planted}")
    with open_book(book_dir) as repo:
        _pay(repo, sorted(repo.clients())[0])
    _publish(book_dir, site, pdf=False)
    # `dun publish` as the installed command runs it (the script's folder first on the path,
    # not the working folder), from inside the book and from inside the site
    script = tmp_path / "bin" / "dun"
    script.parent.mkdir()
    script.write_text("import sys\nfrom cli.main import main\nif __name__ == '__main__':\n    sys.exit(main())\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for cwd in (book_dir, site):
        with open_book(book_dir) as repo:
            _pay(repo, sorted(repo.clients())[1])
        got = subprocess.run([sys.executable, str(script), "--book", str(book_dir), "--on", ON.isoformat(), "publish"],
                             cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert got.returncode == 0, got.stderr
    assert not marker.exists()
    with open_book(book_dir, readonly=True) as repo:  # what is kept is plain JSON, in the user's cache
        kept = kept_mod.path_of(repo.cache_id, "x").parent
    assert book_dir not in kept.parents and site not in kept.parents
    for path in kept.glob("publish-*.json"):
        assert isinstance(orjson.loads(path.read_bytes()), dict), path
    for path in kept.parent.rglob("*"):  # nothing anywhere in the cache is a pickle
        assert not path.is_file() or not path.read_bytes().startswith(b"\x80"), path
