"""Loaders for the bundled reference data (``settings.data_dir``, see its SOURCES.md).

* regions -- ``ingest/data/regions.csv`` (34 province-level units, 38 Chongqing
  districts and counties) -> ``Region`` + ``LOCATED_IN`` (district -> 重庆市);
* the IPC scheme -- ``ipc/wipo_ipc_scheme_en_2020.tsv`` (14-character group symbols
  converted to display form) -> ``IPC`` with English titles + ``SUBCLASS_OF``; Chinese
  subclass titles from ``chongqing_industry/cq_ip_protection_center_prefiling_ipc_2024.csv``;
* SEI categories -- ``concordance/sei2018_categories_l1_l2.csv`` -> ``SEICategory`` +
  ``SUBCATEGORY_OF`` (ids ``1`` … ``9`` and ``1.1`` … ``9.x``);
* the chain catalogue (``ingest/data/chains``) -> ``IndustryChain`` + ``ChainNode`` + ``PART_OF``;
* MOE universities -- ``orgs/moe_higher_education_institutions_cn.csv`` ->
  ``Organization`` (kind university, ``moe_code``; region = the province digits of the
  10-digit 学校标识码, 41**50**010611 -> 500000);
* technology demands -- ``tech_demand/ccf_bdci2019_requirements.csv`` -> ``TechDemand``
  (id ``ccf_bdci2019:<req_id>``);
* listed companies -- ``companies/a_share_stock_basic.csv`` (short names). A company is
  *linked* to an applicant organisation already in the graph when exactly one
  enterprise whose name ends in 股份有限公司 contains the short name (``长安汽车`` ->
  ``重庆长安汽车股份有限公司``) and the provinces agree where both are known; the
  organisation then gets ``stock_code``, ``short_name``, ``industry``, qualification
  ``上市`` and the short name as an alias. Otherwise the company is stored under its
  short name (kind enterprise, region from ``area``). Run after the patents.

Organisation writes fill in: stored aliases are kept and unioned, a more specific
stored region is kept.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Any

from graph.base import GraphStore
from ingest.chains import ChainCatalogue
from ingest.normalize.ipc import parse_ipc
from ingest.normalize.names import normalize_org_name
from ingest.normalize.regions import RegionTable, is_chongqing, region_table
from ingest.readers import BadRow, open_table
from ingest.sei import SeiClassifier
from patentnav.errors import InvalidInput

log = logging.getLogger(__name__)

MOE_FILE = Path("orgs") / "moe_higher_education_institutions_cn.csv"
IPC_FILE = Path("ipc") / "wipo_ipc_scheme_en_2020.tsv"
PREFILING_FILE = Path("chongqing_industry") / "cq_ip_protection_center_prefiling_ipc_2024.csv"
COMPANIES_FILE = Path("companies") / "a_share_stock_basic.csv"
DEMANDS_FILE = Path("tech_demand") / "ccf_bdci2019_requirements.csv"

_SYMBOL_START = re.compile(r"^[A-H](?:\d{2}(?:[A-Z](?:\d{10})?)?)?$")
_SHORT_PREFIX = re.compile(r"^(?:\*?S?\*?ST|S(?=[\u4e00-\u9fff]))")
_SHORT_SUFFIX = re.compile(r"(?:-[A-Z]+|(?<=[\u4e00-\u9fff])[AB])$")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _has(store: GraphStore, name: str) -> bool:
    return store.registry.has(name, store.dialect)


# -- regions ------------------------------------------------------------------------------
def load_regions(store: GraphStore, regions: RegionTable | None = None) -> int:
    regions = regions or region_table()
    rows = [{"id": r.code, "name": r.name, "level": r.level, "parent": r.parent} for r in regions.regions.values()]
    store.upsert_nodes("Region", rows)
    store.upsert_relationships(
        "LOCATED_IN", [{"src": r.code, "dst": r.parent} for r in regions.regions.values() if r.parent],
        src_label="Region", dst_label="Region")
    return len(rows)


# -- IPC scheme ---------------------------------------------------------------------------
def read_ipc_scheme(data_dir: Path) -> list[dict[str, Any]]:
    """IPC node rows from the WIPO scheme file (first title wins for repeated symbols)."""
    path = data_dir / IPC_FILE
    zh: dict[str, str] = {}
    pre = data_dir / PREFILING_FILE
    if pre.is_file():
        for r in _read_csv(pre):
            sub = r.get("ipc_subclass", "").strip()
            if sub and r.get("subclass_title_zh_short", "").strip():
                zh[sub] = r["subclass_title_zh_short"].strip()
    # some titles contain raw line breaks: a line that does not start with a symbol and a
    # tab continues the previous title
    entries: list[list[str]] = []
    with path.open(encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\r\n")
            sym, tab, title = line.partition("\t")
            if tab and _SYMBOL_START.match(sym.strip()):
                entries.append([sym.strip(), title])
            elif entries and line.strip():
                entries[-1][1] += " " + line.strip()
    rows: dict[str, dict[str, Any]] = {}
    for sym, title in entries:
        title = " ".join(title.split()) or None
        if len(sym) == 14:
            # group symbols, the bulk of the file: converted without the general parser
            sub, grp, sg = sym[:4], sym[4:8].lstrip("0") or "0", sym[8:].rstrip("0").ljust(2, "0")
            display = f"{sub}{grp}/{sg}"
            if display not in rows:
                main = f"{sub}{grp}/00"
                rows[display] = {"id": display, "level": "main_group" if sg == "00" else "group",
                                 "title": title, "title_zh": None, "parent": sub if sg == "00" else main,
                                 "subclass": sub}
            continue
        try:
            code = parse_ipc(sym)
        except InvalidInput:
            log.warning("IPC scheme: skipping malformed symbol %r", sym)
            continue
        if code.display in rows:
            continue
        rows[code.display] = {
            "id": code.display, "level": code.level, "title": title,
            "title_zh": zh.get(code.display), "parent": code.parent,
            "subclass": code.subclass if code.level in ("subclass", "main_group", "group") else None,
        }
    # ancestors missing from the file (a group whose main group is absent, …)
    for r in list(rows.values()):
        parent = r["parent"]
        while parent and parent not in rows:
            a = parse_ipc(parent)
            rows[parent] = {"id": parent, "level": a.level, "title": None, "title_zh": zh.get(parent),
                            "parent": a.parent,
                            "subclass": a.subclass if a.level in ("subclass", "main_group", "group") else None}
            parent = a.parent
    return list(rows.values())


def load_ipc_scheme(store: GraphStore, data_dir: Path) -> int:
    if not (data_dir / IPC_FILE).is_file():
        log.warning("no IPC scheme at %s", data_dir / IPC_FILE)
        return 0
    rows = read_ipc_scheme(data_dir)
    store.upsert_nodes("IPC", rows)
    store.upsert_relationships("SUBCLASS_OF", [{"src": r["id"], "dst": r["parent"]} for r in rows if r["parent"]])
    return len(rows)


# -- SEI, chains ------------------------------------------------------------------------------
def load_sei_categories(store: GraphStore, sei: SeiClassifier) -> int:
    rows = sei.category_rows()
    store.upsert_nodes("SEICategory", rows)
    store.upsert_relationships("SUBCATEGORY_OF", sei.subcategory_rows())
    return len(rows)


def load_chain_catalogue(store: GraphStore, chains: ChainCatalogue) -> int:
    store.upsert_nodes("IndustryChain", chains.chain_rows())
    store.upsert_nodes("ChainNode", chains.node_rows())
    store.upsert_relationships("PART_OF", chains.part_of_rows())
    return len(chains.chains) + len(chains.nodes)


# -- organisations ------------------------------------------------------------------------------
def _more_specific(stored: str | None, new: str | None) -> str | None:
    if not stored:
        return new
    if not new:
        return stored
    if stored.endswith("0000") and not new.endswith("0000") and stored[:2] == new[:2]:
        return new
    return stored


def upsert_orgs(store: GraphStore, rows: list[dict[str, Any]]) -> int:
    """Write organisation rows, unioning aliases / qualifications with what is stored and
    keeping a more specific stored region; also writes their ``LOCATED_IN``."""
    if not rows:
        return 0
    stored: dict[str, dict] = {}
    if _has(store, "ingest_orgs_by_ids"):
        ids = [r["id"] for r in rows]
        for i in range(0, len(ids), 5000):
            for r in store.run("ingest_orgs_by_ids", ids=ids[i:i + 5000]):
                stored[r["id"]] = r
    out = []
    for r in rows:
        s = stored.get(r["id"])
        r = dict(r)
        if s is not None:
            r["aliases"] = sorted(set(s.get("aliases") or ()) | set(r.get("aliases") or ())) or None
            r["region_code"] = _more_specific(s.get("region_code"), r.get("region_code"))
        r["is_chongqing"] = is_chongqing(r["region_code"]) if r.get("region_code") else None
        out.append(r)
    store.upsert_nodes("Organization", out)
    store.upsert_relationships(
        "LOCATED_IN", [{"src": r["id"], "dst": r["region_code"]} for r in out if r.get("region_code")],
        src_label="Organization", dst_label="Region")
    return len(out)


def read_universities(data_dir: Path, regions: RegionTable | None = None) -> list[dict[str, Any]]:
    """Organisation rows of the MOE list (one per school)."""
    regions = regions or region_table()
    path = data_dir / MOE_FILE
    if not path.is_file():
        return []
    rows: dict[str, dict[str, Any]] = {}
    for r in _read_csv(path):
        raw = (r.get("school_name") or "").strip()
        oid = normalize_org_name(raw)
        if not oid:
            continue
        code = (r.get("moe_school_code") or "").strip()
        region = None
        if len(code) == 10 and code[2:4].isdigit() and (code[2:4] + "0000") in regions.regions:
            region = code[2:4] + "0000"
        loc = (r.get("location") or "").strip()
        if loc:
            region = _more_specific(region, regions.match_address(loc, region))
        rows[oid] = {
            "id": oid, "name": oid, "aliases": sorted({raw, oid}), "kind": "university",
            "moe_code": code or None, "region_code": region,
        }
    return list(rows.values())


def university_names(data_dir: Path) -> frozenset[str]:
    """Normalised names of the MOE universities (for holder-kind classification)."""
    return frozenset(r["id"] for r in read_universities(data_dir))


def load_universities(store: GraphStore, data_dir: Path) -> int:
    return upsert_orgs(store, read_universities(data_dir))


def clean_short_name(name: str) -> str:
    """``*ST金科`` -> ``金科``; ``万科A`` -> ``万科``; ``智翔金泰-U`` -> ``智翔金泰``."""
    s = _SHORT_PREFIX.sub("", name.strip())
    s = _SHORT_SUFFIX.sub("", s)
    return s.strip()


_REMAINDER_MAX = 6


def _name_starts(full: str, regions: RegionTable) -> list[str]:
    """Where a listed short name may start in a 股份有限公司 name: the name without
    有限公司, and the same without a leading place name (广东, 深圳市 …)."""
    core = full[: -len("有限公司")]
    starts = [core]
    place = regions.place_prefix(core)
    if place:
        starts.append(core[len(place):])
    return starts


def _short_name_fits(short: str, starts: list[str]) -> bool:
    """Whether a listed short name names a 股份有限公司 (see :func:`_name_starts`): the name
    starts with the short name and at most six characters (e.g. 电器股份) follow before
    有限公司 (``珠海格力电器股份有限公司`` fits ``格力电器``, ``鞍钢股份有限公司`` fits
    ``鞍钢股份``; ``哈尔滨市科佳通用机电股份有限公司`` does not fit ``佳通``). A heuristic:
    it can still pick a subsidiary with a short suffix."""
    return any(c.startswith(short) and len(c) - len(short) <= _REMAINDER_MAX for c in starts)


def _area_code(area: str, regions: RegionTable) -> str | None:
    area = (area or "").strip()
    if not area:
        return None
    return regions.code_for_name(area) or regions.match_address(area)


def load_listed_companies(store: GraphStore, data_dir: Path, regions: RegionTable | None = None) -> dict[str, int]:
    """Link or create the listed companies (see module doc); returns counts."""
    regions = regions or region_table()
    path = data_dir / COMPANIES_FILE
    if not path.is_file():
        return {"listed": 0, "linked": 0}
    companies = _read_csv(path)
    orgs = store.run("ingest_org_names") if _has(store, "ingest_org_names") else []
    by_id = {o["id"]: o for o in orgs}
    # candidate applicants: enterprises named …股份有限公司, indexed by the first two
    # characters of every place the short name may start at
    index: dict[str, list[tuple[dict, list[str]]]] = {}
    for o in orgs:
        name = o.get("name") or o["id"]
        if o.get("kind") in (None, "enterprise") and name.endswith("股份有限公司"):
            starts = _name_starts(name, regions)
            for key in {st[:2] for st in starts}:
                index.setdefault(key, []).append((o, starts))
    linked_rows: list[dict[str, Any]] = []
    own_rows: list[dict[str, Any]] = []
    stale: list[str] = []
    claimed: set[str] = set()
    for c in companies:
        name = (c.get("name") or "").strip()
        ts = (c.get("ts_code") or "").strip()
        if not name or not ts:
            continue
        area = _area_code(c.get("area", ""), regions)
        short = clean_short_name(name)
        hits = []
        if len(short) >= 2:
            for o, starts in index.get(short[:2], ()):
                if o.get("stock_code") in (None, ts) and _short_name_fits(short, starts):
                    prov = regions.province_of(o.get("region_code"))
                    if prov and area and prov != regions.province_of(area):
                        continue
                    if o not in hits:
                        hits.append(o)
        props = {"stock_code": ts, "short_name": name, "industry": (c.get("industry") or "").strip() or None,
                 "qualifications": ["上市"], "kind": "enterprise"}
        own_id = normalize_org_name(name)
        if len(hits) == 1 and hits[0]["id"] not in claimed:
            o = hits[0]
            claimed.add(o["id"])
            linked_rows.append({"id": o["id"], "name": o.get("name") or o["id"],
                                "aliases": sorted(set(o.get("aliases") or ()) | {name}),
                                "region_code": _more_specific(o.get("region_code"), area), **props})
            mine = by_id.get(own_id)
            if mine is not None and mine.get("stock_code") == ts and own_id != o["id"]:
                stale.append(own_id)
        else:
            own_rows.append({"id": own_id, "name": name, "aliases": sorted({name, ts}),
                             "region_code": area, **props})
    if stale:
        store.delete_nodes("Organization", stale)
    upsert_orgs(store, own_rows)
    upsert_orgs(store, linked_rows)
    return {"listed": len(own_rows) + len(linked_rows), "linked": len(linked_rows)}


# -- technology demands ------------------------------------------------------------------------------
def read_tech_demands(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / DEMANDS_FILE
    if not path.is_file():
        return []
    table = open_table(path)
    rows: dict[str, dict[str, Any]] = {}
    for _, r in table.rows():
        if r is None or isinstance(r, BadRow):
            continue
        rid = (r.get("req_id") or "").strip()
        title = (r.get("title") or "").strip()
        if not rid or not title:
            continue
        rows[f"ccf_bdci2019:{rid}"] = {
            "id": f"ccf_bdci2019:{rid}", "title": title, "content": (r.get("content") or "").strip() or None,
            "org_name": None, "region_code": None, "source": path.name,
        }
    return list(rows.values())


def load_tech_demands(store: GraphStore, data_dir: Path) -> int:
    rows = read_tech_demands(data_dir)
    if rows:
        store.upsert_nodes("TechDemand", rows)
    return len(rows)

