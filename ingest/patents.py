"""The patent loader: normalised rows -> graph rows, merged, written in batches.

An :class:`IngestSession` spans one ingest run (one or several files). It keeps the
identifiers of every patent already in the store or seen in this run, so that a
patent appearing again -- same application number, or a publication / grant number
of a known patent (CN115883397A and CN115883397B share the serial), or the same source
id -- is *merged*:

* scalar fields fill in (a stored / first-seen non-empty value is kept; ``unknown``
  counts as empty for ``status`` and ``kind``);
* lists are unioned (sources, IPC / CPC codes, family, applicants, holders, inventors,
  event dates);
* relationships are upserted, so nothing is duplicated on a second run.

Pipeline
--------
A file is read in chunks (``chunk_size`` rows) by :mod:`ingest.prepare`, which parses,
normalises and classifies each row on its own and hands back Arrow columns -- in a
worker processes for large files (``workers``; each prepares every n-th chunk), so
parsing overlaps the loader's work. Per chunk the loader then:

1. resolves every row's identifiers against the patents known so far (one dictionary
   look-up per number). A row naming no known patent is a **new patent**; its id is its
   own key and everything it writes is known from the row alone, so it stays in
   columns: its node, relationship and inventor rows are sliced out of the chunk with
   Arrow operations, and the store *inserts* them (``store.insert_nodes`` /
   ``store.insert_relationships``: no existence look-ups; the embedded store COPYs).
   Inserts are gathered over chunks and written every ``commit_rows`` new patents or
   ``commit_bytes`` of gathered Arrow data (COPY has a fixed cost per call, and a COPY
   into a table that already holds rows costs more, above all at the checkpoint: a
   file of up to 1M new patents is best inserted in one commit).
2. rows that repeat a patent (stored, written earlier in the run, or repeated in this
   chunk) become :class:`~ingest.records.PatentRecord` s and take the merge path: the
   stored state is fetched, merged, and *upserted*.
3. organisations are touched in row order (aliases, kind, region, address; a touch
   identical to an earlier one changes nothing and is skipped), then written with
   the chunk (upsert; few rows).

The store writes of a session run in order on one background thread for the embedded
store (a COPY releases the GIL), while the loader resolves the next chunk; any read of
the store waits for the pending writes first. From the first commit of at least
``bulk_min_patents`` new patents to :meth:`IngestSession.finish` the session runs
inside ``store.bulk_load()`` (the embedded store's automatic checkpoints are off then;
see :mod:`graph.embedded`). Citations are resolved at
:meth:`IngestSession.finish`, when every file of the run is known; so are the
organisations' ``LOCATED_IN`` edges (their most specific region).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.base import GraphStore, rows_from_columns
from ingest.chains import ChainCatalogue
from ingest.headers import map_headers
from ingest.normalize.ipc import IpcCode, split_ipc
from ingest.normalize.names import (
    APPLICANT_TYPE_KINDS,
    classify_holder,
    normalize_org_name,
)
from ingest.normalize.numbers import pub_base
from ingest.normalize.regions import RegionTable, is_chongqing, region_table
from ingest.prepare import (
    RECORD_COLUMNS,
    PreparedChunk,
    classify,
    cpc_subclass,
    ipc_code,
    patent_events,
    prepare_file,
    prepare_in_workers,
    subclass_code,
)
from ingest.readers import open_table
from ingest.records import PatentRecord
from ingest.report import FileSummary, RejectReport
from ingest.sei import SeiClassifier
from patentnav.errors import IngestError

log = logging.getLogger(__name__)

_SCALARS = (
    "app_no", "pub_no", "grant_no", "title", "abstract", "claim1", "app_date", "pub_date", "grant_date",
    "expiry_date", "legal_status_raw", "claim_count", "family_size", "cites_count", "cited_count",
    "transfer_count", "licence_count", "pledge_count", "open_licence", "ipc_main", "province_code", "address",
)
_LISTS = ("family_ids", "cpc_codes", "cites", "cited_by", "transfer_dates", "licence_dates", "pledge_dates",
          "applicants", "holders", "inventors", "applicant_types", "sources")
#: rows parsed and resolved per chunk
DEFAULT_CHUNK_ROWS = 50_000
#: new patents gathered before their nodes and relationships are inserted: a COPY into
#: an empty table is much cheaper, in the COPY and at the checkpoint, than one into a
#: table that holds rows (a second commit costs ~5 s of checkpoint at 1M patents)
DEFAULT_COMMIT_ROWS = 1_000_000
#: ... or before the gathered Arrow data reaches this size (bounds the memory a commit
#: holds: ~1 GB per 1M patents of the generated benchmark rows; real exports with long
#: abstracts and claims hold more)
DEFAULT_COMMIT_BYTES = 2 << 30
#: a commit of at least this many new patents starts the store's bulk-load mode
DEFAULT_BULK_MIN_PATENTS = 100_000
#: the inserted nodes
_NODE_INSERTS = ("Patent", "Inventor")
#: processes parsing a large file (each prepares every n-th chunk)
DEFAULT_WORKERS = 2
#: files smaller than this are parsed in the loading process (a worker costs ~1 s to start)
WORKER_MIN_BYTES = 8 << 20
#: bound on the set of organisation touches remembered to skip repeats
_MAX_TOUCHES = 2_000_000

_S = pa.string()
_LS = pa.list_(pa.string())
#: Patent node properties copied from a prepared chunk for a new patent (node name ->
#: chunk column); kind/status/list columns are derived in :func:`_patent_arrow`
_PATENT_COPY = {
    "id": "key", "app_no": "app_no", "pub_no": "pub_no", "grant_no": "grant_no", "title": "title",
    "abstract": "abstract", "claim1": "claim1", "app_date": "app_date", "pub_date": "pub_date",
    "grant_date": "grant_date", "expiry_date": "expiry_date", "app_year": "app_year",
    "grant_year": "grant_year", "legal_status_raw": "legal_status_raw", "claim_count": "claim_count",
    "family_size": "n_family_size", "overseas_family": "n_overseas_family", "cites_count": "n_cites_count",
    "cited_count": "n_cited_count", "transfer_count": "transfer_count", "licence_count": "licence_count",
    "pledge_count": "pledge_count", "open_licence": "open_licence", "ipc_main": "ipc_main",
    "province_code": "province_code",
}


def _union(a: list, b: Iterable) -> None:
    for x in b:
        if x not in a:
            a.append(x)


def merge_records(base: PatentRecord, new: PatentRecord) -> None:
    """Fill ``base`` in from ``new`` (see module doc)."""
    for name in _SCALARS:
        if getattr(base, name) is None:
            v = getattr(new, name)
            if v is not None:
                setattr(base, name, v)
    for name in ("status", "kind"):
        if getattr(base, name) in (None, "unknown") and getattr(new, name) not in (None, "unknown"):
            setattr(base, name, getattr(new, name))
    if base.source_id is None:
        base.source_id = new.source_id
    for name in _LISTS:
        _union(getattr(base, name), getattr(new, name))
    seen = {c.display for c in base.ipc}
    for c in new.ipc:
        if c.display not in seen:
            seen.add(c.display)
            base.ipc.append(c)


@dataclass
class OrgInfo:
    """What the session knows about one organisation (stored state + this run)."""

    id: str
    name: str
    aliases: set[str] = field(default_factory=set)
    kind: str | None = None
    region_code: str | None = None
    address: str | None = None
    stored: bool = False
    dirty: bool = True
    name_region_tried: bool = False

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "aliases": sorted(self.aliases) or None, "kind": self.kind,
            "region_code": self.region_code,
            "is_chongqing": is_chongqing(self.region_code) if self.region_code else None,
            "address": self.address,
        }


@dataclass
class _Existing:
    """The stored side of a patent being merged."""

    record: PatentRecord
    applicant_ids: list[str] = field(default_factory=list)
    owner_ids: list[str] = field(default_factory=list)
    inventors: list[tuple[str, str]] = field(default_factory=list)  # (inventor id, name)
    sources: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Resolved:
    """A record ready to be written."""

    pid: str
    rec: PatentRecord
    sources: list[str]
    applicant_ids: list[str]
    owner_ids: list[str]
    inventor_ids: list[str]
    region_code: str | None
    subclasses: list[str]
    sei: dict[str, str]
    chains: dict[str, tuple[float, str]]
    events: list[dict[str, Any]]


@dataclass
class _Chunk:
    """The prepared chunk being loaded and its new patents (id -> row)."""

    file: str
    tag: str
    rows: pa.Table
    touches: pa.Table
    occurrences: pa.Table
    fast: dict[str, int] = field(default_factory=dict)
    pycols: dict[str, list] | None = None
    singles: int = 0


class _Writer:
    """Runs a session's store writes in order, on one background thread or inline.

    Later writes are skipped once one failed; :meth:`drain` waits for all and raises the
    first error. ``seconds`` is the time spent in writes."""

    def __init__(self, background: bool) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="patentnav-ingest-write") if background else None
        self._futures: list[Future] = []
        self._failed = False
        self.seconds = 0.0

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._pool is None:
            self._run(fn, args)
        else:
            self._futures.append(self._pool.submit(self._run, fn, args))

    def _run(self, fn: Callable[..., Any], args: tuple) -> None:
        if self._failed:
            return
        t = time.perf_counter()
        try:
            fn(*args)
        except BaseException:
            self._failed = True
            raise
        finally:
            self.seconds += time.perf_counter() - t

    @property
    def busy(self) -> bool:
        return any(not f.done() for f in self._futures)

    def drain(self) -> None:
        futures, self._futures = self._futures, []
        error: BaseException | None = None
        for f in futures:
            exc = f.exception()
            if exc is not None and error is None:
                error = exc
        if error is not None:
            raise error

    def close(self) -> None:
        try:
            self.drain()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off while a file loads: the loader allocates millions
    of acyclic objects and keeps many alive, so the collector's passes cost ~15 % of
    the time and free nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class IngestSession:
    """State of one ingest run over a store (see module doc)."""

    def __init__(
        self,
        store: GraphStore,
        *,
        report: RejectReport,
        max_field_chars: int = 20_000,
        sei: SeiClassifier | None = None,
        chains: ChainCatalogue | None = None,
        known_universities: frozenset[str] = frozenset(),
        regions: RegionTable | None = None,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        commit_rows: int = DEFAULT_COMMIT_ROWS,
        commit_bytes: int = DEFAULT_COMMIT_BYTES,
        bulk_min_patents: int = DEFAULT_BULK_MIN_PATENTS,
        workers: int = DEFAULT_WORKERS,
        worker_min_bytes: int = WORKER_MIN_BYTES,
        background_writes: bool | None = None,
        progress: bool = True,
        today: date | None = None,
    ) -> None:
        """``workers``: processes that parse files of at least ``worker_min_bytes`` (0:
        parse in this process); ``commit_rows`` / ``commit_bytes``: new patents / bytes of
        their Arrow data gathered before they are inserted; ``bulk_min_patents``: a commit
        of this many new patents starts the store's bulk-load mode (kept until
        :meth:`finish`); ``background_writes``: run store writes on a background thread
        (default: for the embedded store)."""
        self.store = store
        self.report = report
        self.max_field_chars = max_field_chars
        self.sei = sei
        self.chains = chains
        self.known_universities = known_universities
        self.regions = regions or region_table()
        self.chunk_size = chunk_size
        self.commit_rows = commit_rows
        self.commit_bytes = commit_bytes
        self.bulk_min_patents = bulk_min_patents
        self.workers = workers
        self.worker_min_bytes = worker_min_bytes
        self.progress = progress
        self.today = today
        self.by_app: dict[str, str] = {}
        self.by_pub: dict[str, str] = {}
        self.app_of: dict[str, str] = {}
        self.known: set[str] = set()
        self.orgs: dict[str, OrgInfo] = {}
        self.ipc_seen: set[str] = set()
        self.inventors_seen: set[str] = set()
        self.pending_cites: list[tuple[str, str]] = []
        self.written: dict[str, int] = {}
        #: seconds per stage of the loading process (see :meth:`load_file`)
        self.timings: dict[str, float] = {}
        self._pending: dict[str, PatentRecord] = {}
        #: when each queued patent was (last) queued: the row number in its chunk; new
        #: patents are inserted in this order (the store keeps it: the first stored patent
        #: of a publication serial wins a later publication-only row)
        self._queued_at: dict[str, int] = {}
        self._row = 0
        self._new_in_chunk: set[str] = set()
        self._new_inventors: list[dict] = []
        self._new_affiliations: list[dict] = []
        self._new_ipc: list[dict] = []
        self._new_ipc_edges: list[dict] = []
        self._fetch: set[str] = set()
        self._chunk: _Chunk | None = None
        self._touched: set[tuple] = set()
        self._stored_orgs: set[str] | None = None
        #: inserts of new patents gathered over chunks: label / type -> Arrow tables
        self._gathered: dict[str, list[pa.Table]] = {}
        self._gathered_patents = 0
        self._gathered_bytes = 0
        if background_writes is None:
            background_writes = store.dialect == "embedded"
        self._writer = _Writer(background_writes)
        #: the store's bulk-load context, once entered
        self._bulk = ExitStack()
        self._bulk_on = False
        self._load_keys()

    # -- setup ------------------------------------------------------------------------------
    def _has_query(self, name: str) -> bool:
        return self.store.registry.has(name, self.store.dialect)

    def _load_keys(self) -> None:
        if self._has_query("ingest_patent_keys"):
            for r in self.store.run("ingest_patent_keys"):
                self._register(r["id"], r.get("app_no"), r.get("pub_no"), r.get("grant_no"))
        # stored inventors and organisations: a new one is inserted, a stored one is
        # fetched (organisations) or left as it is (an inventor's row follows from its id)
        if self._has_query("ingest_inventor_ids"):
            self.inventors_seen.update(r["id"] for r in self.store.run("ingest_inventor_ids"))
        if self._has_query("ingest_org_ids"):
            self._stored_orgs = {r["id"] for r in self.store.run("ingest_org_ids")}

    def _register(self, pid: str, app_no: str | None, pub_no: str | None, grant_no: str | None) -> None:
        self.known.add(pid)
        if app_no:
            self.by_app.setdefault(app_no, pid)
            self.app_of.setdefault(pid, app_no)
        for p in (pub_no, grant_no):
            if p:
                self.by_pub.setdefault(pub_base(p), pid)

    def _time(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - since
        return now

    # -- files -------------------------------------------------------------------------------
    def load_file(self, path: Path, *, source: str | None = None) -> FileSummary:
        """Read, normalise, merge and write one file; returns its summary.

        ``timings`` gathers the loading process's wall seconds per stage: ``parse`` (in
        this process, or waiting for the worker), ``resolve`` (identifiers, new rows vs
        merges), ``flush`` (merging, organisations, inventors, columns) and
        ``write wait`` (waiting for the store); the writes themselves are ``write``
        (background thread)."""
        path = Path(path)
        tag = source or path.stem
        summary = FileSummary(file=path.name, source=tag)
        t0 = time.perf_counter()
        try:
            table = open_table(path)
        except IngestError as exc:
            summary.error = str(exc)
            self.report.add(path.name, None, "", "", str(exc), "file")
            return summary
        summary.format, summary.encoding = table.format, table.encoding
        if not table.headers:
            summary.error = "empty file (no header row)"
            self.report.add(path.name, None, "", "", summary.error, "file")
            # still account for any rows (there are none without a header)
            return summary
        hmap = map_headers(table.headers)
        summary.unmapped_columns = hmap.unmapped
        missing = hmap.missing_required
        if missing:
            summary.error = (f"missing required columns: {'; '.join(missing)}; headers found: "
                             f"{', '.join(table.headers)}")
            self.report.add(path.name, None, "", "", summary.error, "file")
            # every row of an unusable file is rejected (so the file's rows are accounted for)
            for _line, rec in table.rows():
                summary.read += 1
                if rec is None:
                    summary.skipped += 1
                else:
                    summary.rejected += 1
            return summary
        del table
        kwargs = {"source_file": path.name, "source_tag": tag, "max_field_chars": self.max_field_chars,
                  "today": self.today, "sei": self.sei, "chains": self.chains, "regions": self.regions,
                  "chunk_rows": self.chunk_size}
        if self.workers > 0 and path.stat().st_size >= self.worker_min_bytes:
            chunks = prepare_in_workers(path, hmap, workers=self.workers, **kwargs)
        else:
            chunks = prepare_file(path, hmap, **kwargs)
        bar = _progress(self.progress, desc=path.name)
        report = self.report
        try:
            with _gc_paused():
                t = time.perf_counter()
                for chunk in chunks:
                    t = self._time("parse", t)
                    summary.read += chunk.read
                    summary.skipped += chunk.skipped
                    summary.rejected += chunk.rejected
                    summary.warnings += chunk.warnings
                    for line, column, value, reason, level in chunk.issues:
                        report.add(path.name, line, column, value, reason, level)
                    loaded, merged = self._add_chunk(chunk, path.name, tag)
                    summary.loaded += loaded
                    summary.merged += merged
                    t = self._time("resolve", t)
                    self.flush()
                    bar.update(chunk.read)
                    t = time.perf_counter()
        except BaseException:
            # the store must be quiet when the error reaches the caller (who may close it)
            self._abandon_writes()
            raise
        finally:
            bar.close()
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        summary.seconds = time.perf_counter() - t0
        if not summary.balanced:  # pragma: no cover - an accounting bug, never data
            raise IngestError(f"{path.name}: row accounting does not balance: {summary}")
        return summary

    def _add_chunk(self, prepared: PreparedChunk, file: str, tag: str) -> tuple[int, int]:
        """Resolve a chunk's rows: (new patents, merged rows)."""
        rows = prepared.rows
        chunk = self._chunk = _Chunk(file, tag, rows, prepared.touches, prepared.occurrences)
        n = rows.num_rows
        if not n:
            return 0, 0
        keys = rows["key"].to_pylist()
        apps = rows["app_no"].to_pylist()
        pubs = _pub_bases(rows["pub_no"]).to_pylist()
        grants = _pub_bases(rows["grant_no"]).to_pylist()
        sids = rows["source_id"].to_pylist()
        fast = chunk.fast
        known, by_app, by_pub, app_of = self.known, self.by_app, self.by_pub, self.app_of
        if self._all_new(keys, apps, pubs, grants):
            # the usual case, decided by set operations: what the loop below would do
            fast.update(zip(keys, range(n)))
            known.update(keys)
            by_app.update((a, k) for a, k in zip(apps, keys) if a)
            app_of.update((k, a) for a, k in zip(apps, keys) if a)
            by_pub.update((p, k) for p, k in zip(pubs, keys) if p)
            by_pub.update((g, k) for g, k in zip(grants, keys) if g)
            return n, 0
        loaded = merged = 0
        for i in range(n):
            # IngestSession._resolve_keys, inlined (publication numbers as their bases)
            a, p, g = apps[i], pubs[i], grants[i]
            pid = by_app.get(a) if a else None
            if pid is None:
                if p:
                    pid = by_pub.get(p)
                    if pid and a and app_of.get(pid, a) != a:
                        pid = None
                if pid is None and g:
                    pid = by_pub.get(g)
                    if pid and a and app_of.get(pid, a) != a:
                        pid = None
                if pid is None and sids[i] is not None and not (a or p or g):
                    sid_key = f"{tag}:{sids[i]}"
                    if sid_key in known:
                        pid = sid_key
            key = keys[i]
            if pid is None and key not in known:
                fast[key] = i
                known.add(key)
                if a:
                    by_app.setdefault(a, key)
                    app_of.setdefault(key, a)
                if p:
                    by_pub.setdefault(p, key)
                if g:
                    by_pub.setdefault(g, key)
                loaded += 1
                continue
            j = fast.pop(pid if pid is not None else key, None)
            if j is not None:
                # repeats a new patent of this chunk: both take the record (merge) path
                first = self._record(chunk, j)
                first.sources = [file]
                self._pending[first.key] = first
                self._queued_at[first.key] = j
                self._new_in_chunk.add(first.key)
            self._row = i
            if self.add(self._record(chunk, i)):
                loaded += 1
            else:
                merged += 1
        return loaded, merged

    def _all_new(self, keys: list[str], apps: list[str | None], pubs: list[str | None],
                 grants: list[str | None]) -> bool:
        """True when no row of a chunk names a known patent nor repeats another row's
        key, application number or publication serial (every row is then a new patent,
        keyed by its own key)."""
        if len(set(keys)) != len(keys) or not self.known.isdisjoint(keys):
            return False
        app_set = {a for a in apps if a}
        if len(app_set) != sum(1 for a in apps if a) or not app_set.isdisjoint(self.by_app):
            return False
        # a row's publication and grant share their serial; two rows must not
        serials: set[str] = set()
        count = 0
        for p, g in zip(pubs, grants):
            if p:
                serials.add(p)
                count += 1
            if g and g != p:
                serials.add(g)
                count += 1
        return len(serials) == count and serials.isdisjoint(self.by_pub)

    def _record(self, chunk: _Chunk, i: int) -> PatentRecord:
        """Row ``i`` of a chunk as a PatentRecord (for the merge path)."""
        if chunk.pycols is None:
            chunk.singles += 1
            if chunk.singles <= 64:
                values = chunk.rows.slice(i, 1).select(list(RECORD_COLUMNS)).to_pylist()[0]
                return _record_from_values(values, chunk.file, chunk.tag)
            chunk.pycols = {name: chunk.rows[name].to_pylist() for name in RECORD_COLUMNS}
        return _record_from_values({k: v[i] for k, v in chunk.pycols.items()}, chunk.file, chunk.tag)

    # -- merging -------------------------------------------------------------------------------
    def _resolve_keys(self, app_no: str | None, pub_no: str | None, grant_no: str | None,
                      source_id: str | None, source_tag: str) -> str | None:
        if app_no and app_no in self.by_app:
            return self.by_app[app_no]
        for p in (pub_no, grant_no):
            if p:
                pid = self.by_pub.get(pub_base(p))
                # same publication serial, unless the two rows name different applications
                if pid and not (app_no and self.app_of.get(pid, app_no) != app_no):
                    return pid
        if source_id is not None and not (app_no or pub_no or grant_no):
            key = f"{source_tag}:{source_id}"
            if key in self.known:
                return key
        return None

    def _resolve(self, rec: PatentRecord) -> str | None:
        return self._resolve_keys(rec.app_no, rec.pub_no, rec.grant_no, rec.source_id, rec.source_tag)

    def add(self, rec: PatentRecord) -> bool:
        """Queue a record; True if it is a new patent, False if it was merged."""
        rec.sources = [rec.source_file]
        pid = self._resolve(rec)
        if pid is None and rec.key not in self.known:
            pid = rec.key
            self._pending[pid] = rec
            self._queued_at[pid] = self._row
            self._new_in_chunk.add(pid)
            self._register(pid, rec.app_no, rec.pub_no, rec.grant_no)
            return True
        if pid is None:  # its own id is known although none of its numbers resolved
            pid = rec.key
        base = self._pending.get(pid)
        if base is None:
            self._pending[pid] = rec
            self._queued_at[pid] = self._row
            self._fetch.add(pid)
        else:
            merge_records(base, rec)
            # a patent first seen by publication number gets its application number as id
            # while it has not been written yet
            if (rec.app_no and pid in self._new_in_chunk and pid != rec.app_no
                    and rec.app_no not in self.by_app):
                self._pending[rec.app_no] = self._pending.pop(pid)
                self._queued_at[rec.app_no] = self._row
                self._new_in_chunk.discard(pid)
                self._new_in_chunk.add(rec.app_no)
                self.known.discard(pid)
                for p in (base.pub_no, base.grant_no):
                    if p and self.by_pub.get(pub_base(p)) == pid:
                        self.by_pub[pub_base(p)] = rec.app_no
                pid = rec.app_no
        base = self._pending[pid]
        self._register(pid, base.app_no, base.pub_no, base.grant_no)
        return False

    # -- flushing --------------------------------------------------------------------------------
    def _read(self) -> None:
        """Before reading the store: every gathered insert and pending write is done."""
        if self._gathered:
            self._commit()
        if self._writer.busy or self._writer._futures:
            t = time.perf_counter()
            self._writer.drain()
            self._time("write wait", t)

    def _fetch_existing(self, ids: list[str]) -> dict[str, _Existing]:
        out: dict[str, _Existing] = {}
        if not ids or not self._has_query("ingest_patents_by_ids"):
            return out
        self._read()
        for chunk in _chunks(ids, 5000):
            for r in self.store.run("ingest_patents_by_ids", ids=chunk):
                out[r["id"]] = _Existing(_record_from_store(r), sources=list(r.get("sources") or []))
            for r in sorted(self.store.run("ingest_applicants_by_ids", ids=chunk),
                            key=lambda r: (r["ord"] is None, r["ord"] or 0)):
                if r["id"] in out:
                    _union(out[r["id"]].applicant_ids, [r["org_id"]])
            for r in self.store.run("ingest_owners_by_ids", ids=chunk):
                if r["id"] in out:
                    _union(out[r["id"]].owner_ids, [r["org_id"]])
            for r in sorted(self.store.run("ingest_inventors_by_ids", ids=chunk),
                            key=lambda r: (r["ord"] is None, r["ord"] or 0)):
                if r["id"] in out:
                    out[r["id"]].inventors.append((r["inventor_id"], r["name"]))
        return out

    def _ensure_orgs(self, ids: Iterable[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i and i not in self.orgs]
        if not missing:
            return
        stored: dict[str, dict] = {}
        lookup = missing if self._stored_orgs is None else [i for i in missing if i in self._stored_orgs]
        if lookup and self._has_query("ingest_orgs_by_ids"):
            self._read()
            for chunk in _chunks(lookup, 5000):
                for r in self.store.run("ingest_orgs_by_ids", ids=chunk):
                    stored[r["id"]] = r
        for oid in missing:
            r = stored.get(oid)
            if r is not None:
                self.orgs[oid] = OrgInfo(oid, r.get("name") or oid, set(r.get("aliases") or ()), r.get("kind"),
                                         r.get("region_code"), r.get("address"), stored=True, dirty=False)
            else:
                self.orgs[oid] = OrgInfo(oid, oid)

    def _touch_org(self, oid: str, raw: str, *, kind_hint: str | None, region: str | None,
                   address: str | None) -> None:
        o = self.orgs[oid]
        if raw not in o.aliases:
            o.aliases.add(raw)
            o.dirty = True
        if o.kind is None:
            kind = classify_holder(oid, self.known_universities)
            if kind == "other" and kind_hint:
                kind = kind_hint
            o.kind = kind
            o.dirty = True
        if region is None:
            if o.region_code is not None or o.name_region_tried:
                return
            o.name_region_tried = True
            region = self.regions.match_address(oid)
        if region and region != o.region_code:
            cur = o.region_code
            # more specific wins: none < province < district inside it
            if cur is None or (cur.endswith("0000") and not region.endswith("0000") and region[:2] == cur[:2]):
                o.region_code = region
                o.dirty = True
        if address and not o.address:
            o.address = address
            o.dirty = True

    def flush(self) -> None:
        """Resolve and write the current chunk: the merge-path records (stored state
        fetched, merged, upserted) and the new patents (columns, gathered for insertion),
        in the order they were queued."""
        chunk, self._chunk = self._chunk, None
        fast = chunk.fast if chunk is not None else {}
        if not self._pending and not fast:
            return
        t0 = time.perf_counter()
        pending, fetch, queued_at = self._pending, self._fetch, self._queued_at
        existing = self._fetch_existing([pid for pid in pending if pid in fetch])
        self._pending, self._fetch, self._new_in_chunk, self._queued_at = {}, set(), set(), {}

        names: list[str] = []
        for rec in pending.values():
            names.extend(rec.applicants)
            names.extend(rec.holders)
        canon = {raw: normalize_org_name(raw) for raw in dict.fromkeys(names)}
        org_ids = list(canon.values())
        new_rows = None
        if fast:
            if len(fast) == chunk.rows.num_rows:  # every row is a new patent, in order
                new_rows = chunk.rows
            else:
                new_rows = chunk.rows.take(pa.array(list(fast.values()), pa.int64()))
            for name in ("applicant_ids", "owner_ids"):
                org_ids.extend(pc.unique(pc.list_flatten(new_rows[name])).to_pylist())
        self._ensure_orgs(org_ids)

        # records of the merge path are resolved in turn with the new rows, in the order
        # they were queued (organisations are touched in row order); those whose patent
        # is not stored yet (repeated inside this chunk) are inserted like the new rows
        fresh: list[_Resolved] = []
        merged: list[_Resolved] = []
        queue = sorted(pending, key=queued_at.__getitem__)
        at = 0

        def resolve_queued(before: int | None) -> None:
            nonlocal at
            while at < len(queue) and (before is None or queued_at[queue[at]] < before):
                pid = queue[at]
                if pid in fetch:
                    merged.append(self._resolve_record(pid, pending[pid], existing.get(pid), canon))
                else:
                    fresh.append(self._resolve_record(pid, pending[pid], None, canon))
                at += 1

        fast_cols = (self._resolve_new(chunk, new_rows, resolve_queued if queue else None)
                     if new_rows is not None else None)
        resolve_queued(None)

        inventors, affiliations = self._new_inventors, self._new_affiliations
        ipc_nodes, ipc_edges = self._new_ipc, self._new_ipc_edges
        self._new_inventors, self._new_affiliations, self._new_ipc, self._new_ipc_edges = [], [], [], []
        org_rows = [o.row() for o in self.orgs.values() if o.dirty]
        for o in self.orgs.values():
            o.dirty = False

        w = self._writer.submit
        gather = self._gather
        # nodes that are upserted (few rows) go first
        w(self._write_nodes, "Organization", org_rows)
        w(self._write_nodes, "IPC", ipc_nodes)
        events = _event_columns(fresh + merged)
        if fast_cols is not None:
            events = {k: events[k] + fast_cols["events"][k] for k in events}
        w(self._write_nodes, "Event", list(rows_from_columns(events)))
        w(self._write_rels, "SUBCLASS_OF", ipc_edges)
        # new patents, inventors and their relationships are gathered and inserted at a commit
        gather("Patent", _in_queue_order(fast_cols["patents"] if fast_cols is not None else None,
                                         list(fast.values()), fresh, [queued_at[r.pid] for r in fresh]))
        if fast_cols is not None:
            gather("Inventor", fast_cols["inventors"])
            gather("AFFILIATED_WITH", fast_cols["affiliations"])
            for rel_type, table in fast_cols["rels"].items():
                gather(rel_type, table)
        if fresh:
            for rel_type, cols in _rel_columns(fresh).items():
                gather(rel_type, cols)
        if inventors:
            gather("Inventor", {k: [r[k] for r in inventors] for k in ("id", "name", "org_id")})
        if affiliations:
            gather("AFFILIATED_WITH", {k: [r[k] for r in affiliations] for k in ("src", "dst")})
        self._gathered_patents += len(fast) + len(fresh)
        if merged:
            # a merged patent's edges may name an inventor gathered above: commit first
            self._commit()
            w(self._write_nodes, "Patent", list(rows_from_columns(_patent_columns(merged))))
            for rel_type, cols in _rel_columns(merged).items():
                w(self._write_rels, rel_type, list(rows_from_columns(cols)))
        elif self._gathered_patents >= self.commit_rows or self._gathered_bytes >= self.commit_bytes:
            self._commit()
        self._time("flush", t0)
        log.info("flushed %d new patents and %d merged (%d from the merge path new) in %.1fs "
                 "(%d known patents)", len(fast) + len(fresh), len(merged), len(fresh),
                 time.perf_counter() - t0, len(self.known))

    def _resolve_new(self, chunk: _Chunk, t: pa.Table, resolve_queued: Callable[[int | None], None] | None
                     ) -> dict[str, Any]:
        """Node and relationship columns of a chunk's new patents (rows ``t``): their
        organisations are touched in row order (``resolve_queued(row)`` first resolves
        the merge-path records queued before that row; None: there are none), new
        inventors and IPC codes found."""
        # organisations: touches of these rows, in order; the region of a patent without
        # an address region is its first organisation's, as it stands after the touches
        touches = chunk.touches
        t_vals = list(zip(*(touches[c].to_pylist() for c in ("oid", "raw", "hint", "region", "address"))))
        touched = self._touched
        if len(touched) > _MAX_TOUCHES:
            touched.clear()
        done = bytearray(tv in touched for tv in t_vals)
        t_row = chunk.occurrences["row"].to_pylist()
        t_ref = chunk.occurrences["touch"].to_pylist()
        rows = list(chunk.fast.values())
        addr_region = t["addr_region"].to_pylist()
        first_org = t["first_org"].to_pylist()
        region_codes: list[str | None] = []
        touch = self._touch_org
        orgs = self.orgs
        ti, n_t = 0, len(t_row)
        for k, r in enumerate(rows):
            if resolve_queued is not None:
                resolve_queued(r)
            while ti < n_t and t_row[ti] < r:
                ti += 1
            while ti < n_t and t_row[ti] == r:
                ref = t_ref[ti]
                if not done[ref]:
                    done[ref] = 1
                    tv = t_vals[ref]
                    touched.add(tv)
                    touch(tv[0], tv[1], kind_hint=tv[2], region=tv[3], address=tv[4])
                ti += 1
            reg = addr_region[k]
            if reg is None:
                o = orgs.get(first_org[k])
                reg = o.region_code if o is not None else None
            region_codes.append(reg)

        # inventors (id: name|first organisation) not stored nor seen in this run
        inventors_col = _list_array(t["inventors"])
        inv_names = pc.list_flatten(inventors_col)
        inv_ids = pc.binary_join_element_wise(inv_names, _parent_values(t["first_org"], inventors_col), "|")
        uniq = pc.unique(inv_ids).to_pylist()
        seen = self.inventors_seen
        new_ids = [i for i in uniq if i not in seen]
        inventors = affiliations = None
        if new_ids:
            seen.update(new_ids)
            new_arr = pa.array(new_ids, _S)
            names = inv_names.take(pc.index_in(new_arr, value_set=inv_ids))
            org_ids = [i.rsplit("|", 1)[1] if "|" in i else "" for i in new_ids]
            inventors = pa.table({"id": new_arr, "name": names,
                                  "org_id": pa.array([o or None for o in org_ids], _S)})
            aff = [(i, o) for i, o in zip(new_ids, org_ids) if o]
            if aff:
                affiliations = pa.table({"src": pa.array([a for a, _ in aff], _S),
                                         "dst": pa.array([b for _, b in aff], _S)})

        # IPC codes not seen in this run (with their ancestors)
        for display in pc.unique(pc.list_flatten(t["ipc"])).to_pylist():
            if display not in self.ipc_seen:
                code = ipc_code(display)
                if code is not None:
                    self._ipc_node(code, self._new_ipc, self._new_ipc_edges)

        ids = t["key"].combine_chunks() if isinstance(t["key"], pa.ChunkedArray) else t["key"]
        # citations resolve at the end of the run
        for name in ("cites", "cited_by"):
            col = _list_array(t[name])
            if len(col.values):
                parents = pc.list_parent_indices(col).to_pylist()
                values = pc.list_flatten(col).to_pylist()
                pids = ids.to_pylist()
                if name == "cites":
                    self.pending_cites.extend((pids[p], v) for p, v in zip(parents, values))
                else:
                    self.pending_cites.extend((f"pub:{v}", pids[p]) for p, v in zip(parents, values))

        patents = _patent_arrow(t, region_codes, chunk.file)
        rels: dict[str, pa.Table] = {}
        rels["APPLIED_BY"] = _explode(ids, t["applicant_ids"], ord_name="ord")
        rels["OWNED_BY"] = _explode(ids, t["owner_ids"])
        rels["INVENTED_BY"] = _explode(ids, inventors_col, ord_name="ord", dst=inv_ids)
        classified = _explode(ids, t["ipc"])
        main = pc.fill_null(pc.equal(classified["dst"], _parent_values(t["ipc_main"], t["ipc"])), False)
        rels["CLASSIFIED_AS"] = classified.append_column("main", main)
        rels["IN_SEI"] = _explode(ids, t["sei_codes"], props={"rule": t["sei_rules"]})
        rels["IN_CHAIN_NODE"] = _explode(ids, t["chain_nodes"],
                                         props={"score": t["chain_scores"], "via": t["chain_vias"]})
        rels["HAS_EVENT"] = _explode(ids, t["ev_ids"])
        events = {
            "id": pc.list_flatten(t["ev_ids"]).to_pylist(),
            "kind": pc.list_flatten(t["ev_kinds"]).to_pylist(),
            "date": pc.list_flatten(t["ev_dates"]).to_pylist(),
            "raw": pc.list_flatten(t["ev_raws"]).to_pylist(),
        }
        events["amount_wan"] = [None] * len(events["id"])
        events["counterparty"] = [None] * len(events["id"])
        return {"patents": patents, "rels": rels, "inventors": inventors, "affiliations": affiliations,
                "events": events}

    def _gather(self, name: str, columns: pa.Table | dict[str, list] | None) -> None:
        """Keep inserts for the next commit: Arrow tables (new rows) or columns (records)."""
        if columns is None:
            return
        arrow = isinstance(columns, pa.Table)
        n = columns.num_rows if arrow else len(next(iter(columns.values()), ()))
        if n:
            self._gathered.setdefault(name, []).append(columns)
            if arrow:
                self._gathered_bytes += columns.nbytes

    def _commit(self) -> None:
        """Insert the gathered nodes (patents, inventors), then the relationships."""
        gathered, n_patents = self._gathered, self._gathered_patents
        log.debug("commit: %d new patents, %d MB of Arrow data", n_patents, self._gathered_bytes >> 20)
        self._gathered, self._gathered_patents, self._gathered_bytes = {}, 0, 0
        if not self._bulk_on and n_patents >= self.bulk_min_patents:
            self._bulk_on = True
            # on the writer thread: the store's writes so far are done when it starts
            self._writer.submit(self._bulk.enter_context, self.store.bulk_load())
        order = [n for n in _NODE_INSERTS if n in gathered] + [n for n in gathered if n not in _NODE_INSERTS]
        for name in order:
            insert = self._insert_nodes if name in _NODE_INSERTS else self._insert_rels
            run: list[pa.Table] = []  # consecutive Arrow parts go in one insert, order is kept
            for part in [*gathered[name], None]:
                if isinstance(part, pa.Table):
                    run.append(part)
                    continue
                if run:
                    self._writer.submit(insert, name, _table_columns(pa.concat_tables(run)))
                    run = []
                if part is not None:
                    self._writer.submit(insert, name, part)

    def _resolve_record(self, pid: str, rec: PatentRecord, ex: _Existing | None,
                        canon: dict[str, str]) -> _Resolved:
        sources = list(rec.sources)
        applicant_ids: list[str] = []
        owner_ids: list[str] = []
        inv: list[tuple[str, str]] = []
        if ex is not None:
            merge_records(ex.record, rec)
            sources = ex.sources + [s for s in sources if s not in ex.sources]
            rec = ex.record
            applicant_ids = list(ex.applicant_ids)
            owner_ids = list(ex.owner_ids)
            inv = list(ex.inventors)
        regions = self.regions

        # applicants, holders, regions
        province = regions.province_from_field(rec.province_code) if rec.province_code else None
        addr_region = regions.match_address(rec.address, province) if rec.address else province
        types = [APPLICANT_TYPE_KINDS.get(t) for t in rec.applicant_types]
        had_applicants = bool(applicant_ids)
        for i, raw in enumerate(rec.applicants):
            oid = canon.get(raw) or normalize_org_name(raw)
            if not oid:
                continue
            first = i == 0 and not had_applicants
            self._touch_org(oid, raw, kind_hint=types[i] if len(types) == len(rec.applicants) else None,
                            region=addr_region if first else None, address=rec.address if first else None)
            if oid not in applicant_ids:
                applicant_ids.append(oid)
        holder_ids: list[str] = []
        for raw in rec.holders:
            oid = canon.get(raw) or normalize_org_name(raw)
            if oid:
                self._touch_org(oid, raw, kind_hint=None, region=None, address=None)
                if oid not in holder_ids:
                    holder_ids.append(oid)
        if holder_ids:
            _union(owner_ids, holder_ids)
        elif not owner_ids:
            owner_ids = list(applicant_ids)
        first_org = applicant_ids[0] if applicant_ids else (owner_ids[0] if owner_ids else "")
        region_code = addr_region or (self.orgs[first_org].region_code if first_org in self.orgs else None)

        # inventors
        inv_names = {name for _, name in inv}
        for name in rec.inventors:
            if name not in inv_names:
                inv.append((f"{name}|{first_org}", name))
                inv_names.add(name)
        seen = self.inventors_seen
        for iid, name in inv:
            if iid not in seen:
                seen.add(iid)
                org = iid.rsplit("|", 1)[1] if "|" in iid else ""
                self._new_inventors.append({"id": iid, "name": name, "org_id": org or None})
                if org:
                    self._new_affiliations.append({"src": iid, "dst": org})

        # classification
        for c in rec.ipc:
            if c.display not in self.ipc_seen:
                self._ipc_node(c, self._new_ipc, self._new_ipc_edges)
        subclasses, sei, chains = classify(rec, self.sei, self.chains)
        events = patent_events(pid, rec)
        for target in rec.cites:
            self.pending_cites.append((pid, target))
        for source in rec.cited_by:
            self.pending_cites.append((f"pub:{source}", pid))
        return _Resolved(pid, rec, sources, applicant_ids, owner_ids, [iid for iid, _ in inv], region_code,
                         subclasses, sei, chains, events)

    def _ipc_node(self, c: IpcCode, nodes: list[dict], edges: list[dict]) -> None:
        if c.display in self.ipc_seen:
            return
        chain = [*c.ancestors, c.display]
        levels = ("section", "class", "subclass", "main_group", "group")
        for i, sym in enumerate(chain):
            if sym in self.ipc_seen:
                continue
            self.ipc_seen.add(sym)
            parent = chain[i - 1] if i else None
            level = c.level if sym == c.display else levels[i]
            nodes.append({"id": sym, "level": level, "title": None, "title_zh": None, "parent": parent,
                          "subclass": c.subclass if (c.subclass and i >= 2) else None})
            if parent:
                edges.append({"src": sym, "dst": parent})

    # -- writes (run on the writer) -------------------------------------------------------------
    def _count(self, name: str, n: int) -> None:
        self.written[name] = self.written.get(name, 0) + n

    def _write_nodes(self, label: str, rows: Iterable[dict]) -> None:
        it = iter(rows)
        first = next(it, None)
        if first is not None:
            self._count(label, self.store.upsert_nodes(label, _chain_first(first, it)))

    def _write_rels(self, rel_type: str, rows: Iterable[dict], **kw: str) -> None:
        it = iter(rows)
        first = next(it, None)
        if first is not None:
            self._count(rel_type, self.store.upsert_relationships(rel_type, _chain_first(first, it), **kw))

    def _insert_nodes(self, label: str, columns: dict[str, Any]) -> None:
        if columns and len(next(iter(columns.values()))):
            self._count(label, self.store.insert_nodes(label, columns))

    def _insert_rels(self, rel_type: str, columns: dict[str, Any]) -> None:
        if columns and len(columns["src"]):
            # every gathered relationship starts at a node inserted in the same commit
            # (a new patent or inventor), before it: only the dst side needs checking
            self._count(rel_type, self.store.insert_relationships(rel_type, columns, src_exists=True))

    def _abandon_writes(self) -> None:
        """After an error: drop gathered inserts, wait for the writes already started."""
        self._gathered, self._gathered_patents, self._gathered_bytes = {}, 0, 0
        try:
            self._writer.drain()
        except Exception:  # logged, not hidden: the error being raised is the one to report
            log.exception("a store write failed while an ingest was being abandoned")
        self._end_bulk()

    def _end_bulk(self) -> None:
        """Leave the store's bulk-load mode (its final checkpoint), if entered."""
        if self._bulk_on:
            self._bulk_on = False
            t = time.perf_counter()
            self._bulk.close()
            self._time("checkpoint", t)

    # -- end of run ----------------------------------------------------------------------------
    def finish(self) -> None:
        """Flush, resolve citations, write organisations' LOCATED_IN edges; wait for
        every write."""
        try:
            with _gc_paused():
                self.flush()
                self._read()
                cites = []
                for src, dst in self.pending_cites:
                    if src.startswith("pub:"):
                        s = self.by_pub.get(pub_base(src[4:]))
                        d = dst
                    else:
                        s = src
                        d = self.by_pub.get(pub_base(dst))
                    if s and d and s != d:
                        cites.append({"src": s, "dst": d})
                self.pending_cites = []
                self._write_rels("CITES", list({(r["src"], r["dst"]): r for r in cites}.values()))
                located = [{"src": o.id, "dst": o.region_code} for o in self.orgs.values() if o.region_code]
                self._write_rels("LOCATED_IN", located, src_label="Organization", dst_label="Region")
                org_rows = [o.row() for o in self.orgs.values() if o.dirty]
                self._write_nodes("Organization", org_rows)
        finally:
            try:
                self._writer.close()
            finally:
                self.timings["write"] = self._writer.seconds
                self._writer = _Writer(False)  # the session stays usable, writing inline
                self._end_bulk()


def _chain_first(first: dict, rest: Iterable[dict]) -> Iterable[dict]:
    yield first
    yield from rest


def _pub_bases(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """:func:`~ingest.normalize.numbers.pub_base` of a column (kind code removed)."""
    return pc.replace_substring_regex(col, pattern=r"(?s)^([A-Z]{2}\p{Nd}+).*$", replacement=r"\1")


def _list_array(col: pa.ChunkedArray | pa.Array) -> pa.ListArray:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _parent_values(values: pa.ChunkedArray | pa.Array, lists: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``values`` repeated for each element of the row's list (aligned with the flattened list)."""
    return _list_array(values).take(pc.list_parent_indices(_list_array(lists)))


def _explode(ids: pa.Array, lists: pa.ChunkedArray | pa.Array, *, ord_name: str | None = None,
             props: dict[str, pa.ChunkedArray] | None = None, dst: pa.Array | None = None) -> pa.Table:
    """Relationship rows (src = the row's id, dst = each list element or the given
    ``dst`` aligned with the flattened lists, ``ord_name`` = the element's position,
    ``props`` = parallel list columns)."""
    col = _list_array(lists)
    parents = pc.list_parent_indices(col)
    out = {"src": ids.take(parents), "dst": pc.list_flatten(col) if dst is None else dst}
    if ord_name is not None:
        offsets = col.offsets.to_numpy()
        p = parents.to_numpy(zero_copy_only=False)
        out[ord_name] = pa.array(np.arange(len(p), dtype=np.int64) - (offsets[p] - offsets[0]))
    for name, values in (props or {}).items():
        out[name] = pc.list_flatten(_list_array(values))
    return pa.table(out)


def _null_if_empty(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = _list_array(col)
    return pc.if_else(pc.greater(pc.list_value_length(arr), 0), arr, pa.nulls(len(arr), arr.type))


def _patent_arrow(t: pa.Table, region_codes: list[str | None], file: str) -> pa.Table:
    """Patent node columns of new patents (the values :func:`_patent_columns` gives a
    resolved record with no stored state)."""
    n = t.num_rows
    cols = {name: t[src] for name, src in _PATENT_COPY.items()}
    cols["kind"] = pc.fill_null(t["kind"], "unknown")
    cols["status"] = pc.fill_null(t["status"], "unknown")
    cols["family_ids"] = _null_if_empty(t["family_ids"])
    cols["ipc_codes"] = _null_if_empty(t["ipc"])
    cols["ipc_subclasses"] = _null_if_empty(t["ipc_subclasses"])
    cols["cpc_codes"] = _null_if_empty(t["cpc_codes"])
    cols["region_code"] = pa.array(region_codes, _S)
    cols["sources"] = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)),
                                               pa.array([file] * n, _S))
    return pa.table(cols)


def _in_queue_order(new: pa.Table | None, new_at: list[int], fresh: list[_Resolved], fresh_at: list[int]
                    ) -> pa.Table | dict[str, list] | None:
    """The Patent inserts of a chunk -- its new rows (Arrow) and the new patents of the
    merge path (records) -- as one table in the order they were queued."""
    if not fresh:
        return new
    cols = _patent_columns(fresh)
    if new is None or not new.num_rows:
        order = sorted(range(len(fresh)), key=fresh_at.__getitem__)
        return {k: [v[i] for i in order] for k, v in cols.items()}
    both = pa.concat_tables([new, pa.Table.from_pydict(cols, schema=new.schema)])
    return both.take(pc.sort_indices(pa.array(new_at + fresh_at, pa.int64())))


def _table_columns(table: pa.Table) -> dict[str, pa.ChunkedArray]:
    return {name: table[name] for name in table.column_names}


def _record_from_values(v: dict[str, Any], file: str, tag: str) -> PatentRecord:
    """A PatentRecord from a prepared chunk's row values."""
    rec = PatentRecord(file, v["line"], tag)
    for name, value in v.items():
        if name == "line":
            continue
        if name == "ipc":
            rec.ipc = [c for c in map(ipc_code, value or ()) if c is not None]
        elif isinstance(value, list) or RECORD_COLUMNS[name] in (_LS, pa.list_(pa.date32())):
            setattr(rec, name, list(value or ()))
        else:
            setattr(rec, name, value)
    return rec


def _patent_columns(rs: list[_Resolved]) -> dict[str, list]:
    """The Patent node columns of resolved records (see ``graph.schema.PATENT``)."""
    recs = [r.rec for r in rs]
    cols: dict[str, list] = {"id": [r.pid for r in rs]}
    for name in ("app_no", "pub_no", "grant_no", "title", "abstract", "claim1", "app_date", "pub_date",
                 "grant_date", "expiry_date", "legal_status_raw", "claim_count", "transfer_count",
                 "licence_count", "pledge_count", "open_licence", "ipc_main", "province_code"):
        cols[name] = [getattr(rec, name) for rec in recs]
    cols["kind"] = [rec.kind or "unknown" for rec in recs]
    cols["status"] = [rec.status or "unknown" for rec in recs]
    cols["app_year"] = [d.year if d else None for d in cols["app_date"]]
    cols["grant_year"] = [d.year if d else None for d in cols["grant_date"]]
    cols["family_ids"] = [rec.family_ids or None for rec in recs]
    cols["family_size"] = [rec.family_size if rec.family_size is not None
                           else (len(rec.family_ids) if rec.family_ids else None) for rec in recs]
    cols["overseas_family"] = [any(not f.startswith("CN") for f in rec.family_ids) if rec.family_ids else None
                               for rec in recs]
    cols["cites_count"] = [rec.cites_count if rec.cites_count is not None
                           else (len(rec.cites) if rec.cites else None) for rec in recs]
    cols["cited_count"] = [rec.cited_count if rec.cited_count is not None
                           else (len(rec.cited_by) if rec.cited_by else None) for rec in recs]
    cols["ipc_codes"] = [[c.display for c in rec.ipc] or None for rec in recs]
    cols["ipc_subclasses"] = [r.subclasses or None for r in rs]
    cols["cpc_codes"] = [rec.cpc_codes or None for rec in recs]
    cols["region_code"] = [r.region_code for r in rs]
    cols["sources"] = [r.sources for r in rs]
    return cols


_EVENT_FIELDS = ("id", "kind", "date", "amount_wan", "counterparty", "raw")


def _event_columns(rs: list[_Resolved]) -> dict[str, list]:
    events = [e for r in rs if r.events for e in r.events]
    return {name: [e[name] for e in events] for name in _EVENT_FIELDS}


def _rel_columns(rs: list[_Resolved]) -> dict[str, dict[str, list]]:
    """Relationship columns (``src``, ``dst``, properties) by type for resolved records."""
    if not rs:
        return {}
    out: dict[str, dict[str, list]] = {}
    out["APPLIED_BY"] = {
        "src": [r.pid for r in rs for _ in r.applicant_ids],
        "dst": [o for r in rs for o in r.applicant_ids],
        "ord": [n for r in rs for n in range(len(r.applicant_ids))],
    }
    out["OWNED_BY"] = {
        "src": [r.pid for r in rs for _ in r.owner_ids],
        "dst": [o for r in rs for o in r.owner_ids],
    }
    out["INVENTED_BY"] = {
        "src": [r.pid for r in rs for _ in r.inventor_ids],
        "dst": [i for r in rs for i in r.inventor_ids],
        "ord": [n for r in rs for n in range(len(r.inventor_ids))],
    }
    out["CLASSIFIED_AS"] = {
        "src": [r.pid for r in rs for _ in r.rec.ipc],
        "dst": [c.display for r in rs for c in r.rec.ipc],
        "main": [c.display == r.rec.ipc_main for r in rs for c in r.rec.ipc],
    }
    out["HAS_EVENT"] = {
        "src": [r.pid for r in rs if r.events for _ in r.events],
        "dst": [e["id"] for r in rs if r.events for e in r.events],
    }
    out["IN_SEI"] = {
        "src": [r.pid for r in rs if r.sei for _ in r.sei],
        "dst": [code for r in rs if r.sei for code in r.sei],
        "rule": [rule for r in rs if r.sei for rule in r.sei.values()],
    }
    out["IN_CHAIN_NODE"] = {
        "src": [r.pid for r in rs if r.chains for _ in r.chains],
        "dst": [node for r in rs if r.chains for node in r.chains],
        "score": [v[0] for r in rs if r.chains for v in r.chains.values()],
        "via": [v[1] for r in rs if r.chains for v in r.chains.values()],
    }
    return out


def _record_from_store(r: dict[str, Any]) -> PatentRecord:
    rec = PatentRecord(source_file="", line=0, source_tag="")
    for name in ("app_no", "pub_no", "grant_no", "title", "abstract", "claim1", "app_date", "pub_date",
                 "grant_date", "expiry_date", "legal_status_raw", "claim_count", "family_size", "cites_count",
                 "cited_count", "transfer_count", "licence_count", "pledge_count", "open_licence", "ipc_main",
                 "province_code", "status", "kind"):
        v = r.get(name)
        if isinstance(v, str) and not v:
            v = None
        setattr(rec, name, v)
    if rec.status == "unknown":
        rec.status = None
    if rec.kind == "unknown":
        rec.kind = None
    rec.family_ids = list(r.get("family_ids") or [])
    rec.cpc_codes = list(r.get("cpc_codes") or [])
    codes, _ = split_ipc(";".join(r.get("ipc_codes") or []))
    rec.ipc = codes
    return rec


#: kept for callers of the former names
_cpc_subclass = cpc_subclass
_subclass_code = subclass_code


def _chunks(items: list, n: int) -> Iterable[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, **kw: Any):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(unit=" rows", leave=False, mininterval=0.5, **kw)
