"""Documentation tests (after sqlite-utils' tests/test_docs.py).

Every CLI command must have help text and be listed in the README; the README's
test command must be what .ci/run runs.
"""

from __future__ import annotations

import re

import pytest
import typer.main

from patentnav.cli import app
from patentnav.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix: str = "patentnav"):
    # typer may bundle its own click, so duck-type groups and options.
    if hasattr(group, "commands"):
        for name, cmd in sorted(group.commands.items()):
            path = f"{prefix} {name}"
            yield path, cmd
            yield from _commands(cmd, path)


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_cli_has_commands():
    names = {path for path, _ in COMMANDS}
    assert {"patentnav ingest", "patentnav index", "patentnav serve", "patentnav demo"} <= names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_has_help(path, cmd):
    assert (cmd.help or cmd.short_help or "").strip(), f"{path} has no help text"
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "option" and not getattr(param, "hidden", False):
            assert (param.help or "").strip(), f"{path} option {param.opts} has no help text"


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_is_documented_in_readme(path, cmd):
    assert f"`{path}" in README, f"README does not document `{path}`"


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", README, re.S)
    assert m, "README lacks the marked test command block"
    assert m.group(1).strip() in ci


def test_readme_generated_sections_are_current():
    """The schema and CLI tables in README.md match the code (tools/update_readme.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "update_readme", PROJECT_ROOT / "tools" / "update_readme.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render(README) == README, "README is stale: run tools/update_readme.py"
