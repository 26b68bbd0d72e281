"""The property-graph schema, declared once and rendered for each backend.

LadybugDB needs declared node and relationship tables; Neo4j gets uniqueness
constraints and indexes from the same declaration. Upsert statements are generated
from it too: labels and property names come only from here, never from user input,
and every value travels as a parameter.

Conventions
- Every node table has a STRING primary key called ``id``.
- A relationship row is ``{"src": <id>, "dst": <id>, **props}``; a relationship is
  unique per (type, src, dst) -- upserting it again updates its properties.
- In an upsert, a property whose value is ``None`` leaves the stored value as it is,
  so partial records from several sources merge instead of erasing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from patentnav.errors import SchemaError

PROP_TYPES = ("STRING", "INT64", "DOUBLE", "BOOLEAN", "DATE", "STRING[]")


@dataclass(frozen=True)
class Prop:
    name: str
    type: str = "STRING"
    doc: str = ""

    def __post_init__(self) -> None:
        if self.type not in PROP_TYPES:
            raise SchemaError(f"unsupported property type {self.type!r} for {self.name}")


@dataclass(frozen=True)
class NodeType:
    label: str
    props: tuple[Prop, ...]
    doc: str = ""
    #: properties that get a (non-unique) lookup index in Neo4j
    indexes: tuple[str, ...] = ()
    key: str = "id"

    @property
    def prop_names(self) -> tuple[str, ...]:
        return (self.key, *(p.name for p in self.props))

    def prop_type(self, name: str) -> str:
        if name == self.key:
            return "STRING"
        for p in self.props:
            if p.name == name:
                return p.type
        raise SchemaError(f"{self.label} has no property {name!r}")


@dataclass(frozen=True)
class RelType:
    type: str
    #: (source label, target label) pairs this relationship may join
    pairs: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = ()
    doc: str = ""

    @property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)

    def pair(self, src_label: str | None, dst_label: str | None) -> tuple[str, str]:
        """The (src, dst) label pair for a write; defaults when the type has only one."""
        if src_label is None and dst_label is None:
            if len(self.pairs) != 1:
                raise SchemaError(f"{self.type} joins several label pairs; name src/dst labels")
            return self.pairs[0]
        for s, d in self.pairs:
            if (src_label in (None, s)) and (dst_label in (None, d)):
                return s, d
        raise SchemaError(f"{self.type} does not join {src_label} -> {dst_label}")


@dataclass(frozen=True)
class Schema:
    nodes: tuple[NodeType, ...]
    rels: tuple[RelType, ...]
    _by_label: dict = field(init=False, repr=False, compare=False)
    _by_type: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_label", {n.label: n for n in self.nodes})
        object.__setattr__(self, "_by_type", {r.type: r for r in self.rels})
        for r in self.rels:
            for s, d in r.pairs:
                if s not in self._by_label or d not in self._by_label:
                    raise SchemaError(f"{r.type} refers to an undeclared label")

    def node(self, label: str) -> NodeType:
        try:
            return self._by_label[label]
        except KeyError:
            raise SchemaError(f"unknown node label {label!r}") from None

    def rel(self, rel_type: str) -> RelType:
        try:
            return self._by_type[rel_type]
        except KeyError:
            raise SchemaError(f"unknown relationship type {rel_type!r}") from None


S, I, D, B, DT, SL = "STRING", "INT64", "DOUBLE", "BOOLEAN", "DATE", "STRING[]"

PATENT = NodeType(
    "Patent",
    doc="A patent document (application, its publications and grant), keyed by `id`: "
    "the normalised application number (CN202210123456.7) when known, else the "
    "publication number, else `<source>:<source id>`.",
    props=(
        Prop("app_no", S, "normalised application number, e.g. CN202223220665.2"),
        Prop("pub_no", S, "publication number of the first publication, e.g. CN218751475U"),
        Prop("grant_no", S, "grant publication number"),
        Prop("kind", S, "invention | utility_model | design | unknown"),
        Prop("title", S),
        Prop("abstract", S),
        Prop("claim1", S, "first independent claim (主权项)"),
        Prop("app_date", DT),
        Prop("pub_date", DT),
        Prop("grant_date", DT),
        Prop("expiry_date", DT),
        Prop("app_year", I),
        Prop("grant_year", I),
        Prop("legal_status_raw", S, "legal status as exported (e.g. 有权-审定授权)"),
        Prop("status", S, "valid | pending | invalid | unknown"),
        Prop("claim_count", I),
        Prop("family_ids", SL, "members of the simple family (publication numbers)"),
        Prop("family_size", I),
        Prop("overseas_family", B, "has a non-CN family member; null = unknown"),
        Prop("cites_count", I, "number of patents this one cites"),
        Prop("cited_count", I, "number of times cited"),
        Prop("transfer_count", I),
        Prop("licence_count", I),
        Prop("pledge_count", I),
        Prop("open_licence", B, "declared under the open-licence (开放许可) scheme"),
        Prop("ipc_main", S, "main IPC, display form, e.g. H01M4/36"),
        Prop("ipc_codes", SL, "all IPC codes, display form"),
        Prop("ipc_subclasses", SL, "all IPC subclasses, e.g. H01M"),
        Prop("cpc_codes", SL),
        Prop("province_code", S, "国省代码 as exported"),
        Prop("region_code", S, "administrative code of the first applicant's region"),
        Prop("sources", SL, "files this record was loaded from"),
        Prop("hv", B, "high-value invention patent (any criterion holds); null = unknown"),
        Prop("hv_criteria", SL, "criteria that hold: sei, overseas_family, maintained_10y, pledge, award"),
        Prop("hv_unknown", SL, "criteria that could not be decided for lack of data"),
        Prop("hv_evidence", S, "JSON object: criterion -> evidence"),
    ),
    indexes=("app_no", "pub_no", "grant_no", "app_year", "status", "kind", "ipc_main"),
)

ORGANIZATION = NodeType(
    "Organization",
    doc="An applicant or holder, keyed by its normalised name.",
    props=(
        Prop("name", S, "normalised display name"),
        Prop("aliases", SL, "raw names seen in the data"),
        Prop("kind", S, "university | institute | enterprise | government | individual | other"),
        Prop("qualifications", SL, "高新技术企业 / 专精特新 / 小巨人 / 上市 ..."),
        Prop("credit_code", S, "统一社会信用代码 where known"),
        Prop("moe_code", S, "MOE 学校标识码 for universities"),
        Prop("stock_code", S, "exchange code for listed companies"),
        Prop("short_name", S),
        Prop("industry", S),
        Prop("address", S),
        Prop("region_code", S),
        Prop("is_chongqing", B),
    ),
    indexes=("kind", "region_code"),
)

INVENTOR = NodeType(
    "Inventor",
    doc="An inventor, keyed by `name|first applicant id` (names alone are ambiguous).",
    props=(Prop("name", S), Prop("org_id", S)),
    indexes=("name",),
)

IPC = NodeType(
    "IPC",
    doc="An IPC symbol at any level, keyed by its display form (H, H01, H01M, H01M4/00, H01M4/36).",
    props=(
        Prop("level", S, "section | class | subclass | main_group | group"),
        Prop("title", S, "English title (WIPO scheme)"),
        Prop("title_zh", S, "Chinese title where known"),
        Prop("parent", S),
        Prop("subclass", S),
    ),
    indexes=("level", "subclass"),
)

REGION = NodeType(
    "Region",
    doc="An administrative region keyed by its 6-digit code (500000 = 重庆市).",
    props=(Prop("name", S), Prop("level", S, "province | city | district"), Prop("parent", S)),
    indexes=("name",),
)

INDUSTRY_CHAIN = NodeType(
    "IndustryChain",
    doc="A key industry chain or cluster (33条重点产业链, 33618 clusters).",
    props=(
        Prop("name", S),
        Prop("system", S, "33chains | 33618 | other"),
        Prop("tier", S),
        Prop("complete", B, "segments fully specified and verified"),
        Prop("source", S),
        Prop("note", S),
    ),
)

CHAIN_NODE = NodeType(
    "ChainNode",
    doc="A segment of a chain, with the IPC patterns and keywords that place patents in it.",
    props=(
        Prop("chain_id", S),
        Prop("name", S),
        Prop("position", S, "upstream | midstream | downstream"),
        Prop("ipc_patterns", SL),
        Prop("keywords", SL),
    ),
    indexes=("chain_id",),
)

SEI_CATEGORY = NodeType(
    "SEICategory",
    doc="Strategic emerging industry category (2018 classification, 2021 IPC concordance).",
    props=(Prop("name", S), Prop("level", I), Prop("parent", S)),
)

TECH_DEMAND = NodeType(
    "TechDemand",
    doc="An enterprise technology demand (技术需求).",
    props=(
        Prop("title", S),
        Prop("content", S),
        Prop("org_name", S),
        Prop("region_code", S),
        Prop("source", S),
    ),
)

EVENT = NodeType(
    "Event",
    doc="A transfer, licence, pledge or open-licence event on a patent.",
    props=(
        Prop("kind", S, "transfer | licence | pledge | open_licence"),
        Prop("date", DT),
        Prop("amount_wan", D, "amount in 万元 where known (pledges)"),
        Prop("counterparty", S),
        Prop("raw", S),
    ),
    indexes=("kind",),
)

AWARD = NodeType(
    "Award",
    doc="A prize won by a patent (China Patent Award, national S&T award).",
    props=(Prop("name", S), Prop("level", S), Prop("year", I)),
)

SCHEMA = Schema(
    nodes=(
        PATENT, ORGANIZATION, INVENTOR, IPC, REGION, INDUSTRY_CHAIN, CHAIN_NODE,
        SEI_CATEGORY, TECH_DEMAND, EVENT, AWARD,
    ),
    rels=(
        RelType("APPLIED_BY", (("Patent", "Organization"),), (Prop("ord", I),),
                "applicant, with its position in the applicant list (0 = first)"),
        RelType("OWNED_BY", (("Patent", "Organization"),), (), "current holder (当前权利人)"),
        RelType("INVENTED_BY", (("Patent", "Inventor"),), (Prop("ord", I),)),
        RelType("AFFILIATED_WITH", (("Inventor", "Organization"),)),
        RelType("CLASSIFIED_AS", (("Patent", "IPC"),), (Prop("main", B),)),
        RelType("CITES", (("Patent", "Patent"),)),
        RelType("SUBCLASS_OF", (("IPC", "IPC"),), (), "child -> parent in the IPC hierarchy"),
        RelType("LOCATED_IN", (("Organization", "Region"), ("Region", "Region"),
                               ("TechDemand", "Region"))),
        RelType("IN_CHAIN_NODE", (("Patent", "ChainNode"),),
                (Prop("score", D), Prop("via", S, "ipc | keyword | ipc+keyword"))),
        RelType("PART_OF", (("ChainNode", "IndustryChain"),)),
        RelType("IN_SEI", (("Patent", "SEICategory"),), (Prop("rule", S),),
                "SEI classification by the 2021 concordance (rule that matched)"),
        RelType("SUBCATEGORY_OF", (("SEICategory", "SEICategory"),)),
        RelType("CO_APPLIED", (("Organization", "Organization"),), (Prop("count", I),),
                "derived: number of patents the two organisations applied for together"),
        RelType("HAS_EVENT", (("Patent", "Event"),)),
        RelType("EVENT_PARTY", (("Event", "Organization"),), (Prop("role", S),)),
        RelType("WON", (("Patent", "Award"),)),
    ),
)


def schema_markdown(schema: Schema = SCHEMA) -> str:
    """The schema as Markdown tables (pasted into the README; a test keeps them in sync)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| node label | key | properties | meaning |", "|---|---|---|---|"]
    for n in schema.nodes:
        props = ", ".join(f"`{p.name}`" for p in n.props)
        lines.append(f"| `{n.label}` | `{n.key}` | {props} | {cell(n.doc)} |")
    lines += ["", "| relationship | joins | properties | meaning |", "|---|---|---|---|"]
    for r in schema.rels:
        pairs = "; ".join(f"{s} → {d}" for s, d in r.pairs)
        props = ", ".join(f"`{p.name}`" for p in r.props) or "—"
        lines.append(f"| `{r.type}` | {pairs} | {props} | {cell(r.doc)} |")
    return "\n".join(lines)
