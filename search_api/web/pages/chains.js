// 产业链: the key industry chains; a chain's map (upstream / midstream / downstream
// segments with Chongqing vs national counts) with 技术短板 gaps highlighted.

import { api, download } from "../api.js";
import { chart } from "../charts.js";
import {
  HOLDER_KIND, POSITION, badge, chips, empty, exportButtons, facts, fill, h, label, num, orgHref, pct,
  route, section, table,
} from "../ui.js";
import { notesBlock } from "./landscape.js";

export async function render(root, ctx) {
  if (ctx.name === "chain" && ctx.args[0]) return renderChain(root, ctx, ctx.args[0]);
  ctx.setTitle("重点产业链");
  root.appendChild(h("h2", { class: "page-title" }, "重点产业链"));
  const out = h("div", { id: "chains" });
  root.appendChild(out);
  await fill(out, async () => {
    const body = await api("/chains");
    return h("div", { class: "card" },
      h("p", { class: "muted" }, "重庆“33618”现代制造业集群体系与 33 条重点产业链的工作目录（环节、IPC 与关键词由 patentnav 定义，非官方清单）。点击产业链查看图谱与技术短板。"),
      table([
        { title: "产业链", value: (r) => h("a", { href: `#/chain/${encodeURIComponent(r.id)}` }, r.name) },
        { title: "体系", value: (r) => r.system },
        { title: "层级", value: (r) => r.tier },
        { title: "环节数", value: (r) => num(r.segments), class: "num" },
        { title: "专利数", value: (r) => num(r.patents), class: "num" },
        { title: "专利导航", value: (r) => h("a", { href: route("/landscape", { chain: r.id }) }, "分析") },
      ], body.chains));
  });
}

async function renderChain(root, ctx, id) {
  ctx.setTitle("产业链图谱");
  const gapParams = {
    weak_threshold: ctx.params.weak_threshold || "0.5",
    min_patents: ctx.params.min_patents || "5",
  };
  const controls = h("form", { class: "form-inline", id: "gap-controls" },
    h("label", {}, "短板判定：区位熵低于", h("input", { name: "weak_threshold", type: "number", step: "0.05", min: "0.05", max: "1", value: gapParams.weak_threshold })),
    h("label", {}, "最少地区已知专利数", h("input", { name: "min_patents", type: "number", min: "1", value: gapParams.min_patents })),
    h("button", { type: "submit", class: "secondary" }, "重新评估"));
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`/chain/${encodeURIComponent(id)}`, { weak_threshold: controls.weak_threshold.value, min_patents: controls.min_patents.value });
  });
  const out = h("div", { id: "chain", class: "stack" });
  root.append(h("div", { class: "toolbar" }, h("a", { href: "#/chains" }, "← 全部产业链"), controls), out);
  let map;
  let gaps;
  const ok = await fill(out, async () => {
    [map, gaps] = await Promise.all([
      api(`/chains/${encodeURIComponent(id)}`),
      api(`/chains/${encodeURIComponent(id)}/gaps`, { params: gapParams }),
    ]);
    return null;
  }, {
    loadingText: "正在生成产业链图谱…",
    errorOptions: {
      extra: (detail) => (detail?.known ? h("p", { class: "suggestions" }, "已知产业链：",
        detail.known.map((k) => h("a", { href: `#/chain/${encodeURIComponent(k)}` }, k))) : null),
    },
  });
  if (!ok || !ctx.isCurrent()) return;
  ctx.setTitle(map.chain.name);
  const gapById = Object.fromEntries((gaps.segments || []).map((g) => [g.id, g]));
  const t = map.totals;
  out.append(
    h("div", { class: "card" },
      h("div", { class: "page-head" },
        h("h2", { id: "chain-title" }, map.chain.name),
        map.chain.tier ? badge(map.chain.tier) : null,
        h("span", { class: "muted" }, `${num(t.patents)} 件专利 · 重庆 ${num(t.local)} 件 · 地区已知 ${num(t.region_known)} 件 · 重庆占比 ${pct(t.national_share)}`),
        exportButtons(download, `/chains/${encodeURIComponent(id)}`, {}),
        h("a", { href: route("/landscape", { chain: id }) }, "专利导航分析 →")),
      map.chain.note ? h("p", { class: "muted small" }, map.chain.note) : null,
      map.windows ? h("p", { class: "muted small" }, `增长对比：近期 ${map.windows.recent?.join("–")} 年 vs 前期 ${map.windows.earlier?.join("–")} 年`) : null),
    notesBlock([...(map.notes || []), ...(gaps.notes || []).filter((n) => !(map.notes || []).includes(n))]),
    legend(),
    chainMap(map.segments, gapById),
    h("div", { class: "charts" },
      chart("各环节专利：重庆 vs 外地（地区已知）", "segments", {
        type: "stack", categories: map.segments.map((s) => s.name), rotate: map.segments.length > 5,
        series: [
          { name: "重庆", data: map.segments.map((s) => s.local), color: "#cf222e" },
          { name: "外地", data: map.segments.map((s) => s.rest), color: "#8fb4ea" },
          { name: "地区未知", data: map.segments.map((s) => s.patents - s.region_known), color: "#d0d7de" },
        ],
        categoryName: "环节", emptyText: "该产业链暂无专利。",
      }, { wide: true })),
    gapsSection(gaps),
  );
}

