"""Search service: API search requests -> hybrid search -> hydrated, explained hits.

The router validates the request (:class:`search_api.models.search.SearchRequest`) and
calls :meth:`SearchService.search`; this module turns it into an
:class:`embeddings.models.SearchQuery`, runs the :class:`embeddings.hybrid.HybridSearcher`,
fetches the hits' records from the graph (``patents_by_ids``), explains each hit
(highlighted title/abstract, best-matching sentence) and labels the facet groups.

Pagination is by opaque cursor: base64url JSON holding the offset of the next page
and a fingerprint of the query (text, mode, filters), so a cursor replayed against a
different query is rejected (:class:`InvalidCursor`, HTTP 400).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.explain import Tokenize, best_sentence, clean_terms, highlight, matched_terms
from embeddings.models import MAX_CANDIDATES, MAX_OFFSET, Filters, SearchQuery, SearchResult
from patentnav.errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover - typing only
    from embeddings.encoder import Encoder
    from embeddings.hybrid import HybridSearcher
    from graph.base import GraphStore
    from search_api.models.search import SearchFilters, SearchRequest

log = logging.getLogger(__name__)

#: characters of the abstract kept in a highlight (the full abstract is a field of its own)
ABSTRACT_HIGHLIGHT_CHARS = 240

KIND_NAMES = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计",
              "unknown": "未知"}
STATUS_NAMES = {"valid": "有效", "pending": "审中", "invalid": "失效", "unknown": "未知"}
HOLDER_KIND_NAMES = {"university": "高校", "institute": "科研院所", "enterprise": "企业",
                     "government": "机关团体", "individual": "个人", "other": "其他"}
BOOL_NAMES = {"true": "是", "false": "否", "unknown": "未知"}

#: facet -> the graph label whose node names label its keys
_FACET_LABEL_PARAM = {
    "ipc_section": "ipc", "ipc_class": "ipc", "ipc_subclass": "ipc",
    "region": "region", "province": "region", "sei": "sei", "chain": "chain",
    "chain_node": "chain_node",
}


class InvalidCursor(InvalidInput):
    """The cursor is malformed or belongs to another query."""

    status_code = 400
    code = "invalid_cursor"


# ---------------------------------------------------------------------------------------
# cursors
# ---------------------------------------------------------------------------------------
def query_fingerprint(text: str, mode: str, filters: Mapping[str, Any]) -> str:
    """A short stable hash of what determines the ranking (not the page or the fields)."""
    canon = json.dumps({"q": text, "m": mode, "f": filters}, sort_keys=True, ensure_ascii=False,
                       default=str)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]


def encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "h": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    """The offset a cursor points at; :class:`InvalidCursor` if it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("malformed cursor; pass meta.next_cursor unchanged") from None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int) or "h" not in data:
        raise InvalidCursor("malformed cursor; pass meta.next_cursor unchanged")
    if data["h"] != fingerprint:
        raise InvalidCursor(
            "cursor belongs to a different query (q, mode and filters must not change "
            "while paging)"
        )
    offset = data["o"]
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidCursor(f"cursor offset out of range (0..{MAX_OFFSET})")
    return offset


# ---------------------------------------------------------------------------------------
# request -> query
# ---------------------------------------------------------------------------------------
def to_filters(f: SearchFilters) -> Filters:
    """API filters -> search-layer :class:`Filters`."""
    return Filters(
        app_date_from=f.date_from,
        app_date_to=f.date_to,
        app_year_from=f.year_from,
        app_year_to=f.year_to,
        grant_year_from=f.grant_year_from,
        grant_year_to=f.grant_year_to,
        ipc=tuple(f.ipc),
        kind=tuple(f.kind),
        status=tuple(f.status),
        holder_kind=tuple(f.holder_kind),
        region=tuple(f.region),
        sei=tuple(f.sei),
        chain=tuple(f.chain),
        chain_node=tuple(f.chain_node),
        high_value=f.hv,
        open_licence=f.open_licence,
    )


# ---------------------------------------------------------------------------------------
# graph records
# ---------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """Driver values -> JSON-friendly Python (neo4j dates have ``to_native``)."""
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


