"""The ``patentnav`` command line: a thin layer over the library functions.

Each capability contributes a Typer sub-app from ``patentnav/commands/<area>.py``;
this module only mounts them. Run ``patentnav --help`` for the list.
"""

from __future__ import annotations

import importlib
import logging

import typer

from patentnav.errors import PatentnavError
from patentnav.logs import configure_logging
from patentnav.settings import get_settings

app = typer.Typer(
    name="patentnav",
    help="patentnav: patent knowledge graph, hybrid search and patent navigation.",
    no_args_is_help=True,
    add_completion=False,
)

#: (module under patentnav.commands, sub-command name) -- mounted if the module exists
SUBAPPS = (
    ("graph", "graph"),
    ("ingest", "ingest"),
    ("index", "index"),
    ("analyze", "analyze"),
    ("match", "match"),
    ("keys", "keys"),
    ("serve", None),
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    """patentnav: patent knowledge graph, hybrid search and patent navigation."""
    configure_logging("DEBUG" if verbose else get_settings().log_level)


def _mount() -> None:
    for module_name, command in SUBAPPS:
        try:
            module = importlib.import_module(f"patentnav.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"patentnav.commands.{module_name}":
                logging.getLogger(__name__).debug("no commands module %s", module_name)
                continue
            raise
        module.register(app) if command is None else app.add_typer(module.app, name=command)


_mount()


def main() -> None:
    """Console entry point: errors patentnav raises on purpose become one clear line."""
    try:
        app()
    except PatentnavError as exc:
        typer.echo(f"error ({exc.code}): {exc}", err=True)
        raise SystemExit(1) from None
