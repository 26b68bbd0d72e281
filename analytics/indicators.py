"""Indicators and rankings of valid / high-value invention patents.

Counts
------
Every figure counts **distinct patents** of ``kind`` (default ``invention``; ``any`` for
every kind, e.g. on records whose kind is unknown) whose legal
status is in ``statuses`` (default ``("valid",)``: 有效发明专利; add ``"unknown"`` to also
count patents whose status the data does not give -- a missing status is treated as
``"unknown"``). For each group: ``patents``, ``hv`` (``Patent.hv`` true) and
``hv_unknown`` (``Patent.hv`` null: high-value not decidable, see
:mod:`analytics.highvalue`).

Groupings (``group_by``)
    ``holder_kind``   the holder's ``Organization.kind`` (university, institute,
                      enterprise...). The holder is the current holder (``OWNED_BY``)
                      where recorded, else the applicants (``APPLIED_BY``).
    ``qualification`` each qualification of the holder (高新技术企业, 专精特新, 上市...).
    ``district``      ``Patent.region_code`` -- the region of the first applicant, which is
                      how CNIPA's regional statistics attribute patents; with a region
                      scope of ``500000`` these are Chongqing's districts and counties.
    ``chain``         key industry chain (``IN_CHAIN_NODE`` -> ``ChainNode`` -> ``IndustryChain``).
    ``chain_node``    chain segment.
    ``sei``           strategic-emerging-industry category (``IN_SEI``, second level).
    ``sei_l1``        its top-level category (``SEICategory.parent``).
A patent with several holders, chains or categories counts once in each of its groups,
so group figures may add up to more than the total (``total`` counts each patent once).

Ratios
------
From a **denominators table** the centre supplies (CSV, UTF-8, header row, ``#`` lines
are comments)::

    region_code,year,population_10k,rd_100m_cny,gdp_100m_cny,source
    500000,2025,<常住人口, 万人>,<R&D 经费内部支出, 亿元>,<地区生产总值, 亿元>,<统计公报 2025>

``per_10k_population`` = count / population_10k (e.g. 每万人口高价值发明专利拥有量),
``per_100m_rd`` = count / rd_100m_cny, ``per_100m_gdp`` = count / gdp_100m_cny, for both
``patents`` and ``hv``. A ratio is given only where the denominator is known (empty cell
= unknown). Districts use their own row; the scope total uses the scope region's row.
The year is the requested one, else the latest year the table has for that region.
``tests/fixtures/denominators_example.csv`` is a TEST-ONLY example with invented numbers:
this project ships no official statistics.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.base import GraphStore
from patentnav.errors import IngestError, InvalidInput

log = logging.getLogger(__name__)

GROUP_BY = ("holder_kind", "qualification", "district", "chain", "chain_node", "sei", "sei_l1")
RANK_BY = ("patents", "hv")
STATUSES = ("valid", "pending", "invalid", "unknown")
DEFAULT_STATUSES: tuple[str, ...] = ("valid",)
COUNT_FIELDS = ("patents", "hv", "hv_unknown")


# ----------------------------------------------------------------------------------------
# denominators
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Denominator:
    region_code: str
    year: int
    population_10k: float | None
    rd_100m_cny: float | None
    gdp_100m_cny: float | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"region_code": self.region_code, "year": self.year,
                "population_10k": self.population_10k, "rd_100m_cny": self.rd_100m_cny,
                "gdp_100m_cny": self.gdp_100m_cny, "source": self.source}


@dataclass
class DenominatorTable:
    rows: dict[tuple[str, int], Denominator] = field(default_factory=dict)
    path: str | None = None

    def get(self, region_code: str, year: int | None = None) -> Denominator | None:
        if year is not None:
            return self.rows.get((region_code, year))
        years = [y for (code, y) in self.rows if code == region_code]
        return self.rows[(region_code, max(years))] if years else None

    def __len__(self) -> int:
        return len(self.rows)


def _number(text: str, column: str, line: int) -> float | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise IngestError(f"denominators line {line}: {column} {text!r} is not a number") from None
    if value <= 0:
        raise IngestError(f"denominators line {line}: {column} must be positive, not {value}")
    return value


def load_denominators(path: Path | str) -> DenominatorTable:
    """Read a denominators CSV (format in the module doc)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read denominators table {path}: {exc}") from exc
    lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    need = ("region_code", "year", "population_10k", "rd_100m_cny", "gdp_100m_cny", "source")
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in need if c not in header]
    if missing:
        raise IngestError(f"denominators table {path} lacks column(s): {', '.join(missing)}")
    table = DenominatorTable(path=str(path))
    for i, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        code = row["region_code"]
        if not re.fullmatch(r"\d{6}", code):
            raise IngestError(f"denominators line {i}: region_code {code!r} is not 6 digits")
        if not re.fullmatch(r"\d{4}", row["year"]):
            raise IngestError(f"denominators line {i}: year {row['year']!r} is not a year")
        if not row["source"]:
            raise IngestError(f"denominators line {i}: source is required")
        key = (code, int(row["year"]))
        if key in table.rows:
            raise IngestError(f"denominators line {i}: duplicate row for {code} {key[1]}")
        table.rows[key] = Denominator(
            code, key[1], _number(row["population_10k"], "population_10k", i),
            _number(row["rd_100m_cny"], "rd_100m_cny", i),
            _number(row["gdp_100m_cny"], "gdp_100m_cny", i), row["source"],
        )
    return table


