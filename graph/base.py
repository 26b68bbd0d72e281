"""The GraphStore interface every backend implements.

Reads and analytical writes go through *named queries* (``queries/``): a backend
picks the variant for its dialect and passes every value as a parameter. Bulk
writes go through :meth:`GraphStore.upsert_nodes` and
:meth:`GraphStore.upsert_relationships`, generated from :data:`graph.schema.SCHEMA`
and executed in batches (Neo4j: ``UNWIND $rows``; LadybugDB: ``COPY`` for new
records plus batched ``UNWIND`` updates for existing ones).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar

from graph.schema import SCHEMA, Schema
from patentnav.errors import SchemaError
from queries.registry import NamedQuery, QueryRegistry, default_registry

log = logging.getLogger(__name__)

Row = Mapping[str, Any]


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Split an iterable of rows into lists of at most ``size``."""
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_from_columns(columns: Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """Row dicts from equal-length columns (``{name: values}``)."""
    names = list(columns)
    if not names:
        return iter(())
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise SchemaError(f"columns of different lengths: {sorted(lengths)}")
    values = [v.to_pylist() if hasattr(v, "to_pylist") else v for v in columns.values()]
    return (dict(zip(names, row)) for row in zip(*values))


def truncate_params(params: Mapping[str, Any], limit: int = 200) -> str:
    """Parameters as a short string for debug logs."""
    text = repr(dict(params))
    return text if len(text) <= limit else text[:limit] + "..."


class GraphStore(ABC):
    """A property graph with the patentnav schema.

    Implementations take their connection (driver / database) from the caller.
    Every method is safe to call repeatedly: schema creation and upserts are
    idempotent.
    """

    #: dialect used to choose query variants: "embedded" or "neo4j"
    dialect: ClassVar[str]

    def __init__(
        self,
        *,
        schema: Schema = SCHEMA,
        registry: QueryRegistry | None = None,
        batch_size: int = 5000,
    ) -> None:
        self.schema = schema
        self.registry = registry or default_registry()
        self.batch_size = batch_size

    # -- lifecycle -------------------------------------------------------------------
    @abstractmethod
    def init_schema(self) -> None:
        """Create tables / constraints / indexes if they do not exist."""

    @abstractmethod
    def close(self) -> None:
        """Release what this store opened itself (never a driver it was given)."""

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def bulk_load(self) -> AbstractContextManager[None]:
        """A context for a long run of writes (an ingest of many rows): backends may defer
        durability work until it ends. Every write is committed as usual; only a crash
        inside the context may cost more of it -- the embedded store then rolls the graph
        back to where the bulk load began (or to its last checkpoint inside it) when the
        file is next opened, and the ingest is re-run (ingest is idempotent). Nesting is
        allowed. This default does nothing (Neo4j has no such trade-off)."""
        return nullcontext()

    # -- writes ------------------------------------------------------------------------
    @abstractmethod
    def upsert_nodes(self, label: str, rows: Iterable[Row]) -> int:
        """Create or update nodes by ``id``; ``None`` values leave stored values as they are.

        Returns the number of rows written.
        """

    @abstractmethod
    def upsert_relationships(
        self,
        rel_type: str,
        rows: Iterable[Row],
        *,
        src_label: str | None = None,
        dst_label: str | None = None,
    ) -> int:
        """Create or update relationships ``(src)-[rel_type]->(dst)``; rows hold ``src``,
        ``dst`` and properties. Rows whose endpoints do not exist are skipped and not
        counted. Returns the number written."""

    def insert_nodes(self, label: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """Create nodes the caller knows are not stored yet, given as columns
        (``{property: values}``, equal lengths, ids distinct). Backends with a bulk
        loader skip the existence check (the embedded store COPYs; a stored id is an
        error there); this default upserts the rows. Returns the number of rows."""
        return self.upsert_nodes(label, rows_from_columns(columns))

    def insert_relationships(
        self,
        rel_type: str,
        columns: Mapping[str, Sequence[Any]],
        *,
        src_label: str | None = None,
        dst_label: str | None = None,
        src_exists: bool = False,
    ) -> int:
        """Create relationships the caller knows are not stored yet -- distinct (src, dst)
        pairs, e.g. every ``src`` was created by :meth:`insert_nodes` in this run --
        given as columns (``src``, ``dst``, properties). Rows whose endpoints do not
        exist are skipped and not counted, as in :meth:`upsert_relationships`;
        ``src_exists=True``: the caller guarantees every ``src`` node exists, so backends
        may skip checking that side. Backends with a bulk loader skip the existing-pair
        lookup; this default upserts."""
        return self.upsert_relationships(
            rel_type, rows_from_columns(columns), src_label=src_label, dst_label=dst_label
        )

    @abstractmethod
    def delete_nodes(self, label: str, ids: Sequence[str]) -> int:
        """Delete nodes and their relationships; returns how many nodes existed."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship (schema stays)."""

    # -- named queries --------------------------------------------------------------------
    def query(self, name: str) -> NamedQuery:
        return self.registry.get(name, self.dialect)

    def run(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a named read query and return its rows as dicts."""
        q = self.query(name)
        log.debug("run %s %s", name, truncate_params(params))
        return self._execute(q, params)

    def write(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a named write query (e.g. ``derive_co_applied``)."""
        q = self.query(name)
        log.debug("write %s %s", name, truncate_params(params))
        return self._execute(q, params)

    @abstractmethod
    def _execute(self, query: NamedQuery, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Execute one named query with parameters, as a read or write by ``query.mode``."""

    # -- introspection ------------------------------------------------------------------------
    @abstractmethod
    def count_nodes(self) -> dict[str, int]:
        """Node count per label (every label of the schema, zeros included)."""

    @abstractmethod
    def count_relationships(self) -> dict[str, int]:
        """Relationship count per type (every type of the schema, zeros included)."""
