"""Where landscape aggregations are computed: the graph (named queries) or the catalog.

A landscape (:mod:`analytics.navigation`) needs the same dozen aggregations over a set of
patents -- kind x status x region profile, trend, regions, top holders, holder kinds,
IPC subclasses and main groups, top inventors, most-cited patents -- and the topic's
patent set itself (IPC / SEI / chain scopes and filters). Two engines compute them and
return **the same rows**:

``GraphFacets``
    the named queries ``nav_*`` on the graph store (both backends; the reference
    implementation; always current).
``IndexFacets``
    numpy over the search index's columnar :class:`~embeddings.catalog.Catalog` (the
    same per-patent attributes, read from the graph by ``search_documents_by_ids`` when the
    index is built or updated), plus small named queries for the labels of the top rows
    (organisation, inventor and patent cards, IPC titles). Over 50,000 patents of a
    1,000,000-patent graph an aggregation takes milliseconds instead of a graph scan
    per section.

The engine is chosen by ``Settings.nav_engine``: ``auto`` (default) uses the catalog when
a search index with navigation columns is loaded, ``graph`` always queries the graph,
``index`` requires the catalog. ``IndexFacets`` declines (and the graph answers) when a
patent of the set is not in the index -- e.g. patents ingested through the CLI after the
last ``patentnav index build``. Like the search facets, catalog figures are as fresh as the
index: the API's ingest jobs update it; after a CLI ingest run ``patentnav index build``
(or set ``PATENTNAV_NAV_ENGINE=graph``). ``tests/test_facets.py`` checks that both engines
give identical rows on the real demo data.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.models import Filters
from graph.base import GraphStore
from patentnav.errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from embeddings.catalog import Catalog
    from embeddings.hybrid import HybridSearcher

ENGINES = ("auto", "graph", "index")
_REGION_CLASSES = ("unknown", "cq", "other")


# -- small helpers shared by the navigation modules --------------------------------------
def as_int(value: Any) -> int:
    if value is None:
        return 0
    return int(value)


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (as_int(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def ids_params(store: GraphStore, name: str, ids: Sequence[str]) -> dict[str, Any]:
    """The id-list parameter of the store's variant of query ``name``
    (:meth:`queries.registry.NamedQuery.id_list_params`)."""
    return store.query(name).id_list_params(ids)


class Timer:
    """Milliseconds spent per named step (reported in ``meta.timings_ms``)."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.ms[label] = round(self.ms.get(label, 0.0) + (time.perf_counter() - t0) * 1000, 1)


