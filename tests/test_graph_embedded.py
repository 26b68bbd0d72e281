"""LadybugDB-specific behaviour the contract suite does not reach: every bulk-write path
(COPY into empty and non-empty tables across several chunks, statement writes, change
detection), read-only opening, the writer lock, schema evolution."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore, ddl_statements, rel_ddl
from graph.schema import SCHEMA, NodeType, Prop, RelType, Schema
from patentnav.errors import BackendUnavailable, GraphError, SchemaError
from tests import _fixtures_graph as fx


def _small(path, buffer_pool_mb: int = 128, **kw) -> EmbeddedStore:
    """A store with tiny chunk sizes and thresholds so small data takes every path."""
    opts = dict(batch_size=100, copy_batch_size=1000, rel_copy_batch_size=1000,
                copy_min_rows=300, copy_min_rows_empty=200, rel_copy_min_rows=300)
    opts.update(kw)
    store = EmbeddedStore.open(path / "g.lbug", buffer_pool_mb=buffer_pool_mb, **opts)
    store.init_schema()
    return store


def test_ddl_declares_multi_pair_relationship_tables():
    ddl = rel_ddl(SCHEMA.rel("LOCATED_IN"))
    assert ddl.count("FROM ") == 3 and "TO `Region`" in ddl
    assert len(ddl_statements()) == len(SCHEMA.nodes) + len(SCHEMA.rels)


def test_chunked_loads_with_duplicates_across_chunks(tmp_path):
    s = _small(tmp_path)
    # 2500 rows, ids repeat after 2000: the repeats land in a later chunk and update
    rows = [{"id": f"P{i % 2000:05d}", "title": f"标题{i}" if i < 2000 else None,
             "claim_count": i, "ipc_codes": ["H01M4/36"] if i % 2 else None} for i in range(2500)]
    assert s.upsert_nodes("Patent", rows) == 2500
    assert s.count_nodes()["Patent"] == 2000
    p = s.run("patent_by_id", id="P00010")[0]["patent"]
    assert (p["title"], p["claim_count"], p["ipc_codes"]) == ("标题10", 2010, None)
    p = s.run("patent_by_id", id="P00011")[0]["patent"]
    assert (p["title"], p["claim_count"], p["ipc_codes"]) == ("标题11", 2011, ["H01M4/36"])
    s.upsert_nodes("Organization", [{"id": f"O{k}"} for k in range(10)])
    rels = [{"src": f"P{i % 2000:05d}", "dst": f"O{i % 10}", "ord": i} for i in range(2600)]
    rels.append({"src": "P99999", "dst": "O1", "ord": 1})  # missing endpoint
    assert s.upsert_relationships("APPLIED_BY", rels) == 2600
    assert s.count_relationships()["APPLIED_BY"] == 2000
    (row,) = s.run("patent_neighbourhood", id="P00007")
    assert [(a["id"], a["ord"]) for a in row["applicants"]] == [("O7", 2007)]
    s.close()


def test_big_write_into_non_empty_tables_updates_only_changes(tmp_path):
    s = _small(tmp_path)
    s.upsert_nodes("Patent", [{"id": f"P{i:04d}", "app_year": 2000 + i % 20} for i in range(1500)])
    s.upsert_nodes("Organization", [{"id": f"O{k}"} for k in range(5)])
    s.upsert_relationships("APPLIED_BY", [{"src": f"P{i:04d}", "dst": f"O{i % 5}", "ord": 0}
                                          for i in range(1000)])
    # 1000 rows: 500 existing (half with a changed ord), 500 new -> export + COPY path
    rows = [{"src": f"P{i:04d}", "dst": f"O{i % 5}", "ord": (1 if i % 2 else 0)} for i in range(500, 1500)]
    assert s.upsert_relationships("APPLIED_BY", rows) == 1000
    assert s.count_relationships()["APPLIED_BY"] == 1500
    ords = {r["id"]: r["ord"] for r in s.run("org_patents", id="O1", limit=1000)}
    assert ords["P0001"] == 0 and ords["P0501"] == 1 and ords["P1101"] == 1 and ords["P0506"] == 0
    # 400 node rows into a non-empty table: some new (COPY), the rest compared
    upd = [{"id": f"P{i:04d}", "app_year": 1999 if i % 3 == 0 else 2000 + i % 20} for i in range(1300, 1700)]
    assert s.upsert_nodes("Patent", upd) == 400
    assert s.count_nodes()["Patent"] == 1700
    years = {i: s.run("patent_by_id", id=f"P{i:04d}")[0]["patent"]["app_year"] for i in (1302, 1303, 1600)}
    assert years == {1302: 1999, 1303: 2003, 1600: 2000}  # changed, unchanged, new
    s.close()


def test_changes_are_detected_for_every_type(tmp_path):
    s = _small(tmp_path, copy_min_rows=1, copy_min_rows_empty=1, rel_copy_min_rows=1)
    base = {"id": "P1", "title": "一", "app_date": dt.date(2020, 1, 1), "claim_count": 1,
            "ipc_codes": ["A"], "hv": False}
    s.upsert_nodes("Patent", [base])
    for change in ({"title": "二"}, {"app_date": dt.date(2021, 2, 2)}, {"claim_count": 2},
                   {"ipc_codes": ["A", "B"]}, {"ipc_codes": []}, {"hv": True}):
        s.upsert_nodes("Patent", [{"id": "P1", **change}])
        p = s.run("patent_by_id", id="P1")[0]["patent"]
        assert all(p[k] == v for k, v in change.items()), change
    s.close()


def test_reopen_read_only(tmp_path):
    s = EmbeddedStore.open(tmp_path / "g.lbug", buffer_pool_mb=128)
    s.init_schema()
    fx.load_fixture(s)
    s.close()
    ro = EmbeddedStore.open(tmp_path / "g.lbug", buffer_pool_mb=128, read_only=True)
    assert ro.read_only
    assert ro.count_nodes()["Patent"] == 12
    assert ro.run("patent_by_id", id=fx.P[0])[0]["patent"]["title"] == fx.PATENTS[0]["title"]
    with pytest.raises(GraphError):
        ro.upsert_nodes("Patent", [{"id": "new"}])
    with pytest.raises(GraphError):
        ro.write("derive_co_applied")
    # concurrent readers in threads, one connection each
    with ThreadPoolExecutor(4) as pool:
        titles = list(pool.map(lambda pid: ro.run("patent_by_id", id=pid)[0]["patent"]["title"], fx.P))
    assert titles == [p["title"] for p in fx.PATENTS]
    ro.close()
    with pytest.raises(BackendUnavailable):
        EmbeddedStore.open(tmp_path / "missing.lbug", read_only=True)


def test_second_writer_gets_a_clear_error(tmp_path):
    path = tmp_path / "g.lbug"
    s = EmbeddedStore.open(path, buffer_pool_mb=64)
    s.init_schema()
    code = textwrap.dedent(f"""
        from graph.embedded import EmbeddedStore
        from patentnav.errors import BackendUnavailable
        try:
            EmbeddedStore.open({str(path)!r}, buffer_pool_mb=64)
        except BackendUnavailable as exc:
            print("BackendUnavailable:", exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    s.close()
    assert "BackendUnavailable:" in out.stdout and "one read-write process" in out.stdout, out


def test_init_schema_adds_new_properties_and_rejects_type_changes(tmp_path):
    thing_v1 = NodeType("Thing", (Prop("name"),))
    link = RelType("LINKS", (("Thing", "Thing"),))
    v1 = Schema(nodes=(thing_v1,), rels=(link,))
    s = EmbeddedStore(_db(tmp_path), schema=v1)
    s.init_schema()
    s.upsert_nodes("Thing", [{"id": "a", "name": "甲"}])
    thing_v2 = NodeType("Thing", (Prop("name"), Prop("tags", "STRING[]")))
    s2 = EmbeddedStore(s._db, schema=Schema(nodes=(thing_v2,), rels=(link,)))
    s2.init_schema()
    s2.upsert_nodes("Thing", [{"id": "a", "tags": ["x"]}, {"id": "b", "name": "乙"}])
    assert s2.count_nodes() == {"Thing": 2}
    bad = NodeType("Thing", (Prop("name", "INT64"),))
    with pytest.raises(SchemaError):
        EmbeddedStore(s._db, schema=Schema(nodes=(bad,), rels=(link,))).init_schema()
    s2.close()
    s.close()


def _db(tmp_path):
    import ladybug

    return ladybug.Database(str(tmp_path / "x.lbug"), buffer_pool_size=64 * 1024 * 1024)


def test_passed_in_database_is_not_closed(tmp_path):
    db = _db(tmp_path)
    s = EmbeddedStore(db)
    s.init_schema()
    s.close()
    s2 = EmbeddedStore(db)  # the caller's database is still usable
    assert s2.count_nodes()["Patent"] == 0
    s2.close()
    db.close()


def test_in_batch_merge_with_list_values(tmp_path):
    # a list value among duplicated ids takes the row-wise merge; scalars-only the vectorised one
    s = _small(tmp_path)
    rows = [{"id": "X", "ipc_codes": ["A"], "title": "旧"}, {"id": "Y", "claim_count": 1},
            {"id": "X", "ipc_codes": None, "title": "新", "claim_count": 2},
            {"id": "Y", "claim_count": None, "hv": True}, {"id": "X", "ipc_codes": ["B"], "title": None}]
    assert s.upsert_nodes("Patent", rows) == 5
    x = s.run("patent_by_id", id="X")[0]["patent"]
    y = s.run("patent_by_id", id="Y")[0]["patent"]
    assert (x["ipc_codes"], x["title"], x["claim_count"]) == (["B"], "新", 2)
    assert (y["claim_count"], y["hv"]) == (1, True)
    s.close()


def test_tracked_ids_never_outlive_other_writes(tmp_path):
    # ids of tables the store filled itself are checked in memory; any other change
    # to the table must send the store back to the database
    db = _db(tmp_path)
    a, b = EmbeddedStore(db), EmbeddedStore(db)
    a.init_schema()
    a.upsert_nodes("Patent", [{"id": f"P{i}"} for i in range(5)])
    a.upsert_nodes("Organization", [{"id": "O"}])
    assert a._known("Patent") is not None
    b.upsert_nodes("Patent", [{"id": "P-by-b"}])  # written behind a's back
    assert a.upsert_relationships("APPLIED_BY", [{"src": "P-by-b", "dst": "O"}]) == 1
    known = a._known("Patent")  # dropped, or re-read from the database in full
    assert known is None or sorted(known.to_pylist()) == ["P-by-b", *(f"P{i}" for i in range(5))]
    a.delete_nodes("Patent", ["P1"])
    assert a.upsert_relationships("APPLIED_BY", [{"src": "P1", "dst": "O"}, {"src": "P2", "dst": "O"}]) == 1
    a.close(), b.close(), db.close()


# -- inserts (rows known to be new: no existence look-ups) ------------------------------------------
def test_insert_nodes_and_relationships_take_copy_and_statement_paths(tmp_path):
    import pyarrow as pa

    s = _small(tmp_path)
    # columns as Python lists into an empty table (COPY), then Arrow columns into a non-empty
    # one: 250 rows (below copy_min_rows: statements), then 400 (COPY)
    assert s.insert_nodes("Patent", {"id": [f"P{i:04d}" for i in range(500)],
                                     "title": [f"标题{i}" for i in range(500)],
                                     "app_date": [dt.date(2020, 1, 1 + i % 28) for i in range(500)]}) == 500
    assert s.insert_nodes("Patent", {"id": pa.array([f"Q{i:04d}" for i in range(250)]),
                                     "claim_count": pa.array(range(250), pa.int64())}) == 250
    assert s.insert_nodes("Patent", {"id": pa.array([f"R{i:04d}" for i in range(400)]),
                                     "ipc_codes": pa.array([["H01M4/36"]] * 400, pa.list_(pa.string()))}) == 400
    assert s.count_nodes()["Patent"] == 1150
    q = s.run("patent_by_id", id="Q0007")[0]["patent"]
    assert q["claim_count"] == 7 and q["title"] is None
    r = s.run("patent_by_id", id="R0399")[0]["patent"]
    assert r["ipc_codes"] == ["H01M4/36"]
    s.insert_nodes("Organization", {"id": ["O1", "O2"], "name": ["甲", "乙"]})
    # a relationship whose endpoint does not exist is dropped and not counted
    src = [f"P{i:04d}" for i in range(500)] + ["NOPE"]
    assert s.insert_relationships("APPLIED_BY", {"src": src, "dst": ["O1"] * 501, "ord": [0] * 501}) == 500
    # a few rows into a non-empty table go through a statement, Arrow columns are accepted
    assert s.insert_relationships("APPLIED_BY", {"src": pa.array(["Q0001", "Q0002"]),
                                                 "dst": pa.array(["O2", "O2"]),
                                                 "ord": pa.array([1, 2], pa.int64())}) == 2
    assert s.count_relationships()["APPLIED_BY"] == 502
    (row,) = s.run("patent_neighbourhood", id="Q0002")
    assert [(a["id"], a["ord"]) for a in row["applicants"]] == [("O2", 2)]
    s.close()


def test_insert_checks_columns(tmp_path):
    import pyarrow as pa

    s = _small(tmp_path)
    with pytest.raises(SchemaError, match="different lengths"):
        s.insert_nodes("Patent", {"id": ["A", "B"], "title": ["x"]})
    with pytest.raises(SchemaError, match="claim_count"):
        s.insert_nodes("Patent", {"id": ["A"], "claim_count": ["3"]})
    with pytest.raises(SchemaError, match="claim_count"):
        s.insert_nodes("Patent", {"id": pa.array(["A"]), "claim_count": pa.array(["3"])})
    with pytest.raises(SchemaError, match="no properties"):
        s.insert_nodes("Patent", {"id": ["A"], "colour": ["red"]})
    with pytest.raises(SchemaError, match="non-empty"):
        s.insert_relationships("APPLIED_BY", {"src": ["A", ""], "dst": ["B", "C"]})
    assert s.count_nodes()["Patent"] == 0
    # an id that is stored already is an error (the caller promised new rows), not a duplicate
    s.insert_nodes("Patent", {"id": [f"P{i}" for i in range(300)]})
    with pytest.raises(GraphError):
        s.insert_nodes("Patent", {"id": [f"P{i}" for i in range(250, 600)]})
    assert s.count_nodes()["Patent"] == 300
    s.close()


def test_rows_from_columns_is_the_default_insert():
    import pyarrow as pa

    from graph.base import rows_from_columns

    rows = list(rows_from_columns({"id": pa.array(["A", "B"]), "n": [1, None]}))
    assert rows == [{"id": "A", "n": 1}, {"id": "B", "n": None}]
    assert list(rows_from_columns({})) == []
    with pytest.raises(SchemaError):
        rows_from_columns({"id": ["A"], "n": [1, 2]})


def test_a_long_lived_writer_does_not_fill_the_buffer_pool(tmp_path):
    """LadybugDB keeps buffer-pool memory of Arrow-parameter statements until their
    connection closes; the store swaps connections, so repeated small upserts (API ingest
    jobs) keep working in a small pool (without the swap this failed at the 22nd call)."""
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "g.lbug", buffer_pool_mb=64)
    try:
        store.init_schema()
        store.upsert_nodes("Organization", [{"id": "A", "name": "A"}, {"id": "B", "name": "B"}])
        for i in range(120):
            store.upsert_relationships("CO_APPLIED", [{"src": "A", "dst": "B", "count": i}],
                                       src_label="Organization", dst_label="Organization")
        assert store.count_relationships()["CO_APPLIED"] == 1
        assert store.run("co_applicants", id="A")[0]["patents"] == 119
    finally:
        store.close()


