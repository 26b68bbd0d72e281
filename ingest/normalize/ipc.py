"""IPC symbols: parsing, display form, the 14-character WIPO form, ancestors.

Display form (the graph's IPC ``id``): ``H01M4/36`` -- subclass, main group, ``/``,
subgroup (at least two digits), no spaces. The same symbol appears in exports as
``H01M 4/36``, ``H01M0004360000`` (WIPO 14-character form: 4-digit main group, 6-digit
subgroup padded with zeros), with a version suffix ``H01M4/36(2006.01)``, in full-width
characters, or lower case. Coarser symbols are valid too: section ``H``, class ``H01``,
subclass ``H01M``; a main group is ``H01M4/00``.

Lists are split on ``; ； , ， |`` and whitespace (``H01M 4/36`` stays one symbol).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ingest.normalize import EMPTY_MARKERS, InvalidValue, is_empty

LEVELS = ("section", "class", "subclass", "main_group", "group")

_LONG_RE = re.compile(r"^([A-H]\d{2}[A-Z])(\d{4})(\d{6})$")
_SYMBOL_RE = re.compile(r"^([A-H])(?:(\d{2})(?:([A-Z])(?:(\d{1,4})/(\d{1,6}))?)?)?$")
_VERSION_RE = re.compile(r"\s*[(\[]\s*\d{4}\s*\.\s*\d{2}\s*[)\]]\s*$")
_LIST_SPLIT = re.compile(r"[;；,，|、\n]+")
# one symbol at the start of a string, allowing the spaces exports put inside it
_SCAN_RE = re.compile(
    r"\s*(?:([A-H]\d{2}[A-Z]\d{10})|([A-H]\d{2}[A-Z])(?:\s*(\d{1,4})\s*/\s*(\d{1,6}))?"
    r"|([A-H]\d{2})|([A-H]))"
    r"(?:\s*[(\[]\s*\d{4}\s*\.\s*\d{2}\s*[)\]])?(?=\s|$)"
)


@dataclass(frozen=True, slots=True)
class IpcCode:
    """One parsed IPC symbol."""

    display: str  # H01M4/36
    level: str  # section | class | subclass | main_group | group
    section: str
    klass: str | None  # H01
    subclass: str | None  # H01M
    main_group: str | None  # H01M4/00
    group_no: str | None  # "4"
    subgroup_no: str | None  # "36"

    @property
    def ancestors(self) -> tuple[str, ...]:
        """Display forms from the section down to (not including) this symbol."""
        chain = [self.section, self.klass, self.subclass, self.main_group]
        out = [c for c in chain if c and c != self.display]
        return tuple(out[: LEVELS.index(self.level)])

    @property
    def parent(self) -> str | None:
        anc = self.ancestors
        return anc[-1] if anc else None

    @property
    def long_form(self) -> str | None:
        """The WIPO 14-character form (groups only)."""
        if self.group_no is None or self.subclass is None:
            return None
        return f"{self.subclass}{self.group_no.zfill(4)}{self.subgroup_no.ljust(6, '0')}"


def _build(section: str, cls: str | None, sub: str | None, grp: str | None, sg: str | None) -> IpcCode:
    klass = f"{section}{cls}" if cls else None
    subclass = f"{klass}{sub}" if sub else None
    if grp is None:
        level = "subclass" if subclass else "class" if klass else "section"
        display = subclass or klass or section
        return IpcCode(display, level, section, klass, subclass, None, None, None)
    g = grp.lstrip("0") or "0"
    if g == "0":
        raise InvalidValue("IPC main group 0")
    s = sg
    if len(s) == 1:
        if s != "0":
            raise InvalidValue("IPC subgroup needs at least two digits")
        s = "00"
    if len(s) > 2:
        s = s.rstrip("0")
        s = s.ljust(2, "0")
    main = f"{subclass}{g}/00"
    display = f"{subclass}{g}/{s}"
    level = "main_group" if s == "00" else "group"
    return IpcCode(display, level, section, klass, subclass, main, g, s)


@lru_cache(maxsize=131072)
def _parse(raw: str) -> IpcCode:
    s = unicodedata.normalize("NFKC", raw).strip().upper()
    s = _VERSION_RE.sub("", s)
    m = _LONG_RE.match(s)
    if m:
        sub, grp, sg = m.groups()
        sg = sg.rstrip("0").ljust(2, "0")
        return _build(sub[0], sub[1:3], sub[3], grp, sg)
    s = re.sub(r"\s+", "", s)
    m = _SYMBOL_RE.match(s)
    if not m:
        raise InvalidValue("malformed IPC code")
    section, cls, sub, grp, sg = m.groups()
    return _build(section, cls, sub, grp, sg)


def parse_ipc(value: object) -> IpcCode:
    """Parse one IPC symbol; :class:`InvalidValue` when malformed."""
    if is_empty(value):
        raise InvalidValue("empty IPC code")
    return _parse(str(value))


def to_display(value: object) -> str:
    """``H01M 4/36`` / ``H01M0004360000`` -> ``H01M4/36``."""
    return parse_ipc(value).display


def to_long(value: object) -> str | None:
    """``H01M4/36`` -> ``H01M0004360000`` (``None`` for section/class/subclass)."""
    return parse_ipc(value).long_form


#: single symbols already parsed (keyed by the exact text between separators)
_PIECE_CACHE: dict[str, IpcCode] = {}
_PIECE_CACHE_MAX = 200_000


def _scan_piece(piece: str, codes: list[IpcCode], seen: set[str], bad: list[str]) -> None:
    """Parse one separator-free piece, which may hold several whitespace-separated symbols."""
    pos = 0
    while pos < len(piece):
        m = _SCAN_RE.match(piece, pos)
        if not m or m.end() == pos:
            # skip the unparseable token up to the next whitespace
            rest = piece[pos:].lstrip()
            token = rest.split(None, 1)[0] if rest else ""
            if token:
                bad.append(token)
            nxt = piece.find(token, pos) + len(token) if token else len(piece)
            pos = max(nxt, pos + 1)
            continue
        pos = m.end()
        long_, sub, grp, sg, cls, sec = m.groups()
        try:
            if long_:
                code = _parse(long_)
            elif sub:
                code = _build(sub[0], sub[1:3], sub[3], grp, sg) if grp else _build(sub[0], sub[1:3], sub[3], None, None)
            elif cls:
                code = _build(cls[0], cls[1:3], None, None, None)
            else:
                code = _build(sec, None, None, None, None)
        except InvalidValue:
            bad.append(m.group(0).strip())
            continue
        if code.display not in seen:
            seen.add(code.display)
            codes.append(code)


def split_ipc(value: object) -> tuple[list[IpcCode], list[str]]:
    """All IPC symbols in a cell, in order, de-duplicated: (codes, malformed tokens)."""
    if value is None or (value.__class__ is str and value.strip() in EMPTY_MARKERS):
        return [], []
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    codes: list[IpcCode] = []
    seen: set[str] = set()
    bad: list[str] = []
    cache = _PIECE_CACHE
    for piece in _LIST_SPLIT.split(str(value)):
        code = cache.get(piece)
        if code is not None:
            if code.display not in seen:
                seen.add(code.display)
                codes.append(code)
            continue
        norm = unicodedata.normalize("NFKC", piece).upper().strip()
        if not norm:
            continue
        found: list[IpcCode] = []
        nbad = len(bad)
        _scan_piece(norm, found, set(), bad)
        if len(found) == 1 and len(bad) == nbad and len(cache) < _PIECE_CACHE_MAX:
            cache[piece] = found[0]
        for code in found:
            if code.display not in seen:
                seen.add(code.display)
                codes.append(code)
    return codes, bad
