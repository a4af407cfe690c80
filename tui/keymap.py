"""Your key bindings: ``keymap.toml`` in your user config folder (platformdirs'
``user_config_dir("dun")``, e.g. ``~/.config/dun/keymap.toml``).

The file maps binding ids to keys, e.g.::

    [keys]
    "outcome.sent" = "s"
    "nav.today" = "f1,1"

Every binding in the app has an id (see the help screen, ``?``), so any key can be moved.
The keys are the owner's, never a book's: a ``keymap.toml`` in a book folder (which may come
from someone else, and could have bound the arrow keys to "sent") is not read; the app says
so and where to move it.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from platformdirs import user_config_dir

from receivables.errors import Problem


def keymap_path() -> Path:
    """Where your keymap lives (the user config folder)."""
    return Path(user_config_dir("dun", appauthor=False)) / "keymap.toml"


def load_keymap(book_dir: Path) -> tuple[dict[str, str], list[Problem], Path | None]:
    """Your keymap: (binding id -> keys, problems, its path or None when there is none). A
    keymap.toml in ``book_dir`` is not used: it is reported as a problem saying where to move it."""
    problems: list[Problem] = []
    in_book = Path(book_dir) / "keymap.toml"
    path = keymap_path()
    if in_book.exists() or in_book.is_symlink():
        problems.append(Problem("is not used: keys are set in your own config folder, not by a book (a book "
                                "folder from someone else could move them)", str(in_book), f"move it to {path}"))
    if path.is_dir():
        return {}, [*problems, Problem("is a folder, not a file", str(path), "remove it, or put a keymap.toml there")], path
    if not path.is_file():
        return {}, problems, None
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        return {}, [*problems, Problem(f"could not be read: {e}", str(path), "fix or remove the file")], path
    keys = doc.get("keys", {})
    out: dict[str, str] = {}
    if not isinstance(keys, dict):
        return {}, [*problems, Problem("[keys] must be a table", str(path))], path
    for k in doc:
        if k != "keys":
            problems.append(Problem("unknown table", f"{path}: {k}", "put bindings under [keys]"))
    for binding_id, value in keys.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem("must be a key such as \"s\" or \"ctrl+s\"", f"{path}: keys.{binding_id}"))
            continue
        out[str(binding_id)] = value.strip()
    return out, problems, path
