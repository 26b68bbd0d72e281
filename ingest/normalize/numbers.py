"""CN application numbers, publication numbers, kind codes and counts.

Application numbers
    CNIPA numbers carry a check digit after the dot. New form (since Oct 2003): 12
    digits ``YYYY T NNNNNNN`` (T = type: 1 invention, 2 utility model, 3 design,
    8 PCT invention, 9 PCT utility model). Old form: 8 digits ``YY T NNNNN``. The check
    digit is ``sum(d_i * w_i) mod 11`` with weights 2,3,4,5,6,7,8,9,2,3,4,5 (the old
    8-digit form uses the first eight, 2..9); a remainder of 10 is written ``X``.
    A 9-digit form is accepted with the same cyclic weights (2..9,2); it is rare and
    only accepted with an explicit dot.
    Canonical form: ``CN`` + digits + ``.`` + check digit, e.g. ``CN202223220665.2``.

Publication numbers
    ``CN218751475U``: country, serial, kind code. Spaces and dots are removed, letters
    upper-cased. The kind code gives the document type: A (invention application
    published), B (invention granted), C (invention granted, before 2010), U (utility
    model), Y (utility model, before 2010), S (design), D (design, old).
    Since 2010 the grant of an invention keeps the publication serial (CN115883397A ->
    CN115883397B), so :func:`pub_base` (country + serial) identifies the application
    across its publications.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from operator import mul

from ingest.normalize import EMPTY_MARKERS, InvalidValue, is_empty

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_APP_CLEAN = re.compile(r"[\s\u3000]+")
_APP_RE = re.compile(r"^(?:CN|ZL)?([0-9]+)(?:\.([0-9X]))?$")
_PUB_CLEAN = re.compile(r"[\s\u3000\-]+")
_PUB_RE = re.compile(r"^([A-Z]{2})?([0-9]{5,13})([A-Z][0-9]?)?$")

KIND_BY_TYPE_DIGIT = {"1": "invention", "8": "invention", "2": "utility_model", "9": "utility_model", "3": "design"}

#: document type by publication kind code
DOC_TYPES = {
    "A": "invention application",
    "B": "invention grant",
    "C": "invention grant (pre-2010)",
    "U": "utility model",
    "Y": "utility model (pre-2010)",
    "S": "design",
    "D": "design (old)",
}
KIND_BY_KIND_CODE = {
    "A": "invention", "B": "invention", "C": "invention",
    "U": "utility_model", "Y": "utility_model",
    "S": "design", "D": "design",
}


def _quad_sums(weights: tuple[int, ...]) -> dict[str, int]:
    return {f"{i:04d}": sum(int(d) * w for d, w in zip(f"{i:04d}", weights)) for i in range(10_000)}


#: weighted sums of 4-digit groups: positions 1-4 and 9-12 weigh 2..5, positions 5-8 weigh 6..9
_QUAD_A = _quad_sums(_WEIGHTS[:4])
_QUAD_B = _quad_sums(_WEIGHTS[4:8])


def check_digit(digits: str) -> str:
    """The CNIPA check digit of an application number's digits (8, 9 or 12 digits)."""
    if not digits.isdigit() or len(digits) not in (8, 9, 12):
        raise InvalidValue(f"application number must have 8, 9 or 12 digits, not {len(digits)}")
    if len(digits) == 12 and digits.isascii():
        r = (_QUAD_A[digits[:4]] + _QUAD_B[digits[4:8]] + _QUAD_A[digits[8:]]) % 11
    else:
        r = sum(map(mul, map(int, digits), _WEIGHTS)) % 11
    return "X" if r == 10 else str(r)


_CANONICAL_APP = re.compile(r"^CN([0-9]{12})\.([0-9X])$")


def _normalize_app_no(raw: str) -> str:
    m = _CANONICAL_APP.match(raw)
    if m:  # fast path: already canonical
        digits, check = m.groups()
        if not ("1985" <= digits[:4] <= "2099"):
            raise InvalidValue("application number year out of range")
        expected = check_digit(digits)
        if check != expected:
            raise InvalidValue(f"check digit {check} does not match (expected {expected})")
        return raw
    if not raw.isascii():  # full-width digits and letters (Chinese input methods)
        raw = unicodedata.normalize("NFKC", raw)
    s = _APP_CLEAN.sub("", raw).upper()
    m = _APP_RE.match(s)
    if not m:
        raise InvalidValue("malformed application number")
    digits, check = m.group(1), m.group(2)
    if check is None:
        # a trailing check digit may be written without the dot: 12+1 or 8+1 digits
        if len(digits) in (13, 9) and not s.endswith("X"):
            digits, check = digits[:-1], digits[-1]
        elif len(digits) in (12, 8):
            check = None
        else:
            raise InvalidValue(f"application number has {len(digits)} digits")
    if len(digits) not in (8, 9, 12):
        raise InvalidValue(f"application number has {len(digits)} digits (8, 9 or 12 expected)")
    if len(digits) == 12 and not ("1985" <= digits[:4] <= "2099"):
        raise InvalidValue("application number year out of range")
    expected = check_digit(digits)
    if check is not None and check != expected:
        raise InvalidValue(f"check digit {check} does not match (expected {expected})")
    return f"CN{digits}.{expected}"


