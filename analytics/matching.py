"""Supply–demand matching (供需匹配), both directions, every result explained.

Demand -> patents (:meth:`MatchingService.match_demand`)
    A free-text demand, or a stored ``TechDemand`` (the 371 real demands), becomes a
    hybrid search (BM25 over jieba terms + vectors, :class:`embeddings.hybrid.HybridSearcher`).
    The query text is the demand's title and its content up to the first section that
    describes the company rather than the need (现有工作基础 / 合作单位 / 企业简介 ...),
    cut to ``query_chars``. Defaults select what a technology-transfer office can offer:
    patents **held by universities and research institutes**, **not yet transferred**
    (``transfer_count`` 0 / null and no ``transfer`` event), with a legal status in
    ``settings.match_statuses``. Each result says why it matched: the demand's key terms
    it shares (jieba), highlighted title/abstract, the best-matching sentence, and the
    overlap of its IPC subclasses / SEI categories / chain segments with those the demand
    text classifies to (a weighted vote of its 25 nearest patents, with the voting rules
    of :mod:`analytics.classify`).

    **Legal-status policy.** Most real records (PatSnap rows, lxingy3 titles) carry no
    legal status, so requiring ``valid`` would return nothing on the real data. The
    statuses admitted are ``settings.match_statuses`` (default ``valid`` + ``unknown``;
    a missing status counts as ``unknown``); every result shows its status and a note
    when it is unknown. Set ``PATENTNAV_MATCH_STATUSES='["valid"]'`` for strict matching.

Patent -> companies (:meth:`MatchingService.match_patent`)
    Candidate enterprises are the holders of the patents nearest to the source patent
    (hybrid search restricted to enterprise applicants). Each candidate is scored on
    five explained factors, each in 0..1, combined with :class:`CompanyWeights`:

    ``text``           cosine between the source patent's vector and the centroid of the
                       company's patent vectors (up to ``profile_patents`` newest patents),
                       rescaled over the candidates (best 1, worst 0): static embeddings
                       put most cosines in a narrow band, so raw values would not separate
                       candidates (the raw cosine is shown too);
    ``ipc``            cosine between the source's IPC subclasses and the company's IPC-
                       subclass mix (patents per subclass);
    ``chain``          share of the source's chain segments the company has patents in;
    ``region``         1 for a Chongqing company (the centre's region), else 0;
    ``qualifications`` 高新技术企业 / 专精特新 / 小巨人 / 上市 ..., 0.5 each, at most 1.

Organisation -> companies (:meth:`MatchingService.match_org`)
    The organisation's transferable patents (the demand defaults: not transferred,
    admitted statuses; high-value first, then newest, up to ``max_patents``) are each
    matched to companies as above; a company's score is the mean of its best three
    patent-level scores plus 0.05 per further supporting patent (at most +0.2), and the
    suggestion lists the patents behind it with their per-patent scores.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.explain import matched_terms, query_terms
from analytics.highvalue import holders_of, resolve_patent_ids
from analytics.search import explain_record, merge_terms
from embeddings.models import MAX_CANDIDATES, Filters, SearchQuery
from patentnav.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # pragma: no cover - typing only
    from embeddings.encoder import Encoder
    from embeddings.hybrid import HybridSearcher
    from graph.base import GraphStore
    from patentnav.settings import Settings

log = logging.getLogger(__name__)

#: section headings after which a demand describes the company, not the need
_BACKGROUND_HEADINGS = re.compile(
    r"(现有工作基础|现有基础|工作基础|合作单位|企业简介|公司简介|单位简介|企业概况|公司概况|"
    r"联系人|联系方式|需求二|需求三)\s*[:：]"
)
_SPACES = re.compile(r"[ \t\u3000]+")

STATUS_UNKNOWN_NOTE = "legal status not given by the source data (policy: match_statuses)"
QUALIFICATION_WEIGHT = 0.5


# ----------------------------------------------------------------------------------------
# options
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandOptions:
    """Filters and size of a demand -> patents match (defaults: see the module doc)."""

    k: int = 10
    holder_kinds: tuple[str, ...] = ("university", "institute")
    #: None = ``settings.match_statuses``
    statuses: tuple[str, ...] | None = None
    kinds: tuple[str, ...] = ()
    exclude_transferred: bool = True
    open_licence_only: bool = False
    regions: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()
    mode: str = "hybrid"
    #: weights of the BM25 and vector rankings in the hybrid fusion: 3:1 measured best on
    #: the held-out pseudo-demands (evaluation/eval_matching.py, set A); the vector ranking
    #: still fills the list when few patents share a term with the demand
    keyword_weight: float = 3.0
    semantic_weight: float = 1.0
    #: explain with the IPC/SEI/chain labels the demand text classifies to
    classify: bool = True
    query_chars: int = 400

    def __post_init__(self) -> None:
        if not 1 <= self.k <= 200:
            raise InvalidInput("k must be between 1 and 200")
        if self.mode not in ("hybrid", "keyword", "semantic"):
            raise InvalidInput("mode must be hybrid, keyword or semantic")
        if self.query_chars < 10:
            raise InvalidInput("query_chars must be at least 10")


@dataclass(frozen=True)
class CompanyWeights:
    text: float = 0.45
    ipc: float = 0.25
    chain: float = 0.15
    region: float = 0.10
    qualifications: float = 0.05

    def as_dict(self) -> dict[str, float]:
        return {"text": self.text, "ipc": self.ipc, "chain": self.chain,
                "region": self.region, "qualifications": self.qualifications}


@dataclass(frozen=True)
class CompanyOptions:
    """Size and filters of a patent/org -> companies match."""

    k: int = 10
    weights: CompanyWeights = field(default_factory=CompanyWeights)
    #: nearest enterprise patents whose holders become candidates
    neighbours: int = 200
    #: candidates scored in full (best by neighbour similarity)
    max_candidates: int = 60
    #: patents per company used for its vector centroid
    profile_patents: int = 30
    regions: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    #: organisation -> companies: patents of the organisation considered
    max_patents: int = 30
    #: organisation -> companies: patents listed behind each suggestion
    evidence_patents: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.k <= 200:
            raise InvalidInput("k must be between 1 and 200")
        if not 1 <= self.neighbours <= MAX_CANDIDATES:
            raise InvalidInput(f"neighbours must be between 1 and {MAX_CANDIDATES}")
        if not 1 <= self.max_patents <= 500:
            raise InvalidInput("max_patents must be between 1 and 500")


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
def demand_query_text(title: str | None, content: str | None, limit: int = 400) -> str:
    """The part of a demand that describes the need: title + content up to the first
    company-background section, whitespace collapsed, cut to ``limit`` characters."""
    body = content or ""
    m = _BACKGROUND_HEADINGS.search(body)
    if m and m.start() > 0:
        body = body[: m.start()]
    body = _SPACES.sub(" ", body).strip()
    body = re.sub(r"\s*\n\s*", "\n", body)
    title = (title or "").strip()
    text = f"{title}。{body}" if title and body else (title or body)
    return text[:limit]


#: words of demand boilerplate that say nothing about the technology (kept out of the
#: shared key terms shown to users; they still take part in the search)
DEMAND_FILLER = frozenset(
    """企业 公司 单位 需要 需求 要求 希望 提高 提升 解决 研发 研制 研究 开发 技术 问题 目前
    现有 实现 产品 进行 项目 能够 相关 以及 通过 主要 国内 国外 市场 生产 应用 一个 我们 本公司
    提供 达到 合作 具有 利用 方面 情况 工作 发展 目标 预期 内容 得到 性能 范围 指标 过程 处理
    属于 有效 快速 影响 不能 可能 存在 之间 各个 同时 因此 以下 较大 已经 直接 方式 状态 条件
    完全 今后 有着 进而 大量 新型 特性 效果 质量 降低""".split()
)


def key_terms(terms: Iterable[str]) -> list[str]:
    """Shared terms worth showing: no demand filler, no term contained in a longer one
    (锂电池 hides 电池 and 锂电), longest first."""
    from analytics.explain import GENERIC

    found = [t for t in dict.fromkeys(terms)
             if t not in DEMAND_FILLER and t not in GENERIC and len(t) > 1]
    kept = [t for t in found if not any(t != o and t in o for o in found)]
    return sorted(kept, key=lambda t: (-len(t), found.index(t)))


def cosine_counts(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two sparse count vectors."""
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def patent_text(rec: Mapping[str, Any]) -> str:
    return "。".join(x for x in (rec.get("title"), rec.get("abstract")) if x)


