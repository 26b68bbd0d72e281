// 机构画像: organisation profile, 竞争对手 competitors, and head-to-head comparison.

import { api, download } from "../api.js";
import { chart } from "../charts.js";
import {
  HOLDER_KIND, KIND, STATUS, badge, chips, empty, exportButtons, facts, fill, h, label,
  loading, num, orgHref, pct, route, section, splitList, table,
} from "../ui.js";
import { citedTable, clusterList, ipcChart, notesBlock, regionChart, splitPie, trendChart } from "./landscape.js";

export async function render(root, ctx) {
  if (ctx.name === "compare") return renderCompare(root, ctx);
  const name = ctx.args[0] || "";
  ctx.setTitle(name ? `${name} · 机构画像` : "机构画像");
  root.append(h("h2", { class: "page-title" }, "机构画像 · 竞争格局"), orgForm(ctx, name));
  const out = h("div", { id: "org", class: "stack" });
  root.appendChild(out);
  if (!name) {
    out.appendChild(section("专利数量排名前列的权利人（点击查看画像）", h("div", { id: "top-orgs" })));
    fill(out.querySelector("#top-orgs"), async () => topOrgs(await api("/rankings/holders", {
      params: { limit: 30, kind: "any", status: ["valid", "pending", "unknown"] },
    })));
    return;
  }
  let profile;
  const ok = await fill(out, async () => {
    profile = await api(`/orgs/${encodeURIComponent(name)}`, { params: { limit: 15 } });
    return null;
  }, { loadingText: "正在生成机构画像…", errorOptions: { extra: suggestions } });
  if (!ok || !ctx.isCurrent()) return;
  out.append(...profileBlocks(profile, name));
  const comp = h("div", { id: "competitors" });
  out.appendChild(section("竞争对手（技术重叠度）", comp));
  fill(comp, async () => competitors(await api(`/orgs/${encodeURIComponent(name)}/competitors`, { params: { limit: 15 } }), profile, ctx),
    { loadingText: "正在计算竞争对手…" });
}

/** Name suggestions of a 404 ``error.detail.suggestions``. */
function suggestions(detail) {
  const list = detail?.suggestions;
  if (!list || !list.length) return null;
  return h("p", { class: "suggestions" }, "您是不是要找：",
    list.map((s) => h("a", { href: orgHref(s.name || s.id) }, s.name || s.id)));
}

function orgForm(ctx, name) {
  const form = h("form", { class: "card form-inline", id: "org-form" },
    h("label", { class: "grow" }, "机构名称（全称、简称或别名）", h("input", { name: "name", value: name, placeholder: "例如：重庆大学" })),
    h("button", { type: "submit" }, "查看画像"),
    h("label", { class: "grow" }, "机构对比（2–10 个，逗号分隔）", h("input", { name: "names", placeholder: "重庆大学,重庆邮电大学" })),
    h("button", { type: "button", class: "secondary", onclick: () => {
      const names = splitList(form.names.value.replace(/，/g, ","));
      if (names.length) ctx.navigate("/compare", { names });
    } }, "对比"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const n = form.name.value.trim();
    if (n) ctx.navigate(`/org/${encodeURIComponent(n)}`);
  });
  return form;
}

function topOrgs(body) {
  return table([
    { title: "排名", value: (r) => r.rank, class: "num" },
    { title: "权利人", value: (r) => h("a", { href: orgHref(r.name || r.id) }, r.name || r.id) },
    { title: "类型", value: (r) => label(HOLDER_KIND, r.holder_kind) },
    { title: "专利数", value: (r) => num(r.patents), class: "num" },
  ], body.items);
}

