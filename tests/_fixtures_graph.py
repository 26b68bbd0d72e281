"""A small hand-written patent graph for the GraphStore contract tests.

Twelve patents written to look like CNIPA records (titles, numbers and IPC codes are
plausible, not copied from real documents), six Chongqing-area organisations, IPC
codes with part of their hierarchy, inventors, citations, SEI categories, one chain.
Expected figures used by the tests are derived by hand below each table.

Other areas may import :func:`load_fixture` (``from tests._fixtures_graph import ...``)
to get a populated store.
"""

from __future__ import annotations

import datetime as dt

from graph.base import GraphStore

CQU = "重庆大学"
CHANGAN = "重庆长安汽车股份有限公司"
CAERI = "中国汽车工程研究院股份有限公司"
CQUPT = "重庆邮电大学"
SWU = "西南大学"
SERES = "赛力斯集团股份有限公司"

ORGS = [
    {"id": CQU, "name": CQU, "aliases": ["重大", "Chongqing University"], "kind": "university",
     "moe_code": "4150010611", "region_code": "500000", "is_chongqing": True},
    {"id": CHANGAN, "name": CHANGAN, "aliases": ["长安汽车", "重庆长安汽车股份有限公司"],
     "short_name": "长安汽车", "kind": "enterprise", "stock_code": "000625.SZ",
     "qualifications": ["高新技术企业", "上市"], "region_code": "500000", "is_chongqing": True},
    {"id": CAERI, "name": CAERI, "aliases": ["中汽研", "中国汽车工程研究院"], "short_name": "中国汽研",
     "kind": "institute", "stock_code": "601965.SH", "region_code": "500000", "is_chongqing": True},
    {"id": CQUPT, "name": CQUPT, "aliases": ["重邮"], "kind": "university",
     "moe_code": "4150010617", "region_code": "500000", "is_chongqing": True},
    {"id": SWU, "name": SWU, "aliases": [], "kind": "university", "moe_code": "4150010635",
     "region_code": "500000", "is_chongqing": True},
    {"id": SERES, "name": SERES, "aliases": ["赛力斯", "重庆小康工业集团股份有限公司"], "short_name": "赛力斯",
     "kind": "enterprise", "stock_code": "601127.SH", "region_code": "500000", "is_chongqing": True},
]


def _patent(pid, title, year, month, day, kind="invention", status="valid", **extra):
    serial = pid[2:14]
    row = {
        "id": pid,
        "app_no": pid,
        "pub_no": f"CN{serial[-9:]}{'U' if kind == 'utility_model' else 'A'}",
        "kind": kind,
        "title": title,
        "app_date": dt.date(year, month, day),
        "app_year": year,
        "status": status,
        "sources": ["fixture:graph"],
    }
    row.update(extra)
    return row


