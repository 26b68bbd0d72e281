"""Parse, normalise and classify one patent file into chunks of Arrow columns.

Everything here depends on one row only, so it can run in a worker process while the
loader (:mod:`ingest.patents`) merges and writes the previous chunk. A
:class:`PreparedChunk` holds, for the usable records of up to ``chunk_rows`` input rows:

* the normalised record fields (enough to rebuild each :class:`~ingest.records.PatentRecord`
  when the loader has to merge it with a stored or repeated patent);
* what the loader writes for a patent that is new -- its id is then the record's own
  key -- computed here so the loader does not touch the row in Python: canonical
  applicant / owner ids, the first organisation (inventor ids are ``name|first
  organisation``), IPC subclasses,
  SEI categories and chain nodes, events, the node values derived from counts;
* the organisation *touches* (per applicant / holder: id, raw spelling, kind hint,
  region and address of the first applicant), as the chunk's distinct touches and
  their occurrences by row, which the loader applies in row order;
* the accounting of the rows (read / skipped / rejected / warnings) and the report
  lines (rejects and warnings with file line, column, value and reason).

:func:`prepare_file` yields the chunks in the calling process; :func:`prepare_in_workers`
runs the same generator in worker processes (``python -m ingest.prepare``; each prepares
every n-th chunk) and passes the chunks back, in file order, as Arrow IPC streams
through pipes. A UTF-8 / GB18030 CSV is first cut into byte spans of about
``chunk_rows`` lines (:func:`ingest.readers.csv_spans`); a chunk is then one span and
each worker reads and parses only its own spans. Should a span not end on a record
boundary (:class:`~ingest.readers.SpanMisaligned`: a stray quote misled the split), its
chunk is dropped and the loading process reads the file on from that span's start, in
chunks of ``chunk_rows`` rows; the rows, counts and issues are the same either way, only
the chunk boundaries differ. Other files are read whole by every worker, each passing
over the other workers' chunks.
"""

from __future__ import annotations

import logging
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import accumulate, chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.chains import ChainCatalogue
from ingest.columns import WHITESPACE, ColumnBuilder, record_values
from ingest.headers import HeaderMap
from ingest.normalize.ipc import IpcCode, split_ipc
from ingest.normalize.names import APPLICANT_TYPE_KINDS, normalize_org_name
from ingest.normalize.regions import RegionTable
from ingest.readers import (
    BadRow,
    Span,
    SpanMisaligned,
    csv_spans,
    open_span,
    open_table,
    span_columns,
)
from ingest.records import PatentRecord, RecordBuilder
from ingest.sei import SeiClassifier
from patentnav.errors import IngestError

log = logging.getLogger(__name__)

_S = pa.string()
_LS = pa.list_(pa.string())
_LD = pa.list_(pa.date32())

#: record fields carried as columns (PatentRecord name -> Arrow type); ``ipc`` travels
#: as display strings
RECORD_COLUMNS: dict[str, pa.DataType] = {
    "line": pa.int64(), "source_id": _S, "app_no": _S, "pub_no": _S, "grant_no": _S, "kind": _S,
    "title": _S, "abstract": _S, "claim1": _S, "app_date": pa.date32(), "pub_date": pa.date32(),
    "grant_date": pa.date32(), "expiry_date": pa.date32(), "legal_status_raw": _S, "status": _S,
    "claim_count": pa.int64(), "family_ids": _LS, "family_size": pa.int64(), "cites_count": pa.int64(),
    "cited_count": pa.int64(), "transfer_count": pa.int64(), "licence_count": pa.int64(),
    "pledge_count": pa.int64(), "open_licence": pa.bool_(), "ipc": _LS, "ipc_main": _S, "cpc_codes": _LS,
    "province_code": _S, "address": _S, "applicants": _LS, "holders": _LS, "inventors": _LS,
    "applicant_types": _LS, "cites": _LS, "cited_by": _LS, "transfer_dates": _LD, "licence_dates": _LD,
    "pledge_dates": _LD,
}
#: values of a new patent, computed from its record alone
DERIVED_COLUMNS: dict[str, pa.DataType] = {
    "key": _S, "addr_region": _S, "first_org": _S, "applicant_ids": _LS, "owner_ids": _LS,
    "ipc_subclasses": _LS, "sei_codes": _LS, "sei_rules": _LS, "chain_nodes": _LS,
    "chain_scores": pa.list_(pa.float64()), "chain_vias": _LS, "ev_ids": _LS, "ev_kinds": _LS,
    "ev_dates": _LD, "ev_raws": _LS, "n_family_size": pa.int64(), "n_overseas_family": pa.bool_(),
    "n_cites_count": pa.int64(), "n_cited_count": pa.int64(), "app_year": pa.int64(),
    "grant_year": pa.int64(),
}
ROW_SCHEMA = pa.schema([*RECORD_COLUMNS.items(), *DERIVED_COLUMNS.items()])
#: distinct organisation touches of a chunk ...
TOUCH_SCHEMA = pa.schema([("oid", _S), ("raw", _S), ("hint", _S), ("region", _S), ("address", _S)])
#: ... and where they occur: (row, index of the touch), in row order
OCCURRENCE_SCHEMA = pa.schema([("row", pa.int32()), ("touch", pa.int32())])

