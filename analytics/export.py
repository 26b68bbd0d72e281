"""Tables out of the navigation analyses: CSV, XLSX and JSON.

Every analysis result (:class:`analytics.navigation.Landscape`, the organisation
profile, competitor ranking and comparison, the chain map and gap analysis) can list
its content as :class:`Table` objects -- a name, a Chinese title, columns with Chinese
headers, and rows of plain values. This module writes them:

* **CSV** -- UTF-8 *with* a byte-order mark, so Excel opens Chinese text correctly;
  one table per file. Several tables travel as a ZIP of CSV files.
* **XLSX** -- one worksheet per table (openpyxl), bold frozen header row, column
  widths fitted to the content, numbers stored as numbers.
* **JSON** -- ``{"tables": {name: {"title", "columns": [{key, header}], "rows"}}}``
  for portals that render tables themselves.

Cell values: ``None`` is written as an empty cell, lists are joined with ``、``, dicts
as compact JSON, floats are kept (shares are fractions 0..1, not percentages). Text that
a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+cmd|...``) stays text: a
leading apostrophe in CSV (:mod:`patentnav.spreadsheet`), a string-typed cell in XLSX.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from patentnav.errors import InvalidInput
from patentnav.spreadsheet import defuse_formula

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[str, ...] = ("csv", "xlsx", "json")

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}

BOM = "\ufeff"
LIST_SEP = "、"
#: characters openpyxl refuses in cells (C0 controls except tab/newline/CR)
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_FILE_BAD = re.compile(r"[^\w.\-]+")


@dataclass
class Table:
    """One exportable table: ``columns`` are (row key, Chinese header) pairs."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [h for _, h in self.columns]

    def values(self) -> Iterable[list[Any]]:
        keys = [k for k, _ in self.columns]
        for row in self.rows:
            yield [row.get(k) for k in keys]


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell (numbers stay numbers, None stays None)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return LIST_SEP.join("" if v is None else str(cell(v)) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _text(value: Any) -> str:
    v = cell(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    return defuse_formula(v) if isinstance(v, str) else str(v)


def to_csv(table: Table) -> bytes:
    """One table as CSV: UTF-8 with BOM, Chinese header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.headers)
    for values in table.values():
        writer.writerow([_text(v) for v in values])
    return (BOM + buf.getvalue()).encode("utf-8")


def to_csv_zip(tables: Sequence[Table]) -> bytes:
    """Several tables as a ZIP of ``<name>.csv`` files (each UTF-8 with BOM)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for t in tables:
            zf.writestr(f"{safe_filename(t.name)}.csv", to_csv(t))
    return buf.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", title).strip("'") or "sheet"
    base = base[:31]
    name, n = base, 2
    while name.lower() in used:
        suffix = f"~{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """Tables as one workbook, one worksheet each (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if not tables:
        raise InvalidInput("nothing to export: the result has no tables")
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for t in tables:
        ws = wb.create_sheet(_sheet_title(t.title or t.name, used))
        ws.append(t.headers)
        for c in ws[1]:
            c.font = bold
        widths = [_width(h) for h in t.headers]
        for values in t.values():
            row = []
            for i, v in enumerate(values):
                v = cell(v)
                if isinstance(v, str):
                    v = _ILLEGAL_XLSX.sub("", v)
                    if len(v) > 32_000:
                        v = v[:32_000]
                row.append(v)
                widths[i] = max(widths[i], _width(v))
            ws.append(row)
            for c in ws[ws.max_row]:  # text that looks like a formula stays text
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"
        ws.freeze_panes = "A2"
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, w + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _width(value: Any) -> int:
    if value is None:
        return 0
    s = str(value)
    # CJK characters are about two Latin characters wide
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s[:80])


def to_json(tables: Sequence[Table]) -> dict[str, Any]:
    """Tables as a JSON-ready dict (portals render them themselves)."""
    return {
        "tables": {
            t.name: {
                "title": t.title,
                "columns": [{"key": k, "header": h} for k, h in t.columns],
                "rows": [{k: _json_value(r.get(k)) for k, _ in t.columns} for r in t.rows],
            }
            for t in tables
        }
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return cell(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def select(tables: Sequence[Table], name: str | None) -> list[Table]:
    """All tables, or the one called ``name`` (InvalidInput lists the names)."""
    if name is None:
        return list(tables)
    for t in tables:
        if t.name == name:
            return [t]
    raise InvalidInput(
        f"no table {name!r} in this result; tables: {', '.join(t.name for t in tables)}"
    )


@dataclass(frozen=True)
class Rendered:
    """Bytes of an export with their media type and a suggested file name."""

    content: bytes
    media_type: str
    filename: str


def render(tables: Sequence[Table], fmt: str, *, basename: str = "patentnav",
           table: str | None = None) -> Rendered:
    """Render ``tables`` (or the one named ``table``) in ``fmt``.

    CSV of a single table is a ``.csv`` file; CSV of several is a ``.zip`` of CSV files.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    chosen = select(tables, table)
    base = safe_filename(basename if table is None else f"{basename}-{table}")
    if fmt == "csv":
        if len(chosen) == 1:
            return Rendered(to_csv(chosen[0]), MEDIA_TYPES["csv"], f"{base}.csv")
        return Rendered(to_csv_zip(chosen), MEDIA_TYPES["zip"], f"{base}.zip")
    if fmt == "xlsx":
        return Rendered(to_xlsx(chosen), MEDIA_TYPES["xlsx"], f"{base}.xlsx")
    body = json.dumps(to_json(chosen), ensure_ascii=False, indent=1, default=str)
    return Rendered(body.encode("utf-8"), MEDIA_TYPES["json"], f"{base}.json")


def write(tables: Sequence[Table], fmt: str, out: Path, *, table: str | None = None) -> Path:
    """Write an export to ``out``; several CSV tables go into a ZIP (``out`` gets the
    ``.zip`` suffix if it has another). Returns the path written."""
    rendered = render(tables, fmt, basename=out.stem, table=table)
    path = Path(out)
    if rendered.filename.endswith(".zip") and path.suffix.lower() != ".zip":
        path = path.with_suffix(".zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered.content)
    return path


def safe_filename(name: str) -> str:
    """A file-name-safe version of ``name`` (keeps CJK letters, digits, ``.-_``)."""
    return _FILE_BAD.sub("_", name).strip("_.") or "export"
