"""HTTP search API over a small real dataset (tests/_fixtures_api.py): hybrid search with
highlights, filters and facets, cursor pagination, field selection, validation errors,
readiness, and the 503 answer when the indexes are missing."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from analytics.explain import best_sentence, highlight, query_terms, split_sentences
from analytics.search import InvalidCursor, decode_cursor, encode_cursor, query_fingerprint
from search_api.app import create_app
from search_api.context import AppContext
from tests._fixtures_api import ApiDataset, api_dataset


@pytest.fixture(scope="session")
def ds(tmp_path_factory) -> ApiDataset:
    return api_dataset(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="session")
def client(ds) -> TestClient:
    return ds.client


def search(client: TestClient, **params) -> dict:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def error_of(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    # one shape for every error (the request-id middleware may add ``request_id``)
    assert set(body) == {"error"} and {"code", "message", "detail"} <= set(body["error"])
    assert set(body["error"]) <= {"code", "message", "detail", "request_id"}
    assert "Traceback" not in r.text
    return body["error"]


# -- explanation helpers (pure) -------------------------------------------------------------
def test_highlight_wraps_terms_and_escapes_html():
    terms = query_terms("锂电池正极材料")
    assert terms[0] == "锂电池"  # longest first
    out = highlight("一种<锂电池>正极材料", terms)
    assert out == "一种&lt;<em>锂电池</em>&gt;<em>正极材料</em>"


def test_best_sentence_prefers_most_query_terms():
    text = "本发明公开了一种装置。该锂电池正极材料具有高容量；制备方法简单。"
    assert split_sentences(text) == ["本发明公开了一种装置。", "该锂电池正极材料具有高容量；",
                                     "制备方法简单。"]
    s = best_sentence([("abstract", text)], query_terms("锂电池正极材料"))
    assert s is not None and s.text == "该锂电池正极材料具有高容量；" and s.method == "terms"
    assert "<em>锂电池正极材料</em>" in s.highlighted


def test_cursor_round_trip_and_rejection():
    fp = query_fingerprint("电池", "hybrid", {"kind": ["invention"]})
    assert decode_cursor(encode_cursor(20, fp), fp) == 20
    other = query_fingerprint("电池", "hybrid", {"kind": ["design"]})
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(20, fp), other)
    with pytest.raises(InvalidCursor):
        decode_cursor("not-a-cursor!", fp)


# -- search ---------------------------------------------------------------------------------
def test_lithium_battery_query_returns_battery_patents_with_highlights(client):
    body = search(client, q="锂电池", limit=10)
    hits = body["results"]
    assert len(hits) == 10 and body["meta"]["count"] >= 10
    assert "锂电池" in body["meta"]["query_terms"]
    for hit in hits:
        bs = hit["best_sentence"]
        # every hit is about batteries, and says why
        assert "电池" in hit["title"] or "电池" in bs["text"], hit
        assert "<em>" in bs["highlighted"] and bs["method"] == "terms"
        if "锂电池" in hit["title"]:
            assert "<em>锂电池</em>" in hit["highlight"]["title"]
        assert hit["highlight"]["matched_terms"]
        assert hit["score"] > 0 and (hit["scores"]["keyword_rank"] or hit["scores"]["semantic_rank"])
    with_ipc = [h for h in hits if h["ipc_subclasses"]]
    assert with_ipc and sum("H01M" in h["ipc_subclasses"] for h in with_ipc) >= len(with_ipc) / 2
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_post_search_matches_get(client):
    got = search(client, q="锂电池", ipc="H01M", kind="invention", limit=5)
    r = client.post("/v1/search", json={"q": "锂电池", "limit": 5,
                                        "filters": {"ipc": ["H01M"], "kind": ["invention"]}})
    assert r.status_code == 200, r.text
    assert [h["id"] for h in r.json()["results"]] == [h["id"] for h in got["results"]]
    assert r.json()["meta"]["count"] == got["meta"]["count"]


def test_filters_narrow_results_and_facet_counts_add_up(client):
    # keyword mode: the result set is "filtered patents containing a query term", so a
    # filter's count must equal the facet group it selects (hybrid adds semantic candidates)
    base = search(client, q="电池", mode="keyword", facets="kind,ipc", limit=20)
    total = base["meta"]["count"]
    kinds = {b["key"]: b["count"] for b in base["group_by"]["kind"]}
    assert sum(kinds.values()) == total  # one kind per patent: the groups partition the matches
    assert kinds["invention"] < total and base["group_by"]["kind"][0]["key_display_name"]
    h01m = next(b for b in base["group_by"]["ipc_subclass"] if b["key"] == "H01M")
    assert h01m["key_display_name"] and h01m["count"] <= total

    inv = search(client, q="电池", mode="keyword", kind="invention", facets="kind", limit=50)
    assert inv["meta"]["count"] == kinds["invention"]
    assert [b["key"] for b in inv["group_by"]["kind"]] == ["invention"]
    assert all(h["kind"] == "invention" for h in inv["results"])

    ipc = search(client, q="电池", mode="keyword", ipc="H01M", limit=50)
    assert ipc["meta"]["count"] == h01m["count"] < total
    assert all("H01M" in h["ipc_subclasses"] for h in ipc["results"])

    both = search(client, q="电池", mode="keyword", ipc="H01M", kind="invention", limit=50)
    assert both["meta"]["count"] <= min(h01m["count"], kinds["invention"])
    assert all(h["kind"] == "invention" and "H01M" in h["ipc_subclasses"]
               for h in both["results"])

    # hybrid: every hit satisfies the filters too
    hyb = search(client, q="电池", ipc="H01M", kind="invention", limit=50)
    assert hyb["results"] and all(
        h["kind"] == "invention" and "H01M" in h["ipc_subclasses"] for h in hyb["results"])


def test_holder_kind_filter_uses_applicants(client):
    body = search(client, q="电池", holder_kind="enterprise", facets="holder_kind", limit=20)
    assert body["results"]
    for hit in body["results"]:
        assert any(a["kind"] == "enterprise" for a in hit["applicants"]), hit
    assert body["group_by"]["holder_kind"][0]["key"] == "enterprise"


def test_cursor_pages_are_disjoint_and_continue_the_ranking(client):
    first = search(client, q="电池", limit=5)
    cursor = first["meta"]["next_cursor"]
    assert cursor
    second = search(client, q="电池", limit=5, cursor=cursor)
    ids1 = [h["id"] for h in first["results"]]
    ids2 = [h["id"] for h in second["results"]]
    assert len(ids2) == 5 and not set(ids1) & set(ids2)
    assert second["meta"]["offset"] == 5
    ten = search(client, q="电池", limit=10)
    assert [h["id"] for h in ten["results"]] == ids1 + ids2
    # a cursor from another query is refused
    err = error_of(client.get("/v1/search", params={"q": "无人机", "cursor": cursor}), 400)
    assert err["code"] == "invalid_cursor" and "different query" in err["message"]
    err = error_of(client.get("/v1/search", params={"q": "电池", "kind": "design",
                                                     "cursor": cursor}), 400)
    assert err["code"] == "invalid_cursor"
    forged = base64.urlsafe_b64encode(json.dumps({"o": "x"}).encode()).decode()
    assert error_of(client.get("/v1/search", params={"q": "电池", "cursor": forged}),
                    400)["code"] == "invalid_cursor"


def test_field_selection(client):
    body = search(client, q="锂电池", fields="title,applicants", limit=3)
    for hit in body["results"]:
        assert set(hit) == {"id", "title", "applicants"}
    err = error_of(client.get("/v1/search", params={"q": "x", "fields": "title,secret"}), 422)
    assert err["code"] == "invalid_input" and err["detail"][0]["field"] == "fields"
    assert "secret" in err["detail"][0]["msg"]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"mode": "fuzzy"}, "mode"),
        ({"date_from": "2020-13-01"}, "date_from"),
        ({"ipc": "X99"}, "ipc"),
        ({"region": "5000"}, "region"),
        ({"kind": "patent"}, "kind"),
        ({"facets": "colour"}, "facets"),
        ({"year_from": 2020, "year_to": 2010}, "filters"),
    ],
)
def test_bad_parameters_are_422_with_the_field(client, params, field):
    err = error_of(client.get("/v1/search", params={"q": "电池", **params}), 422)
    assert err["code"] == "invalid_input"
    assert any(d["field"] == field for d in err["detail"]), err
    assert field in err["message"]


def test_bad_json_body_is_422(client):
    err = error_of(client.post("/v1/search", json={"q": "电池", "filters": {"ipc": ["h01m", "?"]}}),
                   422)
    assert err["detail"][0]["loc"][:3] == ["body", "filters", "ipc"]
    err = error_of(client.post("/v1/search", json={"q": "电池", "colour": "red"}), 422)
    assert err["detail"][0]["field"] == "colour"


def test_semantic_mode_ranks_by_vector(client):
    body = search(client, q="电动汽车动力电池管理", mode="semantic", limit=5)
    hits = body["results"]
    assert len(hits) == 5
    assert all(h["scores"]["keyword"] is None and h["scores"]["semantic"] is not None for h in hits)
    sims = [h["scores"]["semantic"] for h in hits]
    assert sims == sorted(sims, reverse=True) and sims[0] > 0
    assert all(h["best_sentence"] is not None for h in hits)


def test_browse_without_text_counts_filtered_patents(client, ds):
    body = search(client, kind="invention", facets="kind", limit=5)
    assert body["meta"]["count"] == body["group_by"]["kind"][0]["count"]
    assert all(h["kind"] == "invention" for h in body["results"])
    assert error_of(client.get("/v1/search", params={"mode": "semantic"}), 422)


def test_unknown_route_has_the_error_shape(client):
    err = error_of(client.get("/v1/nothing-here"), 404)
    assert err["code"] == "not_found"


# -- health, readiness, OpenAPI ---------------------------------------------------------------
def test_health_and_ready(client, ds):
    assert client.get("/health").json()["status"] == "ok"
    r = client.get("/ready")
    body = r.json()
    expected = len(ds.ccf) + len(ds.lxingy3) + len(ds.sample10)
    assert body["checks"]["store"]["ok"] and body["checks"]["store"]["detail"]["patents"] == expected
    assert body["checks"]["index"]["ok"] and body["checks"]["index"]["detail"]["count"] == expected
    assert r.status_code == (200 if body["checks"]["routers"]["ok"] else 503)


def test_openapi_documents_search_with_examples(client):
    spec = client.get("/openapi.json").json()
    assert "专利" in spec["info"]["title"] and "hybrid" in spec["info"]["description"]
    assert {"get", "post"} <= set(spec["paths"]["/v1/search"])
    post = spec["paths"]["/v1/search"]["post"]
    assert "hybrid" in post["requestBody"]["content"]["application/json"]["examples"]
    assert "search" in {t["name"] for t in spec["tags"]}
    assert "/v1/patents/{number}" in spec["paths"] and "/v1/classify" in spec["paths"]


def test_search_answers_503_until_the_index_is_built(ds, tmp_path):
    live = ds.client.app.state.context
    settings = ds.settings.model_copy(update={"index_dir": tmp_path / "no-index"})
    ctx = AppContext(settings=settings, store=live.store)
    with TestClient(create_app(context=ctx)) as c:
        err = error_of(c.get("/v1/search", params={"q": "电池"}), 503)
        assert err["code"] == "index_not_built" and "patentnav index build" in err["message"]
        assert c.get("/v1/search", params={"q": "电池"}).headers.get("retry-after")
        # the graph endpoints keep working
        number = ds.sample10[0]["申请号"]
        assert c.get(f"/v1/patents/{number}").status_code == 200
        ready = c.get("/ready")
        assert ready.status_code == 503 and not ready.json()["checks"]["index"]["ok"]
        assert ready.json()["checks"]["store"]["ok"]
