"""A hand-made graph with known answers for the high-value, indicator and matching tests.

HAND-MADE TEST DATA: the organisations, patents, numbers, amounts, inventors and the
award below are invented for these tests (names are illustrative, numbers are not real
CNIPA numbers). Nothing here is real data.

Reference date for every high-value decision: ``AS_OF`` (2026-03-01).
Expected outcomes are spelled out in ``EXPECTED_HV`` (criteria that hold, criteria
unknown, hv) so the tests compare against hand-checked answers.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from graph.base import GraphStore
from graph.schema import SCHEMA

AS_OF = date(2026, 3, 1)
FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
AWARDS_CSV = FIXTURE_DIR / "awards_example.csv"
DENOMINATORS_CSV = FIXTURE_DIR / "denominators_example.csv"


def _full(label: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the same keys (missing ones None) so every backend accepts a batch."""
    keys = [k for k in SCHEMA.node(label).prop_names if any(k in r for r in rows)]
    return [{k: r.get(k) for k in keys} for r in rows]


ORGS = [
    dict(id="重庆大学", name="重庆大学", kind="university", region_code="500106", is_chongqing=True,
         qualifications=[]),
    dict(id="示例绿色智能研究院", name="示例绿色智能研究院", kind="institute", region_code="500109",
         is_chongqing=True, qualifications=[]),
    dict(id="示例渝北动力电池有限公司", name="示例渝北动力电池有限公司", kind="enterprise",
         region_code="500112", is_chongqing=True, qualifications=["高新技术企业", "上市"]),
    dict(id="示例成都电池系统有限公司", name="示例成都电池系统有限公司", kind="enterprise",
         region_code="510100", is_chongqing=False, qualifications=["专精特新"]),
    dict(id="示例重庆建材有限公司", name="示例重庆建材有限公司", kind="enterprise",
         region_code="500105", is_chongqing=True, qualifications=[]),
]

CQU, INST, ENT_CQ, ENT_SC, ENT_BUILD = (o["id"] for o in ORGS)


def _p(pid: str, **kw: Any) -> dict[str, Any]:
    row = dict(id=pid, app_no=pid, **kw)
    d = row.get("app_date")
    row["app_year"] = d.year if d else None
    codes = row.get("ipc_codes")
    if codes:
        row.setdefault("ipc_main", codes[0])
        row["ipc_subclasses"] = sorted({c[:4] for c in codes})
    return row


PATENTS = [
    _p("CN201010000001.1", pub_no="CN101000001A", kind="invention", status="valid",
       title="一种锂离子电池正极材料及其制备方法",
       abstract="本发明公开了一种锂离子电池正极材料。该正极材料提高了锂电池的循环寿命和安全性能，"
                "可防止电池热失控引起的爆炸。制备方法简单，适合产业化。",
       app_date=date(2010, 3, 1), family_ids=["CN101000001A", "US20120000001A1"],
       pledge_count=1, transfer_count=0, ipc_codes=["H01M4/36", "H01M10/0525"],
       region_code="500106", open_licence=False),
    _p("CN201810000002.2", pub_no="CN108000002A", kind="invention", status="valid",
       title="一种混凝土裂缝检测方法",
       abstract="本发明涉及一种混凝土裂缝检测方法，利用图像识别检测桥梁混凝土表面裂缝。",
       app_date=date(2018, 6, 1), family_ids=[], pledge_count=0, transfer_count=0,
       ipc_codes=["G01N21/88"], region_code="500106", open_licence=False),
    _p("CN201910000003.3", pub_no="CN110000003A", kind="invention", status="valid",
       title="一种高韧性立方氮化硼单晶的合成方法",
       abstract="本发明提供一种高韧性立方氮化硼单晶的合成方法，通过触媒配方和高温高压工艺提高单晶韧性。",
       region_code="500109"),
    _p("CN202020000004.4", pub_no="CN212000004U", kind="utility_model", status="valid",
       title="一种电池包散热装置", abstract="本实用新型公开了一种动力电池包散热装置。",
       app_date=date(2020, 2, 1), ipc_codes=["H01M10/613"], region_code="500112",
       transfer_count=0),
    _p("CN200510000005.5", pub_no="CN1650005A", kind="invention", status="unknown",
       title="一种永磁同步电机控制方法",
       abstract="本发明公开一种矿用永磁同步电机的控制方法，实现大扭矩低速运行。",
       app_date=date(2005, 1, 10), ipc_codes=["H02P21/00"], region_code="500106"),
    _p("CN202010000006.6", pub_no="CN111000006A", kind="invention", status="valid",
       title="一种石灰窑余热回收系统",
       abstract="本发明公开了一种石灰窑余热回收系统，回收窑炉烟气余热用于供风预热，降低能耗。",
       app_date=date(2020, 5, 1), family_ids=[], pledge_count=2, transfer_count=0,
       ipc_codes=["F27B1/00"], region_code="500109"),
    _p("CN201210000007.7", pub_no="CN102000007A", kind="invention", status="invalid",
       title="一种锂电池隔膜", abstract="本发明公开一种锂电池隔膜。",
       app_date=date(2012, 4, 1), ipc_codes=["H01M2/16"], region_code="510100"),
    _p("CN201910000008.8", pub_no="CN110000008A", kind="invention", status="valid",
       title="一种锂电池防爆安全阀",
       abstract="本发明公开了一种锂电池防爆安全阀，在电池内压过高时泄压，防止锂电池爆炸。",
       app_date=date(2019, 2, 1), family_ids=["CN110000008A", "WO2020000008A1"],
       pledge_count=1, transfer_count=1, ipc_codes=["H01M50/30"], region_code="500106"),
    _p("CN202110000009.9", pub_no="CN113000009A", kind="invention", status="pending",
       title="一种建筑垃圾再生骨料", abstract="本发明公开了一种建筑垃圾再生骨料的制备方法。",
       app_date=date(2021, 7, 1), region_code="500106"),
    _p("CN201610000010.0", pub_no="CN106000010A", kind="invention", status="valid",
       title="一种锂电池电解液",
       abstract="本发明公开一种锂电池电解液，含阻燃添加剂，提高锂离子电池的安全性能和防爆性能。",
       app_date=date(2016, 2, 29), overseas_family=True, transfer_count=0,
       ipc_codes=["H01M10/0567"], region_code="500112", open_licence=False),
    _p("CN201710000011.1", pub_no="CN107000011A", kind="invention", status="valid",
       title="一种动力电池管理系统",
       abstract="本发明公开一种动力电池管理系统，监测锂电池的电压和温度，防止电池过热。",
       app_date=date(2017, 3, 1), transfer_count=0, ipc_codes=["H01M10/42", "B60L58/12"],
       region_code="510100"),
    _p("CN201510000012.2", pub_no="CN104000012A", kind="invention", status="valid",
       title="一种锂离子电池负极材料",
       abstract="本发明公开一种锂离子电池负极材料，具有高容量和良好的循环稳定性，可用于锂电池。",
       app_date=date(2015, 1, 1), transfer_count=0, ipc_codes=["H01M4/58"],
       region_code="500106", open_licence=True),
]

