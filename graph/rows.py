"""Row checks shared by the backends: keys, property types, in-batch merging.

Both stores accept the same rows and reject the same mistakes, so a typo or a wrong
type fails with :class:`~patentnav.errors.SchemaError` on either backend instead of
being stored silently by one of them. The checks work per column (the set of Python
types present in a column), not per value, to stay cheap on bulk loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from numbers import Integral, Real
from typing import Any

from graph.schema import NodeType, RelType
from patentnav.errors import SchemaError

#: keys of a relationship row besides its properties
REL_KEYS = ("src", "dst")


@lru_cache(maxsize=256)
def _accepts(prop_type: str, py_type: type) -> bool:
    is_bool = issubclass(py_type, bool) or (
        py_type.__module__ == "numpy" and py_type.__name__ in ("bool", "bool_")
    )
    if prop_type == "STRING":
        return issubclass(py_type, str)
    if prop_type == "INT64":
        return issubclass(py_type, Integral) and not is_bool
    if prop_type == "DOUBLE":
        return issubclass(py_type, Real) and not is_bool
    if prop_type == "BOOLEAN":
        return is_bool
    if prop_type == "DATE":
        return issubclass(py_type, dt.date)
    if prop_type == "STRING[]":
        return issubclass(py_type, (list, tuple))
    return False


def check_column(owner: str, prop: str, prop_type: str, values: Iterable[Any]) -> None:
    """Raise SchemaError if a value in ``values`` cannot be stored as ``prop_type``.

    ``None`` is always allowed (it means "leave the stored value as it is").
    DATE accepts ``datetime.date`` (a ``datetime`` is truncated to its date).
    """
    for py_type in {type(v) for v in values}:
        if py_type is type(None):
            continue
        if not _accepts(prop_type, py_type):
            raise SchemaError(
                f"{owner}.{prop} is {prop_type}; got a value of type {py_type.__name__}"
            )


def check_keys(owner: str, allowed: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The keys used by ``rows``; raise SchemaError on keys the schema does not declare."""
    keys: set[str] = set().union(*rows) if rows else set()
    unknown = keys.difference(allowed)
    if unknown:
        raise SchemaError(f"{owner} has no properties {sorted(unknown)}; declare them in graph/schema.py")
    return keys


def check_ids(owner: str, key: str, values: Sequence[Any]) -> None:
    """Every row needs a non-empty string ``key``."""
    for py_type in {type(v) for v in values}:
        if not issubclass(py_type, str):
            raise SchemaError(f"{owner} rows need a string {key!r}; got {py_type.__name__}")
    if "" in set(values):
        raise SchemaError(f"{owner} rows need a non-empty {key!r}")


def merge_duplicates(rows: Iterable[Mapping[str, Any]], key: Sequence[str]) -> list[dict[str, Any]]:
    """Merge rows sharing ``key`` (one or more fields): later non-None values win.

    Keeps the position of each key's first row.
    """
    merged: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        k = tuple(row.get(f) for f in key)
        current = merged.get(k)
        if current is None:
            merged[k] = dict(row)
        else:
            current.update((name, value) for name, value in row.items() if value is not None)
    return list(merged.values())


def normalise_node_rows(nt: NodeType, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked copies of node rows, holding only declared keys (for row-wise backends)."""
    keys = check_keys(nt.label, nt.prop_names, rows)
    if nt.key not in keys:
        raise SchemaError(f"{nt.label} rows need {nt.key!r}")
    check_ids(nt.label, nt.key, [r.get(nt.key) for r in rows])
    for name in keys - {nt.key}:
        check_column(nt.label, name, nt.prop_type(name), (r.get(name) for r in rows))
    return [_plain_row(r, keys, nt.prop_type) for r in rows]


def normalise_rel_rows(rt: RelType, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked copies of relationship rows (``src``, ``dst`` and declared properties)."""
    keys = check_keys(rt.type, (*REL_KEYS, *rt.prop_names), rows)
    types = {p.name: p.type for p in rt.props}
    for k in REL_KEYS:
        if k not in keys:
            raise SchemaError(f"{rt.type} rows need {k!r}")
        check_ids(rt.type, k, [r.get(k) for r in rows])
    for name in keys.difference(REL_KEYS):
        check_column(rt.type, name, types[name], (r.get(name) for r in rows))
    return [_plain_row(r, keys, lambda n: types.get(n, "STRING")) for r in rows]


def _plain_row(row: Mapping[str, Any], keys: set[str], type_of) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in keys:
        value = row.get(name)
        if isinstance(value, dt.datetime) and type_of(name) == "DATE":
            value = value.date()
        elif isinstance(value, tuple):
            value = list(value)
        elif type(value).__module__ == "numpy" and hasattr(value, "item"):
            value = value.item()  # numpy scalar -> Python (the driver cannot pack numpy types)
        out[name] = value
    return out
