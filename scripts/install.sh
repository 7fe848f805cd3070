#!/usr/bin/env bash
# Install what the portal needs on a fresh Debian machine with Python 3.11:
#   bash scripts/install.sh          Python packages into .venv (building and serving the site)
#   bash scripts/install.sh --test   the same, plus what the tests use: Debian's Chromium (browser
#                                    tests), a Java runtime and the npm packages axe-core and
#                                    vnu-jar (accessibility and HTML-validity gates), Valgrind
#                                    (benchmarks/instructions.py)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation2)
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  # benchmarks/instructions.py counts a build's instructions under Valgrind; its test runs it
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
  if [ ${#missing[@]} -gt 0 ]; then
    # Browser tests drive Debian's Chromium through Playwright; never `playwright install`.
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # axe-core and vnu-jar, as pinned in package-lock.json (lighthouse is a dev dependency: `npm ci`)
  npm ci --omit=dev --no-audit --no-fund --loglevel=error
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
