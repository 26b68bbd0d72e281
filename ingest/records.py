"""One export row -> one normalised :class:`PatentRecord` (or a reject).

Rule (documented in the README of ``ingest``):

* the row must be identifiable -- a valid application number, else a valid
  publication (or grant) number, else a source id -- and have a title; otherwise it is
  **rejected** (``missing identifier``, ``bad application number …`` when nothing else
  identifies it, ``missing title``);
* any field longer than ``max_field_chars`` rejects the row (such values come from
  broken quoting that swallowed neighbouring rows);
* a malformed value in any other field (date, IPC code, count, a second identifier
  such as an application number with a wrong check digit when the publication number
  is fine) is **dropped with a warning**; the row is still loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from ingest.headers import HeaderMap
from ingest.normalize import EMPTY_MARKERS, InvalidValue, distinct_parts
from ingest.normalize.dates import _parse_text, parse_date, parse_date_list
from ingest.normalize.ipc import IpcCode, split_ipc
from ingest.normalize.names import normalize_person_name, split_names
from ingest.normalize.numbers import (
    app_kind,
    kind_from_pub,
    normalize_app_no,
    normalize_pub_no,
    parse_count,
)
from ingest.normalize.status import legal_status, patent_kind, yes_no

#: identifier fields: (record attribute, normaliser, name in the warning)
_ID_FIELDS = (("app_no", normalize_app_no, "application number"),
              ("pub_no", normalize_pub_no, "pub no"), ("grant_no", normalize_pub_no, "grant no"))


@dataclass(slots=True)
class Issue:
    """A warning or reject reason for one value of one row."""

    level: str  # "reject" | "warning"
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class PatentRecord:
    """A normalised patent row, before ids of applicants / inventors are resolved."""

    source_file: str
    line: int
    source_tag: str
    source_id: str | None = None
    app_no: str | None = None
    pub_no: str | None = None
    grant_no: str | None = None
    kind: str | None = None
    title: str | None = None
    abstract: str | None = None
    claim1: str | None = None
    app_date: date | None = None
    pub_date: date | None = None
    grant_date: date | None = None
    expiry_date: date | None = None
    legal_status_raw: str | None = None
    status: str | None = None
    claim_count: int | None = None
    family_ids: list[str] = field(default_factory=list)
    family_size: int | None = None
    cites_count: int | None = None
    cited_count: int | None = None
    transfer_count: int | None = None
    licence_count: int | None = None
    pledge_count: int | None = None
    open_licence: bool | None = None
    ipc: list[IpcCode] = field(default_factory=list)
    ipc_main: str | None = None
    cpc_codes: list[str] = field(default_factory=list)
    province_code: str | None = None
    address: str | None = None
    applicants: list[str] = field(default_factory=list)  # raw names
    holders: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)
    applicant_types: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)  # publication numbers
    cited_by: list[str] = field(default_factory=list)
    transfer_dates: list[date] = field(default_factory=list)
    licence_dates: list[date] = field(default_factory=list)
    pledge_dates: list[date] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # files this record was read from

    @property
    def key(self) -> str:
        """The id this row would get on its own."""
        return self.app_no or self.pub_no or self.grant_no or f"{self.source_tag}:{self.source_id}"


_TITLE_RE = re.compile(r"^\s*Title:\s*(.*?)\s*(?:\n\s*Keywords:.*?)?(?:\n\s*Abstract:\s*(.*))?$", re.DOTALL | re.IGNORECASE)
_ABSTRACT_TAG = re.compile(r"\n\s*Abstract:\s*", re.IGNORECASE)


def parse_sample_text(text: str) -> tuple[str | None, str | None]:
    """(title, abstract) from the liaoleyuan ``text`` field: either
    ``Title: …\\nKeywords: …\\nAbstract: …`` or ``title [SEP] keywords [SEP] abstract``."""
    if not text or not text.strip():
        return None, None
    if "[SEP]" in text:
        parts = [p.strip() for p in text.split("[SEP]")]
        title = parts[0] or None
        abstract = parts[-1] if len(parts) >= 3 else (parts[1] if len(parts) == 2 else None)
        return title, abstract or None
    m = _TITLE_RE.match(text)
    if m:
        return (m.group(1) or None), ((m.group(2) or "").strip() or None)
    first, _, rest = text.strip().partition("\n")
    return first.strip() or None, rest.strip() or None


def _labels(value: Any) -> list[str]:
    """CPC labels: a JSON list (``["G06F18/2433", …]``) or a delimited string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    s = str(value).strip()
    if s.startswith("["):
        try:
            data = json.loads(s)
        except ValueError:
            raise InvalidValue("labels is not a valid JSON list") from None
        if not isinstance(data, list):
            raise InvalidValue("labels is not a JSON list")
        return [str(v) for v in data]
    return [s]


