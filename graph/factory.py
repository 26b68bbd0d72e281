"""Pick a GraphStore backend from the settings."""

from __future__ import annotations

from graph.base import GraphStore
from patentnav.errors import ConfigError
from patentnav.settings import Settings


def create_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """Open the backend named by ``settings.graph_backend``.

    The embedded store opens (or creates) its database file; the Neo4j store gets a
    driver built here, at the application edge, and owns it (closes it on ``close``).
    ``read_only`` opens the embedded file read-only (for the API: several readers can
    share it; see graph/embedded.py for how it meets a writer); Neo4j ignores it.
    """
    if settings.graph_backend == "embedded":
        from graph.embedded import EmbeddedStore

        return EmbeddedStore.open(
            settings.graph_path,
            batch_size=settings.batch_size,
            buffer_pool_mb=settings.embedded_buffer_pool_mb,
            read_only=read_only,
        )
    if settings.graph_backend == "neo4j":
        if not settings.neo4j_uri:
            raise ConfigError("graph_backend is neo4j but NEO4J_URI is not set")
        from graph.neo4j import Neo4jStore

        return Neo4jStore.connect(
            settings.neo4j_uri,
            (settings.neo4j_user, settings.neo4j_password.get_secret_value()),
            database=settings.neo4j_database,
            batch_size=settings.batch_size,
        )
    raise ConfigError(f"unknown graph backend {settings.graph_backend!r}")
