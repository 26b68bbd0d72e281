"""The two facet engines (analytics.facets) give identical landscapes.

``GraphFacets`` runs the named queries; ``IndexFacets`` computes the same rows with numpy
over the search catalog. Compared section by section on the hand-made fixture (dates,
grants, citations, regions, inventors, holders of unknown kind) and on the real demo data
for every topic form and filter."""

from __future__ import annotations

import json

import pytest

from analytics.facets import GraphFacets, IndexFacets, Timer, choose_engine
from analytics.navigation import LandscapeOptions, NavFilters, NavigationService, Topic
from patentnav.errors import IndexNotBuilt, InvalidInput
from tests._fixtures_navigation import open_fixture_store

UNORDERED = ("profile", "holder_kinds", "trend", "regions")
RANKED = ("holders", "ipc_subclasses", "ipc_groups", "inventors", "top_cited")


def canonical(rows):
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def comparable(land) -> dict:
    d = land.to_dict()
    d.pop("meta")
    d["topic"]["resolution"].pop("engine", None)
    return d


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    from embeddings.build import build_indexes
    from embeddings.hybrid import HybridSearcher
    from patentnav.settings import Settings
    from tests._fixtures_search import HashEncoder

    folder = tmp_path_factory.mktemp("facets")
    store = open_fixture_store(folder)
    enc = HashEncoder()
    bundle = build_indexes(store, enc, Settings(var_dir=folder / "var"), progress=False,
                           workers=1, save=False)
    yield store, HybridSearcher.from_bundle(bundle, enc)
    store.close()


ALL = tuple(f"P{i:02d}" for i in range(1, 20))


@pytest.mark.parametrize("ids", [ALL, ALL[:7], ("P03",)])
def test_every_section_matches_on_the_fixture(fixture, ids):
    store, searcher = fixture
    timer = Timer()
    g = GraphFacets(store).select(ids, timer)
    x = IndexFacets(searcher.catalog, store, searcher.lock).select(ids, timer)
    assert x is not None
    for name in UNORDERED:
        args = ("50",) if name != "holder_kinds" else ()
        assert canonical(getattr(x, name)(*args)) == canonical(getattr(g, name)(*args)), name
    for name in RANKED:
        for limit in (1, 3, 50):
            assert getattr(x, name)(limit) == getattr(g, name)(limit), (name, limit)
    # the fixture is not trivial: the index engine really counted something
    assert sum(r["patents"] for r in x.profile("50")) == len(ids)


def test_the_fixture_exercises_the_awkward_cases(fixture):
    store, searcher = fixture
    x = IndexFacets(searcher.catalog, store, searcher.lock).select(ALL, Timer())
    kinds = x.holder_kinds()
    assert any(r["kind"] is None and not r["has_applicant"] for r in kinds) or \
        all(r["has_applicant"] for r in kinds)
    assert x.top_cited(3) and all(r["cited_count"] > 0 for r in x.top_cited(3))
    assert any(r["grant_year"] for r in x.trend("50"))
    assert {r["region"] for r in x.regions("50")} - {""}


def test_unindexed_patents_fall_back_to_the_graph(fixture):
    store, searcher = fixture
    engine = IndexFacets(searcher.catalog, store, searcher.lock)
    assert engine.select(("P01", "NOT-INDEXED"), Timer()) is None
    assert engine.scope(ids=("P01", "NOT-INDEXED"), timer=Timer()) is None
    nav = NavigationService(store, searcher)
    land = nav.landscape(Topic(ids=("P01", "P02")), options=LandscapeOptions(clusters=False))
    assert land.meta["engine"] == "index"
    searcher.catalog.delete(["P02"])
    try:
        land = nav.landscape(Topic(ids=("P01", "P02")), options=LandscapeOptions(clusters=False))
        assert land.meta["engine"] == "graph" and land.patents == 2
    finally:
        from embeddings.build import catalog_record, documents_by_ids

        rows = documents_by_ids(store, ["P02"])
        searcher.catalog.upsert([catalog_record(r) for r in rows])
        searcher.catalog.consolidate()


def test_engine_choice(fixture):
    store, searcher = fixture
    assert choose_engine("auto", store, None).name == "graph"
    assert choose_engine("auto", store, searcher).name == "index"
    assert choose_engine("graph", store, searcher).name == "graph"
    with pytest.raises(IndexNotBuilt):
        choose_engine("index", store, None)
    with pytest.raises(InvalidInput):
        choose_engine("fast", store, searcher)


