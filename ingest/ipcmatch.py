"""IPC patterns as used by the SEI concordance and the chain catalogue.

Syntax (the concordance's own): ``G06F*`` -- the subclass and everything below;
``G06F11*`` -- main group 11 and everything below; ``C08*`` -- a whole class;
``H04L27/26`` -- exactly that group; ``G06F16/95*`` -- that group and the groups whose
subgroup digits extend it (16/953, 16/9535); a bare subclass ``G16H`` or main group
``H03M13`` without ``*`` also means "and everything below" (they name a whole
branch). Symbols may be given in display or 14-character form.

Matching a patent's code against a pattern gives True / False / None: ``None`` when
the code is too coarse to decide (a subclass-only code such as ``G06F`` from a
title-and-subclass dataset against a group-level pattern).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.normalize import InvalidValue
from ingest.normalize.ipc import IpcCode, parse_ipc

_PAT_RE = re.compile(r"^([A-H])(\d{2})?([A-Z])?(?:(\d{1,4})(?:/(\d{1,6}))?)?(\*)?$")


@dataclass(frozen=True, slots=True)
class IpcPattern:
    raw: str
    section: str
    klass: str | None  # "H01"
    subclass: str | None  # "H01M"
    group: str | None  # "4"
    subgroup: str | None  # "36" (as written, trailing zeros stripped to >=2 digits)
    prefix: bool  # subgroup digits are a prefix

    @property
    def level(self) -> str:
        if self.subgroup is not None:
            return "group"
        if self.group is not None:
            return "main_group"
        if self.subclass is not None:
            return "subclass"
        if self.klass is not None:
            return "class"
        return "section"

    def match(self, code: IpcCode) -> bool | None:
        if code.section != self.section:
            return False
        if self.klass is None:
            return True
        if code.klass is None:
            return None
        if code.klass != self.klass:
            return False
        if self.subclass is None:
            return True
        if code.subclass is None:
            return None
        if code.subclass != self.subclass:
            return False
        if self.group is None:
            return True
        if code.group_no is None:
            return None
        if code.group_no != self.group:
            return False
        if self.subgroup is None:
            return True
        if self.prefix:
            # decimal subgroup numbering: 16/95 covers 16/953, 16/9535 (not 16/96)
            return self.subgroup == "00" or code.subgroup_no.startswith(self.subgroup)
        return code.subgroup_no == self.subgroup


@lru_cache(maxsize=16384)
def parse_pattern(raw: str) -> IpcPattern:
    """Parse one pattern (see module doc); :class:`InvalidValue` when malformed."""
    s = raw.strip().upper().replace(" ", "")
    star = s.endswith("*")
    body = s[:-1] if star else s
    if re.fullmatch(r"[A-H]\d{2}[A-Z]\d{10}", body):
        body = parse_ipc(body).display
    m = _PAT_RE.match(body + ("*" if star else ""))
    if not m or (m.group(4) and not m.group(3)):
        raise InvalidValue(f"malformed IPC pattern {raw!r}")
    sec, cls, sub, grp, sg, _ = m.groups()
    klass = f"{sec}{cls}" if cls else None
    subclass = f"{klass}{sub}" if (klass and sub) else None
    if sub and not klass:
        raise InvalidValue(f"malformed IPC pattern {raw!r}")
    group = grp.lstrip("0") or "0" if grp else None
    subgroup = None
    if sg is not None:
        if star:
            # a prefix of the subgroup digits, as written (8/9* covers 8/97, 8/98)
            subgroup = "00" if set(sg) == {"0"} else sg
        else:
            subgroup = sg.rstrip("0").ljust(2, "0") if len(sg) > 2 else sg.ljust(2, "0")
    return IpcPattern(raw, sec, klass, subclass, group, subgroup, star)


def split_patterns(value: str | None) -> list[IpcPattern]:
    """Patterns in a ``;``-separated cell (blank parts ignored)."""
    if not value:
        return []
    return [parse_pattern(p) for p in re.split(r"[;；,，|\s]+", value) if p.strip()]


def patterns_match(patterns: list[IpcPattern], code: IpcCode) -> bool | None:
    """True if any pattern matches, None if none matches but some cannot be decided."""
    undecided = False
    for p in patterns:
        r = p.match(code)
        if r:
            return True
        if r is None:
            undecided = True
    return None if undecided else False
