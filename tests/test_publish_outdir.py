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


def test_the_leftovers_of_a_killed_publish_are_removed(tmp_path, policy, book):
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    left = outdir.new_build(tmp_path / "site")  # as a publish killed mid-build leaves it
    (left / "index.html").write_text("half")
    publish(book, policy, ON, tmp_path / "site", pdf=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
