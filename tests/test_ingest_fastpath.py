"""The columnar loader: new patents inserted straight from prepared columns, parsing in
worker processes, gathered inserts, background writes -- against the same file loaded
in one chunk in-process, a re-run, and a file whose patents are partly stored.

The test file is generated here (labelled ``generated:test``): a few hundred patents
with Chinese headers, some repeated (same application number, in the same chunk and in
later chunks; a publication-only row followed by the application row of the same
serial), transfers, citations between them, and bad rows.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.schema import SCHEMA
from ingest import reference
from ingest.chains import load_chains
from ingest.headers import map_headers
from ingest.normalize.regions import region_table
from ingest.patents import IngestSession
from ingest.pipeline import _classifiers
from ingest.prepare import prepare_in_workers
from ingest.readers import csv_spans
from ingest.report import RejectReport
from patentnav.errors import IngestError
from patentnav.settings import Settings

HEADERS = ["申请号", "申请日", "公开(公告)号", "公开(公告)日", "授权公告号", "专利名称", "摘要", "申请(专利权)人",
           "当前权利人", "发明人", "分类号", "申请人地址", "国省代码", "法律状态", "专利类型", "专利转移次数",
           "转让日期", "引证专利"]
ORGS = [("重庆大学", "重庆市沙坪坝区沙正街174号"), ("重庆长安汽车股份有限公司", "重庆市江北区建新东路260号"),
        ("西南大学", "重庆市北碚区天生路2号"), ("四川某某科技有限公司", "四川省成都市高新区1号"),
        ("重庆某某智能装备有限公司", "重庆市两江新区金渝大道1号"), ("张伟", "")]
CODES = ["H01M4/36", "H01M10/42", "G06F16/30", "G06N3/08", "B60L58/12", "A23L27/00", "C12N15/10", "H04W4/40"]
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def _app_no(year: int, serial: int) -> str:
    digits = f"{year}1{serial:07d}"
    r = sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11
    return f"CN{digits}.{'X' if r == 10 else r}"


def _rows(n: int, seed: int = 7) -> list[list[str]]:
    rnd = random.Random(seed)
    out: list[list[str]] = []
    pubs: list[str] = []
    for i in range(n):
        year = 2012 + i % 12
        app_d = date(year, 1 + i % 12, 1 + i % 28)
        org, addr = ORGS[rnd.randrange(len(ORGS))]
        apps = [org] + ([ORGS[rnd.randrange(len(ORGS))][0]] if rnd.random() < 0.3 else [])
        pub = f"CN{110_000_000 + i}A"
        granted = rnd.random() < 0.5
        codes = rnd.sample(CODES, rnd.randint(1, 3))
        transfers = rnd.random() < 0.1
        cites = ";".join(rnd.sample(pubs, min(2, len(pubs)))) if pubs and rnd.random() < 0.2 else ""
        pubs.append(pub)
        out.append([
            _app_no(year, i), app_d.strftime("%Y%m%d"), pub, (app_d + timedelta(days=300)).strftime("%Y-%m-%d"),
            f"CN{110_000_000 + i}B" if granted else "", f"一种电池管理系统{i}", f"本发明公开了一种用于新能源汽车的电池包{i}。",
            ";".join(dict.fromkeys(apps)), org, ";".join(rnd.sample(["王伟", "李娜", "张敏", "刘洋", "陈静"], 2)),
            ";".join(codes), addr, "重庆(50)" if addr.startswith("重庆") else "", "有权-审定授权", "发明公开",
            "1" if transfers else "0", (app_d + timedelta(days=500)).strftime("%Y%m%d") if transfers else "", cites,
        ])
    return out


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fastpath_files")
    rows = _rows(400)
    body = list(rows)
    body.insert(30, list(rows[10]))  # a repeat in the same (first) chunk
    body.append(list(rows[5]))  # a repeat in a later chunk
    body.insert(60, [""] * len(HEADERS))  # blank: skipped
    body.insert(61, ["", "", "", "", "", "一种没有编号的装置", "", "", "", "", "", "", "", "", "", "", "", ""])
    body.insert(62, [_app_no(2020, 999_999)] + [""] * (len(HEADERS) - 1))  # no title: rejected
    # a publication-only row right before the application row of the same serial (the
    # patent gets the application number as id while it is not written yet, so both rows
    # stay in one 50-row chunk, and in one span of about 50 lines where the workers read
    # spans: a chunk boundary between them would keep the first id)
    at = body.index(rows[180])
    assert at // 50 == (at + 1) // 50
    repeat = list(rows[180])
    repeat[0] = ""
    body.insert(at, repeat)
    full = _write(root / "generated_test_patents.csv", body)
    assert all(span.first_line != at + 3 for span in csv_spans(full, target_rows=50))  # lines at+2, at+3
    return {"full": full, "part": _write(root / "generated_test_patents_part.csv", rows[:150])}


def _store(path: Path) -> tuple[EmbeddedStore, Settings]:
    settings = Settings(var_dir=path)
    store = EmbeddedStore.open(path / "g.lbug", buffer_pool_mb=1024)  # 256 MB: MERGE fills it (upstream)
    store.init_schema()
    reference.load_regions(store)
    sei, chains = _classifiers(settings)
    if sei is not None:
        reference.load_sei_categories(store, sei)
    reference.load_chain_catalogue(store, chains)
    return store, settings


def _load(store: EmbeddedStore, settings: Settings, paths: list[Path], **kw):
    sei, chains = _classifiers(settings)
    report = RejectReport(settings.reports_path)
    session = IngestSession(store, report=report, sei=sei, chains=chains, progress=False,
                            today=date(2026, 11, 21), **kw)
    summaries = [session.load_file(p, source="generated:test") for p in paths]
    session.finish()
    report.close()
    return summaries, report.ensure_written()


def _dump(store: EmbeddedStore) -> dict[str, list]:
    """Every node and relationship with its properties, sorted (tests only)."""
    out: dict[str, list] = {}
    for nt in SCHEMA.nodes:
        rows = store._arrow(f"MATCH (n:`{nt.label}`) RETURN n.*", name="dump").to_pylist()
        out[nt.label] = sorted(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in rows)
    for rt in SCHEMA.rels:
        props = "".join(f", r.`{p.name}` AS `{p.name}`" for p in rt.props)
        rows = store._arrow(f"MATCH (a)-[r:`{rt.type}`]->(b) RETURN a.id AS src, b.id AS dst{props}",
                            name="dump").to_pylist()
        out[rt.type] = sorted(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in rows)
    return out


@pytest.fixture(scope="module")
def inline(files, tmp_path_factory):
    """The file in one chunk, parsed in this process, writes inline."""
    store, settings = _store(tmp_path_factory.mktemp("inline"))
    summaries, report = _load(store, settings, [files["full"]], workers=0, chunk_size=100_000,
                              background_writes=False)
    yield store, settings, summaries, report
    store.close()


@pytest.fixture(scope="module")
def workers(files, tmp_path_factory):
    """The same file through two worker processes, 50-row chunks, commits every 120 new
    patents, background writes, the store's bulk-load mode from the first commit."""
    store, settings = _store(tmp_path_factory.mktemp("workers"))
    entered = []
    real = store.bulk_load
    store.bulk_load = lambda: entered.append(1) or real()
    summaries, report = _load(store, settings, [files["full"]], workers=2, worker_min_bytes=0, chunk_size=50,
                              commit_rows=120, bulk_min_patents=100)
    del store.bulk_load
    assert entered == [1]  # once, at the first commit
    yield store, settings, summaries, report
    store.close()


