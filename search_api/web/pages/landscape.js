// 专利导航: technology landscape of a topic (text / IPC / SEI / chain / chain segment)
// with charts: trend, top holders, holder kinds, IPC, regions, legal status, clusters.

import { api, download } from "../api.js";
import { chart } from "../charts.js";
import {
  HOLDER_KIND, KIND, STATUS, checkboxes, checkedValues, clear, empty, errorBox, exportButtons,
  h, label, loading, num, orgHref, patentHref, pct, route, section, select, splitList, table,
} from "../ui.js";

const TOPIC = ["q", "ipc", "sei", "chain", "chain_node"];
const FILTERS = ["year_from", "year_to", "kind", "status", "holder_kind", "region"];

let chainCache = null;
function chains() {
  if (!chainCache) chainCache = api("/chains").then((r) => r.chains).catch(() => []);
  return chainCache;
}

function apiParams(p) {
  const out = { limit: p.limit || 15 };
  for (const k of [...TOPIC, ...FILTERS]) if (p[k]) out[k] = p[k];
  return out;
}

export async function render(root, ctx) {
  ctx.setTitle("专利导航");
  const p = ctx.params;
  root.append(h("h2", { class: "page-title" }, "专利导航 · 技术全景分析"), form(p, ctx, await chains()));
  const out = h("div", { id: "landscape" });
  root.appendChild(out);
  if (!TOPIC.some((k) => p[k])) {
    out.appendChild(intro());
    return;
  }
  out.appendChild(loading("正在生成专利导航分析（含主题聚类，可能需要数秒）…"));
  let body;
  try {
    body = await api("/navigation/landscape", { params: apiParams(p) });
  } catch (err) {
    clear(out).appendChild(errorBox(err));
    return;
  }
  if (!ctx.isCurrent()) return;
  clear(out).append(...landscape(body, p));
}

function intro() {
  const examples = [
    ["文本主题：锂电池", { q: "锂电池" }],
    ["IPC：H01M（电池）", { ipc: "H01M" }],
    ["战新产业：4（生物产业）", { sei: "4" }],
    ["产业链：智能网联新能源汽车", { chain: "cq-icnev" }],
  ];
  return h("div", { class: "card intro" },
    h("h3", {}, "选择一个分析主题"),
    h("p", {}, "主题可以是一段文本（混合检索）、IPC 分类、战略性新兴产业代码、重点产业链或产业链环节；多个条件同时填写时取交集。"),
    h("p", {}, "示例：", examples.map(([text, params]) => h("a", { class: "example", href: route("/landscape", params) }, text))));
}

function form(p, ctx, chainList) {
  const f = h("form", { class: "card filters", id: "landscape-form" },
    h("div", { class: "form-inline" },
      h("label", { class: "grow" }, "文本主题", h("input", { name: "q", value: p.q || "", placeholder: "例如：锂电池正极材料" })),
      h("label", {}, "IPC 前缀", h("input", { name: "ipc", value: p.ipc || "", placeholder: "H01M" })),
      h("label", {}, "战新产业代码", h("input", { name: "sei", value: p.sei || "", placeholder: "4.1" })),
      h("label", {}, "重点产业链", select("chain", [["", "不限"], ...chainList.map((c) => [c.id, c.name])], p.chain || "")),
      h("label", {}, "产业链环节", h("input", { name: "chain_node", value: p.chain_node || "", placeholder: "cq-icnev/battery" }))),
    h("div", { class: "form-inline" },
      h("label", {}, "申请年 从", h("input", { name: "year_from", type: "number", value: p.year_from || "" })),
      h("label", {}, "至", h("input", { name: "year_to", type: "number", value: p.year_to || "" })),
      h("label", {}, "地区代码", h("input", { name: "region", value: p.region || "", placeholder: "500000" })),
      h("label", {}, "每表条数", select("limit", [["10", "10"], ["15", "15"], ["20", "20"], ["50", "50"]], p.limit || "15"))),
    h("div", { class: "form-inline" },
      h("fieldset", {}, h("legend", {}, "专利类型"), checkboxes("kind", { invention: "发明", utility_model: "实用新型", design: "外观设计" }, splitList(p.kind))),
      h("fieldset", {}, h("legend", {}, "权利人类型"), checkboxes("holder_kind", HOLDER_KIND, splitList(p.holder_kind))),
      h("button", { type: "submit" }, "生成分析")));
  f.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate("/landscape", {
      q: f.q.value.trim(), ipc: f.ipc.value.trim().toUpperCase(), sei: f.sei.value.trim(), chain: f.chain.value,
      chain_node: f.chain_node.value.trim(), year_from: f.year_from.value, year_to: f.year_to.value,
      region: f.region.value.trim(), limit: f.limit.value,
      kind: checkedValues(f, "kind"), holder_kind: checkedValues(f, "holder_kind"),
    });
  });
  return f;
}

