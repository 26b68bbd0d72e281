"""LadybugDB (embedded, in-process) backend of :class:`~graph.base.GraphStore`.

LadybugDB is the maintained fork of Kùzu (``import ladybug``). It needs declared node
and relationship tables, rendered here from :data:`graph.schema.SCHEMA`.

Bulk writes
-----------
Rows are turned into typed Arrow columns (one list comprehension per column, no
per-row Python beyond that), checked against the schema, and written in chunks:

- nodes: duplicates inside a chunk are merged (later non-None values win); one query
  finds which ids already exist (skipped while the table is empty); new ones are loaded
  with ``COPY <Label> FROM <arrow table>`` (a few rows into a big table go through
  ``LOAD FROM ... CREATE`` instead, cheaper than a COPY's fixed cost); existing ones are
  compared with what is stored and only changed values are written, with
  ``LOAD FROM ... MATCH ... SET n.p = coalesce(v, n.p)``.
- relationships: rows whose endpoints do not exist are dropped (and not counted);
  duplicates are merged; new (src, dst) pairs are COPYed and existing ones get their
  changed properties through ``MERGE``. Small batches into a non-empty table go through
  ``LOAD FROM ... MERGE`` directly. A relationship is unique per (type, src, dst).

While the store fills a node table from empty, it keeps the ids it wrote and answers
existence and endpoint checks from them in memory (trusted only while the table's count
still matches; any delete or named write query drops them).

Bulk loads
----------
By default LadybugDB checkpoints after every commit whose write-ahead log passed a few
MB -- after nearly every COPY of an ingest. Inside :meth:`EmbeddedStore.bulk_load`
automatic checkpoints are off (``CALL auto_checkpoint=false``, a database-wide
setting): the store checkpoints when the bulk load begins, after every
``bulk_checkpoint_bytes`` of COPYed Arrow data, and when it ends. At a million patents
this cut the store's writes from ~30 s to ~22 s of wall time.

The cost is what a crash loses. Observed with LadybugDB 0.22: with automatic checkpoints
off, a COPY's rows reach the file only at a checkpoint (they are not in the log), so a
process killed inside a bulk load loses everything it wrote since the last checkpoint;
and replaying the log such a process left was seen to crash the reopening process. So a
marker file ``<database>.bulk-load`` (holding the loading process's pid) exists while a
bulk load runs, and :meth:`EmbeddedStore.open` of a database whose marker names a
process that is gone moves the log aside (``<database>.wal.interrupted``) first: the
graph opens as of the last checkpoint, a warning says so, and the ingest is re-run
(ingest is idempotent). A read-only open (the API after a restart) does the same.

COPY has a fixed cost that grows with the tables (~70 ms when empty; ~0.5 s for a node
table and 1-5 s for a relationship table once the endpoint tables hold a million nodes),
so **pass whole iterables** (a generator over a file is fine): the store cuts them into
chunks itself. Many small calls are correct but slow. Node COPY runs single-threaded
by default (see ``copy_threads``).

Concurrency
-----------
LadybugDB allows one read-write process per database file. Observed with 0.22: while a
read-write process has the file open, another read-write open fails (``Could not set
lock on file``) but a read-only open succeeds and sees the data committed so far; while
a read-only process has it open, a read-write open fails. So the API can open the store
with ``read_only=True`` and keep serving while nothing writes; an ingest must run while
the API is stopped (or use the Neo4j backend, which has no such limit). Inside one
process, each thread gets its own connection; writes through this store are serialised
by a lock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from itertools import repeat
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.compute as pc

from graph.base import GraphStore, Row, batched, truncate_params
from graph.rows import REL_KEYS, check_column, check_ids, check_keys, merge_duplicates
from graph.schema import SCHEMA, NodeType, RelType, Schema
from patentnav.errors import BackendUnavailable, GraphError, QueryError, SchemaError
from queries.registry import NamedQuery, QueryRegistry

log = logging.getLogger(__name__)

ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "STRING[]": pa.list_(pa.string()),
}
#: how ``CALL table_info`` spells the schema's types
_DB_TYPE_NAMES = {"BOOLEAN": "BOOL"}
_PAIR_SEP = "\x1f"


#: statements with an Arrow parameter a connection runs before it is replaced (see _conn)
ARROW_STATEMENTS_PER_CONNECTION = 8
#: next to a database while a bulk load runs in it (see the module doc)
BULK_MARKER_SUFFIX = ".bulk-load"
#: where the log of an interrupted bulk load is moved
INTERRUPTED_WAL_SUFFIX = ".wal.interrupted"


def bulk_marker(path: str | Path) -> Path:
    """The marker file of a bulk load into the database at ``path``."""
    return Path(f"{path}{BULK_MARKER_SUFFIX}")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie -- killed, not yet reaped -- does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no procfs: trust the signal check
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _marker_pid(marker: Path) -> int | None:
    try:
        return int(json.loads(marker.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recover_bulk_load(path: str | Path) -> bool:
    """Before opening ``path`` (read-write or read-only): roll back a bulk load whose
    process is gone (see the module doc) -- file housekeeping only, the database is not
    opened. Returns whether a log was moved aside."""
    marker = bulk_marker(path)
    if not marker.exists():
        return False
    pid = _marker_pid(marker)
    if pid is not None and _alive(pid):
        return False  # still loading: its lock keeps other writers out
    wal = Path(f"{path}.wal")
    moved = wal.exists()
    try:
        if moved:
            os.replace(wal, Path(f"{path}{INTERRUPTED_WAL_SUFFIX}"))
        marker.unlink()
    except OSError as exc:
        raise BackendUnavailable(
            f"a bulk load into the embedded graph {path} (process {pid}) was interrupted, and its log "
            f"cannot be moved aside ({exc}); move {wal} away and delete {marker}, then re-run the ingest"
        ) from exc
    log.warning(
        "a bulk load into %s (process %s) was interrupted: the graph opens as of its last checkpoint%s; "
        "re-run the ingest", path, pid, f" (log moved to {path}{INTERRUPTED_WAL_SUFFIX})" if moved else "")
    return moved

def _q(identifier: str) -> str:
    """Quote a label or property name (they come from graph/schema.py only)."""
    return f"`{identifier}`"


def _col(prop: str) -> str:
    """Name of a LOAD FROM column holding values for ``prop`` (never clashes with keywords)."""
    return _q(f"v_{prop}")


def node_ddl(nt: NodeType) -> str:
    cols = ", ".join(f"{_q(name)} {nt.prop_type(name)}" for name in nt.prop_names)
    return f"CREATE NODE TABLE IF NOT EXISTS {_q(nt.label)}({cols}, PRIMARY KEY({_q(nt.key)}))"


def rel_ddl(rt: RelType) -> str:
    parts = [f"FROM {_q(s)} TO {_q(d)}" for s, d in rt.pairs]
    parts += [f"{_q(p.name)} {p.type}" for p in rt.props]
    return f"CREATE REL TABLE IF NOT EXISTS {_q(rt.type)}({', '.join(parts)})"


def ddl_statements(schema: Schema = SCHEMA) -> list[str]:
    """The LadybugDB DDL for a schema (node tables first)."""
    return [node_ddl(n) for n in schema.nodes] + [rel_ddl(r) for r in schema.rels]


def _plain(value: Any) -> Any:
    """Query values as plain Python: nodes and relationships become property dicts."""
    if isinstance(value, dict):
        if "_LABEL" in value and "_ID" in value:
            return {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _as_array(col: pa.ChunkedArray | pa.Array, type_: pa.DataType) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], type_)
    if col.type != type_:
        col = col.cast(type_)
    return col


def _changed(new: pa.Array, old: pa.Array) -> pa.Array:
    """True where ``new`` holds a value that differs from ``old`` (null ``new`` = no change)."""
    if pa.types.is_list(new.type):
        differs = pc.or_kleene(
            pc.not_equal(pc.list_value_length(new), pc.list_value_length(old)),
            pc.not_equal(pc.binary_join(new, _PAIR_SEP), pc.binary_join(old, _PAIR_SEP)),
        )
    else:
        differs = pc.not_equal(new, old)
    return pc.fill_null(pc.and_kleene(pc.is_valid(new), pc.or_kleene(pc.is_null(old), differs)), False)


def _pair_keys(src: pa.Array, dst: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(src, dst, _PAIR_SEP)


@dataclass
class _RelCall:
    """State of one upsert_relationships call."""

    start_empty: bool
    #: (src, dst) keys written during this call, tracked when the table started empty
    known: pa.Array | None = None

    def remember(self, keys: pa.Array) -> None:
        self.known = keys if self.known is None else pa.concat_arrays([self.known, keys])


class EmbeddedStore(GraphStore):
    """GraphStore over a LadybugDB database (passed in, or opened by :meth:`open`)."""

    dialect = "embedded"

    def __init__(
        self,
        database: ladybug.Database,
        *,
        schema: Schema = SCHEMA,
        registry: QueryRegistry | None = None,
        batch_size: int = 5000,
        copy_batch_size: int = 1_000_000,
        rel_copy_batch_size: int = 8_000_000,
        copy_batch_bytes: int = 1 << 30,
        copy_min_rows: int = 20_000,
        copy_min_rows_empty: int = 2_000,
        rel_copy_min_rows: int = 50_000,
        copy_threads: int = 1,
        rel_copy_threads: int = 0,
        bulk_checkpoint_bytes: int = 1 << 30,
    ) -> None:
        """``batch_size`` rows per row-wise statement (updates, MERGE, small creates);
        ``copy_batch_size`` / ``rel_copy_batch_size`` rows per COPY chunk, and at most
        ``copy_batch_bytes`` of Arrow data (long abstracts make big rows);
        ``copy_min_rows`` / ``copy_min_rows_empty``: below this many new rows in a
        non-empty / empty table, nodes are written with a statement instead of a COPY
        (COPY has a fixed cost: ~70 ms on an empty table, ~0.5 s on a table of a million
        nodes); ``rel_copy_min_rows``: the same for relationships into a non-empty table,
        where a COPY costs 1-5 s once the endpoint tables hold a million nodes.
        ``copy_threads`` / ``rel_copy_threads``: threads a node / relationship COPY may use
        (0 = the database's limit). Node COPY defaults to 1 because LadybugDB 0.22 can
        deadlock in a multi-threaded COPY into a node table (the primary-key hash index
        build; reproduced: ~590k Chinese inventor keys hang every time with 2 threads and
        load in ~3 s with 1). Relationship COPY does not build that index and ran
        multi-threaded without trouble (15M relationships at 1M patents, ~35 % faster).
        ``bulk_checkpoint_bytes``: Arrow bytes COPYed inside :meth:`bulk_load` between
        checkpoints (:meth:`open` sets it to a quarter of the buffer pool)."""
        super().__init__(schema=schema, registry=registry, batch_size=batch_size)
        self._db = database
        self._owns_db = False
        self.read_only = bool(getattr(database, "read_only", False))
        self.copy_batch_size = copy_batch_size
        self.rel_copy_batch_size = rel_copy_batch_size
        self.copy_batch_bytes = copy_batch_bytes
        self.copy_min_rows = copy_min_rows
        self.copy_min_rows_empty = copy_min_rows_empty
        self.rel_copy_min_rows = rel_copy_min_rows
        self.copy_threads = copy_threads
        self.rel_copy_threads = rel_copy_threads
        self.bulk_checkpoint_bytes = bulk_checkpoint_bytes
        self._path = getattr(database, "database_path", None)
        self._bulk_depth = 0
        self._bulk_bytes = 0
        self._local = threading.local()
        self._conns: list[ladybug.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._columns: dict[str, list[tuple[str, str]]] = {}
        #: every id of a node table, for tables this store filled from empty (see _known)
        self._ids: dict[str, pa.Array] = {}
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        batch_size: int = 5000,
        buffer_pool_mb: int = 4096,
        read_only: bool = False,
        **kwargs: Any,
    ) -> "EmbeddedStore":
        """Open (or create) the database at ``path``; the store owns it and closes it.

        ``read_only=True`` opens an existing database without taking the writer's lock
        (see the module notes on concurrency).
        """
        path = Path(path)
        if read_only and not path.exists():
            raise BackendUnavailable(
                f"no embedded graph at {path}: create it first (`patentnav graph init` or an ingest)"
            )
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            recover_bulk_load(path)
        kwargs.setdefault("bulk_checkpoint_bytes", buffer_pool_mb * 1024 * 1024 // 4)
        try:
            db = ladybug.Database(
                str(path), buffer_pool_size=buffer_pool_mb * 1024 * 1024, read_only=read_only
            )
        except RuntimeError as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise BackendUnavailable(
                    f"the embedded graph {path} is open in another process ({message.splitlines()[0]}). "
                    "LadybugDB allows one read-write process per file: stop the other writer "
                    "(CLI/ingest) or the API, open read-only, or use the Neo4j backend."
                ) from exc
            raise GraphError(f"cannot open the embedded graph {path}: {message}") from exc
        marker = bulk_marker(path)
        if not read_only and marker.exists() and _marker_pid(marker) != os.getpid():
            # this process holds the writer's lock now: the marker's process is not
            # loading (it was alive when checked, e.g. exiting); its log has been read
            log.warning("removing the stale bulk-load marker %s", marker)
            marker.unlink(missing_ok=True)
        store = cls(db, batch_size=batch_size, **kwargs)
        store._owns_db = True
        log.debug("opened embedded graph %s%s", path, " (read-only)" if read_only else "")
        return store

    def close(self) -> None:
        if self._closed:
            return
        if self._bulk_depth:
            self._bulk_depth = 0
            self._end_bulk()
        self._closed = True
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        if self._owns_db:
            self._db.close()

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Automatic checkpoints off while the context runs (see the module doc). A
        database passed in without a file path (or opened read-only) gets no bulk mode."""
        if self.read_only or not self._path:
            yield
            return
        with self._write_lock:
            if not self._bulk_depth:
                self._query("CHECKPOINT", name="bulk_load")
                marker = bulk_marker(self._path)
                marker.write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
                try:
                    self._query("CALL auto_checkpoint=false", name="bulk_load")
                except BaseException:
                    marker.unlink(missing_ok=True)
                    raise
                self._bulk_bytes = 0
            self._bulk_depth += 1
        try:
            yield
        finally:
            with self._write_lock:
                if self._bulk_depth:  # (close() may have ended it)
                    self._bulk_depth -= 1
                    if not self._bulk_depth:
                        self._end_bulk()

    def _end_bulk(self) -> None:
        """Checkpoint, automatic checkpoints back on; the marker goes only once the
        checkpoint succeeded (else the next open rolls back to the last one)."""
        try:
            self._query("CHECKPOINT", name="bulk_load")
            bulk_marker(self._path).unlink(missing_ok=True)
        finally:
            self._query("CALL auto_checkpoint=true", name="bulk_load")

    def _copied(self, table: pa.Table) -> None:
        """Inside a bulk load: checkpoint after every ``bulk_checkpoint_bytes`` COPYed."""
        if self._bulk_depth:
            self._bulk_bytes += table.nbytes
            if self._bulk_bytes >= self.bulk_checkpoint_bytes:
                log.debug("bulk load: checkpoint after %d MB", self._bulk_bytes >> 20)
                self._query("CHECKPOINT", name="bulk_load")
                self._bulk_bytes = 0

    def init_schema(self) -> None:
        """Create missing tables, and add properties the schema gained since."""
        self._check_writable()
        with self._write_lock:
            for statement in ddl_statements(self.schema):
                self._query(statement, name="init_schema")
            self._columns.clear()
            for nt in self.schema.nodes:
                self._add_missing(nt.label, [(n, nt.prop_type(n)) for n in nt.prop_names])
            for rt in self.schema.rels:
                self._add_missing(rt.type, [(p.name, p.type) for p in rt.props])
                self._check_pairs(rt)
            self._columns.clear()

    def _add_missing(self, table: str, props: list[tuple[str, str]]) -> None:
        stored = dict(self._table_columns(table))
        for name, type_ in props:
            if name not in stored:
                log.info("adding property %s.%s %s", table, name, type_)
                self._query(
                    f"ALTER TABLE {_q(table)} ADD IF NOT EXISTS {_q(name)} {type_}", name="init_schema"
                )
            elif stored[name] != _DB_TYPE_NAMES.get(type_, type_):
                raise SchemaError(
                    f"{table}.{name} is stored as {stored[name]} but the schema says {type_}; "
                    "reset the embedded graph (`patentnav graph reset --yes`) and reload"
                )

    def _check_pairs(self, rt: RelType) -> None:
        rows = self._rows(f"CALL show_connection('{rt.type}') RETURN *", name="init_schema")
        stored = {(r["source table name"], r["destination table name"]) for r in rows}
        missing = set(rt.pairs) - stored
        if missing:
            raise SchemaError(
                f"{rt.type} in the embedded graph lacks label pairs {sorted(missing)}; "
                "reset the embedded graph and reload"
            )

    # -- plumbing ------------------------------------------------------------------------
    def _conn(self) -> ladybug.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "arrow_uses", 0) >= ARROW_STATEMENTS_PER_CONNECTION:
            # LadybugDB 0.22 keeps buffer-pool memory of every statement that scans an Arrow
            # parameter (COPY / LOAD FROM $t) until its connection closes; a long-lived
            # writer (API ingest jobs, repeated upserts) otherwise ends in "buffer pool is
            # full". No explicit transactions span statements here, so swapping is safe.
            with self._conns_lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            conn.close()
            conn = self._local.conn = None
        if conn is None:
            if self._closed:
                raise GraphError("the embedded graph store is closed")
            conn = ladybug.Connection(self._db)
            self._local.conn = conn
            self._local.arrow_uses = 0
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _query(
        self, text: str, params: Mapping[str, Any] | None = None, *, name: str, threads: int = 0
    ) -> Any:
        """Execute one statement; ``threads`` > 0 caps its threads (0 = database limit)."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("embedded %s: %s %s", name, text, truncate_params(params or {}))
        conn = self._conn()
        if threads:
            conn.set_max_threads_for_exec(threads)
        if params and any(isinstance(v, (pa.Table, pa.RecordBatch)) for v in params.values()):
            self._local.arrow_uses = getattr(self._local, "arrow_uses", 0) + 1
        try:
            return conn.execute(text, dict(params or {}))
        except RuntimeError as exc:
            raise QueryError(f"{name} failed on the embedded graph: {exc}") from exc
        finally:
            if threads:
                conn.set_max_threads_for_exec(0)

    def _rows(self, text: str, params: Mapping[str, Any] | None = None, *, name: str) -> list[dict]:
        result = self._query(text, params, name=name)
        return [{k: _plain(v) for k, v in row.items()} for row in result.rows_as_dict().get_all()]

    def _arrow(self, text: str, params: Mapping[str, Any] | None = None, *, name: str) -> pa.Table:
        return self._query(text, params, name=name).get_as_arrow()

    def _scalar(self, text: str, *, name: str) -> Any:
        rows = self._query(text, name=name).get_all()
        return rows[0][0] if rows else None

    def _check_writable(self) -> None:
        if self.read_only:
            raise GraphError("the embedded graph was opened read-only; writes are not allowed")

    def _table_columns(self, table: str) -> list[tuple[str, str]]:
        """(name, type) of a table's stored properties, in storage order."""
        cols = self._columns.get(table)
        if cols is None:
            rows = self._rows(f"CALL table_info('{table}') RETURN *", name="table_info")
            cols = [(r["name"], r["type"]) for r in rows]
            self._columns[table] = cols
        return cols

    def _count(self, pattern: str, *, name: str) -> int:
        return int(self._scalar(f"MATCH {pattern} RETURN count(*)", name=name) or 0)

    # -- named queries -----------------------------------------------------------------
    def _execute(self, query: NamedQuery, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if query.mode == "write":
            self._check_writable()
            with self._write_lock:
                self._ids.clear()  # a named write may create or delete nodes
                return self._rows(query.text, params, name=query.name)
        return self._rows(query.text, params, name=query.name)

    # -- introspection -------------------------------------------------------------------
    def count_nodes(self) -> dict[str, int]:
        return {
            nt.label: self._count(f"(n:{_q(nt.label)})", name="count_nodes")
            for nt in self.schema.nodes
        }

    def count_relationships(self) -> dict[str, int]:
        return {
            rt.type: self._count(f"()-[r:{_q(rt.type)}]->()", name="count_relationships")
            for rt in self.schema.rels
        }

    # -- deletes ------------------------------------------------------------------------------
    def delete_nodes(self, label: str, ids: Sequence[str]) -> int:
        nt = self.schema.node(label)
        self._check_writable()
        unique = list(dict.fromkeys(ids))
        check_ids(label, nt.key, unique)
        text = (
            f"LOAD FROM $t MATCH (n:{_q(label)} {{{_q(nt.key)}: k_id}}) "
            "DETACH DELETE n RETURN count(*) AS deleted"
        )
        deleted = 0
        with self._write_lock:
            self._ids.clear()
            for part in batched(unique, self.batch_size):
                rows = self._rows(text, {"t": pa.table({"k_id": pa.array(part, pa.string())})},
                                  name="delete_nodes")
                deleted += int(rows[0]["deleted"]) if rows else 0
        return deleted

    def clear(self) -> None:
        """Drop and re-create every table (faster than deleting row by row)."""
        self._check_writable()
        with self._write_lock:
            self._ids.clear()
            for rt in self.schema.rels:
                self._query(f"DROP TABLE IF EXISTS {_q(rt.type)}", name="clear")
            for nt in self.schema.nodes:
                self._query(f"DROP TABLE IF EXISTS {_q(nt.label)}", name="clear")
            self._columns.clear()
            self.init_schema()

    # -- node upserts ------------------------------------------------------------------------
    def upsert_nodes(self, label: str, rows: Iterable[Row]) -> int:
        nt = self.schema.node(label)
        self._check_writable()
        written = 0
        with self._write_lock:
            for chunk in self._chunks(rows, self.copy_batch_size, lambda part: self._node_table(nt, part)):
                written += self._upsert_node_chunk(nt, chunk)
        return written

    def _chunks(self, rows: Iterable[Row], size: int, convert) -> Iterator[tuple[pa.Table, int]]:
        """Arrow tables of up to ``size`` rows, converted ``batch_size``-wise as rows arrive
        (so a generator's dicts are released early); yields (table, input row count)."""
        parts: list[pa.Table] = []
        count = nbytes = 0
        for part in batched(rows, min(size, max(self.batch_size, 10_000))):
            parts.append(convert(part))
            count += len(part)
            nbytes += parts[-1].nbytes
            if count >= size or nbytes >= self.copy_batch_bytes:
                yield pa.concat_tables(parts), count
                parts, count, nbytes = [], 0, 0
        if parts:
            yield pa.concat_tables(parts), count

    def _node_table(self, nt: NodeType, rows: Sequence[Row]) -> pa.Table:
        keys = check_keys(nt.label, nt.prop_names, rows)
        plain = _all_dicts(rows)
        return self._node_table_from_columns(nt, {k: _column(rows, k, plain) for k in keys})

    def _upsert_node_chunk(self, nt: NodeType, chunk: tuple[pa.Table, int]) -> int:
        table, n_rows = chunk
        key = nt.key
        unique_ids = pc.unique(table[key])
        if len(unique_ids) < table.num_rows:
            table = _merge_table(table, [key])
        count = self._count(f"(n:{_q(nt.label)})", name="upsert_nodes")
        empty = count == 0
        if empty:
            self._ids[nt.label] = pa.array([], pa.string())
            new, old = table, table.slice(0, 0)
        else:
            found = self._existing_ids(nt.label, key, unique_ids, count=count)
            mask = pc.is_in(table[key], value_set=found)
            new, old = table.filter(pc.invert(mask)), table.filter(mask)
        if new.num_rows:
            self._write_new_nodes(nt, new, empty)
        if old.num_rows:
            self._update_nodes(nt, old)
        log.debug("upsert %s: %d rows, %d new, %d existing", nt.label, n_rows, new.num_rows, old.num_rows)
        return n_rows

    def _write_new_nodes(self, nt: NodeType, new: pa.Table, empty: bool) -> None:
        """COPY (or, for a few rows, CREATE) nodes that are not stored yet."""
        if new.num_rows >= (self.copy_min_rows_empty if empty else self.copy_min_rows):
            self._query(f"COPY {_q(nt.label)} FROM $t", {"t": new}, name=f"copy {nt.label}",
                        threads=self.copy_threads)
            self._copied(new)
        else:
            self._create_nodes(nt, new)
        known = self._ids.get(nt.label)
        if known is not None:
            self._ids[nt.label] = pa.concat_arrays([known, _as_array(new[nt.key], pa.string())])

    def insert_nodes(self, label: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """Nodes known not to be stored (see :meth:`GraphStore.insert_nodes`): no
        existence lookup, straight to COPY (a stored or repeated id fails the COPY)."""
        nt = self.schema.node(label)
        self._check_writable()
        table = self._node_table_from_columns(nt, columns)
        n = table.num_rows
        if not n:
            return 0
        with self._write_lock:
            for offset in range(0, n, self.copy_batch_size):
                part = table.slice(offset, self.copy_batch_size)
                empty = self._count(f"(n:{_q(label)})", name="insert_nodes") == 0
                if empty:
                    self._ids[label] = pa.array([], pa.string())
                self._write_new_nodes(nt, part, empty)
        log.debug("insert %s: %d rows", label, n)
        return n

    def _node_table_from_columns(self, nt: NodeType, columns: Mapping[str, Sequence[Any]]) -> pa.Table:
        keys = check_keys(nt.label, nt.prop_names, [columns])
        if nt.key not in keys:
            raise SchemaError(f"{nt.label} rows need {nt.key!r}")
        declared = {name: nt.prop_type(name) for name in nt.prop_names}
        arrays, names = self._typed_arrays(nt.label, declared, keys, columns, key=nt.key)
        return pa.Table.from_arrays(arrays, names=names)

    def _typed_arrays(self, table: str, declared: Mapping[str, str], keys: Iterable[str],
                      columns: Mapping[str, Sequence[Any]], *, key: str | None = None
                      ) -> tuple[list[pa.Array], list[str]]:
        """(arrays, names): one typed Arrow array per column of the database table
        ``table``: the key column checked, given properties converted to their declared
        (else stored) type, the others null."""
        arrays: list[pa.Array] = []
        names: list[str] = []
        n = _column_length(table, columns)
        for name, db_type in self._table_columns(table):
            prop_type = declared.get(name) or _schema_type(db_type)
            arrow_type = ARROW_TYPES[prop_type]
            if name == key:
                arrays.append(_key_array(table, name, columns[name]))
            elif name in keys:
                arrays.append(_column_array(table, name, columns[name], prop_type, arrow_type))
            else:
                arrays.append(pa.nulls(n, arrow_type))
            names.append(name)
        return arrays, names

    def _known(self, label: str, count: int | None = None) -> pa.Array | None:
        """All ids of ``label`` when this store wrote every node of the table itself.

        Tracked from the moment the table was empty; trusted only while the table still
        holds exactly that many nodes (any delete or named write query drops tracking),
        so endpoint and existence checks need no query during a bulk load."""
        known = self._ids.get(label)
        if known is None:
            return None
        if count is None:
            count = self._count(f"(n:{_q(label)})", name="lookup")
        if count != len(known):
            del self._ids[label]
            return None
        return known

    def _existing_ids(
        self, label: str, key: str, ids: pa.Array | pa.ChunkedArray, *, count: int | None = None
    ) -> pa.Array:
        """Which of ``ids`` (distinct) exist as ``label`` nodes."""
        if count is None:
            count = self._count(f"(n:{_q(label)})", name="lookup")
        known = self._known(label, count)
        if known is None and count <= max(len(ids), 50_000):
            # reading every id costs no more than a probe; the table is then tracked
            known = _as_array(self._arrow(f"MATCH (n:{_q(label)}) RETURN n.{_q(key)} AS k_id",
                                          name=f"ids {label}")["k_id"], pa.string())
            if len(known) == count:
                self._ids[label] = known
        if known is not None:
            ids = _as_array(ids, pa.string())
            if len(ids) < len(known):  # hash the smaller side
                return pc.filter(known, pc.is_in(known, value_set=ids))
            return pc.filter(ids, pc.is_in(ids, value_set=known))
        probe = pa.table({"k_id": ids})
        found = self._arrow(
            f"LOAD FROM $t MATCH (n:{_q(label)} {{{_q(key)}: k_id}}) RETURN n.{_q(key)} AS k_id",
            {"t": probe},
            name=f"lookup {label}",
        )
        return _as_array(found["k_id"], pa.string())

    def _create_nodes(self, nt: NodeType, new: pa.Table) -> None:
        cols = [c for c in new.column_names if new[c].null_count < new.num_rows]
        assignments = ", ".join(f"{_q(c)}: {_col(c)}" for c in cols)
        text = f"LOAD FROM $t CREATE (n:{_q(nt.label)} {{{assignments}}})"
        renamed = new.select(cols).rename_columns([f"v_{c}" for c in cols])
        for offset in range(0, renamed.num_rows, self.batch_size):
            part = renamed.slice(offset, self.batch_size)
            self._query(text, {"t": part}, name=f"create {nt.label}")

    def _update_nodes(self, nt: NodeType, old: pa.Table) -> None:
        key = nt.key
        cols = [c for c in old.column_names if c != key and old[c].null_count < old.num_rows]
        if not cols:
            return
        fetch = ", ".join(f"n.{_q(c)} AS {_col(c)}" for c in cols)
        stored = self._arrow(
            f"LOAD FROM $t MATCH (n:{_q(nt.label)} {{{_q(key)}: k_id}}) RETURN n.{_q(key)} AS k_id, {fetch}",
            {"t": pa.table({"k_id": old[key]})},
            name=f"fetch {nt.label}",
        )
        order = pc.index_in(old[key], value_set=_as_array(stored["k_id"], pa.string()))
        stored = stored.take(order)
        update = self._changes(old, stored, key_cols=[key], cols=cols)
        if update is None:
            return
        changed = [c for c in update.column_names if c != key]
        sets = ", ".join(f"n.{_q(c)} = coalesce({_col(c)}, n.{_q(c)})" for c in changed)
        text = f"LOAD FROM $t MATCH (n:{_q(nt.label)} {{{_q(key)}: k_id}}) SET {sets}"
        renamed = update.rename_columns(["k_id" if c == key else f"v_{c}" for c in update.column_names])
        for offset in range(0, renamed.num_rows, self.batch_size):
            self._query(text, {"t": renamed.slice(offset, self.batch_size)}, name=f"update {nt.label}")
        log.debug("updated %d %s nodes (%s)", update.num_rows, nt.label, ", ".join(changed))

    @staticmethod
    def _changes(
        incoming: pa.Table, stored: pa.Table | None, *, key_cols: list[str], cols: list[str]
    ) -> pa.Table | None:
        """Rows of ``incoming`` with at least one value differing from ``stored`` (aligned
        row by row; None = nothing stored to compare with), keeping only changed values."""
        if not cols:
            return None
        n = incoming.num_rows
        masks: dict[str, pa.Array] = {}
        for c in cols:
            new = _as_array(incoming[c], incoming.schema.field(c).type)
            if stored is None:
                masks[c] = pc.is_valid(new)
            else:
                masks[c] = _changed(new, _as_array(stored[f"v_{c}"], new.type))
        any_change = reduce(pc.or_, masks.values())
        if not pc.any(any_change).as_py():
            return None
        arrays = {k: incoming[k] for k in key_cols}
        for c in cols:
            if pc.any(masks[c]).as_py():
                col = _as_array(incoming[c], incoming.schema.field(c).type)
                arrays[c] = pc.if_else(masks[c], col, pa.nulls(n, col.type))
        return pa.table(arrays).filter(any_change)

    # -- relationship upserts -----------------------------------------------------------------
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
        self._check_writable()
        written = 0
        with self._write_lock:
            call = _RelCall(start_empty=self._count_pair(rt, src, dst) == 0)
            convert = lambda part: self._rel_table(rt, part)  # noqa: E731
            for chunk in self._chunks(rows, self.rel_copy_batch_size, convert):
                written += self._upsert_rel_chunk(rt, src, dst, chunk[0], call)
        return written

    def insert_relationships(
        self,
        rel_type: str,
        columns: Mapping[str, Sequence[Any]],
        *,
        src_label: str | None = None,
        dst_label: str | None = None,
        src_exists: bool = False,
    ) -> int:
        """Relationships known not to be stored (see :meth:`GraphStore.insert_relationships`):
        rows with a missing endpoint are dropped (with ``src_exists`` only the ``dst``
        side is checked), the rest go straight to COPY (fewer than ``copy_min_rows`` into
        a non-empty table through ``MERGE``), with no existing-pair lookup."""
        rt = self.schema.rel(rel_type)
        s, d = rt.pair(src_label, dst_label)
        self._check_writable()
        table = self._rel_table_from_columns(rt, columns)
        if not table.num_rows:
            return 0
        props = [c for c in table.column_names if c not in REL_KEYS]
        written = 0
        with self._write_lock:
            for offset in range(0, table.num_rows, self.rel_copy_batch_size):
                part = self._with_endpoints(rt, s, d, table.slice(offset, self.rel_copy_batch_size),
                                            src_exists=src_exists)
                if not part.num_rows:
                    continue
                written += part.num_rows
                empty = self._count_pair(rt, s, d) == 0
                # MERGE costs ~25 us a row; below copy_min_rows it still beats a COPY's fixed cost
                if part.num_rows < (self.copy_min_rows_empty if empty else self.copy_min_rows):
                    self._merge_rels(rt, s, d, part, props)
                else:
                    self._copy_rels(rt, s, d, part, props)
        log.debug("insert %s: %d rows, %d written", rel_type, table.num_rows, written)
        return written

    def _rel_table_from_columns(self, rt: RelType, columns: Mapping[str, Sequence[Any]]) -> pa.Table:
        keys = check_keys(rt.type, (*REL_KEYS, *rt.prop_names), [columns])
        arrays, names = [], []
        for k in REL_KEYS:
            if k not in keys:
                raise SchemaError(f"{rt.type} rows need {k!r}")
            arrays.append(_key_array(rt.type, k, columns[k]))
            names.append(k)
        props, prop_names = self._typed_arrays(rt.type, {p.name: p.type for p in rt.props}, keys, columns)
        return pa.Table.from_arrays(arrays + props, names=names + prop_names)

    def _with_endpoints(self, rt: RelType, s: str, d: str, table: pa.Table, *,
                        src_exists: bool = False) -> pa.Table:
        """The rows of ``table`` whose src and dst nodes exist (``src_exists``: every src
        does, check the dst side only)."""
        if s == d and not src_exists:  # one look-up for both ends
            wanted = pc.unique(pa.chunked_array(table["src"].chunks + table["dst"].chunks))
            found = self._existing_ids(s, self.schema.node(s).key, wanted)
            if len(found) == len(wanted):  # every endpoint exists (the usual case)
                return table
            found_at = {"src": found, "dst": found}
        else:
            found_at, complete = {}, True
            for end, label in ((("dst", d),) if src_exists else (("src", s), ("dst", d))):
                wanted = pc.unique(table[end])
                found_at[end] = self._existing_ids(label, self.schema.node(label).key, wanted)
                complete = complete and len(found_at[end]) == len(wanted)
            if complete:
                return table
        ok = reduce(pc.and_, [pc.is_in(table[end], value_set=found) for end, found in found_at.items()])
        if pc.all(ok).as_py():
            return table
        return table.filter(ok)

    def _copy_rels(self, rt: RelType, s: str, d: str, table: pa.Table, props: list[str]) -> None:
        options = f" (from='{s}', to='{d}')" if len(rt.pairs) > 1 else ""
        copy = table.select([*REL_KEYS, *props]).rename_columns(["from", "to", *props])
        self._query(f"COPY {_q(rt.type)} FROM $t{options}", {"t": copy}, name=f"copy {rt.type}",
                    threads=self.rel_copy_threads)
        self._copied(copy)

    def _count_pair(self, rt: RelType, src: str, dst: str) -> int:
        if len(rt.pairs) == 1:
            return self._count(f"()-[r:{_q(rt.type)}]->()", name="upsert_relationships")
        return self._count(
            f"(:{_q(src)})-[r:{_q(rt.type)}]->(:{_q(dst)})", name="upsert_relationships"
        )

    def _rel_table(self, rt: RelType, rows: Sequence[Row]) -> pa.Table:
        keys = check_keys(rt.type, (*REL_KEYS, *rt.prop_names), rows)
        plain = _all_dicts(rows)
        return self._rel_table_from_columns(rt, {k: _column(rows, k, plain) for k in keys})

    def _upsert_rel_chunk(self, rt: RelType, s: str, d: str, table: pa.Table, call: _RelCall) -> int:
        props = [c for c in table.column_names if c not in REL_KEYS]
        # 1. keep rows whose endpoints exist
        table = self._with_endpoints(rt, s, d, table)
        written = table.num_rows
        if not written:
            return 0
        # 2. one row per (src, dst)
        keys = _pair_keys(_as_array(table["src"], pa.string()), _as_array(table["dst"], pa.string()))
        if len(pc.unique(keys)) < table.num_rows:
            table = _merge_table(table, list(REL_KEYS))
            keys = _pair_keys(_as_array(table["src"], pa.string()), _as_array(table["dst"], pa.string()))
        # 3. which pairs exist already
        stored = None
        if call.start_empty and table.num_rows < self.copy_min_rows_empty:
            self._merge_rels(rt, s, d, table, props)
            call.remember(keys)
            return written
        if call.start_empty:
            existing = (pc.is_in(keys, value_set=call.known) if call.known is not None
                        else pa.array([False] * table.num_rows))
        elif table.num_rows >= self.rel_copy_min_rows:
            stored = self._stored_rels(rt, s, d, pc.unique(table["src"]), props)
            stored_keys = _pair_keys(_as_array(stored["k_src"], pa.string()),
                                     _as_array(stored["k_dst"], pa.string()))
            existing = pc.is_in(keys, value_set=stored_keys)
            if pc.any(existing).as_py():
                order = pc.index_in(keys, value_set=stored_keys)
                stored = stored.take(pc.filter(order, existing))
        else:
            self._merge_rels(rt, s, d, table, props)
            return written
        new, old = table.filter(pc.invert(existing)), table.filter(existing)
        # 4. COPY the new pairs, MERGE changed properties of the existing ones
        if new.num_rows:
            self._copy_rels(rt, s, d, new, props)
            if call.start_empty:
                call.remember(pc.filter(keys, pc.invert(existing)))
        if old.num_rows and props:
            update = self._changes(old, stored, key_cols=list(REL_KEYS), cols=props)
            if update is not None:
                self._merge_rels(rt, s, d, update, [c for c in update.column_names if c not in REL_KEYS])
        log.debug("upsert %s: %d rows, %d new, %d existing", rt.type, written, new.num_rows, old.num_rows)
        return written

    def _stored_rels(self, rt: RelType, s: str, d: str, srcs: pa.Array, props: list[str]) -> pa.Table:
        fetch = "".join(f", r.{_q(p)} AS {_col(p)}" for p in props)
        return self._arrow(
            f"LOAD FROM $t MATCH (a:{_q(s)} {{id: k_src}})-[r:{_q(rt.type)}]->(b:{_q(d)}) "
            f"RETURN a.id AS k_src, b.id AS k_dst{fetch}",
            {"t": pa.table({"k_src": srcs})},
            name=f"fetch {rt.type}",
        )

    def _merge_rels(self, rt: RelType, s: str, d: str, table: pa.Table, props: list[str]) -> None:
        """MERGE rows one statement per ``batch_size``: creates missing pairs, sets
        non-null properties (used for small writes and for updates)."""
        props = [p for p in props if table[p].null_count < table.num_rows]
        sets = ", ".join(f"r.{_q(p)} = coalesce({_col(p)}, r.{_q(p)})" for p in props)
        text = (
            f"LOAD FROM $t MATCH (a:{_q(s)} {{id: k_src}}) MATCH (b:{_q(d)} {{id: k_dst}}) "
            f"MERGE (a)-[r:{_q(rt.type)}]->(b)" + (f" SET {sets}" if sets else "")
        )
        part_table = table.select(["src", "dst", *props]).rename_columns(
            ["k_src", "k_dst", *(f"v_{p}" for p in props)]
        )
        for offset in range(0, part_table.num_rows, self.batch_size):
            self._query(text, {"t": part_table.slice(offset, self.batch_size)}, name=f"merge {rt.type}")


def _schema_type(db_type: str) -> str:
    for schema_type, db_name in _DB_TYPE_NAMES.items():
        if db_type == db_name:
            return schema_type
    if db_type not in ARROW_TYPES:
        raise SchemaError(f"stored column type {db_type} is not a schema type")
    return db_type


#: types Arrow would convert silently (int from float, date from int, list from str,
#: double from bool); the others (STRING, BOOLEAN) are checked by the conversion itself
_PYTHON_CHECKED = frozenset({"INT64", "DOUBLE", "DATE", "STRING[]"})


def _all_dicts(rows: Sequence[Row]) -> bool:
    return set(map(type, rows)) == {dict}


def _column(rows: Sequence[Row], name: str, plain: bool) -> list[Any]:
    """``[row.get(name) for row in rows]``, at C speed when every row is a plain dict."""
    if plain:
        return list(map(dict.get, rows, repeat(name)))
    return [r.get(name) for r in rows]


def _column_length(owner: str, columns: Mapping[str, Sequence[Any]]) -> int:
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise SchemaError(f"{owner}: columns of different lengths {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _column_array(owner: str, name: str, values: Sequence[Any] | pa.Array | pa.ChunkedArray,
                  prop_type: str, arrow_type: pa.DataType) -> pa.Array:
    """A checked Arrow column from a Python sequence or an Arrow array."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if values.type != arrow_type:
            raise SchemaError(f"{owner}.{name} is {prop_type}; got an Arrow column of type {values.type}")
        return _as_array(values, arrow_type)
    if prop_type in _PYTHON_CHECKED:
        check_column(owner, name, prop_type, values)
    return _to_arrow(owner, name, values, arrow_type)


def _key_array(owner: str, name: str, values: Sequence[Any] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A key column (id / src / dst): non-empty strings only."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if values.type != pa.string():
            raise SchemaError(f"{owner} rows need a non-empty string {name!r}; got {values.type}")
        arr = _as_array(values, pa.string())
    else:
        arr = _to_arrow(owner, name, values, pa.string())
    if arr.null_count or pc.any(pc.equal(arr, "")).as_py():
        raise SchemaError(f"{owner} rows need a non-empty string {name!r}")
    return arr


def _to_arrow(owner: str, name: str, values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise SchemaError(f"{owner}.{name}: {exc}") from exc


def _merge_table(table: pa.Table, key: list[str]) -> pa.Table:
    """Merge rows sharing ``key``: later non-None values win. Vectorised (group by, last
    non-null value) unless a list column holds values among the duplicated rows; then
    those rows (only) are merged in Python."""
    others = [c for c in table.column_names if c not in key]
    if not any(pa.types.is_list(table.schema.field(c).type) and table[c].null_count < table.num_rows
               for c in others):
        return _group_last(table, key, others)
    if len(key) == 1:
        keys = table[key[0]]
    else:
        keys = _pair_keys(_as_array(table[key[0]], pa.string()), _as_array(table[key[1]], pa.string()))
    counts = pc.value_counts(keys)
    dup_values = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    dup_mask = pc.is_in(keys, value_set=dup_values)
    dups = table.filter(dup_mask)
    if any(pa.types.is_list(table.schema.field(c).type) and dups[c].null_count < dups.num_rows
           for c in others):
        merged = pa.Table.from_pylist(merge_duplicates(dups.to_pylist(), key), schema=table.schema)
    else:
        merged = _group_last(dups, key, others)
    return pa.concat_tables([table.filter(pc.invert(dup_mask)), merged])


def _group_last(table: pa.Table, key: list[str], others: list[str]) -> pa.Table:
    """One row per ``key`` with the last non-null value of each scalar column (list
    columns must hold no value: they come back null)."""
    last = pc.ScalarAggregateOptions(skip_nulls=True)
    scalars = [c for c in others if not pa.types.is_list(table.schema.field(c).type)]
    grouped = table.group_by(key, use_threads=False).aggregate([(c, "last", last) for c in scalars])
    n = grouped.num_rows

    def column(c: str) -> pa.ChunkedArray | pa.Array:
        type_ = table.schema.field(c).type
        if c in key:
            return grouped[c]
        if c in scalars:
            return grouped[f"{c}_last"].cast(type_)
        return pa.nulls(n, type_)

    return pa.Table.from_arrays([column(c) for c in table.column_names], schema=table.schema)
