"""``patentnav keys ...``: create, list and revoke API keys (thin wrappers over
:class:`search_api.security.ApiKeyStore`). The store holds salted scrypt hashes only;
a new key is printed once."""

from __future__ import annotations

import json

import typer

from patentnav.errors import PatentnavError
from patentnav.settings import get_settings

app = typer.Typer(help="Create, list and revoke API keys (stored as salted hashes).",
                  no_args_is_help=True)


def _store():
    from search_api.security import ApiKeyStore, api_keys_path

    return ApiKeyStore(api_keys_path(get_settings()))


def _fail(exc: PatentnavError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Who or what uses the key (e.g. 'ui', 'etl-bank')."),
    scope: str = typer.Option("read", "--scope", help="Comma-separated scopes: read, write, admin "
                              "(write implies read; admin implies both)."),
    rate_limit: int = typer.Option(None, "--rate-limit", min=0, help=(
        "Requests per minute for this key (default: settings.rate_limit_per_minute; 0 = none).")),
    as_json: bool = typer.Option(False, "--json", help="Print the key and its record as JSON."),
) -> None:
    """Create a key and print it ONCE (only its salted hash is stored)."""
    store = _store()
    try:
        record, key = store.create(name, scope, rate_limit_per_minute=rate_limit)
    except PatentnavError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps({"key": key, **record.public()}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"id:     {record.id}\nname:   {record.name}\nscopes: {','.join(record.scopes)}")
    typer.echo(f"key:    {key}")
    typer.echo(f"(store: {store.path}) -- copy the key now, it cannot be shown again.", err=True)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Also list revoked keys."),
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON."),
) -> None:
    """List keys: id, name, scopes, created, revoked (never the key or its hash)."""
    keys = [k for k in _store().list_keys() if all_ or k.active]
    if as_json:
        typer.echo(json.dumps([k.public() for k in keys], ensure_ascii=False, indent=2))
        return
    if not keys:
        typer.echo("no API keys (create one with `patentnav keys create --name N --scope read`)")
        return
    typer.echo(f"{'id':<12}  {'scopes':<16}  {'created':<25}  {'status':<8}  name")
    for k in keys:
        status = "active" if k.active else "revoked"
        typer.echo(f"{k.id:<12}  {','.join(k.scopes):<16}  {k.created:<25}  {status:<8}  {k.name}")


@app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="Id of the key (see `patentnav keys list`).")) -> None:
    """Revoke a key; a running API refuses it within a second."""
    try:
        record = _store().revoke(key_id)
    except PatentnavError as exc:
        _fail(exc)
        return
    typer.echo(f"revoked {record.id} ({record.name}) at {record.revoked}")
