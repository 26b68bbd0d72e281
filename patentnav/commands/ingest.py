"""``patentnav ingest …``: load patent exports and reference data into the graph.

Thin wrappers over :mod:`ingest.pipeline`; each prints the per-file summary and where
the reject/warning report was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from patentnav.errors import PatentnavError
from patentnav.settings import get_settings

app = typer.Typer(help="Load patent exports, organisations, chains and demands into the graph.",
                  no_args_is_help=True)

SILENT = typer.Option(False, "--silent", help="No progress bars.")


@contextmanager
def _store() -> Iterator:
    """The configured store; patentnav errors end the command with their message (no traceback)."""
    from graph.factory import create_store

    try:
        with create_store(get_settings()) as store:
            yield store
    except PatentnavError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _print(summary) -> None:
    if summary.files:
        typer.echo(summary.table())
    if summary.reference:
        typer.echo("reference: " + ", ".join(f"{k}={v}" for k, v in summary.reference.items()))
    if summary.nodes:
        typer.echo("nodes: " + ", ".join(f"{k}={v}" for k, v in summary.nodes.items() if v))
        typer.echo("relationships: " + ", ".join(f"{k}={v}" for k, v in summary.relationships.items() if v))
    if summary.report_path:
        typer.echo(f"reject/warning report: {summary.report_path}")
    typer.echo(f"done in {summary.seconds:.1f} s")


@app.command("all")
def ingest_all_cmd(silent: bool = SILENT) -> None:
    """Load the bundled real data (settings.data_dir): reference data, every patent file, listed companies."""
    from ingest.pipeline import ingest_all

    settings = get_settings()
    typer.echo(f"data: {settings.data_dir}\ngraph: {settings.graph_backend} {settings.graph_path}")
    with _store() as store:
        _print(ingest_all(store, settings, progress=not silent))


@app.command("patents")
def ingest_patents_cmd(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="CSV / XLSX / JSONL patent exports."),
    source: str = typer.Option(None, "--source", help="Source name: id prefix for rows identified only by a source id "
                                                      "(default: the file name without extension)."),
    silent: bool = SILENT,
) -> None:
    """Load patent export files (merged with what the graph already holds)."""
    from ingest.pipeline import ingest_files

    settings = get_settings()
    with _store() as store:
        _print(ingest_files(store, files, settings, source=source, progress=not silent))


@app.command("reference")
def ingest_reference_cmd(silent: bool = SILENT) -> None:
    """Load the reference data (regions, IPC scheme, SEI, chains, universities, demands, listed companies)
    and (re)classify the patents already in the graph."""
    from ingest.pipeline import ingest_reference

    settings = get_settings()
    with _store() as store:
        _print(ingest_reference(store, settings, progress=not silent))


@app.command("classify")
def ingest_classify_cmd(silent: bool = SILENT) -> None:
    """Re-classify every patent in the graph into SEI categories and chain nodes (after editing the catalogue)."""
    from ingest.pipeline import classify_patents

    settings = get_settings()
    with _store() as store:
        n = classify_patents(store, settings, progress=not silent)
    typer.echo(f"classified {n} patents")
