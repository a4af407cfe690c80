"""Digests a build names its outputs and inputs by."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .paths import TEMPLATES

FORMAT = "dun-site-2"


def h(*parts: bytes | str) -> str:
    """A digest of ``parts`` (each delimited: ("ab", "c") and ("a", "bc") differ)."""
    d = hashlib.blake2b(digest_size=16)
    for part in parts:
        d.update(part.encode("utf-8") if isinstance(part, str) else part)
        d.update(b"\x00")
    return d.hexdigest()


def content(data: bytes) -> str:
    """The digest of a file's bytes, as the manifest records it (SHA-256: a build hashes every
    file it reuses, and SHA-256 has the processor's help where BLAKE2 has none)."""
    return hashlib.sha256(data).hexdigest()[:32]


@lru_cache(maxsize=1)
def templates_hash() -> str:
    """The templates, the assets and the publishing code a page is made with."""
    d = hashlib.blake2b(digest_size=16)
    d.update(FORMAT.encode())
    for p in sorted(TEMPLATES.rglob("*")):
        if p.is_file():
            d.update(str(p.relative_to(TEMPLATES)).encode())
            d.update(p.read_bytes())
    src = Path(__file__).resolve().parent
    for p in sorted(src.glob("*.py")):
        d.update(p.name.encode())
        d.update(p.read_bytes())
    return d.hexdigest()
