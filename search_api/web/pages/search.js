// 检索: hybrid search with filters, clickable facets, highlights and cursor paging.

import { api } from "../api.js";
import {
  HOLDER_KIND, KIND, MODES, STATUS, checkboxes, checkedValues, clear, empty, errorBox, h, hl,
  hvBadge, kindBadge, label, loading, num, orgHref, patentHref, route, select, splitList,
  statusBadge,
} from "../ui.js";

/** filters kept in the page address (list filters comma-separated) */
const LIST_FILTERS = ["ipc", "kind", "status", "holder_kind", "region", "sei", "chain", "chain_node"];
const SCALAR_FILTERS = ["hv", "year_from", "year_to"];
const FACETS = [
  ["ipc_subclass", "IPC 小类", "ipc"],
  ["kind", "专利类型", "kind"],
  ["status", "法律状态", "status"],
  ["holder_kind", "权利人类型", "holder_kind"],
  ["region", "地区", "region"],
  ["sei", "战略性新兴产业", "sei"],
  ["chain", "重点产业链", "chain"],
  ["high_value", "高价值发明专利", "hv"],
  ["app_year", "申请年份", "year"],
];
const FILTER_NAMES = {
  ipc: "IPC", kind: "类型", status: "法律状态", holder_kind: "权利人类型", region: "地区",
  sei: "战新产业", chain: "产业链", chain_node: "产业链环节", hv: "高价值", year_from: "申请年≥", year_to: "申请年≤",
};
const PAGE_SIZE = 10;

/** cursor -> cursor of the page before it (for 上一页 within this browser session) */
const previousCursor = new Map();
let chainCache = null;

async function chains() {
  if (!chainCache) {
    chainCache = api("/chains").then((r) => r.chains).catch(() => []);
  }
  return chainCache;
}

function stateFrom(params) {
  const state = { q: params.q || "", mode: params.mode || "hybrid", cursor: params.cursor || "" };
  for (const f of LIST_FILTERS) state[f] = splitList(params[f]);
  for (const f of SCALAR_FILTERS) state[f] = params[f] || "";
  return state;
}

function toParams(state) {
  const out = { q: state.q, mode: state.mode === "hybrid" ? "" : state.mode, cursor: state.cursor };
  for (const f of LIST_FILTERS) out[f] = state[f];
  for (const f of SCALAR_FILTERS) out[f] = state[f];
  return out;
}

function apiParams(state) {
  const out = {
    q: state.q, mode: state.mode, limit: PAGE_SIZE, cursor: state.cursor || undefined,
    facets: FACETS.map(([f]) => f).join(","),
  };
  for (const f of LIST_FILTERS) if (state[f].length) out[f] = state[f].join(",");
  for (const f of SCALAR_FILTERS) if (state[f]) out[f] = state[f];
  return out;
}

function hasFilters(state) {
  return LIST_FILTERS.some((f) => state[f].length) || SCALAR_FILTERS.some((f) => state[f]);
}

export async function render(root, ctx) {
  ctx.setTitle("检索");
  const state = stateFrom(ctx.params);
  const go = (next) => ctx.navigate("/search", toParams({ ...next, cursor: next.cursor || "" }));

  // -- search bar ------------------------------------------------------------------------------
  const bar = h("form", { class: "searchbar", role: "search" },
    h("input", {
      type: "search", name: "q", value: state.q, placeholder: "输入技术主题、关键词或一段描述，例如：锂电池正极材料",
      "aria-label": "检索词", autofocus: true,
    }),
    select("mode", Object.entries(MODES), state.mode, { "aria-label": "检索方式" }),
    h("button", { type: "submit" }, "检索"));
  bar.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ ...state, q: bar.q.value.trim(), mode: bar.mode.value, cursor: "" });
  });

  const sidebar = h("aside", { class: "sidebar" });
  const main = h("div", { class: "results-col" });
  root.append(h("h2", { class: "page-title" }, "专利检索"), bar, h("div", { class: "layout-2" }, sidebar, main));

  sidebar.appendChild(filterForm(state, go, await chains()));
  const facetBox = h("div", { class: "facets", id: "facets" });
  sidebar.appendChild(facetBox);

  if (!state.q && !hasFilters(state)) {
    main.appendChild(intro(go, state));
    return;
  }

  main.appendChild(activeFilters(state, go));
  const results = h("div", { id: "results" }, loading("正在检索…"));
  main.appendChild(results);
  let body;
  try {
    body = await api("/search", { params: apiParams(state) });
  } catch (err) {
    clear(results).appendChild(errorBox(err));
    return;
  }
  if (!ctx.isCurrent()) return;
  clear(results);
  renderFacets(facetBox, body.group_by || {}, state, go);
  renderResults(results, body, state, go);
}

