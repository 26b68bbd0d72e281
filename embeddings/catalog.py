"""Columnar in-memory table of per-patent filter and facet attributes (numpy).

Rows are the int ids of the shared :class:`~embeddings.ids.IdMap`, so a filter gives a
boolean mask the vector and keyword indexes take directly. Single-valued attributes are
plain arrays; multi-valued ones (IPC codes, applicants' kinds and regions, SEI codes, chain
nodes...) are CSR tables (``indptr`` by row + value ids into a per-field vocabulary), with a
lazily built inverted view (rows by value) so a filter touches only the matching rows and a
facet over a small result set touches only its rows.

Record keys understood by :meth:`Catalog.upsert` (as returned by the
``search_documents_by_ids`` named query): ``id``, ``app_year``, ``grant_year``, ``app_date``
(``datetime.date`` or ISO string), ``kind``, ``status``, ``ipc_codes``, ``ipc_subclasses``,
``hv``, ``open_licence``, ``holder_kinds``, ``region_codes``, ``sei_codes``,
``chain_ids``, ``chain_node_ids``. Missing keys / ``None`` mean unknown.

Navigation columns (format 2): ``holder_ids`` and ``inventor_ids`` (graph ids of the
applicants and inventors, multi-valued), ``patent_region`` (the patent's own region code),
``cited_count`` and the flags ``has_abstract``, ``has_ipc`` (the patent carries IPC
subclasses), ``has_ipc_group`` (its main IPC code goes down to a group) and
``holder_kind_unknown`` (an applicant whose kind is not known). They let
:mod:`analytics.facets` compute landscape aggregations over a selection of rows without
a graph round trip. A format-1 catalog loads without them (``has_nav`` is False).
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path

import numpy as np

from embeddings.ids import IdMap
from embeddings.models import FACET_FIELDS, FacetValue, Filters
from patentnav.errors import IndexError_, IndexNotBuilt, InvalidInput

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
_EPOCH = date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).min

#: multi-valued fields: name -> how its values are derived from a record
MULTI_FIELDS = (
    "ipc", "ipc_subclass", "ipc_class", "ipc_section", "holder_kind", "region", "province",
    "sei", "chain", "chain_node", "holder", "inventor",
)
#: bits of ``Catalog.nav_flags``
HAS_ABSTRACT, HAS_IPC, HAS_IPC_GROUP, HOLDER_KIND_UNKNOWN = 1, 2, 4, 8
#: single-valued categorical fields
CODE_FIELDS = ("kind", "status")


def _days(value: object) -> int:
    if value is None or value == "":
        return NO_DATE
    if hasattr(value, "to_native"):  # neo4j.time.Date / DateTime
        value = value.to_native()
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return (value - _EPOCH).days
    if isinstance(value, str):
        try:
            return (date.fromisoformat(value[:10]) - _EPOCH).days
        except ValueError:
            return NO_DATE
    raise IndexError_(f"app_date must be a date or ISO string, not {value!r}")


def _tri(value: object) -> int:
    if value is None:
        return -1
    return 1 if bool(value) else 0


def _strs(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [v if type(v) is str else str(v) for v in value if v]  # type: ignore[union-attr]


@cache
def _norm_ipc(code: str) -> str:
    return code.replace(" ", "").upper()


@cache
def _province(code: str) -> str | None:
    return code[:2] + "0000" if len(code) == 6 and code.isdigit() else None


def _uniq(values: list[str]) -> list[str]:
    return values if len(values) < 2 else list(dict.fromkeys(values))


def record_values(rec: Mapping) -> tuple[list[str], ...]:
    """The multi-valued fields of one record in :data:`MULTI_FIELDS` order, derived fields
    (IPC subclass/class/section from the codes, province from the regions) included,
    de-duplicated."""
    codes = _uniq([_norm_ipc(c) for c in _strs(rec.get("ipc_codes"))])
    subs = [_norm_ipc(c)[:4] for c in _strs(rec.get("ipc_subclasses"))]
    subs = _uniq(subs + [c[:4] for c in codes if len(c) >= 4])
    regions = _uniq(_strs(rec.get("region_codes")))
    provinces = _uniq([p for p in map(_province, regions) if p])
    return (
        codes, subs, _uniq([x[:3] for x in subs]), _uniq([x[:1] for x in subs]),
        _uniq(_strs(rec.get("holder_kinds"))), regions, provinces,
        _uniq(_strs(rec.get("sei_codes"))), _uniq(_strs(rec.get("chain_ids"))),
        _uniq(_strs(rec.get("chain_node_ids"))), _uniq(_strs(rec.get("holder_ids"))),
        _uniq(_strs(rec.get("inventor_ids"))),
    )


def nav_flags(rec: Mapping) -> int:
    """The :data:`HAS_ABSTRACT` ... bits of one record."""
    return ((HAS_ABSTRACT if rec.get("has_abstract") else 0)
            | (HAS_IPC if rec.get("has_ipc") else 0)
            | (HAS_IPC_GROUP if rec.get("has_ipc_group") else 0)
            | (HOLDER_KIND_UNKNOWN if rec.get("holder_kind_unknown") else 0))


class _Vocab:
    """Append-only value vocabulary with a lazily sorted view for prefix ranges."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}
        self._sorted: tuple[list[str], np.ndarray] | None = None
        for v in values:
            self.id(v)

    def __len__(self) -> int:
        return len(self.values)

    def id(self, value: str) -> int:
        i = self.index.get(value)
        if i is None:
            i = self.index[value] = len(self.values)
            self.values.append(value)
            self._sorted = None
        return i

    def ids_exact(self, values: Iterable[str]) -> list[int]:
        return [self.index[v] for v in values if v in self.index]

    def ids_range(self, lo: str, hi: str) -> np.ndarray:
        """Ids of the values v with lo <= v < hi."""
        if self._sorted is None:
            order = np.array(sorted(range(len(self.values)), key=self.values.__getitem__),
                             dtype=np.int64)
            self._sorted = ([self.values[i] for i in order], order)
        keys, order = self._sorted
        return order[bisect.bisect_left(keys, lo):bisect.bisect_left(keys, hi)]


