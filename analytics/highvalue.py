"""High-value invention patents (高价值发明专利): the five CNIPA criteria, decided with evidence.

CNIPA counts as *high-value* every **valid invention patent** (有效发明专利) meeting any of
(国家知识产权局《"十四五"国家知识产权保护和运用规划》指标解释 "每万人口高价值发明专利拥有量"):

1. ``sei`` -- 战略性新兴产业的发明专利: the patent falls in a strategic-emerging-industry
   category. Decided from the ``IN_SEI`` edges the ingest classifier writes with the 2021
   IPC concordance (《战略性新兴产业分类与国际专利分类参照关系表（2021）》, exclusions
   honoured there). Evidence: the SEI codes and the concordance rule numbers. A patent
   with IPC codes and no ``IN_SEI`` edge is "no"; one without any IPC code is unknown
   (nothing to classify); if the graph holds no ``IN_SEI`` edge at all, the classifier has
   not run and every patent is unknown.
2. ``overseas_family`` -- 在海外有同族专利权的发明专利: a member of the simple family
   (``family_ids``) has a publication prefix other than ``CN`` and ``WO`` (a PCT
   publication confers no right by itself). Hong Kong/Macao/Taiwan/EP/... members count.
   The data rarely says whether a foreign member was granted, so any foreign publication
   counts; the members are listed as evidence. When ``family_ids`` is stored it decides
   (a source's ``overseas_family`` flag may count WO, so it is only used without members);
   ``family_size`` 1 means no other member; no family data at all is unknown (the ingest
   stores ``None``, not ``[]``, for an empty 同族 cell).
3. ``maintained_10y`` -- 维持年限超过10年的发明专利: CNIPA counts the maintenance period
   (维持年限) from the **application date** (专利权期限自申请日起计算), so the criterion
   holds when the patent is valid and the reference date (``as_of``, default today) is
   strictly after the 10th anniversary of ``app_date``. No application date: unknown;
   older than ten years but legal status unknown: unknown (maintenance not confirmed).
4. ``pledge`` -- 实现较高质押融资金额的发明专利: a pledge event (``Event`` kind
   ``pledge``) with ``amount_wan`` >= ``settings.pledge_amount_threshold_wan`` (default
   1,000 万元). A registered pledge of a bundle of patents records the bundle's amount
   against each patent, as the register does. Pledges without an amount (or a
   ``pledge_count`` higher than the events on record) make it unknown unless another
   pledge already qualifies; ``pledge_count == 0`` from the source (质押次数 = 0) is data:
   "no"; no pledge data at all: unknown.
5. ``award`` -- 获得国家科学技术奖、中国专利奖的发明专利: a ``WON`` edge to an ``Award``
   loaded with :func:`load_awards`. Once any award list has been loaded a patent not on it
   is "no"; before that the criterion is unknown for everyone.

Missing data is *unknown*, never "no". ``hv`` is ``True`` when a valid invention patent
meets any criterion, ``False`` when all five are decided "no" (or the patent is out of
scope: not an invention patent, or pending/invalid), and ``None`` otherwise -- including
invention patents whose legal status is unknown but that meet a criterion (they would be
high-value if still valid). ``hv_evidence`` is a JSON object, one entry per criterion
(``{"holds": true|false|null, "reason": "...", "evidence": ...}``) plus ``"scope"``.

Award list format (CSV, UTF-8, header row, lines starting with ``#`` are comments;
see :func:`load_awards` and the test-only example ``tests/fixtures/awards_example.csv``)::

    number,award_name,level,year,note
    CN201010123456.7,第二十二届中国专利奖,金奖,2021,

``number`` is an application, publication or grant number (申请号/公开号/授权公告号);
Chinese headers 申请号/公开号/专利号, 奖项名称, 等级, 年度 are accepted too.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tqdm import tqdm

from graph.base import GraphStore
from patentnav.errors import GraphError, IngestError, InvalidInput, NotFound
from patentnav.settings import Settings

log = logging.getLogger(__name__)

SEI = "sei"
OVERSEAS = "overseas_family"
MAINTAINED = "maintained_10y"
PLEDGE = "pledge"
AWARD = "award"
#: the five criteria, in CNIPA order
CRITERIA: tuple[str, ...] = (SEI, OVERSEAS, MAINTAINED, PLEDGE, AWARD)

#: publication prefixes that do not make a family member "overseas"
DEFAULT_EXCLUDED_OFFICES = frozenset({"CN", "WO"})
_OFFICE = re.compile(r"^\s*([A-Za-z]{2})")


# ----------------------------------------------------------------------------------------
# policy and facts
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HighValuePolicy:
    """Everything a decision depends on besides the patent's own facts."""

    pledge_threshold_wan: float = 1000.0
    as_of: date = field(default_factory=date.today)
    maintained_years: int = 10
    excluded_offices: frozenset[str] = DEFAULT_EXCLUDED_OFFICES
    #: an award list has been loaded (otherwise the award criterion is unknown)
    awards_loaded: bool = False
    #: the SEI classifier has run on the graph (otherwise the SEI criterion is unknown)
    sei_classified: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> "HighValuePolicy":
        return cls(pledge_threshold_wan=settings.pledge_amount_threshold_wan, **overrides)


