"""Patent records by number, similar patents and classification over the real subset
(tests/_fixtures_api.py). Expected values are read from the real source files."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from analytics.patents import number_candidates
from patentnav.errors import InvalidInput
from tests._fixtures_api import ApiDataset, api_dataset


@pytest.fixture(scope="session")
def ds(tmp_path_factory) -> ApiDataset:
    return api_dataset(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="session")
def client(ds) -> TestClient:
    return ds.client


def get(client: TestClient, path: str, **params) -> dict:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def error_of(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text
    return r.json()["error"]


def test_number_candidates():
    assert "CN202223220665.2" in number_candidates("2022 2322 0665.2")
    assert "CN202223220665.2" in number_candidates("ZL2022232206652")
    assert "CN218751475U" in number_candidates("cn218751475u")
    assert {"CN218751475U", "CN218751475A"} <= set(number_candidates("CN218751475"))
    with pytest.raises(InvalidInput, match="check digit"):
        number_candidates("CN202223220665.3")


def test_patent_by_application_number_has_its_neighbourhood(client, ds):
    for row in ds.sample10:
        body = get(client, f"/v1/patents/{row['申请号']}")
        assert body["app_no"] == row["申请号"] and body["title"] == row["专利名称"]
        assert body["pub_no"] == row["公开号"]
        names = {a["name"] for a in body["applicants"]}
        assert set(row["申请人"].split(";")) <= names
        inventors = {i["name"] for i in body["neighbourhood"]["inventors"]}
        assert set(row["发明人"].split(";")) <= inventors
        assert body["ipc_main"] == row["主分类号"].replace(" ", "")
        main = [c for c in body["ipc"] if c["main"]]
        assert [c["id"] for c in main] == [body["ipc_main"]]
        assert body["abstract"] == row["申请摘要"] and body["claim1"]


def test_number_spellings_resolve_to_the_same_patent(client, ds):
    row = ds.sample10[0]
    app_no, pub_no = row["申请号"], row["公开号"]  # CN202223220665.2 / CN218751475U
    digits = app_no[2:].replace(".", "")
    ids = {get(client, f"/v1/patents/{n}")["id"]
           for n in (app_no, digits, f"ZL{app_no[2:]}", pub_no.lower(), pub_no[:-1])}
    assert len(ids) == 1


def test_patent_by_publication_number_and_by_source_id(client, ds):
    row = next(r for r in ds.lxingy3 if "电池" in r["title"])
    body = get(client, f"/v1/patents/{row['publication_number']}")
    assert body["title"] == row["title"]
    assert sorted(body["ipc_subclasses"]) == sorted(row["ipc_subclasses"].split("|"))
    rec = ds.ccf[0]
    body = get(client, f"/v1/patents/patsnap:{rec['id']}")
    assert body["title"] == rec["title"]
    assert [a["name"] for a in body["applicants"]] == [rec["assignee"]]


def test_unknown_number_is_404_with_a_clear_body(client):
    err = error_of(client.get("/v1/patents/CN999999999A"), 404)
    assert err["code"] == "not_found" and "CN999999999A" in err["message"]
    assert err["detail"]["number"] == "CN999999999A" and "CN999999999A" in err["detail"]["tried"]
    err = error_of(client.get("/v1/patents/CN202223220665.3"), 422)
    assert err["code"] == "invalid_input" and "check digit" in err["message"]
    err = error_of(client.get(f"/v1/patents/{'9' * 80}"), 422)
    assert err["detail"][0]["field"] == "number"


def test_similar_patents_exclude_the_patent_itself(client, ds):
    row = next(r for r in ds.lxingy3 if "锂电池" in r["title"])
    body = get(client, f"/v1/patents/{row['publication_number']}/similar", limit=8)
    assert body["source"]["id"] == row["publication_number"]
    results = body["results"]
    assert len(results) == 8
    assert row["publication_number"] not in {h["id"] for h in results}
    sims = [h["similarity"] for h in results]
    assert sims == sorted(sims, reverse=True) and all(-1.0 <= s <= 1.0 for s in sims)
    # a battery patent's neighbours are mostly battery patents
    assert sum("电池" in (h["title"] or "") for h in results) >= len(results) / 2
    for hit in results:
        if hit["shared_terms"]:
            assert hit["best_sentence"] is not None
    filtered = get(client, f"/v1/patents/{row['publication_number']}/similar", limit=5,
                   kind="invention")
    assert all(h["kind"] == "invention" for h in filtered["results"])
    assert error_of(client.get(f"/v1/patents/{row['publication_number']}/similar",
                               params={"limit": 0}), 422)["code"] == "invalid_input"
    assert error_of(client.get("/v1/patents/CN999999999A/similar"), 404)["code"] == "not_found"


def test_classify_suggests_h01m_for_a_battery_text(client):
    text = "一种锂离子电池正极材料及其制备方法，提高电池的能量密度与循环寿命。"
    r = client.post("/v1/classify", json={"text": text, "k": 20, "top": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    top = body["ipc"]["suggestions"][0]
    assert top["code"] == "H01M" and top["name"] and 0.5 < top["score"] <= 1.0
    assert top["votes"] >= 3 and body["ipc"]["labelled_neighbours"] >= top["votes"]
    scores = [s["score"] for s in body["ipc"]["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    # the supporting neighbours really carry H01M
    for pid in top["support"]:
        assert "H01M" in get(client, f"/v1/patents/{pid}")["ipc_subclasses"]
    assert len(body["neighbours"]) == 20
    chains = body["chain_node"]["suggestions"]
    assert chains and any("电池" in (c["name"] or "") for c in chains)


@pytest.mark.parametrize(
    "payload,field",
    [({"text": ""}, "text"), ({"text": "电池", "k": 0}, "k"), ({"text": "电池", "x": 1}, "x"),
     ({"text": "电池", "mode": "magic"}, "mode")],
)
def test_classify_validates_its_body(client, payload, field):
    err = error_of(client.post("/v1/classify", json=payload), 422)
    assert err["code"] == "invalid_input" and err["detail"][0]["field"] == field
