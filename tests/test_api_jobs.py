"""Ingest over the API: upload -> background job -> summary, reject report, incremental
index update, persistence across restarts, upload size limit.

The upload is a small CSV written here (invented patents, valid CNIPA check digits):
2 new patents, 1 row merged into the first, 2 rejected rows (no title; no identifier),
1 empty row."""

from __future__ import annotations

import csv
import io
import json
import os
import time

from fastapi.testclient import TestClient

from analytics.jobs import FAILED, JobManager, safe_filename
from ingest.normalize.numbers import check_digit
from patentnav.settings import Settings
from search_api.app import create_app
from search_api.security import ApiKeyStore, api_keys_path

HEADER = ("申请号,申请日,公开(公告)号,公开(公告)日,专利名称,摘要,申请(专利权)人,发明人,分类号,"
          "主分类号,申请人地址,法律状态,专利类型")


def app_no(digits: str) -> str:
    return f"CN{digits}.{check_digit(digits)}"


A, B, C, D = (app_no(f"2024500000{i:02d}") for i in (1, 2, 3, 4))


def upload_csv() -> bytes:
    rows = [
        (f"{A},2024-03-01,,,一种固态锂电池电解质膜及其制备方法,本发明公开了一种固态锂电池电解质膜。,"
         "重庆大学,张三;李四,H01M10/0562,H01M10/0562,重庆市沙坪坝区,公开,发明"),
        (f"{B},2024-03-02,,,一种山地轨道交通车辆转向架,本发明涉及山地轨道交通。,重庆交通大学,王五,"
         "B61F5/00,B61F5/00,重庆市南岸区,公开,发明"),
        (f"{A},2024-03-01,,,一种固态锂电池电解质膜及其制备方法,补充摘要。,重庆大学,张三,"
         "H01M10/0562,H01M10/0562,重庆市沙坪坝区,公开,发明"),
        f"{C},2024-03-03,,,,没有名称的一行。,重庆大学,赵六,,,,,发明",
        ",2024-03-04,,,没有任何编号的专利,没有编号。,重庆大学,,,,,,发明",
        ",,,,,,,,,,,,",
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def second_csv() -> bytes:
    row = (f"{D},2024-04-01,,,一种火锅底料自动炒制装置,本发明公开了一种火锅底料自动炒制装置。,"
           "重庆某食品有限公司,钱七,A23L27/00,A23L27/00,重庆市渝北区,公开,发明")
    return (HEADER + "\n" + row + "\n").encode("utf-8")


def make_settings(tmp_path, **kw) -> Settings:
    return Settings(var_dir=tmp_path / "var", data_dir=tmp_path / "no-data",
                    embedded_buffer_pool_mb=64, rate_limit_per_minute=0, **kw)


def write_key(settings: Settings) -> dict[str, str]:
    _, key = ApiKeyStore(api_keys_path(settings)).create("etl", "write")
    return {"X-API-Key": key}


def wait_done(client: TestClient, job_id: str, headers, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/v1/ingest/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_upload_ingests_and_reports(tmp_path):
    settings = make_settings(tmp_path)
    headers = write_key(settings)
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/ingest/jobs", headers=headers,
                        files={"file": ("重庆 导出/../专利 2024.csv", upload_csv(), "text/csv")})
        assert r.status_code == 202, r.text
        created = r.json()
        assert created["status"] in ("queued", "running", "succeeded")
        assert created["filename"] == "专利 2024.csv"
        assert r.headers["location"] == created["links"]["self"]
        job = wait_done(client, created["job_id"], headers)
        assert job["status"] == "succeeded", job
        s = job["summary"]
        assert (s["read"], s["loaded"], s["merged"], s["rejected"], s["skipped"]) == (6, 2, 1, 2, 1)
        assert s["nodes"]["Patent"] == 2
        assert job["index"] == {"skipped": "no patents written"} or "skipped" in job["index"]
        assert job["key_id"] and job["rejects_available"]
        assert set(job["timings"]) >= {"queued_s", "ingest_s", "total_s"}
        assert "upload_path" not in job and "report_path" not in job

        r = client.get(f"/v1/ingest/jobs/{job['job_id']}/rejects", headers=headers)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        rejects = sorted((row["line"], row["reason"]) for row in rows if row["level"] == "reject")
        assert rejects == [("5", "missing title"), ("6", "missing identifier")]

        # the graph was upgraded to read-write and serves the new patent at once
        r = client.get(f"/v1/patents/{A}")
        assert r.status_code == 200, r.text
        assert "固态锂电池" in json.dumps(r.json(), ensure_ascii=False)

        listed = client.get("/v1/ingest/jobs", headers=headers).json()["items"]
        assert [j["job_id"] for j in listed] == [job["job_id"]]
        assert client.get("/v1/ingest/jobs/0000000000000000", headers=headers).status_code == 404
        assert client.get("/v1/ingest/jobs/not-an-id", headers=headers).status_code == 422

    # a restarted server shows the finished job
    with TestClient(create_app(settings)) as client:
        again = client.get(f"/v1/ingest/jobs/{job['job_id']}", headers=headers).json()
        assert again["status"] == "succeeded" and again["summary"]["loaded"] == 2


def test_unreadable_and_unsupported_uploads(tmp_path):
    settings = make_settings(tmp_path)
    headers = write_key(settings)
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/ingest/jobs", headers=headers,
                        files={"file": ("patents.doc", b"\xd0\xcf\x11\xe0", "application/msword")})
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
        r = client.post("/v1/ingest/jobs", headers=headers,
                        files={"file": ("empty.csv", b"", "text/csv")})
        assert r.status_code == 422
        r = client.post("/v1/ingest/jobs", headers=headers,
                        files={"file": ("cols.csv", "名称,备注\n甲,乙\n".encode(), "text/csv")})
        job = wait_done(client, r.json()["job_id"], headers)
        assert job["status"] == "failed" and job["error"]["code"] == "ingest_error"
        assert "missing required columns" in job["error"]["message"]
        assert job["summary"]["rejected"] == 1
        r = client.get(f"/v1/ingest/jobs/{job['job_id']}/rejects", headers=headers)
        assert r.status_code == 200 and b"missing required columns" in r.content


