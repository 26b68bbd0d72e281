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
UTF-16 without a BOM when the NUL bytes say so; otherwise, when every line is either
UTF-8 or GB18030 (two exports concatenated), ``utf-8+gb18030``: each line is decoded
on its own; otherwise UTF-8 if only a few bytes are broken; otherwise
``charset-normalizer`` guesses. Undecodable bytes do not abort the file: it is read
with an error handler that keeps them escaped, and each record containing them is
yielded as a :class:`BadRow`. Stray NUL bytes in a text file reject the records that
contain them; a file with no usable text (binary content) raises
:class:`~patentnav.errors.IngestError`, as do unreadable XLSX files.

Records that cannot be trusted are :class:`BadRow` s too: a CSV record whose quoted
field was never closed and swallowed the following lines, a JSON line nested too
deeply or carrying a lone UTF-16 surrogate or a NUL character, an XLSX row whose
formula has no cached value (the file was written by a program that does not
calculate), XLSX rows after the point where a worksheet is cut off.

XLSX workbooks: the data sheet is the first worksheet whose header row has an
identifier and a title column (a cover sheet before it is skipped); later sheets with
the same header row are read as its continuation (``line`` is then the row number in
that sheet); rows of other sheets that also look like patent tables are rejected with
the sheet named in the reason (nothing is dropped silently); sheets without patent
columns (notes, statistics) are listed in ``Table.ignored_sheets``.

Spans (reading one CSV / TSV file in several processes): :func:`csv_spans` cuts the
bytes after the header line into contiguous :class:`Span` s of about ``target_bytes``,
each starting right after a ``\\n`` that is outside quotes by quote parity (an even
count of ``"`` bytes since the header), and numbers the physical line each starts on
(as the whole-file reader counts them). It works on the raw bytes (numpy counts,
``find``, one regular expression; no Python loop per line), so only files whose
encoding keeps ``\\n``, ``\\r`` and ``"`` out of multi-byte characters are split: UTF-8
(with or without BOM) and GB18030; also not files with a ``\\r`` that is not part of
``\\r\\n`` (their lines would be counted differently) nor files of one span: for those
it returns None and the file is read whole. :func:`open_span` reads one span and
yields exactly what the whole-file read yields for its records (same line numbers,
same :class:`BadRow` s). Quote parity can disagree with the CSV reader (which keeps a
stray ``"`` inside an unquoted field as text): :func:`open_span` therefore checks that
the CSV reader ends a record where the span ends, and raises :class:`SpanMisaligned`
when it does not; the caller then reads on from that span's start (where the previous
span ended cleanly) with :func:`open_span` and ``to_eof``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import mmap
import os
import re
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

import pyarrow as pa
import pyarrow.csv as pacsv
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

#: what a damaged XLSX raises while it is opened or read (openpyxl parses with the
#: standard library's XML parser: ParseError; with lxml installed, its XMLSyntaxError
#: is a SyntaxError too)
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, ParseError, SyntaxError,
                zlib.error)
#: the pseudo-encoding of files whose lines are UTF-8 or GB18030, each on its own
MIXED = "utf-8+gb18030"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

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
    #: XLSX sheets not read because they have no patent columns (notes, statistics)
    ignored_sheets: list[str] = field(default_factory=list)
    #: the field delimiter of a CSV / TSV file
    delimiter: str = ""

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
    final = len(sample) < SAMPLE_BYTES
    if b"\x00" in sample:
        utf16 = _utf16_without_bom(sample)
        if utf16:
            return utf16
        # stray NUL bytes in otherwise clean text: read it, the records holding them
        # are rejected; anything else with NUL bytes is binary
        sample = sample.replace(b"\x00", b"")
        if not (_decodes(sample, "utf-8", final) or _decodes(sample, "gb18030", final)):
            raise IngestError(f"{path.name}: binary content (NUL bytes), not a text export")
    if _decodes(sample, "utf-8", final):
        # a multi-byte character may be cut at the end of the sample
        return "utf-8"
    if _decodes(sample, "gb18030", final):
        # Chinese exports are GBK / GB18030 when not UTF-8; UTF-8 text practically never
        # decodes strictly as GB18030 (its multi-byte runs end next to ASCII bytes)
        return "gb18030"
    if _mixed_lines(sample, final):
        return MIXED
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


