"""A small real dataset, its search indexes and a running API, built once per test session.

The dataset is a subset of the bundled real data (``settings.data_dir``), written to a
temporary data folder at test time (nothing is copied into the repository):

* ``patents/ccf_bdci2022_patsnap_fewshot_train.jsonl`` -- the first 150 PatSnap records
  plus every record mentioning 电池 (title, applicant, abstract);
* ``patents/lxingy3_cn_patents_title_ipc.csv`` -- every record whose title mentions 电池
  plus the first 200 others (publication number, title, IPC subclasses);
* ``patents/patentsemantix_zhuanli_zongbiao_sample10.csv`` -- all 10 full-schema records
  (application/publication numbers, dates, applicants, inventors, claim 1);
* ``ipc/wipo_ipc_scheme_en_2020.tsv`` -- sections, classes and subclasses only;
* the other reference folders (SEI concordance, Chongqing lists, universities, listed
  companies, technology demands) are linked as they are.

It goes through the real pipeline (``ingest.pipeline.ingest_all`` on the embedded store),
the real index build (``embeddings.build.build_indexes``, default encoder) and the real
application factory (``create_app(settings)``, which opens the graph read-only).
"""

from __future__ import annotations

import atexit
import csv
import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from patentnav.settings import Settings

REAL_DATA = Settings().data_dir
CCF = "ccf_bdci2022_patsnap_fewshot_train.jsonl"
LXINGY3 = "lxingy3_cn_patents_title_ipc.csv"
SAMPLE10 = "patentsemantix_zhuanli_zongbiao_sample10.csv"
IPC_TSV = Path("ipc") / "wipo_ipc_scheme_en_2020.tsv"
LINKED = ("concordance", "chongqing_industry", "orgs", "companies", "tech_demand")


@dataclass
class ApiDataset:
    settings: Settings
    client: TestClient
    #: the records written to the subset files, by source file
    ccf: list[dict[str, Any]]
    lxingy3: list[dict[str, str]]
    sample10: list[dict[str, str]]
    seconds: dict[str, float]


def write_subset(data_dir: Path, *, ccf_first: int = 150, lx_first: int = 200) -> dict[str, list]:
    """Write the subset files described in the module doc into ``data_dir``."""
    pat = data_dir / "patents"
    pat.mkdir(parents=True)
    src = REAL_DATA / "patents"
    ccf: list[dict[str, Any]] = []
    with (src / CCF).open(encoding="utf-8") as fh, (pat / CCF).open("w", encoding="utf-8") as out:
        for i, line in enumerate(fh):
            rec = json.loads(line)
            if i < ccf_first or "电池" in rec.get("title", "") + rec.get("abstract", ""):
                out.write(line)
                ccf.append(rec)
    lx: list[dict[str, str]] = []
    with (src / LXINGY3).open(encoding="utf-8") as fh, \
            (pat / LXINGY3).open("w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        others = 0
        for row in reader:
            battery = "电池" in row["title"]
            if battery or others < lx_first:
                others += not battery
                writer.writerow(row)
                lx.append(row)
    (pat / SAMPLE10).write_bytes((src / SAMPLE10).read_bytes())
    with (src / SAMPLE10).open(encoding="utf-8") as fh:
        sample10 = list(csv.DictReader(fh))
    (data_dir / "ipc").mkdir()
    with (REAL_DATA / IPC_TSV).open(encoding="utf-8") as fh, \
            (data_dir / IPC_TSV).open("w", encoding="utf-8") as out:
        for line in fh:
            if len(line.split("\t", 1)[0]) <= 4:  # section, class, subclass
                out.write(line)
    for name in LINKED:
        (data_dir / name).symlink_to(REAL_DATA / name, target_is_directory=True)
    return {"ccf": ccf, "lxingy3": lx, "sample10": sample10}


_STATE: dict[str, ApiDataset] = {}


def api_dataset(base: Path) -> ApiDataset:
    """Build (once per process) the subset graph, its indexes and a started TestClient."""
    if "ds" in _STATE:
        return _STATE["ds"]
    import time

    from embeddings.build import build_indexes
    from embeddings.encoder import create_encoder
    from graph.embedded import EmbeddedStore
    from ingest.pipeline import ingest_all
    from search_api.app import create_app

    data_dir = base / "data"
    records = write_subset(data_dir)
    settings = Settings(
        data_dir=data_dir, var_dir=base / "var", embedded_buffer_pool_mb=256, index_workers=1
    )
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    store = EmbeddedStore.open(settings.graph_path, buffer_pool_mb=256)
    try:
        store.init_schema()
        ingest_all(store, settings, progress=False)
        seconds["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        encoder = create_encoder(settings)
        build_indexes(store, encoder, settings, progress=False)
        seconds["index"] = time.perf_counter() - t
    finally:
        store.close()
    stack = ExitStack()
    atexit.register(stack.close)
    app = create_app(settings)
    client = stack.enter_context(TestClient(app))
    ds = ApiDataset(settings, client, records["ccf"], records["lxingy3"], records["sample10"],
                    seconds)
    _STATE["ds"] = ds
    return ds
