"""The arguments of each writing command, checked before the book is opened.

A mistake in what was typed is reported first (one line, exit 1), before the book is
opened: a book held by the app or another writer does not hide it behind "the book is
locked", and a command that cannot run reads and writes nothing. What needs the book's
contents (is there such a client, such an invoice, such a step in the policy, does the
amount have the client's currency's decimals) is checked by the command once the book is
open.

:func:`check_arguments` runs the check of the command given (``CHECKS``), from
``cli.main`` before the command's handler. Each check is ``check(args, on) -> None`` (``on``:
the date the command acts on) and raises the one-line :class:`DunError`. Dates (``--on``, ``--by``, ``--first``,
``--paid-on``) are already parsed and inside the book's window (argparse types); choices
and whole numbers too. ``dun import`` reads its file, and ``dun restore`` finds its
backup, before either opens the book.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from receivables.dates import promise_problem
from receivables.errors import DunError
from receivables.shapes import LONG_TEXT, MAX_TEXT

MAX_ID = 64  # a client id: 1-64 characters (receivables.validate)


# -- the slots ------------------------------------------------------------------------------------

def client_id(value: str, where: str = "CLIENT") -> None:
    """A client id as typed: one line of printable text, at most 64 characters. Whether it
    names a client (or a near miss: "did you mean …?") is for the book to say."""
    if not value.strip():
        raise DunError("no client id given", where, "see 'dun client list' for the ids")
    if not value.isprintable():
        raise DunError(f"{value!r} is not a client id: it holds a control character", where,
                       "see 'dun client list' for the ids")
    if len(value) > MAX_ID:
        raise DunError(f"is {len(value):,} characters long: a client id has at most {MAX_ID}", where,
                       "see 'dun client list' for the ids")


def number(value: str, where: str, what: str = "invoice number",
           hint: str = "check the number with 'dun client show'") -> None:
    """An invoice number or receipt id as typed: not empty, no control character, not over-long."""
    if not value.strip():
        raise DunError(f"the {what} is empty", where, hint)
    text(value, where, what)
    if any(ord(ch) < 32 for ch in value):
        raise DunError(f"the {what} {value!r} holds a line break or control character", where, hint)


def numbers(values: list[str], where: str = "--invoice") -> None:
    for value in values:
        number(value, where)


def text(value: str | None, where: str, what: str = "text", limit: int = MAX_TEXT,
         required: tuple[str, str] | None = None) -> None:
    """Free text (stored verbatim): no NUL character and at most ``limit`` characters; with
    ``required`` (the message and hint when it is missing), not empty either."""
    if value is None or not value.strip():
        if required:
            raise DunError(required[0], where, required[1])
        if value is None:
            return
    if "\x00" in value:
        raise DunError(f"the {what} holds a NUL character", where, "remove it")
    if len(value) > limit:
        raise DunError(f"the {what} is {len(value):,} characters long (at most {limit:,})", where, "shorten it")


def amount(value: str, where: str = "AMOUNT", currency: str | None = None) -> None:
    """An amount as typed: the form, sign, size and zero; its decimals too when the currency
    is given (else once the client's currency is known)."""
    from receivables.money import check_amount_text, check_currency, parse_amount

    if currency is None:
        check_amount_text(value, where)
    else:
        parse_amount(value, check_currency(currency, "--currency"), where)


def currency(value: str | None) -> str | None:
    """--currency as typed: None when not given (or empty: the client's currency)."""
    from receivables.money import check_currency

    return check_currency(value.strip(), "--currency") if value else None


# -- each writing command -----------------------------------------------------------------------------

def check_credit(args, on: date) -> None:
    client_id(args.client)
    currency(args.currency)
    numbers(args.invoice)


def check_pay(args, on: date) -> None:
    client_id(args.client)
    amount(args.amount, "AMOUNT", currency(args.currency))
    numbers(args.invoice)
    twice = next((n for k, n in enumerate(args.invoice or ()) if n.strip() in map(str.strip, args.invoice[:k])), None)
    if twice is not None:  # (as the payments import refuses it)
        raise DunError(f"invoice {twice.strip()} is named twice", "--invoice", "name each invoice once, in the order to pay")
    text(args.reference, "--reference", "reference")
    text(args.method, "--method", "method")


def check_note(args, on: date) -> None:
    client_id(args.client)
    text(args.text, "TEXT", "note", LONG_TEXT["body"], required=("the note is empty", "write what happened"))
    numbers(args.invoice)
    if args.step:
        text(args.step, "--step", "step")
    text(args.outcome, "--outcome", "outcome")


def check_promise(args, on: date) -> None:
    client_id(args.client)
    amount(args.amount)
    if (wrong := promise_problem(args.by, on)) is not None:
        raise DunError(wrong[0], "--by", wrong[1])
    numbers(args.invoice)


def check_dispute(args, on: date) -> None:
    number(args.invoice, "INVOICE")
    if args.resolve:
        text(args.reason, "--reason", "resolution", LONG_TEXT["resolution"])
    else:
        text(args.reason, "--reason", "reason", LONG_TEXT["reason"],
             required=("a dispute needs a reason", 'e.g. --reason "goods arrived damaged"'))


PLAN_FLAGS = {"installments": "--installments", "every": "--every", "first installment": "--first",
              "last installment": "--first", "invoices": "--invoice"}


def check_plan(args, on: date) -> None:
    from receivables.plans import check_terms

    client_id(args.client)
    numbers(args.invoice)
    try:
        check_terms(args.installments, args.every, args.first, on)
    except DunError as e:  # name the flag to change
        raise DunError(e.problem.message, PLAN_FLAGS.get(e.problem.where, e.problem.where), e.problem.hint) from None


def check_claim(args, on: date) -> None:
    client_id(args.client)
    numbers(args.invoice)


def check_receipts(args, on: date) -> None:
    if args.action == "list":
        return
    if not args.receipt:
        raise DunError(f"name the receipt to {args.action}", "dun receipts", "list them with 'dun receipts'")
    number(args.receipt, "RECEIPT", "receipt id", "list them with 'dun receipts'")
    if args.action == "match":
        if not args.client:
            raise DunError("name the client", "dun receipts match", "dun receipts match RCP-... CLIENT [--invoice N]")
        client_id(args.client)
        numbers(args.invoice)


def check_import(args, on: date) -> None:
    if args.kind == "bank" and args.paid_on is not None:
        raise DunError("--paid-on is for Xero exports", "dun import bank", "a bank receipt is dated by the bank")


CHECKS: dict[str, Callable[[Any, date], None]] = {
    "pay": check_pay,
    "credit": check_credit,
    "note": check_note,
    "promise": check_promise,
    "dispute": check_dispute,
    "plan": check_plan,
    "claim": check_claim,
    "receipts": check_receipts,
    "import": check_import,
}


def check_text(args) -> None:
    """Every text argument is text: bytes that are not UTF-8 (a terminal set to Latin-1) reach
    Python as lone surrogates, which no file can hold (saving a note with one ended in a
    traceback)."""
    for name, value in vars(args).items():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str):
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    shown = repr(v.encode("utf-8", "surrogateescape"))[2:-1]  # the bytes as typed: caf\xe9
                    raise DunError(f"'{shown}' is not UTF-8 text", f"--{name.replace('_', '-')}"
                                   if name not in _POSITIONAL else name.upper(),
                                   "set the terminal to UTF-8 and type it again") from None


_POSITIONAL = {"client", "amount", "text", "invoice", "file", "receipt", "record_id"}


def check_arguments(args, on: date) -> None:
    """Run the check of the command in ``args``, acting on ``on`` (nothing for a command
    without one)."""
    check_text(args)
    check = CHECKS.get(getattr(args, "command", None) or "")
    if check is not None:
        check(args, on)
