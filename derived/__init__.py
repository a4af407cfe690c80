"""The one owner of derived state: every client's day, kept and checked against the store.

``derived.current(repo, policy, on, previous)`` gives the book's day (every client's
:class:`~receivables.engine.ClientDay`, the agenda and the report) through one rule: an
entry is valid when its key (book id, policy digest, code version, date) matches and its
revision equals the client's revision in the store; anything else is derived again and
folded in. See :mod:`derived.state`.
"""
from .state import (Derived, Due, Key, cache_root, code_version, current, days_ahead, kept, key_of, policy_digest,
                    start_share, write_file)

__all__ = ["Derived", "Due", "Key", "cache_root", "code_version", "current", "days_ahead", "kept", "key_of",
           "policy_digest", "start_share", "write_file"]
