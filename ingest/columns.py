"""Text rows -> normalised record columns, a field at a time.

:class:`~ingest.records.RecordBuilder` turns one row into one
:class:`~ingest.records.PatentRecord`; at a million rows its per-row, per-field Python
(look-ups, ``setattr``, the record object, then turning records back into columns) is
most of the parsing workers' time. :class:`ColumnBuilder` computes the same values
for a batch of CSV rows one *field* at a time: each column is normalised in one pass,
and fields whose cells repeat (dates, IPC lists, legal status, names) are normalised
once per distinct cell.

The rule that keeps the two builders identical: the column pass only handles the
plain case and runs the same normalisers as the row builder. A row is handed to
:meth:`RecordBuilder.build <ingest.records.RecordBuilder.build>` instead -- which
decides rejects and warnings and builds the record -- when anything about it is not
plain: a value that raises :class:`~ingest.normalize.InvalidValue` (a warning or a
reject), no identifier or no title, an overlong field, a CPC / labels / ``text``
column in use, or a cell that is not a string (XLSX and JSONL rows always take the row
builder). ``tests/test_ingest_columns.py`` checks the two give equal columns on every
bad input, the real exports and generated rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.normalize import EMPTY_MARKERS, InvalidValue
from ingest.normalize.dates import parse_date_list
from ingest.normalize.numbers import (
    app_kind,
    kind_from_pub,
    normalize_app_no,
    normalize_pub_no,
    parse_count,
)
from ingest.normalize.status import legal_status, patent_kind, yes_no
from ingest.records import (
    _COUNT_FAST,
    _COUNT_FIELDS,
    _DATE_FIELDS,
    _DATE_LIST_FIELDS,
    PatentRecord,
    RecordBuilder,
    _inventors,
    _names,
    _split_ipc,
    extend_codes,
    pub_numbers,
)

_EMPTY = EMPTY_MARKERS
#: what ``str.strip()`` strips (``utf8_trim`` with these characters strips the same)
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
_EMPTY_ARROW = pa.array(sorted(EMPTY_MARKERS), pa.string())
_NULL = pa.scalar(None, pa.string())
#: fields whose column value is the cell as read (stripped) -> their record column: given
#: Arrow cells, the stripped Arrow column is handed on too (no Python -> Arrow conversion
#: later)
PASSTHROUGH_FIELDS = {"title": "title", "abstract": "abstract", "claim1": "claim1", "address": "address",
                      "province_code": "province_code", "legal_status": "legal_status_raw"}
#: a cached value that raised (the row takes the row builder)
_BAD = object()
_NO_CODES: tuple = ()
#: fields whose presence sends the row to the row builder (rare, irregular formats)
_ROW_BUILDER_FIELDS = ("cpc_main", "cpc_codes", "labels")
#: PatentRecord fields that are lists, with their value when the row has none
_LIST_DEFAULTS = ("family_ids", "cpc_codes", "applicants", "holders", "inventors", "applicant_types",
                  "cites", "cited_by", "transfer_dates", "licence_dates", "pledge_dates")


class ColumnBuilder:
    """Normalised record columns for batches of text rows (see module doc).

    :meth:`build` returns ``(columns, slow)``: ``columns`` maps every
    :class:`PatentRecord` field in ``fields`` to a list with one value per row (lists
    may be tuples; ``ipc`` holds :class:`~ingest.normalize.ipc.IpcCode` tuples, and
    ``ipc_display`` their display forms), and ``slow`` lists the rows the row builder
    must build (their column values are not set)."""

    def __init__(self, records: RecordBuilder, fields: Sequence[str]) -> None:
        self.records = records
        self.fields = tuple(fields)
        self.cols = records.hmap.fields
        self.mapped = records._mapped_headers
        self.limit = records.max_field_chars
        self._caches: dict[str, dict[str, Any]] = {}

    # -- helpers --------------------------------------------------------------------------
    def _first(self, raw: dict[str, list[str]], name: str) -> list[str | None] | None:
        """Per row: the field's first non-empty value, stripped (the row builder's rule)."""
        cols = self.cols.get(name)
        if not cols:
            return None
        out = [v if (v := x.strip()) not in _EMPTY else None for x in raw[cols[0]]]
        for c in cols[1:]:
            other = raw[c]
            for i, v in enumerate(out):
                if v is None:
                    x = other[i].strip()
                    if x not in _EMPTY:
                        out[i] = x
        return out

    def _first_arrow(self, raw: dict[str, pa.Array], name: str) -> pa.Array | None:
        """:meth:`_first` of Arrow cells, as an Arrow column (null: no value)."""
        cols = self.cols.get(name)
        if not cols:
            return None
        out = None
        for c in cols:
            stripped = pc.utf8_trim(raw[c], characters=WHITESPACE)
            value = pc.if_else(pc.is_in(stripped, value_set=_EMPTY_ARROW), _NULL, stripped)
            out = value if out is None else pc.coalesce(out, value)
        return out

    def _cached(self, name: str, values: list[str | None], fn: Callable[[str], Any], slow: set[int]) -> list:
        """``fn`` of every value, once per distinct value; a value that raises
        :class:`InvalidValue` sends its row to the row builder."""
        cache = self._caches.setdefault(name, {})
        if len(cache) > 200_000:
            cache.clear()
        get = cache.get
        out: list = [None] * len(values)
        for i, v in enumerate(values):
            if v is None:
                continue
            hit = get(v, _BAD)
            if hit is _BAD:
                if v in cache:
                    slow.add(i)
                    continue
                try:
                    hit = fn(v)
                except InvalidValue:
                    cache[v] = _BAD
                    slow.add(i)
                    continue
                cache[v] = hit
            out[i] = hit
        return out

    @staticmethod
    def _each(values: list[str | None], fn: Callable[[str], Any], slow: set[int]) -> list:
        """``fn`` of every value (for fields whose values rarely repeat)."""
        out: list = [None] * len(values)
        for i, v in enumerate(values):
            if v is not None:
                try:
                    out[i] = fn(v)
                except InvalidValue:
                    slow.add(i)
        return out

    # -- the batch -------------------------------------------------------------------------
    def build(self, lines: list[int], rows: list[dict[str, str]]) -> tuple[dict[str, list], set[int]]:
        """:meth:`build_columns` of a batch of rows (header -> cell dicts)."""
        cols, slow, _ = self.build_columns(lines, {h: list(map(itemgetter(h), rows)) for h in self.mapped})
        return cols, slow

    def build_columns(self, lines: list[int], raw: dict[str, list[str]] | dict[str, pa.Array]
                      ) -> tuple[dict[str, list], set[int], dict[str, pa.Array]]:
        """The record columns of a batch given as cell columns (header -> one string per
        row, as a list or an Arrow string array; at least every mapped header), the rows
        the row builder must build, and -- for Arrow cells -- the record columns of
        :data:`PASSTHROUGH_FIELDS` as Arrow arrays (equal to their lists), and
        ``inventors`` when every cell is plain Han names (:func:`_plain_han_names`; its
        list is then left out unless a row is slow)."""
        n = len(lines)
        slow: set[int] = set()
        limit = self.limit
        arrow = isinstance(next(iter(raw.values()), None), (pa.Array, pa.ChunkedArray))
        passthrough: dict[str, pa.Array] = {}
        if arrow:
            for col in map(raw.__getitem__, self.mapped):
                lengths = pc.utf8_length(col)
                if (pc.max(lengths).as_py() or 0) > limit:
                    slow.update(np.flatnonzero(lengths.to_numpy(zero_copy_only=False) > limit).tolist())

            def first(raw: Any, name: str) -> list[str | None] | None:
                values = self._first_arrow(raw, name)
                if values is None:
                    return None
                if name in PASSTHROUGH_FIELDS:
                    passthrough[PASSTHROUGH_FIELDS[name]] = values
                return values.to_pylist()
        else:
            for col in map(raw.__getitem__, self.mapped):
                if max(map(len, col), default=0) > limit:
                    slow.update(i for i, x in enumerate(col) if len(x) > limit)
            first = self._first
        out: dict[str, list] = {"line": lines}
        none = [None] * n

        # identifiers: one of them, and a title, or the row builder decides the reject
        for name, fn in (("app_no", normalize_app_no), ("pub_no", normalize_pub_no),
                         ("grant_no", normalize_pub_no)):
            values = first(raw, name)
            if values is None:
                out[name] = none
            elif name == "app_no":
                out[name] = _app_nos(values, slow)
            else:
                out[name] = self._each(values, fn, slow)
        sid = first(raw, "source_id")
        out["source_id"] = none if sid is None else sid
        for i, ids in enumerate(zip(out["app_no"], out["pub_no"], out["grant_no"], out["source_id"])):
            if not any(ids):
                slow.add(i)
        for name in ("title", "abstract", "claim1"):
            values = first(raw, name)
            out[name] = none if values is None else values
        text = first(raw, "text")
        for i, t in enumerate(out["title"]):
            if t is None:
                slow.add(i)
        if text is not None:
            slow.update(i for i, (t, a, x) in enumerate(zip(out["title"], out["abstract"], text))
                        if x is not None and (t is None or a is None))
        for name in _ROW_BUILDER_FIELDS:
            values = first(raw, name)
            if values is not None:
                slow.update(i for i, v in enumerate(values) if v is not None)

        # dates
        date_of = self.records._date
        for name in _DATE_FIELDS:
            values = first(raw, name)
            out[name] = none if values is None else self._cached(name, values, date_of, slow)
        today = self.records.today
        for name in _DATE_LIST_FIELDS:
            values = first(raw, name)
            out[name] = none if values is None else self._cached(name, values, _date_list(today), slow)

        # IPC: the main class, the list, subclasses, merged as the row builder does
        mains, codes, subs = first(raw, "ipc_main"), first(raw, "ipc_codes"), first(raw, "ipc_subclasses")
        keys = list(zip(mains or none, codes or none, subs or none))
        ipc = self._cached("ipc", keys, _ipc_cells, slow)
        out["ipc"] = [x[0] if x is not None else _NO_CODES for x in ipc]
        out["ipc_main"] = [x[1] if x is not None else None for x in ipc]
        ipc_display = [x[2] if x is not None else _NO_CODES for x in ipc]

        # status and kind
        values = first(raw, "legal_status")
        out["legal_status_raw"] = none if values is None else values
        out["status"] = none if values is None else self._cached("status", values, legal_status, slow)
        values = first(raw, "patent_type")
        kinds = list(none) if values is None else self._cached("kind", values, patent_kind, slow)
        for i, k in enumerate(kinds):
            if k is None:
                kinds[i] = (kind_from_pub(out["pub_no"][i]) or kind_from_pub(out["grant_no"][i])
                            or app_kind(out["app_no"][i]))
        out["kind"] = kinds

        # parties
        for name, source, fn in (("applicants", "applicants", _names), ("holders", "holders", _names),
                                 ("applicant_types", "applicant_type", _names), ("inventors", "inventors", _inventors)):
            if arrow and name == "inventors":
                cells = self._first_arrow(raw, source)
                lists = None if cells is None else _plain_han_names(cells)
                if lists is not None:
                    passthrough["inventors"] = lists
                    continue
                values = None if cells is None else cells.to_pylist()
            else:
                values = first(raw, source)
            out[name] = none if values is None else self._cached(name, values, fn, slow)
        for name in ("address", "province_code"):
            values = first(raw, name)
            out[name] = none if values is None else values

        # counts (their own rule: the first non-blank cell, unstripped; 0 is a value)
        for name in _COUNT_FIELDS:
            cols = self.cols.get(name)
            out[name] = none if not cols else self._counts(
                [raw[c].to_pylist() if arrow else raw[c] for c in cols], slow)
        for name, target in (("family", "family_ids"), ("cites", "cites"), ("cited_by", "cited_by")):
            values = first(raw, name)
            out[target] = none if values is None else self._each(values, _pub_list, slow)
        values = first(raw, "open_licence")
        out["open_licence"] = none if values is None else self._cached("open_licence", values, yes_no, slow)
        for name in _LIST_DEFAULTS:
            if name in passthrough:
                if slow:  # the row builder's values go into the Python lists
                    out[name] = list(map(tuple, passthrough[name].to_pylist()))
            elif name in out:
                out[name] = [v if v is not None else _NO_CODES for v in out[name]]
            else:
                out[name] = [_NO_CODES] * n
        cols = {name: (list(out[name]) if out[name] is none else out[name]) for name in self.fields
                if name in out}
        cols["ipc_display"] = ipc_display
        return cols, slow, passthrough

    def _counts(self, cols: list[list[str]], slow: set[int]) -> list[int | None]:
        cache = self._caches.setdefault("count", {})
        fast = _COUNT_FAST.get
        out: list[int | None] = [None] * len(cols[0])
        for i in range(len(out)):
            for col in cols:
                x = col[i]
                v = fast(x)
                if v is not None:
                    out[i] = v
                    break
                if not x.strip():
                    continue
                v = cache.get(x, _BAD)
                if v is _BAD:
                    try:
                        v = cache[x] = parse_count(x)
                    except InvalidValue:
                        slow.add(i)
                        break
                out[i] = v
                break
        return out


#: a cell of Han names (CJK unified ideographs) separated by ``;`` and nothing else
_HAN_NAMES = r"^[\x{4e00}-\x{9fff}]+(?:;[\x{4e00}-\x{9fff}]+)*$"
#: ... holding a part that is an empty marker (``split_names`` drops it)
_HAN_EMPTY_PART = "(?:^|;)(?:" + "|".join(m for m in sorted(EMPTY_MARKERS) if m and "\u4e00" <= m[0] <= "\u9fff") + ")(?:;|$)"


def _plain_han_names(cells: pa.Array) -> pa.ListArray | None:
    """The inventors column (:func:`~ingest.records._inventors` of every cell, as a
    list array; null cells give empty lists) when every cell is plain Han names
    separated by ``;``, else None. For such cells ``_inventors`` only splits on ``;``
    and drops repeated names: NFKC, the strip and the space rules change nothing in
    them; the one empty marker they could hold (``无``) sends the batch back."""
    n = len(cells)
    valid = cells.drop_null()
    if not len(valid):
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.string()))
    if not pc.all(pc.match_substring_regex(valid, _HAN_NAMES)).as_py() \
            or pc.any(pc.match_substring_regex(valid, _HAN_EMPTY_PART)).as_py():
        return None
    lists = pc.split_pattern(valid, ";")
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    codes = pc.dictionary_encode(flat).indices.to_numpy().astype(np.int64)
    keys = (parents << 32) | codes
    _, first = np.unique(keys, return_index=True)
    if len(first) != len(keys):  # a name repeated in its cell: keep its first occurrence
        keep = np.zeros(len(keys), bool)
        keep[first] = True
        flat = flat.filter(pa.array(keep))
        lengths = np.bincount(parents[keep], minlength=len(valid))
    else:
        lengths = pc.list_value_length(lists).to_numpy()
    full = np.zeros(n, np.int32)
    full[np.flatnonzero(cells.is_valid().to_numpy(zero_copy_only=False))] = lengths
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(full, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


_APP_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], np.int64)
_CHECK_CHARS = np.frombuffer(b"0123456789X", np.uint8)


def _app_nos(values: list[str | None], slow: set[int]) -> list[str | None]:
    """:func:`normalize_app_no` of every value; values already in the canonical form
    (``CN`` + 12 digits + ``.`` + the right check digit, year 1985-2099) are checked
    together with numpy and kept as they are, the others one by one."""
    out: list[str | None] = list(values)
    canonical = [i for i, v in enumerate(values) if v is not None and len(v) == 16 and v.isascii()]
    if canonical:
        b = np.frombuffer("".join([values[i] for i in canonical]).encode("ascii"), np.uint8).reshape(-1, 16)
        digits = b[:, 2:14].astype(np.int64) - 48
        year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
        ok = ((b[:, 0] == ord("C")) & (b[:, 1] == ord("N")) & (b[:, 14] == ord("."))
              & ((digits >= 0) & (digits <= 9)).all(axis=1) & (year >= 1985) & (year <= 2099))
        ok &= b[:, 15] == _CHECK_CHARS[(digits * _APP_WEIGHTS).sum(axis=1) % 11]
        done = {canonical[k] for k in np.flatnonzero(ok).tolist()}
    else:
        done = set()
    for i, v in enumerate(values):
        if v is not None and i not in done:
            try:
                out[i] = normalize_app_no(v)
            except InvalidValue:
                out[i] = None
                slow.add(i)
    return out


def record_values(rec: PatentRecord, fields: Sequence[str]) -> list[Any]:
    """A record's values in the column builder's representation (lists as tuples)."""
    return [tuple(v) if (v := getattr(rec, name)).__class__ is list else v for name in fields]


def _date_list(today: date) -> Callable[[str], tuple[date, ...]]:
    def parse(v: str) -> tuple[date, ...]:
        ds, bad = parse_date_list(v, today=today)
        if bad:
            raise InvalidValue("malformed date in a list")
        return tuple(ds)
    return parse


def _ipc_cells(cells: tuple[str | None, str | None, str | None]) -> tuple[tuple, str | None, tuple[str, ...]]:
    """(codes, main code, display forms of the codes) of a row's main-class, class-list
    and subclass cells, merged as :meth:`RecordBuilder.build` merges them."""
    main_v, codes_v, subs_v = cells
    ipc: list = []
    ipc_main = None
    if main_v is not None:
        codes, bad = _split_ipc(main_v)
        if bad:
            raise InvalidValue("malformed main IPC code")
        if codes:
            ipc_main = codes[0].display
            ipc.extend(codes)
    for name, v in (("ipc_codes", codes_v), ("ipc_subclasses", subs_v)):
        if v is None:
            continue
        codes, bad = _split_ipc(v)
        if bad:
            raise InvalidValue("malformed IPC code")
        extend_codes(ipc, codes)
        if ipc_main is None and name == "ipc_codes" and codes:
            ipc_main = codes[0].display
    return tuple(ipc), ipc_main, tuple(c.display for c in ipc)


def _pub_list(v: str) -> tuple[str, ...]:
    nums, bad = pub_numbers(v)
    if bad:
        raise InvalidValue("malformed publication number in a list")
    return tuple(nums)
