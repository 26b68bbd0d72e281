"""VectorIndex: exact/ANN choice, incremental add/replace/delete, filters, persistence,
encoder fingerprint checks. Vector-level tests use synthetic clustered vectors."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.ids import IdMap
from embeddings.index import VectorIndex, default_nlist
from patentnav.errors import EncoderMismatch, IndexError_, IndexNotBuilt

DIM = 32


class FakeEncoder:
    """Only the identity the index checks (name, fingerprint, dim)."""

    def __init__(self, name="enc-a", fingerprint="fp-a", dim=DIM):
        self.name, self.fingerprint, self.dim = name, fingerprint, dim


def clustered(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(4, n // 50), dim))
    x = centres[rng.integers(len(centres), size=n)] + 0.35 * rng.standard_normal((n, dim))
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute(x: np.ndarray, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    s = x @ q
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
    return np.argsort(-s, kind="stable")[:k]


def make(exact_max: int = 1000, **kw) -> VectorIndex:
    return VectorIndex(DIM, encoder_name="enc-a", encoder_fingerprint="fp-a",
                       exact_max=exact_max, **kw)


def ids_of(n: int, start: int = 0) -> list[str]:
    return [f"CN{start + i:06d}" for i in range(n)]


def test_flat_search_finds_itself_and_ranks_by_cosine():
    x = clustered(300)
    vi = make()
    vi.add(ids_of(300), x)
    assert vi.kind == "flat" and len(vi) == 300 and not vi.needs_compact
    hits = vi.search(x[17], 5)
    assert hits[0][0] == "CN000017" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    expected = [f"CN{i:06d}" for i in brute(x, x[17], 5)]
    assert [h[0] for h in hits] == expected
    scores = [h[1] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_add_same_id_replaces_and_delete_removes():
    x = clustered(200, seed=1)
    vi = make()
    vi.add(ids_of(200), x)
    # replace CN000005 by the vector of CN000150
    vi.add(["CN000005"], x[150:151])
    assert len(vi) == 200
    top2 = {h[0] for h in vi.search(x[150], 2)}
    assert top2 == {"CN000005", "CN000150"}
    assert np.allclose(vi.vector("CN000005"), x[150])
    # repeated id in one call: the last one wins
    vi.add(["CN000006", "CN000006"], np.vstack([x[0], x[1]]))
    assert len(vi) == 200 and np.allclose(vi.vector("CN000006"), x[1])
    assert vi.delete(["CN000150", "CN000150", "nope"]) == 1
    assert len(vi) == 199 and not vi.contains("CN000150")
    assert "CN000150" not in {h[0] for h in vi.search(x[150], 10)}
    assert vi.delete(["CN000150"]) == 0
    with pytest.raises(IndexError_):
        vi.vector("CN000150")
    # re-adding a deleted id gives it back its int id
    n_before = len(vi.ids)
    vi.add(["CN000150"], x[150:151])
    assert len(vi.ids) == n_before and vi.search(x[150], 1)[0][0] in {"CN000150", "CN000005"}


def test_filtered_search_only_returns_allowed():
    x = clustered(400, seed=2)
    vi = make()
    vi.add(ids_of(400), x)
    rng = np.random.default_rng(3)
    allowed = rng.random(400) < 0.1
    _, I = vi.search_ints(x[:20], 10, allowed)
    for qi in range(20):
        got = [i for i in I[qi] if i >= 0]
        assert all(allowed[i] for i in got)
        assert got == list(brute(x, x[qi], len(got), allowed))
    none = np.zeros(400, dtype=bool)
    assert vi.search(x[0], 5, none) == []
    # a mask shorter than the id map disallows the rest
    short = np.ones(10, dtype=bool)
    assert {h[0] for h in vi.search(x[300], 20, short)} <= set(ids_of(10))


@pytest.mark.parametrize("ann", ["hnsw", "ivf"])
def test_exact_vs_ann_auto_choice_and_transition(ann):
    x = clustered(3000, seed=4)
    vi = make(exact_max=1000, ann=ann, nprobe=16, ef_search=64)
    vi.add(ids_of(800), x[:800])
    assert vi.kind == "flat" and not vi.needs_compact
    vi.add(ids_of(2200, 800), x[800:])  # crosses the threshold: still flat until compact
    assert vi.kind == "flat" and vi.wanted_kind == ann and vi.needs_compact
    assert vi.compact() is True
    assert vi.kind == ann and len(vi) == 3000
    if ann == "ivf":
        assert vi.nlist == default_nlist(3000)
    assert not vi.needs_compact and vi.compact() is False
    # ANN quality on clustered data
    q = x[::60]
    _, I = vi.search_ints(q, 10)
    rec = np.mean([len(set(I[i]) & set(brute(x, q[i], 10))) / 10 for i in range(len(q))])
    assert rec >= 0.9
    # selective filters stay exact over the allowed subset
    allowed = np.zeros(3000, dtype=bool)
    allowed[np.random.default_rng(5).choice(3000, 30, replace=False)] = True
    _, I = vi.search_ints(q, 5, allowed)
    for i in range(len(q)):
        assert list(I[i]) == list(brute(x, q[i], 5, allowed))
    # wide filters keep recall and never leak
    wide = np.random.default_rng(6).random(3000) < 0.5
    _, I = vi.search_ints(q, 10, wide)
    assert all(wide[i] for i in I.ravel() if i >= 0)
    rec = np.mean([len(set(I[i]) & set(brute(x, q[i], 10, wide))) / 10 for i in range(len(q))])
    assert rec >= 0.9
    # a wide filter that excludes the query's whole neighbourhood: post-filtering finds
    # nothing in its over-fetch and must fall back to filtering inside FAISS, which still
    # returns k allowed vectors (their order is approximate: all are far from the query)
    far = np.zeros(3000, dtype=bool)
    far[np.argsort(x @ q[0])[:1050]] = True  # the 35 % least similar to the query
    _, I = vi.search_ints(q[:1], 10, far)
    assert all(far[i] for i in I[0]) and (I[0] >= 0).all() and len(set(I[0])) == 10
    # incremental updates on the ANN index: replace and delete without rebuild
    vi.add(["CN000001"], x[2999:3000])
    assert {h[0] for h in vi.search(x[2999], 2)} == {"CN000001", "CN002999"}
    assert vi.delete(["CN002999"]) == 1 and len(vi) == 2999
    assert vi.search(x[2999], 1)[0][0] == "CN000001"
    assert np.allclose(vi.vector("CN000001"), x[2999])
    if ann == "hnsw":
        assert vi.tombstones == 2  # old CN000001, CN002999
    # shrinking far below the trained size asks for a rebuild back to flat
    vi.delete(ids_of(2500, 0))
    assert len(vi) == 499 and vi.needs_compact
    vi.compact()
    assert vi.kind == "flat" and len(vi) == 499 and vi.tombstones == 0
    assert vi.search(x[2998], 1)[0][0] == "CN002998" and not vi.contains("CN000001")


def test_hnsw_tombstones_trigger_compaction():
    x = clustered(1200, seed=8)
    vi = make(exact_max=100, ann="hnsw", tombstone_max=0.2)
    vi.build(ids_of(1200), x)
    assert vi.kind == "hnsw" and not vi.needs_compact
    vi.add(ids_of(200), x[1000:1200])  # 200 replacements: 200 tombstones
    assert len(vi) == 1200 and vi.tombstones == 200 and not vi.needs_compact
    vi.delete(ids_of(100, 200))
    assert vi.tombstones == 300 and vi.needs_compact
    _, I = vi.search_ints(x[1000:1001], 3)
    assert set(vi.ids.to_str(I[0][:2])) == {"CN000000", "CN001000"}
    vi.compact()
    assert vi.tombstones == 0 and len(vi) == 1100 and vi.kind == "hnsw"
    assert np.allclose(vi.vector("CN000000"), x[1000])


@pytest.mark.parametrize("ann", ["hnsw", "ivf"])
def test_persistence_round_trip(tmp_path, ann):
    x = clustered(1500, seed=6)
    vi = make(exact_max=1000, nprobe=8, ann=ann)
    vi.build(ids_of(1500), x)
    assert vi.kind == ann
    vi.delete(["CN000003"])
    vi.add(["CN000004"], x[:1])
    vi.save(tmp_path / "v")
    meta = VectorIndex.read_meta(tmp_path / "v")
    assert meta["encoder"] == {"name": "enc-a", "fingerprint": "fp-a", "dim": DIM}
    assert meta["kind"] == ann and meta["count"] == 1499 and meta["id_map"] == "ids.json"
    loaded = VectorIndex.load(tmp_path / "v", FakeEncoder())
    assert loaded.kind == ann and len(loaded) == 1499 and not loaded.contains("CN000003")
    assert loaded.tombstones == vi.tombstones
    assert np.allclose(loaded.vector("CN000004"), x[0])
    for qi in (0, 100, 1400):
        assert loaded.search(x[qi], 5) == vi.search(x[qi], 5)
    loaded.add(["CN009999"], x[:1])
    assert len(loaded) == 1500


def test_flat_persistence_and_reconstruct(tmp_path):
    x = clustered(50, seed=7)
    vi = make()
    vi.add(ids_of(50), x)
    vi.delete(["CN000010"])
    ints, vecs = vi.all_vectors()
    assert len(ints) == 49 and 10 not in ints
    assert np.allclose(vecs, x[ints])
    vi.save(tmp_path / "f")
    loaded = VectorIndex.load(tmp_path / "f", FakeEncoder())
    assert loaded.kind == "flat" and loaded.search(x[3], 3) == vi.search(x[3], 3)


def test_load_refuses_another_encoder(tmp_path):
    vi = make()
    vi.add(ids_of(5), clustered(5))
    vi.save(tmp_path / "v")
    with pytest.raises(EncoderMismatch) as err:
        VectorIndex.load(tmp_path / "v", FakeEncoder("bge-base-zh", "fp-b"))
    msg = str(err.value)
    assert "enc-a" in msg and "fp-a" in msg and "bge-base-zh" in msg and "fp-b" in msg
    with pytest.raises(EncoderMismatch):
        VectorIndex.load(tmp_path / "v", FakeEncoder("enc-a", "fp-a", dim=DIM + 1))
    with pytest.raises(IndexNotBuilt):
        VectorIndex.load(tmp_path / "missing", FakeEncoder())


def test_bad_vectors_are_rejected():
    vi = make()
    with pytest.raises(IndexError_):
        vi.add(["a"], np.zeros((1, DIM + 1), dtype=np.float32))
    with pytest.raises(IndexError_):
        vi.add(["a", "b"], np.zeros((1, DIM), dtype=np.float32))
    bad = np.zeros((1, DIM), dtype=np.float32)
    bad[0, 0] = np.nan
    with pytest.raises(IndexError_):
        vi.add(["a"], bad)
    with pytest.raises(IndexError_):
        IdMap().assign([""])


def test_shared_id_map_and_empty_index():
    ids = IdMap(["X", "Y"])
    vi = VectorIndex(DIM, encoder_name="e", encoder_fingerprint="f", ids=ids)
    assert vi.search(clustered(1)[0], 3) == []
    vi.add(["Y"], clustered(1))
    assert ids.get("Y") == 1 and vi.contains("Y") and not vi.contains("X")
    assert list(vi.present_mask(3)) == [False, True, False]
