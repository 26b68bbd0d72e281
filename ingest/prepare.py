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
through pipes.
"""

from __future__ import annotations

import logging
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import accumulate, chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from ingest.chains import ChainCatalogue
from ingest.headers import HeaderMap
from ingest.normalize.ipc import IpcCode, split_ipc
from ingest.normalize.names import APPLICANT_TYPE_KINDS, normalize_org_name
from ingest.normalize.regions import RegionTable
from ingest.readers import BadRow, open_table
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
    """Event node rows of a patent: dated transfers / licences / pledges, undated ones
    counted but not listed (``#k``), an open licence."""
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
    return events


def classify(rec: PatentRecord, sei: SeiClassifier | None, chains: ChainCatalogue | None
             ) -> tuple[list[str], dict[str, str], dict[str, tuple[float, str]]]:
    """(IPC subclasses, SEI code -> rules, chain node -> (score, via)) of a record."""
    codes = rec.ipc
    subclasses: list[str] = []
    for c in codes:
        if c.subclass and c.subclass not in subclasses:
            subclasses.append(c.subclass)
    cpc_sub = [x for x in map(cpc_subclass, rec.cpc_codes) if x] if rec.cpc_codes else []
    for s in cpc_sub:
        if s not in subclasses:
            subclasses.append(s)
    if sei is None and chains is None:
        return subclasses, {}, {}
    text = " ".join(t for t in (rec.title, rec.abstract, rec.claim1) if t)
    found_sei = sei.classify(codes, text) if (sei is not None and codes) else {}
    found_chains: dict[str, tuple[float, str]] = {}
    if chains is not None:
        chain_codes = codes or [x for x in map(subclass_code, cpc_sub) if x]
        found_chains = chains.classify(chain_codes, text)
    return subclasses, found_sei, found_chains


class ChunkPreparer:
    """Turns the records of one file into :class:`PreparedChunk` s (record-local work)."""

    def __init__(self, *, sei: SeiClassifier | None, chains: ChainCatalogue | None,
                 regions: RegionTable) -> None:
        self.sei = sei
        self.chains = chains
        self.regions = regions
        self._province: dict[str, str | None] = {}
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

    def chunk(self, recs: list[PatentRecord]) -> tuple[pa.Table, pa.Table, pa.Table]:
        """(rows, touches, occurrences) tables for the records of one chunk."""
        for i in range(0, len(recs), BATCH_ROWS):
            self.add(recs[i:i + BATCH_ROWS])
        return self.finish()

    def finish(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        """(rows, touches, occurrences) of the records added since the last call."""
        rows = pa.Table.from_batches(self._batches, schema=ROW_SCHEMA)
        touch_values = list(zip(*self._touches)) if self._touches else [()] * len(TOUCH_SCHEMA)
        touches = pa.Table.from_arrays([_array(v, f.type) for v, f in zip(touch_values, TOUCH_SCHEMA)],
                                       schema=TOUCH_SCHEMA)
        occurrences = pa.Table.from_arrays([pa.array(self._occ_row, pa.int32()),
                                            pa.array(self._occ_touch, pa.int32())], schema=OCCURRENCE_SCHEMA)
        self._batches, self._rows, self._touches, self._occ_row, self._occ_touch = [], 0, {}, [], []
        return rows, touches, occurrences

    def add(self, recs: list[PatentRecord]) -> None:
        """Prepare a few thousand records (converted while they are in the CPU cache)."""
        touches = self._touches
        occ_row = self._occ_row
        occ_touch = self._occ_touch
        base = self._rows
        derived: list[tuple] = []
        regions = self.regions
        kinds_get = APPLICANT_TYPE_KINDS.get
        sei_c, chains_c = self.sei, self.chains
        for n, rec in enumerate(recs, base):
            key = rec.key
            # organisations (as the loader's resolution of a patent with no stored state)
            province = self._province_of(rec.province_code) if rec.province_code else None
            address = rec.address
            addr_region = regions.match_address(address, province) if address else province
            applicants = rec.applicants
            types = [kinds_get(t) for t in rec.applicant_types] if rec.applicant_types else []
            hints = len(types) == len(applicants)
            applicant_ids: list[str] = []
            for i, raw in enumerate(applicants):
                oid = normalize_org_name(raw)
                if not oid:
                    continue
                if i == 0:
                    tv = (oid, raw, types[i] if hints else None, addr_region, address)
                else:
                    tv = (oid, raw, types[i] if hints else None, None, None)
                k = touches.get(tv)
                if k is None:
                    k = touches[tv] = len(touches)
                occ_row.append(n)
                occ_touch.append(k)
                if oid not in applicant_ids:
                    applicant_ids.append(oid)
            holder_ids: list[str] = []
            for raw in rec.holders:
                oid = normalize_org_name(raw)
                if oid:
                    tv = (oid, raw, None, None, None)
                    k = touches.get(tv)
                    if k is None:
                        k = touches[tv] = len(touches)
                    occ_row.append(n)
                    occ_touch.append(k)
                    if oid not in holder_ids:
                        holder_ids.append(oid)
            owner_ids = holder_ids or applicant_ids
            first_org = applicant_ids[0] if applicant_ids else (owner_ids[0] if owner_ids else "")
            subclasses, sei, chains = classify(rec, sei_c, chains_c)
            if rec.transfer_count or rec.licence_count or rec.pledge_count or rec.open_licence or \
                    rec.transfer_dates or rec.licence_dates or rec.pledge_dates:
                events = patent_events(key, rec)
                ev = ([e["id"] for e in events], [e["kind"] for e in events], [e["date"] for e in events],
                      [e["raw"] for e in events])
            else:
                ev = _NO_EVENTS
            family = rec.family_ids
            if chains:
                chain_values = chains.values()
                ch = (list(chains), [v[0] for v in chain_values], [v[1] for v in chain_values])
            else:
                ch = _NO_CHAINS
            derived.append((
                key, addr_region, first_org, applicant_ids, owner_ids, subclasses, list(sei) if sei else _EMPTY, list(sei.values()) if sei else _EMPTY, *ch, *ev,
                rec.family_size if rec.family_size is not None else (len(family) if family else None),
                any(not f.startswith("CN") for f in family) if family else None,
                rec.cites_count if rec.cites_count is not None else (len(rec.cites) if rec.cites else None),
                rec.cited_count if rec.cited_count is not None else (len(rec.cited_by) if rec.cited_by else None),
                rec.app_date.year if rec.app_date else None,
                rec.grant_date.year if rec.grant_date else None,
            ))
        record_values = list(zip(*map(_RECORD_GETTER, recs))) if recs else [()] * len(_RECORD_FIELDS)
        derived_values = list(zip(*derived)) if derived else [()] * len(DERIVED_COLUMNS)
        values = dict(zip(_RECORD_FIELDS, record_values))
        values["ipc"] = [[c.display for c in codes] for codes in values["ipc"]]
        values.update(zip(DERIVED_COLUMNS, derived_values))
        self._batches.append(pa.RecordBatch.from_arrays([_array(values[f.name], f.type) for f in ROW_SCHEMA],
                                                        schema=ROW_SCHEMA))
        self._rows += len(recs)


#: records prepared at a time: small enough for their objects to stay in the CPU cache
#: while their columns are built (a whole chunk's column passes would miss it)
BATCH_ROWS = 2048
_EMPTY: list = []
_NO_EVENTS = (_EMPTY, _EMPTY, _EMPTY, _EMPTY)
_NO_CHAINS = (_EMPTY, _EMPTY, _EMPTY)
_RECORD_FIELDS = tuple(RECORD_COLUMNS)
_RECORD_GETTER = attrgetter(*_RECORD_FIELDS)


def _array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """``pa.array(values, type_)``; list columns are built from their flattened values
    and offsets (several times faster than converting nested lists)."""
    if not pa.types.is_list(type_):
        return pa.array(values, type_)
    lengths = list(map(len, values))
    total = sum(lengths)
    if not total:
        return pa.array(values, type_)
    offsets = pa.array(list(accumulate(lengths, initial=0)), pa.int32())
    flat = pa.array(list(chain.from_iterable(values)), type_.value_type)
    return pa.ListArray.from_arrays(offsets, flat, type=type_)


def prepare_file(path: Path, hmap: HeaderMap, *, source_file: str, source_tag: str, max_field_chars: int,
                 today: date | None, sei: SeiClassifier | None, chains: ChainCatalogue | None,
                 regions: RegionTable, chunk_rows: int, part: int = 0, parts: int = 1) -> Iterator[PreparedChunk]:
    """Read ``path`` and yield its rows as prepared chunks (see module doc).

    A chunk is ``chunk_rows`` input rows (the last one fewer). With ``parts`` > 1 only
    chunks number ``part``, ``part + parts``, ... are prepared and yielded (the other
    rows are read and passed over), so ``parts`` processes can share a file."""
    table = open_table(path)
    builder = RecordBuilder(hmap, source_file=source_file, source_tag=source_tag,
                            max_field_chars=max_field_chars, today=today)
    preparer = ChunkPreparer(sei=sei, chains=chains, regions=regions)
    build = builder.build
    recs: list[PatentRecord] = []
    chunk = PreparedChunk(pa.table({}), pa.table({}), pa.table({}))
    issues = chunk.issues
    index = 0
    mine = parts == 1 or part == 0
    rows = table.rows()
    while True:
        if not mine:
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
                rec, found = build(line, raw)
                for i in found:
                    issues.append((line, i.column, i.value, i.reason, i.level))
                    if i.level == "warning":
                        chunk.warnings += 1
                if rec is None:
                    chunk.rejected += 1
                else:
                    recs.append(rec)
                    if len(recs) >= BATCH_ROWS:
                        preparer.add(recs)
                        recs = []
            if chunk.read >= chunk_rows:
                break
        if not chunk.read:
            return
        if recs:
            preparer.add(recs)
        recs = []
        chunk.rows, chunk.touches, chunk.occurrences = preparer.finish()
        yield chunk
        if chunk.read < chunk_rows:
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
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        _send(out, pickle.dumps(("error", f"{type(exc).__name__}: {exc}")))


def prepare_in_workers(path: Path, hmap: HeaderMap, *, workers: int = 1, **kwargs: Any
                       ) -> Iterator[PreparedChunk]:
    """:func:`prepare_file` in ``workers`` processes (see above), each preparing every
    ``workers``-th chunk; the chunks are yielded in file order. A failure in a worker is
    raised here as :class:`IngestError`; closing the generator early stops the workers."""
    procs: list[subprocess.Popen] = []
    try:
        for part in range(workers):
            args = pickle.dumps(dict(kwargs, path=path, hmap=hmap, part=part, parts=workers),
                                protocol=pickle.HIGHEST_PROTOCOL)
            proc = subprocess.Popen([sys.executable, "-m", "ingest.prepare"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, bufsize=1 << 20)
            procs.append(proc)
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
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


if __name__ == "__main__":  # pragma: no cover - the worker process
    _worker_main()
