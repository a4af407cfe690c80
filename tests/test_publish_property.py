"""Property: whatever happened since the last build (changes to the book, a policy edit, a new
day, a hand-copied book.json, a damaged or edited site, a ``--no-pdf`` build), an incremental
``dun publish`` makes exactly the site ``dun publish --full`` makes: every file, byte for byte
(the manifest too). Small books and few examples: the suite runs on a busy two-core machine."""
from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from publish.digests import content
from publish.site import MANIFEST, publish
from receivables import demo
from receivables.errors import DunError
from receivables.ledger import derive
from receivables.model import Activity, Allocation, Dispute, Invoice, Payment, PromiseToPay
from store import init_book, open_book

ON = date(2026, 11, 23)
BOOK = demo.generate(clients=6, invoices=50, seed=5, today=ON)

CHANGES = ("pay", "void", "note", "promise", "dispute", "invoice", "policy", "date", "hand-copied")
DAMAGE_TARGETS = ("statement", "statement-pdf", "payments.csv", "open-items.csv", "report.html", "report-part",
                  "page-numbers", "manifest", "forged")
DAMAGES = ("delete", "truncate", "edit")


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _open_items(repo, on: date):
    ledger = derive(repo.book(), on)
    return [st for cid in sorted(repo.clients()) for st in ledger.open_invoices(cid)]


def _change(book_dir: Path, on: date, what: str, k: int) -> date:
    """Make the change ``what`` (``k`` picks whom); the date the next build is for."""
    if what == "date":
        return on + timedelta(days=1 + k % 3)
    if what == "policy":
        p = book_dir / "policy.toml"
        text = p.read_text("utf-8")
        p.write_text(text.replace("internal_notes = false", "internal_notes = true") if "internal_notes = false" in text
                     else text.replace("internal_notes = true", "internal_notes = false"), "utf-8")
        return on
    if what == "hand-copied":  # the book as it was first made, copied over by hand
        with open_book(book_dir) as repo:
            repo.checkpoint()
        shutil.copyfile(book_dir.parent / "first-book.json", book_dir / "book.json")
        return on
    with open_book(book_dir, today=on) as repo:
        items = _open_items(repo, on)
        cids = sorted(repo.clients())
        cid = cids[k % len(cids)]
        cur = repo.clients()[cid].currency
        try:
            if what == "pay" and items:
                s = items[k % len(items)]
                amount = min(s.outstanding, Decimal("40.00"))
                repo.record_payment(Payment("", on, s.invoice.client, amount, s.invoice.currency, "bank", f"p{k}",
                                            (Allocation(s.number, amount),)))
            elif what == "void":  # a payment (or, k odd, a promise) recorded by mistake
                mine = repo.client_book(cid)
                recs = [p for p in mine.payments if p.date <= on] if k % 2 == 0 else \
                    [p for p in mine.promises if p.made <= on]
                if recs:
                    repo.void(recs[-1].id, on, f"<i>void</i> {k}")
            elif what == "note":
                repo.log_activity(Activity("", on, cid, "phone", body=f"=called back {k}\nsaid \"soon\"",
                                           outcome="reached", internal=k % 2 == 0))
            elif what == "promise" and items:
                s = items[k % len(items)]
                repo.add_promise(PromiseToPay("", s.invoice.client, on, min(s.outstanding, Decimal("25.00")),
                                              s.invoice.currency, on + timedelta(days=7), (s.number,)))
            elif what == "dispute" and items:
                s = items[k % len(items)]
                repo.open_dispute(Dispute("", s.number, s.invoice.client, "<b>wrong</b> amount", on))
            elif what == "invoice":
                repo.add_invoice(Invoice(f"INV-P{k}-{len(items)}", cid, on - timedelta(days=40),
                                         on - timedelta(days=10), cur, Decimal("120.00"), reference=f"+ref {k}"))
        except DunError:
            pass  # e.g. that invoice is disputed already: no change
    return on


