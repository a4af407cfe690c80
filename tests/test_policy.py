from decimal import Decimal
from pathlib import Path

import pytest

from receivables.errors import DunError
from receivables.policy import load_policy, read_policy

REPO = Path(__file__).resolve().parent.parent


def test_the_repo_policy_is_valid_and_reads_decimals_not_floats():
    policy = read_policy(REPO / "policy.toml")
    assert [s.id for s in policy.steps] == ["courtesy", "reminder", "call", "second-reminder", "final-notice", "agency"]
    assert isinstance(policy.ladder.tolerance, Decimal)
    assert isinstance(policy.interest.margin, Decimal)
    assert all(isinstance(r.rate, Decimal) for r in policy.interest.reference_rates)
    assert policy.step("final-notice").required and policy.step("final-notice").credit_hold
    assert policy.step("agency").escalate == "agency"


def write(tmp_path, text):
    p = tmp_path / "policy.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_unknown_key_names_file_and_key(tmp_path):
    p = write(tmp_path, "[ladder]\nmin_gap = 3\n")
    policy, problems = load_policy(p)
    assert policy is None
    assert problems[0].where == f"{p}: ladder.min_gap" and "unknown key" in problems[0].message


def test_a_mistyped_key_gets_the_key_it_looks_like_and_the_step_it_is_in(tmp_path):
    text = (REPO / "policy.toml").read_text(encoding="utf-8")
    text = text.replace('id = "call"\n', 'id = "call"\nafter_due_day = 3\n', 1)
    text = text.replace("min_gap_days = 7", "min_gap_day = 7", 1)
    policy, problems = load_policy(write(tmp_path, text))
    assert policy is None
    got = {pr.where.split(": ", 1)[1]: pr.hint for pr in problems}
    assert got == {"ladder.min_gap_day": "did you mean min_gap_days?",
                   "steps[3] (call).after_due_day": "did you mean after_due_days?"}
    _, problems = load_policy(write(tmp_path, "[ladder]\nzzz = 1\n"))  # nothing like it: the keys there are
    assert problems[0].hint.startswith("known keys: ") and "min_gap_days" in problems[0].hint


def test_duplicate_step_id_and_step_without_id(tmp_path):
    p = write(tmp_path, """
[[steps]]
id = "a"
after_due_days = 1
channel = "email"
template = "reminder"
[[steps]]
id = "a"
after_due_days = 5
channel = "email"
template = "reminder"
[[steps]]
after_due_days = 9
channel = "phone"
template = "call"
""")
    _, problems = load_policy(p)
    text = [x.line() for x in problems]
    assert any("duplicate step id 'a'" in t and "steps[2]" in t for t in text)
    assert any("steps[3].id" in t and "missing" in t for t in text)
    with pytest.raises(DunError) as e:
        read_policy(p)
    assert str(p) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("body,key", [
    ('[[steps]]\nid="x"\nafter_due_days=1\nchannel="fax"\ntemplate="t"\n', "channel"),
    ('[[steps]]\nid="x"\nafter_due_days=1\nchannel="email"\ntemplate="t"\nescalate="police"\n', "escalate"),
    ('[interest]\nregime="usury"\n', "interest.regime"),
    ('[defaults]\ncurrency="XXQ"\n', "defaults.currency"),
    ('[ladder]\nmin_gap_days="seven"\n', "ladder.min_gap_days"),
    ('[mail]\npassword="hunter2"\n', "mail.password"),
    # a book's policy names where the SMTP password is looked up, only among dun's own: never
    # another program's secret (sent to the server the same policy names)
    ('[mail]\npassword_env="AWS_SECRET_ACCESS_KEY"\n', "mail.password_env"),
    ('[mail]\npassword_env="dun_smtp_password"\n', "mail.password_env"),
    ('[mail]\nkeyring_service="github"\n', "mail.keyring_service"),
    ('[mail]\nkeyring_service="dunhill"\n', "mail.keyring_service"),
    ('[ladder]\ntolerance = nan\n', "ladder.tolerance"),
    ('[[steps]]\nid="b"\nafter_due_days=10\nchannel="email"\ntemplate="t"\n[[steps]]\nid="a"\nafter_due_days=1\nchannel="email"\ntemplate="t"\n', "after_due_days"),
])
def test_bad_values_are_named(tmp_path, body, key):
    _, problems = load_policy(write(tmp_path, body))
    assert problems and any(key in p.where for p in problems), [p.line() for p in problems]


