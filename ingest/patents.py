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

Rows are processed in chunks (``chunk_size``); per chunk the session fetches the
stored state of the patents and organisations it touches, builds node and
relationship rows for every label and type, and writes them with
``store.upsert_nodes`` / ``store.upsert_relationships`` (the backend batches them:
COPY for the embedded store, ``UNWIND`` for Neo4j). Citations are resolved at
:meth:`IngestSession.finish`, when every file of the run is known; so are the
organisations' ``LOCATED_IN`` edges (their most specific region).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from graph.base import GraphStore
from ingest.chains import ChainCatalogue
from ingest.headers import map_headers
from ingest.normalize.ipc import IpcCode, split_ipc
from ingest.normalize.names import APPLICANT_TYPE_KINDS, classify_holder, normalize_org_name
from ingest.normalize.numbers import pub_base
from ingest.normalize.regions import RegionTable, is_chongqing, region_table
from ingest.readers import BadRow, open_table
from ingest.records import PatentRecord, RecordBuilder
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
#: rows normalised and merged in memory before one write of every label and type; the
#: embedded store's COPY has a fixed cost per call, so fewer, larger writes are faster
DEFAULT_CHUNK_ROWS = 200_000

_EVENT_KINDS = (("transfer", "transfer_dates", "transfer_count"),
                ("licence", "licence_dates", "licence_count"),
                ("pledge", "pledge_dates", "pledge_count"))


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