def _damage(site: Path, target: str, how: str, k: int) -> None:
    """Damage one file of the site (as a careless hand or a hostile one would)."""
    import orjson

    files = sorted(p for p in site.rglob("*") if p.is_file())
    pick = {
        "statement": [p for p in files if p.parent.name == "clients" and p.suffix == ".html"],
        "statement-pdf": [p for p in files if p.parent.name == "clients" and p.suffix == ".pdf"],
        "payments.csv": [site / "data" / "payments.csv"],
        "open-items.csv": [site / "data" / "open-items.csv"],
        "report.html": [site / "report.html"],  # its inline charts
        "report-part": [p for p in files if p.parent.name == "report" and ".dun-cache" in p.parts],
        "page-numbers": [p for p in files if p.name.startswith("pages-") and ".dun-cache" in p.parts],
        "manifest": [site / MANIFEST],
        "forged": [p for p in files if p.parent.name == "clients" and p.suffix == ".html"],
    }[target]
    pick = [p for p in pick if p.is_file()]
    if not pick:
        return
    path = pick[k % len(pick)]
    data = path.read_bytes()
    if target == "forged":  # a statement edited, and the manifest edited to vouch for it
        forged = data.replace(b"</h1>", b" PAY TO ACCOUNT 666</h1>", 1) + b"<!-- forged -->"
        path.unlink()
        path.write_bytes(forged)
        manifest = orjson.loads((site / MANIFEST).read_bytes())
        rel = path.relative_to(site).as_posix()
        manifest["files"][rel][1] = content(forged)
        (site / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
        return
    path.unlink()  # (a hard link to the last site's file: replaced, as an editor saving it would)
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "edit":
        path.write_bytes(data.replace(b"0", b"9") + b"<svg>99999.99</svg>" if b"0" in data else data + b"!")


STEP = st.one_of(
    st.tuples(st.sampled_from(CHANGES), st.integers(0, 99)),
    st.tuples(st.just("damage"), st.integers(0, 99), st.sampled_from(DAMAGE_TARGETS), st.sampled_from(DAMAGES)),
    st.tuples(st.just("other build"), st.integers(0, 99)),
)


def _run(steps, pdf: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="dun-prop-"))
    try:
        book_dir = init_book(root / "book", book=BOOK).root
        shutil.copyfile(book_dir / "book.json", root / "first-book.json")
        site, on = root / "site", ON

        def build(out: Path, **kw):
            with open_book(book_dir, readonly=True) as repo:
                return publish(repo, None, on, out, keep_workers=True, **kw)  # warm workers from build to build

        build(site, pdf=pdf)
        for i, step in enumerate(steps):
            if step[0] == "damage":
                _damage(site, step[2], step[3], step[1])
                if step[4:] == ("and more",):
                    continue  # more damage before the next build
            elif step[0] == "other build":  # the other kind of build in between (--no-pdf, or with PDFs)
                build(site, pdf=not pdf)
            else:
                on = _change(book_dir, on, step[0], step[1])
            build(site, pdf=pdf)
            full = root / f"full-{i}"
            build(full, pdf=pdf, incremental=False)
            a, b = _files(site), _files(full)
            assert sorted(a) == sorted(b), (step, sorted(set(a) ^ set(b)))
            for rel in a:
                assert a[rel] == b[rel], (step, rel)
            shutil.rmtree(full)
    finally:
        from publish.pdf import release_workers

        release_workers()
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=4))
@example([("pay", 4), ("void", 4), ("other build", 0)])  # a payment, then voided, between two builds
def test_an_incremental_publish_equals_a_full_one(steps):
    _run(steps, pdf=False)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    st.tuples(st.sampled_from(("pay", "note")), st.integers(0, 99)),
    st.tuples(st.just("damage"), st.integers(0, 99), st.sampled_from(("statement-pdf", "report-part", "manifest")),
              st.sampled_from(DAMAGES)),
    st.tuples(st.just("other build"), st.integers(0, 99))), min_size=2, max_size=3))
def test_an_incremental_publish_with_pdfs_equals_a_full_one(steps):
    """The same with the PDFs (WeasyPrint's output carries no date: the bytes compare)."""
    _run(steps, pdf=True)


def test_every_kind_of_damage_is_made_good(tmp_path):
    """Each damage once, deterministically (the property above samples them): deleted,
    truncated or edited statements (HTML and PDF), CSVs, report.html, report PDF parts, the
    manifest, and a statement edited with the manifest forged to match."""
    _run([("damage", 1, "statement-pdf", "delete", "and more"), ("damage", 2, "statement-pdf", "edit", "and more"),
          ("damage", 3, "statement-pdf", "truncate", "and more"), ("damage", 1, "report-part", "edit"),
          ("damage", 0, "page-numbers", "delete"),
          ("damage", 2, "forged", "edit"), ("other build", 0), ("pay", 3)], pdf=True)
    _run([("damage", 1, target, how) for target in ("statement", "payments.csv", "manifest") for how in DAMAGES]
         + [("damage", 0, "open-items.csv", "edit"), ("damage", 0, "report.html", "edit"), ("damage", 3, "forged", "")],
         pdf=False)
