"""Industry-chain maps and gap analysis (analytics.chains): the growth / share / 技术短板
maths on the hand-made graph (numbers worked out by hand from the table in
tests/_fixtures_navigation.py), and a chain of the bundled catalogue on the real data."""

from __future__ import annotations

import pytest

from analytics.chains import ChainOptions, ChainService, Stats, growth
from patentnav.errors import InvalidInput, NotFound
from tests._fixtures_navigation import CHANGAN, CQU, IOP, THU, open_fixture_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = open_fixture_store(tmp_path_factory.mktemp("chains"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def svc(store):
    return ChainService(store)


def test_growth():
    assert growth(6, 5) == 0.2
    assert growth(1, 0) is None
    assert growth(0, 4) == -1.0


def test_stats_windows():
    st = Stats()
    for prov, year, n in (("50", 2016, 1), ("50", 2023, 1), ("35", 2018, 2), ("", 2022, 1), ("11", None, 1)):
        st.add(prov, year, n, "50")
    s = st.summary(2023, 3)
    assert (s["patents"], s["region_known"], s["local"], s["rest"], s["dated"]) == (6, 5, 2, 3, 5)
    # the 2022 patent without a region is neither local nor rest
    assert (s["local_recent"], s["local_earlier"], s["rest_recent"], s["rest_earlier"]) == (1, 0, 0, 2)
    assert s["rest_growth"] == -1.0 and s["local_growth"] is None


def test_list(svc):
    rows = svc.list_chains()
    assert rows == [{"id": "fx-ev", "name": "测试新能源汽车链", "system": "other", "tier": "test",
                     "complete": True, "source": "fixture", "note": None, "segments": 3, "patents": 17}]


def test_chain_map(svc):
    m = svc.chain_map("fx-ev")
    assert m.windows == {"as_of": 2023, "window": 3, "recent": [2021, 2023], "earlier": [2018, 2020]}
    t = m.totals
    assert (t["patents"], t["region_known"], t["local"]) == (17, 16, 4)
    assert t["national_share"] == 0.25
    assert (t["local_recent"], t["local_earlier"], t["local_growth"]) == (1, 1, 0.0)
    assert (t["rest_recent"], t["rest_earlier"], t["rest_growth"]) == (6, 5, 0.2)
    seg = {s["id"]: s for s in m.segments}
    assert [s["position"] for s in m.segments] == ["upstream", "midstream", "downstream"]
    b = seg["fx-ev/battery"]
    assert (b["patents"], b["region_known"], b["local"], b["national_share"]) == (9, 8, 2, 0.25)
    assert (b["local_recent"], b["local_earlier"], b["rest_recent"], b["rest_earlier"]) == (1, 0, 2, 3)
    assert b["local_growth"] is None and b["rest_growth"] == pytest.approx(-1 / 3, abs=1e-4)
    # 重庆大学: P01, P08 and P06 (as co-applicant); 长安: P08
    assert [(h["id"], h["patents"]) for h in b["leading_local"]] == [(CQU, 3), (CHANGAN, 1)]
    mo = seg["fx-ev/motor"]
    assert (mo["patents"], mo["local"], mo["national_share"], mo["local_growth"]) == (5, 3, 0.6, 0.0)
    assert [(h["id"], h["patents"]) for h in mo["leading_local"]] == [(CHANGAN, 3), (CQU, 1)]
    ch = seg["fx-ev/charging"]
    assert (ch["patents"], ch["local"], ch["national_share"], ch["leading_local"]) == (4, 0, 0.0, [])
    assert any("region known for 16 of 17" in n for n in m.notes)


def test_chain_map_as_of(svc):
    m = svc.chain_map("fx-ev", ChainOptions(window=2, as_of=2020))
    t = m.totals
    # recent 2019-2020, earlier 2017-2018; local: P09 2017, P10 2019; rest: P02 2017, P03 2018,
    # P13 2018, P04 2019, P05 2020, P14 2020
    assert (t["local_recent"], t["local_earlier"], t["rest_recent"], t["rest_earlier"]) == (1, 1, 3, 3)


def test_gaps(svc):
    g = svc.gaps("fx-ev")
    base = g.baseline
    # all 19 patents, 18 with a region, 5 local (P01, P08, P09, P10, P17)
    assert (base["patents"], base["region_known"], base["local"]) == (19, 18, 5)
    B = 5 / 18
    seg = {s["id"]: s for s in g.segments}
    b = seg["fx-ev/battery"]
    assert b["rta"] == pytest.approx((2 / 8) / B, abs=1e-4)            # 0.9
    assert b["gap_score"] == pytest.approx(0.1, abs=1e-4)
    assert b["expected_local"] == pytest.approx(8 * B, abs=0.01)
    assert b["shortfall"] == pytest.approx(8 * B - 2, abs=0.01)
    assert b["weak"] is False
    m = seg["fx-ev/motor"]
    assert m["rta"] == pytest.approx(0.6 / B, abs=1e-4) and m["gap_score"] == 0.0 and m["shortfall"] == 0.0
    c = seg["fx-ev/charging"]
    assert (c["region_known"], c["local"], c["rta"], c["gap_score"]) == (4, 0, 0.0, 1.0)
    assert c["sufficient_data"] is False and c["weak"] is False   # 4 < min_patents 5
    assert g.weak == []
    assert [x["id"] for x in c["candidates"]] == [THU]
    assert [(x["id"], x["is_chongqing"]) for x in b["candidates"]] == [(CQU, True), (IOP, False)]
    assert base["chain_rta"] == pytest.approx((4 / 16) / B, abs=1e-4)


def test_gaps_with_lower_support(svc):
    g = svc.gaps("fx-ev", ChainOptions(min_patents=3))
    assert g.weak == ["fx-ev/charging"]
    assert g.segments[0]["id"] == "fx-ev/charging"      # weak segments first
    g2 = svc.gaps("fx-ev", ChainOptions(min_patents=3, weak_threshold=0.95))
    assert g2.weak == ["fx-ev/charging", "fx-ev/battery"]


def test_errors(svc):
    with pytest.raises(NotFound) as e:
        svc.chain_map("nope")
    assert e.value.detail["known"] == ["fx-ev"]
    with pytest.raises(InvalidInput):
        ChainOptions(window=0)


def test_tables(svc):
    tables = svc.gaps("fx-ev", ChainOptions(min_patents=3)).tables()
    gaps = tables[0]
    assert gaps.name == "gaps" and gaps.rows[0]["name"] == "充换电" and gaps.rows[0]["weak"] is True
    assert ("gap_score", "技术短板得分") in gaps.columns
    assert tables[1].rows[0]["name"] == THU
    assert svc.chain_map("fx-ev").tables()[0].rows[0]["position_zh"] == "上游"


# -- the real demo data ---------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_chain_agrees_with_the_catalogue_and_classifier():
    import csv
    from pathlib import Path

    from ingest import chains as chains_mod
    from tests._fixtures_navigation import demo_store

    svc = ChainService(demo_store())
    listed = {r["id"]: r for r in svc.list_chains()}
    with open(Path(chains_mod.__file__).parent / "data" / "chains" / "chains.csv", encoding="utf-8") as fh:
        catalogue = {r["chain_id"]: r for r in csv.DictReader(fh)}
    assert set(listed) == set(catalogue)
    m = svc.chain_map("cq-icnev")
    with open(Path(chains_mod.__file__).parent / "data" / "chains" / "chain_nodes.csv", encoding="utf-8") as fh:
        nodes = [r["node_id"] for r in csv.DictReader(fh) if r["chain_id"] == "cq-icnev"]
    assert sorted(s["id"] for s in m.segments) == sorted(nodes)
    assert m.totals["patents"] == listed["cq-icnev"]["patents"] > 100
    assert m.totals["region_known"] < m.totals["patents"]
    assert any("region known for" in n for n in m.notes)
    g = svc.gaps("cq-icnev")
    assert g.baseline["patents"] == sum(demo_store().count_nodes()[k] for k in ("Patent",))
    assert g.baseline["local"] >= 9      # the nine Chongqing applicants of the PatSnap file
    for s in g.segments:
        assert s["weak"] == (s["sufficient_data"] and s["rta"] is not None and s["rta"] < 0.5)


@pytest.mark.slow
def test_demo_chain_counts_agree_with_the_search_catalog():
    from embeddings.models import Filters
    from tests._fixtures_navigation import demo_searcher, demo_store

    searcher = demo_searcher()
    m = ChainService(demo_store()).chain_map("cq-electronics")
    assert m.totals["patents"] == int(searcher.catalog.mask(Filters(chain=("cq-electronics",))).sum())
    for s in m.segments:
        assert s["patents"] == int(searcher.catalog.mask(Filters(chain_node=(s["id"],))).sum()), s["id"]
