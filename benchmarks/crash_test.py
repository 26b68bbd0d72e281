"""Crash test: ``kill -9`` the API while an ingest job runs, restart, re-submit, and check
the graph and the search index against a clean run.

1. **Base** var dir (built once, in this process): the embedded graph with the CCF BDCI
   2022 PatSnap file of ``settings.data_dir`` ingested and the search indexes built.
2. **Clean run**: a copy of the base; the API (uvicorn on 127.0.0.1) gets the upload file
   (default: the real lxingy3 IPC table, 9,740 rows, read from ``settings.data_dir``) as
   ``POST /v1/ingest/jobs``; the job ingests it and updates the index incrementally.
   Its timings give ``T`` = ingest + index seconds.
3. **Crash runs**, one per ``--kill-at`` fraction f: a fresh copy of the base, the same
   upload, ``SIGKILL`` of the server f*T seconds after the job started running (so
   early/late fractions land in the graph writes, later ones in the index update or its
   save), restart, check the job is reported ``failed``/``interrupted``, submit the file
   again, wait for it.
4. Each run's var dir is then opened read-only and compared with the clean run: node
   counts per label and relationship counts per type must be equal; the vector, keyword
   and catalog components must each hold exactly the graph's patents (counts and every
   patent id present in the vector index).

Prints one line per run and exits non-zero when a check fails.
Run: ``python benchmarks/crash_test.py [--kill-at 0.2,0.5,0.8,0.97] [--upload FILE]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import Server

BASE_FILE = "ccf_bdci2022_patsnap_fewshot_train.jsonl"
UPLOAD_FILE = "lxingy3_cn_patents_title_ipc.csv"


def build_base(var_dir: Path, data_dir: Path) -> dict[str, Any]:
    from embeddings.build import build_indexes
    from embeddings.encoder import create_encoder
    from graph.embedded import EmbeddedStore
    from ingest.pipeline import ingest_file
    from patentnav.settings import Settings

    settings = Settings(var_dir=var_dir, data_dir=data_dir, embedded_buffer_pool_mb=512)
    t = time.perf_counter()
    with EmbeddedStore.open(settings.graph_path, buffer_pool_mb=512) as store:
        ingest_file(store, data_dir / "patents" / BASE_FILE, settings, progress=False)
        bundle = build_indexes(store, create_encoder(settings), settings, progress=False)
        patents = store.count_nodes().get("Patent", 0)
    return {"patents": patents, "indexed": len(bundle), "seconds": round(time.perf_counter() - t, 1)}


def copy_base(base: Path, dst: Path) -> Path:
    shutil.copytree(base, dst)
    return dst


def submit(server: Server, key: str, upload: Path) -> str:
    with upload.open("rb") as fh:
        r = httpx.post(f"{server.url}/v1/ingest/jobs", headers={"X-API-Key": key},
                       files={"file": (upload.name, fh, "text/csv")}, timeout=300)
    r.raise_for_status()
    return r.json()["job_id"]


def job(server: Server, key: str, job_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/v1/ingest/jobs/{job_id}", headers={"X-API-Key": key}, timeout=30)
    r.raise_for_status()
    return r.json()


def wait_status(server: Server, key: str, job_id: str, states: tuple[str, ...],
                timeout: float, poll: float = 0.05) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        j = job(server, key, job_id)
        if j["status"] in states:
            return j
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {j['status']} after {timeout:.0f}s")
        time.sleep(poll)


def make_key(var_dir: Path) -> str:
    from patentnav.settings import Settings
    from search_api.security import ApiKeyStore, api_keys_path

    return ApiKeyStore(api_keys_path(Settings(var_dir=var_dir))).create("crash-test", "write")[1]


def inspect(var_dir: Path) -> dict[str, Any]:
    """Graph counts and index consistency of a stopped var dir."""
    from embeddings.build import IndexBundle
    from graph.embedded import EmbeddedStore

    with EmbeddedStore.open(var_dir / "graph.lbug", buffer_pool_mb=512, read_only=True) as store:
        nodes = store.count_nodes()
        rels = store.count_relationships()
        ids = [r["id"] for r in store.run("ingest_patent_keys")]
    bundle = IndexBundle.load(var_dir / "index")
    missing = [i for i in ids if not bundle.vector.contains(i)]
    leftovers = sorted(p.name for p in var_dir.iterdir() if ".tmp-" in p.name or ".old-" in p.name)
    return {
        "nodes": nodes, "relationships": rels, "patents": len(ids),
        "vector": len(bundle.vector), "keyword": len(bundle.keyword), "catalog": len(bundle.catalog),
        "missing_in_vector": len(missing), "leftovers": leftovers,
    }


def check(run: dict[str, Any], clean: dict[str, Any]) -> list[str]:
    problems = []
    if run["nodes"] != clean["nodes"]:
        diff = {k: (run["nodes"].get(k), v) for k, v in clean["nodes"].items() if run["nodes"].get(k) != v}
        problems.append(f"node counts differ (run, clean): {diff}")
    if run["relationships"] != clean["relationships"]:
        diff = {k: (run["relationships"].get(k), v) for k, v in clean["relationships"].items()
                if run["relationships"].get(k) != v}
        problems.append(f"relationship counts differ (run, clean): {diff}")
    for comp in ("vector", "keyword", "catalog"):
        if run[comp] != run["patents"]:
            problems.append(f"{comp} index holds {run[comp]} patents, graph {run['patents']}")
    if run["missing_in_vector"]:
        problems.append(f"{run['missing_in_vector']} graph patents missing from the vector index")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kill-at", default="0.2,0.5,0.8,0.97",
                    help="Fractions of the clean job's duration at which to kill -9.")
    ap.add_argument("--upload", type=Path, default=None,
                    help=f"File to ingest (default <data_dir>/patents/{UPLOAD_FILE}).")
    ap.add_argument("--work", type=Path, default=None, help="Work folder (default: a temp dir).")
    ap.add_argument("--job-timeout", type=float, default=900.0, help="Seconds a job may take.")
    ap.add_argument("--keep", action="store_true", help="Keep the work folder.")
    args = ap.parse_args()
    fractions = [float(f) for f in args.kill_at.split(",") if f.strip()]
    if not fractions or any(not 0 < f < 2 for f in fractions) or len(fractions) > 20:
        ap.error("--kill-at: 1..20 fractions in (0, 2)")

    from patentnav.settings import Settings

    data_dir = Settings().data_dir
    upload = args.upload or data_dir / "patents" / UPLOAD_FILE
    work = args.work or Path(tempfile.mkdtemp(prefix="pn-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {"PATENTNAV_RATE_LIMIT_PER_MINUTE": "0", "PATENTNAV_DATA_DIR": str(data_dir),
           "PATENTNAV_EMBEDDED_BUFFER_POOL_MB": "512"}
    failures = 0
    try:
        base = work / "base"
        if not (base / "index" / "bundle.json").exists():
            print("base:", build_base(base, data_dir), flush=True)

        # -- clean run --------------------------------------------------------------------
        clean_dir = copy_base(base, work / "clean")
        key = make_key(clean_dir)
        server = Server(clean_dir, env=env, log_file=work / "clean.log").start()
        try:
            server.wait("/ready", timeout=300)
            job_id = submit(server, key, upload)
            done = wait_status(server, key, job_id, ("succeeded", "failed"), args.job_timeout)
        finally:
            server.stop()
        if done["status"] != "succeeded":
            raise SystemExit(f"the clean job failed: {done['error']}")
        t = done["timings"]
        busy = t.get("ingest_s", 0) + t.get("index_s", 0)
        s = done["summary"]
        print(f"clean: {s['read']} read, {s['loaded']} loaded, {s['merged']} merged, "
              f"{s['rejected']} rejected; ingest {t.get('ingest_s')}s, index {t.get('index_s')}s "
              f"({done['index']})", flush=True)
        clean = inspect(clean_dir)
        print(f"clean: {clean['patents']} patents, {sum(clean['nodes'].values())} nodes, "
              f"{sum(clean['relationships'].values())} relationships, vector {clean['vector']}",
              flush=True)
        problems = check(clean, clean)
        if problems:
            failures += 1
            print("  CLEAN RUN INCONSISTENT:", *problems, sep="\n  ")

        # -- crash runs ------------------------------------------------------------------------
        results = []
        for i, frac in enumerate(fractions):
            run_dir = copy_base(base, work / f"crash{i}")
            key = make_key(run_dir)
            log = work / f"crash{i}.log"
            server = Server(run_dir, env=env, log_file=log).start()
            try:
                server.wait("/ready", timeout=300)
                job_id = submit(server, key, upload)
                wait_status(server, key, job_id, ("running", "succeeded", "failed"), 120, poll=0.02)
                time.sleep(frac * busy)
                server.kill9()
            finally:
                server.stop()
            rec = json.loads((run_dir / "jobs" / f"{job_id}.json").read_text(encoding="utf-8"))
            phase = ("finished" if rec["status"] in ("succeeded", "failed")
                     else "index" if "ingest_s" in rec.get("timings", {}) else "ingest")
            server = Server(run_dir, env=env, log_file=log).start()
            try:
                server.wait("/health", timeout=300)
                after = job(server, key, job_id)
                again = submit(server, key, upload)
                second = wait_status(server, key, again, ("succeeded", "failed"), args.job_timeout)
            finally:
                server.stop()
            state = inspect(run_dir)
            problems = check(state, clean)
            if second["status"] != "succeeded":
                problems.append(f"re-submitted job {second['status']}: {second.get('error')}")
            if phase != "finished" and not (after["status"] == "failed"
                                             and (after.get("error") or {}).get("code") == "interrupted"):
                problems.append(f"killed job shows {after['status']} {after.get('error')}")
            results.append((frac, phase, problems))
            failures += bool(problems)
            print(f"kill at {frac:.2f}*T = {frac * busy:5.1f}s during {phase:<8} -> after restart "
                  f"job {after['status']}/{(after.get('error') or {}).get('code')}; re-run "
                  f"{second['status']}; patents {state['patents']} (clean {clean['patents']}), "
                  f"vector {state['vector']}, keyword {state['keyword']}, catalog {state['catalog']}"
                  f"{'; leftovers ' + ','.join(state['leftovers']) if state['leftovers'] else ''}: "
                  f"{'CONSISTENT' if not problems else 'INCONSISTENT'}", flush=True)
            for p in problems:
                print("    ", p)
        print(f"\n{len(results)} kill -9 runs, {failures} with problems")
    finally:
        if args.keep or failures:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
