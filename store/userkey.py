"""Secret keys kept outside every book: one file per purpose in the user data folder, made on
first use and readable by the owner only.

A book folder can come from someone else, or be written by anything that can write to it. What
dun must be able to tell apart from such a file — a message it sealed for the outbox, a
book.json it wrote itself — is marked with an HMAC under one of these keys, which nobody who
only has the book folder can make.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from platformdirs import user_data_dir

KEY_BYTES = 32


def key_path(name: str) -> Path:
    return Path(user_data_dir("dun", appauthor=False)) / f"{name}.key"


def key(name: str) -> bytes:
    """The key called ``name``; made (and written durably) when missing or damaged. Raises
    OSError when the user data folder cannot be written."""
    path = key_path(name)
    try:
        got = path.read_bytes()
        if len(got) == KEY_BYTES:
            return got
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    got = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(got)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # (a key that was damaged is replaced: what it marked is refused)
    return got


BOOK_KEY = "book-digest"


def book_key() -> bytes | None:
    """The key that marks what this user's dun wrote of a book (book.json's digest,
    store.revisions; each journal entry, store.files); None when there is no user data folder
    to keep it in (then nothing is marked, and nothing marked is believed)."""
    try:
        return key(BOOK_KEY)
    except OSError:
        return None


def mac(key_bytes: bytes, parts) -> str:
    """The hex HMAC-SHA256 of the concatenation of ``parts`` under ``key_bytes``."""
    m = hmac.new(key_bytes, digestmod=hashlib.sha256)
    for p in parts:
        m.update(p)
    return m.hexdigest()
