"""``patentnav match ...``: high-value flags, supply–demand matching, indicators and
rankings (thin wrappers over :mod:`analytics.highvalue`, :mod:`analytics.matching` and
:mod:`analytics.indicators`).

Every listing command takes ``--format json|csv|xlsx`` and ``--out FILE`` (JSON goes to
standard output when no file is given; CSV/XLSX need ``--out``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer

from patentnav.settings import Settings, get_settings

app = typer.Typer(
    help="High-value invention patents, demand ↔ patent ↔ company matching, indicators, rankings.",
    no_args_is_help=True,
)

FORMAT_HELP = "Output format: json, csv or xlsx."
OUT_HELP = "Output file (required for csv/xlsx; json defaults to standard output)."


def _emit(payload: Any, table: Any, fmt: str, out: Path | None) -> None:
    """Write ``payload`` as JSON (standard output without ``--out``), or ``table`` (an
    :class:`analytics.export.Table`) as CSV/XLSX with the shared exporter."""
    fmt = fmt.lower()
    if fmt == "json":
        text = json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
            typer.echo(f"wrote {out}")
        return
    if fmt not in ("csv", "xlsx"):
        raise typer.BadParameter(f"format must be json, csv or xlsx, not {fmt!r}")
    if out is None:
        raise typer.BadParameter(f"--out FILE is needed for {fmt}")
    from analytics.export import write

    path = write([table], fmt, out)
    typer.echo(f"wrote {len(table.rows)} rows to {path}")


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _store(settings: Settings):
    from graph.factory import create_store

    return create_store(settings)


def _service(settings: Settings, store):
    from analytics.matching import MatchingService
    from embeddings.build import IndexBundle
    from embeddings.encoder import create_encoder
    from embeddings.hybrid import HybridSearcher

    encoder = create_encoder(settings)
    searcher = HybridSearcher.from_bundle(IndexBundle.load(settings, encoder), encoder)
    return MatchingService(store, searcher, settings, encoder=encoder)


# ----------------------------------------------------------------------------------------
# high value
# ----------------------------------------------------------------------------------------
@app.command("recompute-hv")
def recompute_hv(
    as_of: str = typer.Option(None, "--as-of", help="Reference date YYYY-MM-DD (default today)."),
    silent: bool = typer.Option(False, "--silent", help="No progress bar."),
) -> None:
    """Decide the five high-value criteria for every patent and store flags and evidence."""
    from analytics.highvalue import recompute_high_value

    settings = get_settings()
    ref = date.fromisoformat(as_of) if as_of else None
    with _store(settings) as store:
        stats = recompute_high_value(store, settings, as_of=ref, progress=not silent)
    typer.echo(json.dumps(stats.as_dict(), ensure_ascii=False, indent=2))


@app.command("load-awards")
def load_awards_cmd(
    path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="Award list CSV: number,award_name,level,year[,note]."),
) -> None:
    """Load an award list (China Patent Award, national S&T awards) as Award nodes; run
    `patentnav match recompute-hv` afterwards."""
    from analytics.highvalue import load_awards

    settings = get_settings()
    with _store(settings) as store:
        report = load_awards(store, path)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


@app.command("hv")
def hv_detail(
    number: str = typer.Argument(..., help="Application, publication or grant number."),
) -> None:
    """Show which high-value criteria a patent meets, which are unknown, and the evidence."""
    from analytics.highvalue import high_value_detail

    settings = get_settings()
    with _store(settings) as store:
        detail = high_value_detail(store, number)
    typer.echo(json.dumps(detail, ensure_ascii=False, indent=2, default=_json_default))


@app.command("pledge-candidates")
def pledge_candidates_cmd(
    region: str = typer.Option(None, "--region", help="6-digit region code, e.g. 500000."),
    limit: int = typer.Option(500, "--limit", help="Maximum number of patents."),
    no_sei_unknown: bool = typer.Option(
        False, "--no-sei-unknown", help="Only confirmed high-value patents (leave out hv-unknown SEI ones)."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """High-value (or hv-unknown but SEI) invention patents of enterprises, for banks."""
    from analytics.highvalue import pledge_candidates, pledge_table

    settings = get_settings()
    with _store(settings) as store:
        res = pledge_candidates(store, limit=limit, include_sei_unknown=not no_sei_unknown,
                                region=region)
    _emit(res, pledge_table(res), fmt, out)


# ----------------------------------------------------------------------------------------
# matching
# ----------------------------------------------------------------------------------------
@app.command("demand")
def demand(
    demand: str = typer.Argument(..., help="A stored TechDemand id, or the demand text itself."),
    k: int = typer.Option(10, "--k", help="Number of patents."),
    include_transferred: bool = typer.Option(False, "--include-transferred",
                                             help="Also patents already transferred."),
    any_holder: bool = typer.Option(False, "--any-holder",
                                    help="Any holder kind (default: universities and institutes)."),
    status: list[str] = typer.Option(None, "--status",
                                     help="Admitted legal status (repeatable; default settings.match_statuses)."),
    open_licence: bool = typer.Option(False, "--open-licence", help="Only open-licence patents."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """Rank patents for a technology demand, each with why it matched."""
    from analytics.matching import DemandOptions, demand_table

    settings = get_settings()
    opts = DemandOptions(
        k=k, holder_kinds=() if any_holder else DemandOptions().holder_kinds,
        statuses=tuple(status) if status else None, exclude_transferred=not include_transferred,
        open_licence_only=open_licence,
    )
    with _store(settings) as store:
        service = _service(settings, store)
        stored = store.run("match_demand", id=demand)
        res = (service.match_demand(demand_id=demand, options=opts) if stored
               else service.match_demand(demand, options=opts))
    _emit(res, demand_table(res), fmt, out)


@app.command("patent")
def patent(
    number: str = typer.Argument(..., help="Application, publication or grant number."),
    k: int = typer.Option(10, "--k", help="Number of companies."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """Rank enterprises to approach for one patent, each factor explained."""
    from analytics.matching import CompanyOptions, companies_table

    settings = get_settings()
    with _store(settings) as store:
        res = _service(settings, store).match_patent(number, options=CompanyOptions(k=k))
    _emit(res, companies_table(res), fmt, out)


@app.command("org")
def org(
    name: str = typer.Argument(..., help="Organisation name, e.g. 重庆大学."),
    k: int = typer.Option(10, "--k", help="Number of companies."),
    max_patents: int = typer.Option(30, "--max-patents",
                                    help="The organisation's patents considered."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """Companies an organisation (e.g. a university) should approach, with the patents behind each."""
    from analytics.matching import CompanyOptions, companies_table

    settings = get_settings()
    with _store(settings) as store:
        res = _service(settings, store).match_org(
            name, options=CompanyOptions(k=k, max_patents=max_patents))
    _emit(res, companies_table(res), fmt, out)


# ----------------------------------------------------------------------------------------
# indicators and rankings
# ----------------------------------------------------------------------------------------
def _denominators(settings: Settings, path: Path | None):
    from analytics.indicators import load_denominators

    chosen = path or settings.denominators_file or settings.var_dir / "denominators.csv"
    if path is None and not chosen.exists():
        return None
    return load_denominators(chosen)


@app.command("indicators")
def indicators_cmd(
    group_by: str = typer.Option("holder_kind", "--group-by",
                                 help="holder_kind | qualification | district | chain | chain_node | sei | sei_l1."),
    region: str = typer.Option(None, "--region", help="Scope: 6-digit region code, e.g. 500000."),
    status: list[str] = typer.Option(None, "--status",
                                     help="Statuses counted (repeatable; default valid)."),
    denominators: Path = typer.Option(None, "--denominators",
                                      help="Denominators CSV (default settings.denominators_file)."),
    year: int = typer.Option(None, "--year", help="Denominator year (default latest)."),
    kind: str = typer.Option("invention", "--kind",
                             help="invention | utility_model | design | unknown | any."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """Valid and high-value invention patents by holder kind, district, chain, SEI or qualification."""
    from analytics.indicators import indicators, indicators_table

    settings = get_settings()
    den = _denominators(settings, denominators)
    with _store(settings) as store:
        res = indicators(store, group_by=group_by, statuses=status or None, region=region,
                         denominators=den, year=year, kind=kind)
    _emit(res, indicators_table(res), fmt, out)


@app.command("rankings")
def rankings(
    of: str = typer.Option("holders", "--of", help="holders | inventors."),
    by: str = typer.Option("patents", "--by",
                           help="patents (valid invention patents) | hv (high-value ones)."),
    limit: int = typer.Option(100, "--limit", help="Length of the list (百强榜: 100)."),
    region: str = typer.Option(None, "--region", help="Scope: 6-digit region code."),
    holder_kind: str = typer.Option(None, "--holder-kind", help="Only holders of this kind."),
    status: list[str] = typer.Option(None, "--status",
                                     help="Statuses counted (repeatable; default valid)."),
    kind: str = typer.Option("invention", "--kind",
                             help="invention | utility_model | design | unknown | any."),
    fmt: str = typer.Option("json", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(None, "--out", help=OUT_HELP),
) -> None:
    """Top holders or inventors by valid invention patents or by high-value patents."""
    from analytics.indicators import rank_holders, rank_inventors, ranking_table

    if of not in ("holders", "inventors"):
        raise typer.BadParameter("--of must be holders or inventors")
    settings = get_settings()
    with _store(settings) as store:
        if of == "holders":
            res = rank_holders(store, by=by, limit=limit, region=region, kind=kind,
                               holder_kind=holder_kind, statuses=status or None)
        else:
            res = rank_inventors(store, by=by, limit=limit, region=region, kind=kind,
                                 statuses=status or None)
    _emit(res, ranking_table(res, of), fmt, out)