def flatten_patent_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``patents_by_ids`` / ``patent_by_number`` row as one flat dict.

    Accepts rows that hold the node properties directly, or under ``p``/``patent``.
    """
    out: dict[str, Any] = {}
    for key in ("p", "patent"):
        node = row.get(key)
        if isinstance(node, Mapping):
            out.update({k: _plain(v) for k, v in node.items() if not k.startswith("_")})
    for k, v in row.items():
        if k in ("p", "patent"):
            continue
        out[k] = _plain(v)
    return out


def org_refs(items: Iterable[Any] | None) -> list[dict[str, Any]]:
    """Applicant/holder lists as ``[{id, name, kind}]`` in applicant order."""
    refs: list[tuple[int, dict[str, Any]]] = []
    for n, item in enumerate(items or ()):
        if isinstance(item, Mapping):
            oid = item.get("id")
            if oid is None:
                continue
            ref = {"id": oid, "name": item.get("name") or oid, "kind": item.get("kind")}
            order = item.get("ord")
            refs.append((order if isinstance(order, int) else n, ref))
        elif isinstance(item, str):
            refs.append((n, {"id": item, "name": item, "kind": None}))
    refs.sort(key=lambda t: t[0])
    return [r for _, r in refs]


def fetch_patents(store: GraphStore, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Records of ``ids`` from the graph (``patents_by_ids``) with their applicants
    (``api_applicants_by_ids``), by id; missing ids are absent."""
    if not ids:
        return {}
    wanted = list(dict.fromkeys(ids))
    out: dict[str, dict[str, Any]] = {}
    for row in store.run("patents_by_ids", ids=wanted):
        rec = flatten_patent_row(row)
        if rec.get("id") is not None:
            rec["applicants"] = []
            out[rec["id"]] = rec
    if out:
        for row in store.run("api_applicants_by_ids", ids=list(out)):
            if row.get("id") in out:
                out[row["id"]]["applicants"] = org_refs(row.get("applicants"))
    return out


_PARENS = re.compile(r"\s*\([^()]*\)")


def short_title(title: str | None, max_chars: int = 80) -> str | None:
    """A display form of a (WIPO English) IPC title: parenthesised references removed,
    first clause only, at most ``max_chars``."""
    if not title:
        return title
    text = title
    while True:
        shorter = _PARENS.sub("", text)
        if shorter == text:
            break
        text = shorter
    text = re.split(r"\s*;\s*", text.strip(), maxsplit=1)[0].strip(" ,;") or title
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def node_names(store: GraphStore, wanted: Mapping[str, Iterable[str]]) -> dict[str, dict[str, str]]:
    """Display names of IPC symbols, regions, SEI categories, chains and chain nodes.

    ``wanted`` maps ``ipc``/``region``/``sei``/``chain``/``chain_node`` to ids; the
    result maps the same keys to ``{id: name}``.
    """
    params = {k: sorted({str(v) for v in wanted.get(k, ())})
              for k in ("ipc", "region", "sei", "chain", "chain_node")}
    if not any(params.values()):
        return {}
    out: dict[str, dict[str, str]] = {k: {} for k in params}
    for row in store.run("api_node_names", **params):
        if row.get("name"):
            name = short_title(row["name"]) if row["kind"] == "ipc" else row["name"]
            out.setdefault(row["kind"], {})[row["id"]] = name
    return out


# ---------------------------------------------------------------------------------------
# explanation
# ---------------------------------------------------------------------------------------
def explain_record(
    rec: Mapping[str, Any],
    terms: Sequence[str],
    *,
    want_highlight: bool = True,
    want_sentence: bool = True,
    query_vector: np.ndarray | None = None,
    encoder: Encoder | None = None,
) -> dict[str, Any]:
    """``highlight`` and ``best_sentence`` of one patent record for the query terms."""
    out: dict[str, Any] = {}
    title, abstract = rec.get("title"), rec.get("abstract")
    if want_highlight:
        found = [t for t in terms
                 if matched_terms(title, [t]) or matched_terms(abstract, [t])
                 or matched_terms(rec.get("claim1"), [t])]
        out["highlight"] = {
            "title": highlight(title, terms),
            "abstract": highlight(abstract, terms, max_chars=ABSTRACT_HIGHLIGHT_CHARS),
            "matched_terms": found,
        }
    if want_sentence:
        sentence = best_sentence(
            [("abstract", abstract), ("claim1", rec.get("claim1")), ("title", title)],
            terms,
            query_vector=query_vector,
            encode=encoder.encode if encoder is not None else None,
        )
        out["best_sentence"] = sentence.as_dict() if sentence else None
    return out


def merge_terms(*groups: Iterable[str]) -> list[str]:
    """Distinct content terms of several lists, longest first (so 锂电池 wins over 电池)."""
    return clean_terms(t for group in groups for t in group)


def searcher_tokenizer(searcher: Any) -> Tokenize | None:
    """The query tokenizer of a searcher's keyword index, if it exposes one."""
    tokenizer = getattr(getattr(searcher, "keyword", None), "tokenizer", None)
    fn = getattr(tokenizer, "query_tokens", None)
    return fn if callable(fn) else None


