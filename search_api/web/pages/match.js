// 供需对接: technology demand -> patents (free text or a stored demand), and
// patent / organisation -> companies, every match explained.

import { api } from "../api.js";
import {
  HOLDER_KIND, STATUS, badge, checkboxes, checkedValues, chips, clear, debounce, empty, fill, h, hl,
  kindBadge, label, num, orgHref, patentHref, route, section, statusBadge,
} from "../ui.js";

const TABS = [
  ["text", "需求文本匹配专利"],
  ["demand", "已收录技术需求"],
  ["patent", "专利匹配企业"],
  ["org", "高校/院所匹配企业"],
];

export async function render(root, ctx) {
  ctx.setTitle("供需对接");
  const tab = TABS.some(([t]) => t === ctx.params.tab) ? ctx.params.tab : "text";
  root.append(
    h("h2", { class: "page-title" }, "供需对接 · 技术需求与专利匹配"),
    h("nav", { class: "tabs" }, TABS.map(([t, text]) => h("a", { href: route("/match", { tab: t }), class: t === tab ? "active" : "", dataset: { tab: t } }, text))),
  );
  const body = h("div", { class: "stack", id: "match" });
  root.appendChild(body);
  if (tab === "text") textTab(body, ctx);
  else if (tab === "demand") await demandTab(body, ctx);
  else if (tab === "patent") patentTab(body, ctx);
  else orgTab(body, ctx);
}

// -- demand text -> patents ----------------------------------------------------------------------
function demandOptions(prefix = "") {
  return h("div", { class: "form-inline" },
    h("fieldset", {}, h("legend", {}, "权利人类型（默认高校、科研院所）"),
      checkboxes(`${prefix}holder_kinds`, HOLDER_KIND, ["university", "institute"])),
    h("label", {}, "返回条数", h("input", { name: `${prefix}k`, type: "number", min: 1, max: 200, value: 10 })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: `${prefix}include_transferred` }), "包含已转让专利"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: `${prefix}open_licence` }), "仅开放许可专利"));
}

function textTab(body, ctx) {
  const out = h("div", { id: "match-results" });
  const form = h("form", { class: "card filters", id: "demand-form" },
    h("label", {}, "技术需求描述（企业想解决的技术问题、预期目标等）",
      h("textarea", { name: "text", placeholder: "例如：防爆锂离子电池的研发：国内锂离子电池产品存在安全隐患问题，需提高电池防爆安全性能。" }, ctx.params.text || "")),
    demandOptions(),
    h("div", {}, h("button", { type: "submit" }, "匹配专利")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = form.text.value.trim();
    if (!text) return;
    fill(out, async () => demandResults(await api("/match/demand", {
      method: "POST",
      body: {
        text, k: Number(form.k.value) || 10, holder_kinds: checkedValues(form, "holder_kinds"),
        exclude_transferred: !form.include_transferred.checked, open_licence_only: form.open_licence.checked,
      },
    })), { loadingText: "正在匹配…" });
  });
  body.append(form, out);
  if (ctx.params.text) form.requestSubmit();
}

async function demandTab(body, ctx) {
  const out = h("div", { id: "match-results" });
  const list = h("div", { class: "demand-list", id: "demand-list" });
  const filter = h("input", { type: "search", placeholder: "按标题或内容筛选本页需求" });
  const pager = h("div", { class: "pager" });
  const options = h("form", { class: "filters" }, demandOptions());
  body.append(section("技术需求库", h("p", { class: "muted small" }, "选择一条已收录的企业技术需求，查找可对接的高校、院所专利。"),
    options, filter, list, pager), out);
  const offset = Number(ctx.params.offset) || 0;
  let items = [];
  const run = (d) => {
    const params = {
      k: Number(options.k.value) || 10,
      holder_kind: checkedValues(options, "holder_kinds"),
      include_transferred: options.include_transferred.checked || undefined,
      open_licence: options.open_licence.checked || undefined,
    };
    fill(out, async () => demandResults(await api(`/match/demands/${encodeURIComponent(d.id)}`, { params })), { loadingText: "正在匹配…" });
  };
  const draw = () => {
    const q = filter.value.trim();
    const shown = q ? items.filter((d) => `${d.title || ""}${d.content || ""}`.includes(q)) : items;
    clear(list).appendChild(shown.length ? h("ul", {}, shown.map((d) => h("li", {},
      h("button", { type: "button", class: "secondary", onclick: () => run(d) }, "匹配"), " ",
      h("strong", {}, d.title || d.id), d.org_name ? h("span", { class: "muted" }, `（${d.org_name}）`) : null,
      d.content ? h("div", { class: "muted small" }, d.content.slice(0, 140) + (d.content.length > 140 ? "…" : ""))
        : null))) : empty("没有符合的需求。"));
  };
  filter.addEventListener("input", debounce(draw, 150));
  await fill(list, async () => {
    const page = await api("/match/demands", { params: { offset, limit: 50 } });
    items = page.items;
    clear(pager).append(
      offset > 0 ? h("a", { href: route("/match", { tab: "demand", offset: Math.max(0, offset - 50) }) }, "← 上一页") : null,
      h("span", { class: "muted" }, `第 ${offset + 1}–${offset + items.length} 条，共 ${num(page.total)} 条`),
      offset + items.length < page.total ? h("a", { href: route("/match", { tab: "demand", offset: offset + 50 }) }, "下一页 →") : null);
    setTimeout(draw);
    return null;
  });
  const wanted = ctx.params.demand && items.find((d) => d.id === ctx.params.demand);
  if (ctx.params.demand) run(wanted || { id: ctx.params.demand });
}

