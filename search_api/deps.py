"""``Annotated`` dependencies for route handlers.

Handlers declare what they need::

    @router.get("/things")
    def things(store: StoreDep, settings: SettingsDep) -> ...

``ContextDep`` is the :class:`search_api.context.AppContext` of the application;
``StoreDep`` its graph store (503 if it could not be opened); ``SearchDep`` the
hybrid searcher (503 ``index_not_built`` when the indexes are missing);
``EncoderDep`` the query encoder; ``SearchServiceDep`` / ``PatentServiceDep`` /
``SimilarServiceDep`` / ``ClassifyServiceDep`` the service-layer objects (cheap, built
per request over the long-lived store / searcher / encoder).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from analytics.classify import ClassifyService
from analytics.patents import PatentService
from analytics.search import SearchService
from embeddings.encoder import Encoder
from embeddings.hybrid import HybridSearcher
from graph.base import GraphStore
from patentnav.errors import ConfigError
from patentnav.settings import Settings
from search_api.context import AppContext
from search_api.models.common import ExportFormat


def get_context(request: Request) -> AppContext:
    context = getattr(request.app.state, "context", None)
    if context is None:
        raise ConfigError("application context is not initialised (lifespan did not run)")
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings_dep(context: ContextDep) -> Settings:
    return context.settings


def get_store(context: ContextDep) -> GraphStore:
    return context.require_store()


def get_searcher(context: ContextDep) -> HybridSearcher:
    return context.get_searcher()


def get_encoder(context: ContextDep) -> Encoder:
    return context.get_encoder()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
SearchDep = Annotated[HybridSearcher, Depends(get_searcher)]
EncoderDep = Annotated[Encoder, Depends(get_encoder)]


def get_search_service(context: ContextDep) -> SearchService:
    return SearchService(
        context.require_store(), context.get_searcher(), encoder=context.get_encoder()
    )


def get_patent_service(context: ContextDep) -> PatentService:
    """Lookup only: works without the search indexes."""
    return PatentService(context.require_store())


def get_similar_service(context: ContextDep) -> PatentService:
    return PatentService(
        context.require_store(), searcher=context.get_searcher(), encoder=context.get_encoder()
    )


def get_classify_service(context: ContextDep) -> ClassifyService:
    return ClassifyService(context.require_store(), context.get_searcher())


SearchServiceDep = Annotated[SearchService, Depends(get_search_service)]
PatentServiceDep = Annotated[PatentService, Depends(get_patent_service)]
SimilarServiceDep = Annotated[PatentService, Depends(get_similar_service)]
ClassifyServiceDep = Annotated[ClassifyService, Depends(get_classify_service)]


#: ``format`` / ``table`` query parameters of the endpoints that export tables
FormatQuery = Annotated[ExportFormat, Query(description="json | csv | xlsx.")]
TableQuery = Annotated[str | None, Query(description="With csv/xlsx: only this table.")]
