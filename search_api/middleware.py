"""ASGI middleware of the API: request ids, access logs, API keys, rate limits, upload size
and CORS. Installed by :func:`install_middleware` (called from ``create_app``).

Order, outermost first::

    RequestContextMiddleware   X-Request-ID, JSON access log, request_id in error bodies
    CORSMiddleware             only when settings.cors_origins is set (answers preflights)
    GuardMiddleware            API key -> scope policy -> rate limit (+ X-RateLimit-* headers)
    UploadLimitMiddleware      413 for ingest uploads over settings.max_upload_mb
    UploadLimitMiddleware      413 for other request bodies over settings.max_body_kb
    (the application)

All of them are plain ASGI classes (no ``BaseHTTPMiddleware``), so streaming responses
and background work are not buffered; only JSON error bodies (small) are rewritten.

The access log is one JSON object per request on the ``patentnav.access`` logger:
``request_id, method, path, status, duration_ms, key_id, client, bytes_out`` -- the key
id is the public part of the key, never the key.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patentnav.settings import Settings
from search_api.errors import error_body
from search_api.security import (
    STATE_KEY,
    ApiSecurity,
    key_from_headers,
    required_scope,
)

log = logging.getLogger(__name__)
access_log = logging.getLogger("patentnav.access")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
#: paths whose request bodies are limited to settings.max_upload_mb
UPLOAD_PATH = re.compile(r"^/v1/ingest(/|$)")
#: the other paths, whose bodies are limited to settings.max_body_kb
NOT_UPLOAD_PATH = re.compile(r"^(?!/v1/ingest(/|$))")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "patentnav_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return _request_id.get()


class RequestIdLogFilter(logging.Filter):
    """Adds ``record.request_id`` (or ``-``) so a log format can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


def _state(scope: Scope) -> dict[str, Any]:
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    return state


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": raw})


# -- request id + access log ----------------------------------------------------------------------
class RequestContextMiddleware:
    """Request id, timing, access log; adds ``request_id`` to JSON error bodies.

    An incoming ``X-Request-ID`` of 1-128 characters ``[A-Za-z0-9._:-]`` is kept,
    anything else is replaced by a new uuid4. The id is echoed in the response header,
    put in ``error.request_id`` of JSON error bodies and in the access log line, and
    available to code through :func:`current_request_id`.

    It also forwards the ASGI lifespan shutdown to ``app.state.job_manager.shutdown()``
    (waiting for a running ingest job) before the application closes its store.
    """

    def __init__(self, app: ASGIApp, *, shutdown_timeout: float = 60.0) -> None:
        self.app = app
        self.shutdown_timeout = shutdown_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        state = _state(scope)
        state["request_id"] = rid
        token = _request_id.set(rid)
        t0 = time.perf_counter()
        info: dict[str, Any] = {"status": None, "bytes": 0, "started": False}
        rewrite: dict[str, Any] | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal rewrite
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                ctype = headers.get("content-type", "")
                if message["status"] >= 400 and ctype.startswith("application/json"):
                    rewrite = {"start": message, "chunks": []}
                    return
                info["started"] = True
                await send(message)
            elif message["type"] == "http.response.body":
                if rewrite is not None:
                    rewrite["chunks"].append(message.get("body", b""))
                    if message.get("more_body", False):
                        return
                    body = _with_request_id(b"".join(rewrite["chunks"]), rid)
                    start = rewrite["start"]
                    MutableHeaders(scope=start)["content-length"] = str(len(body))
                    rewrite = None
                    info["started"] = True
                    info["bytes"] += len(body)
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                    return
                info["bytes"] += len(message.get("body", b""))
                await send(message)
            else:
                await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Answer here so even an unhandled error carries the request id; the
            # exception still propagates (the app's last-resort handler logs it).
            if not info["started"]:
                info["status"] = 500
                await _send_json(send, 500, _with_id(error_body(
                    "internal_error", "internal server error", None), rid),
                    [(REQUEST_ID_HEADER.lower().encode(), rid.encode())])
                info["started"] = True
            raise
        finally:
            _request_id.reset(token)
            self._log(scope, state, rid, info, t0)

    @staticmethod
    def _log(scope: Scope, state: dict[str, Any], rid: str, info: dict[str, Any],
             t0: float) -> None:
        client = scope.get("client")
        record = {
            "request_id": rid,
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": info["status"],
            "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
            "key_id": state.get("api_key_id"),
            "client": client[0] if client else None,
            "bytes_out": info["bytes"],
        }
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(json.dumps(record, ensure_ascii=False), extra={"access": record})

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def receive_wrapper() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                app = scope.get("app")
                manager = getattr(getattr(app, "state", None), "job_manager", None)
                if manager is not None:
                    await anyio.to_thread.run_sync(manager.shutdown, self.shutdown_timeout)
            return message

        await self.app(scope, receive_wrapper, send)


def _with_id(body: dict[str, Any], rid: str) -> dict[str, Any]:
    err = body.get("error")
    if isinstance(err, dict):
        err["request_id"] = rid
    return body