def ratios(counts: dict[str, Any], den: Denominator | None) -> dict[str, Any] | None:
    """Per-10k-population, per-100M-CNY R&D and per-100M-CNY GDP ratios of ``patents``/``hv``."""
    if den is None:
        return None
    out: dict[str, Any] = {"year": den.year, "source": den.source}
    for measure in ("patents", "hv"):
        n = counts.get(measure, 0)
        for name, value in (("per_10k_population", den.population_10k),
                            ("per_100m_rd", den.rd_100m_cny),
                            ("per_100m_gdp", den.gdp_100m_cny)):
            out[f"{measure}_{name}"] = round(n / value, 4) if value else None
    return out


# ----------------------------------------------------------------------------------------
# scope
# ----------------------------------------------------------------------------------------
def region_prefix(code: str | None) -> str:
    """A region code as a prefix of ``Patent.region_code``: ``500000`` -> ``50`` (province),
    ``500100`` -> ``5001`` (prefecture), a district code stays whole; ``None`` -> ``''``."""
    if not code:
        return ""
    code = code.strip()
    if not re.fullmatch(r"\d{6}", code):
        raise InvalidInput(f"region must be a 6-digit administrative code, not {code!r}")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def check_statuses(statuses: Iterable[str] | None) -> list[str]:
    out = list(dict.fromkeys(statuses or DEFAULT_STATUSES))
    bad = [s for s in out if s not in STATUSES]
    if bad:
        raise InvalidInput(f"unknown status(es) {bad}; use {', '.join(STATUSES)}")
    return out


KINDS = ("invention", "utility_model", "design", "unknown", "any")


def _scope_params(kind: str, statuses: Iterable[str] | None, region: str | None
                  ) -> dict[str, Any]:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return {"kind": "" if kind == "any" else kind, "statuses": check_statuses(statuses),
            "region": region_prefix(region)}


