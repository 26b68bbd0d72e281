"""Fixtures of the navigation tests (landscapes, competitors, chains, their API).

``build_nav_fixture(store)`` writes a small hand-made graph **with dates** whose every
aggregate is known (the expected numbers are worked out by hand in the tests, from the
table below). ``demo_store()`` / ``demo_searcher()`` load the bundled real data once
per test process (shared by the four navigation test modules) into a temporary folder.

Fixture patents (``ipc`` = codes; ``apps`` = applicants in order; ``nodes`` = chain
nodes of the test chain ``fx-ev``):

====  ====  =====  =======  =======  ======  ============================  ===========  =====  ========
id    app   grant  kind     status   region  ipc                           apps         cited  nodes
====  ====  =====  =======  =======  ======  ============================  ===========  =====  ========
P01   2016  2018   inv      valid    500106  H01M4/36                      CQU          5      battery
P02   2017  2019   inv      valid    350000  H01M4/58 H01M10/0525          CATL         12     battery
P03   2018  -      inv      invalid  350000  H01M10/052                    CATL         3      battery
P04   2019  2021   inv      valid    440000  H01M4/36                      BYD          7      battery
P05   2020  2022   utility  valid    440000  H01M50/20                     BYD          0      battery
P06   2021  -      inv      pending  110000  H01M4/62                      IOP, CQU     2      battery
P07   2022  -      inv      pending  350000  H01M10/42                     CATL         0      battery
P08   2023  -      inv      pending  500106  H01M4/36 H02K1/27             CQU, CHANGAN 1      battery motor
P09   2017  2019   inv      valid    500112  H02K1/27                      CHANGAN      4      motor
P10   2019  2020   utility  valid    500112  H02K5/04                      CHANGAN      0      motor
P11   2021  2023   inv      valid    440000  H02K1/27                      BYD          6      motor
P12   2022  -      inv      pending  110000  H02K7/00                      THU          0      motor
P13   2018  2019   utility  valid    440000  B60L53/16                     BYD          1      charging
P14   2020  2021   utility  valid    440000  B60L53/30                     BYD          0      charging
P15   2022  2023   inv      valid    110000  B60L53/60                     THU          2      charging
P16   2023  -      inv      pending  350000  B60L53/80                     CATL         0      charging
P17   2020  2022   inv      valid    500000  G06F16/30                     CQUPT        0      -
P18   2021  -      inv      invalid  110000  G06F16/35                     THU          0      -
P19   -     -      inv      unknown  -       H01M4/36                      -            -      battery
====  ====  =====  =======  =======  ======  ============================  ===========  =====  ========

SEI: P01, P02 in 5.2; P09 in 5.1 (both under 5). CITES: P04->P01, P02->P01, P08->P02,
P11->P09. Inventors: P01 张三; P08 张三, 李四; P06 王五.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from graph.base import GraphStore

CQU, CHANGAN, THU, CATL, BYD, IOP, CQUPT = (
    "重庆大学", "重庆长安汽车股份有限公司", "清华大学", "宁德时代新能源科技股份有限公司",
    "比亚迪股份有限公司", "中国科学院物理研究所", "重庆邮电大学",
)

ORGS = [
    # id, kind, region, is_chongqing, aliases
    (CQU, "university", "500106", True, ["重庆大学", "重庆大学(本部)", "重庆大学（A区）"]),
    (CHANGAN, "enterprise", "500112", True, [CHANGAN]),
    (THU, "university", "110000", False, [THU]),
    (CATL, "enterprise", "350000", False, [CATL]),
    (BYD, "enterprise", "440000", False, [BYD]),
    (IOP, "institute", "110000", False, [IOP]),
    (CQUPT, "university", "500000", True, [CQUPT]),
]

# id, app_year, grant_year, kind, status, region, ipc codes, applicants, cited, chain nodes
PATENTS: list[tuple[Any, ...]] = [
    ("P01", 2016, 2018, "invention", "valid", "500106", ["H01M4/36"], [CQU], 5, ["battery"]),
    ("P02", 2017, 2019, "invention", "valid", "350000", ["H01M4/58", "H01M10/0525"], [CATL], 12, ["battery"]),
    ("P03", 2018, None, "invention", "invalid", "350000", ["H01M10/052"], [CATL], 3, ["battery"]),
    ("P04", 2019, 2021, "invention", "valid", "440000", ["H01M4/36"], [BYD], 7, ["battery"]),
    ("P05", 2020, 2022, "utility_model", "valid", "440000", ["H01M50/20"], [BYD], 0, ["battery"]),
    ("P06", 2021, None, "invention", "pending", "110000", ["H01M4/62"], [IOP, CQU], 2, ["battery"]),
    ("P07", 2022, None, "invention", "pending", "350000", ["H01M10/42"], [CATL], 0, ["battery"]),
    ("P08", 2023, None, "invention", "pending", "500106", ["H01M4/36", "H02K1/27"], [CQU, CHANGAN], 1,
     ["battery", "motor"]),
    ("P09", 2017, 2019, "invention", "valid", "500112", ["H02K1/27"], [CHANGAN], 4, ["motor"]),
    ("P10", 2019, 2020, "utility_model", "valid", "500112", ["H02K5/04"], [CHANGAN], 0, ["motor"]),
    ("P11", 2021, 2023, "invention", "valid", "440000", ["H02K1/27"], [BYD], 6, ["motor"]),
    ("P12", 2022, None, "invention", "pending", "110000", ["H02K7/00"], [THU], 0, ["motor"]),
    ("P13", 2018, 2019, "utility_model", "valid", "440000", ["B60L53/16"], [BYD], 1, ["charging"]),
    ("P14", 2020, 2021, "utility_model", "valid", "440000", ["B60L53/30"], [BYD], 0, ["charging"]),
    ("P15", 2022, 2023, "invention", "valid", "110000", ["B60L53/60"], [THU], 2, ["charging"]),
    ("P16", 2023, None, "invention", "pending", "350000", ["B60L53/80"], [CATL], 0, ["charging"]),
    ("P17", 2020, 2022, "invention", "valid", "500000", ["G06F16/30"], [CQUPT], 0, []),
    ("P18", 2021, None, "invention", "invalid", "110000", ["G06F16/35"], [THU], 0, []),
    ("P19", None, None, "invention", "unknown", None, ["H01M4/36"], [], None, ["battery"]),
]

TITLES = {
    "P01": "一种锂离子电池正极材料及其制备方法", "P02": "锂离子电池负极材料", "P03": "一种锂电池电解液",
    "P04": "磷酸铁锂正极材料", "P05": "一种电池包壳体", "P06": "固态锂电池电解质", "P07": "电池管理系统",
    "P08": "一种电动汽车电池与驱动电机集成装置", "P09": "永磁同步电机转子", "P10": "电机端盖",
    "P11": "驱动电机冷却结构", "P12": "轮毂电机", "P13": "充电桩充电枪", "P14": "充电桩散热装置",
    "P15": "大功率快充充电站", "P16": "换电站电池更换机构", "P17": "一种数据检索方法", "P18": "文本分类方法",
    "P19": "锂电池极片",
}

NODES = [
    ("fx-ev/battery", "动力电池", "upstream", ["H01M*"]),
    ("fx-ev/motor", "驱动电机", "midstream", ["H02K*"]),
    ("fx-ev/charging", "充换电", "downstream", ["B60L53*"]),
]

IPC_NODES = [
    ("H01M", "subclass", "PROCESSES OR MEANS, e.g. BATTERIES", "电池"),
    ("H02K", "subclass", "DYNAMO-ELECTRIC MACHINES", "电机"),
    ("B60L", "subclass", "PROPULSION OF ELECTRICALLY-PROPELLED VEHICLES", None),
    ("G06F", "subclass", "ELECTRIC DIGITAL DATA PROCESSING", "电数字数据处理"),
    ("H01M4/00", "main_group", "Electrodes", None),
    ("H01M10/00", "main_group", "Secondary cells", None),
    ("H01M50/00", "main_group", "Constructional details", None),
    ("H02K1/00", "main_group", "Details of the magnetic circuit", None),
]


def _subclasses(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(c[:4] for c in codes))


def build_nav_fixture(store: GraphStore) -> None:
    """Write the fixture graph into an initialised, empty store."""
    store.upsert_nodes("Region", [
        {"id": "500000", "name": "重庆市", "level": "province"},
        {"id": "500106", "name": "沙坪坝区", "level": "district", "parent": "500000"},
        {"id": "500112", "name": "渝北区", "level": "district", "parent": "500000"},
        {"id": "110000", "name": "北京市", "level": "province"},
        {"id": "350000", "name": "福建省", "level": "province"},
        {"id": "440000", "name": "广东省", "level": "province"},
    ])
    store.upsert_nodes("Organization", [
        {"id": o, "name": o, "kind": k, "region_code": r, "is_chongqing": cq, "aliases": al}
        for o, k, r, cq, al in ORGS])
    store.upsert_nodes("IPC", [{"id": c, "level": lv, "title": t, "title_zh": tz, "subclass": c[:4]}
                               for c, lv, t, tz in IPC_NODES])
    rows = []
    for pid, ay, gy, kind, status, region, codes, _apps, cited, _nodes in PATENTS:
        rows.append({
            "id": pid, "pub_no": f"CN{pid[1:]}000A", "title": TITLES[pid],
            "abstract": f"{TITLES[pid]}，涉及{'、'.join(codes)}。",
            "kind": kind, "status": status, "app_year": ay, "grant_year": gy,
            "app_date": date(ay, 3, 1) if ay else None,
            "grant_date": date(gy, 6, 1) if gy else None,
            "region_code": region, "ipc_main": codes[0], "ipc_codes": codes,
            "ipc_subclasses": _subclasses(codes), "cited_count": cited, "sources": ["fixture:nav"],
        })
    store.upsert_nodes("Patent", rows)
    store.upsert_relationships("APPLIED_BY", [
        {"src": p[0], "dst": a, "ord": i} for p in PATENTS for i, a in enumerate(p[7])])
    store.upsert_nodes("Inventor", [
        {"id": f"张三|{CQU}", "name": "张三", "org_id": CQU},
        {"id": f"李四|{CQU}", "name": "李四", "org_id": CQU},
        {"id": f"王五|{IOP}", "name": "王五", "org_id": IOP},
    ])
    store.upsert_relationships("INVENTED_BY", [
        {"src": "P01", "dst": f"张三|{CQU}", "ord": 0},
        {"src": "P08", "dst": f"张三|{CQU}", "ord": 0},
        {"src": "P08", "dst": f"李四|{CQU}", "ord": 1},
        {"src": "P06", "dst": f"王五|{IOP}", "ord": 0},
    ])
    store.upsert_relationships("CITES", [
        {"src": "P04", "dst": "P01"}, {"src": "P02", "dst": "P01"},
        {"src": "P08", "dst": "P02"}, {"src": "P11", "dst": "P09"},
    ])
    store.upsert_nodes("IndustryChain", [{"id": "fx-ev", "name": "测试新能源汽车链", "system": "other",
                                          "tier": "test", "complete": True, "source": "fixture"}])
    store.upsert_nodes("ChainNode", [
        {"id": nid, "chain_id": "fx-ev", "name": name, "position": pos, "ipc_patterns": pats,
         "keywords": []} for nid, name, pos, pats in NODES])
    store.upsert_relationships("PART_OF", [{"src": nid, "dst": "fx-ev"} for nid, *_ in NODES])
    store.upsert_relationships("IN_CHAIN_NODE", [
        {"src": p[0], "dst": f"fx-ev/{n}", "score": 0.7, "via": "ipc"} for p in PATENTS for n in p[9]])
    store.upsert_nodes("SEICategory", [
        {"id": "5", "name": "新能源汽车产业", "level": 1},
        {"id": "5.1", "name": "新能源汽车整车制造", "level": 2, "parent": "5"},
        {"id": "5.2", "name": "新能源汽车装置、配件制造", "level": 2, "parent": "5"},
    ])
    store.upsert_relationships("SUBCATEGORY_OF", [{"src": "5.1", "dst": "5"}, {"src": "5.2", "dst": "5"}])
    store.upsert_relationships("IN_SEI", [
        {"src": "P01", "dst": "5.2", "rule": "fixture"}, {"src": "P02", "dst": "5.2", "rule": "fixture"},
        {"src": "P09", "dst": "5.1", "rule": "fixture"}])
    store.write("derive_co_applied")


def open_fixture_store(folder: Path) -> GraphStore:
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore.open(folder / "nav-fixture.lbug", buffer_pool_mb=256)
    store.init_schema()
    build_nav_fixture(store)
    return store


# -- the real demo data, once per process ---------------------------------------------------------
@lru_cache(maxsize=1)
def _demo_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="patentnav-nav-demo-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@lru_cache(maxsize=1)
def demo_settings():
    from patentnav.settings import Settings

    return Settings(var_dir=_demo_dir())


@lru_cache(maxsize=1)
def demo_store() -> GraphStore:
    """The bundled real data loaded through the real pipeline (cached for the process)."""
    from graph.embedded import EmbeddedStore
    from tests._fixtures_ingest import load_demo

    settings = demo_settings()
    store = EmbeddedStore.open(settings.graph_path, buffer_pool_mb=512)
    store.init_schema()
    load_demo(store, settings)
    atexit.register(store.close)
    return store


@lru_cache(maxsize=1)
def demo_searcher():
    """A hybrid searcher over the demo graph with the default (real) encoder (cached)."""
    from embeddings.build import build_indexes
    from embeddings.encoder import create_encoder
    from embeddings.hybrid import HybridSearcher

    settings = demo_settings()
    encoder = create_encoder(settings)
    bundle = build_indexes(demo_store(), encoder, settings, progress=False, workers=1, save=False)
    return HybridSearcher.from_bundle(bundle, encoder)