function intro(go, state) {
  const examples = ["锂电池", "锂电池正极材料", "无人机机载数据实时处理", "新能源汽车充电桩", "石墨烯"];
  return h("div", { class: "card intro" },
    h("h3", {}, "开始检索"),
    h("p", {}, "支持中文混合检索（关键词 BM25 与语义向量融合），可按 IPC、专利类型、法律状态、权利人类型、地区、战略性新兴产业、重点产业链、高价值发明专利等条件筛选，左侧分面可点击筛选。"),
    h("p", {}, "示例：", examples.map((q) => h("a", { href: route("/search", { q }), class: "example" }, q))),
    h("p", { class: "muted" }, "不输入检索词、只选择筛选条件，可按条件浏览专利（最新申请在前）。"),
    state.mode !== "hybrid" ? h("p", {}, `当前检索方式：${MODES[state.mode]}`) : null,
  );
}

function filterForm(state, go, chainList) {
  const form = h("form", { class: "card filters", id: "filters" },
    h("h3", {}, "筛选条件"),
    h("label", {}, "IPC 分类（前缀，逗号分隔）",
      h("input", { name: "ipc", value: state.ipc.join(","), placeholder: "H01M, H01M4/36" })),
    h("fieldset", {}, h("legend", {}, "专利类型"), checkboxes("kind", { invention: "发明", utility_model: "实用新型", design: "外观设计" }, state.kind)),
    h("fieldset", {}, h("legend", {}, "法律状态"), checkboxes("status", { valid: "有效", pending: "审中", invalid: "失效", unknown: "未知" }, state.status)),
    h("fieldset", {}, h("legend", {}, "权利人类型"), checkboxes("holder_kind", HOLDER_KIND, state.holder_kind)),
    h("label", {}, "地区（6 位行政区划代码）",
      h("input", { name: "region", value: state.region.join(","), placeholder: "500000 = 重庆市" })),
    h("label", {}, "战略性新兴产业（代码）",
      h("input", { name: "sei", value: state.sei.join(","), placeholder: "1, 4.1" })),
    h("label", {}, "重点产业链",
      select("chain", [["", "不限"], ...chainList.map((c) => [c.id, c.name])], state.chain[0] || "")),
    h("label", {}, "高价值发明专利",
      select("hv", [["", "不限"], ["true", "仅高价值"], ["false", "非高价值"]], state.hv)),
    h("div", { class: "row" },
      h("label", {}, "申请年 从", h("input", { name: "year_from", type: "number", min: 1985, max: 2100, value: state.year_from })),
      h("label", {}, "至", h("input", { name: "year_to", type: "number", min: 1985, max: 2100, value: state.year_to }))),
    h("div", { class: "row buttons" },
      h("button", { type: "submit" }, "应用筛选"),
      h("button", { type: "button", class: "secondary", onclick: () => go({ q: state.q, mode: state.mode, ...Object.fromEntries(LIST_FILTERS.map((f) => [f, []])) }) }, "清除")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = { ...state, cursor: "" };
    next.ipc = splitList(form.ipc.value.toUpperCase().replace(/\s+/g, ""));
    next.kind = checkedValues(form, "kind");
    next.status = checkedValues(form, "status");
    next.holder_kind = checkedValues(form, "holder_kind");
    next.region = splitList(form.region.value);
    next.sei = splitList(form.sei.value);
    next.chain = form.chain.value ? [form.chain.value] : [];
    next.hv = form.hv.value;
    next.year_from = form.year_from.value;
    next.year_to = form.year_to.value;
    const q = document.querySelector(".searchbar input[name=q]");
    if (q) next.q = q.value.trim();
    go(next);
  });
  return form;
}

