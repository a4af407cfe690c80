"""User key bindings: ``keymap.toml`` in the book folder, else in the user config folder.

The file maps binding ids to keys, e.g.::

    [keys]
    "outcome.sent" = "s"
    "nav.today" = "f1,1"

Every binding in the app has an id (see the help screen, ``?``), so any key can be moved.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from receivables.errors import Problem


def keymap_paths(book_dir: Path) -> list[Path]:
    paths = [Path(book_dir) / "keymap.toml"]
    try:
        from platformdirs import user_config_dir

        paths.append(Path(user_config_dir("dun", appauthor=False)) / "keymap.toml")
    except Exception:  # pragma: no cover - platformdirs is a dependency
        pass
    return paths


def load_keymap(book_dir: Path) -> tuple[dict[str, str], list[Problem], Path | None]:
    """The first keymap file found: (binding id -> keys, problems, its path)."""
    for path in keymap_paths(book_dir):
        if path.is_dir():
            return {}, [Problem("is a folder, not a file", str(path), "remove it, or put a keymap.toml there")], path
        if not path.is_file():
            continue
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            return {}, [Problem(f"could not be read: {e}", str(path), "fix or remove the file")], path
        keys = doc.get("keys", {})
        problems: list[Problem] = []
        out: dict[str, str] = {}
        if not isinstance(keys, dict):
            return {}, [Problem("[keys] must be a table", str(path))], path
        for k in doc:
            if k != "keys":
                problems.append(Problem("unknown table", f"{path}: {k}", "put bindings under [keys]"))
        for binding_id, value in keys.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem("must be a key such as \"s\" or \"ctrl+s\"", f"{path}: keys.{binding_id}"))
                continue
            out[str(binding_id)] = value.strip()
        return out, problems, path
    return {}, [], None
