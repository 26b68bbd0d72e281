// 高价值: high-value invention patent dashboard: state and criteria distribution,
// indicators by holder kind / district / SEI / chain, top-100 rankings, the patents.

import { api, download } from "../api.js";
import { chart } from "../charts.js";
import {
  CRITERIA, HOLDER_KIND, badge, empty, exportButtons, fill, h, label, num, orgHref, patentHref, route,
  section, select, table,
} from "../ui.js";

const GROUPS = {
  holder_kind: "权利人类型", district: "区县 / 省份", sei_l1: "战新产业（大类）", sei: "战新产业（小类）",
  chain: "重点产业链", chain_node: "产业链环节", qualification: "企业资质",
};
const STATUS_SETS = { valid: "有效（官方口径）", "valid,unknown": "有效 + 状态未知", any: "全部状态" };
const KINDS = { invention: "发明专利", any: "全部类型" };

function statuses(value) {
  if (value === "any") return ["valid", "pending", "invalid", "unknown"];
  return (value || "valid").split(",");
}

export async function render(root, ctx) {
  ctx.setTitle("高价值发明专利");
  const p = {
    group_by: GROUPS[ctx.params.group_by] ? ctx.params.group_by : "holder_kind",
    status: STATUS_SETS[ctx.params.status] ? ctx.params.status : "valid",
    kind: KINDS[ctx.params.kind] ? ctx.params.kind : "invention",
    region: /^\d{6}$/.test(ctx.params.region || "") ? ctx.params.region : "",
    by: ctx.params.by === "hv" ? "hv" : "patents",
    who: ctx.params.who === "inventors" ? "inventors" : "holders",
  };
  const controls = h("form", { class: "card form-inline", id: "hv-controls" },
    h("label", {}, "统计口径：法律状态", select("status", Object.entries(STATUS_SETS), p.status)),
    h("label", {}, "专利类型", select("kind", Object.entries(KINDS), p.kind)),
    h("label", {}, "地区范围（6 位代码，空 = 全部）", h("input", { name: "region", value: p.region, placeholder: "500000" })),
    h("label", {}, "指标分组", select("group_by", Object.entries(GROUPS), p.group_by)),
    h("label", {}, "排行榜", select("who", [["holders", "专利权人"], ["inventors", "发明人"]], p.who)),
    h("label", {}, "排序依据", select("by", [["patents", "有效专利数"], ["hv", "高价值专利数"]], p.by)),
    h("button", { type: "submit" }, "更新"));
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate("/hv", Object.fromEntries(["status", "kind", "region", "group_by", "who", "by"].map((k) => [k, controls[k].value.trim()])));
  });
  const overview = h("div", { class: "charts", id: "hv-overview" });
  const indicators = h("div", { id: "indicators" });
  const rankings = h("div", { id: "rankings" });
  const patents = h("div", { id: "hv-patents" });
  root.append(
    h("h2", { class: "page-title" }, "高价值发明专利"),
    h("p", { class: "muted" }, "依据国家知识产权局口径：战略性新兴产业、在海外有同族专利、维持年限超过 10 年、实现较高质押融资金额、获得国家科学技术奖或中国专利奖的有效发明专利。多数公开数据不含法律状态，可切换统计口径查看。"),
    controls,
    overview,
    h("div", { class: "stack", style: { marginTop: "16px" } },
      section(`指标：按${GROUPS[p.group_by]}分组`, indicators),
      section(p.who === "holders" ? "专利权人排行榜" : "发明人排行榜", rankings),
      section("高价值发明专利清单", patents)));

  fill(overview, () => overviewCharts(), { loadingText: "正在统计判定结果…" });
  const common = { status: statuses(p.status), kind: p.kind, region: p.region || undefined };
  fill(indicators, async () => indicatorBlock(await api("/indicators", { params: { ...common, group_by: p.group_by } }), { ...common, group_by: p.group_by }));
  fill(rankings, async () => rankingBlock(await api(`/rankings/${p.who}`, { params: { ...common, by: p.by, limit: 20 } }), p.who, { ...common, by: p.by, limit: 100 }));
  fill(patents, async () => patentList(await api("/high-value/patents", { params: { state: "true", limit: 20 } })));
}

async function total(params) {
  const body = await api("/high-value/patents", { params: { ...params, limit: 1 } });
  return body.total;
}

