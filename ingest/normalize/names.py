"""Applicant / holder / inventor names.

* :func:`split_names` -- several names in one cell, split on ``; ； 、`` and newlines
  (and on ``, ，`` when the cell has no Latin letters, so ``Sony Co., Ltd.`` stays whole).
* :func:`normalize_org_name` -- the canonical organisation name used as the graph id:
  NFKC (full-width -> half-width, ``（）`` -> ``()``), other brackets unified, whitespace
  removed around CJK characters and collapsed elsewhere, ``有限责任公司`` unified to
  ``有限公司``, headquarters / campus suffixes removed (``重庆大学(本部)``,
  ``重庆大学（A区）``, ``重庆大学(虎溪校区)`` -> ``重庆大学``). Real distinct entities keep
  their names (``重庆大学附属肿瘤医院``, ``XX有限公司重庆分公司``).
* :func:`classify_holder` -- university | institute | enterprise | government |
  individual | other, decided by the organisation-type word that ends the name
  (the rightmost keyword wins, so ``重庆大学附属肿瘤医院`` is a hospital, ``other``), a
  set of known university names (the MOE list), and a person-name test (2-4 Han
  characters starting with a common surname, no organisation word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from ingest.normalize import EMPTY_MARKERS

_SPLIT_STRONG = re.compile(r"\s*[;；、\n]+\s*")
_SPLIT_COMMA = re.compile(r"\s*[,，]+\s*")
_LATIN = re.compile(r"[A-Za-z]")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "{": "(", "}": ")",
                           "「": "", "」": "", "『": "", "』": "", "“": "", "”": "", "‘": "", "’": ""})
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}()])|(?<=[{_CJK}()])\s+")
_SPACES = re.compile(r"\s+")
_HQ_SUFFIX = re.compile(r"\((?:校?本部|总部)\)$")
_CAMPUS_SUFFIX = re.compile(r"\((?:[A-Z]区|[^()]{0,8}校区|主校区)\)$")
_UNIVERSITY_END = re.compile(r"(?:大学|学院|学校)$")
_TRAILING_BRACKET = re.compile(r"\([^()]*\)$")

#: organisation-type words -> kind; at the same end position the longest word wins
_KIND_WORDS: dict[str, str] = {
    # universities and schools
    "大学": "university", "学院": "university", "学校": "university", "高等专科学校": "university",
    "党校": "government", "中学": "other", "小学": "other", "幼儿园": "other",
    # research institutes
    "研究院": "institute", "研究所": "institute", "研究中心": "institute", "科学院": "institute",
    "实验室": "institute", "研究室": "institute", "工程院": "institute", "设计院": "institute",
    "试验站": "institute", "试验场": "institute", "科学研究院": "institute", "研究总院": "institute",
    # enterprises
    "公司": "enterprise", "厂": "enterprise", "集团": "enterprise", "企业": "enterprise",
    "株式会社": "enterprise", "有限合伙": "enterprise", "合作社": "enterprise", "工作室": "enterprise",
    "商行": "enterprise", "经营部": "enterprise", "门市部": "enterprise", "事务所": "enterprise",
    "银行": "enterprise", "商店": "enterprise", "工场": "enterprise", "矿": "enterprise",
    "个体工商户": "enterprise", "分公司": "enterprise", "营业部": "enterprise", "加油站": "enterprise",
    # government
    "局": "government", "委员会": "government", "政府": "government", "厅": "government",
    "办公室": "government", "管理处": "government", "管理站": "government", "管理所": "government",
    "推广站": "government", "监测站": "government", "总站": "government", "办事处": "government",
    "部": "government", "部队": "government", "法院": "government", "检察院": "government",
    "公安": "government", "署": "government", "委": "government", "人民政府": "government",
    # other kinds of bodies
    "医院": "other", "卫生院": "other", "协会": "other", "学会": "other", "基金会": "other",
    "研究会": "other", "联合会": "other", "中心": "other", "俱乐部": "other", "馆": "other",
    "保健院": "other", "疾病预防控制中心": "other",
}
_KIND_RE = re.compile("|".join(sorted(map(re.escape, _KIND_WORDS), key=len, reverse=True)))
_LATIN_KINDS = (
    (re.compile(r"\b(universit\w*|college|hochschule|polytechnic)\b", re.I), "university"),
    (re.compile(r"\b(institut\w*|laborator\w*|research|academy|fraunhofer|cnrs|max[- ]planck)\b", re.I), "institute"),
    (re.compile(r"\b(inc|corp|corporation|co|company|ltd|limited|gmbh|llc|ag|s\.?a|plc|b\.?v|n\.?v|kk|kabushiki|kaisha|oy|ab|s\.?p\.?a|srl|sas|pte|pty)\b\.?", re.I), "enterprise"),
)

#: common Chinese surnames (single and compound), for the person-name test
_SURNAMES_1 = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强"
    "帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓"
    "修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植"
    "衡富尧闭由牛凤赖蔚铁谯燕晏"
)
_SURNAMES_2 = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
    "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "万俟", "闻人", "赫连", "澹台", "公冶", "申屠",
}
_HAN_NAME = re.compile(rf"^[{_CJK}]{{2,4}}$")
_MINORITY_NAME = re.compile(rf"^[{_CJK}]{{1,8}}[·•・][{_CJK}]{{1,10}}$")


def split_names(value: object) -> list[str]:
    """Names in one cell, stripped, de-duplicated, in order."""
    if value is None:
        return []
    s = str(value).strip()
    if not s or s in EMPTY_MARKERS:
        return []
    if not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    parts = _SPLIT_STRONG.split(s)
    if ("," in s or "，" in s) and not _LATIN.search(s):
        parts = [p for part in parts for p in _SPLIT_COMMA.split(part)]
    out: list[str] = []
    for p in parts:
        p = p.strip().strip(";,")
        if p and p not in EMPTY_MARKERS and p not in out:
            out.append(p)
    return out


@lru_cache(maxsize=262144)
def normalize_org_name(raw: str) -> str:
    """Canonical organisation name (see module doc). Returns ``""`` for a blank name."""
    s = unicodedata.normalize("NFKC", raw).translate(_BRACKETS)
    s = _SPACE_NEAR_CJK.sub("", s)
    s = _SPACES.sub(" ", s).strip().strip(".,;:")
    s = s.replace("有限责任公司", "有限公司")
    s = s.replace("()", "")
    while True:
        t = _HQ_SUFFIX.sub("", s)
        base = t[: t.rfind("(")] if t.endswith(")") and "(" in t else t
        if t.endswith(")") and _UNIVERSITY_END.search(base):
            t = _CAMPUS_SUFFIX.sub("", t)
        if t == s:
            break
        s = t.strip()
    return s


@lru_cache(maxsize=262144)
def normalize_person_name(raw: str) -> str:
    """An inventor name: NFKC, whitespace removed between Han characters."""
    s = unicodedata.normalize("NFKC", raw)
    s = _SPACE_NEAR_CJK.sub("", s)
    return _SPACES.sub(" ", s).strip().strip(".,;:")


def is_person_name(name: str) -> bool:
    """2-4 Han characters beginning with a common surname (or a minority name with ``·``)."""
    if _MINORITY_NAME.match(name):
        return True
    if not _HAN_NAME.match(name):
        return False
    if _KIND_RE.search(name):
        return False
    return name[0] in _SURNAMES_1 or name[:2] in _SURNAMES_2


@lru_cache(maxsize=262144)
def _kind_by_words(name: str) -> str | None:
    best_end, best_len, best_kind = -1, 0, None
    for m in _KIND_RE.finditer(name):
        # finditer does not return overlapping matches; re-check longer words ending here
        end = m.end()
        word = m.group(0)
        if end > best_end or (end == best_end and len(word) > best_len):
            best_end, best_len, best_kind = end, len(word), _KIND_WORDS[word]
    if best_kind is not None:
        # a longer keyword may end at the same place but start inside a shorter match
        for word, kind in _KIND_WORDS.items():
            if len(word) > best_len and name.endswith(word, 0, best_end):
                best_len, best_kind = len(word), kind
        return best_kind
    for pattern, kind in _LATIN_KINDS:
        if pattern.search(name):
            return kind
    return None


def classify_holder(name: str, known_universities: Iterable[str] | frozenset[str] = frozenset()) -> str:
    """Holder kind of a normalised name."""
    if not name:
        return "other"
    if name in known_universities:
        return "university"
    # a trailing bracket usually holds a second name: "XX研究院(XX检测中心)" is an institute
    base = _TRAILING_BRACKET.sub("", name) or name
    kind = _kind_by_words(base)
    if kind == "government" and "公司" in base:
        kind = "enterprise"  # 供电局 / 管理处 of a company (…有限公司揭阳供电局)
    if kind:
        return kind
    if is_person_name(name):
        return "individual"
    return "other"


#: 申请人类型 values in commercial exports -> kind
APPLICANT_TYPE_KINDS = {
    "大专院校": "university", "院校": "university", "高校": "university", "高等院校": "university", "学校": "university",
    "科研机构": "institute", "科研单位": "institute", "研究机构": "institute",
    "企业": "enterprise", "工矿企业": "enterprise", "公司": "enterprise",
    "个人": "individual", "机关团体": "government", "机关": "government", "政府机构": "government",
}
