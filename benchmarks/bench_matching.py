"""Matching and high-value benchmark over GENERATED patents (source = "generated:bench").

At N (default 1,000,000) generated patents -- the texts and catalog attributes of
``benchmarks/bench_search.py``'s :class:`CorpusGenerator` (real Chinese patent vocabulary
recombined), plus generated organisations, applicants, SEI classifications, chain
segments, pledge events, family members and awards, all labelled ``generated:bench`` --
this script (the generated records, vectors and tokens are read from bench_search's
cache under ``<var_dir>/bench_search/`` when present):

1. loads the graph into an embedded store (``<path>/graph.lbug``) and times it;
2. times the **full high-value recomputation** (:func:`analytics.highvalue.recompute_high_value`)
   over all N patents;
3. builds (or loads) the search indexes over the same patents -- reusing the vectors and
   jieba tokens cached by ``bench_search.py`` under ``<var_dir>/bench_search/`` when they
   exist (same generator, same seed, same texts), else computing and caching them there;
4. times **demand -> matches** (:meth:`analytics.matching.MatchingService.match_demand`,
   default options: university/institute holders, not transferred, status valid or
   unknown, hybrid search, classification of the demand, explanations) for the 371 REAL
   technology demands as queries, and reports p50 / p95 / mean; also without the
   classification step, and patent -> companies for a sample of generated patents;
5. times indicators and the top-100 rankings over the N patents.

Everything runs in one process, single client. The machine is shared (2 CPUs, other
engineers' jobs): the figures are indicative, not a dedicated-hardware measurement.

Run: ``python benchmarks/bench_matching.py [--n 1000000] [--queries 371] [--path var/bench_matching]``
The graph and index are kept under ``--path`` and reused by later runs (``--rebuild`` to redo).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import resource
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "generated:bench"
log = logging.getLogger("bench_matching")

QUALIFICATIONS = (("高新技术企业", 0.20), ("专精特新", 0.05), ("上市", 0.01))
POOLS = {"enterprise": 40_000, "university": 300, "institute": 300, "individual": 100_000}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def summary(name: str, values: list[float]) -> dict:
    out = {"n": len(values), "p50_ms": round(ms(values, 50), 1), "p95_ms": round(ms(values, 95), 1),
           "mean_ms": round(statistics.mean(values) * 1000, 1)}
    print(f"{name}: p50 {out['p50_ms']:.0f} ms, p95 {out['p95_ms']:.0f} ms, "
          f"mean {out['mean_ms']:.0f} ms over {out['n']} queries", flush=True)
    return out


# ----------------------------------------------------------------------------------------
# generated graph
# ----------------------------------------------------------------------------------------
class GraphGenerator:
    """Organisations and graph rows around the bench_search records (deterministic)."""

    def __init__(self, seed: int = 0) -> None:
        from bench_search import _CQ_DISTRICTS, _OTHER_REGIONS

        self.rng = np.random.default_rng(seed + 1000)
        self.cq, self.other = _CQ_DISTRICTS, _OTHER_REGIONS
        self.orgs: dict[str, dict] = {}
        self.pool_ids: dict[str, list[str]] = {}
        for kind, size in POOLS.items():
            ids = []
            for i in range(size):
                oid = f"GEN-{kind[:3].upper()}-{i:06d}"
                cq = self.rng.random() < 0.4
                region = (self.cq[int(self.rng.integers(len(self.cq)))] if cq
                          else self.other[int(self.rng.integers(len(self.other)))])
                quals = ([q for q, p in QUALIFICATIONS if self.rng.random() < p]
                         if kind == "enterprise" else [])
                self.orgs[oid] = {"id": oid, "name": f"生成机构{kind}{i}（generated:bench）",
                                  "kind": kind, "region_code": region, "is_chongqing": cq,
                                  "qualifications": quals}
                ids.append(oid)
            self.pool_ids[kind] = ids

    def patent_rows(self, records: list[dict]):
        """Patent node rows; also sets each record's org ids / regions (catalog consistency)."""
        rng = self.rng
        for r in records:
            orgs = [self.pool_ids[k][int(rng.integers(len(self.pool_ids[k])))]
                    for k in r["holder_kinds"]]
            r["org_ids"] = orgs
            r["region_codes"] = [self.orgs[o]["region_code"] for o in orgs]
            transfer = int(rng.random() < 0.05) if r["holder_kinds"][0] in (
                "university", "institute") else int(rng.random() < 0.02)
            u = rng.random()
            pledge_count = None if u < 0.89 else (0 if u < 0.99 else int(rng.integers(1, 3)))
            r["pledge_count"] = pledge_count
            f = rng.random()
            family = (None if f < 0.85 else
                      [r["id"] + "A", f"US{int(rng.integers(10**9, 10**10))}A1"] if f < 0.90
                      else [r["id"] + "A"])
            yield {
                "id": r["id"], "pub_no": r["id"] + "A", "title": r["title"],
                "abstract": r["abstract"], "claim1": r["claim1"], "kind": r["kind"],
                "status": r["status"], "app_date": r["app_date"], "app_year": r["app_year"],
                "grant_year": r["grant_year"], "ipc_codes": r["ipc_codes"],
                "ipc_subclasses": r["ipc_subclasses"], "ipc_main": r["ipc_codes"][0],
                "region_code": r["region_codes"][0], "transfer_count": transfer,
                "pledge_count": pledge_count, "family_ids": family,
                "open_licence": r["open_licence"], "sources": [SOURCE],
            }

    def rel_rows(self, records: list[dict]):
        """(label rows, relationship rows) derived from the records."""
        rng = self.rng
        applied, in_sei, in_chain, events, has_event, won = [], [], [], [], [], []
        for r in records:
            applied += [{"src": r["id"], "dst": o, "ord": i} for i, o in enumerate(r["org_ids"])]
            in_sei += [{"src": r["id"], "dst": c, "rule": "generated"} for c in r["sei_codes"]]
            in_chain += [{"src": r["id"], "dst": n, "score": 1.0, "via": "ipc"}
                         for n in r["chain_node_ids"]]
            if r["pledge_count"]:
                eid = f"GEN-EV-{r['id']}"
                amount = None if rng.random() < 0.2 else float(round(rng.lognormal(6.0, 1.0)))
                events.append({"id": eid, "kind": "pledge", "amount_wan": amount,
                               "date": date(2015 + int(rng.integers(0, 10)), 1, 1),
                               "counterparty": None, "raw": SOURCE})
                has_event.append({"src": r["id"], "dst": eid})
            if r["kind"] == "invention" and rng.random() < 0.0005:
                won.append({"src": r["id"], "dst": "GEN-AWARD-1"})
        return applied, in_sei, in_chain, events, has_event, won


