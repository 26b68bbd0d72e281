"""API keys (hashed at rest), scopes, the access policy and per-client rate limits.

API keys
--------
A key looks like ``pnk_<id>_<secret>``: ``id`` is 12 public hex characters (shown by
``patentnav keys list``, written to the access log), ``secret`` 43 random URL-safe
characters. The full key is shown **once**, when it is created; the store
(``settings.api_keys_path``, default ``<var_dir>/api_keys.json``, mode 0600) keeps only
``scrypt(key, salt)`` with a random 16-byte salt per key (n=2**14, r=8, p=1; the
parameters are stored with each hash) and compares with :func:`hmac.compare_digest`.
A scrypt costs ~0.1 s, so a verified key is remembered in memory as an HMAC of the key
under a per-process random pepper (never the key itself); revoking a key (or any change
of the store file) drops it from that memory within a second.

Clients send the key as ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.

Scopes
------
``read`` < ``write`` < ``admin``: a ``write`` key may also read, an ``admin`` key do
anything. Which scope a request needs is decided by :func:`required_scope` from its
method and path (:data:`WRITE_ROUTES`, :data:`ADMIN_PREFIX`), so it holds for every
router, including ones that do not declare a dependency:

* ``/v1/admin/...`` -> ``admin``;
* every ``/v1/ingest/...`` route, ``POST /v1/high-value/recompute`` and any
  ``PUT``/``PATCH``/``DELETE`` under ``/v1`` -> ``write``;
* any other ``/v1`` route -> ``read`` when ``settings.require_api_key_for_reads``,
  else no key needed;
* outside ``/v1`` (``/health``, ``/ready``, ``/docs``, ``/openapi.json``, the UI) -> none.

Routers may also declare ``Depends(require_scope("write"))`` (or ``ApiKeyDep``) -- this
adds the security scheme to the OpenAPI document and re-checks the scope.

Rate limits
-----------
A token bucket per API key (anonymous requests: per client IP) holding
``settings.rate_limit_per_minute`` tokens (a key may carry its own limit), refilled
continuously; see :class:`RateLimiter`. Buckets live in memory, per process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from patentnav.errors import ConfigError, InvalidInput, NotFound, PatentnavError
from patentnav.settings import Settings

log = logging.getLogger(__name__)

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
#: what each scope allows
IMPLIED: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}

KEY_PREFIX = "pnk_"
_ID_HEX = 12
_KEY_RE = re.compile(r"^pnk_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$")
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32
STORE_FORMAT = 1

API_PREFIX = "/v1"
ADMIN_PREFIX = "/v1/admin"
#: (HTTP method or "*", path regex) needing the ``write`` scope
WRITE_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("*", re.compile(r"^/v1/ingest(/|$)")),
    ("POST", re.compile(r"^/v1/high-value/recompute/?$")),
    ("PUT", re.compile(r"^/v1/")),
    ("PATCH", re.compile(r"^/v1/")),
    ("DELETE", re.compile(r"^/v1/")),
)


# -- errors -----------------------------------------------------------------------------------
class Unauthorized(PatentnavError):
    """No API key, or an unknown / revoked / malformed one."""

    status_code = 401
    code = "unauthorized"


class Forbidden(PatentnavError):
    """The API key lacks the scope the endpoint needs."""

    status_code = 403
    code = "forbidden"


class RateLimited(PatentnavError):
    """Too many requests for this key (or client address)."""

    status_code = 429
    code = "rate_limited"


class KeyNotFound(NotFound):
    """No API key with this id."""


# -- hashing ----------------------------------------------------------------------------------
def _scrypt(key: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(key.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=256 * r * n + (1 << 20))


def hash_key(key: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> dict[str, Any]:
    """A fresh salted scrypt hash of ``key`` with its parameters (what the store keeps)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(key, salt, n, r, p, SCRYPT_DKLEN)
    return {"algo": "scrypt", "n": n, "r": r, "p": p, "salt": salt.hex(), "hash": digest.hex()}


def check_key_hash(key: str, record: dict[str, Any]) -> bool:
    """Whether ``key`` matches a stored hash (constant-time comparison)."""
    if record.get("algo") != "scrypt":
        return False
    digest = _scrypt(key, bytes.fromhex(record["salt"]), int(record["n"]), int(record["r"]),
                     int(record["p"]), len(bytes.fromhex(record["hash"])))
    return hmac.compare_digest(digest, bytes.fromhex(record["hash"]))


def parse_key(key: str) -> str | None:
    """The public id of a well-formed key, else None."""
    m = _KEY_RE.match(key.strip())
    return m.group(1) if m else None


def parse_scopes(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"read,write"`` -> ``["read", "write"]`` (validated, de-duplicated, ordered)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    scopes = [s.strip().lower() for s in items if s.strip()]
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)} (got {text!r})")
    return [s for s in SCOPES if s in scopes]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- the key store ------------------------------------------------------------------------------
