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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

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
        # a set of nodes is a bit mask over the node ids in sorted order; a code's nodes,
        # and a keyword's, are computed once
        self._ids = sorted({n.node_id for n in nodes})
        bit = {node_id: 1 << i for i, node_id in enumerate(self._ids)}
        self._node_masks = [(sum(bit[n.node_id] for n in nodes if p in n.patterns), p)
                            for p in dict.fromkeys(p for n in nodes for p in n.patterns)]
        self._code_mask: dict[str, int] = {}
        self._results: dict[tuple[int, int], tuple[list[str], list[float], list[str]]] = {}
        kw_masks: dict[str, int] = {}
        for n in nodes:
            for k in n.keywords:
                low = k.lower()
                kw_masks[low] = kw_masks.get(low, 0) | bit[n.node_id]
        # every keyword occurrence in a text, found in one pass (Aho-Corasick)
        self._keywords: ahocorasick.Automaton | None = None
        if kw_masks:
            self._keywords = ahocorasick.Automaton()
            for low, mask in kw_masks.items():
                self._keywords.add_word(low, mask)
            self._keywords.make_automaton()

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
    def _mask_of_code(self, code: IpcCode) -> int:
        mask = 0
        for node_mask, pattern in self._node_masks:
            if mask & node_mask != node_mask and pattern.match(code):
                mask |= node_mask
        self._code_mask[code.display] = mask
        return mask

    def classify(self, codes: Sequence[IpcCode], text: str = "") -> dict[str, tuple[float, str]]:
        """node_id -> (score, via) for a patent's IPC codes and text, in node id order."""
        nodes, scores, vias = self.classify_lists(codes, text)
        return {n: (s, v) for n, s, v in zip(nodes, scores, vias)}

    def classify_lists(self, codes: Sequence[IpcCode], text: str = ""
                       ) -> tuple[list[str], list[float], list[str]]:
        """:meth:`classify` as (node ids, scores, vias). The lists may be shared between
        calls: do not change them."""
        get = self._code_mask.get
        by_ipc = 0
        for c in codes:
            m = get(c.display)
            by_ipc |= self._mask_of_code(c) if m is None else m
        by_kw = 0
        if text and self._keywords is not None:
            for _, m in self._keywords.iter(text.lower()):
                by_kw |= m
        hit = self._results.get((by_ipc, by_kw))
        if hit is None:
            nodes: list[str] = []
            vias: list[tuple[float, str]] = []
            both = by_ipc | by_kw
            for i, node_id in enumerate(self._ids):
                b = 1 << i
                if both & b:
                    nodes.append(node_id)
                    vias.append(_VIA_BOTH if by_ipc & b and by_kw & b else _VIA_IPC if by_ipc & b else _VIA_KEYWORD)
            hit = (nodes, [v[0] for v in vias], [v[1] for v in vias])
            if len(self._results) > 100_000:
                self._results.clear()
            self._results[by_ipc, by_kw] = hit
        return hit

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
