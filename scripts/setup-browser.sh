#!/usr/bin/env bash
# Install what the browser tests of the web UI need (idempotent; fast when done):
#   - Debian's Chromium (/usr/bin/chromium), driven headless by Playwright with
#     executable_path (no browser download: `playwright install` is not used);
#   - a Chinese font (WenQuanYi Micro Hei), so pages and charts render 简体中文 instead of
#     empty boxes in the screenshots.
# Needs root (or sudo) and Debian/Ubuntu apt. Run from anywhere:
#   bash scripts/setup-browser.sh
set -euo pipefail

PACKAGES=(chromium fonts-wqy-microhei)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-browser: chromium and fonts already installed ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: apt-get not found; install ${missing[*]} with your package manager" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup-browser: must run as root (or with sudo) to install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup-browser: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup-browser: done ($(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?'))"
