"""`dun` entry point: parse arguments, check them (:mod:`cli.checks`, before the book is
opened), run one command, print one line on error.

Command modules register their sub-commands through ``register(subparsers)``:
``cli.book_cmds`` (init, demo, import, export, pay, note, client, check, restore),
``cli.collect_cmds`` (agenda, report, promise, dispute, plan),
``cli.publish_cmds`` (publish, mail), ``cli.claim_cmds`` (claim), ``cli.store_cmds`` (checkpoint).
``dun`` with no command opens the terminal app.
Imports are kept lazy so a quick command does not pay for Textual, Jinja or WeasyPrint.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from datetime import date
from pathlib import Path

from receivables.errors import DunError

COMMAND_MODULES = ("cli.book_cmds", "cli.collect_cmds", "cli.publish_cmds", "cli.claim_cmds", "cli.sync_cmds",
                   "cli.store_cmds")


def default_book_dir() -> Path:
    env = os.environ.get("DUN_BOOK")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("dun", appauthor=False)) / "book"


def book_dir(args: argparse.Namespace) -> Path:
    return Path(args.book).expanduser() if getattr(args, "book", None) else default_book_dir()


def on_date(args: argparse.Namespace) -> date:
    """The date the command acts on: --on, else today (read here, at the edge, only)."""
    value = getattr(args, "on", None)
    return value if value is not None else date.today()


def iso_date(text: str) -> date:
    from receivables.dates import parse_date

    try:
        return parse_date(text, "--on")
    except DunError as e:
        raise argparse.ArgumentTypeError(e.problem.message + "; e.g. 2026-03-31") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 1 (argparse's default is 2 + usage)
        """One line naming this (sub)command's own help, with a did-you-mean for a mistyped
        command or option."""
        import re

        from cli.hints import did_you_mean

        hint = f"see '{self.prog} --help'"
        choice = re.match(r"argument (\S+): invalid choice: '(.*?)' \(choose from (.*)\)$", message)
        if choice:
            typed, known = choice.group(2), re.findall(r"'([^']*)'", choice.group(3))
            arg = choice.group(1)
            message = f"unknown command {typed!r}" if arg == "COMMAND" else f"invalid choice {typed!r} for {arg}"
            close = did_you_mean(typed, known)
            hint = f"{close} {hint}" if close else f"one of {', '.join(known)}; {hint}"
        extra = re.match(r"unrecognized arguments: (.*)$", message)
        if extra:
            options = [o for a in self._actions for o in a.option_strings]
            close = did_you_mean(extra.group(1).split()[0].split("=")[0], options)
            if close:
                hint = f"{close} {hint}"
        raise DunError(message, self.prog.removeprefix("dun").strip(), hint)


BOOK_HELP = "the book folder (default: $DUN_BOOK, else your user data folder)"


def add_on(p: argparse.ArgumentParser, help: str = "the date to act on, YYYY-MM-DD (default: today)") -> None:
    """--on for a sub-command. SUPPRESS: a sub-parser default would overwrite the value given
    before the command (argparse copies sub-parser defaults over the main namespace), so
    `dun --on D agenda` and `dun agenda --on D` both work."""
    p.add_argument("--on", type=iso_date, metavar="DATE", default=argparse.SUPPRESS, help=help)


def path_arg(text: str) -> str:
    """An argparse type for a file or folder: any path the system takes (no NUL character)."""
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a path cannot hold a NUL character")
    return text


def whole_number(text: str) -> int:
    """An argparse type: a plain whole number (ASCII digits, at most 7 of them)."""
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (money as decimal strings, dates ISO)")


def build_parser() -> argparse.ArgumentParser:
    # the options every sub-command shares, with SUPPRESS defaults (see add_on)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--book", metavar="DIR", type=path_arg, default=argparse.SUPPRESS, help=BOOK_HELP)
    parser = _Parser(
        prog="dun",
        description="Credit control for a small B2B firm. With no command, opens the terminal app.",
    )
    parser.add_argument("--book", metavar="DIR", type=path_arg, help=BOOK_HELP)
    parser.add_argument("--on", type=iso_date, metavar="DATE", help="the date to act on (default: today)")
    parser.add_argument("--read-only", action="store_true", help="open the app without writing")
    parser.add_argument("--version", action=_Version, nargs=0, help="show program's version number and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(sub, common)
    return parser


class _Version(argparse.Action):
    """``--version``: the version is looked up only when asked for (importlib.metadata is slow
    to import, and every start of the app parses its arguments)."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"dun {version()}")
        parser.exit()


def version() -> str:
    """The installed version, else the one in pyproject.toml next to this package."""
    from importlib import metadata

    try:
        return metadata.version("dun")
    except metadata.PackageNotFoundError:
        import tomllib

        try:
            with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as f:
                return tomllib.load(f)["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; an unknown option is reported by the (sub)command it was given to."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        target = parser
        for token in argv:
            subs = [a for a in target._actions if isinstance(a, argparse._SubParsersAction)]
            if subs and token in subs[0].choices:
                target = subs[0].choices[token]
        target.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def run_app(args: argparse.Namespace) -> int:
    from tui.app import run

    return run(book_dir(args), on=getattr(args, "on", None), read_only=getattr(args, "read_only", False))


def main(argv: list[str] | None = None) -> int:
    """Run one command; everything it prints goes through cli.terminal.clean (no control
    character from the book reaches the terminal raw)."""
    from cli.terminal import guarded

    with guarded():
        return _main(argv)


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = None
    try:
        parser = build_parser()
        args = parse(parser, argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            return int(run_app(args) or 0)
        from cli.checks import check_arguments

        check_arguments(args, on_date(args))  # what was typed, before the book is opened (a lock does not hide it)
        return int(handler(args) or 0)
    except DunError as e:
        print(f"dun: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dun: interrupted; nothing more was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # a file of the book that cannot be used: a folder, unreadable, ...
        from receivables.errors import shorten

        print(f"dun: {shorten(os_error_line(e))}", file=sys.stderr)
        return 1
    except Exception:
        line = book_problem(args)
        if line is None:  # not the book's fault: a bug, whose traceback stands
            raise
        print(f"dun: {line}", file=sys.stderr)
        return 1


def book_problem(args: argparse.Namespace | None) -> str | None:
    """A command failed unexpectedly: if `dun check` finds the book broken (a hand-edited
    book the engine cannot work with), its first problem as one line; else None."""
    if args is None or getattr(args, "handler", None) is None:
        return None
    try:
        from store import open_book

        with open_book(book_dir(args), readonly=True, command="dun check", today=on_date(args)) as repo:
            problems = list(repo.check()) + repo.policy_problems()[1]
    except Exception:  # the book cannot even be checked: leave the first error as it was
        return None
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0].line()}{more}; run 'dun check' to see every problem"


def os_error_line(e: OSError) -> str:
    """One line for a file the system refused: which file, the system's reason, what to do."""
    import errno

    where = f"{e.filename}: " if e.filename else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):  # (os.write names no file)
        return f"{where}{e.strerror or e}; free some space on the disk, then run the command again"
    return f"{where}{e.strerror or e}; check that it is a file (not a folder) you may read and write"


def run() -> None:
    """The ``dun`` command: :func:`main`, then exit. The objects a command loaded are frozen
    first, so the interpreter's last collection does not walk them all (what that saves after
    a publish of a large book: benchmarks/README.md); the system takes the memory back at exit
    either way."""
    code = main()
    from receivables.tuning import keep_for_life

    keep_for_life()
    sys.exit(code)


if __name__ == "__main__":
    run()
