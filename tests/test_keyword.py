"""KeywordIndex / ChineseTokenizer: jieba tokenisation, stop words, user dictionary, BM25
ranking, matched terms, incremental add/replace/delete, persistence."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.keyword import (
    STOPWORDS,
    ChineseTokenizer,
    KeywordIndex,
    TokenizerPool,
    domain_terms,
)

DOCS = {
    "CN1": "一种锂电池正极材料的制备方法，所述正极材料包括磷酸铁锂。",
    "CN2": "一种锂电池负极材料及其制备方法。",
    "CN3": "一种用于车辆的激光雷达标定装置。",
    "CN4": "基于深度学习的图像识别方法、装置及存储介质。",
    "CN5": "一种正极材料的回收装置，包括破碎机构。",
    "CN6": "一种水电站高压输电线路驱鸟保护装置。",
}


@pytest.fixture(scope="module")
def tokenizer():
    return ChineseTokenizer(domain_terms(["应用荧光、场致化学发光或可燃材料的非电光源"],
                                         ["磷酸铁锂", "激光雷达"]))


@pytest.fixture()
def index(tokenizer):
    kw = KeywordIndex(tokenizer)
    kw.add(list(DOCS), list(DOCS.values()))
    return kw


def test_domain_terms_split_titles_and_keep_keywords():
    terms = domain_terms(["车辆子系统的联合控制;混合动力车辆的控制系统",
                          "不包含在其他类目中的各种应用材料"], ["动力电池", "x", ""])
    assert "车辆子系统" in terms and "联合控制" in terms and "混合动力车辆" in terms
    assert "各种应用材料" in terms and "动力电池" in terms
    assert "x" not in terms and all(2 <= len(t) for t in terms)


def test_tokenizer_removes_stop_words_and_punctuation(tokenizer):
    toks = tokenizer.document_tokens("一种锂电池正极材料的制备方法，所述正极材料包括磷酸铁锂。")
    assert "锂电池" in toks and "正极" in toks and "材料" in toks and "磷酸铁锂" in toks
    for stop in ("一种", "的", "所述", "包括", "，", "。"):
        assert stop not in toks
    assert {"一种", "所述", "其特征在于"} <= STOPWORDS
    q = tokenizer.query_tokens("锂电池  正极材料 的 LED")
    assert "锂电池" in q and "正极" in q and "的" not in q and "led" in q
    assert len(q) == len(set(q))


def test_user_dictionary_keeps_domain_terms_whole(tokenizer):
    assert "场致化学发光" in tokenizer.document_tokens("一种场致化学发光器件")
    assert "场致化学发光" in tokenizer.query_tokens("场致化学发光器件")
    plain = ChineseTokenizer()
    assert "场致化学发光" not in plain.query_tokens("场致化学发光器件")


def test_private_jieba_instance(tokenizer):
    import jieba

    tokenizer.query_tokens("锂电池")
    assert tokenizer._jieba is not jieba.dt
    assert "场致化学发光" not in jieba.dt.FREQ or jieba.dt.FREQ.get("场致化学发光", 0) == 0


def test_bm25_ranking_total_and_matched_terms(index):
    hits = index.search("锂电池 正极材料", 10)
    got = index.ids.to_str(hits.ids)
    assert got[0] == "CN1"  # has both terms, twice
    assert set(got) == {"CN1", "CN2", "CN5"} and hits.total == 3
    assert list(hits.scores) == sorted(hits.scores, reverse=True)
    assert {"锂电池", "正极", "材料"} <= set(hits.terms)
    matched = dict(zip(got, index.matched_terms(hits.terms, hits.term_ids, hits.ids)))
    assert {"锂电池", "正极", "材料"} <= set(matched["CN1"])
    assert {"锂电池", "材料"} <= set(matched["CN2"]) and "正极" not in matched["CN2"]
    assert set(matched["CN5"]) == {"正极", "材料"}
    for m in matched.values():  # in query order
        assert list(m) == [t for t in hits.terms if t in m]


def test_query_words_also_match_their_parts(tokenizer):
    kw = KeywordIndex(tokenizer)
    kw.add(["A", "B"], ["一种磷酸铁锂电池", "一种锂电池"])
    assert "磷酸铁锂" in tokenizer.query_tokens("磷酸铁锂")
    hits = kw.search("锂电池", 5)
    assert set(kw.ids.to_str(hits.ids)) == {"A", "B"}


def test_unknown_query_word_falls_back_to_sub_words(index):
    terms, _ = index.query_term_ids("锂电池组")  # not a document token: its pieces are
    assert "锂电池" in terms or "电池" in terms
    assert index.search("量子纠缠", 5).total == 0
    assert index.search("", 5).total == 0


def test_allowed_mask_restricts(index):
    allowed = np.zeros(len(index.ids), dtype=bool)
    allowed[index.ids.get("CN5")] = True
    hits = index.search("锂电池 正极材料", 10, allowed, with_mask=True)
    assert index.ids.to_str(hits.ids) == ["CN5"] and hits.total == 1
    assert hits.matched_mask.sum() == 1


def test_incremental_add_replace_delete_match_a_fresh_build(tokenizer):
    kw = KeywordIndex(tokenizer, rebuild_min=1000)
    kw.add(list(DOCS), list(DOCS.values()))
    assert kw.n_snapshot == 6 and kw.delta_size == 0
    kw.add(["CN7"], ["一种激光雷达正极材料"])  # goes to the delta
    kw.add(["CN3"], ["一种图像识别芯片"])  # replace: old text must stop matching
    assert kw.delta_size == 2 and kw.stale_count == 1
    assert kw.delete(["CN6", "nope"]) == 1 and len(kw) == 6
    got = kw.ids.to_str(kw.search("激光雷达", 10).ids)
    assert got == ["CN7"]
    assert "CN3" in kw.ids.to_str(kw.search("图像识别", 10).ids)
    assert kw.search("输电线路", 10).total == 0
    assert kw.matched_terms(("激光雷达",), kw.query_term_ids("激光雷达")[1],
                            [kw.ids.get("CN7")]) == [("激光雷达",)]
    # after folding the delta, scores equal a fresh index over the same documents
    kw.rebuild()
    assert kw.delta_size == 0 and kw.stale_count == 0 and kw.n_snapshot == 6
    final = dict(DOCS, CN7="一种激光雷达正极材料", CN3="一种图像识别芯片")
    del final["CN6"]
    fresh = KeywordIndex(tokenizer)
    fresh.add(list(final), list(final.values()))
    for q in ("锂电池 正极材料", "激光雷达", "图像识别 装置"):
        a, b = kw.search(q, 10), fresh.search(q, 10)
        assert dict(zip(kw.ids.to_str(a.ids), np.round(a.scores, 5))) == \
            dict(zip(fresh.ids.to_str(b.ids), np.round(b.scores, 5)))


def test_delta_scores_use_snapshot_statistics(tokenizer):
    """A delta document scores like the same document in the snapshot would (same N, df,
    avgdl): adding a copy of CN2 under another id gives CN2's score."""
    kw = KeywordIndex(tokenizer, rebuild_min=1000)
    kw.add(list(DOCS), list(DOCS.values()))
    before = kw.search("锂电池 负极", 10)
    s_cn2 = dict(zip(kw.ids.to_str(before.ids), before.scores))["CN2"]
    kw.add(["CN2-copy"], [DOCS["CN2"]])
    after = kw.search("锂电池 负极", 10)
    scores = dict(zip(kw.ids.to_str(after.ids), after.scores))
    assert scores["CN2-copy"] == pytest.approx(s_cn2, rel=1e-5)
    assert scores["CN2"] == pytest.approx(s_cn2, rel=1e-5)


