"""Technology landscapes (专利导航 · 技术全景).

A landscape describes one **topic** -- a set of patents -- through a fixed list of
aggregations, each a named query in ``queries/common/nav_*.cypher``:

============================  ===================================================
section                       named query
============================  ===================================================
coverage, kinds, status,      ``nav_profile`` (kind x status x region class x which
Chongqing-vs-elsewhere         fields are present, with cited_count sums)
trend                         ``nav_trend`` (app_year x grant_year x region class)
regions                       ``nav_regions`` (Chongqing district / province)
holders                       ``nav_holders`` (top applicants, normalised ids)
holder_kinds                  ``nav_holder_kinds``
ipc_subclasses / ipc_groups   ``nav_ipc_subclasses`` / ``nav_ipc_groups`` (+ titles)
inventors                     ``nav_inventors``
top_cited                     ``nav_top_cited``
clusters                      vectors from the search index + ``nav_texts``
============================  ===================================================

Engines
-------
Every aggregation above is a named query, and that is how the graph engine computes it.
When a search index is loaded, the same rows come from its columnar catalog instead
(:mod:`analytics.facets`: milliseconds instead of a graph scan per section at 1M
patents); ``meta.engine`` says which engine answered, ``Settings.nav_engine`` chooses.

Topic
-----
A :class:`Topic` is resolved to a list of patent ids first (one query or one search),
then every aggregation takes that list as ``$ids``:

* ``q`` (free text): the hybrid searcher's fused ranking (BM25 + vectors, see
  :mod:`embeddings.hybrid`), restricted by the same filters, **capped** at
  ``max_patents`` (default 1000, at most 10,000) and cut at a **score floor**: a hit is
  kept only if its fused RRF score is at least ``min_relative_score`` (default 0.1) times
  the best hit's. With RRF k = 60 that keeps patents ranked up to about 240th by one
  retriever alone, or up to about 550th by both, and drops the weak single-retriever
  tail. The landscape reports how many hits each rule cut.
* ``ipc`` (prefixes): a subclass (``H01M``) matches ``Patent.ipc_subclasses``
  (``nav_scope_ipc_subclass``); with ``nav_scope_ipc``, shorter prefixes (``H``,
  ``H01``) match subclasses by prefix and longer ones ``Patent.ipc_codes`` by prefix
  (``H01M4`` = ``H01M4/…``).
* ``sei``: ``nav_scope_sei`` (the category and every category below it).
* ``chain`` / ``chain_node``: ``nav_scope_chain`` (``IN_CHAIN_NODE``).
* ``ids``: an explicit list (used for an organisation's patents).
Several of them intersect.

Filters (:class:`NavFilters`) mean what they mean for ``/v1/search``: application and
grant year bounds (a patent without the year never matches a bound), kinds, legal
statuses (a missing status is ``unknown``), holder kinds (kind of any applicant) and
6-digit region codes (``500000`` = all of Chongqing, ``500100`` = a prefecture,
``500106`` = one district; matched against the patent's and its applicants' regions).
They are applied by ``nav_filter`` after the topic is resolved.

Regions: a patent's region is its ``region_code`` (the first applicant's region, as
CNIPA's statistics attribute patents). ``cq`` = it starts with the home province's two
digits (``50`` = 重庆市); ``other``; ``unknown`` = no region recorded.

Missing data
------------
The bundled real data is thin (most records have no dates, many no applicant or IPC).
Every landscape carries a ``coverage`` block -- how many patents have an application
year, IPC, applicant, region, abstract, legal status, citation count -- and ``notes``
saying which sections describe only a subset, or are empty because nobody carries the
field. Empty sections are returned empty and listed in ``unavailable``, never padded.

Sub-topic clusters
------------------
k-means (scikit-learn) over the unit-normalised vectors the search index holds for the
topic's patents (at most ``cluster_max``, default 3000: the best-ranked for a text
topic, otherwise an evenly spaced sample of the id-sorted set). ``n_clusters`` defaults
to ``round(sqrt(n / 10))`` clamped to 2..8 (no clusters below 10 patents). Each cluster
is labelled by jieba keywords -- the tokens the keyword index holds for the indexed text
(title, abstract, first claim), or jieba over title + abstract for a patent it lacks --
scored by **TF-IDF contrast**: for term t and cluster c,
``score = (df_c(t) - df_rest(t)) * idf(t)`` where ``df_c`` is the share of the cluster's
patents whose title+abstract contain t, ``df_rest`` the same share among the other
clustered patents and ``idf(t) = ln((N + 1) / (n_t + 1)) + 1`` over the N clustered
patents; terms need at least 2 occurrences in the cluster (1 for clusters under 4
patents) and a positive score. The label is the top three keywords, skipping one that
overlaps a keyword already taken (大数据 / 数据 / 大数).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.export import Table
from analytics.facets import (  # noqa: F401  (as_int, plain_row, ids_params, Timer: re-exported)
    FacetEngine,
    GraphFacets,
    Timer,
    as_int,
    choose_engine,
    ids_params,
    intersect,
    plain_row,
)
from graph.base import GraphStore
from patentnav.errors import IndexNotBuilt, InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from embeddings.hybrid import HybridSearcher

log = logging.getLogger(__name__)

HOME_REGION = "500000"
KINDS = ("invention", "utility_model", "design", "unknown")
STATUSES = ("valid", "pending", "invalid", "unknown")
HOLDER_KINDS = ("university", "institute", "enterprise", "government", "individual", "other")
SECTIONS = (
    "trend", "holders", "holder_kinds", "ipc_subclasses", "ipc_groups", "regions",
    "status", "kinds", "inventors", "clusters", "top_cited", "cq_comparison",
)
#: OpenAlex-style group_by keys of a landscape -> the section that holds them
GROUP_BY: dict[str, str] = {
    "app_year": "trend", "grant_year": "trend", "holder": "holders",
    "holder_kind": "holder_kinds", "ipc_subclass": "ipc_subclasses",
    "ipc_main_group": "ipc_groups", "region": "regions", "status": "status",
    "kind": "kinds", "inventor": "inventors", "cluster": "clusters",
    "region_class": "cq_comparison",
}
MAX_TEXT_TOPIC = 10_000
KIND_ZH = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计", "unknown": "未知"}
STATUS_ZH = {"valid": "有效", "pending": "审中", "invalid": "失效", "unknown": "未知"}
HOLDER_KIND_ZH = {
    "university": "高校", "institute": "科研院所", "enterprise": "企业", "government": "机关团体",
    "individual": "个人", "other": "其他", "unknown": "类型未知", "none": "无申请人信息",
}
#: patent boilerplate left out of cluster keywords (on top of the search stop words)
PATENT_STOPWORDS = frozenset(
    ["一种", "方法", "装置", "系统", "及其", "设备", "所述", "本发明", "实用新型", "包括", "用于", "设置", "提供", "通过", "进行", "其中", "以及", "结构", "组件", "具有", "技术", "领域", "实现", "采用", "能够", "可以", "使得", "解决", "问题", "效果", "有效", "提高", "一个", "多个", "至少", "第一", "第二", "连接", "固定", "位于", "相对", "两侧", "一端", "另一端", "内部", "外部", "之间", "上端", "下端", "表面", "本申请", "申请", "公开", "发明", "制备", "步骤", "得到", "根据", "基于", "利用", "使用", "方便", "简单", "所示", "如图", "进一步", "优选", "该方", "其特征", "特征", "在于"]
)
_IPC_PREFIX = re.compile(r"^[A-H](\d{2}([A-Z](\d{1,4}(/\d{0,6})?)?)?)?$")
_REGION = re.compile(r"^\d{6}$")
_SEI = re.compile(r"^\d{1,2}(\.\d{1,3}){0,2}$")
_NODE_ID = re.compile(r"^[\w.:/\-]{1,96}$")


# -- inputs ---------------------------------------------------------------------------------
def normalise_ipc_prefix(value: str) -> str:
    """``h01m 4`` -> ``H01M4/`` (a main group without a slash matches its groups only);
    raises :class:`InvalidInput` for anything that is not an IPC prefix."""
    text = re.sub(r"\s+", "", str(value)).upper()
    if not _IPC_PREFIX.match(text):
        raise InvalidInput(
            f"{value!r} is not an IPC prefix (expected e.g. H, H01, H01M, H01M4, H01M4/36)"
        )
    if len(text) > 4 and "/" not in text:
        text += "/"
    return text


def region_prefixes(codes: Iterable[str]) -> list[str]:
    """6-digit region codes -> the prefixes ``nav_filter`` matches: ``500000`` -> ``50``
    (a province), ``500100`` -> ``5001`` (a prefecture), anything else itself."""
    out: list[str] = []
    for code in codes:
        if not _REGION.match(code):
            raise InvalidInput(f"{code!r} is not a 6-digit region code (e.g. 500000, 500106)")
        p = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
        if p not in out:
            out.append(p)
    return out


def _tuple(value: Any, name: str, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = (value,) if isinstance(value, str) else tuple(value)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput(f"{name} holds a non-string or empty value: {item!r}")
        for part in item.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    if allowed is not None:
        bad = [v for v in out if v not in allowed]
        if bad:
            raise InvalidInput(f"unknown {name} {', '.join(bad)}; allowed: {', '.join(allowed)}")
    return tuple(out)


@dataclass(frozen=True)
class NavFilters:
    """Filters shared by every navigation analysis (same meaning as ``/v1/search``)."""

    year_from: int | None = None
    year_to: int | None = None
    grant_year_from: int | None = None
    grant_year_to: int | None = None
    kind: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    holder_kind: tuple[str, ...] = ()
    region: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _tuple(self.kind, "kind", KINDS))
        object.__setattr__(self, "status", _tuple(self.status, "status", STATUSES))
        object.__setattr__(self, "holder_kind", _tuple(self.holder_kind, "holder_kind", HOLDER_KINDS))
        object.__setattr__(self, "region", _tuple(self.region, "region"))
        region_prefixes(self.region)  # validates
        for lo, hi in (("year_from", "year_to"), ("grant_year_from", "grant_year_to")):
            a, b = getattr(self, lo), getattr(self, hi)
            for name, v in ((lo, a), (hi, b)):
                if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1900 <= v <= 2100):
                    raise InvalidInput(f"{name} must be a year between 1900 and 2100, not {v!r}")
            if a is not None and b is not None and a > b:
                raise InvalidInput(f"{lo} ({a}) is after {hi} ({b})")

    @property
    def is_empty(self) -> bool:
        return self == NavFilters()

    def params(self) -> dict[str, Any]:
        """Parameters of ``nav_filter`` (0 / [] = no constraint)."""
        return {
            "year_from": self.year_from or 0,
            "year_to": self.year_to or 0,
            "grant_year_from": self.grant_year_from or 0,
            "grant_year_to": self.grant_year_to or 0,
            "kinds": list(self.kind),
            "statuses": list(self.status),
            "holder_kinds": list(self.holder_kind),
            "regions": region_prefixes(self.region),
        }

    def to_search_filters(self):
        """The same restrictions for the hybrid searcher."""
        from embeddings.models import Filters

        return Filters(
            app_year_from=self.year_from, app_year_to=self.year_to,
            grant_year_from=self.grant_year_from, grant_year_to=self.grant_year_to,
            kind=self.kind, status=self.status, holder_kind=self.holder_kind, region=self.region,
        )

    def describe(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in self.__dict__.items() if v not in (None, ())}


@dataclass(frozen=True)
class Topic:
    """What a landscape is about; the given parts intersect."""

    q: str | None = None
    ipc: tuple[str, ...] = ()
    sei: str | None = None
    chain: str | None = None
    chain_node: str | None = None
    ids: tuple[str, ...] | None = None
    #: display label (e.g. the organisation name); default built from the parts
    label: str | None = None

    def __post_init__(self) -> None:
        q = (self.q or "").strip() or None
        object.__setattr__(self, "q", q)
        object.__setattr__(self, "ipc", tuple(normalise_ipc_prefix(p) for p in _tuple(self.ipc, "ipc")))
        for name, pattern in (("sei", _SEI), ("chain", _NODE_ID), ("chain_node", _NODE_ID)):
            v = getattr(self, name)
            if v is not None:
                v = v.strip()
                if not pattern.match(v):
                    raise InvalidInput(f"{v!r} is not a valid {name} id")
                object.__setattr__(self, name, v)
        if self.ids is not None:
            object.__setattr__(self, "ids", tuple(dict.fromkeys(self.ids)))
        if q is not None and len(q) > 1000:
            raise InvalidInput("q is longer than 1000 characters")
        if not (q or self.ipc or self.sei or self.chain or self.chain_node or self.ids is not None):
            raise InvalidInput("a landscape needs a topic: q, ipc, sei, chain or chain_node")

    def describe(self) -> str:
        if self.label:
            return self.label
        parts = []
        if self.q:
            parts.append(f"“{self.q}”")
        if self.ipc:
            parts.append("IPC " + "/".join(p.rstrip("/") for p in self.ipc))
        if self.sei:
            parts.append(f"SEI {self.sei}")
        if self.chain:
            parts.append(f"chain {self.chain}")
        if self.chain_node:
            parts.append(f"chain node {self.chain_node}")
        if self.ids is not None:
            parts.append(f"{len(self.ids)} patents")
        return " ∩ ".join(parts)


@dataclass(frozen=True)
class LandscapeOptions:
    """Caps and sizes of a landscape (see the module doc for the text-topic rule)."""

    max_patents: int = 1000
    min_relative_score: float = 0.1
    limit: int = 20
    clusters: bool = True
    n_clusters: int | None = None
    cluster_max: int = 3000
    seed: int = 0
    #: compute only these sections (None = all)
    sections: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_patents <= MAX_TEXT_TOPIC:
            raise InvalidInput(f"max_patents must be between 1 and {MAX_TEXT_TOPIC}")
        if not 0 <= self.min_relative_score <= 1:
            raise InvalidInput("min_relative_score must be between 0 and 1")
        if not 1 <= self.limit <= 500:
            raise InvalidInput("limit must be between 1 and 500")
        if self.n_clusters is not None and not 2 <= self.n_clusters <= 30:
            raise InvalidInput("n_clusters must be between 2 and 30")
        if not 10 <= self.cluster_max <= 20_000:
            raise InvalidInput("cluster_max must be between 10 and 20000")
        if self.sections is not None:
            bad = [s for s in self.sections if s not in SECTIONS]
            if bad:
                raise InvalidInput(f"unknown section(s) {', '.join(bad)}; known: {', '.join(SECTIONS)}")

    def wants(self, section: str) -> bool:
        return self.sections is None or section in self.sections


# -- helpers shared with competitors / chains ---------------------------------------------
def share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def patent_vectors(searcher: HybridSearcher, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(ids found in the vector index, their unit-normalised vectors), in input order."""
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    ints = searcher.ids.lookup(list(ids))
    present = searcher.vector.present_mask(len(searcher.ids))
    ok = (ints >= 0)
    ok[ok] = present[ints[ok]]
    kept_ints = ints[ok]
    kept = [pid for pid, good in zip(ids, ok) if good]
    if not len(kept_ints):
        return [], np.zeros((0, searcher.vector.dim), dtype=np.float32)
    with searcher.lock.read():
        vecs = np.asarray(searcher.vector.reconstruct_ints(kept_ints), dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return kept, vecs / norms


def even_sample(items: Sequence[str], n: int) -> list[str]:
    """At most ``n`` items, evenly spaced over ``items`` (deterministic)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def cluster_keywords(
    token_sets: Sequence[set[str]], labels: np.ndarray, k: int, top: int = 8
) -> list[list[tuple[str, float]]]:
    """Keywords per cluster by TF-IDF contrast (see the module doc)."""
    n = len(token_sets)
    df_all: Counter[str] = Counter()
    df_c: list[Counter[str]] = [Counter() for _ in range(k)]
    sizes = np.bincount(labels, minlength=k)
    for toks, lab in zip(token_sets, labels):
        df_all.update(toks)
        df_c[int(lab)].update(toks)
    out: list[list[tuple[str, float]]] = []
    for c in range(k):
        size = int(sizes[c])
        rest = n - size
        min_count = 2 if size >= 4 else 1
        scored = []
        for t, cnt in df_c[c].items():
            if cnt < min_count:
                continue
            in_c = cnt / size
            in_rest = (df_all[t] - cnt) / rest if rest else 0.0
            idf = math.log((n + 1) / (df_all[t] + 1)) + 1
            s = (in_c - in_rest) * idf
            if s > 0:
                scored.append((t, round(s, 4)))
        scored.sort(key=lambda x: (-x[1], x[0]))
        out.append(scored[:top])
    return out


def candidate_words(tokens: Iterable[str]) -> set[str]:
    """Keyword candidates among a document's tokens: 2+ characters, not numbers, stop words
    or patent boilerplate, and not a piece of a longer token of the same document (jieba's
    search mode cuts 大数据 into 大数据, 大数, 数据; the label should say 大数据)."""
    words = {t for t in tokens
             if len(t) >= 2 and not t.replace(".", "").isdigit() and t not in PATENT_STOPWORDS}
    pieces: set[str] = set()
    for w in words:
        n = len(w)
        if n >= 3:
            pieces.update(w[i:j] for i in range(n - 1) for j in range(i + 2, n + 1) if j - i < n)
    return words - pieces


def keyword_tokens(tokenizer: Any, text: str) -> set[str]:
    """Distinct candidate keywords of a text (:func:`candidate_words` of its jieba tokens)."""
    return candidate_words(tokenizer.document_tokens(text) if tokenizer is not None else [])


def cluster_label(terms: Sequence[str], size: int = 3) -> str:
    """The first ``size`` keywords, skipping one that overlaps a keyword already taken
    (search-mode tokens repeat a word's pieces: 大数据, 数据, 大数)."""
    picked: list[str] = []
    for t in terms:
        if not any(t in p or p in t for p in picked):
            picked.append(t)
        if len(picked) == size:
            break
    return "、".join(picked)


def auto_k(n: int) -> int:
    return max(2, min(8, round(math.sqrt(n / 10))))


# -- the result --------------------------------------------------------------------------------
COVERAGE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # field -> (Chinese name, sections computed from it)
    "app_year": ("申请年份", ("trend",)),
    "ipc": ("IPC 分类号", ("ipc_subclasses",)),
    "ipc_group": ("IPC 大组(完整分类号)", ("ipc_groups",)),
    "applicant": ("申请人", ("holders",)),
    "region": ("申请人地区", ("regions", "cq_comparison")),
    "abstract": ("摘要", ()),
    "status": ("法律状态", ("status",)),
    "cited": ("被引次数", ("top_cited",)),
}


@dataclass
class Landscape:
    """A technology landscape (see the module doc); ``to_dict`` for JSON, ``tables``
    for CSV/XLSX."""

    topic: dict[str, Any]
    filters: dict[str, Any]
    patents: int
    coverage: dict[str, Any]
    sections: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic, "filters": self.filters, "patents": self.patents,
            "coverage": self.coverage, **self.sections, "notes": self.notes,
            "unavailable": self.unavailable, "meta": self.meta,
        }

    def group_by(self, key: str) -> list[dict[str, Any]]:
        """OpenAlex-style buckets ``{key, key_display_name, count}`` of one distribution."""
        if key not in GROUP_BY:
            raise InvalidInput(f"unknown group_by {key!r}; known: {', '.join(GROUP_BY)}")
        s = self.sections
        if key == "app_year":
            return [{"key": str(r["year"]), "key_display_name": str(r["year"]), "count": r["applications"]}
                    for r in s.get("trend", []) if r["applications"]]
        if key == "grant_year":
            return [{"key": str(r["year"]), "key_display_name": str(r["year"]), "count": r["grants"]}
                    for r in s.get("trend", []) if r["grants"]]
        if key == "holder":
            return [{"key": r["id"], "key_display_name": r["name"], "count": r["patents"]}
                    for r in s.get("holders", [])]
        if key in ("holder_kind", "status", "kind"):
            sec = {"holder_kind": "holder_kinds", "status": "status", "kind": "kinds"}[key]
            return [{"key": r["key"], "key_display_name": r["name"], "count": r["patents"]}
                    for r in s.get(sec, [])]
        if key in ("ipc_subclass", "ipc_main_group"):
            sec = "ipc_subclasses" if key == "ipc_subclass" else "ipc_groups"
            return [{"key": r["code"], "key_display_name": r.get("title_zh") or r.get("title"),
                     "count": r["patents"]} for r in s.get(sec, [])]
        if key == "region":
            return [{"key": r["code"], "key_display_name": r["name"], "count": r["patents"]}
                    for r in s.get("regions", [])]
        if key == "inventor":
            return [{"key": r["id"], "key_display_name": r["name"], "count": r["patents"]}
                    for r in s.get("inventors", [])]
        if key == "cluster":
            return [{"key": str(r["cluster"]), "key_display_name": r["label"], "count": r["patents"]}
                    for r in (s.get("clusters") or [])]
        comp = s.get("cq_comparison") or {}
        names = {"chongqing": "重庆", "elsewhere": "其他地区", "unknown": "地区未知"}
        return [{"key": k, "key_display_name": names[k], "count": comp.get(k, {}).get("patents", 0)
                 if k != "unknown" else comp.get("unknown_region", 0)} for k in names if comp]

    def tables(self) -> list[Table]:
        s = self.sections
        out = [coverage_table(self.coverage)]
        if "trend" in s:
            out.append(Table("trend", "年度趋势", [
                ("year", "年份"), ("applications", "申请量"), ("grants", "授权量"),
                ("applications_cq", "重庆申请量"), ("applications_other", "其他地区申请量"),
                ("applications_unknown_region", "地区未知申请量")], s["trend"]))
        if "holders" in s:
            out.append(Table("holders", "主要申请人", [
                ("rank", "排名"), ("name", "申请人"), ("kind_zh", "类型"), ("is_chongqing", "重庆"),
                ("region_code", "地区代码"), ("patents", "专利数"), ("share", "占比")], s["holders"]))
        for name, title in (("holder_kinds", "申请人类型"), ("kinds", "专利类型"), ("status", "法律状态")):
            if name in s:
                out.append(Table(name, title, [("name", title), ("key", "代码"), ("patents", "专利数"),
                                               ("share", "占比")], s[name]))
        for name, title in (("ipc_subclasses", "IPC小类分布"), ("ipc_groups", "IPC大组分布")):
            if name in s:
                out.append(Table(name, title, [("code", "分类号"), ("title_zh", "中文名称"),
                                               ("title", "英文名称"), ("patents", "专利数"),
                                               ("share", "占比")], s[name]))
        if "regions" in s:
            out.append(Table("regions", "地区分布", [("code", "地区代码"), ("name", "地区"),
                                                   ("level", "层级"), ("is_chongqing", "重庆"),
                                                   ("patents", "专利数"), ("share", "占比")], s["regions"]))
        if "inventors" in s:
            out.append(Table("inventors", "主要发明人", [("name", "发明人"), ("org_id", "所属申请人"),
                                                      ("patents", "专利数")], s["inventors"]))
        if s.get("clusters"):
            out.append(Table("clusters", "技术主题聚类", [
                ("cluster", "聚类"), ("label", "主题标签"), ("patents", "专利数"), ("share", "占比"),
                ("keywords_text", "关键词"), ("chongqing", "重庆专利数"), ("mean_app_year", "平均申请年"),
                ("examples_text", "代表专利")], [
                    {**c, "keywords_text": [k["term"] for k in c["keywords"]],
                     "examples_text": [f"{e['id']} {e['title'] or ''}".strip() for e in c["examples"]]}
                    for c in s["clusters"]]))
        if "top_cited" in s:
            out.append(Table("top_cited", "高被引专利", [("id", "专利"), ("pub_no", "公开号"),
                                                      ("title", "名称"), ("app_year", "申请年"),
                                                      ("kind", "类型"), ("cited_count", "被引次数")],
                             s["top_cited"]))
        comp = s.get("cq_comparison")
        if comp and comp.get("available"):
            rows = []
            for key, label in (("chongqing", "重庆"), ("elsewhere", "其他地区")):
                rows.append({"group": label, **{k: v for k, v in comp[key].items() if k != "trend"}})
            out.append(Table("cq_comparison", "重庆与其他地区对比", [
                ("group", "地区"), ("patents", "专利数"), ("inventions", "发明专利数"),
                ("invention_share", "发明占比"), ("valid", "有效专利数"),
                ("valid_share", "有效率(已知状态)"), ("grants", "授权量"),
                ("cited_total", "被引总次数"), ("cited_mean", "篇均被引"),
                ("first_year", "最早申请年"), ("last_year", "最近申请年")], rows))
        return out


