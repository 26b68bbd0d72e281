"""Liveness and readiness (not versioned: ``/health``, ``/ready``)."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from patentnav import __version__
from patentnav.errors import GraphError
from search_api.deps import ContextDep

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    uptime_s: float


class ReadyCheck(BaseModel):
    ok: bool
    detail: dict[str, Any] = Field(default_factory=dict)


class Ready(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ready",
                    "checks": {
                        "store": {"ok": True, "detail": {"backend": "embedded", "patents": 10708}},
                        "index": {"ok": True, "detail": {"path": "var/index", "count": 10708}},
                    },
                }
            ]
        }
    }

    status: Literal["ready", "not_ready"]
    checks: dict[str, ReadyCheck]


@router.get("/health", response_model=Health, summary="Liveness · 存活检查")
def health(context: ContextDep) -> Health:
    """The process is up and serving (touches nothing else)."""
    return Health(version=__version__, uptime_s=round(time.time() - context.started_at, 1))


@router.get(
    "/ready",
    response_model=Ready,
    summary="Readiness · 就绪检查",
    responses={503: {"model": Ready, "description": "Store unreachable or index not built."}},
)
def ready(context: ContextDep, request: Request) -> JSONResponse:
    """Graph store reachable, search indexes loaded and every present router mounted
    (503 with details otherwise)."""
    settings = context.settings
    store_check: dict[str, Any] = {"backend": settings.graph_backend}
    store_ok = False
    if context.store is None:
        store_check["error"] = context.store_error or "not opened"
    else:
        try:
            counts = context.store.count_nodes()
        except GraphError as exc:
            store_check["error"] = f"{exc.code}: {exc}"
        else:
            store_ok = True
            store_check["patents"] = counts.get("Patent", 0)
            store_check["nodes"] = sum(counts.values())
    index = context.index_status()
    index_ok = bool(index.pop("ok"))
    # the encoder loads in the background; searches wait for it until then
    index["searcher_loaded"] = context.searcher is not None
    mounted = getattr(request.app.state, "routers", [])
    router_errors = getattr(request.app.state, "router_errors", {})
    body = Ready(
        status="ready" if store_ok and index_ok and not router_errors else "not_ready",
        checks={
            "store": ReadyCheck(ok=store_ok, detail=store_check),
            "index": ReadyCheck(ok=index_ok, detail=index),
            "routers": ReadyCheck(ok=not router_errors,
                                  detail={"mounted": mounted, "failed": router_errors}),
        },
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if body.status == "ready" else 503)
