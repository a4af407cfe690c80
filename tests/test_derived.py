"""The derived state (derived/): what is read through it equals a derivation from scratch.

An entry is reused only when its key (book id, policy, code version, date) matches and its
revision equals the client's revision in the store; anything else is derived again. These
tests change a real book on disk in every way the owner can (pay, note, promise, dispute,
plan, import, restore, policy edit, a new day, a hand-copied or hand-edited book.json) and
compare the state read through the layer, in memory and from its file, with a fresh
derivation of the book as it is.
"""
from __future__ import annotations

import re
import zlib
import shutil
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import derived
from derived import state as derived_state
from receivables.demo import generate
from receivables.engine import derive_client, fold, group_by_client
from receivables.ledger import derive, propose_allocation
from receivables.model import Activity, Dispute, Installment, Invoice, Payment, PaymentPlan, PromiseToPay
from receivables.policy import read_policy
from store import init_book, open_book, restore_backup
from tests.conftest import REPO

ON = date(2026, 11, 22)
POLICY = read_policy(REPO / "policy.toml")


def make(path, clients=8, invoices=120, seed=5):
    init_book(path, book=generate(clients=clients, invoices=invoices, seed=seed, today=ON, policy=POLICY))
    return path


def scratch(path, on):
    """The book's day derived from scratch from a fresh read of the book."""
    with open_book(path, readonly=True) as repo:
        book, policy = repo.book(), repo.policy()
    return fold({cid: derive_client(g, policy, on, cid) for cid, g in group_by_client(book).items()}, on)


def through(path, on, previous=None):
    with open_book(path, readonly=True) as repo:
        return derived.current(repo, repo.policy(), on, previous)


def assert_current(path, on, previous=None):
    got = through(path, on, previous)
    want = scratch(path, on)
    assert got.days == dict(want.clients)
    assert got.book_day == want
    return got


def open_invoice(path, on):
    with open_book(path, readonly=True) as repo:
        book = repo.book()
    ledger = derive(book, on)
    for cid in sorted(book.clients):
        found = ledger.open_invoices(cid)
        if found:
            return cid, found[0], ledger
    raise AssertionError("no open invoice")


def test_cached_equals_uncached_and_a_second_reading_derives_nothing(tmp_path):
    book = make(tmp_path / "b")
    first = assert_current(book, ON)
    assert first.worked_out == set(first.days)  # a first reading works every client out
    files = list(derived.cache_root().rglob("day-*.json"))
    assert len(files) == 1 and files[0].parent.name == first.key.book_id
    assert not any(p.suffix in (".pickle", ".pkl") for p in book.rglob("*"))
    again = assert_current(book, ON)  # a new process: from the file
    assert again.worked_out == frozenset()
    assert assert_current(book, ON, again).worked_out == frozenset()  # in memory


def test_after_a_change_only_the_touched_client_is_worked_out_again(tmp_path):
    book = make(tmp_path / "b")
    before = assert_current(book, ON)
    cid, st_, ledger = open_invoice(book, ON)
    allocs, _ = propose_allocation(ledger, cid, st_.invoice.currency, st_.outstanding, [st_.number])
    with open_book(book, today=ON) as repo:
        repo.record_payment(Payment("", ON, cid, st_.outstanding, st_.invoice.currency, "bank", "t", allocs))
    after = assert_current(book, ON, before)
    assert after.worked_out == {cid}
    assert after.days[cid] != before.days[cid]
    assert all(after.days[c] is before.days[c] for c in after.days if c != cid)
    assert assert_current(book, ON).worked_out == frozenset()  # the file was brought up to date


def _lines(path):
    """The file's header (parsed) and its other lines (bytes)."""
    head, *rest = path.read_bytes().split(b"\n")
    return orjson.loads(head), rest


def _rewrite(path, head, rest, fix_checksum=True):
    body = b"\n".join(rest)
    if fix_checksum:
        head = {**head, "crc": zlib.crc32(body), "size": len(body)}
    path.write_bytes(orjson.dumps(head) + b"\n" + body)


