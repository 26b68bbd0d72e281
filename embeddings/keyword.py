"""BM25 keyword index over jieba tokens (bm25s), with incremental add/delete.

Tokenisation
------------
:class:`ChineseTokenizer` wraps a *private* ``jieba.Tokenizer`` (never jieba's global
state), initialised on first use, with a user dictionary of domain terms (chunks of the
Chinese IPC subclass titles of the Chongqing pre-examination list and industry-chain
keywords, see :func:`domain_terms`) and a small stop-word list. Documents are cut in
search-engine mode (``cut_for_search``: a long word *and* its dictionary sub-words), and so
are queries -- a document mentioning the compound scores on the compound and its parts, one
mentioning only a part still matches; a query word the index has never seen is replaced by
its search-mode sub-words.

Why bm25s: benchmarked against rank-bm25 on the same jieba tokens
(``python benchmarks/bench_search.py --bm25-compare``, shared 2-core machine). Real
patents (10,698: CCF titles+abstracts, lxingy3 titles): both build in <0.1 s; top-10 query
p50 0.05 ms (bm25s) vs 5.6 ms (rank-bm25). 1M generated patents: bm25s 6 s token ids +
33 s index, +548 MB RSS, query p50 3.4 ms / p95 15 ms; rank-bm25 10 s build, +1.0 GB,
query p50 1.1 s / p95 2.3 s (it keeps one Python dict per document and scans all of them
per query term; bm25s sums a few precomputed posting lists of a CSC matrix, and its
index loads memory-mapped).

Incremental updates
-------------------
bm25s cannot add or remove documents from a built index, so this class keeps:

* a **snapshot**: a bm25s index over int ids ``0 .. n_snap-1`` (row = int id, dead rows
  are empty documents) and the token ids of every snapshot row (``tokens_*.npy``);
* a **delta**: documents added or replaced since the snapshot, scored at query time with
  the same Lucene BM25 formula and the snapshot's statistics (N, document frequencies,
  average length) so their scores are comparable;
* a **stale** mask: snapshot rows deleted or replaced since the snapshot (their
  snapshot scores are dropped).

:meth:`KeywordIndex.rebuild` folds the delta into a new snapshot from the stored token ids
(no re-tokenisation). It runs automatically when the delta or stale rows exceed
``rebuild_fraction`` of the snapshot (at least ``rebuild_min`` documents), and on
:meth:`save` when the snapshot is small (≤ ``cheap_rebuild_max`` rows) -- at 1M documents a
small delta is persisted as it is instead.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from embeddings.ids import IdMap
from patentnav.errors import IndexError_, IndexNotBuilt

log = logging.getLogger(__name__)

FORMAT_VERSION = 1

#: Function words and patent boilerplate that carry no topic (documents and queries).
STOPWORDS: frozenset[str] = frozenset(
    ["的", "了", "和", "与", "及", "或", "以及", "并", "并且", "且", "而", "但", "等", "等等", "其", "其中", "该", "此", "这", "这种", "这些", "那", "之", "于", "为", "是", "在", "对", "将", "把", "被", "由", "从", "到", "向", "以", "使", "使得", "可", "可以", "能", "能够", "也", "都", "又", "还", "就", "即", "则", "若", "如", "如果", "当", "时", "后", "前", "上", "下", "中", "内", "外", "间", "个", "种", "一", "一个", "一种", "一些", "多个", "至少", "若干", "每个", "所", "所述", "所示", "其特征", "特征", "特征在于", "其特征在于", "包括", "包含", "包括有", "具有", "设有", "设置", "设置有", "用于", "用来", "通过", "采用", "利用", "根据", "基于", "涉及", "提供", "公开", "本", "本发明", "本实用新型", "本申请", "本公开", "实用新型", "发明", "实施例", "技术领域", "技术", "方案", "有效", "进而", "从而", "以便", "同时", "分别", "相应", "对应", "相对", "之间", "位于", "一端", "另一端", "一侧", "另一侧", "第一", "第二", "第三", "步骤", "S1", "S2", "S3"]
)

_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_SPLIT_TITLE = re.compile(r"[；;，,、。（）()\[\]【】“”\"'：:\s/]+")
_TITLE_FILLERS = re.compile(
    r"不包含在其他类目中的|不包括在其他类目中的|其他类目不包含的|专门适用于|专门用于|适用于|"
    r"用于|或其|及其|以及|的|或|和|与|及|其他|其"
)


def domain_terms(ipc_titles: Iterable[str] = (), keywords: Iterable[str] = ()) -> list[str]:
    """Dictionary words from Chinese IPC titles (split at punctuation and function words,
    chunks of 2-12 characters kept) plus keywords as they are (2-20 characters)."""
    terms: dict[str, None] = {}
    for title in ipc_titles:
        for part in _SPLIT_TITLE.split(title or ""):
            for chunk in _TITLE_FILLERS.split(part):
                chunk = chunk.strip()
                if 2 <= len(chunk) <= 12 and not chunk.isascii():
                    terms[chunk] = None
    for kw in keywords:
        kw = (kw or "").strip()
        if 2 <= len(kw) <= 20:
            terms[kw] = None
    return list(terms)


class ChineseTokenizer:
    """jieba tokens for BM25: private jieba instance, user words, stop words, lower-case."""

    def __init__(self, user_words: Iterable[str] = (), stopwords: Iterable[str] = STOPWORDS):
        self.user_words: tuple[str, ...] = tuple(dict.fromkeys(w for w in user_words if w))
        self.stopwords = frozenset(stopwords)
        self._jieba = None
        self._lock = threading.Lock()

    def _tk(self):
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import jieba

                    # jieba sets its own logger to DEBUG on import; keep it quiet.
                    jieba.setLogLevel(logging.WARNING)
                    tk = jieba.Tokenizer()
                    tk.initialize()
                    for w in self.user_words:
                        tk.add_word(w)
                    self._jieba = tk
        return self._jieba

    def _keep(self, tok: str) -> str | None:
        tok = tok.strip().lower()
        if not tok or tok in self.stopwords or _PUNCT.match(tok) or " " in tok:
            return None
        return tok

    def document_tokens(self, text: str) -> list[str]:
        """Search-mode tokens of a document (long words and their sub-words)."""
        keep = self._keep
        return [t for t in (keep(x) for x in self._tk().cut_for_search(text or "")) if t]

    def query_tokens(self, text: str) -> list[str]:
        """Search-mode tokens of a query (each word and its dictionary sub-words, so
        "正极材料" also matches documents that only say "正极"), de-duplicated, in order."""
        keep = self._keep
        out = [t for t in (keep(x) for x in self._tk().cut_for_search(text or "")) if t]
        return list(dict.fromkeys(out))

    def sub_tokens(self, word: str) -> list[str]:
        """Search-mode pieces of one word (used for query words unknown to the index)."""
        keep = self._keep
        out = [t for t in (keep(x) for x in self._tk().cut_for_search(word)) if t and t != word]
        return list(dict.fromkeys(out))

    # persistence of the user words with the index: queries must be cut like the documents
    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.user_words), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ChineseTokenizer:
        words = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return cls(words)


class _RowLists:
    """The token-id lists of a CSR table, produced one row at a time (bm25s iterates its
    corpus twice; materialising 1M Python lists at once would take gigabytes)."""

    def __init__(self, indptr: np.ndarray, tokens: np.ndarray) -> None:
        self.indptr, self.tokens = indptr, tokens

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __iter__(self):
        indptr, tokens = self.indptr, self.tokens
        for r in range(len(indptr) - 1):
            yield tokens[indptr[r]:indptr[r + 1]].tolist()


_WORKER_TOKENIZER: ChineseTokenizer | None = None


def _worker_init(user_words: tuple[str, ...], stopwords: frozenset[str]) -> None:
    global _WORKER_TOKENIZER
    _WORKER_TOKENIZER = ChineseTokenizer(user_words, stopwords)


def _worker_cut(texts: list[str]) -> list[str]:
    tk = _WORKER_TOKENIZER
    assert tk is not None
    # one space-joined string per document: far cheaper to send back than lists
    return [" ".join(tk.document_tokens(t)) for t in texts]


class TokenizerPool:
    """Document tokenisation in ``workers`` processes (jieba is pure Python and holds the
    GIL; a 1M-document build is dominated by it). ``workers <= 1`` cuts in-process.
    Use as a context manager; :meth:`cut` may be called many times."""

    def __init__(self, tokenizer: ChineseTokenizer, workers: int = 1, chunk: int = 1000) -> None:
        self.tokenizer = tokenizer
        self.workers = max(1, int(workers))
        self.chunk = chunk
        self._pool = None

    def __enter__(self) -> TokenizerPool:
        if self.workers > 1:
            import multiprocessing as mp

            methods = mp.get_all_start_methods()
            ctx = mp.get_context("fork" if "fork" in methods else methods[0])
            self._pool = ctx.Pool(self.workers, initializer=_worker_init,
                                  initargs=(self.tokenizer.user_words, self.tokenizer.stopwords))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def cut(self, texts: Sequence[str], *, show_progress: bool = False) -> list[list[str]]:
        if self._pool is None or len(texts) < 2 * self.chunk:
            it: Iterable[str] = texts
            if show_progress:
                from tqdm.auto import tqdm

                it = tqdm(texts, desc="jieba", unit="doc")
            return [self.tokenizer.document_tokens(t) for t in it]
        chunks = [list(texts[i:i + self.chunk]) for i in range(0, len(texts), self.chunk)]
        results = self._pool.imap(_worker_cut, chunks)
        if show_progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(chunks), desc="jieba", unit="chunk")
        out: list[list[str]] = []
        for joined in results:
            out.extend(s.split(" ") if s else [] for s in joined)
        return out


def tokenize_many(tokenizer: ChineseTokenizer, texts: Sequence[str], *, workers: int = 1,
                  show_progress: bool = False) -> list[list[str]]:
    """Document tokens of many texts, cut in ``workers`` processes."""
    with TokenizerPool(tokenizer, workers) as pool:
        return pool.cut(texts, show_progress=show_progress)


@dataclass
class KeywordHits:
    """Top keyword matches among the allowed patents."""

    ids: np.ndarray  # int64 int ids, best first
    scores: np.ndarray  # float32 BM25 scores
    total: int  # allowed patents with at least one query term
    term_ids: np.ndarray  # vocabulary ids of the query terms used
    terms: tuple[str, ...]  # those terms, in query order
    matched_mask: np.ndarray | None = None  # bool per int id: has a query term (allowed only)


class KeywordIndex:
    """BM25 (Lucene variant, bm25s) over jieba tokens, rows aligned with :class:`IdMap` ids."""

    def __init__(
        self,
        tokenizer: ChineseTokenizer,
        ids: IdMap | None = None,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        rebuild_fraction: float = 0.05,
        rebuild_min: int = 2000,
        cheap_rebuild_max: int = 200_000,
    ) -> None:
        self.tokenizer = tokenizer
        self.ids = ids if ids is not None else IdMap()
        self.k1, self.b = float(k1), float(b)
        self.rebuild_fraction = rebuild_fraction
        self.rebuild_min = rebuild_min
        self.cheap_rebuild_max = cheap_rebuild_max
        self.vocab: dict[str, int] = {}
        self._bm25 = None  # bm25s.BM25 over the snapshot
        # snapshot: bm25s document j is int id _snap_rows[j]; its tokens are
        # _snap_tokens[_snap_indptr[j]:_snap_indptr[j+1]]
        self._snap_rows = np.zeros(0, dtype=np.int64)
        self._snap_pos = np.zeros(0, dtype=np.int64)  # per int id: snapshot position or -1
        self._snap_indptr = np.zeros(1, dtype=np.int64)
        self._snap_tokens = np.zeros(0, dtype=np.int32)
        self._df = np.zeros(0, dtype=np.int64)  # snapshot document frequency per token
        self._avgdl = 1.0
        self._stale = np.zeros(0, dtype=bool)  # per snapshot position
        self._live = np.zeros(0, dtype=bool)  # per int id: has a current document
        self._delta: dict[int, np.ndarray] = {}
        self._delta_cache: tuple | None = None
        self.created = time.time()

    # -- size ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._live.sum())

    @property
    def n_snapshot(self) -> int:
        return len(self._snap_rows)

    @property
    def delta_size(self) -> int:
        return len(self._delta)

    @property
    def stale_count(self) -> int:
        return int(self._stale.sum())

    # -- writes ---------------------------------------------------------------------------
    def _token_ids(self, tokens: list[str]) -> np.ndarray:
        vocab = self.vocab
        setdefault = vocab.setdefault
        # len(vocab) is evaluated before the insertion: a new token gets the next id
        return np.array([setdefault(t, len(vocab)) for t in tokens], dtype=np.int32)

    def tokenize(self, texts: Sequence[str], *, workers: int = 1,
                 show_progress: bool = False) -> list[list[str]]:
        return tokenize_many(self.tokenizer, texts, workers=workers, show_progress=show_progress)

    def add(self, ids: Sequence[str], texts: Sequence[str], *, workers: int = 1,
            show_progress: bool = False) -> None:
        """Add or replace documents (the same id again replaces its text)."""
        self.add_tokens(ids, self.tokenize(texts, workers=workers, show_progress=show_progress),
                        show_progress=show_progress)

    def add_tokens(self, ids: Sequence[str], tokens: Sequence[list[str]], *,
                   rebuild: bool | None = None, show_progress: bool = False) -> None:
        """Add or replace documents already cut by :meth:`ChineseTokenizer.document_tokens`.

        ``rebuild``: None = fold into a new snapshot when the delta passes the threshold;
        False = keep in the delta (bulk loads: call :meth:`rebuild` at the end); True = now.
        """
        if len(ids) != len(tokens):
            raise IndexError_(f"{len(ids)} ids but {len(tokens)} documents")
        if not len(ids):
            return
        ints = self.ids.assign(list(ids))
        self._grow(len(self.ids))
        for n, toks in zip(ints, tokens):
            n = int(n)
            self._delta[n] = self._token_ids(toks)
            self._live[n] = True
            p = self._snap_pos[n]
            if p >= 0:
                self._stale[p] = True
        self._delta_cache = None
        if rebuild:
            self.rebuild(show_progress=show_progress)
        elif rebuild is None:
            self._maybe_rebuild()

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents; returns how many were present."""
        ints = self.ids.lookup(list(ids))
        removed = 0
        for n in ints:
            n = int(n)
            if n < 0 or n >= len(self._live) or not self._live[n]:
                continue
            removed += 1
            self._live[n] = False
            self._delta.pop(n, None)
            p = self._snap_pos[n]
            if p >= 0:
                self._stale[p] = True
        self._delta_cache = None
        self._maybe_rebuild()
        return removed

    def _grow(self, n: int) -> None:
        if len(self._live) < n:
            cap = max(n, int(len(self._live) * 1.25))
            live = np.zeros(cap, dtype=bool)
            live[: len(self._live)] = self._live
            self._live = live
            pos = np.full(cap, -1, dtype=np.int64)
            pos[: len(self._snap_pos)] = self._snap_pos
            self._snap_pos = pos

    def _maybe_rebuild(self) -> None:
        pending = len(self._delta) + int(self._stale.sum())
        n_snap = self.n_snapshot
        if pending and (n_snap == 0 or
                        pending >= max(self.rebuild_min, self.rebuild_fraction * n_snap)):
            self.rebuild()

    # -- snapshot ------------------------------------------------------------------------
    def rebuild(self, *, show_progress: bool = False) -> None:
        """Fold the delta and deletions into a new bm25s snapshot (no re-tokenisation)."""
        self._grow(len(self.ids))
        rows = np.flatnonzero(self._live).astype(np.int64)
        lengths = np.zeros(len(rows), dtype=np.int64)
        src_pos = self._snap_pos[rows]
        for j, r in enumerate(rows):
            d = self._delta.get(int(r))
            if d is not None:
                lengths[j] = len(d)
            elif src_pos[j] >= 0:
                p = src_pos[j]
                lengths[j] = self._snap_indptr[p + 1] - self._snap_indptr[p]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        tokens = np.empty(int(indptr[-1]), dtype=np.int32)
        old_ptr, old_tok = self._snap_indptr, self._snap_tokens
        for j, r in enumerate(rows):
            d = self._delta.get(int(r))
            if d is None:
                p = src_pos[j]
                if p < 0:
                    continue
                d = old_tok[old_ptr[p]:old_ptr[p + 1]]
            tokens[indptr[j]:indptr[j + 1]] = d
        self._set_snapshot(rows, indptr, tokens, show_progress=show_progress)

    def _set_snapshot(self, rows: np.ndarray, indptr: np.ndarray, tokens: np.ndarray, *,
                      show_progress: bool = False) -> None:
        import bm25s

        t0 = time.perf_counter()
        n = len(rows)
        if n == 0 or not len(self.vocab):
            self._bm25 = None
            self._df = np.zeros(len(self.vocab), dtype=np.int64)
        else:
            bm = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
            bm.index(SimpleNamespace(ids=_RowLists(indptr, tokens), vocab=self.vocab),
                     create_empty_token=False, show_progress=show_progress)
            self._bm25 = bm
            self._df = np.diff(np.asarray(bm.scores["indptr"])).astype(np.int64)
        self._snap_rows = rows
        self._snap_pos = np.full(len(self._live), -1, dtype=np.int64)
        self._snap_pos[rows] = np.arange(n)
        self._snap_indptr, self._snap_tokens = indptr, tokens
        self._stale = np.zeros(n, dtype=bool)
        self._delta = {}
        self._delta_cache = None
        self._avgdl = float(np.diff(indptr).mean()) if n else 1.0
        log.debug("bm25 snapshot over %d documents built in %.1fs", n, time.perf_counter() - t0)

    # -- reads -----------------------------------------------------------------------------
    def query_term_ids(self, text: str) -> tuple[tuple[str, ...], np.ndarray]:
        """The query's terms known to the index (unknown words replaced by their sub-words)."""
        terms: list[str] = []
        for tok in self.tokenizer.query_tokens(text):
            if tok in self.vocab:
                terms.append(tok)
            else:
                terms.extend(t for t in self.tokenizer.sub_tokens(tok) if t in self.vocab)
        terms = list(dict.fromkeys(terms))
        return tuple(terms), np.array([self.vocab[t] for t in terms], dtype=np.int32)

    def scores(self, term_ids: np.ndarray) -> np.ndarray:
        """BM25 score of every int id (0 for documents without a query term or not live)."""
        n = len(self.ids)
        out = np.zeros(n, dtype=np.float32)
        if not len(term_ids):
            return out
        if self._bm25 is not None:
            in_snap = term_ids[term_ids < len(self._df)]
            if len(in_snap):
                s = self._bm25.get_scores_from_ids(in_snap)
                if self._stale.any():
                    s[self._stale] = 0.0
                rows = self._snap_rows
                if len(rows) and rows[-1] == len(rows) - 1:  # dense: row j is int id j
                    out[: len(s)] = s
                else:
                    out[rows] = s
        if self._delta:
            rows, sc = self._delta_scores(term_ids)
            out[rows] = sc
        return out

    def _delta_scores(self, term_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lucene BM25 of the delta documents with the snapshot's N, df and avgdl."""
        if self._delta_cache is None:
            rows = np.fromiter(self._delta.keys(), dtype=np.int64, count=len(self._delta))
            lens = np.fromiter((len(v) for v in self._delta.values()), dtype=np.int64,
                               count=len(self._delta))
            toks = (np.concatenate(list(self._delta.values())) if lens.sum()
                    else np.zeros(0, dtype=np.int32))
            owner = np.repeat(np.arange(len(rows)), lens)
            self._delta_cache = (rows, lens, toks, owner)
        rows, lens, toks, owner = self._delta_cache
        scores = np.zeros(len(rows), dtype=np.float64)
        N = max(self.n_snapshot, 1)
        avgdl = self._avgdl if self._avgdl > 0 else 1.0
        norm = self.k1 * (1 - self.b + self.b * lens / avgdl)
        for t in term_ids:
            t = int(t)
            df = int(self._df[t]) if t < len(self._df) else 0
            idf = math.log(1 + (N - df + 0.5) / (df + 0.5))
            tf = np.bincount(owner[toks == t], minlength=len(rows)).astype(np.float64)
            scores += idf * tf / (tf + norm)
        return rows, scores.astype(np.float32)

    def search(self, text: str, k: int, allowed: np.ndarray | None = None, *,
               with_mask: bool = False) -> KeywordHits:
        """Top ``k`` documents for ``text`` among ``allowed`` (bool mask over int ids)."""
        terms, term_ids = self.query_term_ids(text)
        return self.search_terms(terms, term_ids, k, allowed, with_mask=with_mask)

    def search_terms(self, terms: tuple[str, ...], term_ids: np.ndarray, k: int,
                     allowed: np.ndarray | None = None, *, with_mask: bool = False) -> KeywordHits:
        scores = self.scores(term_ids)
        n = len(scores)
        if allowed is not None:
            if len(allowed) == n:
                np.multiply(scores, allowed, out=scores)
            else:
                a = min(len(allowed), n)
                scores[a:] = 0.0
                np.multiply(scores[:a], allowed[:a], out=scores[:a])
        total = int(np.count_nonzero(scores))
        k = min(k, total)
        if k <= 0:
            top = np.zeros(0, dtype=np.int64)
        else:
            # never select near a run of tied zeros: argpartition(scores, n - k) over a
            # mostly-zero 1M array took 180 ms; the top of -scores or the matches alone ~5 ms
            if k == total or total * 4 <= n:
                nz = np.flatnonzero(scores)
                cand = nz[np.argpartition(-scores[nz], k - 1)[:k]] if k < total else nz
            else:
                cand = np.argpartition(-scores, k - 1)[:k]
            top = cand[np.lexsort((cand, -scores[cand]))].astype(np.int64)
        matched = (scores > 0) if with_mask else None
        return KeywordHits(top, scores[top], total, term_ids, terms, matched)

    def token_names(self) -> list[str]:
        """Token of every token id (the inverse of ``vocab``; cached while it does not grow)."""
        cached = getattr(self, "_names", None)
        if cached is None or len(cached) != len(self.vocab):
            cached = [""] * len(self.vocab)
            for tok, i in self.vocab.items():
                cached[i] = tok
            self._names = cached
        return cached

    def doc_token_ids(self, n: int) -> np.ndarray:
        """Current token ids of int id ``n`` (empty if it has no document)."""
        d = self._delta.get(n)
        if d is not None:
            return d
        if 0 <= n < len(self._snap_pos):
            p = self._snap_pos[n]
            if p >= 0 and not self._stale[p]:
                return np.asarray(self._snap_tokens[self._snap_indptr[p]:self._snap_indptr[p + 1]])
        return np.zeros(0, dtype=np.int32)

    def matched_terms(self, terms: Sequence[str], term_ids: np.ndarray,
                      ints: Iterable[int]) -> list[tuple[str, ...]]:
        """For each int id, the query terms its document contains (in query order)."""
        out = []
        for n in ints:
            present = set(np.intersect1d(self.doc_token_ids(int(n)), term_ids).tolist())
            out.append(tuple(t for t, i in zip(terms, term_ids) if int(i) in present))
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path, *, show_progress: bool = False) -> None:
        """Write to ``path`` (a folder). Small snapshots are rebuilt first (delta folded in)."""
        if (self._delta or self._stale.any()) and self.n_snapshot <= self.cheap_rebuild_max:
            self.rebuild(show_progress=show_progress)
        path.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(path / "bm25"), show_progress=False)
        rows = np.array(sorted(self._delta), dtype=np.int64)
        dlen = np.array([len(self._delta[int(r)]) for r in rows], dtype=np.int64)
        dptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(dlen, out=dptr[1:])
        dtok = (np.concatenate([self._delta[int(r)] for r in rows]) if len(rows)
                else np.zeros(0, dtype=np.int32))
        arrays = {
            "snap_rows": self._snap_rows, "snap_indptr": self._snap_indptr,
            "snap_tokens": self._snap_tokens, "stale": self._stale,
            "live": self._live[: len(self.ids)],
            "delta_rows": rows, "delta_indptr": dptr, "delta_tokens": dtok,
        }
        for name, arr in arrays.items():
            np.save(path / f"{name}.npy", arr)
        vocab = [""] * len(self.vocab)
        for t, i in self.vocab.items():
            vocab[i] = t
        (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        self.tokenizer.save(path / "userdict.txt")
        meta = {
            "format_version": FORMAT_VERSION, "library": "bm25s", "method": "lucene",
            "k1": self.k1, "b": self.b, "n_snapshot": self.n_snapshot, "count": len(self),
            "delta": len(self._delta), "stale": int(self._stale.sum()),
            "vocab": len(self.vocab), "avgdl": self._avgdl, "has_bm25": self._bm25 is not None,
            "user_words": len(self.tokenizer.user_words),
            "created": self.created, "saved": time.time(),
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, ids: IdMap, *, mmap: bool = True, **kwargs: Any) -> KeywordIndex:
        """Open a saved index (large arrays memory-mapped) over the shared id map."""
        meta_file = path / "meta.json"
        if not meta_file.exists():
            raise IndexNotBuilt(f"no keyword index at {path}")
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"keyword index at {path} has format {meta.get('format_version')}, "
                              f"expected {FORMAT_VERSION}; rebuild it")
        self = cls(ChineseTokenizer.load(path / "userdict.txt"), ids, k1=meta["k1"], b=meta["b"],
                   **kwargs)
        self.created = meta.get("created", self.created)
        mode = "r" if mmap else None

        def load(name: str) -> np.ndarray:
            return np.load(path / f"{name}.npy", mmap_mode=mode)

        self._live = np.array(load("live"))
        self._snap_pos = np.full(len(self._live), -1, dtype=np.int64)
        self._snap_rows = np.array(load("snap_rows"))
        self._snap_pos[self._snap_rows] = np.arange(len(self._snap_rows))
        self._snap_indptr = np.array(load("snap_indptr"))
        self._snap_tokens = load("snap_tokens")
        self._stale = np.array(load("stale"))
        vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        self.vocab = {t: i for i, t in enumerate(vocab)}
        rows, dptr, dtok = load("delta_rows"), load("delta_indptr"), load("delta_tokens")
        self._delta = {int(r): np.array(dtok[dptr[i]:dptr[i + 1]]) for i, r in enumerate(rows)}
        self._avgdl = float(meta["avgdl"])
        if meta.get("has_bm25"):
            import bm25s

            self._bm25 = bm25s.BM25.load(str(path / "bm25"), mmap=mmap, load_vocab=False,
                                         show_progress=False)
            self._df = np.diff(np.asarray(self._bm25.scores["indptr"])).astype(np.int64)
        self._grow(len(ids))
        return self