# ---------------------------------------------------------------------------------------
# service
# ---------------------------------------------------------------------------------------
class SearchService:
    """Runs API searches over a :class:`HybridSearcher` and a :class:`GraphStore`."""

    def __init__(
        self,
        store: GraphStore,
        searcher: HybridSearcher,
        *,
        encoder: Encoder | None = None,
    ) -> None:
        self.store = store
        self.searcher = searcher
        self.encoder = encoder

    # -- public --------------------------------------------------------------------------
    def search(self, req: SearchRequest) -> dict[str, Any]:
        """Run one page of a search; returns a dict shaped like ``SearchResponse``."""
        from search_api.models.search import DEFAULT_HIT_FIELDS

        t0 = time.perf_counter()
        filters_dump = req.filters.model_dump(mode="json")
        fp = query_fingerprint(req.q, req.mode, filters_dump)
        offset = decode_cursor(req.cursor, fp) if req.cursor else 0
        query = SearchQuery(
            text=req.q,
            mode=req.mode,
            filters=to_filters(req.filters),
            k=req.limit,
            offset=offset,
            facets=tuple(req.facets),
            # each retriever's window must reach past this page for a next page to exist
            candidates=min(MAX_CANDIDATES, max(200, offset + 2 * req.limit)),
        )
        result: SearchResult = self.searcher.search(query)
        fields = set(req.fields or DEFAULT_HIT_FIELDS)
        terms = merge_terms(result.query_terms)
        hits = self.hydrate_hits(result, terms, fields, req.q)
        group_by = self.label_facets(result.facets)
        next_cursor = (
            encode_cursor(result.next_offset, fp) if result.next_offset is not None else None
        )
        return {
            "meta": {
                "q": req.q,
                "mode": req.mode,
                "count": result.total,
                "limit": req.limit,
                "offset": offset,
                "next_cursor": next_cursor,
                "took_ms": round((time.perf_counter() - t0) * 1000, 1),
                "encoder": getattr(self.encoder, "name", None),
                "query_terms": terms,
            },
            "results": hits,
            "group_by": group_by,
        }

    # -- steps ---------------------------------------------------------------------------
    def hydrate_hits(
        self, result: SearchResult, terms: Sequence[str], fields: set[str], text: str
    ) -> list[dict[str, Any]]:
        records = fetch_patents(self.store, [h.patent_id for h in result.hits])
        want_hl = "highlight" in fields
        want_sent = "best_sentence" in fields
        qvec: np.ndarray | None = None
        out: list[dict[str, Any]] = []
        for hit in result.hits:
            rec = records.get(hit.patent_id)
            if rec is None:
                # indexed but no longer in the graph: the index is stale for this patent
                log.warning("hit %s is not in the graph (index stale?)", hit.patent_id)
                rec = {"id": hit.patent_id}
            full: dict[str, Any] = dict(rec)
            full["score"] = round(float(hit.score), 6)
            full["scores"] = {
                "keyword": _round(hit.keyword_score),
                "semantic": _round(hit.semantic_score),
                "keyword_rank": hit.keyword_rank,
                "semantic_rank": hit.semantic_rank,
            }
            if want_hl or want_sent:
                hit_terms = merge_terms(hit.matched_terms, terms)
                needs_vector = want_sent and text and not any(
                    matched_terms(rec.get(f), hit_terms) for f in ("abstract", "claim1", "title")
                )
                if needs_vector and qvec is None and self.encoder is not None:
                    qvec = self.encoder.encode_queries([text])[0]
                full.update(explain_record(
                    rec, hit_terms, want_highlight=want_hl, want_sentence=want_sent,
                    query_vector=qvec if needs_vector else None,
                    encoder=self.encoder if needs_vector else None,
                ))
            out.append({k: v for k, v in full.items() if k in fields or k == "id"})
        return out

    def label_facets(
        self, facets: Mapping[str, list[tuple[Any, int]]]
    ) -> dict[str, list[dict[str, Any]]]:
        """Facet groups as ``{key, key_display_name, count}`` lists."""
        wanted: dict[str, set[str]] = {}
        for name, groups in facets.items():
            param = _FACET_LABEL_PARAM.get(name)
            if param:
                wanted.setdefault(param, set()).update(str(v) for v, _ in groups if v is not None)
        names = node_names(self.store, wanted) if wanted else {}
        out: dict[str, list[dict[str, Any]]] = {}
        for name, groups in facets.items():
            buckets = []
            for value, count in groups:
                key = _facet_key(value)
                buckets.append({
                    "key": key,
                    "key_display_name": _facet_display(name, key, names),
                    "count": int(count),
                })
            out[name] = buckets
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _facet_key(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _facet_display(facet: str, key: str, names: Mapping[str, Mapping[str, str]]) -> str | None:
    if facet == "kind":
        return KIND_NAMES.get(key)
    if facet == "status":
        return STATUS_NAMES.get(key)
    if facet == "holder_kind":
        return HOLDER_KIND_NAMES.get(key)
    if facet in ("high_value", "open_licence"):
        return BOOL_NAMES.get(key)
    param = _FACET_LABEL_PARAM.get(facet)
    if param:
        return names.get(param, {}).get(key)
    return None
