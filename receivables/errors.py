"""Errors as data: every user mistake becomes one line saying what, where and how to fix."""
from __future__ import annotations

from dataclasses import dataclass


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
        return "; ".join(parts)


class DunError(Exception):
    """A user error: shown as one line, exit code 1, nothing changed."""

    def __init__(self, message: str, where: str = "", hint: str = "") -> None:
        self.problem = Problem(message, where, hint)
        super().__init__(self.problem.line())

    @classmethod
    def of(cls, problem: Problem) -> "DunError":
        return cls(problem.message, problem.where, problem.hint)
