"""A book folder someone else prepared may hold links where dun's own files go. dun writes
``.lock`` and ``book.journal`` in place, and backups and e-mail into ``backups/`` and
``outbox/``: through a link those writes would land on whatever it points to (opening such a
book to log one note emptied the file ``.lock`` pointed to, and wrote the journal over the
one ``book.journal`` did). A device or a pipe in their place would hang every reading. Such a
book is refused, with one line that names the file, and nothing outside it is touched."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date

import pytest

from receivables.demo import generate
from receivables.errors import DunError
from receivables.model import Activity
from store import init_book, open_book
from tests.conftest import REPO

ON = date(2026, 11, 22)


def _book(tmp_path):
    path = tmp_path / "book"
    init_book(path, book=generate(clients=3, invoices=12, seed=2, today=ON))
    return path


def _note(path):
    with open_book(path, today=ON) as repo:
        cid = next(iter(repo.clients()))
        repo.log_activity(Activity("", ON, cid, "other", body="called"))


@pytest.mark.parametrize("name", [".lock", "book.journal"])
def test_a_book_file_that_is_a_link_is_refused_and_what_it_points_to_is_untouched(tmp_path, name):
    path = _book(tmp_path)
    victim = tmp_path / "thesis.txt"
    victim.write_text("three years of work\n")
    (path / name).unlink(missing_ok=True)
    (path / name).symlink_to(victim)
    with pytest.raises(DunError) as e:
        _note(path)
    assert name in str(e.value) and "link" in str(e.value)
    assert victim.read_text() == "three years of work\n"
    with pytest.raises(DunError):  # read-only too: the book is not what its files say
        open_book(path, readonly=True)
    (path / name).unlink()
    _note(path)  # once the link is gone, the book opens (dun makes the file again)
    assert victim.read_text() == "three years of work\n"


@pytest.mark.parametrize("name", ["backups", "outbox"])
def test_a_folder_of_the_book_that_is_a_link_is_refused(tmp_path, name):
    path = _book(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "book-2020-01-01.json").write_text("someone's own backup")
    if (path / name).exists():
        os.rename(path / name, tmp_path / f"{name}.was")
    (path / name).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(DunError) as e:
        _note(path)
    assert name in str(e.value)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["book-2020-01-01.json"]


def test_a_pipe_in_place_of_the_journal_gets_one_line_not_a_hang(tmp_path):
    path = _book(tmp_path)
    (path / "book.journal").unlink(missing_ok=True)
    os.mkfifo(path / "book.journal")
    run = subprocess.run([sys.executable, "-m", "cli.main", "--book", str(path), "--on", ON.isoformat(), "agenda"],
                         cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert run.returncode != 0
    assert "book.journal" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_policy_shared_through_a_link_still_reads(tmp_path):
    """policy.toml is only read (the owner edits it): one policy kept for several books
    through links is the owner's own arrangement, and works."""
    path = _book(tmp_path)
    shared = tmp_path / "shared-policy.toml"
    os.rename(path / "policy.toml", shared)
    (path / "policy.toml").symlink_to(shared)
    _note(path)
    with open_book(path, readonly=True) as repo:
        assert repo.policy().source


def test_a_restore_reads_no_device_and_writes_through_no_link(tmp_path):
    from store import restore_backup

    path = _book(tmp_path)
    _note(path)  # the day's backup
    name = next(p.name for p in (path / "backups").iterdir())
    (path / "backups" / "book-2020-01-01.json").symlink_to("/dev/zero")
    with pytest.raises(DunError):  # (refused, not read for ever)
        restore_backup(path, "book-2020-01-01.json", today=ON)
    elsewhere = tmp_path / "elsewhere"
    os.rename(path / "backups", elsewhere)
    (path / "backups").symlink_to(elsewhere, target_is_directory=True)
    before = sorted(p.name for p in elsewhere.iterdir())
    with pytest.raises(DunError) as e:
        restore_backup(path, name, today=ON)
    assert "backups/ is a link" in str(e.value)
    assert sorted(p.name for p in elsewhere.iterdir()) == before


def test_a_policy_that_is_a_pipe_or_far_too_large_gets_one_line(tmp_path):
    from receivables.policy import load_policy

    path = _book(tmp_path)
    policy = path / "policy.toml"
    policy.unlink()
    os.mkfifo(policy)
    got, problems = load_policy(policy)  # (returns at once: nothing writes to the pipe)
    assert got is None and problems[0].message == "is not a plain file"
    policy.unlink()
    policy.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    got, problems = load_policy(policy)
    assert got is None and "larger than a policy can be" in problems[0].message


# -- the site folder -------------------------------------------------------------------------

