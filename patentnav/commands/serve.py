"""Top-level ``patentnav serve`` and ``patentnav demo`` commands.

``serve`` runs the API (uvicorn over :func:`search_api.app.create_app`); ``demo`` loads
every bundled real data file into the graph, builds the search indexes and serves.
Mounted by :mod:`patentnav.cli` through :func:`register`.
"""

from __future__ import annotations

import logging
import time

import typer

from patentnav.errors import PatentnavError
from patentnav.settings import Settings, get_settings

log = logging.getLogger(__name__)


def run_server(settings: Settings, *, host: str | None, port: int | None, reload: bool) -> None:
    """Run uvicorn with the application factory (blocks until stopped)."""
    import uvicorn

    uvicorn.run(
        "search_api.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        reload=reload,
        log_level=settings.log_level.lower(),
    )


def build_demo(settings: Settings, *, silent: bool = False) -> dict[str, object]:
    """Ingest all real data into the configured graph, decide the high-value flags and
    build the search indexes.

    Returns figures for the summary line. The store is closed before returning, so a
    server (which opens it read-only) can start in the same process.
    """
    from analytics.highvalue import recompute_high_value
    from embeddings.build import build_indexes
    from embeddings.encoder import create_encoder
    from graph.factory import create_store
    from ingest.pipeline import ingest_all

    figures: dict[str, object] = {}
    t0 = time.perf_counter()
    with create_store(settings) as store:
        store.init_schema()
        report = ingest_all(store, settings, progress=not silent)
        figures["ingest_s"] = round(time.perf_counter() - t0, 1)
        figures["ingest"] = report
        th = time.perf_counter()
        hv = recompute_high_value(store, settings, progress=not silent)
        figures["hv_s"] = round(time.perf_counter() - th, 1)
        figures["hv"] = hv
        t1 = time.perf_counter()
        encoder = create_encoder(settings)
        bundle = build_indexes(store, encoder, settings, progress=not silent)
        figures["index_s"] = round(time.perf_counter() - t1, 1)
        figures["indexed"] = len(bundle)
        figures["patents"] = store.count_nodes().get("Patent", 0)
    return figures


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``demo`` to the top-level CLI."""

    @app.command("serve")
    def serve(
        host: str = typer.Option(None, "--host", help="Interface to bind (default: settings.api_host)."),
        port: int = typer.Option(None, "--port", help="TCP port (default: settings.api_port)."),
        reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development)."),
    ) -> None:
        """Serve the HTTP API (OpenAPI docs at /docs)."""
        run_server(get_settings(), host=host, port=port, reload=reload)

    @app.command("demo")
    def demo(
        no_serve: bool = typer.Option(
            False, "--no-serve", help="Stop after ingesting and building the indexes."
        ),
        host: str = typer.Option(None, "--host", help="Interface to bind (default: settings.api_host)."),
        port: int = typer.Option(None, "--port", help="TCP port (default: settings.api_port)."),
        silent: bool = typer.Option(False, "--silent", help="No progress bars."),
    ) -> None:
        """Ingest all bundled real data, build the search indexes, then serve the API."""
        settings = get_settings()
        typer.echo(f"data: {settings.data_dir}\ngraph: {settings.graph_path}\n"
                   f"index: {settings.index_path}")
        try:
            figures = build_demo(settings, silent=silent)
        except PatentnavError as exc:
            typer.echo(f"error ({exc.code}): {exc}", err=True)
            raise typer.Exit(1) from None
        report = figures["ingest"]
        typer.echo(report.table())
        if report.report_path:
            typer.echo(f"reject/warning report: {report.report_path}")
        hv = figures["hv"]
        typer.echo(
            f"high-value flags: {hv.evaluated} patents evaluated in {figures['hv_s']} s "
            f"(high-value {hv.hv_true}, not {hv.hv_false}, unknown {hv.hv_null})"
        )
        typer.echo(
            f"ingested in {figures['ingest_s']} s, {figures['patents']} patents in the graph; "
            f"indexed {figures['indexed']} patents in {figures['index_s']} s"
        )
        if no_serve:
            return
        h, p = host or settings.api_host, port or settings.api_port
        typer.echo(f"serving on http://{h}:{p}  (docs: http://{h}:{p}/docs)")
        run_server(settings, host=host, port=port, reload=False)