def _setting(store: EmbeddedStore, name: str) -> str:
    return store._rows(f"CALL current_setting('{name}') RETURN *", name="test")[0][name]


def test_bulk_load_turns_checkpoints_off_and_back_on(tmp_path):
    from graph.embedded import bulk_marker

    s = _small(tmp_path)
    marker = bulk_marker(tmp_path / "g.lbug")
    assert _setting(s, "auto_checkpoint") == "True" and not marker.exists()
    with s.bulk_load():
        assert _setting(s, "auto_checkpoint") == "False" and marker.exists()
        with s.bulk_load():  # nested: still on, and still on after the inner one ends
            s.insert_nodes("Patent", {"id": [f"P{i:04d}" for i in range(500)]})
        assert _setting(s, "auto_checkpoint") == "False" and marker.exists()
        s.insert_nodes("Organization", {"id": [f"O{i}" for i in range(300)]})
        s.insert_relationships("APPLIED_BY", {"src": [f"P{i:04d}" for i in range(500)],
                                              "dst": [f"O{i % 300}" for i in range(500)], "ord": [0] * 500},
                               src_exists=True)
    assert _setting(s, "auto_checkpoint") == "True" and not marker.exists()
    s.close()
    s = EmbeddedStore.open(tmp_path / "g.lbug", buffer_pool_mb=128, read_only=True)
    assert s.count_nodes()["Patent"] == 500 and s.count_relationships()["APPLIED_BY"] == 500
    s.close()