function activeFilters(state, go) {
  const items = [];
  for (const f of LIST_FILTERS) {
    for (const v of state[f]) {
      const text = f === "kind" ? label(KIND, v) : f === "status" ? label(STATUS, v) : f === "holder_kind" ? label(HOLDER_KIND, v) : v;
      items.push(h("button", {
        type: "button", class: "chip removable", title: "移除此条件",
        onclick: () => go({ ...state, [f]: state[f].filter((x) => x !== v), cursor: "" }),
      }, `${FILTER_NAMES[f]}：${text} ×`));
    }
  }
  for (const f of SCALAR_FILTERS) {
    if (!state[f]) continue;
    const text = f === "hv" ? (state.hv === "true" ? "是" : "否") : state[f];
    items.push(h("button", {
      type: "button", class: "chip removable", title: "移除此条件",
      onclick: () => go({ ...state, [f]: "", cursor: "" }),
    }, `${FILTER_NAMES[f]}：${text} ×`));
  }
  return items.length ? h("div", { class: "active-filters" }, h("span", { class: "muted" }, "当前条件："), items) : h("div");
}

function renderFacets(box, groups, state, go) {
  clear(box);
  for (const [facet, title, filter] of FACETS) {
    const buckets = groups[facet] || [];
    const list = h("ul", { class: "facet-list", dataset: { facet } });
    for (const b of buckets.slice(0, 12)) {
      const selected = facetSelected(state, filter, b.key);
      const clickable = !(filter === "hv" && b.key === "unknown");
      const name = b.key_display_name && b.key_display_name !== b.key ? b.key_display_name : "";
      const content = [h("span", { class: "facet-key" }, facetKeyText(facet, b.key)),
        name ? h("span", { class: "facet-name", title: name }, name) : null,
        h("span", { class: "facet-count" }, num(b.count))];
      list.appendChild(h("li", { class: selected ? "selected" : "" }, clickable
        ? h("a", {
          href: "#", title: selected ? "取消此筛选" : "按此筛选",
          onclick: (event) => {
            event.preventDefault();
            go(toggleFacet(state, filter, b.key));
          },
        }, content)
        : h("span", { class: "facet-static" }, content)));
    }
    box.appendChild(h("section", { class: "card facet" }, h("h4", {}, title),
      buckets.length ? list : empty("无")));
  }
}

function facetKeyText(facet, key) {
  if (facet === "kind" || facet === "status" || facet === "holder_kind" || facet === "high_value") return "";
  return key;
}

function facetSelected(state, filter, key) {
  if (filter === "hv") return state.hv === key;
  if (filter === "year") return state.year_from === key && state.year_to === key;
  return state[filter].includes(key);
}

function toggleFacet(state, filter, key) {
  const next = { ...state, cursor: "" };
  if (filter === "hv") next.hv = state.hv === key ? "" : key;
  else if (filter === "year") {
    const on = state.year_from === key && state.year_to === key;
    next.year_from = on ? "" : key;
    next.year_to = on ? "" : key;
  } else {
    next[filter] = state[filter].includes(key) ? state[filter].filter((x) => x !== key) : [...state[filter], key];
  }
  return next;
}

function renderResults(box, body, state, go) {
  const meta = body.meta;
  const hits = body.results || [];
  const from = meta.offset + 1;
  const to = meta.offset + hits.length;
  box.appendChild(h("div", { class: "result-head" },
    h("span", { id: "result-count" }, hits.length ? `共约 ${num(meta.count)} 件，第 ${from}–${to} 件` : "没有找到匹配的专利"),
    h("span", { class: "muted" }, ` · ${MODES[meta.mode] || meta.mode} · 用时 ${num(meta.took_ms)} 毫秒`),
    meta.query_terms?.length ? h("span", { class: "muted" }, ` · 检索词：${meta.query_terms.join("、")}`) : null,
    state.q ? h("a", { class: "head-link", href: route("/landscape", { q: state.q }) }, "生成该主题的专利导航 →") : null,
  ));
  if (!hits.length) {
    box.appendChild(empty("可以尝试更换检索词、改用语义检索，或减少筛选条件。"));
    return;
  }
  const list = h("ol", { class: "result-list", start: from });
  for (const hit of hits) list.appendChild(resultItem(hit, go, state));
  box.appendChild(list);
  box.appendChild(pager(meta, state, go));
}

