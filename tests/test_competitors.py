"""Organisation profiles, competitors and comparisons (analytics.competitors): exact numbers
on the hand-made graph, and 重庆大学 on the real demo data."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from analytics.competitors import OrgService, cosine, resolve_org
from patentnav.errors import InvalidInput, NotFound
from tests._fixtures_navigation import (
    BYD,
    CATL,
    CHANGAN,
    CQU,
    IOP,
    THU,
    open_fixture_store,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = open_fixture_store(tmp_path_factory.mktemp("orgs"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def svc(store):
    return OrgService(store)


def test_resolve_by_alias_and_normalised_name(store):
    assert resolve_org(store, "重庆大学(本部)")["id"] == CQU
    assert resolve_org(store, "重庆大学（A区）")["id"] == CQU      # full-width brackets, campus suffix
    assert resolve_org(store, " 重庆大学 ")["id"] == CQU
    with pytest.raises(NotFound) as e:
        resolve_org(store, "重庆大")
    assert [s["id"] for s in e.value.detail["suggestions"]][:1] == [CQU]


def test_cosine():
    assert cosine({"a": 1}, {"a": 2}) == pytest.approx(1.0)
    assert cosine({"a": 1}, {"b": 1}) == 0.0
    assert cosine({}, {"a": 1}) is None


def test_profile(svc):
    p = svc.profile("重庆大学(本部)")
    assert p.org["id"] == CQU and p.patents == 3  # P01, P06, P08
    trend = {r["year"]: r["applications"] for r in p.landscape["trend"]}
    assert trend == {2016: 1, 2017: 0, 2018: 0, 2019: 0, 2020: 0, 2021: 1, 2022: 0, 2023: 1}
    assert [(r["code"], r["patents"]) for r in p.landscape["ipc_subclasses"]] == [("H01M", 3), ("H02K", 1)]
    assert {r["id"]: r["patents"] for r in p.partners} == {IOP: 1, CHANGAN: 1}
    c = p.citations
    assert c["received"]["links"] == 2   # P04 -> P01, P02 -> P01
    assert {r["org_id"]: r["citations"] for r in c["received"]["by_org"]} == {BYD: 1, CATL: 1}
    assert c["given"]["links"] == 1      # P08 -> P02
    assert c["given"]["by_org"][0]["org_id"] == CATL
    assert "cq_comparison" not in p.landscape
    names = [t.name for t in p.tables()]
    assert names[0] == "org" and "partners" in names and "citations" in names


def test_competitors_by_ipc(svc):
    res = svc.competitors("重庆大学", limit=10)
    assert res.basis == ["ipc"] and res.weights == {"ipc": 1.0, "embedding": 0.0}
    ranked = [(c["id"], c["ipc_cosine"]) for c in res.competitors]
    # focal vector {H01M: 3, H02K: 1}; |a| = sqrt(10)
    r10 = math.sqrt(10)
    expected = [(IOP, 3 / r10), (CATL, 9 / (r10 * r10)), (BYD, 7 / (r10 * 3)),
                (CHANGAN, 6 / (r10 * r10)), (THU, 1 / (r10 * math.sqrt(3)))]
    assert [i for i, _ in ranked] == [i for i, _ in expected]
    for (_, got), (_, want) in zip(ranked, expected):
        assert got == pytest.approx(want, abs=1e-4)
    catl = res.competitors[1]
    assert catl["shared_codes"][0] | {} == {"code": "H01M", "focal": 3, "candidate": 3,
                                            "title": "PROCESSES OR MEANS, e.g. BATTERIES",
                                            "title_zh": "电池"}
    assert "H01M" in catl["explanation"]
    changan = next(c for c in res.competitors if c["id"] == CHANGAN)
    assert changan["co_applied"] == 1 and "共同申请 1 件" in changan["explanation"]
    assert res.notes  # no index: said so


def test_competitors_main_group_level(svc):
    res = svc.competitors(CQU, level="main_group", limit=3)
    # focal main groups {H01M4/00: 3, H02K1/00: 1}; BYD {H01M4/00: 1, H01M50/00: 1, H02K1/00: 1, B60L53/00: 2}
    byd = next(c for c in res.competitors if c["id"] == BYD)
    assert byd["ipc_cosine"] == pytest.approx(4 / (math.sqrt(10) * math.sqrt(7)), abs=1e-4)
    assert res.competitors[0]["id"] == IOP  # {H01M4/00: 1} -> 3/sqrt(10)


def test_competitors_with_embeddings(store, tmp_path_factory):
    from embeddings.build import build_indexes
    from embeddings.hybrid import HybridSearcher
    from patentnav.settings import Settings
    from tests._fixtures_search import HashEncoder

    enc = HashEncoder()
    bundle = build_indexes(store, enc, Settings(var_dir=tmp_path_factory.mktemp("i")),
                           progress=False, workers=1, save=False)
    searcher = HybridSearcher.from_bundle(bundle, enc)
    res = OrgService(store, searcher).competitors(CQU, limit=10, w_ipc=0.5, w_emb=0.5)
    assert res.basis == ["ipc", "embedding"]
    # the centroid cosine is checked against vectors computed here from the encoder
    by_org = {}
    for r in store.run("nav_org_patent_ids", org_ids=[CQU, CATL]):
        by_org.setdefault(r["org_id"], []).append(r["id"])
    from embeddings.build import document_text, documents_by_ids

    texts = {r["id"]: r for r in documents_by_ids(store, by_org[CQU] + by_org[CATL])}

    def centroid(ids):
        v = enc.encode([document_text(texts[i]) for i in sorted(ids)])
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        m = v.mean(axis=0)
        return m / np.linalg.norm(m)

    want = float(centroid(by_org[CQU]) @ centroid(by_org[CATL]))
    catl = next(c for c in res.competitors if c["id"] == CATL)
    assert catl["centroid_cosine"] == pytest.approx(want, abs=1e-3)
    assert catl["score"] == pytest.approx(0.5 * catl["ipc_cosine"] + 0.5 * catl["centroid_cosine"], abs=1e-3)
    scores = [c["score"] for c in res.competitors]
    assert scores == sorted(scores, reverse=True)


def test_compare(svc):
    cmp = svc.compare(["重庆大学", "宁德时代新能源科技股份有限公司"])
    a, b = cmp.orgs
    assert (a["id"], a["patents"], a["inventions"], a["valid"], a["status_known"], a["grants"]) == (
        CQU, 3, 3, 1, 3, 1)
    assert a["valid_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert (b["patents"], b["valid"], b["valid_share"], b["grants"]) == (4, 1, 0.25, 1)
    assert (a["cited_total"], b["cited_total"]) == (8, 15)
    assert (a["cites_given"], a["cites_received"], b["cites_given"], b["cites_received"]) == (1, 2, 1, 1)
    assert cmp.years == list(range(2016, 2024))
    assert [r["applications"] for r in a["trend"]] == [1, 0, 0, 0, 0, 1, 0, 1]
    # CQU {H01M 3, H02K 1} vs CATL {H01M 3, B60L 1}: 9 / 10
    assert cmp.ipc_similarity == [{"a": CQU, "b": CATL, "cosine": 0.9}]
    assert {t.name for t in cmp.tables()} == {"summary", "trend", "ipc", "ipc_similarity"}
    with pytest.raises(InvalidInput):
        svc.compare(["重庆大学"])
    with pytest.raises(InvalidInput):
        svc.compare(["重庆大学", "重庆大学(本部)"])


# -- the real demo data --------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_cqu_profile_count_matches_raw_data():
    from ingest.normalize.names import normalize_org_name, split_names
    from tests._fixtures_navigation import demo_settings, demo_store

    settings = demo_settings()
    expected = 0
    with open(settings.data_dir / "patents" / "ccf_bdci2022_patsnap_fewshot_train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            names = [normalize_org_name(n) for n in split_names(json.loads(line).get("assignee"))]
            expected += "重庆大学" in names
    with open(settings.data_dir / "patents" / "patentsemantix_zhuanli_zongbiao_sample10.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            expected += "重庆大学" in [normalize_org_name(n) for n in split_names(r["申请人"])]
    prof = OrgService(demo_store()).profile("重庆大学(本部)")
    assert prof.org["id"] == "重庆大学" and prof.org["is_chongqing"] is True
    assert prof.patents == expected >= 1
    # the PatSnap record has no IPC and no date: the profile says so instead of charting nothing
    assert "ipc_subclasses" in prof.landscape["unavailable"]
    assert any("app_year" in n for n in prof.notes)


@pytest.mark.slow
def test_demo_cqu_competitors_use_embeddings():
    from tests._fixtures_navigation import demo_searcher, demo_store

    res = OrgService(demo_store(), demo_searcher()).competitors("重庆大学", limit=10)
    assert res.basis == ["embedding"]        # its only patent has no IPC code
    assert len(res.competitors) == 10
    assert all(c["centroid_cosine"] is not None and c["id"] != "重庆大学" for c in res.competitors)
    assert any("IPC" in n for n in res.notes)


@pytest.mark.slow
def test_demo_compare_universities():
    from tests._fixtures_navigation import demo_store

    cmp = OrgService(demo_store()).compare(["重庆大学", "重庆邮电大学", "中科大数据研究院"])
    by = {o["id"]: o for o in cmp.orgs}
    assert by["中科大数据研究院"]["patents"] == 10
    assert by["中科大数据研究院"]["first_year"] == 2021
    assert by["重庆邮电大学"]["patents"] >= 1
    assert any("application year known" in n for n in cmp.notes)
