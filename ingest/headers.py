"""Map the many Chinese / English header spellings of patent exports to canonical fields.

Headers are compared after NFKC, lower-casing and removing spaces, underscores,
hyphens, slashes and brackets (full- or half-width), so ``公开（公告）号``, ``公开(公告)号``
and ``公开公告号`` are the same column. Each canonical field lists its spellings in
priority order; when a file has several of them, the first present is the primary
column and the others fill in where it is empty (``发明人`` then ``当前发明人``).

A file must have an identifying column (application number, publication number or
a source ``id``) and a title-bearing column (title, or the ``text`` field of the
liaoleyuan CPC samples); otherwise it is rejected as a whole with the list of headers
found.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_KEY_JUNK = re.compile(r"[\s_\-/\\()\[\]{}（）【】<>《》:：.]+")

#: canonical field -> header spellings, in priority order
FIELD_VARIANTS: dict[str, tuple[str, ...]] = {
    "app_no": ("申请号", "申请号码", "专利申请号", "申请号/专利号", "专利号", "application_number",
               "application_no", "app_no", "appln_nr", "application_id"),
    "app_date": ("申请日", "申请日期", "application_date", "app_date", "filing_date"),
    "pub_no": ("公开(公告)号", "公开号", "公告号", "公布号", "公开号码", "publication_number",
               "publication_no", "pub_no", "publication_id"),
    "pub_date": ("公开(公告)日", "公开日", "公开日期", "公告日", "公布日", "publication_date", "pub_date"),
    "grant_no": ("授权公告号", "授权号", "grant_number", "grant_no"),
    "grant_date": ("授权公告日", "授权日", "授权日期", "grant_date"),
    "title": ("名称", "专利名称", "标题", "发明名称", "中文标题", "标题(中文)", "title", "授权名称"),
    "abstract": ("摘要", "申请摘要", "中文摘要", "摘要(中文)", "abstract"),
    "claim1": ("主权项", "首项权利要求", "独立权利要求", "claim1", "first_claim"),
    "applicants": ("申请(专利权)人", "申请人", "专利权人", "原始申请人", "申请人名称", "assignee",
                   "applicant", "applicants", "assignees", "第一权利人"),
    "holders": ("当前权利人", "当前专利权人", "current_assignee", "current_holder", "权利人"),
    "inventors": ("发明人", "发明(设计)人", "设计人", "inventor", "inventors", "当前发明人"),
    "ipc_main": ("主分类号", "IPC主分类号", "主IPC", "ipc_main", "main_ipc"),
    "ipc_codes": ("分类号", "IPC", "IPC分类号", "国际专利分类号", "IPC分类", "ipc_codes", "ipcs"),
    "ipc_subclasses": ("ipc_subclasses", "IPC小类"),
    "address": ("地址", "申请人地址", "专利权人地址", "address", "applicant_address",
                "当前著录项联系人通讯地址"),
    "province_code": ("国省代码", "省市代码", "国省", "province_code"),
    "legal_status": ("当前法律状态", "法律状态", "legal_status", "专利有效性"),
    "patent_type": ("专利类型", "专利种类", "文献类型", "patent_type", "kind"),
    "family": ("简单同族", "同族专利", "同族", "同族专利号", "simple_family", "family", "family_members"),
    "family_size": ("简单同族数量", "简单同族个数", "同族数量", "同族数", "family_size"),
    "cites": ("引证专利", "引用专利", "cites", "citations", "backward_citations"),
    "cited_by": ("被引证专利", "被引用专利", "cited_by", "forward_citations"),
    "cites_count": ("引证数", "引证次数", "引用数", "cites_count"),
    "cited_count": ("被引证次数", "被引证数", "被引次数", "被引用次数", "被引用数", "cited_count"),
    "transfer_count": ("转让次数", "专利转移次数", "转移次数", "transfer_count"),
    "licence_count": ("许可次数", "licence_count", "license_count"),
    "pledge_count": ("质押次数", "pledge_count"),
    "transfer_dates": ("转让日期", "转移日期", "transfer_dates", "transfer_date"),
    "licence_dates": ("许可日期", "licence_dates", "license_dates", "licence_date", "license_date"),
    "pledge_dates": ("质押日期", "pledge_dates", "pledge_date"),
    "claim_count": ("权利要求数", "权利要求数量", "权项数", "claim_count"),
    "expiry_date": ("失效日期", "失效日", "expiry_date"),
    "cpc_main": ("CPC主分类号", "cpc_main"),
    "cpc_codes": ("CPC分类号", "CPC", "cpc_codes"),
    "applicant_type": ("申请人类型", "权利人类型", "applicant_type"),
    "open_licence": ("开放许可", "开放许可声明", "是否开放许可", "open_licence", "open_license"),
    "source_id": ("id", "patent_id", "专利id", "doc_id"),
    "text": ("text",),
    "labels": ("labels",),
}

#: fields of which at least one must be present (identifier) ...
ID_FIELDS = ("app_no", "pub_no", "source_id")
#: ... and a title-bearing field
TITLE_FIELDS = ("title", "text")


def header_key(header: str) -> str:
    """Comparison key of a header spelling."""
    s = unicodedata.normalize("NFKC", header or "").lower()
    s = s.split("#", 1)[0]  # duplicate-header suffix added by the readers
    return _KEY_JUNK.sub("", s)


_VARIANT_INDEX: dict[str, tuple[str, int]] = {}
for _field, _variants in FIELD_VARIANTS.items():
    for _rank, _v in enumerate(_variants):
        _VARIANT_INDEX.setdefault(header_key(_v), (_field, _rank))


@dataclass
class HeaderMap:
    """Which file headers feed which canonical field."""

    headers: list[str]
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)

    @property
    def missing_required(self) -> list[str]:
        """Human-readable list of missing requirements (empty when the file is usable)."""
        missing = []
        if not any(f in self.fields for f in ID_FIELDS):
            missing.append("an identifier column (申请号 / 公开(公告)号 / id)")
        if not any(f in self.fields for f in TITLE_FIELDS):
            missing.append("a title column (名称 / 专利名称 / 标题 / title)")
        return missing

    def column(self, name: str) -> str | None:
        """The primary header feeding a field."""
        cols = self.fields.get(name)
        return cols[0] if cols else None


def map_headers(headers: list[str]) -> HeaderMap:
    """Build the :class:`HeaderMap` of a file's headers."""
    ranked: dict[str, list[tuple[int, int, str]]] = {}
    unmapped: list[str] = []
    for pos, h in enumerate(headers):
        hit = _VARIANT_INDEX.get(header_key(h))
        if hit is None:
            if h:
                unmapped.append(h)
            continue
        fname, rank = hit
        ranked.setdefault(fname, []).append((rank, pos, h))
    fields = {f: tuple(h for _, _, h in sorted(v)) for f, v in ranked.items()}
    return HeaderMap(list(headers), fields, unmapped)
