"""API hardening: API keys hashed at rest, scopes, rate limits, request ids, access logs,
CORS. The application is the real ``create_app(settings)`` over an empty var dir (no
graph, no index): the checks happen before any capability is touched."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from patentnav.errors import InvalidInput
from patentnav.settings import Settings
from search_api.app import create_app
from search_api.security import (
    ApiKeyStore,
    RateLimiter,
    api_keys_path,
    check_key_hash,
    parse_key,
    parse_scopes,
    required_scope,
)


def make_settings(tmp_path, **kw) -> Settings:
    return Settings(var_dir=tmp_path / "var", data_dir=tmp_path / "no-data",
                    embedded_buffer_pool_mb=64, **kw)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """One app (reads open, generous limit) and three keys: read, write, admin."""
    tmp = tmp_path_factory.mktemp("sec")
    settings = make_settings(tmp, rate_limit_per_minute=10_000)
    store = ApiKeyStore(api_keys_path(settings))
    keys = {scope: store.create(f"test-{scope}", scope)[1] for scope in ("read", "write", "admin")}
    with TestClient(create_app(settings)) as client:
        yield settings, store, keys, client


def error_code(r, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert {"code", "message", "detail"} <= set(body["error"])
    return body["error"]["code"]


# -- keys at rest -----------------------------------------------------------------------------------
def test_keys_are_stored_as_salted_hashes_only(keyed):
    settings, store, keys, _ = keyed
    path = api_keys_path(settings)
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert len(data["keys"]) == 3
    for key in keys.values():
        secret = key.split("_", 2)[2]
        assert key not in raw and secret not in raw
    salts = {k["hash"]["salt"] for k in data["keys"]}
    assert len(salts) == 3  # one salt per key
    rec = store.get(parse_key(keys["read"]))
    assert rec is not None and rec.hash["algo"] == "scrypt"
    assert check_key_hash(keys["read"], rec.hash)
    assert not check_key_hash(keys["read"][:-1] + ("A" if keys["read"][-1] != "A" else "B"), rec.hash)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    listed = [k.public() for k in store.list_keys()]
    assert all("hash" not in k for k in listed)


def test_parse_helpers():
    assert parse_scopes("write, read") == ["read", "write"]
    with pytest.raises(InvalidInput):
        parse_scopes("read,root")
    assert parse_key("pnk_0123456789ab_" + "x" * 43) == "0123456789ab"
    assert parse_key("pnk_0123456789ab_short") is None
    assert parse_key("Bearer something") is None


def test_scope_policy():
    s = Settings(require_api_key_for_reads=False)
    assert required_scope("POST", "/v1/ingest/jobs", s) == "write"
    assert required_scope("GET", "/v1/ingest/jobs/abc", s) == "write"
    assert required_scope("POST", "/v1/high-value/recompute", s) == "write"
    assert required_scope("GET", "/v1/admin/anything", s) == "admin"
    assert required_scope("DELETE", "/v1/patents/x", s) == "write"
    assert required_scope("GET", "/v1/search", s) is None
    assert required_scope("POST", "/v1/search", s) is None
    assert required_scope("GET", "/health", s) is None
    r = Settings(require_api_key_for_reads=True)
    assert required_scope("GET", "/v1/search", r) == "read"
    assert required_scope("GET", "/openapi.json", r) is None


# -- scopes over HTTP --------------------------------------------------------------------------------
def test_write_endpoint_needs_a_write_key(keyed):
    _, _, keys, client = keyed
    r = client.get("/v1/ingest/jobs")
    assert error_code(r, 401) == "unauthorized"
    assert r.headers["www-authenticate"].startswith("ApiKey")
    r = client.get("/v1/ingest/jobs", headers={"X-API-Key": keys["read"]})
    assert error_code(r, 403) == "forbidden"
    for scope in ("write", "admin"):
        r = client.get("/v1/ingest/jobs", headers={"X-API-Key": keys[scope]})
        assert r.status_code == 200, r.text
        assert r.json() == {"items": []}
    r = client.get("/v1/ingest/jobs", headers={"Authorization": f"Bearer {keys['write']}"})
    assert r.status_code == 200, r.text
    # POST upload without a key never reaches the handler
    r = client.post("/v1/ingest/jobs", files={"file": ("a.csv", b"x,y\n1,2\n", "text/csv")})
    assert error_code(r, 401) == "unauthorized"


def test_admin_paths_need_admin(keyed):
    _, _, keys, client = keyed
    r = client.get("/v1/admin/x", headers={"X-API-Key": keys["write"]})
    assert error_code(r, 403) == "forbidden"
    r = client.get("/v1/admin/x", headers={"X-API-Key": keys["admin"]})
    assert error_code(r, 404) == "not_found"  # allowed through; no such route


def test_invalid_or_revoked_keys_are_refused(keyed):
    settings, store, _, client = keyed
    r = client.get("/health", headers={"X-API-Key": "pnk_0123456789ab_" + "x" * 43})
    assert error_code(r, 401) == "unauthorized"
    r = client.get("/health", headers={"X-API-Key": "garbage"})
    assert error_code(r, 401) == "unauthorized"
    record, key = store.create("short-lived", "write")
    assert client.get("/v1/ingest/jobs", headers={"X-API-Key": key}).status_code == 200
    # revoked through another store object (as the CLI does): seen within a second
    ApiKeyStore(api_keys_path(settings)).revoke(record.id)
    import time

    time.sleep(1.1)
    r = client.get("/v1/ingest/jobs", headers={"X-API-Key": key})
    assert error_code(r, 401) == "unauthorized"


def test_reads_need_a_key_when_configured(tmp_path):
    settings = make_settings(tmp_path, require_api_key_for_reads=True)
    _, key = ApiKeyStore(api_keys_path(settings)).create("reader", "read")
    with TestClient(create_app(settings)) as client:
        r = client.get("/v1/search", params={"q": "电池"})
        assert error_code(r, 401) == "unauthorized"
        r = client.get("/v1/search", params={"q": "电池"}, headers={"X-API-Key": key})
        assert r.status_code not in (401, 403)  # passes the guard (then 503: nothing built)
        assert client.get("/health").status_code == 200  # not under /v1
        assert client.get("/openapi.json").status_code == 200


# -- rate limits ----------------------------------------------------------------------------------------
def test_rate_limit_headers_and_429(tmp_path):
    settings = make_settings(tmp_path, rate_limit_per_minute=3)
    with TestClient(create_app(settings)) as client:
        seen = []
        for _ in range(3):
            r = client.get("/health")
            assert r.status_code == 200
            seen.append(int(r.headers["x-ratelimit-remaining"]))
            assert r.headers["x-ratelimit-limit"] == "3"
            assert int(r.headers["x-ratelimit-reset"]) >= 1
        assert seen == [2, 1, 0]
        r = client.get("/health")
        assert error_code(r, 429) == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert r.json()["error"]["detail"]["limit"] == 3
        # error replies from the app carry the headers too
        r = client.get("/v1/nope")
        assert r.status_code == 429 and "x-ratelimit-limit" in r.headers


def test_rate_limit_is_per_key(tmp_path):
    settings = make_settings(tmp_path, rate_limit_per_minute=2)
    store = ApiKeyStore(api_keys_path(settings))
    _, k1 = store.create("a", "read")
    _, k2 = store.create("b", "read", rate_limit_per_minute=5)
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            assert client.get("/health", headers={"X-API-Key": k1}).status_code == 200
        assert client.get("/health", headers={"X-API-Key": k1}).status_code == 429
        r = client.get("/health", headers={"X-API-Key": k2})  # own bucket, own limit
        assert r.status_code == 200 and r.headers["x-ratelimit-limit"] == "5"
        assert client.get("/health").status_code == 200  # anonymous: the client's bucket


def test_token_bucket_refills():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.take("k", 60).allowed for _ in range(60)] == [True] * 60
    d = limiter.take("k", 60)
    assert not d.allowed and d.retry_after == 1
    now[0] += 1.0  # 60/min = one token per second
    assert limiter.take("k", 60).allowed
    assert not limiter.take("k", 60).allowed
    now[0] += 120
    d = limiter.take("k", 60)
    assert d.allowed and d.remaining == 59


def test_zero_disables_limits(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, rate_limit_per_minute=0))) as client:
        r = client.get("/health")
        assert r.status_code == 200 and "x-ratelimit-limit" not in r.headers


# -- request ids, access log -------------------------------------------------------------------------------
def test_request_id_is_echoed_or_generated(keyed, caplog):
    _, _, keys, client = keyed
    r = client.get("/health", headers={"X-Request-ID": "ui-42.a:b"})
    assert r.headers["x-request-id"] == "ui-42.a:b"
    for bad in ("has space", "x" * 200, "<script>"):
        r = client.get("/health", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    r = client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    # in error bodies
    r = client.get("/v1/no-such-route", headers={"X-Request-ID": "req-404"})
    assert r.status_code == 404
    assert r.json()["error"]["request_id"] == "req-404"
    assert r.headers["x-request-id"] == "req-404"
    r = client.get("/v1/ingest/jobs", headers={"X-Request-ID": "req-401"})
    assert r.json()["error"]["request_id"] == "req-401"
    r = client.get("/v1/ingest/jobs", params={"limit": "lots"},
                   headers={"X-Request-ID": "req-422", "X-API-Key": keys["write"]})
    assert r.status_code == 422 and r.json()["error"]["request_id"] == "req-422"
    r = client.get("/v1/search", headers={"X-Request-ID": "req-503"})  # nothing built
    assert r.status_code == 503 and r.json()["error"]["request_id"] == "req-503"


def test_access_log_is_one_json_line_without_the_key(keyed, caplog):
    _, _, keys, client = keyed
    with caplog.at_level(logging.INFO, logger="patentnav.access"):
        client.get("/v1/ingest/jobs", headers={"X-API-Key": keys["write"], "X-Request-ID": "log-1"})
    lines = [r for r in caplog.records if r.name == "patentnav.access"]
    assert lines, "no access log line"
    rec = json.loads(lines[-1].getMessage())
    assert rec["request_id"] == "log-1" and rec["method"] == "GET"
    assert rec["path"] == "/v1/ingest/jobs" and rec["status"] == 200
    assert rec["key_id"] == parse_key(keys["write"])
    assert isinstance(rec["duration_ms"], float) and rec["client"]
    assert keys["write"] not in lines[-1].getMessage()


# -- CORS -------------------------------------------------------------------------------------------------------
def test_cors_preflight(tmp_path):
    settings = make_settings(tmp_path, cors_origins=["https://ui.example.cn"])
    with TestClient(create_app(settings)) as client:
        pre = {"Origin": "https://ui.example.cn", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "X-API-Key, Content-Type"}
        r = client.options("/v1/ingest/jobs", headers=pre)
        assert r.status_code == 200, r.text  # no key needed for a preflight
        assert r.headers["access-control-allow-origin"] == "https://ui.example.cn"
        assert "x-api-key" in r.headers["access-control-allow-headers"].lower()
        assert "x-request-id" in r.headers  # still traced
        r = client.options("/v1/search", headers={**pre, "Origin": "https://evil.example"})
        assert r.status_code == 400
        assert "access-control-allow-origin" not in r.headers
        r = client.get("/health", headers={"Origin": "https://ui.example.cn"})
        assert r.headers["access-control-allow-origin"] == "https://ui.example.cn"
        exposed = r.headers["access-control-expose-headers"].lower()
        assert "x-request-id" in exposed and "x-ratelimit-remaining" in exposed


def test_no_cors_by_default(keyed):
    _, _, _, client = keyed
    r = client.get("/health", headers={"Origin": "https://ui.example.cn"})
    assert "access-control-allow-origin" not in r.headers


def test_openapi_documents_the_key_schemes(keyed):
    _, _, _, client = keyed
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"
    op = spec["paths"]["/v1/ingest/jobs"]["post"]
    assert {"APIKeyHeader": []} in op["security"]
