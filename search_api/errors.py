"""One place that turns errors into JSON replies.

Every error the API returns has the same body::

    {"error": {"code": "not_found", "message": "...", "detail": {...} | [...] | null}}

* :class:`patentnav.errors.PatentnavError` subclasses map to their own
  ``status_code`` and ``code``;
* request validation errors (bad query parameters, bad JSON body) become 422
  ``invalid_input`` with the offending fields listed in ``detail``;
* Starlette HTTP errors (unknown route, wrong method) keep their status;
* anything else is logged with its traceback and answered with a bare 500
  (the traceback never reaches the client).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from patentnav.errors import PatentnavError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The JSON body of every error reply."""
    return {"error": {"code": code, "message": message, "detail": detail}}


def error_detail(exc: PatentnavError) -> Any:
    """Structured detail carried by an error, if the raiser attached one (``exc.detail``)."""
    detail = getattr(exc, "detail", None)
    if detail is None or isinstance(detail, (str, int, float, bool, list, dict)):
        return detail
    return str(detail)


async def patentnav_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PatentnavError)
    status = int(getattr(exc, "status_code", 500) or 500)
    code = getattr(exc, "code", "internal_error")
    if status == 500:
        # a server-side failure: keep the traceback in the log, not in the reply
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    elif status >= 500:
        log.warning("%s %s -> %s %s: %s", request.method, request.url.path, status, code, exc)
    else:
        log.info("%s %s -> %s %s: %s", request.method, request.url.path, status, code, exc)
    message = str(exc) or exc.__class__.__doc__ or code
    headers = {"Retry-After": "60"} if status == 503 else None
    return JSONResponse(
        error_body(code, message, error_detail(exc)), status_code=status, headers=headers
    )


def as_request_error(
    exc: ValidationError, source: str = "query", drop: tuple[str, ...] = ("filters",)
) -> RequestValidationError:
    """A pydantic error raised while building a model from flat parameters, as the
    request validation error FastAPI would have raised (``loc = (source, param)``)."""
    errors = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if p not in drop]
        if not loc and err["loc"]:  # a model-level check of a dropped level
            loc = [err["loc"][0]]
        errors.append({**err, "loc": (source, *loc)})
    return RequestValidationError(errors)


def _clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for err in errors:
        loc = list(err.get("loc", ()))  # ("query", "limit"), ("body", "filters", "ipc", 0)
        item: dict[str, Any] = {
            "loc": loc,
            "field": ".".join(str(p) for p in loc[1:] if not isinstance(p, int)) or None,
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        value = err.get("input")
        if isinstance(value, str):
            # echo scalar inputs only (never whole bodies), shortened; a lone surrogate
            # (JSON "\ud800") cannot be encoded as UTF-8: echo it as its escape
            item["input"] = value[:200].encode("utf-8", "backslashreplace").decode("utf-8")
        elif isinstance(value, float) and not math.isfinite(value):
            item["input"] = str(value)  # 1e999 / NaN in a JSON body: JSON has no inf / nan
        elif isinstance(value, (int, float, bool)):
            item["input"] = value
        out.append(item)
    return out


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = _clean_validation_errors(exc.errors())
    fields = sorted({d["field"] for d in detail if d["field"]})
    message = "invalid request" + (f": check {', '.join(fields)}" if fields else "")
    return JSONResponse(error_body("invalid_input", message, detail), status_code=422)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    detail = None if isinstance(exc.detail, str) else exc.detail
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.url.path}"
    return JSONResponse(
        error_body(code, message, detail),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # Last resort at the application edge: log everything, tell the client nothing internal.
    log.error("%s %s: unhandled %s", request.method, request.url.path, type(exc).__name__,
              exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "internal server error", None), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(PatentnavError, patentnav_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
