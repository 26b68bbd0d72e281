"""``patentnav graph ...``: create, inspect, empty and derive the knowledge graph
(thin wrappers over :class:`graph.base.GraphStore`)."""

from __future__ import annotations

import json

import typer

from patentnav.settings import get_settings

app = typer.Typer(help="Create, inspect, reset and derive the knowledge graph.", no_args_is_help=True)


def _describe() -> str:
    s = get_settings()
    return f"neo4j {s.neo4j_uri}" if s.graph_backend == "neo4j" else f"embedded {s.graph_path}"


@app.command("init")
def init() -> None:
    """Create the node/relationship tables (embedded) or constraints and indexes (Neo4j); idempotent."""
    from graph.factory import create_store

    with create_store(get_settings()) as store:
        store.init_schema()
    typer.echo(f"schema ready ({_describe()})")


@app.command("stats")
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    all_: bool = typer.Option(False, "--all", help="Also list labels and types with no rows."),
) -> None:
    """Print node counts per label and relationship counts per type."""
    from graph.factory import create_store

    with create_store(get_settings(), read_only=True) as store:
        nodes, rels = store.count_nodes(), store.count_relationships()
    if as_json:
        typer.echo(json.dumps({"nodes": nodes, "relationships": rels}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"graph: {_describe()}")
    for title, counts in (("nodes", nodes), ("relationships", rels)):
        typer.echo(f"{title} ({sum(counts.values()):,}):")
        for name, n in counts.items():
            if n or all_:
                typer.echo(f"  {name:<18} {n:>12,}")


@app.command("reset")
def reset(
    yes: bool = typer.Option(False, "--yes", help="Confirm: delete every node and relationship."),
) -> None:
    """Delete every node and relationship (the schema stays). Needs --yes."""
    from graph.factory import create_store

    if not yes:
        typer.echo("refusing to delete the graph without --yes", err=True)
        raise typer.Exit(code=2)
    with create_store(get_settings()) as store:
        store.init_schema()
        store.clear()
    typer.echo(f"graph emptied ({_describe()})")


@app.command("derive")
def derive() -> None:
    """Recompute derived relationships: CO_APPLIED between organisations sharing patents."""
    from graph.factory import create_store

    with create_store(get_settings()) as store:
        rows = store.write("derive_co_applied")
    typer.echo(f"CO_APPLIED: {rows[0]['pairs'] if rows else 0:,} organisation pairs")
