"""``GET``/``POST /v1/search``: Chinese hybrid patent search (中文混合检索)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import ValidationError

from search_api.deps import SearchServiceDep
from search_api.errors import as_request_error
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.models.search import (
    FACETS,
    HIT_FIELDS,
    SearchFilters,
    SearchMode,
    SearchRequest,
    SearchResponse,
)

router = APIRouter(prefix="/search", tags=["search"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    400: {"model": ErrorResponse, "description": "Cursor from another query (游标无效)."},
    503: {"model": ErrorResponse, "description": "Indexes not built (`index_not_built`)."},
}

_FILTER_FIELDS = set(SearchFilters.model_fields)


def _request_from_query(params: dict[str, Any]) -> SearchRequest:
    """Flat query parameters -> :class:`SearchRequest`; validation errors keep the
    parameter names (``("query", "ipc")``)."""
    filters = {k: v for k, v in params.items() if k in _FILTER_FIELDS and v is not None}
    top = {k: v for k, v in params.items() if k not in _FILTER_FIELDS and v is not None}
    try:
        return SearchRequest(**top, filters=filters)
    except ValidationError as exc:
        raise as_request_error(exc) from None


@router.get(
    "",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    summary="Search patents (query parameters) · 专利检索",
    responses=RESPONSES,
)
def search_get(
    service: SearchServiceDep,
    q: Annotated[str, Query(max_length=1000, description="Query text (查询词).",
                            examples=["锂电池正极材料"])] = "",
    mode: Annotated[SearchMode, Query(description="hybrid | keyword | semantic")] = "hybrid",
    ipc: Annotated[list[str] | None, Query(description="IPC prefixes, comma-separated or repeated "
                                            "(H01M, H01M4/36).")] = None,
    kind: Annotated[list[str] | None, Query(description="invention, utility_model, design.")] = None,
    status: Annotated[list[str] | None, Query(description="valid, pending, invalid.")] = None,
    holder_kind: Annotated[list[str] | None, Query(
        description="university, institute, enterprise, government, individual, other.")] = None,
    region: Annotated[list[str] | None, Query(description="6-digit region codes (500000).")] = None,
    sei: Annotated[list[str] | None, Query(description="SEI category codes (1, 1.2).")] = None,
    chain: Annotated[list[str] | None, Query(description="Industry chain ids.")] = None,
    chain_node: Annotated[list[str] | None, Query(description="Chain node ids.")] = None,
    hv: Annotated[bool | None, Query(description="High-value invention patents (高价值).")] = None,
    open_licence: Annotated[bool | None, Query(description="Open-licence flag.")] = None,
    year_from: Annotated[int | None, Query(description="Application year ≥.")] = None,
    year_to: Annotated[int | None, Query(description="Application year ≤.")] = None,
    date_from: Annotated[date | None, Query(description="Application date ≥ (YYYY-MM-DD).")] = None,
    date_to: Annotated[date | None, Query(description="Application date ≤ (YYYY-MM-DD).")] = None,
    grant_year_from: Annotated[int | None, Query(description="Grant year ≥.")] = None,
    grant_year_to: Annotated[int | None, Query(description="Grant year ≤.")] = None,
    facets: Annotated[list[str] | None, Query(
        description=f"Facets to count (comma-separated): {', '.join(FACETS)}; "
        "aliases ipc, hv, year.")] = None,
    fields: Annotated[list[str] | None, Query(
        description=f"Hit fields to return (comma-separated): {', '.join(HIT_FIELDS)}.")] = None,
    limit: Annotated[int, Query(description="Hits per page (1..100).")] = 10,
    cursor: Annotated[str | None, Query(description="`meta.next_cursor` of the previous page.")]
    = None,
) -> dict[str, Any]:
    """Search with query parameters. List parameters accept `a,b` or repeated keys.

    Example: `/v1/search?q=锂电池&ipc=H01M&kind=invention&facets=ipc,app_year&limit=5`.
    """
    params = dict(
        q=q, mode=mode, ipc=ipc, kind=kind, status=status, holder_kind=holder_kind,
        region=region, sei=sei, chain=chain, chain_node=chain_node, hv=hv,
        open_licence=open_licence, year_from=year_from, year_to=year_to, date_from=date_from,
        date_to=date_to, grant_year_from=grant_year_from, grant_year_to=grant_year_to,
        facets=facets, fields=fields, limit=limit, cursor=cursor,
    )
    return service.search(_request_from_query(params))


@router.post(
    "",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    summary="Search patents (JSON body) · 专利检索",
    responses=RESPONSES,
)
def search_post(
    service: SearchServiceDep,
    request: Annotated[SearchRequest, Body(openapi_examples={
        "hybrid": {
            "summary": "Hybrid search with filters and facets · 混合检索",
            "value": {
                "q": "锂电池正极材料",
                "filters": {"ipc": ["H01M"], "year_from": 2015},
                "facets": ["ipc_subclass", "kind", "app_year"],
                "fields": ["title", "applicants", "highlight", "best_sentence"],
                "limit": 5,
            },
        },
        "semantic": {
            "summary": "Semantic search only · 语义检索",
            "value": {"q": "无人机机载数据实时处理", "mode": "semantic", "limit": 5},
        },
        "browse": {
            "summary": "Browse by filters, no text · 仅按条件浏览",
            "value": {"filters": {"kind": ["invention"], "status": ["valid"]},
                      "facets": ["ipc_section"], "limit": 20},
        },
    })],
) -> dict[str, Any]:
    """Search with a JSON body (filters nested under `filters`)."""
    return service.search(request)