PATENTS = [
    _patent("CN202010123456.7", "一种锂离子电池正极材料及其制备方法", 2020, 3, 15,
            grant_no="CN111312345B", grant_date=dt.date(2022, 6, 7), grant_year=2022, claim_count=10,
            family_ids=["CN111312345A", "WO2021180123A1"], family_size=2, overseas_family=True,
            ipc_main="H01M4/36", ipc_codes=["H01M4/36", "H01M4/525", "H01M10/0525"],
            ipc_subclasses=["H01M"], hv=True, hv_criteria=["overseas_family"], cited_count=2,
            abstract="本发明公开了一种锂离子电池正极材料，包括内核和包覆层……"),
    _patent("CN202110234567.8", "一种动力电池热管理系统及控制方法", 2021, 5, 20,
            ipc_main="H01M10/613", ipc_codes=["H01M10/613", "H01M10/625", "B60L58/26"],
            ipc_subclasses=["H01M", "B60L"], status="pending"),
    _patent("CN202120345678.9", "一种电池包壳体结构", 2021, 8, 2, kind="utility_model",
            ipc_main="H01M50/20", ipc_codes=["H01M50/20"], ipc_subclasses=["H01M"]),
    _patent("CN201910456789.0", "一种基于深度学习的专利文本分类方法", 2019, 11, 30,
            ipc_main="G06F16/35", ipc_codes=["G06F16/35", "G06N3/08"], ipc_subclasses=["G06F", "G06N"]),
    _patent("CN202210567890.1", "一种车联网通信资源分配方法", 2022, 4, 18,
            ipc_main="H04W72/04", ipc_codes=["H04W72/04", "H04W4/40"], ipc_subclasses=["H04W"]),
    _patent("CN201810678901.2", "一种柑橘黄龙病的快速检测方法", 2018, 9, 9, status="invalid",
            ipc_main="C12Q1/6888", ipc_codes=["C12Q1/6888", "A01G7/06"], ipc_subclasses=["C12Q", "A01G"]),
    _patent("CN202310789012.3", "一种固态电解质及其制备方法和应用", 2023, 1, 12, status="pending",
            ipc_main="H01M10/0562", ipc_codes=["H01M10/0562", "H01M4/62"], ipc_subclasses=["H01M"]),
    _patent("CN202011234567.8", "一种汽车座椅骨架", 2020, 10, 26, kind="utility_model",
            ipc_main="B60N2/68", ipc_codes=["B60N2/68"], ipc_subclasses=["B60N"]),
    _patent("CN201710345678.1", "一种高强度镁合金及其制备方法", 2017, 6, 1,
            ipc_main="C22C23/02", ipc_codes=["C22C23/02", "C22F1/06"], ipc_subclasses=["C22C", "C22F"]),
    _patent("CN202210987654.3", "一种新能源汽车电池包碰撞安全评估方法", 2022, 12, 5,
            ipc_main="G01M17/007", ipc_codes=["G01M17/007", "H01M50/20"], ipc_subclasses=["G01M", "H01M"]),
    _patent("CN202410111222.5", "一种智能网联汽车的路径规划方法", 2024, 2, 29, status="pending",
            ipc_main="G01C21/34", ipc_codes=["G01C21/34", "G06N3/08"], ipc_subclasses=["G01C", "G06N"]),
    _patent("CN201610222333.4", "一种高镍三元正极材料的包覆改性方法", 2016, 7, 8,
            ipc_main="H01M4/36", ipc_codes=["H01M4/36", "H01M4/505"], ipc_subclasses=["H01M"],
            open_licence=True),
]
P = [p["id"] for p in PATENTS]  # P[0] .. P[11]

#: (patent index, applicant, ord)
APPLICANTS = [
    (0, CQU, 0), (0, CHANGAN, 1),
    (1, CHANGAN, 0), (1, CAERI, 1),
    (2, SERES, 0),
    (3, CQUPT, 0),
    (4, CQUPT, 0), (4, CHANGAN, 1),
    (5, SWU, 0),
    (6, CQU, 0),
    (7, CHANGAN, 0),
    (8, CQU, 0), (8, CAERI, 1),
    (9, CAERI, 0), (9, SERES, 1),
    (10, CHANGAN, 0), (10, CQUPT, 1),
    (11, CQU, 0), (11, CHANGAN, 1),
]
# co-applied pairs: {CQU, CHANGAN}: P0, P11 -> 2; {CQUPT, CHANGAN}: P4, P10 -> 2;
# {CHANGAN, CAERI}: P1 -> 1; {CQU, CAERI}: P8 -> 1; {CAERI, SERES}: P9 -> 1
CO_APPLIED = {
    frozenset((CQU, CHANGAN)): 2,
    frozenset((CQUPT, CHANGAN)): 2,
    frozenset((CHANGAN, CAERI)): 1,
    frozenset((CQU, CAERI)): 1,
    frozenset((CAERI, SERES)): 1,
}

OWNERS = [(0, CQU), (1, CHANGAN), (11, CHANGAN)]  # P11 transferred to Changan

INVENTORS = [
    {"id": f"王晓东|{CQU}", "name": "王晓东", "org_id": CQU},
    {"id": f"李明|{CQU}", "name": "李明", "org_id": CQU},
    {"id": f"陈静|{CHANGAN}", "name": "陈静", "org_id": CHANGAN},
    {"id": f"刘洋|{CQUPT}", "name": "刘洋", "org_id": CQUPT},
    {"id": f"张伟|{CAERI}", "name": "张伟", "org_id": CAERI},
]
INVENTED_BY = [
    (0, f"王晓东|{CQU}", 0), (0, f"李明|{CQU}", 1), (0, f"陈静|{CHANGAN}", 2),
    (1, f"陈静|{CHANGAN}", 0), (3, f"刘洋|{CQUPT}", 0), (4, f"刘洋|{CQUPT}", 0),
    (8, f"李明|{CQU}", 0), (9, f"张伟|{CAERI}", 0), (11, f"王晓东|{CQU}", 0),
]

