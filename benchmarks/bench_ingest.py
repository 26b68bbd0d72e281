"""Ingest throughput on GENERATED patent rows (source = "generated:bench").

Writes N realistic rows (default 1,000,000) as a CSV with Chinese headers to a temporary
folder -- application numbers with valid CNIPA check digits, A/B/U/S publication
numbers, dates, IPC lists, applicants drawn from a Zipf pool (real Chongqing university
and company names plus generated ones), inventors, addresses, legal status, counts --
then measures:

1. parse + normalise: reading the CSV and building the normalised columns of its rows
   (``ingest.prepare.prepare_file`` over the file's spans, as the workers read them, in
   one process, no classification, no store) -- the work that is not graph-specific
   (``--skip-parse-stage`` skips it);
2. end to end: ``IngestSession.load_file`` + ``finish`` into a fresh embedded store (no
   embeddings), SEI and chain classification included, as ``patentnav ingest patents``
   runs it: ``settings.ingest_workers`` parsing processes (each prepares every n-th
   chunk: parse, normalise, classify, Arrow columns), the loading process resolving
   identifiers and writing through a background thread (COPY). Printed: patents/s, the
   loading process's wall seconds per stage, CPU seconds of the loading process and of
   the workers (their sum is what the machine spent);
3. peak RSS of the loading process and of the largest worker, and the CPU seconds of a
   fixed pure-Python workload (the machine's state: its speed drifts);
4. with ``--rerun``: the same file loaded again (every row merges) and the counts compared.

Every generated row is labelled: the file is ``generated_bench_patents.csv`` and the id
prefix / source name is ``generated:bench``.

    python benchmarks/bench_ingest.py                 # 1,000,000 rows
    python benchmarks/bench_ingest.py --rows 100000   # quicker
    python benchmarks/bench_ingest.py --keep          # keep the file, then: --csv <tmp>/generated_bench_patents.csv
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import random
import resource
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HEADERS = ["申请号", "申请日", "公开(公告)号", "公开(公告)日", "授权公告号", "授权公告日", "专利名称", "摘要",
           "申请(专利权)人", "当前权利人", "发明人", "主分类号", "分类号", "申请人地址", "国省代码", "法律状态",
           "专利类型", "引证数", "专利转移次数", "许可次数", "质押次数", "转让日期"]
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
SOURCE = "generated:bench"
LAST_DATE = date(2025, 12, 31)

CQ_UNIVERSITIES = ["重庆大学", "西南大学", "重庆邮电大学", "重庆交通大学", "重庆医科大学", "重庆理工大学",
                   "重庆科技学院", "重庆工商大学", "重庆师范大学", "重庆文理学院", "重庆三峡学院", "长江师范学院",
                   "重庆电子工程职业学院", "陆军军医大学"]
CQ_COMPANIES = ["重庆长安汽车股份有限公司", "赛力斯集团股份有限公司", "重庆京东方光电科技有限公司",
                "隆鑫通用动力股份有限公司", "宗申产业集团有限公司", "重庆川仪自动化股份有限公司",
                "重庆智飞生物制品股份有限公司", "重庆啤酒股份有限公司", "重庆涪陵榨菜集团股份有限公司",
                "重庆再升科技股份有限公司", "重庆博腾制药科技股份有限公司", "重庆水泵厂有限责任公司"]
CQ_DISTRICTS = ["渝中区", "江北区", "沙坪坝区", "九龙坡区", "南岸区", "北碚区", "渝北区", "巴南区", "江津区",
                "合川区", "永川区", "璧山区", "涪陵区", "万州区", "长寿区", "大足区", "两江新区"]
PROVINCES = ["北京市", "上海市", "广东省深圳市", "江苏省南京市", "浙江省杭州市", "四川省成都市", "湖北省武汉市",
             "陕西省西安市", "山东省济南市", "河南省郑州市"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红云飞宇浩然子涵欣怡思远博文"
WORDS = ["智能", "新能源", "高效", "低功耗", "复合", "柔性", "自适应", "分布式", "模块化", "轻量化", "高精度", "车载"]
OBJECTS = ["电池管理系统", "驱动电机", "充电装置", "图像识别方法", "数据处理方法", "传感器", "控制电路", "显示面板",
           "半导体器件", "发动机缸体", "摩托车车架", "火锅底料", "疫苗制备方法", "纺织面料", "液压泵", "芯片封装结构",
           "无人机", "神经网络模型", "复合材料", "清洗装置"]
PARTS = ["壳体", "支架", "控制模块", "连接件", "底座", "传动组件", "检测单元", "存储单元", "固定座", "散热片",
         "导轨", "转轴", "密封圈", "驱动单元", "采集模块", "通信接口", "调节机构", "缓冲垫", "处理器", "滤网"]
SUBCLASSES = ["H01M", "H02K", "B60L", "B60W", "G06F", "G06N", "G06V", "H04L", "H04W", "H01L", "G01N", "A61K",
              "C12N", "A23L", "B62K", "F02B", "F16H", "B62D", "C08L", "C22C", "D03D", "A61Q", "G09G", "G02F",
              "H02J", "B23K", "B25J", "G05B", "E04B", "A01B"]
STATUS = ["有权-审定授权", "审中-实质审查", "无权-未缴年费终止", "有权", "公开", "无权-驳回", "无权-视为撤回"]


def check_digit(digits: str) -> str:
    r = sum(int(d) * WEIGHTS[i] for i, d in enumerate(digits)) % 11
    return "X" if r == 10 else str(r)


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def generate(path: Path, rows: int, seed: int = 20261121) -> None:
    """Write ``rows`` generated patents to ``path`` (UTF-8 CSV, Chinese headers)."""
    rnd = random.Random(seed)
    orgs: list[tuple[str, str]] = []  # (name, address)
    for name in CQ_UNIVERSITIES + CQ_COMPANIES:
        orgs.append((name, f"重庆市{rnd.choice(CQ_DISTRICTS)}{rnd.choice(['学府', '科园', '金渝', '大学城'])}路{rnd.randint(1, 300)}号"))
    for i in range(20_000):
        if i % 3 == 0:
            orgs.append((f"重庆{rnd.choice(WORDS)}{rnd.choice(['科技', '智能装备', '新材料', '电子'])}{i}有限公司",
                         f"重庆市{rnd.choice(CQ_DISTRICTS)}产业路{rnd.randint(1, 999)}号"))
        elif i % 3 == 1:
            p = rnd.choice(PROVINCES)
            orgs.append((f"{p[:2]}{rnd.choice(WORDS)}科技{i}股份有限公司", f"{p}高新区{rnd.randint(1, 999)}号"))
        else:
            orgs.append((f"{rnd.choice(SURNAMES)}{rnd.choice(GIVEN)}{rnd.choice(GIVEN)}",
                         f"重庆市{rnd.choice(CQ_DISTRICTS)}某街道{rnd.randint(1, 99)}号"))
    org_w = _zipf_weights(len(orgs))
    inventors = {i: [f"{rnd.choice(SURNAMES)}{rnd.choice(GIVEN)}{rnd.choice(GIVEN) if rnd.random() < .7 else ''}"
                     for _ in range(12)] for i in range(len(orgs))}
    ipc_pool = [f"{s}{g}/{sg:02d}" for s in SUBCLASSES for g in (1, 3, 4, 5, 7, 10, 16, 20, 33, 50)
                for sg in (0, 2, 4, 6, 10, 12, 20, 30)]
    ipc_w = _zipf_weights(len(ipc_pool), 0.9)
    start = date(2010, 1, 1).toordinal()
    span = date(2024, 12, 31).toordinal() - start
    serial = {"1": 0, "2": 0, "3": 0}
    pub_serial = {"A": 100_000_000, "U": 200_000_000, "S": 300_000_000}
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        org_idx = rnd.choices(range(len(orgs)), weights=org_w, k=rows * 2)
        ipc_idx = rnd.choices(range(len(ipc_pool)), weights=ipc_w, k=rows * 3)
        for n in range(rows):
            kind_digit = rnd.choices("123", weights=(6, 3, 1))[0]
            serial[kind_digit] += 1
            app_d = date.fromordinal(start + rnd.randrange(span))
            digits = f"{app_d.year}{kind_digit}{serial[kind_digit]:07d}"
            app_no = f"CN{digits}.{check_digit(digits)}"
            kc = {"1": "A", "2": "U", "3": "S"}[kind_digit]
            pub_serial[kc] += 1
            pub_no = f"CN{pub_serial[kc]}{kc}"
            pub_d = min(app_d + timedelta(days=rnd.randint(120, 540)), LAST_DATE)
            granted = kc != "A" or rnd.random() < 0.45
            grant_no = (f"CN{pub_serial[kc]}B" if kc == "A" else pub_no) if granted else ""
            grant_d = min(pub_d + timedelta(days=rnd.randint(0, 700)), LAST_DATE) if granted else None
            o1 = org_idx[2 * n]
            apps = [orgs[o1][0]]
            if rnd.random() < 0.2:
                apps.append(orgs[org_idx[2 * n + 1]][0])
            invs = rnd.sample(inventors[o1], rnd.randint(1, 5))
            codes = list(dict.fromkeys(ipc_pool[i] for i in ipc_idx[3 * n: 3 * n + rnd.randint(1, 3)]))
            title = f"一种{rnd.choice(WORDS)}{rnd.choice(OBJECTS)}"
            abstract = (f"本{'发明' if kc == 'A' else '实用新型' if kc == 'U' else '外观设计'}公开了{title[2:]}，"
                        f"包括{rnd.choice(PARTS)}、{rnd.choice(PARTS)}和{rnd.choice(PARTS)}，"
                        f"通过{rnd.choice(WORDS)}的{rnd.choice(PARTS)}提高了{rnd.choice(['效率', '精度', '安全性', '寿命'])}，"
                        f"结构简单，便于推广应用。")
            transfers = rnd.random() < 0.03
            status = rnd.choice(STATUS) if kc == "A" else "有权-审定授权"
            fmt = rnd.random()
            ad = app_d.strftime("%Y%m%d") if fmt < .6 else app_d.strftime("%Y-%m-%d") if fmt < .9 else app_d.strftime("%Y.%m.%d")
            w.writerow([
                app_no, ad, pub_no, pub_d.strftime("%Y%m%d"), grant_no,
                grant_d.strftime("%Y%m%d") if grant_d else "", title, abstract, ";".join(apps),
                apps[0] if rnd.random() < 0.9 else orgs[org_idx[2 * n + 1]][0], ";".join(invs), codes[0],
                ";".join(codes), orgs[o1][1], "重庆(50)" if orgs[o1][1].startswith("重庆") else "",
                status, {"A": "发明公开", "U": "实用新型", "S": "外观设计"}[kc], rnd.choice("0000000123"),
                "1" if transfers else "0", "0", "0",
                min(pub_d + timedelta(days=rnd.randint(30, 900)), LAST_DATE).strftime("%Y%m%d") if transfers else "",
            ])


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process (RUSAGE_CHILDREN: of the largest finished child, e.g. a
    parsing worker)."""
    return resource.getrusage(who).ru_maxrss / 1024


