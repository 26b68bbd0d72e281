"""Helpers shared by the reliability scripts (load_test, schemathesis_run, crash_test):
build a demo var dir, start / stop the API on 127.0.0.1 in a child process, wait for it.

Only loopback: the server is always bound to 127.0.0.1 and clients only talk to it.
The child gets its configuration through ``PATENTNAV_*`` variables (read by
:class:`patentnav.settings.Settings` in the child).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def build_demo(var_dir: Path, *, data_dir: Path | None = None) -> dict[str, Any]:
    """Ingest the bundled real data into ``var_dir`` and build the indexes
    (``patentnav demo --no-serve`` into another folder)."""
    from patentnav.commands.serve import build_demo as _build
    from patentnav.settings import Settings

    kw: dict[str, Any] = {"var_dir": var_dir, "embedded_buffer_pool_mb": 1024}
    if data_dir is not None:
        kw["data_dir"] = data_dir
    t = time.perf_counter()
    figures = _build(Settings(**kw), silent=True)
    figures["seconds"] = round(time.perf_counter() - t, 1)
    figures.pop("ingest", None)
    return figures


class Server:
    """The API in a child process (``uvicorn search_api.app:create_app --factory``)."""

    def __init__(self, var_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None,
                 log_file: Path | None = None, log_level: str = "warning") -> None:
        self.var_dir = Path(var_dir)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.extra_env = env or {}
        self.log_file = log_file
        self.log_level = log_level
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> Server:
        env = {**os.environ, "PATENTNAV_VAR_DIR": str(self.var_dir),
               "PATENTNAV_EMBEDDED_BUFFER_POOL_MB": "1024", **self.extra_env}
        # kept open for the child's lifetime, closed by stop() / kill9()
        self._log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "search_api.app:create_app", "--factory",
             "--host", HOST, "--port", str(self.port), "--log-level", self.log_level,
             "--no-access-log"],
            cwd=str(ROOT), env=env, stdout=self._log, stderr=self._log,
            start_new_session=True,
        )
        return self

    def wait(self, path: str = "/health", *, timeout: float = 180.0, ok=(200,)) -> float:
        """Poll ``path`` until it answers one of ``ok``; returns the seconds waited."""
        t0 = time.perf_counter()
        deadline = t0 + timeout
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"the API exited with code {self.proc.returncode} "
                                       f"(log: {self.log_file})")
                try:
                    if client.get(path).status_code in ok:
                        return time.perf_counter() - t0
                except httpx.HTTPError:
                    pass
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{self.url}{path} not ready after {timeout:.0f}s")
                time.sleep(0.25)

    def kill9(self) -> None:
        """SIGKILL the server (only the process this object started)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def stop(self, timeout: float = 90.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._close_log()

    def _close_log(self) -> None:
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None


@contextmanager
def running(var_dir: Path, **kw: Any) -> Iterator[Server]:
    server = Server(var_dir, **kw).start()
    try:
        yield server
    finally:
        server.stop()


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (``q`` in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]