_EVENT_KINDS = (("transfer", "transfer_dates", "transfer_count"),
                ("licence", "licence_dates", "licence_count"),
                ("pledge", "pledge_dates", "pledge_count"))


@dataclass
class PreparedChunk:
    """Up to ``chunk_rows`` input rows of one file, normalised (see module doc)."""

    rows: pa.Table  # ROW_SCHEMA, one row per usable record, in file order
    touches: pa.Table  # TOUCH_SCHEMA, distinct touches
    occurrences: pa.Table  # OCCURRENCE_SCHEMA, ordered by row
    read: int = 0
    skipped: int = 0
    rejected: int = 0
    warnings: int = 0
    #: (line, column, value, reason, level) for the reject report, in file order
    issues: list[tuple[int | None, str, str, str, str]] = field(default_factory=list)


@lru_cache(maxsize=65536)
def ipc_code(display: str) -> IpcCode | None:
    """The parsed code of a display form (``H01M4/36``)."""
    codes, _ = split_ipc(display)
    return codes[0] if codes else None


def cpc_subclass(code: str) -> str | None:
    """The subclass of a CPC symbol (same as IPC for sections A-H)."""
    return code[:4] if len(code) >= 4 and code[0] in "ABCDEFGH" and code[1:3].isdigit() and code[3].isalpha() else None


def subclass_code(sub: str) -> IpcCode | None:
    codes, _ = split_ipc(sub)
    return codes[0] if codes else None


def patent_events(pid: str, rec: PatentRecord) -> list[dict[str, Any]]:
    """Event node rows of a patent (see :func:`event_rows`)."""
    return event_rows(pid, rec.transfer_dates, rec.licence_dates, rec.pledge_dates, rec.transfer_count,
                      rec.licence_count, rec.pledge_count, rec.open_licence)


def event_rows(pid: str, transfer_dates: Sequence[date], licence_dates: Sequence[date],
               pledge_dates: Sequence[date], transfer_count: int | None, licence_count: int | None,
               pledge_count: int | None, open_licence: bool | None) -> list[dict[str, Any]]:
    """Event node rows of a patent: dated transfers / licences / pledges, undated ones
    counted but not listed (``#k``), an open licence."""
    events: list[dict[str, Any]] = []
    for (kind, _, count_attr), dates, count in zip(_EVENT_KINDS, (transfer_dates, licence_dates, pledge_dates),
                                                    (transfer_count, licence_count, pledge_count)):
        dates = sorted(dates)
        for d in dates:
            events.append({"id": f"{pid}|{kind}|{d.isoformat()}", "kind": kind, "date": d,
                           "amount_wan": None, "counterparty": None, "raw": None})
        count = count or 0
        for k in range(len(dates), count):
            events.append({"id": f"{pid}|{kind}|#{k + 1}", "kind": kind, "date": None,
                           "amount_wan": None, "counterparty": None, "raw": f"{count_attr}={count}"})
    if open_licence:
        events.append({"id": f"{pid}|open_licence", "kind": "open_licence", "date": None,
                       "amount_wan": None, "counterparty": None, "raw": None})
    return events


