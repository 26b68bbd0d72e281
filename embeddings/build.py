"""Build, load, save and update the search indexes (vector + keyword + catalog) as one bundle.

Layout of ``settings.index_path``::

    bundle.json          format, counts, encoder, timestamps
    vector/              embeddings.index.VectorIndex (meta.json, vectors.faiss, ids.json, present.npy)
    keyword/             embeddings.keyword.KeywordIndex (bm25s files, tokens, vocab, user dictionary)
    catalog/             embeddings.catalog.Catalog (catalog.npz, vocab.json)

The three components share one :class:`~embeddings.ids.IdMap` (saved with the vector
index). :meth:`IndexBundle.save` writes a complete new folder next to the old one and
swaps it in, so a reader never sees a half-written bundle.

Patents are read from the graph store with the named queries ``search_document_ids`` (all
ids, once) and ``search_documents_by_ids`` (pages of ids, looked up by key) -- at 1M
patents a keyset page (``id > $after`` ordered by id) re-scans every patent on LadybugDB
(~225 s for 1M in pages of 10,000), and ``SKIP`` re-walks the skipped rows.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.catalog import Catalog
from embeddings.ids import IdMap, ReadWriteLock
from embeddings.index import VectorIndex
from embeddings.keyword import (
    ChineseTokenizer,
    KeywordIndex,
    TokenizerPool,
    domain_terms,
)
from patentnav.errors import EncoderMismatch, IndexError_, IndexNotBuilt

if TYPE_CHECKING:  # pragma: no cover
    from graph.base import GraphStore
    from patentnav.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
BUNDLE_FILE = "bundle.json"
PAGE_SIZE = 2000
IPC_TITLES_FILE = Path("chongqing_industry") / "cq_ip_protection_center_prefiling_ipc_2024.csv"


def document_text(rec: Mapping[str, Any]) -> str:
    """The indexed text of a patent: title, abstract and first claim, as available."""
    parts = [str(rec.get(k) or "").strip() for k in ("title", "abstract", "claim1")]
    return "\n".join(p for p in parts if p)


def catalog_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A ``search_documents_by_ids`` row -> a :meth:`Catalog.upsert` record."""
    regions = [r for r in (rec.get("org_regions") or []) if r]
    if rec.get("region_code"):
        regions.append(rec["region_code"])
    return {
        "id": rec["id"],
        "app_year": rec.get("app_year"),
        "grant_year": rec.get("grant_year"),
        "app_date": rec.get("app_date"),
        "kind": rec.get("kind"),
        "status": rec.get("status"),
        "ipc_codes": rec.get("ipc_codes"),
        "ipc_subclasses": rec.get("ipc_subclasses"),
        "hv": rec.get("hv"),
        "open_licence": rec.get("open_licence"),
        "holder_kinds": rec.get("holder_kinds"),
        "region_codes": regions or rec.get("region_codes"),
        "sei_codes": rec.get("sei_codes"),
        "chain_ids": rec.get("chain_ids"),
        "chain_node_ids": rec.get("chain_node_ids"),
        # navigation columns (see embeddings.catalog)
        "holder_ids": rec.get("holder_ids"),
        "inventor_ids": rec.get("inventor_ids"),
        "patent_region": rec.get("region_code"),
        "cited_count": rec.get("cited_count"),
        "has_abstract": bool(rec.get("abstract")),
        "has_ipc": bool(rec.get("ipc_subclasses")),
        "has_ipc_group": "/" in (rec.get("ipc_main") or ""),
        "holder_kind_unknown": any(rec.get("unknown_kind_holder_ids") or ()),
    }


def _chains_dir() -> Path:
    import ingest

    return Path(ingest.__file__).resolve().parent / "data" / "chains"


