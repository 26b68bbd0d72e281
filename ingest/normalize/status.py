"""Legal status, patent kind and yes/no cells.

``status``: valid | pending | invalid | unknown, from the exported legal status
(``有权-审定授权`` -> valid, ``审中-实质审查`` -> pending, ``无权-未缴年费终止`` -> invalid).
The leading 有权/审中/无权 of commercial exports decides; otherwise words: 无效, 失效,
撤回, 驳回, 届满, 未缴年费, 放弃, 终止 -> invalid; 有效, 授权, 审定, 维持 -> valid; 实审,
实质审查, 公开, 审中, 受理 -> pending. ``部分无效`` (partly invalidated) stays valid.

``kind``: invention | utility_model | design, from 专利类型 (发明公开, 发明授权, 实用新型,
外观设计, or English), else from the publication kind code, else the application
number's type digit.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.normalize import InvalidValue, is_empty

_INVALID_WORDS = ("无效", "失效", "撤回", "驳回", "届满", "未缴年费", "放弃", "终止", "期限届满", "视为撤回", "lapsed", "expired", "withdrawn", "rejected", "revoked")
_VALID_WORDS = ("有效", "授权", "审定", "维持", "granted", "in force", "active", "valid")
_PENDING_WORDS = ("实审", "实质审查", "公开", "审中", "受理", "pending", "published", "examination")


@lru_cache(maxsize=4096)
def _status(s: str) -> str:
    low = s.lower()
    if s.startswith("有权") or "部分无效" in s:
        return "valid"
    if s.startswith("无权"):
        return "invalid"
    if s.startswith("审中") or s.startswith("未确认"):
        return "pending" if s.startswith("审中") else "unknown"
    if any(w in low for w in _INVALID_WORDS):
        return "invalid"
    if any(w in low for w in _VALID_WORDS):
        return "valid"
    if any(w in low for w in _PENDING_WORDS):
        return "pending"
    return "unknown"


def legal_status(value: object) -> str | None:
    """valid | pending | invalid | unknown for an exported legal status; None if empty."""
    if is_empty(value):
        return None
    return _status(str(value).strip())


_KIND_WORDS = (
    ("外观", "design"), ("design", "design"),
    ("实用新型", "utility_model"), ("utility", "utility_model"),
    ("发明", "invention"), ("invention", "invention"),
)


@lru_cache(maxsize=1024)
def _kind(s: str) -> str:
    low = s.lower()
    for word, kind in _KIND_WORDS:
        if word in low:
            return kind
    raise InvalidValue("unknown patent type")


def patent_kind(value: object) -> str | None:
    """Patent kind from a 专利类型 cell; None if empty; InvalidValue if unrecognised."""
    if is_empty(value):
        return None
    return _kind(str(value).strip())


_YES = {"是", "有", "y", "yes", "true", "1", "已声明", "开放许可", "√"}
_NO = {"否", "无", "n", "no", "false", "0", "未声明", "×"}
_DATE_LIKE = re.compile(r"\d{4}")


def yes_no(value: object) -> bool | None:
    """是/否, Y/N, true/false, 1/0; a date means yes (e.g. an open-licence declaration date)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if not s or s in ("-", "--"):
        return None
    if s in _YES:
        return True
    if s in _NO:
        return False
    if _DATE_LIKE.search(s):
        return True
    raise InvalidValue("not a yes/no value")
