"""Administrative regions from addresses and 国省代码.

The table ``ingest/data/regions.csv`` (written for patentnav from the GB/T 2260 codes)
holds the 34 province-level units and the 38 districts and counties of Chongqing;
``ingest/data/region_aliases.csv`` adds former names (开县 -> 开州区), functional zones
without an administrative code (两江新区, 重庆高新区 -> 重庆市 unless the address also
names a district; 万盛经开区 -> 綦江区) and large cities (-> their province, since
city-level codes are not shipped).

``match_address("重庆市沙坪坝区沙正街174号") == "500106"``;
``match_address("450000河南省郑州市郑东新区…") == "410000"``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.normalize import is_empty

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CHONGQING = "500000"

_LEADING_JUNK = re.compile(r"^(?:中国|[\s\d\-,，:：()])*")
_SPACES = re.compile(r"\s+")
_CODE_IN_FIELD = re.compile(r"(?<!\d)(\d{2})(?:0000)?(?!\d)")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    short_name: str
    level: str  # province | district
    parent: str | None


class RegionTable:
    """Province-level units and Chongqing districts, with name matching."""

    def __init__(self, regions: list[Region], aliases: list[tuple[str, str, str]]) -> None:
        self.regions = {r.code: r for r in regions}
        provinces = [r for r in regions if r.level == "province"]
        districts = [r for r in regions if r.parent == CHONGQING]
        # (prefix, code) pairs for the start of an address, longest first
        prefixes: list[tuple[str, str]] = []
        for r in provinces:
            prefixes += [(r.name, r.code), (r.short_name, r.code)]
        for alias, code, scope in aliases:
            if scope in ("province", "city"):
                prefixes.append((alias, code))
                if scope == "city":
                    prefixes.append((alias + "市", code))
        self._prefixes = sorted(set(prefixes), key=lambda p: -len(p[0]))
        # names found anywhere in a Chongqing address
        anywhere: dict[str, str] = {}
        for r in districts:
            anywhere[r.name] = r.code
        for alias, code, scope in aliases:
            if scope.startswith("chongqing"):
                anywhere[alias] = code
        self._cq_anywhere = re.compile("|".join(sorted(map(re.escape, anywhere), key=len, reverse=True)))
        self._cq_names = anywhere
        # short district names, only right after 重庆(市)
        self._cq_short = {r.short_name: r.code for r in districts if len(r.short_name) >= 2}
        self._cq_short_re = re.compile(
            r"^重庆(?:市)?(" + "|".join(sorted(map(re.escape, self._cq_short), key=len, reverse=True)) + ")"
        )
        self._by_name = {r.name: r.code for r in regions} | {r.short_name: r.code for r in provinces}
        self._cache: dict[tuple[str, str | None], str | None] = {}

    # -- lookups -----------------------------------------------------------------------
    def get(self, code: str) -> Region | None:
        return self.regions.get(code)

    def name(self, code: str) -> str | None:
        r = self.regions.get(code)
        return r.name if r else None

    def province_of(self, code: str | None) -> str | None:
        if not code or len(code) != 6:
            return None
        p = code[:2] + "0000"
        return p if p in self.regions else None

    def code_for_name(self, name: str) -> str | None:
        """Exact (full or short) province / Chongqing district name -> code."""
        return self._by_name.get(name) or self._cq_names.get(name)

    def province_from_field(self, value: object) -> str | None:
        """国省代码 cells such as ``河南(41)``, ``50``, ``重庆``, ``500000`` -> province code."""
        if is_empty(value):
            return None
        s = unicodedata.normalize("NFKC", str(value)).strip()
        m = _CODE_IN_FIELD.search(s)
        if m and (m.group(1) + "0000") in self.regions:
            return m.group(1) + "0000"
        return self._province_prefix(s)

    def place_prefix(self, s: str) -> str | None:
        """The province / city name an organisation name starts with (``深圳市``, ``广东``)."""
        for prefix, _ in self._prefixes:
            if s.startswith(prefix):
                if s.startswith(prefix + "市") or s.startswith(prefix + "省"):
                    return prefix + s[len(prefix)]
                return prefix
        return None

    def _province_prefix(self, s: str) -> str | None:
        for prefix, code in self._prefixes:
            if s.startswith(prefix):
                return code
        return None

    def match_address(self, address: str, hint: str | None = None) -> str | None:
        """Most specific region code for an address (or an organisation name), else None.

        ``hint`` is a province code known from elsewhere (国省代码); it is used when the
        address itself names no province.
        """
        key = (address, hint)
        hit = self._cache.get(key, self)
        if hit is not self:
            return hit
        code = self._match(address, hint)
        if len(self._cache) < 200_000:
            self._cache[key] = code
        return code

    def _match(self, address: str, hint: str | None) -> str | None:
        s = unicodedata.normalize("NFKC", address)
        s = _SPACES.sub("", s)
        s = _LEADING_JUNK.sub("", s)
        if not s:
            return hint
        province = self._province_prefix(s) or hint
        if province != CHONGQING:
            return province
        m = self._cq_short_re.match(s)
        best: str | None = self._cq_short[m.group(1)] if m else None
        zone: str | None = None
        for hit in self._cq_anywhere.finditer(s):
            code = self._cq_names[hit.group(0)]
            if code != CHONGQING:
                best = best or code
                break
            zone = zone or code
        return best or zone or CHONGQING


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=4)
def region_table(data_dir: Path = DATA_DIR) -> RegionTable:
    """The shipped region table (read on first use, then cached)."""
    regions = [
        Region(r["code"], r["name"], r["short_name"], r["level"], r["parent"] or None)
        for r in _read_csv(data_dir / "regions.csv")
    ]
    aliases = [(r["alias"], r["code"], r["scope"]) for r in _read_csv(data_dir / "region_aliases.csv")]
    return RegionTable(regions, aliases)


def match_address(address: object, hint: str | None = None) -> str | None:
    """Region code for an address using the shipped table; ``None`` when unknown."""
    if is_empty(address):
        return hint
    return region_table().match_address(str(address), hint)


def is_chongqing(code: str | None) -> bool:
    return bool(code) and code.startswith("50")
