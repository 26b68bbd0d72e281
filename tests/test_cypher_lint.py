"""Every Neo4j-dialect Cypher statement passes Neo4j's own parser, offline.

Needs Node.js and ``npm ci --prefix tools/cypher-lint`` (scripts/setup.sh runs it). When
they are missing these tests fail with that hint; they never skip.
"""

from __future__ import annotations

import shutil

import pytest

from patentnav.errors import ConfigError
from queries.lint import SETUP_HINT, TOOL_DIR, format_report, lint_statements, neo4j_statements

#: Valid Neo4j 5 Cypher the linter must accept (the constructs the project relies on).
GOOD = {
    "params_and_builtins": (
        "// mode: read\n// doc: a header comment like the query files have\n"
        "MATCH (p:Patent {id: $id})-[:APPLIED_BY]->(o:Organization)\n"
        "WHERE p.app_year >= $year AND p.ipc_main STARTS WITH $prefix\n"
        "RETURN p.id AS id, coalesce(p.title, '') AS title, toString(p.app_year) AS year,\n"
        "       date($since) AS since, count(o) AS n, collect(o.name) AS names,\n"
        "       [c IN p.ipc_codes WHERE c STARTS WITH $prefix | substring(c, 0, 4)] AS subs\n"
        "ORDER BY n DESC LIMIT $limit"
    ),
    "unwind_merge_set": (
        "UNWIND $rows AS row\n"
        "MERGE (n:Patent {id: row.id})\n"
        "SET n += row.props, n.app_date = date(row.app_date)"
    ),
    "merge_relationship": (
        "UNWIND $rows AS row\n"
        "MATCH (s:Patent {id: row.src}), (d:Organization {id: row.dst})\n"
        "MERGE (s)-[r:APPLIED_BY]->(d)\n"
        "SET r.ord = coalesce(row.ord, r.ord)"
    ),
    "call_subquery": (
        "MATCH (p:Patent {id: $id})\n"
        "CALL (p) {\n"
        "  MATCH (p)-[:CITES]->(c:Patent)\n"
        "  RETURN count(c) AS cites\n"
        "}\n"
        "CALL () {\n"
        "  MATCH (q:Patent)\n"
        "  RETURN count(q) AS total\n"
        "}\n"
        "RETURN p.id AS id, cites, total"
    ),
    "constraint": "CREATE CONSTRAINT patent_id IF NOT EXISTS FOR (n:Patent) REQUIRE n.id IS UNIQUE",
    "index": "CREATE INDEX patent_app_no IF NOT EXISTS FOR (n:Patent) ON (n.app_no)",
    "shortest_path": (
        "MATCH (a:Organization {id: $a}), (b:Organization {id: $b})\n"
        "MATCH p = shortestPath((a)-[:CO_APPLIED*..4]-(b))\n"
        "RETURN [n IN nodes(p) | n.name] AS names"
    ),
}

#: Statements Neo4j rejects, with a fragment of the expected message.
BAD = {
    "syntax_error": ("MATCH (n RETURN n", "Invalid input 'RETURN'"),
    # LadybugDB-only constructs
    "ladybug_cast": (
        "MATCH (p:Patent) RETURN cast(p.app_year, 'STRING') AS y",
        "Function cast is not present",
    ),
    "ladybug_ddl": ("CREATE NODE TABLE Patent(id STRING, PRIMARY KEY (id))", "Invalid input"),
    "ladybug_copy": ("COPY Patent FROM $path", "Invalid input 'COPY'"),
    "ladybug_list_extract": (
        "MATCH (p:Patent) RETURN list_extract(p.ipc_codes, 1) AS first",
        "Function list_extract is not present",
    ),
    # plugins the project must not depend on
    "apoc_function": ("RETURN apoc.coll.sum([1, 2]) AS s", "Function apoc.coll.sum is not present"),
    "apoc_procedure": (
        "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'SET n.x = 1', {}) YIELD batches "
        "RETURN batches",
        "Procedure apoc.periodic.iterate is not present",
    ),
    # semantic errors and deprecations
    "undefined_variable": ("MATCH (p:Patent) RETURN q", "Variable `q` not defined"),
    "removed_exists": (
        "MATCH (p:Patent) WHERE exists(p.title) RETURN p.id AS id",
        "no longer supported",
    ),
    "deprecated_id": ("MATCH (p:Patent) RETURN id(p) AS i", "deprecated"),
    "deprecated_importing_with": (
        "MATCH (p:Patent) CALL { WITH p MATCH (p)-[:CITES]->(c) RETURN count(c) AS n } "
        "RETURN n",
        "deprecated",
    ),
    # outside graph/schema.py
    "unknown_label": ("MATCH (p:Patnet) RETURN p.id AS id", "Label Patnet is not present"),
    "unknown_rel_type": (
        "MATCH (p:Patent)-[:CITED]->(q:Patent) RETURN q.id AS id",
        "Relationship type CITED is not present",
    ),
    # a named query must be exactly one statement
    "two_statements": ("RETURN 1 AS a; RETURN 2 AS b", "2 statements"),
    "comments_only": ("// mode: read\n// doc: nothing else\n", "Expected any of"),
}

