"""Shared ingest helpers for test modules.

``load_demo(store, settings)`` loads the bundled real data (``settings.data_dir``: the
reference files and every patent file) into an initialised store through the real
pipeline and returns the :class:`~ingest.report.IngestSummary`. Use it from a
session- or module-scoped fixture: on the embedded store it takes a few seconds.

``REAL_PATENTS`` is the number of distinct patents in the real data after merging
(958 PatSnap + 9,740 lxingy3 + 3 x 19 liaoleyuan + 10 sample10; the files share no
patent).
"""

from __future__ import annotations

from graph.base import GraphStore
from ingest.pipeline import ingest_all
from ingest.report import IngestSummary
from patentnav.settings import Settings

REAL_PATENTS = 10_765


def load_demo(store: GraphStore, settings: Settings) -> IngestSummary:
    """Ingest the demo data into ``store`` (reference data, patents, listed companies)."""
    return ingest_all(store, settings, progress=False)
