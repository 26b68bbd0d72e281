"""Named Cypher queries, one per ``.cypher`` file, loaded through :mod:`queries.registry`.

Layout::

    queries/common/<name>.cypher     runs on every backend
    queries/neo4j/<name>.cypher      Neo4j-only variant (overrides common)
    queries/embedded/<name>.cypher   LadybugDB variant (overrides common)

Every value is a ``$parameter``; nothing is ever formatted into the text.
"""