class _Multi:
    """A CSR multi-valued column with pending (batched) row replacements."""

    def __init__(self) -> None:
        self.vocab = _Vocab()
        self.indptr = np.zeros(1, dtype=np.int64)
        self.values = np.zeros(0, dtype=np.int32)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._inverted: tuple[np.ndarray, np.ndarray] | None = None
        self._row_of: np.ndarray | None = None
        self._all_counts: np.ndarray | None = None
        self._split: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def set_rows(self, rows: np.ndarray, lists: Sequence[Sequence[str]]) -> None:
        lens = np.array([len(v) for v in lists], dtype=np.int64)
        index, vid = self.vocab.index, self.vocab.id
        vals = np.array([index[x] if x in index else vid(x) for v in lists for x in v],
                        dtype=np.int32)
        self._pending.append((np.asarray(rows, dtype=np.int64), lens, vals))
        self._invalidate()

    def consolidate(self, n_rows: int) -> None:
        if not self._pending and len(self.indptr) == n_rows + 1:
            return
        old_n = len(self.indptr) - 1
        lens = np.zeros(n_rows, dtype=np.int64)
        lens[:old_n] = np.diff(self.indptr)[:n_rows]
        src = np.full(n_rows, -1, dtype=np.int64)  # -1 = committed CSR, else batch index
        src_off = np.zeros(n_rows, dtype=np.int64)
        src_off[:old_n] = self.indptr[:-1][:n_rows]
        for b, (rows, blens, _vals) in enumerate(self._pending):
            starts = np.zeros(len(rows), dtype=np.int64)
            np.cumsum(blens[:-1], out=starts[1:])
            lens[rows] = blens
            src[rows] = b
            src_off[rows] = starts
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(lens, out=indptr[1:])
        values = np.empty(int(indptr[-1]), dtype=np.int32)
        for b in range(-1, len(self._pending)):
            rows = np.flatnonzero(src == b)
            if not len(rows):
                continue
            source = self.values if b < 0 else self._pending[b][2]
            idx_src = _gather_index(src_off[rows], lens[rows])
            idx_dst = _gather_index(indptr[rows], lens[rows])
            values[idx_dst] = source[idx_src]
        self.indptr, self.values = indptr, values
        self._pending = []
        self._invalidate()

    def clear_rows(self, rows: np.ndarray) -> None:
        self._pending.append((np.asarray(rows, dtype=np.int64),
                              np.zeros(len(rows), dtype=np.int64), np.zeros(0, dtype=np.int32)))
        self._invalidate()

    def _invalidate(self) -> None:
        self._inverted = None
        self._row_of = None
        self._all_counts = None
        self._split = None

    def inverted(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows ordered by value, value pointer) -- rows holding value v are
        ``rows[vptr[v]:vptr[v+1]]``."""
        if self._inverted is None:
            row_of = self.row_of()
            order = np.argsort(self.values, kind="stable")
            vptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.values, minlength=len(self.vocab)), out=vptr[1:])
            self._inverted = (row_of[order], vptr)
        return self._inverted

    def row_of(self) -> np.ndarray:
        """Row of every stored value (int32, aligned with ``values``)."""
        if self._row_of is None or len(self._row_of) != len(self.values):
            n_rows = len(self.indptr) - 1
            self._row_of = np.repeat(np.arange(n_rows, dtype=np.int32), np.diff(self.indptr))
        return self._row_of

    def rows_with(self, value_ids: Iterable[int], n_rows: int) -> np.ndarray:
        rows, vptr = self.inverted()
        out = np.zeros(n_rows, dtype=bool)
        ids = np.unique(np.asarray(list(value_ids), dtype=np.int64))
        if len(ids) <= 64:  # a few values: one slice each, no index arrays
            for v in ids:
                out[rows[vptr[v]:vptr[v + 1]]] = True
        else:
            out[rows[_gather_index(vptr[ids], vptr[ids + 1] - vptr[ids])]] = True
        return out

    def split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first value per row or -1, rows of the other values, the other values): most
        rows hold one value, so counting goes through a plain array gather."""
        if self._split is None:
            lens = np.diff(self.indptr)
            first = np.full(len(lens), -1, dtype=np.int32)
            has = lens > 0
            first[has] = self.values[self.indptr[:-1][has]]
            rest = np.ones(len(self.values), dtype=bool)
            rest[self.indptr[:-1][has]] = False
            self._split = (first, self.row_of()[rest], self.values[rest])
        return self._split

    def counts(self, mask: np.ndarray, sel: np.ndarray | None, n_selected: int,
               live: np.ndarray) -> np.ndarray:
        """Count of selected rows per value id (each row counts once per value); ``sel``
        = ``flatnonzero(mask)`` when the caller has it."""
        V = len(self.vocab)
        if n_selected * 8 < len(mask):  # small selection: walk its rows only
            if sel is None:
                sel = np.flatnonzero(mask)
            vals = self.values[_gather_index(self.indptr[sel], np.diff(self.indptr)[sel])]
            return np.bincount(vals, minlength=V)
        if n_selected == int(live.sum()):  # everything live: counts are cached
            if self._all_counts is None:
                self._all_counts = np.bincount(self.values[live[self.row_of()]], minlength=V)
            return self._all_counts
        first, rest_rows, rest_vals = self.split()
        f = first[sel] if sel is not None else first[mask]
        counts = np.bincount(f[f >= 0], minlength=V)
        if len(rest_rows):
            counts += np.bincount(rest_vals[mask[rest_rows]], minlength=V)
        return counts


