"""The graph layer: one :class:`~graph.base.GraphStore` interface, two backends.

- :mod:`graph.embedded` -- LadybugDB (in-process, the default; no server)
- :mod:`graph.neo4j`    -- Neo4j 5 via the official driver (production, docker-compose)

Pick one with :func:`graph.factory.create_store` from the settings.
"""

from graph.base import GraphStore
from graph.schema import SCHEMA

__all__ = ["GraphStore", "SCHEMA"]
