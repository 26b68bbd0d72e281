"""Search benchmark over GENERATED patents (source = "generated:bench").

Builds the vector index, BM25 index and catalog over N (default 1,000,000) generated
patents whose texts are recombined from real Chinese patent vocabulary (titles of the
lxingy3 IPC table and CCF BDCI 2022 abstracts in ``settings.data_dir``) so jieba and BM25
see realistic tokens, then prints:

* build times (generate, encode, FAISS, jieba, BM25, catalog) and process RSS;
* encoder throughput (texts/s);
* ANN recall@10 against exact search on 200 queries, and latency;
* filtered vector search: FAISS IDSelector vs post-filtering with over-fetch;
* catalog mask / facet latency;
* single-client p50/p95 latency of hybrid search through the HTTP API
  (``search_api.app:create_app`` under uvicorn on 127.0.0.1) when the API can serve the
  bundle, else of the library call (said so in the output).

Other modes:
  --ann-study       compare IVF-Flat / IVF-SQ8 / HNSW on the cached 1M vectors
  --bm25-compare    bm25s vs rank-bm25 on the real patents and on N generated docs

Intermediate results (vectors, tokens) are cached under ``<var_dir>/bench_search/`` so
re-runs skip the slow encode/jieba steps (``--no-cache`` to redo them).

Run: ``python benchmarks/bench_search.py [--n 1000000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import logging
import math
import os
import pickle
import re
import resource
import sys
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SOURCE = "generated:bench"
log = logging.getLogger("bench_search")


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


# ----------------------------------------------------------------------------------------------
# generated corpus
# ----------------------------------------------------------------------------------------------
_CLAUSE = re.compile(r"[，。；：！？,;]")
_CQ_DISTRICTS = [f"5001{d:02d}" for d in range(1, 21)] + [f"5001{d}" for d in range(51, 57)] + [
    "500229", "500230", "500231", "500233", "500235", "500236", "500237", "500238", "500240",
    "500241", "500242", "500243"]
_OTHER_REGIONS = ["110105", "110108", "310115", "320106", "330106", "440305", "440106",
                  "510107", "420111", "610113", "370102", "430104", "350203", "120116"]


class CorpusGenerator:
    """Deterministic generator of patent-like records from real Chinese patent text."""

    def __init__(self, data_dir: Path, seed: int = 0) -> None:
        import jieba

        self.rng = np.random.default_rng(seed)
        tk = jieba.Tokenizer()
        tk.initialize()
        pat = data_dir / "patents"
        by_sub: dict[str, list[list[str]]] = defaultdict(list)
        with open(pat / "lxingy3_cn_patents_title_ipc.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                toks = tk.lcut(row["title"])
                if len(toks) >= 2:
                    for sub in row["ipc_subclasses"].split("|")[:1]:
                        by_sub[sub.strip()].append(toks)
        self.subclasses = sorted(s for s, v in by_sub.items() if len(v) >= 3)
        self.by_sub = [by_sub[s] for s in self.subclasses]
        w = np.array([len(v) for v in self.by_sub], dtype=np.float64)
        self.sub_p = w / w.sum()
        clauses: list[str] = []
        self.real_titles: list[str] = []
        with open(pat / "ccf_bdci2022_patsnap_fewshot_train.jsonl", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                self.real_titles.append(r["title"])
                clauses += [c.strip() for c in _CLAUSE.split(r["abstract"]) if 6 <= len(c.strip()) <= 50]
        self.clauses = clauses
        self.vocab_words = sorted({t for v in self.by_sub for toks in v for t in toks
                                   if len(t) >= 2 and not t.isascii()})
        sei = []
        with open(data_dir / "concordance" / "sei2018_categories_l1_l2.csv", encoding="utf-8") as fh:
            sei = [r["l2_code"] for r in csv.DictReader(fh)]
        self.sei = sei
        self.chain_nodes: list[tuple[str, str]] = []
        chains_file = Path(__file__).resolve().parent.parent / "ingest" / "data" / "chains" / "chain_nodes.csv"
        if chains_file.exists():
            with open(chains_file, encoding="utf-8") as fh:
                self.chain_nodes = [(r["chain_id"], r["node_id"]) for r in csv.DictReader(fh)]
        if not self.chain_nodes:
            self.chain_nodes = [(f"chain{c}", f"chain{c}/n{j}") for c in range(10) for j in range(4)]

    def title(self, rng, s: int) -> str:
        pool = self.by_sub[s]
        a = pool[rng.integers(len(pool))]
        b = pool[rng.integers(len(pool))]
        ca = int(rng.integers(1, len(a))) if len(a) > 1 else 1
        cb = int(rng.integers(0, len(b) - 1)) if len(b) > 1 else 0
        t = "".join(a[:ca] + b[cb:])
        return t if t.startswith("一种") or rng.random() < 0.3 else "一种" + t

    def records(self, n: int, start: int = 0):
        """Yield ``n`` records (with ``title``, ``abstract``, ``claim1`` and catalog attributes)."""
        rng = self.rng
        subs = rng.choice(len(self.subclasses), size=n, p=self.sub_p)
        n_cl = len(self.clauses)
        base = date(2005, 1, 1)
        for i in range(n):
            s = int(subs[i])
            sub = self.subclasses[s]
            title = self.title(rng, s)
            cl = rng.integers(n_cl, size=4)
            abstract = (f"本发明公开了{title}，" + "，".join(self.clauses[j] for j in cl[:3]) + "。")
            claim1 = f"1.{title}，其特征在于，{self.clauses[cl[3]]}。"
            app = base + timedelta(days=int(rng.integers(0, 20 * 365)))
            kind = ("invention", "utility_model", "design")[int(rng.choice(3, p=(0.45, 0.45, 0.10)))]
            granted = kind != "invention" or rng.random() < 0.55
            status = "pending" if not granted else ("valid" if rng.random() < 0.65 else "invalid")
            codes = [f"{sub}{int(rng.integers(1, 60))}/{int(rng.choice([0, 2, 4, 10, 12, 20, 36]))}"
                     for _ in range(int(rng.integers(1, 4)))]
            extra = [self.subclasses[int(rng.integers(len(self.subclasses)))]] if rng.random() < 0.3 else []
            n_app = 1 if rng.random() < 0.8 else 2
            holders = [("enterprise", "university", "institute", "individual")[
                int(rng.choice(4, p=(0.7, 0.15, 0.05, 0.10)))] for _ in range(n_app)]
            regions = [(_CQ_DISTRICTS[int(rng.integers(len(_CQ_DISTRICTS)))] if rng.random() < 0.4
                        else _OTHER_REGIONS[int(rng.integers(len(_OTHER_REGIONS)))]) for _ in range(n_app)]
            sei = [self.sei[int(rng.integers(len(self.sei)))]] if rng.random() < 0.3 else []
            chain = [self.chain_nodes[int(rng.integers(len(self.chain_nodes)))]] if rng.random() < 0.2 else []
            hv = None if rng.random() < 0.1 else bool(kind == "invention" and status == "valid" and rng.random() < 0.3)
            yield {
                "id": f"GEN{start + i:09d}",
                "source": SOURCE,
                "title": title,
                "abstract": abstract,
                "claim1": claim1,
                "app_date": app,
                "app_year": app.year,
                "grant_year": (app.year + int(rng.integers(1, 4))) if granted else None,
                "kind": kind,
                "status": status,
                "ipc_codes": codes,
                "ipc_subclasses": [sub] + extra,
                "hv": hv,
                "open_licence": bool(rng.random() < 0.02),
                "holder_kinds": holders,
                "region_codes": regions,
                "sei_codes": sei,
                "chain_ids": [c for c, _ in chain],
                "chain_node_ids": [nd for _, nd in chain],
            }

    def queries(self, n: int, seed: int = 1) -> list[str]:
        """Half keyword-style queries (2-3 real title words), half real patent titles."""
        rng = np.random.default_rng(seed)
        out = []
        for i in range(n):
            if i % 2 == 0:
                words = rng.choice(len(self.vocab_words), size=int(rng.integers(2, 4)), replace=False)
                out.append(" ".join(self.vocab_words[j] for j in words))
            else:
                out.append(self.real_titles[int(rng.integers(len(self.real_titles)))])
        return out


def doc_text(r: dict) -> str:
    from embeddings.build import document_text

    return document_text(r)


# ----------------------------------------------------------------------------------------------
# cached stages
# ----------------------------------------------------------------------------------------------
class Stages:
    def __init__(self, args, settings) -> None:
        self.args = args
        self.settings = settings
        self.cache = settings.var_dir / "bench_search"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.timings: dict[str, float] = {}
        self._records = None
        self._texts = None
        self.gen = None

    def generator(self) -> CorpusGenerator:
        if self.gen is None:
            self.gen = CorpusGenerator(self.settings.data_dir, seed=self.args.seed)
        return self.gen

    def records(self) -> list[dict]:
        if self._records is None:
            f = self.cache / f"records_{self.args.n}_{self.args.seed}.pickle"
            if f.exists() and not self.args.no_cache:
                t = time.perf_counter()
                with open(f, "rb") as fh:
                    self._records = pickle.load(fh)
                print(f"records: cached {f.name} ({time.perf_counter() - t:.1f}s to read)",
                      flush=True)
                return self._records
            t = time.perf_counter()
            self._records = list(self.generator().records(self.args.n))
            self.timings["generate_s"] = time.perf_counter() - t
            print(f"generated {len(self._records):,} records in {self.timings['generate_s']:.1f}s "
                  f"(RSS {rss_mb():.0f} MB)", flush=True)
            with open(f, "wb") as fh:
                pickle.dump(self._records, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return self._records

    def texts(self) -> list[str]:
        if self._texts is None:
            self._texts = [doc_text(r) for r in self.records()]
            lens = np.array([len(t) for t in self._texts[:10000]])
            print(f"text length: mean {lens.mean():.0f} chars (first 10k)", flush=True)
        return self._texts

    def vectors(self, encoder) -> np.ndarray:
        f = self.cache / f"vectors_{self.args.n}_{self.args.seed}_{encoder.fingerprint.replace(':', '_')}.npy"
        if f.exists() and not self.args.no_cache:
            print(f"vectors: cached {f.name}", flush=True)
            return np.load(f, mmap_mode="r")
        texts = self.texts()
        t = time.perf_counter()
        v = encoder.encode(texts, show_progress=self.args.progress)
        dt = time.perf_counter() - t
        self.timings["encode_s"] = dt
        print(f"encode: {len(texts):,} texts in {dt:.1f}s = {len(texts) / dt:,.0f} texts/s "
              f"(RSS {rss_mb():.0f} MB)", flush=True)
        np.save(f, v)
        return v

    def token_chunks(self, tokenizer, size: int = 50_000):
        """The cached document tokens in chunks (whole 1M token lists as Python strings
        would take ~6 GB)."""
        f = self.cache / f"tokens_{self.args.n}_{self.args.seed}.txt"
        if not f.exists() or self.args.no_cache:
            toks = self.tokens(tokenizer)
            for s in range(0, len(toks), size):
                yield toks[s:s + size]
            return
        chunk: list[list[str]] = []
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                chunk.append(line.rstrip("\n").split(" ") if line.strip() else [])
                if len(chunk) == size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    def tokens(self, tokenizer) -> list[list[str]]:
        f = self.cache / f"tokens_{self.args.n}_{self.args.seed}.txt"
        if f.exists() and not self.args.no_cache:
            t = time.perf_counter()
            with open(f, encoding="utf-8") as fh:
                toks = [line.rstrip("\n").split(" ") if line.strip() else [] for line in fh]
            print(f"tokens: cached {f.name} ({time.perf_counter() - t:.1f}s to read)", flush=True)
            return toks
        from embeddings.keyword import tokenize_many

        texts = self.texts()
        t = time.perf_counter()
        toks = tokenize_many(tokenizer, texts, workers=self.args.workers,
                             show_progress=self.args.progress)
        dt = time.perf_counter() - t
        self.timings["jieba_s"] = dt
        print(f"jieba: {len(texts):,} docs in {dt:.1f}s = {len(texts) / dt:,.0f} docs/s "
              f"with {self.args.workers} worker(s) (RSS {rss_mb():.0f} MB)", flush=True)
        with open(f, "w", encoding="utf-8") as fh:
            fh.writelines(" ".join(tt) + "\n" for tt in toks)
        return toks


# ----------------------------------------------------------------------------------------------
# ANN study
# ----------------------------------------------------------------------------------------------
def exact_topk(X: np.ndarray, Q: np.ndarray, k: int, allowed: np.ndarray | None = None,
               chunk: int = 200_000) -> np.ndarray:
    """Ground-truth top-k ids by brute force (numpy, chunked)."""
    best_d = np.full((len(Q), k), -np.inf, dtype=np.float32)
    best_i = np.full((len(Q), k), -1, dtype=np.int64)
    for s in range(0, len(X), chunk):
        block = np.asarray(X[s:s + chunk])
        D = Q @ block.T
        if allowed is not None:
            D[:, ~allowed[s:s + len(block)]] = -np.inf
        D = np.concatenate([best_d, D], axis=1)
        I = np.concatenate([best_i, np.arange(s, s + len(block))[None, :].repeat(len(Q), 0)], axis=1)
        top = np.argpartition(-D, k - 1, axis=1)[:, :k]
        best_d = np.take_along_axis(D, top, 1)
        best_i = np.take_along_axis(I, top, 1)
    return best_i


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    r = []
    for f, t in zip(found, truth):
        t = {int(x) for x in t if x >= 0}
        if t:
            r.append(len(t & {int(x) for x in f}) / len(t))
    return float(np.mean(r)) if r else float("nan")


def time_queries(fn, Q) -> tuple[np.ndarray, list[float]]:
    out, lat = [], []
    for q in Q:
        t = time.perf_counter()
        out.append(fn(q[None, :]))
        lat.append(time.perf_counter() - t)
    return np.vstack(out), lat


def ann_study(st: Stages, encoder) -> None:
    import faiss

    from embeddings.index import omp_threads

    X = np.ascontiguousarray(st.vectors(encoder), dtype=np.float32)
    n, d = X.shape
    queries = st.generator().queries(200)
    Q = encoder.encode_queries(queries)
    print(f"\n== ANN study on {n:,} x {d} generated-patent vectors, 200 queries ==", flush=True)
    t = time.perf_counter()
    truth = exact_topk(X, Q, 10)
    print(f"exact (numpy brute force) batch: {(time.perf_counter() - t) / len(Q) * 1000:.1f} ms/query")
    rng = np.random.default_rng(5)
    masks = {f"{p:g}": rng.random(n) < p for p in (0.1, 0.01)}
    truth_f = {p: exact_topk(X, Q[:50], 10, m) for p, m in masks.items()}

    def evaluate(name, index, set_param, values, filtered=True):
        for v in values:
            set_param(v)
            I, lat = time_queries(lambda q: index.search(q, 10)[1], Q)
            print(f"{name} {v}: recall@10 {recall(I, truth):.3f}  p50 {pct(lat, 50):.2f} ms  "
                  f"p95 {pct(lat, 95):.2f} ms", flush=True)
        if not filtered:
            return
        for p, m in masks.items():
            bits = np.packbits(m, bitorder="little")
            sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
            if isinstance(index, faiss.IndexIVF):
                nprobe = min(index.nlist, math.ceil(index.nprobe / float(p)))
                params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
            else:
                params = faiss.SearchParametersHNSW(sel=sel, efSearch=index.hnsw.efSearch)
            I, lat = time_queries(lambda q: index.search(q, 10, params=params)[1], Q[:50])
            print(f"{name} filtered {p} (IDSelector): recall@10 {recall(I, truth_f[p]):.3f}  "
                  f"p50 {pct(lat, 50):.2f} ms  p95 {pct(lat, 95):.2f} ms", flush=True)

    nlist = 4096
    for kind in [k for k in ("IVFFlat", "IVFSQ8") if k in st.args.ann_kinds]:
        quantizer = faiss.IndexFlatIP(d)
        if kind == "IVFFlat":
            idx = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            idx = faiss.IndexIVFScalarQuantizer(quantizer, d, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                faiss.METRIC_INNER_PRODUCT)
        idx.cp.max_points_per_centroid = 64
        with omp_threads(2):  # builds on 2 threads, searches on 1 (see embeddings.index)
            t = time.perf_counter()
            idx.train(X[np.sort(rng.choice(n, min(n, nlist * 64), replace=False))])
            tt = time.perf_counter() - t
            t = time.perf_counter()
            idx.add(X)
            ta = time.perf_counter() - t
        print(f"{kind} nlist={nlist}: train {tt:.1f}s add {ta:.1f}s  "
              f"size {faiss.serialize_index(idx).nbytes / 1e6:.0f} MB", flush=True)
        idx.nprobe = 64
        evaluate(kind, idx, lambda v, ix=idx: setattr(ix, "nprobe", v),
                 (16, 32, 64, 128, 256, 512))
        idx.nprobe = 64
        idx = None
        gc.collect()
    for ef_c in (st.settings.hnsw_ef_construction,) if "HNSW" in st.args.ann_kinds else ():
        idx = faiss.IndexHNSWFlat(d, st.settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = ef_c
        with omp_threads(2):
            t = time.perf_counter()
            idx.add(X)
            tb = time.perf_counter() - t
        print(f"HNSW M={st.settings.hnsw_m} efC={ef_c}: build {tb:.1f}s  "
              f"size {faiss.serialize_index(idx).nbytes / 1e6:.0f} MB", flush=True)
        idx.hnsw.efSearch = st.settings.hnsw_ef_search
        evaluate("HNSW ef", idx, lambda v, ix=idx: setattr(ix.hnsw, "efSearch", v),
                 (64, 128, 256))
        idx = None
        gc.collect()


# ----------------------------------------------------------------------------------------------
# bm25s vs rank-bm25
# ----------------------------------------------------------------------------------------------
def _bm25_pair(label: str, tokens: list[list[str]], queries: list[list[str]],
               rank_bm25_queries: int) -> None:
    """Build bm25s (as KeywordIndex does: token ids, CSR, bm25s from ids) and rank-bm25's
    BM25Okapi over the same tokens; time builds, RSS growth and top-10 query latency."""
    from types import SimpleNamespace

    import bm25s
    from rank_bm25 import BM25Okapi

    from embeddings.keyword import _RowLists

    gc.collect()
    r0 = rss_mb()
    t = time.perf_counter()
    vocab: dict[str, int] = {}
    lens = np.array([len(d) for d in tokens], dtype=np.int64)
    indptr = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    flat = np.empty(int(indptr[-1]), dtype=np.int32)
    for i, d in enumerate(tokens):
        flat[indptr[i]:indptr[i + 1]] = [vocab.setdefault(w, len(vocab)) for w in d]
    t_ids = time.perf_counter() - t
    t = time.perf_counter()
    bm = bm25s.BM25(method="lucene")
    bm.index(SimpleNamespace(ids=_RowLists(indptr, flat), vocab=vocab), create_empty_token=False,
             show_progress=False)
    tb = time.perf_counter() - t
    mem_b = rss_mb() - r0
    lat = []
    for q in queries:
        ids = np.array([vocab[w] for w in q if w in vocab], dtype=np.int32)
        t = time.perf_counter()
        s = bm.get_scores_from_ids(ids) if len(ids) else np.zeros(len(tokens), np.float32)
        nz = np.flatnonzero(s)
        nz[np.argpartition(-s[nz], min(9, len(nz) - 1))[:10]] if len(nz) else nz
        lat.append(time.perf_counter() - t)
    print(f"[{label}] bm25s     : token ids {t_ids:6.1f}s + index {tb:7.1f}s  +RSS {mem_b:7.0f} MB  "
          f"top-10 query p50 {pct(lat, 50):8.2f} ms  p95 {pct(lat, 95):8.2f} ms  "
          f"({len(tokens):,} docs, {len(queries)} queries)", flush=True)
    del bm, flat, indptr
    gc.collect()
    r0 = rss_mb()
    t = time.perf_counter()
    try:
        okapi = BM25Okapi(tokens)
    except MemoryError:
        print(f"[{label}] rank-bm25 : MemoryError while building (address space capped)", flush=True)
        return
    tb = time.perf_counter() - t
    mem_r = rss_mb() - r0
    lat = []
    for q in queries[:rank_bm25_queries]:
        t = time.perf_counter()
        s = okapi.get_scores(q)
        np.argpartition(-s, min(9, len(s) - 1))[:10]
        lat.append(time.perf_counter() - t)
    print(f"[{label}] rank-bm25 : build {tb:7.1f}s  +RSS {mem_r:7.0f} MB  top-10 query p50 "
          f"{pct(lat, 50):8.2f} ms  p95 {pct(lat, 95):8.2f} ms  ({len(lat)} queries)", flush=True)
    del okapi
    gc.collect()


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def bm25_compare(st: Stages, settings) -> None:
    from embeddings.build import make_tokenizer, records_from_files
    from embeddings.keyword import tokenize_many

    tk = make_tokenizer(settings)
    pat = settings.data_dir / "patents"
    real = list(records_from_files([pat / "ccf_bdci2022_patsnap_fewshot_train.jsonl",
                                    pat / "lxingy3_cn_patents_title_ipc.csv"]))
    texts = [doc_text(r) for r in real]
    t = time.perf_counter()
    real_tokens = tokenize_many(tk, texts, workers=1)
    dt = time.perf_counter() - t
    print(f"\n== BM25 libraries ==\nreal data: {len(real):,} patents (CCF titles+abstracts, "
          f"lxingy3 titles); jieba {dt:.1f}s = {len(real) / dt:,.0f} docs/s (1 process)",
          flush=True)
    queries = [tk.query_tokens(q) for q in st.generator().queries(st.args.queries)]
    _bm25_pair("real", real_tokens, queries, len(queries))
    del real_tokens
    f = st.cache / f"tokens_{st.args.n}_{st.args.seed}.txt"
    if not f.exists():
        st.tokens(tk)
    intern = sys.intern
    with open(f, encoding="utf-8") as fh:  # interned: one str object per distinct token
        gen_tokens = [[intern(w) for w in line.rstrip("\n").split(" ")] if line.strip() else []
                      for line in fh]
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_size() + int(st.args.rank_bm25_mem_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))  # keep the shared machine alive
    try:
        _bm25_pair(f"generated {len(gen_tokens):,}", gen_tokens, queries, 20)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# ----------------------------------------------------------------------------------------------
# full benchmark
# ----------------------------------------------------------------------------------------------
class BenchStore:
    """Stand-in graph for the HTTP measurement: answers the API's record lookups from the
    generated records in memory (so the figure excludes graph lookup time)."""

    dialect = "embedded"

    def __init__(self, records: dict[str, dict]) -> None:
        self.records = records

    def run(self, name: str, /, **params):
        if name == "patents_by_ids":
            out = []
            for pid in params["ids"]:
                r = self.records.get(pid)
                if r is not None:
                    p = {k: v for k, v in r.items() if k in (
                        "id", "title", "abstract", "claim1", "app_date", "app_year", "kind",
                        "status", "ipc_codes", "ipc_subclasses", "hv", "open_licence")}
                    out.append({"patent": p})
            return out
        return []

    write = run

    def count_nodes(self):
        return {"Patent": len(self.records)}

    def close(self) -> None:
        pass


def full_bench(st: Stages, settings, encoder) -> None:
    from embeddings.build import IndexBundle
    from embeddings.hybrid import HybridSearcher
    from embeddings.models import Filters, SearchQuery

    settings = settings.model_copy(update={"index_dir": st.cache / f"index_{st.args.n}"})
    records = st.records()
    ids = [r["id"] for r in records]
    # encoder throughput on a fixed sample (the full encode may come from the cache)
    sample = st.texts()[:20000]
    t = time.perf_counter()
    encoder.encode(sample)
    dt = time.perf_counter() - t
    print(f"encoder throughput: {len(sample) / dt:,.0f} texts/s ({len(sample):,} generated "
          f"texts of ~{np.mean([len(x) for x in sample]):.0f} chars)", flush=True)
    vectors = st.vectors(encoder)
    from embeddings.build import make_tokenizer

    tokenizer = make_tokenizer(settings)
    bundle = IndexBundle.empty(encoder, settings, tokenizer=tokenizer)
    T = st.timings
    r0 = rss_mb()
    t = time.perf_counter()
    bundle.vector.build(ids, np.ascontiguousarray(vectors, dtype=np.float32))
    T["faiss_s"] = time.perf_counter() - t
    print(f"FAISS {bundle.vector.kind} (nlist {bundle.vector.nlist}): {T['faiss_s']:.1f}s "
          f"(RSS {rss_mb():.0f} MB)", flush=True)
    t = time.perf_counter()
    done = 0
    for chunk in st.token_chunks(tokenizer):
        bundle.keyword.add_tokens(ids[done:done + len(chunk)], chunk, rebuild=False)
        done += len(chunk)
    assert done == len(ids), (done, len(ids))
    gc.collect()
    T["bm25_vocab_s"] = time.perf_counter() - t
    t = time.perf_counter()
    bundle.keyword.rebuild(show_progress=st.args.progress)
    T["bm25_s"] = time.perf_counter() - t
    print(f"BM25 (bm25s): token ids {T['bm25_vocab_s']:.1f}s + index {T['bm25_s']:.1f}s, "
          f"vocabulary {len(bundle.keyword.vocab):,} (RSS {rss_mb():.0f} MB)", flush=True)
    t = time.perf_counter()
    for s in range(0, len(records), 20000):
        bundle.catalog.upsert([_catalog(r) for r in records[s:s + 20000]])
    bundle.catalog.consolidate()
    T["catalog_s"] = time.perf_counter() - t
    print(f"catalog: {T['catalog_s']:.1f}s (RSS {rss_mb():.0f} MB)", flush=True)
    t = time.perf_counter()
    path = bundle.save(settings.index_path)
    T["save_s"] = time.perf_counter() - t
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    print(f"save: {T['save_s']:.1f}s, {size:,.0f} MB on disk", flush=True)
    del bundle
    gc.collect()
    t = time.perf_counter()
    bundle = IndexBundle.load(settings, encoder)
    T["load_s"] = time.perf_counter() - t
    print(f"load: {T['load_s']:.1f}s; RSS now {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB "
          f"(RSS before index build {r0:.0f} MB incl. {len(records):,} records in memory)",
          flush=True)
    searcher = HybridSearcher.from_bundle(bundle, encoder)
    bundle.keyword.tokenizer.query_tokens("预热")  # jieba init outside the timings

    # -- ANN recall vs exact --------------------------------------------------------------------
    queries = st.generator().queries(st.args.queries)
    Q = encoder.encode_queries(queries)
    X = vectors
    t = time.perf_counter()
    truth = exact_topk(X, Q, 10)
    exact_ms = (time.perf_counter() - t) / len(Q) * 1000
    I, lat = time_queries(lambda q: bundle.vector.search_ints(q, 10)[1], Q)
    print(f"\nANN {bundle.vector.kind} nprobe {bundle.vector.nprobe}: recall@10 "
          f"{recall(I, truth):.3f} vs exact; p50 {pct(lat, 50):.2f} ms p95 {pct(lat, 95):.2f} ms "
          f"(numpy exact: {exact_ms:.0f} ms/query batched)", flush=True)

    # -- filtered vector search: IDSelector vs post-filter over-fetch ---------------------------
    rng = np.random.default_rng(9)
    n = len(ids)
    for frac in (0.5, 0.1, 0.01, 0.001):
        allowed = rng.random(n) < frac
        tf = exact_topk(X, Q[:50], 10, allowed)
        I1, l1 = time_queries(lambda q: bundle.vector.search_ints(q, 10, allowed)[1], Q[:50])
        fetch = int(min(n, max(100, 10 / frac * 3)))

        def post(q):
            _, ii = bundle.vector.search_ints(q, min(fetch, 10_000))
            keep = [i for i in ii[0] if i >= 0 and allowed[i]][:10]
            return np.array([keep + [-1] * (10 - len(keep))])

        I2, l2 = time_queries(post, Q[:50])
        print(f"filter {frac:>6}: IDSelector recall {recall(I1, tf):.3f} p50 {pct(l1, 50):6.2f} "
              f"p95 {pct(l1, 95):6.2f} ms | post-filter (fetch {min(fetch, 10_000)}) recall "
              f"{recall(I2, tf):.3f} p50 {pct(l2, 50):6.2f} p95 {pct(l2, 95):6.2f} ms", flush=True)

    # -- catalog -------------------------------------------------------------------------------
    specs = {
        "none": Filters(),
        "year>=2015": Filters(app_year_from=2015),
        "ipc H01M": Filters(ipc=("H01M",)),
        "region 500000 + invention": Filters(region=("500000",), kind=("invention",)),
        "ipc H01M4 + status valid + hv": Filters(ipc=("H01M4",), status=("valid",), high_value=True),
        "sei 1 + chain + date range": Filters(
            sei=("1",), chain=tuple(bundle.catalog.multi["chain"].vocab.values[:1]),
            app_date_from=date(2015, 1, 1), app_date_to=date(2020, 12, 31)),
    }
    for name, f in specs.items():
        lat = []
        for _ in range(20):
            t = time.perf_counter()
            m = bundle.catalog.mask(f)
            lat.append(time.perf_counter() - t)
        print(f"catalog mask [{name}]: {int(m.sum()):,} rows, p50 {pct(lat, 50):.2f} ms "
              f"p95 {pct(lat, 95):.2f} ms", flush=True)
    facet_names = ("app_year", "kind", "ipc_subclass", "holder_kind", "province")
    for name in ("none", "region 500000 + invention", "ipc H01M4 + status valid + hv"):
        m = bundle.catalog.mask(specs[name])
        lat = []
        for _ in range(10):
            t = time.perf_counter()
            bundle.catalog.facets(m, facet_names, 10)
            lat.append(time.perf_counter() - t)
        print(f"facets x{len(facet_names)} over [{name}] ({int(m.sum()):,} rows): "
              f"p50 {pct(lat, 50):.2f} ms p95 {pct(lat, 95):.2f} ms", flush=True)

    # -- library search latency ---------------------------------------------------------------
    variants = {
        "hybrid": dict(),
        "keyword": dict(mode="keyword"),
        "semantic": dict(mode="semantic"),
        "hybrid+filters+5 facets": dict(filters=Filters(region=("500000",), kind=("invention",)),
                                         facets=facet_names),
    }
    for name, kw in variants.items():
        lat = []
        for q in queries:
            t = time.perf_counter()
            searcher.search(SearchQuery(text=q, k=10, **kw))
            lat.append(time.perf_counter() - t)
        print(f"library search [{name}]: p50 {pct(lat, 50):.1f} ms p95 {pct(lat, 95):.1f} ms "
              f"({len(queries)} queries)", flush=True)

    # -- through the HTTP API ----------------------------------------------------------------------
    http_bench(settings, encoder, bundle, searcher, records, queries, facet_names)
    print(f"\ntimings: {json.dumps({k: round(v, 1) for k, v in T.items()})}")
    print(f"final RSS {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")


def _catalog(r: dict) -> dict:
    from embeddings.build import catalog_record

    return catalog_record({**r, "org_regions": r["region_codes"]})


def http_bench(settings, encoder, bundle, searcher, records, queries, facet_names) -> None:
    import socket

    try:
        import httpx
        import uvicorn

        from search_api.app import create_app
        from search_api.context import AppContext
    except ImportError as exc:
        print(f"HTTP API not available ({exc}); library figures above stand in", flush=True)
        return
    ctx = AppContext(settings=settings, store=BenchStore({r["id"]: r for r in records}),
                     encoder=encoder, bundle=bundle, searcher=searcher)
    app = create_app(settings, context=ctx)
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/v1/search"
    try:
        with httpx.Client(timeout=30) as client:
            for q in queries[:5]:
                client.get(base, params={"q": q, "limit": 10}).raise_for_status()
            for name, extra in (("hybrid", {}),
                                ("hybrid+filters+facets", {"region": "500000", "kind": "invention",
                                                           "facets": ",".join(facet_names)})):
                lat = []
                for q in queries:
                    t = time.perf_counter()
                    resp = client.get(base, params={"q": q, "limit": 10, **extra})
                    lat.append(time.perf_counter() - t)
                    resp.raise_for_status()
                print(f"HTTP GET /v1/search [{name}] single client: p50 {pct(lat, 50):.1f} ms "
                      f"p95 {pct(lat, 95):.1f} ms ({len(queries)} queries; graph lookups "
                      "answered from memory)", flush=True)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="generated patents")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2, help="jieba worker processes")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-cache", action="store_true", help="recompute vectors and tokens")
    ap.add_argument("--progress", action="store_true", help="show progress bars")
    ap.add_argument("--ann-study", action="store_true", help="compare IVF/HNSW on the vectors")
    ap.add_argument("--bm25-compare", action="store_true", help="bm25s vs rank-bm25")
    ap.add_argument("--ann-kinds", nargs="+", default=["IVFFlat", "IVFSQ8", "HNSW"],
                    help="index kinds compared by --ann-study")
    ap.add_argument("--stage", choices=("vectors", "tokens"), help="only prepare this cache")
    ap.add_argument("--rank-bm25-mem-gb", type=float, default=10.0,
                    help="address-space cap while rank-bm25 builds at full size")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from embeddings.encoder import create_encoder
    from patentnav.settings import Settings

    settings = Settings()
    st = Stages(args, settings)
    if args.bm25_compare:
        print(f"machine: {os.cpu_count()} CPUs; n = {args.n:,} generated patents "
              f"(source {SOURCE})", flush=True)
        bm25_compare(st, settings)
        return
    encoder = create_encoder(settings)
    print(f"machine: {os.cpu_count()} CPUs; encoder {encoder.name} dim {encoder.dim}; "
          f"n = {args.n:,} generated patents (source {SOURCE})", flush=True)
    if args.stage == "vectors":
        st.vectors(encoder)
        return
    if args.stage == "tokens":
        from embeddings.build import make_tokenizer

        st.tokens(make_tokenizer(settings))
        return
    if args.ann_study:
        ann_study(st, encoder)
        return
    full_bench(st, settings, encoder)


if __name__ == "__main__":
    main()