def user_words(settings: Settings) -> list[str]:
    """jieba user dictionary: chunks of the Chinese IPC subclass titles of the Chongqing
    pre-examination list, plus industry-chain names, segment names and keywords."""
    titles: list[str] = []
    f = settings.data_dir / IPC_TITLES_FILE
    if f.exists():
        with f.open(encoding="utf-8-sig") as fh:
            titles = [r.get("subclass_title_zh_short") or "" for r in csv.DictReader(fh)]
    else:
        log.warning("IPC title file %s not found; jieba user dictionary without IPC terms", f)
    keywords: list[str] = []
    chains = _chains_dir()
    nodes, chain_file = chains / "chain_nodes.csv", chains / "chains.csv"
    if nodes.exists():
        with nodes.open(encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                keywords.append(r.get("name") or "")
                keywords += (r.get("keywords") or "").split("|")
    if chain_file.exists():
        with chain_file.open(encoding="utf-8-sig") as fh:
            keywords += [r.get("name") or "" for r in csv.DictReader(fh)]
    return domain_terms(titles, keywords)


def make_tokenizer(settings: Settings) -> ChineseTokenizer:
    return ChineseTokenizer(user_words(settings))


def documents_by_ids(store: GraphStore, ids: Sequence[str]) -> list[dict]:
    """``search_documents_by_ids`` rows of ``ids`` (id order)."""
    if not ids:
        return []
    query = store.query("search_documents_by_ids")
    return store.run("search_documents_by_ids", **query.id_list_params(ids))


def iter_documents(store: GraphStore, *, page_size: int = PAGE_SIZE) -> Iterator[list[dict]]:
    """Pages of ``search_documents_by_ids`` rows, in id order: every id first (one scan),
    then pages by key lookup (see the module doc)."""
    ids = sorted(r["id"] for r in store.run("search_document_ids"))
    for s in range(0, len(ids), page_size):
        rows = documents_by_ids(store, ids[s:s + page_size])
        if rows:
            yield rows


@dataclass
class IndexBundle:
    """The vector index, keyword index and catalog over one id map."""

    ids: IdMap
    vector: VectorIndex
    keyword: KeywordIndex
    catalog: Catalog
    path: Path | None = None
    created: float = field(default_factory=time.time)
    lock: ReadWriteLock = field(default_factory=ReadWriteLock, repr=False)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def empty(cls, encoder: Any, settings: Settings,
              tokenizer: ChineseTokenizer | None = None) -> IndexBundle:
        ids = IdMap()
        return cls(
            ids=ids,
            vector=VectorIndex.create(encoder, settings, ids),
            keyword=KeywordIndex(tokenizer or make_tokenizer(settings), ids),
            catalog=Catalog(ids),
            path=settings.index_path,
        )

    def add_records(self, records: Sequence[Mapping[str, Any]], encoder: Any, *,
                    pool: TokenizerPool | None = None, defer_keyword: bool = False,
                    show_progress: bool = False) -> None:
        """Index (add or replace) ``search_documents_by_ids``-shaped records."""
        if not records:
            return
        ids = [r["id"] for r in records]
        texts = [document_text(r) for r in records]
        vectors = encoder.encode(texts, show_progress=show_progress)
        tokens = (pool.cut(texts) if pool is not None
                  else self.keyword.tokenize(texts, show_progress=False))
        with self.lock.write():
            self.vector.add(ids, vectors)
            self.keyword.add_tokens(ids, tokens, rebuild=False if defer_keyword else None)
            self.catalog.upsert([catalog_record(r) for r in records])
            self.catalog.consolidate()

    # -- incremental updates -------------------------------------------------------------------
    def update_patents(self, store: GraphStore, ids: Sequence[str], encoder: Any, *,
                       batch: int = 1000, show_progress: bool = False) -> dict[str, int]:
        """Re-read ``ids`` from the graph and (re)index them; ids no longer in the graph are
        removed. Call :meth:`save` afterwards to persist."""
        self.check_encoder(encoder)
        updated = removed = 0
        ids = list(dict.fromkeys(ids))
        for s in range(0, len(ids), batch):
            chunk = ids[s:s + batch]
            rows = documents_by_ids(store, chunk)
            found = {r["id"] for r in rows}
            self.add_records(rows, encoder, show_progress=show_progress)
            updated += len(rows)
            gone = [i for i in chunk if i not in found]
            if gone:
                removed += self.remove_patents(gone)
        return {"updated": updated, "removed": removed}

    def remove_patents(self, ids: Sequence[str]) -> int:
        """Remove patents from all three components; returns how many were indexed."""
        with self.lock.write():
            n = self.vector.delete(ids)
            k = self.keyword.delete(ids)
            c = self.catalog.delete(ids)
            self.catalog.consolidate()
        return max(n, k, c)

    def check_encoder(self, encoder: Any) -> None:
        if (encoder.fingerprint != self.vector.encoder_fingerprint
                or int(encoder.dim) != self.vector.dim):
            raise EncoderMismatch(
                f"the search index was built with encoder {self.vector.encoder_name!r} "
                f"(fingerprint {self.vector.encoder_fingerprint}) but the current encoder is "
                f"{encoder.name!r} (fingerprint {encoder.fingerprint}); rebuild the index with "
                "`patentnav index build`"
            )

    # -- info -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.catalog)

    def describe(self) -> dict[str, Any]:
        """Counts and settings of the components (for ``patentnav index stats`` and /ready)."""
        return {
            "count": len(self.catalog),
            "vector": {"kind": self.vector.kind, "count": len(self.vector),
                       "dim": self.vector.dim, "nlist": self.vector.nlist,
                       "nprobe": self.vector.nprobe, "needs_compact": self.vector.needs_compact,
                       "encoder": self.vector.encoder_name,
                       "fingerprint": self.vector.encoder_fingerprint},
            "keyword": {"library": "bm25s", "count": len(self.keyword),
                        "vocabulary": len(self.keyword.vocab),
                        "delta": self.keyword.delta_size, "stale": self.keyword.stale_count,
                        "user_words": len(self.keyword.tokenizer.user_words)},
            "catalog": {"count": len(self.catalog), "rows": self.catalog.n_rows,
                        "navigation_columns": self.catalog.has_nav},
            "ids": len(self.ids),
            "created": self.created,
            "path": str(self.path) if self.path else None,
        }

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: Path | None = None, *, show_progress: bool = False) -> Path:
        """Compact the vector index if needed, then write the bundle atomically."""
        path = Path(path or self.path or "")
        if not str(path):
            raise IndexError_("no path to save the index bundle to")
        with self.lock.write():
            self.vector.compact()
            tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir(parents=True)
            self.vector.save(tmp / "vector")
            self.keyword.save(tmp / "keyword", show_progress=show_progress)
            self.catalog.save(tmp / "catalog")
            info = {"format_version": FORMAT_VERSION, "saved": time.time(), **self.describe()}
            info["path"] = str(path)
            (tmp / BUNDLE_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False),
                                           encoding="utf-8")
            old = path.with_name(f"{path.name}.old-{os.getpid()}")
            if path.exists():
                path.rename(old)
            tmp.rename(path)
            if old.exists():
                shutil.rmtree(old)
            self.path = path
        return path

    @classmethod
    def load(cls, settings: Settings | Path | str, encoder: Any = None) -> IndexBundle:
        """Open a saved bundle from ``settings.index_path`` (or a folder). With ``encoder``
        the vector index refuses another encoder's fingerprint (:class:`EncoderMismatch`);
        without it the check happens in :meth:`embeddings.hybrid.HybridSearcher.from_bundle`."""
        if isinstance(settings, (str, Path)):
            path, cfg = Path(settings), None
        else:
            path, cfg = settings.index_path, settings
        info_file = path / BUNDLE_FILE
        if not info_file.exists():
            raise IndexNotBuilt(f"no search index at {path}; run `patentnav index build`")
        info = json.loads(info_file.read_text(encoding="utf-8"))
        if info.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"index bundle at {path} has format {info.get('format_version')}, "
                              f"expected {FORMAT_VERSION}; rebuild it")
        if encoder is None:
            meta = VectorIndex.read_meta(path / "vector")["encoder"]
            encoder = _RecordedEncoder(meta["name"], meta["fingerprint"], int(meta["dim"]))
        vector = VectorIndex.load(path / "vector", encoder, settings=cfg)
        ids = vector.ids
        keyword = KeywordIndex.load(path / "keyword", ids)
        catalog = Catalog.load(path / "catalog", ids)
        return cls(ids=ids, vector=vector, keyword=keyword, catalog=catalog, path=path,
                   created=float(info.get("created") or time.time()))


