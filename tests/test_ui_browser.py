"""The web UI (``/ui``, ``search_api/web``): static serving, and the pages in headless
Chromium over a small real dataset.

Fast tests (no marker) check the HTTP side: ``/`` redirects, ``/ui`` serves the page and
its ES modules, private files and paths outside ``web/`` are refused, the ECharts vendor
route serves the npm install or answers ``echarts_not_installed``, and the UI needs no API
key even when reads do.

Browser tests (``-m browser``) start the real application on 127.0.0.1 (uvicorn, random
free port) over the API engineer's dataset (``tests/_fixtures_api.py``), drive Debian's
Chromium (``/usr/bin/chromium``) with Playwright (``executable_path``; no browser
download), search for 锂电池, click facets, page, open a patent, a landscape with ECharts
charts, an organisation, a chain map, the matching and high-value pages, and check error
display. Screenshots go to a temporary folder and are checked (PNG size, not blank).
Missing Chromium, Playwright, Pillow or ECharts make them FAIL with the command to run.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patentnav.settings import Settings
from search_api.app import create_app
from search_api.context import AppContext
from search_api.routers import ui as ui_router

WEB = Path(ui_router.WEB_DIR)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}
SETUP_HINT = "run `bash scripts/setup-browser.sh` (as root) to install Debian's chromium"


# ================================================================================================
# fast: HTTP serving
# ================================================================================================
@pytest.fixture(scope="module")
def plain_client(tmp_path_factory):
    """The application without a graph store (the UI does not need one to be served)."""
    ctx = AppContext(settings=Settings(var_dir=tmp_path_factory.mktemp("ui-static")))
    with TestClient(create_app(context=ctx)) as client:
        yield client


def test_root_redirects_to_ui(plain_client):
    r = plain_client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/ui/"


@pytest.mark.parametrize("path", ["/ui", "/ui/"])
def test_ui_serves_the_chinese_page(plain_client, path):
    r = plain_client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="zh-CN">' in html
    assert '<script type="module" src="/ui/app.js"></script>' in html
    for tab in ("检索", "专利导航", "机构画像", "产业链", "供需对接", "高价值"):
        assert f">{tab}</a>" in html
    assert r.headers["cache-control"] == "no-cache"


def test_ui_serves_every_module_it_imports(plain_client):
    """Each ES module, and each relative module it imports, is served as JavaScript."""
    modules = sorted(p.relative_to(WEB).as_posix() for p in WEB.rglob("*.js")
                     if "node_modules" not in p.parts)
    assert {"app.js", "api.js", "ui.js", "charts.js", "pages/search.js", "pages/landscape.js",
            "pages/patent.js", "pages/org.js", "pages/chains.js", "pages/match.js",
            "pages/highvalue.js"} <= set(modules)
    for rel in modules:
        r = plain_client.get(f"/ui/{rel}")
        assert r.status_code == 200, rel
        assert r.headers["content-type"].startswith("text/javascript")
        for target in re.findall(r'from\s+"(\.{1,2}/[^"]+)"', r.text):
            resolved = (WEB / rel).parent.joinpath(target).resolve()
            assert resolved.is_file(), f"{rel} imports missing {target}"
    # every page the router names exists
    app_js = (WEB / "app.js").read_text(encoding="utf-8")
    for page in set(re.findall(r'page: "(\w+)"', app_js)):
        assert (WEB / "pages" / f"{page}.js").is_file(), page
    assert plain_client.get("/ui/style.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("path", [
    "/ui/package.json", "/ui/package-lock.json", "/ui/node_modules/echarts/package.json",
    "/ui/..%2Frouters%2Fui.py", "/ui/%2e%2e/app.py", "/ui/nope.js", "/ui/pages/",
    "/ui/pages/%2e%2e/node_modules/echarts/dist/echarts.min.js", "/ui/.hidden.js",
])
def test_ui_refuses_private_and_outside_files(plain_client, path):
    r = plain_client.get(path)
    assert r.status_code == 404
    body = r.json()
    assert body["error"]["code"] == "not_found" and "request_id" in body["error"]


def test_resolve_asset_stays_inside_the_web_folder(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.js").write_text("", encoding="utf-8")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    assert ui_router.resolve_asset("pages/a.js", tmp_path) == (tmp_path / "pages" / "a.js").resolve()
    for bad in ("pages/../node_modules/x.js", "node_modules/x.js", "../x.js", "notes.txt",
                "pages", "pages/missing.js", "/etc/hostname"):
        assert ui_router.resolve_asset(bad, tmp_path) is None, bad


def test_vendor_route_serves_echarts_when_installed(plain_client, monkeypatch, tmp_path):
    bundle = tmp_path / "echarts.min.js"
    bundle.write_text("/* echarts */ var echarts = {};", encoding="utf-8")
    monkeypatch.setattr(ui_router, "ECHARTS_FILE", bundle)
    r = plain_client.get("/ui/vendor/echarts.min.js")
    assert r.status_code == 200 and r.text.startswith("/* echarts */")
    assert r.headers["content-type"].startswith("text/javascript")
    config = plain_client.get("/ui/config.json").json()
    assert config["echarts"] == {"installed": True, "url": "/ui/vendor/echarts.min.js",
                                 "install": "npm ci --prefix search_api/web"}
    assert config["api_prefix"] == "/v1"


def test_vendor_route_without_echarts_says_how_to_install(plain_client, monkeypatch, tmp_path):
    monkeypatch.setattr(ui_router, "ECHARTS_FILE", tmp_path / "missing" / "echarts.min.js")
    r = plain_client.get("/ui/vendor/echarts.min.js")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "echarts_not_installed"
    assert "npm ci --prefix search_api/web" in error["message"]
    assert plain_client.get("/ui/config.json").json()["echarts"]["installed"] is False
    # the page itself is still served
    assert plain_client.get("/ui/").status_code == 200


def test_vendor_route_resolves_the_npm_install_path():
    assert ui_router.ECHARTS_FILE == WEB / "node_modules" / "echarts" / "dist" / "echarts.min.js"
    package = (WEB / "package.json").read_text(encoding="utf-8")
    assert re.search(r'"echarts":\s*"\d+\.\d+\.\d+"', package), "echarts must be pinned exactly"
    assert (WEB / "package-lock.json").is_file()


def test_ui_needs_no_api_key_when_reads_do(tmp_path):
    settings = Settings(var_dir=tmp_path, require_api_key_for_reads=True)
    with TestClient(create_app(context=AppContext(settings=settings))) as client:
        assert client.get("/ui/").status_code == 200
        assert client.get("/ui/app.js").status_code == 200
        r = client.get("/v1/search", params={"q": "电池"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


# ================================================================================================
# browser: headless Chromium over a running server
# ================================================================================================
def _require_browser_tools():
    """Fail (never skip) with the command that installs what is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: {SETUP_HINT}", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Python package playwright is missing: pip install playwright "
                    "(the browser itself comes from scripts/setup-browser.sh)", pytrace=False)
    try:
        import PIL  # noqa: F401
    except ImportError:
        pytest.fail("Python package pillow is missing (screenshot checks): pip install pillow",
                    pytrace=False)
    if not ui_router.ECHARTS_FILE.is_file():
        pytest.fail("ECharts is not installed: run `npm ci --prefix search_api/web`",
                    pytrace=False)


