"""``patentnav analyze ...``: patent-navigation analyses from the command line (thin wrappers
over :mod:`analytics.navigation`, :mod:`analytics.competitors` and :mod:`analytics.chains`;
exports through :mod:`analytics.export`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from patentnav.errors import EncoderUnavailable, IndexNotBuilt, PatentnavError
from patentnav.settings import get_settings

log = logging.getLogger(__name__)

app = typer.Typer(help="Patent navigation: landscapes, organisation profiles, competitors, "
                       "comparisons and industry-chain maps / gap analyses, as JSON, CSV or XLSX.",
                  no_args_is_help=True)

FORMAT_HELP = ("json (the full result; with --table that table as {columns, rows}) | csv | xlsx "
               "(csv/xlsx need --out; several CSV tables are written as a ZIP).")
OUT_HELP = "Write to this file instead of printing JSON to stdout."
TABLE_HELP = "With csv/xlsx: export only this table (e.g. holders, ipc_subclasses, gaps)."


@contextmanager
def _store() -> Iterator[Any]:
    """The configured graph store (the embedded one read-only: analyses never write)."""
    settings = get_settings()
    if settings.graph_backend == "embedded":
        from graph.embedded import EmbeddedStore

        store = EmbeddedStore.open(settings.graph_path, batch_size=settings.batch_size,
                                   buffer_pool_mb=settings.embedded_buffer_pool_mb, read_only=True)
    else:
        from graph.factory import create_store

        store = create_store(settings)
    try:
        yield store
    finally:
        store.close()


def _searcher(use_index: bool) -> Any:
    if not use_index:
        return None
    from embeddings.build import IndexBundle
    from embeddings.encoder import create_encoder
    from embeddings.hybrid import HybridSearcher

    settings = get_settings()
    try:
        encoder = create_encoder(settings)
        return HybridSearcher.from_bundle(IndexBundle.load(settings, encoder), encoder)
    except (IndexNotBuilt, EncoderUnavailable) as exc:
        typer.echo(f"note: search index not available ({exc}); text topics, clusters and "
                   "embedding similarity are skipped", err=True)
        return None


def _emit(result: Any, fmt: str, out: Path | None, table: str | None) -> None:
    from analytics.export import FORMATS, write

    if fmt not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "json" and table is None:
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str)
        if out is None:
            typer.echo(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text + "\n", encoding="utf-8")
            typer.echo(f"wrote {out}")
        return
    if out is None:
        raise typer.BadParameter("--out FILE is needed for csv / xlsx (and for --table)")
    path = write(result.tables(), fmt, out, table=table)
    typer.echo(f"wrote {path}")


def _run(fn) -> None:
    try:
        fn()
    except PatentnavError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("landscape")
def landscape(
    q: str = typer.Option(None, "--q", help="Free-text topic, e.g. 锂电池 (needs the search index)."),
    ipc: list[str] = typer.Option(None, "--ipc", help="IPC prefix topic, e.g. H01M (repeatable)."),
    sei: str = typer.Option(None, "--sei", help="Strategic emerging industry code, e.g. 4 or 4.1."),
    chain: str = typer.Option(None, "--chain", help="Industry chain id, e.g. cq-icnev."),
    chain_node: str = typer.Option(None, "--chain-node", help="Chain node id, e.g. cq-icnev/battery."),
    year_from: int = typer.Option(None, "--year-from", help="Application year from (inclusive)."),
    year_to: int = typer.Option(None, "--year-to", help="Application year to (inclusive)."),
    kind: list[str] = typer.Option(None, "--kind", help="invention | utility_model | design (repeatable)."),
    status: list[str] = typer.Option(None, "--status", help="valid | pending | invalid | unknown (repeatable)."),
    holder_kind: list[str] = typer.Option(None, "--holder-kind", help="university | institute | enterprise ... (repeatable)."),
    region: list[str] = typer.Option(None, "--region", help="6-digit region code, e.g. 500000 (repeatable)."),
    max_patents: int = typer.Option(1000, "--max-patents", help="Cap on a text topic's patents."),
    limit: int = typer.Option(20, "--limit", help="Rows of each top-N table."),
    clusters: bool = typer.Option(True, "--clusters/--no-clusters", help="Compute sub-topic clusters."),
    use_index: bool = typer.Option(True, "--index/--no-index", help="Load the search index (text topics, clusters)."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
    table: str = typer.Option(None, "--table", help=TABLE_HELP),
) -> None:
    """Technology landscape of a topic (trend, holders, IPC, regions, status, inventors,
    clusters, most-cited patents, Chongqing vs elsewhere)."""
    from analytics.navigation import (
        LandscapeOptions,
        NavFilters,
        NavigationService,
        Topic,
    )

    def go() -> None:
        topic = Topic(q=q, ipc=tuple(ipc or ()), sei=sei, chain=chain, chain_node=chain_node)
        filters = NavFilters(year_from=year_from, year_to=year_to, kind=tuple(kind or ()),
                             status=tuple(status or ()), holder_kind=tuple(holder_kind or ()),
                             region=tuple(region or ()))
        opts = LandscapeOptions(max_patents=max_patents, limit=limit, clusters=clusters)
        with _store() as store:
            svc = NavigationService(store, _searcher(use_index and (bool(q) or clusters)),
                                    engine=get_settings().nav_engine)
            _emit(svc.landscape(topic, filters, opts), fmt, out, table)

    _run(go)


@app.command("org")
def org(
    name: str = typer.Argument(..., help="Organisation name, id or alias, e.g. 重庆大学."),
    limit: int = typer.Option(20, "--limit", help="Rows of each top-N table."),
    clusters: bool = typer.Option(True, "--clusters/--no-clusters", help="Compute topic clusters."),
    use_index: bool = typer.Option(True, "--index/--no-index", help="Load the search index (clusters)."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
    table: str = typer.Option(None, "--table", help=TABLE_HELP),
) -> None:
    """Technology profile of an organisation (IPC mix, clusters, trend, partners, citations)."""
    from analytics.competitors import PROFILE_SECTIONS, OrgService
    from analytics.navigation import LandscapeOptions

    def go() -> None:
        with _store() as store:
            svc = OrgService(store, _searcher(use_index and clusters), engine=get_settings().nav_engine)
            opts = LandscapeOptions(limit=limit, clusters=clusters, sections=PROFILE_SECTIONS)
            _emit(svc.profile(name, opts), fmt, out, table)

    _run(go)


@app.command("competitors")
def competitors(
    name: str = typer.Argument(..., help="Organisation name, id or alias."),
    limit: int = typer.Option(20, "--limit", help="Competitors returned."),
    level: str = typer.Option("subclass", "--level", help="IPC level of the count vectors: subclass | main_group."),
    w_ipc: float = typer.Option(0.5, "--w-ipc", help="Weight of the IPC cosine."),
    w_emb: float = typer.Option(0.5, "--w-emb", help="Weight of the embedding-centroid cosine."),
    use_index: bool = typer.Option(True, "--index/--no-index", help="Load the search index (embedding similarity)."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
    table: str = typer.Option(None, "--table", help=TABLE_HELP),
) -> None:
    """Competitors ranked by technology overlap, each explained."""
    from analytics.competitors import OrgService

    def go() -> None:
        with _store() as store:
            svc = OrgService(store, _searcher(use_index), engine=get_settings().nav_engine)
            _emit(svc.competitors(name, limit=limit, level=level, w_ipc=w_ipc, w_emb=w_emb),
                  fmt, out, table)

    _run(go)


@app.command("compare")
def compare(
    names: list[str] = typer.Argument(..., help="Two to ten organisation names."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
    table: str = typer.Option(None, "--table", help=TABLE_HELP),
) -> None:
    """Head-to-head comparison of organisations (counts, trend, IPC mix, kinds, valid share, citations)."""
    from analytics.competitors import OrgService

    def go() -> None:
        with _store() as store:
            _emit(OrgService(store).compare(names), fmt, out, table)

    _run(go)


@app.command("chains")
def chains(
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """List the industry chains with their segment and patent counts."""
    from analytics.chains import ChainService
    from analytics.export import write

    def go() -> None:
        with _store() as store:
            svc = ChainService(store)
            rows = svc.list_chains()
            if fmt == "json" and out is None:
                typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
                return
            if out is None:
                raise typer.BadParameter("--out FILE is needed for csv / xlsx")
            typer.echo(f"wrote {write([svc.chains_table(rows)], fmt, out)}")

    _run(go)


@app.command("chain")
def chain(
    chain_id: str = typer.Argument(..., help="Chain id, e.g. cq-icnev (see `patentnav analyze chains`)."),
    gaps: bool = typer.Option(False, "--gaps", help="Gap analysis (技术短板) instead of the chain map."),
    window: int = typer.Option(3, "--window", help="Growth window in years (map)."),
    as_of: int = typer.Option(None, "--as-of", help="Last year of the recent window (map; default latest)."),
    weak_threshold: float = typer.Option(0.5, "--weak-threshold", help="rta below which a segment is weak (gaps)."),
    min_patents: int = typer.Option(5, "--min-patents", help="Minimum region-known patents to assess a segment (gaps)."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
    table: str = typer.Option(None, "--table", help=TABLE_HELP),
) -> None:
    """Industry-chain map per segment, or with --gaps its gap analysis with candidate institutions."""
    from analytics.chains import ChainOptions, ChainService

    def go() -> None:
        opts = ChainOptions(window=window, as_of=as_of, weak_threshold=weak_threshold,
                            min_patents=min_patents)
        with _store() as store:
            svc = ChainService(store)
            result = svc.gaps(chain_id, opts) if gaps else svc.chain_map(chain_id, opts)
            _emit(result, fmt, out, table)

    _run(go)
