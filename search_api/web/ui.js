// DOM helpers, Chinese labels, formatting and the readable rendering of API errors.

import { ApiError } from "./api.js";

// -- labels ---------------------------------------------------------------------------------
export const KIND = { invention: "发明", utility_model: "实用新型", design: "外观设计", unknown: "类型未知" };
export const STATUS = { valid: "有效", pending: "审中", invalid: "失效", unknown: "状态未知" };
export const HOLDER_KIND = {
  university: "高校", institute: "科研院所", enterprise: "企业",
  government: "政府机关", individual: "个人", other: "其他",
};
export const POSITION = { upstream: "上游", midstream: "中游", downstream: "下游" };
export const CRITERIA = {
  sei: "战略性新兴产业", overseas_family: "海外同族", maintained_10y: "维持超过10年",
  pledge: "质押融资", award: "获奖（国家科技奖/中国专利奖）",
};
export const MODES = { hybrid: "混合检索", keyword: "关键词检索", semantic: "语义检索" };

export const label = (map, key) => (key == null ? "—" : map[key] || key);

// -- DOM ------------------------------------------------------------------------------------
/**
 * h("div", {class: "x", onclick: fn, dataset: {a: 1}}, "text", child, [more...])
 * Strings become text nodes (never HTML). Use ``hl()`` for server highlights.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * A highlighted snippet from the API: the text is already HTML-escaped by the server
 * and only <em>…</em> marks matches. Anything else that looks like a tag is escaped.
 */
export function hl(text, tag = "span", cls = "hl") {
  const el = document.createElement(tag);
  el.className = cls;
  el.innerHTML = String(text ?? "").replace(/<(?!\/?em>)/g, "&lt;");
  return el;
}

/** Hash link to a page: route("/search", {q: "电池"}) -> "#/search?q=电池". */
export function route(path, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) continue;
    qs.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const text = qs.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export const patentHref = (id) => `#/patent/${encodeURIComponent(id)}`;
export const orgHref = (name) => `#/org/${encodeURIComponent(name)}`;

export function badge(text, cls = "") {
  return h("span", { class: `badge ${cls}`.trim() }, text);
}

/** Badges of a patent's kind and legal status (nothing when unknown). */
export function kindBadge(kind) {
  return kind && kind !== "unknown" ? badge(label(KIND, kind), `kind-${kind}`) : null;
}

export function statusBadge(status) {
  return status && status !== "unknown" ? badge(label(STATUS, status), `status-${status}`) : null;
}

export function hvBadge(hv) {
  if (hv === true) return badge("高价值", "hv-true");
  return null;
}

export function chips(items, cls = "chip") {
  return h("span", { class: "chips" }, (items || []).map((x) => (x instanceof Node ? x : h("span", { class: cls }, x))));
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h3", {}, title), ...children);
}

export function loading(text = "加载中…") {
  return h("div", { class: "loading" }, h("span", { class: "spinner" }), text);
}

export function empty(text = "暂无数据") {
  return h("p", { class: "empty" }, text);
}

/** A table; columns = [{title, value: row => node|string, class}]. */
export function table(columns, rows, { cls = "grid", emptyText = "暂无数据" } = {}) {
  if (!rows || !rows.length) return empty(emptyText);
  return h(
    "table",
    { class: cls },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.title)))),
    h("tbody", {}, rows.map((row, i) => h("tr", {}, columns.map((c) => {
      const v = c.value(row, i);
      return h("td", { class: c.class }, v === undefined || v === null || v === "" ? "—" : v);
    })))),
  );
}

/** Definition list of [label, value] pairs; empty values are left out. */
export function facts(pairs) {
  const dl = h("dl", { class: "facts" });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) continue;
    dl.appendChild(h("dt", {}, k));
    dl.appendChild(h("dd", {}, v));
  }
  return dl;
}

// -- formatting -----------------------------------------------------------------------------
export function num(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return "—";
  return Number(value).toLocaleString("zh-CN", { maximumFractionDigits: digits });
}

export function pct(share, digits = 1) {
  if (share === undefined || share === null) return "—";
  return `${(share * 100).toFixed(digits)}%`;
}

export const yesNo = (v) => (v === true ? "是" : v === false ? "否" : "未知");

// -- errors ---------------------------------------------------------------------------------
const STATUS_TITLES = {
  0: "无法连接服务器",
  400: "请求有误",
  401: "需要 API Key",
  403: "权限不足",
  404: "未找到",
  409: "冲突",
  413: "上传文件过大",
  422: "参数错误",
  429: "请求过于频繁",
  500: "服务器内部错误",
  503: "服务暂不可用",
};

