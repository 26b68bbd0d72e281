"""``/v1/patents/{number}``: patent records and similar patents (专利详情、相似专利)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import ValidationError

from analytics.search import to_filters

from search_api.deps import PatentServiceDep, SimilarServiceDep
from search_api.errors import as_request_error
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.models.patents import PatentDetail, SimilarResponse
from search_api.models.search import PatentKind, SearchFilters

router = APIRouter(prefix="/patents", tags=["patents"])

NUMBER = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Application number (申请号, e.g. CN202223220665.2, 2022232206652, "
        "ZL202223220665.2), publication or grant number (公开/公告号, CN218751475U), or "
        "patent id.",
        examples=["CN202223220665.2"],
    ),
]

NOT_FOUND = {404: {"model": ErrorResponse, "description": "No patent holds this number."}}


@router.get(
    "/{number}",
    response_model=PatentDetail,
    summary="Patent record with its neighbourhood · 专利详情",
    responses={**COMMON_RESPONSES, **NOT_FOUND},
)
def get_patent(number: NUMBER, service: PatentServiceDep) -> dict[str, Any]:
    """The patent with its applicants, holders, IPC codes, inventors, SEI categories,
    industry-chain segments, citations, events and awards."""
    return service.detail(number)


@router.get(
    "/{number}/similar",
    response_model=SimilarResponse,
    summary="Similar patents · 相似专利",
    responses={**COMMON_RESPONSES, **NOT_FOUND,
               503: {"model": ErrorResponse, "description": "Indexes not built."}},
)
def similar_patents(
    number: NUMBER,
    service: SimilarServiceDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Neighbours to return.")] = 10,
    kind: Annotated[list[PatentKind] | None, Query(description="Only these kinds.")] = None,
    ipc: Annotated[list[str] | None, Query(description="Only under these IPC prefixes.")] = None,
) -> dict[str, Any]:
    """Nearest patents by vector similarity (the patent itself excluded), each with the
    terms it shares with the source and its best-matching sentence."""
    try:
        filters = SearchFilters(kind=kind or [], ipc=ipc or [])
    except ValidationError as exc:
        raise as_request_error(exc) from None
    return service.similar(number, limit=limit, filters=to_filters(filters))
