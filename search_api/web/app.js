// patentnav UI: hash router, settings (API key), start-up checks and notices.
// Pages live in pages/<name>.js and export ``render(root, ctx)``.

import { fetchJson, getApiKey, setApiKey } from "./api.js";
import { chartState, disposeCharts, loadEcharts } from "./charts.js";
import { clear, errorBox, h } from "./ui.js";

/** first path segment -> page module and navigation tab */
const ROUTES = {
  "": { page: "search", nav: "search" },
  search: { page: "search", nav: "search" },
  patent: { page: "patent", nav: "search" },
  landscape: { page: "landscape", nav: "landscape" },
  org: { page: "org", nav: "org" },
  compare: { page: "org", nav: "org" },
  chains: { page: "chains", nav: "chains" },
  chain: { page: "chains", nav: "chains" },
  match: { page: "match", nav: "match" },
  hv: { page: "highvalue", nav: "hv" },
};

const TITLE = "专利导航检索服务";
let generation = 0;

/** "#/org/重庆大学?limit=5" -> {segments: ["org", "重庆大学"], params: {limit: "5"}} */
export function parseHash(hash = location.hash) {
  const text = hash.replace(/^#\/?/, "");
  const [pathPart, queryPart = ""] = text.split("?");
  const segments = pathPart.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const params = Object.fromEntries(new URLSearchParams(queryPart));
  return { segments, params };
}

/** Go to a page: navigate("/search", {q: "锂电池"}). */
export function navigate(path, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) continue;
    qs.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const text = qs.toString();
  const target = `#${path}${text ? `?${text}` : ""}`;
  if (location.hash === target) render();
  else location.hash = target;
}

function notice(id, kind, ...content) {
  const box = document.getElementById("notices");
  let el = document.getElementById(id);
  if (!el) {
    el = h("div", { id, class: `notice notice-${kind}` });
    box.appendChild(el);
  }
  clear(el).append(...content.map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return el;
}

function dropNotice(id) {
  document.getElementById(id)?.remove();
}

async function render() {
  const gen = ++generation;
  const { segments, params } = parseHash();
  const name = segments[0] || "";
  const entry = ROUTES[name];
  disposeCharts();
  for (const a of document.querySelectorAll("#mainnav a")) {
    a.classList.toggle("active", !!entry && a.dataset.nav === entry.nav);
  }
  const app = document.getElementById("app");
  const root = h("div", { class: "page", dataset: { page: entry ? entry.page : "unknown" } });
  clear(app).appendChild(root);
  if (!entry) {
    root.appendChild(errorBox(new Error(`没有这个页面：#/${segments.join("/")}`), { title: "页面不存在" }));
    return;
  }
  const ctx = {
    name,
    args: segments.slice(1),
    params,
    navigate,
    isCurrent: () => gen === generation,
    setTitle: (title) => {
      document.title = title ? `${title} · ${TITLE}` : TITLE;
    },
  };
  ctx.setTitle("");
  try {
    const module = await import(`./pages/${entry.page}.js`);
    if (gen !== generation) return;
    await module.render(root, ctx);
  } catch (err) {
    console.error(err);
    if (gen === generation) root.appendChild(errorBox(err));
  } finally {
    if (gen === generation) document.body.dataset.rendered = String(gen);
  }
}

function setupSettings() {
  const panel = document.getElementById("settings");
  const form = document.getElementById("settings-form");
  document.getElementById("settings-btn").addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    form.apikey.value = getApiKey();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setApiKey(form.apikey.value.trim());
    panel.hidden = true;
    checkReady();
    render();
  });
  document.getElementById("settings-clear").addEventListener("click", () => {
    setApiKey("");
    form.apikey.value = "";
  });
}

async function checkReady() {
  const ready = await fetchJson("/ready");
  if (!ready.data) {
    notice("notice-ready", "error", "无法连接服务器（/ready 无响应），请确认服务正在运行。");
    return;
  }
  const checks = ready.data.checks || {};
  const problems = [];
  if (checks.store && !checks.store.ok) {
    problems.push(`图数据库不可用：${checks.store.detail?.error || "未打开"}`);
  }
  if (checks.index && !checks.index.ok) {
    problems.push("检索索引尚未建立（运行 patentnav index build）：检索、相似专利、供需匹配暂不可用，专利导航不含聚类。");
  }
  if (checks.routers && !checks.routers.ok) {
    const failed = Object.keys(checks.routers.detail?.failed || {});
    problems.push(`部分功能模块未加载：${failed.join("、")}`);
  }
  if (problems.length) notice("notice-ready", "warn", h("strong", {}, "服务未完全就绪："), problems.join(" "));
  else dropNotice("notice-ready");
}

async function start() {
  setupSettings();
  const config = await fetchJson("/ui/config.json");
  if (config.data?.version) document.getElementById("version").textContent = `v${config.data.version}`;
  const charts = await loadEcharts(config.data);
  if (!charts) {
    notice("notice-echarts", "warn", h("strong", {}, "图表不可用："),
      `${chartState.reason}。图表将以表格显示，其余功能不受影响。安装方法：在项目目录运行 `,
      h("code", {}, chartState.install), "，然后刷新页面。");
  }
  document.body.dataset.charts = charts ? "echarts" : "none";
  window.addEventListener("hashchange", render);
  checkReady();
  await render();
}

start();
