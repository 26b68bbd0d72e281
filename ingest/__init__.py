"""Ingest patent exports, organisations, industry chains and demands into the graph.

See ``ingest/README.md`` for the modules and rules, ``ingest/chains.md`` for the chain
catalogue format; entry points are in :mod:`ingest.pipeline`.
"""
