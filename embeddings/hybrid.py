"""Hybrid (BM25 + vector) patent search with filters, facets and explanations.

:class:`HybridSearcher` combines the three components of an
:class:`~embeddings.build.IndexBundle`:

1. the :class:`~embeddings.catalog.Catalog` turns the query's :class:`Filters` into a
   boolean mask over int ids;
2. the :class:`~embeddings.keyword.KeywordIndex` ranks the allowed patents containing a
   query term by BM25 (top ``candidates``), and the
   :class:`~embeddings.index.VectorIndex` ranks the allowed patents by cosine to the
   query vector (top ``candidates``, filtered inside FAISS);
3. the two rankings are fused by weighted reciprocal-rank fusion
   (:func:`rrf_fuse`), paged, and the page's hits get the query terms they contain.

Request/result types and their exact semantics live in :mod:`embeddings.models`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.catalog import Catalog
from embeddings.ids import ReadWriteLock
from embeddings.index import VectorIndex
from embeddings.keyword import KeywordHits, KeywordIndex
from embeddings.models import Filters, Hit, SearchQuery, SearchResult
from patentnav.errors import EncoderMismatch, InvalidInput, NotFound

if TYPE_CHECKING:  # pragma: no cover
    from embeddings.build import IndexBundle

log = logging.getLogger(__name__)

__all__ = ["Filters", "Hit", "HybridSearcher", "SearchQuery", "SearchResult", "rrf_fuse"]


def rrf_fuse(
    rankings: Sequence[Sequence[int]],
    weights: Sequence[float] | None = None,
    k: int = 60,
) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion.

    ``rankings`` are lists of item ids, best first. Each item scores
    ``sum_i weights[i] / (k + rank_i)`` over the rankings it appears in (rank 1-based).
    Returns (item, score) best first; ties go to the item with the better best rank,
    then to the smaller id (deterministic).
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise InvalidInput("one weight per ranking")
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for ranking, w in zip(rankings, weights):
        for r, item in enumerate(ranking, start=1):
            item = int(item)
            scores[item] = scores.get(item, 0.0) + w / (k + r)
            if r < best.get(item, 1 << 62):
                best[item] = r
    return sorted(scores.items(), key=lambda t: (-t[1], best[t[0]], t[0]))


class HybridSearcher:
    """Searches an index bundle. Searches run concurrently (``lock.read()``); updates of the
    components must hold ``lock.write()`` -- :class:`~embeddings.build.IndexBundle` methods
    do, and :meth:`from_bundle` shares the bundle's lock."""

    def __init__(
        self,
        encoder: Any,
        vector_index: VectorIndex,
        keyword_index: KeywordIndex,
        catalog: Catalog,
        *,
        lock: ReadWriteLock | None = None,
    ) -> None:
        if (encoder.fingerprint != vector_index.encoder_fingerprint
                or int(encoder.dim) != vector_index.dim):
            raise EncoderMismatch(
                f"the vector index was built with encoder {vector_index.encoder_name!r} "
                f"(fingerprint {vector_index.encoder_fingerprint}) but the searcher was given "
                f"{encoder.name!r} (fingerprint {encoder.fingerprint}); rebuild the index with "
                "`patentnav index build`"
            )
        self.encoder = encoder
        self.vector = vector_index
        self.keyword = keyword_index
        self.catalog = catalog
        self.ids = catalog.ids
        if not (vector_index.ids is self.ids and keyword_index.ids is self.ids):
            raise InvalidInput("vector index, keyword index and catalog must share one IdMap")
        self.lock = lock or ReadWriteLock()

    @classmethod
    def from_bundle(cls, bundle: IndexBundle, encoder: Any) -> HybridSearcher:
        return cls(encoder, bundle.vector, bundle.keyword, bundle.catalog, lock=bundle.lock)

    def warm_up(self) -> None:
        """Initialise the lazy parts (jieba dictionary, encoder, caches) so the first real
        query does not pay for them (a few seconds for jieba)."""
        self.search(SearchQuery(text="锂电池正极材料", k=1, facets=("kind",)))

    # -- helpers ----------------------------------------------------------------------------
    def _query_vector(self, text: str) -> np.ndarray | None:
        v = self.encoder.encode_queries([text])[0]
        return v if np.any(v) else None

    def _semantic(self, qvec: np.ndarray | None, k: int, mask: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray]:
        if qvec is None or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        D, I = self.vector.search_ints(qvec[None, :], k, mask)
        ok = I[0] >= 0
        return I[0][ok], D[0][ok]

    # -- search -----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        """Run one search (see :mod:`embeddings.models` for the semantics)."""
        t0 = time.perf_counter()
        text = query.text.strip()
        with self.lock.read():
            mask = self.catalog.mask(query.filters)
            if not text:
                return self._browse(query, mask, t0)
            need = max(query.candidates, query.offset + query.k)
            # without filters the retrievers need no mask (deleted rows are already out)
            allowed = None if query.filters.is_empty else mask
            # terms are used for matched_terms in every mode, for ranking in keyword/hybrid
            terms, term_ids = self.keyword.query_term_ids(text)
            kw: KeywordHits | None = None
            if query.mode in ("hybrid", "keyword"):
                kw = self.keyword.search_terms(terms, term_ids, need, allowed, with_mask=True)
            sem_ids = np.zeros(0, dtype=np.int64)
            sem_scores = np.zeros(0, dtype=np.float32)
            if query.mode in ("hybrid", "semantic"):
                sem_ids, sem_scores = self._semantic(self._query_vector(text), need, allowed)

            kw_rank = {int(i): (r, float(s)) for r, (i, s) in
                       enumerate(zip(kw.ids, kw.scores), start=1)} if kw is not None else {}
            sem_rank = {int(i): (r, float(s)) for r, (i, s) in
                        enumerate(zip(sem_ids, sem_scores), start=1)}
            if query.mode == "keyword":
                ranking = [(int(i), float(s)) for i, s in zip(kw.ids, kw.scores)]
                total = kw.total
                result_mask = kw.matched_mask
            elif query.mode == "semantic":
                ranking = [(int(i), float(s)) for i, s in zip(sem_ids, sem_scores)]
                result_mask = mask & self.vector.present_mask(len(mask))
                total = int(result_mask.sum())
            else:
                ranking = rrf_fuse([kw.ids, sem_ids],
                                   [query.keyword_weight, query.semantic_weight], query.rrf_k)
                result_mask = kw.matched_mask.copy()
                result_mask[sem_ids] = True
                total = int(result_mask.sum())

            page = ranking[query.offset: query.offset + query.k]
            page_ids = [i for i, _ in page]
            matched = (self.keyword.matched_terms(terms, term_ids, page_ids)
                       if len(term_ids) else [()] * len(page_ids))
            hits = []
            for pos, ((i, score), mt) in enumerate(zip(page, matched), start=query.offset + 1):
                kr, ks = kw_rank.get(i, (None, None))
                sr, ss = sem_rank.get(i, (None, None))
                hits.append(Hit(self.ids.string(i), pos, score, kr, ks, sr, ss, tuple(mt)))
            end = query.offset + query.k
            next_offset = end if end < min(len(ranking), total) else None
            facets = (self.catalog.facets(result_mask, query.facets, query.facet_size)
                      if query.facets else {})
        return SearchResult(query, hits, total, facets, next_offset, tuple(terms),
                            (time.perf_counter() - t0) * 1000)

    def _browse(self, query: SearchQuery, mask: np.ndarray, t0: float) -> SearchResult:
        total = int(mask.sum())
        order = self.catalog.recent_order(mask, query.offset + query.k)[query.offset:]
        hits = [Hit(self.ids.string(i), query.offset + r, 0.0)
                for r, i in enumerate(order, start=1)]
        end = query.offset + query.k
        facets = self.catalog.facets(mask, query.facets, query.facet_size) if query.facets else {}
        return SearchResult(query, hits, total, facets, end if end < total else None, (),
                            (time.perf_counter() - t0) * 1000)

    def similar(self, patent_id: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` patents whose vectors are nearest to ``patent_id``'s (itself excluded)."""
        with self.lock.read():
            if not self.vector.contains(patent_id):
                raise NotFound(f"patent {patent_id!r} is not in the search index")
            vec = self.vector.vector(patent_id)
            mask = self.catalog.mask(filters) if filters is not None and not filters.is_empty \
                else self.catalog.mask(None)
            self_id = self.ids.get(patent_id)
            if self_id is not None and self_id < len(mask):
                mask[self_id] = False
            ids, scores = self._semantic(vec, k, mask)
            return [Hit(self.ids.string(i), r, float(s), semantic_rank=r, semantic_score=float(s))
                    for r, (i, s) in enumerate(zip(ids, scores), start=1)]

    def knn(self, text: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` patents nearest to ``text`` embedded as a document (classification votes)."""
        if not text.strip():
            raise InvalidInput("knn needs a non-empty text")
        vec = self.encoder.encode([text])[0]
        with self.lock.read():
            mask = self.catalog.mask(filters) if filters is not None and not filters.is_empty \
                else None
            ids, scores = self._semantic(vec if np.any(vec) else None, k, mask)
            return [Hit(self.ids.string(i), r, float(s), semantic_rank=r, semantic_score=float(s))
                    for r, (i, s) in enumerate(zip(ids, scores), start=1)]
