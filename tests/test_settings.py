from pathlib import Path

import pytest
from pydantic import ValidationError

from patentnav.settings import PROJECT_ROOT, Settings


def test_defaults_point_at_shared_data_and_var():
    s = Settings(_env_file=None)
    assert s.data_dir == PROJECT_ROOT.parent / "shared" / "data"
    assert s.graph_backend == "embedded"
    assert s.graph_path == s.var_dir / "graph.lbug"
    assert s.index_path == s.var_dir / "index"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("PATENTNAV_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEO4J_URI", "bolt://db.example:7687")
    monkeypatch.setenv("PATENTNAV_BATCH_SIZE", "123")
    s = Settings(_env_file=None)
    assert s.data_dir == Path(tmp_path)
    assert s.neo4j_uri == "bolt://db.example:7687"
    assert s.batch_size == 123


def test_bad_values_are_rejected(monkeypatch):
    monkeypatch.setenv("PATENTNAV_GRAPH_BACKEND", "sqlite")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
