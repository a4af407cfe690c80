"""What `dun` prints goes through here: control characters from the book never reach the
terminal raw.

A client name can hold an escape sequence (ESC [ ... that recolours, moves the cursor, sets
the window title or worse), a carriage return that overwrites the line before it, or a bidi
override (U+202E) that shows text reversed. :func:`clean` writes each such character as a
visible ``\\uXXXX`` escape instead: C0 controls except newline and tab, DEL, C1 controls and
the bidi embedding, override, isolate and mark characters. In JSON output the same escape is
JSON's own, so JSON stays exact (it parses back to the very same text).

:func:`guarded` puts both output streams behind :func:`clean` for the length of a command
(cli.main does it for every command); :func:`raw` gives the stream underneath for what must
go out byte for byte (a CSV export to a pipe, a progress bar's own carriage returns).
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, TextIO

from receivables.controls import UNSAFE


def clean(text: str) -> str:
    """``text`` with every control character shown as ``\\uXXXX`` (newlines and tabs kept)."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class TerminalStream:
    """A text stream that writes everything through :func:`clean`."""

    def __init__(self, stream: TextIO) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        self.raw.write(clean(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # flush, isatty, fileno, encoding, ...
        return getattr(self.raw, name)


def raw(stream: TextIO) -> TextIO:
    """The stream under a :class:`TerminalStream` (the stream itself otherwise)."""
    return stream.raw if isinstance(stream, TerminalStream) else stream


@contextmanager
def guarded() -> Iterator[None]:
    """sys.stdout and sys.stderr through :func:`clean` until the block ends."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalStream(raw(out)), TerminalStream(raw(err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
