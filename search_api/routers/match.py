"""``/v1/match``: technology demand ↔ patents ↔ companies (供需匹配), every result explained."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from analytics.matching import CompanyOptions, DemandOptions, MatchingService
from patentnav.errors import InvalidInput
from search_api.deps import ContextDep
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.models.matching import (
    CHAIN_PATTERN,
    REGION_PATTERN,
    DemandList,
    DemandMatchRequest,
    DemandMatchResponse,
    OrgCompaniesResponse,
    PatentCompaniesResponse,
)
from search_api.models.search import HolderKind, PatentStatus

router = APIRouter(prefix="/match", tags=["match"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown demand, patent or organisation."},
    503: {"model": ErrorResponse, "description": "Indexes not built (`index_not_built`)."},
}


def get_matching_service(context: ContextDep) -> MatchingService:
    """A matching service over the context's store, searcher and encoder (cheap: built
    per request, holds no state of its own)."""
    return MatchingService(context.require_store(), context.get_searcher(), context.settings,
                           encoder=context.get_encoder())


MatchingDep = Annotated[MatchingService, Depends(get_matching_service)]

_K = Query(ge=1, le=200, description="Number of results.")


def _demand_options(req: DemandMatchRequest) -> DemandOptions:
    return DemandOptions(
        k=req.k, holder_kinds=tuple(req.holder_kinds),
        statuses=tuple(req.statuses) if req.statuses is not None else None,
        kinds=tuple(req.kinds), exclude_transferred=req.exclude_transferred,
        open_licence_only=req.open_licence_only, regions=tuple(req.regions),
        chains=tuple(req.chains), ipc=tuple(req.ipc), mode=req.mode, classify=req.classify,
    )


@router.post("/demand", response_model=DemandMatchResponse, responses=RESPONSES,
             summary="Patents for a free-text demand · 需求匹配专利")
def match_demand_text(service: MatchingDep, req: DemandMatchRequest) -> dict[str, Any]:
    """Rank patents (default: held by universities and institutes, not yet transferred,
    legal status valid or unknown) for a technology demand, each with why it matched."""
    return service.match_demand(req.text, options=_demand_options(req))


def _check(region: list[str] | None, chain: list[str] | None) -> None:
    for value, pattern, what in [*((r, REGION_PATTERN, "region") for r in region or ()),
                                 *((c, CHAIN_PATTERN, "chain") for c in chain or ())]:
        if not re.match(pattern, value):
            raise InvalidInput(f"malformed {what} {value!r}")


_REGIONS = Query(description="Only patents whose applicants are in these 6-digit regions.")
_CHAINS = Query(description="Only patents in these industry chains (ids).")


def stored_demand_options(
    k: Annotated[int, _K] = 10,
    holder_kind: Annotated[list[HolderKind] | None, Query(
        description="Holder kinds admitted (default university, institute).")] = None,
    status: Annotated[list[PatentStatus] | None, Query(
        description="Statuses admitted (default settings.match_statuses).")] = None,
    include_transferred: Annotated[bool, Query(
        description="Also return patents already transferred.")] = False,
    open_licence: Annotated[bool, Query(description="Only open-licence patents.")] = False,
    region: Annotated[list[str] | None, _REGIONS] = None,
    chain: Annotated[list[str] | None, _CHAINS] = None,
) -> DemandOptions:
    """The query parameters shared by both stored-demand endpoints, as DemandOptions."""
    _check(region, chain)
    return DemandOptions(
        k=k, holder_kinds=tuple(holder_kind) if holder_kind is not None
        else DemandOptions().holder_kinds,
        statuses=tuple(status) if status else None,
        exclude_transferred=not include_transferred, open_licence_only=open_licence,
        regions=tuple(region or ()), chains=tuple(chain or ()),
    )


StoredDemandOptions = Annotated[DemandOptions, Depends(stored_demand_options)]


@router.get("/demand", response_model=DemandMatchResponse, responses=RESPONSES,
            summary="Patents for a stored demand · 按需求编号匹配")
def match_demand_get(
    service: MatchingDep,
    demand_id: Annotated[str, Query(min_length=1, max_length=200, description="TechDemand id.")],
    options: StoredDemandOptions,
) -> dict[str, Any]:
    """Same as ``POST /v1/match/demand`` for a stored technology demand."""
    return service.match_demand(demand_id=demand_id, options=options)


@router.get("/demands", response_model=DemandList, responses=RESPONSES,
            summary="Stored technology demands · 技术需求列表")
def list_demands(
    service: MatchingDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 50,
) -> dict[str, Any]:
    """The stored technology demands (id, title, content, organisation), by id."""
    return service.list_demands(offset=offset, limit=limit)


@router.get("/demands/{demand_id}", response_model=DemandMatchResponse, responses=RESPONSES,
            summary="Patents for a stored demand · 需求匹配专利")
def match_demand_path(
    service: MatchingDep,
    demand_id: Annotated[str, Path(max_length=200, description="TechDemand id.")],
    options: StoredDemandOptions,
) -> dict[str, Any]:
    """Ranked, explained patents for one of the stored demands."""
    return service.match_demand(demand_id=demand_id, options=options)


@router.get("/patent/{number}", response_model=PatentCompaniesResponse, responses=RESPONSES,
            summary="Companies for a patent · 专利匹配企业")
def match_patent(
    service: MatchingDep,
    number: Annotated[str, Path(max_length=64,
                                description="Application, publication or grant number.")],
    k: Annotated[int, _K] = 10,
    region: Annotated[list[str] | None, Query(
        description="Only companies' patents in these 6-digit regions.")] = None,
    chain: Annotated[list[str] | None, Query(description="Only chains (ids).")] = None,
) -> dict[str, Any]:
    """Enterprises whose own patents resemble this patent (text centroid, IPC mix), in the
    same chains, in Chongqing, with qualifications -- each factor explained."""
    _check(region, chain)
    opts = CompanyOptions(k=k, regions=tuple(region or ()), chains=tuple(chain or ()))
    return service.match_patent(number, options=opts)


@router.get("/org/{name}", response_model=OrgCompaniesResponse, responses=RESPONSES,
            summary="Companies for an organisation · 高校/院所匹配企业")
def match_org(
    service: MatchingDep,
    name: Annotated[str, Path(max_length=200, description="Organisation name (e.g. 重庆大学).")],
    k: Annotated[int, _K] = 10,
    max_patents: Annotated[int, Query(ge=1, le=500, description=(
        "The organisation's patents considered (high-value first, then newest)."))] = 30,
    include_transferred: Annotated[bool, Query(
        description="Also use patents already transferred.")] = False,
    region: Annotated[list[str] | None, Query(
        description="Only companies' patents in these 6-digit regions.")] = None,
    chain: Annotated[list[str] | None, Query(description="Only chains (ids).")] = None,
) -> dict[str, Any]:
    """Companies to approach for an organisation, with the patents behind each suggestion."""
    _check(region, chain)
    opts = CompanyOptions(k=k, max_patents=max_patents, regions=tuple(region or ()),
                          chains=tuple(chain or ()))
    return service.match_org(name, options=opts, exclude_transferred=not include_transferred)
