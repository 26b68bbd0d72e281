"""Patent detail, similar-patent and classification models."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from search_api.models.common import OrgRef
from search_api.models.search import BestSentence, Highlight, SearchMode


class IpcRef(BaseModel):
    id: str = Field(description="IPC symbol, display form (H01M4/36).")
    title: str | None = None
    main: bool | None = Field(default=None, description="The main classification.")


class NamedRef(BaseModel):
    """A node of the neighbourhood (SEI category, chain node, inventor, award...)."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str | None = None


class PatentRef(BaseModel):
    """A patent mentioned by another (citation, family...)."""

    model_config = ConfigDict(extra="allow")

    id: str
    title: str | None = None
    pub_no: str | None = None
    app_no: str | None = None


class PatentDetail(BaseModel):
    """A patent record with its graph neighbourhood (申请人、权利人、发明人、分类、产业链…)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "CN202223220665.2",
                    "app_no": "CN202223220665.2",
                    "pub_no": "CN218751475U",
                    "kind": "utility_model",
                    "title": "一种无人机机载多功能盒",
                    "app_date": "2022-12-02",
                    "status": "valid",
                    "ipc_main": "B64D47/00",
                    "applicants": [{"id": "中科大数据研究院", "name": "中科大数据研究院",
                                    "kind": "institute"}],
                    "ipc": [{"id": "B64D47/00", "title": None, "main": True}],
                    "neighbourhood": {"inventors": [{"id": "刘迪|中科大数据研究院", "name": "刘迪"}]},
                }
            ]
        }
    )

    id: str
    app_no: str | None = None
    pub_no: str | None = None
    grant_no: str | None = None
    kind: str | None = None
    title: str | None = None
    abstract: str | None = None
    claim1: str | None = None
    app_date: date | None = None
    pub_date: date | None = None
    grant_date: date | None = None
    expiry_date: date | None = None
    app_year: int | None = None
    grant_year: int | None = None
    legal_status_raw: str | None = None
    status: str | None = None
    claim_count: int | None = None
    family_ids: list[str] | None = None
    family_size: int | None = None
    overseas_family: bool | None = None
    cites_count: int | None = None
    cited_count: int | None = None
    transfer_count: int | None = None
    licence_count: int | None = None
    pledge_count: int | None = None
    open_licence: bool | None = None
    ipc_main: str | None = None
    ipc_codes: list[str] | None = None
    ipc_subclasses: list[str] | None = None
    cpc_codes: list[str] | None = None
    province_code: str | None = None
    region_code: str | None = None
    sources: list[str] | None = None
    hv: bool | None = None
    hv_criteria: list[str] | None = None
    hv_unknown: list[str] | None = None
    hv_evidence: dict[str, Any] | None = None
    applicants: list[OrgRef] = Field(default_factory=list)
    holders: list[OrgRef] = Field(default_factory=list)
    ipc: list[IpcRef] = Field(default_factory=list)
    neighbourhood: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="Other neighbours by relationship: inventors, sei, chain_nodes, cites, "
        "cited_by, events, awards.",
    )

    @field_validator("hv_evidence", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        if isinstance(value, str):
            import json

            try:
                parsed = json.loads(value)
            except ValueError:
                return {"raw": value}
            return parsed if isinstance(parsed, dict) else {"value": parsed}
        return value


class SimilarHit(BaseModel):
    id: str
    app_no: str | None = None
    pub_no: str | None = None
    title: str | None = None
    kind: str | None = None
    app_date: date | None = None
    ipc_subclasses: list[str] | None = None
    applicants: list[OrgRef] | None = None
    similarity: float = Field(description="Cosine similarity of the two patents' vectors.")
    shared_terms: list[str] = Field(
        default_factory=list, description="Terms of the source title/abstract found in this one."
    )
    highlight: Highlight | None = None
    best_sentence: BestSentence | None = None


class SimilarResponse(BaseModel):
    source: PatentRef
    results: list[SimilarHit]


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "一种锂离子电池正极材料及其制备方法，提高电池的能量密度与循环寿命。",
                    "k": 20,
                    "top": 5,
                }
            ]
        },
    )

    text: str = Field(min_length=2, max_length=20_000,
                      description="Title, abstract or claim text to classify (待分类文本).")
    k: int = Field(default=25, ge=1, le=200, description="Neighbours that vote.")
    top: int = Field(default=5, ge=1, le=50, description="Suggestions per scheme.")
    mode: SearchMode = Field(default="hybrid", description="How neighbours are found.")

    @field_validator("text")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 2:
            raise ValueError("text is empty")
        return value


class Neighbour(BaseModel):
    id: str
    title: str | None = None
    pub_no: str | None = None
    weight: float = Field(description="Vote weight (relative similarity, 0..1).")
    ipc_subclasses: list[str] = Field(default_factory=list)


class Suggestion(BaseModel):
    code: str = Field(description="IPC subclass, SEI code or chain node id.")
    name: str | None = Field(default=None, description="Title / name (中文 where known).")
    score: float = Field(description="Share of the labelled neighbours' vote weight (0..1).")
    votes: int = Field(description="Neighbours carrying this label.")
    support: list[str] = Field(description="Ids of the strongest supporting neighbours.")


class SchemeSuggestions(BaseModel):
    scheme: Literal["ipc", "sei", "chain_node"]
    labelled_neighbours: int = Field(description="Neighbours with at least one label here.")
    suggestions: list[Suggestion]


class ClassifyResponse(BaseModel):
    ipc: SchemeSuggestions
    sei: SchemeSuggestions
    chain_node: SchemeSuggestions
    neighbours: list[Neighbour]
    took_ms: float
