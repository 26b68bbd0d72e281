"""``POST /v1/classify``: IPC / SEI / industry-chain suggestions for a text (分类建议)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from search_api.deps import ClassifyServiceDep
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.models.patents import ClassifyRequest, ClassifyResponse

router = APIRouter(prefix="/classify", tags=["classify"])


@router.post(
    "",
    response_model=ClassifyResponse,
    summary="Suggest IPC subclasses, SEI categories and chain segments · 分类建议",
    responses={**COMMON_RESPONSES,
               503: {"model": ErrorResponse, "description": "Indexes not built."}},
)
def classify(request: ClassifyRequest, service: ClassifyServiceDep) -> dict[str, Any]:
    """Nearest-neighbour vote: the `k` indexed patents closest to the text vote, weighted
    by relevance, for the IPC subclasses, strategic-emerging-industry categories and
    industry-chain segments they carry. Each suggestion lists its supporting patents."""
    return service.classify(request.text, k=request.k, top=request.top, mode=request.mode)
