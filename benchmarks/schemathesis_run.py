"""Property-based API fuzzing with schemathesis against the app's own OpenAPI document.

Copies a var dir (``--var-dir``, or a demo built with ``--build-demo DIR``; ``--empty``
uses a fresh, empty one: every capability then answers 503) into a temporary folder,
creates an ``admin`` API key there (so the write routes are exercised too; the copy
absorbs whatever the fuzzer uploads), starts the API on 127.0.0.1 with rate limits off
and runs::

    schemathesis run http://127.0.0.1:<port>/openapi.json --checks not_a_server_error \
        --max-examples N --workers 1 -H "X-API-Key: <admin key>" --report junit

then prints the operations tested and every server error (5xx) found, per operation,
from the JUnit report, and the exit status. ``--checks all`` also checks status codes,
content types and response schemas against the spec.

Needs ``pip install schemathesis`` (4.x) in the virtualenv.

Run: ``python benchmarks/schemathesis_run.py --build-demo /tmp/pn-demo --max-examples 20``
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import Server, build_demo


def schemathesis_bin() -> str:
    exe = Path(sys.executable).with_name("schemathesis")
    if exe.exists():
        return str(exe)
    found = shutil.which("schemathesis")
    if not found:
        raise SystemExit("schemathesis is not installed: pip install schemathesis")
    return found


def copy_var_dir(src: Path, dst: Path) -> None:
    """Graph, index, denominators... but not the previous runs' uploads / jobs / keys."""
    skip = {"uploads", "jobs", "api_keys.json", "api_keys.json.lock", "reports"}
    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name in skip or item.name.startswith("bench_"):
            continue
        if item.is_dir():
            shutil.copytree(item, dst / item.name)
        else:
            shutil.copy2(item, dst / item.name)


def parse_junit(path: Path) -> tuple[int, dict[str, list[str]]]:
    """(test cases, {operation: [failure messages]}) from schemathesis' JUnit report."""
    tree = ET.parse(path)
    cases = 0
    failures: dict[str, list[str]] = {}
    for case in tree.iter("testcase"):
        cases += 1
        for tag in ("failure", "error"):
            for f in case.findall(tag):
                text = (f.get("message") or "") + "\n" + (f.text or "")
                failures.setdefault(case.get("name", "?"), []).append(text.strip())
    return cases, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--var-dir", type=Path, help="Existing var dir (copied, not modified).")
    src.add_argument("--build-demo", type=Path, metavar="DIR",
                     help="Build the demo into DIR first (reused if present), then copy it.")
    src.add_argument("--empty", action="store_true", help="A fresh empty var dir (no graph).")
    ap.add_argument("--max-examples", type=int, default=10, help="Cases per operation (default 10).")
    ap.add_argument("--checks", default="not_a_server_error",
                    help="schemathesis checks (default not_a_server_error; 'all' for every check).")
    ap.add_argument("--max-time", type=int, default=300,
                    help="Time budget of the schemathesis run in s (default 300).")
    ap.add_argument("--request-timeout", type=float, default=60.0, help="Per-request timeout (s).")
    ap.add_argument("--seed", type=int, default=20261121, help="Random seed (reproducible runs).")
    ap.add_argument("--phases", default="examples,fuzzing",
                    help="schemathesis phases (default examples,fuzzing; 'coverage' adds "
                    "boundary cases for every parameter -- thousands of requests).")
    ap.add_argument("--exclude-path-regex", default=None,
                    help="Operations to leave out (passed to schemathesis), e.g. a known crasher.")
    ap.add_argument("--keep", action="store_true", help="Keep the temporary var dir and reports.")
    args = ap.parse_args()

    from patentnav.settings import Settings
    from search_api.security import ApiKeyStore, api_keys_path

    work = Path(tempfile.mkdtemp(prefix="pn-schemathesis-"))
    var_dir = work / "var"
    if args.empty:
        var_dir.mkdir()
    else:
        source = args.var_dir
        if args.build_demo is not None:
            source = args.build_demo
            if not (source / "index" / "bundle.json").exists():
                print(f"building the demo into {source} ...", flush=True)
                print("demo:", build_demo(source), flush=True)
        copy_var_dir(source, var_dir)
    _, key = ApiKeyStore(api_keys_path(Settings(var_dir=var_dir))).create("schemathesis", "admin")
    log_file = work / "server.log"
    server = Server(var_dir, env={"PATENTNAV_RATE_LIMIT_PER_MINUTE": "0"}, log_file=log_file,
                    log_level="warning").start()
    junit = work / "junit.xml"
    try:
        waited = server.wait("/health", timeout=180)
        if not args.empty:
            server.wait("/ready", timeout=300)
        print(f"API at {server.url} (up after {waited:.1f}s); var dir copy {var_dir}", flush=True)
        cmd = [schemathesis_bin(), "run", f"{server.url}/openapi.json",
               "--checks", args.checks, "--max-examples", str(args.max_examples),
               "--workers", "1", "--seed", str(args.seed), "--phases", args.phases,
               "--max-time", str(args.max_time), "--request-timeout", str(args.request_timeout),
               "--suppress-health-check", "all", "--no-shrink",
               "-H", f"X-API-Key: {key}", "--report", "junit", "--report-junit-path", str(junit)]
        if args.exclude_path_regex:
            cmd += ["--exclude-path-regex", args.exclude_path_regex]
        print("running:", " ".join(c if not c.startswith("X-API-Key") else "X-API-Key: ***"
                                   for c in cmd), flush=True)
        t = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work, check=False,
                                  timeout=args.max_time + 300)
        except subprocess.TimeoutExpired as exc:
            raise SystemExit(f"schemathesis did not finish within {args.max_time + 300}s") from exc
        seconds = time.perf_counter() - t
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        print(tail)
        if proc.returncode not in (0, 1):
            print(proc.stderr[-4000:], file=sys.stderr)
        if not junit.exists():
            raise SystemExit(f"no JUnit report (schemathesis exit {proc.returncode})")
        died = server.proc.poll() if server.proc is not None else None
        if died is not None:
            print(f"\n!! the API process died during the run: exit {died}"
                  f"{' (SIGSEGV)' if died == -11 else ''}; see {log_file}")
        cases, failures = parse_junit(junit)
        server_errors: Counter[str] = Counter()
        for op, msgs in failures.items():
            for m in msgs:
                if re.search(r"Server error|\b5\d\d\b", m):
                    server_errors[op] += 1
        print(f"\nschemathesis {args.checks}: {cases} operations in {seconds:.0f}s, "
              f"{len(failures)} with failures, {sum(server_errors.values())} server-error "
              f"findings in {len(server_errors)} operations (exit {proc.returncode})")
        for op, msgs in sorted(failures.items()):
            print(f"  FAIL {op}")
            for m in msgs[:3]:
                print("     ", m.splitlines()[0][:300] if m else "")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
