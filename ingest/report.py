"""Ingest accounting: per-file summaries and the reject/warning report.

Every data row of a file is exactly one of *loaded* (a new patent), *merged* (folded
into a patent already seen, in this file, an earlier file or the store), *rejected*
or *skipped* (an empty row): ``read == loaded + merged + rejected + skipped``.

The report is one CSV per run in ``settings.reports_path``
(``ingest-<timestamp>.csv``), columns ``file, line, column, value, reason, level`` --
``level`` is ``reject`` (row not loaded), ``warning`` (value dropped, row loaded) or
``file`` (the whole file could not be read). Values are truncated to 200 characters.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from patentnav.spreadsheet import defuse_formula

VALUE_MAX = 200
REPORT_COLUMNS = ("file", "line", "column", "value", "reason", "level")


@dataclass
class FileSummary:
    file: str
    source: str
    format: str = ""
    encoding: str | None = None
    read: int = 0
    loaded: int = 0
    merged: int = 0
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0
    error: str | None = None
    unmapped_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.merged + self.rejected + self.skipped

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestSummary:
    files: list[FileSummary] = field(default_factory=list)
    reference: dict[str, int] = field(default_factory=dict)  # what the reference loaders wrote
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    report_path: Path | None = None
    seconds: float = 0.0

    @property
    def totals(self) -> FileSummary:
        t = FileSummary(file="TOTAL", source="")
        for f in self.files:
            for k in ("read", "loaded", "merged", "rejected", "skipped", "warnings"):
                setattr(t, k, getattr(t, k) + getattr(f, k))
        return t

    def table(self) -> str:
        """The per-file summary as a fixed-width text table."""
        rows = [*self.files, self.totals]
        name_w = max([len("file"), *(len(r.file) for r in rows)])
        head = f"{'file':<{name_w}}  {'read':>8} {'loaded':>8} {'merged':>8} {'rejected':>8} {'skipped':>8} {'warnings':>8}"
        out = io.StringIO()
        out.write(head + "\n" + "-" * len(head) + "\n")
        for r in rows:
            if r is rows[-1]:
                out.write("-" * len(head) + "\n")
            out.write(f"{r.file:<{name_w}}  {r.read:>8} {r.loaded:>8} {r.merged:>8} {r.rejected:>8} "
                      f"{r.skipped:>8} {r.warnings:>8}\n")
            if r.error:
                out.write(f"{'':<{name_w}}  ! {r.error}\n")
        return out.getvalue()


class RejectReport:
    """Collects rejects and warnings and writes them as CSV (opened lazily)."""

    def __init__(self, folder: Path | None, *, stamp: str | None = None) -> None:
        self.folder = folder
        self.stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.path: Path | None = folder / f"ingest-{self.stamp}.csv" if folder else None
        self._f = None
        self._w = None
        self.count = 0
        #: rows kept in memory for callers that want them (tests, API); bounded
        self.rows: list[tuple] = []
        self.keep = 100_000

    def add(self, file: str, line: int | None, column: str, value: object, reason: str, level: str) -> None:
        v = "" if value is None else str(value)
        if len(v) > VALUE_MAX:
            v = v[:VALUE_MAX] + "…"
        v = defuse_formula(v)  # people open this report in Excel / WPS
        row = (file, "" if line is None else line, column, v, reason, level)
        self.count += 1
        if len(self.rows) < self.keep:
            self.rows.append(row)
        if self.path is None:
            return
        if self._w is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = self.path.open("w", encoding="utf-8-sig", newline="")
            self._w = csv.writer(self._f)
            self._w.writerow(REPORT_COLUMNS)
        self._w.writerow(row)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None
            self._w = None

    def ensure_written(self) -> Path | None:
        """Write the header even when nothing was reported (so the path always exists)."""
        if self.path is not None and self._w is None and not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w", encoding="utf-8-sig", newline="") as f:
                csv.writer(f).writerow(REPORT_COLUMNS)
        return self.path
