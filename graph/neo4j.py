"""Neo4j 5 backend of :class:`~graph.base.GraphStore`, over the official ``neo4j`` driver.

The driver is passed in (``Neo4jStore(driver, database=...)``), so one process shares
one connection pool and tests can hand in their own; :meth:`Neo4jStore.connect` builds
one at the application edge and the store then owns it.

Writes run in batches of ``batch_size`` rows as ``UNWIND $rows AS row MERGE ...`` inside
``session.execute_write`` (retried by the driver on transient errors); named read
queries run through ``execute_read`` so a cluster routes them to readers. Every
statement is generated from :data:`graph.schema.SCHEMA`; :func:`upsert_statements`
lists them all so they can be linted offline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Path, Relationship

from graph.base import GraphStore, Row, batched, truncate_params
from graph.rows import check_ids, normalise_node_rows, normalise_rel_rows
from graph.schema import SCHEMA, NodeType, RelType, Schema
from patentnav.errors import BackendUnavailable, ConfigError, GraphError, QueryError
from queries.registry import NamedQuery, QueryRegistry

log = logging.getLogger(__name__)

#: nodes deleted per transaction by :meth:`Neo4jStore.clear`
CLEAR_BATCH = 10_000
#: URI schemes of the Bolt protocol (the driver's HTTP support is a preview needing aiohttp)
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# -- statements generated from the schema ---------------------------------------------------
def constraint_statement(nt: NodeType) -> str:
    return (
        f"CREATE CONSTRAINT {_snake(nt.label)}_{nt.key}_unique IF NOT EXISTS "
        f"FOR (n:{nt.label}) REQUIRE n.{nt.key} IS UNIQUE"
    )


def index_statement(nt: NodeType, prop: str) -> str:
    nt.prop_type(prop)  # raises SchemaError for an undeclared property
    return (
        f"CREATE INDEX {_snake(nt.label)}_{prop} IF NOT EXISTS FOR (n:{nt.label}) ON (n.{prop})"
    )


def node_upsert_statement(nt: NodeType) -> str:
    sets = ",\n    ".join(f"n.{p.name} = coalesce(row.{p.name}, n.{p.name})" for p in nt.props)
    return (
        f"UNWIND $rows AS row\nMERGE (n:{nt.label} {{{nt.key}: row.{nt.key}}})\n"
        + (f"SET {sets}\n" if sets else "")
        + "RETURN count(*) AS written"
    )


def rel_upsert_statement(rt: RelType, src: str, dst: str) -> str:
    sets = ",\n    ".join(f"r.{p.name} = coalesce(row.{p.name}, r.{p.name})" for p in rt.props)
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{src} {{id: row.src}})\n"
        f"MATCH (b:{dst} {{id: row.dst}})\n"
        f"MERGE (a)-[r:{rt.type}]->(b)\n"
        + (f"SET {sets}\n" if sets else "")
        + "RETURN count(*) AS written"
    )


def delete_statement(nt: NodeType) -> str:
    return (
        f"UNWIND $ids AS id\nMATCH (n:{nt.label} {{{nt.key}: id}})\n"
        "DETACH DELETE n\nRETURN count(*) AS deleted"
    )


def count_nodes_statement(nt: NodeType) -> str:
    return f"MATCH (n:{nt.label}) RETURN count(n) AS count"


def count_rels_statement(rt: RelType) -> str:
    return f"MATCH ()-[r:{rt.type}]->() RETURN count(r) AS count"


CLEAR_STATEMENT = "MATCH (n)\nWITH n LIMIT $limit\nDETACH DELETE n\nRETURN count(*) AS deleted"
AWAIT_INDEXES_STATEMENT = "CALL db.awaitIndexes($timeout)"


def schema_statements(schema: Schema = SCHEMA) -> list[str]:
    """Constraints (unique ``id`` per label) then indexes, all ``IF NOT EXISTS``."""
    out = [constraint_statement(nt) for nt in schema.nodes]
    out += [index_statement(nt, p) for nt in schema.nodes for p in nt.indexes]
    return out


def upsert_statements(schema: Schema = SCHEMA) -> dict[str, str]:
    """Every Cypher statement this backend generates, by a descriptive name.

    Names: ``constraint:<Label>``, ``index:<Label>.<prop>``, ``upsert_node:<Label>``,
    ``upsert_rel:<TYPE>:<Src>-><Dst>``, ``delete:<Label>``, ``count_nodes:<Label>``,
    ``count_rels:<TYPE>``, ``clear``, ``await_indexes``.
    """
    out: dict[str, str] = {}
    for nt in schema.nodes:
        out[f"constraint:{nt.label}"] = constraint_statement(nt)
        for p in nt.indexes:
            out[f"index:{nt.label}.{p}"] = index_statement(nt, p)
    for nt in schema.nodes:
        out[f"upsert_node:{nt.label}"] = node_upsert_statement(nt)
        out[f"delete:{nt.label}"] = delete_statement(nt)
        out[f"count_nodes:{nt.label}"] = count_nodes_statement(nt)
    for rt in schema.rels:
        for src, dst in rt.pairs:
            out[f"upsert_rel:{rt.type}:{src}->{dst}"] = rel_upsert_statement(rt, src, dst)
        out[f"count_rels:{rt.type}"] = count_rels_statement(rt)
    out["clear"] = CLEAR_STATEMENT
    out["await_indexes"] = AWAIT_INDEXES_STATEMENT
    return out


# -- the store ----------------------------------------------------------------------------------
class Neo4jStore(GraphStore):
    """GraphStore over a Neo4j database, through a driver passed in."""

    dialect = "neo4j"

    def __init__(
        self,
        driver: neo4j.Driver,
        *,
        database: str = "neo4j",
        schema: Schema = SCHEMA,
        registry: QueryRegistry | None = None,
        batch_size: int = 5000,
        index_timeout_s: int = 300,
    ) -> None:
        super().__init__(schema=schema, registry=registry, batch_size=batch_size)
        self.driver = driver
        self.database = database
        self.index_timeout_s = index_timeout_s
        self._owns_driver = False

    @classmethod
    def connect(
        cls,
        uri: str,
        auth: tuple[str, str] | None,
        *,
        database: str = "neo4j",
        batch_size: int = 5000,
        **kwargs: Any,
    ) -> "Neo4jStore":
        """Build a driver for ``uri`` (bolt:// or neo4j://, optionally +s / +ssc), check
        that the server answers, and own the driver."""
        scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
        if scheme not in URI_SCHEMES:
            raise ConfigError(f"invalid Neo4j URI {uri!r}: use bolt://host:7687 or neo4j://host:7687")
        try:
            driver = neo4j.GraphDatabase.driver(uri, auth=auth)
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise ConfigError(f"invalid Neo4j URI {uri!r}: {exc}") from exc
        try:
            driver.verify_connectivity()
        except neo4j_errors.AuthError as exc:
            driver.close()
            raise BackendUnavailable(
                f"Neo4j at {uri} rejected the credentials for user {auth[0] if auth else None!r}: "
                f"check NEO4J_USER / NEO4J_PASSWORD ({exc.message or exc})"
            ) from exc
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as exc:
            driver.close()
            raise BackendUnavailable(
                f"no Neo4j server answers at {uri} ({exc}); start one (`docker compose up -d neo4j`) "
                "or use the embedded backend (PATENTNAV_GRAPH_BACKEND=embedded)"
            ) from exc
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
            driver.close()
            raise BackendUnavailable(f"cannot use Neo4j at {uri}: {exc}") from exc
        store = cls(driver, database=database, batch_size=batch_size, **kwargs)
        store._owns_driver = True
        log.info("connected to Neo4j at %s (database %s)", uri, database)
        return store

    def close(self) -> None:
        if self._owns_driver:
            self.driver.close()
            self._owns_driver = False

    # -- plumbing ----------------------------------------------------------------------------
    def _session(self) -> neo4j.Session:
        return self.driver.session(database=self.database)

    def _call(self, what: str, write: bool, work: Callable[[neo4j.ManagedTransaction], Any]) -> Any:
        """Run ``work`` in a managed read or write transaction, mapping driver errors."""
        try:
            with self._session() as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise BackendUnavailable(f"Neo4j became unavailable during {what}: {exc}") from exc
        except neo4j_errors.AuthError as exc:
            raise BackendUnavailable(f"Neo4j rejected the credentials during {what}: {exc}") from exc
        except neo4j_errors.ClientError as exc:
            raise QueryError(f"{what} was rejected by Neo4j: {exc.code}: {exc.message}") from exc
        except neo4j_errors.Neo4jError as exc:
            raise GraphError(f"{what} failed in Neo4j: {exc.code}: {exc.message}") from exc
        except neo4j_errors.DriverError as exc:
            raise GraphError(f"{what} failed in the Neo4j driver: {exc}") from exc

    def _run(self, what: str, text: str, params: Mapping[str, Any], *, write: bool) -> list[dict]:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("neo4j %s (%s): %s %s", what, "write" if write else "read", text,
                      truncate_params(params))

        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            result = tx.run(text, dict(params))
            return [{k: self._plain(v) for k, v in record.items()} for record in result]

        return self._call(what, write, work)

    def _plain(self, value: Any) -> Any:
        """Driver values as plain Python: nodes become dicts with every schema property,
        relationships dicts of their properties, temporal values ``datetime`` types."""
        if isinstance(value, Node):
            props = dict(value.items())
            for label in value.labels:
                try:
                    nt = self.schema.node(label)
                except GraphError:
                    continue
                props = {name: props.get(name) for name in nt.prop_names}
                break
            return {k: self._plain(v) for k, v in props.items()}
        if isinstance(value, Relationship):
            return {k: self._plain(v) for k, v in value.items()}
        if isinstance(value, Path):
            return [self._plain(n) for n in value.nodes]
        if isinstance(value, list):
            return [self._plain(v) for v in value]
        if isinstance(value, dict):
            return {k: self._plain(v) for k, v in value.items()}
        if hasattr(value, "to_native"):
            return value.to_native()
        return value

    # -- lifecycle -------------------------------------------------------------------------
    def init_schema(self) -> None:
        for statement in schema_statements(self.schema):
            self._run("init_schema", statement, {}, write=True)
        self._run("init_schema", AWAIT_INDEXES_STATEMENT, {"timeout": self.index_timeout_s}, write=False)

    # -- writes --------------------------------------------------------------------------------
    def upsert_nodes(self, label: str, rows: Iterable[Row]) -> int:
        nt = self.schema.node(label)
        text = node_upsert_statement(nt)
        written = 0
        for batch in batched(rows, self.batch_size):
            clean = normalise_node_rows(nt, batch)
            out = self._run(f"upsert {label}", text, {"rows": clean}, write=True)
            written += int(out[0]["written"]) if out else 0
        return written

    def upsert_relationships(
        self,
        rel_type: str,
        rows: Iterable[Row],
        *,
        src_label: str | None = None,
        dst_label: str | None = None,
    ) -> int:
        rt = self.schema.rel(rel_type)
        src, dst = rt.pair(src_label, dst_label)
        text = rel_upsert_statement(rt, src, dst)
        written = 0
        for batch in batched(rows, self.batch_size):
            clean = normalise_rel_rows(rt, batch)
            out = self._run(f"upsert {rel_type}", text, {"rows": clean}, write=True)
            written += int(out[0]["written"]) if out else 0
        return written

    def delete_nodes(self, label: str, ids: Sequence[str]) -> int:
        nt = self.schema.node(label)
        unique = list(dict.fromkeys(ids))
        check_ids(label, nt.key, unique)
        deleted = 0
        for batch in batched(unique, self.batch_size):
            out = self._run(f"delete {label}", delete_statement(nt), {"ids": batch}, write=True)
            deleted += int(out[0]["deleted"]) if out else 0
        return deleted

    def clear(self) -> None:
        while True:
            out = self._run("clear", CLEAR_STATEMENT, {"limit": CLEAR_BATCH}, write=True)
            if not out or int(out[0]["deleted"]) < CLEAR_BATCH:
                return

    # -- reads -------------------------------------------------------------------------------------
    def _execute(self, query: NamedQuery, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._run(query.name, query.text, params, write=query.mode == "write")

    def count_nodes(self) -> dict[str, int]:
        return {
            nt.label: int(self._run("count_nodes", count_nodes_statement(nt), {}, write=False)[0]["count"])
            for nt in self.schema.nodes
        }

    def count_relationships(self) -> dict[str, int]:
        return {
            rt.type: int(self._run("count_relationships", count_rels_statement(rt), {}, write=False)[0]["count"])
            for rt in self.schema.rels
        }