def _publish(path, **kw):
    from publish.site import publish

    with open_book(path, today=ON) as repo:
        return publish(repo, on=ON, pdf=False, **kw)


def test_a_site_folder_that_is_a_link_is_refused_and_the_site_it_points_to_is_untouched(tmp_path):
    """A received book whose site/ is a link to the owner's own site: dun publish replaced that
    site whole with the received book's (its bank details in every statement) and removed the
    owner's files in it."""
    mine = tmp_path / "mine"
    mine.mkdir()
    init_book(mine / "book", book=generate(clients=3, invoices=12, seed=5, today=ON))
    _publish(mine / "book")
    own_site = mine / "book" / "site"
    (own_site / "notes.txt").write_text("mine")
    before = {p.relative_to(own_site): p.read_bytes() for p in own_site.rglob("*") if p.is_file()}
    path = _book(tmp_path)
    shutil.rmtree(path / "site", ignore_errors=True)
    (path / "site").symlink_to(own_site, target_is_directory=True)
    with pytest.raises(DunError) as e:
        _publish(path)
    assert "site/ is a link" in str(e.value)
    assert {p.relative_to(own_site): p.read_bytes() for p in own_site.rglob("*") if p.is_file()} == before
    # the same through the command (it passed the book's site folder on as if it were --out)
    from cli.main import main

    assert main(["publish", "--book", str(path), "--on", ON.isoformat(), "--no-pdf"]) == 1
    assert {p.relative_to(own_site): p.read_bytes() for p in own_site.rglob("*") if p.is_file()} == before
    elsewhere = tmp_path / "out"  # an --out the owner names may be anything
    _publish(path, out_dir=elsewhere)
    assert (elsewhere / "index.html").is_file()


def test_the_sites_marker_is_never_written_through_a_link(tmp_path):
    """site/.dun-publish replaced by a link: the next publish wrote its marker text over the
    file the link pointed to."""
    from publish.outdir import MARKER

    path = _book(tmp_path)
    _publish(path)
    victim = tmp_path / "dotfile"
    victim.write_text("the owner's settings\n")
    (path / "site" / MARKER).unlink()
    (path / "site" / MARKER).symlink_to(victim)
    _publish(path)
    assert victim.read_text() == "the owner's settings\n"
    marker = path / "site" / MARKER
    assert not marker.is_symlink() and marker.read_bytes().startswith(b"Made by 'dun publish'")


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_manifest_that_is_a_pipe_or_a_device_counts_as_none_and_does_not_hang(tmp_path, kind):
    from publish.writers import MANIFEST

    path = _book(tmp_path)
    full = tmp_path / "full"
    _publish(path, out_dir=full, incremental=False)
    _publish(path)
    manifest = path / "site" / MANIFEST
    manifest.unlink()
    if kind == "fifo":
        os.mkfifo(manifest)
    else:
        manifest.symlink_to("/dev/zero")
    code = ("import sys; from datetime import date; from store import open_book; from publish.site import publish\n"
            "with open_book(sys.argv[1], today=date(2026, 11, 22)) as r: publish(r, on=date(2026, 11, 22), pdf=False)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    site = path / "site"
    assert not (site / MANIFEST).is_symlink() and (site / MANIFEST).is_file()
    names = {p.relative_to(site) for p in site.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert names == {p.relative_to(full) for p in full.rglob("*") if p.is_file() and p.name != MANIFEST}


def test_a_folder_dun_did_not_make_is_never_replaced_by_a_site(tmp_path, capsys):
    """The site is swapped in whole; a folder of the owner's that is not empty is refused, and
    the line names where it came from (it said --out when no --out was given)."""
    path = _book(tmp_path)
    shutil.rmtree(path / "site", ignore_errors=True)
    (path / "site").mkdir()
    (path / "site" / "my-notes.txt").write_text("mine")
    with pytest.raises(DunError) as e:
        _publish(path)
    assert "not made by 'dun publish'" in str(e.value) and "the book's site folder" in str(e.value)
    assert "--out:" not in str(e.value)
    from cli.main import main

    assert main(["publish", "--book", str(path), "--on", ON.isoformat(), "--no-pdf"]) == 1
    said = capsys.readouterr().err
    assert "the book's site folder" in said and "--out:" not in said
    own = tmp_path / "own"
    own.mkdir()
    (own / "thesis.txt").write_text("three years")
    with pytest.raises(DunError) as e:
        _publish(path, out_dir=own)
    assert str(e.value).startswith("--out: ") or "--out" in str(e.value)
    assert sorted(p.name for p in (path / "site").iterdir()) == ["my-notes.txt"]
    assert sorted(p.name for p in own.iterdir()) == ["thesis.txt"]
