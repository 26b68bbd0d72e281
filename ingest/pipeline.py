"""Ingest entry points: everything, some patent files, the reference data, re-classification.

``ingest_all`` loads, in order: the reference data (regions, IPC scheme, SEI
categories, chain catalogue, MOE universities, technology demands), every patent file
in ``<data_dir>/patents`` (CSV / XLSX / JSONL; each patent is classified into SEI
categories and chain nodes as it is written, which is why the reference data comes
first), the listed companies (linked to applicants, so after the patents), and
finally the derived ``CO_APPLIED`` edges (``store.write("derive_co_applied")`` when that
query exists). Running it again gives identical node and relationship counts.

Every function takes the store and the settings from the caller and returns an
:class:`~ingest.report.IngestSummary`; rejects and warnings go to one CSV per run in
``settings.reports_path``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path

from graph.base import GraphStore
from ingest import reference
from ingest.chains import ChainCatalogue, load_chains
from ingest.normalize.ipc import split_ipc
from ingest.patents import DEFAULT_CHUNK_ROWS, IngestSession, _chunks, _cpc_subclass, _progress
from ingest.readers import SUPPORTED_SUFFIXES
from ingest.report import IngestSummary, RejectReport
from ingest.sei import SeiClassifier, load_sei
from patentnav.errors import IngestError
from patentnav.settings import Settings

log = logging.getLogger(__name__)

#: id prefixes for demo files whose rows are identified only by a source id
DEMO_SOURCES = {"ccf_bdci2022_patsnap_fewshot_train.jsonl": "patsnap"}


def patent_files(data_dir: Path) -> list[Path]:
    """Supported patent files under ``<data_dir>/patents``, sorted by name."""
    folder = data_dir / "patents"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def _classifiers(settings: Settings) -> tuple[SeiClassifier | None, ChainCatalogue]:
    return load_sei(settings.data_dir), load_chains()


def _session(store: GraphStore, settings: Settings, report: RejectReport, *, progress: bool,
             chunk_size: int | None = None) -> IngestSession:
    sei, chains = _classifiers(settings)
    return IngestSession(
        store, report=report, max_field_chars=settings.max_field_chars, sei=sei, chains=chains,
        known_universities=reference.university_names(settings.data_dir),
        chunk_size=chunk_size or DEFAULT_CHUNK_ROWS, workers=settings.ingest_workers, progress=progress,
        commit_rows=settings.ingest_commit_rows, commit_bytes=settings.ingest_commit_mb << 20,
    )


def _finish(store: GraphStore, summary: IngestSummary, report: RejectReport, t0: float) -> IngestSummary:
    report.close()
    summary.report_path = report.ensure_written()
    summary.nodes = store.count_nodes()
    summary.relationships = store.count_relationships()
    summary.seconds = time.perf_counter() - t0
    return summary


def _derive(store: GraphStore) -> None:
    if store.registry.has("derive_co_applied", store.dialect):
        store.write("derive_co_applied")
    else:
        log.info("no derive_co_applied query; CO_APPLIED not derived")


def ingest_reference(store: GraphStore, settings: Settings, *, progress: bool = True,
                     summary: IngestSummary | None = None, listed: bool = True,
                     classify: bool = True) -> IngestSummary:
    """Load the reference data; with ``listed`` also link the listed companies, with
    ``classify`` (re)classify the patents already in the store."""
    t0 = time.perf_counter()
    own = summary is None
    summary = summary or IngestSummary()
    store.init_schema()
    data_dir = settings.data_dir
    sei, chains = _classifiers(settings)
    steps = [
        ("regions", lambda: reference.load_regions(store)),
        ("ipc_scheme", lambda: reference.load_ipc_scheme(store, data_dir)),
        ("sei_categories", lambda: reference.load_sei_categories(store, sei) if sei else 0),
        ("chains", lambda: reference.load_chain_catalogue(store, chains)),
        ("universities", lambda: reference.load_universities(store, data_dir)),
        ("tech_demands", lambda: reference.load_tech_demands(store, data_dir)),
    ]
    for name, fn in steps:
        t = time.perf_counter()
        summary.reference[name] = fn()
        log.info("reference %s: %d rows in %.1fs", name, summary.reference[name], time.perf_counter() - t)
    if listed:
        summary.reference.update(reference.load_listed_companies(store, data_dir))
    if classify:
        summary.reference["classified_patents"] = classify_patents(store, settings, progress=progress)
    if own:
        summary.nodes = store.count_nodes()
        summary.relationships = store.count_relationships()
        summary.seconds = time.perf_counter() - t0
    return summary


def ingest_files(store: GraphStore, paths: Iterable[Path | str], settings: Settings, *,
                 source: str | None = None, progress: bool = True, derive: bool = True,
                 chunk_size: int | None = None) -> IngestSummary:
    """Ingest patent files into the store (one session: files merge with each other)."""
    t0 = time.perf_counter()
    store.init_schema()
    report = RejectReport(settings.reports_path)
    summary = IngestSummary()
    session = _session(store, settings, report, progress=progress, chunk_size=chunk_size)
    for p in paths:
        p = Path(p)
        summary.files.append(session.load_file(p, source=source or DEMO_SOURCES.get(p.name)))
    session.finish()
    if derive:
        _derive(store)
    return _finish(store, summary, report, t0)


def ingest_file(store: GraphStore, path: Path | str, settings: Settings, source: str | None = None, *,
                progress: bool = True) -> IngestSummary:
    """Ingest one patent file; ``source`` names it (the id prefix of rows identified only by
    a source id; default: the file stem)."""
    return ingest_files(store, [path], settings, source=source, progress=progress)


def ingest_all(store: GraphStore, settings: Settings, *, progress: bool = True) -> IngestSummary:
    """Reference data, every patent file of ``<data_dir>/patents``, listed companies,
    derived edges (see module doc)."""
    t0 = time.perf_counter()
    if not settings.data_dir.is_dir():
        raise IngestError(f"data_dir {settings.data_dir} does not exist")
    summary = IngestSummary()
    ingest_reference(store, settings, progress=progress, summary=summary, listed=False, classify=False)
    report = RejectReport(settings.reports_path)
    session = _session(store, settings, report, progress=progress)
    folder = settings.data_dir / "patents"
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.suffix.lower() not in SUPPORTED_SUFFIXES:
                log.info("skipping %s: not a patent export format (%s)", p.name, p.suffix)
    for p in patent_files(settings.data_dir):
        summary.files.append(session.load_file(p, source=DEMO_SOURCES.get(p.name)))
    session.finish()
    summary.reference.update(reference.load_listed_companies(store, settings.data_dir))
    _derive(store)
    return _finish(store, summary, report, t0)


def classify_patents(store: GraphStore, settings: Settings, *, progress: bool = True,
                     page: int = 5000) -> int:
    """(Re)classify every stored patent into SEI categories and chain nodes; returns the
    number of patents read. Edges are upserted (existing ones stay)."""
    if not store.registry.has("ingest_patents_for_classify", store.dialect):
        return 0
    sei, chains = _classifiers(settings)
    # the targets first: a catalogue edited since the last load gets its new nodes
    if sei is not None:
        reference.load_sei_categories(store, sei)
    reference.load_chain_catalogue(store, chains)
    after = ""
    total = 0
    bar = _progress(progress, desc="classify")
    try:
        while True:
            rows = store.run("ingest_patents_for_classify", after=after, limit=page)
            if not rows:
                break
            sei_rows, chain_rows = [], []
            for r in rows:
                codes, _ = split_ipc(";".join(r.get("ipc_codes") or []))
                text = " ".join(t for t in (r.get("title"), r.get("abstract"), r.get("claim1")) if t)
                if sei is not None and codes:
                    for code, rule in sei.classify(codes, text).items():
                        sei_rows.append({"src": r["id"], "dst": code, "rule": rule})
                if not codes:
                    subs = [s for s in (r.get("ipc_subclasses") or []) if _cpc_subclass(s)]
                    codes, _ = split_ipc(";".join(subs))
                for node, (score, via) in chains.classify(codes, text).items():
                    chain_rows.append({"src": r["id"], "dst": node, "score": score, "via": via})
            for chunk in _chunks(sei_rows, 50_000):
                store.upsert_relationships("IN_SEI", chunk)
            for chunk in _chunks(chain_rows, 50_000):
                store.upsert_relationships("IN_CHAIN_NODE", chunk)
            total += len(rows)
            bar.update(len(rows))
            after = rows[-1]["id"]
    finally:
        bar.close()
    return total
