# patentnav API image (CPU only), two stages:
#   web  -- Node: `npm ci` of search_api/web (ECharts for the UI's charts, from the lock file)
#   api  -- Python: patentnav installed with `pip install .`, plus the ECharts bundle of the
#           web stage copied to where the UI serves it from (search_api.routers.ui.ECHARTS_FILE,
#           i.e. <site-packages>/search_api/web/node_modules/echarts/dist/echarts.min.js)
#   docker compose build api      (see docker-compose.yml)

FROM node:20-slim AS web
WORKDIR /web
COPY search_api/web/package.json search_api/web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && test -s node_modules/echarts/dist/echarts.min.js \
    && mkdir -p /out/echarts/dist \
    && cp node_modules/echarts/dist/echarts.min.js /out/echarts/dist/ \
    && cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE /out/echarts/

FROM python:3.11-slim AS api

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

# The UI's charts: ECharts from the web stage (Apache-2.0; LICENSE and NOTICE kept next to
# it), moved to the path the installed app serves /ui/vendor/echarts.min.js from.
COPY --from=web /out/echarts /tmp/echarts
RUN python -c "import shutil; from search_api.routers.ui import ECHARTS_FILE as f; \
f.parents[2].mkdir(parents=True, exist_ok=True); shutil.move('/tmp/echarts', f.parents[1]); \
assert f.is_file(), f"

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
