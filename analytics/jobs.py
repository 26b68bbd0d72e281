"""Ingest jobs: a patent export (CSV / XLSX / JSONL) handed over by the API, ingested in a
background thread, then indexed incrementally.

One :class:`JobManager` per application. It keeps every job as a JSON file under
``<var_dir>/jobs/<id>.json`` (written atomically at each state change), so a restarted
server still lists finished jobs; a job found ``queued`` / ``running`` at start-up whose
process is gone is marked ``failed`` (``interrupted``) -- re-submit the file: an ingest
is idempotent (records merge by application / publication number).

**One writer at a time.** The embedded graph (LadybugDB) allows a single read-write
connection per database, and two ingest sessions over the same store would each hold
their own view of the patent keys. Jobs therefore run one after another on a single
worker thread, inside :attr:`JobManager.write_lock` (other in-process writers may take
the same lock). Queued jobs wait; their ``timings.queued_s`` says for how long.

The job lifecycle: ``queued`` -> ``running`` -> ``succeeded`` | ``failed``.
A job fails when the file cannot be read at all (``ingest_error``: no header, missing
required columns, unsupported format...), when the store or the index update raises,
or when the server stops before it ends. Rejected rows do not fail a job: they are
counted in the summary and listed in the reject report (``report_path``).

The caller supplies how to get a writable store (``store_session``, a context manager
factory) and, optionally, how to update the search indexes for the patents the job
wrote (``index_updater(store, ids) -> dict``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from graph.base import GraphStore
from ingest.readers import SUPPORTED_SUFFIXES
from patentnav.errors import InvalidInput, NotFound, PatentnavError
from patentnav.settings import Settings

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
FINAL_STATES = (SUCCEEDED, FAILED)
_JOB_ID = re.compile(r"^[0-9a-f]{16}$")
_UNSAFE = re.compile(r"[^\w.\-()+ ]+", re.UNICODE)
COUNT_KEYS = ("read", "loaded", "merged", "rejected", "skipped", "warnings")


class JobNotFound(NotFound):
    """No ingest job with this id."""


class UploadTooLarge(PatentnavError):
    """The upload is larger than ``settings.max_upload_mb``."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedUpload(PatentnavError):
    """The uploaded file is not a CSV / TSV / TXT / XLSX / JSONL patent export."""

    status_code = 415
    code = "unsupported_media_type"


class JobNotFinished(PatentnavError):
    """The job has not finished yet (its reject report is not complete)."""

    status_code = 409
    code = "conflict"


@dataclass
class IngestJob:
    id: str
    filename: str
    source: str | None
    size_bytes: int
    sha256: str
    status: str = QUEUED
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    key_id: str | None = None
    #: counts (read, loaded, merged, rejected, skipped, warnings), per-file details, graph counts
    summary: dict[str, Any] | None = None
    #: {"updated", "removed", "seconds"} | {"skipped": reason}
    index: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: {"code", "message", "stage"} when failed
    error: dict[str, Any] | None = None
    upload_path: str | None = None
    report_path: str | None = None
    pid: int = field(default_factory=os.getpid)

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES

    def public(self) -> dict[str, Any]:
        """What the API shows (no server paths)."""
        d = asdict(self)
        for k in ("upload_path", "report_path", "pid"):
            d.pop(k)
        d["job_id"] = d.pop("id")
        d["rejects_available"] = bool(self.done and self.report_path
                                      and Path(self.report_path).is_file())
        return d


def safe_filename(name: str | None) -> str:
    """A file name safe to store: the base name, unusual characters replaced, at most
    120 characters; keeps Chinese characters and the extension."""
    base = Path((name or "").replace("\\", "/")).name.strip().lstrip(".")
    base = _UNSAFE.sub("_", base)
    stem, suffix = os.path.splitext(base)
    stem = stem.strip(" _") or "upload"
    return stem[: 120 - len(suffix)] + suffix.lower()


def check_suffix(filename: str) -> None:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedUpload(
            f"{filename!r} is not a supported patent export; expected one of "
            f"{', '.join(sorted(SUPPORTED_SUFFIXES))}")