@dataclass
class ApiKey:
    """One stored key: public fields plus its salted hash."""

    id: str
    name: str
    scopes: list[str]
    created: str
    hash: dict[str, Any] = field(repr=False)
    revoked: str | None = None
    rate_limit_per_minute: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    def allows(self, scope: str) -> bool:
        return any(scope in IMPLIED[s] for s in self.scopes if s in IMPLIED)

    def public(self) -> dict[str, Any]:
        """Everything but the hash."""
        d = asdict(self)
        d.pop("hash")
        d["active"] = self.active
        return d


def api_keys_path(settings: Settings) -> Path:
    return settings.api_keys_path or settings.var_dir / "api_keys.json"


class ApiKeyStore:
    """The JSON key file: ``{"format": 1, "keys": [ApiKey...]}``.

    Writes replace the file atomically (temporary file + rename, mode 0600) under an
    exclusive ``flock`` on ``<file>.lock``, so the CLI and a running API can share it.
    Reads reload the file when its modification time or size changed.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._keys: dict[str, ApiKey] = {}
        self._stamp: tuple[int, int] | None = None
        self._loaded = False
        self._checked = 0.0
        #: bumped on every reload (verification caches compare it)
        self.version = 0

    # -- file -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _read(self) -> dict[str, ApiKey]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"API key store {self.path} is unreadable: {exc}") from exc
        if data.get("format") != STORE_FORMAT:
            raise ConfigError(f"API key store {self.path} has format {data.get('format')!r}")
        return {k["id"]: ApiKey(**k) for k in data.get("keys", [])}

    def _write(self, keys: dict[str, ApiKey]) -> None:
        body = {"format": STORE_FORMAT, "keys": [asdict(k) for k in keys.values()]}
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def refresh(self, *, max_age: float = 1.0) -> None:
        """Reload the file if it changed (checked at most every ``max_age`` seconds)."""
        now = time.monotonic()
        with self._lock:
            if self._loaded and now - self._checked < max_age:
                return
            self._checked = now
            stamp = self._stat()
            if not self._loaded or stamp != self._stamp:
                self._keys = self._read()
                self._stamp, self._loaded = stamp, True
                self.version += 1

    @contextlib.contextmanager
    def _mutate(self) -> Iterator[dict[str, ApiKey]]:
        with self._lock, self._file_lock():
            keys = self._read()
            yield keys
            self._write(keys)
            self._keys, self._stamp, self._checked = keys, self._stat(), time.monotonic()
            self._loaded = True
            self.version += 1

    # -- operations ----------------------------------------------------------------------
    def create(self, name: str, scopes: str | list[str], *,
               rate_limit_per_minute: int | None = None) -> tuple[ApiKey, str]:
        """A new key; returns (its record, the full key text -- shown once, never stored)."""
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("a key needs a name of 1..200 characters")
        if rate_limit_per_minute is not None and rate_limit_per_minute < 0:
            raise InvalidInput("rate_limit_per_minute must be >= 0")
        scope_list = parse_scopes(scopes)
        with self._mutate() as keys:
            key_id = secrets.token_hex(_ID_HEX // 2)
            while key_id in keys:
                key_id = secrets.token_hex(_ID_HEX // 2)
            text = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
            record = ApiKey(id=key_id, name=name, scopes=scope_list, created=_now(),
                            hash=hash_key(text), rate_limit_per_minute=rate_limit_per_minute)
            keys[key_id] = record
        log.info("API key %s (%s) created with scopes %s", key_id, name, ",".join(scope_list))
        return record, text

    def list_keys(self) -> list[ApiKey]:
        self.refresh(max_age=0)
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: (k.created, k.id))

    def get(self, key_id: str) -> ApiKey | None:
        """The record of ``key_id``; an id not known yet makes the file be checked again
        at once (a key created by the CLI works immediately; a stat is cheap)."""
        self.refresh()
        with self._lock:
            record = self._keys.get(key_id)
        if record is None:
            self.refresh(max_age=0)
            with self._lock:
                record = self._keys.get(key_id)
        return record

    def revoke(self, key_id: str) -> ApiKey:
        with self._mutate() as keys:
            record = keys.get(key_id)
            if record is None:
                raise KeyNotFound(f"no API key with id {key_id!r}")
            if record.revoked is None:
                record.revoked = _now()
        log.info("API key %s revoked", key_id)
        return record


# -- verification ---------------------------------------------------------------------------------
class KeyVerifier:
    """Checks presented keys against the store, remembering verified ones (see module doc)."""

    def __init__(self, store: ApiKeyStore) -> None:
        self.store = store
        self._pepper = secrets.token_bytes(32)
        self._cache: dict[str, tuple[bytes, int]] = {}
        self._lock = threading.Lock()

    def _fingerprint(self, key: str) -> bytes:
        return hmac.new(self._pepper, key.encode("utf-8"), hashlib.sha256).digest()

    def lookup(self, key: str) -> tuple[ApiKey | None, bool]:
        """(the active record for a well-formed key with a known id, whether the answer
        is already known to be valid -- i.e. no scrypt needed)."""
        key_id = parse_key(key)
        if key_id is None:
            return None, False
        record = self.store.get(key_id)
        if record is None or not record.active:
            return None, False
        with self._lock:
            cached = self._cache.get(key_id)
        if cached and cached[1] == self.store.version and hmac.compare_digest(
                cached[0], self._fingerprint(key)):
            return record, True
        return record, False

    def verify(self, key: str) -> ApiKey | None:
        """The active key record for ``key``, or None (may run one scrypt: call it off the
        event loop)."""
        record, known = self.lookup(key)
        if record is None or known:
            return record
        if not check_key_hash(key.strip(), record.hash):
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[record.id] = (self._fingerprint(key), self.store.version)
        return record


def key_from_headers(headers: Any) -> str | None:
    """The key sent as ``X-API-Key`` or ``Authorization: Bearer`` (None if neither)."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def required_scope(method: str, path: str, settings: Settings) -> str | None:
    """The scope a request needs (None = no key needed); see the module doc."""
    if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
        return None
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
        return "admin"
    method = method.upper()
    for m, pattern in WRITE_ROUTES:
        if (m == "*" or m == method) and pattern.match(path):
            return "write"
    return "read" if settings.require_api_key_for_reads else None