function profileBlocks(p, name) {
  const org = p.org;
  const head = h("div", { class: "card" },
    h("div", { class: "page-head" },
      h("h2", { id: "org-title" }, org.name),
      org.kind ? badge(org.kind_zh || label(HOLDER_KIND, org.kind)) : null,
      org.is_chongqing ? badge("重庆", "cq") : null,
      h("span", { class: "muted" }, `申请专利 ${num(p.patents)} 件`),
      exportButtons(download, `/orgs/${encodeURIComponent(name)}`, { limit: 15 }),
      h("a", { href: route("/match", { tab: "org", name: org.name }) }, "为其专利匹配企业 →"),
    ),
    facts([
      ["机构标识", org.id], ["地区代码", org.region_code],
      ["别名", (org.aliases || []).filter((a) => a !== org.name).join("、")],
      ["资质", (org.qualifications || []).join("、")],
      ["引用他人 / 被他人引用", `${num(p.citations?.given?.links)} / ${num(p.citations?.received?.links)} 次`],
    ]));
  const charts = h("div", { class: "charts" },
    trendChart(p.trend),
    ipcChart(p.ipc_subclasses, "ipc_subclasses"),
    splitPie("专利类型", "kinds", (p.kinds || []).map((x) => ({ ...x, name: label(KIND, x.key) || x.name })), "暂无类型数据。"),
    splitPie("法律状态", "status", (p.status || []).map((x) => ({ ...x, name: label(STATUS, x.key) || x.name })), "暂无法律状态数据。"),
    regionChart(p.regions),
  );
  const partners = section("合作申请人", table([
    { title: "合作机构", value: (r) => h("a", { href: orgHref(r.name || r.id) }, r.name || r.id) },
    { title: "类型", value: (r) => r.kind_zh || label(HOLDER_KIND, r.kind) },
    { title: "重庆", value: (r) => (r.is_chongqing ? "是" : r.is_chongqing === false ? "否" : "—") },
    { title: "共同申请", value: (r) => num(r.patents), class: "num" },
  ], p.partners, { emptyText: "没有合作申请记录。" }));
  const citeRows = [
    ...(p.citations?.given?.by_org || []).map((r) => ({ ...r, dir: "引用" })),
    ...(p.citations?.received?.by_org || []).map((r) => ({ ...r, dir: "被引用" })),
  ];
  const cites = section("引用关系", table([
    { title: "方向", value: (r) => r.dir },
    { title: "机构", value: (r) => (r.org_id ? h("a", { href: orgHref(r.org_name || r.org_id) }, r.org_name) : r.org_name) },
    { title: "引用次数", value: (r) => num(r.citations), class: "num" },
    { title: "涉及专利", value: (r) => num(r.patents), class: "num" },
  ], citeRows, { emptyText: "没有引用记录。" }));
  return [head, notesBlock(p.notes), charts, clusterList(p.clusters, (p.notes || []).find((n) => /cluster/i.test(n))), h("div", { class: "grid-2" }, partners, cites), citedTable(p.top_cited)].filter(Boolean);
}

function competitors(body, profile, ctx) {
  const rows = body.competitors || [];
  const box = h("div", {},
    h("p", { class: "muted small" }, `依据：${(body.basis || []).map((b) => (b === "ipc" ? "IPC 构成相似度" : "语义中心相似度")).join(" + ") || "—"}；权重 ${Object.entries(body.weights || {}).map(([k, v]) => `${k === "ipc" ? "IPC" : "语义"} ${v}`).join("，")}`),
    (body.notes || []).length ? h("ul", { class: "notes" }, body.notes.map((n) => h("li", {}, n))) : null);
  if (!rows.length) {
    box.appendChild(empty("没有找到技术重叠的机构。"));
    return box;
  }
  const picked = new Set();
  const compareBtn = h("button", { type: "button", disabled: true, onclick: () => ctx.navigate("/compare", { names: [profile.org.name, ...picked] }) }, "对比所选机构");
  box.appendChild(table([
    { title: "", value: (r) => h("input", { type: "checkbox", title: "加入对比", onchange: (e) => {
      if (e.target.checked) picked.add(r.name); else picked.delete(r.name);
      compareBtn.disabled = picked.size === 0 || picked.size > 9;
    } }) },
    { title: "排名", value: (r) => r.rank, class: "num" },
    { title: "机构", value: (r) => h("a", { href: orgHref(r.name) }, r.name) },
    { title: "类型", value: (r) => r.kind_zh || label(HOLDER_KIND, r.kind) },
    { title: "重庆", value: (r) => (r.is_chongqing ? "是" : r.is_chongqing === false ? "否" : "—") },
    { title: "专利数", value: (r) => num(r.patents), class: "num" },
    { title: "综合得分", value: (r) => h("span", { class: "score" }, r.score.toFixed(3)), class: "num" },
    { title: "共同 IPC", value: (r) => chips(r.shared_codes.slice(0, 5).map((c) => `${c.code}（${c.focal}/${c.candidate}）`)) },
    { title: "说明", value: (r) => r.explanation },
  ], rows));
  box.appendChild(h("p", {}, compareBtn));
  return box;
}

