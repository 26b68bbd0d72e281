"""``patentnav index ...``: build, inspect and query the search indexes (thin wrappers over
:mod:`embeddings.build` and :mod:`embeddings.hybrid`)."""

from __future__ import annotations

import json

import typer

from patentnav.settings import get_settings

app = typer.Typer(help="Build, inspect and query the search indexes (vector + BM25 + catalog).",
                  no_args_is_help=True)


@app.command("build")
def build(
    silent: bool = typer.Option(False, "--silent", help="No progress bars."),
    workers: int = typer.Option(None, "--workers", help="jieba processes (default: settings.index_workers)."),
) -> None:
    """Build all search indexes from every patent in the graph and save them to the index folder."""
    from embeddings.build import build_indexes
    from embeddings.encoder import create_encoder
    from graph.factory import create_store

    settings = get_settings()
    encoder = create_encoder(settings)
    with create_store(settings) as store:
        bundle = build_indexes(store, encoder, settings, progress=not silent, workers=workers)
    info = bundle.describe()
    typer.echo(f"indexed {info['count']:,} patents into {settings.index_path} "
               f"(vector index: {info['vector']['kind']}, encoder {info['vector']['encoder']})")


@app.command("stats")
def stats() -> None:
    """Print the counts and settings of the saved search indexes as JSON."""
    from embeddings.build import IndexBundle

    bundle = IndexBundle.load(get_settings())
    typer.echo(json.dumps(bundle.describe(), indent=2, ensure_ascii=False))


@app.command("search")
def search(
    text: str = typer.Argument(..., help="Query text, e.g. '锂电池 正极材料'."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid | keyword | semantic."),
    k: int = typer.Option(10, "--k", help="Number of hits."),
    ipc: list[str] = typer.Option(None, "--ipc", help="IPC prefix filter (repeatable)."),
    region: list[str] = typer.Option(None, "--region", help="Region code filter, e.g. 500000 (repeatable)."),
) -> None:
    """Search the saved indexes and print the hits (id, fused score, ranks, matched terms)."""
    from embeddings.build import IndexBundle
    from embeddings.encoder import create_encoder
    from embeddings.hybrid import HybridSearcher
    from embeddings.models import Filters, SearchQuery

    settings = get_settings()
    encoder = create_encoder(settings)
    searcher = HybridSearcher.from_bundle(IndexBundle.load(settings, encoder), encoder)
    result = searcher.search(SearchQuery(
        text=text, mode=mode, k=k,  # type: ignore[arg-type]
        filters=Filters(ipc=tuple(ipc or ()), region=tuple(region or ())),
    ))
    typer.echo(f"{result.total:,} matches, {result.took_ms:.1f} ms; terms: "
               f"{' '.join(result.query_terms) or '-'}")
    for h in result.hits:
        typer.echo(f"{h.rank:>3}  {h.patent_id:<24} {h.score:.4f}  kw#{h.keyword_rank or '-'} "
                   f"vec#{h.semantic_rank or '-'}  {' '.join(h.matched_terms)}")
