"""Every named query loads, has valid headers and a variant for every backend."""

from __future__ import annotations

import re

import pytest

from patentnav.errors import QueryError
from queries.registry import DIALECTS, QUERIES_DIR, QueryRegistry, _parse, default_registry

#: the graph layer's core queries (documented in the graph engineer's report)
CORE = {
    "patent_by_id": {"id"},
    "patent_by_number": {"number"},
    "patents_by_ids": {"ids"},
    "org_by_id": {"id"},
    "org_search_by_alias": {"name"},
    "patent_neighbourhood": {"id"},
    "org_patents": {"id", "limit"},
    "ipc_subtree_counts": {"prefix"},
    "ipc_prefix_patent_count": {"prefix"},
    "derive_co_applied": set(),
    "co_applicants": {"id"},
}

FILES = sorted(p for d in ("common", *DIALECTS) for p in (QUERIES_DIR / d).glob("*.cypher"))


def test_registry_loads():
    reg = QueryRegistry()
    assert reg.names
    assert default_registry().names == reg.names


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_headers_are_valid(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = {}
    for line in lines:
        m = re.match(r"^//\s*(\w+)\s*:\s*(.*?)\s*$", line)
        if not m:
            break
        header[m.group(1).lower()] = m.group(2)
    assert header.get("mode") in ("read", "write"), f"{path}: first lines need '// mode: read|write'"
    assert header.get("doc"), f"{path}: needs a '// doc: ...' line"
    q = _parse(path, path.parent.name)
    body = "\n".join(l for l in q.text.splitlines() if not l.lstrip().startswith("//")).strip()
    assert body, f"{path}: no statement"
    # values travel as parameters: no Python formatting placeholders left in the text
    assert not re.search(r"%s|%\(\w+\)s|\{\d*\}", body), f"{path}: formatting placeholder"


@pytest.mark.parametrize("name", default_registry().names)
def test_every_query_has_a_variant_for_every_dialect(name):
    reg = default_registry()
    variants = {d: reg.get(name, d) for d in DIALECTS}
    # callers pass the same parameters whatever the backend
    params = {d: q.parameters for d, q in variants.items()}
    assert len({frozenset(p) for p in params.values()}) == 1, params
    modes = {q.mode for q in variants.values()}
    assert len(modes) == 1, f"{name}: dialect variants disagree on mode {modes}"


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_queries_exist_and_document_their_parameters(name):
    for dialect in DIALECTS:
        q = default_registry().get(name, dialect)
        assert q.parameters == CORE[name], (dialect, q.parameters)
        for p in q.parameters:
            assert f"${p}" in q.doc, f"{name}: doc should mention ${p}"
    assert default_registry().get("derive_co_applied", "neo4j").mode == "write"


def test_unknown_queries_and_dialects_raise():
    reg = default_registry()
    with pytest.raises(QueryError):
        reg.get("no_such_query", "embedded")
    with pytest.raises(QueryError):
        reg.get("patent_by_id", "sqlite")


def test_a_dialect_only_query_is_reported_as_missing(tmp_path):
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "only_neo.cypher").write_text("// mode: read\n// doc: x\nRETURN 1 AS one\n")
    reg = QueryRegistry(tmp_path)
    assert reg.get("only_neo", "neo4j").mode == "read"
    with pytest.raises(QueryError, match="no variant for the embedded backend"):
        reg.get("only_neo", "embedded")
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "bad.cypher").write_text("// mode: delete\nRETURN 1\n")
    with pytest.raises(QueryError):
        QueryRegistry(tmp_path)