def load_graph(store, records: list[dict], seed: int) -> dict:
    t0 = time.perf_counter()
    g = GraphGenerator(seed)
    store.upsert_nodes("Organization", list(g.orgs.values()))
    store.upsert_nodes("Patent", g.patent_rows(records))
    t_nodes = time.perf_counter() - t0
    sei = sorted({c for r in records for c in r["sei_codes"]})
    store.upsert_nodes("SEICategory", [{"id": c, "name": f"SEI {c}", "level": 2,
                                        "parent": c.split(".")[0]} for c in sei])
    nodes = sorted({(c, n) for r in records for c, n in zip(r["chain_ids"], r["chain_node_ids"])})
    store.upsert_nodes("IndustryChain", [{"id": c, "name": c, "system": "generated",
                                          "source": SOURCE} for c in sorted({c for c, _ in nodes})])
    store.upsert_nodes("ChainNode", [{"id": n, "chain_id": c, "name": n} for c, n in nodes])
    store.upsert_relationships("PART_OF", [{"src": n, "dst": c} for c, n in nodes])
    store.upsert_nodes("Award", [{"id": "GEN-AWARD-1", "name": "生成奖项（generated:bench）",
                                  "level": "金奖", "year": 2024}])
    applied, in_sei, in_chain, events, has_event, won = g.rel_rows(records)
    store.upsert_nodes("Event", events)
    for rel, rows in (("APPLIED_BY", applied), ("IN_SEI", in_sei), ("IN_CHAIN_NODE", in_chain),
                      ("HAS_EVENT", has_event), ("WON", won)):
        store.upsert_relationships(rel, rows)
    took = time.perf_counter() - t0
    counts = {"patents": len(records), "orgs": len(g.orgs), "applied_by": len(applied),
              "in_sei": len(in_sei), "in_chain_node": len(in_chain), "pledge_events": len(events),
              "won": len(won), "nodes_s": round(t_nodes, 1), "total_s": round(took, 1)}
    print(f"graph: {json.dumps(counts)}", flush=True)
    return counts