_EMPTY = EMPTY_MARKERS
_COUNT_FAST = {str(i): i for i in range(100)}


def _first(row: dict[str, Any], cols: tuple[str, ...]) -> tuple[Any, str]:
    """First non-empty value among a field's columns, with the column it came from."""
    for c in cols:
        v = row.get(c)
        if v is None:
            continue
        if v.__class__ is str:
            v = v.strip()
            if v in _EMPTY:
                continue
        return v, c
    return None, cols[0]


@lru_cache(maxsize=65536)
def _names(s: str) -> tuple[str, ...]:
    return tuple(split_names(s))


@lru_cache(maxsize=65536)
def _inventors(s: str) -> tuple[str, ...]:
    out: list[str] = []
    for n in split_names(s):
        n = normalize_person_name(n)
        if n and n not in out:
            out.append(n)
    return tuple(out)


_NUM_SPLIT = re.compile(r"[;；,，|\s]+")


_COUNT_FIELDS = ("claim_count", "family_size", "cites_count", "cited_count",
                 "transfer_count", "licence_count", "pledge_count")


@lru_cache(maxsize=65536)
def _split_ipc(s: str) -> tuple[list[IpcCode], list[str]]:
    """:func:`split_ipc` of a text cell, cached (cells repeat); callers must not change
    the returned lists."""
    return split_ipc(s)


def pub_numbers(cell: str) -> tuple[list[str], list[str]]:
    """(distinct normalised publication numbers, malformed parts) of a family / citation cell."""
    return distinct_parts(_NUM_SPLIT.split(cell), normalize_pub_no)


def extend_codes(ipc: list[IpcCode], codes: list[IpcCode]) -> None:
    """Append to ``ipc`` the codes it does not hold yet (by display form), in order."""
    if not ipc:
        ipc.extend(codes)
        return
    seen = {x.display for x in ipc}
    for x in codes:
        if x.display not in seen:
            seen.add(x.display)
            ipc.append(x)


