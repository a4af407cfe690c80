"""The book on disk: durability, atomicity, the single-writer lock, refusals, backups."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from receivables.errors import DunError
from receivables.model import (
    Activity,
    Allocation,
    Client,
    Contact,
    CreditCheck,
    Dispute,
    Installment,
    Invoice,
    Payment,
    PaymentPlan,
    PromiseToPay,
)
from store import BookLocked, ReadOnlyBook, init_book, list_backups, open_book, restore_backup

from .conftest import REPO, TODAY

HOSTILE = 'Zoë & "Sons" <script>alert(1)</script>\n=HYPERLINK("x")\u202e 💷'


def files(book: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in book.iterdir() if p.is_file() and p.name != ".lock"}


def add_acme(repo) -> None:
    repo.add_client(Client(id="acme", name="Acme Ltd", currency="GBP", terms_days=30,
                           contacts=(Contact("Ann", "ann@acme.example", "+44 1"),)))
    repo.add_invoice(Invoice("INV-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("100.00")))


def test_every_record_kind_round_trips_verbatim(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        repo.add_client(Client(id="zoe", name=HOSTILE, currency="EUR", terms_days=14, address=HOSTILE,
                               contacts=(Contact(HOSTILE, "z@x.example", "1"),), credit_limit=Decimal("5000.00"),
                               credit_check=CreditCheck(date(2025, 1, 2), "Creditsafe", "A"), tags=("vip", HOSTILE),
                               hold=True, hold_reason=HOSTILE, locale="de_DE"))
        repo.add_invoice(Invoice("Z-1", "zoe", date(2026, 1, 1), date(2026, 1, 15), "EUR", Decimal("10.00"),
                                 reference=HOSTILE))
        p = repo.record_payment(Payment("", date(2026, 2, 1), "zoe", Decimal("15.00"), "EUR", "bank", HOSTILE,
                                        (Allocation("Z-1", Decimal("10.00")),)))
        a = repo.log_activity(Activity("", date(2026, 2, 2), "zoe", "email", body=HOSTILE, invoices=("Z-1",)))
        pr = repo.add_promise(PromiseToPay("", "zoe", date(2026, 2, 3), Decimal("5.00"), "EUR", date(2026, 2, 10)))
        pl = repo.add_plan(PaymentPlan("", "zoe", date(2026, 2, 4), "EUR", ("Z-1",),
                                       (Installment(date(2026, 3, 1), Decimal("5.00")),)))
        d = repo.open_dispute(Dispute("", "Z-1", "", HOSTILE, date(2026, 2, 5)))
        before = repo.book()
    with open_book(book_dir, readonly=True) as again:
        after = again.book()
    assert after == before
    assert after.clients["zoe"].name == HOSTILE and after.activities[0].body == HOSTILE
    assert p.id == "PAY-000001" and a.id == "ACT-000001" and pr.id.startswith("PRM-") and pl.id.startswith("PLN-")
    assert after.disputes[0].client == "zoe" and d.reason == HOSTILE
    assert after.payments[0].unallocated == Decimal("5.00")


def test_second_writer_is_refused_with_the_holder_named_and_readers_still_work(book_dir):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time; from store import open_book; r=open_book(sys.argv[1], command='dun tui');"
         "print('held', flush=True); time.sleep(30)", str(book_dir)],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BookLocked) as e:
            open_book(book_dir)
        message = str(e.value)
        assert "dun tui" in message and str(holder.pid) in message and "close it there" in message
        with open_book(book_dir, readonly=True) as ro:
            assert ro.read_only and ro.book().clients == {}
            with pytest.raises(ReadOnlyBook):
                ro.add_client(Client(id="x", name="X", currency="GBP", terms_days=1))
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock
    open_book(book_dir).close()


@pytest.mark.parametrize("content,expect", [
    (b"", "empty (0 bytes)"),
    (b'{"meta": {"1": {"schema": 1, "seq": 0}}, "clients": {', "not valid JSON"),
    (b'{"meta": {"1": {"schema": 1, "seq": 0}}}garbage', "not valid JSON"),
    (b'{"meta": {"1": {"schema": 1, "seq": NaN}}}', "not valid JSON"),
    (b'[1, 2]', "not a dun book"),
    (b'{"meta": {"1": {"schema": 99, "seq": 0}}}', "newer dun"),
    (b'{"meta": {"1": {"schema": 1, "seq": "x"}}}', "change number (meta seq) is 'x'"),
    (b'{"meta": {"1": {"schema": 1, "seq": null}}}', "change number (meta seq) is None"),
    (b'{"meta": {"1": {"schema": 1, "seq": 1.5}}}', "change number (meta seq) is 1.5"),
    (b'{"meta": {"1": {"schema": 1, "seq": -5}}}', "change number (meta seq) is -5"),
    # (read, then the next book.json dun wrote was refused as its own: no room left above it)
    (b'{"meta": {"1": {"schema": 1, "seq": 9007199254740992}}}', "meta seq) is 9007199254740992, not a whole"),
])
def test_damaged_book_files_are_refused_and_left_as_they_are(book_dir, content, expect):
    (book_dir / "book.json").write_bytes(content)
    for readonly in (True, False):
        with pytest.raises(DunError) as e:
            open_book(book_dir, readonly=readonly)
        assert expect in str(e.value) and "\n" not in str(e.value)
        assert (book_dir / "book.json").read_bytes() == content


def test_nan_inside_a_stored_amount_is_refused(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.checkpoint()
    data = orjson.loads((book_dir / "book.json").read_bytes())
    next(iter(data["invoices"].values()))["amount"] = "NaN"
    (book_dir / "book.json").write_bytes(orjson.dumps(data))
    with open_book(book_dir, readonly=True) as repo:
        with pytest.raises(DunError, match="bad stored amount"):
            repo.book()


def test_refused_writes_change_no_byte(repo, book_dir):
    add_acme(repo)
    before = files(book_dir)
    bad = [
        lambda: repo.add_invoice(Invoice("INV-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00"))),
        lambda: repo.add_invoice(Invoice("INV-9", "nobody", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00"))),
        lambda: repo.add_invoice(Invoice("INV-9", "acme", date(2026, 9, 1), date(2026, 8, 1), "GBP", Decimal("1.00"))),
        lambda: repo.add_invoice(Invoice("INV-9", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("-1.00"))),
        lambda: repo.add_invoice(Invoice("INV-9", "acme", date(2026, 9, 1), date(2026, 10, 1), "XXQ", Decimal("1.00"))),
        lambda: repo.record_payment(Payment("", TODAY, "acme", Decimal("10.00"), "GBP",
                                            allocations=(Allocation("INV-1", Decimal("200.00")),))),
        lambda: repo.record_payment(Payment("", TODAY, "ghost", Decimal("10.00"), "GBP")),
        lambda: repo.add_client(Client(id="acme", name="Dup", currency="GBP", terms_days=30)),
        lambda: repo.add_client(Client(id="bad id!", name="X", currency="GBP", terms_days=30)),
        lambda: repo.log_activity(Activity("", TODAY, "acme", "pigeon")),
        lambda: repo.open_dispute(Dispute("", "INV-404", "", "wrong", TODAY)),
        # a number that differs from one in the book only in case (every way in: the app's
        # form, an import, a Xero sync)
        lambda: repo.add_invoice(Invoice("inv-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00"))),
        lambda: repo.commit([Invoice("Inv-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00"))]),
        lambda: repo.commit([Invoice("B-7", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00")),
                             Invoice("b-7", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00"))]),
    ]
    for attempt in bad:
        with pytest.raises(DunError) as e:
            attempt()
        assert "\n" not in str(e.value)
        assert files(book_dir) == before


def test_torn_journal_tail_is_dropped_and_a_damaged_middle_is_refused(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
    journal = book_dir / "book.journal"
    good = journal.read_bytes()
    journal.write_bytes(good + b'1234abcd {"seq": 3, "op')  # a crash mid-append
    with open_book(book_dir, readonly=True) as ro:
        assert set(ro.book().invoices) == {"INV-1"}
    with open_book(book_dir, today=TODAY) as rw:  # the writer trims the torn tail
        rw.log_activity(Activity("", TODAY, "acme", "phone"))
    assert b"abcd" not in journal.read_bytes()
    lines = journal.read_bytes().split(b"\n")
    lines[0] = lines[0][:-3] + b"XYZ"
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(DunError, match="journal is damaged at line 1"):
        open_book(book_dir, readonly=True)


def test_temp_files_left_by_a_killed_writer_are_cleaned_on_next_open(book_dir):
    stale = book_dir / ".book.json.tmp-999-abcd"
    stale.write_bytes(b"half a book")
    with open_book(book_dir, readonly=True):
        assert stale.exists()  # readers never touch a writer's files
    with open_book(book_dir, today=TODAY):
        pass
    assert not stale.exists()


def test_kill_a_writer_mid_save_in_a_loop_loses_nothing_acknowledged(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
    rng = random.Random(7)
    acknowledged: list[str] = []
    start = 0
    deadline = time.monotonic() + 25
    rounds = 0
    while rounds < 12 and time.monotonic() < deadline:
        proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "crash_writer.py"), str(book_dir), str(start)],
                                stdout=subprocess.PIPE, text=True, cwd=REPO)
        first = proc.stdout.readline().strip()  # wait until it is writing
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        got = [first, *out.split()] if first else out.split()
        acknowledged += got
        start += 10_000
        rounds += 1
        with open_book(book_dir, readonly=True) as ro:
            refs = {p.reference for p in ro.book().payments}
            missing = [r for r in acknowledged if r not in refs]
            assert not missing, f"round {rounds}: acknowledged but lost: {missing[:5]}"
            assert ro.check() == []
    assert rounds >= 3 and len(acknowledged) > 20
    with open_book(book_dir, today=TODAY) as rw:  # and it opens for writing again, clean
        assert not list(book_dir.glob(".*.tmp-*"))
        rw.log_activity(Activity("", TODAY, "acme", "email"))


def test_migration_from_a_plain_tinydb_file(book_dir):
    plain = {"_default": {}, "clients": {"1": {"id": "old", "name": "Old Co", "currency": "GBP", "terms_days": 30}}}
    (book_dir / "book.json").write_bytes(orjson.dumps(plain))
    (book_dir / "book.journal").unlink(missing_ok=True)
    with open_book(book_dir, readonly=True) as ro:
        assert ro.book().clients["old"].name == "Old Co"
    with open_book(book_dir, today=TODAY):
        pass
    data = orjson.loads((book_dir / "book.json").read_bytes())
    assert data["meta"]["1"]["schema"] == 1 and "_default" not in data
    assert any("before-schema" in p.name for p in list_backups(book_dir))


def test_daily_backups_rotate_and_restore_is_undoable(book_dir):
    (book_dir / "policy.toml").write_text((REPO / "policy.toml").read_text().replace("keep = 14", "keep = 3"))
    for day in range(1, 7):
        with open_book(book_dir, today=date(2026, 11, day)) as repo:
            repo.add_client(Client(id=f"c{day}", name=f"Client {day}", currency="GBP", terms_days=30))
    names = sorted(p.name for p in list_backups(book_dir))
    assert names == ["book-2026-11-04.json", "book-2026-11-05.json", "book-2026-11-06.json"]
    # the backup of the 4th was taken before that day's change: it holds c1..c3
    safety = restore_backup(book_dir, "book-2026-11-04.json", today=TODAY)
    with open_book(book_dir, readonly=True) as ro:
        assert sorted(ro.book().clients) == ["c1", "c2", "c3"]
    restore_backup(book_dir, safety.name, today=TODAY)
    with open_book(book_dir, readonly=True) as ro:
        assert sorted(ro.book().clients) == [f"c{d}" for d in range(1, 7)]
    with pytest.raises(DunError, match="no backup named"):
        restore_backup(book_dir, "../../etc/passwd")


def test_check_reports_problems_without_changing_anything(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.checkpoint()
    data = orjson.loads((book_dir / "book.json").read_bytes())
    data["invoices"]["99"] = dict(data["invoices"]["1"])  # a duplicate number
    data["payments"] = {"1": {"id": "PAY-1", "date": "2026-10-01", "client": "acme", "amount": "50.00",
                              "currency": "GBP", "allocations": [{"invoice": "INV-404", "amount": "40.00"}]},
                        "2": {"id": "PAY-2", "date": "2026-10-01", "client": "acme", "amount": "50.00",
                              "currency": "GBP", "allocations": [{"invoice": "INV-1", "amount": "60.00"}]}}
    raw = orjson.dumps(data)
    (book_dir / "book.json").write_bytes(raw)
    with open_book(book_dir, readonly=True) as ro:
        problems = [p.line() for p in ro.check()]
    assert any("appears twice" in p for p in problems)
    assert any("INV-404" in p for p in problems)
    assert any("exceed the payment" in p for p in problems)
    assert (book_dir / "book.json").read_bytes() == raw


@pytest.mark.parametrize("table, field, stored, read", [
    ("invoices", "amount", "1e3", "'1000.00'"), ("invoices", "amount", "100.005", "'100.01'"),
    ("clients", "terms_days", "30", "30"), ("clients", "tags", {"a": 1}, "['a']"),
])
def test_check_names_a_value_stored_in_another_form_than_dun_writes(book_dir, table, field, stored, read):
    """A hand-edited book: the reader takes "1e3" as 1000.00, three decimals rounded, "30" days
    as 30; dun check passed such a book as consistent. (Values it cannot take for sure, such
    as 30.5 days or a flag "yes", are refused: test_broken_files.)"""
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.checkpoint()
    data = orjson.loads((book_dir / "book.json").read_bytes())
    data[table]["1"][field] = stored
    raw = orjson.dumps(data)
    (book_dir / "book.json").write_bytes(raw)
    with open_book(book_dir, readonly=True) as ro:
        problems = [p.line() for p in ro.check()]
    assert any(f"{field} is stored as {stored!r}, which dun reads as {read}" in p for p in problems), problems
    assert (book_dir / "book.json").read_bytes() == raw


def test_init_refuses_an_existing_book(book_dir):
    with pytest.raises(DunError, match="already exists"):
        init_book(book_dir)


def test_book_json_is_one_table_per_line_and_each_table_is_checked(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.checkpoint()
    raw = (book_dir / "book.json").read_bytes()
    assert orjson.loads(raw)["invoices"]  # still one JSON document (TinyDB's format)
    lines = raw.split(b"\n")
    assert lines[0].startswith(b'{"meta":') and lines[-2] == b"}" and lines[-1] == b""
    # a NaN token planted inside one table's line is refused when that table is read
    bad = raw.replace(b'"terms_days":30', b'"terms_days":NaN')
    assert bad != raw
    (book_dir / "book.json").write_bytes(bad)
    with open_book(book_dir, readonly=True) as ro, pytest.raises(DunError, match=r"\(clients\): is not valid JSON"):
        ro.clients()
    # damage inside a table that is only read later is refused when it is read
    bad = raw.replace(b'"issued":"2026-09-01"', b'"issued":"2026-09-01",,')
    (book_dir / "book.json").write_bytes(bad)
    with open_book(book_dir, readonly=True) as ro:
        with pytest.raises(DunError, match=r"not valid JSON.*\(invoices\)|\(invoices\).*not valid JSON"):
            ro.book()
    # and a writer validates every table before it takes the day's backup (before the
    # day's first change), so a damaged book never rotates good backups away
    with open_book(book_dir, today=date(2026, 12, 1)) as rw:
        with pytest.raises(DunError, match="not valid JSON"):
            rw.add_client(Client(id="new", name="New", currency="GBP", terms_days=30))
    assert (book_dir / "book.json").read_bytes() == bad
    assert not (book_dir / "backups" / "book-2026-12-01.json").exists()


def test_a_book_written_by_stock_tinydb_layout_still_opens(book_dir):
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.checkpoint()
    data = orjson.loads((book_dir / "book.json").read_bytes())
    (book_dir / "book.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    with open_book(book_dir, readonly=True) as ro:
        assert set(ro.book().invoices) == {"INV-1"}


def test_opening_a_missing_folder_is_one_clear_line(tmp_path):
    for readonly in (True, False):
        with pytest.raises(DunError, match="no book here"):
            open_book(tmp_path / "nowhere", readonly=readonly)
    assert not (tmp_path / "nowhere").exists()


def test_the_loaded_book_after_writes_is_exactly_a_fresh_read(tmp_path):
    """After a commit the repository updates the book it has loaded instead of reading every
    record again; whatever the kind of change, that must equal reading the book afresh."""
    from dataclasses import replace as rep

    from receivables.demo import generate
    from receivables.ledger import derive, propose_allocation
    from receivables.plans import split_installments

    path = tmp_path / "book"
    init_book(path, book=generate(clients=8, invoices=80, seed=5, today=TODAY))
    with open_book(path, today=TODAY) as repo:
        book = repo.book()
        ledger = derive(book, TODAY)
        cid = next(c for c in book.clients if ledger.open_invoices(c))
        st = ledger.open_invoices(cid)[0]
        cur = st.invoice.currency
        assert repo.book() is book  # cached until a write

        repo.update_client(rep(book.clients[cid], name="Renamed & Co", hold=True, hold_reason="test"))
        repo.add_client(Client("zz-new", "New Client", cur, 30))
        repo.add_invoice(Invoice("ZZ-1", "zz-new", TODAY, TODAY, cur, Decimal("120.00")))
        repo.update_invoice(rep(repo.book().invoices["ZZ-1"], reference="PO 7"))
        allocs, _ = propose_allocation(derive(repo.book(), TODAY), cid, cur, Decimal("10.00"), [st.invoice.number])
        repo.record_payment(Payment("", TODAY, cid, Decimal("10.00"), cur, "bank", "ref", allocs))
        repo.log_activity(Activity("", TODAY, cid, "phone", outcome="reached", body="**rang**"))
        repo.add_promise(PromiseToPay("", cid, TODAY, Decimal("5.00"), cur, TODAY))
        d = repo.open_dispute(Dispute("", st.invoice.number, cid, "wrong rate", TODAY))
        repo.resolve_dispute(d.id, TODAY, "agreed")
        plan = repo.add_plan(PaymentPlan("", "zz-new", TODAY, cur, ("ZZ-1",),
                                         split_installments(Decimal("120.00"), cur, 3, TODAY, 30)))
        repo.cancel_plan(plan.id, TODAY)
        after = repo.book()
        assert after is not book and after.clients[cid].name == "Renamed & Co"
        # not read again: the records that did not change are the very same objects
        assert after.activities[0] is book.activities[0] and after.payments[0] is book.payments[0]
    with open_book(path, readonly=True, today=TODAY) as fresh:
        assert fresh.book() == after
        for name in ("clients", "invoices"):
            assert list(getattr(fresh.book(), name)) == list(getattr(after, name))  # same order too


def test_writes_prepared_in_another_thread_lose_nothing(book_dir):
    """The app makes the first write's work (parsing a table, its keys and next id) in a
    worker while the owner may be writing: every record lands once, with its own id."""
    import threading

    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        for k in range(30):
            repo.log_activity(Activity("", TODAY, "acme", "email", outcome="sent", body=f"before {k}"))
    with open_book(book_dir, today=TODAY) as repo:
        assert not repo._keys  # nothing parsed for writing yet
        written = []
        worker = threading.Thread(target=lambda: [repo.prepare_writes() for _ in range(20)])
        worker.start()
        for k in range(40):
            written.append(repo.log_activity(Activity("", TODAY, "acme", "phone", outcome="reached", body=f"w{k}")))
        worker.join()
        repo.prepare_writes()  # again: changes nothing
        assert repo.log_activity(Activity("", TODAY, "acme", "email", outcome="sent")).id == "ACT-000071"
    with open_book(book_dir, readonly=True) as repo:
        acts = repo.book().activities
        assert len(acts) == 71 and len({a.id for a in acts}) == 71
        assert [a.id for a in written] == [f"ACT-{n:06d}" for n in range(31, 71)]
        assert [a.body for a in acts[30:70]] == [f"w{k}" for k in range(40)]
    with open_book(book_dir, readonly=True) as repo:
        repo.prepare_writes()  # a read-only book: nothing to prepare, nothing written
        assert not repo._keys


def test_the_book_tells_which_clients_changed_since_a_mark(book_dir):
    """What a republish from the kept state relies on (publish.fast): the clients each
    change touched, named by a mark that only this book.json and its journal know."""
    from receivables.model import Activity, Client
    from store import open_book

    with open_book(book_dir, today=date(2026, 11, 22)) as repo:
        for cid in ("a", "b", "c"):
            repo.add_client(Client(cid, cid.upper(), "GBP", 30))
        mark = repo.change_mark()
        assert repo.clients_changed_since(mark) == set()
        repo.log_activity(Activity("", date(2026, 11, 22), "b", "phone"))
        assert repo.clients_changed_since(mark) == {"b"}
        later = repo.change_mark()
    with open_book(book_dir, readonly=True) as fresh:  # another process, reading the journal
        assert fresh.change_mark() == later
        assert fresh.clients_changed_since(mark) == {"b"}
        assert fresh.clients_changed_since(later) == set()
        assert fresh.clients_changed_since("not-a-mark") is None
        assert fresh.clients_changed_since(mark[:-4] + "0000") is None
    with open_book(book_dir, today=date(2026, 11, 22)) as repo:
        repo.set_hold("c", True, "x")
        repo.checkpoint()  # book.json rewritten: earlier marks are not known to a new reading
        assert repo.clients_changed_since(mark) == {"b", "c"}  # (this reading still knows them)
    with open_book(book_dir, readonly=True) as fresh:
        assert fresh.clients_changed_since(mark) is None
        assert fresh.clients_changed_since(later) is None
        assert fresh.clients_changed_since(fresh.change_mark()) == set()


def test_one_client_is_read_from_the_kept_copy_and_the_journal_without_parsing_the_tables(tmp_path):
    """What a republish in a new process relies on (store.clientdocs): opening the book parses
    no table the journal touched (each operation says whose document it replaced), and one
    client's records come from the copy kept grouped by client plus the journal since: exactly
    what a whole read gives that client, in the same order, whatever changed (a new client, a
    payment, an invoice moved to another client). Old journal entries and a damaged or
    outdated copy still read right."""
    from dataclasses import replace as rep

    from receivables.demo import generate
    from store import clientdocs
    from store.files import encode_entry, read_journal

    path = tmp_path / "book"
    init_book(path, book=generate(clients=8, invoices=80, seed=5, today=TODAY))
    with open_book(path, readonly=True) as reader:
        assert reader.save_client_docs() and reader.client_docs_usable()
        start = reader.change_mark()
        copy = clientdocs.path_of(reader.cache_id)
    assert not (path / ".cache").exists()  # in the user's cache folder, never the book's
    kept = copy.read_bytes()
    with open_book(path, today=TODAY) as repo:
        book = repo.book()
        a, b = sorted(book.clients)[:2]
        cur = book.clients[a].currency
        repo.add_client(Client("zz-new", "New & Co", cur, 30))
        repo.add_invoice(Invoice("ZZ-1", a, TODAY, TODAY, cur, Decimal("50.00")))
        repo.update_invoice(rep(repo.book().invoices["ZZ-1"], client=b))  # moved: a loses it, b gains it
        repo.add_invoice(Invoice("ZZ-2", "zz-new", TODAY, TODAY, cur, Decimal("70.00")))
        repo.record_payment(Payment("", TODAY, "zz-new", Decimal("20.00"), cur, "bank", "r1",
                                    (Allocation("ZZ-2", Decimal("20.00")),)))
        repo.log_activity(Activity("", TODAY, a, "phone", outcome="reached", body="rang"))
        repo.set_hold(b, True, "check")

    def check(expect_copy: bool, changed: bool = True, lazy: bool = True) -> None:
        with open_book(path, readonly=True) as whole:
            full = whole.book()
        with open_book(path, readonly=True) as fresh:
            assert (set(fresh._tables.parsed) == {"meta"}) is lazy  # the journal's documents wait, unparsed
            assert fresh.clients_changed_since(start) == ({a, b, "zz-new"} if changed else set())
            assert fresh.client_docs_usable() is expect_copy
            for cid in [*full.clients, "no-such-client"]:
                one = fresh.client_book(cid)
                assert one == full.only(cid), cid
                for name in ("invoices", "payments", "activities"):
                    got = getattr(one, name)
                    assert list(got) == list(getattr(full.only(cid), name))  # same order
            if expect_copy and lazy:
                assert set(fresh._tables.parsed) == {"meta"}  # read from the copy, not the tables
        assert "ZZ-1" in full.only(b).invoices and "ZZ-1" not in full.only(a).invoices

    check(True)
    copy.write_bytes(kept[: len(kept) // 2])  # damaged: the tables are read instead
    check(False)
    copy.write_bytes(kept)
    # a journal written before operations said whose document they replaced
    journal = path / "book.journal"
    entries = read_journal(journal.read_bytes(), "j").entries
    journal.write_bytes(b"".join(encode_entry(e["seq"], [op[:4] for op in e["ops"]]) for e in entries))
    check(True, lazy=False)
    with open_book(path, today=TODAY) as repo:  # the pending documents reach the rewritten book.json
        repo.checkpoint()
    with open_book(path, readonly=True) as reader:
        start = reader.change_mark()
    check(False, changed=False)  # book.json rewritten: the copy's mark is not known to a new reading
    with open_book(path, readonly=True) as reader:
        assert reader.save_client_docs() and reader.client_docs_usable()
    check(True, changed=False)


def test_the_kept_copy_of_each_clients_records_is_not_taken_for_a_book_json_edited_in_place(tmp_path):
    """The kept copy was named by book.json's inode, size and mtime: an edit of the same size,
    with the file's mtime put back, had one client's records read from the copy (the old
    amount) while a whole read gave the new one."""
    import os

    path = tmp_path / "book"
    init_book(path)
    with open_book(path, today=TODAY) as repo:
        add_acme(repo)
        repo.add_invoice(Invoice("A-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("100.00")))
        repo.checkpoint()
    with open_book(path, readonly=True) as reader:
        assert reader.save_client_docs() and reader.client_docs_usable()
    book = path / "book.json"
    st = book.stat()
    raw = book.read_bytes()
    with open(book, "r+b") as f:  # in place: the same inode, the same size
        f.write(raw.replace(b'"100.00"', b'"900.00"'))
    os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (book.stat().st_ino, book.stat().st_size, book.stat().st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    with open_book(path, readonly=True) as fresh:
        assert not fresh.client_docs_usable()
        assert fresh.client_book("acme").invoices["A-1"].amount == Decimal("900.00")


def test_an_invoice_has_one_open_dispute_by_every_way_in(repo, book_dir):
    """A second open dispute on an invoice was refused by ``open_dispute`` only: a commit of a
    dispute with its activity (the app's outcome), and an update reopening a resolved one, went
    through, and the invoice was then reviewed twice. The rule is now the domain's."""
    add_acme(repo)
    first = repo.open_dispute(Dispute("", "INV-1", "", "wrong rate", TODAY))
    before = files(book_dir)
    second = Dispute("", "INV-1", "acme", "again", TODAY)
    note = Activity("", TODAY, "acme", "phone", invoices=("INV-1",), outcome="disputed")
    for attempt in (lambda: repo.open_dispute(second), lambda: repo.commit([second, note])):
        with pytest.raises(DunError, match=f"already has an open dispute \\({first.id}\\)"):
            attempt()
        assert files(book_dir) == before
    closed = repo.resolve_dispute(first.id, TODAY, "credited")
    other = repo.open_dispute(Dispute("", "INV-1", "", "a new complaint", TODAY))
    before = files(book_dir)
    with pytest.raises(DunError, match="already has an open dispute"):
        repo.commit([], updates=[replace(closed, resolved=None, resolution="")])
    assert files(book_dir) == before
    assert [d.id for d in repo.book().disputes if d.resolved is None] == [other.id]


def test_a_field_too_long_is_refused_with_a_hint_that_fits_a_form(repo):
    """The app's invoice form refused a 600-character reference with "correct the record or
    restore a backup", a hint meant for a hand-edited book."""
    add_acme(repo)
    inv = Invoice("INV-2", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("1.00"), reference="R" * 600)
    with pytest.raises(DunError) as e:
        repo.add_invoice(inv)
    assert "reference is 600 characters long (at most 500)" in str(e.value)
    assert "shorten it" in str(e.value) and "backup" not in str(e.value)
    with pytest.raises(DunError) as e:
        repo.add_invoice(replace(inv, reference="PO\x007"))
    assert "NUL" in str(e.value) and "backup" not in str(e.value)


@pytest.mark.parametrize("damage", [(b'"clients":{', b'"clients":{},"clients":{'), (b'"activities":{', b'"activities":['),
                                    (b'"invoices":{', b'"invoices":{"x":"\\ud800",')])
def test_a_checkpoint_of_a_damaged_table_is_refused_and_leaves_the_file(book_dir, capsys, damage):
    """dun checkpoint passed a table it had not read back as it was, under a new meta, and said
    "book.json holds every saved change", while every other command refused the book."""
    from cli.main import main

    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.log_activity(Activity("", TODAY, "acme", "phone", body="rang"))
        repo.checkpoint()
    raw = (book_dir / "book.json").read_bytes()
    assert damage[0] in raw
    bad = raw.replace(*damage, 1)
    (book_dir / "book.json").write_bytes(bad)
    code = main(["--book", str(book_dir), "checkpoint"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err and "holds every saved change" not in err
    assert (book_dir / "book.json").read_bytes() == bad


@pytest.mark.parametrize("client", [5, "ghost"])
def test_a_record_of_no_client_in_the_book_is_named_not_left_out_of_the_figures(book_dir, capsys, client):
    """A hand-edited invoice whose client is 5 (or a client not in the book) dropped out of the
    report: GBP owed fell and the command said nothing. Now the commands that work the figures
    out refuse in one line, and dun check names the record."""
    from cli.main import main

    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.add_invoice(Invoice("INV-2", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("50.00")))
        repo.checkpoint()
    data = orjson.loads((book_dir / "book.json").read_bytes())
    doc = next(d for d in data["invoices"].values() if d["number"] == "INV-2")
    doc["client"] = client
    (book_dir / "book.json").write_bytes(orjson.dumps(data))
    for argv in (["agenda"], ["report", "--json"], ["client", "show", "acme"]):
        code = main(["--book", str(book_dir), "--on", TODAY.isoformat(), *argv])
        out, err = capsys.readouterr()
        if argv[0] == "client":  # (one client's own records: INV-2 is not among them)
            continue
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
        assert f"invoice INV-2 belongs to client {client!r}, which is not in the book" in err
        assert "dun check" in err
    code = main(["--book", str(book_dir), "check"])
    out, err = capsys.readouterr()
    assert code == 1 and "INV-2" in out + err


def test_check_names_a_hand_edited_activity_as_an_activity(book_dir):
    """It said "activitie 'ACT-000001'": the singular was the table's name less its last letter."""
    from receivables.model import Activity

    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.log_activity(Activity("", TODAY, "acme", "phone", body="called"))
        repo.checkpoint()
    data = orjson.loads((book_dir / "book.json").read_bytes())
    data["activities"]["1"]["invoices"] = "INV-1"
    (book_dir / "book.json").write_bytes(orjson.dumps(data))
    with open_book(book_dir, readonly=True) as ro:
        problems = [p.line() for p in ro.check()]
    assert any("activity 'ACT-" in p for p in problems) and not any("activitie '" in p for p in problems), problems


def test_a_batch_checks_each_record_against_the_batchs_earlier_ones_without_a_scope_per_invoice(book_dir, monkeypatch):
    """An import checked its records against a copy of the client's invoices made anew for
    each invoice: 30,000 invoices for one client took 41 s. The new invoices are gathered
    and put in the client's scope only when a later record is checked against it."""
    import store.writes as writes
    from receivables.model import Allocation, Payment

    built = []
    real = writes.replace
    monkeypatch.setattr(writes, "replace", lambda *a, **k: built.append(1) or real(*a, **k))
    invs = [Invoice(f"B-{i}", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("10.00")) for i in range(300)]
    with open_book(book_dir, today=TODAY) as repo:
        add_acme(repo)
        repo.commit(invs)
        assert len(built) <= 2
        # a payment in the same batch is checked against the batch's invoices
        more = [Invoice("C-1", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("10.00")),
                Payment("", date(2026, 10, 2), "acme", Decimal("10.00"), "GBP", allocations=(Allocation("C-1", Decimal("10.00")),))]
        repo.commit(more)
        with pytest.raises(DunError, match="exceed|more than"):
            repo.commit([Invoice("C-2", "acme", date(2026, 9, 1), date(2026, 10, 1), "GBP", Decimal("10.00")),
                         Payment("", date(2026, 10, 2), "acme", Decimal("20.00"), "GBP",
                                 allocations=(Allocation("C-2", Decimal("20.00")),))])
        assert not repo.has_invoice("C-2")


def test_a_record_of_no_client_is_named_in_the_singular():
    """The one-line refusal said "activitie ACT-1 belongs to client …" (the table less its last letter)."""
    from receivables.engine.book import group_by_client
    from receivables.model import Activity, Book

    book = Book(clients={}, activities=(Activity("ACT-1", TODAY, "ghost", "phone", body="x"),))
    with pytest.raises(DunError, match=r"(^|: )activity ACT-1 belongs to client .ghost."):
        group_by_client(book)
