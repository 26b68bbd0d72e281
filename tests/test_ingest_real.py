"""The real bundled data (settings.data_dir) through the real pipeline into the embedded store.

``test_subset_*`` load three real patent files and the small reference tables (a few
seconds); the ``slow`` tests load everything (``ingest_all``) twice and compare counts.
"""

from __future__ import annotations

from datetime import date

import pytest

from graph.embedded import EmbeddedStore
from ingest import reference
from ingest.chains import load_chains
from ingest.pipeline import ingest_files
from ingest.sei import load_sei
from patentnav.settings import Settings
from tests._fixtures_ingest import REAL_PATENTS, load_demo

DATA = Settings().data_dir
PATENTS = DATA / "patents"
SAMPLE10 = PATENTS / "patentsemantix_zhuanli_zongbiao_sample10.csv"
LIAO_TEST = PATENTS / "liaoleyuan_g06f_cpc_sample_test.csv"
PATSNAP = PATENTS / "ccf_bdci2022_patsnap_fewshot_train.jsonl"

pytestmark = pytest.mark.skipif(not SAMPLE10.is_file(), reason="the shared real data is not present")


def _one(rows, key="id"):
    return {r[key]: r for r in rows}


# -- a fast subset --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def subset(tmp_path_factory):
    root = tmp_path_factory.mktemp("real_subset")
    settings = Settings(var_dir=root)
    store = EmbeddedStore.open(root / "graph.lbug")
    store.init_schema()
    reference.load_regions(store)
    reference.load_sei_categories(store, load_sei(settings.data_dir))
    reference.load_chain_catalogue(store, load_chains())
    reference.load_universities(store, settings.data_dir)
    summary = ingest_files(store, [SAMPLE10, LIAO_TEST, PATSNAP], settings, progress=False,
                           source=None)
    yield store, settings, summary
    store.close()


def test_subset_accounting(subset):
    _, _, summary = subset
    got = {f.file: (f.read, f.loaded, f.merged, f.rejected, f.skipped) for f in summary.files}
    assert got == {
        SAMPLE10.name: (10, 10, 0, 0, 0),
        LIAO_TEST.name: (491, 19, 0, 0, 472),  # trailing empty rows are skipped, not lost
        PATSNAP.name: (958, 958, 0, 0, 0),
    }
    assert summary.nodes["Patent"] == 10 + 19 + 958


def test_subset_full_export_row(subset):
    store, _, _ = subset
    p = _one(store.run("ingest_patents_by_ids", ids=["CN202223220665.2"]))["CN202223220665.2"]
    assert p["pub_no"] == "CN218751475U" and p["grant_no"] == "CN218751475U"
    assert p["kind"] == "utility_model" and p["status"] == "valid"
    assert p["legal_status_raw"] == "有权-审定授权"
    assert p["app_date"] == date(2022, 12, 2) and p["grant_date"] == date(2023, 3, 28)
    assert p["expiry_date"] is None  # exported as 0
    assert p["ipc_main"] == "B64U20/80" and p["ipc_codes"] == ["B64U20/80", "B64U101/30"]
    assert p["region_code"] == "410000" and p["province_code"] == "河南(41)"
    assert p["sources"] == [SAMPLE10.name]
    inv = sorted(store.run("ingest_inventors_by_ids", ids=["CN202223220665.2"]), key=lambda r: r["ord"])
    assert [r["inventor_id"] for r in inv] == [f"{n}|中科大数据研究院" for n in ("刘迪", "刘敏", "王煜伟", "付艳波", "王元卓")]
    org = _one(store.run("ingest_org_details", ids=["中科大数据研究院"]))["中科大数据研究院"]
    assert org["kind"] == "institute" and org["region_code"] == "410000" and org["is_chongqing"] is False
    # the A publication and the B grant of one application are one patent
    q = _one(store.run("ingest_patents_by_ids", ids=["CN202211359874.7"]))["CN202211359874.7"]
    assert (q["pub_no"], q["grant_no"], q["kind"]) == ("CN115883397A", "CN115883397B", "invention")


def test_subset_sei_hand_checked(subset):
    store, _, _ = subset
    # CN116245100A: G06F40/289 (rule 1.5#1: G06F40*, IPC only) and G06F16/901 (rule 1.1#2: G06F*,
    # not one of its exclusions G06F16/182, /2458, /27, /95 …)
    sei = {r["sei"]: r["rule"] for r in store.run("ingest_sei_for", ids=["CN202211740332.4"])}
    assert sei == {"1.1": "1.1#2", "1.5": "1.5#1"}
    # CN218751475U: B64U20/80, B64U101/30 -- no rule names B64U (a 2023 subclass)
    assert store.run("ingest_sei_for", ids=["CN202223220665.2"]) == []


def test_subset_liaoleyuan_text_and_cpc(subset):
    store, _, _ = subset
    p = _one(store.run("ingest_patents_by_ids", ids=["CN116842782A"]))["CN116842782A"]
    assert p["title"] == "基于卷积神经网络的双输出水电机组下机架结构仿真方法"
    assert p["abstract"].startswith("本发明公开了基于卷积神经网络")
    assert p["cpc_codes"] == ["G06F30/23", "G06F30/27", "G06F2119/14"]
    assert p["ipc_codes"] is None and p["kind"] == "invention"
    sep = _one(store.run("ingest_patents_by_ids", ids=["CN118866379A"]))["CN118866379A"]
    assert sep["title"] == "一种用于心理障碍测评的数据处理及管理方法及系统"  # "[SEP]" form


