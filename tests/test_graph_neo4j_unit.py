"""Neo4jStore without a server: generated statements, batching, read/write routing,
value conversion and error mapping, through a recording stand-in for the driver
(the store takes its driver as a constructor argument). The same store runs against a
real server in tests/test_graph_contract.py when NEO4J_URI is set."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Graph, Node
from neo4j.time import Date

from graph.neo4j import (
    Neo4jStore,
    node_upsert_statement,
    rel_upsert_statement,
    schema_statements,
    upsert_statements,
)
from graph.schema import SCHEMA
from patentnav.errors import BackendUnavailable, ConfigError, GraphError, QueryError, SchemaError


class _Record(dict):
    pass


class _Tx:
    def __init__(self, log, respond):
        self.log, self.respond = log, respond

    def run(self, text, params):
        self.log.append((self.mode, text, params))
        return [_Record(r) for r in self.respond(text, params)]


class _Session:
    def __init__(self, driver):
        self.driver = driver

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _tx(self, mode):
        tx = _Tx(self.driver.log, self.driver.respond)
        tx.mode = mode
        return tx

    def execute_read(self, work):
        return work(self._tx("read"))

    def execute_write(self, work):
        return work(self._tx("write"))


class FakeDriver:
    def __init__(self, respond=None):
        self.log: list[tuple[str, str, dict]] = []
        self.databases: list[str] = []
        self.closed = False
        self.respond = respond or self._default

    @staticmethod
    def _default(text, params):
        if "rows" in params:
            return [{"written": len(params["rows"])}]
        if "ids" in params:
            return [{"deleted": len(params["ids"])}]
        if "count(" in text:
            return [{"count": 0}]
        return []

    def session(self, database=None):
        self.databases.append(database)
        return _Session(self)

    def close(self):
        self.closed = True


def test_statements_cover_the_schema_and_use_parameters_only():
    st = upsert_statements()
    for nt in SCHEMA.nodes:
        assert f"FOR (n:{nt.label}) REQUIRE n.id IS UNIQUE" in st[f"constraint:{nt.label}"]
        assert st[f"upsert_node:{nt.label}"].startswith("UNWIND $rows AS row\nMERGE")
        for p in nt.props:
            assert f"n.{p.name} = coalesce(row.{p.name}, n.{p.name})" in st[f"upsert_node:{nt.label}"]
        for prop in nt.indexes:
            assert f"ON (n.{prop})" in st[f"index:{nt.label}.{prop}"]
    for rt in SCHEMA.rels:
        for s, d in rt.pairs:
            text = st[f"upsert_rel:{rt.type}:{s}->{d}"]
            assert f"MATCH (a:{s} {{id: row.src}})" in text and f"MERGE (a)-[r:{rt.type}]->(b)" in text
    assert sum(k.startswith("upsert_rel:LOCATED_IN:") for k in st) == 3
    for name, text in st.items():
        if name.startswith(("constraint:", "index:")):
            assert "IF NOT EXISTS" in text
        assert set(re.findall(r"\$(\w+)", text)) <= {"rows", "ids", "limit", "timeout"}, name


def test_upserts_batch_and_normalise_rows():
    drv = FakeDriver()
    store = Neo4jStore(drv, database="patents", batch_size=2)
    rows = [{"id": f"CN{i}", "app_date": dt.datetime(2020, 1, i + 1, 8), "ipc_codes": ("H01M4/36",)}
            for i in range(5)]
    assert store.upsert_nodes("Patent", rows) == 5
    writes = [entry for entry in drv.log if entry[0] == "write"]
    assert [len(p["rows"]) for _, _, p in writes] == [2, 2, 1]
    assert all(text == node_upsert_statement(SCHEMA.node("Patent")) for _, text, _ in writes)
    first = writes[0][2]["rows"][0]
    assert first == {"id": "CN0", "app_date": dt.date(2020, 1, 1), "ipc_codes": ["H01M4/36"]}
    assert set(drv.databases) == {"patents"}
    drv.log.clear()
    n = store.upsert_relationships("LOCATED_IN", [{"src": "req:1", "dst": "500000"}],
                                   src_label="TechDemand", dst_label="Region")
    assert n == 1
    assert drv.log[0][1] == rel_upsert_statement(SCHEMA.rel("LOCATED_IN"), "TechDemand", "Region")
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"id": "CN1", "claim_count": "10"}])
    with pytest.raises(SchemaError):
        store.upsert_relationships("LOCATED_IN", [{"src": "a", "dst": "b"}])


def test_reads_and_writes_are_routed_by_mode():
    drv = FakeDriver()
    store = Neo4jStore(drv)
    store.run("patent_by_id", id="CN1")
    store.write("derive_co_applied")
    assert [(mode, "MATCH (p:Patent {id: $id})" in text) for mode, text, _ in drv.log][0] == ("read", True)
    assert drv.log[1][0] == "write" and "CO_APPLIED" in drv.log[1][1]
    assert drv.log[0][2] == {"id": "CN1"}
    drv.log.clear()
    store.init_schema()
    writes = [text for mode, text, _ in drv.log if mode == "write"]
    assert writes == schema_statements()
    assert len(writes) == len(SCHEMA.nodes) + sum(len(n.indexes) for n in SCHEMA.nodes)
    assert drv.log[-1][:2] == ("read", "CALL db.awaitIndexes($timeout)")


def test_values_come_back_as_plain_python():
    graph = Graph()
    node = Node(graph, "4:x:1", 1, ["Patent"], {"id": "CN1", "title": "一种电池", "app_date": Date(2020, 1, 2)})

    def respond(text, params):
        return [{"patent": node, "when": Date(2021, 5, 6), "items": [{"d": Date(2000, 1, 1)}]}]

    store = Neo4jStore(FakeDriver(respond))
    (row,) = store.run("patent_by_id", id="CN1")
    assert row["when"] == dt.date(2021, 5, 6) and row["items"] == [{"d": dt.date(2000, 1, 1)}]
    patent = row["patent"]
    assert set(patent) == set(SCHEMA.node("Patent").prop_names)  # missing properties as None
    assert patent["app_date"] == dt.date(2020, 1, 2) and patent["claim_count"] is None


@pytest.mark.parametrize("error, expected", [
    (neo4j_errors.ServiceUnavailable("gone"), BackendUnavailable),
    (neo4j_errors.SessionExpired("expired"), BackendUnavailable),
    (neo4j_errors.CypherSyntaxError("bad"), QueryError),
    (neo4j_errors.ConstraintError("dup"), QueryError),
    (neo4j_errors.TransientError("deadlock"), GraphError),
    (neo4j_errors.DatabaseError("disk"), GraphError),
])
def test_driver_errors_are_mapped(error, expected):
    def respond(text, params):
        raise error

    store = Neo4jStore(FakeDriver(respond))
    with pytest.raises(expected):
        store.run("patent_by_id", id="CN1")


def test_connect_without_a_server_raises_backend_unavailable():
    with pytest.raises(BackendUnavailable, match="no Neo4j server answers"):
        Neo4jStore.connect("bolt://127.0.0.1:1", ("neo4j", "secret"))
    for uri in ("http://127.0.0.1:7474", "localhost:7687"):
        with pytest.raises(ConfigError, match="invalid Neo4j URI"):
            Neo4jStore.connect(uri, ("neo4j", "secret"))


def test_store_closes_only_its_own_driver():
    drv = FakeDriver()
    Neo4jStore(drv).close()
    assert not drv.closed