def _patent_row(r: _Resolved) -> dict[str, Any]:
    rec = r.rec
    family = rec.family_ids
    return {
        "id": r.pid, "app_no": rec.app_no, "pub_no": rec.pub_no, "grant_no": rec.grant_no,
        "kind": rec.kind or "unknown", "title": rec.title, "abstract": rec.abstract,
        "claim1": rec.claim1, "app_date": rec.app_date, "pub_date": rec.pub_date,
        "grant_date": rec.grant_date, "expiry_date": rec.expiry_date,
        "app_year": rec.app_date.year if rec.app_date else None,
        "grant_year": rec.grant_date.year if rec.grant_date else None,
        "legal_status_raw": rec.legal_status_raw, "status": rec.status or "unknown",
        "claim_count": rec.claim_count, "family_ids": family or None,
        "family_size": rec.family_size if rec.family_size is not None else (len(family) if family else None),
        "overseas_family": any(not f.startswith("CN") for f in family) if family else None,
        "cites_count": rec.cites_count if rec.cites_count is not None else (len(rec.cites) if rec.cites else None),
        "cited_count": rec.cited_count if rec.cited_count is not None else (len(rec.cited_by) if rec.cited_by else None),
        "transfer_count": rec.transfer_count, "licence_count": rec.licence_count,
        "pledge_count": rec.pledge_count, "open_licence": rec.open_licence,
        "ipc_main": rec.ipc_main, "ipc_codes": [c.display for c in rec.ipc] or None,
        "ipc_subclasses": r.subclasses or None, "cpc_codes": rec.cpc_codes or None,
        "province_code": rec.province_code, "region_code": r.region_code, "sources": r.sources,
    }


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
        progress: bool = True,
        today: date | None = None,
    ) -> None:
        self.store = store
        self.report = report
        self.max_field_chars = max_field_chars
        self.sei = sei
        self.chains = chains
        self.known_universities = known_universities
        self.regions = regions or region_table()
        self.chunk_size = chunk_size
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
        self._pending: dict[str, PatentRecord] = {}
        self._new_in_chunk: set[str] = set()
        self._new_inventors: list[dict] = []
        self._new_affiliations: list[dict] = []
        self._new_ipc: list[dict] = []
        self._new_ipc_edges: list[dict] = []
        self._fetch: set[str] = set()
        self._load_keys()

    # -- setup ------------------------------------------------------------------------------
    def _has_query(self, name: str) -> bool:
        return self.store.registry.has(name, self.store.dialect)

    def _load_keys(self) -> None:
        if not self._has_query("ingest_patent_keys"):
            return
        for r in self.store.run("ingest_patent_keys"):
            self._register(r["id"], r.get("app_no"), r.get("pub_no"), r.get("grant_no"))

    def _register(self, pid: str, app_no: str | None, pub_no: str | None, grant_no: str | None) -> None:
        self.known.add(pid)
        if app_no:
            self.by_app.setdefault(app_no, pid)
            self.app_of.setdefault(pid, app_no)
        for p in (pub_no, grant_no):
            if p:
                self.by_pub.setdefault(pub_base(p), pid)

    # -- files -------------------------------------------------------------------------------
    def load_file(self, path: Path, *, source: str | None = None) -> FileSummary:
        """Read, normalise, merge and write one file; returns its summary."""
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
        builder = RecordBuilder(hmap, source_file=path.name, source_tag=tag,
                                max_field_chars=self.max_field_chars, today=self.today)
        bar = _progress(self.progress, desc=path.name)
        n_chunk = 0
        report = self.report
        try:
            for line, raw in table.rows():
                summary.read += 1
                bar.update(1)
                if raw is None:
                    summary.skipped += 1
                    continue
                if isinstance(raw, BadRow):
                    summary.rejected += 1
                    report.add(path.name, line, raw.column, raw.value, raw.reason, "reject")
                    continue
                rec, issues = builder.build(line, raw)
                for i in issues:
                    report.add(path.name, line, i.column, i.value, i.reason, i.level)
                    if i.level == "warning":
                        summary.warnings += 1
                if rec is None:
                    summary.rejected += 1
                    continue
                if self.add(rec):
                    summary.loaded += 1
                else:
                    summary.merged += 1
                n_chunk += 1
                if n_chunk >= self.chunk_size:
                    self.flush()
                    n_chunk = 0
            self.flush()
        finally:
            bar.close()
        summary.seconds = time.perf_counter() - t0
        if not summary.balanced:  # pragma: no cover - an accounting bug, never data
            raise IngestError(f"{path.name}: row accounting does not balance: {summary}")
        return summary

    # -- merging -------------------------------------------------------------------------------
    def _resolve(self, rec: PatentRecord) -> str | None:
        if rec.app_no and rec.app_no in self.by_app:
            return self.by_app[rec.app_no]
        for p in (rec.pub_no, rec.grant_no):
            if p:
                pid = self.by_pub.get(pub_base(p))
                # same publication serial, unless the two rows name different applications
                if pid and not (rec.app_no and self.app_of.get(pid, rec.app_no) != rec.app_no):
                    return pid
        if rec.source_id is not None and not (rec.app_no or rec.pub_no or rec.grant_no):
            key = f"{rec.source_tag}:{rec.source_id}"
            if key in self.known:
                return key
        return None

    def add(self, rec: PatentRecord) -> bool:
        """Queue a record; True if it is a new patent, False if it was merged."""
        rec.sources = [rec.source_file]
        pid = self._resolve(rec)
        if pid is None:
            pid = rec.key
            self._pending[pid] = rec
            self._new_in_chunk.add(pid)
            self._register(pid, rec.app_no, rec.pub_no, rec.grant_no)
            return True
        base = self._pending.get(pid)
        if base is None:
            self._pending[pid] = rec
            self._fetch.add(pid)
        else:
            merge_records(base, rec)
            # a patent first seen by publication number gets its application number as id
            # while it has not been written yet
            if (rec.app_no and pid in self._new_in_chunk and pid != rec.app_no
                    and rec.app_no not in self.by_app):
                self._pending[rec.app_no] = self._pending.pop(pid)
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
    def _fetch_existing(self, ids: list[str]) -> dict[str, _Existing]:
        out: dict[str, _Existing] = {}
        if not ids or not self._has_query("ingest_patents_by_ids"):
            return out
        for chunk in _chunks(ids, 5000):
            for r in self.store.run("ingest_patents_by_ids", ids=chunk):
                out[r["id"]] = _Existing(_record_from_store(r), sources=list(r.get("sources") or []))
            for r in sorted(self.store.run("ingest_applicants_by_ids", ids=chunk), key=lambda r: (r["ord"] is None, r["ord"] or 0)):
                if r["id"] in out:
                    _union(out[r["id"]].applicant_ids, [r["org_id"]])
            for r in self.store.run("ingest_owners_by_ids", ids=chunk):
                if r["id"] in out:
                    _union(out[r["id"]].owner_ids, [r["org_id"]])
            for r in sorted(self.store.run("ingest_inventors_by_ids", ids=chunk), key=lambda r: (r["ord"] is None, r["ord"] or 0)):
                if r["id"] in out:
                    out[r["id"]].inventors.append((r["inventor_id"], r["name"]))
        return out

    def _ensure_orgs(self, ids: Iterable[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i and i not in self.orgs]
        if not missing:
            return
        stored: dict[str, dict] = {}
        if self._has_query("ingest_orgs_by_ids"):
            for chunk in _chunks(missing, 5000):
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
        """Write every queued patent with its organisations, inventors, IPC codes and edges.

        Two passes: the first resolves each record (merge with the stored state, ids of
        applicants / holders / inventors, regions, classification) and collects the few
        new organisation / inventor / IPC nodes; the second streams rows for each label
        and relationship type to the store as generators, so a large chunk never holds
        all its row dicts at once.
        """
        if not self._pending:
            return
        t0 = time.perf_counter()
        pending = self._pending
        n_pending = len(pending)
        existing = self._fetch_existing([pid for pid in pending if pid in self._fetch])
        self._pending, self._fetch, self._new_in_chunk = {}, set(), set()

        names: list[str] = []
        for rec in pending.values():
            names.extend(rec.applicants)
            names.extend(rec.holders)
        canon = {raw: normalize_org_name(raw) for raw in dict.fromkeys(names)}
        self._ensure_orgs(canon.values())

        resolved = [self._resolve_record(pid, rec, existing.get(pid), canon) for pid, rec in pending.items()]
        del pending, existing

        inventors, affiliations = self._new_inventors, self._new_affiliations
        ipc_nodes, ipc_edges = self._new_ipc, self._new_ipc_edges
        self._new_inventors, self._new_affiliations, self._new_ipc, self._new_ipc_edges = [], [], [], []
        org_rows = [o.row() for o in self.orgs.values() if o.dirty]
        for o in self.orgs.values():
            o.dirty = False

        self._write_nodes("Patent", (_patent_row(r) for r in resolved))
        self._write_nodes("Organization", org_rows)
        self._write_nodes("Inventor", inventors)
        self._write_nodes("IPC", ipc_nodes)
        self._write_nodes("Event", (e for r in resolved for e in r.events))
        self._write_rels("SUBCLASS_OF", ipc_edges)
        self._write_rels("AFFILIATED_WITH", affiliations)
        self._write_rels("APPLIED_BY", ({"src": r.pid, "dst": o, "ord": n}
                                        for r in resolved for n, o in enumerate(r.applicant_ids)))
        self._write_rels("OWNED_BY", ({"src": r.pid, "dst": o} for r in resolved for o in r.owner_ids))
        self._write_rels("INVENTED_BY", ({"src": r.pid, "dst": iid, "ord": n}
                                         for r in resolved for n, iid in enumerate(r.inventor_ids)))
        self._write_rels("CLASSIFIED_AS", ({"src": r.pid, "dst": c.display, "main": c.display == r.rec.ipc_main}
                                           for r in resolved for c in r.rec.ipc))
        self._write_rels("HAS_EVENT", ({"src": r.pid, "dst": e["id"]} for r in resolved for e in r.events))
        self._write_rels("IN_SEI", ({"src": r.pid, "dst": code, "rule": rule}
                                    for r in resolved for code, rule in r.sei.items()))
        self._write_rels("IN_CHAIN_NODE", ({"src": r.pid, "dst": node, "score": score, "via": via}
                                           for r in resolved for node, (score, via) in r.chains.items()))
        log.info("flushed %d patents in %.1fs (%d known patents)", n_pending, time.perf_counter() - t0,
                 len(self.known))

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
        codes = rec.ipc
        subclasses: list[str] = []
        for c in codes:
            if c.display not in self.ipc_seen:
                self._ipc_node(c, self._new_ipc, self._new_ipc_edges)
            if c.subclass and c.subclass not in subclasses:
                subclasses.append(c.subclass)
        cpc_sub = [x for x in (_cpc_subclass(c) for c in rec.cpc_codes) if x]
        _union(subclasses, cpc_sub)
        text = " ".join(t for t in (rec.title, rec.abstract, rec.claim1) if t)
        sei = self.sei.classify(codes, text) if (self.sei is not None and codes) else {}
        chains: dict[str, tuple[float, str]] = {}
        if self.chains is not None:
            chain_codes = codes or [x for x in (_subclass_code(s) for s in cpc_sub) if x]
            chains = self.chains.classify(chain_codes, text)

        # events
        events: list[dict[str, Any]] = []
        for kind, dates_attr, count_attr in _EVENT_KINDS:
            dates = sorted(getattr(rec, dates_attr))
            for d in dates:
                events.append({"id": f"{pid}|{kind}|{d.isoformat()}", "kind": kind, "date": d,
                               "amount_wan": None, "counterparty": None, "raw": None})
            count = getattr(rec, count_attr) or 0
            for k in range(len(dates), count):
                events.append({"id": f"{pid}|{kind}|#{k + 1}", "kind": kind, "date": None,
                               "amount_wan": None, "counterparty": None, "raw": f"{count_attr}={count}"})
        if rec.open_licence:
            events.append({"id": f"{pid}|open_licence", "kind": "open_licence", "date": None,
                           "amount_wan": None, "counterparty": None, "raw": None})

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

    def _write_nodes(self, label: str, rows: Iterable[dict]) -> None:
        it = iter(rows)
        first = next(it, None)
        if first is None:
            return
        n = self.store.upsert_nodes(label, _chain_first(first, it))
        self.written[label] = self.written.get(label, 0) + n

    def _write_rels(self, rel_type: str, rows: Iterable[dict], **kw: str) -> None:
        it = iter(rows)
        first = next(it, None)
        if first is None:
            return
        n = self.store.upsert_relationships(rel_type, _chain_first(first, it), **kw)
        self.written[rel_type] = self.written.get(rel_type, 0) + n

    # -- end of run ----------------------------------------------------------------------------
    def finish(self) -> None:
        """Flush, resolve citations, write organisations' LOCATED_IN edges."""
        self.flush()
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


def _chain_first(first: dict, rest: Iterable[dict]) -> Iterable[dict]:
    yield first
    yield from rest


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


def _cpc_subclass(code: str) -> str | None:
    """The subclass of a CPC symbol (same as IPC for sections A-H)."""
    return code[:4] if len(code) >= 4 and code[0] in "ABCDEFGH" and code[1:3].isdigit() and code[3].isalpha() else None


def _subclass_code(sub: str) -> IpcCode | None:
    codes, _ = split_ipc(sub)
    return codes[0] if codes else None


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