function classification(cls) {
  if (!cls) return null;
  const row = (title, list) => (list?.length ? h("div", {}, h("span", { class: "muted" }, `${title}：`),
    chips(list.map((s) => `${s.code}${s.name ? ` ${s.name}` : ""}（${(s.score * 100).toFixed(0)}%）`))) : null);
  return h("div", { class: "card" }, h("h3", {}, "需求的技术分类（自动判定）"),
    row("IPC", cls.ipc), row("战新产业", cls.sei), row("产业链环节", cls.chain_node));
}

function demandResults(body) {
  const d = body.demand || {};
  const skipped = Object.entries(body.skipped || {}).filter(([, n]) => n > 0);
  const skipNames = { transferred: "已转让", holder_kind: "权利人类型不符", missing: "数据缺失", status: "法律状态不符", open_licence: "非开放许可" };
  const rows = body.results || [];
  return h("div", { class: "stack" },
    h("div", { class: "card" },
      h("h3", {}, d.title ? `需求：${d.title}` : "需求"),
      d.content ? h("p", { class: "text-block small" }, d.content.length > 400 ? `${d.content.slice(0, 400)}…` : d.content) : null,
      h("p", { class: "muted small" }, `检索词：${(body.query?.terms || []).join("、")} · 候选 ${num(body.candidates)} 件`,
        skipped.length ? ` · 排除：${skipped.map(([k, n]) => `${skipNames[k] || k} ${n}`).join("，")}` : "",
        ` · 用时 ${num(body.took_ms)} 毫秒`)),
    classification(body.classification),
    rows.length ? h("ol", { class: "match-list", id: "demand-matches" }, rows.map(matchedPatent)) : empty("没有符合条件的专利。可放宽权利人类型或包含已转让专利。"));
}

function matchedPatent(r) {
  const why = r.why || {};
  const overlap = [
    ...(why.ipc_overlap || []).map((x) => `IPC ${x.code || x}`),
    ...(why.sei_overlap || []).map((x) => `战新 ${x.code || x}`),
    ...(why.chain_overlap || []).map((x) => `产业链 ${x.name || x.code || x}`),
  ];
  return h("li", { class: "match-item", dataset: { id: r.id } },
    h("div", {}, h("span", { class: "score" }, `#${r.rank} `), kindBadge(r.kind), statusBadge(r.status),
      r.hv ? badge("高价值", "hv-true") : null,
      h("a", { href: patentHref(r.id) }, why.highlight?.title ? hl(why.highlight.title) : r.title || r.id),
      h("span", { class: "muted small" }, ` 匹配度 ${r.score.toFixed(4)}`)),
    h("div", { class: "result-meta" },
      r.pub_no || r.app_no || "",
      r.holders?.length ? h("span", {}, "权利人：", r.holders.map((o, i) => [i ? "、" : "", h("a", { href: orgHref(o.name || o.id) }, o.name || o.id),
        o.kind ? `（${label(HOLDER_KIND, o.kind)}）` : ""])) : null,
      r.status_note ? h("span", { title: r.status_note }, `法律状态：${label(STATUS, r.status)}（来源未提供）`) : null),
    h("div", { class: "why", title: why.summary || "" },
      why.shared_terms?.length ? h("div", {}, h("strong", {}, "匹配理由："), "含需求中的技术词 ", chips(why.shared_terms)) : null,
      overlap.length ? h("div", {}, h("strong", {}, "分类重合："), chips(overlap)) : null,
      !why.shared_terms?.length && !overlap.length && why.summary ? h("div", {}, h("strong", {}, "匹配理由："), why.summary) : null,
      why.best_sentence ? h("blockquote", { class: "best-sentence" }, hl(why.best_sentence.highlighted)) : null));
}

// -- patent / organisation -> companies ----------------------------------------------------------
const FACTOR_NAMES = { text: "文本相似", ipc: "IPC 重合", chain: "产业链", region: "地域（重庆）", qualifications: "企业资质" };

