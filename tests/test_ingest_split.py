"""Reading one CSV in byte spans (``ingest.readers.csv_spans`` / ``open_span``) and the
workers that prepare only their own spans (``ingest.prepare.prepare_in_workers``).

Every file here is written by the tests (generated, labelled ``generated:test``). The
reference is always the whole-file read (``open_table(...).rows()``) or the in-process
``prepare_file``: the spans must give the same records with the same line numbers, and
the workers the same rows, counts and issues; only chunk boundaries may differ.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import mmap
import random
import re
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pytest

from ingest import readers
from ingest.chains import load_chains
from ingest.headers import map_headers
from ingest.normalize.regions import region_table
from ingest.prepare import PreparedChunk, prepare_file, prepare_in_workers
from ingest.readers import (
    MIXED,
    SAMPLE_BYTES,
    BadRow,
    Span,
    SpanMisaligned,
    csv_spans,
    detect_encoding,
    open_span,
    open_table,
)
from patentnav.errors import IngestError

HEADERS = ["申请号", "公开(公告)号", "专利名称", "摘要", "申请(专利权)人", "申请日", "分类号"]
ORGS = ["重庆大学", "重庆长安汽车股份有限公司", "西南大学", "重庆某某智能装备有限公司"]
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def _app_no(serial: int) -> str:
    digits = f"20201{serial:07d}"
    r = sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11
    return f"CN{digits}.{'X' if r == 10 else r}"


def _record(i: int, rnd: random.Random) -> list[str]:
    abstract = f"本发明公开了一种电池包{i}，" + ("包括\n壳体、\"支架\"和\n控制模块。" if rnd.random() < 0.2 else "结构简单。")
    return [_app_no(i), f"CN{110_000_000 + i}A", f"一种电池管理系统{i}", abstract, rnd.choice(ORGS),
            f"2020{1 + i % 12:02d}{1 + i % 28:02d}", rnd.choice(["H01M4/36", "G06F16/30;H01M10/42", "B60L58/12"])]


def _csv_text(rows: list[list[str]], *, line_end: str = "\n", delimiter: str = ",") -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator=line_end)
    w.writerow(HEADERS)
    w.writerows(rows)
    return buf.getvalue()


def _records(n: int, seed: int = 3) -> list[list[str]]:
    rnd = random.Random(seed)
    rows = [_record(i, rnd) for i in range(n)]
    rows.insert(7, [""] * len(HEADERS))  # an empty record
    rows.insert(20, [_app_no(99_999)] + [""] * (len(HEADERS) - 1))  # no title: rejected
    return rows


def _whole(path: Path) -> list[tuple]:
    return list(open_table(path).rows())


def _by_spans(path: Path, spans: list[Span]) -> list[tuple]:
    """The records of the spans, read as the workers and their fallback do: span by
    span; from a misaligned span on, the rest of the file streamed."""
    table = open_table(path)
    out: list[tuple] = []
    for k, span in enumerate(spans):
        got: list[tuple] = []
        try:
            got.extend(open_span(table, span, k).rows())
        except SpanMisaligned as exc:
            assert exc.index == k
            out.extend(open_span(table, span, k, to_eof=True).rows())
            return out
        out.extend(got)
    return out


def _misaligned(path: Path, spans: list[Span]) -> list[int]:
    table = open_table(path)
    out = []
    for k, span in enumerate(spans):
        try:
            list(open_span(table, span, k).rows())
        except SpanMisaligned as exc:
            assert exc.index == k
            out.append(k)
    return out


def _check_spans(path: Path, spans: list[Span] | None) -> list[Span]:
    """Spans cover the bytes after the header contiguously; each starts right after a
    newline outside quotes (by parity), on the line the whole-file read counts."""
    assert spans is not None and len(spans) > 1
    data = path.read_bytes()
    assert spans[-1].end == len(data)
    for a, b in pairwise(spans):
        assert a.end == b.start and a.start < a.end
    for span in spans:
        assert data[span.start - 1:span.start] == b"\n"
        assert data[:span.start].count(b"\n") + 1 == span.first_line
        assert data[spans[0].start:span.start].count(b'"') % 2 == 0
    return spans


# -- span boundaries and the span reader ---------------------------------------------------
@pytest.mark.parametrize("name,encoding,line_end,prefix", [
    ("utf8.csv", "utf-8", "\n", ""),
    ("crlf.csv", "utf-8", "\r\n", ""),
    ("bom.csv", "utf-8-sig", "\r\n", ""),
    ("gbk.csv", "gbk", "\n", ""),
    ("gbk_crlf.csv", "gbk", "\r\n", ""),
    ("blank_before_header.csv", "utf-8", "\n", "\n  \n\t\n"),
    ("blank_before_header_bom.csv", "utf-8-sig", "\r\n", "\r\n\u3000\r\n"),
    ("tabs.tsv", "gb18030", "\n", "\n"),
])
def test_spans_read_as_the_whole_file(tmp_path, name, encoding, line_end, prefix):
    rows = _records(120)
    text = prefix + _csv_text(rows, line_end=line_end, delimiter="\t" if name.endswith(".tsv") else ",")
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    spans = _check_spans(path, csv_spans(path, target_bytes=300))
    assert len(spans) > 20
    assert spans[0].first_line == prefix.count("\n") + 2
    whole = _whole(path)
    assert len(whole) == len(rows)
    assert any("\n" in r[1]["摘要"] for r in whole if r[1].__class__ is dict)  # multi-line fields
    assert _by_spans(path, spans) == whole
    # every span on its own ends on a record boundary
    table = open_table(path)
    for k, span in enumerate(spans):
        list(open_span(table, span, k).rows())


def test_target_rows_sizes_spans_by_the_average_line(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(_csv_text([[_app_no(i), "", f"名称{i}", "摘要", "重庆大学", "", ""] for i in range(1000)]),
                    encoding="utf-8")
    spans = _check_spans(path, csv_spans(path, target_rows=100))
    assert 9 <= len(spans) <= 11
    assert all(90 <= b.first_line - a.first_line <= 110 for a, b in pairwise(spans))


def test_last_span_without_final_newline_and_blank_lines(tmp_path):
    path = tmp_path / "tail.csv"
    body = "".join(f'{_app_no(i)},,"名称\n{i}",,重庆大学,,\n' + ("\n \n" if i % 5 == 0 else "") for i in range(60))
    path.write_text(",".join(HEADERS) + "\n" + body + f"{_app_no(999)},,最后,,,,", encoding="utf-8")
    spans = _check_spans(path, csv_spans(path, target_bytes=120))
    whole = _whole(path)
    assert whole[-1][1]["专利名称"] == "最后" and sum(r is None for _, r in whole) == 24
    assert _by_spans(path, spans) == whole


@pytest.mark.parametrize("damage", [b"\xff\xfe", b"\x00"])
def test_bad_bytes_nul_and_unclosed_quote_give_the_same_bad_rows(tmp_path, damage):
    lines = [",".join(HEADERS).encode()]
    for i in range(80):
        title = f"名称{i}".encode()
        if i % 9 == 1:
            title += damage  # not UTF-8 / NUL
        lines.append(b",".join([_app_no(i).encode(), b"", title, b"", "重庆大学".encode(), b"", b""]))
    lines.append(b'CN1,,"never closed,,,,')  # swallows the following lines to the end
    lines.extend(b"CN2,,x%d,,,," % i for i in range(5))
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert detect_encoding(path) == "utf-8"
    whole = _whole(path)
    reasons = {r.reason[:20] for _, r in whole if r is not None and r.__class__ is not dict}
    assert len(reasons) == 2, reasons
    spans = csv_spans(path, target_bytes=200)
    _check_spans(path, spans)
    assert _by_spans(path, spans) == whole


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_random_bytes_read_the_same_in_spans(tmp_path, encoding):
    """Garbage after a clean first MB (so the encoding is detected): broken multi-byte
    sequences right before a line end, NUL, stray quotes, multi-line fields. Cut at
    random line ends (by parity or not), the spans and their fallback read exactly what
    the whole-file read does."""
    rnd = random.Random(11)
    filler = f"{_app_no(1)},,一种电池管理系统,摘要,重庆大学,,\n".encode(encoding)
    head = ",".join(HEADERS).encode(encoding) + b"\n" + filler * (SAMPLE_BYTES // len(filler) + 1)
    pieces = [b"a", b"a", b",", b",", b'"', b"\n", b"\n", b"\r\n", b"\x81", b"\x84", b"\x30", b"\x39",
              b"\xe4\xb8", b"\xad", b"\xff", b"\x00", b"\xa1", "中".encode(encoding), "名称".encode(encoding),
              b"\x84\x31\n", b"\x81\x39\r\n", b"\xe4\xb8\n"]  # held by the decoder at a line end
    tail = b"".join(rnd.choice(pieces) for _ in range(5000))
    path = tmp_path / "random.csv"
    path.write_bytes(head + tail)
    assert detect_encoding(path) == encoding
    whole = _whole(path)
    tail_line = head.count(b"\n") + 1
    want = [r for r in whole if r[0] >= tail_line]
    assert len(want) > 300 and any(r[1].__class__ is BadRow for r in want)
    ends = [len(head) + i + 1 for i, byte in enumerate(tail[:-1]) if byte == 10]
    misaligned = 0
    for _ in range(40):
        bounds = [len(head), *sorted(rnd.sample(ends, rnd.randint(1, 30))), len(head) + len(tail)]
        spans = [Span(a, b, tail_line + tail[:a - len(head)].count(b"\n")) for a, b in pairwise(bounds)]
        assert _by_spans(path, spans) == want
        misaligned += bool(_misaligned(path, spans))
    assert 0 < misaligned < 40


@pytest.mark.parametrize("encoding,ends", [("gb18030", (b"\x84\x31\n", b"\x81\x39\r\n", b"\x81\n")),
                                            ("utf-8", (b"\xe4\xb8\n", b"\xf0\x9f\r\n", b"\xff\n"))])
def test_bytes_held_by_the_decoder_at_a_line_end_stay_in_their_span(tmp_path, encoding, ends):
    """A GB18030 lead byte and a digit before the newline are held as the start of a
    four-byte character until a byte follows; a span ending there must read them as the
    whole file does, and end cleanly (no quote anywhere: nothing may be misaligned)."""
    filler = f"{_app_no(1)},,一种电池管理系统,摘要,重庆大学,,\n".encode(encoding)
    head = ",".join(HEADERS).encode(encoding) + b"\n" + filler * (SAMPLE_BYTES // len(filler) + 1)
    tail = b"".join(f"CN{i},,名称{i}".encode(encoding) + ends[i % 3] for i in range(60))
    path = tmp_path / "held.csv"
    path.write_bytes(head + tail)
    assert detect_encoding(path) == encoding
    tail_line = head.count(b"\n") + 1
    want = [r for r in _whole(path) if r[0] >= tail_line]
    assert len(want) == 60 and all(r[1].__class__ is BadRow for r in want)
    bounds = [len(head), *(len(head) + i + 1 for i, byte in enumerate(tail[:-1]) if byte == 10), len(head) + len(tail)]
    spans = [Span(a, b, tail_line + k) for k, (a, b) in enumerate(pairwise(bounds))]
    assert not _misaligned(path, spans)
    assert _by_spans(path, spans) == want


def test_stray_quote_misaligns_a_span(tmp_path):
    path = _misaligned_file(tmp_path)
    spans = _check_spans(path, csv_spans(path, target_bytes=400))
    assert _misaligned(path, spans)  # quote parity was misled
    assert _by_spans(path, spans) == _whole(path)


def test_a_stray_quote_alone_ends_the_splitting(tmp_path):
    rows = _records(100)
    text = _csv_text(rows[:30]) + f'{_app_no(5000)},,名称 5"寸,无,重庆大学,,\n' + _csv_text(
        [[c.replace("\n", " ").replace('"', "") for c in r] for r in rows[30:]]).split("\n", 1)[1]
    path = tmp_path / "stray.csv"
    path.write_text(text, encoding="utf-8")
    spans = _check_spans(path, csv_spans(path, target_bytes=300))
    stray_line = text[:text.index('5"寸')].count("\n") + 1
    assert spans[-1].first_line <= stray_line  # nothing splits after the unbalanced quote
    assert _by_spans(path, spans) == _whole(path)


@pytest.mark.parametrize("name,content", [
    ("utf16.csv", ("\ufeff" + _csv_text(_records(200))).encode("utf-16-le")),
    ("lone_cr.csv", _csv_text(_records(200)).replace("\n", "\r").encode("utf-8")),
    ("one_lone_cr.csv", (_csv_text(_records(200)) + "x\ry\n").encode("utf-8")),
    ("cr_at_the_end.csv", (_csv_text(_records(200), line_end="\r\n") + "x\r").encode("utf-8")),
    ("one_span.csv", (",".join(HEADERS) + "\nCN1,,名称,,,,\n").encode("utf-8")),
    ("header_only.csv", (",".join(HEADERS) + "\n").encode("utf-8")),
    ("empty.csv", b""),
    ("rows.jsonl", b'{"a": 1}\n' * 500),
])
def test_ineligible_files_are_not_split(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert csv_spans(path, target_bytes=50) is None


def test_lone_cr_is_found_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "_CR_BLOCK", 7)
    rnd = random.Random(5)
    for trial in range(300):
        data = b"".join(rnd.choice([b"a", b"\r\n", b"\n", b"\r", b"xy"]) for _ in range(rnd.randint(1, 30)))
        path = tmp_path / "cr.bin"
        path.write_bytes(data)
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            assert readers._lone_cr(mm) == (re.search(rb"\r(?!\n)", data) is not None), data


def test_mixed_encoding_and_missing_files_are_not_split(tmp_path):
    path = tmp_path / "mixed.csv"
    lines = [",".join(HEADERS).encode("utf-8")]
    lines += [f"{_app_no(i)},,名称{i},,重庆大学,,".encode("utf-8" if i % 2 else "gb18030") for i in range(200)]
    path.write_bytes(b"\n".join(lines))
    assert detect_encoding(path) == MIXED
    assert csv_spans(path, target_bytes=50) is None
    assert csv_spans(tmp_path / "missing.csv", target_bytes=50) is None


def test_open_span_refuses_a_file_it_cannot_split(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(("\ufeff" + _csv_text(_records(5))).encode("utf-16-le"))
    with pytest.raises(IngestError, match="not read in spans"):
        open_span(open_table(path), Span(0, 10, 2), 0)


# -- workers preparing their own spans -----------------------------------------------------------
def _misaligned_file(tmp_path: Path) -> Path:
    """A stray quote in an unquoted field, later a quoted multi-line field, then more."""
    rows = [[c.replace("\n", " ").replace('"', "") for c in r] for r in _records(150)]
    lines = _csv_text(rows[:40]).splitlines(keepends=True)
    lines.append(f'{_app_no(7000)},,一种5"寸屏幕,摘要,重庆大学,20200101,G06F16/30\n')  # stray quote
    lines.extend(_csv_text(rows[40:60]).splitlines(keepends=True)[1:])
    lines.append(f'{_app_no(7001)},,一种装置,"第一行\n第二行\n第三行\n第四行",西南大学,20200102,H01M4/36\n')
    lines.extend(_csv_text(rows[60:]).splitlines(keepends=True)[1:])
    path = tmp_path / "generated_test_stray_quote.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _kwargs(path: Path, chunk_rows: int) -> dict:
    return {"source_file": path.name, "source_tag": "generated:test", "max_field_chars": 1000, "today": None,
            "sei": None, "chains": load_chains(), "regions": region_table(), "chunk_rows": chunk_rows}


def _summary(chunks: list[PreparedChunk]) -> tuple:
    """Everything a chunk list says, independent of where the chunks are cut (and of
    the order of chain nodes / SEI codes, which follows set order, i.e. the process's
    string hash seed)."""
    rows = pa.concat_tables([c.rows for c in chunks]).to_pylist()
    for r in rows:
        r["chain_nodes"] = sorted(zip(r.pop("chain_nodes"), r.pop("chain_scores"), r.pop("chain_vias")))
        r["sei_codes"] = sorted(zip(r.pop("sei_codes"), r.pop("sei_rules")))
    touches = []
    for c in chunks:
        t = c.touches.to_pylist()
        lines = c.rows["line"].to_pylist()
        touches += [(lines[r], tuple(t[k].values())) for r, k in zip(c.occurrences["row"].to_pylist(),
                                                                      c.occurrences["touch"].to_pylist())]
    counts = tuple(sum(getattr(c, a) for c in chunks) for a in ("read", "skipped", "rejected", "warnings"))
    return rows, touches, counts, [i for c in chunks for i in c.issues]


def _compare(path: Path, chunk_rows: int) -> list[PreparedChunk]:
    hmap = map_headers(open_table(path).headers)
    kwargs = _kwargs(path, chunk_rows)
    want = _summary(list(prepare_file(path, hmap, **kwargs)))
    got_chunks = list(prepare_in_workers(path, hmap, workers=2, **kwargs))
    got = _summary(got_chunks)
    assert got[2] == want[2]
    assert got[3] == want[3]
    assert got[1] == want[1]
    assert got[0] == want[0]
    assert want[2][0] > 100 and want[2][2] >= 1 and want[3]
    return got_chunks


def test_workers_prepare_their_spans(tmp_path):
    path = tmp_path / "generated_test_spans.csv"
    path.write_text(_csv_text(_records(300)), encoding="utf-8")
    spans = csv_spans(path, target_rows=9)
    assert spans is not None and len(spans) > 20
    chunks = _compare(path, chunk_rows=9)
    assert len(chunks) == len(spans)  # one chunk per span
    ends = [s.first_line for s in spans[1:]] + [10**9]
    for chunk, span, end in zip(chunks, spans, ends):
        lines = chunk.rows["line"].to_pylist()
        assert lines and span.first_line <= lines[0] and lines[-1] < end


def test_a_misaligned_span_falls_back_to_reading_on_in_process(tmp_path, caplog):
    path = _misaligned_file(tmp_path)
    spans = csv_spans(path, target_rows=7)
    assert spans is not None
    with caplog.at_level(logging.WARNING, logger="ingest.prepare"):
        chunks = _compare(path, chunk_rows=7)
    assert "does not end on a record boundary" in caplog.text
    assert len(chunks) > 1


def test_unsplittable_files_still_go_through_workers(tmp_path):
    path = tmp_path / "generated_test_utf16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + _csv_text(_records(120)).encode("utf-16-le"))
    assert csv_spans(path, target_rows=10) is None
    chunks = _compare(path, chunk_rows=10)
    assert [c.read for c in chunks[:-1]] == [10] * (len(chunks) - 1)  # chunks of chunk_rows rows


# -- spans read by pyarrow (span_columns) -------------------------------------------------------
def _quoted_records(n: int, seed: int = 5) -> list[list[str]]:
    """One-line records with quotes, delimiters and odd whitespace inside fields."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        title = rnd.choice([f"一种电池{i}", f'一种"双层"电池{i}', f"电池, 含隔膜{i}", f" 电池\u3000{i} ", f"a\"b{i}"])
        rows.append([_app_no(i), f"CN{110_000_000 + i}A", title, f"摘要{i}；结构简单。", rnd.choice(ORGS),
                     f"2020{1 + i % 12:02d}{1 + i % 28:02d}", "H01M4/36"])
    rows.insert(5, [""] * len(HEADERS))  # blank cells: skipped
    rows.insert(9, ["  ", "\u3000"] + [""] * (len(HEADERS) - 2))  # whitespace only: skipped
    return rows


