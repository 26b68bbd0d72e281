"""One root exception with typed subclasses (mapped to HTTP replies in ``search_api.errors``)."""

from __future__ import annotations


class PatentnavError(Exception):
    """Root of every error patentnav raises on purpose."""

    #: HTTP status the API maps this error to.
    status_code: int = 500
    #: Stable machine-readable code used in API error bodies.
    code: str = "internal_error"


class ConfigError(PatentnavError):
    """Settings are missing or inconsistent."""

    code = "config_error"


class InvalidInput(PatentnavError):
    """A caller passed a bad parameter (bad filter, unknown field, malformed number...)."""

    status_code = 422
    code = "invalid_input"


class NotFound(PatentnavError):
    """The requested patent, organisation, chain... does not exist."""

    status_code = 404
    code = "not_found"


class GraphError(PatentnavError):
    """A graph backend failed."""

    code = "graph_error"


class BackendUnavailable(GraphError):
    """The configured backend cannot be reached (e.g. no Neo4j server at NEO4J_URI)."""

    status_code = 503
    code = "backend_unavailable"


class QueryError(GraphError):
    """A named query is unknown, lacks a dialect variant, or failed to run."""

    code = "query_error"


class SchemaError(GraphError):
    """Rows do not fit the declared graph schema (unknown label, missing key...)."""

    status_code = 422
    code = "schema_error"


class IngestError(PatentnavError):
    """An input file cannot be read at all (row-level problems are rejects, not errors)."""

    status_code = 422
    code = "ingest_error"


class IndexError_(PatentnavError):
    """Base for search-index problems (named with a trailing underscore to avoid the builtin)."""

    code = "index_error"


class IndexNotBuilt(IndexError_):
    """The search indexes have not been built yet."""

    status_code = 503
    code = "index_not_built"


class EncoderMismatch(IndexError_):
    """An index built by one encoder was asked to accept vectors from another."""

    status_code = 409
    code = "encoder_mismatch"


class EncoderUnavailable(IndexError_):
    """The configured encoder model cannot be loaded (missing package or local path)."""

    code = "encoder_unavailable"