def test_accounting_and_report(inline, workers):
    for _, _, (s,), report in (inline, workers):
        assert (s.read, s.loaded, s.merged, s.rejected, s.skipped) == (406, 400, 3, 2, 1)
        assert s.balanced
        lines = report.read_text(encoding="utf-8").splitlines()
        assert any("missing title" in line and ",64," in line for line in lines)  # file line of the reject
    store = workers[0]
    assert store.count_nodes()["Patent"] == 400


def test_worker_chunks_give_the_same_graph_as_one_chunk(inline, workers):
    from graph.embedded import bulk_marker

    # the bulk load ended with the session: marker gone, automatic checkpoints back on
    assert not bulk_marker(workers[0]._path).exists()
    assert workers[0]._rows("CALL current_setting('auto_checkpoint') RETURN *", name="t")[0]["auto_checkpoint"] == "True"
    a, b = _dump(inline[0]), _dump(workers[0])
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert len(a["CITES"]) > 10 and len(a["HAS_EVENT"]) > 10 and len(a["IN_CHAIN_NODE"]) > 100


def test_merged_rows_are_merged(workers):
    store = workers[0]
    # the publication-only row and its application row are one patent, id = application number
    p = store.run("patent_by_id", id=_app_no(2012 + 180 % 12, 180))[0]["patent"]
    assert p["pub_no"] == "CN110000180A"
    assert store.run("patent_by_id", id="CN110000180A") == []


def test_rerun_changes_nothing(files, workers):
    store, settings, _, _ = workers
    before = _dump(store)
    (s,), _ = _load(store, settings, [files["full"]], workers=2, worker_min_bytes=0, chunk_size=50,
                    commit_rows=120)
    assert (s.loaded, s.merged) == (0, 403)
    assert _dump(store) == before


def test_partly_stored_file_merges(files, inline, tmp_path):
    store, settings = _store(tmp_path)
    try:
        (p,), _ = _load(store, settings, [files["part"]], workers=2, worker_min_bytes=0, chunk_size=40)
        assert (p.loaded, p.merged) == (150, 0)
        (s,), _ = _load(store, settings, [files["full"]], workers=2, worker_min_bytes=0, chunk_size=60,
                        commit_rows=100)
        assert (s.loaded, s.merged) == (250, 153)
        got, want = _dump(store), _dump(inline[0])
        assert {k: len(v) for k, v in got.items()} == {k: len(v) for k, v in want.items()}
        for name in want:
            if name != "Patent":
                assert got[name] == want[name], name
        # patents equal but for the files they were read from
        def strip(rows: list) -> list:
            return sorted(tuple(kv for kv in r if kv[0] != "n.sources") for r in rows)

        assert strip(got["Patent"]) == strip(want["Patent"])
        both = store.run("patent_by_id", id=_app_no(2012, 0))[0]["patent"]
        assert both["sources"] == [files["part"].name, files["full"].name]
    finally:
        store.close()


def test_worker_failure_is_an_ingest_error(tmp_path, files):
    hmap = map_headers(HEADERS)
    with pytest.raises(IngestError, match="worker"):
        list(prepare_in_workers(tmp_path / "missing.csv", hmap, workers=2, source_file="missing.csv",
                                source_tag="t", max_field_chars=100, today=None, sei=None,
                                chains=load_chains(), regions=region_table(), chunk_rows=10))
