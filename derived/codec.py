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
from operator import attrgetter
from types import MappingProxyType

from receivables import interest, ledger, model
from receivables.engine import client, records, totals
from receivables.model import record_maker

__all__ = ["Undecodable", "decode", "encode", "TYPES"]

TYPES: dict[str, type] = {}
for _mod in (model, ledger, interest, records, client, totals):
    for _name in dir(_mod):
        _obj = getattr(_mod, _name)
        if isinstance(_obj, type) and is_dataclass(_obj) and _obj.__module__ == _mod.__name__ and _name not in ("Book", "BookIndex", "Ledger"):
            TYPES[_name] = _obj
_FIELDS = {name: tuple(f.name for f in fields(cls)) for name, cls in TYPES.items()}


class Undecodable(ValueError):
    """The data is not what :func:`encode` makes."""


def _enc_decimal(value):
    return {"$d": str(value)}


def _enc_date(value):
    return {"$t": value.isoformat()}


# values kept as they are (the commonest fields: ids, names, counts, flags): encoded in line
_AS_IS = frozenset({str, int, bool, type(None)})


def _enc_seq(value):
    return [v if type(v) in _AS_IS else _encode(v) for v in value]


_RESERVED = ("@", "$d", "$t", "$m")


def _enc_map(value):
    for k in value:
        if type(k) is not str:
            return {"$m": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if "@" in value or "$d" in value or "$t" in value or "$m" in value:
        return {"$m": [[k, _encode(v)] for k, v in value.items()]}
    return {k: v if type(v) in _AS_IS else _encode(v) for k, v in value.items()}


def _plain(value):
    return value


def _record(name: str, cls: type):
    names = _FIELDS[name]
    get = attrgetter(*names) if len(names) > 1 else (lambda value: (getattr(value, names[0]),))

    def enc(value):
        return {"@": name, "f": [v if type(v) in _AS_IS else _encode(v) for v in get(value)]}
    return enc


# one encoder per exact type (subclasses are not ours: bool is its own entry)
_BY_TYPE = {type(None): _plain, bool: _plain, int: _plain, str: _plain, Decimal: _enc_decimal, date: _enc_date,
            tuple: _enc_seq, list: _enc_seq, dict: _enc_map, MappingProxyType: _enc_map}
_BY_TYPE.update({cls: _record(name, cls) for name, cls in TYPES.items()})


def _encode(value):
    enc = _BY_TYPE.get(type(value))
    if enc is None:
        raise TypeError(f"cannot keep a {type(value).__name__} as derived data")
    return enc(value)


def encode(value):
    """``value`` as JSON-ready data (see the module docstring)."""
    return _encode(value)


def decode(data):
    """The value :func:`encode` made ``data`` from; :class:`Undecodable` if it is not such data."""
    try:
        return _decode(data)
    except Undecodable:
        raise
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError, AttributeError) as e:
        raise Undecodable(str(e)) from None


_SCALARS = (str, int, bool, type(None))
# each record decoded is built by record_maker (every field is in the data, in order)
_NAMES = {name: (record_maker(cls), len(_FIELDS[name])) for name, cls in TYPES.items()}


def _decode(data):
    t = type(data)
    if t is list:
        return tuple(map(_decode, data))
    if t is not dict:
        if t in _SCALARS:
            return data
        raise Undecodable(f"unexpected {t.__name__}")
    if "@" in data:
        name = data["@"]
        got = _NAMES.get(name) if type(name) is str else None
        values = data.get("f")
        if got is None or type(values) is not list or len(values) != got[1]:
            raise Undecodable(f"unknown record {name!r}")
        return got[0](*map(_decode, values))
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