def _decodes(data: bytes, encoding: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
        return True
    except UnicodeDecodeError:
        return False


def _utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when the sample is BOM-less UTF-16 text: its NUL
    bytes (the high bytes of ASCII characters) sit mostly on one side of the code units
    (the other side has the few like U+4E00 一), and it decodes strictly to printable
    text."""
    data = sample[: len(sample) // 2 * 2]
    even, odd = data[0::2].count(0), data[1::2].count(0)
    for enc, nuls, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if nuls == 0 or other * 4 > nuls:
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _LONE_SURROGATE.search(text):
            continue
        printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n")
        if printable >= 0.98 * len(text):
            return enc
    return None


def _is_gb_line(line: bytes) -> bool:
    """A line that is GB18030 text, not UTF-8 with a few broken bytes: it decodes
    strictly as GB18030 and most of its non-ASCII characters are not UTF-8."""
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return False
    as_utf8 = line.decode("utf-8", "replace")
    non_ascii = sum(1 for ch in as_utf8 if ord(ch) > 127)
    return as_utf8.count("\ufffd") * 2 >= non_ascii


def _mixed_lines(sample: bytes, final: bool) -> bool:
    """Every line of the sample is UTF-8 or GB18030 text, and both occur."""
    lines = sample.split(b"\n")
    if not final and len(lines) > 1:
        lines = lines[:-1]  # may be cut in the middle of a character
    utf8 = gb = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
            continue
        except UnicodeDecodeError:
            pass
        if not _is_gb_line(line):
            return False
        gb += 1
    return utf8 > 0 and gb > 0


class _MixedText:
    """A read-only text stream over a file whose lines are UTF-8 or GB18030, each
    decoded on its own (a line that is neither keeps its bad bytes escaped, so the
    record holding it is rejected). Lines end at ``\\n``."""

    def __init__(self, path: Path) -> None:
        self._f = path.open("rb")

    def readline(self) -> str:
        raw = self._f.readline()
        if not raw:
            return ""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if _is_gb_line(raw):
            return raw.decode("gb18030")
        return raw.decode("utf-8", "patentnav.mark")

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def tell(self) -> int:
        return self._f.tell()

    def seek(self, pos: int) -> int:
        return self._f.seek(pos)

    def close(self) -> None:
        self._f.close()


def _open_text(path: Path, encoding: str):
    """A text stream over ``path`` (``newline=""``: the CSV reader sees every line end)."""
    if encoding == MIXED:
        return _MixedText(path)
    return path.open("r", encoding=encoding, errors="patentnav.mark", newline="")


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

    __slots__ = ("_f", "line", "nul")

    def __init__(self, f: io.TextIOBase) -> None:
        self._f = f
        self.line = 0
        #: a NUL character was read since the flag was last cleared
        self.nul = False

    def __iter__(self) -> "_LineCounter":
        return self

    def __next__(self) -> str:
        s = self._f.readline()
        if not s:
            raise StopIteration
        self.line += 1
        if "\x00" in s:
            self.nul = True
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
    f = _open_text(path, encoding)
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
    if "\x00" in first:
        f.close()
        raise IngestError(f"{path.name}: header line has NUL bytes")
    headers = unique_headers(headers)
    table = Table(path, "csv", encoding, headers, iter(()), undecodable_at_open=before, delimiter=delimiter)
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
            last = counter.line
            start = last + 1
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
            if last > line and len(cells) < n:
                swallowed = _swallowed(cells, headers, delimiter)
                if swallowed is not None:
                    yield line, BadRow(
                        f"a quoted field is not closed: it runs over lines {line}-{last} and holds "
                        "what look like whole rows (unbalanced quote?)",
                        value=cells[swallowed][:200], column=headers[swallowed])
                    continue
            if counter.nul:
                counter.nul = False
                col = next((i for i, c in enumerate(cells[:n]) if "\x00" in c), None)
                if col is not None:
                    yield line, BadRow("NUL byte in the field (damaged export?)",
                                       value=cells[col].replace("\x00", "\\x00")[:200], column=headers[col])
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


def _swallowed(cells: list[str], headers: list[str], delimiter: str) -> int | None:
    """Index of a multi-line field that swallowed following rows: one of its later
    lines has a delimiter (a short record whose quoted field never closed)."""
    for i, c in enumerate(cells):
        if "\n" in c and any(delimiter in part for part in c.split("\n")[1:]):
            return i if i < len(headers) else None
    return None


# -- CSV spans (one file read by several processes; see the module doc) --------------------
#: encodings a file is split in -> how a span after the header is decoded (a BOM only
#: opens the file)
_SPAN_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030"}
#: from a position outside quotes, the end of the first line that ends outside quotes
#: (possessive: no backtracking; no match when a quote never closes)
_RECORD_END = re.compile(rb'(?:[^"\n]++|"[^"]*+")*+\n')
#: bytes looked at a time for a lone "\r"
_CR_BLOCK = 1 << 24
#: a line appended after a span: the CSV reader must read it as a record of its own
_SENTINEL = "\ue000patentnav:end-of-span\ue001"


class Span(NamedTuple):
    """Bytes ``[start, end)`` of a CSV file that hold whole records; ``first_line`` is
    the physical line (1-based, the header's counted as in the whole-file read) that
    starts at ``start``."""

    start: int
    end: int
    first_line: int


class SpanMisaligned(IngestError):
    """The CSV reader does not end a record where span ``index`` ends (quote parity was
    misled, e.g. by a stray ``"`` in an unquoted field before a quoted multi-line one)."""

    def __init__(self, path: Path, index: int) -> None:
        super().__init__(f"{path.name}: span {index} does not end on a record boundary (stray quote?)")
        self.index = index


def csv_spans(path: Path | str, *, target_bytes: int | None = None,
              target_rows: int | None = None) -> list[Span] | None:
    """The records of a CSV / TSV file as contiguous spans of about ``target_bytes``
    (or ``target_rows`` lines at the average line length of the first MB), in file
    order; None when the file is not split (see the module doc: not a text file, not
    UTF-8 / GB18030, a lone ``\\r``, one span only, or unreadable -- the whole-file read
    reports that)."""
    path = Path(path)
    if path.suffix.lower() not in TEXT_SUFFIXES or not path.is_file():
        return None
    try:
        encoding = detect_encoding(path)
    except IngestError:
        return None
    if encoding not in _SPAN_ENCODINGS:
        return None
    with path.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return None
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            spans = _spans(mm, encoding, target_bytes, target_rows)
    if spans is not None:
        log.debug("%s: %d spans", path.name, len(spans))
    return spans


def _spans(mm: mmap.mmap, encoding: str, target_bytes: int | None,
           target_rows: int | None) -> list[Span] | None:
    import numpy as np  # bytes are counted by numpy: several times faster than bytes.count

    size = len(mm)
    # the header: the first line that is not blank (as _open_csv reads it)
    pos = line = 0
    decode_as = encoding
    while True:
        nl = mm.find(b"\n", pos)
        if nl < 0:
            return None  # no records after the header
        line += 1
        blank = not mm[pos:nl].decode(decode_as, "surrogateescape").strip()
        decode_as = _SPAN_ENCODINGS[encoding]
        pos = nl + 1
        if not blank:
            break
    if mm.find(b"\r") >= 0 and _lone_cr(mm):
        return None
    if target_bytes is None:
        sample = mm[pos:pos + SAMPLE_BYTES]
        target_bytes = len(sample) * (target_rows or 1) // max(1, sample.count(b"\n"))
    target = max(1, target_bytes)
    spans: list[Span] = []
    start, line = pos, line + 1
    while start < size:
        t = start + target
        if t >= size:
            spans.append(Span(start, size, line))
            break
        head = np.frombuffer(mm[start:t], np.uint8)  # starts outside quotes
        p = t
        if np.count_nonzero(head == 0x22) & 1:  # t is inside quotes: go past the closing one
            q = mm.find(b'"', t)
            p = q + 1 if q >= 0 else size
        m = _RECORD_END.match(mm, p) if p < size else None
        end = m.end() if m is not None else size
        if end >= size:
            spans.append(Span(start, size, line))
            break
        spans.append(Span(start, end, line))
        line += int(np.count_nonzero(head == 0x0A)) + mm[t:end].count(b"\n")
        start = end
    return spans if len(spans) > 1 else None


def _lone_cr(mm: mmap.mmap) -> bool:
    """Whether a ``\\r`` that is not followed by ``\\n`` is anywhere in the file."""
    import numpy as np

    step = _CR_BLOCK
    for a in range(0, len(mm), step):
        block = np.frombuffer(mm[a:a + step + 1], np.uint8)  # and the byte after the block
        cr = np.flatnonzero(block[:step] == 0x0D)
        if cr.size and (cr[-1] + 1 >= block.size or not (block[cr + 1] == 0x0A).all()):
            return True
    return False


def open_span(table: Table, span: Span, index: int, *, to_eof: bool = False) -> Table:
    """The records of ``span`` (number ``index`` of :func:`csv_spans`) of a CSV
    ``table`` (from :func:`open_table`, not read) as a :class:`Table` whose rows are
    exactly those the whole-file read yields for them, with the same line numbers.
    Unless the span ends at the end of the file, its rows end with the check that the
    CSV reader ends a record there (:class:`SpanMisaligned` when not). ``to_eof``: read
    from ``span.start`` to the end of the file, streamed (``span.end`` is ignored)."""
    encoding = _SPAN_ENCODINGS.get(table.encoding or "")
    if table.format != "csv" or encoding is None:
        raise IngestError(f"{table.path.name}: a {table.encoding} file is not read in spans")
    sub = Table(table.path, "csv", table.encoding, table.headers, iter(()),
                undecodable_at_open=_UNDECODABLE[0], delimiter=table.delimiter)
    checked = False
    if to_eof:
        raw = table.path.open("rb")
        raw.seek(span.start)
        f: Any = io.TextIOWrapper(raw, encoding=encoding, errors="patentnav.mark", newline="")
    else:
        with table.path.open("rb") as raw:
            raw.seek(span.start)
            data = raw.read(span.end - span.start)
            checked = bool(raw.read(1))  # the span does not end the file
        if checked:
            # the sentinel line; bytes the decoder holds at the end of the span for a
            # possible multi-byte character (GB18030: a lead byte, a digit and the
            # "\n") resolve as in the whole-file read once any byte follows
            data += (_SENTINEL + "\n").encode(encoding)
        f = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="patentnav.mark", newline="")
        del data
    counter = _LineCounter(f)
    counter.line = span.first_line - 1
    rows = _csv_rows(f, counter, table.delimiter, table.headers, sub, span.first_line - 1)
    sub._rows = _checked(rows, counter, table.path, index) if checked else rows
    return sub


def span_columns(table: Table, span: Span) -> pa.Table | None:
    """The records of ``span`` of a CSV ``table`` (as for :func:`open_span`) as string
    columns named by the headers, read by pyarrow's CSV reader (in C++, several times
    faster than the csv module plus a dict per row) -- or None when that read is not
    certain to give exactly the cells :func:`open_span` yields, and the caller reads the
    span with :func:`open_span`.

    Certain means: the span decodes strictly (UTF-8, or GB18030 recoded to UTF-8), holds
    no NUL byte, does not start with a byte-order mark (pyarrow drops one there), and
    pyarrow reads exactly one record per physical line with every record as wide as the
    header (no quoted field spans lines, no blank line, no short or long row: anything
    else raises or counts differently). Then the csv module reads the same cells: a
    differential fuzz of ~460k such inputs (quotes inside, after and around fields, CRLF,
    trailing delimiters, odd whitespace) found no difference. Row ``i`` starts on line
    ``span.first_line + i``; rows whose cells are all blank are kept (the caller skips
    them, as :func:`open_span` yields them as empty rows)."""
    encoding = _SPAN_ENCODINGS.get(table.encoding or "")
    if table.format != "csv" or encoding is None or len(table.delimiter) != 1:
        return None
    with table.path.open("rb") as raw:
        raw.seek(span.start)
        data = raw.read(span.end - span.start)
    if not data or b"\x00" in data or data.startswith(b"\xef\xbb\xbf"):
        return None
    if encoding != "utf-8":
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeError:
            return None
        if data.startswith(b"\xef\xbb\xbf"):
            return None
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    try:
        t = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=table.headers, use_threads=False,
                                           block_size=len(data) + 1),
            parse_options=pacsv.ParseOptions(delimiter=table.delimiter, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=True,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(table.headers, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=True),
        )
    except pa.ArrowInvalid:
        return None
    if t.num_rows != lines:
        return None
    return t.combine_chunks()


def _checked(rows: Iterator[tuple[int, dict[str, Any] | BadRow | None]], counter: _LineCounter, path: Path,
             index: int) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
    """``rows`` but the last, which must be the sentinel line read as a record that
    starts on the last line (else the reader was inside a quoted field there)."""
    held = None
    for item in rows:
        if held is not None:
            yield held
        held = item
    if held is None or held[0] != counter.line or held[1].__class__ is not dict \
            or next(iter(held[1].values()), None) != _SENTINEL:
        raise SpanMisaligned(path, index)


# -- JSONL -------------------------------------------------------------------------------
def _open_jsonl(path: Path) -> Table:
    encoding = detect_encoding(path)
    f = _open_text(path, encoding)
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
        except (ValueError, RecursionError):
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
            except RecursionError:
                yield line_no, BadRow("invalid JSON: nested too deeply", value=line.strip()[:200])
                continue
            if not isinstance(obj, dict):
                yield line_no, BadRow("JSON line is not an object", value=line.strip()[:200])
                continue
            if not any(v not in (None, "") for v in obj.values()):
                table.empty_rows += 1
                yield line_no, None
                continue
            rec = {str(k): _json_cell(v) for k, v in obj.items()}
            # JSON escapes can carry what no export should: "\ud800" (a lone surrogate,
            # not encodable as UTF-8) and "\u0000"
            if "\\u" in line or "\x00" in line:
                bad = _bad_json_text(rec)
                if bad is not None:
                    yield line_no, bad
                    continue
            yield line_no, rec
    finally:
        f.close()


def _json_cell(v: Any) -> Any:
    """A JSON value as a cell: strings, numbers, booleans and null as they are; a list
    of scalars (also nested lists) joined with ``;`` (the list separator of exports);
    an object, or a list holding one, as compact JSON text."""
    if v is None or isinstance(v, (str, int, float)):
        return v
    if isinstance(v, list):
        flat: list[Any] = []
        stack = [iter(v)]
        while stack:
            for x in stack[-1]:
                if isinstance(x, list):
                    stack.append(iter(x))
                    break
                if isinstance(x, dict):
                    return json.dumps(v, ensure_ascii=False)
                flat.append(x)
            else:
                stack.pop()
        return ";".join("" if x is None else str(x) for x in flat)
    return json.dumps(v, ensure_ascii=False)


def _bad_json_text(rec: dict[str, Any]) -> BadRow | None:
    for k, v in rec.items():
        if isinstance(v, str):
            m = _LONE_SURROGATE.search(v)
            if m:
                return BadRow(f"lone UTF-16 surrogate \\u{ord(m.group()):04x} in a JSON string (not text)",
                              value=v.encode("utf-8", "backslashreplace").decode("utf-8")[:200], column=k)
            if "\x00" in v:
                return BadRow("NUL character in a JSON string (damaged export?)",
                              value=v.replace("\x00", "\\x00")[:200], column=k)
    return None


# -- XLSX --------------------------------------------------------------------------------
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


@dataclass
class _Sheet:
    title: str
    path: str | None  # the worksheet's member in the zip (None: unknown)
    rows: Iterator[tuple]  # the rows after the header row
    headers: list[str]
    header_row: int
    usable: bool  # has an identifier and a title column


def _sheet(ws) -> _Sheet:
    """A worksheet with its header row (the first non-empty row) read."""
    from ingest.headers import map_headers

    it = ws.iter_rows(values_only=True)
    for row_no, values in enumerate(it, start=1):
        if values and any(v not in (None, "") for v in values):
            headers = unique_headers(["" if v is None else str(v) for v in values])
            usable = not map_headers(headers).missing_required
            return _Sheet(ws.title, getattr(ws, "_worksheet_path", None), it, headers, row_no, usable)
    return _Sheet(ws.title, None, iter(()), [], 0, False)


def _has_formulas(path: Path, member: str | None) -> bool:
    """Whether a worksheet's XML has formula cells (streamed, not parsed); True when the
    member is unknown (openpyxl's read-only sheet no longer says), so formulas are checked."""
    if member is None:
        return True
    tail = b""
    with zipfile.ZipFile(path) as zf, zf.open(member) as f:
        while chunk := f.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # imported lazily: only needed for .xlsx

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise IngestError(f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheets = [_sheet(ws) for ws in wb.worksheets]
    except _XLSX_ERRORS as exc:
        wb.close()
        raise IngestError(f"{path.name}: XLSX worksheet cannot be read ({type(exc).__name__}: {exc})") from None
    data = next((s for s in sheets if s.usable), None) or next((s for s in sheets if s.headers), None)
    if data is None:
        wb.close()
        return Table(path, "xlsx", None, [], iter(()))
    parts: list[tuple[_Sheet, str | None]] = [(data, None)]  # (sheet, reject reason)
    ignored: list[str] = []
    for sh in sheets:
        if sh is data or not sh.headers:
            continue
        if sh.usable and sh.headers == data.headers:
            parts.append((sh, None))  # the continuation of the data sheet
        elif sh.usable:
            reason = (f"sheet {sh.title!r} is a second patent table with other columns than "
                      f"sheet {data.title!r} (only one is read; split the workbook)")
            parts.append((sh, reason))
        else:
            ignored.append(sh.title)
    if ignored:
        log.info("%s: sheets without patent columns not read: %s", path.name, ", ".join(ignored))
    table = Table(path, "xlsx", None, data.headers, iter(()), ignored_sheets=ignored)
    table._rows = _xlsx_rows(path, wb, parts, table)
    return table


def _xlsx_rows(path: Path, wb, parts: list[tuple[_Sheet, str | None]],
               table: Table) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
    try:
        for sheet, reject in parts:
            yield from _sheet_rows(path, sheet, reject, table)
    finally:
        wb.close()


def _formula_rows(path: Path, sheet: _Sheet):
    """The rows (after the header) of ``sheet`` as formulas, when it has any."""
    from openpyxl import load_workbook

    try:
        if not _has_formulas(path, sheet.path):
            return None, None
        wbf = load_workbook(path, read_only=True, data_only=False)
        it = wbf[sheet.title].iter_rows(values_only=True)
        for _ in range(sheet.header_row):
            next(it)
        return wbf, it
    except (*_XLSX_ERRORS, StopIteration):
        return None, None  # the damage shows when the values are read


def _sheet_rows(path: Path, sheet: _Sheet, reject: str | None,
                table: Table) -> Iterator[tuple[int, dict[str, Any] | BadRow | None]]:
    from ingest.headers import map_headers

    headers = sheet.headers
    n = len(headers)
    hmap = map_headers(headers)
    mapped = [i for i, h in enumerate(headers) if any(h in cols for cols in hmap.fields.values())]
    wbf, formulas = (None, None) if reject else _formula_rows(path, sheet)
    row_no = sheet.header_row
    it = sheet.rows
    try:
        while True:
            try:
                values = next(it)
            except StopIteration:
                break
            except _XLSX_ERRORS as exc:
                # a truncated sheet: everything after this point is unreadable
                yield row_no + 1, BadRow(f"worksheet {sheet.title!r} truncated or corrupt after this row "
                                         f"({type(exc).__name__}: {str(exc)[:100]})")
                break
            row_no += 1
            frow = next(formulas, None) if formulas is not None else None
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                table.empty_rows += 1
                yield row_no, None
                continue
            if reject:
                yield row_no, BadRow(reject, column=f"{sheet.title}!")
                continue
            extra = values[n:]
            if any(v not in (None, "") for v in extra):
                yield row_no, BadRow(f"row has values beyond the {n} header columns")
                continue
            if frow is not None:
                bad = _uncached_formula(values, frow, headers, mapped)
                if bad is not None:
                    yield row_no, bad
                    continue
            rec = {}
            for i, h in enumerate(headers):
                rec[h] = values[i] if i < len(values) else None
            yield row_no, rec
    finally:
        if wbf is not None:
            wbf.close()


def _uncached_formula(values: tuple, frow: tuple, headers: list[str], mapped: list[int]) -> BadRow | None:
    for i in mapped:
        v = values[i] if i < len(values) else None
        f = frow[i] if i < len(frow) else None
        if v is None and isinstance(f, str) and f.startswith("="):
            return BadRow("formula without a cached value (the workbook was saved by a program that "
                          "does not calculate; open and save it in Excel or WPS)", value=f[:200],
                          column=headers[i])
    return None
