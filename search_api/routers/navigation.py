"""``/v1/navigation/landscape``: technology landscapes (专利导航 · 技术全景).

Thin over :class:`analytics.navigation.NavigationService`. ``GET`` takes flat query
parameters, ``POST`` the same as a JSON body (filters nested under ``filters``).
``group_by=<key>`` answers only that distribution, OpenAlex-style; ``format=csv|xlsx``
downloads the tables (CSV: UTF-8 with BOM; several tables come as a ZIP unless
``table=`` names one).

This module also holds the pieces the ``orgs`` and ``chains`` routers share: the
export reply, the optional searcher, the filter model.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analytics.export import Table, render
from analytics.navigation import (
    GROUP_BY,
    SECTIONS,
    LandscapeOptions,
    NavFilters,
    NavigationService,
    Topic,
)
from patentnav.errors import EncoderUnavailable, IndexNotBuilt
from search_api.deps import ContextDep, FormatQuery, TableQuery
from search_api.errors import as_request_error
from search_api.models.common import COMMON_RESPONSES, ErrorResponse, FacetBucket
from search_api.models.search import HolderKind, PatentKind, PatentStatus, split_csv

log = logging.getLogger(__name__)

router = APIRouter(prefix="/navigation", tags=["navigation"])

GroupByKey = Literal[tuple(GROUP_BY)]  # type: ignore[valid-type]
SectionName = Literal[SECTIONS]  # type: ignore[valid-type]

RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    200: {"content": {
        "text/csv": {}, "application/zip": {},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        "description": "JSON, or the tables as CSV / ZIP of CSV / XLSX with `format=`."},
    503: {"model": ErrorResponse,
          "description": "A text topic without the search index (`index_not_built`)."},
}


# -- shared helpers ----------------------------------------------------------------------------
def optional_searcher(context: Any) -> Any:
    """The hybrid searcher, or None when the indexes are not built / the encoder cannot be
    loaded (landscapes then skip text topics and clusters, and say so)."""
    try:
        return context.get_searcher()
    except (IndexNotBuilt, EncoderUnavailable) as exc:
        log.info("navigation without the search index: %s", exc)
        return None


def export_reply(tables: list[Table], fmt: str, basename: str, table: str | None) -> Response:
    """Tables as a file download."""
    out = render(tables, fmt, basename=basename, table=table)
    disposition = f"attachment; filename*=UTF-8''{quote(out.filename)}"
    return Response(out.content, media_type=out.media_type,
                    headers={"Content-Disposition": disposition})


class NavFiltersModel(BaseModel):
    """Filters (same meaning as for `/v1/search`); values of one filter are OR-ed."""

    model_config = ConfigDict(extra="forbid")

    year_from: int | None = Field(default=None, ge=1900, le=2100, description="Application year ≥.")
    year_to: int | None = Field(default=None, ge=1900, le=2100, description="Application year ≤.")
    grant_year_from: int | None = Field(default=None, ge=1900, le=2100, description="Grant year ≥.")
    grant_year_to: int | None = Field(default=None, ge=1900, le=2100, description="Grant year ≤.")
    kind: list[PatentKind] = Field(default_factory=list, description="Patent kinds.")
    status: list[PatentStatus] = Field(default_factory=list, description="Legal statuses.")
    holder_kind: list[HolderKind] = Field(default_factory=list, description="Kind of any applicant.")
    region: list[str] = Field(default_factory=list, description=(
        "6-digit region codes of the patent's / applicants' regions: 500000 = all of "
        "Chongqing, 500100 = a prefecture, 500106 = one district."))

    @field_validator("kind", "status", "holder_kind", "region", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_csv(value)

    def to_filters(self) -> NavFilters:
        return NavFilters(year_from=self.year_from, year_to=self.year_to,
                          grant_year_from=self.grant_year_from, grant_year_to=self.grant_year_to,
                          kind=tuple(self.kind), status=tuple(self.status),
                          holder_kind=tuple(self.holder_kind), region=tuple(self.region))


FILTER_FIELDS = set(NavFiltersModel.model_fields)


# -- request / response models -----------------------------------------------------------------
class LandscapeRequest(BaseModel):
    """A landscape: a topic (q / ipc / sei / chain / chain_node; several intersect),
    filters and options."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"q": "锂电池", "filters": {"year_from": 2015}, "limit": 10},
        {"ipc": ["H01M"], "filters": {"region": ["500000"]}, "sections": ["trend", "holders"]},
    ]})

    q: str | None = Field(default=None, max_length=1000, description="Free-text topic (hybrid search).")
    ipc: list[str] = Field(default_factory=list, description="IPC prefixes (H01M, H01M4, H01M4/36).")
    sei: str | None = Field(default=None, description="Strategic emerging industry code (1, 4.1).")
    chain: str | None = Field(default=None, description="Industry chain id (cq-icnev).")
    chain_node: str | None = Field(default=None, description="Chain node id (cq-icnev/battery).")
    filters: NavFiltersModel = Field(default_factory=NavFiltersModel)
    max_patents: int = Field(default=1000, ge=1, le=10_000,
                             description="Cap on a text topic's patents (best-ranked first).")
    min_relative_score: float = Field(default=0.1, ge=0, le=1, description=(
        "Text topic score floor: keep hits whose fused score is at least this fraction of the best."))
    limit: int = Field(default=20, ge=1, le=500, description="Rows of each top-N table.")
    clusters: bool = Field(default=True, description="Compute sub-topic clusters (needs the index).")
    n_clusters: int | None = Field(default=None, ge=2, le=30, description="k of k-means (default auto).")
    sections: list[SectionName] | None = Field(default=None, description="Only these sections.")
    group_by: GroupByKey | None = Field(default=None, description="Answer only this distribution.")

    @field_validator("ipc", "sections", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_csv(value)

    def topic(self) -> Topic:
        return Topic(q=self.q, ipc=tuple(self.ipc), sei=self.sei, chain=self.chain,
                     chain_node=self.chain_node)

    def options(self) -> LandscapeOptions:
        sections = tuple(self.sections) if self.sections else None
        if self.group_by is not None:
            sections = (GROUP_BY[self.group_by],)
        return LandscapeOptions(max_patents=self.max_patents, min_relative_score=self.min_relative_score,
                                limit=self.limit, clusters=self.clusters, n_clusters=self.n_clusters,
                                sections=sections)


class Share(BaseModel):
    patents: int
    share: float | None = None


class Coverage(BaseModel):
    patents: int = Field(description="Patents in the landscape.")
    fields: dict[str, Share] = Field(description=(
        "How many carry each field: app_year, ipc, ipc_group, applicant, region, abstract, status, cited."))


class TrendRow(BaseModel):
    year: int
    applications: int = Field(description="Applications filed that year (app_year).")
    grants: int = Field(description="Patents granted that year (grant_year).")
    applications_cq: int
    applications_other: int
    applications_unknown_region: int


class HolderRow(BaseModel):
    rank: int
    id: str = Field(description="Normalised organisation id.")
    name: str | None = None
    kind: str | None = None
    kind_zh: str | None = None
    is_chongqing: bool | None = None
    region_code: str | None = None
    patents: int
    share: float | None = None


class SplitRow(BaseModel):
    key: str
    name: str
    patents: int
    share: float | None = None


class IpcRow(BaseModel):
    code: str
    title: str | None = None
    title_zh: str | None = None
    patents: int
    share: float | None = None


class RegionRow(BaseModel):
    code: str = Field(description="District code in Chongqing, province code elsewhere, '' unknown.")
    name: str
    level: str
    is_chongqing: bool | None = None
    patents: int
    share: float | None = None


class InventorRow(BaseModel):
    id: str
    name: str | None = None
    org_id: str | None = None
    patents: int


class CitedRow(BaseModel):
    id: str
    pub_no: str | None = None
    title: str | None = None
    app_year: int | None = None
    kind: str | None = None
    cited_count: int


class Keyword(BaseModel):
    term: str
    score: float


class Example(BaseModel):
    id: str
    title: str | None = None


class ClusterRow(BaseModel):
    cluster: int
    label: str
    patents: int
    share: float | None = None
    keywords: list[Keyword]
    chongqing: int
    mean_app_year: float | None = None
    examples: list[Example]


class RegionBlock(BaseModel):
    patents: int
    inventions: int
    invention_share: float | None = None
    valid: int
    valid_share: float | None = Field(default=None, description="Valid share of patents with a known status.")
    status_known: int
    grants: int
    cited_total: int | None = None
    cited_mean: float | None = None
    first_year: int | None = None
    last_year: int | None = None
    trend: list[dict[str, int]]


class CqComparison(BaseModel):
    available: bool
    reason: str | None = None
    chongqing: RegionBlock
    elsewhere: RegionBlock
    unknown_region: int
    share_chongqing: float | None = None


class LandscapeResponse(BaseModel):
    topic: dict[str, Any] = Field(description="The topic and how it was resolved to patents.")
    filters: dict[str, Any]
    patents: int
    coverage: Coverage
    trend: list[TrendRow] | None = None
    holders: list[HolderRow] | None = None
    holder_kinds: list[SplitRow] | None = None
    ipc_subclasses: list[IpcRow] | None = None
    ipc_groups: list[IpcRow] | None = None
    regions: list[RegionRow] | None = None
    status: list[SplitRow] | None = None
    kinds: list[SplitRow] | None = None
    inventors: list[InventorRow] | None = None
    clusters: list[ClusterRow] | None = None
    top_cited: list[CitedRow] | None = None
    cq_comparison: CqComparison | None = None
    notes: list[str] = Field(description="Which sections describe a subset, or are empty for lack of data.")
    unavailable: list[str] = Field(description="Sections left empty because no patent carries their field.")
    meta: dict[str, Any]


class GroupByResponse(BaseModel):
    meta: dict[str, Any]
    group_by: list[FacetBucket]


def landscape_reply(service: NavigationService, req: LandscapeRequest, fmt: str,
                    table: str | None) -> Any:
    result = service.landscape(req.topic(), req.filters.to_filters(), req.options())
    if req.group_by is not None:
        buckets = result.group_by(req.group_by)
        body = {"meta": {"count": result.patents, "group_by": req.group_by, "groups": len(buckets),
                         "topic": result.topic, "filters": result.filters, "notes": result.notes,
                         "took_ms": result.meta.get("took_ms")},
                "group_by": buckets}
        if fmt != "json":
            t = Table(req.group_by, req.group_by, [("key", "代码"), ("key_display_name", "名称"),
                                                  ("count", "专利数")], buckets)
            return export_reply([t], fmt, f"landscape-{req.group_by}", None)
        return GroupByResponse(**body)
    if fmt != "json":
        return export_reply(result.tables(), fmt, "landscape", table)
    return result.to_dict()


def get_navigation_service(context: ContextDep) -> NavigationService:
    return NavigationService(context.require_store(), optional_searcher(context),
                             engine=context.settings.nav_engine)


# -- routes ---------------------------------------------------------------------------------------
@router.get("/landscape", response_model=LandscapeResponse | GroupByResponse,
            response_model_exclude_none=False, responses=RESPONSES,
            summary="Technology landscape (query parameters) · 技术全景")
def landscape_get(
    context: ContextDep,
    q: Annotated[str | None, Query(max_length=1000, description="Free-text topic.",
                                   examples=["锂电池"])] = None,
    ipc: Annotated[list[str] | None, Query(description="IPC prefixes, comma-separated or repeated.")] = None,
    sei: Annotated[str | None, Query(description="SEI category code (1, 4.1).")] = None,
    chain: Annotated[str | None, Query(description="Industry chain id.")] = None,
    chain_node: Annotated[str | None, Query(description="Chain node id.")] = None,
    year_from: Annotated[int | None, Query(description="Application year ≥.")] = None,
    year_to: Annotated[int | None, Query(description="Application year ≤.")] = None,
    grant_year_from: Annotated[int | None, Query(description="Grant year ≥.")] = None,
    grant_year_to: Annotated[int | None, Query(description="Grant year ≤.")] = None,
    kind: Annotated[list[str] | None, Query(description="invention, utility_model, design.")] = None,
    status: Annotated[list[str] | None, Query(description="valid, pending, invalid, unknown.")] = None,
    holder_kind: Annotated[list[str] | None, Query(
        description="university, institute, enterprise, government, individual, other.")] = None,
    region: Annotated[list[str] | None, Query(description="6-digit region codes (500000).")] = None,
    max_patents: Annotated[int, Query(description="Cap on a text topic's patents.")] = 1000,
    min_relative_score: Annotated[float, Query(description="Text-topic score floor (fraction of best).")] = 0.1,
    limit: Annotated[int, Query(description="Rows of each top-N table.")] = 20,
    clusters: Annotated[bool, Query(description="Compute sub-topic clusters.")] = True,
    n_clusters: Annotated[int | None, Query(description="k of k-means (default auto).")] = None,
    sections: Annotated[list[str] | None, Query(description=f"Only these sections: {', '.join(SECTIONS)}.")] = None,
    group_by: Annotated[str | None, Query(description=f"One distribution only: {', '.join(GROUP_BY)}.")] = None,
    format: FormatQuery = "json",
    table: TableQuery = None,
) -> Any:
    """Landscape of a topic: yearly trend, holders, holder kinds, IPC distribution,
    regions, legal status, inventors, sub-topic clusters, most-cited patents and
    Chongqing vs elsewhere, with a `coverage` block and `notes` on missing data.

    Example: `/v1/navigation/landscape?ipc=H01M&region=500000&limit=10`.
    """
    raw = dict(q=q, ipc=ipc, sei=sei, chain=chain, chain_node=chain_node, max_patents=max_patents,
               min_relative_score=min_relative_score, limit=limit, clusters=clusters,
               n_clusters=n_clusters, sections=sections, group_by=group_by)
    filt = dict(year_from=year_from, year_to=year_to, grant_year_from=grant_year_from,
                grant_year_to=grant_year_to, kind=kind, status=status, holder_kind=holder_kind,
                region=region)
    try:
        req = LandscapeRequest(**{k: v for k, v in raw.items() if v is not None},
                               filters={k: v for k, v in filt.items() if v is not None})
    except ValidationError as exc:
        raise as_request_error(exc) from None
    return landscape_reply(get_navigation_service(context), req, format, table)


@router.post("/landscape", response_model=LandscapeResponse | GroupByResponse, responses=RESPONSES,
             summary="Technology landscape (JSON body) · 技术全景")
def landscape_post(
    context: ContextDep,
    request: Annotated[LandscapeRequest, Body(openapi_examples={
        "text": {"summary": "Free-text topic · 文本主题", "value": {"q": "锂电池", "limit": 10}},
        "ipc": {"summary": "IPC topic in Chongqing · 重庆 H01M",
                "value": {"ipc": ["H01M"], "filters": {"region": ["500000"]}}},
        "group_by": {"summary": "One distribution · 单一分布",
                     "value": {"sei": "4", "group_by": "ipc_subclass"}},
    })],
    format: FormatQuery = "json",
    table: TableQuery = None,
) -> Any:
    """The same landscape with a JSON body (filters nested under `filters`)."""
    return landscape_reply(get_navigation_service(context), request, format, table)


__all__ = ["NavFiltersModel", "export_reply", "optional_searcher", "router"]