# -- the real demo data ------------------------------------------------------------------------
TOPICS = [
    Topic(q="锂电池"),
    Topic(ipc=("H01M",)),
    Topic(ipc=("H",)),
    Topic(ipc=("G06F", "G06N")),
    Topic(ipc=("B64C39", "G01N33/00")),
    Topic(sei="1"),
    Topic(chain="cq-electronics"),
    Topic(q="图像识别", ipc=("G06",)),
]
FILTERS = [
    NavFilters(),
    NavFilters(holder_kind=("university",)),
    NavFilters(region=("500000",)),
    NavFilters(status=("valid", "unknown"), kind=("invention",)),
    NavFilters(year_from=2015),
]


ORG = "中科大数据研究院"  # the demo data's largest applicant (10 patents)


@pytest.fixture(scope="module")
def demo_services():
    from tests._fixtures_navigation import demo_searcher, demo_store

    store, searcher = demo_store(), demo_searcher()
    return (NavigationService(store, searcher, engine="graph"),
            NavigationService(store, searcher, engine="index"))


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.describe())
def test_demo_landscapes_are_identical(demo_services, topic):
    graph, index = demo_services
    opts = LandscapeOptions(clusters=False, limit=15)
    seen = 0
    for filters in FILTERS:
        a = graph.landscape(topic, filters, opts)
        b = index.landscape(topic, filters, opts)
        assert b.meta["engine"] == "index" and a.meta["engine"] == "graph"
        assert comparable(b) == comparable(a), filters.describe()
        seen += a.patents
    assert seen > 0


def test_demo_org_profile_is_identical(demo_services):
    from analytics.competitors import OrgService

    graph, index = demo_services
    a = OrgService(graph.store, nav=graph).profile(ORG, LandscapeOptions(clusters=False))
    b = OrgService(index.store, nav=index).profile(ORG, LandscapeOptions(clusters=False))
    assert (a.meta["engine"], b.meta["engine"]) == ("graph", "index")
    da, db = a.to_dict(), b.to_dict()
    da.pop("meta"), db.pop("meta")
    assert da == db
    assert a.patents == 10 and da["ipc_subclasses"] and da["kinds"]


@pytest.mark.parametrize("level", ["subclass", "main_group"])
def test_competitor_rankings_are_identical(fixture, level):
    from analytics.competitors import OrgService
    from tests._fixtures_navigation import CATL, CQU

    store, searcher = fixture
    for org in (CATL, CQU):
        a = OrgService(store, searcher, engine="graph").competitors(org, limit=10, level=level)
        b = OrgService(store, searcher, engine="index").competitors(org, limit=10, level=level)
        assert (a.meta["engine"], b.meta["engine"]) == ("graph", "index")
        da, db = a.to_dict(), b.to_dict()
        da.pop("meta"), db.pop("meta")
        assert da == db
    assert a.competitors


def test_demo_competitors_are_identical(demo_services):
    from analytics.competitors import OrgService

    graph, index = demo_services
    a = OrgService(graph.store, graph.searcher, nav=graph).competitors(ORG, limit=10)
    b = OrgService(index.store, index.searcher, nav=index).competitors(ORG, limit=10)
    assert (a.meta["engine"], b.meta["engine"]) == ("graph", "index")
    da, db = a.to_dict(), b.to_dict()
    da.pop("meta"), db.pop("meta")
    assert da == db and len(a.competitors) == 10


def test_a_format_1_catalog_loads_and_navigation_uses_the_graph(fixture, tmp_path):
    import json
    from types import SimpleNamespace

    import numpy as np

    from embeddings.catalog import Catalog

    store, searcher = fixture
    cat = searcher.catalog
    cat.save(tmp_path / "c")
    with np.load(tmp_path / "c" / "catalog.npz") as z:  # what a format-1 catalog holds
        arrays = {k: z[k] for k in z.files if k not in (
            "holder_indptr", "holder_values", "inventor_indptr", "inventor_values",
            "patent_region", "cited", "nav_flags")}
    np.savez(tmp_path / "c" / "catalog.npz", **arrays)
    meta = json.loads((tmp_path / "c" / "meta.json").read_text())
    (tmp_path / "c" / "meta.json").write_text(json.dumps({**meta, "format_version": 1}))
    old = Catalog.load(tmp_path / "c", cat.ids)
    assert not old.has_nav and len(old) == len(cat) == 19
    assert old.mask().sum() == 19  # filters still work
    searcher_like = SimpleNamespace(catalog=old, lock=searcher.lock)
    assert choose_engine("auto", store, searcher_like).name == "graph"
    with pytest.raises(IndexNotBuilt):
        choose_engine("index", store, searcher_like)
    assert Catalog.load(tmp_path / "c", cat.ids).multi["holder"].values.size == 0