@dataclass
class PatentFacts:
    """What the criteria look at for one patent (read from the graph in batches)."""

    id: str
    kind: str | None = None
    status: str | None = None
    app_date: date | None = None
    pub_no: str | None = None
    family_ids: list[str] | None = None
    family_size: int | None = None
    overseas_family: bool | None = None
    pledge_count: int | None = None
    has_ipc: bool = False
    #: [{"code", "name", "rule"}]
    sei: list[dict[str, Any]] = field(default_factory=list)
    #: [{"event_id", "date", "amount_wan", "counterparty"}]
    pledges: list[dict[str, Any]] = field(default_factory=list)
    #: [{"award_id", "name", "level", "year"}]
    awards: list[dict[str, Any]] = field(default_factory=list)
    #: the flags as stored now (to write only patents whose flags change)
    stored: dict[str, Any] | None = None


@dataclass(frozen=True)
class CriterionResult:
    name: str
    #: True = holds, False = decided "no", None = unknown for lack of data
    holds: bool | None
    reason: str
    evidence: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "reason": self.reason, "evidence": self.evidence}


@dataclass(frozen=True)
class HighValueResult:
    patent_id: str
    hv: bool | None
    criteria: tuple[str, ...]
    unknown: tuple[str, ...]
    results: dict[str, CriterionResult]
    scope: str

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scope": self.scope}
        for name, res in self.results.items():
            out[name] = res.as_dict()
        return out

    def to_row(self) -> dict[str, Any]:
        """The row :file:`hv_write.cypher` stores (hv encoded as 'true' / 'false' / '')."""
        return {
            "id": self.patent_id,
            "hv": "" if self.hv is None else ("true" if self.hv else "false"),
            "hv_criteria": list(self.criteria),
            "hv_unknown": list(self.unknown),
            "hv_evidence": json.dumps(self.evidence(), ensure_ascii=False, default=_json_default),
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def add_years(d: date, years: int) -> date:
    """``d`` moved ``years`` calendar years on (29 February -> 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def office_of(number: str) -> str | None:
    """The two-letter office prefix of a publication number (``US2019...`` -> ``US``)."""
    m = _OFFICE.match(number or "")
    return m.group(1).upper() if m else None


# ----------------------------------------------------------------------------------------
# the five criteria
# ----------------------------------------------------------------------------------------
def decide_sei(f: PatentFacts, policy: HighValuePolicy) -> CriterionResult:
    if f.sei:
        by_code: dict[str, dict[str, Any]] = {}
        for row in f.sei:
            entry = by_code.setdefault(
                row["code"], {"code": row["code"], "name": row.get("name"), "rules": []}
            )
            rule = row.get("rule")
            if rule is not None and str(rule) not in entry["rules"]:
                entry["rules"].append(str(rule))
        codes = sorted(by_code)
        return CriterionResult(
            SEI, True,
            "classified in strategic emerging industry " + ", ".join(codes)
            + " by the 2021 IPC concordance",
            [by_code[c] for c in codes],
        )
    if not policy.sei_classified:
        return CriterionResult(SEI, None, "the SEI classifier has not been run on this graph")
    if f.has_ipc:
        return CriterionResult(SEI, False, "its IPC codes match no rule of the 2021 concordance")
    return CriterionResult(SEI, None, "no IPC code, so the concordance cannot be applied")


def decide_overseas(f: PatentFacts, policy: HighValuePolicy) -> CriterionResult:
    own = {(f.pub_no or "").upper(), f.id.upper()}
    if f.family_ids is not None:
        # the members are the evidence; a source flag cannot override them (it may count
        # a WO publication as overseas)
        foreign = [
            m for m in f.family_ids
            if m and m.upper() not in own
            and (office_of(m) or "CN") not in policy.excluded_offices
        ]
        if foreign:
            return CriterionResult(
                OVERSEAS, True,
                f"{len(foreign)} family member(s) published outside China",
                {"members": foreign, "offices": sorted({office_of(m) for m in foreign})},
            )
        return CriterionResult(
            OVERSEAS, False,
            "family data present, no member outside "
            + "/".join(sorted(policy.excluded_offices)),
            {"members": list(f.family_ids)},
        )
    if f.overseas_family is True:
        return CriterionResult(
            OVERSEAS, True, "the source marks an overseas family member (members not listed)",
            {"source_flag": True},
        )
    if f.overseas_family is False:
        return CriterionResult(OVERSEAS, False, "the source marks no overseas family member")
    if f.family_size is not None and f.family_size <= 1:
        return CriterionResult(
            OVERSEAS, False, f"simple family size {f.family_size}: no other member",
            {"family_size": f.family_size},
        )
    return CriterionResult(OVERSEAS, None, "no family data")


def decide_maintained(f: PatentFacts, policy: HighValuePolicy) -> CriterionResult:
    # the evidence holds no reference date, so it stays the same from one recomputation
    # to the next until the criterion flips (only changed patents are rewritten)
    years = policy.maintained_years
    if f.app_date is None:
        return CriterionResult(MAINTAINED, None, "no application date")
    anniversary = add_years(f.app_date, years)
    ev = {"app_date": f.app_date.isoformat(), "anniversary": anniversary.isoformat(),
          "status": f.status}
    if policy.as_of <= anniversary:
        return CriterionResult(
            MAINTAINED, False,
            f"applied {f.app_date.isoformat()}: {years}th anniversary {anniversary.isoformat()} "
            "not yet passed", ev,
        )
    if f.status == "valid":
        return CriterionResult(
            MAINTAINED, True,
            f"valid and applied {f.app_date.isoformat()}: maintained beyond its {years}th "
            f"anniversary {anniversary.isoformat()}", ev,
        )
    if f.status in ("invalid", "pending"):
        return CriterionResult(
            MAINTAINED, False, f"applied more than {years} years ago but status is {f.status}", ev,
        )
    return CriterionResult(
        MAINTAINED, None,
        f"applied more than {years} years ago but legal status unknown (maintenance unconfirmed)",
        ev,
    )


def decide_pledge(f: PatentFacts, policy: HighValuePolicy) -> CriterionResult:
    threshold = policy.pledge_threshold_wan
    events = sorted(f.pledges, key=lambda e: (e.get("date") or date.min, e.get("event_id") or ""))
    shown = [
        {"amount_wan": e.get("amount_wan"),
         "date": e["date"].isoformat() if e.get("date") else None,
         "counterparty": e.get("counterparty"), "event_id": e.get("event_id")}
        for e in events
    ]
    big = [s for s in shown if s["amount_wan"] is not None and s["amount_wan"] >= threshold]
    if big:
        return CriterionResult(
            PLEDGE, True,
            f"pledge financing of {max(s['amount_wan'] for s in big):g} 万元 "
            f"(threshold {threshold:g} 万元)",
            {"pledges": big, "threshold_wan": threshold},
        )
    no_amount = [s for s in shown if s["amount_wan"] is None]
    unrecorded = max(0, (f.pledge_count or 0) - len(events))
    if no_amount or unrecorded:
        n = len(no_amount) + unrecorded
        return CriterionResult(
            PLEDGE, None, f"{n} pledge(s) without a recorded amount",
            {"pledges": shown, "pledge_count": f.pledge_count, "threshold_wan": threshold},
        )
    if events:
        return CriterionResult(
            PLEDGE, False,
            f"every recorded pledge is below {threshold:g} 万元",
            {"pledges": shown, "threshold_wan": threshold},
        )
    if f.pledge_count == 0:
        return CriterionResult(PLEDGE, False, "the source reports no pledge (质押次数 = 0)",
                               {"pledge_count": 0})
    return CriterionResult(PLEDGE, None, "no pledge data")


def decide_award(f: PatentFacts, policy: HighValuePolicy) -> CriterionResult:
    if f.awards:
        awards = sorted(f.awards, key=lambda a: (a.get("year") or 0, a.get("name") or ""))
        return CriterionResult(
            AWARD, True,
            "; ".join(f"{a.get('name')} {a.get('level') or ''} {a.get('year') or ''}".strip()
                      for a in awards),
            [{"name": a.get("name"), "level": a.get("level"), "year": a.get("year")}
             for a in awards],
        )
    if policy.awards_loaded:
        return CriterionResult(AWARD, False, "not on the loaded award list(s)")
    return CriterionResult(AWARD, None, "no award list loaded")


_DECIDERS = {
    SEI: decide_sei,
    OVERSEAS: decide_overseas,
    MAINTAINED: decide_maintained,
    PLEDGE: decide_pledge,
    AWARD: decide_award,
}


def evaluate(facts: PatentFacts, policy: HighValuePolicy) -> HighValueResult:
    """Decide the five criteria and the high-value flag for one patent."""
    kind = facts.kind or "unknown"
    status = facts.status or "unknown"
    if kind not in ("invention", "unknown"):
        return HighValueResult(
            facts.id, False, (), (), {},
            f"out of scope: kind is {kind}; only invention patents can be high-value",
        )
    results = {name: decide(facts, policy) for name, decide in _DECIDERS.items()}
    holds = tuple(n for n, r in results.items() if r.holds is True)
    unknown = tuple(n for n, r in results.items() if r.holds is None)
    if status in ("invalid", "pending"):
        return HighValueResult(
            facts.id, False, holds, unknown, results,
            f"out of scope: status is {status}; only valid (有效) invention patents count",
        )
    if kind == "invention" and status == "valid":
        hv = True if holds else (False if not unknown else None)
        scope = "valid invention patent"
    else:
        # kind or status unknown: a qualifying patent is high-value only if it is a valid
        # invention patent, which the data cannot confirm; one failing every criterion is not
        hv = None if (holds or unknown) else False
        scope = f"kind {kind}, status {status}: validity not confirmed"
    return HighValueResult(facts.id, hv, holds, unknown, results, scope)


#: patents read per keyset page by :func:`recompute_high_value`
READ_PAGE = 20_000


class ReadOnlyStore(GraphError):
    """The store was opened read-only (e.g. by the API); recompute with the CLI instead."""

    status_code = 409
    code = "read_only_store"


# ----------------------------------------------------------------------------------------
# recompute over the graph
# ----------------------------------------------------------------------------------------
@dataclass
class RecomputeStats:
    patents: int = 0
    evaluated: int = 0
    #: patents whose stored flags changed (only those are written)
    written: int = 0
    hv_true: int = 0
    hv_false: int = 0
    hv_null: int = 0
    holds: Counter = field(default_factory=Counter)
    unknown: Counter = field(default_factory=Counter)
    by_scope: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    as_of: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "patents": self.patents,
            "evaluated": self.evaluated,
            "written": self.written,
            "hv_true": self.hv_true,
            "hv_false": self.hv_false,
            "hv_null": self.hv_null,
            "criteria_holding": {c: self.holds.get(c, 0) for c in CRITERIA},
            "criteria_unknown": {c: self.unknown.get(c, 0) for c in CRITERIA},
            "scope": dict(self.by_scope.most_common()),
            "seconds": round(self.seconds, 3),
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def _facts_page(store: GraphStore, after: str, limit: int) -> list[PatentFacts]:
    rows = store.run("hv_patent_page", after=after, limit=limit)
    facts = {
        r["id"]: PatentFacts(
            id=r["id"], kind=r.get("kind"), status=r.get("status"), app_date=r.get("app_date"),
            pub_no=r.get("pub_no"), family_ids=r.get("family_ids"),
            family_size=r.get("family_size"), overseas_family=r.get("overseas_family"),
            pledge_count=r.get("pledge_count"),
            has_ipc=bool(r.get("n_ipc")) or bool(r.get("ipc_main")),
            stored={
                "hv": "" if r.get("hv") is None else ("true" if r["hv"] else "false"),
                "hv_criteria": list(r.get("hv_criteria") or []),
                "hv_unknown": list(r.get("hv_unknown") or []),
                "hv_evidence": r.get("hv_evidence"),
            },
        )
        for r in rows
    }
    ids = [i for i, f in facts.items() if f.kind in (None, "invention", "unknown")]
    if ids:
        # these queries give one row with nulls for a patent that has none
        for r in store.run("hv_sei_for", ids=ids):
            if r["code"] is not None:
                facts[r["id"]].sei.append(r)
        for r in store.run("hv_events_for", ids=ids, kind="pledge"):
            if r["event_id"] is not None:
                facts[r["id"]].pledges.append(r)
        for r in store.run("hv_awards_for", ids=ids):
            if r["award_id"] is not None:
                facts[r["id"]].awards.append(r)
    return [facts[r["id"]] for r in rows]


def current_policy(store: GraphStore, settings: Settings, *, as_of: date | None = None
                   ) -> HighValuePolicy:
    """The policy for this graph: settings plus whether award lists / SEI edges exist."""
    awards = store.run("hv_award_count")[0]["n"]
    sei_edges = store.count_relationships().get("IN_SEI", 0)
    return HighValuePolicy.from_settings(
        settings, as_of=as_of or date.today(), awards_loaded=awards > 0,
        sei_classified=sei_edges > 0,
    )


def recompute_high_value(
    store: GraphStore,
    settings: Settings,
    *,
    as_of: date | None = None,
    progress: bool = True,
    page_size: int | None = None,
) -> RecomputeStats:
    """Decide the criteria for every patent and store ``hv``/``hv_criteria``/``hv_unknown``/
    ``hv_evidence`` (keyset pages of ``page_size`` patents, default the larger of
    ``settings.batch_size`` and :data:`READ_PAGE`; writes in batches of ``settings.batch_size``).
    Only patents whose stored values change are written (``written`` in the stats), so a
    recomputation after a small change is much cheaper than the first one.
    """
    if getattr(store, "read_only", False):
        raise ReadOnlyStore(
            "the graph store is open read-only (the API opens the embedded store so); stop the "
            "API and run `patentnav match recompute-hv`, or use the Neo4j backend"
        )
    t0 = time.perf_counter()
    policy = current_policy(store, settings, as_of=as_of)
    if not policy.sei_classified:
        log.warning("no IN_SEI edges in the graph: the SEI criterion is unknown for every patent")
    if not policy.awards_loaded:
        log.info("no award list loaded: the award criterion is unknown for every patent")
    # each keyset page costs a scan of the patent table in LadybugDB (about a second at
    # 1M patents whatever the page size), so pages are large; writes go in write batches
    size = page_size or max(settings.batch_size, READ_PAGE)
    write_size = settings.batch_size
    total = store.count_nodes().get("Patent", 0)
    stats = RecomputeStats(patents=total, as_of=policy.as_of)
    after = ""
    with tqdm(total=total, desc="high-value", unit="patent", disable=not progress) as bar:
        while True:
            page = _facts_page(store, after, size)
            if not page:
                break
            rows = []
            for facts in page:
                res = evaluate(facts, policy)
                row = res.to_row()
                if facts.stored != {k: v for k, v in row.items() if k != "id"}:
                    rows.append(row)
                stats.evaluated += 1
                if res.hv is True:
                    stats.hv_true += 1
                elif res.hv is False:
                    stats.hv_false += 1
                else:
                    stats.hv_null += 1
                stats.holds.update(res.criteria)
                stats.unknown.update(res.unknown)
                stats.by_scope[res.scope.split(":")[0]] += 1
            for start in range(0, len(rows), write_size):
                store.write("hv_write", rows=rows[start:start + write_size])
            stats.written += len(rows)
            after = page[-1].id
            bar.update(len(page))
    stats.seconds = time.perf_counter() - t0
    log.info("high-value recomputed: %s", stats.as_dict())
    return stats


# ----------------------------------------------------------------------------------------
# reading the stored flags
# ----------------------------------------------------------------------------------------
def resolve_patent_ids(store: GraphStore, numbers: Sequence[str]) -> dict[str, str]:
    """Map patent numbers (id / application / publication / grant, as given or normalised)
    to patent ids; numbers that match nothing are left out."""
    variants: dict[str, str] = {}
    for n in numbers:
        for v in number_variants(n):
            variants.setdefault(v, n)
    out: dict[str, str] = {}
    if not variants:
        return out
    for row in store.run("hv_find_patents", numbers=list(variants)):
        out.setdefault(variants[row["number"]], row["id"])
    return out


def number_variants(number: str) -> list[str]:
    """Spellings a patent number may be stored under: as given, upper-case without spaces,
    and the canonical application / publication number where it parses as one
    (``ZL 2010 1 0000001.1`` -> ``CN201010000001.1``)."""
    from ingest.normalize import InvalidValue
    from ingest.normalize.numbers import normalize_app_no, normalize_pub_no

    raw = (number or "").strip()
    if not raw:
        return []
    compact = re.sub(r"[\s\u3000]", "", raw).upper()
    out = [raw, compact]
    for normalise in (normalize_app_no, normalize_pub_no):
        try:
            canon = normalise(compact)
        except InvalidValue:
            continue
        if canon:
            out.append(canon)
    return list(dict.fromkeys(out))


def high_value_detail(store: GraphStore, number: str) -> dict[str, Any]:
    """The stored flag, criteria and evidence of one patent (by any of its numbers)."""
    ids = resolve_patent_ids(store, [number])
    if not ids:
        err = NotFound(f"no patent with number {number}")
        err.detail = {"number": number}  # type: ignore[attr-defined]
        raise err
    rows = store.run("hv_patent_detail", id=ids[number])
    row = rows[0]
    evidence = json.loads(row["hv_evidence"]) if row.get("hv_evidence") else None
    return {
        "id": row["id"], "app_no": row.get("app_no"), "pub_no": row.get("pub_no"),
        "title": row.get("title"), "kind": row.get("kind"), "status": row.get("status"),
        "app_date": row.get("app_date"), "hv": row.get("hv"),
        "hv_criteria": row.get("hv_criteria") or [], "hv_unknown": row.get("hv_unknown") or [],
        "computed": evidence is not None, "evidence": evidence,
    }


HV_STATES = ("true", "false", "unknown", "any")


def list_high_value(
    store: GraphStore,
    *,
    state: str = "true",
    criterion: str | None = None,
    unknown_criterion: str | None = None,
    holder_kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """Invention patents by high-value state, optionally holding (or unknown on) a
    criterion and held by a kind of organisation; paged, ordered by id."""
    if state not in HV_STATES:
        raise InvalidInput(f"state must be one of {', '.join(HV_STATES)}, not {state!r}")
    for c in (criterion, unknown_criterion):
        if c is not None and c not in CRITERIA:
            raise InvalidInput(f"criterion must be one of {', '.join(CRITERIA)}, not {c!r}")
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be 1..1000 and offset >= 0")
    params = dict(
        state=state, criterion=criterion or "", unknown_criterion=unknown_criterion or "",
        holder_kind=holder_kind or "", kind="invention",
    )
    total = store.run("hv_list_count", **params)[0]["n"]
    # Nothing past the end (and LadybugDB 0.22 can crash on ORDER BY ... SKIP beyond it).
    rows = store.run("hv_list", skip=offset, limit=limit, **params) if offset < total else []
    holders = holders_of(store, [r["id"] for r in rows])
    items = [{**r, "hv_criteria": r.get("hv_criteria") or [],
              "hv_unknown": r.get("hv_unknown") or [], "holders": holders.get(r["id"], [])}
             for r in rows]
    nxt = offset + limit if offset + limit < total else None
    return {"total": total, "offset": offset, "limit": limit, "next_offset": nxt, "items": items}


def holders_of(store: GraphStore, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Holders of each patent: current holders (``OWNED_BY``) where known, else applicants."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return out
    owned: dict[str, list[dict[str, Any]]] = {}
    applied: dict[str, list[dict[str, Any]]] = {}
    for query, target in (("match_owners_for", owned), ("match_applicants_for", applied)):
        for r in store.run(query, ids=list(ids)):
            if r["org_id"] is None:
                continue
            target.setdefault(r["id"], []).append(
                {"id": r["org_id"], "name": r.get("name"), "kind": r.get("kind"),
                 "region_code": r.get("region_code"), "is_chongqing": r.get("is_chongqing"),
                 "ord": r.get("ord")}
            )
    for pid in ids:
        chosen = owned.get(pid) or applied.get(pid) or []
        chosen.sort(key=lambda o: (o["ord"] if o["ord"] is not None else 99, o["id"]))
        out[pid] = chosen
    return out


# ----------------------------------------------------------------------------------------
# award lists
# ----------------------------------------------------------------------------------------
_AWARD_COLUMNS = {
    "number": ("number", "申请号/公开号", "申请号", "公开号", "授权公告号", "专利号", "公开（公告）号"),
    "award_name": ("award_name", "award", "奖项名称", "奖项"),
    "level": ("level", "等级", "奖励等级", "级别"),
    "year": ("year", "年度", "年份", "获奖年度"),
}


@dataclass
class AwardLoadReport:
    path: str
    rows: int = 0
    matched: int = 0
    awards: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rows": self.rows, "matched": self.matched,
                "awards": self.awards, "unmatched": self.unmatched, "rejected": self.rejected}


def read_award_rows(path: Path) -> list[dict[str, Any]]:
    """Parse an award list CSV into ``{number, award_name, level, year}`` rows."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read award list {path}: {exc}") from exc
    reader = csv.DictReader(
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )
    header = [h.strip() for h in (reader.fieldnames or [])]
    mapping: dict[str, str] = {}
    for key, names in _AWARD_COLUMNS.items():
        for h in header:
            if h in names:
                mapping[key] = h
                break
    missing = [k for k in ("number", "award_name") if k not in mapping]
    if missing:
        raise IngestError(
            f"award list {path} lacks column(s) {', '.join(missing)}; header is {header}"
        )
    out = []
    for i, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        year_text = row.get(mapping.get("year", ""), "")
        out.append({
            "line": i,
            "number": row.get(mapping["number"], ""),
            "award_name": row.get(mapping["award_name"], ""),
            "level": row.get(mapping.get("level", ""), "") or None,
            "year": year_text,
        })
    return out


