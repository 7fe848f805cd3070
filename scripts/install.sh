#!/usr/bin/env bash
# Install what the portal needs on a fresh Debian machine with Python 3.11:
#   bash scripts/install.sh          Python packages into .venv and, when npm is there, the npm packages
#                                    (building and serving the site, its web editor at /admin/)
#   bash scripts/install.sh --test   the same, plus what the tests use: Debian's Chromium (browser
#                                    tests), a Java runtime and the npm packages axe-core and
#                                    vnu-jar (accessibility and HTML-validity gates), Valgrind
#                                    (benchmarks/instructions.py), nginx (tests/test_deploy.py)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation2)
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  # benchmarks/instructions.py counts a build's instructions under Valgrind; its test runs it
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
  # tests/test_deploy.py runs deploy/nginx.conf in an nginx of its own (its own config, a free
  # port on 127.0.0.1, as any user), never the system's service: nothing here starts or enables
  # it. (Debian 12's package is `nginx`; nginx-light only adds a module to it. Its postinst may
  # start the service on port 80, or skip that when the port is taken; the tests do not care.)
  # /usr/sbin is not on every user's PATH.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    # Browser tests drive Debian's Chromium through Playwright; never `playwright install`.
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

# The npm packages of package-lock.json: Pagefind 1.6 (the search index; its binary comes in
# @pagefind/<platform>), Decap CMS, decap-server and js-yaml (the web editor at /admin/ and
# `build.py serve --admin`), axe-core and vnu-jar (tests). lighthouse is a dev dependency: `npm ci`
# installs it. Without npm the site is still built: its search with the pagefind-bin wheel of
# requirements.txt (Pagefind 1.5.2, slower in the browser), without /admin/.
if command -v npm >/dev/null 2>&1; then
  npm ci --omit=dev --no-audit --no-fund --loglevel=error
else
  echo "install.sh: npm not found: the site will be built without its web editor (/admin/) and with the older Pagefind of requirements.txt; install Node.js and npm (apt-get install nodejs npm) and run this again to have them" >&2
fi

# The interpreter of .venv: $PYTHON when set, else the distribution's own /usr/bin/python3 (3.11 or
# newer), else python3 on PATH. Debian builds its CPython with profile-guided and link-time
# optimisation and links the interpreter statically; a self-built one (pyenv's default build: a
# shared libpython, no PGO) ran a 10,000-article build ~7 % slower on the same machine
# (docs/performance.md, "The interpreter"). A server deploy (deploy/README.md) uses Debian's too.
if [ ! -x .venv/bin/python ]; then
  made=""
  for candidate in ${PYTHON:-} /usr/bin/python3 python3; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || continue
    if "$candidate" -m venv .venv >/dev/null 2>&1; then made=$candidate; break; fi
    rm -rf .venv      # e.g. Debian's python3 without python3-venv
  done
  if [ -z "$made" ]; then
    echo "install.sh: no Python 3.11 or newer that can make a virtual environment (apt-get install python3-venv)" >&2
    exit 1
  fi
fi
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
