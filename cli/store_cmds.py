"""Store commands: checkpoint (fold the journal into book.json, for scripts that read it)."""
from __future__ import annotations

import argparse
import sys


def register(sub, common) -> None:
    p = sub.add_parser("checkpoint", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="write every saved change into book.json",
                       description="Rewrite book.json with every saved change (the journal folded in), so a\n"
                                   "script that reads book.json with TinyDB sees the book as it is now. dun does\n"
                                   "this by itself now and then; nothing else changes.")
    p.set_defaults(handler=cmd_checkpoint)


def cmd_checkpoint(args) -> int:
    from datetime import date

    from cli.main import book_dir
    from receivables.errors import DunError
    from store import open_book

    path = book_dir(args)
    with open_book(path, command="dun checkpoint", today=date.today()) as repo:
        try:
            repo.checkpoint()
        except OSError as e:
            raise DunError(f"could not rewrite book.json ({e.strerror or e}); every change is still saved in "
                           "book.journal", str(path), "free some disk space, then try again") from None
        seq = repo.version
    print(f"book.json holds every saved change (up to change {seq})", file=sys.stderr)
    return 0