#: patent -> (applicants in order, current holders or None)
HOLDERS = {
    "CN201010000001.1": ([CQU], None),
    "CN201810000002.2": ([CQU], None),
    "CN201910000003.3": ([INST], None),
    "CN202020000004.4": ([ENT_CQ], None),
    "CN200510000005.5": ([CQU], None),
    "CN202010000006.6": ([INST], None),
    "CN201210000007.7": ([ENT_SC], None),
    "CN201910000008.8": ([CQU], [ENT_CQ]),  # transferred from the university to a company
    "CN202110000009.9": ([CQU], None),
    "CN201610000010.0": ([ENT_CQ], None),
    "CN201710000011.1": ([ENT_SC], None),
    "CN201510000012.2": ([CQU], None),
}

INVENTORS = {
    "张三|重庆大学": ["CN201010000001.1", "CN201810000002.2", "CN201510000012.2"],
    "李四|重庆大学": ["CN201010000001.1", "CN201910000008.8"],
    "王五|示例绿色智能研究院": ["CN201910000003.3", "CN202010000006.6"],
    "赵六|示例渝北动力电池有限公司": ["CN201610000010.0"],
}

SEI_CATS = [
    dict(id="5", name="新能源汽车产业", level=1, parent=None),
    dict(id="5.2", name="新能源汽车装置、配件制造", level=2, parent="5"),
    dict(id="2", name="高端装备制造产业", level=1, parent=None),
    dict(id="2.1", name="智能制造装备产业", level=2, parent="2"),
]
IN_SEI = [
    ("CN201010000001.1", "5.2", "3"),
    ("CN200510000005.5", "2.1", "7"),
    ("CN201910000008.8", "5.2", "3"),
    ("CN201610000010.0", "5.2", "3"),
    ("CN201710000011.1", "5.2", "4"),
]

CHAINS = [dict(id="chain:新能源汽车", name="新能源汽车", system="33chains", complete=False,
               source="hand-made test fixture")]
CHAIN_NODES = [dict(id="chain:新能源汽车:动力电池", chain_id="chain:新能源汽车", name="动力电池",
                    position="midstream", ipc_patterns=["H01M"], keywords=["电池"])]
IN_CHAIN = ["CN201010000001.1", "CN202020000004.4", "CN201610000010.0", "CN201710000011.1"]

EVENTS = [
    # (event id, patent, kind, date, amount_wan)
    ("E1", "CN201010000001.1", "pledge", date(2021, 5, 1), 2000.0),
    ("E2", "CN202010000006.6", "pledge", date(2022, 1, 1), 500.0),
    ("E3", "CN202010000006.6", "pledge", date(2023, 1, 1), None),
    ("E4", "CN201910000008.8", "pledge", date(2022, 6, 1), 800.0),
    ("E5", "CN201910000008.8", "transfer", date(2023, 3, 1), None),
]