@pytest.mark.parametrize("damage", ["truncated", "not json", "edited", "crafted entry", "crafted agenda",
                                    "crafted contexts", "crafted report", "other book", "wrong revision"])
def test_a_damaged_or_foreign_file_counts_as_empty(tmp_path, damage):
    book = make(tmp_path / "b", clients=5, invoices=60)
    first = through(book, ON)
    path = derived_state.path_of(first.key)
    raw = path.read_bytes()
    head, rest = _lines(path)
    cid, _rev = head["clients"][0]
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "not json":
        path.write_bytes(b"\x80\x04\x95 pickle-like bytes")
    elif damage == "edited":  # a balance changed by hand: the checksum no longer matches
        path.write_bytes(raw.replace(b'{"$d":"', b'{"$d":"9', 1))
    elif damage == "crafted entry":  # a record type that is not ours, with a checksum that matches
        rest[3] = orjson.dumps({"@": "os.system", "f": ["echo pwned"]})
        _rewrite(path, head, rest)
    elif damage == "crafted agenda":  # the fold's lines: agenda, contexts, report
        rest[0] = orjson.dumps([{"@": "Report", "f": [1, 2]}])
        _rewrite(path, head, rest)
    elif damage == "crafted contexts":  # well-formed, one context short of the agenda
        rest[1] = orjson.dumps(orjson.loads(rest[1])[1:])
        _rewrite(path, head, rest)
    elif damage == "crafted report":
        rest[2] = orjson.dumps({"@": "Report", "f": [1, 2]})
        _rewrite(path, head, rest)
    elif damage == "other book":
        _rewrite(path, {**head, "book": "someone-else"}, rest)
    else:
        head["clients"][0][1] = "1-00000000"
        _rewrite(path, head, rest)
    got = assert_current(book, ON)
    if damage == "wrong revision":
        assert got.worked_out == {cid}
    elif damage.startswith("crafted"):
        assert got.worked_out == frozenset()  # the entry (or the fold) is made again when asked for
    else:
        assert got.worked_out == set(got.days)


def test_the_files_fold_is_used_only_for_exactly_its_clients_and_entries_stay_undecoded(tmp_path):
    book = make(tmp_path / "b", clients=5, invoices=60)
    first = through(book, ON)
    again = through(book, ON)
    assert again.worked_out == frozenset() and again.days.decoded() == 0  # agenda and report from the fold alone
    assert again.fold.decoded() == 0  # each part of the fold is decoded when asked for
    assert again.agenda == first.agenda and again.fold.decoded() == 1
    assert again.report == first.report and again.fold.decoded() == 2
    assert again.book_day.contexts == first.book_day.contexts
    cid = next(iter(again.days))
    assert again.days[cid] == first.days[cid] and again.days.decoded() == 1


@pytest.mark.parametrize("part", [1, 2, 3])
def test_a_fold_part_that_does_not_decode_when_asked_for_is_folded_again(tmp_path, part):
    """The app shows the agenda from the file with the contexts and the report still lines;
    when one of them turns out not to decode, the whole fold is made again from the days (the
    agenda too), equal to a derivation from scratch."""
    book = make(tmp_path / "b", clients=6, invoices=80)
    first = through(book, ON)
    path = derived_state.path_of(first.key)
    head, rest = _lines(path)
    rest[part] = {1: b'[{"$d":"NaN"}]', 2: b'{"@":"Report","f":[1,2]}', 3: b'{"@":"Totals","f":[1]}'}[part]
    _rewrite(path, head, rest)
    with open_book(book, readonly=True) as repo:
        got = derived.kept(repo, repo.policy(), ON)
    assert got is not None and got.agenda == first.agenda and got.fold.decoded() == 1
    assert {1: got.fold.contexts, 2: got.report, 3: got.fold.totals}[part] is not None
    assert got.fold.decoded() == 4 and got.days.decoded() == len(got.days)  # folded again from every day
    want = scratch(book, ON)
    assert got.book_day == want and got.worked_out == frozenset()


