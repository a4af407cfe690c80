"""The firm's collection policy (``policy.toml``): load, validate, return typed settings.

Numbers are read with ``tomllib.load(f, parse_float=Decimal)`` so no float ever holds a
rate or an amount. Problems are returned as data (:class:`~receivables.errors.Problem`),
each naming the file, the key and what is wrong; :func:`read_policy` raises the first.

The settings themselves are in :mod:`receivables.policytypes` and the readers of each table
in :mod:`receivables.policyread`; every name is importable from here.
"""
from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from .errors import DunError, Problem
from .money import MINOR_UNITS
from .policyread import DAYS, INTEREST_KEYS, Reader, read_interest, read_steps
from .policytypes import (
    DEFAULT_LEGAL_BASIS,
    ESCALATIONS,
    PAPERS,
    REGIME_CURRENCY,
    REGIME_TABLE,
    REGIMES,
    TABLE_LABEL,
    BackupPolicy,
    example_left,
    Calendar,
    Company,
    Defaults,
    InterestPolicy,
    LadderSettings,
    MailPolicy,
    Policy,
    PublishPolicy,
    ReferenceRate,
    Step,
)
from .syncpolicy import BankCsv, SyncPolicy, read_bank, read_sync

# the default policy is about 10 KB: a file far larger is not a policy (and is not read whole)
MAX_POLICY_BYTES = 1024 * 1024

__all__ = [
    "DEFAULT_LEGAL_BASIS", "ESCALATIONS", "PAPERS", "REGIME_CURRENCY", "REGIME_TABLE", "REGIMES", "TABLE_LABEL",
    "BackupPolicy", "BankCsv", "Calendar", "Company", "Defaults", "InterestPolicy", "LadderSettings", "MailPolicy",
    "Policy", "PublishPolicy", "ReferenceRate", "Step", "SyncPolicy",
    "load_policy", "parse_policy", "read_policy",
]


_DUN_ENV = re.compile(r"DUN_[A-Z0-9_]{1,60}")
_DUN_SERVICE = re.compile(r"dun(-[a-z0-9._-]{1,60})?")