REGIONS = [
    dict(id="500000", name="重庆市", level="province", parent=None),
    dict(id="500105", name="江北区", level="district", parent="500000"),
    dict(id="500106", name="沙坪坝区", level="district", parent="500000"),
    dict(id="500109", name="北碚区", level="district", parent="500000"),
    dict(id="500112", name="渝北区", level="district", parent="500000"),
    dict(id="510000", name="四川省", level="province", parent=None),
    dict(id="510100", name="成都市", level="city", parent="510000"),
]

DEMANDS = [
    dict(id="D1", title="锂电池防爆技术", content="企业需要提高锂离子电池的安全性能，防止锂电池热失控爆炸。",
         org_name="示例需求企业", source="hand-made test fixture"),
    dict(id="D2", title="石灰窑余热利用", content="大型石灰窑炉烟气余热回收及综合利用技术。",
         org_name="示例需求企业", source="hand-made test fixture"),
]

#: patent -> (criteria that hold, criteria unknown, hv) with the award list loaded, as of AS_OF
EXPECTED_HV = {
    "CN201010000001.1": ({"sei", "overseas_family", "maintained_10y", "pledge"}, set(), True),
    "CN201810000002.2": (set(), set(), False),
    "CN201910000003.3": (set(), {"sei", "overseas_family", "maintained_10y", "pledge"}, None),
    "CN202020000004.4": (set(), set(), False),
    "CN200510000005.5": ({"sei"}, {"overseas_family", "maintained_10y", "pledge"}, None),
    "CN202010000006.6": ({"award"}, {"pledge"}, True),
    "CN201210000007.7": (set(), {"overseas_family", "pledge"}, False),
    "CN201910000008.8": ({"sei"}, set(), True),
    "CN202110000009.9": (set(), {"sei", "overseas_family", "pledge"}, False),
    "CN201610000010.0": ({"sei", "overseas_family", "maintained_10y"}, {"pledge"}, True),
    "CN201710000011.1": ({"sei"}, {"overseas_family", "pledge"}, True),
    "CN201510000012.2": ({"maintained_10y"}, {"overseas_family", "pledge"}, True),
}


def build_fixture_graph(store: GraphStore) -> None:
    """Write the hand-made graph into an empty store (schema already initialised)."""
    store.upsert_nodes("Organization", _full("Organization", ORGS))
    store.upsert_nodes("Patent", _full("Patent", PATENTS))
    store.upsert_nodes("Region", _full("Region", REGIONS))
    store.upsert_nodes("SEICategory", _full("SEICategory", SEI_CATS))
    store.upsert_nodes("IndustryChain", _full("IndustryChain", CHAINS))
    store.upsert_nodes("ChainNode", _full("ChainNode", CHAIN_NODES))
    store.upsert_nodes("TechDemand", _full("TechDemand", DEMANDS))
    store.upsert_nodes("Inventor", [
        {"id": k, "name": k.split("|")[0], "org_id": k.split("|")[1]} for k in INVENTORS
    ])
    store.upsert_nodes("Event", [
        {"id": e, "kind": kind, "date": d, "amount_wan": amt, "counterparty": None, "raw": None}
        for e, _, kind, d, amt in EVENTS
    ])
    applied, owned = [], []
    for pid, (applicants, owners) in HOLDERS.items():
        applied += [{"src": pid, "dst": o, "ord": i} for i, o in enumerate(applicants)]
        owned += [{"src": pid, "dst": o} for o in owners or []]
    store.upsert_relationships("APPLIED_BY", applied)
    store.upsert_relationships("OWNED_BY", owned)
    store.upsert_relationships("INVENTED_BY", [
        {"src": pid, "dst": inv, "ord": 0} for inv, pids in INVENTORS.items() for pid in pids
    ])
    store.upsert_relationships("IN_SEI", [{"src": p, "dst": s, "rule": r} for p, s, r in IN_SEI])
    store.upsert_relationships("SUBCATEGORY_OF", [
        {"src": c["id"], "dst": c["parent"]} for c in SEI_CATS if c["parent"]
    ])
    store.upsert_relationships("PART_OF", [
        {"src": n["id"], "dst": n["chain_id"]} for n in CHAIN_NODES
    ])
    store.upsert_relationships("IN_CHAIN_NODE", [
        {"src": p, "dst": CHAIN_NODES[0]["id"], "score": 1.0, "via": "ipc"} for p in IN_CHAIN
    ])
    store.upsert_relationships("HAS_EVENT", [{"src": p, "dst": e} for e, p, *_ in EVENTS])
    store.upsert_relationships("LOCATED_IN", [
        {"src": o["id"], "dst": o["region_code"]} for o in ORGS
    ], src_label="Organization", dst_label="Region")


@lru_cache(maxsize=1)
def shared_encoder():
    """The default encoder, loaded once per test process (loading takes seconds)."""
    from embeddings.encoder import create_encoder
    from patentnav.settings import Settings

    return create_encoder(Settings())