def load_awards(store: GraphStore, path: Path | str) -> AwardLoadReport:
    """Load an award list (format in the module doc) as ``Award`` nodes and ``WON`` edges.

    An ``Award`` is one prize at one level in one year (``name|level|year``), shared by
    every patent that won it. Rows whose number matches no patent are reported, not
    loaded; rows without number or award name, or with a non-numeric year, are rejected.
    Run :func:`recompute_high_value` afterwards.
    """
    report = AwardLoadReport(path=str(path))
    rows = read_award_rows(Path(path))
    report.rows = len(rows)
    good = []
    for r in rows:
        year = None
        if r["year"]:
            if not re.fullmatch(r"\d{4}", r["year"]):
                report.rejected.append({**r, "reason": "year is not a 4-digit number"})
                continue
            year = int(r["year"])
        if not r["number"] or not r["award_name"]:
            report.rejected.append({**r, "reason": "number and award name are required"})
            continue
        good.append({**r, "year": year})
    ids = resolve_patent_ids(store, [r["number"] for r in good])
    awards: dict[str, dict[str, Any]] = {}
    won = []
    for r in good:
        pid = ids.get(r["number"])
        if pid is None:
            report.unmatched.append({"line": r["line"], "number": r["number"]})
            continue
        aid = f"{r['award_name']}|{r['level'] or ''}|{r['year'] or ''}"
        awards[aid] = {"id": aid, "name": r["award_name"], "level": r["level"], "year": r["year"]}
        won.append({"src": pid, "dst": aid})
    if awards:
        store.upsert_nodes("Award", list(awards.values()))
        report.matched = store.upsert_relationships("WON", won)
    report.awards = len(awards)
    log.info("award list %s: %d rows, %d matched, %d unmatched, %d rejected", path,
             report.rows, report.matched, len(report.unmatched), len(report.rejected))
    return report


