"""Derived data as plain JSON (orjson): never pickle, never anything that can run code.

A value is encoded by its type: a record (a frozen dataclass of the engine or the model,
named in :data:`TYPES`) as ``{"@": name, "f": [field values]}``; ``Decimal`` as
``{"$d": "12.50"}``; ``date`` as ``{"$t": "2026-11-20"}``; a dict whose keys are not all
strings as ``{"$m": [[key, value], ...]}``; tuples and lists as lists (read back as tuples:
every sequence the engine keeps is a tuple). Decoding builds only the types named in
:data:`TYPES`; anything else is an error, and the caller treats the entry as absent.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from receivables import interest, ledger, model
from receivables.engine import client, records

__all__ = ["Undecodable", "decode", "encode", "TYPES"]

TYPES: dict[str, type] = {}
for _mod in (model, ledger, interest, records, client):
    for _name in dir(_mod):
        _obj = getattr(_mod, _name)
        if isinstance(_obj, type) and is_dataclass(_obj) and _obj.__module__ == _mod.__name__ and _name not in ("Book", "BookIndex", "Ledger"):
            TYPES[_name] = _obj
_FIELDS = {name: tuple(f.name for f in fields(cls)) for name, cls in TYPES.items()}


class Undecodable(ValueError):
    """The data is not what :func:`encode` makes."""


def encode(value):
    """``value`` as JSON-ready data (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, date):
        return {"$t": value.isoformat()}
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, (dict, MappingProxyType)):
        if all(isinstance(k, str) for k in value):
            if any(k in ("@", "$d", "$t", "$m") for k in value):
                return {"$m": [[k, encode(v)] for k, v in value.items()]}
            return {k: encode(v) for k, v in value.items()}
        return {"$m": [[encode(k), encode(v)] for k, v in value.items()]}
    name = type(value).__name__
    if TYPES.get(name) is type(value):
        return {"@": name, "f": [encode(getattr(value, f)) for f in _FIELDS[name]]}
    raise TypeError(f"cannot keep a {name} as derived data")


def decode(data):
    """The value :func:`encode` made ``data`` from; :class:`Undecodable` if it is not such data."""
    try:
        return _decode(data)
    except Undecodable:
        raise
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError, AttributeError) as e:
        raise Undecodable(str(e)) from None


def _decode(data):
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return tuple(_decode(v) for v in data)
    if not isinstance(data, dict):
        raise Undecodable(f"unexpected {type(data).__name__}")
    if "@" in data:
        name = data["@"]
        cls = TYPES.get(name) if isinstance(name, str) else None
        values = data.get("f")
        if cls is None or not isinstance(values, list) or len(values) != len(_FIELDS[name]):
            raise Undecodable(f"unknown record {name!r}")
        return cls(*(_decode(v) for v in values))
    if "$d" in data:
        got = Decimal(data["$d"])
        if not got.is_finite():
            raise Undecodable("not a finite amount")
        return got
    if "$t" in data:
        return date.fromisoformat(data["$t"])
    if "$m" in data:
        return {_decode(k): _decode(v) for k, v in data["$m"]}
    return {k: _decode(v) for k, v in data.items()}
