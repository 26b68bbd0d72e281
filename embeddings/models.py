"""Request and result types of the search layer (plain dataclasses, no I/O).

These are the stable contract between :mod:`embeddings.hybrid` and the API: the API
builds its pydantic models to mirror them field for field.

Filter semantics
----------------
* Every field of :class:`Filters` is optional; an empty tuple / ``None`` means "no
  constraint". Fields combine with AND; the values inside one tuple combine with OR.
* ``ipc``: prefixes in display form. ``"H"``, ``"H01"``, ``"H01M"`` match every code
  under that section / class / subclass; a main group without a slash (``"H01M4"``)
  matches ``H01M4/...``; a code with a slash matches by string prefix (``"H01M4/3"``
  matches ``H01M4/36`` and ``H01M4/38``). Case and spaces are ignored.
* ``region``: 6-digit administrative codes of the applicants' regions (any applicant,
  plus the patent's own ``region_code``). A code ending in ``0000`` rolls up a whole
  province (``"500000"`` = all of Chongqing), one ending in ``00`` a prefecture
  (``"500100"`` = Chongqing's urban districts), anything else is exact (a district).
* ``sei``: strategic-emerging-industry codes; ``"1"`` matches ``"1"`` and every
  ``"1.x"`` below it, ``"1.1"`` matches ``"1.1"`` (and ``"1.1.x"``), not ``"1.10"``.
* ``chain`` / ``chain_node``: ``IndustryChain`` / ``ChainNode`` ids (``IN_CHAIN_NODE``).
* ``holder_kind``: ``Organization.kind`` of any applicant (university, enterprise...).
* ``high_value`` / ``open_licence``: ``True`` or ``False`` select on the flag; patents
  whose flag is unknown (null) match neither.
* Date/year bounds are inclusive; a patent without the date never matches a bound.
* ``patent_ids``: restrict the search to these patents (e.g. one organisation's).

Ranking
-------
``hybrid`` fuses the keyword (BM25 over jieba tokens) and semantic (vector) rankings by
weighted reciprocal-rank fusion: ``score = sum_i w_i / (rrf_k + rank_i)`` over the
rankings a patent appears in (ranks are 1-based, among the filtered candidates; each
retriever contributes its top ``candidates``). ``keyword`` ranks by BM25, ``semantic``
by cosine similarity. An empty ``text`` browses the filtered patents, newest
application first.

Paging: each page fetches ``max(candidates, offset + k)`` from each retriever, so a
patent's component ranks never change between pages; in hybrid mode a patent that only
enters one retriever's window on a later page can still move up a little in the fusion.

``total`` is the size of the result set the facets are counted over:
``keyword`` -- filtered patents containing at least one query term;
``semantic`` -- all filtered patents (everything has a similarity);
``hybrid`` -- filtered patents containing a query term, plus the semantic candidates;
empty text -- all filtered patents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from patentnav.errors import InvalidInput

Mode = Literal["hybrid", "keyword", "semantic"]
MODES: tuple[str, ...] = ("hybrid", "keyword", "semantic")

#: Facets a query may ask for (``SearchQuery.facets``), with the type of their values.
FACET_FIELDS: dict[str, str] = {
    "app_year": "int",
    "grant_year": "int",
    "kind": "str",  # invention | utility_model | design | unknown
    "status": "str",  # valid | pending | invalid | unknown
    "ipc_section": "str",  # H
    "ipc_class": "str",  # H01
    "ipc_subclass": "str",  # H01M
    "holder_kind": "str",
    "region": "str",  # 6-digit code as stored
    "province": "str",  # 6-digit province code (500000)
    "sei": "str",
    "chain": "str",
    "chain_node": "str",
    "high_value": "bool|None",  # None counts patents whose flag is unknown
    "open_licence": "bool|None",
}

#: Limits checked by :class:`SearchQuery`.
MAX_K = 1000
MAX_OFFSET = 10_000
MAX_CANDIDATES = 5000

FacetValue = str | int | bool | None


def _tuple(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        items = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidInput(f"filter {name} must be a list of strings") from None
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput(f"filter {name} holds a non-string or empty value: {item!r}")
    return tuple(item.strip() for item in items)


@dataclass(frozen=True)
class Filters:
    """Restrictions on the patents a search may return (see the module doc)."""

    app_date_from: date | None = None
    app_date_to: date | None = None
    app_year_from: int | None = None
    app_year_to: int | None = None
    grant_year_from: int | None = None
    grant_year_to: int | None = None
    ipc: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    holder_kind: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    sei: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    chain_node: tuple[str, ...] = ()
    high_value: bool | None = None
    open_licence: bool | None = None
    patent_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("ipc", "kind", "status", "holder_kind", "region", "sei", "chain",
                     "chain_node"):
            object.__setattr__(self, name, _tuple(getattr(self, name), name))
        if self.patent_ids is not None:
            object.__setattr__(self, "patent_ids", _tuple(self.patent_ids, "patent_ids"))
        object.__setattr__(self, "ipc", tuple(c.replace(" ", "").upper() for c in self.ipc))
        for a, b in (("app_date_from", "app_date_to"), ("app_year_from", "app_year_to"),
                     ("grant_year_from", "grant_year_to")):
            lo, hi = getattr(self, a), getattr(self, b)
            if lo is not None and hi is not None and lo > hi:
                raise InvalidInput(f"filter {a} ({lo}) is after {b} ({hi})")
        for name in ("app_date_from", "app_date_to"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, date):
                raise InvalidInput(f"filter {name} must be a date, not {v!r}")
        for name in ("app_year_from", "app_year_to", "grant_year_from", "grant_year_to"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise InvalidInput(f"filter {name} must be an integer year, not {v!r}")
        for name in ("high_value", "open_licence"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, bool):
                raise InvalidInput(f"filter {name} must be true, false or null, not {v!r}")

    @property
    def is_empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True)
class SearchQuery:
    """One search request.

    ``k`` hits are returned starting at ``offset`` (0-based) of the full ranking; the
    result's ``next_offset`` pages on. ``facets`` names entries of
    :data:`FACET_FIELDS`; each gets its ``facet_size`` most frequent values.
    """

    text: str = ""
    mode: Mode = "hybrid"
    filters: Filters = field(default_factory=Filters)
    k: int = 20
    offset: int = 0
    facets: tuple[str, ...] = ()
    facet_size: int = 10
    #: RRF weights of the two rankings (hybrid mode)
    keyword_weight: float = 1.0
    semantic_weight: float = 1.0
    #: RRF constant
    rrf_k: int = 60
    #: candidates fetched from each retriever before fusion (at least offset + k)
    candidates: int = 200

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not isinstance(self.text, str):
            raise InvalidInput("text must be a string")
        if not 1 <= self.k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}")
        if not 1 <= self.candidates <= MAX_CANDIDATES:
            raise InvalidInput(f"candidates must be between 1 and {MAX_CANDIDATES}")
        if self.rrf_k < 0:
            raise InvalidInput("rrf_k must not be negative")
        if self.keyword_weight < 0 or self.semantic_weight < 0:
            raise InvalidInput("weights must not be negative")
        if not 1 <= self.facet_size <= 1000:
            raise InvalidInput("facet_size must be between 1 and 1000")
        facets = _tuple(self.facets, "facets")
        unknown = [f for f in facets if f not in FACET_FIELDS]
        if unknown:
            raise InvalidInput(
                f"unknown facet(s) {', '.join(unknown)}; known: {', '.join(FACET_FIELDS)}"
            )
        object.__setattr__(self, "facets", facets)
        if not isinstance(self.filters, Filters):
            raise InvalidInput("filters must be a Filters object")


@dataclass(frozen=True)
class Hit:
    """One ranked patent.

    ``score`` is the fused RRF score in hybrid mode, the BM25 score in keyword mode,
    the cosine similarity in semantic mode (and in ``similar``/``knn``), and 0 when
    browsing without text. The component fields say where the patent stood in each
    ranking (1-based; ``None`` = not among that retriever's candidates).
    ``matched_terms`` are the query's tokens found in the patent's indexed text
    (title + abstract + claim 1), in query order -- the API turns them into highlights.
    """

    patent_id: str
    rank: int
    score: float
    keyword_rank: int | None = None
    keyword_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None
    matched_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """Hits of one page, the size of the result set, and facet counts over it."""

    query: SearchQuery
    hits: list[Hit]
    total: int
    #: facet name -> [(value, count)], most frequent first (ties by value)
    facets: dict[str, list[tuple[FacetValue, int]]] = field(default_factory=dict)
    #: offset of the next page, or None when this page is the last
    next_offset: int | None = None
    #: the query's tokens after stop-word removal (what keyword matching used)
    query_terms: tuple[str, ...] = ()
    took_ms: float = 0.0