/** Chart and table blocks shared with the organisation page. */
export function trendChart(rows, note) {
  const r = rows || [];
  return chart("申请与授权趋势", "trend", {
    type: "line", categories: r.map((x) => x.year),
    series: [
      { name: "申请量", data: r.map((x) => x.applications) },
      { name: "授权量", data: r.map((x) => x.grants) },
      ...(r.some((x) => x.applications_cq) ? [{ name: "其中重庆申请", data: r.map((x) => x.applications_cq) }] : []),
    ],
    categoryName: "年份",
    emptyText: note || "暂无申请年份数据，无法绘制趋势。",
  }, { wide: true });
}

export function ipcChart(rows, key = "ipc") {
  const r = rows || [];
  return chart("IPC 技术构成（小类）", key, {
    type: "hbar", categories: r.map((x) => `${x.code} ${x.title_zh || x.title || ""}`.trim()),
    series: [{ name: "专利数", data: r.map((x) => x.patents) }],
    categoryName: "IPC", emptyText: "暂无 IPC 分类数据。",
  });
}

export function splitPie(title, key, rows, emptyText, note) {
  return chart(title, key, {
    type: "pie", data: (rows || []).filter((x) => x.patents > 0).map((x) => ({ name: x.name || x.key, value: x.patents })),
    valueName: "专利数", emptyText,
  }, { note });
}

function noneNote(rows) {
  const none = (rows || []).find((x) => x.key === "none");
  return none && none.patents ? `另有 ${num(none.patents)} 件无申请人信息，未计入图中。` : null;
}

export function regionChart(rows) {
  const known = (rows || []).filter((x) => x.code);
  const unknown = (rows || []).filter((x) => !x.code).reduce((n, x) => n + x.patents, 0);
  return chart("地区分布", "regions", {
    type: "bar", categories: known.map((x) => x.name || x.code), rotate: known.length > 6,
    series: [{ name: "专利数", data: known.map((x) => x.patents) }], categoryName: "地区",
    emptyText: "暂无申请人地区数据。",
  }, { note: unknown ? `另有 ${num(unknown)} 件地区未知，未计入图中。` : null });
}

export function clusterList(rows, note) {
  if (!rows) return section("技术主题聚类", empty(note ? `未计算主题聚类：${note}` : "未计算主题聚类（需要检索索引）。"));
  if (!rows.length) return section("技术主题聚类", empty("专利数量太少，无法聚类。"));
  return section("技术主题聚类", h("div", { class: "clusters", id: "clusters" }, rows.map((c) => h("div", { class: "cluster" },
    h("h4", {}, `${c.label}`),
    h("div", { class: "muted small" }, `${num(c.patents)} 件（${pct(c.share)}）`,
      c.chongqing ? ` · 重庆 ${num(c.chongqing)} 件` : "", c.mean_app_year ? ` · 平均申请年 ${c.mean_app_year.toFixed(1)}` : ""),
    h("div", { class: "chips" }, c.keywords.slice(0, 8).map((k) => h("a", { class: "chip", href: route("/search", { q: k.term }) }, k.term))),
    h("ul", {}, c.examples.map((e) => h("li", {}, h("a", { href: patentHref(e.id) }, e.title || e.id))))))));
}

export function citedTable(rows) {
  return section("高被引专利", table([
    { title: "专利", value: (r) => h("a", { href: patentHref(r.id) }, r.title || r.pub_no || r.id) },
    { title: "类型", value: (r) => label(KIND, r.kind) },
    { title: "申请年", value: (r) => r.app_year },
    { title: "被引次数", value: (r) => num(r.cited_count), class: "num" },
  ], rows, { emptyText: "暂无被引数据。" }));
}