def test_a_new_day_an_edited_policy_and_a_hand_edited_book_are_worked_out_again(tmp_path):
    book = make(tmp_path / "b", clients=5, invoices=60)
    first = assert_current(book, ON)
    assert assert_current(book, ON + timedelta(days=1), first).worked_out == set(first.days)
    policy_file = book / "policy.toml"
    policy_file.write_text(policy_file.read_text().replace("promise_grace_days = 3", "promise_grace_days = 9"))
    assert assert_current(book, ON, first).worked_out == set(first.days)
    again = through(book, ON)
    with open_book(book, today=ON) as repo:
        repo.checkpoint()
    raw = (book / "book.json").read_bytes()
    edited = re.sub(rb'"amount":"(\d+)\.', lambda m: b'"amount":"' + str(int(m.group(1)) + 7).encode() + b".", raw,
                    count=1)
    assert edited != raw
    (book / "book.json").write_bytes(edited)
    assert assert_current(book, ON, again).worked_out == set(again.days)


def test_a_restored_backup_reads_as_the_book_it_restores(tmp_path):
    book = make(tmp_path / "b", clients=5, invoices=60)
    first = assert_current(book, ON)
    cid = sorted(first.days)[0]
    with open_book(book, today=ON) as repo:  # the day's first change takes the day's backup
        repo.log_activity(Activity("", ON, cid, "phone", body="called"))
    assert assert_current(book, ON).worked_out == {cid}
    restore_backup(book, f"book-{ON.isoformat()}.json", today=ON)
    assert_current(book, ON)


# -- random sequences of changes -----------------------------------------------------------------

OPS = st.sampled_from(["pay", "void", "note", "promise", "dispute", "plan", "import", "policy", "day", "snapshot",
                       "copy back", "new process"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(OPS, st.integers(0, 7)), min_size=1, max_size=8))
@example(ops=[("dispute", 1), ("day", 0), ("dispute", 1)])  # a dispute opened after the new date is still open
@example(ops=[("pay", 2), ("void", 2), ("snapshot", 0), ("void", 2), ("new process", 0)])
@example(ops=[("promise", 1), ("void", 1), ("day", 5), ("void", 3)])
def test_any_sequence_of_changes_reads_as_a_derivation_from_scratch(tmp_path_factory, ops):
    book = make(tmp_path_factory.mktemp("prop") / "b", clients=6, invoices=70, seed=9)
    on = ON
    state = through(book, on)
    snapshot = None
    for step, (op, k) in enumerate(ops):
        with open_book(book, readonly=True) as ro:
            clients = sorted(ro.clients())
        cid = clients[k % len(clients)]
        ledger = None
        in_dispute: set[str] = set()  # open disputes whatever the date (a 'day' op may go back before one)
        if op in ("pay", "promise", "dispute", "plan"):
            with open_book(book, readonly=True) as ro:
                ledger = derive(ro.book(), on)
                in_dispute = {d.invoice for d in ro.book().disputes if d.resolved is None}
        open_ = ledger.open_invoices(cid) if ledger is not None else []
        with open_book(book, today=on) as repo:
            if op == "pay" and open_:
                s = open_[0]
                amount = min(s.outstanding, D("75.00"))
                allocs, _ = propose_allocation(ledger, cid, s.invoice.currency, amount, [s.number])
                repo.record_payment(Payment("", on, cid, amount, s.invoice.currency, "bank", "p", allocs))
            elif op == "void":  # the client's latest payment (or, k odd, promise) made by then, voided
                mine = repo.client_book(cid)
                recs = [p for p in mine.payments if p.date <= on] if k % 2 == 0 else \
                    [p for p in mine.promises if p.made <= on]
                if recs:
                    repo.void(recs[-1].id, on, f"void {k}")
            elif op == "note":
                repo.log_activity(Activity("", on, cid, "phone", body=f"note {k}"))
            elif op == "promise" and open_:
                repo.add_promise(PromiseToPay("", cid, on, D("50.00"), open_[0].invoice.currency,
                                              on + timedelta(days=k + 1), (open_[0].number,)))
            elif op == "dispute" and open_ and open_[-1].number not in in_dispute:
                repo.open_dispute(Dispute("", open_[-1].number, cid, "wrong goods", on))
            elif op == "plan" and open_:
                s = open_[0]
                half = (s.outstanding / 2).quantize(D("0.01"))
                try:
                    repo.add_plan(PaymentPlan("", cid, on, s.invoice.currency, (s.number,), (
                        Installment(on + timedelta(days=14), half),
                        Installment(on + timedelta(days=28), s.outstanding - half))))
                except Exception:  # a plan the book refuses (one is active already): nothing changed
                    pass
            elif op == "import":
                client = repo.clients()[cid]
                repo.commit([Invoice(f"IMP-{step}-{on.toordinal()}", cid,
                                     on - timedelta(days=40 + k), on - timedelta(days=10), client.currency,
                                     D("321.00"))])
            elif op == "snapshot":
                repo.checkpoint()
                snapshot = (book / "book.json").read_bytes()
        if op == "policy":
            p = book / "policy.toml"
            p.write_text(re.sub(r"min_gap_days = \d+", f"min_gap_days = {k + 2}", p.read_text()))
        elif op == "day":
            on = on + timedelta(days=k - 3)
        elif op == "copy back" and snapshot is not None:
            (book / "book.json").write_bytes(snapshot)
            (book / "book.journal").write_bytes(b"")
        state = assert_current(book, on, None if op == "new process" else state)