# ----------------------------------------------------------------------------------------
# pledge-financing candidates
# ----------------------------------------------------------------------------------------
def pledge_candidates(
    store: GraphStore,
    *,
    limit: int = 100,
    offset: int = 0,
    include_sei_unknown: bool = True,
    region: str | None = None,
) -> dict[str, Any]:
    """Invention patents of enterprises a bank could take as pledge collateral: high-value
    ones (``hv`` true) first, then -- with ``include_sei_unknown`` -- those whose high-value
    state is unknown but that are in a strategic-emerging-industry category. Holders as
    in the indicators (current holder, else applicants). Ordered: confirmed high-value
    first, then by the number of criteria held, then id."""
    from analytics.indicators import region_prefix

    if not 1 <= limit <= 10_000 or offset < 0:
        raise InvalidInput("limit must be 1..10000 and offset >= 0")
    params = dict(kind="invention", holder_kind="enterprise", sei=SEI,
                  include_sei_unknown=include_sei_unknown, region=region_prefix(region),
                  limit=offset + limit)
    rows = [*store.run("hv_pledge_owned", **params), *store.run("hv_pledge_applied", **params)]
    by_patent: dict[str, dict[str, Any]] = {}
    for r in rows:
        item = by_patent.get(r["id"])
        if item is None:
            evidence = json.loads(r["hv_evidence"]) if r.get("hv_evidence") else {}
            item = {
                "id": r["id"], "app_no": r.get("app_no"), "pub_no": r.get("pub_no"),
                "title": r.get("title"), "status": r.get("status") or "unknown",
                "app_date": r.get("app_date"), "ipc_main": r.get("ipc_main"), "hv": r.get("hv"),
                "hv_criteria": list(r.get("hv_criteria") or []),
                "hv_unknown": list(r.get("hv_unknown") or []),
                "pledge_count": r.get("pledge_count"),
                "reasons": {c: evidence[c]["reason"] for c in (r.get("hv_criteria") or [])
                            if isinstance(evidence.get(c), dict)},
                "holders": [],
            }
            by_patent[r["id"]] = item
        item["holders"].append({"id": r["org_id"], "name": r.get("org_name"),
                                "region_code": r.get("org_region"),
                                "qualifications": list(r.get("qualifications") or [])})
    items = sorted(by_patent.values(),
                   key=lambda x: (x["hv"] is not True, -len(x["hv_criteria"]), x["id"]))
    page = items[offset: offset + limit]
    return {"offset": offset, "limit": limit, "include_sei_unknown": include_sei_unknown,
            "region": region, "items": page,
            "next_offset": offset + limit if len(items) > offset + limit else None}


