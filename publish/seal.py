"""A seal on every message dun puts in the outbox, so that only those are ever sent.

A book folder may come from someone else, with ``.eml`` files already waiting in its outbox:
sent as they are, they would go out from the owner's mail server in the owner's name. Each
message dun writes starts with an ``X-Dun-Seal`` header: an HMAC-SHA256 of the rest of the
file under a key kept outside every book (``outbox-seal.key`` in the user data folder,
made on first use, readable by the owner only). A file whose seal is missing or does not
match (written elsewhere, or edited by hand) is not sent; the header is removed before a
message goes out.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from platformdirs import user_data_dir

HEADER = b"X-Dun-Seal"
KEY_BYTES = 32


def key_path() -> Path:
    return Path(user_data_dir("dun", appauthor=False)) / "outbox-seal.key"


def _key() -> bytes:
    path = key_path()
    try:
        key = path.read_bytes()
        if len(key) == KEY_BYTES:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # (a key that was damaged is replaced: what it sealed is refused)
    return key


def _mac(key: bytes, raw: bytes) -> bytes:
    return hmac.new(key, raw, hashlib.sha256).hexdigest().encode()


def seal(raw: bytes) -> bytes:
    """``raw`` (a whole message) with the seal header put first, in the message's line ends."""
    end = b"\r\n" if b"\r\n" in raw[:1000] else b"\n"
    return HEADER + b": " + _mac(_key(), raw) + end + raw


def unsealed(raw: bytes) -> bytes | None:
    """The message without its seal, or None when the seal is missing or does not match."""
    if not raw.startswith(HEADER + b": "):
        return None
    nl = raw.find(b"\n")
    if nl < 0:
        return None
    mac = raw[len(HEADER) + 2:nl].rstrip(b"\r")
    rest = raw[nl + 1:]
    path = key_path()
    if not path.is_file():
        return None
    return rest if hmac.compare_digest(mac, _mac(_key(), rest)) else None
