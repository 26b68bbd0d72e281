// Charts with Apache ECharts (loaded from /ui/vendor/echarts.min.js when installed).
// Without ECharts every chart falls back to a small table of the same numbers.

import { clear, empty, h, num, table } from "./ui.js";

export const chartState = { available: false, reason: "未加载", install: "npm ci --prefix search_api/web" };

const instances = new Set();
/** canvas text needs a real font list ("inherit" is not valid there) */
const FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
  '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
const PALETTE = ["#1f6feb", "#e8833a", "#2da44e", "#cf222e", "#8250df", "#0aa3a3", "#bf8700",
  "#6e7781", "#d63384", "#4c9a2a"];

/** Load the ECharts bundle named in the UI config; resolves to true when it is usable. */
export function loadEcharts(config) {
  const info = config?.echarts || {};
  if (info.install) chartState.install = info.install;
  if (!info.installed || !info.url) {
    chartState.available = false;
    chartState.reason = "服务器未安装 ECharts 图表组件";
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = info.url;
    script.async = true;
    script.onload = () => {
      chartState.available = typeof window.echarts?.init === "function";
      chartState.reason = chartState.available ? "" : "ECharts 加载后不可用";
      resolve(chartState.available);
    };
    script.onerror = () => {
      chartState.available = false;
      chartState.reason = "ECharts 图表组件加载失败";
      resolve(false);
    };
    document.head.appendChild(script);
  });
}

/** Dispose of every chart (called when the page changes). */
export function disposeCharts() {
  for (const chart of instances) {
    if (!chart.isDisposed()) chart.dispose();
  }
  instances.clear();
}

window.addEventListener("resize", () => {
  for (const chart of instances) if (!chart.isDisposed()) chart.resize();
});

/** A card with a title and a chart area; returns {card, body}. */
export function chartCard(title, key, { note, wide = false } = {}) {
  const body = h("div", { class: "chart", dataset: { chart: key } });
  const card = h("section", { class: `card chart-card${wide ? " wide" : ""}` },
    h("h3", {}, title), note ? h("p", { class: "muted small" }, note) : null, body);
  return { card, body };
}

function hasData(spec) {
  if (spec.type === "pie" || spec.type === "treemap") return (spec.data || []).some((d) => d.value > 0);
  return (spec.categories || []).length > 0 && (spec.series || []).some((s) => (s.data || []).some((v) => v));
}

function fallbackTable(spec) {
  if (spec.type === "pie" || spec.type === "treemap") {
    return table([{ title: "名称", value: (d) => d.name }, { title: spec.valueName || "数量", value: (d) => num(d.value), class: "num" }],
      spec.data, { cls: "grid compact" });
  }
  const columns = [{ title: spec.categoryName || "类别", value: (_, i) => String(spec.categories[i]) }];
  for (const s of spec.series) columns.push({ title: s.name, value: (_, i) => num(s.data[i], 4), class: "num" });
  return table(columns, spec.categories.map((c) => c), { cls: "grid compact" });
}

function option(spec) {
  const base = {
    color: PALETTE,
    animation: false,
    textStyle: { fontFamily: FONT, fontSize: 12 },
    tooltip: { trigger: spec.type === "pie" || spec.type === "treemap" ? "item" : "axis", confine: true },
  };
  const legend = (spec.series || []).length > 1 ? { top: 0, type: "scroll" } : undefined;
  const top = legend ? 32 : 16;
  switch (spec.type) {
    case "line":
      return {
        ...base, legend,
        grid: { left: 48, right: 16, top, bottom: 32 },
        xAxis: { type: "category", data: spec.categories, boundaryGap: false },
        yAxis: { type: "value", minInterval: 1 },
        series: spec.series.map((s) => ({ type: "line", name: s.name, data: s.data, smooth: false, symbolSize: 6, color: s.color })),
      };
    case "bar":
    case "stack":
      return {
        ...base, legend,
        grid: { left: 48, right: 16, top, bottom: spec.rotate ? 72 : 32 },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.rotate ? 35 : 0, width: 90, overflow: "truncate" } },
        yAxis: { type: "value", minInterval: 1 },
        series: spec.series.map((s) => ({
          type: "bar", name: s.name, data: s.data, stack: spec.type === "stack" ? "all" : undefined, barMaxWidth: 36, color: s.color,
        })),
      };
    case "hbar": {
      const cats = [...spec.categories].reverse();
      return {
        ...base, legend,
        grid: { left: 8, right: 32, top, bottom: 8, containLabel: true },
        yAxis: { type: "category", data: cats, axisLabel: { width: 150, overflow: "truncate" } },
        xAxis: { type: "value", minInterval: 1 },
        series: spec.series.map((s) => ({
          type: "bar", name: s.name, data: [...s.data].reverse(), barMaxWidth: 18, color: s.color,
          stack: spec.stacked ? "all" : undefined,
          label: spec.stacked ? undefined : { show: true, position: "right" },
        })),
      };
    }
    case "pie":
      return {
        ...base,
        legend: { type: "scroll", orient: "vertical", right: 0, top: "middle" },
        series: [{
          type: "pie", name: spec.valueName || "数量", radius: ["38%", "68%"], center: ["38%", "50%"],
          data: spec.data.map((d) => (d.color ? { ...d, itemStyle: { color: d.color } } : d)),
          label: { formatter: "{b}\n{d}%" }, minShowLabelAngle: 8,
        }],
      };
    case "treemap":
      return {
        ...base,
        series: [{
          type: "treemap", name: spec.valueName || "数量", data: spec.data, roam: false, nodeClick: false,
          breadcrumb: { show: false }, label: { show: true, formatter: "{b}\n{c}" },
        }],
      };
    default:
      throw new Error(`unknown chart type ${spec.type}`);
  }
}

/**
 * Draw ``spec`` into ``el``:
 *   {type: "line"|"bar"|"stack"|"hbar", categories: [...], series: [{name, data: [...]}]}
 *   {type: "pie"|"treemap", data: [{name, value}]}
 * plus ``emptyText``; returns the ECharts instance (or null for an empty / table fallback).
 */
export function renderChart(el, spec) {
  clear(el);
  el.classList.remove("chart-empty", "chart-fallback");
  if (!hasData(spec)) {
    el.classList.add("chart-empty");
    el.appendChild(empty(spec.emptyText || "暂无数据"));
    return null;
  }
  if (!chartState.available || !window.echarts) {
    el.classList.add("chart-fallback");
    el.appendChild(fallbackTable(spec));
    return null;
  }
  const height = spec.height || (spec.type === "hbar" ? Math.max(220, 26 * spec.categories.length + 40) : 300);
  el.style.height = `${height}px`;
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption(option(spec));
  if (spec.onClick) chart.on("click", spec.onClick);
  instances.add(chart);
  return chart;
}

/** Convenience: a chart card with a spec already drawn. */
export function chart(title, key, spec, opts) {
  const { card, body } = chartCard(title, key, opts);
  // draw once the card is in the document, so ECharts measures its real width
  whenConnected(body, () => renderChart(body, spec));
  return card;
}

/** Call ``fn`` as soon as ``el`` is attached to the document (gives up after ~2 s). */
export function whenConnected(el, fn, frames = 120) {
  if (el.isConnected) fn();
  else if (frames > 0) requestAnimationFrame(() => whenConnected(el, fn, frames - 1));
}
