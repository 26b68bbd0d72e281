"""``/v1/chains``: key industry chains, their map and gap analysis (重点产业链图谱与技术短板).

Thin over :class:`analytics.chains.ChainService` (definitions of the shares, growth
windows and the 技术短板 score are in that module's documentation).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from analytics.chains import ChainOptions, ChainService
from search_api.deps import ContextDep, FormatQuery, TableQuery
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.routers.navigation import export_reply

router = APIRouter(prefix="/chains", tags=["chains"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown chain (known ids in error.detail)."},
    200: {"content": {"text/csv": {}, "application/zip": {},
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
          "description": "JSON, or the tables as CSV / ZIP / XLSX with `format=`."},
}

ChainPath = Annotated[str, Path(pattern=r"^[\w.:\-]{1,64}$", description="Chain id.",
                                examples=["cq-icnev"])]


class ChainRow(BaseModel):
    id: str
    name: str
    system: str | None = None
    tier: str | None = None
    complete: bool | None = None
    source: str | None = None
    note: str | None = None
    segments: int
    patents: int = Field(description="Distinct patents placed in the chain's segments.")


class ChainList(BaseModel):
    chains: list[ChainRow]
    meta: dict[str, Any]


class ChainInfo(BaseModel):
    id: str
    name: str
    system: str | None = None
    tier: str | None = None
    complete: bool | None = None
    source: str | None = None
    note: str | None = None


class HolderRef(BaseModel):
    id: str
    name: str
    kind: str | None = None
    kind_zh: str | None = None
    is_chongqing: bool
    region_code: str | None = None
    patents: int


class SegmentStats(BaseModel):
    patents: int
    region_known: int
    local: int = Field(description="Patents whose region is in Chongqing.")
    rest: int
    national_share: float | None = Field(default=None, description="local / region_known.")
    dated: int
    local_recent: int | None = None
    local_earlier: int | None = None
    rest_recent: int | None = None
    rest_earlier: int | None = None
    local_growth: float | None = None
    rest_growth: float | None = None


class Segment(SegmentStats):
    id: str
    name: str
    position: str
    ipc_patterns: list[str]
    keywords: list[str]
    leading_local: list[HolderRef]


class ChainMapResponse(BaseModel):
    chain: ChainInfo
    totals: SegmentStats
    segments: list[Segment]
    windows: dict[str, Any] | None = None
    notes: list[str]
    meta: dict[str, Any]


class GapSegment(BaseModel):
    id: str
    name: str
    position: str
    ipc_patterns: list[str]
    keywords: list[str]
    patents: int
    region_known: int
    local: int
    local_share: float | None = None
    sufficient_data: bool
    rta: float | None = Field(default=None, description="Revealed technological advantage (区位熵).")
    gap_score: float | None = Field(default=None, description="技术短板 score = clip(1 - rta, 0, 1).")
    expected_local: float | None = None
    shortfall: float | None = None
    weak: bool
    candidates: list[HolderRef] = Field(description="Universities / institutes, local first.")


class GapResponse(BaseModel):
    chain: ChainInfo
    baseline: dict[str, Any]
    segments: list[GapSegment]
    weak: list[str]
    definition: dict[str, str]
    notes: list[str]
    meta: dict[str, Any]


def options(window: int, as_of: int | None, holders: int, candidates: int,
            weak_threshold: float, min_patents: int) -> ChainOptions:
    return ChainOptions(window=window, as_of=as_of, holders=holders, candidates=candidates,
                        weak_threshold=weak_threshold, min_patents=min_patents)


Window = Annotated[int, Query(ge=1, le=10, description="Growth window in years.")]
AsOf = Annotated[int | None, Query(ge=1900, le=2100, description="Last year of the recent window "
                                                                 "(default: latest in the chain).")]


@router.get("", response_model=ChainList, responses=RESPONSES, summary="Industry chains · 产业链列表")
def list_chains(context: ContextDep, format: FormatQuery = "json", table: TableQuery = None) -> Any:
    """Every chain of the catalogue with its segment and patent counts."""
    service = ChainService(context.require_store())
    rows = service.list_chains()
    if format != "json":
        return export_reply([service.chains_table(rows)], format, "chains", table)
    return {"chains": rows, "meta": {"count": len(rows)}}


@router.get("/{chain_id}", response_model=ChainMapResponse, responses=RESPONSES,
            summary="Chain map with segments · 产业链图谱")
def chain_map(
    context: ContextDep, chain_id: ChainPath, window: Window = 3, as_of: AsOf = None,
    holders: Annotated[int, Query(ge=0, le=50, description="Leading local holders per segment.")] = 5,
    format: FormatQuery = "json", table: TableQuery = None,
) -> Any:
    """Per segment (upstream / midstream / downstream): patents, Chongqing patents and
    national share, recent-vs-earlier growth locally and elsewhere, leading local holders."""
    result = ChainService(context.require_store()).chain_map(
        chain_id, options(window, as_of, holders, 10, 0.5, 5))
    if format != "json":
        return export_reply(result.tables(), format, f"chain-{chain_id}", table)
    return result.to_dict()


@router.get("/{chain_id}/gaps", response_model=GapResponse, responses=RESPONSES,
            summary="Chain gap analysis · 技术短板分析")
def chain_gaps(
    context: ContextDep, chain_id: ChainPath,
    weak_threshold: Annotated[float, Query(gt=0, le=1, description="rta below which a segment is weak.")] = 0.5,
    min_patents: Annotated[int, Query(ge=1, le=10_000, description=(
        "Segments with fewer region-known patents are not assessed."))] = 5,
    candidates: Annotated[int, Query(ge=0, le=50, description="Candidate institutions per segment.")] = 10,
    format: FormatQuery = "json", table: TableQuery = None,
) -> Any:
    """Segments ranked by 技术短板 score (local share relative to the overall local share),
    weak ones flagged, with universities / institutes (local first) that hold relevant
    patents as candidates to close each gap."""
    result = ChainService(context.require_store()).gaps(
        chain_id, options(3, None, 5, candidates, weak_threshold, min_patents))
    if format != "json":
        return export_reply(result.tables(), format, f"gaps-{chain_id}", table)
    return result.to_dict()