class LiveServer:
    """uvicorn serving an application in a thread on 127.0.0.1 (random free port)."""

    def __init__(self, app, *, lifespan: str = "off") -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        # lifespan "off" for an app whose lifespan already ran (the dataset's TestClient
        # opened its store and search indexes): the same app is served without a rerun
        config = uvicorn.Config(app, lifespan=lifespan, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="ui-test-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    _require_browser_tools()
    from tests._fixtures_api import api_dataset

    ds = api_dataset(tmp_path_factory.mktemp("api"))
    with LiveServer(ds.client.app) as server:
        server.dataset = ds
        yield server


@pytest.fixture(scope="module")
def browser_context(live, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            viewport=VIEWPORT, locale="zh-CN",
        )
        context.set_default_timeout(60_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ui-screenshots")
    print(f"\nUI screenshots: {path}")
    return path


@pytest.fixture
def page(browser_context, live):
    """A fresh tab; page errors (uncaught exceptions) fail the test."""
    p = browser_context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.base = live.url  # type: ignore[attr-defined]
    yield p
    p.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def goto(page, hash_route: str, wait_for: str):
    page.goto(f"{page.base}/ui/#{hash_route}")
    page.wait_for_selector(wait_for)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def check_screenshot(page, path: Path, *, full_page: bool = True) -> Path:
    """Take a screenshot and check it: a PNG of the viewport's width, not blank."""
    from PIL import Image, ImageStat

    page.screenshot(path=str(path), full_page=full_page)
    assert path.is_file() and path.stat().st_size > 10_000, f"{path} missing or tiny"
    width, height = png_size(path)
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"], (width, height)
    with Image.open(path) as im:
        grey = im.convert("L")
        stddev = ImageStat.Stat(grey).stddev[0]
        colours = len(im.convert("RGB").getcolors(maxcolors=1 << 20) or [])
    assert stddev > 15, f"{path} looks blank (grey-level stddev {stddev:.1f})"
    assert colours > 200, f"{path} has only {colours} colours"
    return path


def chart_points(page, key: str) -> list[int]:
    """Data points of each series of the ECharts instance drawn in [data-chart=key]."""
    return page.evaluate(
        """(key) => {
            const el = document.querySelector(`[data-chart="${key}"]`);
            const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
            if (!chart) return null;
            return chart.getOption().series.map((s) => (s.data || []).length);
        }""",
        key,
    )


# -- search ----------------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_search_lithium_battery_with_facets_and_paging(page, shots):
    goto(page, "/search", "input[name=q]")
    assert page.title().startswith("检索")
    page.fill(".searchbar input[name=q]", "锂电池")
    page.press(".searchbar input[name=q]", "Enter")
    page.wait_for_selector(".result-item")
    items = page.locator(".result-item")
    assert items.count() == 10
    assert "q=%E9%94%82%E7%94%B5%E6%B1%A0" in page.url or "q=锂电池" in page.url
    # highlights and the best sentence
    assert page.locator(".result-item .result-title em").count() >= 5
    assert "锂电池" in page.locator(".result-item .result-title em").first.inner_text()
    assert page.locator(".result-item .best-sentence").count() >= 5
    count_text = page.inner_text("#result-count")
    assert re.search(r"共约 \d+ 件，第 1–10 件", count_text), count_text
    # facet lists, with the battery subclass first
    ipc_facet = page.locator('[data-facet="ipc_subclass"] li')
    assert ipc_facet.count() >= 3
    assert ipc_facet.first.inner_text().startswith("H01M")
    for facet in ("kind", "chain"):
        assert page.locator(f'[data-facet="{facet}"] li').count() >= 1
    check_screenshot(page, shots / "search.png")

    # next page (cursor), then back
    first_ids = items.evaluate_all("els => els.map(e => e.dataset.id)")
    page.click("#next-page")
    page.wait_for_function("() => /第 11–20 件/.test(document.querySelector('#result-count')?.textContent || '')")
    second_ids = page.locator(".result-item").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(second_ids) == 10 and not set(first_ids) & set(second_ids)
    assert "cursor=" in page.url
    page.click("text=← 上一页")
    page.wait_for_function("() => /第 1–10 件/.test(document.querySelector('#result-count')?.textContent || '')")

    # click the 发明 facet: filter chip appears, every hit is an invention
    page.click('[data-facet="kind"] li a:has-text("发明")')
    page.wait_for_selector(".chip.removable")
    page.wait_for_selector(".result-item")
    assert "kind=invention" in page.url
    assert "类型：发明" in page.inner_text(".active-filters")
    kinds = page.locator(".result-item .result-title .badge").evaluate_all(
        "els => els.map(e => e.textContent)")
    assert kinds and all(k in ("发明", "高价值") for k in kinds), kinds


@pytest.mark.browser
@pytest.mark.slow
def test_patent_detail_page_from_a_result(page, shots):
    goto(page, "/search?q=锂电池", ".result-item")
    title = page.locator(".result-item .title-link").first.inner_text()
    page.locator(".result-item .title-link").first.click()
    page.wait_for_selector("#patent-title")
    assert title in page.inner_text("#patent-title")
    assert "著录项目" in page.inner_text("#patent")
    page.wait_for_selector(".similar-list li")
    assert page.locator(".similar-list li").count() >= 3
    page.wait_for_selector("#hv-detail p")
    check_screenshot(page, shots / "patent.png")


# -- landscape (charts) ---------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_landscape_page_draws_echarts(page, shots):
    goto(page, "/landscape?q=锂电池", "#landscape-title")
    assert page.evaluate("() => document.body.dataset.charts") == "echarts"
    assert page.locator("#notice-echarts").count() == 0
    for key in ("holders", "holder_kinds", "ipc_subclasses", "ipc_treemap", "kinds"):
        page.wait_for_selector(f'[data-chart="{key}"] canvas')
        points = chart_points(page, key)
        assert points and points[0] > 0, (key, points)
    # the subset has no application years: the trend says so instead of drawing nothing
    assert "暂无申请年份数据" in page.inner_text('[data-chart="trend"]')
    assert page.locator("#clusters .cluster").count() >= 2
    assert re.search(r"共 \d+ 件专利", page.inner_text("#landscape"))
    page.wait_for_timeout(300)  # let the canvases paint
    check_screenshot(page, shots / "landscape.png")
    # a holder bar links to the organisation page
    first_holder = page.locator("#landscape table.grid tbody tr td:nth-child(2) a").first
    name = first_holder.inner_text()
    first_holder.click()
    page.wait_for_selector("#org-title")
    assert page.inner_text("#org-title") == name


@pytest.mark.browser
@pytest.mark.slow
def test_pages_work_without_echarts(page):
    """ECharts missing (here: its script fails to load): a notice, tables instead of charts."""
    page.route("**/ui/vendor/echarts.min.js", lambda route: route.fulfill(status=404, body="missing"))
    goto(page, "/landscape?ipc=H01M", "#landscape-title")
    notice = page.inner_text("#notice-echarts")
    assert "图表不可用" in notice and "npm ci --prefix search_api/web" in notice
    assert page.evaluate("() => document.body.dataset.charts") == "none"
    assert page.locator('[data-chart="ipc_subclasses"].chart-fallback table').count() == 1
    assert page.locator("canvas").count() == 0


# -- organisations, chains, matching, high value ---------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_organisation_page_suggestions_and_competitors(page, shots):
    # a partial name: readable 404 with clickable suggestions
    goto(page, "/org/东北", ".error")
    error = page.inner_text(".error")
    assert "未找到（404）" in error and "错误代码：not_found" in error and "请求编号" in error
    page.click(".error .suggestions a:has-text('东北大学')")
    page.wait_for_selector("#org-title")
    assert page.inner_text("#org-title") == "东北大学"
    page.wait_for_selector("#competitors table")
    assert page.locator("#competitors tbody tr").count() >= 3
    # pick two competitors and compare
    page.locator("#competitors tbody tr input[type=checkbox]").nth(0).check()
    page.click("text=对比所选机构")
    page.wait_for_selector("#compare table")
    assert "东北大学" in page.inner_text("#compare")
    check_screenshot(page, shots / "compare.png")


@pytest.mark.browser
@pytest.mark.slow
def test_chain_map_page(page, shots):
    goto(page, "/chains", "#chains table")
    page.click("#chains a:has-text('智能网联新能源汽车')")
    page.wait_for_selector("#chain-map .segment")
    columns = page.locator("#chain-map .chain-col h3").all_inner_texts()
    assert columns == ["上游", "中游", "下游"]
    assert page.locator("#chain-map .segment").count() >= 4
    assert "动力电池" in page.inner_text('#chain-map [data-position="upstream"]')
    page.wait_for_selector('[data-chart="segments"] canvas')
    assert chart_points(page, "segments") and chart_points(page, "segments")[0] > 0
    assert "技术短板分析" in page.inner_text("#chain")
    check_screenshot(page, shots / "chain.png")


@pytest.fixture(scope="module")
def nav_live(tmp_path_factory):
    """The hand-made navigation graph (tests/_fixtures_navigation.py), no search index:
    its chain has a known weak segment."""
    _require_browser_tools()
    from tests._fixtures_navigation import open_fixture_store

    root = tmp_path_factory.mktemp("ui-nav")
    store = open_fixture_store(root)
    app = create_app(context=AppContext(settings=Settings(var_dir=root), store=store))
    with LiveServer(app, lifespan="on") as server:
        yield server
    store.close()


@pytest.mark.browser
@pytest.mark.slow
def test_chain_gaps_are_highlighted_and_missing_index_is_announced(page, nav_live, shots):
    page.goto(f"{nav_live.url}/ui/#/chain/fx-ev?min_patents=3")
    page.wait_for_selector("#chain-map .segment")
    weak = page.locator('#chain-map .segment.gap')
    assert weak.count() == 1
    assert weak.get_attribute("data-segment") == "fx-ev/charging"
    assert "技术短板" in weak.inner_text() and "0 / 4" in weak.inner_text()
    assert page.locator('#chain-map .segment[data-weak="false"]').count() == 2
    battery = page.inner_text('[data-segment="fx-ev/battery"]')
    assert "2 / 8" in battery and "25.0%" in battery  # Chongqing / region-known, share
    # the default threshold leaves the 4-patent segment unassessed
    page.fill("#gap-controls input[name=min_patents]", "5")
    page.click("#gap-controls button")
    page.wait_for_function("() => location.hash.includes('min_patents=5')")
    page.wait_for_selector('#chain-map [data-segment="fx-ev/charging"].thin')
    assert page.locator("#chain-map .segment.gap").count() == 0
    # no search index here: the start-up check says what is unavailable
    page.wait_for_selector("#notice-ready")
    assert "检索索引尚未建立" in page.inner_text("#notice-ready")
    check_screenshot(page, shots / "chain-gaps.png")


@pytest.mark.browser
@pytest.mark.slow
def test_matching_pages(page):
    # free-text demand -> explained patents
    goto(page, "/match", "#demand-form")
    page.fill("#demand-form textarea", "防爆锂离子电池的研发，提高电池防爆安全性能")
    page.click("#demand-form button[type=submit]")
    page.wait_for_selector("#demand-matches .match-item")
    first = page.locator("#demand-matches .match-item").first.inner_text()
    assert "匹配理由" in first or "分类重合" in first
    # a stored demand from the list
    goto(page, "/match?tab=demand", "#demand-list li")
    page.locator("#demand-list li button").first.click()
    page.wait_for_selector("#match-results .card h3")
    assert page.inner_text("#match-results .card h3").startswith("需求")
    # patent -> companies, with factor bars
    number = page.evaluate("""async () => {
        const r = await fetch('/v1/search?q=' + encodeURIComponent('锂电池') + '&limit=1');
        return (await r.json()).results[0].id;
    }""")
    goto(page, f"/match?tab=patent&number={number}", "#company-matches .match-item")
    assert page.locator("#company-matches .factor").count() >= 5


@pytest.mark.browser
@pytest.mark.slow
def test_high_value_dashboard(page, shots):
    goto(page, "/hv?status=valid,unknown&kind=any&group_by=sei_l1", "#indicators table")
    assert page.locator("#indicators tbody tr").count() >= 1
    page.wait_for_selector('[data-chart="indicators"] canvas')
    page.wait_for_selector("#rankings table")
    assert page.locator("#rankings tbody tr").count() >= 3
    page.wait_for_selector('[data-chart="hv_state"] canvas')
    assert chart_points(page, "hv_state") == [3]
    check_screenshot(page, shots / "highvalue.png")


@pytest.mark.browser
@pytest.mark.slow
def test_api_errors_are_shown_readably(page):
    goto(page, "/search?q=电池&year_from=2030&year_to=2020", ".error")
    text = page.inner_text(".error")
    assert "参数错误（422）" in text and "invalid_input" in text
    goto(page, "/patent/CN000000000.0", ".error")
    assert "未找到（404）" in page.inner_text(".error")
    goto(page, "/chain/no-such-chain", ".error")
    assert page.locator(".error .suggestions a").count() >= 5  # the known chain ids
    goto(page, "/nowhere", ".error")
    assert "页面不存在" in page.inner_text(".error")