def _with_request_id(raw: bytes, rid: str) -> bytes:
    """``{"error": {...}}`` bodies get ``error.request_id``; anything else is left as is."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return raw
    return json.dumps(_with_id(body, rid), ensure_ascii=False).encode("utf-8")


# -- API keys, scopes, rate limits --------------------------------------------------------------------
class GuardMiddleware:
    """Resolves the API key, enforces the scope policy and the rate limit.

    * a key that is sent but invalid / revoked -> 401 (whatever the endpoint);
    * no key where :func:`~search_api.security.required_scope` needs one -> 401;
      a key without the needed scope -> 403;
    * one token per request from the key's bucket (anonymous: the client address's);
      every response carries ``X-RateLimit-Limit/-Remaining/-Reset`` and a refused one
      is 429 ``rate_limited`` with ``Retry-After``. ``rate_limit_per_minute = 0`` turns
      limits (and their headers) off.

    The verified key is put in ``request.state.api_key`` (its id in ``api_key_id``).
    Failed key checks also spend a token of the client address's bucket, so guessing is
    rate limited too.
    """

    def __init__(self, app: ASGIApp, *, security: ApiSecurity) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        security = self.security
        settings = security.settings
        state = _state(scope)
        client = scope.get("client")
        client_ip = client[0] if client else "unknown"
        text = key_from_headers(Headers(scope=scope))
        key = None
        if text is not None:
            key, known = security.verifier.lookup(text)
            if key is not None and not known:
                key = await anyio.to_thread.run_sync(security.verifier.verify, text)
            if key is None:
                decision = self._take(f"ip:{client_ip}", settings.rate_limit_per_minute)
                await _send_json(send, 401, error_body(
                    "unauthorized", "invalid or revoked API key", None),
                    [(b"www-authenticate", b'ApiKey header="X-API-Key"'),
                     *(decision.headers() if decision else [])])
                return
            state["api_key_id"] = key.id
        state[STATE_KEY] = key

        limit = security.limit_for(key)
        decision = self._take(f"key:{key.id}" if key else f"ip:{client_ip}", limit)
        extra = decision.headers() if decision else []
        if decision is not None and not decision.allowed:
            await _send_json(send, 429, error_body(
                "rate_limited", f"rate limit of {limit} requests per minute exceeded; "
                f"retry in {decision.retry_after} s",
                {"limit": limit, "retry_after": decision.retry_after}), extra)
            return

        needed = required_scope(scope.get("method", "GET"), scope.get("path", ""), settings)
        if needed is not None and scope.get("method") != "OPTIONS":
            if key is None:
                await _send_json(send, 401, error_body(
                    "unauthorized", f"this endpoint needs an API key with the {needed!r} scope "
                    "(header X-API-Key or Authorization: Bearer)", {"scope": needed}),
                    [(b"www-authenticate", b'ApiKey header="X-API-Key"'), *extra])
                return
            if not key.allows(needed):
                await _send_json(send, 403, error_body(
                    "forbidden", f"API key {key.id} lacks the {needed!r} scope "
                    f"(it has {', '.join(key.scopes)})", {"scope": needed}), extra)
                return

        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *extra]
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _take(self, bucket: str, limit: int):
        if limit <= 0:
            return None
        return self.security.limiter.take(bucket, limit)


# -- upload size ----------------------------------------------------------------------------------------
class UploadLimitMiddleware:
    """Request bodies of the routes ``paths`` matches (default ``/v1/ingest/...``) are
    limited to ``max_bytes``: a larger ``Content-Length`` is refused at once (413
    ``payload_too_large``) without reading the body; a chunked body is counted as it
    arrives and stops the request when it passes the limit (the route sees an HTTP 413
    error). ``what`` / ``setting`` name the body and the setting in the message."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, paths: re.Pattern[str] = UPLOAD_PATH,
                 what: str = "upload", setting: str = "max_upload_mb") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths
        self.what = what
        self.setting = setting

    def _too_large_body(self) -> dict[str, Any]:
        size = self.max_bytes / 1024
        limit = f"{size / 1024:g} MB" if size >= 1024 else f"{size:g} KB"
        return error_body("payload_too_large", f"{self.what} larger than the limit of {limit} "
                          f"(settings.{self.setting})", {"max_bytes": self.max_bytes})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.paths.match(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _send_json(send, 413, self._too_large_body(), [(b"connection", b"close")])
            return
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(413, self._too_large_body()["error"]["message"])
            return message

        await self.app(scope, receive_limited, send)


# -- installation -----------------------------------------------------------------------------------------
EXPOSED_HEADERS = [REQUEST_ID_HEADER, "X-RateLimit-Limit", "X-RateLimit-Remaining",
                   "X-RateLimit-Reset", "Retry-After"]


def install_middleware(app: FastAPI, settings: Settings, *,
                       security: ApiSecurity | None = None) -> ApiSecurity:
    """Add the middleware stack (see module doc) to ``app``; ``app.state.security`` holds
    the key store and rate limiter. Returns it."""
    security = security or ApiSecurity(settings)
    app.state.security = security
    # add_middleware puts each new one outside the previous ones
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_upload_mb * 1024 * 1024)
    # every other route takes small JSON bodies: a 20 MB "query" is refused unread
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_body_kb * 1024, paths=NOT_UPLOAD_PATH,
                       what="request body", setting="max_body_kb")
    app.add_middleware(GuardMiddleware, security=security)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization", REQUEST_ID_HEADER],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)
    return app.state.security
