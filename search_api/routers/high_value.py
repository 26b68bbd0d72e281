"""``/v1/high-value``: high-value invention patents (高价值发明专利) with criteria and evidence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from analytics.highvalue import (
    high_value_detail,
    list_high_value,
    pledge_candidates,
    pledge_table,
    recompute_high_value,
)
from search_api.deps import SettingsDep, StoreDep
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.models.matching import (
    Criterion,
    ExportFormat,
    HighValueDetail,
    HighValueList,
    HvState,
    PledgeCandidates,
    RecomputeResult,
)
from search_api.models.search import HolderKind
from search_api.routers.navigation import export_reply

router = APIRouter(prefix="/high-value", tags=["high-value"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown patent number."},
}


@router.get("/patents", response_model=HighValueList, responses=RESPONSES,
            summary="High-value invention patents · 高价值发明专利列表")
def patents(
    store: StoreDep,
    state: Annotated[HvState, Query(description=(
        "true = high-value, false = not, unknown = undecidable for lack of data, any."))] = "true",
    criterion: Annotated[Criterion | None, Query(description="Only patents meeting it.")] = None,
    unknown: Annotated[Criterion | None, Query(
        description="Only patents for which this criterion is unknown.")] = None,
    holder_kind: Annotated[HolderKind | None, Query(description="Kind of holder.")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 50,
) -> dict[str, Any]:
    """Invention patents by high-value state (as last computed), paged by id."""
    return list_high_value(store, state=state, criterion=criterion, unknown_criterion=unknown,
                           holder_kind=holder_kind, offset=offset, limit=limit)


@router.get("/patents/{number}", response_model=HighValueDetail, responses=RESPONSES,
            summary="Criteria and evidence of one patent · 高价值判定依据")
def patent(
    store: StoreDep,
    number: Annotated[str, Path(max_length=64,
                                description="Application, publication or grant number.")],
) -> dict[str, Any]:
    """Which of the five CNIPA criteria hold, which are unknown, and why."""
    return high_value_detail(store, number)


@router.post("/recompute", response_model=RecomputeResult, responses={
    **RESPONSES, 409: {"model": ErrorResponse, "description": "The store is read-only."}},
    summary="Recompute the high-value flags · 重新计算")
def recompute(store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Decide the criteria for every patent and store the flags (batched writes)."""
    return recompute_high_value(store, settings, progress=False).as_dict()


@router.get("/pledge-candidates", response_model=PledgeCandidates, responses=RESPONSES,
            summary="Pledge-financing candidates · 质押融资候选专利")
def pledge(
    store: StoreDep,
    include_sei_unknown: Annotated[bool, Query(description=(
        "Also patents whose high-value state is unknown but that are in an SEI category."))] = True,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$",
                                        description="6-digit region code (500000).")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10000, description="Page size.")] = 100,
    format: Annotated[ExportFormat, Query(description="json, or csv / xlsx for banks.")] = "json",
) -> Any:
    """High-value (or hv-unknown but SEI) invention patents held by enterprises."""
    result = pledge_candidates(store, limit=limit, offset=offset,
                               include_sei_unknown=include_sei_unknown, region=region)
    if format == "json":
        return result
    return export_reply([pledge_table(result)], format, "pledge_candidates", None)
