"""Classification suggestions for a free text by nearest-neighbour vote.

:meth:`ClassifyService.classify` finds the ``k`` indexed patents nearest to the text
(hybrid search by default), weighs each by its relevance relative to the best one
(cosine similarity in semantic mode), and lets them vote for the labels they carry:
IPC subclasses (the patent's ``ipc_subclasses``), strategic-emerging-industry
categories (``IN_SEI``) and industry-chain segments (``IN_CHAIN_NODE``). A label's
score is its share of the vote weight of the neighbours that carry *any* label of
that scheme, so unlabelled neighbours (e.g. records without IPC) neither help nor
dilute. Every suggestion lists its strongest supporting neighbours.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from analytics.search import node_names
from embeddings.models import SearchQuery

if TYPE_CHECKING:  # pragma: no cover - typing only
    from embeddings.hybrid import HybridSearcher
    from embeddings.models import Hit
    from graph.base import GraphStore

SCHEMES = ("ipc", "sei", "chain_node")
#: supporting neighbour ids listed per suggestion
SUPPORT_SIZE = 5


def vote_weights(hits: Sequence[Hit], mode: str) -> list[float]:
    """Relative vote weight of each hit in 0..1."""
    if not hits:
        return []
    if mode == "semantic":
        return [max(0.0, float(h.score)) for h in hits]
    top = max(float(h.score) for h in hits)
    if top <= 0:
        return [1.0 / (i + 1) for i in range(len(hits))]
    return [max(0.0, float(h.score)) / top for h in hits]


def tally(
    labels: Sequence[Sequence[str]], weights: Sequence[float], ids: Sequence[str], top: int
) -> tuple[int, list[dict[str, Any]]]:
    """Weighted vote. Returns (labelled neighbour count, suggestions best first)."""
    score: dict[str, float] = defaultdict(float)
    voters: dict[str, list[tuple[float, str]]] = defaultdict(list)
    total = 0.0
    labelled = 0
    for lab, w, pid in zip(labels, weights, ids):
        distinct = list(dict.fromkeys(x for x in lab if x))
        if not distinct:
            continue
        labelled += 1
        total += w
        for code in distinct:
            score[code] += w
            voters[code].append((w, pid))
    if total <= 0:
        return labelled, []
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    out = []
    for code, s in ranked:
        support = [pid for _, pid in sorted(voters[code], key=lambda t: -t[0])[:SUPPORT_SIZE]]
        out.append({"code": code, "score": round(s / total, 4), "votes": len(voters[code]),
                    "support": support})
    return labelled, out


class ClassifyService:
    """kNN classification over the search index and the graph's labels."""

    def __init__(self, store: GraphStore, searcher: HybridSearcher) -> None:
        self.store = store
        self.searcher = searcher

    def classify(self, text: str, *, k: int = 25, top: int = 5, mode: str = "hybrid") -> dict[str, Any]:
        t0 = time.perf_counter()
        result = self.searcher.search(SearchQuery(text=text, mode=mode, k=k))  # type: ignore[arg-type]
        hits = list(result.hits)
        weights = vote_weights(hits, mode)
        ids = [h.patent_id for h in hits]
        rows: Mapping[str, Mapping[str, Any]] = (
            {r["id"]: r for r in self.store.run("api_patent_labels", ids=ids)} if ids else {}
        )
        per_scheme: dict[str, list[list[str]]] = {s: [] for s in SCHEMES}
        for pid in ids:
            row = rows.get(pid, {})
            per_scheme["ipc"].append(list(row.get("ipc_subclasses") or []))
            per_scheme["sei"].append(list(row.get("sei") or []))
            per_scheme["chain_node"].append(list(row.get("chain_nodes") or []))
        tallies = {s: tally(per_scheme[s], weights, ids, top) for s in SCHEMES}
        names = node_names(self.store, {s: [x["code"] for x in tallies[s][1]] for s in SCHEMES})
        out: dict[str, Any] = {}
        for scheme in SCHEMES:
            labelled, suggestions = tallies[scheme]
            for sug in suggestions:
                sug["name"] = names.get(scheme, {}).get(sug["code"])
            out[scheme] = {"scheme": scheme, "labelled_neighbours": labelled,
                           "suggestions": suggestions}
        out["neighbours"] = [
            {
                "id": pid,
                "title": rows.get(pid, {}).get("title"),
                "pub_no": rows.get(pid, {}).get("pub_no"),
                "weight": round(w, 4),
                "ipc_subclasses": list(rows.get(pid, {}).get("ipc_subclasses") or []),
            }
            for pid, w in zip(ids, weights)
        ]
        out["took_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        return out
