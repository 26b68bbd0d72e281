"""The industry-chain catalogue and the classifier that places patents in chain nodes.

Catalogue format (two UTF-8 CSV files in one folder; see ``ingest/chains.md``):

``chains.csv``       ``chain_id, name, system, tier, complete, source, note``
``chain_nodes.csv``  ``node_id, chain_id, name, position, ipc_patterns, keywords``

``position`` is upstream | midstream | downstream; ``ipc_patterns`` are ``;``-separated
IPC patterns (``H01M*`` = the subclass and everything below; syntax in
:mod:`ingest.ipcmatch`); ``keywords`` are ``|``-separated literal terms searched in
title, abstract and first claim.

Scoring of ``IN_CHAIN_NODE``: an IPC match alone 0.7, a keyword match alone 0.5, both
1.0; ``via`` says which (``ipc``, ``keyword``, ``ipc+keyword``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.ipcmatch import IpcPattern, split_patterns
from ingest.normalize.ipc import IpcCode
from patentnav.errors import IngestError

DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "data" / "chains"
POSITIONS = ("upstream", "midstream", "downstream")
SCORE_IPC, SCORE_KEYWORD, SCORE_BOTH = 0.7, 0.5, 1.0
_VIA_IPC, _VIA_KEYWORD, _VIA_BOTH = (SCORE_IPC, "ipc"), (SCORE_KEYWORD, "keyword"), (SCORE_BOTH, "ipc+keyword")


@dataclass(frozen=True)
class Chain:
    chain_id: str
    name: str
    system: str
    tier: str
    complete: bool
    source: str
    note: str


@dataclass(frozen=True)
class ChainNode:
    node_id: str
    chain_id: str
    name: str
    position: str
    patterns: tuple[IpcPattern, ...]
    keywords: tuple[str, ...]


def _bool(s: str) -> bool:
    return (s or "").strip().lower() in ("1", "true", "yes", "y", "是")


class ChainCatalogue:
    """Chains and their nodes, with a classifier over IPC codes and text."""

    def __init__(self, chains: list[Chain], nodes: list[ChainNode]) -> None:
        self.chains = chains
        self.nodes = nodes
        ids = {c.chain_id for c in chains}
        for n in nodes:
            if n.chain_id not in ids:
                raise IngestError(f"chain node {n.node_id} names unknown chain {n.chain_id}")
            if n.position not in POSITIONS:
                raise IngestError(f"chain node {n.node_id}: position must be one of {POSITIONS}")
        self._code_cache: dict[str, tuple[str, ...]] = {}
        #: chain nodes of a combination of codes (by their display forms)
        self._combo_cache: dict[tuple[str, ...], tuple[str, ...]] = {}
        kw_nodes: dict[str, list[str]] = {}
        for n in nodes:
            for k in n.keywords:
                kw_nodes.setdefault(k, []).append(n.node_id)
        # keywords by their first (lower-cased) character: a text is only checked for the
        # keywords whose first character it contains (much faster than one big regex)
        by_first: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for k, ids in kw_nodes.items():
            low = k.lower()
            by_first.setdefault(low[0], []).append((low, tuple(ids)))
        self._kw_by_first = by_first
        self._kw_first = frozenset(by_first)
        # the first characters a text holds, found by one C-level scan (iterating a text of
        # Chinese characters in Python creates an object per character)
        self._kw_first_re = re.compile("[" + "".join(map(re.escape, sorted(by_first))) + "]") if by_first else None

    @classmethod
    def from_dir(cls, folder: Path = DEFAULT_CATALOGUE) -> ChainCatalogue:
        chains_csv, nodes_csv = folder / "chains.csv", folder / "chain_nodes.csv"
        if not chains_csv.is_file() or not nodes_csv.is_file():
            raise IngestError(f"{folder}: a chain catalogue needs chains.csv and chain_nodes.csv")
        with chains_csv.open(encoding="utf-8-sig", newline="") as f:
            chains = [
                Chain(r["chain_id"].strip(), r["name"].strip(), r.get("system", "").strip() or "other",
                      r.get("tier", "").strip(), _bool(r.get("complete", "")), r.get("source", "").strip(),
                      r.get("note", "").strip())
                for r in csv.DictReader(f)
            ]
        with nodes_csv.open(encoding="utf-8-sig", newline="") as f:
            nodes = [
                ChainNode(r["node_id"].strip(), r["chain_id"].strip(), r["name"].strip(),
                          r["position"].strip().lower(), tuple(split_patterns(r.get("ipc_patterns"))),
                          tuple(k.strip() for k in (r.get("keywords") or "").split("|") if k.strip()))
                for r in csv.DictReader(f)
            ]
        return cls(chains, nodes)

    # -- classification -----------------------------------------------------------------
    def _nodes_for_code(self, code: IpcCode) -> tuple[str, ...]:
        hit = self._code_cache.get(code.display)
        if hit is None:
            hit = tuple(n.node_id for n in self.nodes if any(p.match(code) for p in n.patterns))
            self._code_cache[code.display] = hit
        return hit

    def classify(self, codes: Sequence[IpcCode], text: str = "", *, key: tuple[str, ...] | None = None
                 ) -> dict[str, tuple[float, str]]:
        """node_id -> (score, via) for a patent's IPC codes and text, in node id order;
        ``key``: the codes' display forms when the caller has them (the IPC side is then
        cached by it)."""
        by_ipc = self._combo_cache.get(key) if key is not None else None
        if by_ipc is None:
            found: set[str] = set()
            for c in codes:
                found.update(self._nodes_for_code(c))
            by_ipc = tuple(sorted(found))
            if key is not None:
                if len(self._combo_cache) > 200_000:
                    self._combo_cache.clear()
                self._combo_cache[key] = by_ipc
        by_kw: set[str] = set()
        if text:
            low = text.lower()
            for ch in set(self._kw_first_re.findall(low)) if self._kw_first_re is not None else ():
                for kw, ids in self._kw_by_first[ch]:
                    if kw in low:
                        by_kw.update(ids)
        if not by_kw:
            return dict.fromkeys(by_ipc, _VIA_IPC)
        if not by_ipc:
            return dict.fromkeys(sorted(by_kw), _VIA_KEYWORD)
        ipc = set(by_ipc)
        return {node: (_VIA_BOTH if node in by_kw else _VIA_IPC) if node in ipc else _VIA_KEYWORD
                for node in sorted(ipc | by_kw)}

    # -- graph rows -------------------------------------------------------------------------
    def chain_rows(self) -> list[dict]:
        return [
            {"id": c.chain_id, "name": c.name, "system": c.system, "tier": c.tier,
             "complete": c.complete, "source": c.source, "note": c.note}
            for c in self.chains
        ]

    def node_rows(self) -> list[dict]:
        return [
            {"id": n.node_id, "chain_id": n.chain_id, "name": n.name, "position": n.position,
             "ipc_patterns": [p.raw for p in n.patterns], "keywords": list(n.keywords)}
            for n in self.nodes
        ]

    def part_of_rows(self) -> list[dict]:
        return [{"src": n.node_id, "dst": n.chain_id} for n in self.nodes]


@lru_cache(maxsize=4)
def load_chains(folder: Path = DEFAULT_CATALOGUE) -> ChainCatalogue:
    return ChainCatalogue.from_dir(folder)
