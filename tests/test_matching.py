"""Supply–demand matching on the hand-made graph (known answers) and on the real demo data
(the 371 real technology demands)."""

from __future__ import annotations

import random

import pytest

from analytics.highvalue import load_awards, recompute_high_value
from analytics.matching import (
    CompanyOptions,
    DemandOptions,
    MatchingService,
    demand_query_text,
    flatten_company_matches,
    flatten_demand_matches,
    iter_all_demands,
)
from patentnav.errors import InvalidInput, NotFound
from patentnav.settings import Settings
from tests._fixtures_matching import (
    AS_OF,
    AWARDS_CSV,
    CQU,
    ENT_CQ,
    ENT_SC,
    build_fixture_graph,
    shared_encoder,
)

P1, P3, P5, P6, P8, P10, P12 = (
    "CN201010000001.1", "CN201910000003.3", "CN200510000005.5", "CN202010000006.6",
    "CN201910000008.8", "CN201610000010.0", "CN201510000012.2",
)


@pytest.fixture(scope="module")
def encoder():
    return shared_encoder()


@pytest.fixture(scope="module")
def service(tmp_path_factory, encoder):
    from embeddings.build import build_indexes
    from embeddings.hybrid import HybridSearcher
    from graph.embedded import EmbeddedStore

    root = tmp_path_factory.mktemp("match")
    settings = Settings(var_dir=root)
    store = EmbeddedStore.open(root / "graph.lbug", buffer_pool_mb=512)
    store.init_schema()
    build_fixture_graph(store)
    load_awards(store, AWARDS_CSV)
    recompute_high_value(store, settings, as_of=AS_OF, progress=False)
    bundle = build_indexes(store, encoder, settings, progress=False)
    searcher = HybridSearcher.from_bundle(bundle, encoder)
    yield MatchingService(store, searcher, settings, encoder=encoder)
    store.close()


def _ids(result):
    return [r["id"] for r in result["results"]]


# -- demand -> patents ------------------------------------------------------------------------
def test_demand_text_defaults(service):
    res = service.match_demand(demand_id="D1")
    ids = _ids(res)
    assert set(ids[:2]) == {P1, P12}  # the two university lithium-battery patents
    assert P8 not in ids  # transferred
    assert P10 not in ids  # held by an enterprise
    for r in res["results"]:
        assert {h["kind"] for h in r["holders"]} & {"university", "institute"}
        assert r["status"] in ("valid", "unknown")
        assert r["why"]["summary"]
    top = res["results"][0]
    assert "锂电池" in "".join(top["why"]["shared_terms"]) or "锂离子电池" in top["why"]["shared_terms"]
    assert top["why"]["best_sentence"]["text"]
    assert "<em>" in (top["why"]["highlight"]["title"] or "") + (top["why"]["highlight"]["abstract"] or "")
    assert res["query"]["filters"]["statuses"] == ["valid", "unknown"]
    assert res["skipped"]["transferred"] >= 0
    # classification labels of the demand text explain the overlap
    assert "ipc" in res["classification"]
    assert any(x["code"] == "H01M" for x in top["why"]["ipc_overlap"])


def test_demand_second_topic(service):
    res = service.match_demand("大型石灰窑炉烟气余热回收及综合利用技术")
    assert _ids(res)[0] == P6
    assert res["results"][0]["holders"][0]["kind"] == "institute"


def test_status_policy_and_toggles(service):
    unknown_ok = _ids(service.match_demand("永磁同步电机控制", options=DemandOptions(k=20)))
    assert P5 in unknown_ok  # status unknown is admitted by default, and flagged
    strict = _ids(service.match_demand("永磁同步电机控制",
                                       options=DemandOptions(k=20, statuses=("valid",))))
    assert P5 not in strict
    res = service.match_demand("锂电池防爆", options=DemandOptions(k=20))
    note = {r["id"]: r["status_note"] for r in res["results"]}
    assert note.get(P5) and note.get(P1) is None
    with_transferred = _ids(service.match_demand(
        "锂电池防爆安全阀", options=DemandOptions(k=20, exclude_transferred=False,
                                                holder_kinds=())))
    assert P8 in with_transferred and P10 in with_transferred
    open_only = _ids(service.match_demand("锂电池", options=DemandOptions(open_licence_only=True)))
    assert open_only == [P12]


