"""Hostile input over HTTP: injection-looking strings (Cypher, SQL, CSV formulas, HTML),
NUL and control characters, invalid UTF-8, wrong JSON types and 100 kB strings sent to
search, organisation profiles, landscapes and demand matching.

Every reply is a 2xx or a clean 4xx with the one error body
(``{"error": {"code", "message", "detail", ...}}``) -- never a 5xx, never a traceback --
and the graph has exactly the nodes and relationships it had before. The application is
the real ``create_app(settings)`` over the small real dataset of tests/_fixtures_api.py.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests._fixtures_api import ApiDataset, api_dataset

#: strings that would do something if they were ever spliced into a query, a shell, a
#: spreadsheet or a page
HOSTILE = [
    "') DETACH DELETE n //",
    "'); MATCH (n) DETACH DELETE n RETURN 1 //",
    "\" OR 1=1 //",
    "$param",
    "$q} RETURN 1 UNION MATCH (n) DELETE n //",
    "`n` `m`",
    "}]->(x) CALL db.clear()",
    "' OR 1=1 --",
    "Robert'); DROP TABLE patents;--",
    "=HYPERLINK(\"http://evil.example/\",\"点击\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "<script>alert(1)</script>锂电池",
    "\"><img src=x onerror=alert(1)>",
    "锂电池\x00正极材料",
    "\x00",
    "\x01\x02\x1b[31m锂电池\x7f",
    "\u202e池电锂\u202c",
    "../../../../etc/passwd",
    "*:* OR .*[(",
    "锂电池" + "\u0301" * 200,
    "🔋⚡" * 50,
    " ",
]
#: 100 kB fields (JSON bodies)
HUGE = ["锂" * 100_000, "a" * 100_000, "=" + "A1+" * 33_333]
#: the longest query strings the HTTP client sends (its URL limit is 64 kB; uvicorn
#: itself refuses request lines over 16 kB with a 400 before the application sees them)
LONG_QUERY = ["锂" * 7_000, "a" * 60_000, "=" + "A1+" * 12_000]


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> ApiDataset:
    return api_dataset(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def client(ds) -> TestClient:
    return ds.client


@pytest.fixture(scope="module")
def counts_before(client):
    store = client.app.state.context.store
    return store.count_nodes(), store.count_relationships()


def clean(r) -> dict:
    """2xx with JSON, or a 4xx with the shared error body; never 5xx or a traceback."""
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert "Traceback" not in r.text
    body = r.json()
    if r.status_code >= 400:
        assert set(body) == {"error"}, body
        assert {"code", "message", "detail"} <= set(body["error"])
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


def _ids(s: str) -> str:
    return repr(s[:20])


@pytest.mark.parametrize("q", HOSTILE, ids=_ids)
def test_search_get(client, counts_before, q):
    body = clean(client.get("/v1/search", params={"q": q, "limit": 5}))
    if "results" in body:
        for hit in body["results"]:
            # highlights are HTML: user text inside them is escaped
            for frag in [hit.get("highlight") or {}, hit.get("best_sentence") or {}]:
                assert "<script>" not in str(frag) and "<img" not in str(frag)


@pytest.mark.parametrize("q", HOSTILE, ids=_ids)
def test_search_post_and_keyword_mode(client, counts_before, q):
    clean(client.post("/v1/search", json={"q": q, "limit": 5}))
    clean(client.get("/v1/search", params={"q": q, "mode": "keyword", "limit": 5}))


@pytest.mark.parametrize("q", HOSTILE, ids=_ids)
def test_landscape(client, counts_before, q):
    clean(client.get("/v1/navigation/landscape", params={"q": q, "limit": 5, "clusters": "false"}))


@pytest.mark.parametrize("name", HOSTILE, ids=_ids)
def test_org_profile_and_competitors(client, counts_before, name):
    path = quote(name, safe="")
    r = client.get(f"/v1/orgs/{path}", params={"clusters": "false", "limit": 5})
    body = clean(r)
    if r.status_code >= 400 and name.strip():
        # no such organisation (or a name the path refuses), said in the error body
        assert r.status_code in (404, 422), r.text
        assert body["error"]["code"] in ("not_found", "invalid_input")
    clean(client.get(f"/v1/orgs/{path}/competitors", params={"limit": 5}))


@pytest.mark.parametrize("text", HOSTILE, ids=_ids)
def test_match_demand(client, counts_before, text):
    clean(client.post("/v1/match/demand", json={"text": text, "k": 5}))


@pytest.mark.parametrize("i", range(len(HUGE)), ids=["cjk", "ascii", "formula"])
def test_100kb_strings_are_refused_cleanly(client, counts_before, i):
    big, long = HUGE[i], LONG_QUERY[i]
    for r in (
        client.post("/v1/search", json={"q": big}),
        client.post("/v1/match/demand", json={"text": big}),
        client.post("/v1/navigation/landscape", json={"q": big}),
        client.get("/v1/search", params={"q": long}),
        client.get("/v1/navigation/landscape", params={"q": long}),
        client.get(f"/v1/orgs/{quote(long[:6_000], safe='')}"),
    ):
        body = clean(r)
        assert r.status_code == 422, r.text[:300]
        assert body["error"]["code"] == "invalid_input"
        # the error echoes at most a prefix of the input, not 100 kB
        assert len(r.content) < 5_000


@pytest.mark.parametrize("payload", [
    {"text": 123}, {"text": None}, {"text": ["锂电池"]}, {"text": {"$ne": ""}}, {"text": True},
    {"text": "锂电池", "k": "10; DROP"}, {"text": "锂电池", "k": -1}, {"text": "锂电池", "k": 10**30},
    {"text": "锂电池", "holder_kinds": ["university') DETACH DELETE n //"]},
    {"text": "锂电池", "unknown": 1}, {}, [], "锂电池", 1, None,
], ids=lambda p: repr(p)[:30])
def test_match_demand_wrong_types(client, counts_before, payload):
    r = client.post("/v1/match/demand", json=payload)
    body = clean(r)
    assert r.status_code == 422 and body["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("payload", [
    {"q": 5}, {"q": ["a"]}, {"q": "锂电池", "limit": "all"}, {"q": "锂电池", "filters": "ipc=H01M"},
    {"q": "锂电池", "filters": {"ipc": "') DETACH DELETE n //"}},
    {"q": "锂电池", "filters": {"region": ["' OR 1=1 --"]}},
    {"q": "锂电池", "filters": {"year_from": "2020 OR 1=1"}},
    {"q": "锂电池", "cursor": "') DETACH DELETE n //"},
    {"q": "锂电池", "fields": ["title`) RETURN n //"]},
], ids=lambda p: repr(p)[:40])
def test_search_body_wrong_types_and_hostile_filters(client, counts_before, payload):
    r = client.post("/v1/search", json=payload)
    clean(r)
    assert r.status_code in (200, 400, 422), r.text


@pytest.mark.parametrize("body", [
    b"{\"text\": \"\xff\xfe\xe5\xa4\"}",  # invalid UTF-8 inside JSON
    b"{\"text\": ",  # truncated JSON
    b"\x00\x00\x00",
    b"{\"text\": \"a\"}" + b" " * 10 + b"garbage",
    b"[" * 5_000 + b"]" * 5_000,  # deep nesting
    b"{\"text\": \"\\ud800\"}",  # a lone surrogate escape
    b"{\"text\": \"a\", \"k\": 1e999}",  # infinity
    b"{\"text\": \"a\", \"k\": NaN}",  # not JSON, but Python's parser takes it
    b"{\"text\": \"a\", \"k\": -Infinity}",
], ids=["bad-utf8", "truncated", "nul", "trailing", "deep", "surrogate", "inf", "nan", "-inf"])
def test_match_demand_raw_bodies(client, counts_before, body):
    r = client.post("/v1/match/demand", content=body, headers={"content-type": "application/json"})
    clean(r)


@pytest.mark.parametrize("path", ["/v1/search", "/v1/match/demand", "/v1/navigation/landscape",
                                  "/v1/classify"])
def test_oversized_json_bodies_are_refused_unread(client, counts_before, path):
    """Bodies over settings.max_body_kb (default 1 MB) outside ingest uploads: 413 at once."""
    limit = client.app.state.context.settings.max_body_kb * 1024
    body = b'{"q": "' + b"x" * (limit + 10) + b'"}'
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    err = clean(r)["error"]
    assert r.status_code == 413 and err["code"] == "payload_too_large", r.text[:300]
    assert "max_body_kb" in err["message"] and err["detail"] == {"max_bytes": limit}

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
    r = client.post(path, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and clean(r)["error"]["code"] == "payload_too_large"


def test_invalid_utf8_and_nul_in_query_string(client, counts_before):
    # percent-encoded bytes that are not UTF-8, and raw control characters
    for url in ("/v1/search?q=%ff%fe%e5%a4", "/v1/search?q=%00", "/v1/navigation/landscape?q=%ff%00",
                "/v1/orgs/%ff%fe", "/v1/orgs/%00", "/v1/orgs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                "/v1/search?q=%E9%94%82&q=%00&limit=%00", "/v1/search?limit=1e9999",
                "/v1/search?q=a&ipc=%27)%20DETACH%20DELETE%20n%20%2F%2F", "/v1/search?q=%ED%A0%80",
                "/v1/orgs/%ED%A0%80", "/v1/navigation/landscape?q=%ED%A0%80%00"):
        clean(client.get(url))


def test_hostile_csv_and_xlsx_exports_answer(client, counts_before):
    """An export of a hostile topic: the reply is a file (or a clean error), not a crash."""
    for fmt in ("csv", "xlsx"):
        r = client.get("/v1/navigation/landscape",
                       params={"q": "=HYPERLINK(\"http://evil.example/\")", "format": fmt, "clusters": "false"})
        assert r.status_code < 500, r.text[:300]
        if r.status_code == 200:
            assert r.content


def test_graph_unchanged(client, counts_before):
    """Last in the module: after every hostile request above, the same graph."""
    store = client.app.state.context.store
    assert (store.count_nodes(), store.count_relationships()) == counts_before
    assert counts_before[0].get("Patent", 0) > 100
    # the graph still answers normally
    body = clean(client.get("/v1/search", params={"q": "锂电池", "limit": 3}))
    assert body["results"]