def test_a_copied_book_folder_keeps_its_own_cache_entries_apart(tmp_path):
    """Two copies of one book share an id, but each folder has its derived state to itself:
    a change made in each to the same client, and neither reads the other's entry."""
    book = make(tmp_path / "a", clients=4, invoices=40)
    assert_current(book, ON)
    other = tmp_path / "b"
    shutil.copytree(book, other)
    (other / ".lock").unlink(missing_ok=True)
    cid = sorted(through(book, ON).days)[0]
    with open_book(book, today=ON) as repo:
        repo.set_hold(cid, True, "disputed contract")
    assert_current(book, ON)
    with open_book(other, today=ON) as repo:
        repo.log_activity(Activity("", ON, cid, "phone", body="left a voicemail"))
    got = assert_current(other, ON)
    assert got.worked_out == set(got.days) and not got.days[cid].status.hold  # (its own, from its records)
    with open_book(other, today=ON) as repo:
        repo.log_activity(Activity("", ON, cid, "phone", body="reached Ann"))
    assert assert_current(other, ON, got).worked_out == {cid}
    assert replace(got.key, on=ON) == got.key


def test_a_copy_edited_by_hand_with_its_revisions_kept_never_hands_its_days_to_the_owners_book(tmp_path):
    """A received copy of the owner's book (same id), an amount changed in book.json and its
    meta's digest made again, every revision kept: its days, worked out first, were read by the
    owner's own book for the same day (86,443.62 owed where the book says 1,351.00)."""
    from store.bookfile import dump_book

    book = make(tmp_path / "a", clients=4, invoices=40)
    other = tmp_path / "b"
    shutil.copytree(book, other)
    (other / ".lock").unlink(missing_ok=True)
    data = orjson.loads((other / "book.json").read_bytes())
    inv = next(iter(data["invoices"].values()))
    inv["amount"] = "88888.00"
    (other / "book.json").write_bytes(dump_book(data))
    with open_book(other, readonly=True) as forged, open_book(book, readonly=True) as own:
        assert forged.book_id == own.book_id and forged.client_revisions() == own.client_revisions()
        assert forged.book().invoices[inv["number"]].amount == D("88888.00")
    later = ON + timedelta(days=3)
    through(other, later)  # the copy's day, worked out first
    got = assert_current(book, later)
    assert got.worked_out == set(got.days)


