"""patentnav core: settings, errors, logging and the command-line interface.

The architecture is visible from the top-level folders:

- ``graph/``      the GraphStore interface and its backends (embedded LadybugDB, Neo4j)
- ``queries/``    named Cypher queries, one per file, with per-dialect variants
- ``ingest/``     readers, normalisation and loaders for patent exports and reference data
- ``embeddings/`` text encoders, the FAISS vector index, the jieba/BM25 keyword index, hybrid search
- ``analytics/``  the service layer: navigation, competitors, chains, high-value, matching, indicators
- ``search_api/`` the FastAPI application (thin routers over ``analytics``)
"""

__version__ = "0.1.0"