class RecordBuilder:
    """Turns the rows of one file into :class:`PatentRecord` s."""

    def __init__(self, hmap: HeaderMap, *, source_file: str, source_tag: str, max_field_chars: int,
                 today: date | None = None) -> None:
        self.hmap = hmap
        self.source_file = source_file
        self.source_tag = source_tag
        self.max_field_chars = max_field_chars
        self.today = today or date.today()
        self.cols = hmap.fields
        self._mapped_headers = tuple(dict.fromkeys(h for cols in hmap.fields.values() for h in cols))
        #: (field, columns) read with "first non-empty value" (counts have their own rule)
        self._plan = tuple((name, cols) for name, cols in hmap.fields.items()
                           if cols and name not in _COUNT_FIELDS)
        self._counts = tuple((name, hmap.fields[name]) for name in _COUNT_FIELDS if hmap.fields.get(name))
        self._dates: dict[str, date | str] = {}

    def _date(self, v: Any) -> date | None:
        if v.__class__ is str:
            hit = self._dates.get(v)
            if hit is None:
                try:
                    hit = _parse_text(v, self.today)
                except InvalidValue as exc:
                    hit = str(exc)
                if len(self._dates) < 100_000:
                    self._dates[v] = hit
            if hit.__class__ is str:
                raise InvalidValue(hit)
            return hit
        return parse_date(v, today=self.today)

    def _col(self, row: dict[str, Any], name: str) -> str:
        """The column a field's value came from (for issue reports)."""
        return _first(row, self.cols[name])[1]

    def build(self, line: int, row: dict[str, Any]) -> tuple[PatentRecord | None, list[Issue]]:
        issues: list[Issue] = []
        warn = issues.append
        limit = self.max_field_chars
        try:
            # text files: every mapped value is a string, one C-level pass
            too_long = max(map(len, map(row.__getitem__, self._mapped_headers)), default=0) > limit
        except (TypeError, KeyError):
            too_long = True  # non-string cells (XLSX) or missing keys: check one by one
        if too_long:
            for h in self._mapped_headers:
                v = row.get(h)
                if v.__class__ is str and len(v) > limit:
                    return None, [Issue("reject", h, v[:200], f"field longer than {limit} characters ({len(v)})")]

        # the first non-empty value of every field
        vals = {name: v for name, cols in self._plan if (v := _first(row, cols)[0]) is not None}
        get = vals.get

        rec = PatentRecord(self.source_file, line, self.source_tag)

        # -- identifiers ------------------------------------------------------------------
        id_issues: list[Issue] = []
        for key, normalise, label in _ID_FIELDS:
            v = get(key)
            if v is not None:
                try:
                    setattr(rec, key, normalise(v))
                except InvalidValue as exc:
                    id_issues.append(Issue("warning", self._col(row, key), str(v), f"{label} dropped: {exc}"))
        v = get("source_id")
        if v is not None:
            rec.source_id = str(v).strip()
        if not (rec.app_no or rec.pub_no or rec.grant_no or rec.source_id):
            if id_issues:
                return None, [Issue("reject", i.column, i.value, i.reason.replace(" dropped", " invalid")
                                    + "; no other identifier") for i in id_issues]
            return None, [Issue("reject", self.hmap.column("app_no") or self.hmap.column("pub_no")
                                or self.hmap.column("source_id") or "", "", "missing identifier")]
        if id_issues:
            issues.extend(id_issues)

        # -- title / abstract -------------------------------------------------------------
        v = get("title")
        if v is not None:
            rec.title = v if v.__class__ is str else str(v).strip()
        v = get("abstract")
        if v is not None:
            rec.abstract = v if v.__class__ is str else str(v).strip()
        v = get("claim1")
        if v is not None:
            rec.claim1 = v if v.__class__ is str else str(v).strip()
        if rec.title is None or rec.abstract is None:
            v = get("text")
            if v is not None:
                t, a = parse_sample_text(str(v))
                rec.title = rec.title or t
                rec.abstract = rec.abstract or a
        if not rec.title:
            return None, [Issue("reject", self.hmap.column("title") or self.hmap.column("text") or "", "",
                                "missing title")]

        # -- dates -------------------------------------------------------------------------
        for name in _DATE_FIELDS:
            v = get(name)
            if v is not None:
                try:
                    setattr(rec, name, self._date(v))
                except InvalidValue as exc:
                    warn(Issue("warning", self._col(row, name), str(v), f"{name} dropped: {exc}"))
        for name in _DATE_LIST_FIELDS:
            v = get(name)
            if v is not None:
                ds, bad = parse_date_list(v, today=self.today)
                setattr(rec, name, ds)
                for b in bad:
                    warn(Issue("warning", self._col(row, name), b, f"{name} entry dropped: malformed date"))

        # -- classification ----------------------------------------------------------------
        ipc: list[IpcCode] = []
        v = get("ipc_main")
        if v is not None:
            codes, bad = _split_ipc(v) if v.__class__ is str else split_ipc(v)
            for b in bad:
                warn(Issue("warning", self._col(row, "ipc_main"), b, "main IPC code dropped: malformed IPC code"))
            if codes:
                rec.ipc_main = codes[0].display
                ipc.extend(codes)
        for name in ("ipc_codes", "ipc_subclasses"):
            v = get(name)
            if v is None:
                continue
            codes, bad = _split_ipc(v) if v.__class__ is str else split_ipc(v)
            for b in bad:
                warn(Issue("warning", self._col(row, name), b, "IPC code dropped: malformed IPC code"))
            extend_codes(ipc, codes)
            if rec.ipc_main is None and name == "ipc_codes" and codes:
                # the first code of a 分类号 list is the main class by CNIPA convention
                rec.ipc_main = codes[0].display
        rec.ipc = ipc
        cpc: list[str] = []
        for name in ("cpc_main", "cpc_codes", "labels"):
            v = get(name)
            if v is None:
                continue
            try:
                raw = _labels(v) if name == "labels" else [v]
            except InvalidValue as exc:
                warn(Issue("warning", self._col(row, name), str(v)[:200], f"CPC labels dropped: {exc}"))
                continue
            for item in raw:
                codes, bad = split_ipc(item)
                for b in bad:
                    warn(Issue("warning", self._col(row, name), b, "CPC code dropped: malformed code"))
                for x in codes:
                    if x.display not in cpc:
                        cpc.append(x.display)
        rec.cpc_codes = cpc

        # -- status and kind ----------------------------------------------------------------
        v = get("legal_status")
        if v is not None:
            rec.legal_status_raw = str(v)
            rec.status = legal_status(v)
        v = get("patent_type")
        if v is not None:
            try:
                rec.kind = patent_kind(v)
            except InvalidValue as exc:
                warn(Issue("warning", self._col(row, "patent_type"), str(v), f"patent type dropped: {exc}"))
        if rec.kind is None:
            rec.kind = kind_from_pub(rec.pub_no) or kind_from_pub(rec.grant_no) or app_kind(rec.app_no)

        # -- parties -------------------------------------------------------------------------
        v = get("applicants")
        if v is not None:
            rec.applicants = list(_names(str(v)))
        v = get("holders")
        if v is not None:
            rec.holders = list(_names(str(v)))
        v = get("applicant_type")  # 申请人类型: one kind per applicant
        if v is not None:
            rec.applicant_types = list(_names(str(v)))
        v = get("inventors")
        if v is not None:
            rec.inventors = list(_inventors(str(v)))
        v = get("address")
        if v is not None:
            rec.address = str(v)
        v = get("province_code")
        if v is not None:
            rec.province_code = str(v)

        # -- counts, family, citations, events -------------------------------------------------
        for name, cols in self._counts:
            raw_v = None
            col = cols[0]
            for h in cols:
                x = row.get(h)
                if x is not None and not (x.__class__ is str and not x.strip()):
                    raw_v, col = x, h
                    break
            if raw_v is None:
                continue
            n = _COUNT_FAST.get(raw_v) if raw_v.__class__ is str else None
            if n is not None:
                setattr(rec, name, n)
                continue
            try:
                setattr(rec, name, parse_count(raw_v))
            except InvalidValue as exc:
                warn(Issue("warning", col, str(raw_v), f"{name} dropped: {exc}"))
        for name, target in (("family", "family_ids"), ("cites", "cites"), ("cited_by", "cited_by")):
            v = get(name)
            if v is None:
                continue
            nums, bad = pub_numbers(str(v))
            for part in bad:
                warn(Issue("warning", self._col(row, name), part, f"{name} entry dropped: malformed publication number"))
            setattr(rec, target, nums)
        v = get("open_licence")
        if v is not None:
            try:
                rec.open_licence = yes_no(v)
            except InvalidValue as exc:
                warn(Issue("warning", self._col(row, "open_licence"), str(v), f"open licence dropped: {exc}"))
        return rec, issues


_DATE_FIELDS = ("app_date", "pub_date", "grant_date", "expiry_date")
_DATE_LIST_FIELDS = ("transfer_dates", "licence_dates", "pledge_dates")
