"""What a build keeps for the next one: plain data in the user's cache folder, checked.

Per book (its id) and **key** (the policy's digest, the code version
:func:`derived.code_version`, the publish templates' and code's digest, the date), one
orjson file: for every client its revision in the store and its rows of the long CSVs
(:func:`publish.csvdata.client_rows`; per table the row count, the rows' sort keys and their
lines, each joined by NUL: a few long strings parse much faster than many short ones, and a
client with a NUL in any row is not kept), and the report's charts (SVG text) by the digest
of what they are drawn from. An entry counts only while its client's revision is the store's;
a file that is missing, unreadable, of another key or not in this shape counts as empty
(that build formats every row and draws every chart again). Nothing is ever pickled, and
nothing lives in the book's or the site's folder: those may come from someone else.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from store.files import write_cache_file

FORMAT = "dun-publish-kept-2"
SEP = "\0"  # between the keys, and between the lines, of one client's rows of one table
KEEP_FILES = 3  # per book: the keys (days, policies) last published


@dataclass
class Kept:
    rows: dict[str, tuple[str, dict]] = field(default_factory=dict)  # client -> (revision, {table: (keys, lines)})
    charts: dict[str, str] = field(default_factory=dict)  # the inputs' digest -> SVG


def key_digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:24]


def _usable(book_id: str | None) -> bool:
    """A book id is a folder name in the cache: only one that is plainly that (a book's meta
    is the book's, and a received book may say anything) has kept data."""
    from store.files import is_book_id

    return is_book_id(book_id)


def path_of(book_id: str, key: str) -> Path:
    from derived import cache_root

    if not _usable(book_id):
        raise ValueError("not a book id")
    return cache_root() / book_id / f"publish-{key}.json"


def _rows_of(entry) -> tuple[list[str], list[str]] | None:
    """One table's rows (keys, lines) from ``[count, keys, lines]`` (None when it is not that)."""
    if type(entry) is not list or len(entry) != 3:
        return None
    n, keys, lines = entry
    if type(n) is not int or type(keys) is not str or type(lines) is not str or n < 0:
        return None
    if n == 0:
        return ([], []) if not keys and not lines else None
    ks, ls = keys.split(SEP), lines.split(SEP)
    if len(ks) != n or len(ls) != n:
        return None
    return ks, ls


def _joined(rows: tuple[list[str], list[str]]) -> list | None:
    """``rows`` as ``[count, keys, lines]`` (None when a key or a line holds the separator)."""
    ks, ls = rows
    n = len(ks)
    keys, lines = SEP.join(ks), SEP.join(ls)
    if len(ls) != n or n and (keys.count(SEP) != n - 1 or lines.count(SEP) != n - 1):
        return None
    return [n, keys, lines]


def read(book_id: str | None, key: str, tables: tuple[str, ...]) -> Kept:
    """The kept data of ``key`` (see the module docstring); empty when there is none usable."""
    if not _usable(book_id):
        return Kept()
    try:
        data = orjson.loads(path_of(book_id, key).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return Kept()
    if (not isinstance(data, dict) or data.get("format") != FORMAT or data.get("book") != book_id
            or data.get("key") != key):
        return Kept()
    out = Kept()
    clients, charts = data.get("clients"), data.get("charts")
    if isinstance(clients, dict):
        for cid, entry in clients.items():
            if (type(entry) is list and len(entry) == 2 and type(entry[0]) is str and type(entry[1]) is dict
                    and set(entry[1]) == set(tables)):
                rows = {t: _rows_of(entry[1][t]) for t in tables}
                if all(r is not None for r in rows.values()):
                    out.rows[cid] = (entry[0], rows)
    if isinstance(charts, dict):
        out.charts = {k: v for k, v in charts.items() if type(v) is str}
    return out


def write(book_id: str | None, key: str, kept: Kept) -> bool:
    """Keep ``kept`` for the next build (atomically; a cache: failing only makes it slower)."""
    if not _usable(book_id):
        return False
    path = path_of(book_id, key)
    clients = {}
    for cid, (rev, rows) in kept.rows.items():
        joined = {t: _joined(r) for t, r in rows.items()}
        if all(j is not None for j in joined.values()):
            clients[cid] = [rev, joined]
    data = {"format": FORMAT, "book": book_id, "key": key, "clients": clients, "charts": kept.charts}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_cache_file(path, orjson.dumps(data))
        others = sorted((p for p in path.parent.glob("publish-*.json") if p.name != path.name),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_FILES - 1:]:
            old.unlink(missing_ok=True)
        return True
    except (OSError, TypeError):
        return False


# -- the sites this user built ---------------------------------------------------------------
# The digests of the manifests this user's builds wrote: the next build trusts a site's manifest
# (what its files' bytes hash to) only if it is one of those very manifests (wherever the site
# folder now lies: a moved book keeps its site), so a manifest edited to match an edited file
# vouches for nothing.

KEEP_SITES = 32


def _site_record(raw: bytes) -> Path:
    from derived import cache_root

    return cache_root() / "sites" / hashlib.sha256(raw).hexdigest()


def remember_manifest(raw: bytes) -> None:
    path = _site_record(raw)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        os.utime(path)
        others = sorted(path.parent.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_SITES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # the next build reuses nothing of this site


def manifest_vouched(raw: bytes) -> bool:
    """Whether ``raw`` is a manifest one of this user's builds wrote."""
    try:
        return _site_record(raw).is_file()
    except OSError:
        return False