def ipc_subclasses(codes: Sequence[IpcCode], cpc_codes: Sequence[str]) -> tuple[list[str], list[str]]:
    """(IPC subclasses of a patent -- of its IPC codes, then of its CPC codes --, the CPC
    codes' subclasses)."""
    subclasses: list[str] = []
    for c in codes:
        if c.subclass and c.subclass not in subclasses:
            subclasses.append(c.subclass)
    cpc_sub = [x for x in map(cpc_subclass, cpc_codes) if x] if cpc_codes else []
    for s in cpc_sub:
        if s not in subclasses:
            subclasses.append(s)
    return subclasses, cpc_sub


def patent_text(title: str | None, abstract: str | None, claim1: str | None) -> str:
    """The text keyword conditions are checked in: title, abstract and first claim."""
    if title and abstract:
        return f"{title} {abstract} {claim1}" if claim1 else f"{title} {abstract}"
    return " ".join(t for t in (title, abstract, claim1) if t)


def classify(rec: PatentRecord, sei: SeiClassifier | None, chains: ChainCatalogue | None
             ) -> tuple[list[str], dict[str, str], dict[str, tuple[float, str]]]:
    """(IPC subclasses, SEI code -> rules, chain node -> (score, via)) of a record."""
    codes = rec.ipc
    subclasses, cpc_sub = ipc_subclasses(codes, rec.cpc_codes)
    if sei is None and chains is None:
        return subclasses, {}, {}
    text = patent_text(rec.title, rec.abstract, rec.claim1)
    found_sei = sei.classify(codes, text) if (sei is not None and codes) else {}
    found_chains: dict[str, tuple[float, str]] = {}
    if chains is not None:
        chain_codes = codes or [x for x in map(subclass_code, cpc_sub) if x]
        found_chains = chains.classify(chain_codes, text)
    return subclasses, found_sei, found_chains


