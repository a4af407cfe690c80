"""Errors as data: every user mistake becomes one line saying what, where and how to fix."""
from __future__ import annotations

import re
from dataclasses import dataclass

_LONG_TOKEN = re.compile(r"\S{121,}")


def shorten(text: str) -> str:
    """``text`` with any run of more than 120 non-blank characters cut (a 10,000-character
    value in a message stays one readable line)."""
    return _LONG_TOKEN.sub(lambda m: f"{m.group()[:60]}…[{len(m.group()):,} characters]", text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in input or in a book, with where it was found."""

    message: str
    where: str = ""
    hint: str = ""

    def line(self) -> str:
        parts = [f"{self.where}: {self.message}" if self.where else self.message]
        if self.hint:
            parts.append(self.hint)
        return shorten("; ".join(parts))


class DunError(Exception):
    """A user error: shown as one line, exit code 1, nothing changed."""

    def __init__(self, message: str, where: str = "", hint: str = "") -> None:
        self.problem = Problem(message, where, hint)
        super().__init__(self.problem.line())

    @classmethod
    def of(cls, problem: Problem) -> "DunError":
        return cls(problem.message, problem.where, problem.hint)
