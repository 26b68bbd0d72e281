"""Patent records by number, with their neighbourhood, and similar patents.

A number may be typed in many ways (``202223220665.2``, ``ZL 2022 2322 0665.2``,
``2022232206652``, ``cn218751475u``, ``CN218751475``): :func:`number_candidates`
turns it into the canonical forms it could stand for (using the ingest normalisers),
and the first patent whose id, application, publication or grant number equals one
of them is the answer. A number that is recognisably an application number but has
a wrong check digit is a 422; a number nobody holds is a 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analytics.explain import matched_terms, query_terms, shared_terms
from analytics.search import (
    explain_record,
    fetch_patents,
    flatten_patent_row,
    merge_terms,
    org_refs,
    searcher_tokenizer,
)
from embeddings.models import Filters
from patentnav.errors import IndexNotBuilt, InvalidInput, NotFound

if TYPE_CHECKING:  # pragma: no cover - typing only
    from embeddings.encoder import Encoder
    from embeddings.hybrid import HybridSearcher
    from graph.base import GraphStore

log = logging.getLogger(__name__)

try:  # the ingest engineer's normalisers are the reference; keep a fallback for reuse
    from ingest.normalize.numbers import normalize_app_no, normalize_pub_no
    from ingest.normalize import InvalidValue
except ImportError:  # pragma: no cover - only without the ingest package
    InvalidValue = ValueError  # type: ignore[misc,assignment]

    def normalize_app_no(value: object) -> str | None:
        s = re.sub(r"\s+", "", str(value or "")).upper()
        m = re.match(r"^(?:CN|ZL)?(\d{8}|\d{12})\.?([0-9X])?$", s)
        if not m:
            raise ValueError("malformed application number")
        return f"CN{m.group(1)}.{m.group(2)}" if m.group(2) else f"CN{m.group(1)}"

    def normalize_pub_no(value: object) -> str | None:
        s = re.sub(r"[\s\-]+", "", str(value or "")).upper()
        m = re.match(r"^([A-Z]{2})?(\d{5,13})([A-Z]\d?)?$", s)
        if not m:
            raise ValueError("malformed publication number")
        return f"{m.group(1) or 'CN'}{m.group(2)}{m.group(3) or ''}"


#: kind codes tried for a publication number typed without one
KIND_CODES = ("A", "B", "U", "S", "C", "Y")
MAX_NUMBER_CHARS = 64
_APP_LIKE = re.compile(r"^(?:CN|ZL)?\d{8,13}(?:\.[0-9X])?$")


def number_candidates(raw: str) -> list[str]:
    """Canonical numbers ``raw`` may stand for, most likely first (the raw text too, so
    internal ids such as ``ccf2022:…`` resolve). Raises :class:`InvalidInput` for an
    application number with a wrong check digit."""
    text = raw.strip()
    if not text:
        raise InvalidInput("empty patent number")
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidInput(f"patent number longer than {MAX_NUMBER_CHARS} characters")
    out: list[str] = [text]
    compact = re.sub(r"[\s\u3000]+", "", text).upper()
    app_error: str | None = None
    try:
        app = normalize_app_no(compact)
    except InvalidValue as exc:
        app = None
        app_error = str(exc)
    if app:
        out.append(app)
    try:
        pub = normalize_pub_no(compact)
    except InvalidValue:
        pub = None
    if pub:
        if pub[-1].isdigit():
            out.extend(pub + k for k in KIND_CODES)
        else:
            out.append(pub)
    if app is None and pub is None and app_error and _APP_LIKE.match(compact) and \
            "check digit" in app_error:
        raise InvalidInput(f"invalid application number {raw!r}: {app_error}")
    return list(dict.fromkeys(out))


def _detail_error(exc: InvalidInput, number: str) -> InvalidInput:
    exc.detail = {"number": number}  # type: ignore[attr-defined]
    return exc


class PatentService:
    """Patent lookup and similarity. ``searcher``/``encoder`` are only needed by
    :meth:`similar`."""

    def __init__(
        self,
        store: GraphStore,
        *,
        searcher: HybridSearcher | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.store = store
        self.searcher = searcher
        self.encoder = encoder

    # -- lookup --------------------------------------------------------------------------
    def resolve(self, number: str) -> str:
        """The patent id for a number; :class:`NotFound` if no patent holds it."""
        try:
            candidates = number_candidates(number)
        except InvalidInput as exc:
            raise _detail_error(exc, number) from None
        rows = self.store.run("api_patent_lookup", numbers=candidates)
        found = {r["number"]: r["id"] for r in rows}
        for cand in candidates:
            if cand in found:
                return found[cand]
        err = NotFound(f"no patent with number {number!r}")
        err.detail = {"number": number, "tried": candidates}  # type: ignore[attr-defined]
        raise err

    def detail(self, number: str) -> dict[str, Any]:
        """The full record of a patent with its graph neighbourhood."""
        pid = self.resolve(number)
        rows = self.store.run("patent_neighbourhood", id=pid)
        if not rows:
            raise NotFound(f"patent {pid!r} disappeared from the graph")
        return shape_detail(rows[0])

    # -- similarity ----------------------------------------------------------------------
    def similar(
        self, number: str, *, limit: int = 10, filters: Filters | None = None
    ) -> dict[str, Any]:
        """Nearest patents by vector similarity, the patent itself excluded, each with the
        terms it shares with the source and its best sentence."""
        if self.searcher is None:
            raise IndexNotBuilt("similar patents need the search indexes")
        pid = self.resolve(number)
        source = fetch_patents(self.store, [pid]).get(pid, {"id": pid})
        hits = self._neighbours(pid, limit, filters or Filters())
        records = fetch_patents(self.store, [h.patent_id for h in hits])
        tokenize = searcher_tokenizer(self.searcher)
        source_terms = query_terms(source.get("title") or "", tokenize)
        source_text = " ".join(t for t in (source.get("title"), source.get("abstract")) if t)
        text_terms = query_terms(source_text, tokenize)
        qvec = None
        results = []
        for hit in hits:
            rec = records.get(hit.patent_id, {"id": hit.patent_id})
            shared = shared_terms((rec.get("title"), rec.get("abstract")), text_terms)
            terms = merge_terms(source_terms, shared)
            needs_vector = not any(
                matched_terms(rec.get(f), terms) for f in ("abstract", "claim1", "title")
            )
            if needs_vector and qvec is None and self.encoder is not None and source_text:
                qvec = self.encoder.encode([source_text])[0]
            expl = explain_record(
                rec, terms,
                query_vector=qvec if needs_vector else None,
                encoder=self.encoder if needs_vector else None,
            )
            results.append({
                "id": rec["id"],
                "app_no": rec.get("app_no"),
                "pub_no": rec.get("pub_no"),
                "title": rec.get("title"),
                "kind": rec.get("kind"),
                "app_date": rec.get("app_date"),
                "ipc_subclasses": rec.get("ipc_subclasses"),
                "applicants": rec.get("applicants"),
                "similarity": round(float(hit.semantic_score if hit.semantic_score is not None
                                          else hit.score), 6),
                "shared_terms": shared,
                **expl,
            })
        return {
            "source": {"id": pid, "title": source.get("title"), "pub_no": source.get("pub_no"),
                       "app_no": source.get("app_no")},
            "results": results,
        }

    def _neighbours(self, pid: str, limit: int, filters: Filters) -> list[Any]:
        assert self.searcher is not None
        hits = self.searcher.similar(pid, k=limit + 1, filters=filters)
        return [h for h in hits if h.patent_id != pid][:limit]


# ---------------------------------------------------------------------------------------
# shaping the neighbourhood
# ---------------------------------------------------------------------------------------
_DETAIL_LISTS = ("applicants", "holders", "ipc")


def shape_detail(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``patent_neighbourhood`` row -> the ``PatentDetail`` shape: the node's
    properties at the top, applicants/holders/IPC typed, every other neighbour list
    under ``neighbourhood``."""
    rec = flatten_patent_row(row)
    out: dict[str, Any] = {}
    neighbourhood: dict[str, list[dict[str, Any]]] = {}
    for key, value in rec.items():
        if key in ("applicants", "holders", "owners"):
            out["holders" if key == "owners" else key] = org_refs(value)
        elif key in ("ipc", "ipcs", "classifications"):
            out["ipc"] = [_ipc_ref(v) for v in value or () if v]
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            neighbourhood[key] = [_clean(v) for v in value if _has_id(v)]
        elif isinstance(value, list) and not value and key not in _PATENT_LIST_PROPS:
            neighbourhood[key] = []
        else:
            out[key] = value
    out["neighbourhood"] = neighbourhood
    return out


_PATENT_LIST_PROPS = frozenset(
    {"family_ids", "ipc_codes", "ipc_subclasses", "cpc_codes", "sources", "hv_criteria",
     "hv_unknown"}
)


def _has_id(item: Mapping[str, Any]) -> bool:
    return any(v is not None for v in item.values())


def _clean(item: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in item.items():
        to_native = getattr(v, "to_native", None)
        out[k] = to_native() if callable(to_native) else v
    return out


def _ipc_ref(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return {"id": item.get("id") or item.get("code"), "title": item.get("title_zh")
                or item.get("title"), "main": item.get("main")}
    return {"id": str(item), "title": None, "main": None}

