"""``/v1/ingest/jobs``: upload a patent export and ingest it in the background (数据导入任务).

Every route here needs an API key with the ``write`` scope (the reject report holds raw
values of the uploaded file). Jobs run one at a time (the embedded graph has a single
writer); see :mod:`analytics.jobs` and :mod:`search_api.writer`.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from analytics.jobs import JobManager
from search_api.deps import ContextDep
from search_api.models.common import COMMON_RESPONSES, ErrorResponse
from search_api.security import ApiKey, require_scope
from search_api.writer import index_updater, writable_store

router = APIRouter(prefix="/ingest", tags=["ingest"])

_manager_lock = threading.Lock()

WriteKey = Annotated[ApiKey, Depends(require_scope("write"))]

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    401: {"model": ErrorResponse, "description": "No API key, or an invalid one."},
    403: {"model": ErrorResponse, "description": "The API key lacks the `write` scope."},
    429: {"model": ErrorResponse, "description": "Rate limit exceeded (`rate_limited`)."},
}
NOT_FOUND = {404: {"model": ErrorResponse, "description": "No such job."}}

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Job id (16 hex digits).")]


class JobCounts(BaseModel):
    read: int = Field(description="Data rows read.")
    loaded: int = Field(description="New patents.")
    merged: int = Field(description="Rows merged into a patent already known.")
    rejected: int = Field(description="Rows not loaded (see the reject report).")
    skipped: int = Field(description="Empty rows.")
    warnings: int = Field(description="Values dropped from loaded rows.")
    files: list[dict[str, Any]] = Field(default_factory=list, description="Per-file details.")
    nodes: dict[str, int] = Field(default_factory=dict, description="Graph node counts after.")
    relationships: dict[str, int] = Field(default_factory=dict,
                                          description="Graph relationship counts after.")
    seconds: float = 0.0


class JobError(BaseModel):
    code: str
    message: str
    stage: str = Field(description="queue | store | ingest | index")


class Job(BaseModel):
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    filename: str = Field(description="Uploaded file name (sanitised).")
    source: str | None = Field(default=None, description="Source tag of the rows.")
    size_bytes: int
    sha256: str
    created: float = Field(description="Unix time.")
    started: float | None = None
    finished: float | None = None
    key_id: str | None = Field(default=None, description="Id of the API key that submitted it.")
    summary: JobCounts | None = None
    index: dict[str, Any] | None = Field(default=None, description=(
        "Incremental index update: updated / removed / indexed counts and seconds, or "
        "`skipped` with the reason."))
    timings: dict[str, float] = Field(default_factory=dict, description=(
        "queued_s, ingest_s, index_s, total_s."))
    error: JobError | None = None
    rejects_available: bool = False


class JobCreated(BaseModel):
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    filename: str
    size_bytes: int
    links: dict[str, str]


class JobList(BaseModel):
    items: list[Job]


def get_job_manager(request: Request, context: ContextDep) -> JobManager:
    """The application's job manager (created on first use; loads past jobs)."""
    manager = getattr(request.app.state, "job_manager", None)
    if manager is None:
        with _manager_lock:
            manager = getattr(request.app.state, "job_manager", None)
            if manager is None:
                manager = JobManager(context.settings,
                                     store_session=lambda: writable_store(context),
                                     index_updater=index_updater(context))
                request.app.state.job_manager = manager
    return manager


JobsDep = Annotated[JobManager, Depends(get_job_manager)]


@router.post(
    "/jobs",
    status_code=202,
    response_model=JobCreated,
    summary="Upload a patent export to ingest · 上传专利数据导入",
    responses={**AUTH_RESPONSES,
               413: {"model": ErrorResponse, "description": "Larger than max_upload_mb."},
               415: {"model": ErrorResponse, "description": "Not CSV / XLSX / JSONL."}},
)
def create_job(
    request: Request,
    key: WriteKey,
    jobs: JobsDep,
    file: Annotated[UploadFile, File(description=(
        "CSV / TSV / TXT (any common Chinese encoding), XLSX or JSONL export; Chinese or "
        "English headers (申请号, 公开(公告)号, 专利名称, 摘要, 申请(专利权)人...)."))],
    source: Annotated[str | None, Form(pattern=r"^[\w.\-]{1,64}$", description=(
        "Source tag (id prefix of rows identified only by a source id); default: the file "
        "name without extension."))] = None,
) -> JSONResponse:
    """Store the file and queue an ingest job; poll `GET /v1/ingest/jobs/{job_id}`.

    The job loads the rows into the graph (merging with patents already there), writes a
    reject report, then re-indexes the written patents in the search indexes."""
    job = jobs.receive(file.file, file.filename, source=source, key_id=key.id)
    base = str(request.url_for("get_job", job_id=job.id).path)
    body = JobCreated(job_id=job.id, status=job.status, filename=job.filename,
                      size_bytes=job.size_bytes,
                      links={"self": base, "rejects": f"{base}/rejects"})
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": base})


@router.get("/jobs", response_model=JobList, responses=AUTH_RESPONSES,
            summary="Recent ingest jobs · 导入任务列表")
def list_jobs(
    key: WriteKey,
    jobs: JobsDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Most recent first.")] = 50,
) -> dict[str, Any]:
    """The most recent jobs, newest first (finished jobs survive restarts)."""
    return {"items": [j.public() for j in jobs.list_jobs(limit=limit)]}


@router.get("/jobs/{job_id}", response_model=Job, responses={**AUTH_RESPONSES, **NOT_FOUND},
            summary="Status and summary of an ingest job · 导入任务状态")
def get_job(key: WriteKey, jobs: JobsDep, job_id: JobId) -> dict[str, Any]:
    """Status (queued, running, succeeded, failed), row counts (read / loaded / merged /
    rejected / skipped / warnings), index update, timings and error."""
    return jobs.get(job_id).public()


@router.get(
    "/jobs/{job_id}/rejects",
    response_class=FileResponse,
    summary="Reject report of an ingest job (CSV) · 导入拒绝报告",
    responses={**AUTH_RESPONSES, **NOT_FOUND,
               200: {"content": {"text/csv": {}}, "description": (
                   "CSV `file, line, column, value, reason, level` (UTF-8 with BOM).")},
               409: {"model": ErrorResponse, "description": "The job has not finished."}},
)
def get_rejects(key: WriteKey, jobs: JobsDep, job_id: JobId) -> FileResponse:
    """Rows rejected (`level = reject`), values dropped (`warning`) and file-level errors
    (`file`) of the job."""
    path = jobs.rejects_path(job_id)
    return FileResponse(path, media_type="text/csv; charset=utf-8",
                        filename=f"ingest-{job_id}-rejects.csv")