def test_drafts_from_the_kept_days_equal_drafts_from_the_book(tmp_path):
    """dun agenda --json and the app's preview draft from the message contexts kept with each
    client's day (read back from the file); the same drafts as from the whole book."""
    from publish.messages import draft_for_action, draft_from_day

    book = make(tmp_path / "b", clients=8, invoices=160, seed=3)
    policy_file = book / "policy.toml"  # interest charged: the contexts carry interest and compensation
    policy_file.write_text(policy_file.read_text().replace("charge = false", "charge = true"))
    through(book, ON)
    again = through(book, ON)
    assert again.worked_out == frozenset() and again.agenda
    with open_book(book, readonly=True) as repo:
        whole, policy, clients = repo.book(), repo.policy(), repo.clients()
    charged = 0
    for k, a in enumerate(again.agenda):
        day = again.days[a.client]
        assert again.context_of(k) == day.context_of(a)
        kept = draft_from_day(a, day, clients[a.client], policy, ON)
        assert kept == draft_for_action(a, whole, policy, ON)
        charged += "compensation" in kept.text.lower()
    assert charged  # (the interest and compensation lines were drafted from the kept contexts)


def test_after_a_change_the_other_clients_lines_are_written_back_as_they_were_read(tmp_path, monkeypatch):
    """A new process that reads the file and writes it back after one client changed decodes
    and encodes that client's entry alone (the file's fold is folded again with that client's
    old and new parts); the file equals one made from scratch."""
    book = make(tmp_path / "b")
    through(book, ON)
    cid, st_, ledger = open_invoice(book, ON)
    allocs, _ = propose_allocation(ledger, cid, st_.invoice.currency, st_.outstanding, [st_.number])
    with open_book(book, today=ON) as repo:
        repo.record_payment(Payment("", ON, cid, st_.outstanding, st_.invoice.currency, "bank", "t", allocs))
    encoded = []
    real = derived_state.codec.encode
    with monkeypatch.context() as m:
        m.setattr(derived_state.codec, "encode", lambda v: (encoded.append(type(v).__name__), real(v))[1])
        after = through(book, ON)
    assert after.worked_out == {cid} and after.days.decoded() == 1  # the others are still the file's lines
    assert encoded.count("ClientDay") == 1
    path = derived_state.path_of(after.key)
    incremental = path.read_bytes()
    path.unlink()
    through(book, ON)
    assert path.read_bytes() == incremental


def _pay_one(book):
    cid, st_, ledger = open_invoice(book, ON)
    allocs, _ = propose_allocation(ledger, cid, st_.invoice.currency, st_.outstanding, [st_.number])
    with open_book(book, today=ON) as repo:
        repo.record_payment(Payment("", ON, cid, st_.outstanding, st_.invoice.currency, "bank", "t", allocs))
    return cid


def test_after_a_change_the_other_clients_contexts_move_without_being_decoded(tmp_path, monkeypatch):
    """Folding a changed client into the file's fold keeps every other action's message
    context as its JSON text (decoded only when asked for); the contexts then equal a
    derivation from scratch, and so does the file written back."""
    book = make(tmp_path / "b")
    through(book, ON)
    cid = _pay_one(book)
    decoded = []
    real = derived_state.codec.decode
    with monkeypatch.context() as m:
        m.setattr(derived_state.codec, "decode", lambda v: (decoded.append(v), real(v))[1])
        after = through(book, ON)
    texts = after.fold.context_texts()
    others = [c for a, c in zip(after.agenda, texts) if a.client != cid]
    assert others and all(c is None or type(c) is str for c in others)
    assert not any(isinstance(v, dict) and "invoices" in v for v in decoded)  # no context was decoded
    want = scratch(book, ON)
    assert after.book_day == want  # (every context decoded now)
    path = derived_state.path_of(after.key)
    incremental = path.read_bytes()
    path.unlink()
    through(book, ON)
    assert path.read_bytes() == incremental


