#!/usr/bin/env bash
# Install what the portal needs on a fresh Debian machine with Python 3.11:
#   bash scripts/install.sh          Python packages into .venv (building and serving the site)
#   bash scripts/install.sh --test   the same, plus Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1; then
  # Browser tests drive Debian's Chromium through Playwright; never `playwright install`.
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-liberation2 >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
