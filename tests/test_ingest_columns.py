"""The column-at-a-time record builder (:mod:`ingest.columns`) against the row builder.

For every CSV among the bad inputs, the real exports in the data directory and a
generated file (``generated:test``), each row the column builder handles itself must
get exactly the values :class:`~ingest.records.RecordBuilder` gives it; the rows it
hands over must be those the row builder rejects or warns about, or that use a column
it leaves to the row builder. Plain rows must not be handed over (that would silently
make the fast path slow).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ingest.columns import ColumnBuilder, record_values
from ingest.headers import map_headers
from ingest.normalize.regions import region_table
from ingest.prepare import RECORD_COLUMNS, prepare_file
from ingest.readers import BadRow, open_table
from ingest.records import RecordBuilder
from patentnav.errors import IngestError
from patentnav.settings import Settings
from tests.test_ingest_fastpath import HEADERS, _rows

BAD = Path(__file__).parent / "bad_inputs"
TODAY = date(2026, 11, 22)
FIELDS = tuple(RECORD_COLUMNS)
#: columns the column builder leaves to the row builder
ROW_BUILDER_COLUMNS = ("cpc_main", "cpc_codes", "labels", "text")


def _csv_files() -> list[Path]:
    data = Settings().data_dir / "patents"
    files = sorted(BAD.glob("*.csv")) + sorted(BAD.glob("*.tsv")) + sorted((BAD / "more").glob("*.csv"))
    files += sorted((BAD / "more").glob("*.txt")) + (sorted(data.glob("*.csv")) if data.is_dir() else [])
    return files


def _compare(path: Path, batch: int = 512) -> tuple[int, int]:
    """(rows compared, rows handed over); asserts equality of every fast row."""
    try:
        table = open_table(path)
    except IngestError:  # unreadable as a whole (tested in test_ingest_bad_inputs)
        return 0, 0
    if table.format != "csv" or not table.headers:
        return 0, 0
    hmap = map_headers(table.headers)
    if hmap.missing_required:
        return 0, 0
    records = RecordBuilder(hmap, source_file=path.name, source_tag="t", max_field_chars=2000, today=TODAY)
    columns = ColumnBuilder(records, FIELDS)
    entries = [(line, raw) for line, raw in table.rows() if raw is not None and raw.__class__ is not BadRow]
    compared = handed = 0
    for start in range(0, len(entries), batch):
        part = entries[start:start + batch]
        cols, slow = columns.build([line for line, _ in part], [raw for _, raw in part])
        for i, (line, raw) in enumerate(part):
            rec, issues = records.build(line, raw)
            if i in slow:
                handed += 1
                uses_other = any(raw[h].strip() for name in ROW_BUILDER_COLUMNS for h in hmap.fields.get(name, ()))
                too_long = any(len(v) > 2000 for v in raw.values() if isinstance(v, str))
                assert rec is None or issues or uses_other or too_long, \
                    f"{path.name} line {line}: a plain row was handed to the row builder"
                continue
            assert rec is not None and not issues, f"{path.name} line {line}: {issues}"
            expected = dict(zip(FIELDS, record_values(rec, FIELDS)))
            got = {name: cols[name][i] for name in FIELDS}
            assert got == expected, f"{path.name} line {line}: " + ", ".join(
                f"{k}: {got[k]!r} != {expected[k]!r}" for k in FIELDS if got[k] != expected[k])
            compared += 1
    return compared, handed


@pytest.mark.parametrize("path", _csv_files(), ids=lambda p: p.name)
def test_column_builder_equals_row_builder(path: Path) -> None:
    _compare(path)


@pytest.mark.parametrize("path", _csv_files(), ids=lambda p: p.name)
def test_arrow_cells_give_the_same_columns(path: Path) -> None:
    """Cells given as Arrow arrays (a span read by pyarrow) give the columns, and rows
    handed over, that Python lists of the same cells give; the passthrough columns equal
    their lists."""
    import pyarrow as pa

    from ingest.columns import PASSTHROUGH_FIELDS

    try:
        table = open_table(path)
    except IngestError:
        return
    if table.format != "csv" or not table.headers or map_headers(table.headers).missing_required:
        return
    records = RecordBuilder(map_headers(table.headers), source_file=path.name, source_tag="t",
                            max_field_chars=2000, today=TODAY)
    columns = ColumnBuilder(records, FIELDS)
    entries = [(line, raw) for line, raw in table.rows() if raw is not None and raw.__class__ is not BadRow]
    for start in range(0, len(entries), 300):
        part = entries[start:start + 300]
        lines = [line for line, _ in part]
        want, want_slow = columns.build(lines, [raw for _, raw in part])
        cells = {h: pa.array([raw[h] for _, raw in part], pa.string()) for h in table.headers}
        got, slow, arrow = columns.build_columns(lines, cells)
        assert slow == want_slow
        assert set(arrow) <= {*PASSTHROUGH_FIELDS.values(), "inventors"}
        for name, values in arrow.items():
            if name in got:
                assert values.to_pylist() == [list(v) if v.__class__ is tuple else v for v in got[name]], name
            else:  # an Arrow column handed on instead of its list (no row is slow)
                assert not slow and [list(v) for v in want[name]] == values.to_pylist(), name
        assert {k: v for k, v in got.items()} == {k: v for k, v in want.items() if k in got}
        assert set(want) - set(got) <= set(arrow)


def test_generated_rows_all_take_the_column_path(tmp_path: Path) -> None:
    path = tmp_path / "generated_test_patents.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(r for r in _rows(600) if r[0] and r[5])  # rows with an id and a title
    compared, handed = _compare(path, batch=97)
    assert compared > 500 and handed == 0


def test_bad_values_are_handed_to_the_row_builder() -> None:
    compared, handed = _compare(BAD / "malformed_values.csv")
    assert handed > 0 and compared > 0


def test_applicant_type_column_gives_kind_hints(tmp_path: Path) -> None:
    """申请人类型 (one kind per applicant) reaches the records and the organisation touches."""
    path = tmp_path / "types.csv"
    path.write_text("申请号,名称,申请人,申请人类型\n"
                    "CN202010000001.1,一种装置,某某创新中心;张伟,大专院校;个人\n", encoding="utf-8")
    table = open_table(path)
    hmap = map_headers(table.headers)
    records = RecordBuilder(hmap, source_file=path.name, source_tag="t", max_field_chars=2000, today=TODAY)
    (line, raw), = list(table.rows())
    rec, issues = records.build(line, raw)
    assert rec is not None and rec.applicant_types == ["大专院校", "个人"], issues
    cols, slow = ColumnBuilder(records, FIELDS).build([line], [raw])
    assert not slow and cols["applicant_types"] == [("大专院校", "个人")]
    chunk = next(prepare_file(path, hmap, source_file=path.name, source_tag="t", max_field_chars=2000,
                              today=TODAY, sei=None, chains=None, regions=region_table(), chunk_rows=10))
    assert dict(zip(chunk.touches["raw"].to_pylist(), chunk.touches["hint"].to_pylist())) == {
        "某某创新中心": "university", "张伟": "individual"}


def test_plain_han_names_equal_the_row_builders_inventors() -> None:
    import pyarrow as pa

    from ingest.columns import _plain_han_names
    from ingest.records import _inventors

    cells = ["张三;李四", None, "王五", "张三;李四;张三;王五;李四", "欧阳修;司马光", None]
    got = _plain_han_names(pa.array(cells, pa.string()))
    assert got is not None and got.type == pa.list_(pa.string())
    assert got.to_pylist() == [list(_inventors(c)) if c else [] for c in cells]
    assert got.to_pylist()[3] == ["张三", "李四", "王五"]  # repeats dropped, first kept
    assert _plain_han_names(pa.array([None, None], pa.string())).to_pylist() == [[], []]
    # anything else goes to the per-cell path: other separators or characters, spaces,
    # an empty-marker part, an empty part
    for other in ("张三；李四", "张三, 李四", "张三 ;李四", "John Smith", "张三;无", "张三;;李四", "张三;", "Ｚ三"):
        assert _plain_han_names(pa.array(["李四", other], pa.string())) is None, other