def _gather_index(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each (s, l), vectorised."""
    lens = np.asarray(lens, dtype=np.int64)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lens)
    offs = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - lens), lens)
    return np.arange(total, dtype=np.int64) + offs


class Catalog:
    """Filter/facet attributes of every indexed patent, one row per int id."""

    def __init__(self, ids: IdMap | None = None) -> None:
        self.ids = ids if ids is not None else IdMap()
        self._n = 0
        self.live = np.zeros(0, dtype=bool)
        self.app_year = np.zeros(0, dtype=np.int16)
        self.grant_year = np.zeros(0, dtype=np.int16)
        self.app_date = np.zeros(0, dtype=np.int32)
        self.hv = np.zeros(0, dtype=np.int8)
        self.open_licence = np.zeros(0, dtype=np.int8)
        self.codes = {name: np.zeros(0, dtype=np.int16) for name in CODE_FIELDS}
        self.code_vocab = {name: _Vocab() for name in CODE_FIELDS}
        self.multi = {name: _Multi() for name in MULTI_FIELDS}
        self.patent_region = np.zeros(0, dtype=np.int32)
        self.region_vocab = _Vocab()
        self.cited = np.zeros(0, dtype=np.int32)
        self.nav_flags = np.zeros(0, dtype=np.uint8)
        #: the navigation columns are filled (False for a format-1 catalog)
        self.has_nav = True
        self.created = time.time()

    def __len__(self) -> int:
        return int(self.live[: self._n].sum())

    @property
    def n_rows(self) -> int:
        return self._n

    # -- writes -------------------------------------------------------------------------------
    def _grow(self, n: int) -> None:
        if n <= len(self.live):
            self._n = max(self._n, n)
            return
        cap = max(n, int(len(self.live) * 1.5) + 16)

        def grow(a: np.ndarray, fill) -> np.ndarray:
            out = np.full(cap, fill, dtype=a.dtype)
            out[: len(a)] = a
            return out

        self.live = grow(self.live, False)
        self.app_year = grow(self.app_year, 0)
        self.grant_year = grow(self.grant_year, 0)
        self.app_date = grow(self.app_date, NO_DATE)
        self.hv = grow(self.hv, -1)
        self.open_licence = grow(self.open_licence, -1)
        for name in CODE_FIELDS:
            self.codes[name] = grow(self.codes[name], -1)
        self.patent_region = grow(self.patent_region, -1)
        self.cited = grow(self.cited, -1)
        self.nav_flags = grow(self.nav_flags, 0)
        self._n = n

    def upsert(self, records: Sequence[Mapping]) -> None:
        """Add or replace the attributes of patents (records keyed by ``id``)."""
        if not records:
            return
        rows = self.ids.assign([r["id"] for r in records])
        self._grow(len(self.ids))
        self.live[rows] = True
        self.app_year[rows] = [int(r.get("app_year") or 0) for r in records]
        self.grant_year[rows] = [int(r.get("grant_year") or 0) for r in records]
        self.app_date[rows] = [_days(r.get("app_date")) for r in records]
        self.hv[rows] = [_tri(r.get("hv")) for r in records]
        self.open_licence[rows] = [_tri(r.get("open_licence")) for r in records]
        for name in CODE_FIELDS:
            voc = self.code_vocab[name]
            self.codes[name][rows] = [voc.id(r.get(name) or "unknown") for r in records]
        region = self.region_vocab.id
        self.patent_region[rows] = [region(r["patent_region"]) if r.get("patent_region") else -1
                                    for r in records]
        self.cited[rows] = [-1 if r.get("cited_count") is None else int(r["cited_count"])
                            for r in records]
        self.nav_flags[rows] = [nav_flags(r) for r in records]
        derived = [record_values(r) for r in records]
        for j, name in enumerate(MULTI_FIELDS):
            self.multi[name].set_rows(rows, [d[j] for d in derived])

    def delete(self, ids: Sequence[str]) -> int:
        rows = self.ids.lookup(list(ids))
        rows = rows[(rows >= 0) & (rows < self._n)]
        rows = rows[self.live[rows]]
        self.live[rows] = False
        for m in self.multi.values():
            m.clear_rows(rows)
        return len(rows)

    def consolidate(self) -> None:
        """Apply pending multi-valued updates (done lazily by reads; writers call it so
        concurrent readers never have to)."""
        self._grow(len(self.ids))
        for m in self.multi.values():
            m.consolidate(self._n)

    # -- filters ---------------------------------------------------------------------------------
    def mask(self, filters: Filters | None = None) -> np.ndarray:
        """Boolean mask over int ids (length ``len(ids)``) of live patents passing ``filters``."""
        self.consolidate()
        n = self._n
        m = self.live[:n].copy()
        if filters is None or filters.is_empty:
            return m
        f = filters
        if f.app_date_from is not None:
            m &= self.app_date[:n] >= _days(f.app_date_from)
        if f.app_date_to is not None:
            m &= (self.app_date[:n] <= _days(f.app_date_to)) & (self.app_date[:n] != NO_DATE)
        for lo, hi, col in ((f.app_year_from, f.app_year_to, self.app_year),
                            (f.grant_year_from, f.grant_year_to, self.grant_year)):
            if lo is not None:
                m &= col[:n] >= lo
            if hi is not None:
                m &= (col[:n] <= hi) & (col[:n] > 0)
        for name, wanted in (("kind", f.kind), ("status", f.status)):
            if wanted:
                lut = np.zeros(len(self.code_vocab[name]) + 1, dtype=bool)  # last = -1
                lut[self.code_vocab[name].ids_exact(wanted)] = True
                m &= lut[self.codes[name][:n]]
        for flag, col in ((f.high_value, self.hv), (f.open_licence, self.open_licence)):
            if flag is not None:
                m &= col[:n] == (1 if flag else 0)
        if f.ipc:
            m &= self._ipc_mask(f.ipc)
        if f.region:
            m &= self._region_mask(f.region)
        if f.sei:
            voc = self.multi["sei"].vocab
            ids = np.concatenate([voc.ids_range(c, c + "/") for c in f.sei])
            m &= self.multi["sei"].rows_with(ids, n)
        for name, wanted in (("holder_kind", f.holder_kind), ("chain", f.chain),
                             ("chain_node", f.chain_node)):
            if wanted:
                m &= self.multi[name].rows_with(self.multi[name].vocab.ids_exact(wanted), n)
        if f.patent_ids is not None:
            rows = self.ids.lookup(list(f.patent_ids))
            keep = np.zeros(n, dtype=bool)
            keep[rows[(rows >= 0) & (rows < n)]] = True
            m &= keep
        return m

    def _ipc_mask(self, prefixes: Sequence[str]) -> np.ndarray:
        n = self._n
        out = np.zeros(n, dtype=bool)
        for p in prefixes:
            p = _norm_ipc(p)
            if len(p) <= 4:
                field = {1: "ipc_section", 2: "ipc_class", 3: "ipc_class", 4: "ipc_subclass"}[
                    max(len(p), 1)]
                col = self.multi[field]
                ids = col.vocab.ids_range(p, p + "\uffff") if len(p) == 2 else \
                    np.asarray(col.vocab.ids_exact([p]), dtype=np.int64)
                out |= col.rows_with(ids, n)
            elif "/" in p:
                out |= self.multi["ipc"].rows_with(self.multi["ipc"].vocab.ids_range(p, p + "\uffff"), n)
            else:  # main group without a slash: H01M4 -> H01M4/...
                out |= self.multi["ipc"].rows_with(
                    self.multi["ipc"].vocab.ids_range(p + "/", p + "0"), n)
        return out

    def _region_mask(self, codes: Sequence[str]) -> np.ndarray:
        n = self._n
        out = np.zeros(n, dtype=bool)
        reg, prov = self.multi["region"], self.multi["province"]
        for c in codes:
            if not (len(c) == 6 and c.isdigit()):
                raise InvalidInput(f"region filter needs 6-digit administrative codes, not {c!r}")
            if c.endswith("0000"):
                out |= prov.rows_with(prov.vocab.ids_exact([c]), n)
            elif c.endswith("00"):
                out |= reg.rows_with(reg.vocab.ids_range(c[:4], c[:4] + "\uffff"), n)
            else:
                out |= reg.rows_with(reg.vocab.ids_exact([c]), n)
        return out

    # -- facets ------------------------------------------------------------------------------------
    def facets(self, mask: np.ndarray, names: Sequence[str], size: int = 10
               ) -> dict[str, list[tuple[FacetValue, int]]]:
        """Top ``size`` values of each facet over the rows selected by ``mask``."""
        self.consolidate()
        n = self._n
        m = np.zeros(n, dtype=bool)
        m[: min(n, len(mask))] = mask[:n]
        m &= self.live[:n]
        n_sel = int(m.sum())
        # an index gather beats a boolean one (which scans all n rows) below half selected
        sel = np.flatnonzero(m) if n_sel * 2 < n else None

        def pick(arr: np.ndarray) -> np.ndarray:
            return arr[sel] if sel is not None else arr[m]

        out: dict[str, list[tuple[FacetValue, int]]] = {}
        for name in names:
            if name not in FACET_FIELDS:
                raise InvalidInput(f"unknown facet {name!r}")
            if name in MULTI_FIELDS:
                col = self.multi[name]
                counts = col.counts(m, sel, n_sel, self.live[:n])
                labels: Sequence[FacetValue] = col.vocab.values
            elif name in CODE_FIELDS:
                codes = self.codes[name][:n]
                vals = pick(codes)
                counts = np.bincount(vals[vals >= 0], minlength=len(self.code_vocab[name]))
                labels = self.code_vocab[name].values
            elif name in ("app_year", "grant_year"):
                col = (self.app_year if name == "app_year" else self.grant_year)[:n]
                counts = np.bincount(pick(col))
                counts[:1] = 0  # 0 = unknown year
                labels = range(len(counts))
            else:  # tri-state flags
                col = (self.hv if name == "high_value" else self.open_licence)[:n]
                vals = pick(col).astype(np.int64) + 1
                counts = np.bincount(vals, minlength=3)
                labels = [None, False, True]
            out[name] = _top(counts, labels, size)
        return out

    def recent_order(self, mask: np.ndarray, limit: int) -> np.ndarray:
        """Int ids of the first ``limit`` selected rows, newest application first (then by id)."""
        self.consolidate()
        sel = np.flatnonzero(mask[: self._n] & self.live[: self._n])
        if not len(sel) or limit <= 0:
            return np.zeros(0, dtype=np.int64)
        key = -self.app_date[sel].astype(np.int64) * (1 << 32) + sel
        if limit < len(sel):
            part = np.argpartition(key, limit - 1)[:limit]
            sel, key = sel[part], key[part]
        return sel[np.argsort(key, kind="stable")].astype(np.int64)

    # -- persistence -------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        self.consolidate()
        path.mkdir(parents=True, exist_ok=True)
        n = self._n
        arrays = {
            "live": self.live[:n], "app_year": self.app_year[:n],
            "grant_year": self.grant_year[:n], "app_date": self.app_date[:n],
            "hv": self.hv[:n], "open_licence": self.open_licence[:n],
            "patent_region": self.patent_region[:n], "cited": self.cited[:n],
            "nav_flags": self.nav_flags[:n],
        }
        for name in CODE_FIELDS:
            arrays[f"code_{name}"] = self.codes[name][:n]
        for name, col in self.multi.items():
            arrays[f"{name}_indptr"] = col.indptr
            arrays[f"{name}_values"] = col.values
        np.savez(path / "catalog.npz", **arrays)
        vocabs = {
            "code": {name: v.values for name, v in self.code_vocab.items()},
            "multi": {name: c.vocab.values for name, c in self.multi.items()},
            "patent_region": self.region_vocab.values,
        }
        (path / "vocab.json").write_text(json.dumps(vocabs, ensure_ascii=False), encoding="utf-8")
        meta = {"format_version": FORMAT_VERSION, "rows": n, "count": len(self),
                "created": self.created, "saved": time.time()}
        (path / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, ids: IdMap) -> Catalog:
        meta_file = path / "meta.json"
        if not meta_file.exists():
            raise IndexNotBuilt(f"no catalog at {path}")
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format_version") not in READABLE_FORMATS:
            raise IndexError_(f"catalog at {path} has format {meta.get('format_version')}; rebuild")
        self = cls(ids)
        self.created = meta.get("created", self.created)
        vocabs = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        with np.load(path / "catalog.npz") as z:
            self.live = z["live"].copy()
            self._n = len(self.live)
            self.app_year, self.grant_year = z["app_year"].copy(), z["grant_year"].copy()
            self.app_date, self.hv = z["app_date"].copy(), z["hv"].copy()
            self.open_licence = z["open_licence"].copy()
            for name in CODE_FIELDS:
                self.codes[name] = z[f"code_{name}"].copy()
                self.code_vocab[name] = _Vocab(vocabs["code"][name])
            for name in MULTI_FIELDS:
                if f"{name}_indptr" not in z:  # a format-1 catalog: no navigation columns
                    continue
                col = self.multi[name]
                col.vocab = _Vocab(vocabs["multi"][name])
                col.indptr, col.values = z[f"{name}_indptr"].copy(), z[f"{name}_values"].copy()
            self.has_nav = "nav_flags" in z
            if self.has_nav:
                self.patent_region = z["patent_region"].copy()
                self.cited, self.nav_flags = z["cited"].copy(), z["nav_flags"].copy()
                self.region_vocab = _Vocab(vocabs["patent_region"])
            else:
                self.patent_region = np.full(self._n, -1, dtype=np.int32)
                self.cited = np.full(self._n, -1, dtype=np.int32)
                self.nav_flags = np.zeros(self._n, dtype=np.uint8)
        if self._n > len(ids):
            raise IndexError_(f"catalog at {path} has more rows than the id map")
        self._grow(len(ids))
        return self


def _top(counts: np.ndarray, labels: Sequence[FacetValue], size: int
         ) -> list[tuple[FacetValue, int]]:
    nz = np.flatnonzero(counts)
    if not len(nz):
        return []
    if len(nz) > size:
        # partial sort on count, then order the kept ones by (-count, label)
        kth = np.partition(counts[nz], len(nz) - size)[len(nz) - size]
        nz = nz[counts[nz] >= kth]
    items = sorted(((labels[i], int(counts[i])) for i in nz),
                   key=lambda t: (-t[1], "" if t[0] is None else str(t[0])))
    return items[:size]
