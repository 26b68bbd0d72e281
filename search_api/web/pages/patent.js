// 专利详情: bibliographic data, applicants, IPC, graph neighbourhood, similar patents,
// high-value criteria.

import { api } from "../api.js";
import {
  CRITERIA, HOLDER_KIND, KIND, POSITION, STATUS, badge, chips, clear, empty, facts, fill, h, hl,
  hvBadge, kindBadge, label, num, orgHref, patentHref, route, section, statusBadge, table, yesNo,
} from "../ui.js";

export async function render(root, ctx) {
  const number = ctx.args[0];
  if (!number) {
    root.appendChild(lookupForm(ctx));
    return;
  }
  ctx.setTitle(number);
  const head = h("div", { id: "patent", class: "stack" });
  root.append(lookupForm(ctx, number), head);
  let p;
  const ok = await fill(head, async () => {
    p = await api(`/patents/${encodeURIComponent(number)}`);
    return null;
  }, { loadingText: "正在读取专利…" });
  if (!ok || !ctx.isCurrent()) return;
  ctx.setTitle(p.title || number);
  clear(head).append(...detail(p));

  const similar = h("div", { id: "similar" });
  const hv = h("div", { id: "hv-detail" });
  head.append(h("div", { class: "grid-2" },
    section("相似专利", similar),
    section("高价值发明专利判定", hv)));
  fill(similar, async () => similarList(await api(`/patents/${encodeURIComponent(p.id)}/similar`, { params: { limit: 10 } })),
    { loadingText: "正在查找相似专利…" });
  fill(hv, async () => hvDetail(await api(`/high-value/patents/${encodeURIComponent(p.id)}`)));
}

function lookupForm(ctx, value = "") {
  const form = h("form", { class: "form-inline card" },
    h("label", { class: "grow" }, "申请号 / 公开号 / 授权公告号",
      h("input", { name: "number", value, placeholder: "例如 CN202223220665.2 或 CN218751475U" })),
    h("button", { type: "submit" }, "查看专利"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const n = form.number.value.trim();
    if (n) ctx.navigate(`/patent/${encodeURIComponent(n)}`);
  });
  return form;
}

function orgLinks(orgs) {
  if (!orgs || !orgs.length) return null;
  return h("span", {}, orgs.flatMap((o, i) => {
    const a = h("a", { href: orgHref(o.name || o.id) }, o.name || o.id);
    const kind = o.kind ? h("span", { class: "muted small" }, `（${label(HOLDER_KIND, o.kind)}）`) : null;
    return i ? ["、", a, kind] : [a, kind];
  }));
}

