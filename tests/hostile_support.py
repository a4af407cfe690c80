"""Helpers for the hostile-input tests: run `dun` in-process, assert the one-line refusal,
hash a book folder, and hand-edit a book's stored documents."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import orjson

from cli.main import main

from .conftest import REPO

DATA = REPO / "tests" / "data"
ON = "2026-11-22"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_refusal(code: int, out: str, err: str) -> str:
    """exit 1, exactly one line on stderr starting 'dun: ', no traceback anywhere."""
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code == 1, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dun: "), err
    return lines[0]


def folder_hash(path: Path, skip: tuple[str, ...] = ()) -> str:
    """Every file and folder under ``path`` (names, modes, bytes) as one digest; the top-level
    folders named in ``skip`` left out."""
    h = hashlib.sha256()
    walked = []
    for root, dirs, files in os.walk(path):
        if root == str(path):
            dirs[:] = [d for d in dirs if d not in skip]
        walked.append((root, sorted(files)))
    for root, files in sorted(walked):
        h.update(b"D" + os.path.relpath(root, path).encode(errors="surrogateescape"))
        for name in files:
            p = Path(root) / name
            h.update(b"F" + name.encode(errors="surrogateescape") + oct(p.stat().st_mode).encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def make_book(capsys, path: Path) -> Path:
    """A small book: the test clients, invoices and payments, a promise and a dispute."""
    assert run(capsys, "init", path)[0] == 0
    for kind, name in (("clients", "clients.csv"), ("invoices", "invoices.csv"), ("payments", "payments.csv")):
        code, out, err = run(capsys, "import", kind, DATA / name, "--book", path)
        assert code == 0, err
    code, out, err = run(capsys, "promise", "acme-supplies", "50.00", "--by", "2026-12-01", "--on", ON, "--book", path)
    assert code == 0, err
    code, out, err = run(capsys, "note", "acme-supplies", "called", "--on", ON, "--book", path)
    assert code == 0, err
    return path


def checkpoint(path: Path) -> None:
    """Everything into book.json (the journal emptied), as a hand-editor would find it."""
    from store import open_book

    with open_book(path) as repo:
        repo.checkpoint()


def edit_book(path: Path, change: Callable[[dict], None]) -> None:
    """Hand-edit book.json: ``change`` gets the parsed document and changes it in place."""
    checkpoint(path)
    data = orjson.loads((path / "book.json").read_bytes())
    change(data)
    (path / "book.json").write_bytes(orjson.dumps(data))


def first(data: dict, table: str, **match) -> dict:
    """The first stored document of ``table`` whose fields equal ``match``."""
    for doc in data[table].values():
        if all(doc.get(k) == v for k, v in match.items()):
            return doc
    raise AssertionError(f"no {table} document with {match}")