def _patents_seen_by_a_reader(path) -> int:
    """Patents another process sees in the file (what a checkpoint made durable)."""
    code = textwrap.dedent(f"""
        from graph.embedded import EmbeddedStore
        print(EmbeddedStore.open({str(path)!r}, buffer_pool_mb=64, read_only=True).count_nodes()["Patent"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out
    return int(out.stdout.split()[-1])


def test_bulk_load_checkpoints_every_n_bytes_and_on_close(tmp_path):
    from graph.embedded import bulk_marker

    path = tmp_path / "g.lbug"
    # (a COPY into the wide Patent table holds ~30 MB of the pool until its connection
    # is replaced: four of them fill 128 MB, in or out of a bulk load)
    s = _small(tmp_path, buffer_pool_mb=512, bulk_checkpoint_bytes=1 << 40)
    with s.bulk_load():
        s.insert_nodes("Patent", {"id": [f"P{i:04d}" for i in range(3000)], "title": ["一种电池"] * 3000})
        assert _patents_seen_by_a_reader(path) == 0  # committed, not checkpointed yet
    assert _patents_seen_by_a_reader(path) == 3000
    s.close()
    s = _small(tmp_path, buffer_pool_mb=512, bulk_checkpoint_bytes=1)
    with s.bulk_load():
        s.insert_nodes("Patent", {"id": [f"Q{i:04d}" for i in range(3000)], "title": ["一种电池"] * 3000})
        assert _patents_seen_by_a_reader(path) == 6000  # checkpointed after the COPY
    # close() inside a bulk load ends it (checkpoint, marker removed)
    bulk = s.bulk_load()
    bulk.__enter__()
    s.insert_nodes("Patent", {"id": [f"R{i:04d}" for i in range(3000)]})
    assert bulk_marker(path).exists()
    s.close()
    assert not bulk_marker(path).exists()
    assert _patents_seen_by_a_reader(path) == 9000


def _graph_of_400(tmp_path) -> Path:
    path = tmp_path / "g.lbug"
    s = _small(tmp_path)
    s.insert_nodes("Patent", {"id": [f"A{i:04d}" for i in range(400)]})
    s.close()
    return path


def _bulk_loader(path: Path, end: str) -> list[str]:
    """A process that bulk-loads 20k patents and an organisation into ``path``, then
    runs ``end`` (a line of Python) inside the bulk load."""
    return [sys.executable, "-c", textwrap.dedent(f"""
        import os, time
        from graph.embedded import EmbeddedStore
        s = EmbeddedStore.open({str(path)!r}, buffer_pool_mb=128, copy_min_rows=300)
        bulk = s.bulk_load()
        bulk.__enter__()
        s.insert_nodes("Patent", {{"id": [f"B{{i:05d}}" for i in range(20000)],
                                   "title": ["一种锂电池正极材料"] * 20000}})
        s.upsert_nodes("Organization", [{{"id": "O1", "name": "甲"}}])
        {end}
    """)]


def _reopen(path: Path) -> subprocess.CompletedProcess:
    """Open ``path`` read-write in a new process: prints its patent and organisation counts."""
    code = textwrap.dedent(f"""
        from graph.embedded import EmbeddedStore
        s = EmbeddedStore.open({str(path)!r}, buffer_pool_mb=128)
        print("patents", s.count_nodes()["Patent"], "orgs", s.count_nodes()["Organization"])
        s.close()
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_an_interrupted_bulk_load_is_rolled_back_on_the_next_open(tmp_path):
    """A process killed inside a bulk load (no checkpoint, no close): the next open
    moves its log aside and opens the graph as of the bulk load's start -- read-write,
    or read-only (the API restarting after a crash during an ingest job)."""
    from graph.embedded import bulk_marker

    path = _graph_of_400(tmp_path)
    out = subprocess.run(_bulk_loader(path, "os.kill(os.getpid(), 9)"), capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == -9, out
    assert bulk_marker(path).exists()
    (tmp_path / "g.lbug.wal").write_bytes(b"log of the killed process")  # (may or may not exist)
    out = _reopen(path)
    assert out.returncode == 0 and "patents 400 orgs 0" in out.stdout, out
    assert "was interrupted" in out.stderr
    assert not bulk_marker(path).exists() and (tmp_path / "g.lbug.wal.interrupted").exists()
    s = EmbeddedStore.open(path, buffer_pool_mb=128, read_only=True)
    assert s.count_nodes()["Patent"] == 400
    s.close()
    # the same crash, then a read-only open first
    out = subprocess.run(_bulk_loader(path, "os.kill(os.getpid(), 9)"), capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == -9 and bulk_marker(path).exists(), out
    s = EmbeddedStore.open(path, buffer_pool_mb=128, read_only=True)
    assert s.count_nodes()["Patent"] == 400 and s.count_nodes()["Organization"] == 0
    s.close()
    assert not bulk_marker(path).exists()


def test_a_live_bulk_load_is_left_alone(tmp_path):
    """The marker of a process that is still running is not touched by another open."""
    from graph.embedded import bulk_marker, recover_bulk_load

    s = _small(tmp_path)
    with s.bulk_load():
        s.insert_nodes("Patent", {"id": [f"P{i:04d}" for i in range(500)]})
        s.upsert_nodes("Organization", [{"id": "O1", "name": "甲"}])  # (logged)
        assert recover_bulk_load(tmp_path / "g.lbug") is False  # this process is alive
        assert bulk_marker(tmp_path / "g.lbug").exists() and (tmp_path / "g.lbug.wal").exists()
    s.close()


def test_insert_relationships_src_exists_checks_the_dst_side_only(tmp_path):
    s = _small(tmp_path)
    s.insert_nodes("Patent", {"id": ["P1", "P2"]})
    s.insert_nodes("Organization", {"id": ["O1"]})
    # a missing dst is still dropped
    assert s.insert_relationships("APPLIED_BY", {"src": ["P1", "P2"], "dst": ["O1", "NOPE"], "ord": [0, 0]},
                                  src_exists=True) == 1
    assert s.count_relationships()["APPLIED_BY"] == 1
    s.close()


def test_a_killed_loader_not_yet_reaped_counts_as_gone(tmp_path):
    """A zombie (killed, its parent has not waited for it yet) holds no lock: its bulk
    load is rolled back like any other interrupted one."""
    from graph.embedded import bulk_marker

    path = _graph_of_400(tmp_path)
    proc = subprocess.Popen(_bulk_loader(path, 'print("ready", flush=True); time.sleep(60)'),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.kill()
        for _ in range(100):  # a zombie until waited for
            if Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
                break
            time.sleep(0.05)
        out = _reopen(path)
    finally:
        proc.wait()
    assert out.returncode == 0 and "patents 400 orgs 0" in out.stdout, out
    assert "was interrupted" in out.stderr and not bulk_marker(path).exists()


def test_a_stale_marker_is_removed_by_a_read_write_open(tmp_path):
    """A marker naming a process that runs but does not hold the database (it was
    exiting when checked, or the pid was reused) goes once a read-write open succeeds;
    the log is left alone."""
    import json

    from graph.embedded import bulk_marker

    path = tmp_path / "g.lbug"
    s = _small(tmp_path)
    s.close()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        bulk_marker(path).write_text(json.dumps({"pid": other.pid}), encoding="utf-8")
        s = EmbeddedStore.open(path, buffer_pool_mb=128)
        assert not bulk_marker(path).exists()
        s.close()
    finally:
        other.kill()
        other.wait()


def test_a_bulk_load_that_cannot_start_leaves_nothing_behind(tmp_path, monkeypatch):
    from graph.embedded import bulk_marker
    from patentnav.errors import QueryError

    s = _small(tmp_path)
    real = s._query

    def failing(text, *a, **kw):
        if text.startswith("CALL auto_checkpoint=false"):
            raise QueryError("refused")
        return real(text, *a, **kw)

    monkeypatch.setattr(s, "_query", failing)
    with pytest.raises(QueryError), s.bulk_load():
        pass
    assert not bulk_marker(tmp_path / "g.lbug").exists() and s._bulk_depth == 0
    monkeypatch.undo()
    with s.bulk_load():  # and a later one works
        assert bulk_marker(tmp_path / "g.lbug").exists()
    assert _setting(s, "auto_checkpoint") == "True"
    s.close()
