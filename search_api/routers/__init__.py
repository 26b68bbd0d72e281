"""HTTP routers, one module per capability, mounted by :func:`search_api.app.create_app`.

Convention for every module listed in ``search_api.app.ROUTER_MODULES``:

* it exposes ``router = APIRouter(prefix="/<resource>", tags=["<tag>"])``; the app
  mounts it under ``/v1`` (so ``/v1/<resource>/...``);
* handlers are thin: validate (pydantic models in ``search_api/models/``), call a
  service from ``analytics/`` through the dependencies of :mod:`search_api.deps`
  (``StoreDep``, ``ContextDep``, ``SettingsDep``, ``SearchDep``...), shape the reply;
* errors are raised as :class:`patentnav.errors.PatentnavError` subclasses, which
  :mod:`search_api.errors` turns into ``{"error": {"code", "message", "detail"}}``.

A module that does not exist yet is skipped; one that fails to import is an error.
"""
