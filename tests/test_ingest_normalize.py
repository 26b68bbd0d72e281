"""Unit tests of the pure normalisation functions in ``ingest.normalize`` and friends."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.chains import Chain, ChainCatalogue, ChainNode, load_chains
from ingest.headers import map_headers
from ingest.ipcmatch import parse_pattern, split_patterns
from ingest.normalize import InvalidValue
from ingest.normalize.dates import parse_date, parse_date_list
from ingest.normalize.ipc import parse_ipc, split_ipc, to_display, to_long
from ingest.normalize.names import (
    classify_holder,
    is_person_name,
    normalize_org_name,
    split_names,
)
from ingest.normalize.numbers import (
    app_kind,
    check_digit,
    doc_type,
    kind_from_pub,
    normalize_app_no,
    normalize_pub_no,
    parse_count,
    pub_base,
)
from ingest.normalize.regions import match_address, region_table
from ingest.normalize.status import legal_status, patent_kind, yes_no
from ingest.records import parse_sample_text
from ingest.sei import keyword_terms, load_sei
from patentnav.settings import Settings

DATA = Settings().data_dir
SAMPLE10 = DATA / "patents" / "patentsemantix_zhuanli_zongbiao_sample10.csv"
TODAY = date(2025, 6, 1)


# -- application numbers ------------------------------------------------------------------
def test_check_digit_on_every_real_sample10_number():
    with SAMPLE10.open(encoding="utf-8-sig", newline="") as f:
        numbers = [r["申请号"] for r in csv.DictReader(f)]
    assert len(numbers) == 10
    for n in numbers:
        digits, check = n[2:].split(".")
        assert check_digit(digits) == check, n
        assert normalize_app_no(n) == n
    assert "CN202121635235.X" in numbers  # a remainder of 10 is written X


@pytest.mark.parametrize("raw", ["CN202223220665.2", "202223220665.2", "CN 2022 2322 0665.2", "ZL202223220665.2",
                                 "2022232206652", "CN202223220665", "cn202223220665.2"])
def test_app_no_variants(raw):
    assert normalize_app_no(raw) == "CN202223220665.2"


def test_app_no_x_check_digit_lowercase():
    assert normalize_app_no("202121635235.x") == "CN202121635235.X"


def test_old_eight_digit_form():
    # weights 2..9 over the 8 digits: 9*2+8*3+1*4+2*5+3*6+4*7+5*8+6*9 = 196 = 17*11+9
    assert check_digit("98123456") == "9"
    assert normalize_app_no("98123456.9") == "CN98123456.9"
    assert app_kind("CN98123456.9") == "invention"
    with pytest.raises(InvalidValue, match="check digit"):
        normalize_app_no("98123456.7")


@pytest.mark.parametrize("raw,reason", [
    ("CN202223220665.3", "check digit"),
    ("CN20222322066.2", "digits"),
    ("12345", "digits"),
    ("CN2022A3220665.2", "malformed"),
    ("CN188823220665.2", "year"),
])
def test_bad_app_numbers(raw, reason):
    with pytest.raises(InvalidValue, match=reason):
        normalize_app_no(raw)


def test_app_no_empty_and_float():
    assert normalize_app_no("") is None
    assert normalize_app_no(None) is None
    with pytest.raises(InvalidValue):
        normalize_app_no(202223220665.2)


def test_app_kind_from_type_digit():
    assert app_kind("CN202223220665.2") == "utility_model"
    assert app_kind("CN202211740332.4") == "invention"
    assert app_kind(None) is None


# -- publication numbers --------------------------------------------------------------------
def test_pub_numbers():
    assert normalize_pub_no(" cn 218751475 u ") == "CN218751475U"
    assert normalize_pub_no("218751475U") == "CN218751475U"
    assert normalize_pub_no("US20210123456A1") == "US20210123456A1"
    assert kind_from_pub("CN218751475U") == "utility_model"
    assert kind_from_pub("CN115883397B") == "invention"
    assert kind_from_pub("CN305123456S") == "design"
    assert doc_type("CN115883397A") == "invention application"
    assert doc_type("CN1234567C") == "invention grant (pre-2010)"
    assert doc_type("CN2345678Y") == "utility model (pre-2010)"
    assert pub_base("CN115883397B") == pub_base("CN115883397A") == "CN115883397"
    with pytest.raises(InvalidValue):
        normalize_pub_no("CN202223220665.2")  # an application number is not a publication number
    with pytest.raises(InvalidValue):
        normalize_pub_no("not a number")


def test_counts():
    assert parse_count("0") == 0
    assert parse_count("3次") == 3
    assert parse_count(2.0) == 2
    assert parse_count("") is None
    with pytest.raises(InvalidValue):
        parse_count("-1")
    with pytest.raises(InvalidValue):
        parse_count("many")


# -- dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["2021.03.05", "2021-3-5", "2021/03/05", "20210305", "2021年3月5日",
                                 "2021-03-05 00:00:00", "2021-03-05T08:30", "44260", 44260, 44260.75,
                                 20210305, datetime(2021, 3, 5, 10, 0), date(2021, 3, 5)])
def test_date_forms(raw):
    assert parse_date(raw, today=TODAY) == date(2021, 3, 5)


@pytest.mark.parametrize("raw", ["", "0", None, "  ", "-"])
def test_empty_dates(raw):
    assert parse_date(raw, today=TODAY) is None


@pytest.mark.parametrize("raw,reason", [
    ("1984-12-31", "outside"), ("2026-01-01", "outside"), ("2021-02-30", "calendar"),
    ("03/05/2021", "unrecognised"), ("yesterday", "unrecognised"), (True, "boolean"),
])
def test_bad_dates(raw, reason):
    with pytest.raises(InvalidValue, match=reason):
        parse_date(raw, today=TODAY)


def test_date_list():
    ds, bad = parse_date_list("2021-01-05;2022.03.01；bogus;2021-01-05", today=TODAY)
    assert ds == [date(2021, 1, 5), date(2022, 3, 1)]
    assert bad == ["bogus"]


# -- IPC --------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["H01M 4/36", "H01M0004360000", "H01M4/36", "h01m4/36(2006.01)", "Ｈ０１Ｍ　４／３６",
                                 "H01M  4 / 36"])
def test_ipc_display(raw):
    assert to_display(raw) == "H01M4/36"


def test_ipc_long_form_round_trip():
    assert to_long("H01M4/36") == "H01M0004360000"
    assert to_long("G06F16/9535") == "G06F0016953500"
    assert to_display("G06F0016953500") == "G06F16/9535"
    assert to_display("A01B0001000000") == "A01B1/00"
    assert to_long("H01M") is None


def test_ipc_levels_and_ancestors():
    c = parse_ipc("H01M4/36")
    assert (c.level, c.subclass, c.main_group) == ("group", "H01M", "H01M4/00")
    assert c.ancestors == ("H", "H01", "H01M", "H01M4/00")
    assert c.parent == "H01M4/00"
    m = parse_ipc("H02J7/00")
    assert m.level == "main_group" and m.ancestors == ("H", "H02", "H02J")
    s = parse_ipc("G06F")
    assert s.level == "subclass" and s.ancestors == ("G", "G06") and s.main_group is None
    assert parse_ipc("B64U101/30").main_group == "B64U101/00"


def test_ipc_list_split_and_bad_tokens():
    codes, bad = split_ipc("H01M 4/36; G06F 16/30 ，H04L9/40|B64U101/30 H02J7/00、A01M;H01M4/36 XYZ H01M4/3a")
    assert [c.display for c in codes] == ["H01M4/36", "G06F16/30", "H04L9/40", "B64U101/30", "H02J7/00", "A01M"]
    assert bad == ["XYZ", "H01M4/3A"]


@pytest.mark.parametrize("raw", ["Z99Z1/00", "H01M4/3", "H01M0/00", "H1M4/36", "4/36"])
def test_malformed_ipc(raw):
    with pytest.raises(InvalidValue):
        parse_ipc(raw)


def test_ipc_patterns():
    c = parse_ipc("G06F16/9535")
    assert parse_pattern("G06F*").match(c)
    assert parse_pattern("G06F16*").match(c)
    assert parse_pattern("G06F16/95*").match(c)
    assert not parse_pattern("G06F16/96*").match(c)
    assert not parse_pattern("G06F1*").match(c)  # main group 1, not a digit prefix of 16
    assert not parse_pattern("G06F16/95").match(c)  # no star: that group exactly
    assert parse_pattern("G06*").match(c)
    assert parse_pattern("H03M13").match(parse_ipc("H03M13/11"))  # bare main group = its branch
    assert parse_pattern("G06F*").match(parse_ipc("G06F")) is True
    assert parse_pattern("G06F16/95").match(parse_ipc("G06F")) is None  # too coarse to decide


# -- names ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,canonical", [
    ("重庆大学(本部)", "重庆大学"), ("重庆大学（A区）", "重庆大学"), ("重庆大学(虎溪校区)", "重庆大学"),
    ("重庆大学 ", "重庆大学"), ("重 庆 大 学", "重庆大学"), ("重庆大学附属肿瘤医院", "重庆大学附属肿瘤医院"),
    ("重庆长安汽车股份有限公司", "重庆长安汽车股份有限公司"),
    ("重庆某某科技有限责任公司", "重庆某某科技有限公司"), ("重庆某某科技有限公司", "重庆某某科技有限公司"),
    ("腾讯科技（深圳）有限公司", "腾讯科技(深圳)有限公司"), ("ＡＢＣ科技有限公司", "ABC科技有限公司"),
    ("中国石油天然气股份有限公司(本部)", "中国石油天然气股份有限公司"),
    ("Sony  Corporation", "Sony Corporation"),
    ("某某集团有限公司重庆分公司", "某某集团有限公司重庆分公司"),
])
def test_org_name_normalisation(raw, canonical):
    assert normalize_org_name(raw) == canonical


def test_split_names():
    assert split_names("刘迪;刘敏；王煜伟、付艳波,王元卓") == ["刘迪", "刘敏", "王煜伟", "付艳波", "王元卓"]
    assert split_names("Sony Co., Ltd.; Apple Inc.") == ["Sony Co., Ltd.", "Apple Inc."]
    assert split_names("重庆大学;重庆大学") == ["重庆大学"]
    assert split_names("") == []


@pytest.mark.parametrize("name,kind", [
    ("重庆大学", "university"), ("重庆电子工程职业学院", "university"), ("中国人民解放军陆军军医大学", "university"),
    ("中科大数据研究院", "institute"), ("中国科学院重庆绿色智能技术研究院", "institute"),
    ("国家电网有限公司", "enterprise"), ("华为技术有限公司", "enterprise"), ("重庆钢铁厂", "enterprise"),
    ("三菱电机株式会社", "enterprise"), ("Apple Inc.", "enterprise"),
    ("重庆市科学技术局", "government"), ("重庆市沙坪坝区人民政府", "government"),
    ("重庆大学附属肿瘤医院", "other"), ("中国汽车工程学会", "other"),
    ("刘迪", "individual"), ("欧阳明", "individual"), ("买买提·艾力", "individual"),
    ("星辰大海", "other"),
])
def test_holder_kind(name, kind):
    assert classify_holder(name) == kind


def test_holder_kind_known_universities():
    assert classify_holder("某某理工", frozenset({"某某理工"})) == "university"
    assert is_person_name("王元卓") and not is_person_name("重庆大学")


# -- regions -------------------------------------------------------------------------------------
def test_region_table_contents():
    t = region_table()
    provinces = [r for r in t.regions.values() if r.level == "province"]
    districts = [r for r in t.regions.values() if r.parent == "500000"]
    assert len(provinces) == 34
    assert len(districts) == 38
    assert sum(1 for d in districts if d.name.endswith("区")) == 26
    assert t.name("500106") == "沙坪坝区" and t.name("500243") == "彭水苗族土家族自治县"


@pytest.mark.parametrize("address,code", [
    ("重庆市沙坪坝区沙正街174号", "500106"),
    ("400044重庆市沙坪坝区沙正街174号", "500106"),
    ("中国重庆市九龙坡区科园一路", "500107"),
    ("重庆渝北区星光大道", "500112"),
    ("重庆市两江新区金渝大道85号", "500000"),  # a zone without its own code
    ("重庆市两江新区(渝北区)星光大道", "500112"),  # … unless a district is named too
    ("重庆市万盛经开区", "500110"),
    ("重庆市开县汉丰街道", "500154"),
    ("重庆市石柱县南宾镇", "500240"),
    ("450000河南省郑州市郑东新区中道东路6号", "410000"),
    ("深圳市南山区科技园", "440000"),
    ("内蒙古包头市", "150000"),
    ("火星基地", None),
])
def test_match_address(address, code):
    assert match_address(address) == code


def test_region_hint_and_province_field():
    t = region_table()
    assert match_address("沙坪坝区沙正街174号") is None
    assert match_address("沙坪坝区沙正街174号", "500000") == "500106"
    assert t.province_from_field("河南(41)") == "410000"
    assert t.province_from_field("重庆") == "500000"
    assert t.province_from_field("50") == "500000"


# -- status, kind, yes/no ------------------------------------------------------------------------
@pytest.mark.parametrize("raw,status", [
    ("有权-审定授权", "valid"), ("授权", "valid"), ("有权-部分无效", "valid"),
    ("审中-实质审查", "pending"), ("实审", "pending"), ("公开", "pending"),
    ("无权-未缴年费终止", "invalid"), ("无效", "invalid"), ("失效", "invalid"), ("撤回", "invalid"),
    ("驳回", "invalid"), ("期限届满", "invalid"), ("未确认", "unknown"), ("???", "unknown"), ("", None),
])
def test_legal_status(raw, status):
    assert legal_status(raw) == status


@pytest.mark.parametrize("raw,kind", [
    ("发明公开", "invention"), ("发明授权", "invention"), ("发明公开;发明授权", "invention"),
    ("实用新型", "utility_model"), ("外观设计", "design"), ("Utility model", "utility_model"),
])
def test_patent_kind(raw, kind):
    assert patent_kind(raw) == kind


def test_patent_kind_unknown_and_yes_no():
    with pytest.raises(InvalidValue):
        patent_kind("商标")
    assert yes_no("是") is True and yes_no("否") is False and yes_no("2023-05-01") is True
    assert yes_no("") is None
    with pytest.raises(InvalidValue):
        yes_no("maybe")


# -- headers, sample text, SEI, chains ------------------------------------------------------------
def test_header_variants():
    h = map_headers(["申请号码", "公开（公告）号", "公开(公告)日", "专利名称", "申请(专利权)人", "发明（设计）人",
                     "IPC", "当前法律状态", "被引证次数", "unknown col"])
    assert h.column("app_no") == "申请号码"
    assert h.column("pub_no") == "公开（公告）号"
    assert h.column("pub_date") == "公开(公告)日"
    assert h.column("title") == "专利名称"
    assert h.column("applicants") == "申请(专利权)人"
    assert h.column("inventors") == "发明（设计）人"
    assert h.column("ipc_codes") == "IPC"
    assert h.column("cited_count") == "被引证次数"
    assert h.unmapped == ["unknown col"]
    assert not h.missing_required
    assert map_headers(["发明人", "摘要"]).missing_required  # no id, no title
    # priority: 发明人 first, 当前发明人 fills in
    assert map_headers(["当前发明人", "发明人", "id", "title"]).fields["inventors"] == ("发明人", "当前发明人")


def test_sample_text_parsing():
    assert parse_sample_text("Title: 基于卷积神经网络的仿真方法\nKeywords: simulation; model\nAbstract: 本发明公开了…") == (
        "基于卷积神经网络的仿真方法", "本发明公开了…")
    assert parse_sample_text("一种数据处理方法 [SEP] heart rate [SEP] 本发明提出了…") == ("一种数据处理方法", "本发明提出了…")


def test_sei_keyword_terms():
    assert keyword_terms("量子计算、量子芯片、量子测控等量子计算机相关关键词") == ("量子计算", "量子芯片", "量子测控", "量子计算机")
    assert keyword_terms("产品相关关键词") == ()  # generic: no condition
    assert keyword_terms("计算机和辅助设备修理") == ()  # a description, not search terms


@pytest.mark.skipif(not (DATA / "concordance" / "sei2021_ipc_rules.csv").is_file(), reason="needs shared data")
def test_sei_hand_checked_examples():
    sei = load_sei(DATA)
    codes = lambda s: split_ipc(s)[0]  # noqa: E731
    # CN116245100A (sample10): G06F40/289 is in rule 1.5#1 (G06F40*, IPC only); G06F16/901 is in
    # rule 1.1#2 (G06F*, not one of its exclusions)
    assert sei.classify(codes("G06F40/289;G06F40/216;G06F16/901;G06F16/33;G06F16/31")) == {"1.5": "1.5#1", "1.1": "1.1#2"}
    # G06F16/95 is excluded from 1.1#2
    assert "1.1" not in sei.classify(codes("G06F16/95"))
    # A61B5 needs a brain keyword (rule 1.5#7); A61B5/0476 is excluded from that rule
    assert sei.classify(codes("A61B5/00"), "一种癫痫发作检测装置") == {"1.5": "1.5#7"}
    assert sei.classify(codes("A61B5/00"), "一种血压测量装置") == {}
    # lithium-ion cells count for new-energy vehicles (5.2#5) only with 汽车 in the text
    assert sei.classify(codes("H01M10/0525"), "一种汽车用锂离子电池") == {"5.2": "5.2#5"}
    assert sei.classify(codes("H01M10/0525"), "一种手机电池") == {}
    # subclass-only codes cannot prove the absence of exclusions
    assert sei.classify(codes("G06F")) == {}


def test_chain_catalogue_and_classifier():
    cat = load_chains()
    assert len(cat.chains) == 13 and all(not c.complete for c in cat.chains)
    assert {c.system for c in cat.chains} == {"33618", "33chains"}
    got = cat.classify(split_ipc("H01M10/0525")[0], "一种动力电池包")
    assert got["cq-icnev/battery"] == (1.0, "ipc+keyword")
    assert got["cq-materials/energy"] == (0.7, "ipc")
    assert cat.classify([], "一种火锅底料的制备方法") == {"cq-food/seasoning": (0.5, "keyword")}
    assert cat.classify(split_ipc("A01K1/00")[0], "一种鸡笼") == {}


def _brute_force_chains(cat: ChainCatalogue, codes, text: str) -> dict[str, tuple[float, str]]:
    """The classifier's definition, written out: a node is hit by IPC when one of its
    patterns matches one of the codes, by keyword when one of its keywords occurs in the
    lower-cased text."""
    by_ipc = {n.node_id for n in cat.nodes if any(p.match(c) for p in n.patterns for c in codes)}
    by_kw = {n.node_id for n in cat.nodes if any(k.lower() in text.lower() for k in n.keywords)}
    via = {(True, True): (1.0, "ipc+keyword"), (True, False): (0.7, "ipc"), (False, True): (0.5, "keyword")}
    return {n: via[n in by_ipc, n in by_kw] for n in sorted(by_ipc | by_kw)}


def test_chain_keywords_overlapping_nested_and_case_insensitive():
    chain = Chain("c", "测试链", "other", "", False, "", "")
    nodes = [
        ChainNode("c/b", "c", "电池", "midstream", tuple(split_patterns("H01M*;H01M10/05*")), ("电池", "Micro LED")),
        ChainNode("c/a", "c", "锂电池", "upstream", (), ("锂电池", "池包", "oled")),
        ChainNode("c/c", "c", "显示", "downstream", tuple(split_patterns("H01M10/05*;G09G*")), ("OLED", "电池")),
    ]
    cat = ChainCatalogue([chain], nodes)
    # nested (锂电池 ⊃ 电池) and overlapping (电池 / 池包) keywords are all found; the case of
    # a keyword and of the text does not matter; the result is in node id order
    assert cat.classify([], "一种锂电池包") == {"c/a": (0.5, "keyword"), "c/b": (0.5, "keyword"),
                                             "c/c": (0.5, "keyword")}
    assert cat.classify([], "柔性Oled面板") == {"c/a": (0.5, "keyword"), "c/c": (0.5, "keyword")}
    assert cat.classify([], "MICRO LED芯片") == {"c/b": (0.5, "keyword")}
    assert cat.classify(split_ipc("H01M10/0525")[0], "一种手机") == {"c/b": (0.7, "ipc"), "c/c": (0.7, "ipc")}
    assert cat.classify(split_ipc("H01M4/36")[0], "电池") == {"c/b": (1.0, "ipc+keyword"), "c/c": (0.5, "keyword")}
    assert cat.classify([], "") == {} and cat.classify(split_ipc("A01K1/00")[0], "鸡笼") == {}
    nodes_, scores, vias = cat.classify_lists(split_ipc("G09G3/32")[0], "oled")
    assert (nodes_, scores, vias) == (["c/a", "c/c"], [0.5, 1.0], ["keyword", "ipc+keyword"])


def test_chain_classifier_matches_its_definition_on_random_patents():
    cat = load_chains()
    rng = random.Random(7)
    keywords = [k for n in cat.nodes for k in n.keywords]
    codes_pool = [c for x in ("H01M10/0525", "H01M4/36", "B60L53/00", "G06F16/30", "A23L27/10", "C22C21/00",
                              "H01L21/00", "G06N3/08", "A01K1/00", "F16H1/00", "B60W30/00", "H04W4/40")
                  for c in split_ipc(x)[0]]
    filler = "一种装置方法系统及其制备包括壳体模块"
    for _ in range(3000):
        parts = [rng.choice(filler) * rng.randint(0, 3)]
        for _ in range(rng.randint(0, 4)):
            kw = rng.choice(keywords)
            parts.append(kw.upper() if rng.random() < 0.2 else kw)
            parts.append(rng.choice(filler))
        text = "".join(parts)
        codes = rng.sample(codes_pool, rng.randint(0, 3))
        assert cat.classify(codes, text) == _brute_force_chains(cat, codes, text), (codes, text)


@pytest.mark.skipif(not (DATA / "concordance" / "sei2021_ipc_rules.csv").is_file(), reason="needs shared data")
def test_sei_classify_lists_agree_with_classify_and_with_the_codes_alone():
    sei = load_sei(DATA)
    rng = random.Random(3)
    pool = [c for x in ("G06F40/289", "G06F16/901", "G06F16/95", "A61B5/00", "H01M10/0525", "G06F", "B60L53/00",
                        "C22C21/00", "G06N10/00", "A61B5/0476", "H01L21/00", "A01K1/00")
            for c in split_ipc(x)[0]]
    texts = ["", "一种汽车用锂离子电池", "一种癫痫发作检测装置", "量子计算芯片", "一种鸡笼"]
    for _ in range(2000):
        codes = rng.sample(pool, rng.randint(0, 4))
        text = rng.choice(texts)
        found = sei.classify(codes, text)
        assert dict(zip(*sei.classify_lists(codes, text))) == found
        # one code at a time, merged: the same SEI codes (a code's rules do not depend on
        # the other codes)
        alone = set()
        for c in codes:
            alone |= set(sei.classify([c], text))
        assert set(found) == alone, (codes, text)


def test_chain_catalogue_files_are_well_formed():
    folder = Path(__file__).resolve().parent.parent / "ingest" / "data" / "chains"
    with (folder / "chain_nodes.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len({r["node_id"] for r in rows}) == len(rows)
    for r in rows:
        for p in r["ipc_patterns"].split(";"):
            parse_pattern(p)  # raises on a malformed pattern
        assert r["keywords"].strip()


# -- reference helpers ------------------------------------------------------------------------------
def test_listed_short_names():
    from ingest.reference import _name_starts, _short_name_fits, clean_short_name

    assert clean_short_name("*ST金科") == "金科"
    assert clean_short_name("万科A") == "万科"
    assert clean_short_name("智翔金泰-U") == "智翔金泰"
    assert clean_short_name("ST天圣") == "天圣"
    t = region_table()
    assert _short_name_fits("格力电器", _name_starts("珠海格力电器股份有限公司", t))
    assert _short_name_fits("长安汽车", _name_starts("重庆长安汽车股份有限公司", t))
    assert _short_name_fits("鞍钢股份", _name_starts("鞍钢股份有限公司", t))
    assert not _short_name_fits("佳通", _name_starts("哈尔滨市科佳通用机电股份有限公司", t))
    assert not _short_name_fits("光电股份", _name_starts("晶元光电股份有限公司", t))


@pytest.mark.skipif(not (DATA / "orgs").is_dir(), reason="needs shared data")
def test_universities_and_ipc_scheme_readers():
    from ingest.reference import read_ipc_scheme, read_universities

    unis = {r["id"]: r for r in read_universities(DATA)}
    assert len(unis) == 2631
    assert unis["重庆大学"]["moe_code"] == "4150010611" and unis["重庆大学"]["region_code"] == "500000"
    assert unis["北京大学"]["region_code"] == "110000"
    rows = {r["id"]: r for r in read_ipc_scheme(DATA)}
    # a title with a raw line break in the file is joined, not lost
    assert rows["B61D19/00"]["title"].endswith("door-operating mechanisms E05F)")
    assert rows["C01B4/00"]["title"].endswith("NH3 + D2 → NH2D + HD")
    assert rows["A01B1/02"] == {"id": "A01B1/02", "level": "group", "title": "Spades; Shovels", "title_zh": None,
                                "parent": "A01B1/00", "subclass": "A01B"}
    assert rows["H01M"]["title_zh"].startswith("用于直接转变化学能为电能的方法或装置")


def test_full_width_identifiers_become_ascii() -> None:
    """Full-width digits and letters (typed with a Chinese input method) give the same
    canonical ASCII identifiers; they used to pass through unchanged."""
    assert normalize_app_no("CN20201000000１.1") == "CN202010000001.1"
    assert normalize_app_no("ＣＮ２０２０１００００００１．１") == "CN202010000001.1"
    assert normalize_pub_no("CN１１５８８３３９７Ａ") == "CN115883397A"
    with pytest.raises(InvalidValue):
        normalize_app_no("CN20201000000１.2")  # wrong check digit, full width or not