# ----------------------------------------------------------------------------------------
# search index (reusing bench_search's caches)
# ----------------------------------------------------------------------------------------
def build_bundle(st, records: list[dict], encoder, settings, args) -> "object":
    from embeddings.build import IndexBundle, make_tokenizer

    t0 = time.perf_counter()
    vectors = st.vectors(encoder)
    tokenizer = make_tokenizer(settings)
    tokens = st.tokens(tokenizer)
    bundle = IndexBundle.empty(encoder, settings, tokenizer)
    ids = [r["id"] for r in records]
    bundle.vector.build(ids, np.asarray(vectors))
    bundle.keyword.add_tokens(ids, tokens, rebuild=False)
    del tokens
    bundle.keyword.rebuild()
    bundle.catalog.upsert(records)
    bundle.catalog.consolidate()
    bundle.save(args.path / f"index_{args.n}")
    print(f"index: built in {time.perf_counter() - t0:.0f}s ({bundle.describe()['vector']['kind']})",
          flush=True)
    return bundle


def real_demands(settings) -> list[dict]:
    path = settings.data_dir / "tech_demand" / "ccf_bdci2019_requirements.csv"
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="generated patents")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--queries", type=int, default=371, help="real demands used as queries")
    ap.add_argument("--patents", type=int, default=50, help="patent -> companies queries")
    ap.add_argument("--path", type=Path, default=None, help="work folder (default <var_dir>/bench_matching)")
    ap.add_argument("--workers", type=int, default=2, help="jieba processes (if tokens not cached)")
    ap.add_argument("--buffer-pool-mb", type=int, default=4096)
    ap.add_argument("--rebuild", action="store_true", help="rebuild graph and index")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write figures as JSON")
    ap.add_argument("--skip-hv", action="store_true",
                    help="skip the high-value recomputation and indicators (graph reused)")
    ap.add_argument("--skip-search", action="store_true",
                    help="stop after the graph, high-value and indicator figures")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_search import Stages

    from analytics.highvalue import recompute_high_value
    from analytics.indicators import indicators, rank_holders, rank_inventors
    from analytics.matching import CompanyOptions, DemandOptions, MatchingService
    from embeddings.build import IndexBundle
    from embeddings.encoder import create_encoder
    from embeddings.hybrid import HybridSearcher
    from graph.embedded import EmbeddedStore
    from patentnav.settings import Settings

    settings = Settings()
    args.path = args.path or settings.var_dir / "bench_matching"
    if args.rebuild and args.path.exists():
        shutil.rmtree(args.path)
    args.path.mkdir(parents=True, exist_ok=True)
    figures: dict = {"n": args.n, "source": SOURCE, "cpus": os.cpu_count(),
                     "note": "shared machine, single client, one process"}
    print(f"bench_matching: n = {args.n:,} generated patents ({SOURCE}); {os.cpu_count()} CPUs "
          "shared with other jobs", flush=True)

    # the records (and later the vectors / tokens) come from bench_search's cache when it
    # holds them for this N and seed: the same generated corpus, computed once
    stages = Stages(argparse.Namespace(n=args.n, seed=args.seed, no_cache=False,
                                       progress=args.progress, workers=args.workers), settings)
    records = stages.records()

    graph_path = args.path / f"graph_{args.n}.lbug"
    ready = args.path / f"graph_{args.n}.READY"
    store = EmbeddedStore.open(graph_path, buffer_pool_mb=args.buffer_pool_mb)
    try:
        if not ready.exists():
            store.init_schema()
            figures["graph_load"] = load_graph(store, records, args.seed)
            ready.write_text("ok\n")
        else:
            # the org assignment of the records is needed for the catalog: regenerate it
            g = GraphGenerator(args.seed)
            for _ in g.patent_rows(records):
                pass
            print("graph: reused", graph_path, flush=True)

        # -- high-value recomputation ----------------------------------------------------------
        # first run on a fresh graph: every patent's flags are written; second run: nothing
        # changed, only the reads and the decisions (changed patents alone are rewritten)
        for label in () if args.skip_hv else ("first", "again"):
            t = time.perf_counter()
            stats = recompute_high_value(store, settings, progress=args.progress)
            hv_s = time.perf_counter() - t
            figures[f"high_value_{label}"] = {**stats.as_dict(), "wall_s": round(hv_s, 1),
                                              "patents_per_s": round(args.n / hv_s)}
            print(f"high-value recompute ({label}): {hv_s:.1f}s for {args.n:,} patents "
                  f"({args.n / hv_s:,.0f}/s), {stats.written:,} written; hv true "
                  f"{stats.hv_true:,}, false {stats.hv_false:,}, null {stats.hv_null:,}",
                  flush=True)

        # -- indicators and rankings ------------------------------------------------------------
        timings = {}
        for name, fn in () if args.skip_hv else (
            ("indicators_holder_kind", lambda: indicators(store, group_by="holder_kind")),
            ("indicators_district", lambda: indicators(store, group_by="district", region="500000")),
            ("indicators_sei", lambda: indicators(store, group_by="sei")),
            ("rank_holders_top100", lambda: rank_holders(store, limit=100)),
            ("rank_inventors_top100", lambda: rank_inventors(store, limit=100)),
        ):
            t = time.perf_counter()
            fn()
            timings[name] = round(time.perf_counter() - t, 2)
        if timings:
            figures["indicators_s"] = timings
            print(f"indicators / rankings (s): {timings}", flush=True)
        if args.skip_search:
            return _finish(figures, args)

        # -- search index --------------------------------------------------------------------
        encoder = create_encoder(settings)
        index_path = args.path / f"index_{args.n}"
        if (index_path / "bundle.json").exists():
            t = time.perf_counter()
            bundle = IndexBundle.load(index_path, encoder)
            print(f"index: loaded in {time.perf_counter() - t:.0f}s", flush=True)
        else:
            bundle = build_bundle(stages, records, encoder, settings, args)
        del records, stages
        searcher = HybridSearcher.from_bundle(bundle, encoder)
        service = MatchingService(store, searcher, settings, encoder=encoder)

        # -- demand -> matches ---------------------------------------------------------------
        demands = real_demands(settings)[: args.queries]
        texts = [f"{d['title']}。{d['content']}" for d in demands]
        for text in texts[:3]:
            service.match_demand(text)  # warm-up
        lat, lat_nc, empty = [], [], 0
        for text in texts:
            t = time.perf_counter()
            res = service.match_demand(text)
            lat.append(time.perf_counter() - t)
            empty += not res["results"]
        for text in texts:
            t = time.perf_counter()
            service.match_demand(text, options=DemandOptions(classify=False))
            lat_nc.append(time.perf_counter() - t)
        figures["demand_match"] = summary("demand -> matches (default, with classification)", lat)
        figures["demand_match"]["empty_results"] = empty
        figures["demand_match_no_classify"] = summary("demand -> matches (no classification)",
                                                      lat_nc)

        # -- patent -> companies ---------------------------------------------------------------
        rng = random.Random(args.seed)
        sample = [f"GEN{rng.randrange(args.n):09d}" for _ in range(args.patents)]
        lat_p = []
        for pid in sample:
            t = time.perf_counter()
            service.match_patent(pid, options=CompanyOptions(k=10))
            lat_p.append(time.perf_counter() - t)
        figures["patent_companies"] = summary("patent -> companies", lat_p)
        return _finish(figures, args)
    finally:
        store.close()


def _finish(figures: dict, args) -> int:
    figures["peak_rss_mb"] = round(peak_rss_mb())
    print(f"peak RSS {figures['peak_rss_mb']:,} MB", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str),
                            encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