function detail(p) {
  const n = p.neighbourhood || {};
  const head = h("div", { class: "page-head" },
    h("h2", { id: "patent-title" }, kindBadge(p.kind), statusBadge(p.status), hvBadge(p.hv), p.title || p.id),
    h("a", { href: route("/match", { tab: "patent", number: p.pub_no || p.app_no || p.id }) }, "匹配意向企业 →"),
  );
  const info = facts([
    ["申请号", p.app_no], ["公开号", p.pub_no], ["授权公告号", p.grant_no],
    ["专利类型", p.kind ? label(KIND, p.kind) : null],
    ["法律状态", p.status ? `${label(STATUS, p.status)}${p.legal_status_raw ? `（${p.legal_status_raw}）` : ""}` : null],
    ["申请日", p.app_date], ["公开日", p.pub_date], ["授权日", p.grant_date], ["届满日", p.expiry_date],
    ["申请人", orgLinks(p.applicants)], ["当前权利人", orgLinks(p.holders)],
    ["主分类号", p.ipc_main], ["权利要求数", p.claim_count], ["同族数", p.family_size],
    ["海外同族", p.overseas_family == null ? null : yesNo(p.overseas_family)],
    ["引用 / 被引", p.cites_count != null || p.cited_count != null ? `${num(p.cites_count)} / ${num(p.cited_count)}` : null],
    ["转让 / 许可 / 质押次数", [p.transfer_count, p.licence_count, p.pledge_count].some((x) => x != null)
      ? `${num(p.transfer_count)} / ${num(p.licence_count)} / ${num(p.pledge_count)}` : null],
    ["开放许可", p.open_licence == null ? null : yesNo(p.open_licence)],
    ["地区代码", p.region_code || p.province_code],
    ["数据来源", (p.sources || []).join("、")],
  ]);
  const ipc = table([
    { title: "IPC", value: (r) => h("a", { href: route("/search", { ipc: r.id }), title: "检索此分类" }, r.id) },
    { title: "说明", value: (r) => r.title },
    { title: "主分类", value: (r) => (r.main ? "是" : "") },
  ], p.ipc, { emptyText: "无 IPC 分类" });

  const neighbours = [];
  if (n.inventors?.length) neighbours.push(["发明人", chips(n.inventors.map((i) => i.name || i.id))]);
  if (n.sei?.length) {
    neighbours.push(["战略性新兴产业", chips(n.sei.map((s) => h("a", { class: "chip", href: route("/search", { sei: s.id }) }, `${s.id} ${s.name || ""}`)))]);
  }
  if (n.chain_nodes?.length) {
    neighbours.push(["产业链环节", chips(n.chain_nodes.map((c) => h("a", {
      class: "chip", href: c.chain_id ? `#/chain/${encodeURIComponent(c.chain_id)}` : route("/search", { chain_node: c.id }),
    }, `${c.name || c.id}${c.position ? `（${label(POSITION, c.position)}）` : ""}`)))]);
  }
  const patentList = (rows) => h("ul", {}, rows.map((r) => h("li", {}, h("a", { href: patentHref(r.id) }, r.title || r.pub_no || r.id))));
  if (n.cites?.length) neighbours.push(["引用专利", patentList(n.cites)]);
  if (n.cited_by?.length) neighbours.push(["被引用", patentList(n.cited_by)]);
  if (n.events?.length) {
    neighbours.push(["法律事件", h("ul", {}, n.events.map((e) => h("li", {}, [e.date, e.type || e.name, e.detail].filter(Boolean).join(" · "))))]);
  }
  if (n.awards?.length) neighbours.push(["获奖", chips(n.awards.map((a) => a.name || a.id))]);

  return [
    head,
    h("div", { class: "grid-2" },
      section("著录项目", info),
      h("div", { class: "stack" },
        section("IPC 分类", ipc),
        section("知识图谱关联", neighbours.length ? facts(neighbours) : empty("图谱中没有更多关联（发明人、产业、产业链、引用等）。")))),
    p.abstract ? section("摘要", h("p", { class: "text-block" }, p.abstract)) : null,
    p.claim1 ? section("主权项（权利要求 1）", h("p", { class: "text-block" }, p.claim1)) : null,
  ].filter(Boolean);
}

function similarList(body) {
  const rows = body.results || [];
  if (!rows.length) return empty("没有相似专利。");
  return h("ol", { class: "match-list similar-list" }, rows.map((r) => h("li", { class: "match-item" },
    h("div", {}, kindBadge(r.kind), h("a", { href: patentHref(r.id) }, r.highlight?.title ? hl(r.highlight.title) : r.title || r.id),
      h("span", { class: "score", title: "向量余弦相似度" }, ` ${r.similarity.toFixed(3)}`)),
    h("div", { class: "result-meta" },
      r.pub_no || r.app_no || "", (r.applicants || []).map((a) => a.name).join("、"),
      r.shared_terms?.length ? h("span", {}, "共同词：", r.shared_terms.join("、")) : null),
    r.best_sentence ? h("blockquote", { class: "best-sentence" }, hl(r.best_sentence.highlighted)) : null,
  )));
}

function hvDetail(body) {
  if (!body.computed) {
    return h("p", { class: "muted" }, "尚未计算高价值判定（运行 patentnav match recompute-hv 后可见各项标准的判定依据）。");
  }
  const state = body.hv === true ? "是高价值发明专利" : body.hv === false ? "不是高价值发明专利" : "无法判定（数据不足）";
  const criteria = Object.keys(CRITERIA).map((c) => {
    const ev = body.evidence?.[c];
    const holds = ev ? ev.holds : body.hv_criteria.includes(c) ? true : body.hv_unknown.includes(c) ? null : false;
    return { c, holds, reason: ev?.reason };
  });
  return h("div", {},
    h("p", {}, h("strong", {}, state), body.evidence?.scope ? h("span", { class: "muted" }, `（范围：${body.evidence.scope}）`) : null),
    table([
      { title: "标准", value: (r) => CRITERIA[r.c] },
      {
        title: "是否满足",
        value: (r) => badge(r.holds === true ? "满足" : r.holds === false ? "不满足" : "未知（无数据）",
          r.holds === true ? "status-valid" : r.holds === false ? "" : "status-pending"),
      },
      { title: "依据", value: (r) => r.reason },
    ], criteria));
}
