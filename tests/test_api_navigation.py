"""The navigation, organisation and chain endpoints: numbers from the hand-made graph
through HTTP, exports, errors; and realistic requests on the real demo data."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from patentnav.settings import Settings
from search_api.app import create_app
from search_api.context import AppContext
from tests._fixtures_navigation import BYD, CATL, CQU, IOP, open_fixture_store


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-nav")
    store = open_fixture_store(root)
    ctx = AppContext(settings=Settings(var_dir=root), store=store)   # no index built here
    with TestClient(create_app(context=ctx)) as c:
        yield c
    store.close()


def test_landscape_get(client):
    r = client.get("/v1/navigation/landscape", params={"ipc": "H01M", "limit": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["patents"] == 9
    assert [(h["id"], h["patents"]) for h in body["holders"]] == [(CATL, 3), (CQU, 3), (BYD, 2)]
    assert body["ipc_subclasses"][0] == {"code": "H01M", "title": "PROCESSES OR MEANS, e.g. BATTERIES",
                                         "title_zh": "电池", "patents": 9, "share": 1.0}
    assert body["coverage"]["fields"]["app_year"]["patents"] == 8
    assert body["cq_comparison"]["chongqing"]["patents"] == 2
    assert body["clusters"] is None and any("index" in n for n in body["notes"])


def test_landscape_filters_and_post(client):
    r = client.get("/v1/navigation/landscape",
                   params={"ipc": "H01M", "region": "500000", "sections": "holders"})
    assert r.json()["patents"] == 3
    r = client.post("/v1/navigation/landscape",
                    json={"sei": "5", "filters": {"kind": ["invention"]}, "sections": ["kinds", "trend"]})
    assert r.status_code == 200
    body = r.json()
    assert body["patents"] == 3 and body["holders"] is None
    # years run over application and grant years (P01 granted 2018, P02 and P09 in 2019)
    assert [(t["year"], t["applications"], t["grants"]) for t in body["trend"]] == [
        (2016, 1, 0), (2017, 2, 0), (2018, 0, 1), (2019, 0, 2)]


def test_landscape_group_by(client):
    r = client.get("/v1/navigation/landscape", params={"chain": "fx-ev", "group_by": "app_year"})
    assert r.status_code == 200
    body = r.json()
    assert body["meta"]["count"] == 17
    counts = {b["key"]: b["count"] for b in body["group_by"]}
    assert counts == {"2016": 1, "2017": 2, "2018": 2, "2019": 2, "2020": 2, "2021": 2, "2022": 3, "2023": 2}
    r = client.get("/v1/navigation/landscape", params={"ipc": "H01M", "group_by": "holder_kind"})
    assert {b["key"]: b["count"] for b in r.json()["group_by"]} == {
        "enterprise": 6, "university": 3, "institute": 1, "none": 1}


def test_landscape_exports(client):
    r = client.get("/v1/navigation/landscape", params={"ipc": "H01M", "format": "csv", "table": "holders"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("排名,申请人,类型") and lines[1].startswith(f"1,{CATL},企业")
    r = client.get("/v1/navigation/landscape", params={"ipc": "H01M", "format": "csv"})
    assert r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert {"coverage.csv", "trend.csv", "holders.csv", "ipc_subclasses.csv"} <= set(names)
    r = client.get("/v1/navigation/landscape", params={"ipc": "H01M", "format": "xlsx"})
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["年度趋势"]
    assert [c.value for c in ws[1]][:3] == ["年份", "申请量", "授权量"]
    assert ws["A2"].value == 2016 and ws["B2"].value == 1


def test_landscape_errors(client):
    r = client.get("/v1/navigation/landscape", params={"q": "锂电池"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "index_not_built"
    for params in ({"ipc": "battery"}, {"ipc": "H01M", "kind": "patent"}, {"ipc": "H01M", "group_by": "x"},
                   {}, {"ipc": "H01M", "region": "50"}, {"ipc": "H01M", "format": "pdf"},
                   {"ipc": "H01M", "format": "csv", "table": "nope"}):
        r = client.get("/v1/navigation/landscape", params=params)
        assert r.status_code == 422, params
        assert r.json()["error"]["code"] == "invalid_input"


def test_org_profile(client):
    r = client.get("/v1/orgs/重庆大学(本部)")
    assert r.status_code == 200
    body = r.json()
    assert body["org"]["id"] == CQU and body["patents"] == 3
    assert {p["id"] for p in body["partners"]} == {IOP, "重庆长安汽车股份有限公司"}
    assert body["citations"]["received"]["links"] == 2
    r = client.get("/v1/orgs/重庆大", params={})
    assert r.status_code == 404
    assert r.json()["error"]["detail"]["suggestions"][0]["id"] == CQU
    r = client.get("/v1/orgs/重庆大学", params={"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_org_competitors_and_compare(client):
    r = client.get("/v1/orgs/重庆大学/competitors", params={"limit": 2})
    body = r.json()
    assert [c["id"] for c in body["competitors"]] == [IOP, CATL]
    assert body["competitors"][1]["shared_codes"][0]["code"] == "H01M"
    r = client.get("/v1/orgs/compare", params={"names": f"重庆大学,{CATL}"})
    assert r.status_code == 200
    orgs = r.json()["orgs"]
    assert [(o["id"], o["patents"], o["cited_total"]) for o in orgs] == [(CQU, 3, 8), (CATL, 4, 15)]
    r = client.get("/v1/orgs/compare", params={"names": "重庆大学", "format": "csv", "table": "summary"})
    assert r.status_code == 422


def test_chains(client):
    r = client.get("/v1/chains")
    assert r.json()["chains"][0]["patents"] == 17
    r = client.get("/v1/chains/fx-ev")
    body = r.json()
    assert [s["id"] for s in body["segments"]] == ["fx-ev/battery", "fx-ev/motor", "fx-ev/charging"]
    assert body["totals"]["local"] == 4 and body["windows"]["as_of"] == 2023
    r = client.get("/v1/chains/fx-ev/gaps", params={"min_patents": 3})
    body = r.json()
    assert body["weak"] == ["fx-ev/charging"]
    assert body["segments"][0]["candidates"][0]["id"] == "清华大学"
    assert body["definition"]["gap_score"] == "clip(1 - rta, 0, 1)"
    r = client.get("/v1/chains/fx-ev/gaps", params={"format": "csv", "table": "gaps"})
    assert "技术短板得分" in r.content.decode("utf-8-sig").splitlines()[0]
    assert client.get("/v1/chains/nope").status_code == 404


def test_openapi_lists_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/navigation/landscape", "/v1/orgs/{name}", "/v1/orgs/{name}/competitors",
              "/v1/orgs/compare", "/v1/chains", "/v1/chains/{chain_id}", "/v1/chains/{chain_id}/gaps"):
        assert p in paths, p


# -- the real demo data --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_client():
    from tests._fixtures_navigation import demo_searcher, demo_settings, demo_store

    ctx = AppContext(settings=demo_settings(), store=demo_store())
    searcher = demo_searcher()
    ctx.searcher, ctx.encoder = searcher, searcher.encoder
    with TestClient(create_app(context=ctx)) as c:
        yield c


@pytest.mark.slow
def test_demo_lithium_battery(demo_client):
    r = demo_client.get("/v1/navigation/landscape", params={"q": "锂电池", "limit": 5, "max_patents": 300})
    assert r.status_code == 200
    body = r.json()
    assert 0 < body["patents"] <= 300
    assert body["ipc_subclasses"][0]["code"] == "H01M"
    assert body["clusters"]
    r = demo_client.get("/v1/navigation/landscape", params={"ipc": "H01M", "group_by": "ipc_subclass"})
    assert r.json()["group_by"][0]["key"] == "H01M"


@pytest.mark.slow
def test_demo_org_and_chain(demo_client):
    body = demo_client.get("/v1/orgs/重庆大学(本部)").json()
    assert body["org"]["id"] == "重庆大学" and body["patents"] >= 1
    comp = demo_client.get("/v1/orgs/重庆大学/competitors", params={"limit": 5}).json()
    assert len(comp["competitors"]) == 5 and comp["basis"] == ["embedding"]
    gaps = demo_client.get("/v1/chains/cq-icnev/gaps").json()
    assert gaps["chain"]["name"] == "智能网联新能源汽车"
    assert len(gaps["segments"]) == 6
    sei = demo_client.get("/v1/navigation/landscape", params={"sei": "4", "sections": "kinds,ipc_subclasses"}).json()
    assert sei["patents"] > 0 and sei["ipc_subclasses"]


def test_cli_exports(tmp_path, monkeypatch):
    """`patentnav analyze ...` over a fixture graph: xlsx, csv (zip), json and an error."""
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from patentnav.cli import app
    from patentnav.settings import get_settings

    store = open_fixture_store(tmp_path)
    store.close()
    monkeypatch.setenv("PATENTNAV_EMBEDDED_PATH", str(tmp_path / "nav-fixture.lbug"))
    monkeypatch.setenv("PATENTNAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "h01m.xlsx"
        r = runner.invoke(app, ["analyze", "landscape", "--ipc", "H01M", "--no-index", "--format", "xlsx",
                                "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert load_workbook(out)["主要申请人"]["B2"].value == CATL
        r = runner.invoke(app, ["analyze", "chain", "fx-ev", "--gaps", "--min-patents", "3", "--format", "csv",
                                "--out", str(tmp_path / "gaps.csv")])
        assert r.exit_code == 0 and (tmp_path / "gaps.zip").exists(), r.output
        r = runner.invoke(app, ["analyze", "compare", "重庆大学", CATL])
        assert r.exit_code == 0 and '"cited_total": 15' in r.output
        r = runner.invoke(app, ["analyze", "org", "不存在的机构", "--no-index"])
        assert r.exit_code == 1 and "not_found" in r.output
    finally:
        get_settings.cache_clear()


def test_empty_landscape_is_a_valid_reply_not_a_server_error(client):
    """Regression (found by schemathesis): no patent after filters gave a 500."""
    for r in (
        client.post("/v1/navigation/landscape", json={"ipc": ["H01M"], "filters": {"region": ["650000"]}}),
        client.get("/v1/navigation/landscape", params={"ipc": "H01M", "region": "650000"}),
    ):
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["patents"] == 0 and body["holders"] == [] and body["cq_comparison"] is None
        assert "no patent matches" in " ".join(body["notes"])


def test_competitors_with_zero_weight_on_the_only_basis_is_a_422(client):
    """Regression (found by schemathesis): w_ipc=0 with no index gave ZeroDivisionError."""
    r = client.get("/v1/orgs/重庆大学/competitors", params={"w_ipc": 0.0})
    assert r.status_code == 422
    assert "weight is zero" in r.json()["error"]["message"]