def test_not_toml_and_not_utf8(tmp_path):
    _, problems = load_policy(write(tmp_path, "[ladder\n"))
    assert "not valid TOML" in problems[0].message
    p = tmp_path / "policy.toml"
    p.write_bytes(b"\xff\xfe[ladder]")
    _, problems = load_policy(p)
    assert problems and "UTF-8" in problems[0].message


def _interest(tmp_path, **changes):
    text = (REPO / "policy.toml").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text or old.startswith("+"), old
        text = text + new if old.startswith("+") else text.replace(old, new, 1)
    return load_policy(write(tmp_path, text))


@pytest.mark.parametrize("regime, margin, ok", [
    ("uk-late-payment", "8", True), ("uk-late-payment", "5", False), ("uk-late-payment", "9", False),
    ("eu-late-payment", "8", True), ("eu-late-payment", "9", True), ("eu-late-payment", "7.5", False),
])
def test_a_statutory_margin_follows_the_law(tmp_path, regime, margin, ok):
    """SI 2002/1675 art. 4: "8 per cent per annum over the official dealing rate"; Directive
    2011/7/EU art. 2(6): "at least eight percentage points". A UK book with margin = 5 claimed
    9.25 % under a sentence saying 8 %, and dun check said nothing."""
    policy, problems = _interest(tmp_path, **{'regime = "uk-late-payment"': f'regime = "{regime}"',
                                              "margin = 8 ": f"margin = {margin} "})
    bad = [p for p in problems if p.where.endswith("interest.margin")]
    assert (not bad) == ok, [p.line() for p in problems]
    if ok:
        assert policy is not None and policy.interest.margin == Decimal(margin)


def test_each_regime_quotes_its_own_law_and_a_sentence_citing_another_is_refused(tmp_path):
    """The shipped policy set legal_basis to the UK Act's sentence, which overrode every
    regime's own: a book switched to the EU regime quoted the UK Act on each claim."""
    for regime, words in (("uk-late-payment", "Late Payment of Commercial Debts"),
                          ("eu-late-payment", "Directive 2011/7/EU"), ("contract", "terms of business")):
        extra = '\nannual_rate = 6\n' if regime == "contract" else ""
        policy, problems = _interest(tmp_path, **{'regime = "uk-late-payment"': f'regime = "{regime}"',
                                                  "annual_rate = 0 ": "# annual_rate = 0 " if extra else "annual_rate = 0 ",
                                                  "claim_terms_days = 14 ": f"claim_terms_days = 14 {extra}"})
        assert policy is not None, [p.line() for p in problems]
        assert words in policy.interest.basis
    sentence = 'legal_basis = "Claimed under the Late Payment of Commercial Debts (Interest) Act 1998."'
    _, problems = _interest(tmp_path, **{'regime = "uk-late-payment"': 'regime = "eu-late-payment"',
                                         "claim_terms_days = 14 ": f"{sentence}\nclaim_terms_days = 14 "})
    (bad,) = [p for p in problems if p.where.endswith("interest.legal_basis")]
    assert "cites the law of the uk-late-payment regime, but the regime is eu-late-payment" in bad.message
    policy, problems = _interest(tmp_path, **{"claim_terms_days = 14 ": f"{sentence}\nclaim_terms_days = 14 "})
    assert policy is not None and policy.interest.basis.startswith("Claimed under the Late Payment")


def test_a_policy_with_several_problems_says_where_to_see_them_all(tmp_path):
    """'(and 1 more problem)' said there was another and not where to read it."""
    from pathlib import Path

    from receivables.errors import DunError
    from receivables.policy import read_policy

    shipped = (Path(__file__).resolve().parent.parent / "policy.toml").read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(shipped.replace('currency = "GBP"         #', 'currency = "XXX"         #', 1)
                    .replace("terms_days = 30          #", "terms_days = -3          #", 1), encoding="utf-8")
    with pytest.raises(DunError) as e:
        read_policy(path)
    assert "(and 1 more problem)" in str(e.value) and "'dun check' lists them all" in str(e.value)
    path.write_text(shipped.replace('currency = "GBP"         #', 'currency = "XXX"         #', 1), encoding="utf-8")
    with pytest.raises(DunError) as e:
        read_policy(path)
    assert "more problem" not in str(e.value) and "dun check" not in str(e.value)
