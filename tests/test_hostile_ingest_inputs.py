"""The second half of the bad-input corpus (tests/bad_inputs/more/, see its README.md):
damaged XLSX (cut at several points, a cut worksheet, a zip that is no workbook, several
sheets, merged cells, formulas without cached values, numbers where text belongs),
wrong JSON types, deep nesting, lone surrogates, NUL and control characters, a 5 MB
field, 3,000 columns, duplicate headers, CR-only line ends, quoted multi-line fields, an
unterminated quote, mixed GBK/UTF-8 lines, a BOM-only file, UTF-16 with and without BOM,
and injection-looking strings (Cypher, SQL, CSV formulas, HTML) in every kind of field.

For every file: nothing crashes, ``read == loaded + merged + rejected + skipped`` with
the expected figures, every reject names its file, line, column and reason, stored text
is the input verbatim (the injection strings did nothing: the node counts are what the
rows imply), and a second run changes no count.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pytest

from analytics.export import Table, render
from graph.embedded import EmbeddedStore
from ingest.normalize.names import normalize_org_name
from ingest.pipeline import ingest_files
from patentnav.settings import Settings

MORE = Path(__file__).resolve().parent / "bad_inputs" / "more"
_spec = importlib.util.spec_from_file_location("make_more_bad_inputs", MORE / "make_more_bad_inputs.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

COMMITTED = sorted(p for p in MORE.iterdir() if p.is_file() and p.suffix not in (".py", ".md"))

#: file -> (read, loaded, merged, rejected, skipped, warnings, file-level error expected)
EXPECTED = {
    "bom_only.csv": (0, 0, 0, 0, 0, 0, True),
    "cr_only.csv": (2, 2, 0, 0, 0, 0, False),
    "deep_nesting.jsonl": (3, 2, 0, 1, 0, 0, False),
    "duplicate_headers.csv": (2, 2, 0, 0, 0, 0, False),
    "excel_mangled.csv": (3, 2, 0, 1, 0, 1, False),
    "header_injection.csv": (1, 1, 0, 0, 0, 0, False),
    "huge_field.csv": (3, 2, 0, 1, 0, 0, False),
    "injection_fields.csv": (4, 4, 0, 0, 0, 0, False),
    "many_columns.csv": (2, 2, 0, 0, 0, 0, False),
    "merged_formulas.xlsx": (6, 2, 0, 3, 1, 0, False),
    "mixed_gbk_utf8.csv": (4, 4, 0, 0, 0, 0, False),
    "multi_sheet.xlsx": (4, 3, 0, 1, 0, 0, False),
    "multiline_quoted.csv": (3, 3, 0, 0, 0, 0, False),
    "nul_control.csv": (4, 3, 0, 1, 0, 0, False),
    "numeric_cells.xlsx": (4, 4, 0, 0, 0, 2, False),
    "surrogates.jsonl": (5, 2, 0, 3, 0, 0, False),
    "unterminated_quote.csv": (2, 1, 0, 1, 0, 0, False),
    "utf16_nobom.csv": (1, 1, 0, 0, 0, 0, False),
    "utf16_tab.txt": (2, 2, 0, 0, 0, 0, False),
    "wrong_types.jsonl": (9, 6, 0, 3, 0, 0, False),
    "xlsx_cut_head.xlsx": (0, 0, 0, 0, 0, 0, True),
    "xlsx_cut_tail.xlsx": (0, 0, 0, 0, 0, 0, True),
    "xlsx_sheet_xml_cut.xlsx": (1200, 1199, 0, 1, 0, 0, False),
    "zip_not_xlsx.xlsx": (0, 0, 0, 0, 0, 0, True),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    files = [*COMMITTED, gen.write_huge(root)]
    settings = Settings(var_dir=root)
    store = EmbeddedStore.open(root / "graph.lbug")
    store.init_schema()
    nodes0 = store.count_nodes()
    summary = ingest_files(store, files, settings, progress=False)
    yield store, settings, summary, files, nodes0
    store.close()


def _report(summary) -> list[dict[str, str]]:
    with summary.report_path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _file(summary, name):
    return next(f for f in summary.files if f.file == name)


def test_corpus_is_listed_and_regenerates_identically(tmp_path):
    assert sorted([p.name for p in COMMITTED] + ["huge_field.csv"]) == sorted(EXPECTED)
    assert len(EXPECTED) >= 12
    gen.main(tmp_path)
    for p in COMMITTED:
        if p.suffix in (".xlsx",):  # zip timestamps differ between runs
            continue
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), f"{p.name} differs from the generator"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accounting(loaded, name):
    _, _, summary, _, _ = loaded
    f = _file(summary, name)
    read, ld, merged, rejected, skipped, warnings, error = EXPECTED[name]
    assert (f.read, f.loaded, f.merged, f.rejected, f.skipped, f.warnings) == (
        read, ld, merged, rejected, skipped, warnings), f
    assert f.read == f.loaded + f.merged + f.rejected + f.skipped
    assert bool(f.error) == error, f.error


def test_every_rejected_row_is_in_the_report_with_line_column_reason(loaded):
    _, _, summary, _, _ = loaded
    rows = _report(summary)
    rejects = [r for r in rows if r["level"] == "reject"]
    # one (file, line) per rejected row (a row may carry several reasons)
    assert len({(r["file"], r["line"]) for r in rejects}) == summary.totals.rejected
    for r in rows:
        assert r["file"] in EXPECTED and r["reason"], r
        if r["level"] in ("reject", "warning"):
            assert r["line"].isdigit(), r
    by = {(r["file"], int(r["line"])): r for r in rejects}
    assert by[("nul_control.csv", 3)]["column"] == "专利名称"
    assert "NUL" in by[("nul_control.csv", 3)]["reason"]
    r = by[("unterminated_quote.csv", 3)]
    assert r["column"] == "专利名称" and "lines 3-5" in r["reason"] and "quote" in r["reason"]
    assert by[("surrogates.jsonl", 2)]["column"] == "title" and "\\ud800" in by[("surrogates.jsonl", 2)]["reason"]
    assert by[("surrogates.jsonl", 3)]["column"] == "assignee"
    assert "NUL" in by[("surrogates.jsonl", 4)]["reason"]
    assert "nested too deeply" in by[("deep_nesting.jsonl", 2)]["reason"]
    assert len(by[("deep_nesting.jsonl", 2)]["value"]) <= 201
    r = by[("merged_formulas.xlsx", 4)]
    assert r["column"] == "专利名称" and "formula" in r["reason"] and r["value"].startswith("'=CONCATENATE")  # defused for Excel
    assert by[("merged_formulas.xlsx", 5)]["column"] == "摘要"
    assert by[("merged_formulas.xlsx", 7)]["column"] == "申请号"  # the merged 合计 row
    assert "'法律状态'" in by[("multi_sheet.xlsx", 2)]["reason"]
    assert "truncated" in by[("xlsx_sheet_xml_cut.xlsx", 1201)]["reason"]
    r = by[("huge_field.csv", 3)]
    assert r["column"] == "摘要" and "longer than" in r["reason"] and len(r["value"]) <= 201
    assert by[("excel_mangled.csv", 2)]["column"] in ("申请号", "公开(公告)号")
    for name in ("wrong_types.jsonl",):
        assert {(int(r["line"]), r["reason"]) for r in rejects if r["file"] == name} == {
            (5, "missing title"), (6, "missing identifier"), (9, "missing title")}
    files = {r["file"]: r["reason"] for r in rows if r["level"] == "file"}
    assert set(files) == {n for n, e in EXPECTED.items() if e[-1]}
    for name in ("xlsx_cut_head.xlsx", "xlsx_cut_tail.xlsx", "zip_not_xlsx.xlsx"):
        assert "not a readable XLSX" in files[name]
    assert "empty file" in files["bom_only.csv"]
    warnings = {(r["file"], r["line"], r["column"]) for r in rows if r["level"] == "warning"}
    assert warnings == {("excel_mangled.csv", "4", "申请号"), ("numeric_cells.xlsx", "4", "申请号"),
                        ("numeric_cells.xlsx", "5", "被引证次数")}


def _patents(store, ids):
    return {r["id"]: r for r in store.run("ingest_patents_by_ids", ids=ids)}


def _applicants(store, pid):
    return [r["org_id"] for r in sorted(store.run("ingest_applicants_by_ids", ids=[pid]), key=lambda r: r["ord"])]


def test_injection_strings_are_stored_verbatim_and_do_nothing(loaded):
    store, _, summary, _, nodes0 = loaded
    nodes = store.count_nodes()
    # every loaded row is a patent: no DETACH DELETE ran, nothing else was created
    assert nodes["Patent"] == summary.totals.loaded == sum(e[1] for e in EXPECTED.values())
    assert nodes0.get("Patent", 0) == 0
    p = _patents(store, ["CN202510000144.5", "CN202510000159.1", "CN202510000163.8", "CN202510000178.4"])
    assert p["CN202510000144.5"]["title"] == gen.CYPHER_DELETE
    assert p["CN202510000144.5"]["abstract"] == gen.CYPHER_BACKTICK
    assert p["CN202510000159.1"]["title"] == gen.FORMULA_LINK
    assert p["CN202510000159.1"]["abstract"] == gen.FORMULA_CMD
    assert p["CN202510000163.8"]["title"] == gen.HTML_SCRIPT
    assert p["CN202510000163.8"]["abstract"] == gen.HTML_IMG
    assert p["CN202510000178.4"]["title"] == gen.SQL_OR + " UNION SELECT * FROM users"
    assert p["CN202510000178.4"]["abstract"] == "${jndi:ldap://x/a}"
    # names become organisations: the id is the normalised name (NFKC, no spaces around
    # brackets: ``') DETACH`` -> ``')DETACH``), the name as filed is kept as an alias
    raw = [gen.CYPHER_DELETE, gen.HTML_SCRIPT, gen.FORMULA_LINK, gen.FORMULA_AT, gen.CYPHER_PARAM + " 科技有限公司"]
    ids = [normalize_org_name(n) for n in raw]
    assert _applicants(store, "CN202510000144.5") == [ids[0]]
    assert ids[1] in _applicants(store, "CN202510000163.8")
    assert _applicants(store, "CN202510000159.1") == [ids[2], ids[3]]
    orgs = {r["id"]: r for r in store.run("ingest_orgs_by_ids", ids=ids)}
    assert set(orgs) == set(ids)
    for name, oid in zip(raw, ids):
        assert name == orgs[oid]["name"] or name in (orgs[oid]["aliases"] or []), orgs[oid]
    inv = store.run("ingest_inventors_by_ids", ids=["CN202510000144.5", "CN202510000159.1"])
    assert {r["name"] for r in inv} == {gen.CYPHER_PARAM, gen.FORMULA_MINUS}


def test_text_survives_encodings_line_ends_and_types(loaded):
    store, _, _, _, _ = loaded
    p = _patents(store, [
        "CN202510000361.4", "CN202510000376.0", "CN202510000380.7", "CN202510000408.7", "CN202510000253.7",
        "CN202510000272.X", "CN202510000235.9", "CN202510000201.X", "CN202510000110.6", "CN202510000125.2",
        "CN118000004A", "CN202510000130.3", "CN202510000040.4", "CN202510000069.2", "CN202510000088.5",
        "wrong_types:t3", "wrong_types:t4", "wrong_types:2", "CN202510000431.6", "CN118000006A",
        "CN202520001198.9", "CN202510000017.5", "CN202510000035.3", "surrogates:s1",
    ])
    assert p["CN202510000361.4"]["title"] == "一种GBK编码的专利"  # a GBK line in a UTF-8 file
    assert _applicants(store, "CN202510000361.4") == ["重庆邮电大学"]
    assert p["CN202510000376.0"]["title"] == "一种文件末尾的UTF8专利"
    assert p["CN202510000380.7"]["ipc_codes"] == ["H01M10/0525"]  # UTF-16 LE with BOM, tabs
    assert p["CN202510000408.7"]["title"] == "一种无BOM的UTF16专利"
    assert p["CN202510000253.7"]["title"] == "一种CR换行的专利"
    assert p["CN202510000272.X"]["title"] == "一种多行\n标题的专利"
    assert p["CN202510000272.X"]["abstract"] == "第一段，\n第二段，含\"引号\"。\r\n第三段"
    assert p["CN202510000235.9"]["title"] == "一种含\x01\x02\x1b[31m控制字符\x7f的专利"  # verbatim
    assert p["CN202510000201.X"]["title"] == "一种只有第二列标题的专利"  # duplicate header fills in
    # numbers in XLSX cells: an int application number gets its check digit; serial dates
    assert str(p["CN202510000110.6"]["app_date"]) == "2025-01-01"
    assert p["CN202510000110.6"]["cited_count"] == 3
    assert str(p["CN202510000125.2"]["app_date"]) == "2025-01-02"
    assert p["CN118000004A"]["app_no"] is None  # 2.02510E+11 dropped with a warning
    assert p["CN202510000130.3"]["title"] == "12345"
    # multi-sheet: the data sheet after a cover sheet, and its continuation
    assert p["CN202510000040.4"]["title"] == "一种第一页的电池"
    assert p["CN202510000069.2"]["title"] == "一种续页的电池"
    assert _applicants(store, "CN202510000069.2") == ["重庆邮电大学"]
    assert _applicants(store, "CN202510000088.5") == []  # below a merged cell: empty in the file
    # JSON types: a list is joined with ';' (names split on it), an object kept as JSON text
    assert p["wrong_types:t3"]["title"] == "一种;列表标题"
    assert _applicants(store, "wrong_types:t3") == ["重庆大学", "重庆邮电大学"]
    assert p["wrong_types:t4"]["title"] == '{"zh": "一种对象标题"}'
    assert p["wrong_types:2"]["title"] == "12345"
    assert p["surrogates:s1"]["title"] == "一种代理对正常的专利😀"
    assert p["CN202510000431.6"]["title"] == "一种申请号丢了校验位的专利"
    assert p["CN118000006A"]["app_no"] is None
    assert p["CN202520001198.9"]["title"] == "一种第1198号截断测试专利"  # last row before the cut
    assert p["CN202510000017.5"]["abstract"] == "摘要。" and p["CN202510000035.3"]["abstract"] == "摘要。"


def test_second_run_changes_no_count(loaded):
    store, settings, summary, files, _ = loaded
    nodes, rels = store.count_nodes(), store.count_relationships()
    again = ingest_files(store, files, settings, progress=False)
    assert again.totals.loaded == 0
    assert again.totals.merged == summary.totals.loaded + summary.totals.merged
    assert store.count_nodes() == nodes
    assert store.count_relationships() == rels


# -- exports of stored hostile strings ---------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what Excel / WPS evaluate


def _export_table(store) -> Table:
    p = _patents(store, ["CN202510000144.5", "CN202510000159.1", "CN202510000163.8"])
    rows = [{"id": pid, "title": r["title"], "abstract": r["abstract"], "applicants": _applicants(store, pid)}
            for pid, r in sorted(p.items())]
    return Table("hostile", "注入测试", [("id", "申请号"), ("title", "标题"), ("abstract", "摘要"),
                                      ("applicants", "申请人")], rows)


def test_exports_carry_hostile_text_as_data(loaded):
    """CSV and JSON exports keep the strings (a reader sees exactly what was filed)."""
    store, _, _, _, _ = loaded
    t = _export_table(store)
    out = render([t], "csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["申请号", "标题", "摘要", "申请人"]
    flat = "\n".join(",".join(r) for r in rows)
    assert gen.CYPHER_DELETE in flat and gen.HTML_SCRIPT in flat
    body = render([t], "json").content.decode("utf-8")
    assert "DETACH DELETE" in body and "<script>" in body


def test_exports_neutralise_formula_looking_cells(loaded):
    from openpyxl import load_workbook

    store, _, _, _, _ = loaded
    t = _export_table(store)
    wb = load_workbook(io.BytesIO(render([t], "xlsx").content))
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        for c in row:
            assert c.data_type != "f", f"{c.coordinate} is a live formula: {c.value!r}"
    out = render([t], "csv").content.decode("utf-8-sig")
    for row in list(csv.reader(io.StringIO(out)))[1:]:
        for v in row:
            assert not v.startswith(_FORMULA_START), f"CSV cell starts like a formula: {v!r}"


def test_reject_report_neutralises_formula_looking_values(loaded):
    _, _, summary, _, _ = loaded
    values = [r["value"] for r in _report(summary) if r["value"]]
    assert any("CONCATENATE" in v for v in values)  # the formula row is in the report
    for v in values:
        assert not v.startswith(_FORMULA_START), f"report value starts like a formula: {v!r}"
