"""Explaining a match: query terms, highlighted text and the best-matching sentence.

Shared by the search, similar-patent and classification services. Everything here is
pure text processing except :func:`best_sentence`, which may call an encoder for hits
that share no term with the query (semantic-only matches).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

log = logging.getLogger(__name__)

#: words that carry no topic in patent text (kept out of highlights and overlap scores)
STOPWORDS = frozenset(
    """
    的 了 和 与 及 或 其 之 等 中 在 对 为 以 由 于 被 将 从 并 且 该 所 是 有 一 个 种
    一种 一个 及其 以及 用于 基于 所述 本发明 本实用新型 实用新型 发明 公开 涉及 包括 包含
    通过 进行 具有 可以 能够 其中 设置 设有 采用 提供 一端 另一端 上述 使得 实现 方面
    实用 新型 目前 现有 现有技术 使用 过程 效果 问题 解决 提高 方便 简单 一定 程度 其他 相应 部分 方式
    情况 作用 特点 优点 有效 进一步 另外 此外 需要 满足 保证 不同 相同 多种 若干 多个 至少
    a an the of and or for to in on with by from at as is are be this that which wherein
    """.split()
)

#: generic patent words: they still match, but count little towards the best sentence
GENERIC = frozenset(
    "方法 装置 系统 设备 结构 组件 机构 模块 单元 材料 制备 制备方法 应用 工艺 技术".split()
)

_SENTENCE_END = re.compile(r"(?<=[。；;！？!?\n])")
_WORD = re.compile(r"\w", re.UNICODE)
_ASCII_WORD = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+\-]*$")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


Tokenize = Callable[[str], Sequence[str]]


def query_terms(text: str, tokenize: Tokenize | None = None) -> list[str]:
    """Distinct content terms of a query, longest first.

    ``tokenize`` is the search index's query tokenizer when one is at hand (so the
    highlighted terms are the ones BM25 matched); else jieba's search-mode cut.
    """
    if not text or not text.strip():
        return []
    tokens = tokenize(text) if tokenize is not None else _jieba().lcut_for_search(text)
    return clean_terms(tokens)


def clean_terms(tokens: Iterable[str]) -> list[str]:
    """Distinct terms without stop words or punctuation, longest first; single
    characters are kept only when there is nothing longer (a query of just ``锂``)."""
    seen: dict[str, None] = {}
    for tok in tokens:
        tok = tok.strip()
        if not tok or not _WORD.search(tok):
            continue
        key = tok.lower() if _ASCII_WORD.match(tok) else tok
        if key in STOPWORDS:
            continue
        seen.setdefault(key, None)
    terms = list(seen)
    multi = [t for t in terms if len(t) > 1]
    if multi:
        terms = multi
    order = {t: i for i, t in enumerate(terms)}
    return sorted(terms, key=lambda t: (-len(t), order[t]))


def term_weight(term: str) -> float:
    """Longer and more specific terms weigh more."""
    return 0.25 if term in GENERIC else float(min(len(term), 6))


def _spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Merged [start, end) spans of every occurrence of any term (case-insensitive)."""
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = term.lower()
        if not needle:
            continue
        start = lowered.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = lowered.find(needle, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def matched_terms(text: str | None, terms: Sequence[str]) -> list[str]:
    """The terms that occur in ``text``."""
    if not text:
        return []
    lowered = text.lower()
    return [t for t in terms if t.lower() in lowered]


def highlight(text: str | None, terms: Sequence[str], *, max_chars: int | None = None) -> str | None:
    """HTML-escape ``text`` and wrap every occurrence of a term in ``<em>…</em>``.

    With ``max_chars`` the text is cut to a window of that size around the first match.
    """
    if text is None:
        return None
    spans = _spans(text, terms)
    lo, hi = 0, len(text)
    if max_chars and len(text) > max_chars:
        first = spans[0][0] if spans else 0
        lo = max(0, min(first - max_chars // 4, len(text) - max_chars))
        hi = lo + max_chars
    out: list[str] = ["…" if lo > 0 else ""]
    pos = lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out.append(html.escape(text[pos:s], quote=False))
        out.append("<em>" + html.escape(text[s:e], quote=False) + "</em>")
        pos = e
    out.append(html.escape(text[pos:hi], quote=False))
    if hi < len(text):
        out.append("…")
    return "".join(out)


def split_sentences(text: str | None) -> list[str]:
    """Split on 。；;！？!? and newlines; drop empty pieces."""
    if not text:
        return []
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


@dataclass(frozen=True)
class Sentence:
    field: str
    text: str
    highlighted: str
    score: float
    method: str  # "terms" | "vector"

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "text": self.text,
            "highlighted": self.highlighted,
            "score": round(self.score, 4),
            "method": self.method,
        }


def candidate_sentences(fields: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(field, sentence) pairs for the given (field, text) pairs, in order."""
    return [(name, s) for name, text in fields for s in split_sentences(text)]


def shared_terms(text_fields: Iterable[str | None], terms: Sequence[str], limit: int = 10) -> list[str]:
    """The terms found in any of the texts, most specific first, without the ones
    contained in a longer found term (人机 inside 无人机)."""
    found: list[str] = []
    for t in terms:
        if any(text and t.lower() in text.lower() for text in text_fields):
            found.append(t)
    kept = [t for t in found if not any(t != o and t in o for o in found)]
    kept.sort(key=lambda t: -term_weight(t))
    return kept[:limit]


def term_overlap(sentence: str, terms: Sequence[str]) -> float:
    """Weighted count of distinct query terms in ``sentence``.

    A term contained in a longer matched term (电池 in 锂电池) adds nothing on its own.
    """
    found = matched_terms(sentence, terms)
    kept = [t for t in found if not any(t != o and t in o for o in found)]
    return sum(term_weight(t) for t in kept)


Encode = Callable[[list[str]], np.ndarray]


def best_sentence(
    fields: Iterable[tuple[str, str | None]],
    terms: Sequence[str],
    *,
    query_vector: np.ndarray | None = None,
    encode: Encode | None = None,
) -> Sentence | None:
    """The sentence with the largest query-term overlap; ties go to the earlier one.

    When no sentence shares a term with the query and a query vector plus an encoder
    are given, the sentence with the highest cosine similarity to the query wins.
    """
    pairs = candidate_sentences(fields)
    if not pairs:
        return None
    scored = [(term_overlap(text, terms), i) for i, (_, text) in enumerate(pairs)] if terms else []
    if scored:
        best_score, best_i = max(scored, key=lambda t: (t[0], -t[1]))
        if best_score > 0:
            name, text = pairs[best_i]
            return Sentence(name, text, highlight(text, terms) or "", best_score, "terms")
    if query_vector is None or encode is None:
        return None
    vectors = np.asarray(encode([text for _, text in pairs]), dtype=np.float32)
    q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
    norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(q) or 1.0)
    sims = vectors @ q / np.where(norms == 0, 1.0, norms)
    best_i = int(np.argmax(sims))
    name, text = pairs[best_i]
    return Sentence(name, text, highlight(text, terms) or html.escape(text, quote=False),
                    float(sims[best_i]), "vector")
