"""Pure normalisation functions for patent exports.

Every function takes a raw cell value (``str``, number, ``date``/``datetime`` or ``None``)
and returns the canonical value, ``None`` for an empty cell, or raises
:class:`InvalidValue` with a short human-readable reason for a malformed one. The
loader turns ``InvalidValue`` into a reject (identifier / title) or a warning with the
field dropped (any other field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from patentnav.errors import InvalidInput

T = TypeVar("T")


class InvalidValue(InvalidInput):
    """A cell value that cannot be normalised; ``str(exc)`` is the reason."""

    code = "invalid_value"


#: cell values that mean "no value" in the exports we have seen (the 61-column export
#: writes 0 into empty date and count columns)
EMPTY_MARKERS = frozenset({"", "0", "-", "--", "—", "无", "null", "NULL", "None", "none", "N/A", "n/a", "nan", "NaN"})


def is_empty(value: object) -> bool:
    """True for ``None`` and blank / placeholder strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in EMPTY_MARKERS
    return False


def text(value: object) -> str | None:
    """A cell as stripped text, ``None`` when empty (the placeholder ``0`` is kept here:
    callers that treat ``0`` as empty use :func:`is_empty`)."""
    if value is None:
        return None
    s = value if isinstance(value, str) else str(value)
    s = s.strip()
    return s or None


def distinct_parts(parts: Iterable[str], parse: Callable[[str], T | None]) -> tuple[list[T], list[str]]:
    """(distinct non-empty ``parse`` results in order, malformed parts) of the parts of a
    list cell: parts are stripped, empty ones skipped, a part whose ``parse`` raises
    :class:`InvalidValue` is malformed."""
    values: list[T] = []
    bad: list[str] = []
    for part in parts:
        part = part.strip()
        if is_empty(part):
            continue
        try:
            v = parse(part)
        except InvalidValue:
            bad.append(part)
            continue
        if v and v not in values:
            values.append(v)
    return values, bad


__all__ = ["InvalidValue", "EMPTY_MARKERS", "distinct_parts", "is_empty", "text"]
