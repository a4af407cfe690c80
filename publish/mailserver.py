"""The mail server the owner's SMTP password has gone to, remembered outside every book.

A book's ``policy.toml`` names the SMTP server, and a book folder may come from someone else:
sent to a server of theirs, the owner's password (from ``DUN_SMTP_PASSWORD`` or the keyring)
would be theirs too. So the first server (and user) a password is accepted by is kept in the
user data folder (``mail-server.json``); a policy naming another one is refused before the
password is looked up, until the owner says the new one is right (``dun mail --send
--new-server``). A server on this machine is not remembered nor checked: no network sees
what goes to it.
"""
from __future__ import annotations

import os
from pathlib import Path

import orjson
from platformdirs import user_data_dir


def record_path() -> Path:
    return Path(user_data_dir("dun", appauthor=False)) / "mail-server.json"


def known() -> tuple[str, str] | None:
    """(host, user) the password has gone to, or None (none yet, or the record is unreadable)."""
    try:
        doc = orjson.loads(record_path().read_bytes())
        host, user = doc["host"], doc["user"]
        return (host, user) if isinstance(host, str) and isinstance(user, str) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(host: str, user: str) -> None:
    """Keep (host, user) as the server the password goes to (a failure only means asking again)."""
    path = record_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps({"host": host.lower(), "user": user}))
        os.replace(tmp, path)
    except OSError:
        pass


def other_than_known(host: str, user: str) -> tuple[str, str] | None:
    """The known (host, user) when the policy names another one, else None."""
    was = known()
    if was is None or was == (host.lower(), user):
        return None
    return was