def _cells_equal(table, span: Span, got) -> None:
    """span_columns cells are the records open_span yields (blank rows: all blank)."""
    want = list(open_span(table, span, 0).rows())
    assert got.num_rows == len(want)
    cols = {h: got[h].to_pylist() for h in table.headers}
    for i, (line, rec) in enumerate(want):
        assert line == span.first_line + i
        cells = {h: cols[h][i] for h in table.headers}
        if rec is None:
            assert all(not c.strip() for c in cells.values())
        else:
            assert rec == cells


@pytest.mark.parametrize("encoding,line_end,delimiter", [("utf-8", "\n", ","), ("utf-8", "\r\n", ","),
                                                         ("gb18030", "\r\n", ","), ("utf-8", "\n", "\t")])
def test_span_columns_reads_what_open_span_reads(tmp_path, encoding, line_end, delimiter):
    path = tmp_path / ("quoted.tsv" if delimiter == "\t" else "quoted.csv")
    rows = _quoted_records(200) + _records(40)  # the latter: some multi-line fields
    path.write_bytes(_csv_text(rows, line_end=line_end, delimiter=delimiter).encode(encoding))
    table = open_table(path)
    spans = csv_spans(path, target_rows=6)
    fast = 0
    for span in spans:
        got = readers.span_columns(table, span)
        if got is None:  # only spans with a multi-line record
            assert len(list(open_span(table, span, 0).rows())) < path.read_bytes()[span.start:span.end].count(b"\n")
            continue
        fast += 1
        _cells_equal(table, span, got)
    assert fast > 20 and fast < len(spans)


