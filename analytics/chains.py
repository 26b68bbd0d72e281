"""Industry-chain maps and gap analysis (产业链图谱与技术短板分析).

A chain (``IndustryChain``) has segments (``ChainNode``, ``PART_OF`` it) at an
``upstream`` / ``midstream`` / ``downstream`` position; the ingest classifier places
patents in segments (``IN_CHAIN_NODE``, by IPC pattern and/or keyword). A patent's
region is its ``region_code`` (first applicant's region); "local" means the home
province (``500000`` 重庆市, i.e. codes starting with ``50``).

Chain map (per segment and for the whole chain, patents counted once per segment and
once for the chain)
    ``patents``            all patents in the segment;
    ``region_known``       of which with a recorded region;
    ``local``              of which local;
    ``national_share``     ``local / region_known`` -- the home province's share of the
                           segment's patents with a known region;
    ``local_recent`` / ``local_earlier`` and ``rest_recent`` / ``rest_earlier``
                           applications in the recent window ``[as_of - w + 1, as_of]``
                           and the earlier window ``[as_of - 2w + 1, as_of - w]``
                           (``w`` = ``window`` years, default 3; ``as_of`` defaults to
                           the latest application year in the chain), local and in
                           other known regions; ``local_growth`` / ``rest_growth`` =
                           ``recent / earlier - 1`` (None when the earlier window is
                           empty). Recent years are incomplete in any patent database
                           (publication lags filing by ~18 months): compare local
                           with rest, not with zero.
    ``leading_local``      the local organisations (``is_chongqing``) with most patents.

Gap analysis -- the 技术短板 score
    The baseline is the home province's share of **all** patents with a known region in
    the graph, ``B = local_all / region_known_all``. For a segment with ``region_known``
    = ``K`` patents of which ``L`` are local:

    * ``rta = (L / K) / B`` -- revealed technological advantage (区位熵): 1 = the
      province holds the same share of this segment as of everything, below 1 = less;
    * ``gap_score = clip(1 - rta, 0, 1)`` -- the **技术短板 score**: 0 = no gap (at or
      above par), 1 = no local patent at all;
    * ``expected_local = K * B`` and ``shortfall = max(0, expected_local - L)`` -- how
      many local patents par would mean;
    * a segment is **weak** when ``K >= min_patents`` (default 5: shares of a handful of
      patents are noise) and ``rta < weak_threshold`` (default 0.5, i.e. a local share
      under half the overall local share).

    Segments with ``K < min_patents`` are reported with ``sufficient_data = false`` and
    never flagged. For each segment the universities and research institutes holding
    patents in it are listed as candidates to close the gap, local ones first, then by
    number of patents in the segment.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.export import Table
from analytics.navigation import HOLDER_KIND_ZH, HOME_REGION, plain_row, share
from graph.base import GraphStore
from patentnav.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

POSITIONS = ("upstream", "midstream", "downstream")
POSITION_ZH = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
CANDIDATE_KINDS = ("university", "institute")


@dataclass(frozen=True)
class ChainOptions:
    window: int = 3
    as_of: int | None = None
    holders: int = 5
    candidates: int = 10
    weak_threshold: float = 0.5
    min_patents: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.window <= 10:
            raise InvalidInput("window must be between 1 and 10 years")
        if self.as_of is not None and not 1900 <= self.as_of <= 2100:
            raise InvalidInput("as_of must be a year")
        if not 0 <= self.holders <= 50 or not 0 <= self.candidates <= 50:
            raise InvalidInput("holders and candidates must be between 0 and 50")
        if not 0 < self.weak_threshold <= 1:
            raise InvalidInput("weak_threshold must be in (0, 1]")
        if not 1 <= self.min_patents <= 10_000:
            raise InvalidInput("min_patents must be between 1 and 10000")


def growth(recent: int, earlier: int) -> float | None:
    return round(recent / earlier - 1, 4) if earlier else None


@dataclass
class Stats:
    """Counts of one segment (or the whole chain) from (province, app_year, patents) rows."""

    patents: int = 0
    region_known: int = 0
    local: int = 0
    dated: int = 0
    by_year_local: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_year_rest: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, province: str, year: int | None, n: int, home: str) -> None:
        self.patents += n
        if province:
            self.region_known += n
            if province == home:
                self.local += n
        if year is not None:
            self.dated += n
            if province == home:
                self.by_year_local[int(year)] += n
            elif province:
                self.by_year_rest[int(year)] += n

    def window(self, by_year: Mapping[int, int], lo: int, hi: int) -> int:
        return sum(v for y, v in by_year.items() if lo <= y <= hi)

    def summary(self, as_of: int | None, w: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "patents": self.patents, "region_known": self.region_known, "local": self.local,
            "rest": self.region_known - self.local, "national_share": share(self.local, self.region_known),
            "dated": self.dated,
        }
        if as_of is None:
            out.update(local_recent=None, local_earlier=None, rest_recent=None, rest_earlier=None,
                       local_growth=None, rest_growth=None)
            return out
        r = (as_of - w + 1, as_of)
        e = (as_of - 2 * w + 1, as_of - w)
        lr, le = self.window(self.by_year_local, *r), self.window(self.by_year_local, *e)
        rr, re_ = self.window(self.by_year_rest, *r), self.window(self.by_year_rest, *e)
        out.update(local_recent=lr, local_earlier=le, rest_recent=rr, rest_earlier=re_,
                   local_growth=growth(lr, le), rest_growth=growth(rr, re_))
        return out


@dataclass
class ChainMap:
    chain: dict[str, Any]
    totals: dict[str, Any]
    segments: list[dict[str, Any]]
    windows: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "totals": self.totals, "segments": self.segments,
                "windows": self.windows, "notes": self.notes, "meta": self.meta}

    def tables(self) -> list[Table]:
        rows = [{**s, "position_zh": POSITION_ZH.get(s["position"], s["position"]),
                 "leading_text": [f"{h['name']}({h['patents']})" for h in s["leading_local"]]}
                for s in self.segments]
        return [Table("segments", f"{self.chain['name']} 产业链图谱", [
            ("position_zh", "环节位置"), ("name", "环节"), ("patents", "专利数"),
            ("region_known", "地区已知"), ("local", "重庆专利数"), ("national_share", "重庆占全国比重"),
            ("local_recent", "重庆近期申请"), ("local_earlier", "重庆前期申请"), ("local_growth", "重庆增长率"),
            ("rest_recent", "其他地区近期申请"), ("rest_earlier", "其他地区前期申请"),
            ("rest_growth", "其他地区增长率"), ("leading_text", "重庆主要申请人")], rows)]


@dataclass
class GapAnalysis:
    chain: dict[str, Any]
    baseline: dict[str, Any]
    segments: list[dict[str, Any]]
    weak: list[str]
    definition: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "baseline": self.baseline, "segments": self.segments,
                "weak": self.weak, "definition": self.definition, "notes": self.notes,
                "meta": self.meta}

    def tables(self) -> list[Table]:
        rows = [{**s, "position_zh": POSITION_ZH.get(s["position"], s["position"]),
                 "candidates_text": [f"{c['name']}({c['patents']})" for c in s["candidates"]]}
                for s in self.segments]
        cand_rows = [{"segment": s["name"], **c} for s in self.segments for c in s["candidates"]]
        return [
            Table("gaps", f"{self.chain['name']} 技术短板分析", [
                ("position_zh", "环节位置"), ("name", "环节"), ("region_known", "地区已知专利数"),
                ("local", "重庆专利数"), ("local_share", "重庆占比"), ("rta", "区位熵(RTA)"),
                ("gap_score", "技术短板得分"), ("expected_local", "按平均水平应有"),
                ("shortfall", "缺口(件)"), ("weak", "短板"), ("sufficient_data", "数据充分"),
                ("candidates_text", "可合作高校/院所")], rows),
            Table("candidates", "补链候选高校与科研院所", [
                ("segment", "环节"), ("name", "机构"), ("kind_zh", "类型"), ("is_chongqing", "重庆"),
                ("region_code", "地区代码"), ("patents", "该环节专利数")], cand_rows),
        ]


class ChainService:
    """Chain list, chain maps and gap analyses over a graph store."""

    def __init__(self, store: GraphStore, *, home_region: str = HOME_REGION) -> None:
        self.store = store
        self.home_region = home_region
        self.home = home_region[:2]

    def list_chains(self) -> list[dict[str, Any]]:
        return [plain_row(r) for r in self.store.run("nav_chains")]

    def chains_table(self, rows: list[dict[str, Any]]) -> Table:
        return Table("chains", "重点产业链", [("id", "代码"), ("name", "产业链"), ("system", "体系"),
                                           ("tier", "层级"), ("segments", "环节数"), ("patents", "专利数"),
                                           ("complete", "环节完整"), ("source", "来源")], rows)

    def _chain(self, chain_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rows = self.store.run("nav_chain_nodes", chain_id=chain_id)
        if not rows:
            known = [r["id"] for r in self.list_chains()]
            err = NotFound(f"no industry chain {chain_id!r}")
            err.detail = {"chain_id": chain_id, "known": known}  # type: ignore[attr-defined]
            raise err
        r0 = rows[0]
        chain = {"id": r0["chain_id"], "name": r0["chain_name"], "system": r0["system"],
                 "tier": r0["tier"], "complete": r0["complete"], "source": r0["source"], "note": r0["note"]}
        nodes = [{"id": r["node_id"], "name": r["node_name"], "position": r["position"],
                  "ipc_patterns": r["ipc_patterns"] or [], "keywords": r["keywords"] or []}
                 for r in rows if r["node_id"]]
        order = {p: i for i, p in enumerate(POSITIONS)}
        nodes.sort(key=lambda n: (order.get(n["position"], 9), n["id"]))
        return chain, nodes

    def _stats(self, chain_id: str) -> tuple[dict[str, Stats], Stats, list[dict], float]:
        t = time.perf_counter()
        per_node: dict[str, Stats] = defaultdict(Stats)
        for r in self.store.run("nav_chain_node_facets", chain_id=chain_id):
            per_node[r["node_id"]].add(r["province"], r["app_year"], int(r["patents"]), self.home)
        whole = Stats()
        for r in self.store.run("nav_chain_facets", chain_id=chain_id):
            whole.add(r["province"], r["app_year"], int(r["patents"]), self.home)
        holders = [plain_row(r) for r in self.store.run(
            "nav_chain_node_holders", chain_id=chain_id, kinds=list(CANDIDATE_KINDS))]
        return per_node, whole, holders, (time.perf_counter() - t) * 1000

    def _as_of(self, whole: Stats, options: ChainOptions) -> int | None:
        if options.as_of is not None:
            return options.as_of
        years = set(whole.by_year_local) | set(whole.by_year_rest)
        return max(years) if years else None

    def chain_map(self, chain_id: str, options: ChainOptions | None = None) -> ChainMap:
        options = options or ChainOptions()
        t0 = time.perf_counter()
        chain, nodes = self._chain(chain_id)
        per_node, whole, holders, q_ms = self._stats(chain_id)
        as_of = self._as_of(whole, options)
        w = options.window
        by_node_holders = _group(holders, "node_id")
        segments = []
        for n in nodes:
            st = per_node.get(n["id"], Stats())
            local = sorted((h for h in by_node_holders.get(n["id"], []) if h["is_chongqing"]),
                           key=lambda h: (-h["patents"], h["id"]))[: options.holders]
            segments.append({**n, **st.summary(as_of, w),
                             "leading_local": [_holder(h) for h in local]})
        notes = _coverage_notes(whole, as_of)
        if not chain.get("complete"):
            notes.append("this chain's segments are a working definition (not an official list): "
                         "see the chain's note and source")
        windows = None if as_of is None else {
            "as_of": as_of, "window": w, "recent": [as_of - w + 1, as_of],
            "earlier": [as_of - 2 * w + 1, as_of - w]}
        return ChainMap(chain, whole.summary(as_of, w), segments, windows, notes,
                        {"took_ms": round((time.perf_counter() - t0) * 1000, 1),
                         "query_ms": round(q_ms, 1), "home_region": self.home_region})

    def gaps(self, chain_id: str, options: ChainOptions | None = None) -> GapAnalysis:
        options = options or ChainOptions()
        t0 = time.perf_counter()
        chain, nodes = self._chain(chain_id)
        per_node, whole, holders, _ = self._stats(chain_id)
        base_local = base_known = base_all = 0
        for r in self.store.run("nav_region_totals"):
            n = int(r["patents"])
            base_all += n
            if r["province"]:
                base_known += n
                if r["province"] == self.home:
                    base_local += n
        B = base_local / base_known if base_known else None
        by_node_holders = _group(holders, "node_id")
        segments = []
        for n in nodes:
            st = per_node.get(n["id"], Stats())
            K, L = st.region_known, st.local
            seg = {**n, "patents": st.patents, "region_known": K, "local": L,
                   "local_share": share(L, K), "sufficient_data": K >= options.min_patents}
            if B and K:
                rta = (L / K) / B
                expected = K * B
                seg.update(rta=round(rta, 4), gap_score=round(min(1.0, max(0.0, 1 - rta)), 4),
                           expected_local=round(expected, 2), shortfall=round(max(0.0, expected - L), 2))
            else:
                seg.update(rta=None, gap_score=None, expected_local=None, shortfall=None)
            seg["weak"] = bool(seg["sufficient_data"] and seg["rta"] is not None
                               and seg["rta"] < options.weak_threshold)
            cands = sorted((h for h in by_node_holders.get(n["id"], []) if h["kind"] in CANDIDATE_KINDS),
                           key=lambda h: (not h["is_chongqing"], -h["patents"], h["id"]))
            seg["candidates"] = [_holder(h) for h in cands[: options.candidates]]
            segments.append(seg)
        segments.sort(key=lambda s: (not s["weak"], -(s["gap_score"] or 0), -(s["shortfall"] or 0), s["id"]))
        notes = _coverage_notes(whole, None)
        if B is None:
            notes.append("no patent in the graph has a region: local shares cannot be computed")
        elif base_local == 0:
            notes.append("no patent in the graph is attributed to the home province: every segment "
                         "shows the same gap")
        thin = [s["id"] for s in segments if not s["sufficient_data"]]
        if thin:
            notes.append(f"{len(thin)} of {len(segments)} segments have fewer than {options.min_patents} "
                         "patents with a known region and are not assessed")
        baseline = {"local": base_local, "region_known": base_known, "patents": base_all,
                    "local_share": share(base_local, base_known),
                    "chain_local_share": share(whole.local, whole.region_known),
                    "chain_rta": round((whole.local / whole.region_known) / B, 4)
                    if B and whole.region_known else None}
        definition = {
            "rta": "(local / region_known of the segment) / (local / region_known of all patents)",
            "gap_score": "clip(1 - rta, 0, 1)",
            "weak": f"region_known >= {options.min_patents} and rta < {options.weak_threshold}",
            "shortfall": "max(0, region_known * baseline share - local)",
        }
        return GapAnalysis(chain, baseline, segments, [s["id"] for s in segments if s["weak"]],
                           definition, notes,
                           {"took_ms": round((time.perf_counter() - t0) * 1000, 1),
                            "home_region": self.home_region})


def _group(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(dict(r))
    return out


def _holder(h: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": h["id"], "name": h.get("name") or h["id"], "kind": h.get("kind"),
            "kind_zh": HOLDER_KIND_ZH.get(h.get("kind") or "unknown"),
            "is_chongqing": bool(h.get("is_chongqing")), "region_code": h.get("region_code"),
            "patents": h["patents"]}


def _coverage_notes(whole: Stats, as_of: int | None) -> list[str]:
    notes = []
    if whole.patents == 0:
        return ["no patent is placed in this chain yet (run the chain classification of the ingest)"]
    if whole.region_known < whole.patents:
        notes.append(f"region known for {whole.region_known} of {whole.patents} patents of the chain: "
                     "local counts and shares describe that subset only")
    if whole.dated < whole.patents:
        notes.append(f"application year known for {whole.dated} of {whole.patents} patents: "
                     "growth windows count those only")
    if whole.dated == 0:
        notes.append("no application year: growth cannot be computed")
    return notes