def test_oversize_upload_is_413(tmp_path):
    settings = make_settings(tmp_path, max_upload_mb=1)
    headers = write_key(settings)
    big = HEADER.encode() + b"\n" + b"x" * (1024 * 1024 + 10)
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/ingest/jobs", headers=headers,
                        files={"file": ("big.csv", big, "text/csv")})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "payload_too_large"
        # chunked (no Content-Length): counted while it streams
        boundary = "pnbound"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + big + \
            f"\r\n--{boundary}--\r\n".encode()

        def chunks():
            for i in range(0, len(body), 64 * 1024):
                yield body[i:i + 64 * 1024]

        r = client.post("/v1/ingest/jobs", content=chunks(), headers={
            **headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "payload_too_large"
        assert not any((settings.var_dir / "uploads").glob("*/*"))
        # a small one still passes
        r = client.post("/v1/ingest/jobs", headers=headers,
                        files={"file": ("ok.csv", upload_csv(), "text/csv")})
        assert r.status_code == 202


def test_job_updates_the_search_index(tmp_path, monkeypatch):
    """An index built before the upload is updated incrementally by the job."""
    from embeddings.build import build_indexes
    from graph.embedded import EmbeddedStore
    from ingest.pipeline import ingest_file
    from search_api import writer
    from search_api.context import AppContext
    from tests._fixtures_search import HashEncoder

    monkeypatch.setattr(writer, "RETIRE_AFTER_S", 0.2)
    settings = make_settings(tmp_path, index_workers=1)
    headers = write_key(settings)
    first = tmp_path / "first.csv"
    first.write_bytes(upload_csv())
    encoder = HashEncoder()
    with EmbeddedStore.open(settings.graph_path, buffer_pool_mb=64) as store:
        ingest_file(store, first, settings, progress=False)
        build_indexes(store, encoder, settings, progress=False, workers=1)
    ro = EmbeddedStore.open(settings.graph_path, buffer_pool_mb=64, read_only=True)
    context = AppContext(settings=settings, store=ro, encoder=encoder, owns_store=True)
    try:
        with TestClient(create_app(settings, context=context)) as client:
            r = client.get("/v1/search", params={"q": "火锅底料", "mode": "keyword"})
            assert r.status_code == 200, r.text
            assert D not in json.dumps(r.json(), ensure_ascii=False)
            r = client.post("/v1/ingest/jobs", headers=headers,
                            files={"file": ("second.csv", second_csv(), "text/csv")})
            job = wait_done(client, r.json()["job_id"], headers)
            assert job["status"] == "succeeded", job
            assert job["index"].get("updated") == 1 and job["index"]["indexed"] == 3, job["index"]
            assert context.store is not ro and not context.store.read_only
            r = client.get("/v1/search", params={"q": "火锅底料", "mode": "keyword"})
            assert r.status_code == 200, r.text
            assert r.json()["results"][0]["id"] == D
    finally:
        if context.store is not None:
            context.store.close()
    # saved: a fresh load has the new patent
    from embeddings.build import IndexBundle

    assert len(IndexBundle.load(settings)) == 3


def test_restart_marks_unfinished_jobs_interrupted(tmp_path):
    settings = make_settings(tmp_path)
    jobs_dir = settings.var_dir / "jobs"
    jobs_dir.mkdir(parents=True)
    base = {"filename": "x.csv", "source": None, "size_bytes": 1, "sha256": "0" * 64,
            "created": time.time(), "pid": os.getpid()}
    (jobs_dir / "aaaaaaaaaaaaaaaa.json").write_text(json.dumps(
        {**base, "id": "aaaaaaaaaaaaaaaa", "status": "running", "started": time.time()}))
    (jobs_dir / "bbbbbbbbbbbbbbbb.json").write_text(json.dumps(
        {**base, "id": "bbbbbbbbbbbbbbbb", "status": "succeeded"}))
    manager = JobManager(settings, store_session=lambda: None)  # never runs a job here
    job = manager.get("aaaaaaaaaaaaaaaa")
    assert job.status == FAILED and job.error["code"] == "interrupted"
    assert manager.get("bbbbbbbbbbbbbbbb").status == "succeeded"
    on_disk = json.loads((jobs_dir / "aaaaaaaaaaaaaaaa.json").read_text())
    assert on_disk["status"] == FAILED


def test_safe_filename():
    assert safe_filename("../../etc/passwd.csv") == "passwd.csv"
    assert safe_filename("C:\\Users\\x\\专利清单.XLSX") == "专利清单.xlsx"
    assert safe_filename(".hidden.jsonl") == "hidden.jsonl"
    assert safe_filename("a;b|c$.csv") == "a_b_c.csv"
    assert safe_filename(None) == "upload"
    assert len(safe_filename("长" * 500 + ".csv")) == 120
