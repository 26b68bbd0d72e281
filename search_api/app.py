"""The FastAPI application: :func:`create_app`.

Nothing is opened at import time. The lifespan opens the graph store
(``graph.factory.create_store``; the embedded store read-only)
unless an :class:`~search_api.context.AppContext` is injected; the encoder and the
search indexes load in a background warm-up thread (or on first use, whichever comes
first), so the graph endpoints serve at once and a missing index only disables search. Capability routers are mounted under ``/v1`` from
:data:`ROUTER_MODULES` (a module that does not exist yet is skipped).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from patentnav import __version__ as PATENTNAV_VERSION
from patentnav.errors import PatentnavError
from patentnav.settings import Settings, get_settings
from search_api.context import AppContext
from search_api.errors import install_error_handlers
from search_api.models.common import ErrorResponse

log = logging.getLogger(__name__)

API_PREFIX = "/v1"

#: router modules under ``search_api.routers``, mounted in this order when present
ROUTER_MODULES: tuple[str, ...] = (
    "search",
    "patents",
    "classify",
    # navigation engineer
    "navigation",
    "orgs",
    "chains",
    # matching engineer
    "match",
    "high_value",
    "indicators",
    "rankings",
    # hardening engineer
    "jobs",
)

DESCRIPTION = """
**patentnav** — 重庆知识产权运营中心的专利知识图谱与专利导航检索服务。
Knowledge-graph and patent-navigation search service of the Chongqing IP operations centre.

* **中文混合检索 / Chinese hybrid search**: BM25 over jieba terms fused with vector
  similarity (reciprocal-rank fusion), filters (IPC, kind, legal status, holder kind,
  region, strategic emerging industries, industry chains, high-value flag, dates),
  facet counts (`group_by`), highlighted matches and the best-matching sentence.
* **专利详情 / patent records** by application or publication number, with their graph
  neighbourhood, and similar patents.
* **分类建议 / classification**: IPC subclasses, strategic-emerging-industry categories
  and industry-chain segments suggested for a free text by nearest-neighbour vote.
* Patent navigation, competitor landscapes, industry chains, university–company matching
  and high-value invention patents (高价值发明专利) where those modules are installed.

All errors share one body: `{"error": {"code", "message", "detail"}}`.
Search endpoints answer **503 `index_not_built`** until `patentnav index build` has run.
"""

OPENAPI_TAGS: list[dict[str, Any]] = [
    {"name": "search", "description": "中文混合检索 · Hybrid keyword + semantic patent search."},
    {"name": "patents", "description": "专利详情与相似专利 · Patent records and similar patents."},
    {"name": "classify", "description": "分类建议 · IPC / SEI / chain suggestions for a text."},
    {"name": "navigation", "description": "专利导航 · Patent navigation (landscapes, trends)."},
    {"name": "orgs", "description": "机构与竞争格局 · Organisations and competitors."},
    {"name": "chains", "description": "重点产业链 · Key industry chains."},
    {"name": "match", "description": "高校专利与企业需求匹配 · University patents ↔ companies."},
    {"name": "high-value", "description": "高价值发明专利 · High-value invention patents."},
    {"name": "indicators", "description": "指标 · Patent indicators."},
    {"name": "rankings", "description": "排行 · Rankings."},
    {"name": "ingest", "description": "数据导入任务 · Upload and ingest patent exports (write key)."},
    {"name": "system", "description": "运行状态 · Liveness and readiness."},
]


def _open_context(settings: Settings) -> AppContext:
    """Open the store named by the settings; a backend that cannot be opened leaves the
    API up (``/health`` live, ``/ready`` and graph endpoints 503) with the reason kept."""
    from graph.factory import create_store

    context = AppContext(settings=settings, owns_store=True)
    try:
        context.store = _create_store_read_only(settings, create_store)
    except PatentnavError as exc:
        log.error("graph store unavailable: %s", exc)
        context.store_error = f"{exc.code}: {exc}"
    return context


def _create_store_read_only(settings: Settings, create_store: Any) -> Any:
    """The embedded store opened read-only (the API never writes, and a read-only open
    does not lock a concurrent CLI out of reading); other backends via ``create_store``."""
    if settings.graph_backend == "embedded":
        from graph.embedded import EmbeddedStore

        return EmbeddedStore.open(
            settings.graph_path,
            batch_size=settings.batch_size,
            buffer_pool_mb=settings.embedded_buffer_pool_mb,
            read_only=True,
        )
    return create_store(settings)


def include_routers(
    app: FastAPI, modules: tuple[str, ...] = ROUTER_MODULES
) -> tuple[list[str], dict[str, str]]:
    """Mount ``search_api.routers.<name>.router`` for each module that exists.

    Returns (mounted module names, {module: error} for modules that exist but import a
    module that does not). Such a router is left out, logged as an error and reported
    by ``/ready`` (not ready), so one capability's missing piece does not take the whole
    API down. Any other import error propagates.
    """
    mounted: list[str] = []
    failed: dict[str, str] = {}
    for name in modules:
        module_name = f"search_api.routers.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                log.debug("router module %s not present; skipped", module_name)
                continue
            log.error("router %s not mounted: %s", module_name, exc)
            failed[name] = f"ModuleNotFoundError: {exc}"
            continue
        app.include_router(module.router, prefix=API_PREFIX)
        mounted.append(name)
    return mounted, failed


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> FastAPI:
    """Build the application.

    ``context`` (tests, embedding) is used as is and not closed at shutdown; otherwise
    the lifespan opens one from ``settings`` (default: :func:`get_settings`) and closes it.
    """
    if context is not None and settings is not None and context.settings is not settings:
        log.debug("create_app: settings ignored, the injected context carries its own")
    effective = context.settings if context is not None else settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            app.state.context = context
            yield
            return
        opened = _open_context(effective)
        app.state.context = opened
        threading.Thread(target=opened.warm_up, name="patentnav-warm-up", daemon=True).start()
        try:
            yield
        finally:
            opened.close()

    app = FastAPI(
        title="patentnav API · 专利导航检索服务",
        version=PATENTNAV_VERSION,
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        responses={500: {"model": ErrorResponse, "description": "Internal error"}},
    )
    install_error_handlers(app)
    from search_api.middleware import install_middleware  # keys, rate limits, request ids, CORS

    install_middleware(app, effective)
    _add_system_routes(app)
    app.state.routers, app.state.router_errors = include_routers(app)
    return app


def _add_system_routes(app: FastAPI) -> None:
    from search_api.routers.system import router as system_router
    from search_api.routers.ui import router as ui_router  # browser UI: / -> /ui/

    app.include_router(system_router)
    app.include_router(ui_router)
