"""Graph-layer benchmark: bulk load and query latency of the embedded store.

All data is GENERATED (patents carry ``sources = ["generated:bench"]``): N patents with
realistic fan-out -- about 1.6 applicants drawn from a Zipf-distributed pool of organisations,
about 3 inventors, about 2.5 IPC codes drawn from the real WIPO scheme (Zipf over
subclasses), about 5 citations (10 % pointing outside the set, which the store skips),
application years 2000-2025 weighted to recent years, Chinese-looking titles.

It loads everything into a fresh LadybugDB store through the public GraphStore API
(``upsert_nodes`` / ``upsert_relationships``, whole iterables per call, or in ingest-like
chunks with ``--chunk``), then prints load times, peak RSS, and warm median / p95
latencies of representative named queries.

    python benchmarks/bench_graph.py                 # 1,000,000 patents (several minutes)
    python benchmarks/bench_graph.py --n 50000       # quick
    python benchmarks/bench_graph.py --n 200000 --chunk 20000   # ingest-like calls
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from graph.embedded import EmbeddedStore
from patentnav.settings import Settings

SOURCE = "generated:bench"

CITIES = ["重庆", "成都", "西安", "武汉", "长沙", "贵阳", "昆明", "深圳", "杭州", "苏州", "南京", "合肥",
          "北京", "上海", "天津", "郑州", "济南", "青岛", "宁波", "厦门"]
WORDS = ["长安", "华科", "博创", "新能", "智联", "盛达", "恒通", "中科", "天宇", "明德", "泰合", "鼎信",
         "睿驰", "众合", "远景", "宏图", "瑞丰", "金鹰", "蓝海", "银河", "星辰", "九州", "同创", "嘉华"]
FIELDS = ["电子", "汽车", "材料", "医药", "机械", "信息", "能源", "环保", "光电", "精密", "生物", "智能"]
SUFFIX = [("科技有限公司", "enterprise", 50), ("股份有限公司", "enterprise", 20), ("有限责任公司", "enterprise", 15),
          ("研究院", "institute", 5), ("大学", "university", 5), ("研究所", "institute", 3), ("学院", "university", 2)]
TECH = ["锂离子电池", "固态电解质", "车载雷达", "图像识别", "柔性显示", "镁合金", "复合材料", "无人机",
        "储能系统", "电机控制器", "燃料电池", "传感器", "芯片封装", "中药提取物", "工业机器人", "数据加密",
        "智能网联汽车", "光伏组件", "污水处理", "增材制造", "5G基站", "生物传感", "纳米催化剂", "钢结构"]
OBJ = ["正极材料", "控制方法", "检测装置", "制备方法", "系统及方法", "结构", "模组", "调度方法", "散热装置",
       "测试平台", "识别算法", "生产工艺"]
TAIL = ["", "及其制备方法", "及其应用", "及装置", "、设备及存储介质"]
COMMON_SUBCLASSES = ["G06F", "H01M", "H04L", "G06N", "A61K", "H04W", "G06T", "B60L", "G01N", "H01L",
                     "G06Q", "A61B", "C08L", "H02J", "B65G", "F16H", "C02F", "B23K", "E04B", "C12N"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红鹏飞斌宇浩凯健俊帆")


def wipo_groups(data_dir: Path) -> dict[str, list[str]]:
    """Group-level IPC symbols by subclass, in display form, from the real WIPO scheme."""
    by_sub: dict[str, list[str]] = {}
    path = data_dir / "ipc" / "wipo_ipc_scheme_en_2020.tsv"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            sym = line.split("\t", 1)[0]
            if len(sym) != 14:
                continue
            sub, main, sg = sym[:4], int(sym[4:8]), sym[8:].rstrip("0").ljust(2, "0")
            by_sub.setdefault(sub, []).append(f"{sub}{main}/{sg}")
    return by_sub


def zipf_p(n: int, s: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


class Generated:
    """Columns of a generated patent graph (numpy / lists), turned into rows on demand."""

    def __init__(self, n: int, n_orgs: int, data_dir: Path, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.n = n
        # organisations ------------------------------------------------------------------
        names, kinds, seen = [], [], set()
        weights = np.array([w for _, _, w in SUFFIX], float)
        suf_idx = rng.choice(len(SUFFIX), size=n_orgs, p=weights / weights.sum())
        for i in range(n_orgs):
            suffix, kind, _ = SUFFIX[suf_idx[i]]
            name = f"{CITIES[rng.integers(len(CITIES))]}{WORDS[rng.integers(len(WORDS))]}{FIELDS[rng.integers(len(FIELDS))]}{suffix}"
            if name in seen:
                name = f"{name[:-len(suffix)]}{i}{suffix}"
            seen.add(name)
            names.append(name)
            kinds.append(kind)
        self.orgs, self.org_kinds = names, kinds
        # applicants: 1 + (u<.45) + (u<.15) ~ 1.6 per patent, Zipf over organisations
        k_app = 1 + (rng.random(n) < 0.45) + (rng.random(n) < 0.15)
        self.app_ptr = np.concatenate([[0], np.cumsum(k_app)])
        self.app_org = rng.choice(n_orgs, size=int(self.app_ptr[-1]), p=zipf_p(n_orgs, 0.8))
        # years, kinds, ids -------------------------------------------------------------------
        years = np.arange(2000, 2026)
        self.year = rng.choice(years, size=n, p=(1.12 ** (years - 2000)) / (1.12 ** (years - 2000)).sum())
        self.doy = rng.integers(0, 365, size=n)
        self.kind = rng.choice(3, size=n, p=[0.6, 0.35, 0.05])
        self.ids = [f"CN{y}{k + 1}{i:07d}.{i % 10}" for i, (y, k) in enumerate(zip(self.year.tolist(), self.kind.tolist()))]
        self.title_idx = rng.integers(0, [len(TECH), len(OBJ), len(TAIL)], size=(n, 3))
        # IPC: 1 + binomial ~ 2.5 codes, Zipf over subclasses, 60 % of extra codes in the same subclass
        groups = wipo_groups(data_dir)
        # the most frequent subclasses of Chinese filings first, the rest in random order
        common = [c for c in COMMON_SUBCLASSES if c in groups]
        rest = sorted(set(groups) - set(common))
        rng.shuffle(rest)
        subs = common + rest
        self.groups, self.subs = groups, subs
        k_ipc = 1 + rng.binomial(4, 0.375, size=n)
        self.ipc_ptr = np.concatenate([[0], np.cumsum(k_ipc)])
        total = int(self.ipc_ptr[-1])
        sub_of_patent = rng.choice(len(subs), size=n, p=zipf_p(len(subs), 1.0))
        owner = np.repeat(np.arange(n), k_ipc)
        same = rng.random(total) < 0.6
        same[self.ipc_ptr[:-1]] = True
        sub_idx = np.where(same, sub_of_patent[owner], rng.choice(len(subs), size=total, p=zipf_p(len(subs), 1.0)))
        pick = rng.random(total)
        codes = []
        for s_i, u in zip(sub_idx.tolist(), pick.tolist()):
            g = groups[subs[s_i]]
            codes.append(g[int(u * len(g))])
        self.ipc_codes = codes
        # inventors: ~3 per patent, named within the first applicant's pool
        k_inv = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.12, 0.2, 0.3, 0.18, 0.12, 0.08])
        self.inv_ptr = np.concatenate([[0], np.cumsum(k_inv)])
        n_inv = int(self.inv_ptr[-1])
        self.inv_name = rng.integers(0, len(SURNAMES) * len(GIVEN) * len(GIVEN), size=n_inv)
        first_org = np.repeat(self.app_org[self.app_ptr[:-1]], k_inv)
        self.inv_ids = [self.inventor_id(j, self.orgs[o]) for j, o in enumerate(first_org.tolist())]
        # citations: ~5 per patent, 20 % to a popular 1 %, 10 % outside the set
        k_cit = rng.poisson(5, size=n)
        self.cit_ptr = np.concatenate([[0], np.cumsum(k_cit)])
        n_cit = int(self.cit_ptr[-1])
        popular = rng.integers(0, n, size=max(1, n // 100))
        target = rng.integers(0, n, size=n_cit)
        pop = rng.random(n_cit) < 0.2
        target[pop] = popular[rng.integers(0, len(popular), size=int(pop.sum()))]
        self.cit_target = target
        self.cit_outside = rng.random(n_cit) < 0.1
        self.status = rng.choice(["valid", "pending", "invalid", "unknown"], size=n, p=[0.5, 0.2, 0.25, 0.05])

    # -- rows -------------------------------------------------------------------------------------
    def inventor_id(self, j: int, org: str) -> str:
        x = int(self.inv_name[j])
        g2 = x % len(GIVEN)
        g1 = (x // len(GIVEN)) % len(GIVEN)
        s = x // (len(GIVEN) * len(GIVEN))
        return f"{SURNAMES[s]}{GIVEN[g1]}{GIVEN[g2]}|{org}"

    def org_rows(self) -> Iterator[dict]:
        for name, kind in zip(self.orgs, self.org_kinds):
            yield {"id": name, "name": name, "kind": kind, "aliases": [name]}

    def patent_rows(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        kinds = ("invention", "utility_model", "design")
        for i in range(lo, hi):
            t, o, tail = self.title_idx[i]
            year = int(self.year[i])
            codes = self.ipc_codes[self.ipc_ptr[i]:self.ipc_ptr[i + 1]]
            yield {
                "id": self.ids[i], "app_no": self.ids[i],
                "pub_no": f"CN{100000000 + i}{'AUS'[self.kind[i]]}",
                "kind": kinds[self.kind[i]],
                "title": f"一种{TECH[t]}{OBJ[o]}{TAIL[tail]}",
                "app_date": dt.date(year, 1, 1) + dt.timedelta(days=int(self.doy[i])),
                "app_year": year, "status": str(self.status[i]),
                "ipc_main": codes[0], "ipc_codes": codes,
                "ipc_subclasses": sorted({c[:4] for c in codes}),
                "sources": [SOURCE],
            }

    def inventor_rows(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        for iid in self.inv_ids[self.inv_ptr[lo]:self.inv_ptr[hi]]:
            name, org = iid.split("|", 1)
            yield {"id": iid, "name": name, "org_id": org}

    def ipc_rows(self) -> Iterator[dict]:
        used = set(self.ipc_codes)
        parents: dict[str, str] = {}
        for code in used:
            sub, main = code[:4], code.split("/")[0] + "/00"
            parents[code] = main if code != main else sub
            parents.setdefault(main, sub)
            parents.setdefault(sub, sub[:3])
            parents.setdefault(sub[:3], sub[0])
        self.ipc_parents = {k: v for k, v in parents.items() if k != v}
        for code in sorted(set(parents) | set(parents.values())):
            level = ("section" if len(code) == 1 else "class" if len(code) == 3 else "subclass"
                     if len(code) == 4 else "main_group" if code.endswith("/00") else "group")
            yield {"id": code, "level": level, "subclass": code[:4] if len(code) >= 4 else None}

    def applied_by(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        for i in range(lo, hi):
            pid = self.ids[i]
            seen = set()
            for k, j in enumerate(range(self.app_ptr[i], self.app_ptr[i + 1])):
                org = self.orgs[self.app_org[j]]
                if org not in seen:
                    seen.add(org)
                    yield {"src": pid, "dst": org, "ord": k}

    def invented_by(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        ptr, ids = self.inv_ptr.tolist(), self.inv_ids
        for i in range(lo, hi):
            pid = self.ids[i]
            for k, j in enumerate(range(ptr[i], ptr[i + 1])):
                yield {"src": pid, "dst": ids[j], "ord": k}

    def affiliated(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        for iid in self.inv_ids[self.inv_ptr[lo]:self.inv_ptr[hi]]:
            yield {"src": iid, "dst": iid.split("|", 1)[1]}

    def classified_as(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        for i in range(lo, hi):
            pid = self.ids[i]
            start, end = self.ipc_ptr[i], self.ipc_ptr[i + 1]
            for j in range(start, end):
                yield {"src": pid, "dst": self.ipc_codes[j], "main": bool(j == start)}

    def cites(self, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        hi = self.n if hi is None else hi
        for i in range(lo, hi):
            pid = self.ids[i]
            for j in range(self.cit_ptr[i], self.cit_ptr[i + 1]):
                t = int(self.cit_target[j])
                if t == i:
                    continue
                dst = f"CN1999{t:08d}.0" if self.cit_outside[j] else self.ids[t]
                yield {"src": pid, "dst": dst}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bar(rows: Iterable[dict], desc: str, total: int | None, silent: bool) -> Iterable[dict]:
    if silent:
        return rows
    return tqdm(rows, desc=desc, total=total, unit="row", mininterval=2, leave=False)


def load(store: EmbeddedStore, g: Generated, chunk: int | None, silent: bool) -> dict[str, float]:
    t: dict[str, float] = {}
    n = g.n
    t0, c0 = time.perf_counter(), time.process_time()
    store.upsert_nodes("Organization", g.org_rows())
    ipc_rows = list(g.ipc_rows())
    store.upsert_nodes("IPC", ipc_rows)
    store.upsert_relationships("SUBCLASS_OF", ({"src": c, "dst": p} for c, p in g.ipc_parents.items()))
    spans = [(0, n)] if not chunk else [(lo, min(n, lo + chunk)) for lo in range(0, n, chunk)]
    node_s = edge_s = 0.0
    for lo, hi in tqdm(spans, desc="chunks", disable=silent or len(spans) == 1, leave=False):
        a = time.perf_counter()
        store.upsert_nodes("Patent", bar(g.patent_rows(lo, hi), "Patent", hi - lo, silent))
        store.upsert_nodes("Inventor", bar(g.inventor_rows(lo, hi), "Inventor", None, silent))
        b = time.perf_counter()
        store.upsert_relationships("APPLIED_BY", bar(g.applied_by(lo, hi), "APPLIED_BY", None, silent))
        store.upsert_relationships("INVENTED_BY", bar(g.invented_by(lo, hi), "INVENTED_BY", None, silent))
        store.upsert_relationships("AFFILIATED_WITH", bar(g.affiliated(lo, hi), "AFFILIATED_WITH", None, silent))
        store.upsert_relationships("CLASSIFIED_AS", bar(g.classified_as(lo, hi), "CLASSIFIED_AS", None, silent))
        store.upsert_relationships("CITES", bar(g.cites(lo, hi), "CITES", None, silent))
        c = time.perf_counter()
        node_s += b - a
        edge_s += c - b
    t["total"] = time.perf_counter() - t0
    t["cpu"] = time.process_time() - c0
    t["nodes"] = node_s
    t["edges"] = edge_s
    return t


def latency(fn, runs: int) -> tuple[float, float]:
    fn(0)  # warm
    times = []
    for i in range(runs):
        a = time.perf_counter()
        fn(i + 1)
        times.append((time.perf_counter() - a) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="patents to generate (default 1,000,000)")
    ap.add_argument("--orgs", type=int, default=60_000, help="organisation pool (default 60,000)")
    ap.add_argument("--chunk", type=int, default=0, help="load in ingest-like chunks of this many patents (0 = one call per label/type)")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per query (default 20)")
    ap.add_argument("--buffer-pool-mb", type=int, default=4096, help="LadybugDB buffer pool (default 4096)")
    ap.add_argument("--path", type=Path, default=None, help="database folder (default: a temporary one, deleted)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--silent", action="store_true", help="no progress bars")
    args = ap.parse_args()

    settings = Settings()
    print(f"bench_graph: {args.n:,} GENERATED patents ({SOURCE}), {args.orgs:,} organisations; "
          f"embedded LadybugDB, buffer pool {args.buffer_pool_mb} MB"
          + (f", chunks of {args.chunk:,}" if args.chunk else ", one call per label/type"))
    a = time.perf_counter()
    g = Generated(args.n, args.orgs, settings.data_dir, args.seed)
    print(f"generate (columns)      {time.perf_counter() - a:8.1f} s   (rows are built lazily during the load)")

    folder = args.path or Path(tempfile.mkdtemp(prefix="bench_graph_"))
    store = EmbeddedStore.open(folder / "graph.lbug", buffer_pool_mb=args.buffer_pool_mb,
                               batch_size=settings.batch_size)
    try:
        store.init_schema()
        gc.collect()
        t = load(store, g, args.chunk or None, args.silent)
        nodes, rels = store.count_nodes(), store.count_relationships()
        n_nodes, n_rels = sum(nodes.values()), sum(rels.values())
        print(f"load nodes              {t['nodes']:8.1f} s   Patent {nodes['Patent']:,}, Inventor {nodes['Inventor']:,}")
        print(f"load edges              {t['edges']:8.1f} s   {n_rels:,} relationships "
              + ", ".join(f"{k} {v:,}" for k, v in rels.items() if v))
        print(f"load total              {t['total']:8.1f} s   {n_nodes:,} nodes, {n_rels:,} edges; "
              f"{args.n / t['total']:,.0f} patents/s, {(n_nodes + n_rels) / t['total']:,.0f} records/s "
              f"(process CPU {t['cpu']:.1f} s: the machine may be shared)")
        print(f"peak RSS                {peak_rss_mb():8.0f} MB")
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"database on disk        {size / 2**20:8.0f} MB")

        a = time.perf_counter()
        pairs = store.write("derive_co_applied")[0]["pairs"]
        print(f"derive_co_applied       {time.perf_counter() - a:8.1f} s   {pairs:,} CO_APPLIED pairs")
        a = time.perf_counter()
        store.write("derive_co_applied")
        print(f"derive_co_applied again {time.perf_counter() - a:8.1f} s")

        top_org = g.orgs[int(np.bincount(g.app_org).argmax())]
        busy_sub = g.subs[1]  # H01M, the second most frequent subclass
        rng = np.random.default_rng(args.seed + 1)
        sample = rng.integers(0, args.n, size=args.runs + 1)
        queries = {
            "patent_by_id": lambda i: store.run("patent_by_id", id=g.ids[sample[i]]),
            "patent_by_number (pub_no)": lambda i: store.run("patent_by_number", number=f"CN{100000000 + int(sample[i])}{'AUS'[g.kind[sample[i]]]}"),
            "patents_by_ids (100)": lambda i: store.run("patents_by_ids", ids=[g.ids[(int(sample[i]) + k * 997) % args.n] for k in range(100)]),
            "patent_neighbourhood": lambda i: store.run("patent_neighbourhood", id=g.ids[sample[i]]),
            f"ipc_subtree_counts {busy_sub}": lambda i: store.run("ipc_subtree_counts", prefix=busy_sub),
            f"ipc_subtree_counts {busy_sub[:3]}": lambda i: store.run("ipc_subtree_counts", prefix=busy_sub[:3]),
            "org_patents top org (50)": lambda i: store.run("org_patents", id=top_org, limit=50),
            "co_applicants top org": lambda i: store.run("co_applicants", id=top_org),
            "org_search_by_alias": lambda i: store.run("org_search_by_alias", name=g.orgs[int(sample[i]) % len(g.orgs)]),
        }
        print(f"query latency, warm, {args.runs} runs (median / p95 ms); top org {top_org} "
              f"({int(np.bincount(g.app_org).max()):,} applications)")
        for name, fn in queries.items():
            med, p95 = latency(fn, args.runs)
            print(f"  {name:<32} {med:9.1f} {p95:9.1f}")

        # re-upsert a slice: half of the rows change a value
        m = min(100_000, args.n)
        rows = ({"id": g.ids[i], "status": "valid" if i % 2 else str(g.status[i])} for i in range(m))
        a = time.perf_counter()
        store.upsert_nodes("Patent", rows)
        print(f"re-upsert {m:,} patents (about half changed) {time.perf_counter() - a:6.1f} s")
        a = time.perf_counter()
        store.upsert_relationships("APPLIED_BY", g.applied_by(0, m))
        print(f"re-upsert APPLIED_BY of {m:,} patents (unchanged) {time.perf_counter() - a:6.1f} s")
        print(f"peak RSS                {peak_rss_mb():8.0f} MB")
    finally:
        store.close()
        if args.path is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