def _status_of(rec: Mapping[str, Any]) -> str:
    return rec.get("status") or "unknown"


def _region_ok(region_code: str | None, regions: Sequence[str]) -> bool:
    """Region filter semantics of :class:`embeddings.models.Filters` (province/prefecture
    roll-up by trailing zeros)."""
    if not regions:
        return True
    if not region_code:
        return False
    for r in regions:
        prefix = r[:2] if r.endswith("0000") else r[:4] if r.endswith("00") else r
        if region_code.startswith(prefix):
            return True
    return False


# ----------------------------------------------------------------------------------------
# the service
# ----------------------------------------------------------------------------------------
class MatchingService:
    """Matching over a graph store, a hybrid searcher and (for company profiles) an encoder."""

    def __init__(
        self,
        store: GraphStore,
        searcher: HybridSearcher,
        settings: Settings,
        *,
        encoder: Encoder | None = None,
    ) -> None:
        self.store = store
        self.searcher = searcher
        self.settings = settings
        self.encoder = encoder

    # ------------------------------------------------------------------------------------
    # records
    # ------------------------------------------------------------------------------------
    def _records(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        recs = {r["id"]: dict(r) for r in self.store.run("match_patents_by_ids", ids=list(ids))}
        # the per-patent queries give one row with nulls for a patent that has none
        sei: dict[str, list[str]] = defaultdict(list)
        for r in self.store.run("hv_sei_for", ids=list(recs)):
            if r["code"] is not None:
                sei[r["id"]].append(r["code"])
        chains: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.store.run("match_chain_nodes_for", ids=list(recs)):
            if r["node_id"] is not None:
                chains[r["id"]].append({"id": r["node_id"], "name": r["name"],
                                        "chain_id": r["chain_id"]})
        transfers: dict[str, int] = defaultdict(int)
        for r in self.store.run("hv_events_for", ids=list(recs), kind="transfer"):
            if r["event_id"] is not None:
                transfers[r["id"]] += 1
        holders = holders_of(self.store, list(recs))
        for pid, rec in recs.items():
            rec["ipc_subclasses"] = list(rec.get("ipc_subclasses") or [])
            rec["sei"] = sorted(set(sei.get(pid, [])))
            rec["chain_nodes"] = chains.get(pid, [])
            rec["transfer_events"] = transfers.get(pid, 0)
            rec["holders"] = holders.get(pid, [])
        return recs

    @staticmethod
    def transferred(rec: Mapping[str, Any]) -> bool:
        return bool(rec.get("transfer_count")) or bool(rec.get("transfer_events"))

    def _statuses(self, statuses: Sequence[str] | None) -> tuple[str, ...]:
        return tuple(statuses if statuses is not None else self.settings.match_statuses)

    # ------------------------------------------------------------------------------------
    # demand -> patents
    # ------------------------------------------------------------------------------------
    def get_demand(self, demand_id: str) -> dict[str, Any]:
        rows = self.store.run("match_demand", id=demand_id)
        if not rows:
            err = NotFound(f"no technology demand with id {demand_id}")
            err.detail = {"demand_id": demand_id}  # type: ignore[attr-defined]
            raise err
        return rows[0]

    def list_demands(self, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        if not 1 <= limit <= 1000 or offset < 0:
            raise InvalidInput("limit must be 1..1000 and offset >= 0")
        total = self.store.run("match_demand_count")[0]["n"]
        # Past the end there is nothing to read; never send LadybugDB 0.22 an ORDER BY ...
        # SKIP beyond the table (it crashes the process on some such values).
        items = self.store.run("match_demands", skip=offset, limit=limit) if offset < total else []
        return {"total": total, "offset": offset, "limit": limit, "items": items}

    def match_demand(
        self,
        text: str | None = None,
        *,
        demand_id: str | None = None,
        options: DemandOptions | None = None,
    ) -> dict[str, Any]:
        """Ranked, explained patents for a demand (free ``text`` or a stored ``demand_id``)."""
        t0 = time.perf_counter()
        opts = options or DemandOptions()
        if (text is None) == (demand_id is None):
            raise InvalidInput("give either a demand text or a demand id")
        if demand_id is not None:
            demand = self.get_demand(demand_id)
            query = demand_query_text(demand.get("title"), demand.get("content"),
                                      opts.query_chars)
        else:
            if not text or not text.strip():
                raise InvalidInput("the demand text is empty")
            demand = {"id": None, "title": None, "content": text}
            query = demand_query_text(None, text, opts.query_chars)
        statuses = self._statuses(opts.statuses)
        filters = Filters(
            holder_kind=opts.holder_kinds, status=statuses, kind=opts.kinds,
            region=opts.regions, chain=opts.chains, ipc=opts.ipc,
            open_licence=True if opts.open_licence_only else None,
        )
        candidates = min(MAX_CANDIDATES, max(100, opts.k * 10))
        result = self.searcher.search(SearchQuery(
            text=query, mode=opts.mode, filters=filters, k=min(candidates, 1000),
            candidates=candidates, keyword_weight=opts.keyword_weight,
            semantic_weight=opts.semantic_weight,
        ))
        terms = merge_terms(result.query_terms, query_terms(query))
        labels = self._classify(query) if opts.classify else None

        results: list[dict[str, Any]] = []
        qcache: dict[str, np.ndarray] = {}
        skipped = {"transferred": 0, "holder_kind": 0, "missing": 0}
        # records are read in chunks, in rank order, until k results pass the filters
        chunk = max(3 * opts.k, 30)
        records: dict[str, dict[str, Any]] = {}
        for pos, hit in enumerate(result.hits):
            if pos % chunk == 0:
                records = self._records([h.patent_id for h in result.hits[pos:pos + chunk]])
            rec = records.get(hit.patent_id)
            if rec is None:
                skipped["missing"] += 1
                continue
            if opts.exclude_transferred and self.transferred(rec):
                skipped["transferred"] += 1
                continue
            if opts.holder_kinds and not any(
                h.get("kind") in opts.holder_kinds for h in rec["holders"]
            ):
                # the applicant qualified but the current holder does not
                skipped["holder_kind"] += 1
                continue
            results.append(self._explain_patent(rec, hit, terms, labels, len(results) + 1,
                                                query, qcache))
            if len(results) >= opts.k:
                break
        return {
            "demand": {k: demand.get(k) for k in ("id", "title", "content", "org_name", "source")},
            "query": {
                "text": query, "terms": terms, "mode": opts.mode,
                "filters": {
                    "holder_kinds": list(opts.holder_kinds), "statuses": list(statuses),
                    "kinds": list(opts.kinds), "exclude_transferred": opts.exclude_transferred,
                    "open_licence_only": opts.open_licence_only, "regions": list(opts.regions),
                    "chains": list(opts.chains), "ipc": list(opts.ipc),
                },
            },
            "classification": labels,
            "candidates": result.total,
            "skipped": skipped,
            "results": results,
            "took_ms": round((time.perf_counter() - t0) * 1000, 1),
        }

    def _classify(self, text: str, k: int = 25, top: int = 5) -> dict[str, list[dict[str, Any]]]:
        """IPC subclasses, SEI categories and chain segments the text classifies to: a
        weighted vote of its ``k`` nearest patents (any holder), with the voting rules of
        :mod:`analytics.classify` (:func:`vote_weights`, :func:`tally`)."""
        from analytics.classify import tally, vote_weights
        from analytics.search import node_names

        hits = list(self.searcher.search(SearchQuery(text=text, mode="hybrid", k=k)).hits)
        if not hits:
            return {"ipc": [], "sei": [], "chain_node": []}
        ids = [h.patent_id for h in hits]
        weights = vote_weights(hits, "hybrid")
        ipc = {r["id"]: list(r.get("ipc_subclasses") or [])
               for r in self.store.run("match_patents_by_ids", ids=ids)}
        sei: dict[str, list[str]] = defaultdict(list)
        for r in self.store.run("hv_sei_for", ids=ids):
            if r["code"] is not None:
                sei[r["id"]].append(r["code"])
        nodes: dict[str, list[str]] = defaultdict(list)
        for r in self.store.run("match_chain_nodes_for", ids=ids):
            if r["node_id"] is not None:
                nodes[r["id"]].append(r["node_id"])
        labels = {"ipc": [ipc.get(i, []) for i in ids], "sei": [sei.get(i, []) for i in ids],
                  "chain_node": [nodes.get(i, []) for i in ids]}
        voted = {scheme: tally(labels[scheme], weights, ids, top)[1] for scheme in labels}
        names = node_names(self.store, {s: [x["code"] for x in v] for s, v in voted.items()})
        return {
            scheme: [{"code": x["code"], "name": names.get(scheme, {}).get(x["code"]),
                      "score": x["score"]} for x in votes]
            for scheme, votes in voted.items()
        }

    def _explain_patent(
        self,
        rec: dict[str, Any],
        hit: Any,
        terms: Sequence[str],
        labels: Mapping[str, list[dict[str, Any]]] | None,
        rank: int,
        query_text: str,
        qcache: dict[str, np.ndarray],
    ) -> dict[str, Any]:
        hit_terms = merge_terms(getattr(hit, "matched_terms", ()) or (), terms)
        # a semantic-only hit shares no term: pick its closest sentence by vector instead
        needs_vector = self.encoder is not None and not any(
            matched_terms(rec.get(f), hit_terms) for f in ("abstract", "claim1", "title"))
        qvec = None
        if needs_vector:
            if "q" not in qcache:
                qcache["q"] = self.encoder.encode_queries([query_text])[0]
            qvec = qcache["q"]
        expl = explain_record(rec, hit_terms, want_highlight=True, want_sentence=True,
                              query_vector=qvec, encoder=self.encoder if needs_vector else None)
        shared = key_terms([t for t in terms if any(
            matched_terms(rec.get(f), [t]) for f in ("title", "abstract", "claim1"))])
        why: dict[str, Any] = {
            "shared_terms": shared,
            "highlight": expl.get("highlight"),
            "best_sentence": expl.get("best_sentence"),
        }
        if labels is not None:
            ipc = {x["code"]: x for x in labels.get("ipc", [])}
            sei = {x["code"]: x for x in labels.get("sei", [])}
            nodes = {x["code"]: x for x in labels.get("chain_node", [])}
            why["ipc_overlap"] = [ipc[c] for c in rec["ipc_subclasses"] if c in ipc]
            why["sei_overlap"] = [sei[c] for c in rec["sei"] if c in sei]
            why["chain_overlap"] = [nodes[n["id"]] for n in rec["chain_nodes"] if n["id"] in nodes]
        why["summary"] = _summary(why)
        status = _status_of(rec)
        return {
            "rank": rank,
            "id": rec["id"],
            "app_no": rec.get("app_no"),
            "pub_no": rec.get("pub_no"),
            "title": rec.get("title"),
            "kind": rec.get("kind"),
            "status": status,
            "status_note": STATUS_UNKNOWN_NOTE if status == "unknown" else None,
            "app_date": rec.get("app_date"),
            "holders": [{k: h.get(k) for k in ("id", "name", "kind")} for h in rec["holders"]],
            "ipc_subclasses": rec["ipc_subclasses"],
            "sei": rec["sei"],
            "chain_nodes": rec["chain_nodes"],
            "hv": rec.get("hv"),
            "hv_criteria": list(rec.get("hv_criteria") or []),
            "open_licence": rec.get("open_licence"),
            "transfer_count": rec.get("transfer_count"),
            "score": round(float(hit.score), 6),
            "scores": {
                "keyword_rank": hit.keyword_rank, "keyword": _round(hit.keyword_score),
                "semantic_rank": hit.semantic_rank, "semantic": _round(hit.semantic_score),
            },
            "why": why,
        }

    # ------------------------------------------------------------------------------------
    # patent -> companies
    # ------------------------------------------------------------------------------------
    def _vectors(self, texts: Mapping[str, str]) -> dict[str, np.ndarray]:
        """Document vectors of patents: the ones stored in the vector index where present
        (what search ranks by), else encoded from ``texts`` (id -> title + abstract)."""
        out: dict[str, np.ndarray] = {}
        index = getattr(self.searcher, "vector", None)
        if index is not None:
            with self.searcher.lock.read():
                present = [p for p in texts if index.contains(p)]
                if present:
                    ints = self.searcher.ids.lookup(present)
                    vecs = index.reconstruct_ints(ints)
                    out = {p: vecs[i] for i, p in enumerate(present)}
        missing = [p for p, t in texts.items() if p not in out and t]
        if missing:
            if self.encoder is None:
                raise InvalidInput("company matching needs an encoder for patents that are "
                                   "not in the search index")
            vecs = self.encoder.encode([texts[p] for p in missing])
            out.update({p: vecs[i] for i, p in enumerate(missing)})
        return out

    def resolve_patent(self, number: str) -> str:
        ids = resolve_patent_ids(self.store, [number])
        if not ids:
            err = NotFound(f"no patent with number {number}")
            err.detail = {"number": number}  # type: ignore[attr-defined]
            raise err
        return ids[number]

    def match_patent(self, number: str, *, options: CompanyOptions | None = None) -> dict[str, Any]:
        """Enterprises to approach for one patent, each factor explained."""
        t0 = time.perf_counter()
        opts = options or CompanyOptions()
        pid = self.resolve_patent(number)
        source = self._records([pid])[pid]
        vectors = self._vectors({pid: patent_text(source)})
        neighbours = self._enterprise_neighbours([source], opts)
        companies = self._score_companies([source], vectors, neighbours, opts)
        for c in companies:
            c.pop("per_patent", None)
        return {
            "patent": _patent_ref(source),
            "weights": opts.weights.as_dict(),
            "results": companies[: opts.k],
            "candidates": len(companies),
            "took_ms": round((time.perf_counter() - t0) * 1000, 1),
        }

    def _enterprise_neighbours(
        self, sources: Sequence[Mapping[str, Any]], opts: CompanyOptions
    ) -> dict[str, dict[str, float]]:
        """For each source patent: enterprise holder -> best neighbour similarity (0..1)."""
        out: dict[str, dict[str, float]] = {}
        all_hits: dict[str, list[tuple[str, float]]] = {}
        hit_ids: set[str] = set()
        filters = Filters(holder_kind=("enterprise",), region=opts.regions, chain=opts.chains)
        index = getattr(self.searcher, "vector", None)
        for src in sources:
            text = patent_text(src)
            if index is not None and index.contains(src["id"]):
                hits = self.searcher.similar(src["id"], k=opts.neighbours, filters=filters)
            elif text:
                hits = self.searcher.search(SearchQuery(
                    text=text, mode="semantic", filters=filters,
                    k=min(opts.neighbours, 1000), candidates=opts.neighbours,
                )).hits
            else:
                out[src["id"]] = {}
                continue
            pairs = [(h.patent_id, float(h.score)) for h in hits if h.patent_id != src["id"]]
            all_hits[src["id"]] = pairs
            hit_ids.update(p for p, _ in pairs)
        holders = holders_of(self.store, sorted(hit_ids))
        for sid, pairs in all_hits.items():
            best: dict[str, float] = {}
            for p, s in pairs:
                for h in holders.get(p, []):
                    if h.get("kind") == "enterprise":
                        best[h["id"]] = max(best.get(h["id"], -1.0), s)
            out[sid] = best
        return out

    def _profiles(self, org_ids: Sequence[str], opts: CompanyOptions) -> dict[str, dict[str, Any]]:
        """Company profiles: info, IPC mix, chain mix and vector centroid."""
        ids = list(org_ids)
        prof: dict[str, dict[str, Any]] = {
            r["id"]: {**r, "ipc_mix": {}, "chain_mix": {}, "centroid": None, "patents": 0}
            for r in self.store.run("match_org_info", ids=ids)
        }
        for r in self.store.run("match_org_ipc_mix", ids=ids):
            prof[r["org_id"]]["ipc_mix"][r["subclass"]] = float(r["n"])
        for r in self.store.run("match_org_chain_mix", ids=ids):
            if r["node_id"] is None:
                continue
            prof[r["org_id"]]["chain_mix"][r["node_id"]] = {
                "n": int(r["n"]), "name": r["name"], "chain_id": r["chain_id"]}
        per_org: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for r in self.store.run("match_org_patents", ids=ids):
            if r["id"] is not None:
                per_org[r["org_id"]].append((r.get("app_year") or 0, r["id"]))
        chosen: dict[str, list[str]] = {}
        for oid, items in per_org.items():
            prof[oid]["patents"] = len(items)
            items.sort(key=lambda t: (-t[0], t[1]))
            chosen[oid] = [pid for _, pid in items[: opts.profile_patents]]
        all_ids = sorted({p for v in chosen.values() for p in v})
        index = getattr(self.searcher, "vector", None)
        unindexed = [p for p in all_ids if index is None or not index.contains(p)]
        texts = {p: "" for p in all_ids}
        if unindexed:
            texts.update({r["id"]: patent_text(r) for r in
                          self.store.run("match_patents_by_ids", ids=unindexed)})
        vecs = self._vectors(texts)
        for oid, pids in chosen.items():
            rows = [vecs[p] for p in pids if p in vecs and np.any(vecs[p])]
            if rows:
                c = np.mean(rows, axis=0)
                n = float(np.linalg.norm(c))
                prof[oid]["centroid"] = c / n if n > 0 else None
        return prof

    def _score_companies(
        self,
        sources: Sequence[Mapping[str, Any]],
        vectors: Mapping[str, np.ndarray],
        neighbours: Mapping[str, Mapping[str, float]],
        opts: CompanyOptions,
    ) -> list[dict[str, Any]]:
        """Score (source patent, company) pairs; one list per company, best first.

        With one source this is the patent -> companies ranking; with several, each
        company carries its per-patent scores in ``patents`` (best first).
        """
        pool: dict[str, float] = defaultdict(float)
        for best in neighbours.values():
            for oid, s in best.items():
                pool[oid] = max(pool[oid], s)
        cand = [o for o, _ in sorted(pool.items(), key=lambda kv: (-kv[1], kv[0]))]
        cand = cand[: opts.max_candidates * max(1, min(len(sources), 5))]
        if not cand:
            return []
        profiles = self._profiles(cand, opts)
        w = opts.weights
        per_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for src in sources:
            src_ipc = {c: 1.0 for c in src.get("ipc_subclasses") or []}
            src_nodes = {n["id"]: n for n in src.get("chain_nodes") or []}
            vec = vectors.get(src["id"])
            cosines = {
                oid: float(np.dot(vec, profiles[oid]["centroid"]))
                for oid in cand
                if vec is not None and oid in profiles
                and profiles[oid]["centroid"] is not None
            }
            lo, hi = (min(cosines.values()), max(cosines.values())) if cosines else (0.0, 0.0)
            for oid in cand:
                prof = profiles.get(oid)
                if prof is None or prof.get("kind") != "enterprise":
                    continue
                cos = cosines.get(oid)
                # static embeddings compress cosines into a narrow band: the factor is the
                # cosine rescaled over this patent's candidates (best 1, worst 0)
                f_text = 0.0 if cos is None else ((cos - lo) / (hi - lo) if hi > lo else 1.0)
                f_ipc = cosine_counts(src_ipc, prof["ipc_mix"])
                shared_nodes = [n for n in src_nodes if n in prof["chain_mix"]]
                f_chain = len(shared_nodes) / len(src_nodes) if src_nodes else 0.0
                f_region = 1.0 if prof.get("is_chongqing") else 0.0
                quals = list(prof.get("qualifications") or [])
                f_qual = min(1.0, QUALIFICATION_WEIGHT * len(quals))
                factors = {
                    "text": {"value": round(f_text, 4), "weight": w.text,
                             "cosine": None if cos is None else round(cos, 4),
                             "detail": f"cosine to the centroid of {min(prof['patents'], opts.profile_patents)} "
                                       f"of its {prof['patents']} patents, rescaled over the "
                                       f"{len(cosines)} candidates"},
                    "ipc": {"value": round(f_ipc, 4), "weight": w.ipc,
                            "shared_subclasses": sorted(set(src_ipc) & set(prof["ipc_mix"])),
                            "company_top_subclasses": [
                                c for c, _ in sorted(prof["ipc_mix"].items(),
                                                     key=lambda kv: (-kv[1], kv[0]))[:5]]},
                    "chain": {"value": round(f_chain, 4), "weight": w.chain,
                              "shared_nodes": [{"id": n, "name": src_nodes[n].get("name")}
                                               for n in shared_nodes],
                              "applicable": bool(src_nodes)},
                    "region": {"value": f_region, "weight": w.region,
                               "region_code": prof.get("region_code"),
                               "is_chongqing": prof.get("is_chongqing")},
                    "qualifications": {"value": f_qual, "weight": w.qualifications,
                                       "qualifications": quals},
                }
                score = sum(f["value"] * f["weight"] for f in factors.values())
                for f in factors.values():
                    f["contribution"] = round(f["value"] * f["weight"], 4)
                per_company[oid].append({"patent_id": src["id"], "score": round(score, 4),
                                         "factors": factors})
        out = []
        for oid, items in per_company.items():
            items.sort(key=lambda x: -x["score"])
            prof = profiles[oid]
            out.append({
                "id": oid, "name": prof.get("name"), "kind": prof.get("kind"),
                "region_code": prof.get("region_code"), "is_chongqing": prof.get("is_chongqing"),
                "qualifications": list(prof.get("qualifications") or []),
                "patents_held": prof["patents"],
                "score": items[0]["score"], "factors": items[0]["factors"],
                "why": _company_summary(items[0]["factors"]),
                "per_patent": items,
            })
        out.sort(key=lambda c: (-c["score"], c["id"]))
        for i, c in enumerate(out, start=1):
            c["rank"] = i
        return out

    # ------------------------------------------------------------------------------------
    # organisation -> companies
    # ------------------------------------------------------------------------------------
    def find_org(self, name: str) -> dict[str, Any]:
        """One organisation by id, name or alias; a unique partial name match also works."""
        name = (name or "").strip()
        if not name:
            raise InvalidInput("organisation name is empty")
        from ingest.normalize.names import normalize_org_name

        variants = list(dict.fromkeys([name, normalize_org_name(name)]))
        for v in variants:
            rows = self.store.run("match_find_org", name=v, contains=False, limit=5)
            if rows:
                return rows[0]
        rows = self.store.run("match_find_org", name=name, contains=True, limit=10)
        if len(rows) == 1:
            return rows[0]
        err = NotFound(f"no organisation named {name}" if not rows else
                       f"{len(rows)} organisations match {name}; give the full name")
        err.detail = {"name": name, "candidates": [r["name"] for r in rows]}  # type: ignore[attr-defined]
        raise err

    def match_org(
        self,
        name: str,
        *,
        options: CompanyOptions | None = None,
        statuses: Sequence[str] | None = None,
        exclude_transferred: bool = True,
    ) -> dict[str, Any]:
        """Companies an organisation (e.g. a university) should approach, with the
        organisation's patents behind each suggestion."""
        t0 = time.perf_counter()
        opts = options or CompanyOptions()
        org = self.find_org(name)
        admitted = self._statuses(statuses)
        rows = self.store.run("match_org_patents", ids=[org["id"]])
        rows = [r for r in rows if r["id"] is not None
                and (r.get("status") or "unknown") in admitted
                and not (exclude_transferred and r.get("transfer_count"))]
        rows.sort(key=lambda r: (r.get("hv") is not True, -(r.get("app_year") or 0), r["id"]))
        records = self._records([r["id"] for r in rows[: opts.max_patents * 2]])
        sources = [records[r["id"]] for r in rows if r["id"] in records
                   and not (exclude_transferred and self.transferred(records[r["id"]]))
                   and patent_text(records[r["id"]])][: opts.max_patents]
        if not sources:
            return {"org": org, "patents_considered": 0, "results": [],
                    "weights": opts.weights.as_dict(),
                    "took_ms": round((time.perf_counter() - t0) * 1000, 1)}
        vectors = self._vectors({s["id"]: patent_text(s) for s in sources})
        neighbours = self._enterprise_neighbours(sources, opts)
        per_pair = self._score_companies(sources, vectors, neighbours, opts)
        by_id = {s["id"]: s for s in sources}
        out = []
        for c in per_pair:
            if c["id"] == org["id"]:
                continue
            items = c["per_patent"]
            best3 = [x["score"] for x in items[:3]]
            support = sum(1 for x in items[3:] if x["score"] >= items[0]["score"] * 0.8)
            score = sum(best3) / len(best3) + min(0.2, 0.05 * support)
            out.append({
                **{k: c[k] for k in ("id", "name", "kind", "region_code", "is_chongqing",
                                     "qualifications", "patents_held")},
                "score": round(score, 4),
                "why": c["why"],
                "factors": c["factors"],
                "patents": [
                    {**_patent_ref(by_id[x["patent_id"]]), "score": x["score"],
                     "why": _company_summary(x["factors"])}
                    for x in items[: opts.evidence_patents]
                ],
            })
        out.sort(key=lambda c: (-c["score"], c["id"]))
        for i, c in enumerate(out, start=1):
            c["rank"] = i
        return {
            "org": org,
            "patents_considered": len(sources),
            "statuses": list(admitted),
            "weights": opts.weights.as_dict(),
            "results": out[: opts.k],
            "took_ms": round((time.perf_counter() - t0) * 1000, 1),
        }


# ----------------------------------------------------------------------------------------
# presentation helpers
# ----------------------------------------------------------------------------------------
def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _patent_ref(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": rec["id"], "app_no": rec.get("app_no"), "pub_no": rec.get("pub_no"),
        "title": rec.get("title"), "kind": rec.get("kind"), "status": _status_of(rec),
        "hv": rec.get("hv"), "ipc_subclasses": list(rec.get("ipc_subclasses") or []),
        "chain_nodes": list(rec.get("chain_nodes") or []),
        "holders": [{k: h.get(k) for k in ("id", "name", "kind")} for h in rec.get("holders") or []],
    }


def _summary(why: Mapping[str, Any]) -> str:
    parts = []
    if why.get("shared_terms"):
        parts.append("shares " + "、".join(why["shared_terms"][:6]))
    for key, label in (("ipc_overlap", "IPC"), ("sei_overlap", "SEI"),
                       ("chain_overlap", "chain")):
        items = why.get(key) or []
        if items:
            parts.append(f"{label} " + ", ".join(str(x.get("name") or x["code"]) if key != "ipc_overlap"
                                                 else x["code"] for x in items))
    sentence = why.get("best_sentence")
    if not parts and sentence:
        parts.append(f"closest sentence ({sentence['method']})")
    return "; ".join(parts) or "semantic similarity only"


def _company_summary(factors: Mapping[str, Mapping[str, Any]]) -> str:
    top = sorted(factors.items(), key=lambda kv: -kv[1]["contribution"])
    parts = []
    for name, f in top:
        if f["contribution"] <= 0:
            continue
        if name == "text":
            parts.append(f"similar patent portfolio (cosine {f.get('cosine') or 0:.2f})")
        elif name == "ipc":
            shared = f.get("shared_subclasses") or []
            parts.append("IPC " + ", ".join(shared) if shared else f"IPC mix ({f['value']:.2f})")
        elif name == "chain":
            parts.append("chain " + ", ".join(n["name"] or n["id"] for n in f["shared_nodes"]))
        elif name == "region":
            parts.append("in Chongqing")
        elif name == "qualifications":
            parts.append("/".join(f["qualifications"]))
    return "; ".join(parts)


def demand_options_from(
    base: DemandOptions | None = None, **changes: Any
) -> DemandOptions:
    """A :class:`DemandOptions` with some fields changed (None values ignored)."""
    base = base or DemandOptions()
    return replace(base, **{k: v for k, v in changes.items() if v is not None})


def iter_all_demands(service: MatchingService, page: int = 200) -> Iterable[dict[str, Any]]:
    """Every stored demand, in id order."""
    offset = 0
    while True:
        chunk = service.list_demands(offset=offset, limit=page)["items"]
        if not chunk:
            return
        yield from chunk
        offset += len(chunk)


# ----------------------------------------------------------------------------------------
# flat rows for CSV / XLSX export
# ----------------------------------------------------------------------------------------
def flatten_demand_matches(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per matched patent of :meth:`MatchingService.match_demand`."""
    demand = result.get("demand") or {}
    rows = []
    for r in result["results"]:
        why = r["why"]
        sentence = why.get("best_sentence") or {}
        rows.append({
            "demand_id": demand.get("id"), "demand_title": demand.get("title"),
            "rank": r["rank"], "app_no": r["app_no"], "pub_no": r["pub_no"], "title": r["title"],
            "kind": r["kind"], "status": r["status"],
            "holders": ";".join(h.get("name") or h["id"] for h in r["holders"]),
            "holder_kinds": ";".join(sorted({h.get("kind") or "" for h in r["holders"]})),
            "score": r["score"], "shared_terms": ";".join(why.get("shared_terms") or []),
            "best_sentence": sentence.get("text"),
            "ipc_overlap": ";".join(x["code"] for x in why.get("ipc_overlap") or []),
            "sei_overlap": ";".join(x["code"] for x in why.get("sei_overlap") or []),
            "chain_overlap": ";".join(x["code"] for x in why.get("chain_overlap") or []),
            "why": why.get("summary"), "hv": r.get("hv"), "open_licence": r.get("open_licence"),
            "id": r["id"],
        })
    return rows


def flatten_company_matches(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per suggested company of :meth:`MatchingService.match_patent` /
    :meth:`MatchingService.match_org`."""
    source = result.get("patent") or result.get("org") or {}
    rows = []
    for c in result["results"]:
        row: dict[str, Any] = {
            "source": source.get("title") or source.get("name") or source.get("id"),
            "rank": c["rank"], "company": c.get("name") or c["id"], "score": c["score"],
            "region_code": c.get("region_code"), "is_chongqing": c.get("is_chongqing"),
            "qualifications": ";".join(c.get("qualifications") or []),
            "patents_held": c.get("patents_held"), "why": c.get("why"),
        }
        for name, f in c["factors"].items():
            row[f"{name}_value"] = f["value"]
            row[f"{name}_contribution"] = f["contribution"]
        if "patents" in c:
            row["patents_behind"] = ";".join(
                f"{p.get('app_no') or p['id']} {p.get('title') or ''} ({p['score']})".strip()
                for p in c["patents"])
        row["company_id"] = c["id"]
        rows.append(row)
    return rows


DEMAND_COLUMNS = [
    ("demand_title", "技术需求"), ("rank", "排名"), ("app_no", "申请号"), ("pub_no", "公开号"),
    ("title", "专利名称"), ("kind", "专利类型"), ("status", "法律状态"), ("holders", "权利人"),
    ("holder_kinds", "权利人类型"), ("score", "匹配得分"), ("shared_terms", "共同关键词"),
    ("best_sentence", "最匹配语句"), ("ipc_overlap", "IPC重合"), ("sei_overlap", "战新产业重合"),
    ("chain_overlap", "产业链重合"), ("why", "匹配说明"), ("hv", "高价值"),
    ("open_licence", "开放许可"), ("id", "专利ID"),
]
COMPANY_COLUMNS = [
    ("source", "来源专利/机构"), ("rank", "排名"), ("company", "企业"), ("score", "匹配得分"),
    ("region_code", "地区代码"), ("is_chongqing", "重庆企业"), ("qualifications", "资质"),
    ("patents_held", "企业专利数"), ("why", "匹配说明"), ("text_value", "技术相似度"),
    ("ipc_value", "IPC构成相似度"), ("chain_value", "产业链重合"), ("region_value", "地区因子"),
    ("qualifications_value", "资质因子"), ("patents_behind", "支撑专利"), ("company_id", "企业ID"),
]


def demand_table(result: Mapping[str, Any]):
    """Demand matches as an :class:`analytics.export.Table`."""
    from analytics.export import Table

    return Table("demand_matches", "技术需求匹配专利", DEMAND_COLUMNS,
                 flatten_demand_matches(result))


def companies_table(result: Mapping[str, Any]):
    """Company suggestions as an :class:`analytics.export.Table`."""
    from analytics.export import Table

    return Table("company_matches", "推荐对接企业", COMPANY_COLUMNS,
                 flatten_company_matches(result))