const CODE_HINTS = {
  index_not_built: "检索索引尚未建立：请先运行 patentnav index build，然后重试。",
  encoder_unavailable: "向量模型不可用，语义检索暂不可用；可改用关键词检索。",
  backend_unavailable: "图数据库不可用，请检查服务配置或稍后重试。",
  unauthorized: "请点击右上角「设置」填写有效的 API Key。",
  forbidden: "当前 API Key 没有此操作的权限。",
  too_many_requests: "请求过于频繁，请稍候再试。",
  invalid_input: "请检查下列参数。",
  network_error: "请确认服务正在运行、网络可用。",
};

/**
 * A readable error box for an ApiError (or any error). ``extra(detail)`` may add
 * page-specific content (e.g. organisation name suggestions).
 */
export function errorBox(err, { title, extra } = {}) {
  const isApi = err instanceof ApiError;
  const status = isApi ? err.status : null;
  const heading = title || (isApi ? `${STATUS_TITLES[status] || "请求失败"}${status ? `（${status}）` : ""}` : "页面出错");
  const box = h("div", { class: "error", role: "alert", dataset: { code: isApi ? err.code : "client_error" } },
    h("strong", { class: "error-title" }, heading),
    h("p", { class: "error-message" }, err?.message || String(err)),
  );
  if (isApi) {
    const hint = CODE_HINTS[err.code];
    if (hint) box.appendChild(h("p", { class: "error-hint" }, hint));
    const detail = err.detail;
    if (Array.isArray(detail) && detail.length && detail[0] && "msg" in detail[0]) {
      box.appendChild(h("ul", { class: "error-fields" }, detail.map((d) =>
        h("li", {}, h("code", {}, d.field || (d.loc || []).join(".")), "：", d.msg,
          d.input !== undefined ? h("span", { class: "muted" }, `（输入：${d.input}）`) : null))));
    }
    if (extra) {
      const more = extra(detail);
      if (more) box.appendChild(more);
    }
    if (detail && !(Array.isArray(detail) && detail.length && detail[0] && "msg" in detail[0])) {
      box.appendChild(h("details", { class: "error-detail" }, h("summary", {}, "详细信息"),
        h("pre", {}, JSON.stringify(detail, null, 2))));
    }
    box.appendChild(h("p", { class: "error-meta" }, `错误代码：${err.code}`,
      err.requestId ? ` · 请求编号：${err.requestId}` : ""));
  }
  return box;
}

/** Run ``load()`` and put its result into ``target`` (or an error box on failure). */
export async function fill(target, load, { loadingText, errorOptions } = {}) {
  clear(target).appendChild(loading(loadingText));
  try {
    const node = await load();
    clear(target);
    if (node) target.appendChild(node);
    return true;
  } catch (err) {
    if (err?.name === "AbortError") return false;
    console.error(err);
    clear(target).appendChild(errorBox(err, errorOptions));
    return false;
  }
}

/** Debounce helper for inputs. */
export function debounce(fn, ms = 250) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Values of the checked boxes named ``name`` inside ``form``. */
export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

/** A group of checkboxes for the keys of ``map``; ``selected`` are checked. */
export function checkboxes(name, map, selected = []) {
  return h("div", { class: "checks" }, Object.entries(map).map(([value, text]) =>
    h("label", { class: "check" },
      h("input", { type: "checkbox", name, value, checked: selected.includes(value) }), text)));
}

/** A select; options = [[value, text], ...]. */
export function select(name, options, selected, attrs = {}) {
  return h("select", { name, ...attrs }, options.map(([value, text]) =>
    h("option", { value, selected: String(value) === String(selected ?? "") }, text)));
}

/** Split "a,b" (hash parameters) into a list. */
export const splitList = (value) => (value ? String(value).split(",").map((s) => s.trim()).filter(Boolean) : []);

/** Buttons that download the tables of an endpoint as CSV / Excel. */
export function exportButtons(download, path, params) {
  const status = h("span", { class: "muted small" });
  const button = (format, text) => h("button", {
    type: "button", class: "secondary",
    onclick: async (event) => {
      const el = event.currentTarget;
      el.disabled = true;
      status.textContent = "正在导出…";
      try {
        const name = await download(path, { ...params, format });
        status.textContent = `已下载 ${name}`;
      } catch (err) {
        status.textContent = "";
        status.replaceWith(errorBox(err));
      } finally {
        el.disabled = false;
      }
    },
  }, text);
  return h("span", { class: "exports" }, button("xlsx", "导出 Excel"), " ", button("csv", "导出 CSV"), " ", status);
}
