"""Loopback load test of the HTTP API.

Starts the API (uvicorn, one worker) on 127.0.0.1 over an existing var dir
(``--var-dir``) or over a demo var dir it builds first from the bundled real data
(``--build-demo DIR``: ingest + indexes, as ``patentnav demo --no-serve``), waits until
``/ready``, sends one untimed warm-up request per endpoint (the encoder loads on first
use), then runs ``--clients`` concurrent clients (default 16) for ``--duration``
seconds (default 60) or ``--max-requests`` requests, whichever comes first, over:

* ``search``     GET  /v1/search?q=...&limit=10
* ``landscape``  GET  /v1/navigation/landscape?q=...&limit=10   (if the route exists)
* ``matching``   POST /v1/match/demand {"text": ..., "k": 10}   (if the route exists)

with queries drawn round-robin from a fixed list of Chinese technology topics. Prints,
per endpoint: requests, throughput, p50/p95/p99/max latency and error counts by status
(plus transport errors), the load average before and after the run, and stops the
server it started. Rate limiting is off for the
run (``PATENTNAV_RATE_LIMIT_PER_MINUTE=0``) unless ``--rate-limit`` is given.

Only loopback: there is no option to target another host.

Run: ``python benchmarks/load_test.py --var-dir var`` or
``python benchmarks/load_test.py --build-demo /tmp/pn-demo --duration 30``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import Server, build_demo, percentile

QUERIES = [
    "锂电池正极材料", "固态电解质", "无人机飞行控制", "新能源汽车电池管理系统", "图像识别深度学习",
    "轨道交通转向架", "中药提取工艺", "半导体封装", "智能制造机器人", "数据加密传输",
    "光伏组件", "生物医药抗体", "摩托车发动机", "火锅底料", "桥梁检测", "页岩气开采",
]

ENDPOINTS: dict[str, tuple[str, str]] = {
    "search": ("GET", "/v1/search"),
    "landscape": ("GET", "/v1/navigation/landscape"),
    "matching": ("POST", "/v1/match/demand"),
}


def request_for(name: str, q: str) -> dict[str, Any]:
    if name == "search":
        return {"params": {"q": q, "limit": 10}}
    if name == "landscape":
        return {"params": {"q": q, "limit": 10}}
    return {"json": {"text": q, "k": 10}}


async def client_loop(client: httpx.AsyncClient, names: list[str], offset: int, stop_at: float,
                      budget: list[int], stats: dict[str, dict[str, Any]]) -> None:
    i = offset
    while time.perf_counter() < stop_at and budget[0] > 0:
        budget[0] -= 1
        name = names[i % len(names)]
        q = QUERIES[(i // len(names)) % len(QUERIES)]
        i += 1
        method, path = ENDPOINTS[name]
        t = time.perf_counter()
        try:
            r = await client.request(method, path, **request_for(name, q))
            status = r.status_code
        except httpx.HTTPError as exc:
            status = f"transport:{type(exc).__name__}"
        ms = (time.perf_counter() - t) * 1000
        s = stats[name]
        s["lat"].append(ms)
        s["status"][status] += 1


async def run_load(url: str, names: list[str], clients: int, duration: float,
                   max_requests: int, timeout: float) -> tuple[dict[str, dict[str, Any]], float]:
    stats: dict[str, dict[str, Any]] = defaultdict(lambda: {"lat": [], "status": Counter()})
    budget = [max_requests]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        t0 = time.perf_counter()
        stop_at = t0 + duration
        await asyncio.gather(*(client_loop(client, names, k, stop_at, budget, stats)
                               for k in range(clients)))
        elapsed = time.perf_counter() - t0
    return stats, elapsed


def report(stats: dict[str, dict[str, Any]], elapsed: float) -> dict[str, Any]:
    out: dict[str, Any] = {"elapsed_s": round(elapsed, 1), "endpoints": {}}
    print(f"\n{'endpoint':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8}  errors")
    total = 0
    for name, s in stats.items():
        lat = sorted(s["lat"])
        n = len(lat)
        total += n
        errors = {str(k): v for k, v in s["status"].items() if not (isinstance(k, int) and k < 400)}
        row = {"requests": n, "rps": round(n / elapsed, 1), "p50_ms": round(percentile(lat, 50), 1),
               "p95_ms": round(percentile(lat, 95), 1), "p99_ms": round(percentile(lat, 99), 1),
               "max_ms": round(lat[-1], 1) if lat else None, "errors": errors,
               "statuses": {str(k): v for k, v in s["status"].items()}}
        out["endpoints"][name] = row
        print(f"{name:<10} {n:>8} {row['rps']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} "
              f"{row['p99_ms']:>8} {row['max_ms']:>8}  {errors or 'none'}")
    out["total_requests"] = total
    out["total_rps"] = round(total / elapsed, 1) if elapsed else None
    print(f"total: {total} requests in {elapsed:.1f}s = {out['total_rps']} req/s")
    return out


def _fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--var-dir", type=Path, help="Existing var dir with a graph and indexes.")
    src.add_argument("--build-demo", type=Path, metavar="DIR",
                     help="Build the demo (real bundled data) into DIR first (reused if present).")
    ap.add_argument("--clients", type=int, default=16, help="Concurrent clients (default 16).")
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds of load (default 60).")
    ap.add_argument("--max-requests", type=int, default=100_000,
                    help="Stop after this many requests in total (default 100000).")
    ap.add_argument("--timeout", type=float, default=30.0, help="Per-request timeout (s).")
    ap.add_argument("--endpoints", default="search,landscape,matching",
                    help="Comma-separated subset of search, landscape, matching.")
    ap.add_argument("--rate-limit", type=int, default=0,
                    help="Server rate_limit_per_minute during the run (default 0 = off).")
    ap.add_argument("--ready-timeout", type=float, default=300.0, help="Seconds to wait for /ready.")
    ap.add_argument("--log", type=Path, default=None, help="Server log file.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = ap.parse_args()
    if args.clients < 1 or args.clients > 256 or args.duration <= 0 or args.duration > 3600:
        ap.error("--clients must be 1..256 and --duration 0..3600")

    var_dir = args.var_dir
    if args.build_demo is not None:
        var_dir = args.build_demo
        if not (var_dir / "index" / "bundle.json").exists():
            print(f"building the demo into {var_dir} ...", flush=True)
            print("demo:", build_demo(var_dir), flush=True)
    server = Server(var_dir, env={"PATENTNAV_RATE_LIMIT_PER_MINUTE": str(args.rate_limit)},
                    log_file=args.log).start()
    try:
        waited = server.wait("/ready", timeout=args.ready_timeout)
        print(f"API ready at {server.url} after {waited:.1f}s", flush=True)
        spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
        wanted = [n.strip() for n in args.endpoints.split(",") if n.strip()]
        names = []
        for n in wanted:
            method, path = ENDPOINTS[n]
            if method.lower() in spec.get("paths", {}).get(path, {}):
                names.append(n)
            else:
                print(f"skipping {n}: {method} {path} not in the API", flush=True)
        if not names:
            raise SystemExit("no endpoint to load")
        t = time.perf_counter()
        for n in names:  # untimed: loads the encoder / caches before the measured run
            method, path = ENDPOINTS[n]
            httpx.request(method, f"{server.url}{path}", timeout=300, **request_for(n, QUERIES[0]))
        print(f"warm-up {time.perf_counter() - t:.1f}s; {args.clients} clients x "
              f"{args.duration:.0f}s over {', '.join(names)} ...", flush=True)
        load_before = os.getloadavg()
        stats, elapsed = asyncio.run(run_load(server.url, names, args.clients, args.duration,
                                              args.max_requests, args.timeout))
        load_after = os.getloadavg()
        out = report(stats, elapsed)
        print(f"load average (1/5/15 min) before: {_fmt_load(load_before)}; after: "
              f"{_fmt_load(load_after)}; {os.cpu_count()} CPUs (client and server share them)")
        out.update(clients=args.clients, duration_s=args.duration, url=server.url,
                   var_dir=str(var_dir), cpus=os.cpu_count(),
                   loadavg_before=[round(x, 2) for x in load_before],
                   loadavg_after=[round(x, 2) for x in load_after])
        if args.json:
            args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
