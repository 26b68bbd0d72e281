"""Hybrid search: RRF fusion, filters, facets, paging, similar/knn, bundle persistence and
incremental updates, and an end-to-end build over real patents with the real encoder."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from embeddings.build import IndexBundle, build_indexes, document_text
from embeddings.catalog import Catalog
from embeddings.hybrid import HybridSearcher, rrf_fuse
from embeddings.keyword import ChineseTokenizer
from embeddings.models import Filters, SearchQuery
from patentnav.errors import EncoderMismatch, IndexNotBuilt, InvalidInput, NotFound
from patentnav.settings import Settings
from tests._fixtures_search import HashEncoder, ListStore, real_records

# -- RRF ------------------------------------------------------------------------------------


def test_rrf_scores_and_order_on_hand_made_rankings():
    fused = rrf_fuse([[1, 2, 3], [3, 1, 4]], k=60)
    assert [i for i, _ in fused] == [1, 3, 2, 4]
    s = dict(fused)
    assert s[1] == pytest.approx(1 / 61 + 1 / 62)
    assert s[3] == pytest.approx(1 / 63 + 1 / 61)
    assert s[2] == pytest.approx(1 / 62) and s[4] == pytest.approx(1 / 63)


def test_rrf_weights_k_and_ties():
    fused = dict(rrf_fuse([[1, 2], [2, 1]], weights=[2.0, 1.0], k=0))
    assert fused[1] == pytest.approx(2 / 1 + 1 / 2) and fused[2] == pytest.approx(2 / 2 + 1 / 1)
    assert [i for i, _ in rrf_fuse([[1, 2], [2, 1]], weights=[2.0, 1.0], k=0)] == [1, 2]
    # equal scores: better best rank first, then smaller id
    assert [i for i, _ in rrf_fuse([[5], [3]])] == [3, 5]
    assert [i for i, _ in rrf_fuse([[7, 8], [9]], weights=[1.0, 1.0], k=1)] == [7, 9, 8]
    assert rrf_fuse([[1, 2], [3]], weights=[0.0, 1.0])[0][0] == 3
    with pytest.raises(InvalidInput):
        rrf_fuse([[1]], weights=[1.0, 2.0])


# -- facets on a hand-made catalog --------------------------------------------------------------


def test_facet_counts_on_a_hand_made_catalog():
    cat = Catalog()
    cat.upsert([
        {"id": "a", "app_year": 2020, "kind": "invention", "ipc_codes": ["H01M4/36", "H01M4/58"],
         "holder_kinds": ["university", "enterprise"], "region_codes": ["500106", "500112"],
         "hv": True},
        {"id": "b", "app_year": 2020, "kind": "invention", "ipc_codes": ["H01M10/05"],
         "holder_kinds": ["enterprise"], "region_codes": ["110105"], "hv": False},
        {"id": "c", "app_year": 2021, "kind": "utility_model", "ipc_subclasses": ["G06F"],
         "holder_kinds": ["enterprise"], "region_codes": ["500235"]},
        {"id": "d", "app_year": 2019, "kind": "design", "holder_kinds": ["individual"]},
    ])
    everything = cat.mask(None)
    f = cat.facets(everything, ["app_year", "kind", "ipc_subclass", "ipc_section", "holder_kind",
                                "province", "region", "high_value"], size=10)
    assert f["app_year"] == [(2020, 2), (2019, 1), (2021, 1)]
    assert f["kind"] == [("invention", 2), ("design", 1), ("utility_model", 1)]
    assert f["ipc_subclass"] == [("H01M", 2), ("G06F", 1)]  # a's two H01M codes count once
    assert f["ipc_section"] == [("H", 2), ("G", 1)]
    assert f["holder_kind"] == [("enterprise", 3), ("individual", 1), ("university", 1)]
    assert f["province"] == [("500000", 2), ("110000", 1)]  # a's two districts count once
    assert f["region"][0] == ("110105", 1) and len(f["region"]) == 4
    assert f["high_value"] == [(None, 2), (False, 1), (True, 1)]
    # over a filtered set, with a size limit
    m = cat.mask(Filters(region=("500000",)))
    f = cat.facets(m, ["kind", "holder_kind"], size=1)
    assert f == {"kind": [("invention", 1)], "holder_kind": [("enterprise", 2)]}
    with pytest.raises(InvalidInput):
        cat.facets(m, ["colour"])


def test_facet_and_mask_paths_agree_with_brute_force():
    """Random catalog: every counting path (small selection, large selection, everything)
    and every filter agree with plain Python over the records."""
    rng = np.random.default_rng(0)
    subs, kinds = ["H01M", "G06F", "A01B", "H02J"], ["enterprise", "university", "individual"]
    regions = ["500106", "500112", "500235", "110105", "310115"]
    recs = []
    for i in range(300):
        recs.append({
            "id": f"R{i:03d}", "app_year": int(rng.integers(2010, 2015)),
            "kind": ["invention", "utility_model"][i % 2],
            "ipc_codes": [f"{subs[j]}{int(rng.integers(1, 5))}/00"
                          for j in rng.choice(4, int(rng.integers(0, 3)), replace=False)],
            "holder_kinds": list(rng.choice(kinds, int(rng.integers(1, 3)), replace=False)),
            "region_codes": list(rng.choice(regions, int(rng.integers(0, 3)), replace=False)),
            "hv": [None, True, False][i % 3],
        })
    cat = Catalog()
    cat.upsert(recs[:150])
    cat.upsert(recs[150:])
    cat.delete(["R007", "R100"])
    live = [r for r in recs if r["id"] not in ("R007", "R100")]

    def brute(rows, name):
        out: dict = {}
        for r in rows:
            if name == "ipc_subclass":
                vals = {c[:4] for c in r["ipc_codes"]}
            elif name == "holder_kind":
                vals = set(r["holder_kinds"])
            elif name == "province":
                vals = {c[:2] + "0000" for c in r["region_codes"]}
            else:
                vals = {r[name]}
            for v in vals:
                out[v] = out.get(v, 0) + 1
        return sorted(out.items(), key=lambda t: (-t[1], str(t[0])))

    names = ("ipc_subclass", "holder_kind", "province", "app_year", "kind")
    for frac in (0.05, 0.5, 1.0):
        chosen = [r for r in live if rng.random() < frac] if frac < 1 else live
        m = np.zeros(len(cat.ids), dtype=bool)
        m[cat.ids.lookup([r["id"] for r in chosen])] = True
        got = cat.facets(m, names, size=50)
        for name in names:
            assert got[name] == brute(chosen, name), (frac, name)
    f = Filters(ipc=("H01M",), holder_kind=("university",), region=("500000",),
                kind=("invention",))
    expect = {r["id"] for r in live if any(c.startswith("H01M") for c in r["ipc_codes"])
              and "university" in r["holder_kinds"] and r["kind"] == "invention"
              and any(c.startswith("50") for c in r["region_codes"])}
    assert set(cat.ids.to_str(np.flatnonzero(cat.mask(f)))) == expect


# -- hybrid searcher over a small hand-made corpus ---------------------------------------------

CORPUS = [
    ("P01", "一种锂电池正极材料及其制备方法", 2018, "invention", "valid", ["H01M4/36"], ["500106"], True),
    ("P02", "锂离子电池正极材料的包覆改性方法", 2019, "invention", "pending", ["H01M4/62"], ["110105"], None),
    ("P03", "一种动力电池模组的散热装置", 2020, "utility_model", "valid", ["H01M10/613"], ["500112"], False),
    ("P04", "基于深度学习的图像识别方法", 2021, "invention", "valid", ["G06N3/08"], ["440305"], False),
    ("P05", "一种激光雷达点云目标检测方法", 2022, "invention", "pending", ["G01S17/93"], ["500106"], None),
    ("P06", "一种正极材料回收装置", 2017, "utility_model", "invalid", ["H01M10/54"], ["500235"], False),
    ("P07", "锂电池电解液及锂电池", 2023, "invention", "valid", ["H01M10/0567"], ["310115"], True),
    ("P08", "一种输电线路驱鸟装置", 2016, "utility_model", "valid", ["H02G1/02"], ["500101"], False),
    ("P09", "负极材料硅碳复合物的制备方法", 2020, "invention", "valid", ["H01M4/38"], ["500106"], None),
    ("P10", "图像识别芯片及其控制方法", 2022, "invention", "pending", ["G06V10/82"], ["500103"], False),
]


def corpus_rows():
    return [{"id": pid, "title": title, "abstract": None, "claim1": None, "app_year": y,
             "app_date": date(y, 3, int(pid[1:]) + 1), "kind": kind, "status": status,
             "ipc_codes": ipc, "org_regions": reg, "hv": hv,
             "holder_kinds": ["university" if int(pid[1:]) % 3 == 0 else "enterprise"]}
            for pid, title, y, kind, status, ipc, reg, hv in CORPUS]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings(var_dir=tmp_path_factory.mktemp("var"), index_workers=1, exact_index_max=1000)


@pytest.fixture(scope="module")
def tokenizer(settings):
    from embeddings.build import make_tokenizer

    return make_tokenizer(settings)


@pytest.fixture()
def bundle(settings, tokenizer):
    enc = HashEncoder()
    b = IndexBundle.empty(enc, settings, tokenizer=tokenizer)
    b.add_records(corpus_rows(), enc)
    return b


@pytest.fixture()
def searcher(bundle):
    return HybridSearcher.from_bundle(bundle, HashEncoder())


def ids(result):
    return [h.patent_id for h in result.hits]


def test_keyword_mode_is_bm25_ranking_with_matched_terms(searcher, bundle):
    r = searcher.search(SearchQuery(text="锂电池 正极材料", mode="keyword", k=10))
    kw = bundle.keyword.search("锂电池 正极材料", 10)
    assert ids(r) == bundle.ids.to_str(kw.ids) and r.total == kw.total
    assert ids(r)[0] == "P01" and {"锂电池", "正极", "材料"} <= set(r.hits[0].matched_terms)
    assert all(h.semantic_rank is None and h.keyword_rank == h.rank for h in r.hits)
    assert {"锂电池", "正极材料", "正极", "材料"} <= set(r.query_terms)
    assert r.hits[0].score == pytest.approx(r.hits[0].keyword_score)


def test_semantic_mode_is_vector_ranking(searcher, bundle):
    r = searcher.search(SearchQuery(text="锂电池正极材料", mode="semantic", k=5))
    vec = HashEncoder().encode_queries(["锂电池正极材料"])[0]
    expected = [pid for pid, _ in bundle.vector.search(vec, 5)]
    assert ids(r) == expected and r.total == 10
    assert all(h.semantic_rank == h.rank and h.keyword_rank is None for h in r.hits)
    assert "锂电池" in r.hits[0].matched_terms  # matched terms are reported in every mode


def test_hybrid_mode_is_rrf_of_both_rankings(searcher, bundle):
    q = SearchQuery(text="锂电池 正极材料", k=10, candidates=10, rrf_k=60)
    r = searcher.search(q)
    kw = bundle.keyword.search(q.text, 10)
    vec = HashEncoder().encode_queries([q.text])[0]
    sem = [bundle.ids.get(pid) for pid, _ in bundle.vector.search(vec, 10)]
    fused = rrf_fuse([kw.ids, sem], k=60)
    assert ids(r) == bundle.ids.to_str([i for i, _ in fused])
    for h, (_, score) in zip(r.hits, fused):
        assert h.score == pytest.approx(score)
        parts = (1 / (60 + h.keyword_rank) if h.keyword_rank else 0) + \
                (1 / (60 + h.semantic_rank) if h.semantic_rank else 0)
        assert h.score == pytest.approx(parts)
    # keyword-only weight reproduces the keyword order first
    r2 = searcher.search(SearchQuery(text=q.text, k=3, semantic_weight=0.0))
    assert ids(r2) == bundle.ids.to_str(kw.ids[:3])


def test_filters_apply_to_every_mode(searcher):
    f = Filters(region=("500000",), app_year_from=2018)
    for mode in ("hybrid", "keyword", "semantic"):
        r = searcher.search(SearchQuery(text="锂电池 正极材料 图像识别", mode=mode, k=10, filters=f))
        assert set(ids(r)) <= {"P01", "P03", "P05", "P09", "P10"}
        assert ids(r)
    r = searcher.search(SearchQuery(text="电池", mode="keyword", k=10,
                                    filters=Filters(ipc=("H01M4",), high_value=True)))
    assert ids(r) == ["P01"]
    r = searcher.search(SearchQuery(text="电池", k=10, filters=Filters(kind=("design",))))
    assert r.hits == [] and r.total == 0 and r.next_offset is None


def test_paging_is_consistent(searcher):
    full = searcher.search(SearchQuery(text="锂电池 正极材料 方法", k=12))
    pages, offset = [], 0
    while offset is not None:
        r = searcher.search(SearchQuery(text="锂电池 正极材料 方法", k=3, offset=offset))
        pages += ids(r)
        assert [h.rank for h in r.hits] == list(range(offset + 1, offset + 1 + len(r.hits)))
        offset = r.next_offset
    assert pages == ids(full)


def test_facets_count_the_result_set(searcher):
    r = searcher.search(SearchQuery(text="锂电池", mode="keyword", k=2,
                                    facets=("app_year", "kind", "province")))
    # 锂电池 -> 锂电池 / 锂电 / 电池: P01, P07 (锂电池), P02 (锂离子电池), P03 (动力电池)
    assert r.total == 4 and len(r.hits) == 2 and r.next_offset == 2
    assert set(ids(r)) == {"P01", "P07"}  # the two with the full word rank first
    assert r.facets["kind"] == [("invention", 3), ("utility_model", 1)]
    assert r.facets["province"] == [("500000", 2), ("110000", 1), ("310000", 1)]
    assert sum(c for _, c in r.facets["app_year"]) == 4
    with pytest.raises(InvalidInput):
        SearchQuery(text="x", facets=("colour",))


def test_empty_text_browses_newest_first(searcher):
    r = searcher.search(SearchQuery(text="  ", k=3, filters=Filters(region=("500000",)),
                                    facets=("app_year",)))
    assert ids(r) == ["P10", "P05", "P09"] and r.total == 7 and r.next_offset == 3
    assert sum(c for _, c in r.facets["app_year"]) == 7
    assert all(h.score == 0.0 for h in r.hits)


def test_similar_excludes_itself_and_knn(searcher, bundle):
    hits = searcher.similar("P01", k=3)
    assert "P01" not in [h.patent_id for h in hits] and len(hits) == 3
    assert hits[0].semantic_rank == 1 and hits[0].score >= hits[1].score
    only = searcher.similar("P01", k=5, filters=Filters(kind=("utility_model",)))
    assert {h.patent_id for h in only} <= {"P03", "P06", "P08"}
    with pytest.raises(NotFound):
        searcher.similar("nope")
    knn = searcher.knn("一种锂电池正极材料及其制备方法", k=2)
    assert knn[0].patent_id == "P01" and knn[0].score == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(InvalidInput):
        searcher.knn("  ")


def test_query_validation():
    with pytest.raises(InvalidInput):
        SearchQuery(text="x", mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        SearchQuery(text="x", k=0)
    with pytest.raises(InvalidInput):
        Filters(app_year_from=2022, app_year_to=2020)
    with pytest.raises(InvalidInput):
        Filters(ipc=("",))
    assert Filters(ipc="h01m").ipc == ("H01M",)


def test_bundle_save_load_update_remove(settings, bundle, tmp_path):
    enc = HashEncoder()
    path = bundle.save(tmp_path / "index")
    loaded = IndexBundle.load(path, enc)
    s = HybridSearcher.from_bundle(loaded, enc)
    q = SearchQuery(text="锂电池 正极材料", k=5)
    assert ids(s.search(q)) == ids(HybridSearcher.from_bundle(bundle, enc).search(q))
    # incremental update from the graph: one changed, one new, one gone
    rows = {r["id"]: r for r in corpus_rows()}
    rows["P08"] = dict(rows["P08"], title="一种锂电池正极材料涂布装置")
    rows["P11"] = dict(rows["P01"], id="P11", title="一种钠离子电池正极材料")
    del rows["P04"]
    out = loaded.update_patents(ListStore(list(rows.values())), ["P08", "P11", "P04"], enc)
    assert out == {"updated": 2, "removed": 1}
    r = s.search(SearchQuery(text="正极材料", mode="keyword", k=20))
    assert "P08" in ids(r) and "P11" in ids(r)
    assert "P04" not in ids(s.search(SearchQuery(text="图像识别", k=20)))
    assert len(loaded) == 10 and len(loaded.vector) == 10
    loaded.save()
    again = IndexBundle.load(path, enc)
    assert len(again) == 10 and again.describe()["keyword"]["delta"] == 0
    assert ids(HybridSearcher.from_bundle(again, enc).search(q)) == ids(s.search(q))
    assert loaded.remove_patents(["P11", "zz"]) == 1
    # another encoder is refused, naming both
    other = HashEncoder(dim=64)
    other.fingerprint, other.name = "other:v2", "other"
    with pytest.raises(EncoderMismatch, match="hash-bigram.*other"):
        IndexBundle.load(path, other)
    with pytest.raises(EncoderMismatch):
        HybridSearcher.from_bundle(IndexBundle.load(path), other)
    with pytest.raises(IndexNotBuilt):
        IndexBundle.load(tmp_path / "none", enc)


# -- end to end: real patents, real default encoder ---------------------------------------------


@pytest.fixture(scope="module")
def real_encoder():
    from embeddings.encoder import create_encoder

    return create_encoder(Settings())


@pytest.mark.slow
def test_end_to_end_build_with_real_encoder(settings, real_encoder, tmp_path):
    rows = real_records(200, 100)
    store = ListStore(rows)
    cfg = settings.model_copy(update={"index_dir": tmp_path / "idx"})
    bundle = build_indexes(store, real_encoder, cfg, progress=False, page_size=64)
    assert len(bundle) == 300 and len(bundle.vector) == 300 and len(bundle.keyword) == 300
    assert bundle.vector.kind == "flat"
    pages = [p["ids_text"].split("\n") for n, p in store.calls if n == "search_documents_by_ids"]
    assert pages[0] == sorted(r["id"] for r in rows)[:64] and len(pages) == 5
    loaded = IndexBundle.load(cfg, real_encoder)
    s = HybridSearcher.from_bundle(loaded, real_encoder)
    r = s.search(SearchQuery(text="锂电池 正极材料", k=10, facets=("kind", "holder_kind")))
    assert r.hits and r.total >= len(r.hits)
    top = r.hits[0]
    assert top.matched_terms and top.keyword_rank is not None
    text = document_text(store.rows[top.patent_id])
    assert all(t in text.lower() for t in top.matched_terms)
    # semantic: a real title finds its own patent first
    some = rows[5]
    sem = s.search(SearchQuery(text=document_text(some), mode="semantic", k=3))
    assert sem.hits[0].patent_id == some["id"]
    # filters on real attributes
    h01 = s.search(SearchQuery(text="装置", k=20, filters=Filters(ipc=("H01",))))
    for h in h01.hits:
        assert any(c.startswith("H01") for c in store.rows[h.patent_id]["ipc_subclasses"])
    uni = s.search(SearchQuery(text="方法", mode="keyword", k=50,
                               filters=Filters(holder_kind=("university",))))
    assert uni.hits and all(store.rows[h.patent_id]["holder_kinds"] == ["university"]
                            for h in uni.hits)
    sim = s.similar(some["id"], k=5)
    assert len(sim) == 5 and some["id"] not in [h.patent_id for h in sim]


def test_tokenizer_user_words_come_from_ipc_titles_and_chains(tokenizer):
    assert isinstance(tokenizer, ChineseTokenizer) and len(tokenizer.user_words) > 100
    words = set(tokenizer.user_words)
    assert "联合控制" in words  # IPC title chunk (B60W)
    assert "动力电池" in words or "锂离子电池" in words  # chain keyword
    vals = np.array([len(w) for w in tokenizer.user_words])
    assert vals.min() >= 2


@pytest.mark.slow
def test_build_from_the_embedded_graph(settings, real_encoder, tmp_path):
    """The graph path: real patents upserted into LadybugDB, indexed through the
    ``search_documents`` keyset query, then updated through ``search_documents_by_ids``."""
    embedded = pytest.importorskip("graph.embedded")
    rows = real_records(60, 60)
    store = embedded.EmbeddedStore.open(tmp_path / "g.lbug")
    try:
        store.init_schema()
        store.upsert_nodes("Patent", [
            {"id": r["id"], "title": r["title"], "abstract": r.get("abstract"),
             "kind": r.get("kind"), "status": r.get("status"),
             "ipc_subclasses": r.get("ipc_subclasses"), "app_year": 2020,
             "app_date": date(2020, 1, 1 + i % 28)} for i, r in enumerate(rows)])
        store.upsert_nodes("Organization", [
            {"id": "重庆大学", "name": "重庆大学", "kind": "university", "region_code": "500106"}])
        store.upsert_relationships("APPLIED_BY", [{"src": rows[0]["id"], "dst": "重庆大学", "ord": 0}])
        cfg = settings.model_copy(update={"index_dir": tmp_path / "idx"})
        bundle = build_indexes(store, real_encoder, cfg, progress=False, page_size=50)
        assert len(bundle) == 120
        s = HybridSearcher.from_bundle(bundle, real_encoder)
        cq = s.search(SearchQuery(text="", filters=Filters(region=("500000",),
                                                           holder_kind=("university",))))
        assert [h.patent_id for h in cq.hits] == [rows[0]["id"]]
        store.upsert_nodes("Patent", [{"id": rows[1]["id"], "title": "一种钠离子电池正极材料"}])
        bundle.update_patents(store, [rows[1]["id"]], real_encoder)
        r = s.search(SearchQuery(text="钠离子", mode="keyword", k=5))
        assert rows[1]["id"] in [h.patent_id for h in r.hits]
    finally:
        store.close()