class RecordingStore:
    """A store wrapper that remembers the ids of every Patent row written through it
    (new and merged patents alike) and delegates everything else."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.patent_ids: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def upsert_nodes(self, label: str, rows: Iterable[dict[str, Any]]) -> int:
        if label != "Patent":
            return self._store.upsert_nodes(label, rows)

        def recorded() -> Iterator[dict[str, Any]]:
            for row in rows:
                self.patent_ids.add(row["id"])
                yield row

        return self._store.upsert_nodes(label, recorded())

    def insert_nodes(self, label: str, columns: Mapping[str, Sequence[Any]]) -> int:
        if label == "Patent":
            ids = columns.get("id", ())
            self.patent_ids.update(ids.to_pylist() if hasattr(ids, "to_pylist") else ids)
        return self._store.insert_nodes(label, columns)


def summarize(summary: Any) -> dict[str, Any]:
    """An :class:`ingest.report.IngestSummary` as the job's JSON summary."""
    totals = summary.totals
    out: dict[str, Any] = {k: getattr(totals, k) for k in COUNT_KEYS}
    out["files"] = [f.as_dict() for f in summary.files]
    out["nodes"] = dict(summary.nodes)
    out["relationships"] = dict(summary.relationships)
    out["seconds"] = round(summary.seconds, 3)
    return out


