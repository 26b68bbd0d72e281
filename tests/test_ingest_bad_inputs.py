"""Deliberately broken inputs (tests/bad_inputs/, see its README.md): nothing crashes,
every row is accounted for (read = loaded + merged + rejected + skipped), every reject
names its file, line, column and reason, and nothing is duplicated on a second run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_file, ingest_files
from ingest.report import REPORT_COLUMNS
from patentnav.settings import Settings

BAD = Path(__file__).resolve().parent / "bad_inputs"
FILES = sorted(p for p in BAD.iterdir() if p.is_file() and p.suffix not in (".py", ".md"))

#: file -> (read, loaded, merged, rejected, skipped, warnings, file-level error expected)
EXPECTED = {
    "binary.csv": (0, 0, 0, 0, 0, 0, True),
    "blank_rows.csv": (6, 2, 0, 0, 4, 0, False),
    "broken.jsonl": (6, 1, 1, 3, 1, 0, False),
    "duplicates.csv": (7, 3, 4, 0, 0, 0, False),
    "empty.csv": (0, 0, 0, 0, 0, 0, True),
    "gb18030.csv": (2, 2, 0, 0, 0, 0, False),
    "gbk.csv": (3, 3, 0, 0, 0, 0, False),
    "good.xlsx": (5, 2, 0, 1, 2, 0, False),
    "header_only.csv": (0, 0, 0, 0, 0, 0, False),
    "injection.csv": (2, 2, 0, 0, 0, 0, False),
    "invalid_bytes.csv": (4, 2, 0, 2, 0, 0, False),
    "malformed_values.csv": (11, 7, 0, 4, 0, 6, False),
    "missing_id_column.csv": (2, 0, 0, 2, 0, 0, True),
    "missing_title_column.csv": (2, 0, 0, 2, 0, 0, True),
    "overlong.csv": (3, 2, 0, 1, 0, 0, False),
    "tab_separated.tsv": (2, 2, 0, 0, 0, 0, False),
    "truncated.xlsx": (0, 0, 0, 0, 0, 0, True),
    "unsupported.doc": (0, 0, 0, 0, 0, 0, True),
    "utf8_bom.csv": (2, 2, 0, 0, 0, 0, False),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    settings = Settings(var_dir=root)
    store = EmbeddedStore.open(root / "graph.lbug")
    store.init_schema()
    summary = ingest_files(store, FILES, settings, progress=False)
    yield store, settings, summary
    store.close()


def _report(summary) -> list[dict[str, str]]:
    with summary.report_path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_every_file_is_listed():
    assert sorted(p.name for p in FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accounting(loaded, name):
    _, _, summary = loaded
    f = next(f for f in summary.files if f.file == name)
    read, ld, merged, rejected, skipped, warnings, error = EXPECTED[name]
    assert (f.read, f.loaded, f.merged, f.rejected, f.skipped, f.warnings) == (
        read, ld, merged, rejected, skipped, warnings), f
    assert f.read == f.loaded + f.merged + f.rejected + f.skipped
    assert bool(f.error) == error, f.error


def test_patent_count_matches_loaded(loaded):
    store, _, summary = loaded
    assert store.count_nodes()["Patent"] == summary.totals.loaded == 30


def test_report_rows_name_file_line_column_reason(loaded):
    _, _, summary = loaded
    rows = _report(summary)
    assert tuple(rows[0].keys()) == REPORT_COLUMNS
    rejects = [r for r in rows if r["level"] == "reject"]
    assert len(rejects) == summary.totals.rejected - 4  # minus the 4 rows of the two unusable files
    for r in rows:
        assert r["file"] in EXPECTED and r["reason"]
        if r["level"] in ("reject", "warning"):
            assert r["line"].isdigit()
    by = {(r["file"], r["line"]): r for r in rows if r["level"] == "reject"}
    assert by[("malformed_values.csv", "4")]["column"] == "申请号"
    assert "check digit" in by[("malformed_values.csv", "4")]["reason"]
    assert by[("malformed_values.csv", "5")]["reason"] == "missing identifier"
    assert by[("malformed_values.csv", "6")]["reason"] == "missing title"
    assert "fields" in by[("malformed_values.csv", "9")]["reason"]
    assert by[("invalid_bytes.csv", "3")]["column"] == "专利名称"
    assert by[("invalid_bytes.csv", "5")]["column"] == "申请(专利权)人"
    assert by[("overlong.csv", "3")]["column"] == "摘要"
    assert len(by[("overlong.csv", "3")]["value"]) <= 201  # truncated
    assert by[("broken.jsonl", "2")]["reason"].startswith("invalid JSON")
    assert by[("good.xlsx", "5")]["column"] == "申请号"
    files = {r["file"]: r["reason"] for r in rows if r["level"] == "file"}
    assert "headers found: 发明人, 摘要" in files["missing_id_column.csv"]
    assert "not a readable XLSX" in files["truncated.xlsx"]
    assert "binary" in files["binary.csv"]
    warnings = [(r["line"], r["column"]) for r in rows if r["level"] == "warning" and r["file"] == "malformed_values.csv"]
    assert warnings == [("3", "申请号"), ("7", "申请日"), ("7", "公开(公告)日"), ("8", "分类号"), ("10", "申请日"),
                        ("12", "专利类型")]


def test_values_survive_encodings_and_merges(loaded):
    store, _, _ = loaded
    rows = {r["id"]: r for r in store.run("ingest_patents_by_ids", ids=[
        "CN202110000017.7", "CN202210000048.7", "CN202130000035.6", "CN117000013A", "CN202410000247.7",
        "CN202410000251.3", "CN202410000266.X", "CN202410000181.1", "CN202410000320.0", "broken:a1",
        "CN202410000353.5", "CN202310000063.6"])}
    assert rows["CN202110000017.7"]["title"] == "一种动力电池热管理系统"  # GBK
    assert rows["CN202110000017.7"]["ipc_codes"] == ["H01M10/613", "B60L58/26"]
    assert rows["CN202110000017.7"]["region_code"] == "500106"
    assert rows["CN202210000048.7"]["title"] == "一种𬌗面检测装置"  # GB18030 4-byte character
    assert rows["CN202130000035.6"]["kind"] == "design"
    assert str(rows["CN202130000035.6"]["app_date"]) == "2021-05-06"
    # bad check digit but a valid publication number: keyed by the publication number
    assert rows["CN117000013A"]["app_no"] is None
    # exact duplicate + a publication-number-only row: merged, the abstract filled in
    assert rows["CN202410000247.7"]["abstract"] == "补充的摘要。"
    # the B publication merged into the A publication's patent
    assert rows["CN202410000251.3"]["pub_no"] == "CN117100022A"
    assert rows["CN202410000266.X"]["sources"] == ["duplicates.csv"]
    # malformed dates dropped, the row kept
    assert rows["CN202410000181.1"]["app_date"] is None
    assert str(rows["CN202410000320.0"]["app_date"]) == "2024-05-06"  # XLSX datetime cell
    assert str(rows["CN202410000320.0"]["pub_date"]) == "2024-07-27"  # Excel serial 45500
    assert rows["CN202410000320.0"]["cites_count"] == 3
    assert rows["broken:a1"]["title"] == "一种JSONL专利"
    # injection-looking text is data
    assert rows["CN202410000353.5"]["title"] == "'); MATCH (n) DETACH DELETE n //"
    assert rows["CN202310000063.6"]["title"] == "用于锂电池的隔膜"  # UTF-8 BOM, English headers


def test_organisations_merge_variants(loaded):
    store, _, _ = loaded
    orgs = {r["id"]: r for r in store.run("ingest_orgs_by_ids", ids=["重庆大学", "重庆青山工业有限公司"])}
    assert "重庆大学(本部)" in orgs["重庆大学"]["aliases"]
    assert orgs["重庆大学"]["kind"] == "university"
    assert orgs["重庆大学"]["region_code"] == "500106"
    assert set(orgs["重庆青山工业有限公司"]["aliases"]) == {"重庆青山工业有限公司", "重庆青山工业有限责任公司"}


def test_second_run_changes_no_count(loaded):
    store, settings, _ = loaded
    nodes, rels = store.count_nodes(), store.count_relationships()
    again = ingest_files(store, FILES, settings, progress=False)
    assert again.totals.loaded == 0
    assert again.totals.merged == 35  # every row loaded or merged the first time
    assert store.count_nodes() == nodes
    assert store.count_relationships() == rels


def test_max_field_chars_is_a_setting(tmp_path):
    settings = Settings(var_dir=tmp_path, max_field_chars=100)
    store = EmbeddedStore.open(tmp_path / "g.lbug")
    try:
        store.init_schema()
        s = ingest_file(store, BAD / "gbk.csv", settings, progress=False).files[0]
        assert (s.loaded, s.rejected) == (3, 0)
        s = ingest_file(store, BAD / "overlong.csv", settings, progress=False).files[0]
        assert (s.loaded, s.rejected) == (2, 1)
    finally:
        store.close()


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["申请号", "公开(公告)号", "专利名称", "申请(专利权)人"])
        w.writerows(rows)
    return path


def test_merge_rules(tmp_path):
    """Hand-made rows: a publication-number-only row gets the application number as id once
    it is known; a row naming a *different* application with the same publication serial
    is not merged into it."""
    settings = Settings(var_dir=tmp_path)
    store = EmbeddedStore.open(tmp_path / "g.lbug")
    try:
        store.init_schema()
        f = _write_csv(tmp_path / "merge.csv", [
            ["", "CN117300030A", "一种先有公开号的专利", "重庆大学"],
            ["CN202410000392.5", "CN117300030B", "一种先有公开号的专利", ""],
            ["CN202410000402.5", "CN117300030A", "另一个申请却同一公开号", "重庆大学"],
        ])
        s = ingest_file(store, f, settings, progress=False).files[0]
        assert (s.loaded, s.merged) == (2, 1)
        rows = {r["id"]: r for r in store.run("ingest_patents_by_ids",
                                               ids=["CN202410000392.5", "CN202410000402.5", "CN117300030A"])}
        assert set(rows) == {"CN202410000392.5", "CN202410000402.5"}
        assert rows["CN202410000392.5"]["pub_no"] == "CN117300030A"  # first seen is kept
        assert [r["org_id"] for r in store.run("ingest_applicants_by_ids", ids=["CN202410000392.5"])] == ["重庆大学"]
        # a later file with only the publication number merges into the application
        g = _write_csv(tmp_path / "later.csv", [["", "CN117300030B", "一种先有公开号的专利", "重庆大学(本部)"]])
        s = ingest_file(store, g, settings, progress=False).files[0]
        assert (s.loaded, s.merged) == (0, 1)
        again = {r["id"]: r for r in store.run("ingest_patents_by_ids", ids=["CN202410000392.5"])}
        assert again["CN202410000392.5"]["sources"] == ["merge.csv", "later.csv"]
    finally:
        store.close()


def test_events_citations_family(tmp_path):
    """Hand-made full-export rows: transfer / pledge / licence counts and dates become
    Event nodes, cited publication numbers resolvable in the run become CITES edges, a
    non-CN family member sets overseas_family."""
    settings = Settings(var_dir=tmp_path)
    store = EmbeddedStore.open(tmp_path / "g.lbug")
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["申请号", "公开(公告)号", "专利名称", "申请人", "专利转移次数", "转让日期", "质押次数",
                    "许可次数", "许可日期", "开放许可", "引证专利", "同族专利", "权利要求数", "被引证次数"])
        w.writerow(["CN202410000406.3", "CN117400040A", "一种被引用的专利", "重庆大学", "0", "", "0", "0", "", "否",
                    "", "", "8", "3"])
        w.writerow(["CN202410000411.4", "CN117400041A", "一种有事件的专利", "重庆大学", "2", "2021-01-05;2022.03.01",
                    "1", "1", "20230401", "是", "CN117400040A;CN999999999A", "US20240012345A1;CN117400041A", "10", ""])
    try:
        store.init_schema()
        s = ingest_file(store, path, settings, progress=False).files[0]
        assert (s.loaded, s.warnings) == (2, 0)
        p = {r["id"]: r for r in store.run("ingest_patents_by_ids", ids=["CN202410000411.4", "CN202410000406.3"])}
        q = p["CN202410000411.4"]
        assert (q["transfer_count"], q["pledge_count"], q["licence_count"], q["open_licence"]) == (2, 1, 1, True)
        assert q["family_ids"] == ["US20240012345A1", "CN117400041A"] and q["family_size"] == 2
        assert q["cites_count"] == 2 and q["claim_count"] == 10
        assert p["CN202410000406.3"]["cited_count"] == 3 and p["CN202410000406.3"]["open_licence"] is False
        nodes = store.count_nodes()
        rels = store.count_relationships()
        # 2 dated transfers + 1 undated pledge + 1 dated licence + 1 open-licence declaration
        assert nodes["Event"] == 5 and rels["HAS_EVENT"] == 5
        assert rels["CITES"] == 1  # CN999999999A is not in the graph
        events = sorted((e["kind"], str(e["date"]), e["event_id"])
                        for e in store.run("ingest_events_for", ids=["CN202410000411.4"]))
        assert events == [
            ("licence", "2023-04-01", "CN202410000411.4|licence|2023-04-01"),
            ("open_licence", "None", "CN202410000411.4|open_licence"),
            ("pledge", "None", "CN202410000411.4|pledge|#1"),
            ("transfer", "2021-01-05", "CN202410000411.4|transfer|2021-01-05"),
            ("transfer", "2022-03-01", "CN202410000411.4|transfer|2022-03-01"),
        ]
    finally:
        store.close()
