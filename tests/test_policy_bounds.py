"""Issue 16 item 9: every number the policy accepts is bounded. `margin = 1e400` passed
validation and `dun publish` then failed with decimal.InvalidOperation; now each out-of-range
number is one line naming the file, the key and the allowed range."""
from __future__ import annotations

import re

import pytest

from receivables.errors import DunError
from receivables.policy import load_policy, read_policy

from .conftest import REPO
from .hostile_support import ON, folder_hash, make_book, one_line_refusal, run

DEFAULT = (REPO / "policy.toml").read_text(encoding="utf-8")


def with_value(key: str, value: str, text: str = DEFAULT) -> str:
    """The default policy with the first ``key = ...`` line set to ``value``."""
    new, n = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text, count=1)
    assert n == 1, key
    return new


CASES = [  # (key as written in the file, where the message names it, bad value)
    ("margin", "interest.margin", "1e400"),
    ("margin", "interest.margin", "-1"),
    ("margin", "interest.margin", "101"),
    ("margin", "interest.margin", '"1E+400"'),
    ("margin", "interest.margin", "1e-400"),
    ("annual_rate", "interest.annual_rate", "1e400"),
    ("rate", "interest.rates.boe[1].rate", '"99999999999999999999"'),
    ("from", "interest.rates.boe[1].from", "9999-12-31"),
    ("tolerance", "ladder.tolerance", "1e400"),
    ("tolerance", "ladder.tolerance", '"-5"'),
    ("min_gap_days", "ladder.min_gap_days", "99999999999999999999999"),
    ("promise_grace_days", "ladder.promise_grace_days", "10000000"),
    ("dispute_review_days", "ladder.dispute_review_days", "0"),
    ("plan_grace_days", "ladder.plan_grace_days", "-1"),
    ("credit_review_days", "ladder.credit_review_days", "1000000000"),
    ("terms_days", "defaults.terms_days", "99999999"),
    ("after_due_days", "steps[1] (courtesy).after_due_days", "-99999999"),
    ("min_overdue", "steps[3] (call).min_overdue", "1e400"),
    ("keep", "backup.keep", "10000000000"),
    ("statement_activities", "publish.statement_activities", "100000000"),
    ("smtp_port", "mail.smtp_port", "70000"),
]


@pytest.mark.parametrize("key,where,value", CASES, ids=lambda x: str(x))
def test_each_number_is_bounded_with_a_message_naming_the_key(tmp_path, key, where, value):
    path = tmp_path / "policy.toml"
    path.write_text(with_value(key, value, DEFAULT), encoding="utf-8")
    policy, problems = load_policy(path)
    assert policy is None
    assert len(problems) == 1, problems
    line = problems[0].line()
    assert f"{path}: {where}:" in line, line
    assert any(w in line for w in ("must be from", "decimal places", "outside the dates", "must be a number")), line
    assert "\n" not in line and len(line) < 250, line
    with pytest.raises(DunError):
        read_policy(path)


def test_the_defaults_are_within_the_bounds():
    read_policy(REPO / "policy.toml")


@pytest.mark.parametrize("value", ["1e400", "1e999999"])
def test_publish_with_a_huge_margin_says_so_in_one_line(tmp_path, capsys, monkeypatch, value):
    monkeypatch.delenv("DUN_BOOK", raising=False)
    book = make_book(capsys, tmp_path / "book")
    policy = book / "policy.toml"
    policy.write_text(with_value("margin", value, policy.read_text(encoding="utf-8")), encoding="utf-8")
    before = folder_hash(book)
    for argv in (["publish", "--no-pdf"], ["client", "show", "acme-supplies"], ["agenda"], ["report"]):
        line = one_line_refusal(*run(capsys, *argv, "--on", ON, "--book", book))
        assert "interest.margin" in line and "must be from 0 to 100" in line, line
    code, out, err = run(capsys, "check", "--book", book)
    assert code == 1 and "interest.margin: must be from 0 to 100" in out
    assert folder_hash(book) == before