def parse_stage(csv_path: Path) -> None:
    """Stage 1: read + normalise into prepared columns, in this process, no classification."""
    from ingest.headers import map_headers
    from ingest.normalize.regions import region_table
    from ingest.prepare import prepare_file
    from ingest.readers import csv_spans, open_table

    t, cpu = time.perf_counter(), _cpu_seconds()
    n = ok = 0
    for chunk in prepare_file(csv_path, map_headers(open_table(csv_path).headers), source_file=csv_path.name,
                              source_tag=SOURCE, max_field_chars=20_000, today=None, sei=None, chains=None,
                              regions=region_table(), chunk_rows=50_000,
                              spans=csv_spans(csv_path, target_rows=50_000)):
        n += chunk.read
        ok += chunk.rows.num_rows
    dt, dcpu = time.perf_counter() - t, _cpu_seconds() - cpu
    print(f"parse+normalise: {n:,} rows ({ok:,} records) in {dt:.1f} s = {n / dt:,.0f} rows/s "
          f"(CPU {dcpu:.1f} s = {n / dcpu:,.0f} rows per CPU-second)")


def reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python workload (dict stores, str(), a sort): printed
    with the results, so that runs on a machine whose speed drifts can be compared."""
    t = time.process_time()
    d: dict[int, str] = {}
    for i in range(3_000_000):
        d[i & 0xFFFF] = str(i)
    sorted(d.values())
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="generated rows (default 1,000,000)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--csv", type=Path, default=None,
                    help="reuse a file this script generated before (kept with --keep) instead of generating")
    ap.add_argument("--no-classify", action="store_true", help="skip SEI / chain classification")
    ap.add_argument("--skip-parse-stage", action="store_true",
                    help="skip stage 1 (parse + normalise alone); measure end to end only")
    ap.add_argument("--rerun", action="store_true",
                    help="then load the same file again (all rows merge) and compare the counts")
    ap.add_argument("--chunk-size", type=int, default=None, help="rows per parsed chunk")
    ap.add_argument("--commit-rows", type=int, default=None, help="new patents gathered per insert")
    ap.add_argument("--workers", type=int, default=None,
                    help="parsing processes (default: settings.ingest_workers; 0 = in the loading process)")
    ap.add_argument("--buffer-pool-mb", type=int, default=None,
                    help="LadybugDB buffer pool (default: settings.embedded_buffer_pool_mb)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("ingest.patents").setLevel(logging.INFO)

    from graph.embedded import EmbeddedStore
    from ingest import reference
    from ingest.chains import load_chains
    from ingest.patents import IngestSession
    from ingest.pipeline import _session
    from ingest.report import RejectReport
    from ingest.sei import load_sei
    from patentnav.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        csv_path = tmp / "generated_bench_patents.csv"
        if args.csv is not None:
            if args.csv.name != csv_path.name:
                raise SystemExit(f"--csv must name a {csv_path.name} written by this script")
            csv_path = args.csv
            print(f"reusing {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)  [GENERATED data, source={SOURCE}]")
        else:
            t = time.perf_counter()
            generate(csv_path, args.rows)
            print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - t:.1f} s  [GENERATED data, source={SOURCE}]")

        # 1. parse + normalise only
        if not args.skip_parse_stage:
            parse_stage(csv_path)

        print(f"machine state: reference workload {reference_seconds():.2f} CPU-s "
              "(higher = slower: compare runs by it)")

        # 2. end to end into a fresh embedded store
        settings = Settings(var_dir=tmp / "var")
        if args.workers is not None:
            settings = Settings(var_dir=tmp / "var", ingest_workers=args.workers)
        store = EmbeddedStore.open(tmp / "graph.lbug", batch_size=settings.batch_size,
                                   buffer_pool_mb=args.buffer_pool_mb or settings.embedded_buffer_pool_mb)
        store.init_schema()
        # the classification targets (SEI categories, chain nodes) and regions must exist for
        # IN_SEI / IN_CHAIN_NODE / LOCATED_IN edges; they are tiny
        reference.load_regions(store)
        reference.load_sei_categories(store, load_sei(settings.data_dir))
        reference.load_chain_catalogue(store, load_chains())
        report = RejectReport(settings.reports_path)
        session: IngestSession = _session(store, settings, report, progress=False, chunk_size=args.chunk_size)
        if args.commit_rows:
            session.commit_rows = args.commit_rows
        if args.no_classify:
            session.sei = session.chains = None
        t, cpu = time.perf_counter(), _cpu_seconds()
        child_cpu = _cpu_seconds(resource.RUSAGE_CHILDREN)
        s = session.load_file(csv_path, source=SOURCE)
        session.finish()
        dt, dcpu = time.perf_counter() - t, _cpu_seconds() - cpu
        wcpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - child_cpu
        report.close()
        print("loading-process stages (wall s):", {k: round(v, 1) for k, v in session.timings.items()})
        total = dcpu + wcpu
        print(f"end to end: read {s.read:,} loaded {s.loaded:,} merged {s.merged:,} rejected {s.rejected:,} "
              f"warnings {s.warnings:,} in {dt:.1f} s = {s.read / dt:,.0f} patents/s; CPU: loading process "
              f"{dcpu:.1f} s (incl. its store-writing thread) + parsing workers {wcpu:.1f} s = {total:.1f} s "
              f"= {s.read / total:,.0f} patents per CPU-second")
        nodes, rels = store.count_nodes(), store.count_relationships()
        print("nodes:", {k: v for k, v in nodes.items() if v})
        print("relationships:", {k: v for k, v in rels.items() if v})
        if args.rerun:
            # the same file again: every row merges, nothing may change
            report = RejectReport(settings.reports_path)
            again = _session(store, settings, report, progress=False, chunk_size=args.chunk_size)
            t = time.perf_counter()
            s2 = again.load_file(csv_path, source=SOURCE)
            again.finish()
            dt = time.perf_counter() - t
            report.close()
            same = store.count_nodes() == nodes and store.count_relationships() == rels
            print(f"re-run: loaded {s2.loaded:,} merged {s2.merged:,} in {dt:.1f} s = {s2.read / dt:,.0f} rows/s; "
                  f"node and relationship counts {'identical' if same else 'CHANGED'}")
        store.close()
        print(f"peak RSS: loading process {peak_rss_mb():,.0f} MB, largest parsing worker "
              f"{peak_rss_mb(resource.RUSAGE_CHILDREN):,.0f} MB; buffer pool "
              f"{args.buffer_pool_mb or settings.embedded_buffer_pool_mb:,} MB; load average at the end: "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
