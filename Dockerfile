# patentnav API image (CPU only).
#   docker compose build api      (see docker-compose.yml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# PyTorch first, CPU build from the PyTorch index, so sentence-transformers does not
# pull the CUDA wheels; pinned like the rest of the project.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# Dependencies are resolved from pyproject.toml; the source comes after, so edits to the
# code do not invalidate the (slow) dependency layer.
COPY pyproject.toml README.md ./
COPY patentnav ./patentnav
COPY graph ./graph
COPY ingest ./ingest
COPY embeddings ./embeddings
COPY analytics ./analytics
COPY search_api ./search_api
COPY queries ./queries
RUN pip install .

# Everything patentnav writes (embedded graph, search indexes, reports) lives in
# /var/lib/patentnav (a volume in docker-compose.yml); the bundled data is mounted at /data.
ENV PATENTNAV_VAR_DIR=/var/lib/patentnav \
    PATENTNAV_DATA_DIR=/data
RUN useradd --system --create-home --home-dir /home/patentnav patentnav \
    && mkdir -p /var/lib/patentnav /data \
    && chown patentnav /var/lib/patentnav
USER patentnav

EXPOSE 8000
CMD ["patentnav", "serve", "--host", "0.0.0.0"]
