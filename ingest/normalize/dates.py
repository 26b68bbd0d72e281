"""Dates in every form the exports use, to ``datetime.date``.

Accepted: ``date``/``datetime`` cells, ``2021.03.05``, ``2021-3-5``, ``2021/03/05``,
``20210305``, ``2021年3月5日`` (optionally followed by a time), Excel serial day numbers
(``44260`` or ``44260.0``, 1900 date system) in numeric cells or as 5-digit text.
Sanity range: 1985-01-01 (the CN patent law took effect in April 1985) up to today;
anything outside raises :class:`InvalidValue`. ``0`` and blank mean "no date".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from ingest.normalize import InvalidValue, distinct_parts, is_empty

MIN_DATE = date(1985, 1, 1)
_EXCEL_EPOCH = date(1899, 12, 30)
_SEP_RE = re.compile(
    r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_RE = re.compile(r"^(\d{5})(?:\.\d+)?$")
_LIST_SPLIT = re.compile(r"[;；,，|\n]+")


def _check_range(d: date, today: date) -> date:
    if d < MIN_DATE or d > today:
        raise InvalidValue(f"date {d.isoformat()} outside {MIN_DATE.year}..today")
    return d


def _from_serial(n: float, today: date) -> date:
    return _check_range(_EXCEL_EPOCH + timedelta(days=int(n)), today)


@lru_cache(maxsize=32768)
def _parse_text(s: str, today: date) -> date:
    m = _COMPACT_RE.match(s) or _SEP_RE.match(s)
    if m:
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise InvalidValue("not a calendar date") from None
        return _check_range(d, today)
    m = _SERIAL_RE.match(s)
    if m:
        return _from_serial(int(m.group(1)), today)
    raise InvalidValue("unrecognised date format")


def parse_date(value: object, *, today: date | None = None) -> date | None:
    """The date of a cell, ``None`` when empty; :class:`InvalidValue` when malformed
    or outside 1985..today."""
    today = today or date.today()
    if isinstance(value, datetime):
        return _check_range(value.date(), today)
    if isinstance(value, date):
        return _check_range(value, today)
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise InvalidValue("boolean where a date was expected")
    if isinstance(value, (int, float)):
        if 19850101 <= value <= 29991231 and float(value).is_integer():
            return _parse_text(str(int(value)), today)
        if 1 <= value < 100000:
            return _from_serial(value, today)
        raise InvalidValue("number is neither YYYYMMDD nor an Excel serial date")
    s = str(value).strip()
    return _parse_text(s, today)


def parse_date_list(value: object, *, today: date | None = None) -> tuple[list[date], list[str]]:
    """Several dates in one cell (``2021-01-05;2022-03-01``): (dates, malformed parts)."""
    if isinstance(value, (date, datetime, int, float)):
        d = parse_date(value, today=today)
        return ([d] if d else []), []
    if is_empty(value):
        return [], []
    return distinct_parts(_LIST_SPLIT.split(str(value)), lambda part: parse_date(part, today=today))