PROBE = "probe:"


@pytest.fixture(scope="session")
def project_statements() -> dict[str, str]:
    return neo4j_statements()


@pytest.fixture(scope="session")
def lint_report(project_statements: dict[str, str]) -> dict[str, list[str]]:
    """One Node process lints the project's statements and the probes together."""
    probes = {PROBE + k: v for k, v in GOOD.items()}
    probes.update({PROBE + k: text for k, (text, _) in BAD.items()})
    return lint_statements({**project_statements, **probes})


def test_project_statements_are_collected(project_statements: dict[str, str]) -> None:
    from graph.schema import SCHEMA

    generated = [k for k in project_statements if k.startswith("graph.neo4j:")]
    files = [k for k in project_statements if k.startswith("queries/")]
    assert generated, "graph.neo4j.upsert_statements() returned nothing"
    assert files, "no Neo4j query files found under queries/"
    # every label's upsert is among the generated statements
    text = "\n".join(project_statements[k] for k in generated)
    for node in SCHEMA.nodes:
        assert f":{node.label}" in text, f"no generated Neo4j statement mentions :{node.label}"


def test_every_neo4j_statement_lints_clean(
    lint_report: dict[str, list[str]], project_statements: dict[str, str]
) -> None:
    project = {name: lint_report[name] for name in project_statements}
    bad = {name: problems for name, problems in project.items() if problems}
    assert not bad, "Neo4j rejects these statements:\n" + format_report(project)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_linter_accepts_valid_neo4j_cypher(lint_report: dict[str, list[str]], name: str) -> None:
    assert lint_report[PROBE + name] == []


@pytest.mark.parametrize("name", sorted(BAD))
def test_linter_reports_what_neo4j_rejects(lint_report: dict[str, list[str]], name: str) -> None:
    expected = BAD[name][1]
    problems = lint_report[PROBE + name]
    assert problems, f"the linter accepted {BAD[name][0]!r}"
    assert any(expected in p for p in problems), problems


def test_problem_positions_are_one_based(lint_report: dict[str, list[str]]) -> None:
    # "MATCH (n RETURN n": RETURN starts at line 1, column 10
    assert lint_report[PROBE + "syntax_error"][0].startswith("1:10 error: Invalid input 'RETURN'")


def test_format_report_lists_each_bad_statement() -> None:
    text = format_report({"a.cypher": [], "b.cypher": ["1:3 error: boom"], "c": ["2:1 warning: x"]})
    assert text.splitlines() == [
        "b.cypher",
        "  1:3 error: boom",
        "c",
        "  2:1 warning: x",
        "3 Neo4j statements checked, 2 with problems",
    ]


def test_missing_install_raises_config_error_with_hint(tmp_path) -> None:
    shutil.copy(TOOL_DIR / "lint.mjs", tmp_path / "lint.mjs")
    with pytest.raises(ConfigError, match="npm ci --prefix tools/cypher-lint"):
        lint_statements({"q": "RETURN 1 AS x"}, tool_dir=tmp_path)
    assert SETUP_HINT == "npm ci --prefix tools/cypher-lint"


def test_neo4j_statements_take_the_neo4j_variant(tmp_path) -> None:
    from queries.registry import QueryRegistry

    for folder, name, text in [
        ("common", "both", "MATCH (p:Patent) RETURN p.id AS id"),
        ("common", "over", "RETURN cast(1, 'STRING') AS s"),
        ("neo4j", "over", "RETURN toString(1) AS s"),
        ("embedded", "ladybug_only", "CALL show_tables() RETURN *"),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / f"{name}.cypher").write_text(f"// mode: read\n{text}\n", "utf-8")
    statements = neo4j_statements(QueryRegistry(tmp_path))
    files = {k: v for k, v in statements.items() if not k.startswith("graph.neo4j:")}
    both = (tmp_path / "common" / "both.cypher").as_posix()
    over = (tmp_path / "neo4j" / "over.cypher").as_posix()
    assert sorted(files) == sorted([both, over])
    assert "toString(1)" in files[over]
    assert any(k.startswith("graph.neo4j:upsert_node:") for k in statements)