# -- rate limits -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    #: seconds until the bucket is full again
    reset: int
    #: seconds until the next request would be allowed (0 when allowed)
    retry_after: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"x-ratelimit-limit", str(self.limit).encode()),
               (b"x-ratelimit-remaining", str(self.remaining).encode()),
               (b"x-ratelimit-reset", str(self.reset).encode())]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after).encode()))
        return out


class RateLimiter:
    """Token buckets in memory: ``limit`` tokens per minute per bucket, refilled
    continuously, bursts up to ``limit``. Idle full buckets are dropped when there are
    many."""

    def __init__(self, *, clock: Any = time.monotonic, max_buckets: int = 50_000) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self.max_buckets = max_buckets

    def take(self, bucket: str, limit: int) -> RateDecision:
        """Spend one token from ``bucket`` (capacity ``limit`` per minute)."""
        rate = limit / 60.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(bucket, (float(limit), now))
            tokens = min(float(limit), tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[bucket] = (tokens, now)
            if len(self._buckets) > self.max_buckets:
                self._prune(now)
        reset = math.ceil((limit - tokens) / rate) if rate else 0
        retry = 0 if allowed else max(1, math.ceil((1.0 - tokens) / rate))
        return RateDecision(allowed, limit, int(tokens), reset, retry)

    def _prune(self, now: float) -> None:
        idle = [b for b, (tok, last) in self._buckets.items() if now - last > 60.0]
        for b in idle:
            del self._buckets[b]


# -- what the application holds ----------------------------------------------------------------------
class ApiSecurity:
    """Key store, verifier and rate limiter of one application (``app.state.security``)."""

    def __init__(self, settings: Settings, *, store: ApiKeyStore | None = None,
                 limiter: RateLimiter | None = None) -> None:
        self.settings = settings
        self.store = store or ApiKeyStore(api_keys_path(settings))
        self.verifier = KeyVerifier(self.store)
        self.limiter = limiter or RateLimiter()

    def limit_for(self, key: ApiKey | None) -> int:
        if key is not None and key.rate_limit_per_minute is not None:
            return key.rate_limit_per_minute
        return self.settings.rate_limit_per_minute


# -- FastAPI dependencies ---------------------------------------------------------------------------
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="API key (`patentnav keys create`).")
_bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token.")

#: request.state attribute holding the verified key (set by the middleware)
STATE_KEY = "api_key"


def _security_of(request: Request) -> ApiSecurity:
    security = getattr(request.app.state, "security", None)
    if security is None:
        raise ConfigError("API security is not installed (search_api.middleware.install_middleware)")
    return security


def current_api_key(
    request: Request,
    x_api_key: Annotated[str | None, Depends(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> ApiKey | None:
    """The verified key of the request, or None when none was sent.

    The middleware has normally verified it already (``request.state.api_key``); a key
    sent but not verified (no middleware) is checked here. An invalid key is 401.
    """
    if hasattr(request.state, STATE_KEY):
        return getattr(request.state, STATE_KEY)
    text = x_api_key or (bearer.credentials if bearer else None)
    if not text:
        return None
    record = _security_of(request).verifier.verify(text)
    if record is None:
        raise Unauthorized("invalid or revoked API key")
    return record


ApiKeyDep = Annotated[ApiKey | None, Depends(current_api_key)]


def require_scope(scope: Scope):
    """A dependency: the request must carry an active key allowing ``scope``
    (401 without a key, 403 with a key lacking the scope). Returns the key."""
    if scope not in IMPLIED:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(key: ApiKeyDep) -> ApiKey:
        if key is None:
            raise Unauthorized(f"this endpoint needs an API key with the {scope!r} scope "
                               "(header X-API-Key or Authorization: Bearer)")
        if not key.allows(scope):
            raise Forbidden(f"API key {key.id} lacks the {scope!r} scope "
                            f"(it has {', '.join(key.scopes)})")
        return key

    dependency.__name__ = f"require_{scope}_scope"
    return dependency
