"""String patent ids <-> dense int64 ids shared by the vector index, keyword index and catalog.

Int ids are handed out in order (0, 1, 2, ...) and never change or get reused while
the map lives: deleting a patent leaves its slot dead in each component, and adding
the same patent again gets its old int id back. A full rebuild
(:func:`embeddings.build.build_indexes`) starts a fresh, dense map.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from patentnav.errors import IndexError_


class IdMap:
    """Append-only bijection between patent ids (str) and int64 ids."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._to_str: list[str] = []
        self._to_int: dict[str, int] = {}
        self.assign(list(ids))

    def __len__(self) -> int:
        return len(self._to_str)

    def __contains__(self, patent_id: object) -> bool:
        return patent_id in self._to_int

    def assign(self, ids: Sequence[str]) -> np.ndarray:
        """Int ids of ``ids``, handing out new ones to ids not seen before."""
        out = np.empty(len(ids), dtype=np.int64)
        to_int = self._to_int
        for i, pid in enumerate(ids):
            n = to_int.get(pid)
            if n is None:
                if not isinstance(pid, str) or not pid:
                    raise IndexError_(f"patent id must be a non-empty string, not {pid!r}")
                n = len(self._to_str)
                to_int[pid] = n
                self._to_str.append(pid)
            out[i] = n
        return out

    def lookup(self, ids: Sequence[str]) -> np.ndarray:
        """Int ids of ``ids``; -1 for ids never seen."""
        get = self._to_int.get
        return np.fromiter((get(pid, -1) for pid in ids), dtype=np.int64, count=len(ids))

    def get(self, patent_id: str) -> int | None:
        return self._to_int.get(patent_id)

    def to_str(self, ints: Iterable[int]) -> list[str]:
        s = self._to_str
        return [s[int(i)] for i in ints]

    def string(self, i: int) -> str:
        return self._to_str[int(i)]

    # -- persistence -------------------------------------------------------------------
    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self._to_str, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IdMap:
        try:
            ids = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexError_(f"id map file {path} is missing") from None
        m = cls()
        m._to_str = list(ids)
        m._to_int = {pid: i for i, pid in enumerate(m._to_str)}
        if len(m._to_int) != len(m._to_str):
            raise IndexError_(f"id map file {path} holds duplicate ids")
        return m


class ReadWriteLock:
    """Many concurrent readers or one writer (searches read; index updates write)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0

    @contextmanager
    def read(self):
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:  # a writer may read its own state
                self._depth += 1
            else:
                while self._writer is not None:
                    self._cond.wait()
                self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                if self._writer == me:
                    self._depth -= 1
                else:
                    self._readers -= 1
                    if self._readers == 0:
                        self._cond.notify_all()

    @contextmanager
    def write(self):
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                while self._writer is not None or self._readers:
                    self._cond.wait()
                self._writer = me
                self._depth = 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._cond.notify_all()
