"""The site folder as a whole (issue 16 items 5, 7 and 10): one publish at a time, nothing
removed that dun did not make, the site's mode kept."""
from __future__ import annotations

import os
import stat
import threading
from datetime import date
from pathlib import Path

import pytest

from publish import outdir
from publish.sample import sample_book
from publish.site import publish
from receivables.errors import DunError
from receivables.policy import read_policy

ROOT = Path(__file__).resolve().parent.parent
ON = date(2026, 11, 20)


@pytest.fixture(scope="module")
def policy():
    return read_policy(ROOT / "policy.toml")


@pytest.fixture(scope="module")
def book():
    return sample_book(ON)


def test_folders_of_the_owner_named_like_build_or_old_folders_survive(tmp_path, policy, book):
    for name in (".site-old", ".site-build-mine", ".site-old-photos", ".site-build-abc123"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "precious.txt").write_text(name)
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    publish(book, policy, ON, tmp_path / "site", pdf=False, incremental=False)  # a swap
    for name in (".site-old", ".site-build-mine", ".site-old-photos", ".site-build-abc123"):
        assert (tmp_path / name / "precious.txt").read_text() == name
    assert (tmp_path / "site" / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["site", ".site-old", ".site-build-mine", ".site-old-photos", ".site-build-abc123"])


def test_a_marker_that_is_not_a_plain_file_of_dun_s_text_does_not_count(tmp_path, policy, book):
    (tmp_path / ".site-build-pipe").mkdir()
    os.mkfifo(tmp_path / ".site-build-pipe" / outdir.MARKER)  # reading it would wait forever
    (tmp_path / ".site-build-link").mkdir()
    (tmp_path / "real-marker").write_bytes(outdir.MARKER_TEXT)
    (tmp_path / ".site-build-link" / outdir.MARKER).symlink_to(tmp_path / "real-marker")
    (tmp_path / ".site-old-text").mkdir()
    (tmp_path / ".site-old-text" / outdir.MARKER).write_text("mine")
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    assert {".site-build-pipe", ".site-build-link", ".site-old-text"} <= {p.name for p in tmp_path.iterdir()}


def test_the_leftovers_of_a_killed_publish_are_removed(tmp_path, policy, book):
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    left = outdir.new_build(tmp_path / "site")  # as a publish killed mid-build leaves it
    (left / "index.html").write_text("half")
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_new_site_gets_the_usual_mode_and_a_site_keeps_its_own(tmp_path, policy, book):
    old = os.umask(0o022)
    try:
        publish(book, policy, ON, tmp_path / "site", pdf=False)
        assert stat.S_IMODE((tmp_path / "site").stat().st_mode) == 0o755
        os.chmod(tmp_path / "site", 0o750)
        publish(book, policy, ON, tmp_path / "site", pdf=False, incremental=False)
        assert stat.S_IMODE((tmp_path / "site").stat().st_mode) == 0o750
        (tmp_path / "shared").mkdir(mode=0o775)
        os.chmod(tmp_path / "shared", 0o775)  # an empty folder the owner made for the site
        publish(book, policy, ON, tmp_path / "shared", pdf=False)
        assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o775
        # a site an older dun left 0700 (no marker in it) gets the usual mode back
        (tmp_path / "site" / outdir.MARKER).unlink()
        os.chmod(tmp_path / "site", 0o700)
        publish(book, policy, ON, tmp_path / "site", pdf=False)
        assert stat.S_IMODE((tmp_path / "site").stat().st_mode) == 0o755
    finally:
        os.umask(old)


class _Paused:
    """A progress callback that holds its publish once its build folder is made, until let go."""

    def __init__(self, beside: Path | None = None) -> None:
        self.beside = beside
        self.building = threading.Event()
        self.go = threading.Event()
        self.waiting: list[str] = []

    def __call__(self, done: int, total: int, label: str) -> None:
        if total == 0 and label.startswith("waiting"):
            self.waiting.append(label)
            return
        if self.building.is_set() or self.beside is None:
            return
        if any(p.name.startswith(".site-build-") for p in self.beside.iterdir()):
            self.building.set()
            assert self.go.wait(120)


def _in_thread(fn, *args, **kw):
    box: dict = {}

    def run():
        try:
            box["result"] = fn(*args, **kw)
        except BaseException as e:  # handed to the test
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, box


def test_a_second_publish_to_the_same_site_waits_or_says_who_holds_it(tmp_path, policy, book, monkeypatch):
    site = tmp_path / "site"
    publish(book, policy, ON, site, pdf=False)
    first = _Paused(tmp_path)
    t, box = _in_thread(publish, book, policy, ON, site, progress=first, pdf=False, incremental=False)
    try:
        assert first.building.wait(120)
        builds = [p for p in tmp_path.iterdir() if p.name.startswith(".site-build-")]
        assert len(builds) == 1
        # no waiting allowed: one clear line naming the holder; the first one's build untouched
        monkeypatch.setattr(outdir, "LOCK_WAIT", 0.0)
        with pytest.raises(DunError, match=r"is being published by 'dun publish' \(pid \d+"):
            publish(book, policy, ON, site, pdf=False)
        assert builds[0].is_dir()
        # allowed to wait: it waits, and publishes once the first is done
        monkeypatch.setattr(outdir, "LOCK_WAIT", 120.0)
        second = _Paused()  # not to be held
        t2, box2 = _in_thread(publish, book, policy, ON, site, progress=second, pdf=False, incremental=False)
        while not second.waiting and t2.is_alive():
            t2.join(0.05)
        assert second.waiting and "pid" in second.waiting[0]
    finally:
        first.go.set()
        t.join(120)
    t2.join(120)
    assert "error" not in box, box.get("error")
    assert "error" not in box2, box2.get("error")
    assert (site / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_full_disk_while_building_is_one_line_and_the_site_stays(tmp_path, policy, book, monkeypatch):
    import errno

    from publish import writers as site_mod

    publish(book, policy, ON, tmp_path / "site", pdf=False)
    before = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    real = site_mod._write

    def no_room(path, data):
        if path.endswith(".csv"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(site_mod, "_write", no_room)
    with pytest.raises(DunError, match=r"could not write the site \(No space left on device\); the site is as it was"):
        publish(book, policy, ON, tmp_path / "site", pdf=False, incremental=False)
    after = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert after == before
