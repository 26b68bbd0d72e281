"""Offline lint of every Neo4j-dialect Cypher statement with Neo4j's own parser.

The checking is done by ``tools/cypher-lint/lint.mjs`` (Node), which runs the npm package
``@neo4j-cypher/language-support``: Neo4j's Cypher grammar plus Neo4j's parser and semantic
analysis compiled to JavaScript. No server is needed. Set it up once with::

    npm ci --prefix tools/cypher-lint

A statement fails on syntax errors, semantic errors (undefined variables, type mismatches,
removed syntax), functions or procedures that are not Neo4j built-ins (APOC/GDS included:
the project must not need plugins), deprecations, node labels or relationship types that
``graph.schema`` does not declare, and texts holding more or less than one statement.
Neo4j's performance hints (cartesian product, unbounded shortest path) are only logged.

Run ``python -m queries.lint`` for a report; it exits 1 when any statement fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

from graph.schema import SCHEMA, Schema
from patentnav.errors import ConfigError
from patentnav.settings import PROJECT_ROOT
from queries.registry import QueryRegistry, default_registry

log = logging.getLogger(__name__)

TOOL_DIR = PROJECT_ROOT / "tools" / "cypher-lint"
SETUP_HINT = "npm ci --prefix tools/cypher-lint"
#: The linter needs about 0.1 s a statement on one core, plus ~1.5 s to start.
DEFAULT_TIMEOUT_S = 600.0


def _node_command(tool_dir: Path) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise ConfigError(
            "the Neo4j Cypher linter needs Node.js (18.18 or later) on PATH; install it, then "
            f"run `{SETUP_HINT}` from the repository root"
        )
    script = tool_dir / "lint.mjs"
    if not script.is_file():
        raise ConfigError(f"the Cypher lint script is missing: {script}")
    package = tool_dir / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"
    if not package.is_file():
        raise ConfigError(
            f"the Cypher linter is not installed ({package.parent} is missing): run "
            f"`{SETUP_HINT}` from the repository root"
        )
    return [node, str(script)]


def _format(error: dict) -> str:
    return f"{error['line']}:{error['col']} {error['severity']}: {error['message']}"


def lint_statements(
    statements: dict[str, str],
    *,
    schema: Schema | None = SCHEMA,
    cypher_version: str = "CYPHER 5",
    use_cache: bool = True,
    tool_dir: Path = TOOL_DIR,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, list[str]]:
    """Lint named Neo4j Cypher texts in one Node process.

    Returns ``{name: [problem, ...]}`` for every name given, an empty list when the text is
    clean; a problem reads ``"<line>:<col> <severity>: <message>"`` (1-based positions).
    With ``schema`` (the project's by default), labels and relationship types it does not
    declare are problems too; pass ``None`` to skip that check.
    Raises :class:`ConfigError` when Node or the linter's packages are missing, or the linter
    itself fails.
    """
    if not statements:
        return {}
    command = _node_command(tool_dir)
    if not use_cache:
        command.append("--no-cache")
    payload: dict = {
        "cypherVersion": cypher_version,
        "statements": [{"name": name, "text": text} for name, text in statements.items()],
    }
    if schema is not None:
        payload["schema"] = {
            "labels": [n.label for n in schema.nodes],
            "relationshipTypes": [r.type for r in schema.rels],
        }
    log.debug("linting %d Cypher statements with %s", len(statements), command)
    try:
        proc = subprocess.run(
            command,
            input=json.dumps(payload, ensure_ascii=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tool_dir,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise ConfigError(f"the Cypher linter did not finish within {timeout_s:.0f} s") from e
    if proc.returncode not in (0, 1):
        raise ConfigError(
            f"the Cypher linter failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"the Cypher linter printed no JSON ({e}); stderr: {proc.stderr.strip()[-2000:]}"
        ) from e
    report = {r["name"]: [_format(e) for e in r["errors"]] for r in results}
    for r in results:
        for note in r.get("notes", ()):
            log.debug("%s: %s", r["name"], _format(note))
    missing = set(statements) - set(report)
    if missing:
        raise ConfigError(f"the Cypher linter skipped {sorted(missing)}")
    return report


def neo4j_statements(registry: QueryRegistry | None = None) -> dict[str, str]:
    """Every Cypher text the Neo4j backend can run, by a name that says where it comes from.

    Named queries are keyed by their file (``queries/neo4j/x.cypher``,
    ``queries/common/x.cypher``); the statements ``graph.neo4j`` generates from the schema
    (constraints, indexes, upserts...) by ``graph.neo4j:<name>``. Names with only an
    embedded variant are not Neo4j statements and are left out.
    """
    from graph.neo4j import upsert_statements  # the backend module; imported on use

    registry = registry or default_registry()
    out: dict[str, str] = {}
    for name in registry.names:
        if not registry.has(name, "neo4j"):
            log.debug("query %s has no Neo4j variant; not linted", name)
            continue
        q = registry.get(name, "neo4j")
        try:
            key = q.path.relative_to(PROJECT_ROOT).as_posix()
        except ValueError:
            key = q.path.as_posix()
        out[key] = q.text
    for name, text in upsert_statements().items():
        out[f"graph.neo4j:{name}"] = text
    return out


def format_report(report: dict[str, list[str]]) -> str:
    """Human-readable report: each failing statement with its problems, then a summary."""
    lines: list[str] = []
    bad = {name: problems for name, problems in report.items() if problems}
    for name, problems in sorted(bad.items()):
        lines.append(name)
        lines.extend(f"  {p}" for p in problems)
    lines.append(
        f"{len(report)} Neo4j statements checked, {len(bad)} with problems"
        if bad
        else f"{len(report)} Neo4j statements checked, all clean"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queries.lint",
        description="Lint every Neo4j-dialect Cypher statement of patentnav offline, with "
        "Neo4j's own parser (needs `npm ci --prefix tools/cypher-lint` once).",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="re-lint every statement, ignoring cached results"
    )
    args = parser.parse_args(argv)
    try:
        report = lint_statements(neo4j_statements(), use_cache=not args.no_cache)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
