"""Loads named queries from ``queries/`` and picks the variant for a dialect."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patentnav.errors import InvalidInput, QueryError

QUERIES_DIR = Path(__file__).resolve().parent
DIALECTS = ("embedded", "neo4j")
_HEADER = re.compile(r"^//\s*(\w+)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    dialect: str  # "common", "embedded" or "neo4j"
    text: str
    path: Path
    mode: str  # "read" or "write"
    doc: str

    @property
    def parameters(self) -> set[str]:
        body = "\n".join(l for l in self.text.splitlines() if not l.lstrip().startswith("//"))
        return set(re.findall(r"\$(\w+)", body))

    def id_list_params(self, ids: Sequence[str]) -> dict[str, object]:
        """The id-list parameter of this query: ``$ids`` (a list), or ``$ids_text`` (the ids
        joined by newlines) when this variant takes that -- the embedded variants of the
        queries over long id lists do, because LadybugDB converts a long list parameter far
        more slowly than it splits one string, and ``IN $ids`` scans every node."""
        if "ids_text" in self.parameters:
            if any("\n" in i for i in ids):
                raise InvalidInput("ids must not contain line breaks")
            return {"ids_text": "\n".join(ids)}
        return {"ids": list(ids)}


def _parse(path: Path, dialect: str) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        m = _HEADER.match(line)
        if not m:
            if line.strip() and not line.lstrip().startswith("//"):
                break
            continue
        meta[m.group(1).lower()] = m.group(2)
    mode = meta.get("mode", "read")
    if mode not in ("read", "write"):
        raise QueryError(f"{path}: mode must be read or write, not {mode!r}")
    return NamedQuery(path.stem, dialect, text.strip(), path, mode, meta.get("doc", ""))


class QueryRegistry:
    """All named queries under a folder, by name and dialect."""

    def __init__(self, root: Path = QUERIES_DIR) -> None:
        self.root = root
        self._queries: dict[tuple[str, str], NamedQuery] = {}
        for dialect in ("common", *DIALECTS):
            folder = root / dialect
            if folder.is_dir():
                for path in sorted(folder.glob("*.cypher")):
                    q = _parse(path, dialect)
                    self._queries[(q.name, dialect)] = q

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _ in self._queries})

    def has(self, name: str, dialect: str) -> bool:
        return (name, dialect) in self._queries or (name, "common") in self._queries

    def get(self, name: str, dialect: str) -> NamedQuery:
        if dialect not in DIALECTS:
            raise QueryError(f"unknown dialect {dialect!r}")
        q = self._queries.get((name, dialect)) or self._queries.get((name, "common"))
        if q is None:
            if any(n == name for n, _ in self._queries):
                raise QueryError(f"query {name!r} has no variant for the {dialect} backend")
            raise QueryError(f"unknown query {name!r}")
        return q

    def all(self) -> list[NamedQuery]:
        return list(self._queries.values())


@lru_cache(maxsize=1)
def default_registry() -> QueryRegistry:
    return QueryRegistry()