@pytest.mark.parametrize("body,why", [
    (b"\xef\xbb\xbfCN1,,t,,,,\n", "byte-order mark at the span start (pyarrow drops it)"),
    (b"CN1,,t\x00,,,,\n", "NUL byte"),
    (b"CN1,,t,,,,\n\nCN2,,u,,,,\n", "blank line (pyarrow skips it)"),
    (b"CN1,,t,,,,\nCN2,,u\n", "short row"),
    (b"CN1,,t,,,,,x\n", "long row"),
    (b'CN1,,"t\nu",,,,\n', "multi-line field"),
    (b"CN1,,t\xff,,,,\n", "not UTF-8"),
])
def test_span_columns_declines_what_it_cannot_read_exactly(tmp_path, body, why):
    path = tmp_path / "x.csv"
    path.write_bytes(",".join(HEADERS).encode() + b"\n" + body)
    table = open_table(path)
    span = Span(len(",".join(HEADERS).encode()) + 1, path.stat().st_size, 2)
    assert readers.span_columns(table, span) is None, why


def test_spans_give_the_same_chunks_with_and_without_pyarrow(tmp_path, monkeypatch):
    """prepare_file over spans: the pyarrow read and the csv module give identical chunks
    (rows, touches, counts, issues), with blank rows, rejects and warnings in them."""
    from ingest import prepare

    path = tmp_path / "generated_test_mixed.csv"
    rows = _quoted_records(300)
    rows[40][5] = "2020-13-45"  # malformed date: a warning, the row builder's values
    rows[41][0] = rows[41][1] = ""  # no identifier: rejected
    path.write_text(_csv_text(rows), encoding="utf-8")
    hmap = map_headers(open_table(path).headers)
    spans = csv_spans(path, target_rows=50)
    kwargs = {**_kwargs(path, 50), "spans": spans}
    used = []
    real = prepare.span_columns
    monkeypatch.setattr(prepare, "span_columns", lambda *a: used.append(1) or real(*a))
    fast = list(prepare_file(path, hmap, **kwargs))
    monkeypatch.setattr(prepare, "span_columns", lambda *a: None)
    slow = list(prepare_file(path, hmap, **kwargs))
    assert len(used) == len(spans) > 3
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        assert a.rows.equals(b.rows) and a.touches.equals(b.touches) and a.occurrences.equals(b.occurrences)
        assert (a.read, a.skipped, a.rejected, a.warnings, a.issues) == (b.read, b.skipped, b.rejected,
                                                                         b.warnings, b.issues)
    assert sum(c.skipped for c in fast) == 2 and sum(c.rejected for c in fast) == 1
    assert sum(c.warnings for c in fast) >= 1