def _merge(rows: Iterable[dict[str, Any]], key: str = "key") -> dict[str, dict[str, Any]]:
    """Add up counts of rows with the same key (from disjoint patent sets)."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        k = r[key]
        cur = out.get(k)
        if cur is None:
            out[k] = dict(r)
        else:
            for f in COUNT_FIELDS:
                cur[f] = cur.get(f, 0) + r.get(f, 0)
    return out


def _names(store: GraphStore, ids: Sequence[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    return {r["id"]: r["name"] for r in store.run("ind_names", ids=list(ids))}


# ----------------------------------------------------------------------------------------
# indicators
# ----------------------------------------------------------------------------------------
def indicators(
    store: GraphStore,
    *,
    group_by: str = "holder_kind",
    kind: str = "invention",
    statuses: Iterable[str] | None = None,
    region: str | None = None,
    denominators: DenominatorTable | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """Counts of (valid) invention patents and high-value ones, grouped, with ratios.

    ``region`` (6-digit code) limits the scope to patents whose first applicant is in it.
    """
    if group_by not in GROUP_BY:
        raise InvalidInput(f"group_by must be one of {', '.join(GROUP_BY)}, not {group_by!r}")
    params = _scope_params(kind, statuses, region)
    total_row = store.run("ind_total", **params)[0]
    total = {f: int(total_row.get(f) or 0) for f in COUNT_FIELDS}

    names: dict[str, str | None] = {}
    if group_by == "holder_kind":
        merged = _merge([*store.run("ind_holder_kind_owned", **params),
                         *store.run("ind_holder_kind_applied", **params)])
    elif group_by == "qualification":
        merged = _merge([*store.run("ind_qualification_owned", **params),
                         *store.run("ind_qualification_applied", **params)])
    elif group_by == "district":
        merged = _merge(store.run("ind_region", **params))
        names = _names(store, [k for k in merged if k])
    elif group_by == "chain":
        merged = _merge(store.run("ind_chain", **params))
    elif group_by == "chain_node":
        merged = _merge(store.run("ind_chain_node", **params))
    elif group_by == "sei":
        merged = _merge(store.run("ind_sei", **params))
    else:  # sei_l1
        merged = _merge(store.run("ind_sei_parent", **params))
        names = _names(store, list(merged))

    groups = []
    for key, row in merged.items():
        item: dict[str, Any] = {
            "key": key or None,
            "name": row.get("name") or names.get(key) or (None if key else "(no region)"),
            **{f: int(row.get(f) or 0) for f in COUNT_FIELDS},
        }
        if "chain_id" in row:
            item["chain_id"] = row["chain_id"]
        if group_by == "district" and denominators is not None and key:
            item["ratios"] = ratios(item, denominators.get(key, year))
        groups.append(item)
    groups.sort(key=lambda g: (-g["patents"], -g["hv"], str(g["key"])))

    scope_code = region.strip() if region else None
    out = {
        "group_by": group_by,
        "kind": kind,
        "statuses": params["statuses"],
        "region": scope_code,
        "total": total,
        "groups": groups,
    }
    if denominators is not None and scope_code:
        out["total_ratios"] = ratios(total, denominators.get(scope_code, year))
    if denominators is not None:
        out["denominators_source"] = denominators.path
    return out


# ----------------------------------------------------------------------------------------
# rankings (百强榜)
# ----------------------------------------------------------------------------------------
def _rank(rows: list[dict[str, Any]], by: str, limit: int) -> list[dict[str, Any]]:
    other = "hv" if by == "patents" else "patents"
    rows = [r for r in rows if r[by] > 0]
    rows.sort(key=lambda r: (-r[by], -r[other], str(r.get("name") or ""), str(r["id"])))
    out = []
    prev: tuple[int, int] | None = None
    rank = 0
    for i, r in enumerate(rows[:limit], start=1):
        # competition ranking: equal counts share a rank (1, 2, 2, 4)
        key = (r[by], r[other])
        if key != prev:
            rank = i
            prev = key
        out.append({"rank": rank, **r})
    return out


def _check_rank_args(by: str, limit: int) -> None:
    if by not in RANK_BY:
        raise InvalidInput(f"by must be one of {', '.join(RANK_BY)}, not {by!r}")
    if not 1 <= limit <= 10_000:
        raise InvalidInput("limit must be between 1 and 10000")


def rank_holders(
    store: GraphStore,
    *,
    by: str = "patents",
    limit: int = 100,
    kind: str = "invention",
    statuses: Iterable[str] | None = None,
    region: str | None = None,
    holder_kind: str | None = None,
) -> dict[str, Any]:
    """Top holders (百强榜) by valid invention patents (``by="patents"``) or by high-value
    invention patents (``by="hv"``). Holders as in the indicators (current holder, else
    applicants); ties share a rank."""
    _check_rank_args(by, limit)
    params = {**_scope_params(kind, statuses, region), "holder_kind": holder_kind or ""}
    merged = _merge([*store.run("ind_rank_holders_owned", **params),
                     *store.run("ind_rank_holders_applied", **params)], key="org_id")
    rows = [{"id": k, "name": r.get("name"), "holder_kind": r.get("holder_kind"),
             "region_code": r.get("region_code"),
             **{f: int(r.get(f) or 0) for f in COUNT_FIELDS}} for k, r in merged.items()]
    return {"by": by, "kind": kind, "statuses": params["statuses"], "region": region,
            "holder_kind": holder_kind, "items": _rank(rows, by, limit)}


def rank_inventors(
    store: GraphStore,
    *,
    by: str = "patents",
    limit: int = 100,
    kind: str = "invention",
    statuses: Iterable[str] | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Top inventors by valid invention patents or by high-value invention patents.
    An inventor is a name within an organisation (``Inventor`` key ``name|org``)."""
    _check_rank_args(by, limit)
    params = _scope_params(kind, statuses, region)
    rows = [{"id": r["inventor_id"], "name": r.get("name"), "org_id": r.get("org_id"),
             **{f: int(r.get(f) or 0) for f in COUNT_FIELDS}}
            for r in store.run("ind_rank_inventors", **params)]
    orgs = _names(store, sorted({r["org_id"] for r in rows if r.get("org_id")}))
    for r in rows:
        r["org_name"] = orgs.get(r["org_id"]) if r.get("org_id") else None
    return {"by": by, "kind": kind, "statuses": params["statuses"], "region": region,
            "items": _rank(rows, by, limit)}


