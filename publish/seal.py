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

import hmac
from pathlib import Path

from store import userkey

HEADER = b"X-Dun-Seal"
NAME = "outbox-seal"


def key_path() -> Path:
    return userkey.key_path(NAME)


def _key() -> bytes:
    return userkey.key(NAME)


def _mac(key: bytes, raw: bytes) -> bytes:
    return userkey.mac(key, (raw,)).encode()


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
