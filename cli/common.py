"""Helpers every command module uses: the date acted on, opening the book, JSON out, and
looking up a client or one of its invoices with a did-you-mean."""
from __future__ import annotations

import sys
from datetime import date

from receivables.errors import DunError


def today(args) -> date:
    from cli.main import on_date

    return on_date(args)


def open_repo(args, readonly: bool, command: str):
    from cli.main import book_dir
    from store import open_book

    return open_book(book_dir(args), readonly=readonly, command=command, today=today(args))


def dump(obj) -> None:
    import json

    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def warn(text: str) -> None:
    """A warning: one line on stderr (the command still succeeds)."""
    print(f"dun: warning: {text}", file=sys.stderr)


def no_invoice(number: str, book, client: str) -> DunError:
    from cli.hints import unknown_invoice

    return unknown_invoice(number, [n for n, i in book.invoices.items() if i.client == client], "--invoice", client)


def client_of(repo, cid: str):
    book = repo.client_book(cid)
    client = book.clients.get(cid)
    if client is None:
        from cli.hints import unknown_client

        raise unknown_client(repo, cid)
    return book, client