@dataclass(frozen=True)
class _RecordedEncoder:
    """Identity of the encoder recorded in a saved index (used when loading without one)."""

    name: str
    fingerprint: str
    dim: int


def build_indexes(store: GraphStore, encoder: Any, settings: Settings, *,
                  progress: bool = True, page_size: int = PAGE_SIZE,
                  workers: int | None = None, save: bool = True) -> IndexBundle:
    """Build all three indexes from every patent in the graph and save them to
    ``settings.index_path`` (unless ``save=False``)."""
    t0 = time.perf_counter()
    bundle = IndexBundle.empty(encoder, settings)
    total = store.count_nodes().get("Patent", 0)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="index patents", unit="patent")
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    n_workers = workers if workers is not None else settings.index_workers
    timings = {"encode": 0.0, "jieba": 0.0, "catalog": 0.0, "read": 0.0}
    with TokenizerPool(bundle.keyword.tokenizer, n_workers) as pool:
        t = time.perf_counter()
        for rows in iter_documents(store, page_size=page_size):
            timings["read"] += time.perf_counter() - t
            texts = [document_text(r) for r in rows]
            t = time.perf_counter()
            vectors.append(encoder.encode(texts))
            timings["encode"] += time.perf_counter() - t
            t = time.perf_counter()
            bundle.keyword.add_tokens([r["id"] for r in rows], pool.cut(texts), rebuild=False)
            timings["jieba"] += time.perf_counter() - t
            t = time.perf_counter()
            bundle.catalog.upsert([catalog_record(r) for r in rows])
            timings["catalog"] += time.perf_counter() - t
            ids.extend(r["id"] for r in rows)
            if bar is not None:
                bar.update(len(rows))
            t = time.perf_counter()
    if bar is not None:
        bar.close()
    t = time.perf_counter()
    bundle.vector.build(ids, np.vstack(vectors) if vectors else
                        np.zeros((0, encoder.dim), dtype=np.float32))
    timings["faiss"] = time.perf_counter() - t
    del vectors
    t = time.perf_counter()
    bundle.keyword.rebuild(show_progress=progress)
    timings["bm25"] = time.perf_counter() - t
    if save:
        t = time.perf_counter()
        bundle.save(settings.index_path)
        timings["save"] = time.perf_counter() - t
    log.info("indexed %d patents in %.1fs (%s)", len(ids), time.perf_counter() - t0,
             ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    bundle.build_timings = timings  # type: ignore[attr-defined]
    return bundle


def build_catalog(store: GraphStore, *, progress: bool = False, page_size: int = 10_000) -> Catalog:
    """Only the catalog (filters, facets, navigation columns) of every patent in the graph --
    no vectors, no keyword index. Used by the navigation benchmark; ``build_indexes``
    builds it together with the other two."""
    catalog = Catalog(IdMap())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=store.count_nodes().get("Patent", 0), desc="catalog", unit="patent")
    for rows in iter_documents(store, page_size=page_size):
        catalog.upsert([catalog_record(r) for r in rows])
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    catalog.consolidate()
    return catalog


def records_from_files(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Minimal records (id, title, abstract) from the real CCF jsonl / lxingy3 csv files --
    used by tests and demos when no graph has been loaded."""
    for p in paths:
        if p.suffix == ".jsonl":
            with p.open(encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    yield {"id": r["id"], "title": r.get("title"), "abstract": r.get("abstract")}
        elif p.suffix == ".csv":
            with p.open(encoding="utf-8-sig") as fh:
                for r in csv.DictReader(fh):
                    subs = [s for s in (r.get("ipc_subclasses") or "").split("|") if s]
                    yield {"id": r["publication_number"], "title": r.get("title"),
                           "ipc_subclasses": subs}
