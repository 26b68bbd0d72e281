"""Evaluate demand -> patent matching on the real data: precision@10.

Two labelled sets, both built from the real data in ``settings.data_dir``:

A. **Held-out pseudo-demands with IPC relevance** (automatic, large).
   The only real patents with IPC codes are the 9,740 lxingy3 rows (titles + IPC
   subclasses, no abstract) and the 10 PatentSemantix rows; the patents with abstracts
   (PatSnap) carry no IPC, so a pseudo-demand cannot be the abstract's problem statement
   *and* be judged by IPC. We therefore take a seeded sample of IPC-labelled patents,
   turn each title into a demand-like request (``需求：<title without 一种>相关技术``),
   hold the source patent out of the results, search among the patents that have IPC
   codes (every holder kind, every status, transferred or not -- the lxingy3 rows carry
   no applicant), and count a result relevant when it shares at least one IPC subclass
   with the source (the finest level lxingy3 gives). Reported per retrieval mode
   (keyword, semantic, hybrid), against the expected precision of a random pick from
   the same pool (the base rate). Caveat: titles are short, and IPC subclasses are a
   coarse notion of relevance (a hit may share the field without solving the problem).

B. **Hand-judged real demands** (small, strict).
   ``evaluation/data/matching_judgements.json`` holds, for 20 real demands sampled with
   a fixed seed, the default matches (university/institute patents, not transferred,
   status valid or unknown) with one human judgement each (``relevant``: could the
   patent plausibly help with the stated need -- same technical problem or a directly
   usable component/method -- not merely the same broad field), made by reading the
   demand and the patent's title/abstract. Precision@10 is computed on the current
   matches; results not in the file are counted as not relevant and reported as
   ``unjudged``. ``--judge`` prints the current top-10 of the 20 demands to extend it.

Run: ``python evaluation/eval_matching.py [--pseudo 300] [--seed 0] [--out var/eval/matching.json]``.
The graph and indexes of the real data are built under ``<var_dir>/eval_matching/``
(reused when present; ``--rebuild`` to redo).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
JUDGEMENTS = Path(__file__).resolve().parent / "data" / "matching_judgements.json"
IPC_SECTIONS = tuple("ABCDEFGH")
ALL_STATUSES = ("valid", "pending", "invalid", "unknown")
MODES = ("keyword", "semantic", "hybrid")

log = logging.getLogger("eval_matching")


def pseudo_demand(title: str) -> str:
    """A demand-like request from a patent title (``一种X`` -> ``需求：X相关技术``)."""
    core = re.sub(r"^(一种|一类|一套)", "", title.strip())
    return f"需求：{core}相关技术"


# ----------------------------------------------------------------------------------------
# the real data, built once
# ----------------------------------------------------------------------------------------
def open_real(settings, *, rebuild: bool):
    """(store, searcher, encoder) over the real data, built under <var_dir>/eval_matching."""
    import shutil

    from analytics.highvalue import recompute_high_value
    from embeddings.build import IndexBundle, build_indexes
    from embeddings.encoder import create_encoder
    from embeddings.hybrid import HybridSearcher
    from graph.embedded import EmbeddedStore
    from ingest.pipeline import ingest_all

    root = settings.var_dir / "eval_matching"
    graph_path = root / "graph.lbug"
    ready = root / "READY"
    if rebuild and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    local = settings.model_copy(update={"var_dir": root, "embedded_path": graph_path,
                                        "index_dir": root / "index"})
    encoder = create_encoder(local)
    if not ready.exists():
        if graph_path.exists():
            shutil.rmtree(graph_path) if graph_path.is_dir() else graph_path.unlink()
        t0 = time.perf_counter()
        store = EmbeddedStore.open(graph_path)
        store.init_schema()
        ingest_all(store, local, progress=False)
        recompute_high_value(store, local, progress=False)
        bundle = build_indexes(store, encoder, local, progress=False)
        ready.write_text("ok\n", encoding="utf-8")
        print(f"built real graph + index in {time.perf_counter() - t0:.0f}s", flush=True)
    else:
        store = EmbeddedStore.open(graph_path)
        bundle = IndexBundle.load(local, encoder)
    return store, HybridSearcher.from_bundle(bundle, encoder), encoder, local


def ipc_patents(store) -> list[dict[str, Any]]:
    rows = store.run("match_eval_ipc_patents")
    return [r for r in rows if r.get("title") and r.get("ipc_subclasses")]


# ----------------------------------------------------------------------------------------
# A. pseudo-demands
# ----------------------------------------------------------------------------------------
def eval_pseudo(service, store, n: int, seed: int, k: int = 10) -> dict[str, Any]:
    from analytics.matching import DemandOptions

    pool = ipc_patents(store)
    subs = {r["id"]: set(r["ipc_subclasses"]) for r in pool}
    sample = random.Random(seed).sample(pool, min(n, len(pool)))
    # base rate: chance that a random other patent of the pool shares a subclass
    by_sub: dict[str, set[str]] = {}
    for pid, ss in subs.items():
        for s in ss:
            by_sub.setdefault(s, set()).add(pid)
    base = statistics.mean(
        (len(set().union(*(by_sub[s] for s in subs[r["id"]]))) - 1) / (len(pool) - 1)
        for r in sample)
    out: dict[str, Any] = {"sources": len(sample), "pool": len(pool), "k": k,
                           "base_rate_p_at_k": round(base, 4), "modes": {}}
    for mode in MODES:
        precisions, latencies = [], []
        for r in sample:
            opts = DemandOptions(k=k + 1, holder_kinds=(), statuses=ALL_STATUSES,
                                 exclude_transferred=False, ipc=IPC_SECTIONS, mode=mode,
                                 classify=False)
            t = time.perf_counter()
            res = service.match_demand(pseudo_demand(r["title"]), options=opts)
            latencies.append(time.perf_counter() - t)
            got = [x for x in res["results"] if x["id"] != r["id"]][:k]
            rel = sum(1 for x in got if set(x["ipc_subclasses"]) & subs[r["id"]])
            precisions.append(rel / k)
        out["modes"][mode] = {
            "p_at_k": round(statistics.mean(precisions), 4),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
        }
        print(f"A {mode:8s} P@{k} = {out['modes'][mode]['p_at_k']:.3f} "
              f"(base rate {base:.3f}; {len(sample)} pseudo-demands)", flush=True)
    return out


# ----------------------------------------------------------------------------------------
# B. hand-judged real demands
# ----------------------------------------------------------------------------------------
def judged_demand_ids(service, seed: int, n: int = 20) -> list[str]:
    from analytics.matching import iter_all_demands

    demands = sorted(d["id"] for d in iter_all_demands(service))
    return random.Random(seed).sample(demands, n)


def eval_judged(service, path: Path, k: int = 10) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    per, unjudged_total = [], 0
    for entry in data["demands"]:
        labels = {j["patent_id"]: bool(j["relevant"]) for j in entry["judged"]}
        res = service.match_demand(demand_id=entry["demand_id"])
        top = [r["id"] for r in res["results"][:k]]
        unjudged = [p for p in top if p not in labels]
        unjudged_total += len(unjudged)
        rel = sum(1 for p in top if labels.get(p))
        per.append({"demand_id": entry["demand_id"], "title": entry["title"],
                    "p_at_k": rel / k, "relevant": rel, "returned": len(top),
                    "unjudged": len(unjudged)})
    p = statistics.mean(x["p_at_k"] for x in per) if per else 0.0
    any_hit = sum(1 for x in per if x["relevant"] > 0)
    print(f"B hand-judged P@{k} = {p:.3f} over {len(per)} real demands "
          f"({any_hit} with at least one relevant patent; {unjudged_total} unjudged results)",
          flush=True)
    return {"demands": len(per), "p_at_k": round(p, 4), "with_any_relevant": any_hit,
            "unjudged": unjudged_total, "judge": data.get("judge"),
            "criterion": data.get("criterion"), "per_demand": per}


def print_for_judging(service, ids: list[str], k: int = 10) -> None:
    """The current default matches of the demands, to write judgements."""
    for did in ids:
        res = service.match_demand(demand_id=did)
        d = res["demand"]
        print(f"\n=== {did} {d['title']}\n{(d['content'] or '')[:400]}")
        records = service._records([r["id"] for r in res["results"][:k]])
        for r in res["results"][:k]:
            abstract = (records.get(r["id"], {}).get("abstract") or "")[:160]
            print(f"  {r['rank']:>2} {r['id']} [{'/'.join(h['name'] or '' for h in r['holders'])}] "
                  f"{r['title']} | {abstract} || why: {r['why']['summary']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pseudo", type=int, default=300, help="pseudo-demands in set A")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed")
    ap.add_argument("--judgements", type=Path, default=JUDGEMENTS, help="set B file")
    ap.add_argument("--judge", action="store_true", help="print set B's current matches")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the real graph + index")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(ROOT))
    from analytics.matching import MatchingService
    from patentnav.settings import Settings

    store, searcher, encoder, settings = open_real(Settings(), rebuild=args.rebuild)
    service = MatchingService(store, searcher, settings, encoder=encoder)
    try:
        if args.judge:
            print_for_judging(service, judged_demand_ids(service, args.seed))
            return 0
        report = {"pseudo": eval_pseudo(service, store, args.pseudo, args.seed)}
        if args.judgements.exists():
            report["judged"] = eval_judged(service, args.judgements)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                encoding="utf-8")
            print(f"wrote {args.out}")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