def test_automatic_rebuild_threshold(tokenizer):
    kw = KeywordIndex(tokenizer, rebuild_min=3, rebuild_fraction=0.0)
    kw.add(list(DOCS), list(DOCS.values()))
    kw.add(["A1", "A2"], ["锂电池", "锂电池"])
    assert kw.delta_size == 2
    kw.add(["A3"], ["锂电池"])
    assert kw.delta_size == 0 and kw.n_snapshot == 9


def test_persistence_round_trip(tmp_path, tokenizer):
    kw = KeywordIndex(tokenizer, rebuild_min=1000, cheap_rebuild_max=0)  # keep the delta
    kw.add(list(DOCS), list(DOCS.values()))
    kw.add(["CN7"], ["一种激光雷达正极材料"])
    kw.delete(["CN1"])
    kw.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw", kw.ids)
    assert loaded.delta_size == 1 and loaded.stale_count == 1 and len(loaded) == 6
    assert loaded.tokenizer.user_words == tokenizer.user_words
    for q in ("锂电池 正极材料", "激光雷达", "场致化学发光"):
        a, b = kw.search(q, 10), loaded.search(q, 10)
        assert list(a.ids) == list(b.ids) and np.allclose(a.scores, b.scores)
    # small snapshots are folded on save by default
    kw2 = KeywordIndex(tokenizer, rebuild_min=1000)
    kw2.add(list(DOCS), list(DOCS.values()))
    kw2.add(["CN7"], ["激光雷达"])
    kw2.save(tmp_path / "kw2")
    assert kw2.delta_size == 0 and KeywordIndex.load(tmp_path / "kw2", kw2.ids).n_snapshot == 7


def test_tokenizer_pool_matches_in_process(tokenizer):
    texts = list(DOCS.values()) * 3
    with TokenizerPool(tokenizer, workers=2, chunk=2) as pool:
        assert pool.cut(texts) == [tokenizer.document_tokens(t) for t in texts]
