"""Models of the matching, high-value, indicator and ranking endpoints (matching engineer).

Explanations are nested JSON objects whose shape is documented on each field; the
top-level fields are typed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from search_api.models.common import ExportFormat  # noqa: F401  (re-exported)
from search_api.models.search import (
    HolderKind,
    PatentKind,
    PatentStatus,
    SearchMode,
    normalise_ipc_prefix,
)

REGION_PATTERN = r"^\d{6}$"
CHAIN_PATTERN = r"^[\w.:/\-]{1,64}$"

Criterion = Literal["sei", "overseas_family", "maintained_10y", "pledge", "award"]
HvState = Literal["true", "false", "unknown", "any"]
GroupBy = Literal["holder_kind", "qualification", "district", "chain", "chain_node", "sei",
                  "sei_l1"]
RankBy = Literal["patents", "hv"]
CountKind = Literal["invention", "utility_model", "design", "unknown", "any"]


# ----------------------------------------------------------------------------------------
# demand -> patents
# ----------------------------------------------------------------------------------------
class DemandMatchRequest(BaseModel):
    """A free-text technology demand (技术需求) and the filters of the match."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "text": "防爆锂离子电池的研发：国内锂离子电池产品存在安全隐患问题，需提高电池防爆安全性能。",
            "k": 10,
        }]},
    )

    text: str = Field(min_length=1, max_length=20_000, description="Demand text (需求描述).")
    k: int = Field(default=10, ge=1, le=200, description="Number of patents to return.")
    holder_kinds: list[HolderKind] = Field(
        default_factory=lambda: ["university", "institute"],
        description="Kinds of current holder admitted (default: universities and institutes; "
        "empty list = any).")
    statuses: list[PatentStatus] | None = Field(
        default=None, description="Legal statuses admitted; default settings.match_statuses "
        "(valid + unknown: most real records carry no legal status).")
    kinds: list[PatentKind] = Field(default_factory=list,
                                    description="Patent kinds (empty = any).")
    exclude_transferred: bool = Field(default=True,
                                      description="Leave out patents already transferred.")
    open_licence_only: bool = Field(default=False,
                                    description="Only open-licence (开放许可) patents.")
    regions: list[str] = Field(default_factory=list,
                               description="6-digit region codes of the applicants.")
    chains: list[str] = Field(default_factory=list, description="Industry chain ids.")
    ipc: list[str] = Field(default_factory=list, description="IPC prefixes.")
    mode: SearchMode = Field(default="hybrid", description="hybrid | keyword | semantic")
    classify: bool = Field(default=True, description="Explain with the IPC/SEI/chain labels "
                           "the demand text classifies to.")

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if not re.match(REGION_PATTERN, x)]
        if bad:
            raise ValueError(f"regions must be 6-digit codes, not {bad[:3]}")
        return v

    @field_validator("chains")
    @classmethod
    def _chains(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if not re.match(CHAIN_PATTERN, x)]
        if bad:
            raise ValueError(f"malformed chain ids {bad[:3]}")
        return v

    @field_validator("ipc")
    @classmethod
    def _ipc(cls, v: list[str]) -> list[str]:
        return [normalise_ipc_prefix(x) for x in v]


class MatchedPatent(BaseModel):
    model_config = ConfigDict(extra="allow")

    rank: int
    id: str
    app_no: str | None = None
    pub_no: str | None = None
    title: str | None = None
    kind: str | None = None
    status: str = Field(description="valid | pending | invalid | unknown")
    status_note: str | None = Field(default=None,
                                    description="Set when the source gives no legal status.")
    app_date: date | None = None
    holders: list[dict[str, Any]] = Field(default_factory=list,
                                          description="Current holders (else applicants).")
    ipc_subclasses: list[str] = Field(default_factory=list)
    sei: list[str] = Field(default_factory=list)
    chain_nodes: list[dict[str, Any]] = Field(default_factory=list)
    hv: bool | None = None
    hv_criteria: list[str] = Field(default_factory=list)
    open_licence: bool | None = None
    transfer_count: int | None = None
    score: float
    scores: dict[str, Any] = Field(default_factory=dict,
                                   description="Keyword/semantic ranks and scores.")
    why: dict[str, Any] = Field(description=(
        "shared_terms (demand terms in the patent), highlight {title, abstract, matched_terms}, "
        "best_sentence {field, text, highlighted, score, method}, ipc_overlap / sei_overlap / "
        "chain_overlap (labels the demand classifies to that the patent carries), summary."))


