"""Strategic-emerging-industry (SEI) classification by the CNIPA 2021 IPC concordance.

Source: ``concordance/sei2021_ipc_rules.csv`` (303 rules over 40 SEI sub-industries,
see the data's SOURCES.md) and ``sei2018_categories_l1_l2.csv`` (the 9 + 40 names).

Rule semantics (decided from reading the data):

* A patent is in sub-industry X when one of its IPC codes matches an include pattern
  of a rule of X and that same code matches none of the rule's exclusions
  (``ipc_exclusions``, the table's 不含…). Pattern syntax: :mod:`ingest.ipcmatch`.
* The ``keywords`` column holds two different things. Mostly it is the 关键词概述:
  the names of the SEI-2018 product/service items the IPC range corresponds to
  (e.g. ``计算机和辅助设备修理``) -- descriptions, not search terms; requiring them
  literally in a patent's text would drop nearly every patent, so those rules are
  applied on the IPC alone. A few rules instead list real search keywords, written
  ``X、Y、Z等…相关关键词`` / ``…关键词`` (quantum computing, blockchain, brain, rare
  earths, fibres, vehicles…): for those the IPC range is broad (``A61B5*``,
  ``G06Q10*``) and the keyword is the actual condition, so they additionally require
  one of the listed terms in the title, abstract or first claim. Generic terms that
  carry no condition (``产品``) are ignored; a rule left with none is IPC-only.
* A code too coarse to decide (subclass-only data, e.g. ``G06F``) counts only for
  patterns at subclass level or above, and only if the rule has no exclusion inside
  that subclass (it could not be checked).

Each ``IN_SEI`` edge goes to the level-2 category (id = its code, e.g. ``1.2``; level-1
categories have ids ``1`` … ``9``) with ``rule`` = the matching rules as
``<code>#<rule_no>``, ``;``-joined (``1.1#2;1.1#4``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ingest.ipcmatch import IpcPattern, split_patterns
from ingest.normalize.ipc import IpcCode

_KW_TAIL = re.compile(r"(?:相关)?关键词$")
_KW_SPLIT = re.compile(r"[、，,；;和及与/]|等")
#: terms too generic to be a condition
GENERIC_TERMS = frozenset({"产品", "相关", "技术", "其他"})


class _Combo(NamedTuple):
    plain: dict[str, list[str]]
    conditional: tuple[tuple[str, str, tuple[str, ...]], ...]
    lists: tuple[list[str], list[str]]


_NO_LISTS: tuple[list[str], list[str]] = ([], [])


@dataclass(frozen=True)
class SeiRule:
    sei_code: str
    sei_name: str
    rule_no: str
    includes: tuple[IpcPattern, ...]
    excludes: tuple[IpcPattern, ...]
    keywords_text: str
    terms: tuple[str, ...]  # non-empty: keyword condition required

    @property
    def rule_id(self) -> str:
        return f"{self.sei_code}#{self.rule_no}"


def keyword_terms(text: str) -> tuple[str, ...]:
    """Search terms of an explicit keyword rule (``…相关关键词``); () for descriptions."""
    text = (text or "").strip()
    if not text or not _KW_TAIL.search(text):
        return ()
    body = _KW_TAIL.sub("", text)
    terms = []
    for part in _KW_SPLIT.split(body):
        part = part.strip()
        if len(part) >= 2 and part not in GENERIC_TERMS and part not in terms:
            terms.append(part)
    return tuple(terms)


@dataclass
class SeiClassifier:
    rules: list[SeiRule]
    categories: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)  # id -> (name, level, parent)

    def __post_init__(self) -> None:
        #: the rules that may include a code, by its (section, class): those with an
        #: include pattern of that class or of the whole section (in rule order)
        self._by_class: dict[tuple[str, str | None], list[SeiRule]] = {}
        for r in self.rules:
            for key in {(p.section, p.klass) for p in r.includes}:
                self._by_class.setdefault(key, []).append(r)
        for (section, klass), rules in self._by_class.items():
            if klass is not None:
                whole = self._by_class.get((section, None), [])
                ids = {id(r) for r in (*rules, *whole)}
                rules[:] = [r for r in self.rules if id(r) in ids]
        #: IPC code (display form) -> number of the distinct tuple of rules it satisfies
        #: on the IPC side (0: none)
        self._code_rules: dict[str, int] = {}
        self._rule_sets: list[tuple[tuple[str, str, tuple[str, ...]], ...]] = [()]
        self._rule_set_no: dict[tuple, int] = {(): 0}
        #: results by the rule-set numbers of a patent's codes (far fewer combinations
        #: than of the codes themselves)
        self._combo_cache: dict[tuple[int, ...], _Combo] = {}

    @classmethod
    def from_files(cls, rules_csv: Path, categories_csv: Path | None = None) -> SeiClassifier:
        rules: list[SeiRule] = []
        with rules_csv.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                ipc_only = row.get("ipc_only", "0").strip() == "1"
                terms = () if ipc_only else keyword_terms(row.get("keywords", ""))
                rules.append(SeiRule(
                    row["sei_code"].strip(), row["sei_name"].strip(), row["rule_no"].strip(),
                    tuple(split_patterns(row.get("ipc_patterns"))),
                    tuple(split_patterns(row.get("ipc_exclusions"))),
                    row.get("keywords", "").strip(), terms,
                ))
        categories: dict[str, tuple[str, int, str | None]] = {}
        if categories_csv is not None and categories_csv.is_file():
            with categories_csv.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    categories[row["l1_code"].strip()] = (row["l1_name"].strip(), 1, None)
                    categories[row["l2_code"].strip()] = (row["l2_name"].strip(), 2, row["l1_code"].strip())
        for r in rules:
            categories.setdefault(r.sei_code, (r.sei_name, 2, r.sei_code.split(".")[0]))
        return cls(rules, categories)

    def _rules_for_code(self, code: IpcCode) -> int:
        """The number of the tuple of (sei_code, rule_id, terms) of every rule this code
        satisfies on the IPC side."""
        out = []
        candidates = self._by_class.get((code.section, code.klass))
        if candidates is None:
            candidates = self._by_class.get((code.section, None), ())
        for r in candidates:
            inc = None
            for p in r.includes:
                m = p.match(code)
                if m:
                    inc = True
                    break
            if not inc:
                continue
            excluded = False
            for p in r.excludes:
                m = p.match(code)
                if m or m is None:
                    # excluded, or cannot be checked for a coarse code
                    excluded = True
                    break
            if not excluded:
                out.append((r.sei_code, r.rule_id, r.terms))
        rules = tuple(out)
        no = self._rule_set_no.get(rules)
        if no is None:
            no = self._rule_set_no[rules] = len(self._rule_sets)
            self._rule_sets.append(rules)
        self._code_rules[code.display] = no
        return no

    def classify(self, codes: Sequence[IpcCode], text: str = "") -> dict[str, str]:
        """SEI level-2 code -> matching rule ids (``;``-joined) for a patent."""
        return dict(zip(*self.classify_lists(codes, text)))

    def classify_lists(self, codes: Sequence[IpcCode], text: str = "") -> tuple[list[str], list[str]]:
        """:meth:`classify` as (SEI codes, their rule ids) in the same order. The lists
        may be shared between calls: do not change them."""
        get = self._code_rules.get
        key = []
        for c in codes:
            no = get(c.display)
            if no is None:
                no = self._rules_for_code(c)
            if no:
                key.append(no)
        if not key:
            return _NO_LISTS
        combo = self._combo(tuple(key))
        if not combo.conditional:
            return combo.lists
        found = {k: list(v) for k, v in combo.plain.items()}
        for sei, rule_id, terms in combo.conditional:
            if any(t in text for t in terms):
                lst = found.setdefault(sei, [])
                if rule_id not in lst:
                    lst.append(rule_id)
        if not found:
            return _NO_LISTS
        return list(found), [";".join(sorted(v, key=_rule_sort_key)) for v in found.values()]

    def _combo(self, key: tuple[int, ...]) -> _Combo:
        """The rules of a combination of rule sets (in the order of the patent's codes):
        those matched on the IPC side alone, those with a keyword condition."""
        hit = self._combo_cache.get(key)
        if hit is None:
            plain: dict[str, list[str]] = {}
            conditional: list[tuple[str, str, tuple[str, ...]]] = []
            for no in key:
                for sei, rule_id, terms in self._rule_sets[no]:
                    if terms:
                        conditional.append((sei, rule_id, terms))
                    else:
                        lst = plain.setdefault(sei, [])
                        if rule_id not in lst:
                            lst.append(rule_id)
            ordered = {k: sorted(v, key=_rule_sort_key) for k, v in plain.items()}
            lists = (list(ordered), [";".join(v) for v in ordered.values()]) if ordered else _NO_LISTS
            hit = _Combo(ordered, tuple(conditional), lists)
            if len(self._combo_cache) > 100_000:
                self._combo_cache.clear()
            self._combo_cache[key] = hit
        return hit

    # graph rows -------------------------------------------------------------------------
    def category_rows(self) -> list[dict]:
        return [
            {"id": cid, "name": name, "level": level, "parent": parent}
            for cid, (name, level, parent) in sorted(self.categories.items(), key=lambda kv: _code_key(kv[0]))
        ]

    def subcategory_rows(self) -> list[dict]:
        return [
            {"src": cid, "dst": parent}
            for cid, (_, _, parent) in sorted(self.categories.items(), key=lambda kv: _code_key(kv[0]))
            if parent
        ]


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(x) for x in code.split(".") if x.isdigit())


def _rule_sort_key(rule_id: str) -> tuple:
    code, _, no = rule_id.partition("#")
    return (*_code_key(code), int(no) if no.isdigit() else 0)


@lru_cache(maxsize=4)
def load_sei(data_dir: Path) -> SeiClassifier | None:
    """The classifier built from ``<data_dir>/concordance``; None if the files are absent."""
    rules = data_dir / "concordance" / "sei2021_ipc_rules.csv"
    if not rules.is_file():
        return None
    return SeiClassifier.from_files(rules, data_dir / "concordance" / "sei2018_categories_l1_l2.csv")
