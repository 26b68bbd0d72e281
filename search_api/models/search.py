"""Search request and response models (``GET``/``POST /v1/search``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from embeddings.models import FACET_FIELDS
from search_api.models.common import FacetBucket, OrgRef

SearchMode = Literal["hybrid", "keyword", "semantic"]
PatentKind = Literal["invention", "utility_model", "design", "unknown"]
PatentStatus = Literal["valid", "pending", "invalid", "unknown"]
HolderKind = Literal["university", "institute", "enterprise", "government", "individual", "other"]

#: facets a search can group its matches by (names of ``embeddings.models.FACET_FIELDS``)
FACETS: tuple[str, ...] = tuple(FACET_FIELDS)
#: short names accepted for some facets
FACET_ALIASES: dict[str, str] = {
    "ipc": "ipc_subclass", "hv": "high_value", "year": "app_year", "section": "ipc_section",
}

#: fields a hit can carry (``fields=`` selects among them; ``id`` is always returned)
HIT_FIELDS: tuple[str, ...] = (
    "id", "app_no", "pub_no", "grant_no", "title", "abstract", "kind", "status",
    "legal_status_raw", "app_date", "pub_date", "grant_date", "app_year",
    "ipc_main", "ipc_subclasses", "applicants", "region_code", "hv", "hv_criteria",
    "score", "scores", "highlight", "best_sentence",
)
DEFAULT_HIT_FIELDS: tuple[str, ...] = (
    "id", "app_no", "pub_no", "title", "kind", "status", "app_date", "pub_date",
    "ipc_main", "ipc_subclasses", "applicants", "hv", "score", "scores", "highlight",
    "best_sentence",
)

_IPC_PREFIX = re.compile(r"^[A-H](\d{2}([A-Z](\d{1,4}(/\d{1,6})?)?)?)?$")
_REGION = re.compile(r"^\d{6}$")
_SEI = re.compile(r"^\d{1,2}(\.\d{1,3}){0,2}$")
_CHAIN = re.compile(r"^[\w.:\-]{1,64}$")


def normalise_ipc_prefix(value: str) -> str:
    """``h01m 4/36`` -> ``H01M4/36``; raises ``ValueError`` if it is not an IPC prefix."""
    text = re.sub(r"\s+", "", value).upper()
    # 14-char WIPO form A01B0001020000 is not accepted: users type display forms
    if not _IPC_PREFIX.match(text):
        raise ValueError(
            f"{value!r} is not an IPC prefix (expected e.g. H, H01, H01M, H01M4, H01M4/36)"
        )
    return text


def split_csv(value: Any) -> Any:
    """Accept ``a,b`` as well as repeated parameters / JSON lists."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        for item in value:
            if isinstance(item, str):
                out.extend(part.strip() for part in item.split(",") if part.strip())
            else:
                out.append(item)
        return out
    return value