# -- the interface -----------------------------------------------------------------------------
class Selection(ABC):
    """The aggregations of one patent set; every method returns the rows of the named
    query of the same name (see ``queries/common/nav_*.cypher`` for their shapes)."""

    @abstractmethod
    def profile(self, cq_prefix: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def holder_kinds(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    def trend(self, cq_prefix: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def regions(self, cq_prefix: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def holders(self, limit: int) -> list[dict[str, Any]]: ...

    @abstractmethod
    def ipc_subclasses(self, limit: int) -> list[dict[str, Any]]: ...

    @abstractmethod
    def ipc_groups(self, limit: int) -> list[dict[str, Any]]: ...

    @abstractmethod
    def inventors(self, limit: int) -> list[dict[str, Any]]: ...

    @abstractmethod
    def top_cited(self, limit: int) -> list[dict[str, Any]]: ...


class FacetEngine(ABC):
    """Resolves topic scopes and filters to patent ids and opens selections."""

    name: str

    @abstractmethod
    def scope(self, *, ipc: Sequence[str] = (), sei: str | None = None,
              chain: str | None = None, chain_node: str | None = None,
              ids: Sequence[str] | None = None, timer: Timer) -> list[str] | None:
        """Sorted ids of the patents in every given scope (they intersect); None when this
        engine cannot answer (the caller asks the graph)."""

    @abstractmethod
    def apply_filters(self, ids: Sequence[str], filters: Any, timer: Timer) -> list[str] | None:
        """``ids`` (order kept) that pass ``filters`` (a ``NavFilters``); None = cannot."""

    @abstractmethod
    def select(self, ids: Sequence[str], timer: Timer) -> Selection | None:
        """The aggregations over ``ids``; None when this engine cannot answer."""

    # -- organisation-level aggregations (competitor ranking) ---------------------------------
    @abstractmethod
    def org_mix(self, org_ids: Sequence[str], level: str, timer: Timer) -> dict[str, dict[str, int]]:
        """Per organisation, patents per IPC subclass (``level="subclass"``) or main group
        (``"main_group"``) of the patents it applied for (rows of ``nav_org_ipc_mix`` /
        ``nav_org_ipc_group_mix``)."""

    @abstractmethod
    def competitor_candidates(self, subclasses: Sequence[str], exclude: Sequence[str],
                              limit: int, timer: Timer) -> dict[str, int]:
        """The ``limit`` organisations (not in ``exclude``) with most patents carrying any of
        ``subclasses``, most first, ties by id (``nav_competitor_candidates``)."""

    @abstractmethod
    def org_patent_ids(self, org_ids: Sequence[str], timer: Timer) -> dict[str, list[str]]:
        """Sorted ids of the patents each organisation applied for (``nav_org_patent_ids``)."""

    @abstractmethod
    def org_cards(self, org_ids: Sequence[str], timer: Timer) -> dict[str, dict[str, Any]]:
        """Organisations with their patent counts (rows of ``nav_orgs_info`` by id)."""


# -- graph: the named queries --------------------------------------------------------------------
class GraphFacets(FacetEngine):
    name = "graph"

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def scope(self, *, ipc: Sequence[str] = (), sei: str | None = None,
              chain: str | None = None, chain_node: str | None = None,
              ids: Sequence[str] | None = None, timer: Timer) -> list[str] | None:
        run = self.store.run
        sets: list[list[str]] = []
        if ipc:
            sets.append(timer.run("nav_scope_ipc", lambda: self._ipc_ids(ipc)))
        if sei:
            sets.append(sorted(r["id"] for r in timer.run(
                "nav_scope_sei", lambda: run("nav_scope_sei", sei=sei))))
        if chain or chain_node:
            sets.append(sorted(r["id"] for r in timer.run("nav_scope_chain", lambda: run(
                "nav_scope_chain", chain_id=chain or "", node_id=chain_node or ""))))
        if ids is not None:
            sets.append(list(ids))
        return intersect(sets)

    def _ipc_ids(self, prefixes: Sequence[str]) -> list[str]:
        """Patents under any of the prefixes: a plain subclass takes the fast query."""
        found: set[str] = set()
        for sub in (p for p in prefixes if len(p) == 4):
            found.update(r["id"] for r in self.store.run("nav_scope_ipc_subclass", subclass=sub))
        other = [p for p in prefixes if len(p) != 4]
        if other:
            found.update(r["id"] for r in self.store.run("nav_scope_ipc", prefixes=other))
        return sorted(found)

    def apply_filters(self, ids: Sequence[str], filters: Any, timer: Timer) -> list[str]:
        kept = {r["id"] for r in timer.run("nav_filter", lambda: self.store.run(
            "nav_filter", **ids_params(self.store, "nav_filter", ids), **filters.params()))}
        return [i for i in ids if i in kept]

    def select(self, ids: Sequence[str], timer: Timer) -> Selection:
        return _GraphSelection(self.store, list(ids), timer)

    def org_mix(self, org_ids: Sequence[str], level: str, timer: Timer) -> dict[str, dict[str, int]]:
        query = "nav_org_ipc_mix" if level == "subclass" else "nav_org_ipc_group_mix"
        out: dict[str, dict[str, int]] = {}
        for r in timer.run(query, lambda: self.store.run(query, org_ids=list(org_ids))):
            out.setdefault(r["org_id"], {})[r["code"]] = int(r["patents"])
        return out

    def competitor_candidates(self, subclasses: Sequence[str], exclude: Sequence[str],
                              limit: int, timer: Timer) -> dict[str, int]:
        rows = timer.run("nav_competitor_candidates", lambda: self.store.run(
            "nav_competitor_candidates", subclasses=list(subclasses), exclude=list(exclude),
            limit=limit))
        return {r["id"]: int(r["patents"]) for r in rows}

    def org_patent_ids(self, org_ids: Sequence[str], timer: Timer) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in timer.run("nav_org_patent_ids",
                           lambda: self.store.run("nav_org_patent_ids", org_ids=list(org_ids))):
            out.setdefault(r["org_id"], []).append(r["id"])
        for v in out.values():
            v.sort()
        return out

    def org_cards(self, org_ids: Sequence[str], timer: Timer) -> dict[str, dict[str, Any]]:
        if not org_ids:
            return {}
        rows = timer.run("nav_orgs_info", lambda: self.store.run("nav_orgs_info", org_ids=list(org_ids)))
        return {r["id"]: plain_row(r) for r in rows}


class _GraphSelection(Selection):
    def __init__(self, store: GraphStore, ids: list[str], timer: Timer) -> None:
        self.store, self.ids, self.timer = store, ids, timer

    def _run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        p = {**ids_params(self.store, name, self.ids), **params}
        return [plain_row(r) for r in self.timer.run(name, lambda: self.store.run(name, **p))]

    def profile(self, cq_prefix: str) -> list[dict[str, Any]]:
        return self._run("nav_profile", cq_prefix=cq_prefix)

    def holder_kinds(self) -> list[dict[str, Any]]:
        return self._run("nav_holder_kinds")

    def trend(self, cq_prefix: str) -> list[dict[str, Any]]:
        return self._run("nav_trend", cq_prefix=cq_prefix)

    def regions(self, cq_prefix: str) -> list[dict[str, Any]]:
        return self._run("nav_regions", cq_prefix=cq_prefix)

    def holders(self, limit: int) -> list[dict[str, Any]]:
        return self._run("nav_holders", limit=limit)

    def ipc_subclasses(self, limit: int) -> list[dict[str, Any]]:
        return self._run("nav_ipc_subclasses", limit=limit)

    def ipc_groups(self, limit: int) -> list[dict[str, Any]]:
        return self._run("nav_ipc_groups", limit=limit)

    def inventors(self, limit: int) -> list[dict[str, Any]]:
        return self._run("nav_inventors", limit=limit)

    def top_cited(self, limit: int) -> list[dict[str, Any]]:
        return self._run("nav_top_cited", limit=limit)


def intersect(sets: Sequence[Sequence[str]]) -> list[str]:
    """The first list, restricted to ids present in every other one (order kept)."""
    ids = list(sets[0]) if sets else []
    for other in sets[1:]:
        keep = set(other)
        ids = [i for i in ids if i in keep]
    return ids


# -- index: numpy over the catalog ---------------------------------------------------------------
class IndexFacets(FacetEngine):
    """Aggregations over the search index's catalog (labels of the top rows from the graph)."""

    name = "index"

    def __init__(self, catalog: Catalog, store: GraphStore, lock: Any = None) -> None:
        from embeddings.ids import ReadWriteLock

        if not catalog.has_nav:
            raise InvalidInput("this catalog has no navigation columns (format 1); rebuild the index")
        self.catalog = catalog
        self.lock = lock or ReadWriteLock()
        self.store = store
        self._luts: dict[tuple[str, int, str], Any] = {}

    @staticmethod
    def usable(searcher: HybridSearcher | None) -> bool:
        return searcher is not None and bool(getattr(searcher.catalog, "has_nav", False))

    def _lookup(self, ids: Sequence[str]) -> np.ndarray | None:
        """Catalog rows of ``ids`` in their order; None if any id is not indexed (live)."""
        cat = self.catalog
        rows = cat.ids.lookup(list(ids))
        if len(rows) and (rows.min() < 0 or rows.max() >= cat.n_rows or not cat.live[rows].all()):
            return None
        return rows

    def _rows(self, ids: Sequence[str]) -> np.ndarray | None:
        """Catalog rows of ``ids``, sorted and unique; None if any id is not indexed."""
        rows = self._lookup(ids)
        return None if rows is None else np.unique(rows)

    def _mask_of(self, rows: np.ndarray) -> np.ndarray:
        m = np.zeros(self.catalog.n_rows, dtype=bool)
        m[rows] = True
        return m

    def scope(self, *, ipc: Sequence[str] = (), sei: str | None = None,
              chain: str | None = None, chain_node: str | None = None,
              ids: Sequence[str] | None = None, timer: Timer) -> list[str] | None:
        cat = self.catalog
        with self.lock.read():
            # the search filters mean the same as the scope queries (IPC prefixes, an SEI
            # category with the ones below it); a chain and a chain node are a union there
            mask = timer.run("index_scope", lambda: cat.mask(Filters(
                ipc=tuple(ipc), sei=(sei,) if sei else ())))
            if chain or chain_node:
                part = np.zeros_like(mask)
                if chain:
                    part |= cat.mask(Filters(chain=(chain,)))
                if chain_node:
                    part |= cat.mask(Filters(chain_node=(chain_node,)))
                mask &= part
            if ids is not None:
                rows = self._rows(ids)
                if rows is None:
                    return None
                mask &= self._mask_of(rows)
            return sorted(cat.ids.to_str(np.flatnonzero(mask)))

    def apply_filters(self, ids: Sequence[str], filters: Any, timer: Timer) -> list[str] | None:
        cat = self.catalog
        with self.lock.read():
            rows = self._lookup(ids)
            if rows is None:
                return None
            mask = timer.run("index_filter", lambda: cat.mask(filters.to_search_filters()))
            return [i for i, r in zip(ids, rows) if mask[r]]

    def select(self, ids: Sequence[str], timer: Timer) -> Selection | None:
        with self.lock.read():
            self.catalog.consolidate()
            rows = self._rows(ids)
        if rows is None:
            return None
        return _IndexSelection(self, rows, timer)

    def _org_rows(self, org_id: str) -> np.ndarray:
        col = self.catalog.multi["holder"]
        vid = col.vocab.index.get(org_id)
        if vid is None:
            return np.zeros(0, dtype=np.int64)
        rows, vptr = col.inverted()
        out = rows[vptr[vid]:vptr[vid + 1]]
        return np.unique(out[self.catalog.live[out]])

    def org_mix(self, org_ids: Sequence[str], level: str, timer: Timer) -> dict[str, dict[str, int]]:
        def run() -> dict[str, dict[str, int]]:
            out: dict[str, dict[str, int]] = {}
            for oid in dict.fromkeys(org_ids):
                rows = self._org_rows(oid)
                if not len(rows):
                    continue
                counts, names = _IndexSelection(self, rows, Timer()).code_counts(level)
                mix = {names[i]: int(counts[i]) for i in np.flatnonzero(counts)}
                if mix:
                    out[oid] = mix
            return out

        with self.lock.read():
            self.catalog.consolidate()
            return timer.run(f"index_org_mix_{level}", run)

    def competitor_candidates(self, subclasses: Sequence[str], exclude: Sequence[str],
                              limit: int, timer: Timer) -> dict[str, int]:
        def run() -> dict[str, int]:
            cat = self.catalog
            n = cat.n_rows
            mask = cat.mask(Filters(ipc=tuple(subclasses)))
            sel = np.flatnonzero(mask)
            holders = cat.multi["holder"]
            counts = holders.counts(mask, sel, len(sel), cat.live[:n]).copy()
            for oid in exclude:
                vid = holders.vocab.index.get(oid)
                if vid is not None:
                    counts[vid] = 0
            return dict(ranked(counts, holders.vocab.values, limit))

        with self.lock.read():
            self.catalog.consolidate()
            return timer.run("index_competitor_candidates", run)

    def org_cards(self, org_ids: Sequence[str], timer: Timer) -> dict[str, dict[str, Any]]:
        if not org_ids:
            return {}
        rows = timer.run("nav_org_cards", lambda: self.store.run("nav_org_cards", org_ids=list(org_ids)))
        with self.lock.read():
            self.catalog.consolidate()
            return {r["id"]: {**plain_row(r), "patents": len(self._org_rows(r["id"]))} for r in rows}

    def org_patent_ids(self, org_ids: Sequence[str], timer: Timer) -> dict[str, list[str]]:
        with self.lock.read():
            self.catalog.consolidate()
            return timer.run("index_org_patent_ids", lambda: {
                oid: sorted(self.catalog.ids.to_str(rows))
                for oid in dict.fromkeys(org_ids) if len(rows := self._org_rows(oid))})

    # lookup tables over the patent-region vocabulary (cached per vocabulary size)
    def region_lut(self, cq_prefix: str, what: str) -> np.ndarray | list[str]:
        voc = self.catalog.region_vocab.values
        key = (what, len(voc), cq_prefix)
        lut = self._luts.get(key)
        if lut is None:
            if what == "class":  # 0 unknown, 1 cq, 2 other; index -1 (no region) = unknown
                lut = np.array([1 if v.startswith(cq_prefix) else 2 for v in voc] + [0], dtype=np.int64)
            else:  # the nav_regions key: district inside the home province, else province
                lut = [v if v.startswith(cq_prefix) else v[:2] + "0000" for v in voc]
            self._luts[key] = lut
        return lut

    def group_lut(self) -> tuple[np.ndarray, list[str]]:
        """(IPC code vocabulary id -> main-group id, the main groups): ``H01M4/36`` ->
        ``H01M4/00``, -1 for codes without a group (cached per vocabulary size)."""
        voc = self.catalog.multi["ipc"].vocab.values
        key = ("group", len(voc), "")
        cached = self._luts.get(key)
        if cached is None:
            names: dict[str, int] = {}
            lut = np.array([names.setdefault(v.split("/", 1)[0] + "/00", len(names)) if "/" in v else -1
                            for v in voc] + [-1], dtype=np.int64)
            cached = self._luts[key] = (lut, list(names))
        return cached


class _IndexSelection(Selection):
    def __init__(self, engine: IndexFacets, rows: np.ndarray, timer: Timer) -> None:
        self.engine, self.cat, self.rows, self.timer = engine, engine.catalog, rows, timer
        self.n = len(rows)
        self._mask: np.ndarray | None = None

    def _timed(self, label: str, fn: Callable[[], Any]) -> Any:
        with self.engine.lock.read():
            return self.timer.run(f"index_{label}", fn)

    def mask(self) -> np.ndarray:
        if self._mask is None:
            self._mask = self.engine._mask_of(self.rows)
        return self._mask

    def _counts(self, field: str) -> np.ndarray:
        col = self.cat.multi[field]
        return col.counts(self.mask(), self.rows, self.n, self.cat.live[: self.cat.n_rows])

    def _cards(self, query: str, param: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        if not keys:
            return {}
        rows = self.timer.run(query, lambda: self.engine.store.run(query, **{param: keys}))
        return {r["id"]: plain_row(r) for r in rows}

    def _region_class(self, cq_prefix: str) -> np.ndarray:
        lut = self.engine.region_lut(cq_prefix, "class")
        return lut[self.cat.patent_region[self.rows]]  # type: ignore[index]

    # -- sections -----------------------------------------------------------------------------
    def profile(self, cq_prefix: str) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            from embeddings.catalog import HAS_ABSTRACT, HAS_IPC, HAS_IPC_GROUP

            cat, rows = self.cat, self.rows
            kind = cat.codes["kind"][rows].astype(np.int64)
            status = cat.codes["status"][rows].astype(np.int64)
            flags = cat.nav_flags[rows].astype(np.int64)
            cited = cat.cited[rows].astype(np.int64)
            bits = np.zeros(len(rows), dtype=np.int64)
            for bit, present in enumerate((cat.app_year[rows] > 0, (flags & HAS_IPC) > 0,
                                           (flags & HAS_IPC_GROUP) > 0, (flags & HAS_ABSTRACT) > 0,
                                           cited >= 0)):
                bits |= present.astype(np.int64) << bit
            n_status = len(cat.code_vocab["status"]) + 1
            key = ((kind + 1) * n_status + status + 1) * 3 + self._region_class(cq_prefix)
            key = key * 32 + bits
            uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
            sums = np.bincount(inv, weights=np.maximum(cited, 0), minlength=len(uniq))
            kinds, statuses = cat.code_vocab["kind"].values, cat.code_vocab["status"].values
            out = []
            for k, c, s in zip(uniq.tolist(), counts.tolist(), sums.tolist()):
                b, rest = k % 32, k // 32
                rc, rest = rest % 3, rest // 3
                st, kd = rest % n_status - 1, rest // n_status - 1
                out.append({
                    "kind": kinds[kd] if kd >= 0 else "unknown",
                    "status": statuses[st] if st >= 0 else "unknown",
                    "region_class": _REGION_CLASSES[rc], "has_year": bool(b & 1),
                    "has_ipc": bool(b & 2), "has_ipc_group": bool(b & 4),
                    "has_abstract": bool(b & 8), "has_cited": bool(b & 16),
                    "patents": int(c), "cited": int(round(s)),
                })
            return out

        return self._timed("profile", run)

    def holder_kinds(self) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            from embeddings.catalog import HOLDER_KIND_UNKNOWN

            col = self.cat.multi["holder_kind"]
            counts = self._counts("holder_kind")
            out = [{"kind": col.vocab.values[i], "has_applicant": True, "patents": int(counts[i])}
                   for i in np.flatnonzero(counts)]
            unknown = int(((self.cat.nav_flags[self.rows] & HOLDER_KIND_UNKNOWN) > 0).sum())
            if unknown:
                out.append({"kind": None, "has_applicant": True, "patents": unknown})
            holders = self.cat.multi["holder"]
            none = int((np.diff(holders.indptr)[self.rows] == 0).sum())
            if none:
                out.append({"kind": None, "has_applicant": False, "patents": none})
            return out

        return self._timed("holder_kinds", run)

    def trend(self, cq_prefix: str) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            ay = self.cat.app_year[self.rows].astype(np.int64)
            gy = self.cat.grant_year[self.rows].astype(np.int64)
            key = (ay * 10_000 + gy) * 3 + self._region_class(cq_prefix)
            uniq, counts = np.unique(key, return_counts=True)
            out = []
            for k, c in zip(uniq.tolist(), counts.tolist()):
                rc, years = k % 3, k // 3
                a, g = years // 10_000, years % 10_000
                out.append({"app_year": a or None, "grant_year": g or None,
                            "region_class": _REGION_CLASSES[rc], "patents": int(c)})
            return out

        return self._timed("trend", run)

    def regions(self, cq_prefix: str) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            codes = self.cat.patent_region[self.rows]
            counts = np.bincount(codes[codes >= 0], minlength=len(self.cat.region_vocab))
            keys = self.engine.region_lut(cq_prefix, "key")
            merged: dict[str, int] = {}
            for i in np.flatnonzero(counts).tolist():
                merged[keys[i]] = merged.get(keys[i], 0) + int(counts[i])  # type: ignore[index]
            unknown = int((codes < 0).sum())
            if unknown:
                merged[""] = unknown
            return [{"region": k, "patents": v} for k, v in merged.items()]

        return self._timed("regions", run)

    def _top(self, field: str, limit: int) -> list[tuple[str, int]]:
        return ranked(self._counts(field), self.cat.multi[field].vocab.values, limit)

    def holders(self, limit: int) -> list[dict[str, Any]]:
        top = self._timed("holders", lambda: self._top("holder", limit))
        cards = self._cards("nav_org_cards", "org_ids", [k for k, _ in top])
        return [{"id": k, "name": cards.get(k, {}).get("name"), "kind": cards.get(k, {}).get("kind"),
                 "is_chongqing": cards.get(k, {}).get("is_chongqing"),
                 "region_code": cards.get(k, {}).get("region_code"), "patents": c}
                for k, c in top]

    def _with_titles(self, top: list[tuple[str, int]]) -> list[dict[str, Any]]:
        codes = [k for k, _ in top]
        titles = {}
        if codes:
            titles = {r["code"]: r for r in self.timer.run(
                "nav_ipc_titles", lambda: self.engine.store.run("nav_ipc_titles", codes=codes))}
        return [{"code": k, "title": titles.get(k, {}).get("title"),
                 "title_zh": titles.get(k, {}).get("title_zh"), "patents": c} for k, c in top]

    def code_counts(self, level: str) -> tuple[np.ndarray, Sequence[str]]:
        """(patents of the selection per IPC code, the codes): subclasses for
        ``level="subclass"``, else main groups (a patent counts once per group)."""
        if level == "subclass":
            return self._counts("ipc_subclass"), self.cat.multi["ipc_subclass"].vocab.values
        from embeddings.catalog import _gather_index

        col = self.cat.multi["ipc"]
        lut, names = self.engine.group_lut()
        lens = np.diff(col.indptr)[self.rows]
        groups = lut[col.values[_gather_index(col.indptr[self.rows], lens)]]
        pos = np.repeat(np.arange(self.n, dtype=np.int64), lens)
        keep = groups >= 0
        pairs = np.unique(pos[keep] * (len(names) + 1) + groups[keep])
        return np.bincount(pairs % (len(names) + 1), minlength=len(names)), names

    def ipc_subclasses(self, limit: int) -> list[dict[str, Any]]:
        return self._with_titles(self._timed(
            "ipc_subclasses", lambda: ranked(*self.code_counts("subclass"), limit)))

    def ipc_groups(self, limit: int) -> list[dict[str, Any]]:
        return self._with_titles(self._timed(
            "ipc_groups", lambda: ranked(*self.code_counts("main_group"), limit)))

    def inventors(self, limit: int) -> list[dict[str, Any]]:
        top = self._timed("inventors", lambda: self._top("inventor", limit))
        cards = self._cards("nav_inventor_cards", "inventor_ids", [k for k, _ in top])
        return [{"id": k, "name": cards.get(k, {}).get("name"),
                 "org_id": cards.get(k, {}).get("org_id"), "patents": c} for k, c in top]

    def top_cited(self, limit: int) -> list[dict[str, Any]]:
        def run() -> list[str]:
            cited = self.cat.cited[self.rows]
            pos = np.flatnonzero(cited > 0)
            if len(pos) > limit:
                kth = np.partition(cited[pos], len(pos) - limit)[len(pos) - limit]
                pos = pos[cited[pos] >= kth]
            ids = self.cat.ids.to_str(self.rows[pos])
            ranked = sorted(zip((-cited[pos]).tolist(), ids))[:limit]
            return [i for _, i in ranked]

        ids = self._timed("top_cited", run)
        cards = self._cards("nav_patent_cards", "ids", ids)
        return [{k: cards[i].get(k) for k in ("id", "pub_no", "title", "app_year", "kind", "cited_count")}
                for i in ids if i in cards]


def ranked(counts: np.ndarray, labels: Sequence[Any], limit: int) -> list[tuple[str, int]]:
    """The ``limit`` labels with the highest non-zero counts, ties by label (the order of
    the named queries' ``ORDER BY patents DESC, id``)."""
    from embeddings.catalog import _top

    return [(str(v), c) for v, c in _top(counts, labels, limit)]


def choose_engine(engine: str, store: GraphStore, searcher: HybridSearcher | None) -> FacetEngine:
    """The facet engine for ``Settings.nav_engine`` (see the module doc)."""
    if engine not in ENGINES:
        raise InvalidInput(f"unknown navigation engine {engine!r}; known: {', '.join(ENGINES)}")
    if engine == "graph" or (engine == "auto" and not IndexFacets.usable(searcher)):
        return GraphFacets(store)
    if not IndexFacets.usable(searcher):
        from patentnav.errors import IndexNotBuilt

        raise IndexNotBuilt("nav_engine=index needs a search index with navigation columns; "
                            "run `patentnav index build`")
    assert searcher is not None
    return IndexFacets(searcher.catalog, store, searcher.lock)
