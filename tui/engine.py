"""Lazy links to the engine and publishing modules.

They are optional at import time: while a module is missing the screen that needs it
shows a placeholder, and :func:`available` is polled so it is picked up when it appears.
Nothing here computes anything; it only finds the functions.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Callable

# (module, attribute) for each capability the app can use
LINKS = {
    "agenda": ("receivables.agenda", "build_agenda"),
    "client_status": ("receivables.agenda", "client_status"),
    "risk": ("receivables.agenda", "client_risk"),
    "interest_totals": ("receivables.interest", "interest_totals"),
    "report": ("receivables.report", "build_report"),
    "interest": ("receivables.interest", "client_interest"),
    "draft": ("publish.messages", "draft_for_action"),
}

_found: dict[str, Callable[..., Any]] = {}
_errors: dict[str, str] = {}


def get(name: str) -> Callable[..., Any] | None:
    """The function for a capability, or None while its module is not there (or broken)."""
    if name in _found:
        return _found[name]
    module_name, attr = LINKS[name]
    try:
        if importlib.util.find_spec(module_name) is None:
            _errors[name] = f"{module_name} is not installed yet"
            return None
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        _errors[name] = f"{module_name} is not available ({e.name} missing)"
        return None
    except Exception as e:  # a half-written module must not take the app down
        _errors[name] = f"{module_name} failed to load: {e}"
        return None
    fn = getattr(module, attr, None)
    if fn is None:
        _errors[name] = f"{module_name}.{attr} is not there yet"
        return None
    _found[name] = fn
    _errors.pop(name, None)
    return fn


def why_missing(name: str) -> str:
    return _errors.get(name, f"{LINKS[name][0]} is not available")


def poll() -> set[str]:
    """Look again for missing capabilities; returns the names newly found."""
    if not _errors:
        return set()
    importlib.invalidate_caches()
    new = set()
    for name in list(_errors):  # only what was asked for and was missing
        if get(name) is not None:
            new.add(name)
    return new
