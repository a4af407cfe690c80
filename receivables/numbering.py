"""The number proposed for a new invoice entered by hand: the one after the book's latest."""
from __future__ import annotations

import re
from collections.abc import Collection


def next_number(latest: str, taken: Collection[str]) -> str:
    """The number after ``latest``: its trailing digits plus one, zero-padded to their width
    (``INV-000600`` -> ``INV-000601``, ``2026/17`` -> ``2026/18``), passing over numbers in
    ``taken``; ``""`` when ``latest`` does not end in digits."""
    m = re.search(r"[0-9]+$", latest)
    if m is None:
        return ""
    prefix, width, n = latest[:m.start()], len(m.group()), int(m.group())
    while True:
        n += 1
        number = f"{prefix}{n:0{width}d}"
        if number not in taken:
            return number