def normalize_app_no(value: object) -> str | None:
    """Canonical application number (``CN202223220665.2``), ``None`` when empty.

    A number written without its check digit gets the computed one; a wrong check
    digit raises :class:`InvalidValue`.
    """
    if value.__class__ is str:
        s = value.strip()
        if s in EMPTY_MARKERS:
            return None
        return _normalize_app_no(s)
    if is_empty(value):
        return None
    if isinstance(value, float):
        raise InvalidValue("application number stored as a number (digits lost)")
    return _normalize_app_no(str(value).strip())


def app_kind(app_no: str | None) -> str | None:
    """Patent kind from the type digit of a canonical application number."""
    if not app_no:
        return None
    digits = app_no[2:].split(".", 1)[0]
    digit = digits[4] if len(digits) == 12 else digits[2]
    return KIND_BY_TYPE_DIGIT.get(digit)


_CANONICAL_PUB = re.compile(r"^CN[0-9]{6,9}[A-Z][0-9]?$")


def _normalize_pub_no(raw: str) -> str:
    if _CANONICAL_PUB.match(raw):  # fast path: already canonical
        return raw
    return _normalize_pub_other(raw)


@lru_cache(maxsize=65536)
def _normalize_pub_other(raw: str) -> str:
    if not raw.isascii():  # full-width digits and letters
        raw = unicodedata.normalize("NFKC", raw)
    s = _PUB_CLEAN.sub("", raw).upper()
    m = _PUB_RE.match(s)
    if not m:
        raise InvalidValue("malformed publication number")
    country = m.group(1) or "CN"
    if country == "CN" and not 6 <= len(m.group(2)) <= 9:
        raise InvalidValue(f"CN publication serial has {len(m.group(2))} digits (6-9 expected)")
    return f"{country}{m.group(2)}{m.group(3) or ''}"


def normalize_pub_no(value: object) -> str | None:
    """Canonical publication number (``CN218751475U``), ``None`` when empty."""
    if value.__class__ is str:
        s = value.strip()
        if s in EMPTY_MARKERS:
            return None
        return _normalize_pub_no(s)
    if is_empty(value):
        return None
    if isinstance(value, float):
        raise InvalidValue("publication number stored as a number")
    return _normalize_pub_no(str(value).strip())


def kind_code(pub_no: str | None) -> str | None:
    """The kind letter of a publication number (``U`` for CN218751475U)."""
    if not pub_no:
        return None
    last = pub_no[-1]
    if last.isdigit():
        last = pub_no[-2] if len(pub_no) > 1 and pub_no[-2].isalpha() else ""
    return last or None


def doc_type(pub_no: str | None) -> str | None:
    """Document type of a publication from its kind code (A/B/C/U/Y/S/D)."""
    code = kind_code(pub_no)
    return DOC_TYPES.get(code) if code else None


_PUB_BASE = re.compile(r"^([A-Z]{2}\d+)")


def pub_base(pub_no: str) -> str:
    """Country + serial of a publication number, kind code removed
    (CN115883397B -> CN115883397)."""
    m = _PUB_BASE.match(pub_no)
    return m.group(1) if m else pub_no


def kind_from_pub(pub_no: str | None) -> str | None:
    """Patent kind from the kind code (A/B/C invention, U/Y utility model, S/D design)."""
    code = kind_code(pub_no)
    return KIND_BY_KIND_CODE.get(code) if code and pub_no and pub_no.startswith("CN") else None


def parse_count(value: object) -> int | None:
    """A non-negative integer count (``3``, ``3.0``, ``"3次"``); ``None`` when empty.

    Unlike most fields, ``0`` is a real value here and kept.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidValue("boolean where a count was expected")
    if isinstance(value, int):
        if value < 0:
            raise InvalidValue("negative count")
        return value
    if isinstance(value, float):
        if value < 0 or value != int(value):
            raise InvalidValue("count is not a non-negative integer")
        return int(value)
    s = str(value).strip().rstrip("次件项个").strip()
    if s in ("", "-", "--"):
        return None
    if s.isdigit():
        return int(s)
    try:
        f = float(s)
    except ValueError:
        raise InvalidValue("count is not a number") from None
    if f < 0 or f != int(f):
        raise InvalidValue("count is not a non-negative integer")
    return int(f)