def test_demand_errors(service):
    with pytest.raises(NotFound):
        service.match_demand(demand_id="no-such-demand")
    with pytest.raises(InvalidInput):
        service.match_demand("   ")
    with pytest.raises(InvalidInput):
        service.match_demand()


def test_query_text_drops_company_background():
    text = demand_query_text("石灰窑出灰系统", "需求内容：改进出灰系统。\n现有工作基础：公司有厂房3栋。")
    assert "出灰系统" in text and "厂房" not in text
    assert demand_query_text("标题", "") == "标题"


def test_flatten_demand_rows(service):
    rows = flatten_demand_matches(service.match_demand(demand_id="D1"))
    assert rows[0]["rank"] == 1 and rows[0]["demand_id"] == "D1" and rows[0]["why"]


# -- patent / org -> companies -----------------------------------------------------------------
def test_patent_to_companies(service):
    res = service.match_patent(P1)
    ids = _ids(res)
    assert ids[:2] == [ENT_CQ, ENT_SC]  # both make batteries; the Chongqing one is boosted
    top = res["results"][0]
    f = top["factors"]
    assert f["region"]["value"] == 1.0 and f["qualifications"]["value"] == 1.0
    assert "H01M" in f["ipc"]["shared_subclasses"]
    assert [n["name"] for n in f["chain"]["shared_nodes"]] == ["动力电池"]
    assert f["text"]["value"] > 0
    assert top["score"] == pytest.approx(sum(x["contribution"] for x in f.values()), abs=1e-3)
    second = res["results"][1]["factors"]
    assert second["region"]["value"] == 0.0 and second["qualifications"]["value"] == 0.5
    assert "Chongqing" in top["why"]
    rows = flatten_company_matches(res)
    assert rows[0]["company"] == ENT_CQ and rows[0]["region_contribution"] > 0


def test_patent_not_found(service):
    with pytest.raises(NotFound):
        service.match_patent("CN000000000000.0")


def test_org_to_companies(service):
    res = service.match_org("重庆大学", options=CompanyOptions(k=5))
    assert res["org"]["id"] == CQU
    assert res["patents_considered"] >= 3
    ids = _ids(res)
    assert ids[0] == ENT_CQ and ENT_SC in ids
    behind = [p["id"] for p in res["results"][0]["patents"]]
    assert P1 in behind or P12 in behind
    assert P8 not in behind  # transferred: not the university's to offer
    with pytest.raises(NotFound):
        service.match_org("不存在的大学")


# -- the real demo data --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_service(tmp_path_factory, encoder):
    from embeddings.build import build_indexes
    from embeddings.hybrid import HybridSearcher
    from graph.embedded import EmbeddedStore
    from tests._fixtures_ingest import load_demo

    root = tmp_path_factory.mktemp("real")
    settings = Settings(var_dir=root)
    store = EmbeddedStore.open(root / "graph.lbug")
    store.init_schema()
    load_demo(store, settings)
    recompute_high_value(store, settings, progress=False)
    bundle = build_indexes(store, encoder, settings, progress=False)
    yield MatchingService(store, HybridSearcher.from_bundle(bundle, encoder), settings,
                          encoder=encoder)
    store.close()


def _check_real(service, demand):
    res = service.match_demand(demand_id=demand["id"], options=DemandOptions(k=10))
    assert res["results"], f"no match for demand {demand['id']} {demand['title']}"
    for r in res["results"]:
        assert {h["kind"] for h in r["holders"]} & {"university", "institute"}
        assert r["why"]["summary"]
        assert r["why"]["best_sentence"] is not None
    return res


@pytest.mark.slow
def test_real_sample_of_demands(real_service):
    demands = list(iter_all_demands(real_service))
    assert len(demands) == 371
    for d in random.Random(7).sample(demands, 20):
        _check_real(real_service, d)


@pytest.mark.slow
def test_real_every_demand_matches(real_service):
    demands = list(iter_all_demands(real_service))
    assert len(demands) == 371
    for d in demands:
        _check_real(real_service, d)