class SearchFilters(BaseModel):
    """Filters; values of one filter are OR-ed, different filters are AND-ed."""

    model_config = ConfigDict(extra="forbid")

    ipc: list[str] = Field(default_factory=list, description="IPC prefixes (H01M, H01M4/36...).")
    kind: list[PatentKind] = Field(default_factory=list, description="Patent kinds.")
    status: list[PatentStatus] = Field(default_factory=list, description="Legal status.")
    holder_kind: list[HolderKind] = Field(
        default_factory=list, description="Kind of applicant/holder (university, enterprise...)."
    )
    region: list[str] = Field(
        default_factory=list,
        description=(
            "6-digit administrative codes of the applicants' regions; 500000 = all of "
            "Chongqing, 500100 = a prefecture, 500106 = one district."
        ),
    )
    sei: list[str] = Field(
        default_factory=list, description="Strategic emerging industry codes (1, 1.2...)."
    )
    chain: list[str] = Field(default_factory=list, description="Industry chain ids.")
    chain_node: list[str] = Field(default_factory=list, description="Chain node (segment) ids.")
    hv: bool | None = Field(
        default=None,
        description="true = high-value invention patents only, false = the others "
        "(patents whose high-value flag is unknown match neither).",
    )
    open_licence: bool | None = Field(default=None, description="Open-licence (开放许可) flag.")
    year_from: int | None = Field(default=None, ge=1985, le=2100, description="Application year ≥.")
    year_to: int | None = Field(default=None, ge=1985, le=2100, description="Application year ≤.")
    date_from: date | None = Field(default=None, description="Application date ≥ (YYYY-MM-DD).")
    date_to: date | None = Field(default=None, description="Application date ≤ (YYYY-MM-DD).")
    grant_year_from: int | None = Field(default=None, ge=1985, le=2100, description="Grant year ≥.")
    grant_year_to: int | None = Field(default=None, ge=1985, le=2100, description="Grant year ≤.")

    @field_validator("ipc", "kind", "status", "holder_kind", "region", "sei", "chain",
                     "chain_node", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_csv(value)

    @field_validator("ipc")
    @classmethod
    def _ipc(cls, value: list[str]) -> list[str]:
        return [normalise_ipc_prefix(v) for v in value]

    @field_validator("region")
    @classmethod
    def _region(cls, value: list[str]) -> list[str]:
        for v in value:
            if not _REGION.match(v):
                raise ValueError(f"{v!r} is not a 6-digit region code (e.g. 500000, 500106)")
        return value

    @field_validator("sei")
    @classmethod
    def _sei(cls, value: list[str]) -> list[str]:
        for v in value:
            if not _SEI.match(v):
                raise ValueError(f"{v!r} is not an SEI category code (e.g. 1, 1.2, 7.1)")
        return value

    @field_validator("chain", "chain_node")
    @classmethod
    def _chain(cls, value: list[str]) -> list[str]:
        for v in value:
            if not _CHAIN.match(v):
                raise ValueError(f"{v!r} is not a chain id")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> "SearchFilters":
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError("year_from is after year_to")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        if self.grant_year_from and self.grant_year_to and self.grant_year_from > self.grant_year_to:
            raise ValueError("grant_year_from is after grant_year_to")
        return self


class SearchRequest(BaseModel):
    """A search: free text plus filters, facets, field selection and a page."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "q": "锂电池正极材料",
                    "mode": "hybrid",
                    "filters": {"ipc": ["H01M"], "kind": ["invention"], "year_from": 2015},
                    "facets": ["ipc_subclass", "kind", "app_year"],
                    "fields": ["title", "applicants", "highlight", "best_sentence"],
                    "limit": 10,
                }
            ]
        },
    )

    q: str = Field(
        default="",
        max_length=1000,
        description="Query text, Chinese or English (空查询 = 仅按过滤条件浏览).",
    )
    mode: SearchMode = Field(
        default="hybrid",
        description="hybrid = BM25 + vectors fused; keyword = BM25 only; semantic = vectors only.",
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)
    facets: list[str] = Field(
        default_factory=list, description=f"Facets to count: {', '.join(FACETS)}."
    )
    fields: list[str] | None = Field(
        default=None, description=f"Hit fields to return (default: a summary). One of {HIT_FIELDS}."
    )
    limit: int = Field(default=10, ge=1, le=100, description="Hits per page (1..100).")
    cursor: str | None = Field(
        default=None, max_length=512, description="`meta.next_cursor` of the previous page."
    )

    @field_validator("q")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("facets", "fields", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_csv(value)

    @field_validator("facets")
    @classmethod
    def _facets(cls, value: list[str]) -> list[str]:
        value = [FACET_ALIASES.get(f, f) for f in value]
        unknown = [f for f in value if f not in FACETS]
        if unknown:
            raise ValueError(f"unknown facet(s) {unknown}; choose from {list(FACETS)}")
        return list(dict.fromkeys(value))

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [f for f in value if f not in HIT_FIELDS]
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; choose from {list(HIT_FIELDS)}")
        return list(dict.fromkeys(["id", *value]))

    @model_validator(mode="after")
    def _needs_something(self) -> "SearchRequest":
        if self.mode == "semantic" and not self.q:
            raise ValueError("semantic search needs a query text q")
        return self


class BestSentence(BaseModel):
    """The sentence of the abstract / claim that best explains the match."""

    field: Literal["title", "abstract", "claim1"]
    text: str
    highlighted: str = Field(description="The sentence with matched terms in <em>…</em>.")
    score: float = Field(description="Matched-term weight, or cosine with the query vector.")
    method: Literal["terms", "vector"]


class Highlight(BaseModel):
    """Title and abstract with the matched query terms wrapped in <em>…</em> (HTML-escaped)."""

    title: str | None = None
    abstract: str | None = None
    matched_terms: list[str] = Field(default_factory=list)


class HitScores(BaseModel):
    keyword: float | None = Field(default=None, description="BM25 score (raw).")
    semantic: float | None = Field(default=None, description="Cosine similarity.")
    keyword_rank: int | None = None
    semantic_rank: int | None = None


class SearchHit(BaseModel):
    """One matching patent (only the selected fields are present)."""

    id: str
    app_no: str | None = None
    pub_no: str | None = None
    grant_no: str | None = None
    title: str | None = None
    abstract: str | None = None
    kind: str | None = None
    status: str | None = None
    legal_status_raw: str | None = None
    app_date: date | None = None
    pub_date: date | None = None
    grant_date: date | None = None
    app_year: int | None = None
    ipc_main: str | None = None
    ipc_subclasses: list[str] | None = None
    applicants: list[OrgRef] | None = None
    region_code: str | None = None
    hv: bool | None = None
    hv_criteria: list[str] | None = None
    score: float | None = Field(default=None, description="Fused relevance score.")
    scores: HitScores | None = None
    highlight: Highlight | None = None
    best_sentence: BestSentence | None = None


class SearchMeta(BaseModel):
    q: str
    mode: SearchMode
    count: int = Field(description="Number of matching patents (within the candidate window).")
    limit: int
    offset: int
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")
    took_ms: float
    encoder: str | None = None
    query_terms: list[str] = Field(default_factory=list, description="Query terms (jieba).")


class SearchResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "meta": {
                        "q": "锂电池", "mode": "hybrid", "count": 57, "limit": 2, "offset": 0,
                        "next_cursor": "eyJvIjoyLCJoIjoiOWYxYzJhIn0", "took_ms": 21.4,
                        "encoder": "wordllama", "query_terms": ["锂电池", "电池"],
                    },
                    "results": [
                        {
                            "id": "CN113036229A", "pub_no": "CN113036229A",
                            "title": "一种锂电池的回收方法",
                            "ipc_subclasses": ["H01M"], "score": 0.0325,
                            "highlight": {"title": "一种<em>锂电池</em>的回收方法",
                                          "matched_terms": ["锂电池"]},
                            "best_sentence": {
                                "field": "abstract", "text": "本发明公开了一种锂电池的回收方法",
                                "highlighted": "本发明公开了一种<em>锂电池</em>的回收方法",
                                "score": 3.0, "method": "terms",
                            },
                        }
                    ],
                    "group_by": {"ipc_subclass": [{"key": "H01M", "key_display_name": "电池", "count": 41}]},
                }
            ]
        }
    )

    meta: SearchMeta
    results: list[SearchHit]
    group_by: dict[str, list[FacetBucket]] = Field(
        default_factory=dict, description="Facet counts over all matches, per requested facet."
    )
