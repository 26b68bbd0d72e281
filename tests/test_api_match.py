"""The matching, high-value, indicator and ranking endpoints over the hand-made graph
(tests/_fixtures_matching.py), through the real application factory."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from analytics.highvalue import load_awards, recompute_high_value
from patentnav.settings import Settings
from tests._fixtures_matching import (
    AS_OF,
    AWARDS_CSV,
    CQU,
    DENOMINATORS_CSV,
    ENT_CQ,
    build_fixture_graph,
    shared_encoder,
)

P1, P8, P12 = "CN201010000001.1", "CN201910000008.8", "CN201510000012.2"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from embeddings.build import build_indexes
    from embeddings.hybrid import HybridSearcher
    from graph.embedded import EmbeddedStore
    from search_api.app import create_app
    from search_api.context import AppContext

    root = tmp_path_factory.mktemp("apimatch")
    settings = Settings(var_dir=root, denominators_file=DENOMINATORS_CSV)
    store = EmbeddedStore.open(root / "graph.lbug", buffer_pool_mb=512)
    store.init_schema()
    build_fixture_graph(store)
    load_awards(store, AWARDS_CSV)
    recompute_high_value(store, settings, as_of=AS_OF, progress=False)
    encoder = shared_encoder()
    bundle = build_indexes(store, encoder, settings, progress=False)
    ctx = AppContext(settings=settings, store=store, encoder=encoder, bundle=bundle,
                     searcher=HybridSearcher.from_bundle(bundle, encoder))
    with TestClient(create_app(context=ctx)) as c:
        c.write_key = write_key(settings)
        yield c
    store.close()


def write_key(settings: Settings) -> str:
    """An API key with the ``write`` scope (POST /v1/high-value/recompute needs one)."""
    from search_api.security import ApiKeyStore, api_keys_path

    return ApiKeyStore(api_keys_path(settings)).create("test-matching", "write")[1]


def ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def err(r, status: int) -> dict:
    assert r.status_code == status, r.text
    return r.json()["error"]


def ids(body) -> list[str]:
    return [x["id"] for x in body["results"]]


# -- matching ---------------------------------------------------------------------------------
def test_post_demand_text(client):
    body = ok(client.post("/v1/match/demand", json={
        "text": "企业需要提高锂离子电池的安全性能，防止锂电池热失控爆炸。", "k": 5}))
    assert set(ids(body)[:2]) == {P1, P12}
    assert P8 not in ids(body)
    top = body["results"][0]
    assert top["why"]["shared_terms"] and top["why"]["best_sentence"]["text"]
    assert top["holders"][0]["kind"] == "university"
    assert body["query"]["filters"]["holder_kinds"] == ["university", "institute"]


def test_demand_by_id_both_routes(client):
    a = ok(client.get("/v1/match/demand", params={"demand_id": "D1", "k": 3}))
    b = ok(client.get("/v1/match/demands/D1", params={"k": 3}))
    assert ids(a) == ids(b) and len(ids(a)) <= 3
    assert a["demand"]["title"] == "锂电池防爆技术"
    c = ok(client.get("/v1/match/demands/D1", params={"include_transferred": True,
                                                      "holder_kind": ["university", "enterprise"],
                                                      "k": 20}))
    assert P8 in ids(c)
    listing = ok(client.get("/v1/match/demands"))
    assert listing["total"] == 2 and {d["id"] for d in listing["items"]} == {"D1", "D2"}


def test_demand_errors(client):
    e = err(client.get("/v1/match/demands/nope"), 404)
    assert e["code"] == "not_found"
    err(client.post("/v1/match/demand", json={"text": ""}), 422)
    err(client.post("/v1/match/demand", json={"text": "锂电池", "k": 0}), 422)
    err(client.post("/v1/match/demand", json={"text": "锂电池", "colour": "red"}), 422)


def test_patent_to_companies(client):
    body = ok(client.get(f"/v1/match/patent/{P1}"))
    assert body["results"][0]["id"] == ENT_CQ
    f = body["results"][0]["factors"]
    assert set(f) == {"text", "ipc", "chain", "region", "qualifications"}
    assert body["patent"]["id"] == P1
    err(client.get("/v1/match/patent/CN000000000000.0"), 404)
    err(client.get(f"/v1/match/patent/{P1}", params={"region": "50"}), 422)
    err(client.post("/v1/match/demand", json={"text": "锂电池", "ipc": ["not ipc"]}), 422)


def test_org_to_companies(client):
    body = ok(client.get(f"/v1/match/org/{quote(CQU)}", params={"k": 3}))
    assert body["org"]["id"] == CQU and body["results"][0]["id"] == ENT_CQ
    assert body["results"][0]["patents"]


# -- high value ---------------------------------------------------------------------------------
def test_high_value_list_and_detail(client):
    body = ok(client.get("/v1/high-value/patents", params={"holder_kind": "university"}))
    assert [x["id"] for x in body["items"]] == [P1, P12]
    d = ok(client.get(f"/v1/high-value/patents/{P1}"))
    assert set(d["hv_criteria"]) == {"sei", "overseas_family", "maintained_10y", "pledge"}
    assert d["evidence"]["pledge"]["evidence"]["pledges"][0]["amount_wan"] == 2000.0
    by_pub = ok(client.get("/v1/high-value/patents/CN101000001A"))
    assert by_pub["id"] == P1
    err(client.get("/v1/high-value/patents/CN000000000000.0"), 404)
    err(client.get("/v1/high-value/patents", params={"state": "maybe"}), 422)


def test_recompute_endpoint(client):
    err(client.post("/v1/high-value/recompute"), 401)  # writing needs a key
    body = ok(client.post("/v1/high-value/recompute", headers={"X-API-Key": client.write_key}))
    assert body["patents"] == body["evaluated"] == 12
    # today is later than the fixture's reference date: nothing that held stops holding
    assert body["hv_true"] >= 6


def test_pledge_candidates_json_and_csv(client):
    body = ok(client.get("/v1/high-value/pledge-candidates"))
    assert body["items"] and all(h for i in body["items"] for h in i["holders"])
    r = client.get("/v1/high-value/pledge-candidates", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "申请号" and len(rows) == len(body["items"]) + 1


# -- indicators and rankings -----------------------------------------------------------------------
def test_indicators(client):
    body = ok(client.get("/v1/indicators", params={"group_by": "holder_kind"}))
    groups = {g["key"]: g["patents"] for g in body["groups"]}
    assert groups["university"] >= 3 and body["total"]["patents"] >= 8
    d = ok(client.get("/v1/indicators", params={"group_by": "district", "region": "500000"}))
    g = {x["key"]: x for x in d["groups"]}
    assert g["500106"]["ratios"]["patents_per_10k_population"] == pytest.approx(0.04)
    assert d["denominators_source"].endswith("denominators_example.csv")
    x = client.get("/v1/indicators", params={"group_by": "sei", "format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    err(client.get("/v1/indicators", params={"group_by": "colour"}), 422)


def test_rankings(client):
    h = ok(client.get("/v1/rankings/holders", params={"limit": 2}))
    assert [i["id"] for i in h["items"]] == [CQU, ENT_CQ]
    i = ok(client.get("/v1/rankings/inventors", params={"by": "hv"}))
    assert i["items"][0]["name"] == "张三"
    r = client.get("/v1/rankings/holders", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["排名", "专利权人"] and rows[1][1] == CQU


def test_recompute_refused_on_read_only_store(tmp_path):
    from graph.embedded import EmbeddedStore
    from search_api.app import create_app
    from search_api.context import AppContext

    path = tmp_path / "graph.lbug"
    with EmbeddedStore.open(path, buffer_pool_mb=256) as s:
        s.init_schema()
        build_fixture_graph(s)
    ro = EmbeddedStore.open(path, buffer_pool_mb=256, read_only=True)
    try:
        settings = Settings(var_dir=tmp_path)
        ctx = AppContext(settings=settings, store=ro)
        with TestClient(create_app(context=ctx)) as c:
            e = err(c.post("/v1/high-value/recompute",
                           headers={"X-API-Key": write_key(settings)}), 409)
            assert e["code"] == "read_only_store"
            # reads still work without any search index
            ok(c.get("/v1/rankings/holders"))
    finally:
        ro.close()


def test_demand_pages_past_the_end_are_empty_and_huge_offsets_rejected(client):
    """Regression (found by schemathesis): LadybugDB 0.22 crashed the process on ORDER BY
    ... SKIP far past the end; offsets past the total no longer reach the database."""
    page = ok(client.get("/v1/match/demands", params={"offset": 29803, "limit": 401}))
    assert page["total"] == 2 and page["items"] == []
    assert err(client.get("/v1/high-value/patents", params={"offset": 2**70}), 422)