export function notesBlock(notes) {
  if (!notes || !notes.length) return null;
  return h("details", { class: "card", open: true }, h("summary", {}, `数据说明（${notes.length}）`),
    h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}

function cqBlock(cq) {
  if (!cq) return null;
  if (!cq.available) return section("重庆与其他地区对比", empty(cq.reason || "无法对比。"));
  const rows = [
    ["专利数", "patents", num], ["发明专利", "inventions", num], ["发明占比", "invention_share", pct],
    ["有效专利", "valid", num], ["有效率（状态已知）", "valid_share", pct], ["授权数", "grants", num],
    ["总被引", "cited_total", num], ["篇均被引", "cited_mean", (v) => num(v, 2)],
    ["首次申请年", "first_year", (v) => v ?? "—"], ["最近申请年", "last_year", (v) => v ?? "—"],
  ];
  return section("重庆与其他地区对比", h("p", { class: "muted" }, `重庆占比 ${pct(cq.share_chongqing)}，地区未知 ${num(cq.unknown_region)} 件`),
    table([
      { title: "指标", value: (r) => r[0] },
      { title: "重庆", value: (r) => r[2](cq.chongqing[r[1]]), class: "num" },
      { title: "其他地区", value: (r) => r[2](cq.elsewhere[r[1]]), class: "num" },
    ], rows));
}

function landscape(body, p) {
  const topic = body.topic || {};
  const res = topic.resolution?.text;
  const cov = body.coverage?.fields || {};
  const covNames = { app_year: "申请年", ipc: "IPC", ipc_group: "IPC 大组", applicant: "申请人", region: "地区", abstract: "摘要", status: "法律状态", cited: "被引" };
  const head = h("div", { class: "card" },
    h("div", { class: "page-head" },
      h("h2", { id: "landscape-title" }, `${topic.label || "专利导航"}`),
      h("span", { class: "muted" }, `共 ${num(body.patents)} 件专利 · 用时 ${num(body.meta?.took_ms)} 毫秒`),
      exportButtons(download, "/navigation/landscape", apiParams(p))),
    res ? h("p", { class: "muted small" }, `文本主题：检索 ${num(res.search_total)} 件，按相关度阈值保留 ${num(res.kept)} 件${res.capped ? "（已达上限）" : ""}。`) : null,
    h("div", { class: "kpis" }, Object.entries(cov).map(([k, v]) => h("div", { class: "kpi" },
      h("div", { class: "value" }, pct(v.share, 0)), h("div", { class: "label" }, `含${covNames[k] || k}字段`)))));
  const holders = body.holders || [];
  const charts = h("div", { class: "charts" },
    trendChart(body.trend),
    chart("主要申请人（专利权人）", "holders", {
      type: "hbar", categories: holders.map((x) => x.name || x.id),
      series: [{ name: "专利数", data: holders.map((x) => x.patents) }], categoryName: "申请人",
      emptyText: "暂无申请人数据。",
      onClick: (e) => { if (e.name) location.hash = orgHref(e.name); },
    }),
    splitPie("申请人类型", "holder_kinds", (body.holder_kinds || []).filter((x) => x.key !== "none"),
      "暂无申请人类型数据。", noneNote(body.holder_kinds)),
    ipcChart(body.ipc_subclasses, "ipc_subclasses"),
    chart("IPC 分布（矩形树图）", "ipc_treemap", {
      type: "treemap",
      data: ((body.ipc_groups && body.ipc_groups.length ? body.ipc_groups : body.ipc_subclasses) || [])
        .map((x) => ({ name: x.code, value: x.patents })),
      valueName: "专利数", emptyText: "暂无 IPC 数据。",
    }),
    regionChart(body.regions),
    splitPie("法律状态", "status", (body.status || []).map((x) => ({ ...x, name: label(STATUS, x.key) || x.name })), "暂无法律状态数据。"),
    splitPie("专利类型", "kinds", (body.kinds || []).map((x) => ({ ...x, name: label(KIND, x.key) || x.name })), "暂无类型数据。"),
  );
  const holderTable = section("申请人排名", table([
    { title: "排名", value: (r) => r.rank, class: "num" },
    { title: "申请人", value: (r) => h("a", { href: orgHref(r.name || r.id) }, r.name || r.id) },
    { title: "类型", value: (r) => r.kind_zh || label(HOLDER_KIND, r.kind) },
    { title: "重庆", value: (r) => (r.is_chongqing ? "是" : r.is_chongqing === false ? "否" : "—") },
    { title: "专利数", value: (r) => num(r.patents), class: "num" },
    { title: "占比", value: (r) => pct(r.share), class: "num" },
  ], holders));
  const inventors = body.inventors?.length ? section("主要发明人", table([
    { title: "发明人", value: (r) => r.name || r.id },
    { title: "所属机构", value: (r) => (r.org_id ? h("a", { href: orgHref(r.org_id) }, r.org_id) : "—") },
    { title: "专利数", value: (r) => num(r.patents), class: "num" },
  ], body.inventors)) : null;
  return [
    head,
    notesBlock(body.notes),
    charts,
    h("div", { class: "stack", style: { marginTop: "16px" } },
      clusterList(body.clusters, (body.notes || []).find((n) => /cluster|index/i.test(n))),
      h("div", { class: "grid-2" }, holderTable, cqBlock(body.cq_comparison) || h("div")),
      inventors,
      citedTable(body.top_cited)),
  ].filter(Boolean);
}
