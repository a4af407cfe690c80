"""The site folder as a whole: a fresh build folder beside it, the swap.

A build is made in a new folder beside the site (``.SITE-build-XXXX``) and swapped in whole:
the old site is renamed aside (``.SITE-old-XXXX``), the build renamed into place, the old one
removed. A crash between the two renames is undone by the next publish (:func:`recover`).

Only folders dun made are ever renamed or removed: each carries dun's marker file
(:data:`MARKER`, written into the build folder as it is made, so the site and its old copy carry
it too). A folder of the owner's that happens to have such a name is left alone.

A build folder or old copy with the marker left beside the site is a leftover of a publish
that was killed, and is removed.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

MARKER = ".dun-publish"
MARKER_TEXT = b"Made by 'dun publish', which may replace or remove this folder.\n"


def _is_ours(folder: Path) -> bool:
    """Whether ``folder`` (not a link) carries dun's marker."""
    try:
        if folder.is_symlink() or not folder.is_dir():
            return False
        return (folder / MARKER).read_bytes() == MARKER_TEXT
    except OSError:
        return False


def _siblings(out_dir: Path, kind: str) -> list[Path]:
    """dun's own ``.SITE-build-*`` or ``.SITE-old*`` folders beside ``out_dir``."""
    pattern = re.compile(re.escape(f".{out_dir.name}-{kind}") + r"(-[A-Za-z0-9_]+)?")
    try:
        names = os.listdir(out_dir.parent)
    except OSError:
        return []
    return [out_dir.parent / n for n in names if pattern.fullmatch(n) and _is_ours(out_dir.parent / n)]


def recover(out_dir: Path) -> None:
    """Finish or undo a swap that was cut between its two renames, and remove the build
    folders of killed publishes."""
    old = sorted(_siblings(out_dir, "old"), key=lambda p: p.stat().st_mtime_ns)
    if old and not out_dir.exists():
        os.replace(old.pop(), out_dir)  # the site as it was before the cut swap
    for folder in old + _siblings(out_dir, "build"):
        shutil.rmtree(folder, ignore_errors=True)


def _free_name(out_dir: Path, kind: str) -> Path:
    while True:
        p = out_dir.with_name(f".{out_dir.name}-{kind}-{os.urandom(4).hex()}")
        if not os.path.lexists(p):
            return p


def new_build(out_dir: Path) -> Path:
    """A new, empty build folder beside ``out_dir``, carrying dun's marker."""
    while True:
        tmp = _free_name(out_dir, "build")
        try:
            os.mkdir(tmp, 0o777)  # the umask applies, as for any new folder
            break
        except FileExistsError:
            continue
    try:
        with open(tmp / MARKER, "wb") as f:
            f.write(MARKER_TEXT)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def swap(tmp: Path, out_dir: Path) -> None:
    """Put the build ``tmp`` in place of ``out_dir`` (see the module docstring)."""
    old = None
    if out_dir.exists():
        if not _is_ours(out_dir):  # a site of an older dun, or an empty folder: ours from now on
            (out_dir / MARKER).write_bytes(MARKER_TEXT)
        old = _free_name(out_dir, "old")
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    fsync_dir(out_dir.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