def test_a_context_text_that_does_not_decode_after_a_change_makes_the_fold_again(tmp_path):
    book = make(tmp_path / "b", clients=6, invoices=80)
    first = through(book, ON)
    path = derived_state.path_of(first.key)
    head, rest = _lines(path)
    texts = orjson.loads(rest[1])
    k = next(i for i, t in enumerate(texts) if t is not None)
    texts[k] = '{"$d":"NaN"}'  # a context that is not one, in a file whose checksum matches
    rest[1] = orjson.dumps(texts)
    _rewrite(path, head, rest)
    _pay_one(book)
    got = through(book, ON)
    assert got.book_day == scratch(book, ON)


def test_what_is_due_comes_first_and_equals_the_days_worked_out_after_it(tmp_path, monkeypatch):
    """A first reading of many clients (the app's cold start, a new day) hands what is due to
    ``early`` before the rest of every day is worked out: the same agenda, contexts and
    drafts as the state it then returns (and as a derivation from scratch); a reading with
    valid entries, or of few clients, does not call it."""
    from publish.messages import draft_from_day

    import receivables.engine.client as engine_client

    monkeypatch.setattr(derived_state, "FEW_CLIENTS", 3)
    book = make(tmp_path / "b", clients=8, invoices=160, seed=3)
    seen = []
    contexts_made = []
    made = engine_client.action_context
    monkeypatch.setattr(engine_client, "action_context", lambda *a: contexts_made.append(1) or made(*a))

    def early(due):
        seen.append(due)
        # nothing of any client's report share is worked out yet, nor any message's context
        # (the queue is drawn first; a draft asks for its own)
        assert not hasattr(due.days[next(iter(due.days))], "part")
        assert not contexts_made

    with open_book(book, readonly=True) as repo:
        policy, clients = repo.policy(), repo.clients()
        got = derived.current(repo, policy, ON, early=early)
    want = scratch(book, ON)
    assert len(seen) == 1 and got.book_day == want
    due = seen[0]
    assert due.agenda == want.agenda and due.agenda
    assert tuple(due.days[a.client].context_of(a) for a in due.agenda) == want.contexts
    for a in due.agenda:
        assert due.days[a.client].actions == want.clients[a.client].actions
        assert draft_from_day(a, due.days[a.client], clients[a.client], policy, ON) == \
            draft_from_day(a, want.clients[a.client], clients[a.client], policy, ON)
    with open_book(book, readonly=True) as repo:  # from the file: nothing to work out first
        assert derived.current(repo, repo.policy(), ON, early=early).worked_out == frozenset()
    monkeypatch.setattr(derived_state, "FEW_CLIENTS", 40)
    with open_book(book, readonly=True) as repo:  # few clients: each derived on its own
        derived.current(repo, repo.policy(), ON + timedelta(days=1), early=early)
    assert len(seen) == 1


def test_a_clients_message_contexts_asked_from_two_threads_are_worked_out_once():
    """The app's screen asks for a draft's context while its worker finishes the same client's
    day: both get the same contexts, worked out once."""
    import threading

    from publish.sample import sample_book
    from receivables.engine.client import begin_client, start_client

    book = sample_book(ON)
    policy = POLICY
    cid = next(c for c in book.clients if start_client(book.only(c), policy, ON, c)[1].actions)
    pending = begin_client(book.only(cid), policy, ON, cid)
    got = []
    threads = [threading.Thread(target=lambda: got.append(pending.contexts)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(g is got[0] for g in got)
    assert got[0] == start_client(book.only(cid), policy, ON, cid)[1].contexts
    assert pending.context_of(pending.actions[0]) == got[0][0]