def parse_policy(doc: dict, source: str = "policy.toml") -> tuple[Policy | None, list[Problem]]:
    """Validate a parsed TOML document. Returns the policy (None if it has problems)."""
    problems: list[Problem] = []
    r = Reader(source, problems)
    top = {"company", "defaults", "calendar", "ladder", "steps", "interest", "backup", "publish", "mail", "bank", "sync"}
    for k in doc:
        if k not in top:
            r.problem(k, "unknown table or key", f"known: {', '.join(sorted(top))}")

    c = r.table(doc, "company", set(Company.__slots__))
    company = Company(**{k: r.get(c, "company.", k, bool if k == "example" else str, getattr(Company(), k))
                         for k in Company.__slots__})
    if not company.example and example_left(company):
        company = replace(company, example=True)

    d = r.table(doc, "defaults", {"terms_days", "currency", "locale"})
    currency = r.get(d, "defaults.", "currency", str, "GBP")
    if currency not in MINOR_UNITS:
        r.problem("defaults.currency", f"unknown currency {currency!r}", "use an ISO 4217 code such as GBP")
        currency = "GBP"
    defaults = Defaults(
        terms_days=r.count(d, "defaults.", "terms_days", 30, 0, DAYS),
        currency=currency,
        locale=r.get(d, "defaults.", "locale", str, "en_GB"),
    )

    cal = r.table(doc, "calendar", {"country", "subdivision"})
    calendar = Calendar(
        country=r.get(cal, "calendar.", "country", str, company.country or "GB"),
        subdivision=r.get(cal, "calendar.", "subdivision", str, None),
    )

    lad = r.table(doc, "ladder", set(LadderSettings.__slots__))
    base = LadderSettings()
    ladder = LadderSettings(
        min_gap_days=r.count(lad, "ladder.", "min_gap_days", base.min_gap_days, 0, DAYS),
        tolerance=r.decimal(lad, "ladder.", "tolerance", base.tolerance, Decimal(0)),
        promise_grace_days=r.count(lad, "ladder.", "promise_grace_days", base.promise_grace_days, 0, DAYS),
        dispute_review_days=r.count(lad, "ladder.", "dispute_review_days", base.dispute_review_days, 1, DAYS),
        plan_grace_days=r.count(lad, "ladder.", "plan_grace_days", base.plan_grace_days, 0, DAYS),
        credit_review_days=r.count(lad, "ladder.", "credit_review_days", base.credit_review_days, 1, DAYS),
    )

    steps = read_steps(doc.get("steps", []), r)
    interest = read_interest(r.table(doc, "interest", INTEREST_KEYS), r)

    b = r.table(doc, "backup", {"keep"})
    backup = BackupPolicy(keep=r.count(b, "backup.", "keep", 14, 1, 10_000))

    p = r.table(doc, "publish", {"paper", "internal_notes", "statement_activities"})
    paper = r.get(p, "publish.", "paper", str, "A4")
    if paper not in PAPERS:
        r.problem("publish.paper", f"must be one of {', '.join(PAPERS)}, not {paper!r}")
        paper = "A4"
    publish = PublishPolicy(
        paper=paper,
        internal_notes=r.get(p, "publish.", "internal_notes", bool, False),
        statement_activities=r.count(p, "publish.", "statement_activities", 5, 0, 1000),
    )

    m = r.table(doc, "mail", {"from", "reply_to", "smtp_host", "smtp_port", "smtp_user", "starttls", "password_env", "keyring_service", "password"})
    if "password" in m:
        r.problem("mail.password", "passwords never go in the policy file",
                  "set the environment variable named by mail.password_env, or use the system keyring")
    mail = MailPolicy(
        sender=r.get(m, "mail.", "from", str, company.email),
        reply_to=r.get(m, "mail.", "reply_to", str, company.email),
        smtp_host=r.get(m, "mail.", "smtp_host", str, "localhost"),
        smtp_port=r.count(m, "mail.", "smtp_port", 587, 1, 65535),
        smtp_user=r.get(m, "mail.", "smtp_user", str, ""),
        starttls=r.get(m, "mail.", "starttls", bool, True),
        password_env=r.get(m, "mail.", "password_env", str, "DUN_SMTP_PASSWORD"),
        keyring_service=r.get(m, "mail.", "keyring_service", str, "dun"),
    )
    # A policy comes with its book, which may be someone else's: it may name where the password
    # is looked up, but only among dun's own (never another program's secret, sent to its server)
    if mail.password_env and not _DUN_ENV.fullmatch(mail.password_env):
        r.problem("mail.password_env", f"{mail.password_env!r} is not one of dun's variables",
                  "name a variable starting with DUN_, e.g. DUN_SMTP_PASSWORD")
    if not _DUN_SERVICE.fullmatch(mail.keyring_service):
        r.problem("mail.keyring_service", f"{mail.keyring_service!r} is not one of dun's keyring services",
                  "use \"dun\", or a name starting with \"dun-\"")

    bank, sync = read_bank(r, doc, defaults.currency), read_sync(r, doc)
    if problems:
        return None, problems
    return (
        Policy(company, defaults, calendar, ladder, steps, interest, backup, publish, mail, source, bank=bank, sync=sync),
        [],
    )


def load_policy(path: Path | str) -> tuple[Policy | None, list[Problem]]:
    """Read and validate a policy file; problems come back as data."""
    path = Path(path)
    source = str(path)
    try:
        # (non-blocking: a pipe or a device in a book folder from elsewhere gives no endless read)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                return None, [Problem("is not a plain file", source, "put the policy file itself there")]
            raw = f.read(MAX_POLICY_BYTES + 1)
        if len(raw) > MAX_POLICY_BYTES:
            return None, [Problem(f"is larger than a policy can be ({MAX_POLICY_BYTES // 1024} KB)", source,
                                  "start again from the default policy (see 'dun init')")]
        doc = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        return None, [Problem("file not found", source, "run 'dun init' to create a book with the default policy")]
    except IsADirectoryError:
        return None, [Problem("is a folder, not a file", source, "put the policy file there (see 'dun init')")]
    except OSError as e:
        return None, [Problem(f"cannot be read ({e.strerror or e})", source, "check the file's permissions")]
    except UnicodeDecodeError:
        return None, [Problem("is not UTF-8 text", source, "save the file as UTF-8")]
    except tomllib.TOMLDecodeError as e:
        return None, [Problem(f"is not valid TOML: {e}", source, "fix the line it names")]
    return parse_policy(doc, source)


def read_policy(path: Path | str) -> Policy:
    """Read a policy or raise the first problem as a user error."""
    policy, problems = load_policy(path)
    if policy is None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        hint = first.hint
        if more:  # (it said there were more, and not where to see them)
            hint = (hint + "; " if hint else "") + "'dun check' lists them all"
        raise DunError(first.message + more, first.where, hint)
    return policy
