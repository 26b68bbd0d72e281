"""Indicators and rankings on the hand-made graph equal hand-checked numbers.

Valid invention patents of the fixture (status valid, kind invention): CN201010000001.1,
CN201810000002.2, CN201910000003.3, CN202010000006.6, CN201910000008.8,
CN201610000010.0, CN201710000011.1, CN201510000012.2 = 8; high-value among them 6
(all but ...0002.2, which is "no" on every criterion, and ...0003.3, unknown).
"""

from __future__ import annotations

import pytest

from analytics.highvalue import load_awards, recompute_high_value
from analytics.indicators import (
    flatten_indicators,
    indicators,
    load_denominators,
    rank_holders,
    rank_inventors,
    region_prefix,
)
from patentnav.errors import IngestError, InvalidInput
from patentnav.settings import Settings
from tests._fixtures_matching import (
    AS_OF,
    AWARDS_CSV,
    CQU,
    DENOMINATORS_CSV,
    ENT_CQ,
    ENT_SC,
    INST,
    build_fixture_graph,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from graph.embedded import EmbeddedStore

    s = EmbeddedStore.open(tmp_path_factory.mktemp("ind") / "graph.lbug", buffer_pool_mb=512)
    s.init_schema()
    build_fixture_graph(s)
    load_awards(s, AWARDS_CSV)
    recompute_high_value(s, Settings(var_dir=tmp_path_factory.mktemp("var")), as_of=AS_OF,
                         progress=False)
    yield s
    s.close()


@pytest.fixture(scope="module")
def den():
    return load_denominators(DENOMINATORS_CSV)


def _groups(result):
    return {g["key"]: (g["patents"], g["hv"], g["hv_unknown"]) for g in result["groups"]}


def test_total(store):
    r = indicators(store, group_by="holder_kind")
    assert r["total"] == {"patents": 8, "hv": 6, "hv_unknown": 1}
    # every kind: the valid utility model counts too (hv false, out of scope)
    assert indicators(store, kind="any")["total"] == {"patents": 9, "hv": 6, "hv_unknown": 1}
    assert indicators(store, kind="utility_model")["total"]["patents"] == 1
    with pytest.raises(InvalidInput):
        indicators(store, kind="plant")


def test_by_holder_kind(store):
    # the transferred CN201910000008.8 counts for its current holder (an enterprise)
    r = indicators(store, group_by="holder_kind")
    assert _groups(r) == {"university": (3, 2, 0), "institute": (2, 1, 1),
                          "enterprise": (3, 3, 0)}


def test_by_holder_kind_with_unknown_status(store):
    # admitting status unknown adds the 2005 university patent (hv unknown)
    r = indicators(store, group_by="holder_kind", statuses=["valid", "unknown"])
    assert _groups(r)["university"] == (4, 2, 1)
    assert r["total"] == {"patents": 9, "hv": 6, "hv_unknown": 2}


def test_by_qualification(store):
    r = indicators(store, group_by="qualification")
    assert _groups(r) == {"高新技术企业": (2, 2, 0), "上市": (2, 2, 0), "专精特新": (1, 1, 0)}


def test_by_district_with_ratios(store, den):
    r = indicators(store, group_by="district", region="500000", denominators=den)
    assert _groups(r) == {"500106": (4, 3, 0), "500109": (2, 1, 1), "500112": (1, 1, 0)}
    names = {g["key"]: g["name"] for g in r["groups"]}
    assert names["500106"] == "沙坪坝区"
    g = {g["key"]: g for g in r["groups"]}
    # 500106 in 2025 (latest): population 100 万, R&D 50 亿元, GDP 1000 亿元
    assert g["500106"]["ratios"]["patents_per_10k_population"] == pytest.approx(0.04)
    assert g["500106"]["ratios"]["hv_per_100m_rd"] == pytest.approx(0.06)
    assert g["500106"]["ratios"]["hv_per_100m_gdp"] == pytest.approx(0.003)
    assert g["500112"]["ratios"]["hv_per_100m_rd"] is None  # blank R&D cell
    assert r["total"]["patents"] == 7  # the Sichuan patent is outside the scope
    assert r["total_ratios"]["hv_per_10k_population"] == pytest.approx(round(5 / 3000, 4))
    older = indicators(store, group_by="district", region="500000", denominators=den, year=2024)
    g24 = {g["key"]: g for g in older["groups"]}
    assert g24["500106"]["ratios"]["patents_per_10k_population"] == pytest.approx(round(4 / 99, 4))
    assert g24["500109"]["ratios"] is None
    flat = flatten_indicators(r)
    assert flat[0]["ratio_patents_per_10k_population"] == pytest.approx(0.04)


def test_by_chain_and_sei(store):
    assert _groups(indicators(store, group_by="chain")) == {"chain:新能源汽车": (3, 3, 0)}
    assert _groups(indicators(store, group_by="chain_node")) == {
        "chain:新能源汽车:动力电池": (3, 3, 0)}
    assert _groups(indicators(store, group_by="sei")) == {"5.2": (4, 4, 0)}
    top = indicators(store, group_by="sei_l1")
    assert _groups(top) == {"5": (4, 4, 0)}
    assert top["groups"][0]["name"] == "新能源汽车产业"


def test_rank_holders(store):
    r = rank_holders(store, by="patents")
    assert [(i["rank"], i["id"], i["patents"], i["hv"]) for i in r["items"]] == [
        (1, CQU, 3, 2), (2, ENT_CQ, 2, 2), (3, INST, 2, 1), (4, ENT_SC, 1, 1)]
    hv = rank_holders(store, by="hv", limit=2)
    assert [i["id"] for i in hv["items"]] == [CQU, ENT_CQ]
    ent = rank_holders(store, holder_kind="enterprise")
    assert [i["id"] for i in ent["items"]] == [ENT_CQ, ENT_SC]


def test_rank_inventors(store):
    r = rank_inventors(store, by="patents")
    got = [(i["rank"], i["name"], i["patents"], i["hv"]) for i in r["items"]]
    assert got == [(1, "张三", 3, 2), (2, "李四", 2, 2), (3, "王五", 2, 1), (4, "赵六", 1, 1)]
    assert r["items"][0]["org_name"] == "重庆大学"
    hv = rank_inventors(store, by="hv")
    assert [(i["rank"], i["name"]) for i in hv["items"]][:2] == [(1, "张三"), (2, "李四")]


def test_bad_arguments(store):
    with pytest.raises(InvalidInput):
        indicators(store, group_by="colour")
    with pytest.raises(InvalidInput):
        indicators(store, statuses=["alive"])
    with pytest.raises(InvalidInput):
        region_prefix("50")
    assert region_prefix("500000") == "50" and region_prefix("500100") == "5001"
    assert region_prefix("500106") == "500106"


def test_denominators_validation(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("region_code,year,population_10k,rd_100m_cny,gdp_100m_cny,source\n"
                 "500000,2025,abc,1,1,x\n", encoding="utf-8")
    with pytest.raises(IngestError):
        load_denominators(p)
    p.write_text("region_code,year,population_10k\n500000,2025,1\n", encoding="utf-8")
    with pytest.raises(IngestError):
        load_denominators(p)
