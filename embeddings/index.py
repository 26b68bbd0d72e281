"""FAISS inner-product index of patent vectors, keyed by patent id, persisted to a folder.

Kinds (chosen automatically from the collection size)
------------------------------------------------------
* ``flat`` -- exact search (``IndexIDMap2(IndexFlatIP)``) for collections of at most
  ``settings.exact_index_max`` vectors.
* above that, the ANN kind named by ``settings.ann_kind``:

  - ``ivf`` (default) -- ``IndexIVFFlat`` (inner product, nlist ≈ 4·sqrt(n), hashtable
    direct map). Removes ids natively. Filters allowing at least ``post_filter_min`` (30 %)
    of the vectors post-filter an unfiltered search over-fetched by 2/fraction (falling
    back when too few survive); narrower ones run inside FAISS (``IDSelectorBitmap``)
    with ``nprobe`` widened by 1/sqrt(allowed fraction), up to all lists (= exact over
    the allowed subset). On the 1M benchmark the selector path keeps recall@10 at
    0.97-1.0 from 50 % down to 0.1 % allowed, where post-filtering alone falls to
    0.93 / 0.79 at 1 % / 0.1 %; at 50 % post-filtering is 2x cheaper for the same recall.
  - ``hnsw`` -- ``IndexHNSWFlat``. FAISS HNSW cannot remove vectors, so the index keeps
    its own position <-> int-id arrays and a **tombstone** mask: a delete marks the
    position dead, a replacement marks the old position dead and appends the new vector;
    searches exclude dead positions through an ``IDSelectorBitmap``, and past
    ``tombstone_max`` dead positions :attr:`VectorIndex.needs_compact` asks for a rebuild.
    Selective filters (< ``filter_exact_fraction`` allowed) are answered exactly by
    scanning the HNSW's own flat storage with the selector; wider ones by HNSW with
    ``efSearch`` widened by the inverse of the allowed fraction.

  Measured on 1M generated patents encoded by the default encoder (wordllama, 256-d;
  ``benchmarks/bench_search.py --ann-study``, 200 queries, shared 2-core machine):
  IVF-Flat 4096 lists builds in ~2 min (train + add) and reaches recall@10 0.82 / 0.89 /
  0.94 / 0.97 at nprobe 64 / 128 / 256 / 512 (p50 1.0 / 2.2 / 6.1 / 10.8 ms); HNSW
  (M=32, efConstruction=80) took 35 min to build and reached only 0.77 / 0.86 at
  efSearch 128 / 256, and its filtered search fell to 0.77 / 0.56 recall at 10 % / 1 %
  allowed. These static-embedding neighbourhoods are flat (top-1 0.75, 10th 0.72 cosine),
  which favours the exhaustive scan inside IVF lists. Hence IVF with ``nprobe`` 512 by
  default; HNSW stays available for models with better-separated neighbourhoods.

Incremental updates: :meth:`VectorIndex.add` (same id again = replace) and
:meth:`VectorIndex.delete` work on every kind without a rebuild. When the collection
crosses ``exact_index_max``, an IVF index has grown/shrunk far from the size its centroids
were trained on, or an HNSW index holds too many tombstones, :attr:`needs_compact` turns
true and :meth:`VectorIndex.compact` rebuilds into the right kind -- lazily, from
:meth:`embeddings.build.IndexBundle.save` or ``patentnav index build``.

Vectors must come from the encoder recorded in the metadata: :meth:`VectorIndex.load`
raises :class:`~patentnav.errors.EncoderMismatch` when the current encoder's fingerprint
differs.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.ids import IdMap
from patentnav.errors import EncoderMismatch, IndexError_, IndexNotBuilt

if TYPE_CHECKING:  # pragma: no cover
    from patentnav.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
META_FILE = "meta.json"
FAISS_FILE = "vectors.faiss"
IDS_FILE = "ids.json"
PRESENT_FILE = "present.npy"
POSITIONS_FILE = "positions.npy"  # hnsw: int id per HNSW position
DEAD_FILE = "dead.npy"  # hnsw: tombstones per position
ANN_KINDS = ("hnsw", "ivf")


def _faiss():
    import faiss

    return faiss


@contextmanager
def omp_threads(n: int):
    """Run FAISS with ``n`` OpenMP threads inside the block, one thread outside.

    Searches are single queries: with 2 threads FAISS's OpenMP barriers spin, and on a
    shared 2-core machine one flat search over 20k vectors took 220 ms instead of 0.6 ms
    (measured). So queries run on one thread (a server gets its parallelism from
    concurrent requests) and only builds (k-means training, adding) use ``n``.
    """
    faiss = _faiss()
    faiss.omp_set_num_threads(max(1, n))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def default_nlist(n: int) -> int:
    """IVF list count for ``n`` vectors: ~4*sqrt(n) rounded to a power of two."""
    if n <= 0:
        return 256
    return int(min(65536, max(256, 2 ** round(math.log2(4 * math.sqrt(n))))))


def _empty(nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((nq, k), dtype=np.float32), np.full((nq, k), -1, dtype=np.int64)


class VectorIndex:
    """Patent vectors in FAISS (inner product on L2-normalised vectors = cosine)."""

    def __init__(
        self,
        dim: int,
        *,
        encoder_name: str,
        encoder_fingerprint: str,
        ids: IdMap | None = None,
        exact_max: int = 200_000,
        ann: str = "ivf",
        hnsw_m: int = 32,
        ef_search: int = 128,
        ef_construction: int = 80,
        nlist: int | None = None,
        nprobe: int = 512,
        filter_exact_fraction: float = 0.05,
        post_filter_min: float = 0.3,
        tombstone_max: float = 0.2,
        threads: int | None = None,
    ) -> None:
        if dim <= 0:
            raise IndexError_("vector dimension must be positive")
        if ann not in ANN_KINDS:
            raise IndexError_(f"ann kind must be one of {ANN_KINDS}, not {ann!r}")
        self.dim = int(dim)
        self.encoder_name = encoder_name
        self.encoder_fingerprint = encoder_fingerprint
        self.ids = ids if ids is not None else IdMap()
        self.exact_max = int(exact_max)
        self.ann = ann
        self.hnsw_m = int(hnsw_m)
        self.ef_search = int(ef_search)
        self.ef_construction = int(ef_construction)
        self.nlist_setting = nlist
        self.nprobe = int(nprobe)
        self.filter_exact_fraction = float(filter_exact_fraction)
        self.post_filter_min = float(post_filter_min)
        self.tombstone_max = float(tombstone_max)
        #: OpenMP threads for builds (training, adding); searches use one (see omp_threads)
        self.threads = threads or min(2, os.cpu_count() or 1)
        _faiss().omp_set_num_threads(1)
        self.kind = "flat"
        self.trained_on = 0
        self._index = self._new_flat()
        self._present = np.zeros(0, dtype=bool)  # per int id
        # hnsw only: position <-> int id, tombstones
        self._pos_to_id = np.zeros(0, dtype=np.int64)
        self._id_to_pos = np.zeros(0, dtype=np.int64)
        self._dead = np.zeros(0, dtype=bool)
        self._live_bits: tuple[np.ndarray, Any] | None = None
        self.created = time.time()

    @classmethod
    def create(cls, encoder: Any, settings: Settings, ids: IdMap | None = None) -> VectorIndex:
        """An empty index for vectors of ``encoder`` with the settings' choices."""
        return cls(encoder.dim, encoder_name=encoder.name,
                   encoder_fingerprint=encoder.fingerprint, ids=ids,
                   **cls._settings_kwargs(settings))

    @staticmethod
    def _settings_kwargs(settings: Settings) -> dict[str, Any]:
        return dict(
            exact_max=settings.exact_index_max,
            ann=settings.ann_kind,
            hnsw_m=settings.hnsw_m,
            ef_search=settings.hnsw_ef_search,
            ef_construction=settings.hnsw_ef_construction,
            nlist=settings.ivf_nlist or None,
            nprobe=settings.ivf_nprobe,
        )

    # -- basics ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        if self.kind == "hnsw":
            return int(self._index.ntotal) - int(self._dead.sum())
        return int(self._index.ntotal)

    @property
    def wanted_kind(self) -> str:
        return "flat" if len(self) <= self.exact_max else self.ann

    @property
    def nlist(self) -> int:
        return int(self._index.nlist) if self.kind == "ivf" else 0

    @property
    def tombstones(self) -> int:
        return int(self._dead.sum()) if self.kind == "hnsw" else 0

    @property
    def needs_compact(self) -> bool:
        """True when the index should be rebuilt (:meth:`compact`): wrong kind for its size,
        IVF centroids trained on fewer than half / more than 4x today's vectors, or more
        than ``tombstone_max`` of an HNSW index dead."""
        if self.wanted_kind != self.kind:
            return True
        if self.kind == "ivf":
            n = len(self)
            return n > 2 * self.trained_on or n * 4 < self.trained_on
        if self.kind == "hnsw":
            return self.tombstones > self.tombstone_max * max(1, int(self._index.ntotal))
        return False

    def contains(self, patent_id: str) -> bool:
        n = self.ids.get(patent_id)
        return n is not None and n < len(self._present) and bool(self._present[n])

    def present_mask(self, n: int) -> np.ndarray:
        """Boolean mask of length ``n`` over int ids: True where a vector is stored."""
        out = np.zeros(n, dtype=bool)
        m = min(n, len(self._present))
        out[:m] = self._present[:m]
        return out

    def _new_flat(self):
        faiss = _faiss()
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _grow(self, n: int) -> None:
        if len(self._present) < n:
            cap = max(n, int(len(self._present) * 1.25))
            p = np.zeros(cap, dtype=bool)
            p[: len(self._present)] = self._present
            self._present = p
            pos = np.full(cap, -1, dtype=np.int64)
            pos[: len(self._id_to_pos)] = self._id_to_pos
            self._id_to_pos = pos

    def _check(self, vectors: np.ndarray, n: int | None = None) -> np.ndarray:
        v = np.ascontiguousarray(vectors, dtype=np.float32)
        if v.ndim != 2 or v.shape[1] != self.dim or (n is not None and v.shape[0] != n):
            raise IndexError_(
                f"expected vectors of shape ({n if n is not None else 'n'}, {self.dim}), "
                f"got {v.shape}"
            )
        if not np.isfinite(v).all():
            raise IndexError_("vectors hold NaN or infinite values")
        return v

    def _flat_storage(self) -> np.ndarray:
        """The (ntotal, dim) float32 vectors of a flat or HNSW index, as a view."""
        faiss = _faiss()
        flat = faiss.downcast_index(self._index.index if self.kind == "flat"
                                    else self._index.storage)
        n = flat.ntotal
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)

    # -- writes ----------------------------------------------------------------------------------
    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors; an id already present is replaced. Within one call the last
        occurrence of a repeated id wins."""
        vectors = self._check(vectors, len(ids))
        if not len(ids):
            return
        ints = self.ids.assign(list(ids))
        _, last = np.unique(ints[::-1], return_index=True)
        keep = np.sort(len(ints) - 1 - last)
        ints, vectors = ints[keep], vectors[keep]
        self._grow(len(self.ids))
        existing = ints[self._present[ints]]
        if len(existing):
            self._remove_ints(existing)
        with omp_threads(self.threads if len(ints) >= 10_000 else 1):
            if self.kind == "hnsw":
                start = int(self._index.ntotal)
                self._index.add(vectors)
                pos = np.arange(start, start + len(ints), dtype=np.int64)
                self._pos_to_id = np.concatenate([self._pos_to_id, ints])
                self._dead = np.concatenate([self._dead, np.zeros(len(ints), dtype=bool)])
                self._id_to_pos[ints] = pos
                self._live_bits = None
            else:
                self._index.add_with_ids(vectors, ints)
        self._present[ints] = True

    def delete(self, ids: Sequence[str]) -> int:
        """Remove vectors by patent id; returns how many were present."""
        ints = self.ids.lookup(list(ids))
        ints = ints[(ints >= 0) & (ints < len(self._present))]
        ints = np.unique(ints[self._present[ints]])
        if len(ints):
            self._remove_ints(ints)
        return len(ints)

    def _remove_ints(self, ints: np.ndarray) -> None:
        if self.kind == "hnsw":  # tombstones
            self._dead[self._id_to_pos[ints]] = True
            self._id_to_pos[ints] = -1
            self._live_bits = None
        else:
            faiss = _faiss()
            arr = np.ascontiguousarray(ints, dtype=np.int64)
            # the IVF hashtable direct map only accepts an IDSelectorArray
            sel = (faiss.IDSelectorArray(len(arr), faiss.swig_ptr(arr)) if self.kind == "ivf"
                   else faiss.IDSelectorBatch(len(arr), faiss.swig_ptr(arr)))
            removed = self._index.remove_ids(sel)
            if removed != len(ints):
                raise IndexError_(f"FAISS removed {removed} of {len(ints)} vectors")
        self._present[ints] = False

    def compact(self, *, force: bool = False) -> bool:
        """Rebuild into :attr:`wanted_kind` (retraining IVF centroids, dropping HNSW
        tombstones). Returns True if rebuilt."""
        if not (force or self.needs_compact):
            return False
        t0 = time.perf_counter()
        ints, vectors = self.all_vectors()
        with omp_threads(self.threads):
            self._build(ints, vectors)
        log.info("vector index rebuilt as %s over %d vectors in %.1fs", self.kind, len(ints),
                 time.perf_counter() - t0)
        return True

    def _build(self, ints: np.ndarray, vectors: np.ndarray) -> None:
        faiss = _faiss()
        n = len(ints)
        self._live_bits = None
        self._pos_to_id = np.zeros(0, dtype=np.int64)
        self._dead = np.zeros(0, dtype=bool)
        self._id_to_pos = np.full(len(self._present), -1, dtype=np.int64)
        self.trained_on = 0
        if n <= self.exact_max:
            index = self._new_flat()
            if n:
                index.add_with_ids(vectors, ints)
            self._index, self.kind = index, "flat"
        elif self.ann == "hnsw":
            index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.ef_construction
            index.hnsw.efSearch = self.ef_search
            index.add(vectors)
            self._index, self.kind = index, "hnsw"
            self._pos_to_id = np.asarray(ints, dtype=np.int64).copy()
            self._dead = np.zeros(n, dtype=bool)
            self._id_to_pos[ints] = np.arange(n)
        else:
            nlist = self.nlist_setting or default_nlist(n)
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            cap = nlist * 32
            sample = vectors if n <= cap else vectors[np.sort(rng.choice(n, cap, replace=False))]
            index.cp.max_points_per_centroid = 32
            index.train(sample)
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
            index.nprobe = self.nprobe
            index.add_with_ids(vectors, ints)
            self._index, self.kind, self.trained_on = index, "ivf", n

    def build(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the whole content by ``ids``/``vectors`` in one go (right kind for the size)."""
        vectors = self._check(vectors, len(ids))
        ints = self.ids.assign(list(ids))
        if len(np.unique(ints)) != len(ints):
            raise IndexError_("build() got repeated ids")
        self._present = np.zeros(len(self.ids), dtype=bool)
        self._id_to_pos = np.full(len(self.ids), -1, dtype=np.int64)
        with omp_threads(self.threads):
            self._build(ints, vectors)
        self._present[ints] = True

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(int ids, vectors) of everything in the index, in int-id order."""
        ints = np.flatnonzero(self._present).astype(np.int64)
        if not len(ints):
            return ints, np.zeros((0, self.dim), dtype=np.float32)
        return ints, self.reconstruct_ints(ints)

    def reconstruct_ints(self, ints: np.ndarray) -> np.ndarray:
        ints = np.ascontiguousarray(ints, dtype=np.int64)
        if self.kind == "flat":
            faiss = _faiss()
            id_map = faiss.vector_to_array(self._index.id_map)
            pos = np.empty(max(len(self._present), 1), dtype=np.int64)
            pos[id_map] = np.arange(len(id_map))
            return np.array(self._flat_storage()[pos[ints]])
        if self.kind == "hnsw":
            return np.array(self._flat_storage()[self._id_to_pos[ints]])
        return self._index.reconstruct_batch(ints)

    def vector(self, patent_id: str) -> np.ndarray:
        """The stored vector of one patent (raises IndexError_ if absent)."""
        if not self.contains(patent_id):
            raise IndexError_(f"patent {patent_id!r} is not in the vector index")
        return self.reconstruct_ints(np.array([self.ids.get(patent_id)]))[0]

    # -- reads ----------------------------------------------------------------------------------
    def search_ints(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, int ids) of the ``k`` nearest vectors per query row; ids -1 pad.

        ``allowed`` is a boolean mask over int ids (shorter = the rest disallowed),
        applied inside FAISS with an ``IDSelectorBitmap`` (see the module doc for how each
        kind keeps its recall under selective filters).
        """
        faiss = _faiss()
        # OpenMP thread counts are per calling thread: set it in every (server) thread
        faiss.omp_set_num_threads(1)
        q = self._check(np.atleast_2d(queries))
        n = len(self)
        k = int(k)
        if n == 0 or k <= 0:
            return _empty(len(q), max(k, 0))
        if self.kind == "hnsw":
            D, I = self._search_hnsw(q, k, allowed)
        else:
            D, I = self._search_idmapped(q, k, allowed)
        return D, I

    def _allowed_ids(self, allowed: np.ndarray) -> np.ndarray:
        m = np.zeros(len(self._present), dtype=bool)
        a = min(len(m), len(allowed))
        m[:a] = allowed[:a]
        m &= self._present
        return m

    def _search_idmapped(self, q: np.ndarray, k: int, allowed: np.ndarray | None):
        faiss = _faiss()
        n = len(self)
        params = None
        nprobe = self.nprobe
        keep = None
        if allowed is not None:
            m = self._allowed_ids(allowed)
            n_allowed = int(m.sum())
            if n_allowed == 0:
                return _empty(len(q), k)
            if self.kind == "ivf" and n_allowed < n and n_allowed >= self.post_filter_min * n:
                # wide filter: an over-fetched unfiltered search, filtered afterwards, is
                # cheaper than widening nprobe (measured 7.7 vs 17 ms at 50 % allowed)
                got = self._post_filtered(q, k, m, n_allowed / n)
                if got is not None:
                    return got
            if n_allowed < n:
                bits = np.packbits(m, bitorder="little")
                sel = faiss.IDSelectorBitmap(len(m), faiss.swig_ptr(bits))
                keep = (bits, sel)  # alive during the call
                if self.kind == "ivf":
                    # the selector skips the distances of disallowed vectors, so a probe
                    # costs ~ its allowed share: widen by 1/sqrt(fraction) (measured: recall@10
                    # >= 0.97 from 50 % down to 1 % allowed, at most ~2x the unfiltered time)
                    widen = math.sqrt(n / n_allowed)
                    nprobe = min(self.nlist, int(math.ceil(self.nprobe * widen)))
                    params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
                else:
                    params = faiss.SearchParameters(sel=sel)
        if params is None and self.kind == "ivf":
            params = faiss.SearchParametersIVF(nprobe=nprobe)
        D, I = self._index.search(q, min(k, n), params=params)
        if keep is not None and self.kind == "ivf" and nprobe < self.nlist:
            # the probed lists may hold too few allowed vectors (a filter far from the
            # query): search those queries again over every list
            short = (I >= 0).sum(axis=1) < min(k, n_allowed)
            if short.any():
                full = faiss.SearchParametersIVF(sel=keep[1], nprobe=self.nlist)
                D[short], I[short] = self._index.search(q[short], min(k, n), params=full)
        del keep
        return self._pad(D, I, k)

    def _post_filtered(self, q: np.ndarray, k: int, m: np.ndarray, frac: float
                       ) -> tuple[np.ndarray, np.ndarray] | None:
        """Top ``k`` allowed among ``2k/frac`` unfiltered IVF neighbours; None when some
        query found fewer than ``k`` allowed ones (the caller then filters inside FAISS)."""
        faiss = _faiss()
        n = len(self)
        fetch = min(n, int(math.ceil(2 * k / frac)) + 10)
        D, I = self._index.search(q, fetch, params=faiss.SearchParametersIVF(nprobe=self.nprobe))
        ok = (I >= 0) & m[np.maximum(I, 0)]
        if (ok.sum(axis=1) < min(k, int(m.sum()))).any():
            return None
        outD = np.zeros((len(q), k), dtype=np.float32)
        outI = np.full((len(q), k), -1, dtype=np.int64)
        for r in range(len(q)):
            sel = np.flatnonzero(ok[r])[:k]
            outD[r, : len(sel)] = D[r, sel]
            outI[r, : len(sel)] = I[r, sel]
        return outD, outI

    def _search_hnsw(self, q: np.ndarray, k: int, allowed: np.ndarray | None):
        faiss = _faiss()
        total = int(self._index.ntotal)
        n_dead = int(self._dead.sum())
        if allowed is None:
            if n_dead == 0:
                sel, bits = None, None
            else:
                if self._live_bits is None:
                    b = np.packbits(~self._dead, bitorder="little")
                    self._live_bits = (b, faiss.IDSelectorBitmap(total, faiss.swig_ptr(b)))
                bits, sel = self._live_bits
            n_ok = total - n_dead
        else:
            a = np.zeros(len(self._present), dtype=bool)
            m = min(len(a), len(allowed))
            a[:m] = allowed[:m]
            ok = a[self._pos_to_id] & ~self._dead
            n_ok = int(ok.sum())
            if n_ok == 0:
                return _empty(len(q), k)
            bits = np.packbits(ok, bitorder="little")
            sel = faiss.IDSelectorBitmap(total, faiss.swig_ptr(bits))
        frac = n_ok / max(1, total)
        if allowed is not None and frac < self.filter_exact_fraction:
            storage = faiss.downcast_index(self._index.storage)
            D, P = storage.search(q, min(k, n_ok), params=faiss.SearchParameters(sel=sel))
        else:
            ef = max(self.ef_search, k)
            if frac < 1.0:
                ef = min(max(ef, int(math.ceil(ef / frac))), 4 * max(self.ef_search, k))
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=ef) if sel is not None \
                else faiss.SearchParametersHNSW(efSearch=ef)
            D, P = self._index.search(q, min(k, n_ok), params=params)
            short = (P >= 0).sum(axis=1) < min(k, n_ok)
            if sel is not None and short.any():  # graph walk found too few: scan exactly
                storage = faiss.downcast_index(self._index.storage)
                D[short], P[short] = storage.search(q[short], min(k, n_ok),
                                                    params=faiss.SearchParameters(sel=sel))
        del bits
        I = np.where(P >= 0, self._pos_to_id[np.maximum(P, 0)], -1)
        return self._pad(D, I, k)

    @staticmethod
    def _pad(D: np.ndarray, I: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if I.shape[1] < k:
            extra = k - I.shape[1]
            D = np.pad(D, ((0, 0), (0, extra)))
            I = np.pad(I, ((0, 0), (0, extra)), constant_values=-1)
        return D, I

    def search(
        self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """(patent id, cosine) of the ``k`` nearest patents to one query vector."""
        D, I = self.search_ints(np.asarray(query_vec, dtype=np.float32).reshape(1, -1), k, allowed)
        return [(self.ids.string(i), float(d)) for d, i in zip(D[0], I[0]) if i >= 0]

    # -- persistence ----------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "encoder": {"name": self.encoder_name, "fingerprint": self.encoder_fingerprint,
                        "dim": self.dim},
            "kind": self.kind,
            "ann": self.ann,
            "count": len(self),
            "exact_max": self.exact_max,
            "hnsw_m": self.hnsw_m,
            "ef_search": self.ef_search,
            "tombstones": self.tombstones,
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "trained_on": self.trained_on,
            "created": self.created,
            "saved": time.time(),
            "faiss_file": FAISS_FILE,
            "id_map": IDS_FILE,
            "present": PRESENT_FILE,
        }

    def save(self, path: Path) -> None:
        """Write ``meta.json``, the FAISS file, the id map and the presence mask (plus the
        position map and tombstones of an HNSW index)."""
        faiss = _faiss()
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / (FAISS_FILE + ".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path / FAISS_FILE)
        self.ids.save(path / IDS_FILE)
        np.save(path / PRESENT_FILE, self._present[: len(self.ids)])
        if self.kind == "hnsw":
            np.save(path / POSITIONS_FILE, self._pos_to_id)
            np.save(path / DEAD_FILE, self._dead)
        meta_tmp = path / (META_FILE + ".tmp")
        meta_tmp.write_text(json.dumps(self.meta(), indent=2), encoding="utf-8")
        meta_tmp.replace(path / META_FILE)

    @staticmethod
    def read_meta(path: Path) -> dict[str, Any]:
        f = path / META_FILE
        if not f.exists():
            raise IndexNotBuilt(f"no vector index at {path}; run `patentnav index build`")
        meta = json.loads(f.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"vector index at {path} has format {meta.get('format_version')}, "
                              f"expected {FORMAT_VERSION}; rebuild it")
        return meta

    @classmethod
    def load(
        cls,
        path: Path,
        encoder: Any,
        *,
        settings: Settings | None = None,
        ids: IdMap | None = None,
    ) -> VectorIndex:
        """Open a saved index; refuses one built by an encoder with another fingerprint."""
        meta = cls.read_meta(path)
        enc = meta["encoder"]
        if enc["fingerprint"] != encoder.fingerprint or int(enc["dim"]) != int(encoder.dim):
            raise EncoderMismatch(
                f"the index at {path} was built with encoder {enc['name']!r} "
                f"(fingerprint {enc['fingerprint']}, dim {enc['dim']}) but the current encoder is "
                f"{encoder.name!r} (fingerprint {encoder.fingerprint}, dim {encoder.dim}); "
                "rebuild the index with `patentnav index build`"
            )
        faiss = _faiss()
        kwargs = cls._settings_kwargs(settings) if settings is not None else dict(
            exact_max=meta["exact_max"], ann=meta.get("ann", "ivf"),
            hnsw_m=meta.get("hnsw_m", 32), ef_search=meta.get("ef_search", 128),
            nprobe=meta["nprobe"])
        self = cls(
            int(enc["dim"]),
            encoder_name=enc["name"],
            encoder_fingerprint=enc["fingerprint"],
            ids=ids if ids is not None else IdMap.load(path / meta.get("id_map", IDS_FILE)),
            **kwargs,
        )
        self._index = faiss.read_index(str(path / meta.get("faiss_file", FAISS_FILE)))
        self.kind = meta["kind"]
        if self.kind == "ivf":
            self._index.nprobe = self.nprobe
        if self.kind == "hnsw":
            self._index.hnsw.efSearch = self.ef_search
            self._pos_to_id = np.load(path / POSITIONS_FILE)
            self._dead = np.load(path / DEAD_FILE)
        self.trained_on = int(meta.get("trained_on", 0))
        self.created = meta.get("created", self.created)
        self._present = np.load(path / meta.get("present", PRESENT_FILE))
        self._id_to_pos = np.full(len(self._present), -1, dtype=np.int64)
        if self.kind == "hnsw":
            live = ~self._dead
            self._id_to_pos[self._pos_to_id[live]] = np.flatnonzero(live)
        self._grow(len(self.ids))
        if int(self._present.sum()) != len(self):
            raise IndexError_(f"vector index at {path} is inconsistent (presence mask vs FAISS)")
        return self
