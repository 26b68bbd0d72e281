"""One contract for every GraphStore backend.

"embedded" (LadybugDB in tmp_path) always runs; "neo4j" runs when NEO4J_URI is set
(see the README: ``docker compose up -d neo4j``) and clears the database before each
test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from graph.base import GraphStore
from graph.schema import SCHEMA
from patentnav.errors import SchemaError
from patentnav.settings import Settings
from tests import _fixtures_graph as fx

BACKENDS = ["embedded", "neo4j"]


def _open(backend: str, path) -> GraphStore:
    if backend == "embedded":
        from graph.embedded import EmbeddedStore

        s = EmbeddedStore.open(path / "graph.lbug", buffer_pool_mb=256)
    else:
        settings = Settings()
        if not settings.neo4j_uri:
            pytest.skip("NEO4J_URI not set: no Neo4j server on this machine; see README for docker compose")
        from graph.neo4j import Neo4jStore

        s = Neo4jStore.connect(
            settings.neo4j_uri,
            (settings.neo4j_user, settings.neo4j_password.get_secret_value()),
            database=settings.neo4j_database,
        )
        s.clear()
    s.init_schema()
    return s


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> GraphStore:
    s = _open(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def loaded(store) -> GraphStore:
    fx.load_fixture(store)
    return store


@pytest.fixture(scope="module", params=BACKENDS)
def _shared(request, tmp_path_factory) -> GraphStore:
    s = _open(request.param, tmp_path_factory.mktemp(request.param))
    yield s
    s.close()


@pytest.fixture
def ro(_shared) -> GraphStore:
    """The fixture graph for tests that only read: loaded once per module (reloaded
    if another test changed a shared Neo4j database in between)."""
    if (_nonzero(_shared.count_nodes()) != fx.EXPECTED_NODES
            or _nonzero(_shared.count_relationships()) != fx.EXPECTED_RELS):
        _shared.clear()
        fx.load_fixture(_shared)
    return _shared


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


# -- schema and idempotency -------------------------------------------------------------------
def test_init_schema_twice_keeps_data(loaded):
    before = (loaded.count_nodes(), loaded.count_relationships())
    loaded.init_schema()
    loaded.init_schema()
    assert (loaded.count_nodes(), loaded.count_relationships()) == before


def test_counts_cover_every_label_and_type(store):
    assert set(store.count_nodes()) == {n.label for n in SCHEMA.nodes}
    assert set(store.count_relationships()) == {r.type for r in SCHEMA.rels}
    assert not _nonzero(store.count_nodes())


def test_fixture_counts_and_same_batch_twice_is_idempotent(store):
    first = fx.load_fixture(store)
    nodes, rels = store.count_nodes(), store.count_relationships()
    assert nodes["Patent"] == 12 and nodes["Organization"] == 6 and nodes["IPC"] == len(fx.IPC_ROWS)
    assert _nonzero(nodes) == fx.EXPECTED_NODES
    assert _nonzero(rels) == fx.EXPECTED_RELS
    second = fx.load_fixture(store)
    assert second == first
    assert store.count_nodes() == nodes
    assert store.count_relationships() == rels
    # the CITES row whose target is missing is skipped and not counted
    assert first["CITES"] == len(fx.CITES)


# -- merging -----------------------------------------------------------------------------------------
def test_none_does_not_erase(loaded):
    pid = fx.P[0]
    n = loaded.upsert_nodes("Patent", [{"id": pid, "title": None, "app_date": None, "ipc_codes": None,
                                        "hv": None, "claim_count": 12, "status": "invalid"}])
    assert n == 1
    p = loaded.run("patent_by_id", id=pid)[0]["patent"]
    assert p["title"] == "一种锂离子电池正极材料及其制备方法"
    assert p["app_date"] == dt.date(2020, 3, 15)
    assert p["ipc_codes"] == ["H01M4/36", "H01M4/525", "H01M10/0525"]
    assert p["hv"] is True
    assert p["claim_count"] == 12 and p["status"] == "invalid"
    assert loaded.count_nodes()["Patent"] == 12


def test_duplicates_in_one_batch_merge_later_values_win(store):
    rows = [
        {"id": "CN1", "title": "旧标题", "claim_count": 3, "kind": "invention"},
        {"id": "CN2", "title": "另一件"},
        {"id": "CN1", "title": "新标题", "claim_count": None, "status": "valid"},
    ]
    assert store.upsert_nodes("Patent", rows) == 3
    assert store.count_nodes()["Patent"] == 2
    p = store.run("patent_by_id", id="CN1")[0]["patent"]
    assert (p["title"], p["claim_count"], p["kind"], p["status"]) == ("新标题", 3, "invention", "valid")
    store.upsert_nodes("Organization", [{"id": "甲"}, {"id": "乙"}])
    n = store.upsert_relationships("APPLIED_BY", [
        {"src": "CN1", "dst": "甲", "ord": 0}, {"src": "CN1", "dst": "甲", "ord": None},
        {"src": "CN1", "dst": "乙", "ord": 1}, {"src": "CN1", "dst": "乙", "ord": 2},
    ])
    assert n == 4
    assert store.count_relationships()["APPLIED_BY"] == 2
    ords = {a["id"]: a["ord"] for a in store.run("patent_neighbourhood", id="CN1")[0]["applicants"]}
    assert ords == {"甲": 0, "乙": 2}


def test_relationship_upsert_idempotent_updates_props_and_skips_missing(loaded):
    rows = [{"src": fx.P[0], "dst": fx.CHANGAN, "ord": 5},        # existing pair: update ord
            {"src": fx.P[2], "dst": fx.CQU, "ord": 1},            # new pair
            {"src": "CN000000000000.0", "dst": fx.CQU, "ord": 0},  # missing patent
            {"src": fx.P[3], "dst": "不存在的公司", "ord": 1}]       # missing organisation
    assert loaded.upsert_relationships("APPLIED_BY", rows) == 2
    assert loaded.upsert_relationships("APPLIED_BY", rows) == 2
    assert loaded.count_relationships()["APPLIED_BY"] == len(fx.APPLICANTS) + 1
    apps = {a["id"]: a["ord"] for a in loaded.run("patent_neighbourhood", id=fx.P[0])[0]["applicants"]}
    assert apps == {fx.CQU: 0, fx.CHANGAN: 5}
    # None leaves a relationship property alone
    loaded.upsert_relationships("APPLIED_BY", [{"src": fx.P[0], "dst": fx.CHANGAN, "ord": None}])
    apps = {a["id"]: a["ord"] for a in loaded.run("patent_neighbourhood", id=fx.P[0])[0]["applicants"]}
    assert apps[fx.CHANGAN] == 5


def test_multi_pair_relationship(loaded):
    rels = loaded.count_relationships()
    assert rels["LOCATED_IN"] == len(fx.ORGS) + 1
    loaded.upsert_nodes("TechDemand", [{"id": "req:1", "title": "动力电池回收利用技术需求", "region_code": "500106"}])
    n = loaded.upsert_relationships("LOCATED_IN", [{"src": "req:1", "dst": "500106"}],
                                    src_label="TechDemand", dst_label="Region")
    assert n == 1
    # an organisation id is not a TechDemand: skipped
    assert loaded.upsert_relationships("LOCATED_IN", [{"src": fx.CQU, "dst": "500106"}],
                                       src_label="TechDemand", dst_label="Region") == 0
    assert loaded.count_relationships()["LOCATED_IN"] == len(fx.ORGS) + 2
    with pytest.raises(SchemaError):
        loaded.upsert_relationships("LOCATED_IN", [{"src": "req:1", "dst": "500106"}])


# -- lookups ----------------------------------------------------------------------------------------
def test_lookups_by_id_and_number(ro):
    p0 = fx.PATENTS[0]
    assert ro.run("patent_by_id", id=p0["id"])[0]["patent"]["title"] == p0["title"]
    assert ro.run("patent_by_id", id="CN999") == []
    for number in (p0["id"], p0["app_no"], p0["pub_no"], p0["grant_no"]):
        rows = ro.run("patent_by_number", number=number)
        assert [r["patent"]["id"] for r in rows] == [p0["id"]], number
    assert ro.run("patent_by_number", number="CN000000000A") == []
    got = ro.run("patents_by_ids", ids=[fx.P[1], "missing", fx.P[5]])
    assert sorted(r["patent"]["id"] for r in got) == sorted([fx.P[1], fx.P[5]])
    assert ro.run("patents_by_ids", ids=[]) == []
    org = ro.run("org_by_id", id=fx.CQU)[0]["org"]
    assert org["kind"] == "university" and org["aliases"] == ["重大", "Chongqing University"]
    for name in ("重大", fx.CHANGAN, "长安汽车", "赛力斯", "重庆小康工业集团股份有限公司"):
        assert len(ro.run("org_search_by_alias", name=name)) == 1, name
    assert [r["org"]["id"] for r in ro.run("org_search_by_alias", name="长安汽车")] == [fx.CHANGAN]
    assert ro.run("org_search_by_alias", name="长安") == []


def test_patent_neighbourhood(ro):
    (row,) = ro.run("patent_neighbourhood", id=fx.P[0])
    assert row["patent"]["id"] == fx.P[0]
    assert sorted((a["ord"], a["id"]) for a in row["applicants"]) == [(0, fx.CQU), (1, fx.CHANGAN)]
    assert [h["id"] for h in row["holders"]] == [fx.CQU]
    assert sorted((i["ord"], i["name"]) for i in row["inventors"]) == [(0, "王晓东"), (1, "李明"), (2, "陈静")]
    assert {(c["id"], c["main"]) for c in row["ipc"]} == {
        ("H01M4/36", True), ("H01M4/525", False), ("H01M10/0525", False)}
    assert [c["id"] for c in row["cites"]] == [fx.P[11]]
    assert sorted(c["id"] for c in row["cited_by"]) == sorted([fx.P[6], fx.P[1]])
    assert [(s["id"], s["rule"]) for s in row["sei"]] == [("5.2", "H01M4/36")]
    assert [(n["id"], n["via"]) for n in row["chain_nodes"]] == [("chain:nev:battery", "ipc+keyword")]
    assert [(e["kind"], e["date"], e["amount_wan"]) for e in row["events"]] == [
        ("pledge", dt.date(2023, 3, 1), 1200.0)]
    assert row["awards"] == []
    (lonely,) = ro.run("patent_neighbourhood", id=fx.P[7])
    assert lonely["holders"] == [] and lonely["cites"] == [] and lonely["sei"] == []
    assert [a["id"] for a in lonely["applicants"]] == [fx.CHANGAN]
    assert ro.run("patent_neighbourhood", id="CN404") == []


def test_org_patents_newest_first_with_limit(ro):
    rows = ro.run("org_patents", id=fx.CQU, limit=10)
    assert [r["id"] for r in rows] == [fx.P[6], fx.P[0], fx.P[8], fx.P[11]]  # 2023, 2020, 2017, 2016
    assert rows[0]["app_date"] == dt.date(2023, 1, 12) and rows[0]["ord"] == 0
    assert [r["id"] for r in ro.run("org_patents", id=fx.CQU, limit=2)] == [fx.P[6], fx.P[0]]


# -- aggregations -------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", sorted(fx.SUBTREE))
def test_ipc_subtree_counts(ro, prefix):
    rows = ro.run("ipc_subtree_counts", prefix=prefix)
    assert [(r["code"], r["patents"]) for r in rows] == fx.SUBTREE[prefix]


def test_ipc_subtree_titles_and_totals(ro):
    rows = {r["code"]: r for r in ro.run("ipc_subtree_counts", prefix="H01M")}
    assert rows["H01M4/00"]["title"] == "Electrodes" and rows["H01M4/00"]["title_zh"] == "电极"
    assert rows["H01M50/00"]["title_zh"] is None
    assert ro.run("ipc_prefix_patent_count", prefix="H01M") == [{"patents": 6}]
    assert ro.run("ipc_prefix_patent_count", prefix="H01M4/00") == [{"patents": 3}]
    assert ro.run("ipc_prefix_patent_count", prefix="Y02") == [{"patents": 0}]
    assert ro.run("ipc_subtree_counts", prefix="Y02") == []


def test_derive_co_applied_and_rederive(loaded):
    assert loaded.write("derive_co_applied") == [{"pairs": len(fx.CO_APPLIED)}]
    assert loaded.count_relationships()["CO_APPLIED"] == len(fx.CO_APPLIED)
    rows = loaded.run("co_applicants", id=fx.CHANGAN)
    assert [(r["id"], r["patents"]) for r in rows] == [(fx.CQU, 2), (fx.CQUPT, 2), (fx.CAERI, 1)]
    for org in {o for pair in fx.CO_APPLIED for o in pair}:
        got = {r["id"]: r["patents"] for r in loaded.run("co_applicants", id=org)}
        want = {next(iter(pair - {org})): n for pair, n in fx.CO_APPLIED.items() if org in pair}
        assert got == want, org
    # re-deriving is idempotent; after a new joint application the counts follow
    assert loaded.write("derive_co_applied") == [{"pairs": len(fx.CO_APPLIED)}]
    assert loaded.count_relationships()["CO_APPLIED"] == len(fx.CO_APPLIED)
    loaded.upsert_relationships("APPLIED_BY", [{"src": fx.P[5], "dst": fx.CQU, "ord": 1}])
    assert loaded.write("derive_co_applied") == [{"pairs": len(fx.CO_APPLIED) + 1}]
    assert {r["id"]: r["patents"] for r in loaded.run("co_applicants", id=fx.SWU)} == {fx.CQU: 1}
    assert loaded.run("co_applicants", id="无此机构") == []


# -- deletes ----------------------------------------------------------------------------------------
def test_delete_nodes_removes_their_relationships(loaded):
    rels = loaded.count_relationships()
    assert loaded.delete_nodes("Patent", [fx.P[0], "CN-not-there", fx.P[0]]) == 1
    assert loaded.count_nodes()["Patent"] == 11
    after = loaded.count_relationships()
    assert after["APPLIED_BY"] == rels["APPLIED_BY"] - 2
    assert after["CLASSIFIED_AS"] == rels["CLASSIFIED_AS"] - 3
    assert after["CITES"] == rels["CITES"] - 3  # P0 -> P11, P6 -> P0, P1 -> P0
    assert after["HAS_EVENT"] == 0
    assert loaded.run("patent_by_id", id=fx.P[0]) == []
    assert loaded.delete_nodes("Patent", []) == 0
    assert loaded.delete_nodes("Patent", [fx.P[0]]) == 0


def test_clear_keeps_schema(loaded):
    loaded.clear()
    assert not _nonzero(loaded.count_nodes()) and not _nonzero(loaded.count_relationships())
    fx.load_fixture(loaded)
    assert _nonzero(loaded.count_relationships()) == fx.EXPECTED_RELS


# -- types ----------------------------------------------------------------------------------------------
def test_types_round_trip(store):
    row = {"id": "CN-T", "app_date": dt.date(1999, 12, 31), "grant_date": dt.date(2024, 2, 29),
           "family_ids": ["CN1A", "US2B", "专利号"], "cpc_codes": [], "overseas_family": False,
           "open_licence": True, "claim_count": 2**40, "family_size": 0, "title": "含\"引号\"和'单引号'的标题\n第二行",
           "hv_evidence": '{"sei": "5.2"}'}
    store.upsert_nodes("Patent", [row])
    p = store.run("patent_by_id", id="CN-T")[0]["patent"]
    for k, v in row.items():
        assert p[k] == v and type(p[k]) is type(v), k
    assert p["hv"] is None and p["sources"] is None
    store.upsert_nodes("Event", [{"id": "e1", "amount_wan": 12.5, "date": dt.date(2021, 1, 1)}])
    store.upsert_nodes("ChainNode", [{"id": "cn1", "ipc_patterns": ["H01M*"]}])
    store.upsert_relationships("IN_CHAIN_NODE", [{"src": "CN-T", "dst": "cn1", "score": 0.25, "via": "ipc"}])
    (row,) = store.run("patent_neighbourhood", id="CN-T")
    assert row["chain_nodes"][0]["score"] == 0.25


def test_rows_that_do_not_fit_the_schema_are_rejected(store):
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"id": "CN1", "no_such_prop": 1}])
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"title": "无编号"}])
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"id": None, "title": "空编号"}])
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"id": "CN1", "app_date": "2020-01-01"}])
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"id": "CN1", "ipc_codes": "H01M4/36"}])
    with pytest.raises(SchemaError):
        store.upsert_nodes("Patent", [{"id": "CN1", "claim_count": True}])
    with pytest.raises(SchemaError):
        store.upsert_nodes("NoSuchLabel", [{"id": "x"}])
    with pytest.raises(SchemaError):
        store.upsert_relationships("APPLIED_BY", [{"src": "CN1"}])
    with pytest.raises(SchemaError):
        store.upsert_relationships("NO_SUCH_TYPE", [{"src": "a", "dst": "b"}])
    assert not _nonzero(store.count_nodes())


# -- bulk -------------------------------------------------------------------------------------------------
def test_large_batch_through_the_bulk_path(store):
    n = 20_000
    rows = ({"id": f"CN2020{i:08d}.X", "title": f"一种电池管理方法{i}", "app_year": 2000 + i % 26,
             "app_date": dt.date(2000 + i % 26, 1 + i % 12, 1), "ipc_subclasses": ["H01M"],
             "hv": i % 3 == 0} for i in range(n))
    assert store.upsert_nodes("Patent", rows) == n
    cites = ({"src": f"CN2020{i:08d}.X", "dst": f"CN2020{(i * 7 + 1) % n:08d}.X"} for i in range(n))
    assert store.upsert_relationships("CITES", cites) == n
    assert store.count_nodes()["Patent"] == n
    assert store.count_relationships()["CITES"] == n
    # again, with some changes: counts stay, changes land
    rows = ({"id": f"CN2020{i:08d}.X", "status": "valid" if i % 2 else None} for i in range(n))
    assert store.upsert_nodes("Patent", rows) == n
    cites = ({"src": f"CN2020{i:08d}.X", "dst": f"CN2020{(i * 7 + 1) % n:08d}.X"} for i in range(n))
    assert store.upsert_relationships("CITES", cites) == n
    assert store.count_nodes()["Patent"] == n
    assert store.count_relationships()["CITES"] == n
    p = store.run("patent_by_id", id=f"CN2020{12345:08d}.X")[0]["patent"]
    assert p["status"] == "valid" and p["title"] == "一种电池管理方法12345" and p["app_year"] == 2000 + 12345 % 26
    assert store.run("patent_by_id", id=f"CN2020{12344:08d}.X")[0]["patent"]["status"] is None