class ChunkPreparer:
    """Turns the rows of one file into :class:`PreparedChunk` s (row-local work).

    :meth:`add_rows` takes a batch of read rows: text rows are normalised a field at a
    time (:class:`~ingest.columns.ColumnBuilder`), other rows -- and text rows that
    are not plain -- by :class:`~ingest.records.RecordBuilder`; the derived values are
    then computed over the batch's columns."""

    def __init__(self, records: RecordBuilder, *, text: bool, sei: SeiClassifier | None,
                 chains: ChainCatalogue | None, regions: RegionTable) -> None:
        self.records = records
        self.columns = ColumnBuilder(records, _RECORD_FIELDS) if text else None
        self.sei = sei
        self.chains = chains
        self.regions = regions
        self._province: dict[str, str | None] = {}
        self._regions: dict[tuple[str, str | None], str | None] = {}
        self._org_ids: dict[tuple[str, ...], tuple[tuple[str, ...], list[str]]] = {}
        #: IPC subclasses by the display forms of a row's codes
        self._subclasses: dict[tuple[str, ...], list[str]] = {}
        self._batches: list[pa.RecordBatch] = []
        self._rows = 0
        self._touches: dict[tuple, int] = {}
        self._occ_row: list[int] = []
        self._occ_touch: list[int] = []

    def _province_of(self, field_value: str) -> str | None:
        hit = self._province.get(field_value, self)
        if hit is self:
            hit = self.regions.province_from_field(field_value)
            if len(self._province) < 100_000:
                self._province[field_value] = hit
        return hit

    def _region_of(self, address: str | None, province: str | None) -> str | None:
        if not address:
            return province
        key = (address, province)
        hit = self._regions.get(key, self)
        if hit is self:
            hit = self.regions.match_address(address, province)
            if len(self._regions) < 200_000:
                self._regions[key] = hit
        return hit

    def _ids(self, raws: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
        """(canonical id per name, distinct non-empty ids in order) of a names cell."""
        hit = self._org_ids.get(raws)
        if hit is None:
            oids = tuple(normalize_org_name(r) for r in raws)
            hit = (oids, list(dict.fromkeys(o for o in oids if o)))
            if len(self._org_ids) < 200_000:
                self._org_ids[raws] = hit
        return hit

    def finish(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        """(rows, touches, occurrences) of the rows added since the last call."""
        rows = pa.Table.from_batches(self._batches, schema=ROW_SCHEMA)
        touch_values = list(zip(*self._touches)) if self._touches else [()] * len(TOUCH_SCHEMA)
        touches = pa.Table.from_arrays([_array(v, f.type) for v, f in zip(touch_values, TOUCH_SCHEMA)],
                                       schema=TOUCH_SCHEMA)
        occurrences = pa.Table.from_arrays([pa.array(self._occ_row, pa.int32()),
                                            pa.array(self._occ_touch, pa.int32())], schema=OCCURRENCE_SCHEMA)
        self._batches, self._rows, self._touches, self._occ_row, self._occ_touch = [], 0, {}, [], []
        return rows, touches, occurrences

    def add_rows(self, lines: list[int], rows: list[dict[str, Any]], chunk: PreparedChunk) -> None:
        """Normalise and prepare a batch of read rows (a few thousand: their objects stay
        in the CPU cache); rejects, warnings and report lines go to ``chunk``."""
        if self.columns is not None:
            cols, slow = self.columns.build(lines, rows)
        else:
            cols = {name: [None] * len(rows) for name in (*_RECORD_FIELDS, "ipc_display")}
            slow = set(range(len(rows)))
        self._add_built(lines, cols, slow, rows.__getitem__, chunk)

    def add_cells(self, first_line: int, cells: pa.Table, chunk: PreparedChunk) -> None:
        """Prepare the records of a CSV span read as string columns (row ``i`` starts
        on line ``first_line + i``; :func:`~ingest.readers.span_columns`), in batches of
        :data:`BATCH_ROWS`; rows whose cells are all blank are counted as skipped, as
        the row reader yields them."""
        assert self.columns is not None, "cells are text rows"
        n = cells.num_rows
        chunk.read += n
        lines = np.arange(first_line, first_line + n)
        blank = _blank_rows(cells)
        if blank is not None:
            chunk.skipped += int(blank.sum())
            keep = np.flatnonzero(~blank)
            cells, lines = cells.take(keep), lines[keep]
        line_list = lines.tolist()
        headers = cells.column_names
        for b in range(0, len(line_list), BATCH_ROWS):
            part = cells.slice(b, BATCH_ROWS)
            raw = {h: _one(part.column(h)) for h in headers}
            batch_lines = line_list[b:b + BATCH_ROWS]
            cols, slow, arrow = self.columns.build_columns(batch_lines, raw)
            self._add_built(batch_lines, cols, slow, lambda i, raw=raw: {h: raw[h][i].as_py() for h in headers},
                            chunk, arrow)

    def _add_built(self, lines: list[int], cols: dict[str, list], slow: set[int],
                   row_at: Callable[[int], dict[str, Any]], chunk: PreparedChunk,
                   arrow: dict[str, pa.Array] | None = None) -> None:
        """The row builder for the ``slow`` rows (``row_at(i)``: row i as a dict), then
        :meth:`add_columns` of the batch without the rejected rows (``arrow``: columns
        also given as Arrow arrays; dropped when a row's values came from the row
        builder)."""
        fields = _RECORD_FIELDS
        drop: list[int] = []
        build = self.records.build
        issues = chunk.issues
        for i in sorted(slow):
            line = lines[i]
            rec, found = build(line, row_at(i))
            for x in found:
                issues.append((line, x.column, x.value, x.reason, x.level))
                if x.level == "warning":
                    chunk.warnings += 1
            if rec is None:
                chunk.rejected += 1
                drop.append(i)
                continue
            for name, value in zip(fields, record_values(rec, fields)):
                cols[name][i] = value
            cols["ipc_display"][i] = tuple(c.display for c in rec.ipc)
        if drop:
            keep = sorted(set(range(len(lines))) - set(drop))
            cols = {name: [values[i] for i in keep] for name, values in cols.items()}
        self.add_columns(cols, None if slow else arrow)

    def add_columns(self, cols: dict[str, list], arrow: dict[str, pa.Array] | None = None) -> None:
        """Prepare a batch of normalised rows given as record columns (``arrow``: some
        of them also as Arrow arrays, used as they are)."""
        n = len(cols["line"])
        touches = self._touches
        occ_row = self._occ_row
        occ_touch = self._occ_touch
        kinds_get = APPLICANT_TYPE_KINDS.get
        province_of, region_of, ids_of = self._province_of, self._region_of, self._ids
        tag = self.records.source_tag
        keys = [a or p or g or f"{tag}:{s}"
                for a, p, g, s in zip(cols["app_no"], cols["pub_no"], cols["grant_no"], cols["source_id"])]
        addresses = cols["address"]
        addr_regions = [region_of(address, province_of(code) if code else None)
                        for address, code in zip(addresses, cols["province_code"])]
        applicant_ids: list[list[str]] = []
        owner_ids: list[list[str]] = []
        first_orgs: list[str] = []
        for n_row, (applicants, holders, types, region, address) in enumerate(zip(
                cols["applicants"], cols["holders"], cols["applicant_types"], addr_regions, addresses),
                self._rows):
            # organisations (as the loader's resolution of a patent with no stored state)
            oids, app_ids = ids_of(applicants)
            hints = [kinds_get(t) for t in types] if len(types) == len(applicants) and types else None
            for i, (raw, oid) in enumerate(zip(applicants, oids)):
                if not oid:
                    continue
                hint = hints[i] if hints else None
                tv = (oid, raw, hint, region, address) if i == 0 else (oid, raw, hint, None, None)
                k = touches.get(tv)
                if k is None:
                    k = touches[tv] = len(touches)
                occ_row.append(n_row)
                occ_touch.append(k)
            if holders:
                hold_oids, hold_ids = ids_of(holders)
                for raw, oid in zip(holders, hold_oids):
                    if oid:
                        tv = (oid, raw, None, None, None)
                        k = touches.get(tv)
                        if k is None:
                            k = touches[tv] = len(touches)
                        occ_row.append(n_row)
                        occ_touch.append(k)
            else:
                hold_ids = _EMPTY
            applicant_ids.append(app_ids)
            owners = hold_ids or app_ids
            owner_ids.append(owners)
            first_orgs.append(app_ids[0] if app_ids else (owners[0] if owners else ""))
        subclasses, sei_codes, sei_rules, chain_nodes, chain_scores, chain_vias = self._classify(cols)
        ev: tuple[list, ...] = ([], [], [], [])
        for key, td, ld, pd, tc, lc, pc_, ol in zip(keys, cols["transfer_dates"], cols["licence_dates"],
                                                   cols["pledge_dates"], cols["transfer_count"],
                                                   cols["licence_count"], cols["pledge_count"], cols["open_licence"]):
            if tc or lc or pc_ or ol or td or ld or pd:
                events = event_rows(key, td, ld, pd, tc, lc, pc_, ol)
                rows = ([e["id"] for e in events], [e["kind"] for e in events], [e["date"] for e in events],
                        [e["raw"] for e in events])
            else:
                rows = _NO_EVENTS
            for target, value in zip(ev, rows):
                target.append(value)
        derived = {
            "key": keys, "addr_region": addr_regions, "first_org": first_orgs, "applicant_ids": applicant_ids,
            "owner_ids": owner_ids, "ipc_subclasses": subclasses, "sei_codes": sei_codes, "sei_rules": sei_rules,
            "chain_nodes": chain_nodes, "chain_scores": chain_scores, "chain_vias": chain_vias,
            "ev_ids": ev[0], "ev_kinds": ev[1], "ev_dates": ev[2], "ev_raws": ev[3],
            "n_family_size": [s if s is not None else (len(f) if f else None)
                              for s, f in zip(cols["family_size"], cols["family_ids"])],
            "n_overseas_family": [any(not x.startswith("CN") for x in f) if f else None for f in cols["family_ids"]],
            "n_cites_count": [c if c is not None else (len(x) if x else None)
                              for c, x in zip(cols["cites_count"], cols["cites"])],
            "n_cited_count": [c if c is not None else (len(x) if x else None)
                              for c, x in zip(cols["cited_count"], cols["cited_by"])],
            "app_year": [d.year if d else None for d in cols["app_date"]],
            "grant_year": [d.year if d else None for d in cols["grant_date"]],
        }
        values = dict(cols)
        values["ipc"] = cols["ipc_display"]
        values.update(derived)
        given = arrow or {}
        self._batches.append(pa.RecordBatch.from_arrays(
            [given[f.name] if f.name in given else _array(values[f.name], f.type) for f in ROW_SCHEMA],
            schema=ROW_SCHEMA))
        self._rows += n

    def _classify(self, cols: dict[str, list]) -> tuple[list, ...]:
        """Per row: IPC subclasses, SEI codes and rules, chain nodes, scores and vias
        (:func:`classify` over columns)."""
        sei_c, chains_c = self.sei, self.chains
        subclasses_of = self._subclasses
        out: tuple[list, ...] = ([], [], [], [], [], [])
        subclasses_l, sei_codes, sei_rules, chain_nodes, chain_scores, chain_vias = out
        for codes, displays, cpc, title, abstract, claim1 in zip(
                cols["ipc"], cols["ipc_display"], cols["cpc_codes"], cols["title"], cols["abstract"],
                cols["claim1"]):
            if cpc:
                subclasses, cpc_sub = ipc_subclasses(codes, cpc)
            else:
                subclasses = subclasses_of.get(displays)
                if subclasses is None:
                    subclasses = ipc_subclasses(codes, cpc)[0]
                    if len(subclasses_of) > 100_000:
                        subclasses_of.clear()
                    subclasses_of[displays] = subclasses
                cpc_sub = _EMPTY
            subclasses_l.append(subclasses)
            if sei_c is None and chains_c is None:
                sei_codes.append(_EMPTY)
                sei_rules.append(_EMPTY)
                chain_nodes.append(_EMPTY)
                chain_scores.append(_EMPTY)
                chain_vias.append(_EMPTY)
                continue
            text = patent_text(title, abstract, claim1)
            if sei_c is None or not codes:
                sei_codes.append(_EMPTY)
                sei_rules.append(_EMPTY)
            else:
                found = sei_c.classify_lists(codes, text)
                sei_codes.append(found[0])
                sei_rules.append(found[1])
            if chains_c is None:
                chain_nodes.append(_EMPTY)
                chain_scores.append(_EMPTY)
                chain_vias.append(_EMPTY)
                continue
            nodes, scores, vias = chains_c.classify_lists(
                codes if codes else [x for x in map(subclass_code, cpc_sub) if x], text)
            chain_nodes.append(nodes)
            chain_scores.append(scores)
            chain_vias.append(vias)
        return out


#: records prepared at a time: small enough for their objects to stay in the CPU cache
#: while their columns are built (a whole chunk's column passes would miss it)
BATCH_ROWS = 2048
_EMPTY: list = []
_NO_EVENTS = (_EMPTY, _EMPTY, _EMPTY, _EMPTY)
_RECORD_FIELDS = tuple(RECORD_COLUMNS)
_issue_line = itemgetter(0)


def _one(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _blank_rows(cells: pa.Table) -> np.ndarray | None:
    """Which rows have only blank cells (empty or whitespace, as ``str.isspace``), or
    None when none has."""
    def blank(col: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.equal(pc.utf8_length(pc.utf8_trim(col, characters=WHITESPACE)), 0)

    if not cells.num_columns:
        return None
    mask = blank(cells.column(0))
    if not pc.any(mask).as_py():
        return None
    for col in cells.columns[1:]:
        mask = pc.and_(mask, blank(col))
    out = mask.to_numpy(zero_copy_only=False)
    return out if out.any() else None


def _array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """``pa.array(values, type_)``; list columns are built from their flattened values
    and offsets (several times faster than converting nested lists)."""
    if not pa.types.is_list(type_):
        return pa.array(values, type_)
    lengths = list(map(len, values))
    total = sum(lengths)
    if not total:
        if None in values:
            return pa.array(values, type_)
        return pa.ListArray.from_arrays(pa.array(np.zeros(len(values) + 1, np.int32)),
                                        pa.array([], type_.value_type), type=type_)
    offsets = pa.array(list(accumulate(lengths, initial=0)), pa.int32())
    flat = pa.array(list(chain.from_iterable(values)), type_.value_type)
    return pa.ListArray.from_arrays(offsets, flat, type=type_)


def prepare_file(path: Path, hmap: HeaderMap, *, source_file: str, source_tag: str, max_field_chars: int,
                 today: date | None, sei: SeiClassifier | None, chains: ChainCatalogue | None,
                 regions: RegionTable, chunk_rows: int, part: int = 0, parts: int = 1,
                 spans: Sequence[Span] | None = None, rest_from: Span | None = None) -> Iterator[PreparedChunk]:
    """Read ``path`` and yield its rows as prepared chunks (see module doc).

    A chunk is ``chunk_rows`` input rows (the last one fewer). With ``parts`` > 1 only
    chunks number ``part``, ``part + parts``, ... are prepared and yielded (the other
    rows are read and passed over), so ``parts`` processes can share a file. With
    ``spans`` (:func:`~ingest.readers.csv_spans` of the file) a chunk is one span and
    only the spans of those numbers are read (:class:`~ingest.readers.SpanMisaligned`
    when one does not end on a record boundary). ``rest_from``: read only from that
    span's start to the end of the file."""
    table = open_table(path)
    builder = RecordBuilder(hmap, source_file=source_file, source_tag=source_tag,
                            max_field_chars=max_field_chars, today=today)
    preparer = ChunkPreparer(builder, text=table.format == "csv", sei=sei, chains=chains, regions=regions)
    lines: list[int] = []
    batch: list[dict[str, Any]] = []
    chunk = PreparedChunk(pa.table({}), pa.table({}), pa.table({}))
    issues = chunk.issues
    index = 0
    mine = parts == 1 or part == 0
    limit = chunk_rows
    if spans is not None:
        my_spans = iter(range(part, len(spans), parts))
        limit = sys.maxsize  # a span is one chunk
    elif rest_from is not None:
        rows = open_span(table, rest_from, -1, to_eof=True).rows()
    else:
        rows = table.rows()
    while True:
        if spans is not None:
            k = next(my_spans, None)
            if k is None:
                return
            cells = span_columns(table, spans[k]) if preparer.columns is not None else None
            if cells is None:
                rows = open_span(table, spans[k], k).rows()
            else:  # read by pyarrow: every record is one line and reads as the csv module reads it
                rows = iter(())
                preparer.add_cells(spans[k].first_line, cells, chunk)
                del cells
        elif not mine:
            # another process's chunk: pass over its rows
            skipped = sum(1 for _ in islice(rows, chunk_rows))
            if skipped < chunk_rows:
                return
            index += 1
            mine = index % parts == part
            continue
        for line, raw in rows:
            chunk.read += 1
            if raw is None:
                chunk.skipped += 1
            elif raw.__class__ is BadRow:
                chunk.rejected += 1
                issues.append((line, raw.column, raw.value, raw.reason, "reject"))
            else:
                lines.append(line)
                batch.append(raw)
                if len(batch) >= BATCH_ROWS:
                    preparer.add_rows(lines, batch, chunk)
                    lines, batch = [], []
            if chunk.read >= limit:
                break
        if not chunk.read and spans is None:
            return
        if batch:
            preparer.add_rows(lines, batch, chunk)
            lines, batch = [], []
        issues.sort(key=_issue_line)  # rows' issues come with their batch, after read errors
        chunk.rows, chunk.touches, chunk.occurrences = preparer.finish()
        yield chunk
        if chunk.read < limit and spans is None:
            return
        chunk = PreparedChunk(pa.table({}), pa.table({}), pa.table({}))
        issues = chunk.issues
        index += 1
        mine = index % parts == part


# -- the worker process -------------------------------------------------------------------------
# The worker is ``python -m ingest.prepare`` with the pickled arguments on its stdin; it
# writes framed messages to its stdout: 8-byte length + pickled header, then (for a
# chunk) the rows and touches as Arrow IPC streams. The pipe's buffer bounds what is in
# flight: the worker prepares chunk k+1 while the loader works on chunk k, then waits.
_FRAME = struct.Struct("<Q")


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _send(out: BinaryIO, *parts: bytes) -> None:
    for part in parts:
        out.write(_FRAME.pack(len(part)))
        out.write(part)
    out.flush()


def _receive(src: BinaryIO) -> bytes | None:
    head = src.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (n,) = _FRAME.unpack(head)
    data = src.read(n)
    if len(data) < n:
        return None
    return data


def _worker_main() -> None:  # pragma: no cover - runs in the worker process
    import gc

    gc.disable()  # a short-lived process holding one chunk at a time; collection costs ~15 %
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the message pipe
    try:
        kwargs = pickle.loads(sys.stdin.buffer.read())
        for chunk in prepare_file(**kwargs):
            header = ("chunk", (chunk.read, chunk.skipped, chunk.rejected, chunk.warnings), chunk.issues)
            _send(out, pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL), _ipc_bytes(chunk.rows),
                  _ipc_bytes(chunk.touches), _ipc_bytes(chunk.occurrences))
        _send(out, pickle.dumps(("done",)))
    except SpanMisaligned as exc:
        _send(out, pickle.dumps(("misaligned", exc.index)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        _send(out, pickle.dumps(("error", f"{type(exc).__name__}: {exc}")))


def prepare_in_workers(path: Path, hmap: HeaderMap, *, workers: int = 1, **kwargs: Any
                       ) -> Iterator[PreparedChunk]:
    """:func:`prepare_file` in ``workers`` processes (see above), each preparing every
    ``workers``-th chunk (span, when the file splits: see the module doc); the chunks
    are yielded in file order. A failure in a worker is raised here as
    :class:`IngestError`; closing the generator early stops the workers."""
    procs: list[subprocess.Popen] = []
    try:
        for part in range(workers):
            proc = subprocess.Popen([sys.executable, "-m", "ingest.prepare"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, bufsize=1 << 20)
            procs.append(proc)
        # split the file while the workers start
        spans = csv_spans(path, target_rows=kwargs["chunk_rows"])
        for part, proc in enumerate(procs):
            args = pickle.dumps(dict(kwargs, path=path, hmap=hmap, part=part, parts=workers, spans=spans),
                                protocol=pickle.HIGHEST_PROTOCOL)
            assert proc.stdin is not None
            with proc.stdin:
                proc.stdin.write(args)
        index = 0
        while True:
            proc = procs[index % workers]
            assert proc.stdout is not None
            data = _receive(proc.stdout)
            if data is None:
                raise IngestError(f"{path.name}: a parsing worker exited (code {proc.wait()})")
            header = pickle.loads(data)
            if header[0] == "done":
                if spans is not None and index != len(spans):
                    raise IngestError(f"{path.name}: a parsing worker stopped after {index} of {len(spans)} spans")
                break
            if header[0] == "misaligned":
                if spans is None or header[1] != index:
                    raise IngestError(f"{path.name}: a parsing worker sent span {header[1]} for chunk {index}")
                log.warning("%s: span %d does not end on a record boundary (a stray quote?); reading on "
                            "from line %d in this process", path.name, index, spans[index].first_line)
                _stop(procs)
                yield from prepare_file(path, hmap, rest_from=spans[index], **kwargs)
                break
            if header[0] == "error":
                raise IngestError(f"{path.name}: parsing failed in a worker: {header[1]}")
            rows, touches, occurrences = _receive(proc.stdout), _receive(proc.stdout), _receive(proc.stdout)
            if rows is None or touches is None or occurrences is None:
                raise IngestError(f"{path.name}: a parsing worker exited (code {proc.wait()})")
            _, counts, issues = header
            chunk = PreparedChunk(_from_ipc(rows), _from_ipc(touches), _from_ipc(occurrences), *counts)
            chunk.issues = issues
            yield chunk
            index += 1
    finally:
        _stop(procs)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


if __name__ == "__main__":  # pragma: no cover - the worker process
    _worker_main()
