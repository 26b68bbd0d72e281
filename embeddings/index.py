"""FAISS inner-product index of patent vectors, keyed by patent id, persisted to a folder.

Kinds (chosen automatically from the collection size)
------------------------------------------------------
* ``flat`` -- exact search (``IndexIDMap2(IndexFlatIP)``) for collections of at most
  ``settings.exact_index_max`` vectors.
* ``ivf`` -- approximate search (``IndexIVFFlat``, inner product, hashtable direct map)
  above that. IVF was chosen over HNSW after measuring both at 1M real-encoder vectors
  (``benchmarks/bench_search.py --ann-study``; figures in the search engineer's report):
  FAISS HNSW cannot remove vectors, so deletes and replacements would need tombstones and
  rebuilds, and its filtered search degrades badly under selective filters, while IVF
  removes ids natively, builds an order of magnitude faster, and stays exact under
  selective filters by widening ``nprobe`` (see :meth:`VectorIndex.search_ints`).

Incremental updates: :meth:`VectorIndex.add` (same id again = replace) and
:meth:`VectorIndex.delete` work on either kind without a rebuild. When the collection
crosses ``exact_index_max`` (or an IVF index has grown/shrunk far from the size its
centroids were trained on) :attr:`VectorIndex.needs_compact` turns true and
:meth:`VectorIndex.compact` rebuilds into the right kind -- lazily, from
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

FORMAT_VERSION = 1
META_FILE = "meta.json"
FAISS_FILE = "vectors.faiss"
IDS_FILE = "ids.json"
PRESENT_FILE = "present.npy"


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
        nlist: int | None = None,
        nprobe: int = 64,
        threads: int | None = None,
    ) -> None:
        if dim <= 0:
            raise IndexError_("vector dimension must be positive")
        self.dim = int(dim)
        self.encoder_name = encoder_name
        self.encoder_fingerprint = encoder_fingerprint
        self.ids = ids if ids is not None else IdMap()
        self.exact_max = int(exact_max)
        self.nlist_setting = nlist
        self.nprobe = int(nprobe)
        #: OpenMP threads for builds (training, adding); searches use one (see omp_threads)
        self.threads = threads or min(2, os.cpu_count() or 1)
        _faiss().omp_set_num_threads(1)
        self.kind = "flat"
        self.trained_on = 0
        self._index = self._new_flat()
        self._present = np.zeros(0, dtype=bool)
        self.created = time.time()

    @classmethod
    def create(cls, encoder: Any, settings: "Settings", ids: IdMap | None = None) -> "VectorIndex":
        """An empty index for vectors of ``encoder`` with the settings' size limits."""
        return cls(
            encoder.dim,
            encoder_name=encoder.name,
            encoder_fingerprint=encoder.fingerprint,
            ids=ids,
            exact_max=settings.exact_index_max,
            nlist=settings.ivf_nlist or None,
            nprobe=settings.ivf_nprobe,
        )

    # -- basics ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def wanted_kind(self) -> str:
        return "flat" if len(self) <= self.exact_max else "ivf"

    @property
    def nlist(self) -> int:
        return int(self._index.nlist) if self.kind == "ivf" else 0

    @property
    def needs_compact(self) -> bool:
        """True when the index should be rebuilt (:meth:`compact`): wrong kind for its size,
        or IVF centroids trained on fewer than half / more than 4x today's vectors."""
        if self.wanted_kind != self.kind:
            return True
        if self.kind == "ivf":
            n = len(self)
            return n > 2 * self.trained_on or n * 4 < self.trained_on
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
            p = np.zeros(max(n, int(len(self._present) * 1.25)), dtype=bool)
            p[: len(self._present)] = self._present
            self._present = p

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

    # -- writes ----------------------------------------------------------------------------------
    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors; an id already present is replaced. Within one call the last
        occurrence of a repeated id wins."""
        vectors = self._check(vectors, len(ids))
        if not len(ids):
            return
        ints = self.ids.assign(list(ids))
        # last occurrence wins
        _, last = np.unique(ints[::-1], return_index=True)
        keep = np.sort(len(ints) - 1 - last)
        ints, vectors = ints[keep], vectors[keep]
        self._grow(len(self.ids))
        existing = ints[self._present[ints]]
        if len(existing):
            self._remove_ints(existing)
        with omp_threads(self.threads if len(ints) >= 10_000 else 1):
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
        """Rebuild into :attr:`wanted_kind` (retraining IVF centroids). Returns True if rebuilt."""
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
        if n <= self.exact_max:
            index = self._new_flat()
            kind = "flat"
        else:
            nlist = self.nlist_setting or default_nlist(n)
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors if n <= nlist * 64 else vectors[np.sort(rng.choice(n, nlist * 64, replace=False))]
            index.cp.max_points_per_centroid = 64
            index.train(sample)
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
            index.nprobe = self.nprobe
            kind = "ivf"
        if n:
            index.add_with_ids(vectors, ints)
        self._index, self.kind, self.trained_on = index, kind, n if kind == "ivf" else 0

    def build(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the whole content by ``ids``/``vectors`` in one go (right kind for the size)."""
        vectors = self._check(vectors, len(ids))
        ints = self.ids.assign(list(ids))
        if len(np.unique(ints)) != len(ints):
            raise IndexError_("build() got repeated ids")
        self._present = np.zeros(len(self.ids), dtype=bool)
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
            pos = np.empty(len(self._present), dtype=np.int64)
            pos[id_map] = np.arange(len(id_map))
            flat = faiss.downcast_index(self._index.index)
            data = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * self.dim).reshape(-1, self.dim)
            return np.array(data[pos[ints]])
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

        ``allowed`` is a boolean mask over int ids (shorter = the rest disallowed). It is
        applied inside FAISS (``IDSelectorBitmap``). For IVF, ``nprobe`` is widened by the
        inverse of the allowed fraction (at most to all lists, i.e. exact over the allowed
        subset), so selective filters keep their recall.
        """
        faiss = _faiss()
        # OpenMP thread counts are per calling thread: set it in every (server) thread
        faiss.omp_set_num_threads(1)
        q = self._check(np.atleast_2d(queries))
        n = len(self)
        k = int(k)
        if n == 0 or k <= 0:
            return (np.zeros((len(q), max(k, 0)), dtype=np.float32),
                    np.full((len(q), max(k, 0)), -1, dtype=np.int64))
        params = None
        nprobe = self.nprobe
        if allowed is not None:
            m = np.zeros(len(self._present), dtype=bool)
            m[: min(len(m), len(allowed))] = allowed[: len(m)]
            m &= self._present
            n_allowed = int(m.sum())
            if n_allowed == 0:
                return (np.zeros((len(q), k), dtype=np.float32),
                        np.full((len(q), k), -1, dtype=np.int64))
            if n_allowed < n:
                bits = np.packbits(m, bitorder="little")
                sel = faiss.IDSelectorBitmap(len(m), faiss.swig_ptr(bits))
                if self.kind == "ivf":
                    frac = n_allowed / n
                    nprobe = min(self.nlist, int(math.ceil(self.nprobe / frac)))
                    params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
                else:
                    params = faiss.SearchParameters(sel=sel)
                params._keep = (bits, sel)  # keep the buffers alive during the call
        if params is None and self.kind == "ivf":
            params = faiss.SearchParametersIVF(nprobe=nprobe)
        D, I = self._index.search(q, min(k, n), params=params)
        if k > n:
            D = np.pad(D, ((0, 0), (0, k - n)))
            I = np.pad(I, ((0, 0), (0, k - n)), constant_values=-1)
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
            "count": len(self),
            "exact_max": self.exact_max,
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
        """Write ``meta.json``, the FAISS file, the id map and the presence mask."""
        faiss = _faiss()
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / (FAISS_FILE + ".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path / FAISS_FILE)
        self.ids.save(path / IDS_FILE)
        np.save(path / PRESENT_FILE, self._present[: len(self.ids)])
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
        settings: "Settings | None" = None,
        ids: IdMap | None = None,
    ) -> "VectorIndex":
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
        self = cls(
            int(enc["dim"]),
            encoder_name=enc["name"],
            encoder_fingerprint=enc["fingerprint"],
            ids=ids if ids is not None else IdMap.load(path / meta.get("id_map", IDS_FILE)),
            exact_max=settings.exact_index_max if settings else meta["exact_max"],
            nlist=(settings.ivf_nlist or None) if settings else None,
            nprobe=settings.ivf_nprobe if settings else meta["nprobe"],
        )
        self._index = faiss.read_index(str(path / meta.get("faiss_file", FAISS_FILE)))
        self.kind = meta["kind"]
        if self.kind == "ivf":
            self._index.nprobe = self.nprobe
        self.trained_on = int(meta.get("trained_on", 0))
        self.created = meta.get("created", self.created)
        self._present = np.load(path / meta.get("present", PRESENT_FILE))
        self._grow(len(self.ids))
        if int(self._present.sum()) != self._index.ntotal:
            raise IndexError_(f"vector index at {path} is inconsistent (presence mask vs FAISS)")
        return self