def flatten_indicators(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per group (ratios spread into columns), for CSV/XLSX export."""
    rows = []
    for g in result["groups"]:
        row = {k: v for k, v in g.items() if k != "ratios"}
        for k, v in (g.get("ratios") or {}).items():
            row[f"ratio_{k}"] = v
        rows.append(row)
    return rows


_GROUP_TITLES = {
    "holder_kind": "按权利人类型", "qualification": "按企业资质", "district": "按区县",
    "chain": "按重点产业链", "chain_node": "按产业链环节", "sei": "按战略性新兴产业",
    "sei_l1": "按战略性新兴产业（大类）",
}


def indicators_table(result: dict[str, Any]):
    """An indicators result as an :class:`analytics.export.Table`."""
    from analytics.export import Table

    valid_only = result["statuses"] == ["valid"]
    noun = "有效发明专利" if valid_only else "发明专利"
    cols = [("key", "分组代码"), ("name", "名称"), ("patents", f"{noun}数"),
            ("hv", "高价值发明专利数"), ("hv_unknown", "高价值待定数")]
    rows = flatten_indicators(result)
    if any("ratio_year" in r for r in rows):
        cols += [("ratio_year", "分母年份"), ("ratio_source", "分母来源"),
                 ("ratio_patents_per_10k_population", f"每万人口{noun}"),
                 ("ratio_patents_per_100m_rd", f"每亿元研发经费{noun}"),
                 ("ratio_patents_per_100m_gdp", f"每亿元GDP{noun}"),
                 ("ratio_hv_per_10k_population", "每万人口高价值发明专利拥有量"),
                 ("ratio_hv_per_100m_rd", "每亿元研发经费高价值发明专利"),
                 ("ratio_hv_per_100m_gdp", "每亿元GDP高价值发明专利")]
    title = f"{noun}与高价值发明专利{_GROUP_TITLES.get(result['group_by'], '')}"
    return Table(f"indicators_{result['group_by']}", title, cols, rows)


def ranking_table(result: dict[str, Any], of: str):
    """A holders / inventors ranking as an :class:`analytics.export.Table`."""
    from analytics.export import Table

    noun = "有效发明专利数" if result["statuses"] == ["valid"] else "发明专利数"
    by = "高价值发明专利" if result["by"] == "hv" else "有效发明专利"
    if of == "holders":
        cols = [("rank", "排名"), ("name", "专利权人"), ("holder_kind", "类型"),
                ("region_code", "地区代码"), ("patents", noun), ("hv", "高价值发明专利数"),
                ("hv_unknown", "高价值待定数"), ("id", "ID")]
        return Table("top_holders", f"专利权人排行（{by}）", cols, result["items"])
    cols = [("rank", "排名"), ("name", "发明人"), ("org_name", "所属单位"), ("patents", noun),
            ("hv", "高价值发明专利数"), ("hv_unknown", "高价值待定数"), ("id", "ID")]
    return Table("top_inventors", f"发明人排行（{by}）", cols, result["items"])

