"""The one rule that makes a client id from a name (the demo and the client import use it), and
the one that finds the client a form's typed text means."""
from __future__ import annotations

import unicodedata
from typing import Any, Mapping

# the letters NFKD does not take apart, and apostrophes dropped ("O'Neill" -> "ONeill")
_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "'": "",
                          "\u2019": ""})

_LEGAL = {"ltd", "limited", "llp", "plc", "gmbh", "sarl", "sas", "ag", "bv", "b-v", "inc", "aps", "ab", "co",
          "sp-z-o-o", "group", "the"}


def slugify(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A client id from a name: ``"Acme Supplies Ltd"`` -> ``"acme-supplies"`` (unique in ``taken``).

    Accents are folded to ASCII, legal suffixes dropped; a name with no Latin letters
    becomes ``client``; a clash gets ``-2``, ``-3``, ...
    """
    folded = unicodedata.normalize("NFKD", name.translate(_LETTERS))
    ascii_ = "".join(ch for ch in folded if ch.isascii()).lower().replace("&", " ")
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_).split()
    # drop a trailing "sp z o o" and legal words at the end
    text = "-".join(words)
    for tail in ("-sp-z-o-o", "-b-v"):
        if text.endswith(tail):
            text = text[: -len(tail)]
    parts = [p for p in text.split("-") if p]
    while len(parts) > 1 and parts[-1] in _LEGAL:
        parts.pop()
    if len(parts) > 1 and parts[0] == "the":
        parts.pop(0)
    base = "-".join(parts)[:48].strip("-") or "client"
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _fold(text: str) -> str:
    """Case and accents aside, and the letters NFKD does not take apart (ł, ø, æ, ß)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.translate(_LETTERS).casefold())
                   if not unicodedata.combining(ch))


def match_clients(text: str, clients: Mapping[str, Any]) -> list[str]:
    """The ids of the clients what the owner typed in a form's client field can mean: its
    exact id; else the ids equal to it but for case; else the clients whose id starts with it
    or whose name holds it (case and accents aside). Several: the owner types more."""
    t = text.strip()
    if not t:
        return []
    if t in clients:
        return [t]
    f = _fold(t)
    same = sorted(cid for cid in clients if _fold(cid) == f)
    if same:
        return same
    return sorted(cid for cid, c in clients.items()
                  if _fold(cid).startswith(f) or f in _fold(getattr(c, "name", "")))
