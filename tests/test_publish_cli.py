"""`dun publish` and `dun mail` end to end on a real book."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cli.main import main
from publish.sample import sample_book
from store import init_book

ON = date(2026, 11, 20)


@pytest.fixture()
def book(tmp_path) -> Path:
    init_book(tmp_path / "book", book=sample_book(ON))
    return tmp_path / "book"


def test_publish_then_republish(book, capsys):
    assert main(["publish", "--book", str(book), "--on", "2026-11-20", "--no-pdf"]) == 0
    err = capsys.readouterr().err
    assert "published" in err and "written" in err and "\r" not in err  # not a TTY: one final line
    assert (book / "site" / "index.html").is_file()
    assert main(["publish", "--book", str(book), "--on", "2026-11-20", "--no-pdf", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["written"] == 0 and out["skipped"] > 10


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_date_may_come_before_or_after_the_command(book, capsys, where):
    """`dun --on D publish` and `dun publish --on D` both publish as of D (and mail drafts for D)."""
    on = ["--on", "2026-11-20"]
    args = [*on, "publish", "--book", str(book), "--no-pdf"] if where == "before" else \
        ["publish", "--book", str(book), "--no-pdf", *on]
    assert main(args) == 0
    assert "as of 2026-11-20" in capsys.readouterr().err
    assert "20 November 2026" in (book / "site" / "index.html").read_text("utf-8")
    args = [*on, "mail", "--book", str(book), "--json"] if where == "before" else \
        ["mail", "--book", str(book), "--json", *on]
    assert main(args) == 0
    drafts = json.loads(capsys.readouterr().out)
    assert drafts["emails"] or drafts["letters"]  # the sample book has actions due on the 20th


def test_a_moved_book_keeps_its_site(book, tmp_path, capsys):
    """Where the book's folder lies is not part of any page: a copy elsewhere republishes
    nothing."""
    import shutil

    assert main(["publish", "--book", str(book), "--on", "2026-11-20", "--no-pdf"]) == 0
    moved = shutil.copytree(book, tmp_path / "elsewhere" / "book")
    capsys.readouterr()
    assert main(["publish", "--book", str(moved), "--on", "2026-11-20", "--no-pdf", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] == 0


def test_publish_to_another_folder(book, tmp_path, capsys):
    assert main(["publish", "--book", str(book), "--on", "2026-11-20", "--no-pdf", "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "report.html").is_file()


def test_publish_bad_out_is_one_line(book, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["publish", "--book", str(book), "--on", "2026-11-20", "--out", str(tmp_path / "file")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dun: ") and err.count("\n") == 1


def test_mail_drafts_into_the_outbox(book, capsys):
    assert main(["mail", "--book", str(book), "--on", "2026-11-20", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["emails"] and all(Path(e["file"]).is_file() for e in out["emails"])
    assert all(Path(e["file"]).parent == book / "outbox" for e in out["emails"])
