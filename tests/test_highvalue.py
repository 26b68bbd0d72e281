"""High-value invention patents: the five criteria with evidence, on a hand-made graph
with known answers (tests/_fixtures_matching.py) and the decision rules in isolation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics.highvalue import (
    CRITERIA,
    HighValuePolicy,
    PatentFacts,
    add_years,
    decide_maintained,
    decide_overseas,
    decide_pledge,
    evaluate,
    high_value_detail,
    list_high_value,
    load_awards,
    number_variants,
    pledge_candidates,
    read_award_rows,
    recompute_high_value,
)
from patentnav.errors import IngestError, InvalidInput, NotFound
from patentnav.settings import Settings
from tests._fixtures_matching import (
    AS_OF,
    AWARDS_CSV,
    EXPECTED_HV,
    build_fixture_graph,
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings(var_dir=tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from graph.embedded import EmbeddedStore

    s = EmbeddedStore.open(tmp_path_factory.mktemp("hv") / "graph.lbug", buffer_pool_mb=512)
    s.init_schema()
    build_fixture_graph(s)
    yield s
    s.close()


@pytest.fixture(scope="module")
def computed(store, settings):
    """Awards loaded, then the flags computed as of AS_OF (pages of 5 to cross pages)."""
    report = load_awards(store, AWARDS_CSV)
    stats = recompute_high_value(store, settings, as_of=AS_OF, progress=False, page_size=5)
    return report, stats


# -- rules in isolation ---------------------------------------------------------------------
POLICY = HighValuePolicy(as_of=date(2026, 3, 1), awards_loaded=True)


def test_add_years_handles_leap_day():
    assert add_years(date(2016, 2, 29), 10) == date(2026, 2, 28)
    assert add_years(date(2015, 3, 1), 10) == date(2025, 3, 1)


def test_maintained_is_strictly_more_than_ten_years_since_application():
    valid = dict(id="x", kind="invention", status="valid")
    on_anniversary = PatentFacts(app_date=date(2016, 3, 1), **valid)
    day_after = PatentFacts(app_date=date(2016, 2, 29), **valid)
    assert decide_maintained(on_anniversary, POLICY).holds is False
    assert decide_maintained(day_after, POLICY).holds is True
    assert decide_maintained(PatentFacts(id="y", status="valid"), POLICY).holds is None
    old_unknown = PatentFacts(id="z", status="unknown", app_date=date(2001, 1, 1))
    assert decide_maintained(old_unknown, POLICY).holds is None


def test_overseas_rules():
    assert decide_overseas(PatentFacts(id="a", family_ids=["US1234567B2"]), POLICY).holds is True
    res = decide_overseas(PatentFacts(id="a", pub_no="CN1A", family_ids=["CN1A", "WO2019/1"]),
                          POLICY)
    assert res.holds is False
    assert decide_overseas(PatentFacts(id="a", family_ids=["HK1234567A1"]), POLICY).holds is True
    assert decide_overseas(PatentFacts(id="a"), POLICY).holds is None
    assert decide_overseas(PatentFacts(id="a", family_size=1), POLICY).holds is False
    assert decide_overseas(PatentFacts(id="a", overseas_family=True), POLICY).holds is True


def test_pledge_rules():
    big = {"event_id": "e", "amount_wan": 1000.0, "date": date(2022, 1, 1)}
    small = {"event_id": "s", "amount_wan": 999.9, "date": None}
    blank = {"event_id": "b", "amount_wan": None, "date": None}
    assert decide_pledge(PatentFacts(id="a", pledges=[big]), POLICY).holds is True  # at threshold
    assert decide_pledge(PatentFacts(id="a", pledges=[small]), POLICY).holds is False
    assert decide_pledge(PatentFacts(id="a", pledges=[small, blank]), POLICY).holds is None
    assert decide_pledge(PatentFacts(id="a", pledges=[big, blank]), POLICY).holds is True
    # 质押次数 says 3 but only one event on record: the other two amounts are unknown
    assert decide_pledge(PatentFacts(id="a", pledge_count=3, pledges=[small]), POLICY).holds is None
    assert decide_pledge(PatentFacts(id="a", pledge_count=0), POLICY).holds is False
    assert decide_pledge(PatentFacts(id="a"), POLICY).holds is None
    strict = HighValuePolicy(as_of=POLICY.as_of, pledge_threshold_wan=5000.0)
    assert decide_pledge(PatentFacts(id="a", pledges=[big]), strict).holds is False


def test_hv_false_only_when_every_criterion_is_no():
    facts = PatentFacts(id="a", kind="invention", status="valid", app_date=date(2020, 1, 1),
                        family_ids=[], pledge_count=0, has_ipc=True)
    assert evaluate(facts, POLICY).hv is False
    no_awards = HighValuePolicy(as_of=POLICY.as_of, awards_loaded=False)
    res = evaluate(facts, no_awards)
    assert res.hv is None and res.unknown == ("award",)
    assert evaluate(PatentFacts(id="u", kind="design"), POLICY).hv is False


def test_sei_unknown_when_classifier_never_ran():
    policy = HighValuePolicy(as_of=POLICY.as_of, sei_classified=False)
    facts = PatentFacts(id="a", kind="invention", status="valid", has_ipc=True)
    assert evaluate(facts, policy).results["sei"].holds is None


def test_number_variants_normalise_application_numbers():
    assert "CN202223220665.2" in number_variants("ZL 2022 2 3220665.2")
    assert "CN202223220665.2" in number_variants("2022232206652")


# -- the fixture graph ---------------------------------------------------------------------------
def test_award_list_loading(computed):
    report, _ = computed
    assert report.rows == 4
    assert report.matched == 2  # by application number and by publication number
    assert [u["number"] for u in report.unmatched] == ["CN999999999999.9"]
    assert len(report.rejected) == 1 and "year" in report.rejected[0]["reason"]


@pytest.mark.parametrize("pid", sorted(EXPECTED_HV))
def test_criteria_match_hand_checked_answers(store, computed, pid):
    holds, unknown, hv = EXPECTED_HV[pid]
    d = high_value_detail(store, pid)
    assert set(d["hv_criteria"]) == holds
    assert set(d["hv_unknown"]) == unknown
    assert d["hv"] is hv
    assert d["computed"]
    ev = d["evidence"]
    for c in holds | unknown:
        assert ev[c]["reason"], f"{pid} {c} has no reason"


def test_evidence_content(store, computed):
    d = high_value_detail(store, "CN201010000001.1")
    ev = d["evidence"]
    assert ev["sei"]["evidence"] == [{"code": "5.2", "name": "新能源汽车装置、配件制造", "rules": ["3"]}]
    assert ev["overseas_family"]["evidence"]["members"] == ["US20120000001A1"]
    assert ev["pledge"]["evidence"]["pledges"][0]["amount_wan"] == 2000.0
    assert ev["pledge"]["evidence"]["pledges"][0]["date"] == "2021-05-01"
    assert ev["maintained_10y"]["evidence"]["anniversary"] == "2020-03-01"
    assert "as_of" not in ev["maintained_10y"]["evidence"]  # stable from day to day
    awarded = high_value_detail(store, "CN111000006A")  # found by publication number
    names = {a["name"] for a in awarded["evidence"]["award"]["evidence"]}
    assert names == {"示例专利奖（测试用）", "示例科技进步奖（测试用）"}
    out_of_scope = high_value_detail(store, "CN202020000004.4")
    assert "utility_model" in out_of_scope["evidence"]["scope"]


def test_recompute_stats(computed):
    _, stats = computed
    d = stats.as_dict()
    assert d["patents"] == d["evaluated"] == d["written"] == len(EXPECTED_HV)
    assert d["hv_true"] == sum(1 for *_, hv in EXPECTED_HV.values() if hv is True)
    assert d["hv_false"] == sum(1 for *_, hv in EXPECTED_HV.values() if hv is False)
    assert d["hv_null"] == sum(1 for *_, hv in EXPECTED_HV.values() if hv is None)
    for c in CRITERIA:
        assert d["criteria_holding"][c] == sum(1 for h, _, _ in EXPECTED_HV.values() if c in h)
        assert d["criteria_unknown"][c] == sum(1 for _, u, _ in EXPECTED_HV.values() if c in u)


def test_recompute_is_idempotent_and_resets_flags(store, settings, computed):
    # a later reference date changes maintained_10y for the 2017 patent; recomputing twice
    # gives the same flags, and the stored values are replaced (not merged)
    later = date(2027, 3, 2)
    recompute_high_value(store, settings, as_of=later, progress=False)
    d = high_value_detail(store, "CN201710000011.1")
    assert set(d["hv_criteria"]) == {"sei", "maintained_10y"}
    again = recompute_high_value(store, settings, as_of=AS_OF, progress=False)
    d = high_value_detail(store, "CN201710000011.1")
    assert set(d["hv_criteria"]) == {"sei"}
    assert again.written == 1  # only the patent whose flags changed is rewritten
    assert recompute_high_value(store, settings, as_of=AS_OF, progress=False).written == 0


def test_list_high_value(store, computed):
    uni = list_high_value(store, state="true", holder_kind="university")
    assert [i["id"] for i in uni["items"]] == ["CN201010000001.1", "CN201510000012.2"]
    unknown = list_high_value(store, state="unknown")
    assert {i["id"] for i in unknown["items"]} == {"CN201910000003.3", "CN200510000005.5"}
    pledged = list_high_value(store, state="any", criterion="pledge")
    assert [i["id"] for i in pledged["items"]] == ["CN201010000001.1"]
    page = list_high_value(store, state="true", limit=2, offset=0)
    assert page["total"] == 6 and page["next_offset"] == 2 and len(page["items"]) == 2
    with pytest.raises(InvalidInput):
        list_high_value(store, state="maybe")


def test_pledge_candidates(store, computed):
    res = pledge_candidates(store)
    ids = [i["id"] for i in res["items"]]
    # enterprise-held high-value inventions; the transferred CN201910000008.8 is now held
    # by an enterprise; the hv-unknown SEI patent CN200510000005.5 is a university's
    assert ids == ["CN201610000010.0", "CN201710000011.1", "CN201910000008.8"]
    assert res["items"][0]["reasons"]["overseas_family"]
    cq = pledge_candidates(store, region="500000")
    assert [i["id"] for i in cq["items"]] == ["CN201610000010.0", "CN201910000008.8"]


def test_unknown_patent_is_not_found(store):
    with pytest.raises(NotFound):
        high_value_detail(store, "CN000000000000.0")


def test_award_list_without_required_columns(tmp_path):
    bad = tmp_path / "awards.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError):
        read_award_rows(bad)


def test_evidence_is_json(store, computed):
    rows = store.run("hv_patent_detail", id="CN201010000001.1")
    assert json.loads(rows[0]["hv_evidence"])["scope"] == "valid invention patent"


# -- the real demo data --------------------------------------------------------------------------
@pytest.mark.slow
def test_real_data_every_invention_patent_has_flags(tmp_path):
    """On the real data: every invention patent (or patent of unknown kind) gets its five
    criteria decided, with "unknown" wherever the data is missing -- never "no"."""
    from graph.embedded import EmbeddedStore
    from tests._fixtures_ingest import REAL_PATENTS, load_demo

    settings = Settings(var_dir=tmp_path)
    store = EmbeddedStore.open(tmp_path / "graph.lbug")
    try:
        store.init_schema()
        load_demo(store, settings)
        stats = recompute_high_value(store, settings, progress=False).as_dict()
        assert stats["evaluated"] == REAL_PATENTS
        rows, after = [], ""
        while page := store.run("hv_flags_page", after=after, limit=5000):
            rows += page
            after = page[-1]["id"]
        assert len(rows) == REAL_PATENTS
        candidates = [r for r in rows if r["kind"] in (None, "invention", "unknown")]
        assert len(candidates) > 5000
        for r in candidates:
            ev = json.loads(r["hv_evidence"])
            decided = set(r["hv_criteria"]) | set(r["hv_unknown"]) | {
                c for c in CRITERIA if ev.get(c, {}).get("holds") is False}
            assert decided == set(CRITERIA), r["id"]
            unknown = set(r["hv_unknown"])
            assert "award" in unknown  # no award list is bundled with the real data
            if r["app_date"] is None:
                assert "maintained_10y" in unknown
            if r["family_ids"] is None and r["overseas_family"] is None:
                assert "overseas_family" in unknown
            if r["pledge_count"] is None:
                assert "pledge" in unknown
            elif r["pledge_count"] == 0:
                assert ev["pledge"]["holds"] is False  # 质押次数 0 is data
            if r["hv"] is True:
                assert r["status"] == "valid" and r["kind"] == "invention"
            if r["hv"] is False and r["status"] not in ("invalid", "pending"):
                assert not unknown
    finally:
        store.close()