function resultItem(hit, go, state) {
  const title = hit.highlight?.title ? hl(hit.highlight.title) : document.createTextNode(hit.title || hit.id);
  const numbers = [
    hit.pub_no ? `公开号 ${hit.pub_no}` : null,
    hit.app_no ? `申请号 ${hit.app_no}` : null,
    hit.app_date ? `申请日 ${hit.app_date}` : null,
    hit.pub_date ? `公开日 ${hit.pub_date}` : null,
  ].filter(Boolean);
  const ipc = (hit.ipc_subclasses || []).map((code) => h("a", {
    class: "chip ipc", href: "#", title: "按此 IPC 筛选",
    onclick: (event) => {
      event.preventDefault();
      if (!state.ipc.includes(code)) go({ ...state, ipc: [...state.ipc, code], cursor: "" });
    },
  }, code));
  const applicants = (hit.applicants || []).map((a) => h("a", { href: orgHref(a.name || a.id), class: "org" }, a.name || a.id));
  const best = hit.best_sentence;
  const fieldName = { title: "标题", abstract: "摘要", claim1: "权利要求1" };
  const scores = hit.scores || {};
  const scoreText = [
    hit.score != null ? `相关度 ${hit.score.toFixed(4)}` : null,
    scores.keyword_rank ? `关键词第 ${scores.keyword_rank} 名` : null,
    scores.semantic_rank ? `语义第 ${scores.semantic_rank} 名（相似度 ${scores.semantic?.toFixed(2)}）` : null,
  ].filter(Boolean).join(" · ");
  return h("li", { class: "result-item", dataset: { id: hit.id } },
    h("div", { class: "result-title" },
      kindBadge(hit.kind), statusBadge(hit.status), hvBadge(hit.hv),
      h("a", { href: patentHref(hit.id), class: "title-link" }, title)),
    numbers.length ? h("div", { class: "result-meta" }, numbers.join(" · ")) : null,
    (ipc.length || applicants.length) ? h("div", { class: "result-meta" },
      applicants.length ? h("span", {}, "申请人：", applicants.flatMap((a, i) => (i ? ["、", a] : [a]))) : null,
      ipc.length ? h("span", { class: "ipc-list" }, " IPC：", ipc) : null) : null,
    best ? h("blockquote", { class: "best-sentence", title: `最佳匹配句（${best.method === "vector" ? "语义" : "关键词"}）` },
      h("span", { class: "best-label" }, fieldName[best.field] || best.field), hl(best.highlighted)) : null,
    scoreText ? h("div", { class: "result-score muted small" }, scoreText) : null,
  );
}

function pager(meta, state, go) {
  const nav = h("nav", { class: "pager", "aria-label": "翻页" });
  if (meta.offset > 0) {
    const prev = previousCursor.get(state.cursor) || "";
    nav.appendChild(h("button", { type: "button", class: "secondary", onclick: () => go({ ...state, cursor: prev }) }, "← 上一页"));
    if (prev) nav.appendChild(h("button", { type: "button", class: "secondary", onclick: () => go({ ...state, cursor: "" }) }, "第一页"));
  }
  nav.appendChild(h("span", { class: "muted" }, `第 ${Math.floor(meta.offset / meta.limit) + 1} 页`));
  if (meta.next_cursor) {
    nav.appendChild(h("button", {
      type: "button", id: "next-page",
      onclick: () => {
        previousCursor.set(meta.next_cursor, state.cursor || "");
        go({ ...state, cursor: meta.next_cursor });
      },
    }, "下一页 →"));
  }
  return nav;
}