async function overviewCharts() {
  const criteria = Object.keys(CRITERIA);
  const [yes, no, unknown, holding, unknownBy] = await Promise.all([
    total({ state: "true" }), total({ state: "false" }), total({ state: "unknown" }),
    Promise.all(criteria.map((c) => total({ state: "any", criterion: c }))),
    Promise.all(criteria.map((c) => total({ state: "any", unknown: c }))),
  ]);
  const frag = document.createDocumentFragment();
  frag.append(
    chart("判定结果（发明专利）", "hv_state", {
      type: "pie", valueName: "发明专利",
      data: [
        { name: "高价值", value: yes, color: "#e8833a" },
        { name: "非高价值", value: no, color: "#1f6feb" },
        { name: "无法判定（数据不足）", value: unknown, color: "#d0d7de" },
      ],
      emptyText: "尚无发明专利的判定结果（运行 patentnav match recompute-hv）。",
    }),
    chart("各项标准的满足情况", "hv_criteria", {
      type: "stack", categories: criteria.map((c) => CRITERIA[c]), rotate: true,
      series: [
        { name: "满足", data: holding, color: "#1a7f37" },
        { name: "数据不足无法判定", data: unknownBy, color: "#d0d7de" },
      ],
      categoryName: "标准", emptyText: "尚无判定结果。",
    }),
  );
  return frag;
}

function indicatorBlock(body, params) {
  const rows = body.groups || [];
  const name = (r) => r.name || (body.group_by === "holder_kind" ? label(HOLDER_KIND, r.key) : r.key) || "（未知）";
  const hasRatios = rows.some((r) => r.ratios);
  return h("div", {},
    h("div", { class: "page-head" },
      h("span", {}, `合计 ${num(body.total?.patents)} 件，其中高价值 ${num(body.total?.hv)} 件、无法判定 ${num(body.total?.hv_unknown)} 件`),
      exportButtons(download, "/indicators", params)),
    h("div", { class: "charts" }, chart("分组统计", "indicators", {
      type: "bar", categories: rows.slice(0, 20).map(name), rotate: rows.length > 5,
      series: [
        { name: "专利数", data: rows.slice(0, 20).map((r) => r.patents) },
        { name: "高价值", data: rows.slice(0, 20).map((r) => r.hv), color: "#e8833a" },
      ],
      categoryName: "分组", emptyText: "该口径下没有专利。",
    }, { wide: true })),
    table([
      { title: "分组", value: (r) => name(r) },
      { title: "专利数", value: (r) => num(r.patents), class: "num" },
      { title: "高价值", value: (r) => num(r.hv), class: "num" },
      { title: "无法判定", value: (r) => num(r.hv_unknown), class: "num" },
      ...(hasRatios ? [
        { title: "每万人", value: (r) => num(r.ratios?.per_10k_population, 2), class: "num" },
        { title: "每亿元研发投入", value: (r) => num(r.ratios?.per_100m_rd, 2), class: "num" },
        { title: "每亿元 GDP", value: (r) => num(r.ratios?.per_100m_gdp, 3), class: "num" },
      ] : []),
    ], rows),
    body.denominators_source ? h("p", { class: "muted small" }, `分母数据：${body.denominators_source}`) : null);
}

function rankingBlock(body, who, exportParams) {
  const rows = body.items || [];
  return h("div", {},
    h("div", { class: "page-head" }, h("span", { class: "muted" }, `前 ${rows.length} 名（完整百强榜可导出）`),
      exportButtons(download, `/rankings/${who}`, exportParams)),
    table([
      { title: "排名", value: (r) => r.rank, class: "num" },
      who === "holders"
        ? { title: "专利权人", value: (r) => h("a", { href: orgHref(r.name || r.id) }, r.name || r.id) }
        : { title: "发明人", value: (r) => r.name || r.id },
      who === "holders"
        ? { title: "类型", value: (r) => label(HOLDER_KIND, r.holder_kind) }
        : { title: "所属机构", value: (r) => (r.org_name ? h("a", { href: orgHref(r.org_name) }, r.org_name) : "—") },
      { title: "专利数", value: (r) => num(r.patents), class: "num" },
      { title: "高价值", value: (r) => num(r.hv), class: "num" },
      { title: "无法判定", value: (r) => num(r.hv_unknown), class: "num" },
    ], rows, { emptyText: "该口径下没有数据。" }));
}

function patentList(body) {
  const rows = body.items || [];
  if (!rows.length) return empty("目前没有判定为高价值的发明专利（数据缺少法律状态、同族、维持年限等信息时无法判定）。");
  return h("div", {},
    h("p", { class: "muted small" }, `共 ${num(body.total)} 件，显示前 ${rows.length} 件。`),
    table([
      { title: "专利", value: (r) => h("a", { href: patentHref(r.id) }, r.title || r.id) },
      { title: "公开号", value: (r) => r.pub_no || r.app_no },
      { title: "权利人", value: (r) => (r.holders || []).map((o) => o.name || o.id).join("、") },
      { title: "满足标准", value: (r) => h("span", {}, (r.hv_criteria || []).map((c) => badge(CRITERIA[c] || c, "hv-true"))) },
      { title: "检索", value: (r) => h("a", { href: route("/search", { q: r.title || "" }) }, "相似检索") },
    ], rows));
}