def coverage_table(coverage: Mapping[str, Any]) -> Table:
    rows = [{"field": k, "name": COVERAGE_FIELDS[k][0], "patents": v["patents"], "share": v["share"]}
            for k, v in coverage.get("fields", {}).items()]
    return Table("coverage", "数据完整度", [("name", "字段"), ("field", "字段代码"),
                                          ("patents", "有该字段的专利数"), ("share", "占比")], rows)


# -- the service ------------------------------------------------------------------------------
class NavigationService:
    """Technology landscapes over a graph store (and, for text topics and clusters, the
    hybrid searcher; without one those parts are reported unavailable)."""

    def __init__(
        self,
        store: GraphStore,
        searcher: HybridSearcher | None = None,
        *,
        home_region: str = HOME_REGION,
        tokenizer: Any = None,
        engine: str = "auto",
        facets: FacetEngine | None = None,
    ) -> None:
        if not _REGION.match(home_region) or not home_region.endswith("0000"):
            raise InvalidInput("home_region must be a province code such as 500000")
        self.store = store
        self.searcher = searcher
        #: where aggregations run (see analytics.facets); the graph answers what it cannot
        self.facets: FacetEngine = facets or choose_engine(engine, store, searcher)
        self.graph_facets: FacetEngine = (self.facets if isinstance(self.facets, GraphFacets)
                                          else GraphFacets(store))
        self.home_region = home_region
        self.home_prefix = home_region[:2]
        self._tokenizer = tokenizer
        self._region_names: dict[str, str] | None = None

    # -- topic resolution -----------------------------------------------------------------
    def resolve(self, topic: Topic, filters: NavFilters, options: LandscapeOptions,
                timer: Timer | None = None) -> tuple[list[str], dict[str, Any]]:
        """Patent ids of a topic after filters (text topics keep relevance order), and a
        description of how they were found (``engine``: which facet engine resolved it)."""
        timer = timer or Timer()
        info: dict[str, Any] = {}
        sets: list[list[str]] = []
        if topic.q:
            ids, info["text"] = timer.run("search", lambda: self._text_ids(topic.q, filters, options))
            sets.append(ids)
        engine = self.facets
        if topic.ipc or topic.sei or topic.chain or topic.chain_node or topic.ids is not None:
            scope = dict(ipc=topic.ipc, sei=topic.sei, chain=topic.chain,
                         chain_node=topic.chain_node, ids=topic.ids, timer=timer)
            found = engine.scope(**scope)
            if found is None:
                engine = self.graph_facets
                found = engine.scope(**scope)
            sets.append(found)  # type: ignore[arg-type]
        ids = intersect(sets)
        info["matched"] = len(ids)
        if not filters.is_empty and ids:
            kept = engine.apply_filters(ids, filters, timer)
            if kept is None:
                engine = self.graph_facets
                kept = engine.apply_filters(ids, filters, timer)
            ids = kept  # type: ignore[assignment]
        info["after_filters"] = len(ids)
        info["engine"] = engine.name
        return ids, info

    def _text_ids(self, q: str, filters: NavFilters, options: LandscapeOptions
                  ) -> tuple[list[str], dict[str, Any]]:
        from embeddings.models import MAX_CANDIDATES, MAX_K, SearchQuery

        if self.searcher is None:
            raise IndexNotBuilt("a text topic needs the search index; run `patentnav index build`")
        cap = options.max_patents
        sf = filters.to_search_filters()
        ids: list[str] = []
        best = None
        below_floor = 0
        offset = 0
        total = 0
        while len(ids) < cap:
            k = min(MAX_K, cap - len(ids))
            res = self.searcher.search(SearchQuery(
                text=q, mode="hybrid", filters=sf, k=k, offset=offset,
                candidates=min(MAX_CANDIDATES, max(200, cap))))
            total = res.total
            for hit in res.hits:
                if best is None:
                    best = hit.score
                if best and hit.score < options.min_relative_score * best:
                    below_floor += 1
                    continue
                ids.append(hit.patent_id)
            if res.next_offset is None or below_floor or not res.hits:
                break
            offset = res.next_offset
        info = {
            "q": q, "mode": "hybrid", "cap": cap, "min_relative_score": options.min_relative_score,
            "best_score": best, "search_total": total, "kept": len(ids),
            "cut_by_floor": below_floor, "capped": len(ids) >= cap and total > cap,
            "query_terms": list(res.query_terms) if total or ids else [],
        }
        return ids, info

    # -- the landscape ----------------------------------------------------------------------
    def landscape(self, topic: Topic, filters: NavFilters | None = None,
                  options: LandscapeOptions | None = None) -> Landscape:
        filters = filters or NavFilters()
        options = options or LandscapeOptions()
        timer = Timer()
        t0 = time.perf_counter()
        ids, info = self.resolve(topic, filters, options, timer)
        topic_info = {
            "label": topic.describe(), "q": topic.q, "ipc": [p.rstrip("/") for p in topic.ipc],
            "sei": topic.sei, "chain": topic.chain, "chain_node": topic.chain_node,
            "resolution": info,
        }
        result = self.describe_ids(ids, options, timer, ranked=bool(topic.q))
        result.topic = topic_info
        result.filters = filters.describe()
        result.meta["took_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        result.meta["timings_ms"] = timer.ms
        return result

    def describe_ids(self, ids: Sequence[str], options: LandscapeOptions,
                     timer: Timer | None = None, *, ranked: bool = False) -> Landscape:
        """All landscape sections over an explicit id list (no topic resolution)."""
        timer = timer or Timer()
        ids = list(ids)
        n = len(ids)
        lim = options.limit
        sel = self.facets.select(ids, timer) if n else None
        engine = self.facets.name
        if sel is None and n:
            sel, engine = self.graph_facets.select(ids, timer), self.graph_facets.name
        sections: dict[str, Any] = {}
        notes: list[str] = []
        if n == 0:
            cov = {"patents": 0, "fields": {k: {"patents": 0, "share": None} for k in COVERAGE_FIELDS}}
            empty = {s: (None if s == "cq_comparison" else []) for s in SECTIONS if options.wants(s)}
            return Landscape({}, {}, 0, cov, empty,
                             ["no patent matches this topic and these filters"], [],
                             {"limit": lim, "engine": engine})
        profile = sel.profile(self.home_prefix)
        holder_kinds = sel.holder_kinds()  # also gives the applicant coverage
        coverage = self._coverage(n, profile, holder_kinds)
        if options.wants("trend") or options.wants("cq_comparison"):
            trend_rows = sel.trend(self.home_prefix)
        else:
            trend_rows = []
        if options.wants("trend"):
            sections["trend"] = trend_table(trend_rows)
        if options.wants("holders"):
            sections["holders"] = [
                {"rank": i, **r, "kind_zh": HOLDER_KIND_ZH.get(r.get("kind") or "unknown"),
                 "share": share(r["patents"], n)}
                for i, r in enumerate(sel.holders(lim), start=1)]
        if options.wants("holder_kinds"):
            sections["holder_kinds"] = holder_kind_table(holder_kinds, n)
        if options.wants("ipc_subclasses"):
            sections["ipc_subclasses"] = [{**r, "share": share(r["patents"], n)}
                                          for r in sel.ipc_subclasses(lim)]
        if options.wants("ipc_groups"):
            sections["ipc_groups"] = [{**r, "share": share(r["patents"], n)}
                                      for r in sel.ipc_groups(lim)]
        if options.wants("regions"):
            sections["regions"] = self._regions(sel.regions(self.home_prefix), n)
        if options.wants("status"):
            sections["status"] = split_table(profile, "status", STATUS_ZH, n)
        if options.wants("kinds"):
            sections["kinds"] = split_table(profile, "kind", KIND_ZH, n)
        if options.wants("inventors"):
            sections["inventors"] = sel.inventors(lim)
        if options.wants("top_cited"):
            sections["top_cited"] = sel.top_cited(lim)
        if options.wants("cq_comparison"):
            sections["cq_comparison"] = cq_comparison(profile, trend_rows)
        if options.wants("clusters"):
            if options.clusters:
                sections["clusters"] = timer.run(
                    "clusters", lambda: self._clusters(ids, options, ranked, notes))
            else:
                sections["clusters"] = None
        unavailable = coverage_notes(coverage, sections, notes)
        if (options.wants("cq_comparison") and not sections["cq_comparison"]["available"]
                and "cq_comparison" not in unavailable):
            notes.append(sections["cq_comparison"]["reason"])
        if options.wants("inventors") and not sections["inventors"]:
            notes.append("no inventor is recorded for these patents (inventors come only from "
                         "full bibliographic exports)")
            if "inventors" not in unavailable:
                unavailable.append("inventors")
        return Landscape({}, {}, n, coverage, sections, notes, unavailable,
                         {"limit": lim, "home_region": self.home_region, "engine": engine})

    # -- sections ---------------------------------------------------------------------------
    def _coverage(self, n: int, profile: list[dict], holder_kinds: list[dict]) -> dict[str, Any]:
        def count(pred: Callable[[dict], bool]) -> int:
            return sum(r["patents"] for r in profile if pred(r))

        no_applicant = sum(r["patents"] for r in holder_kinds if not r["has_applicant"])
        fields = {
            "app_year": count(lambda r: r["has_year"]),
            "ipc": count(lambda r: r["has_ipc"]),
            "ipc_group": count(lambda r: r["has_ipc_group"]),
            "applicant": n - no_applicant,
            "region": count(lambda r: r["region_class"] != "unknown"),
            "abstract": count(lambda r: r["has_abstract"]),
            "status": count(lambda r: r["status"] != "unknown"),
            "cited": count(lambda r: r["has_cited"]),
        }
        return {"patents": n, "fields": {k: {"patents": v, "share": share(v, n)} for k, v in fields.items()}}

    def region_names(self) -> dict[str, str]:
        if self._region_names is None:
            self._region_names = {r["code"]: r["name"] for r in self.store.run("nav_region_names")}
        return self._region_names

    def _regions(self, rows: list[dict], n: int) -> list[dict[str, Any]]:
        names = self.region_names()
        out = []
        for r in rows:
            code = r["region"]
            if not code:
                out.append({"code": "", "name": "地区未知", "level": "unknown", "is_chongqing": None,
                            "patents": r["patents"], "share": share(r["patents"], n)})
                continue
            home = code.startswith(self.home_prefix)
            if home:
                level = "province" if code == self.home_region else "district"
                name = names.get(code, code)
                if code == self.home_region:
                    name = f"{name}(区县未知)"
            else:
                level, name = "province", names.get(code, code)
            out.append({"code": code, "name": name, "level": level, "is_chongqing": home,
                        "patents": r["patents"], "share": share(r["patents"], n)})
        out.sort(key=lambda r: (r["level"] == "unknown", not r["is_chongqing"], -r["patents"], r["code"]))
        return out

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            kw = getattr(self.searcher, "keyword", None)
            tok = getattr(kw, "tokenizer", None)
            if tok is None:
                from embeddings.keyword import ChineseTokenizer

                tok = ChineseTokenizer()
            self._tokenizer = tok
        return self._tokenizer

    def _token_sets(self, ids: Sequence[str], texts: Mapping[str, Mapping[str, Any]]) -> list[set[str]]:
        """Keyword candidates per patent: the keyword index's tokens of the indexed text
        (title, abstract, first claim) when it has them, else jieba over title + abstract."""
        kw = getattr(self.searcher, "keyword", None)
        from_index: list[set[str] | None] = [None] * len(ids)
        if kw is not None and hasattr(kw, "token_names"):
            with self.searcher.lock.read():  # type: ignore[union-attr]
                from_index = indexed_keywords(kw, self.searcher.ids.lookup(list(ids)).tolist())  # type: ignore[union-attr]
        tok = None
        out = []
        for pid, got in zip(ids, from_index):
            if got is None:
                tok = tok or self.tokenizer()
                t = texts.get(pid, {})
                got = keyword_tokens(tok, " ".join(filter(None, (t.get("title"), t.get("abstract")))))
            out.append(got)
        return out

    def _clusters(self, ids: list[str], options: LandscapeOptions, ranked: bool,
                  notes: list[str]) -> list[dict[str, Any]] | None:
        if self.searcher is None:
            notes.append("sub-topic clusters need the search index (patent vectors); "
                         "run `patentnav index build`")
            return None
        sample = ids[: options.cluster_max] if ranked else even_sample(sorted(ids), options.cluster_max)
        kept, vecs = patent_vectors(self.searcher, sample)
        if len(kept) < 10:
            notes.append(f"too few patents with vectors ({len(kept)}) to form sub-topic clusters")
            return None
        if len(sample) < len(ids):
            notes.append(f"clusters are computed over {len(sample)} of {len(ids)} patents "
                         f"({'the best-ranked' if ranked else 'an even sample'})")
        k = options.n_clusters or auto_k(len(kept))
        k = min(k, len(kept))
        labels, centroids = kmeans(vecs, k, options.seed)
        texts = {r["id"]: r for r in self.store.run("nav_texts", **ids_params(self.store, "nav_texts", kept))}
        token_sets = self._token_sets(kept, texts)
        keywords = cluster_keywords(token_sets, labels, k)
        out = []
        for c in range(k):
            members = np.flatnonzero(labels == c)
            if not len(members):
                continue
            sims = vecs[members] @ centroids[c]
            best = members[np.argsort(-sims)[:3]]
            years = [texts.get(kept[i], {}).get("app_year") for i in members]
            years = [y for y in years if y]
            cq = sum(1 for i in members
                     if (texts.get(kept[i], {}).get("region_code") or "").startswith(self.home_prefix))
            kws = [{"term": t, "score": s} for t, s in keywords[c]]
            out.append({
                "cluster": c, "label": cluster_label([k_["term"] for k_ in kws]) or f"主题{c + 1}",
                "patents": len(members), "share": share(len(members), len(kept)),
                "keywords": kws, "chongqing": cq,
                "mean_app_year": round(float(np.mean(years)), 1) if years else None,
                "examples": [{"id": kept[i], "title": texts.get(kept[i], {}).get("title")} for i in best],
            })
        out.sort(key=lambda r: -r["patents"])
        for i, r in enumerate(out):
            r["cluster"] = i
        return out


def indexed_keywords(keyword_index: Any, ints: Sequence[int]) -> list[set[str] | None]:
    """Candidate keywords (the :func:`keyword_tokens` rules) of indexed documents, from the
    tokens the keyword index already holds -- no second jieba pass (jieba cuts ~300k
    characters a second, so 3,000 abstracts cost seconds). None for a document the index
    has no tokens for."""
    names = keyword_index.token_names()
    out: list[set[str] | None] = []
    for n in ints:
        toks = keyword_index.doc_token_ids(int(n))
        if not len(toks):
            out.append(None)
            continue
        out.append(candidate_words(names[t] for t in np.unique(toks).tolist()))
    return out


def kmeans(vecs: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k-means labels and unit-length centroids (scikit-learn, deterministic seed).

    Runs single-threaded: on a small, shared machine BLAS/OpenMP threads fighting over
    the cores made it ~20x slower than one thread."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    model = KMeans(n_clusters=k, n_init=2, random_state=seed)
    with threadpool_limits(limits=1):
        labels = model.fit_predict(vecs)
    cents = model.cluster_centers_.astype(np.float32)
    norms = np.linalg.norm(cents, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return labels, cents / norms


def trend_table(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per year: applications (by app_year, split by region class) and grants (by grant_year);
    years from the first to the last one seen, gaps filled with zeros."""
    apps: dict[int, Counter] = defaultdict(Counter)
    grants: Counter[int] = Counter()
    for r in rows:
        if r["app_year"] is not None:
            apps[int(r["app_year"])][r["region_class"]] += r["patents"]
        if r["grant_year"] is not None:
            grants[int(r["grant_year"])] += r["patents"]
    years = set(apps) | set(grants)
    if not years:
        return []
    out = []
    for y in range(min(years), max(years) + 1):
        a = apps.get(y, Counter())
        out.append({"year": y, "applications": sum(a.values()), "grants": grants.get(y, 0),
                    "applications_cq": a["cq"], "applications_other": a["other"],
                    "applications_unknown_region": a["unknown"]})
    return out


def split_table(profile: Iterable[Mapping[str, Any]], key: str, names: Mapping[str, str],
                n: int) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    for r in profile:
        counts[r[key]] += r["patents"]
    return [{"key": k, "name": names.get(k, k), "patents": v, "share": share(v, n)}
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def holder_kind_table(rows: Iterable[Mapping[str, Any]], n: int) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    for r in rows:
        key = r["kind"] or ("unknown" if r["has_applicant"] else "none")
        counts[key] += r["patents"]
    return [{"key": k, "name": HOLDER_KIND_ZH.get(k, k), "patents": v, "share": share(v, n)}
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def cq_comparison(profile: Iterable[Mapping[str, Any]], trend_rows: Iterable[Mapping[str, Any]]
                  ) -> dict[str, Any]:
    """Chongqing vs elsewhere: size, invention share, valid share (of patents whose status
    is known), grants, citations and first/last application year."""
    profile = list(profile)
    trend_rows = list(trend_rows)

    def block(cls: str) -> dict[str, Any]:
        rows = [r for r in profile if r["region_class"] == cls]
        n = sum(r["patents"] for r in rows)
        inv = sum(r["patents"] for r in rows if r["kind"] == "invention")
        valid = sum(r["patents"] for r in rows if r["status"] == "valid")
        known = sum(r["patents"] for r in rows if r["status"] != "unknown")
        with_cited = sum(r["patents"] for r in rows if r["has_cited"])
        cited = sum(r["cited"] for r in rows)
        tr = [r for r in trend_rows if r["region_class"] == cls]
        years = sorted({int(r["app_year"]) for r in tr if r["app_year"] is not None})
        per_year: Counter[int] = Counter()
        for r in tr:
            if r["app_year"] is not None:
                per_year[int(r["app_year"])] += r["patents"]
        return {
            "patents": n, "inventions": inv, "invention_share": share(inv, n),
            "valid": valid, "valid_share": share(valid, known), "status_known": known,
            "grants": sum(r["patents"] for r in tr if r["grant_year"] is not None),
            "cited_total": cited if with_cited else None,
            "cited_mean": round(cited / with_cited, 2) if with_cited else None,
            "first_year": years[0] if years else None, "last_year": years[-1] if years else None,
            "trend": [{"year": y, "applications": per_year[y]} for y in years],
        }

    cq, other = block("cq"), block("other")
    unknown = sum(r["patents"] for r in profile if r["region_class"] == "unknown")
    known = cq["patents"] + other["patents"]
    available = cq["patents"] > 0 and other["patents"] > 0
    reason = None
    if not available:
        reason = ("no Chongqing-vs-elsewhere comparison: " +
                  ("no patent has a recorded region" if known == 0 else
                   "no patent of this set is attributed to Chongqing" if cq["patents"] == 0 else
                   "every patent with a region is from Chongqing"))
    return {"available": available, "reason": reason, "chongqing": cq, "elsewhere": other,
            "unknown_region": unknown, "share_chongqing": share(cq["patents"], known)}


def coverage_notes(coverage: Mapping[str, Any], sections: Mapping[str, Any], notes: list[str]) -> list[str]:
    """Append a note for every field that only part of the set (or nobody) carries, and
    return the sections left empty for lack of data."""
    n = coverage["patents"]
    unavailable: list[str] = []
    for key, (zh, secs) in COVERAGE_FIELDS.items():
        have = coverage["fields"][key]["patents"]
        if have == n:
            continue
        present = [s for s in secs if s in sections]
        if key == "abstract":
            if "clusters" in sections:
                notes.append(f"abstract ({zh}) is known for {have} of {n} patents: cluster "
                             "keywords of the others come from their titles only")
            continue
        if not present:
            continue
        if have == 0:
            empty = [s for s in present if not _has_content(sections.get(s))]
            notes.append(f"no patent of this set has {key} ({zh}): "
                         + (f"{', '.join(empty)} left empty" if empty else
                            f"{', '.join(present)} show only the 'unknown' group"))
            unavailable.extend(s for s in empty if s not in unavailable)
        else:
            notes.append(f"{key} ({zh}) is known for {have} of {n} patents "
                         f"({100 * have / n:.1f}%): {', '.join(present)} describe that subset only")
    return unavailable


def _has_content(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value.get("available", True))
    return bool(value)
