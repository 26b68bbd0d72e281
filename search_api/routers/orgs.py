"""``/v1/orgs``: organisation profiles, competitors and comparisons (机构画像与竞争格局).

Thin over :class:`analytics.competitors.OrgService`. A name resolves through the
normalised id and the recorded aliases (``重庆大学(本部)`` -> ``重庆大学``); an unknown
name answers 404 with suggestions in ``error.detail.suggestions``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from analytics.competitors import OrgService
from analytics.navigation import LandscapeOptions
from search_api.deps import ContextDep, FormatQuery, TableQuery
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.models.search import split_csv
from search_api.routers.navigation import (
    CitedRow,
    ClusterRow,
    Coverage,
    InventorRow,
    IpcRow,
    RegionRow,
    SplitRow,
    TrendRow,
    export_reply,
    optional_searcher,
)

router = APIRouter(prefix="/orgs", tags=["orgs"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown organisation (with suggestions)."},
    200: {"content": {"text/csv": {}, "application/zip": {},
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
          "description": "JSON, or the tables as CSV / ZIP / XLSX with `format=`."},
}

NamePath = Annotated[str, Path(min_length=1, max_length=200, description=(
    "Organisation name, normalised id or alias (重庆大学, 重庆大学(本部))."), examples=["重庆大学"])]


class OrgInfo(BaseModel):
    id: str = Field(description="Normalised organisation id.")
    name: str
    kind: str | None = None
    kind_zh: str | None = None
    is_chongqing: bool | None = None
    region_code: str | None = None
    aliases: list[str] | None = None
    qualifications: list[str] | None = None


class PartnerRow(BaseModel):
    id: str
    name: str
    kind: str | None = None
    kind_zh: str | None = None
    is_chongqing: bool | None = None
    region_code: str | None = None
    patents: int = Field(description="Patents applied for together.")


class CitationOrg(BaseModel):
    org_id: str | None = None
    org_name: str
    citations: int
    patents: int


class CitationSide(BaseModel):
    links: int
    by_org: list[CitationOrg]


class Citations(BaseModel):
    given: CitationSide
    received: CitationSide
    cited_count_known: int = Field(description="Patents carrying a cited_count.")


class OrgProfileResponse(BaseModel):
    org: OrgInfo
    patents: int = Field(description="Patents the organisation applied for (APPLIED_BY).")
    coverage: Coverage
    trend: list[TrendRow] | None = None
    kinds: list[SplitRow] | None = None
    status: list[SplitRow] | None = None
    ipc_subclasses: list[IpcRow] | None = None
    ipc_groups: list[IpcRow] | None = None
    regions: list[RegionRow] | None = None
    inventors: list[InventorRow] | None = None
    clusters: list[ClusterRow] | None = None
    top_cited: list[CitedRow] | None = None
    unavailable: list[str]
    partners: list[PartnerRow]
    citations: Citations
    notes: list[str]
    meta: dict[str, Any]


class SharedCode(BaseModel):
    code: str
    focal: int = Field(description="The organisation's patents with this code.")
    candidate: int = Field(description="The competitor's patents with this code.")
    title: str | None = None
    title_zh: str | None = None


class CompetitorRow(BaseModel):
    rank: int
    id: str
    name: str
    kind: str | None = None
    kind_zh: str | None = None
    is_chongqing: bool | None = None
    region_code: str | None = None
    patents: int | None = None
    score: float = Field(description="w_ipc * ipc_cosine + w_emb * centroid_cosine.")
    ipc_cosine: float | None = None
    centroid_cosine: float | None = None
    co_applied: int
    shared_codes: list[SharedCode]
    explanation: str
    found_by: list[str]


class CompetitorsResponse(BaseModel):
    org: OrgInfo
    patents: int
    level: str
    basis: list[str] = Field(description="Similarities used: ipc and/or embedding.")
    weights: dict[str, float]
    competitors: list[CompetitorRow]
    notes: list[str]
    meta: dict[str, Any]


class CompareOrg(BaseModel):
    id: str
    name: str
    kind: str | None = None
    kind_zh: str | None = None
    is_chongqing: bool | None = None
    region_code: str | None = None
    patents: int
    inventions: int
    utility_models: int
    designs: int
    kind_unknown: int
    valid: int
    status_known: int
    valid_share: float | None = None
    grants: int
    cited_total: int | None = None
    cited_known: int
    cites_given: int
    cites_received: int
    first_year: int | None = None
    last_year: int | None = None
    dated: int
    with_ipc: bool
    trend: list[dict[str, int]]
    ipc_top: list[IpcRow]


class Similarity(BaseModel):
    a: str
    b: str
    cosine: float | None = None


class CompareResponse(BaseModel):
    orgs: list[CompareOrg]
    years: list[int]
    ipc_similarity: list[Similarity]
    notes: list[str]
    meta: dict[str, Any]


def get_org_service(context: ContextDep) -> OrgService:
    return OrgService(context.require_store(), optional_searcher(context),
                      engine=context.settings.nav_engine)


@router.get("/compare", response_model=CompareResponse, responses=RESPONSES,
            summary="Compare organisations head to head · 机构对比")
def compare(
    context: ContextDep,
    names: Annotated[list[str], Query(description="2-10 organisation names, comma-separated or repeated.",
                                      examples=["重庆大学,重庆邮电大学"])],
    format: FormatQuery = "json",
    table: TableQuery = None,
) -> Any:
    """Counts by kind, valid share, grants, trend, IPC mix and pairwise IPC similarity,
    citations given / received."""
    result = get_org_service(context).compare(split_csv(names))
    if format != "json":
        return export_reply(result.tables(), format, "compare", table)
    return result.to_dict()


@router.get("/{name}", response_model=OrgProfileResponse, responses=RESPONSES,
            summary="Organisation technology profile · 机构技术画像")
def profile(
    context: ContextDep,
    name: NamePath,
    limit: Annotated[int, Query(ge=1, le=500, description="Rows of each top-N table.")] = 20,
    clusters: Annotated[bool, Query(description="Compute topic clusters (needs the index).")] = True,
    partners: Annotated[int, Query(ge=0, le=500, description="Co-applicants listed.")] = 20,
    format: FormatQuery = "json",
    table: TableQuery = None,
) -> Any:
    """IPC mix, topic clusters, trend, partners (co-applicants) and citations of the
    patents an organisation applied for."""
    from analytics.competitors import PROFILE_SECTIONS

    opts = LandscapeOptions(limit=limit, clusters=clusters, sections=PROFILE_SECTIONS)
    result = get_org_service(context).profile(name, opts, partners=partners)
    if format != "json":
        return export_reply(result.tables(), format, f"org-{result.org['id']}", table)
    return result.to_dict()


@router.get("/{name}/competitors", response_model=CompetitorsResponse, responses=RESPONSES,
            summary="Competitors by technology overlap · 竞争对手")
def competitors(
    context: ContextDep,
    name: NamePath,
    limit: Annotated[int, Query(ge=1, le=200, description="Competitors returned.")] = 20,
    level: Annotated[Literal["subclass", "main_group"], Query(
        description="IPC level of the count vectors.")] = "subclass",
    w_ipc: Annotated[float, Query(ge=0, le=1, description="Weight of the IPC cosine.")] = 0.5,
    w_emb: Annotated[float, Query(ge=0, le=1, description="Weight of the centroid cosine.")] = 0.5,
    format: FormatQuery = "json",
    table: TableQuery = None,
) -> Any:
    """Organisations ranked by technology overlap (IPC-count cosine and embedding-centroid
    cosine), each with the shared IPC codes and similarities that explain it."""
    result = get_org_service(context).competitors(name, limit=limit, level=level, w_ipc=w_ipc, w_emb=w_emb)
    if format != "json":
        return export_reply(result.tables(), format, f"competitors-{result.org['id']}", table)
    return result.to_dict()