IPC_TITLES = {
    "H": ("section", "ELECTRICITY", "电学"),
    "H01": ("class", "BASIC ELECTRIC ELEMENTS", "基本电气元件"),
    "H01M": ("subclass", "PROCESSES OR MEANS, e.g. BATTERIES, FOR THE DIRECT CONVERSION OF CHEMICAL "
             "ENERGY INTO ELECTRICAL ENERGY", "用于直接转变化学能为电能的方法或装置，例如电池组"),
    "H01M4/00": ("main_group", "Electrodes", "电极"),
    "H01M10/00": ("main_group", "Secondary cells; Manufacture thereof", "二次电池；及其制造"),
    "H01M50/00": ("main_group", "Constructional details or processes of manufacture of the "
                  "non-active parts of electrochemical cells", None),
    "G06N": ("subclass", "COMPUTING ARRANGEMENTS BASED ON SPECIFIC COMPUTATIONAL MODELS", None),
}


def _ipc_rows() -> list[dict]:
    codes = sorted({c for p in PATENTS for c in p["ipc_codes"]} | set(IPC_TITLES))
    rows = []
    for code in codes:
        level, title, title_zh = IPC_TITLES.get(code, ("group", None, None))
        rows.append({"id": code, "level": level, "title": title, "title_zh": title_zh,
                     "subclass": code[:4] if len(code) >= 4 else None})
    return rows


IPC_ROWS = _ipc_rows()
CLASSIFIED_AS = [
    (i, code, code == p["ipc_main"]) for i, p in enumerate(PATENTS) for code in p["ipc_codes"]
]
# ipc_subtree_counts('H01M'): H01M10/00 -> P0, P1, P6 = 3; H01M4/00 -> P0, P6, P11 = 3;
# H01M50/00 -> P2, P9 = 2.  Distinct patents under H01M: P0, P1, P2, P6, P9, P11 = 6.
SUBTREE = {
    "H": [("H01", 6), ("H04", 1)],
    "H01M": [("H01M10/00", 3), ("H01M4/00", 3), ("H01M50/00", 2)],
    "G06": [("G06N", 2), ("G06F", 1)],
    "H01M4/00": [("H01M4/36", 2), ("H01M4/505", 1), ("H01M4/525", 1), ("H01M4/62", 1)],
}

#: (citing index, cited index); the last row cites a patent outside the graph
CITES = [(0, 11), (6, 0), (6, 11), (1, 0), (9, 2), (10, 4), (4, 3)]
MISSING_CITED = "CN200910000001.2"

SEI = [
    {"id": "5", "name": "新能源汽车产业", "level": 1},
    {"id": "5.2", "name": "新能源汽车装置、配件制造", "level": 2, "parent": "5"},
    {"id": "1.5", "name": "人工智能", "level": 2, "parent": "1"},
]
IN_SEI = [(0, "5.2", "H01M4/36"), (1, "5.2", "H01M10/613"), (3, "1.5", "G06N3/08"), (10, "1.5", "G06N3/08")]

CHAIN = {"id": "chain:nev", "name": "智能网联新能源汽车", "system": "33618", "tier": "万亿级主导产业集群",
         "complete": False, "source": "fixture"}
CHAIN_NODES = [
    {"id": "chain:nev:battery", "chain_id": "chain:nev", "name": "动力电池", "position": "upstream",
     "ipc_patterns": ["H01M*"], "keywords": ["电池", "正极", "电解质"]},
    {"id": "chain:nev:ica", "chain_id": "chain:nev", "name": "智能网联", "position": "midstream",
     "ipc_patterns": ["G01C21*", "H04W4/40"], "keywords": ["智能网联", "车联网"]},
]
IN_CHAIN_NODE = [(0, "chain:nev:battery", 0.9, "ipc+keyword"), (6, "chain:nev:battery", 0.8, "ipc"),
                 (10, "chain:nev:ica", 0.7, "keyword")]