class JobStore:
    """Job records as JSON files in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def save(self, job: IngestJob) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(job.id)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(job), fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def load_all(self) -> list[IngestJob]:
        if not self.folder.is_dir():
            return []
        jobs = []
        known = set(IngestJob.__dataclass_fields__)
        for p in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
                jobs.append(IngestJob(**{k: v for k, v in data.items() if k in known}))
            except (OSError, ValueError, TypeError) as exc:
                log.warning("ignoring unreadable job record %s: %s", p, exc)
        return jobs


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


IngestFn = Callable[..., Any]
StoreSession = Callable[[], AbstractContextManager[GraphStore]]
IndexUpdater = Callable[[GraphStore, list[str]], dict[str, Any]]


class JobManager:
    """Accepts uploads, runs them one at a time (see module doc), remembers them."""

    def __init__(
        self,
        settings: Settings,
        *,
        store_session: StoreSession,
        index_updater: IndexUpdater | None = None,
        ingest: IngestFn | None = None,
        keep_failed_uploads: bool = True,
    ) -> None:
        if ingest is None:
            from ingest.pipeline import ingest_file as ingest
        self.settings = settings
        self.store_session = store_session
        self.index_updater = index_updater
        self.ingest = ingest
        self.keep_failed_uploads = keep_failed_uploads
        self.jobs_dir = settings.var_dir / "jobs"
        self.uploads_dir = settings.var_dir / "uploads"
        self.records = JobStore(self.jobs_dir)
        #: held while a job writes to the store (single writer)
        self.write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._closing = False
        self._jobs: dict[str, IngestJob] = {}
        self._recover()

    # -- start-up --------------------------------------------------------------------------
    def _recover(self) -> None:
        for job in self.records.load_all():
            if not job.done and not (job.pid != os.getpid() and _pid_alive(job.pid)):
                job.status = FAILED
                job.finished = job.finished or time.time()
                job.error = {"code": "interrupted", "stage": "ingest" if job.started else "queue",
                             "message": "the server stopped before the job finished; re-submit "
                                        "the file (ingest is idempotent)"}
                self.records.save(job)
                log.warning("ingest job %s was interrupted by a restart", job.id)
            self._jobs[job.id] = job

    # -- submission ----------------------------------------------------------------------------
    def receive(self, stream: BinaryIO, filename: str | None, *, source: str | None = None,
                key_id: str | None = None, chunk: int = 1 << 20) -> IngestJob:
        """Copy an upload into ``<var_dir>/uploads/<job id>/`` (refusing it past
        ``settings.max_upload_mb``) and queue it."""
        name = safe_filename(filename)
        check_suffix(name)
        if source is not None and not re.fullmatch(r"[\w.\-]{1,64}", source):
            raise InvalidInput("source must be 1..64 letters, digits, '.', '_' or '-'")
        if self._closing:
            raise PatentnavError("the server is shutting down; no new jobs")
        limit = self.settings.max_upload_mb * 1024 * 1024
        job_id = secrets.token_hex(8)
        folder = self.uploads_dir / job_id
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        digest = hashlib.sha256()
        size = 0
        try:
            with open(target, "wb") as out:
                while True:
                    block = stream.read(chunk)
                    if not block:
                        break
                    size += len(block)
                    if size > limit:
                        raise UploadTooLarge(
                            f"upload larger than the limit of {self.settings.max_upload_mb} MB "
                            "(settings.max_upload_mb)", )
                    digest.update(block)
                    out.write(block)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if size == 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise InvalidInput("the uploaded file is empty")
        job = IngestJob(id=job_id, filename=name, source=source, size_bytes=size,
                        sha256=digest.hexdigest(), key_id=key_id, upload_path=str(target))
        return self.submit(job)

    def submit(self, job: IngestJob) -> IngestJob:
        with self._lock:
            self._jobs[job.id] = job
            self.records.save(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="patentnav-ingest-jobs",
                                                daemon=True)
                self._worker.start()
        self._queue.put(job.id)
        log.info("ingest job %s queued: %s (%d bytes, key %s)", job.id, job.filename,
                 job.size_bytes, job.key_id)
        return job

    # -- queries ----------------------------------------------------------------------------------
    def get(self, job_id: str) -> IngestJob:
        if not _JOB_ID.match(job_id):
            raise JobNotFound(f"no ingest job {job_id!r}")
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no ingest job {job_id!r}")
        return job

    def list_jobs(self, *, limit: int = 50) -> list[IngestJob]:
        with self._lock:
            jobs = sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)
        return jobs[:limit]

    def rejects_path(self, job_id: str) -> Path:
        """The reject report of a finished job."""
        job = self.get(job_id)
        if not job.done:
            raise JobNotFinished(f"ingest job {job_id} is {job.status}; its reject report is "
                                 "available when it has finished")
        if not job.report_path or not Path(job.report_path).is_file():
            raise NotFound(f"ingest job {job_id} has no reject report")
        return Path(job.report_path)

    def wait(self, job_id: str, timeout: float = 60.0) -> IngestJob:
        """Block until the job has finished (or ``timeout``); returns it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                job = self._jobs.get(job_id)
                if job is None:
                    raise JobNotFound(f"no ingest job {job_id!r}")
                left = deadline - time.monotonic()
                if job.done or left <= 0:
                    return job
                self._changed.wait(left)

    # -- the worker ------------------------------------------------------------------------------
    def _save(self, job: IngestJob) -> None:
        with self._changed:
            self.records.save(job)
            self._changed.notify_all()

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            job = self._jobs.get(job_id)
            if job is not None and not job.done:
                self.run(job)

    def run(self, job: IngestJob) -> IngestJob:
        """Run one job now, in this thread (the worker calls it)."""
        with self.write_lock:
            t0 = time.perf_counter()
            job.status, job.started = RUNNING, time.time()
            job.timings["queued_s"] = round(job.started - job.created, 3)
            self._save(job)
            stage = "store"
            try:
                with self.store_session() as store:
                    stage = "ingest"
                    recorder = RecordingStore(store)
                    t = time.perf_counter()
                    summary = self.ingest(recorder, Path(job.upload_path or ""), self.settings,
                                          source=job.source, progress=False)
                    job.timings["ingest_s"] = round(time.perf_counter() - t, 3)
                    job.summary = summarize(summary)
                    job.report_path = str(summary.report_path) if summary.report_path else None
                    file_errors = [f.error for f in summary.files if f.error]
                    if file_errors:
                        job.error = {"code": "ingest_error", "stage": stage,
                                     "message": "; ".join(file_errors)}
                    self._save(job)
                    if self.index_updater is not None and recorder.patent_ids:
                        stage = "index"
                        t = time.perf_counter()
                        job.index = self.index_updater(store, sorted(recorder.patent_ids))
                        job.index.setdefault("seconds", round(time.perf_counter() - t, 3))
                        job.timings["index_s"] = round(time.perf_counter() - t, 3)
                    elif self.index_updater is None:
                        job.index = {"skipped": "no search index configured"}
                    else:
                        job.index = {"skipped": "no patents written"}
            except PatentnavError as exc:
                job.error = {"code": exc.code, "stage": stage, "message": str(exc)}
                log.warning("ingest job %s failed at %s: %s", job.id, stage, exc)
            except Exception as exc:  # the job thread's edge: record it, keep the traceback in the log
                log.exception("ingest job %s failed at %s", job.id, stage)
                job.error = {"code": "internal_error", "stage": stage,
                             "message": f"{type(exc).__name__}: {exc}"}
            job.status = FAILED if job.error else SUCCEEDED
            job.finished = time.time()
            job.timings["total_s"] = round(time.perf_counter() - t0, 3)
            if job.upload_path and (job.status == SUCCEEDED or not self.keep_failed_uploads):
                shutil.rmtree(Path(job.upload_path).parent, ignore_errors=True)
            self._save(job)
            log.info("ingest job %s %s in %.1fs: %s", job.id, job.status,
                     job.timings["total_s"],
                     {k: (job.summary or {}).get(k) for k in COUNT_KEYS})
        return job

    # -- shutdown ----------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 60.0) -> None:
        """Accept no more jobs and wait up to ``timeout`` s for the running one; queued
        jobs are left queued (marked interrupted at the next start)."""
        self._closing = True
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        self._queue.put(None)
        worker = self._worker
        if worker is not None and worker.is_alive():
            worker.join(timeout)
            if worker.is_alive():
                log.warning("an ingest job is still running at shutdown")
