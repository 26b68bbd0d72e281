"""``/v1/rankings``: top-100 holders and inventors (百强榜) by valid / high-value invention patents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from analytics.indicators import rank_holders, rank_inventors, ranking_table
from search_api.deps import FormatQuery, StoreDep
from search_api.models.common import COMMON_RESPONSES
from search_api.models.matching import CountKind, RankBy, RankingResponse
from search_api.models.search import HolderKind, PatentStatus
from search_api.routers.navigation import export_reply

router = APIRouter(prefix="/rankings", tags=["rankings"])

_BY = Query(description="patents = valid invention patents; hv = high-value ones.")
_LIMIT = Query(ge=1, le=10000, description="Length of the list (百强榜 = 100).")
_REGION = Query(pattern=r"^\d{6}$", description="Scope: first applicant's region (500000).")
_STATUS = Query(description="Statuses counted (default valid).")
_KIND = Query(description="Patent kind counted (default invention; any = every kind).")


@router.get("/holders", response_model=RankingResponse, responses=COMMON_RESPONSES,
            summary="Top holders · 专利权人百强榜")
def holders(
    store: StoreDep,
    by: Annotated[RankBy, _BY] = "patents",
    limit: Annotated[int, _LIMIT] = 100,
    region: Annotated[str | None, _REGION] = None,
    holder_kind: Annotated[HolderKind | None, Query(description="Only this kind.")] = None,
    status: Annotated[list[PatentStatus] | None, _STATUS] = None,
    kind: Annotated[CountKind, _KIND] = "invention",
    format: FormatQuery = "json",
) -> Any:
    """Holders (current holder, else applicants) ranked; equal counts share a rank."""
    result = rank_holders(store, by=by, limit=limit, region=region, holder_kind=holder_kind,
                          statuses=status, kind=kind)
    if format == "json":
        return result
    return export_reply([ranking_table(result, "holders")], format, f"top_holders_by_{by}", None)


@router.get("/inventors", response_model=RankingResponse, responses=COMMON_RESPONSES,
            summary="Top inventors · 发明人百强榜")
def inventors(
    store: StoreDep,
    by: Annotated[RankBy, _BY] = "patents",
    limit: Annotated[int, _LIMIT] = 100,
    region: Annotated[str | None, _REGION] = None,
    status: Annotated[list[PatentStatus] | None, _STATUS] = None,
    kind: Annotated[CountKind, _KIND] = "invention",
    format: FormatQuery = "json",
) -> Any:
    """Inventors (a name within an organisation) ranked; equal counts share a rank."""
    result = rank_inventors(store, by=by, limit=limit, region=region, statuses=status,
                            kind=kind)
    if format == "json":
        return result
    return export_reply([ranking_table(result, "inventors")], format, f"top_inventors_by_{by}",
                        None)