def flatten_pledge_candidates(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per candidate, for CSV/XLSX export to banks."""
    out = []
    for it in result["items"]:
        out.append({
            "app_no": it["app_no"], "pub_no": it["pub_no"], "title": it["title"],
            "status": it["status"], "app_date": it["app_date"],
            "high_value": {True: "yes", None: "unknown"}.get(it["hv"], "no"),
            "criteria": ";".join(it["hv_criteria"]),
            "unknown_criteria": ";".join(it["hv_unknown"]),
            "reasons": " | ".join(f"{k}: {v}" for k, v in it["reasons"].items()),
            "holders": ";".join(h["name"] or h["id"] for h in it["holders"]),
            "holder_qualifications": ";".join(
                sorted({q for h in it["holders"] for q in h["qualifications"]})),
            "pledge_count": it["pledge_count"], "ipc_main": it["ipc_main"], "id": it["id"],
        })
    return out


PLEDGE_COLUMNS = [
    ("app_no", "申请号"), ("pub_no", "公开号"), ("title", "专利名称"), ("status", "法律状态"),
    ("app_date", "申请日"), ("high_value", "高价值"), ("criteria", "满足条件"),
    ("unknown_criteria", "数据缺失条件"), ("reasons", "判定依据"), ("holders", "权利人"),
    ("holder_qualifications", "权利人资质"), ("pledge_count", "质押次数"), ("ipc_main", "主分类号"),
    ("id", "专利ID"),
]


def pledge_table(result: dict[str, Any]):
    """Pledge candidates as an :class:`analytics.export.Table` (CSV/XLSX for banks)."""
    from analytics.export import Table

    return Table("pledge_candidates", "质押融资候选专利", PLEDGE_COLUMNS,
                 flatten_pledge_candidates(result))

