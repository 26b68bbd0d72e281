"""Writing from inside the API: a writable graph store and incremental index updates for
ingest jobs (:mod:`analytics.jobs`).

The API opens the embedded graph **read-only** (see :mod:`search_api.app`). The first
ingest job upgrades it: :func:`writable_store` opens the same database read-write in this
process (LadybugDB's file lock is per process, so that succeeds while the read-only
handle is open), makes it the context's store -- requests from then on read through it
and see each committed batch -- and closes the retired read-only handle after a grace
period (:data:`RETIRE_AFTER_S`) so requests still running on it can finish. From then on
the API process holds the file read-write until it stops: other processes can still
open it read-only (a CLI ingest was already locked out by the read-only handle).

With the Neo4j backend, or a store injected writable (tests), the store is used as is.
A store injected read-only is refused (409 ``store_read_only``).

After the graph writes, :func:`index_updater` re-reads the written patents
(``IndexBundle.update_patents``), re-indexes them in the vector, keyword and catalog
components and saves the bundle (atomic folder swap); searches keep running meanwhile
(they take the bundle's read lock; the update takes the write lock per batch).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from graph.base import GraphStore
from patentnav.errors import IndexNotBuilt, PatentnavError
from search_api.context import AppContext

log = logging.getLogger(__name__)

#: seconds a replaced read-only store stays open for requests already using it
RETIRE_AFTER_S = 30.0


class StoreReadOnly(PatentnavError):
    """The graph store was opened read-only and cannot be upgraded here."""

    status_code = 409
    code = "store_read_only"


_upgrade_lock = threading.Lock()


def _retire(store: GraphStore, after: float) -> None:
    def close() -> None:
        try:
            store.close()
        except PatentnavError as exc:
            log.warning("closing the retired read-only store: %s", exc)

    timer = threading.Timer(after, close)
    timer.daemon = True
    timer.start()


def _upgrade(context: AppContext) -> GraphStore:
    """Open the embedded graph read-write and make it the context's store."""
    from graph.embedded import EmbeddedStore

    settings = context.settings
    with _upgrade_lock:
        current = context.store
        if current is not None and not getattr(current, "read_only", False):
            return current
        rw = EmbeddedStore.open(settings.graph_path, batch_size=settings.batch_size,
                                buffer_pool_mb=settings.embedded_buffer_pool_mb)
        rw.init_schema()
        context.store = rw
        context.store_error = None
        reset = getattr(context, "reset_services", None)
        if callable(reset):  # cached services holding the old store
            reset()
        if current is not None:
            _retire(current, RETIRE_AFTER_S)
        log.info("graph store %s reopened read-write for ingest jobs", settings.graph_path)
        return rw


@contextlib.contextmanager
def writable_store(context: AppContext) -> Iterator[GraphStore]:
    """The context's store, upgraded to read-write if needed (see module doc)."""
    store = context.store
    if store is not None and not getattr(store, "read_only", False):
        yield store
        return
    if context.settings.graph_backend == "embedded" and context.owns_store:
        yield _upgrade(context)
        return
    if store is None:
        yield context.require_store()  # raises BackendUnavailable with the reason
        return
    raise StoreReadOnly("the graph store of this application is read-only; ingest with "
                        "`patentnav ingest files` while the API is stopped")


def index_updater(context: AppContext):
    """``(store, ids) -> dict``: re-index ``ids`` in the context's index bundle and save it;
    ``{"skipped": ...}`` when no index has been built."""

    def update(store: GraphStore, ids: list[str]) -> dict[str, Any]:
        try:
            bundle = context.get_bundle()
        except IndexNotBuilt as exc:
            return {"skipped": f"no search index: {exc}"}
        encoder = context.get_encoder()
        t = time.perf_counter()
        counts = bundle.update_patents(store, ids, encoder)
        t_update = time.perf_counter() - t
        t = time.perf_counter()
        bundle.save()
        return {**counts, "indexed": len(bundle), "update_s": round(t_update, 3),
                "save_s": round(time.perf_counter() - t, 3)}

    return update
