"""Row readers for CSV / TSV, XLSX and JSONL exports.

:func:`open_table` returns a :class:`Table` whose :meth:`Table.rows` yields
``(line_no, record)`` pairs: ``line_no`` is the physical line where the record starts
(CSV/JSONL, 1-based, the header is line 1) or the worksheet row number (XLSX);
``record`` maps each header to its cell (``str`` for text files; ``str``, numbers,
``datetime`` for XLSX). Rows that cannot be read are yielded as :class:`BadRow`
(the caller rejects them); wholly empty rows are counted in ``Table.empty_rows`` and
yielded as ``None`` records so the caller can account for them.

Encodings: a BOM decides (UTF-8-SIG, UTF-16); otherwise UTF-8 when a 1 MB sample
decodes strictly; otherwise GB18030 (superset of GBK / GB2312) when it does; otherwise
UTF-8 if only a few bytes are broken; otherwise ``charset-normalizer`` guesses.
Undecodable bytes do not abort the file: it is read with an error handler that keeps
them escaped, and each record containing them is yielded as a :class:`BadRow`. A file
with no usable text (binary, NUL bytes) raises :class:`~patentnav.errors.IngestError`,
as do unreadable XLSX files.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from patentnav.errors import IngestError

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
_GB_FAMILY = {"gbk", "gb2312", "gb18030", "hz", "cp936"}
_SURROGATE = re.compile(r"[\udc80-\udcff]")
_DELIMITERS = (",", "\t", ";", "|")
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | XLSX_SUFFIXES

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

#: how many undecodable byte runs were met so far (all files); while it does not move,
#: rows need no per-cell check for escaped bytes
_UNDECODABLE = [0]


def _mark_undecodable(exc: UnicodeDecodeError) -> tuple[str, int]:
    _UNDECODABLE[0] += 1
    return codecs.lookup_error("surrogateescape")(exc)


codecs.register_error("patentnav.mark", _mark_undecodable)


@dataclass(frozen=True, slots=True)
class BadRow:
    """A record that could not be read; ``column`` may name the offending field."""

    reason: str
    value: str = ""
    column: str = ""


@dataclass
class Table:
    """An opened input file."""

    path: Path
    format: str  # csv | xlsx | jsonl
    encoding: str | None
    headers: list[str]
    _rows: Iterator[tuple[int, dict[str, Any] | BadRow | None]] = field(repr=False)
    empty_rows: int = 0
    undecodable_at_open: int = 0

    def rows(self) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
        """``(line_no, record | BadRow | None)``; ``None`` marks an empty row."""
        return self._rows


def detect_encoding(path: Path) -> str:
    """Encoding of a text file (see module doc); IngestError when it is not text."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not sample:
        return "utf-8"
    if b"\x00" in sample:
        raise IngestError(f"{path.name}: binary content (NUL bytes), not a text export")
    final = len(sample) < SAMPLE_BYTES
    try:
        # a multi-byte character may be cut at the end of the sample
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=final)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Chinese exports are GBK / GB18030 when not UTF-8; UTF-8 text practically never
        # decodes strictly as GB18030 (its multi-byte runs end next to ASCII bytes)
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=final)
        return "gb18030"
    except UnicodeDecodeError:
        pass
    utf8_text = sample.decode("utf-8", "replace")
    bad = utf8_text.count("\ufffd")
    if bad <= max(8, len(utf8_text) // 100):
        # UTF-8 with a few broken bytes: read as UTF-8, the affected records get rejected
        return "utf-8"
    best = from_bytes(sample, cp_isolation=["utf_8", "gb18030", "big5", "utf_16"]).best()
    if best is None:
        raise IngestError(f"{path.name}: cannot detect the text encoding")
    enc = best.encoding.lower().replace("-", "").replace("_", "")
    if enc in {e.replace("_", "") for e in _GB_FAMILY}:
        return "gb18030"
    if enc in ("utf8", "ascii"):
        return "utf-8"
    return best.encoding


def open_table(path: Path | str) -> Table:
    """Open an input file by its suffix (.csv/.tsv/.txt, .xlsx, .jsonl/.ndjson)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _open_csv(path)
    if suffix in JSONL_SUFFIXES:
        return _open_jsonl(path)
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(path)
    raise IngestError(f"{path.name}: unsupported file type {suffix or '(none)'}; "
                      f"expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")


# -- CSV ---------------------------------------------------------------------------------
class _LineCounter:
    """Wraps a text stream for csv.reader and remembers the physical line number."""

    __slots__ = ("_f", "line")

    def __init__(self, f: io.TextIOBase) -> None:
        self._f = f
        self.line = 0

    def __iter__(self) -> "_LineCounter":
        return self

    def __next__(self) -> str:
        s = self._f.readline()
        if not s:
            raise StopIteration
        self.line += 1
        return s


def unique_headers(headers: list[str]) -> list[str]:
    """Stripped headers, duplicates suffixed ``#2``, ``#3``... so no column is lost."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for h in headers:
        h = (h or "").strip().lstrip("\ufeff")
        if h in seen:
            seen[h] += 1
            h = f"{h}#{seen[h]}"
        else:
            seen[h] = 1
        out.append(h)
    return out


def _sniff_delimiter(header_line: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _blank(cells: list[str]) -> bool:
    for c in cells:
        if c and not c.isspace():
            return False
    return True


def _open_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    before = _UNDECODABLE[0]
    f = path.open("r", encoding=encoding, errors="patentnav.mark", newline="")
    counter = _LineCounter(f)
    # the header: the first non-empty line
    first = ""
    while True:
        first = f.readline()
        if not first:
            f.close()
            return Table(path, "csv", encoding, [], iter(()))
        counter.line += 1
        if first.strip():
            break
    delimiter = _sniff_delimiter(first, path.suffix.lower())
    header_line_no = counter.line
    headers = next(csv.reader([first], delimiter=delimiter))
    if _SURROGATE.search(first):
        f.close()
        raise IngestError(f"{path.name}: header line has bytes that are not {encoding}")
    headers = unique_headers(headers)
    table = Table(path, "csv", encoding, headers, iter(()), undecodable_at_open=before)
    table._rows = _csv_rows(f, counter, delimiter, headers, table, header_line_no)
    return table


def _csv_rows(f, counter: _LineCounter, delimiter: str, headers: list[str], table: Table,
              header_line_no: int) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
    n = len(headers)
    reader = csv.reader(counter, delimiter=delimiter, strict=False)
    start = header_line_no + 1
    seen_undecodable = table.undecodable_at_open
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield start, BadRow(f"CSV syntax error: {exc}")
                start = counter.line + 1
                continue
            line = start
            start = counter.line + 1
            if not cells or _blank(cells):
                table.empty_rows += 1
                yield line, None
                continue
            if len(cells) > n and not _blank(cells[n:]):
                yield line, BadRow(
                    f"row has {len(cells)} fields but the header has {n} (unquoted delimiter?)",
                    value=delimiter.join(cells[n:])[:200],
                )
                continue
            bad = None
            for i, c in enumerate(cells[:n] if _UNDECODABLE[0] != seen_undecodable else ()):
                if _SURROGATE.search(c):
                    bad = BadRow(f"bytes that are not valid {table.encoding}",
                                 value=c.encode("utf-8", "surrogateescape").decode("utf-8", "replace")[:200],
                                 column=headers[i])
                    break
            if bad:
                yield line, bad
                continue
            if len(cells) < n:
                cells = cells + [""] * (n - len(cells))
            yield line, dict(zip(headers, cells))
    finally:
        f.close()


# -- JSONL -------------------------------------------------------------------------------
def _open_jsonl(path: Path) -> Table:
    encoding = detect_encoding(path)
    f = path.open("r", encoding=encoding, errors="patentnav.mark", newline="")
    table = Table(path, "jsonl", encoding, [], iter(()))
    # headers: the keys of the first readable object
    headers: list[str] = []
    pos = f.tell()
    for _ in range(100):
        line = f.readline()
        if not line:
            break
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            headers = list(obj)
            break
    f.seek(pos)
    table.headers = headers
    table._rows = _jsonl_rows(f, table)
    return table


def _jsonl_rows(f, table: Table) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
    try:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                table.empty_rows += 1
                yield line_no, None
                continue
            if _SURROGATE.search(line):
                yield line_no, BadRow(f"bytes that are not valid {table.encoding}")
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield line_no, BadRow(f"invalid JSON: {exc}", value=line.strip()[:200])
                continue
            if not isinstance(obj, dict):
                yield line_no, BadRow("JSON line is not an object", value=line.strip()[:200])
                continue
            if not any(v not in (None, "") for v in obj.values()):
                table.empty_rows += 1
                yield line_no, None
                continue
            yield line_no, {str(k): (v if isinstance(v, (str, int, float, list)) or v is None else json.dumps(v, ensure_ascii=False))
                            for k, v in obj.items()}
    finally:
        f.close()


# -- XLSX --------------------------------------------------------------------------------
def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # imported lazily: only needed for .xlsx

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise IngestError(f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            wb.close()
            return Table(path, "xlsx", None, [], iter(()))
        it = ws.iter_rows(values_only=True)
        headers: list[str] = []
        header_row = 0
        for row_no, values in enumerate(it, start=1):
            if values and any(v not in (None, "") for v in values):
                headers = unique_headers(["" if v is None else str(v) for v in values])
                header_row = row_no
                break
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        wb.close()
        raise IngestError(f"{path.name}: XLSX worksheet cannot be read ({type(exc).__name__}: {exc})") from None
    table = Table(path, "xlsx", None, headers, iter(()))
    table._rows = _xlsx_rows(wb, it, headers, header_row, table)
    return table


def _xlsx_rows(wb, it, headers: list[str], header_row: int,
               table: Table) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
    n = len(headers)
    row_no = header_row
    try:
        while True:
            try:
                values = next(it)
            except StopIteration:
                break
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
                # a truncated sheet: everything after this point is unreadable
                yield row_no + 1, BadRow(f"worksheet truncated or corrupt after this row ({type(exc).__name__})")
                break
            row_no += 1
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                table.empty_rows += 1
                yield row_no, None
                continue
            extra = values[n:]
            if any(v not in (None, "") for v in extra):
                yield row_no, BadRow(f"row has values beyond the {n} header columns")
                continue
            rec = {}
            for i, h in enumerate(headers):
                rec[h] = values[i] if i < len(values) else None
            yield row_no, rec
    finally:
        wb.close()
