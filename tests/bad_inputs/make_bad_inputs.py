"""Regenerate the deliberately broken ingest inputs in this folder.

Run ``python tests/bad_inputs/make_bad_inputs.py``; the files are committed so the
tests do not depend on this script. Every file is hand-designed test data (the
patents are invented; numbers carry valid CNIPA check digits unless the row is meant
to be broken). ``README.md`` lists what each file contains and how every row must be
accounted for.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)

HEADERS = ["申请号", "申请日", "公开(公告)号", "公开(公告)日", "专利名称", "摘要", "申请(专利权)人", "发明人",
           "分类号", "主分类号", "申请人地址", "法律状态", "专利类型"]


def app(digits: str) -> str:
    r = sum(int(d) * WEIGHTS[i] for i, d in enumerate(digits)) % 11
    return f"CN{digits}.{'X' if r == 10 else r}"


def bad_check(digits: str) -> str:
    good = app(digits)
    wrong = "1" if good[-1] != "1" else "2"
    return good[:-1] + wrong


def csv_text(rows: list[list[str]], headers: list[str] = HEADERS, delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def row(app_no="", app_date="", pub_no="", pub_date="", title="", abstract="", applicants="", inventors="",
        ipc="", ipc_main="", address="", status="", kind="") -> list[str]:
    return [app_no, app_date, pub_no, pub_date, title, abstract, applicants, inventors, ipc, ipc_main, address,
            status, kind]


def main() -> None:
    # 1. GBK-encoded export, Chongqing applicants
    gbk_rows = [
        row(app("202110000017"), "2021.03.05", "CN112000001A", "2021-06-01", "一种动力电池热管理系统",
            "本发明公开了一种用于新能源汽车的动力电池热管理系统。", "重庆大学", "张三;李四", "H01M 10/613;B60L 58/26",
            "H01M10/613", "重庆市沙坪坝区沙正街174号", "审中-实质审查", "发明公开"),
        row(app("202120000021"), "20210407", "CN215000002U", "20211012", "一种摩托车车架", "一种摩托车车架。",
            "重庆隆鑫机车有限公司", "王五", "B62K 11/02", "B62K11/02", "重庆市九龙坡区九龙园区", "有权-审定授权", "实用新型"),
        row(app("202130000035"), "2021年5月6日", "CN306000003S", "2021年9月1日", "火锅底料包装盒", "", "张三丰",
            "张三丰", "", "", "重庆市渝中区解放碑", "有权", "外观设计"),
    ]
    (HERE / "gbk.csv").write_bytes(csv_text(gbk_rows).encode("gbk"))

    # 2. GB18030 with characters outside GBK (𬌗 U+2C317, 䶮 is in GBK; 𠀀 U+20000 is not)
    gb_rows = [
        row(app("202210000048"), "2022-01-10", "CN114000004A", "2022-04-01", "一种𬌗面检测装置",
            "用于牙齿𬌗面的检测。", "重庆医科大学", "𠀀明", "A61C 19/04", "", "重庆市渝中区医学院路1号", "公开", "发明"),
        row(app("202210000052"), "2022-01-11", "CN114000005A", "2022-04-02", "一种数据处理方法",
            "一种数据处理方法。", "重庆邮电大学", "赵六", "G06F 16/30", "", "重庆市南岸区崇文路2号", "公开", "发明"),
    ]
    (HERE / "gb18030.csv").write_bytes(csv_text(gb_rows).encode("gb18030"))

    # 3. UTF-8 with BOM, English headers
    bom = csv_text([
        [app("202310000063"), "2023-02-01", "CN116000006A", "用于锂电池的隔膜", "重庆云天化纽米科技股份有限公司", "H01M50/403"],
        [app("202310000077"), "2023-02-02", "CN116000007A", "一种正极材料", "重庆大学", "H01M4/36"],
    ], headers=["application_number", "application_date", "publication_number", "title", "assignee", "ipc"])
    (HERE / "utf8_bom.csv").write_bytes(b"\xef\xbb\xbf" + bom.encode("utf-8"))

    # 4. UTF-8 with invalid bytes in two rows
    lines = csv_text([
        row(app("202310000081"), "2023-03-01", "CN116000008A", "", "一种车载雷达", "", "重庆长安汽车股份有限公司"),
        row(app("202310000095"), "2023-03-02", "CN116000009A", "", "TITLE_WITH_BAD_BYTES", "", "重庆大学"),
        row(app("202310000109"), "2023-03-03", "CN116000010A", "", "一种电机控制器", "", "重庆大学"),
        row(app("202310000113"), "2023-03-04", "CN116000011A", "", "一种充电桩", "", "APPLICANT_WITH_BAD_BYTES"),
    ]).encode("utf-8")
    lines = lines.replace(b"TITLE_WITH_BAD_BYTES", "一种".encode() + b"\xff\xfe" + "装置".encode())
    lines = lines.replace(b"APPLICANT_WITH_BAD_BYTES", "重庆".encode() + b"\xe5\xa4" + "公司".encode())
    (HERE / "invalid_bytes.csv").write_bytes(lines)

    # 5./6. required columns missing
    (HERE / "missing_id_column.csv").write_text(csv_text([["张三", "摘要一"], ["李四", "摘要二"]],
                                                         headers=["发明人", "摘要"]), encoding="utf-8")
    (HERE / "missing_title_column.csv").write_text(
        csv_text([[app("202310000128"), "摘要一"], [app("202310000132"), "摘要二"]], headers=["申请号", "摘要"]),
        encoding="utf-8")

    # 7. malformed values: one row per case (see README)
    rows = [
        row(app("202410000144"), "2024-01-02", "CN117000012A", "2024-04-02", "A 正常的一行", "正常。", "重庆大学",
            "张三", "H01M4/36", "H01M4/36", "重庆市沙坪坝区", "公开", "发明"),
        row(bad_check("202410000158"), "2024-01-03", "CN117000013A", "", "B 申请号校验位错误但公开号有效", "",
            "重庆大学"),
        row(bad_check("202410000162"), "2024-01-04", "", "", "C 申请号校验位错误且无公开号", "", "重庆大学"),
        row("", "2024-01-05", "", "", "D 没有任何标识号", "", "重庆大学"),
        row(app("202410000177"), "2024-01-06", "CN117000014A", "", "", "E 缺少标题", "重庆大学"),
        row(app("202410000181"), "2021-02-30", "CN117000015A", "yesterday", "F 日期错误", "", "重庆大学"),
        row(app("202410000196"), "2024-01-08", "CN117000016A", "", "G IPC 错误", "", "重庆大学", "", "XYZ;H01M4/36"),
        row(app("202410000209"), "2024-01-09", "CN117000017A", "", "H 字段过多", "", "重庆大学") + ["多出来的", "字段"],
        row(app("202410000213"), "1970-01-01", "CN117000018A", "", "I 日期超出范围", "", "重庆大学"),
        row(app("202410000228"), "2024-01-11", "CN117000019A", "", "J 法律状态未知", "", "重庆大学", "", "", "", "",
            "???"),
        row(app("202410000232"), "2024-01-12", "CN117000020A", "", "K 专利类型错误", "", "重庆大学", "", "", "", "",
            "", "商标"),
    ]
    (HERE / "malformed_values.csv").write_text(csv_text(rows), encoding="utf-8")

    # 8. duplicates: exact, by publication number, A/B publications, number without check digit
    p1 = row(app("202410000247"), "2024-02-01", "CN117100021A", "2024-05-01", "一种储能装置", "", "重庆大学", "张三",
             "H02J7/00")
    dup = [
        p1,
        p1,
        row("", "", "CN117100021A", "", "一种储能装置", "补充的摘要。"),
        row(app("202410000251"), "2024-02-02", "CN117100022A", "2024-05-02", "一种电驱动桥", "", "重庆青山工业有限责任公司"),
        row("", "", "CN117100022B", "", "一种电驱动桥", "", "重庆青山工业有限公司"),
        row(app("202410000266")[:-2], "2024-02-03", "", "", "一种没有校验位的申请号", "", "重庆大学"),
        row(app("202410000266"), "2024-02-03", "", "", "一种没有校验位的申请号", "", "重庆大学(本部)"),
    ]
    (HERE / "duplicates.csv").write_text(csv_text(dup), encoding="utf-8")

    # 9. an overlong field (> the default max_field_chars of 20,000)
    over = [
        row(app("202410000270"), "2024-03-01", "", "", "一种正常长度的专利", "摘要。", "重庆大学"),
        row(app("202410000285"), "2024-03-02", "", "", "一种超长摘要的专利", "长" * 20_001, "重庆大学"),
        row(app("202410000299"), "2024-03-03", "", "", "另一种正常长度的专利", "摘要。", "重庆大学"),
    ]
    (HERE / "overlong.csv").write_text(csv_text(over), encoding="utf-8")

    # 10./11. empty and header-only files
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text(csv_text([]), encoding="utf-8")

    # 12. blank rows in the middle and at the end (like the liaoleyuan samples)
    blank = csv_text([
        row(app("202410000300"), "2024-04-01", "", "", "一种空行前的专利", "", "重庆大学"),
        [""] * len(HEADERS),
        row(app("202410000315"), "2024-04-02", "", "", "一种空行后的专利", "", "重庆大学"),
        [""] * len(HEADERS),
        [" "] * len(HEADERS),
    ]) + "\n"
    (HERE / "blank_rows.csv").write_text(blank, encoding="utf-8")

    # 13. XLSX: a good one and a truncated one
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append([])  # an empty first row: the header is the first non-empty row
    ws.append(["申请号", "申请日", "公开号", "公开日", "标题", "申请人", "IPC", "引证数"])
    ws.append([app("202410000320"), datetime(2024, 5, 6), "CN117200023A", 45500, "一种XLSX中的专利", "重庆大学",
               "G06F 16/30", 3])
    ws.append([app("202410000334"), "2024/05/07", "CN117200024A", "20240808", "另一种XLSX中的专利",
               "重庆邮电大学;重庆大学", "H04W4/40", "2"])
    ws.append([bad_check("202410000349"), datetime(2024, 5, 8), None, None, "校验位错误的XLSX行", "重庆大学", None, None])
    ws.append([None] * 8)
    ws.append([None] * 8)
    wb.save(HERE / "good.xlsx")
    big = Workbook()
    bws = big.active
    bws.append(["申请号", "标题"])
    for i in range(2000):
        bws.append([app(f"2024100{i:05d}"), f"一种第{i}号专利"])
    tmp = io.BytesIO()
    big.save(tmp)
    data = tmp.getvalue()
    (HERE / "truncated.xlsx").write_bytes(data[: len(data) // 2])

    # 14. JSONL with a broken line
    jl = [
        json.dumps({"id": "a1", "title": "一种JSONL专利", "assignee": "重庆大学", "abstract": "摘要。"}, ensure_ascii=False),
        '{"id": "a2", "title": "断开的一行", "assignee": ',
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "a3", "title": "", "assignee": "重庆大学", "abstract": "没有标题"}, ensure_ascii=False),
        json.dumps({"id": "a1", "title": "一种JSONL专利", "assignee": "重庆大学", "abstract": "摘要。"}, ensure_ascii=False),
    ]
    (HERE / "broken.jsonl").write_text("\n".join(jl) + "\n", encoding="utf-8")

    # 15. injection-looking strings (they must be stored verbatim and do nothing)
    inj = [
        row(app("202410000353"), "2024-06-01", "", "", "'); MATCH (n) DETACH DELETE n //", "$rows} RETURN 1 //",
            "Robert'); DROP TABLE patents;--", "`n`", "H01M4/36"),
        row(app("202410000368"), "2024-06-02", "", "", "\" OR 1=1 --", "}]->(x) CALL db.clear()", "重庆大学"),
    ]
    (HERE / "injection.csv").write_text(csv_text(inj), encoding="utf-8")

    # 16. binary content with a .csv name, and an unsupported type
    (HERE / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (HERE / "unsupported.doc").write_bytes(b"not an export")

    # 17. tab-separated with English headers
    tsv = csv_text([
        [app("202410000372"), "2024-07-01", "Battery pack", "Chongqing University", "H01M 50/20"],
        [app("202410000387"), "2024-07-02", "Motor housing", "重庆大学", "H02K 5/04"],
    ], headers=["application_number", "application_date", "title", "assignee", "ipc"], delimiter="\t")
    (HERE / "tab_separated.tsv").write_text(tsv, encoding="utf-8")


if __name__ == "__main__":
    main()
