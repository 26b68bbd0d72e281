"""Fixtures for the search tests: real patents from ../shared/data and a read-only stand-in
for the graph store that answers the two named queries the index build uses."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.build import catalog_record

PATENTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "patents"


def _holder_kind(name: str) -> str:
    if "大学" in name or "学院" in name:
        return "university"
    if "研究院" in name or "研究所" in name:
        return "institute"
    return "enterprise" if any(w in name for w in ("公司", "集团", "厂")) else "individual"


def real_records(n_ccf: int = 200, n_ipc: int = 100, data_dir: Path | None = None) -> list[dict]:
    """``search_documents_by_ids``-shaped rows built only from real data: CCF BDCI 2022 patents
    (title, abstract, applicant -> holder kind; Chongqing applicants get region 500000) and
    lxingy3 patents (title, IPC subclasses, kind from the publication number's suffix)."""
    pat = (data_dir / "patents") if data_dir else PATENTS
    rows: list[dict] = []
    with open(pat / "ccf_bdci2022_patsnap_fewshot_train.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n_ccf:
                break
            r = json.loads(line)
            assignee = r.get("assignee") or ""
            rows.append({
                "id": f"CCF:{r['id']}", "title": r["title"], "abstract": r["abstract"],
                "claim1": None, "kind": None, "status": None,
                "holder_kinds": [_holder_kind(assignee)],
                "org_regions": ["500000"] if "重庆" in assignee else [],
            })
    with open(pat / "lxingy3_cn_patents_title_ipc.csv", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            if i >= n_ipc:
                break
            pn = r["publication_number"]
            rows.append({
                "id": pn, "title": r["title"], "abstract": None, "claim1": None,
                "kind": "utility_model" if pn.endswith("U") else "invention",
                "status": "valid" if pn.endswith(("B", "U")) else "pending",
                "ipc_subclasses": r["ipc_subclasses"].split("|"),
            })
    return rows


class ListStore:
    """Answers ``search_document_ids`` and ``search_documents_by_ids`` (with the embedded
    variant's ``$ids_text``) from a list of rows, like a graph store holding those patents
    would."""

    dialect = "embedded"

    def __init__(self, rows: list[dict]) -> None:
        self.rows = {r["id"]: r for r in rows}
        self.calls: list[tuple[str, dict]] = []

    def query(self, name: str):
        from queries.registry import default_registry

        return default_registry().get(name, self.dialect)

    def run(self, name: str, /, **params: Any) -> list[dict]:
        self.calls.append((name, params))
        ordered = [self.rows[k] for k in sorted(self.rows)]
        if name == "search_document_ids":
            return [{"id": k} for k in reversed(sorted(self.rows))]  # no order promised
        if name == "search_documents_by_ids":
            wanted = set(params["ids_text"].split("\n"))
            return [dict(r) for r in ordered if r["id"] in wanted]
        raise AssertionError(f"unexpected query {name}")

    def count_nodes(self) -> dict[str, int]:
        return {"Patent": len(self.rows)}

    def close(self) -> None:
        pass


class HashEncoder:
    """Deterministic character-bigram hashing encoder for unit tests of the fusion logic
    (the end-to-end test uses the real default encoder)."""

    name = "hash-bigram"
    fingerprint = "hash-bigram:v1"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def encode(self, texts, *, batch_size=None, show_progress=False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            t = "".join(t.split())
            for a, b in zip(t, t[1:]):
                h = int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    encode_queries = encode


def catalog_rows(rows: list[dict]) -> list[dict]:
    return [catalog_record(r) for r in rows]