def test_subset_patsnap_chongqing_university(subset):
    store, _, _ = subset
    pid = "patsnap:39bbd7b5776c784abb10f3f811aa6bdb"
    p = _one(store.run("ingest_patents_by_ids", ids=[pid]))[pid]
    assert p["title"] == "旋翼无人机变桨半径变桨距装置"
    assert [r["org_id"] for r in store.run("ingest_applicants_by_ids", ids=[pid])] == ["重庆大学"]
    cqu = _one(store.run("ingest_org_details", ids=["重庆大学"]))["重庆大学"]
    assert cqu["kind"] == "university" and cqu["moe_code"] == "4150010611"
    assert cqu["region_code"] == "500000" and cqu["is_chongqing"] is True
    assert "重庆大学" in cqu["aliases"]


def test_subset_second_run_is_idempotent(subset):
    store, settings, _ = subset
    nodes, rels = store.count_nodes(), store.count_relationships()
    again = ingest_files(store, [SAMPLE10, LIAO_TEST, PATSNAP], settings, progress=False)
    assert again.totals.loaded == 0 and again.totals.merged == 10 + 19 + 958
    assert store.count_nodes() == nodes and store.count_relationships() == rels


# -- everything (slow) ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full(tmp_path_factory):
    root = tmp_path_factory.mktemp("real_full")
    settings = Settings(var_dir=root)
    store = EmbeddedStore.open(root / "graph.lbug")
    store.init_schema()
    summary = load_demo(store, settings)
    yield store, settings, summary
    store.close()


@pytest.mark.slow
def test_full_summary(full):
    store, _, summary = full
    got = {f.file: (f.read, f.loaded, f.merged, f.rejected, f.skipped) for f in summary.files}
    assert got == {
        "ccf_bdci2022_patsnap_fewshot_train.jsonl": (958, 958, 0, 0, 0),
        "liaoleyuan_g06f_cpc_sample_test.csv": (491, 19, 0, 0, 472),
        "liaoleyuan_g06f_cpc_sample_train.csv": (4101, 19, 0, 0, 4082),
        "liaoleyuan_g06f_cpc_sample_val.csv": (492, 19, 0, 0, 473),
        "lxingy3_cn_patents_title_ipc.csv": (9740, 9740, 0, 0, 0),
        "patentsemantix_zhuanli_zongbiao_sample10.csv": (10, 10, 0, 0, 0),
    }
    nodes = store.count_nodes()
    assert nodes["Patent"] == REAL_PATENTS
    assert nodes["Region"] == 72 and nodes["SEICategory"] == 49
    assert nodes["IndustryChain"] == 13 and nodes["ChainNode"] == 54
    assert nodes["TechDemand"] == 371
    assert nodes["IPC"] >= 75_287  # the WIPO scheme plus newer codes used by patents
    assert summary.reference["universities"] == 2631 and summary.reference["listed"] == 5448


@pytest.mark.slow
def test_full_reference_details(full):
    store, _, _ = full
    ipc = _one(store.run("ingest_ipc_by_ids", ids=["H01M4/36", "G06F", "B64U101/30"]))
    assert ipc["H01M4/36"]["title"].startswith("Selection of substances as active materials")
    assert ipc["H01M4/36"]["parent"] == "H01M4/00" and ipc["H01M4/36"]["level"] == "group"
    assert ipc["G06F"]["title_zh"] == "电数字数据处理"
    assert ipc["B64U101/30"]["level"] == "group"  # a 2023 code, not in the 2020 scheme: still a node
    orgs = _one(store.run("ingest_org_details", ids=["长安汽车", "比亚迪股份有限公司", "重庆大学"]))
    assert orgs["长安汽车"]["stock_code"] == "000625.SZ" and orgs["长安汽车"]["qualifications"] == ["上市"]
    assert orgs["长安汽车"]["region_code"] == "500000" and orgs["长安汽车"]["is_chongqing"] is True
    # a listed short name linked to the applicant's full legal name
    byd = orgs["比亚迪股份有限公司"]
    assert byd["stock_code"] == "002594.SZ" and "比亚迪" in byd["aliases"]
    assert orgs["重庆大学"]["kind"] == "university"


@pytest.mark.slow
def test_full_second_run_gives_identical_counts(full):
    store, settings, _ = full
    nodes, rels = store.count_nodes(), store.count_relationships()
    again = load_demo(store, settings)
    assert again.totals.loaded == 0 and again.totals.merged == REAL_PATENTS
    assert store.count_nodes() == nodes
    assert store.count_relationships() == rels


@pytest.mark.slow
def test_reference_after_patents_classifies_them(tmp_path):
    """Patents loaded before the reference data get their SEI / chain edges from
    ``ingest_reference`` (which re-classifies what is stored)."""
    from ingest.pipeline import ingest_reference

    settings = Settings(var_dir=tmp_path)
    store = EmbeddedStore.open(tmp_path / "g.lbug")
    try:
        store.init_schema()
        ingest_files(store, [SAMPLE10], settings, progress=False)
        assert store.run("ingest_sei_for", ids=["CN202211740332.4"]) == []  # no categories yet
        summary = ingest_reference(store, settings, progress=False, listed=False)
        assert summary.reference["classified_patents"] == 10
        sei = {r["sei"]: r["rule"] for r in store.run("ingest_sei_for", ids=["CN202211740332.4"])}
        assert sei == {"1.1": "1.1#2", "1.5": "1.5#1"}
        nodes = {r["node"] for r in store.run("ingest_chain_nodes_for", ids=["CN202211740332.4"])}
        assert "cq-software/data-ai" in nodes  # G06F16/* is in the software chain's data/AI segment
    finally:
        store.close()
