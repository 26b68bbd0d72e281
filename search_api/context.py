"""What the API serves from: settings, graph store, encoder and search indexes.

One :class:`AppContext` lives for the lifetime of an application (the lifespan of
:func:`search_api.app.create_app` builds it, or a test injects one). The store is
opened up front; the encoder and the index bundle are loaded on first use, so the
graph endpoints work even when the indexes have not been built yet (search endpoints
then answer 503 ``index_not_built``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from patentnav.errors import BackendUnavailable, IndexNotBuilt, PatentnavError
from patentnav.settings import Settings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from embeddings.build import IndexBundle
    from embeddings.encoder import Encoder
    from embeddings.hybrid import HybridSearcher
    from graph.base import GraphStore

log = logging.getLogger(__name__)

INDEX_HINT = "run `patentnav index build` (or `patentnav demo --no-serve`) first"


@dataclass
class AppContext:
    """Everything a request handler may need; passed in, never global.

    ``store`` may be ``None`` when the backend could not be opened at start-up
    (``store_error`` says why); graph endpoints then answer 503.
    ``encoder`` / ``bundle`` / ``searcher`` may be given (tests) or are loaded lazily.
    """

    settings: Settings
    store: GraphStore | None = None
    encoder: Encoder | None = None
    bundle: IndexBundle | None = None
    searcher: HybridSearcher | None = None
    #: close the store when the application stops (True when the lifespan opened it)
    owns_store: bool = False
    store_error: str | None = None
    started_at: float = field(default_factory=time.time)
    # one lock per lazily loaded part, so /ready (bundle only) never waits for the
    # encoder being loaded by the warm-up thread
    _bundle_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _encoder_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _searcher_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- graph ---------------------------------------------------------------------------
    def require_store(self) -> GraphStore:
        if self.store is None:
            raise BackendUnavailable(
                f"graph store is not available: {self.store_error or 'not opened'}"
            )
        return self.store

    # -- encoder -------------------------------------------------------------------------
    def get_encoder(self) -> Encoder:
        """The query encoder (loaded on first use)."""
        with self._encoder_lock:
            if self.encoder is None:
                from embeddings.encoder import create_encoder

                t0 = time.perf_counter()
                self.encoder = create_encoder(self.settings)
                log.info("encoder %s loaded in %.1fs", self.encoder.name,
                         time.perf_counter() - t0)
            return self.encoder

    # -- indexes -------------------------------------------------------------------------
    def get_bundle(self) -> IndexBundle:
        """The index bundle (loaded on first use); raises :class:`IndexNotBuilt`."""
        with self._bundle_lock:
            if self.bundle is None:
                from embeddings.build import IndexBundle

                path = self.settings.index_path
                t0 = time.perf_counter()
                try:
                    self.bundle = IndexBundle.load(self.settings)
                except IndexNotBuilt as exc:
                    err = IndexNotBuilt(f"no search index at {path}; {INDEX_HINT}")
                    err.detail = {"path": str(path), "hint": INDEX_HINT}  # type: ignore[attr-defined]
                    raise err from exc
                log.info("index bundle loaded from %s in %.1fs", path, time.perf_counter() - t0)
            return self.bundle

    def get_searcher(self) -> HybridSearcher:
        """The hybrid searcher over the bundle (built on first use)."""
        with self._searcher_lock:
            if self.searcher is None:
                from embeddings.hybrid import HybridSearcher

                bundle = self.get_bundle()
                self.searcher = HybridSearcher.from_bundle(bundle, self.get_encoder())
            return self.searcher

    def warm_up(self) -> None:
        """Load the encoder and the indexes now (run in a background thread at start-up so
        the first search does not pay for it); a missing index is only logged."""
        try:
            searcher = self.get_searcher()
        except PatentnavError as exc:
            log.warning("search not available yet: %s", exc)
            return
        from embeddings.models import SearchQuery

        t0 = time.perf_counter()
        searcher.search(SearchQuery(text="专利检索", k=1))  # loads the query tokenizer
        log.info("search warmed up in %.1fs", time.perf_counter() - t0)

    def index_status(self) -> dict[str, Any]:
        """Whether the indexes are loaded (loading them if needed), for /ready."""
        try:
            bundle = self.get_bundle()
        except IndexNotBuilt as exc:
            return {"ok": False, "code": exc.code, "message": str(exc), "path": str(self.settings.index_path)}
        describe = getattr(bundle, "describe", None)
        info = describe() if callable(describe) else {}
        return {"ok": True, "path": str(self.settings.index_path), **info}

    def close(self) -> None:
        if self.owns_store and self.store is not None:
            self.store.close()
            self.store = None
