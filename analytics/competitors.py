"""Organisation profiles, competitor landscapes and head-to-head comparisons (竞争格局).

Resolving a name
----------------
An organisation is found by its graph id -- the normalised name
(:func:`ingest.normalize.names.normalize_org_name`, so ``重庆大学(本部)`` and
``重庆大学（A区）`` both resolve to ``重庆大学``) -- or by its display name, short name
or one of the raw names (aliases) the data used for it (``nav_org_find``). An unknown
name raises :class:`~patentnav.errors.NotFound` with up to ten suggestions (names that
contain the normalised text).

An organisation's patents are those it **applied for** (``APPLIED_BY``).

Profile
-------
The landscape sections of :mod:`analytics.navigation` over its patents (coverage, trend,
kinds, legal status, IPC mix at subclass and main-group level, sub-topic clusters,
most-cited patents), its partners -- organisations named as co-applicant on the same
patents (shared ``APPLIED_BY``; the derived ``CO_APPLIED`` edges hold the same counts
after ``derive_co_applied``) -- and citations given / received (``CITES`` links, grouped
by the counterpart patent's first applicant, plus the sum of ``cited_count``).

Competitors
-----------
Candidates are (a) organisations with patents in the organisation's 20 most frequent
IPC subclasses (``nav_competitor_candidates``, the ``pool`` -- default 50 -- with most
such patents) and (b) applicants of the ``neighbours`` (default 300) patents nearest to
the organisation's embedding centroid in the search index (the ``pool`` most frequent).
Each candidate gets

* ``ipc_cosine`` -- cosine of the two IPC count vectors (patents per subclass, or per
  main group with ``level="main_group"``);
* ``centroid_cosine`` -- cosine of the two centroids, each the normalised mean of the
  organisation's unit-length patent vectors (at most ``max_vectors`` patents per
  organisation, evenly sampled);
* ``score = w_ipc * ipc_cosine + w_emb * centroid_cosine`` (default weights 0.5 / 0.5).
  A component the *focal* organisation has no data for (no IPC codes, or no vectors /
  no index) gets weight 0 for every candidate and the other takes weight 1
  (``basis`` says which were used); a candidate lacking a component scores 0 on it.

Each competitor is explained: the shared IPC codes that contribute most to the overlap
(``min(count_focal, count_candidate)``, with titles), both similarities, and the number
of patents the two applied for together.

Comparison
----------
Two or more organisations side by side: patents by kind, legal status (valid share of
the patents whose status is known), grants, application trend, IPC mix (top codes and
pairwise IPC cosine), ``cited_count`` sums and ``CITES`` links given / received.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.export import Table
from analytics.facets import FacetEngine
from analytics.navigation import (
    HOLDER_KIND_ZH,
    KIND_ZH,
    LandscapeOptions,
    NavigationService,
    Timer,
    even_sample,
    ids_params,
    patent_vectors,
    plain_row,
    share,
)
from graph.base import GraphStore
from patentnav.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # pragma: no cover
    from embeddings.hybrid import HybridSearcher

log = logging.getLogger(__name__)

LEVELS = ("subclass", "main_group")
TOP_CODES = 20
PROFILE_SECTIONS = ("trend", "kinds", "status", "ipc_subclasses", "ipc_groups", "clusters",
                    "top_cited", "regions", "inventors")


def resolve_org(store: GraphStore, name: str) -> dict[str, Any]:
    """The organisation called ``name`` (id, name, short name or alias; see module doc)."""
    from ingest.normalize.names import normalize_org_name

    text = (name or "").strip()
    if not text:
        raise InvalidInput("an organisation name is required")
    if len(text) > 200:
        raise InvalidInput("organisation name is longer than 200 characters")
    norm = normalize_org_name(text)
    names = list(dict.fromkeys([text, norm]))
    rows = store.run("nav_org_find", names=names)
    if not rows:
        sugg = store.run("nav_org_suggest", text=norm or text, limit=10)
        err = NotFound(f"no organisation named {text!r}"
                       + (f"; did you mean {', '.join(r['name'] for r in sugg[:5])}?" if sugg else ""))
        err.detail = {"name": text, "normalised": norm,  # type: ignore[attr-defined]
                      "suggestions": [{"id": r["id"], "name": r["name"], "kind": r["kind"]} for r in sugg]}
        raise err
    for key in (norm, text):
        for r in rows:
            if r["id"] == key:
                return r
    if len(rows) > 1:
        log.info("organisation %r matches %d records; using %s", text, len(rows), rows[0]["id"])
    return rows[0]


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float | None:
    """Cosine of two sparse count vectors (None when either is empty)."""
    if not a or not b:
        return None
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else None


def org_ref(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row.get("name") or row["id"], "kind": row.get("kind"),
            "kind_zh": HOLDER_KIND_ZH.get(row.get("kind") or "unknown"),
            "is_chongqing": row.get("is_chongqing"), "region_code": row.get("region_code")}


@dataclass
class OrgProfile:
    org: dict[str, Any]
    patents: int
    landscape: dict[str, Any]
    partners: list[dict[str, Any]]
    citations: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    _tables: list[Table] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"org": self.org, "patents": self.patents, **self.landscape,
                "partners": self.partners, "citations": self.citations, "notes": self.notes,
                "meta": self.meta}

    def tables(self) -> list[Table]:
        out = [Table("org", "机构信息", [("id", "机构"), ("kind_zh", "类型"), ("is_chongqing", "重庆"),
                                        ("region_code", "地区代码"), ("patents", "专利数")],
                     [{**self.org, "patents": self.patents}])]
        out += self._tables
        out.append(Table("partners", "合作申请人", [("name", "合作机构"), ("kind_zh", "类型"),
                                                  ("is_chongqing", "重庆"), ("patents", "共同申请专利数")],
                         self.partners))
        rows = []
        for direction, label in (("given", "引用"), ("received", "被引用")):
            for r in self.citations[direction]["by_org"]:
                rows.append({"direction": label, **r})
        out.append(Table("citations", "引证关系", [("direction", "方向"), ("org_name", "对方机构"),
                                                 ("org_id", "对方机构代码"), ("citations", "引证次数"),
                                                 ("patents", "涉及专利数")], rows))
        return out


@dataclass
class CompetitorResult:
    org: dict[str, Any]
    patents: int
    level: str
    basis: list[str]
    weights: dict[str, float]
    competitors: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"org": self.org, "patents": self.patents, "level": self.level, "basis": self.basis,
                "weights": self.weights, "competitors": self.competitors, "notes": self.notes,
                "meta": self.meta}

    def tables(self) -> list[Table]:
        rows = [{**c, "shared_text": [f"{s['code']}({s['focal']}/{s['candidate']})" for s in c["shared_codes"]]}
                for c in self.competitors]
        return [Table("competitors", f"{self.org['name']} 竞争对手", [
            ("rank", "排名"), ("name", "机构"), ("kind_zh", "类型"), ("is_chongqing", "重庆"),
            ("patents", "专利数"), ("score", "综合得分"), ("ipc_cosine", "IPC相似度"),
            ("centroid_cosine", "语义相似度"), ("co_applied", "共同申请数"),
            ("shared_text", "共有主要分类号(本机构/对手)")], rows)]


@dataclass
class Comparison:
    orgs: list[dict[str, Any]]
    years: list[int]
    ipc_similarity: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        orgs = [{k: v for k, v in o.items() if k != "trend_by_year"} for o in self.orgs]
        return {"orgs": orgs, "years": self.years, "ipc_similarity": self.ipc_similarity,
                "notes": self.notes, "meta": self.meta}

    def tables(self) -> list[Table]:
        summary = Table("summary", "机构对比", [
            ("name", "机构"), ("kind_zh", "类型"), ("patents", "专利数"), ("inventions", "发明"),
            ("utility_models", "实用新型"), ("designs", "外观设计"), ("valid", "有效专利"),
            ("valid_share", "有效率(已知状态)"), ("grants", "授权量"), ("cited_total", "被引总次数"),
            ("cites_given", "引用链接数"), ("cites_received", "被引链接数"),
            ("first_year", "最早申请年"), ("last_year", "最近申请年")], self.orgs)
        trend_cols = [("year", "年份")] + [(o["id"], o["name"]) for o in self.orgs]
        trend_rows = []
        for y in self.years:
            row: dict[str, Any] = {"year": y}
            for o in self.orgs:
                row[o["id"]] = o["trend_by_year"].get(y, 0)
            trend_rows.append(row)
        ipc_rows = [{"name": o["name"], "code": c["code"], "title_zh": c.get("title_zh"),
                     "patents": c["patents"], "share": c["share"]}
                    for o in self.orgs for c in o["ipc_top"]]
        return [summary,
                Table("trend", "年度申请趋势", trend_cols, trend_rows),
                Table("ipc", "IPC构成", [("name", "机构"), ("code", "分类号"), ("title_zh", "中文名称"),
                                        ("patents", "专利数"), ("share", "占比")], ipc_rows),
                Table("ipc_similarity", "技术相似度(IPC余弦)", [("a", "机构A"), ("b", "机构B"),
                                                              ("cosine", "IPC余弦")], self.ipc_similarity)]


class OrgService:
    """Profiles, competitors and comparisons over a graph store (and, for the embedding
    parts, the hybrid searcher)."""

    def __init__(self, store: GraphStore, searcher: HybridSearcher | None = None, *,
                 nav: NavigationService | None = None, engine: str = "auto") -> None:
        self.store = store
        self.searcher = searcher
        self.nav = nav or NavigationService(store, searcher, engine=engine)

    def resolve(self, name: str) -> dict[str, Any]:
        return resolve_org(self.store, name)

    def patent_ids(self, org_id: str, timer: Timer) -> list[str]:
        """Sorted ids of the patents ``org_id`` applied for, from the graph."""
        return self.nav.graph_facets.org_patent_ids([org_id], timer).get(org_id, [])

    # -- profile -------------------------------------------------------------------------------
    def profile(self, name: str, options: LandscapeOptions | None = None, *,
                partners: int = 20) -> OrgProfile:
        t0 = time.perf_counter()
        options = options or LandscapeOptions(sections=PROFILE_SECTIONS)
        if options.sections is None:
            options = LandscapeOptions(**{**options.__dict__, "sections": PROFILE_SECTIONS})
        org = self.resolve(name)
        timer = Timer()
        ids = self.patent_ids(org["id"], timer)
        land = self.nav.describe_ids(ids, options, timer)
        partner_rows = [{**org_ref(r), "patents": r["patents"]} for r in timer.run(
            "nav_org_partners", lambda: self.store.run("nav_org_partners", org_id=org["id"], limit=partners))]
        citations = self._citations(ids, land.sections.get("cq_comparison"), land.coverage)
        notes = list(land.notes)
        if not partner_rows and ids:
            notes.append("no co-applicant recorded on this organisation's patents")
        if citations["given"]["links"] == 0 and citations["received"]["links"] == 0:
            notes.append("no CITES link is recorded for these patents (citation lists come only "
                         "from full bibliographic exports)")
        sections = {k: v for k, v in land.sections.items() if k != "cq_comparison"}
        body = {"coverage": land.coverage, **sections, "unavailable": land.unavailable}
        tables = [t for t in land.tables() if t.name != "cq_comparison"]
        return OrgProfile(
            org=org_ref(org) | {"aliases": org.get("aliases") or [],
                                "qualifications": org.get("qualifications") or []},
            patents=len(ids), landscape=body, partners=partner_rows, citations=citations,
            notes=notes, meta={"took_ms": round((time.perf_counter() - t0) * 1000, 1),
                               "engine": land.meta.get("engine"), "timings_ms": timer.ms},
            _tables=tables)

    def _citations(self, ids: list[str], _comp: Any, coverage: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for direction, name, count_key in (("given", "nav_citations_given", "cited_patents"),
                                           ("received", "nav_citations_received", "citing_patents")):
            rows = [plain_row(r) for r in self.store.run(name, **ids_params(self.store, name, ids))] if ids else []
            out[direction] = {
                "links": sum(r["citations"] for r in rows),
                "by_org": [{"org_id": r["org_id"] or None, "org_name": r["org_name"] or
                            ("(无申请人信息)" if not r["org_id"] else r["org_id"]),
                            "citations": r["citations"], "patents": r[count_key]} for r in rows[:20]],
            }
        out["cited_count_known"] = coverage["fields"]["cited"]["patents"]
        return out

    # -- competitors ------------------------------------------------------------------------------
    def competitors(self, name: str, *, limit: int = 20, level: str = "subclass",
                    w_ipc: float = 0.5, w_emb: float = 0.5, pool: int = 50,
                    neighbours: int = 300, max_vectors: int = 500) -> CompetitorResult:
        if level not in LEVELS:
            raise InvalidInput(f"level must be one of {', '.join(LEVELS)}")
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200")
        if w_ipc < 0 or w_emb < 0 or w_ipc + w_emb == 0:
            raise InvalidInput("weights must be non-negative and not both zero")
        t0 = time.perf_counter()
        timer = Timer()
        org = self.resolve(name)
        oid = org["id"]
        # the catalog answers when it holds as many of the organisation's patents as the
        # graph does (one count query instead of listing them all), else the graph
        engine, graph = self.nav.facets, self.nav.graph_facets
        ids: list[str] | None = None
        if engine is not graph:
            held = engine.org_patent_ids([oid], timer).get(oid, [])
            if held and len(held) == graph.org_cards([oid], timer).get(oid, {}).get("patents"):
                ids = held
            else:
                engine = graph
        if ids is None:
            ids = self.patent_ids(oid, timer)
        notes: list[str] = []
        if not ids:
            raise NotFound(f"{org['name']} has no patents in the graph")
        focal_mix = engine.org_mix([oid], level, timer).get(oid, {})
        sub_mix = focal_mix if level == "subclass" else engine.org_mix([oid], "subclass", timer).get(oid, {})
        focal_centroid = None
        if self.searcher is not None:
            kept, vecs = patent_vectors(self.searcher, even_sample(ids, max_vectors))
            if len(kept):
                focal_centroid = _unit(vecs.mean(axis=0))
        else:
            notes.append("no search index: competitors are ranked by IPC overlap only")
        # candidates
        cand_ipc: dict[str, int] = {}
        if sub_mix:
            top = [c for c, _ in sorted(sub_mix.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CODES]]
            cand_ipc = engine.competitor_candidates(top, [oid], pool, timer)
        else:
            notes.append(f"none of {org['name']}'s patents carries an IPC code: IPC overlap is not used")
        cand_emb: dict[str, int] = {}
        if focal_centroid is not None:
            cand_emb = timer.run("neighbours", lambda: self._embedding_candidates(
                focal_centroid, set(ids), oid, neighbours, pool))
        elif self.searcher is not None:
            notes.append(f"none of {org['name']}'s patents is in the vector index: "
                         "embedding similarity is not used")
        cands = list(dict.fromkeys([*cand_ipc, *cand_emb]))
        basis = [b for b, ok in (("ipc", bool(focal_mix)), ("embedding", focal_centroid is not None)) if ok]
        if not basis:
            raise InvalidInput(f"{org['name']} has neither IPC codes nor indexed patents: "
                               "no basis for a competitor ranking")
        wi = w_ipc if "ipc" in basis else 0.0
        we = w_emb if "embedding" in basis else 0.0
        if wi + we <= 0:
            raise InvalidInput(
                f"only {' and '.join(basis)} similarity is available for {org['name']}, "
                "and its weight is zero: give it a positive weight")
        wi, we = wi / (wi + we), we / (wi + we)
        mixes = engine.org_mix(cands, level, timer) if cands and focal_mix else {}
        centroids = timer.run("centroids", lambda: self._centroids(cands, max_vectors, engine, timer)) \
            if cands and focal_centroid is not None else {}
        info = engine.org_cards(cands, timer)
        co = {r["id"]: r["patents"] for r in timer.run("nav_org_partners", lambda: self.store.run(
            "nav_org_partners", org_id=oid, limit=1000))}
        scored = []
        for c in cands:
            ic = cosine(focal_mix, mixes.get(c, {})) if focal_mix else None
            ec = float(focal_centroid @ centroids[c]) if focal_centroid is not None and c in centroids else None
            score = wi * (ic or 0.0) + we * (ec or 0.0)
            scored.append((score, c, ic, ec))
        scored.sort(key=lambda t: (-t[0], t[1]))
        top_rows = scored[:limit]
        shared_codes: dict[str, list[dict[str, Any]]] = {}
        all_codes: set[str] = set()
        for _, c, _, _ in top_rows:
            cm = mixes.get(c, {})
            sh = sorted(((min(v, cm[k]), k, v, cm[k]) for k, v in focal_mix.items() if k in cm),
                        key=lambda t: (-t[0], t[1]))[:5]
            shared_codes[c] = [{"code": k, "focal": fv, "candidate": cv} for _, k, fv, cv in sh]
            all_codes.update(k for _, k, _, _ in sh)
        titles = self._titles(all_codes)
        competitors = []
        for rank, (score, c, ic, ec) in enumerate(top_rows, start=1):
            row = info.get(c, {"id": c})
            for s in shared_codes[c]:
                s.update(titles.get(s["code"], {}))
            reasons = []
            if shared_codes[c]:
                reasons.append("共有分类号 " + "、".join(s["code"] for s in shared_codes[c][:3]))
            if ec is not None:
                reasons.append(f"语义中心相似度 {ec:.2f}")
            if co.get(c):
                reasons.append(f"共同申请 {co[c]} 件")
            competitors.append({
                "rank": rank, **org_ref(row), "patents": row.get("patents"),
                "score": round(score, 4), "ipc_cosine": None if ic is None else round(ic, 4),
                "centroid_cosine": None if ec is None else round(ec, 4),
                "co_applied": co.get(c, 0), "shared_codes": shared_codes[c],
                "explanation": "；".join(reasons),
                "found_by": [src for src, d in (("ipc", cand_ipc), ("embedding", cand_emb)) if c in d],
            })
        if not cands:
            notes.append("no candidate organisation shares IPC subclasses or nearby patents")
        return CompetitorResult(
            org=org_ref(org), patents=len(ids), level=level, basis=basis,
            weights={"ipc": round(wi, 4), "embedding": round(we, 4)}, competitors=competitors,
            notes=notes, meta={"candidates": len(cands), "from_ipc": len(cand_ipc),
                               "from_embedding": len(cand_emb),
                               "engine": engine.name,
                               "took_ms": round((time.perf_counter() - t0) * 1000, 1),
                               "timings_ms": timer.ms})

    def _titles(self, codes: set[str]) -> dict[str, dict[str, Any]]:
        if not codes:
            return {}
        return {r["code"]: {"title": r["title"], "title_zh": r["title_zh"]}
                for r in self.store.run("nav_ipc_titles", codes=sorted(codes))}

    def _embedding_candidates(self, centroid: np.ndarray, own: set[str], oid: str,
                              neighbours: int, pool: int) -> dict[str, int]:
        hits = self.searcher.vector.search(centroid, neighbours + min(len(own), 2000))
        near = [pid for pid, _ in hits if pid not in own][:neighbours]
        if not near:
            return {}
        counts: Counter[str] = Counter()
        for r in self.store.run("nav_patent_applicants", **ids_params(self.store, "nav_patent_applicants", near)):
            if r["org_id"] != oid:
                counts[r["org_id"]] += 1
        return dict(counts.most_common(pool))

    def _centroids(self, org_ids: Sequence[str], max_vectors: int, engine: FacetEngine,
                   timer: Timer) -> dict[str, np.ndarray]:
        by_org = engine.org_patent_ids(org_ids, timer)
        sampled = {o: even_sample(v, max_vectors) for o, v in by_org.items()}
        flat = [pid for v in sampled.values() for pid in v]
        kept, vecs = patent_vectors(self.searcher, flat)
        pos = {pid: i for i, pid in enumerate(kept)}
        out = {}
        for o, v in sampled.items():
            rows = [pos[p] for p in v if p in pos]
            if rows:
                out[o] = _unit(vecs[rows].mean(axis=0))
        return out

    # -- comparison -------------------------------------------------------------------------------
    def compare(self, names: Sequence[str], *, top_codes: int = 10) -> Comparison:
        names = [n for n in dict.fromkeys(n.strip() for n in names) if n]
        if not 2 <= len(names) <= 10:
            raise InvalidInput("compare needs between 2 and 10 organisation names")
        t0 = time.perf_counter()
        orgs = [self.resolve(n) for n in names]
        ids = list(dict.fromkeys(o["id"] for o in orgs))
        if len(ids) < 2:
            raise InvalidInput(f"the names all resolve to the same organisation ({ids[0]})")
        facets = [plain_row(r) for r in self.store.run("nav_orgs_facets", org_ids=ids)]
        mix = self.nav.graph_facets.org_mix(ids, "subclass", Timer())
        links = {r["org_id"]: plain_row(r) for r in self.store.run("nav_orgs_citation_links", org_ids=ids)}
        codes = {c for m in mix.values() for c in sorted(m, key=lambda k: -m[k])[:top_codes]}
        titles = self._titles(codes)
        by_id = {o["id"]: o for o in orgs}
        years: set[int] = set()
        out = []
        notes: list[str] = []
        for oid in ids:
            rows = [r for r in facets if r["org_id"] == oid]
            n = sum(r["patents"] for r in rows)
            kinds = Counter()
            for r in rows:
                kinds[r["kind"]] += r["patents"]
            valid = sum(r["patents"] for r in rows if r["status"] == "valid")
            known = sum(r["patents"] for r in rows if r["status"] != "unknown")
            with_cited = sum(r["with_cited"] for r in rows)
            trend: Counter[int] = Counter()
            for r in rows:
                if r["app_year"] is not None:
                    trend[int(r["app_year"])] += r["patents"]
            years.update(trend)
            m = mix.get(oid, {})
            ipc_total = sum(m.values())
            ipc_top = [{"code": c, "patents": v, "share": share(v, n), **titles.get(c, {})}
                       for c, v in sorted(m.items(), key=lambda kv: (-kv[1], kv[0]))[:top_codes]]
            link = links.get(oid, {"given": 0, "received": 0})
            dated = sum(trend.values())
            out.append({
                **org_ref(by_id[oid]), "patents": n, "inventions": kinds.get("invention", 0),
                "utility_models": kinds.get("utility_model", 0), "designs": kinds.get("design", 0),
                "kind_unknown": kinds.get("unknown", 0),
                "valid": valid, "status_known": known, "valid_share": share(valid, known),
                "grants": sum(r["patents"] for r in rows if r["grant_year"] is not None),
                "cited_total": sum(r["cited"] for r in rows) if with_cited else None,
                "cited_known": with_cited,
                "cites_given": link["given"], "cites_received": link["received"],
                "first_year": min(trend) if trend else None, "last_year": max(trend) if trend else None,
                "dated": dated, "with_ipc": ipc_total > 0,
                "trend_by_year": dict(sorted(trend.items())), "ipc_top": ipc_top,
            })
            if n and dated < n:
                notes.append(f"{by_id[oid]['id']}: application year known for {dated} of {n} patents")
            if n and known < n:
                notes.append(f"{by_id[oid]['id']}: legal status known for {known} of {n} patents")
            if n and not m:
                notes.append(f"{by_id[oid]['id']}: no IPC code on its patents")
        sim = []
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                c = cosine(mix.get(a, {}), mix.get(b, {}))
                sim.append({"a": a, "b": b, "cosine": None if c is None else round(c, 4)})
        yr = list(range(min(years), max(years) + 1)) if years else []
        for o in out:
            o["trend"] = [{"year": y, "applications": o["trend_by_year"].get(y, 0)} for y in yr]
        return Comparison(out, yr, sim, notes,
                          {"took_ms": round((time.perf_counter() - t0) * 1000, 1)})


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n else v.astype(np.float32)


__all__ = [
    "KIND_ZH",
    "Comparison",
    "CompetitorResult",
    "OrgProfile",
    "OrgService",
    "cosine",
    "resolve_org",
]