class DemandMatchResponse(BaseModel):
    demand: dict[str, Any] = Field(description="id, title, content, org_name, source.")
    query: dict[str, Any] = Field(description="Query text used, its terms, mode and filters.")
    classification: dict[str, Any] | None = Field(
        default=None, description="ipc / sei / chain_node suggestions for the demand text.")
    candidates: int = Field(description="Size of the search's candidate set.")
    skipped: dict[str, int] = Field(description="Candidates left out, by reason.")
    results: list[MatchedPatent]
    took_ms: float


class DemandList(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


# ----------------------------------------------------------------------------------------
# patent / org -> companies
# ----------------------------------------------------------------------------------------
class CompanyMatch(BaseModel):
    model_config = ConfigDict(extra="allow")

    rank: int
    id: str
    name: str | None = None
    region_code: str | None = None
    is_chongqing: bool | None = None
    qualifications: list[str] = Field(default_factory=list)
    patents_held: int = 0
    score: float
    why: str = Field(description="Short summary of the strongest factors.")
    factors: dict[str, Any] = Field(description=(
        "text / ipc / chain / region / qualifications: each {value 0..1, weight, "
        "contribution, detail...}."))


class PatentCompaniesResponse(BaseModel):
    patent: dict[str, Any]
    weights: dict[str, float]
    candidates: int
    results: list[CompanyMatch]
    took_ms: float


class OrgCompaniesResponse(BaseModel):
    org: dict[str, Any]
    patents_considered: int
    statuses: list[str] = Field(default_factory=list)
    weights: dict[str, float]
    results: list[CompanyMatch] = Field(description="Each with `patents`: the organisation's "
                                        "patents behind the suggestion and their scores.")
    took_ms: float


# ----------------------------------------------------------------------------------------
# high value
# ----------------------------------------------------------------------------------------
class CriterionDetail(BaseModel):
    holds: bool | None = Field(description="true = holds, false = no, null = unknown (no data).")
    reason: str
    evidence: Any = None


class HighValueDetail(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "CN201010000001.1", "kind": "invention", "status": "valid", "hv": True,
        "hv_criteria": ["sei", "maintained_10y"], "hv_unknown": ["overseas_family", "pledge"],
        "computed": True,
        "evidence": {"scope": "valid invention patent",
                     "sei": {"holds": True, "reason": "classified in 5.2", "evidence": [
                         {"code": "5.2", "name": "新能源汽车装置、配件制造", "rules": ["3"]}]}},
    }]})

    id: str
    app_no: str | None = None
    pub_no: str | None = None
    title: str | None = None
    kind: str | None = None
    status: str | None = None
    app_date: date | None = None
    hv: bool | None
    hv_criteria: list[str]
    hv_unknown: list[str]
    computed: bool = Field(description="False until `patentnav match recompute-hv` has run.")
    evidence: dict[str, Any] | None = Field(
        default=None, description="scope + one CriterionDetail per criterion.")


class HighValueList(BaseModel):
    total: int
    offset: int
    limit: int
    next_offset: int | None
    items: list[dict[str, Any]]


class RecomputeResult(BaseModel):
    patents: int
    evaluated: int
    written: int = Field(description="Patents whose stored flags changed (only those are written).")
    hv_true: int
    hv_false: int
    hv_null: int
    criteria_holding: dict[str, int]
    criteria_unknown: dict[str, int]
    scope: dict[str, int]
    seconds: float
    as_of: str | None


class PledgeCandidates(BaseModel):
    offset: int
    limit: int
    include_sei_unknown: bool
    region: str | None
    next_offset: int | None
    items: list[dict[str, Any]]


# ----------------------------------------------------------------------------------------
# indicators and rankings
# ----------------------------------------------------------------------------------------
class IndicatorGroup(BaseModel):
    model_config = ConfigDict(extra="allow")

    key: str | None
    name: str | None = None
    patents: int = Field(description="Distinct patents (valid invention patents by default).")
    hv: int = Field(description="Of which high-value.")
    hv_unknown: int = Field(description="Of which high-value state unknown.")
    ratios: dict[str, Any] | None = Field(
        default=None, description="per_10k_population / per_100m_rd / per_100m_gdp "
        "(districts with a denominators row).")


class IndicatorsResponse(BaseModel):
    group_by: str
    kind: str
    statuses: list[str]
    region: str | None
    total: dict[str, int]
    total_ratios: dict[str, Any] | None = None
    denominators_source: str | None = None
    groups: list[IndicatorGroup]


class RankingResponse(BaseModel):
    by: str
    kind: str
    statuses: list[str]
    region: str | None = None
    holder_kind: str | None = None
    items: list[dict[str, Any]] = Field(description="rank, id, name, patents, hv, hv_unknown ...")