function legend() {
  return h("p", { class: "muted small" },
    "图例：", h("span", { class: "legend-dot", style: { background: "var(--bad)" } }), "重庆专利",
    h("span", { class: "legend-dot", style: { background: "#8fb4ea" } }), "外地专利（地区已知）",
    "　红色边框 = 技术短板环节（区位熵低于阈值）；灰色边框 = 地区已知的专利太少，未评估。");
}

function chainMap(segments, gapById) {
  const cols = ["upstream", "midstream", "downstream"].map((pos) => {
    const segs = segments.filter((s) => s.position === pos);
    return h("div", { class: "chain-col", dataset: { position: pos } },
      h("h3", {}, label(POSITION, pos)),
      segs.length ? segs.map((s) => segmentCard(s, gapById[s.id])) : empty("（无环节）"));
  });
  const other = segments.filter((s) => !POSITION[s.position]);
  return h("div", {},
    h("div", { class: "chain-map", id: "chain-map" }, cols),
    other.length ? h("div", { class: "chain-col" }, h("h3", {}, "其他"), other.map((s) => segmentCard(s, gapById[s.id]))) : null);
}

function segmentCard(s, gap) {
  const weak = gap?.weak;
  const thin = gap && !gap.sufficient_data;
  const known = s.local + s.rest;
  const growth = (v) => (v == null ? "—" : `${v >= 0 ? "+" : ""}${pct(v, 0)}`);
  return h("div", { class: `segment${weak ? " gap" : thin ? " thin" : ""}`, dataset: { segment: s.id, weak: weak ? "true" : "false" } },
    h("h4", {}, h("a", { href: route("/search", { chain_node: s.id }), title: "检索该环节专利" }, s.name),
      weak ? badge("技术短板", "status-invalid") : thin ? badge("数据不足") : null),
    h("div", { class: "seg-bar", title: `重庆 ${s.local} / 外地 ${s.rest}` },
      known ? h("span", { class: "local", style: { width: `${(100 * s.local) / known}%` } }) : null,
      known ? h("span", { class: "rest", style: { width: `${(100 * s.rest) / known}%` } }) : null),
    facts([
      ["专利", `${num(s.patents)} 件`],
      ["重庆 / 全国（地区已知）", `${num(s.local)} / ${num(s.region_known)}`],
      ["重庆占比", pct(s.national_share)],
      ["增长（重庆 / 外地）", `${growth(s.local_growth)} / ${growth(s.rest_growth)}`],
      ["区位熵", gap?.rta == null ? null : gap.rta.toFixed(2)],
      ["短板得分", gap?.gap_score == null ? null : gap.gap_score.toFixed(2)],
    ]),
    s.leading_local?.length ? h("div", { class: "small" }, "重庆骨干：",
      s.leading_local.map((o, i) => [i ? "、" : "", h("a", { href: orgHref(o.name) }, o.name)])) : null,
    h("div", { class: "small muted" }, "IPC：", s.ipc_patterns.join(" ")),
    h("div", { class: "small" }, chips(s.keywords.slice(0, 6))),
    h("div", { class: "small" }, h("a", { href: route("/landscape", { chain_node: s.id }) }, "环节专利导航 →")));
}

function gapsSection(gaps) {
  const rows = gaps.segments || [];
  const b = gaps.baseline || {};
  return section("技术短板分析",
    h("p", { class: "muted small" }, `基准：全部专利中重庆占比 ${pct(b.local_share)}（${num(b.local)} / ${num(b.region_known)}）；本产业链重庆占比 ${pct(b.chain_local_share)}。`,
      gaps.definition?.weak ? ` 判定：${gaps.definition.weak}。` : ""),
    table([
      { title: "环节", value: (r) => h("span", {}, r.name, r.weak ? badge("短板", "status-invalid") : "") },
      { title: "位置", value: (r) => label(POSITION, r.position) },
      { title: "专利", value: (r) => num(r.patents), class: "num" },
      { title: "重庆", value: (r) => num(r.local), class: "num" },
      { title: "重庆占比", value: (r) => pct(r.local_share), class: "num" },
      { title: "区位熵", value: (r) => (r.rta == null ? "—" : r.rta.toFixed(2)), class: "num" },
      { title: "短板得分", value: (r) => (r.gap_score == null ? "—" : r.gap_score.toFixed(2)), class: "num" },
      { title: "数据充分", value: (r) => (r.sufficient_data ? "是" : "否") },
      { title: "可对接的高校 / 院所", value: (r) => (r.candidates.length ? h("span", {}, r.candidates.slice(0, 5).map((c, i) => [i ? "、" : "",
        h("a", { href: orgHref(c.name), title: `${c.kind_zh || label(HOLDER_KIND, c.kind)} · ${c.patents} 件` }, c.name), c.is_chongqing ? "（渝）" : ""])) : "—") },
    ], rows, { emptyText: "无环节。" }));
}