// -- compare -----------------------------------------------------------------------------------
async function renderCompare(root, ctx) {
  const names = splitList(ctx.params.names);
  ctx.setTitle("机构对比");
  root.append(h("h2", { class: "page-title" }, "机构对比"), orgForm(ctx, ""));
  const out = h("div", { id: "compare", class: "stack" });
  root.appendChild(out);
  if (names.length < 2) {
    out.appendChild(empty("请输入至少 2 个机构名称进行对比。"));
    return;
  }
  out.appendChild(loading());
  let body;
  const ok = await fill(out, async () => {
    body = await api("/orgs/compare", { params: { names: names.join(",") } });
    return null;
  }, { errorOptions: { extra: suggestions } });
  if (!ok || !ctx.isCurrent()) return;
  const orgs = body.orgs;
  const metrics = [
    ["专利数", "patents", num], ["发明", "inventions", num], ["实用新型", "utility_models", num], ["外观设计", "designs", num],
    ["有效专利", "valid", num], ["有效率", "valid_share", pct], ["授权数", "grants", num], ["总被引", "cited_total", num],
    ["引用他人", "cites_given", num], ["被引用", "cites_received", num], ["首次申请年", "first_year", (v) => v ?? "—"],
    ["最近申请年", "last_year", (v) => v ?? "—"],
  ];
  const years = body.years || [];
  out.append(
    h("div", { class: "card" }, h("div", { class: "page-head" }, h("h3", {}, orgs.map((o) => o.name).join(" vs ")),
      exportButtons(download, "/orgs/compare", { names: names.join(",") })),
    table([
      { title: "指标", value: (m) => m[0] },
      ...orgs.map((o) => ({ title: h("a", { href: orgHref(o.name) }, o.name), value: (m) => m[2](o[m[1]]), class: "num" })),
    ], metrics)),
    notesBlock(body.notes),
    h("div", { class: "charts" },
      chart("申请趋势对比", "compare_trend", {
        type: "line", categories: years,
        series: orgs.map((o) => ({ name: o.name, data: years.map((y) => (o.trend.find((t) => t.year === y) || {}).applications || 0) })),
        categoryName: "年份", emptyText: "各机构均无申请年份数据。",
      }, { wide: true }),
      chart("专利类型构成", "compare_kinds", {
        type: "stack", categories: orgs.map((o) => o.name),
        series: [["发明", "inventions", "#1f6feb"], ["实用新型", "utility_models", "#8250df"], ["外观设计", "designs", "#e8833a"],
          ["类型未知", "kind_unknown", "#d0d7de"]].map(([n, k, color]) => ({ name: n, data: orgs.map((o) => o[k]), color })),
        categoryName: "机构",
      }),
      section("IPC 构成相似度（余弦）", table([
        { title: "机构 A", value: (r) => r.a }, { title: "机构 B", value: (r) => r.b },
        { title: "相似度", value: (r) => (r.cosine == null ? "无 IPC 数据" : r.cosine.toFixed(3)), class: "num" },
      ], body.ipc_similarity))),
    h("div", { class: "grid-3" }, orgs.map((o) => section(`${o.name} · 主要 IPC`, table([
      { title: "IPC", value: (r) => r.code }, { title: "说明", value: (r) => r.title_zh || r.title },
      { title: "专利数", value: (r) => num(r.patents), class: "num" },
    ], o.ipc_top, { emptyText: "无 IPC 数据。" })))),
  );
}
