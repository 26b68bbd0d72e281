"""Technology landscapes (analytics.navigation): exact numbers on a hand-made graph with
dates, and the real demo data (counts checked against the raw files and the search
catalog, an independent implementation of the same filters)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from analytics.navigation import (
    LandscapeOptions,
    NavFilters,
    NavigationService,
    Topic,
    cluster_keywords,
    normalise_ipc_prefix,
    region_prefixes,
    trend_table,
)
from patentnav.errors import IndexNotBuilt, InvalidInput
from tests._fixtures_navigation import BYD, CATL, CHANGAN, CQU, IOP, open_fixture_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = open_fixture_store(tmp_path_factory.mktemp("nav"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def nav(store):
    return NavigationService(store)


@pytest.fixture(scope="module")
def h01m(nav):
    return nav.landscape(Topic(ipc=("H01M",)), options=LandscapeOptions(clusters=False))


# -- inputs -----------------------------------------------------------------------------------------
def test_ipc_prefix_normalisation():
    assert normalise_ipc_prefix(" h01m ") == "H01M"
    assert normalise_ipc_prefix("H01M4") == "H01M4/"
    assert normalise_ipc_prefix("h01m 4/36") == "H01M4/36"
    with pytest.raises(InvalidInput):
        normalise_ipc_prefix("battery")


def test_region_prefixes():
    assert region_prefixes(["500000", "500100", "500106"]) == ["50", "5001", "500106"]
    with pytest.raises(InvalidInput):
        region_prefixes(["5000"])


def test_topic_and_filter_validation():
    with pytest.raises(InvalidInput):
        Topic()
    with pytest.raises(InvalidInput):
        NavFilters(kind=("patent",))
    with pytest.raises(InvalidInput):
        NavFilters(year_from=2022, year_to=2020)
    assert NavFilters(kind="invention,utility_model").kind == ("invention", "utility_model")


# -- the fixture graph: exact numbers ----------------------------------------------------------------
def test_h01m_scope_and_coverage(h01m):
    assert h01m.patents == 9  # P01-P08 and the undated P19
    f = h01m.coverage["fields"]
    assert f["app_year"] == {"patents": 8, "share": round(8 / 9, 4)}
    assert f["applicant"]["patents"] == 8
    assert f["region"]["patents"] == 8
    assert f["ipc"]["patents"] == 9
    assert f["cited"]["patents"] == 8
    assert any("app_year" in n and "8 of 9" in n for n in h01m.notes)


def test_h01m_trend(h01m):
    trend = {r["year"]: r for r in h01m.sections["trend"]}
    assert sorted(trend) == list(range(2016, 2024))
    assert all(trend[y]["applications"] == 1 for y in range(2016, 2024))
    assert {y: r["grants"] for y, r in trend.items() if r["grants"]} == {2018: 1, 2019: 1, 2021: 1, 2022: 1}
    assert trend[2016]["applications_cq"] == 1 and trend[2023]["applications_cq"] == 1
    assert trend[2021]["applications_other"] == 1


def test_h01m_holders_and_kinds(h01m):
    holders = [(r["id"], r["patents"]) for r in h01m.sections["holders"]]
    assert holders == [(CATL, 3), (CQU, 3), (BYD, 2), (IOP, 1), (CHANGAN, 1)]
    top = h01m.sections["holders"][1]
    assert top["kind"] == "university" and top["is_chongqing"] is True and top["kind_zh"] == "高校"
    kinds = {r["key"]: r["patents"] for r in h01m.sections["holder_kinds"]}
    assert kinds == {"enterprise": 6, "university": 3, "institute": 1, "none": 1}


def test_h01m_ipc(h01m):
    sub = [(r["code"], r["patents"]) for r in h01m.sections["ipc_subclasses"]]
    assert sub == [("H01M", 9), ("H02K", 1)]
    assert h01m.sections["ipc_subclasses"][0]["title_zh"] == "电池"
    groups = [(r["code"], r["patents"]) for r in h01m.sections["ipc_groups"]]
    assert groups == [("H01M4/00", 6), ("H01M10/00", 3), ("H01M50/00", 1), ("H02K1/00", 1)]
    assert h01m.sections["ipc_groups"][0]["title"] == "Electrodes"


def test_h01m_regions_status_kinds(h01m):
    regions = {r["code"]: (r["name"], r["level"], r["patents"]) for r in h01m.sections["regions"]}
    assert regions == {"500106": ("沙坪坝区", "district", 2), "350000": ("福建省", "province", 3),
                       "440000": ("广东省", "province", 2), "110000": ("北京市", "province", 1),
                       "": ("地区未知", "unknown", 1)}
    assert h01m.sections["regions"][0]["code"] == "500106"  # Chongqing first
    assert {r["key"]: r["patents"] for r in h01m.sections["status"]} == {
        "valid": 4, "pending": 3, "invalid": 1, "unknown": 1}
    assert {r["key"]: r["patents"] for r in h01m.sections["kinds"]} == {"invention": 8, "utility_model": 1}


def test_h01m_cited_inventors_and_comparison(h01m):
    assert [(r["id"], r["cited_count"]) for r in h01m.sections["top_cited"]] == [
        ("P02", 12), ("P04", 7), ("P01", 5), ("P03", 3), ("P06", 2), ("P08", 1)]
    inv = {r["name"]: r["patents"] for r in h01m.sections["inventors"]}
    assert inv == {"张三": 2, "李四": 1, "王五": 1}
    comp = h01m.sections["cq_comparison"]
    assert comp["available"]
    cq, other = comp["chongqing"], comp["elsewhere"]
    assert (cq["patents"], cq["inventions"], cq["valid"], cq["valid_share"], cq["grants"]) == (2, 2, 1, 0.5, 1)
    assert (other["patents"], other["inventions"], other["valid"], other["valid_share"], other["grants"]) == (
        6, 5, 3, 0.5, 3)
    assert cq["cited_total"] == 6 and other["cited_total"] == 24
    assert comp["unknown_region"] == 1 and comp["share_chongqing"] == 0.25
    assert (cq["first_year"], cq["last_year"]) == (2016, 2023)


def test_filters_match_search_semantics(nav):
    def count(**kw):
        return nav.landscape(Topic(ipc=("H01M",)), NavFilters(**kw),
                             LandscapeOptions(sections=("kinds",))).patents

    # region matches the patent's region or any applicant's: P06 (Beijing) has 重庆大学 as co-applicant
    assert count(region=("500000",)) == 3
    assert count(region=("500106",)) == 3
    assert count(year_from=2020) == 4          # P05-P08; the undated P19 never matches a bound
    assert count(year_from=2017, year_to=2018) == 2
    assert count(grant_year_from=2020) == 2    # P04 2021, P05 2022
    assert count(holder_kind=("institute",)) == 1
    assert count(kind=("utility_model",)) == 1
    assert count(status=("unknown",)) == 1
    assert count(status=("valid",), region=("440000",)) == 2


def test_other_scopes(nav):
    sei = nav.landscape(Topic(sei="5"), options=LandscapeOptions(sections=("holders",)))
    assert sei.patents == 3  # P01, P02 (5.2) and P09 (5.1)
    assert nav.landscape(Topic(sei="5.1"), options=LandscapeOptions(sections=("kinds",))).patents == 1
    node = nav.landscape(Topic(chain_node="fx-ev/motor"), options=LandscapeOptions(sections=("kinds",)))
    assert node.patents == 5
    chain = nav.landscape(Topic(chain="fx-ev"), options=LandscapeOptions(sections=("kinds",)))
    assert chain.patents == 17
    both = nav.landscape(Topic(ipc=("H02K",), chain_node="fx-ev/battery"),
                         options=LandscapeOptions(sections=("kinds",)))
    assert both.patents == 1  # P08, the only battery patent with an H02K code
    groups = nav.landscape(Topic(ipc=("H01M4",)), options=LandscapeOptions(sections=("kinds",)))
    assert groups.patents == 6
    assert nav.landscape(Topic(ipc=("H",)), options=LandscapeOptions(sections=("kinds",))).patents == 13


def test_group_by(nav):
    land = nav.landscape(Topic(ipc=("H01M",)), options=LandscapeOptions(sections=("holders",)))
    buckets = land.group_by("holder")
    assert buckets[0] == {"key": CATL, "key_display_name": CATL, "count": 3}
    with pytest.raises(InvalidInput):
        land.group_by("colour")


def test_empty_topic(nav):
    land = nav.landscape(Topic(ipc=("A01B",)))
    assert land.patents == 0 and land.notes


def test_text_topic_needs_the_index(nav):
    with pytest.raises(IndexNotBuilt):
        nav.landscape(Topic(q="锂电池"))


def test_text_topic_with_a_searcher(store, tmp_path_factory):
    from embeddings.build import build_indexes
    from embeddings.hybrid import HybridSearcher
    from patentnav.settings import Settings
    from tests._fixtures_search import HashEncoder

    enc = HashEncoder()
    settings = Settings(var_dir=tmp_path_factory.mktemp("idx"))
    bundle = build_indexes(store, enc, settings, progress=False, workers=1, save=False)
    nav = NavigationService(store, HybridSearcher.from_bundle(bundle, enc))
    land = nav.landscape(Topic(q="充电桩"), options=LandscapeOptions(max_patents=5, n_clusters=2))
    info = land.topic["resolution"]["text"]
    assert land.patents == info["kept"] <= 5
    assert info["cap"] == 5
    # the two patents containing the term rank first and stay in
    ids = {r["id"] for r in nav.landscape(Topic(q="充电桩"), options=LandscapeOptions(
        max_patents=2, sections=("top_cited",))).sections["top_cited"]}
    assert ids <= {"P13", "P14"}
    # clusters over the whole fixture: 19 patents -> auto k, every patent in one cluster
    whole = nav.landscape(Topic(ids=tuple(f"P{i:02d}" for i in range(1, 20))),
                          options=LandscapeOptions(sections=("clusters",)))
    clusters = whole.sections["clusters"]
    assert sum(c["patents"] for c in clusters) == 19
    assert all(c["label"] and c["examples"] for c in clusters)


# -- pure maths ------------------------------------------------------------------------------------
def test_trend_table_fills_gaps():
    rows = [{"app_year": 2018, "grant_year": 2020, "region_class": "cq", "patents": 2},
            {"app_year": 2021, "grant_year": None, "region_class": "other", "patents": 1},
            {"app_year": None, "grant_year": 2022, "region_class": "unknown", "patents": 1}]
    t = trend_table(rows)
    assert [r["year"] for r in t] == [2018, 2019, 2020, 2021, 2022]
    assert [r["applications"] for r in t] == [2, 0, 0, 1, 0]
    assert [r["grants"] for r in t] == [0, 0, 2, 0, 1]


def test_cluster_keywords_contrast():
    docs = [{"电池", "正极"}, {"电池", "正极", "材料"}, {"电池", "负极"},
            {"电机", "转子"}, {"电机", "转子", "定子"}, {"电机", "电池"}]
    labels = np.array([0, 0, 0, 1, 1, 1])
    kw = cluster_keywords(docs, labels, 2)
    terms0 = [t for t, _ in kw[0]]
    terms1 = [t for t, _ in kw[1]]
    assert terms0[0] == "正极" or terms0[0] == "电池"
    assert "电机" in terms1[:2] and "转子" in terms1[:2]
    assert "电机" not in terms0 and "正极" not in terms1
    # 电池: 3/3 in cluster 0, 1/3 in cluster 1 -> contrast 2/3 times idf ln(7/5)+1
    score = dict(kw[0])["电池"]
    assert score == pytest.approx((1 - 1 / 3) * (np.log(7 / 5) + 1), abs=1e-4)


def test_export_of_a_landscape(h01m, tmp_path):
    from analytics.export import render, write

    names = [t.name for t in h01m.tables()]
    assert names[:3] == ["coverage", "trend", "holders"]
    csv_bytes = render(h01m.tables(), "csv", table="holders").content
    assert csv_bytes.startswith("\ufeff".encode("utf-8"))
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["排名", "申请人", "类型"]
    assert lines[1].startswith(f"1,{CATL},企业")
    out = write(h01m.tables(), "xlsx", tmp_path / "h01m.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert "主要申请人" in wb.sheetnames
    ws = wb["主要申请人"]
    assert ws["B2"].value == CATL and ws["F2"].value == 3
    data = json.loads(render(h01m.tables(), "json").content)
    assert data["tables"]["ipc_subclasses"]["rows"][0]["code"] == "H01M"


# -- the real demo data -----------------------------------------------------------------------------
LXINGY3 = "lxingy3_cn_patents_title_ipc.csv"


@pytest.fixture(scope="module")
def demo():
    from tests._fixtures_navigation import demo_store

    return demo_store()


@pytest.fixture(scope="module")
def demo_settings():
    from tests._fixtures_navigation import demo_settings

    return demo_settings()


def _raw_h01m(settings) -> set[str]:
    """Publication numbers with an H01M code, read straight from the raw files."""
    out = set()
    with open(settings.data_dir / "patents" / LXINGY3, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if "H01M" in r["ipc_subclasses"].split("|"):
                out.add(r["publication_number"])
    with open(settings.data_dir / "patents" / "patentsemantix_zhuanli_zongbiao_sample10.csv",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if "H01M" in (r["分类号"] or ""):
                out.add(r["公开号"])
    return out


@pytest.mark.slow
def test_demo_h01m_landscape(demo, demo_settings):
    land = NavigationService(demo).landscape(Topic(ipc=("H01M",)), options=LandscapeOptions(clusters=False))
    raw = _raw_h01m(demo_settings)
    assert land.patents == len(raw) > 100
    assert land.sections["ipc_subclasses"][0]["code"] == "H01M"
    assert land.sections["ipc_subclasses"][0]["patents"] == len(raw)
    # the lxingy3 rows carry no dates, applicants or regions: said, not charted
    assert land.coverage["fields"]["app_year"]["patents"] == 0
    assert land.sections["trend"] == [] and "trend" in land.unavailable
    assert "holders" in land.unavailable
    assert any("app_year" in n for n in land.notes)
    assert land.sections["cq_comparison"]["available"] is False


def _raw_applicants(settings) -> dict[str, list[str]]:
    """Graph patent id -> normalised applicant names, from the two raw files that name
    applicants (PatSnap: ``patsnap:<id>``; the 61-column sample: its application number)."""
    from ingest.normalize.names import normalize_org_name, split_names

    out = {}
    with open(settings.data_dir / "patents" / "ccf_bdci2022_patsnap_fewshot_train.jsonl",
              encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            out[f"patsnap:{r['id']}"] = [normalize_org_name(n) for n in split_names(r.get("assignee"))]
    with open(settings.data_dir / "patents" / "patentsemantix_zhuanli_zongbiao_sample10.csv",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out[r["申请号"]] = [normalize_org_name(n) for n in split_names(r["申请人"])]
    return out


@pytest.mark.slow
def test_demo_holder_counts_match_raw_assignees(demo, demo_settings):
    nav = NavigationService(demo)
    land = nav.landscape(Topic(chain="cq-software"), options=LandscapeOptions(limit=500, clusters=False))
    ids, _ = nav.resolve(Topic(chain="cq-software"), NavFilters(), LandscapeOptions())
    raw = _raw_applicants(demo_settings)
    expected: dict[str, int] = {}
    for pid in ids:
        for org in raw.get(pid, []):
            expected[org] = expected.get(org, 0) + 1
    got = {r["id"]: r["patents"] for r in land.sections["holders"]}
    top = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
    assert len(got) == min(500, len(expected)) > 10
    for org, n in top[:50]:
        assert got[org] == n, org


@pytest.mark.slow
def test_demo_scopes_agree_with_the_search_catalog(demo):
    """The same filters through the search catalog (an independent implementation)."""
    from embeddings.models import Filters
    from tests._fixtures_navigation import demo_searcher

    searcher = demo_searcher()
    nav = NavigationService(demo, searcher)

    def catalog(**kw) -> int:
        return int(searcher.catalog.mask(Filters(**kw)).sum())

    def ours(topic, **f) -> int:
        return nav.landscape(topic, NavFilters(**f), LandscapeOptions(sections=("kinds",))).patents

    assert ours(Topic(ipc=("H01M",))) == catalog(ipc=("H01M",))
    assert ours(Topic(ipc=("H01M",)), kind=("invention",)) == catalog(ipc=("H01M",), kind=("invention",))
    assert ours(Topic(sei="1")) == catalog(sei=("1",)) > 0
    assert ours(Topic(chain="cq-icnev")) == catalog(chain=("cq-icnev",)) > 0
    assert ours(Topic(chain="cq-software"), region=("500000",)) == catalog(
        chain=("cq-software",), region=("500000",))
    assert ours(Topic(chain="cq-software"), holder_kind=("university",)) == catalog(
        chain=("cq-software",), holder_kind=("university",))


@pytest.mark.slow
def test_demo_lithium_battery_text_topic(demo):
    from tests._fixtures_navigation import demo_searcher

    nav = NavigationService(demo, demo_searcher())
    land = nav.landscape(Topic(q="锂电池"), options=LandscapeOptions(max_patents=500, limit=10))
    info = land.topic["resolution"]["text"]
    assert 50 <= land.patents == info["kept"] <= 500
    assert land.sections["ipc_subclasses"][0]["code"] == "H01M"
    clusters = land.sections["clusters"]
    assert clusters and sum(c["patents"] for c in clusters) == land.patents
    words = {k["term"] for c in clusters for k in c["keywords"]}
    assert words & {"电池", "锂电池", "锂离子电池", "正极", "负极", "电极", "充电"}
    # holders come only from the PatSnap rows: coverage says how few have applicants
    cov = land.coverage["fields"]["applicant"]
    assert 0 < cov["patents"] < land.patents


# -- the queries ------------------------------------------------------------------------------------
def _body(text: str) -> str:
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//")).strip()


def test_every_navigation_query_has_both_dialects_and_no_drift():
    """The embedded variants differ from the Neo4j text only in the name of the function
    that splits $ids_text (string_split vs split) and in the string functions for main
    groups and subclass overlap; both dialects take the same parameters."""
    from queries.registry import default_registry

    reg = default_registry()
    names = [n for n in reg.names if n.startswith("nav_")]
    assert len(names) >= 30
    for name in names:
        emb, neo = reg.get(name, "embedded"), reg.get(name, "neo4j")
        assert emb.mode == neo.mode == "read" and emb.doc and neo.doc
        if emb.dialect == "embedded":
            canon = (_body(emb.text)
                     .replace("string_split($ids_text, '\\n')", "split($ids_text, '\\n')")
                     .replace("split_part(c, '/', 1)", "split(c, '/')[0]")
                     .replace("list_has_any(p.ipc_subclasses, $subclasses)",
                              "any(s IN p.ipc_subclasses WHERE s IN $subclasses)"))
            assert canon == _body(neo.text), name
            assert emb.parameters == neo.parameters, name


def test_cluster_label_skips_overlapping_pieces():
    from analytics.navigation import cluster_label

    assert cluster_label(["大数据", "数据", "区块链", "大数", "存储介质", "介质"]) == "大数据、区块链、存储介质"
    assert cluster_label(["数据"]) == "数据"
    assert cluster_label([]) == ""


def test_candidate_words_keep_whole_words_not_their_pieces():
    from analytics.navigation import candidate_words

    assert candidate_words(["大数据", "大数", "数据", "分析", "一种", "2021", "锂"]) == {"大数据", "分析"}
    assert candidate_words(["计算机", "算机", "计算", "存储介质", "介质", "存储"]) == {"计算机", "存储介质"}


def test_exports_keep_formula_looking_text_as_text():
    import io

    from openpyxl import load_workbook

    from analytics.export import Table, render

    t = Table("t", "测试", [("a", "名称"), ("n", "数")], [
        {"a": "=HYPERLINK(\"http://x\",\"y\")", "n": -3}, {"a": "-", "n": 2.5}, {"a": "正常", "n": 1}])
    text = render([t], "csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\r\n'-," in text and ",-3\r\n" in text  # numbers untouched
    ws = load_workbook(io.BytesIO(render([t], "xlsx").content)).worksheets[0]
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")
    assert ws["B2"].value == -3 and ws["A4"].value == "正常"
