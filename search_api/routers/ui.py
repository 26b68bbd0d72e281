"""The browser UI (简体中文): a static single-page app served by the API itself.

* ``GET /`` redirects to ``/ui/``;
* ``GET /ui`` and ``/ui/`` answer ``search_api/web/index.html``;
* ``GET /ui/<file>`` the app's own files (``app.js``, ``style.css``, ``pages/*.js``...):
  only files of the listed types inside ``search_api/web``, never ``node_modules`` or
  the npm manifests;
* ``GET /ui/config.json`` what the page needs to know at start (version, API prefix,
  whether ECharts is installed);
* ``GET /ui/vendor/echarts.min.js`` ECharts, from the npm install in
  ``search_api/web/node_modules`` (``npm ci --prefix search_api/web``). When it is not
  installed the route answers 404 ``echarts_not_installed`` and the page works without
  charts, saying so.

No build step: plain HTML, ES modules and CSS. This router is mounted at the root (not
under ``/v1``) and, like ``/health`` and ``/docs``, needs no API key; the page itself
sends the key the user enters (``X-API-Key``) with its API calls.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from patentnav import __version__
from patentnav.errors import NotFound

log = logging.getLogger(__name__)

#: folder of the single-page app
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
#: where ``npm ci --prefix search_api/web`` puts the ECharts bundle
ECHARTS_FILE = WEB_DIR / "node_modules" / "echarts" / "dist" / "echarts.min.js"
#: how to install it (shown by the page and in the 404 body)
ECHARTS_INSTALL = "npm ci --prefix search_api/web"

UI_PREFIX = "/ui"

#: media types of the files the UI serves; anything else under ``web/`` is not served
MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
#: top-level names under ``web/`` that are never served
PRIVATE = frozenset({"node_modules", "package.json", "package-lock.json"})

#: revalidate every time (ETag / Last-Modified make that cheap): a new deployment shows at once
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["ui"], include_in_schema=False)


class EchartsNotInstalled(NotFound):
    """The ECharts bundle is not installed (the UI then runs without charts)."""

    code = "echarts_not_installed"


def echarts_installed() -> bool:
    return ECHARTS_FILE.is_file()


def resolve_asset(relative: str, root: Path | None = None) -> Path | None:
    """The file ``relative`` names inside ``root`` (default :data:`WEB_DIR`), or None when
    it resolves outside it, is hidden or private, of a type the UI does not serve, or
    missing."""
    base = (root or WEB_DIR).resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        return None
    parts = path.relative_to(base).parts
    if parts[0] in PRIVATE or any(p.startswith(".") for p in parts):
        return None
    if path.suffix not in MEDIA_TYPES or not path.is_file():
        return None
    return path


def _not_found(what: str) -> NotFound:
    err = NotFound(f"no UI file {what}")
    err.detail = {"path": what}  # type: ignore[attr-defined]
    return err


@router.api_route("/", methods=["GET", "HEAD"], summary="Redirect to the UI")
def root() -> RedirectResponse:
    return RedirectResponse(url=f"{UI_PREFIX}/", status_code=307)


@router.api_route(UI_PREFIX, methods=["GET", "HEAD"], summary="The UI (index.html)")
@router.api_route(UI_PREFIX + "/", methods=["GET", "HEAD"], summary="The UI (index.html)")
def index() -> FileResponse:
    path = resolve_asset("index.html")
    if path is None:
        raise _not_found("index.html")
    return FileResponse(path, media_type=MEDIA_TYPES[".html"], headers=NO_CACHE)


@router.api_route(UI_PREFIX + "/config.json", methods=["GET", "HEAD"],
                  summary="UI start-up configuration")
def config() -> dict[str, Any]:
    installed = echarts_installed()
    return {
        "version": __version__,
        "api_prefix": "/v1",
        "echarts": {
            "installed": installed,
            "url": f"{UI_PREFIX}/vendor/echarts.min.js" if installed else None,
            "install": ECHARTS_INSTALL,
        },
    }


@router.api_route(UI_PREFIX + "/vendor/echarts.min.js", methods=["GET", "HEAD"],
                  summary="ECharts (from the npm install)")
def echarts() -> FileResponse:
    if not echarts_installed():
        log.warning("ECharts is not installed (%s): the UI runs without charts", ECHARTS_FILE)
        err = EchartsNotInstalled(f"ECharts is not installed: run `{ECHARTS_INSTALL}`")
        err.detail = {"install": ECHARTS_INSTALL,  # type: ignore[attr-defined]
                      "expected": "search_api/web/node_modules/echarts/dist/echarts.min.js"}
        raise err
    return FileResponse(ECHARTS_FILE, media_type=MEDIA_TYPES[".js"],
                        headers={"Cache-Control": "public, max-age=86400"})


@router.api_route(UI_PREFIX + "/{relative:path}", methods=["GET", "HEAD"],
                  summary="A file of the UI")
def asset(relative: str) -> FileResponse:
    path = resolve_asset(relative)
    if path is None:
        raise _not_found(relative)
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=NO_CACHE)