REGIONS = [
    {"id": "500000", "name": "重庆市", "level": "province"},
    {"id": "500106", "name": "沙坪坝区", "level": "district", "parent": "500000"},
]
EVENTS = [{"id": "event:pledge:1", "kind": "pledge", "date": dt.date(2023, 3, 1), "amount_wan": 1200.0,
           "counterparty": "重庆农村商业银行股份有限公司"}]


def node_batches() -> dict[str, list[dict]]:
    return {
        "Patent": PATENTS,
        "Organization": ORGS,
        "Inventor": INVENTORS,
        "IPC": IPC_ROWS,
        "Region": REGIONS,
        "SEICategory": SEI,
        "IndustryChain": [CHAIN],
        "ChainNode": CHAIN_NODES,
        "Event": EVENTS,
    }


def rel_batches() -> list[tuple[str, list[dict], str | None, str | None]]:
    """(type, rows, src_label, dst_label)."""
    return [
        ("APPLIED_BY", [{"src": P[i], "dst": o, "ord": k} for i, o, k in APPLICANTS], None, None),
        ("OWNED_BY", [{"src": P[i], "dst": o} for i, o in OWNERS], None, None),
        ("INVENTED_BY", [{"src": P[i], "dst": v, "ord": k} for i, v, k in INVENTED_BY], None, None),
        ("AFFILIATED_WITH", [{"src": v["id"], "dst": v["org_id"]} for v in INVENTORS], None, None),
        ("CLASSIFIED_AS", [{"src": P[i], "dst": c, "main": m} for i, c, m in CLASSIFIED_AS], None, None),
        ("CITES", [{"src": P[a], "dst": P[b]} for a, b in CITES]
         + [{"src": P[0], "dst": MISSING_CITED}], None, None),
        ("IN_SEI", [{"src": P[i], "dst": s, "rule": r} for i, s, r in IN_SEI], None, None),
        ("SUBCATEGORY_OF", [{"src": "5.2", "dst": "5"}], None, None),
        ("IN_CHAIN_NODE", [{"src": P[i], "dst": n, "score": s, "via": v} for i, n, s, v in IN_CHAIN_NODE],
         None, None),
        ("PART_OF", [{"src": n["id"], "dst": n["chain_id"]} for n in CHAIN_NODES], None, None),
        ("LOCATED_IN", [{"src": o["id"], "dst": "500000"} for o in ORGS], "Organization", "Region"),
        ("LOCATED_IN", [{"src": "500106", "dst": "500000"}], "Region", "Region"),
        ("HAS_EVENT", [{"src": P[0], "dst": "event:pledge:1"}], None, None),
        ("EVENT_PARTY", [{"src": "event:pledge:1", "dst": CQU, "role": "pledgor"}], None, None),
    ]


#: relationships the fixture writes (rows whose endpoints exist)
EXPECTED_RELS = {
    "APPLIED_BY": len(APPLICANTS), "OWNED_BY": len(OWNERS), "INVENTED_BY": len(INVENTED_BY),
    "AFFILIATED_WITH": len(INVENTORS), "CLASSIFIED_AS": len(CLASSIFIED_AS), "CITES": len(CITES),
    "IN_SEI": len(IN_SEI), "SUBCATEGORY_OF": 1, "IN_CHAIN_NODE": len(IN_CHAIN_NODE), "PART_OF": 2,
    "LOCATED_IN": len(ORGS) + 1, "HAS_EVENT": 1, "EVENT_PARTY": 1,
}


def load_fixture(store: GraphStore) -> dict[str, int]:
    """Write the fixture graph; returns the write counts by label / relationship type."""
    written: dict[str, int] = {}
    for label, rows in node_batches().items():
        written[label] = store.upsert_nodes(label, rows)
    for rel_type, rows, s, d in rel_batches():
        n = store.upsert_relationships(rel_type, rows, src_label=s, dst_label=d)
        written[rel_type] = written.get(rel_type, 0) + n
    return written

#: nodes the fixture writes, by label
EXPECTED_NODES = {label: len(rows) for label, rows in node_batches().items()}