function factorBars(factors) {
  return h("div", { class: "factors" }, Object.entries(factors || {}).map(([k, f]) => h("div", { class: "factor", title: f.detail || "" },
    h("span", {}, FACTOR_NAMES[k] || k),
    h("span", { class: "factor-bar" }, h("span", { style: { width: `${Math.round(100 * (f.value || 0))}%` } })),
    h("span", { class: "num" }, `${(f.contribution ?? 0).toFixed(3)}`))));
}

function companyItem(c) {
  return h("li", { class: "match-item", dataset: { id: c.id } },
    h("div", {}, h("span", { class: "score" }, `#${c.rank} `), h("a", { href: orgHref(c.name || c.id) }, c.name || c.id),
      c.is_chongqing ? badge("重庆", "cq") : null, (c.qualifications || []).map((q) => badge(q, "status-valid")),
      h("span", { class: "muted small" }, ` 匹配度 ${c.score.toFixed(3)} · 持有专利 ${num(c.patents_held)} 件`)),
    h("div", { class: "why" }, h("strong", {}, "理由："), c.why),
    h("div", { class: "grid-2" }, factorBars(c.factors),
      c.patents?.length ? h("div", { class: "small" }, "相关专利：", h("ul", {}, c.patents.slice(0, 5).map((p) => h("li", {},
        h("a", { href: patentHref(p.id) }, p.title || p.id), p.score != null ? h("span", { class: "muted" }, ` ${Number(p.score).toFixed(3)}`) : null))))
        : h("div")));
}

function companiesResult(body, subject) {
  const rows = body.results || [];
  return h("div", { class: "stack" },
    h("div", { class: "card" }, subject,
      h("p", { class: "muted small" }, "权重：", Object.entries(body.weights || {}).map(([k, v]) => `${FACTOR_NAMES[k] || k} ${v}`).join("，"),
        body.candidates != null ? ` · 候选企业 ${num(body.candidates)} 家` : "", ` · 用时 ${num(body.took_ms)} 毫秒`)),
    rows.length ? h("ol", { class: "match-list", id: "company-matches" }, rows.map(companyItem)) : empty("没有找到匹配的企业。"));
}

function patentTab(body, ctx) {
  const out = h("div", { id: "match-results" });
  const form = h("form", { class: "card form-inline" },
    h("label", { class: "grow" }, "专利号（申请号 / 公开号）", h("input", { name: "number", value: ctx.params.number || "", placeholder: "CN215771315U" })),
    h("label", {}, "返回条数", h("input", { name: "k", type: "number", min: 1, max: 200, value: 10 })),
    h("label", {}, "限定地区代码", h("input", { name: "region", placeholder: "500000" })),
    h("button", { type: "submit" }, "匹配企业"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const number = form.number.value.trim();
    if (!number) return;
    fill(out, async () => {
      const res = await api(`/match/patent/${encodeURIComponent(number)}`, { params: { k: form.k.value, region: form.region.value.trim() } });
      const p = res.patent || {};
      return companiesResult(res, h("h3", {}, "专利：", h("a", { href: patentHref(p.id) }, p.title || p.id),
        h("span", { class: "muted small" }, ` ${p.pub_no || p.app_no || ""} ${(p.ipc_subclasses || []).join(" ")}`)));
    }, { loadingText: "正在匹配企业…" });
  });
  body.append(form, out);
  if (ctx.params.number) form.requestSubmit();
}

function orgTab(body, ctx) {
  const out = h("div", { id: "match-results" });
  const form = h("form", { class: "card form-inline" },
    h("label", { class: "grow" }, "高校或科研院所名称", h("input", { name: "name", value: ctx.params.name || "", placeholder: "重庆大学" })),
    h("label", {}, "返回条数", h("input", { name: "k", type: "number", min: 1, max: 200, value: 10 })),
    h("button", { type: "submit" }, "匹配企业"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = form.name.value.trim();
    if (!name) return;
    fill(out, async () => {
      const res = await api(`/match/org/${encodeURIComponent(name)}`, { params: { k: form.k.value } });
      const o = res.org || {};
      return companiesResult(res, h("h3", {}, "机构：", h("a", { href: orgHref(o.name || name) }, o.name || name),
        h("span", { class: "muted small" }, ` 参与匹配的专利 ${num(res.patents_considered)} 件`)));
    }, {
      loadingText: "正在匹配企业…",
      errorOptions: { extra: (detail) => (detail?.suggestions?.length ? h("p", { class: "suggestions" }, "您是不是要找：",
        detail.suggestions.map((s) => h("a", { href: route("/match", { tab: "org", name: s.name || s.id }) }, s.name || s.id))) : null) },
    });
  });
  body.append(form, out);
  if (ctx.params.name) form.requestSubmit();
}
