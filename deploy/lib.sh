# shellcheck shell=bash
# deploy/lib.sh: the functions deploy/post-receive and deploy/rebuild.sh share.
#
# It is sourced, never run. Callers set `set -euo pipefail` first. The functions read
# the PORTAL_* settings (see deploy/portal.env and deploy/README.md):
#
#   PORTAL_CONFIG      file of PORTAL_NAME=value lines       /etc/portal/portal.env (optional)
#   PORTAL_ROOT        where releases/ and current live       /srv/portal
#   PORTAL_BRANCH      the branch that is published           main
#   PORTAL_PYTHON      python with the pinned requirements    $PORTAL_ROOT/venv/bin/python
#   PORTAL_KEEP        how many releases to keep              5
#   PORTAL_BASE_URL    passed to build.py as --base-url       (site.yaml's base_url)
#   PORTAL_BUILD_ARGS  more build.py options, split on spaces (none), e.g. "--no-search"
#   PORTAL_DEPLOY_DIR  where the hook finds this file          (see post-receive)
#   PORTAL_RELOAD      command that reloads nginx, run by sh   (none: a notice is printed)
#                      when a new release changes the redirect map, e.g.
#                      "sudo -n /usr/sbin/nginx -s reload"
#
# Layout under PORTAL_ROOT:
#
#   releases/20250102T030405Z-1a2b3c4/   one build: REVISION (the commit), src/ (its files;
#                                        src/.cache links to build/cache), site/ (the built
#                                        site: hard links to build/site as that build left
#                                        it), build.log (what build.py said)
#   build/site/                          the folder every build updates (build.py --output)
#   build/cache/                         build.py's .cache/ for it: what lets a build redo only
#                                        what a push changed
#   build/npm/                           the npm packages of package-lock.json (Pagefind for the
#                                        search index, the web editor /admin/): node_modules/ as `npm ci` left it, the
#                                        package.json and package-lock.json it installed, and
#                                        package-lock.sha256 (the lock's SHA-256); src/node_modules
#                                        links to build/npm/node_modules
#   current -> releases/<newest good>/site   what nginx serves; replaced atomically
#   .deploy.lock                         held while a build runs (flock)
#   last-failure.log                     the output of the last failed build
#   .reload-pending                      the redirect map changed but PORTAL_RELOAD failed:
#                                        the next release that goes live tries again
#
# Release names start with a UTC time stamp, so sorting them by name sorts them by age.
#
# Contract with deploy/post-receive, which may be an older copy than this file: the hook
# sources this file and calls `portal_deploy_commit GIT_DIR SHA`. Keep that name and
# those arguments.

PORTAL_HEADER_FAILED="*** Xây dựng thất bại / build failed: the site was NOT updated ***"
# What installs the web editor's npm packages (package.json's dependencies, not lighthouse).
PORTAL_NPM_CI=(ci --omit=dev --no-audit --no-fund)
PORTAL_NPM_MINUTES=20 # npm ci is stopped after this long (it holds the lock meanwhile)
PORTAL_PENDING=""   # a release being built; removed if we stop before it goes live

portal_say() { printf '%s\n' "$*"; }
portal_err() { printf '%s\n' "$*" >&2; }
portal_die() {
  portal_err "portal: $*"
  exit 1
}

# Read PORTAL_NAME=value lines from a file; a setting already in the environment wins.
# Values are taken as written (no $VAR expansion); one pair of surrounding quotes is
# removed. The same format works as a systemd EnvironmentFile.
# Keep this function identical to the copy in deploy/post-receive (tests/test_deploy.py checks).
portal_read_config() {
  local file=$1 line key value n=0
  [ -e "$file" ] || return 0
  if [ ! -r "$file" ]; then
    printf 'portal: %s: cannot read the settings file\n' "$file" >&2
    return 1
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ ! $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$ ]]; then
      printf 'portal: %s:%d: expected NAME=value, got: %s\n' "$file" "$n" "$line" >&2
      return 1
    fi
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    case $key in
      PORTAL_ROOT | PORTAL_BRANCH | PORTAL_PYTHON | PORTAL_KEEP | PORTAL_BASE_URL | PORTAL_BUILD_ARGS | PORTAL_DEPLOY_DIR | PORTAL_RELOAD) ;;
      *)
        printf 'portal: %s:%d: unknown setting %s (ignored)\n' "$file" "$n" "$key" >&2
        continue
        ;;
    esac
    if [ -z "${!key+set}" ]; then
      export "$key=$value"
    fi
  done <"$file"
}

# Load the settings file, apply defaults and check the values.
portal_settings() {
  PORTAL_CONFIG=${PORTAL_CONFIG:-/etc/portal/portal.env}
  # The hook has read it already (it needs PORTAL_BRANCH before it can load this file).
  if [ "${PORTAL_CONFIG_READ:-}" != "$PORTAL_CONFIG" ]; then
    portal_read_config "$PORTAL_CONFIG" || exit 1
    PORTAL_CONFIG_READ=$PORTAL_CONFIG
  fi
  PORTAL_ROOT=${PORTAL_ROOT:-/srv/portal}
  PORTAL_BRANCH=${PORTAL_BRANCH:-main}
  PORTAL_BRANCH=${PORTAL_BRANCH#refs/heads/}
  PORTAL_PYTHON=${PORTAL_PYTHON:-$PORTAL_ROOT/venv/bin/python}
  PORTAL_KEEP=${PORTAL_KEEP:-5}
  PORTAL_BASE_URL=${PORTAL_BASE_URL:-}
  PORTAL_BUILD_ARGS=${PORTAL_BUILD_ARGS:-}
  PORTAL_RELOAD=${PORTAL_RELOAD:-}
  case $PORTAL_ROOT in
    /*) ;;
    *) portal_die "PORTAL_ROOT must be an absolute path, got \"$PORTAL_ROOT\"" ;;
  esac
  [ "$PORTAL_ROOT" = / ] || PORTAL_ROOT=${PORTAL_ROOT%/}
  [[ $PORTAL_KEEP =~ ^[1-9][0-9]*$ ]] || portal_die "PORTAL_KEEP must be a whole number of 1 or more, got \"$PORTAL_KEEP\""
  command -v "$PORTAL_PYTHON" >/dev/null 2>&1 ||
    portal_die "PORTAL_PYTHON: $PORTAL_PYTHON is not an executable; create the venv (deploy/README.md, step 3) or set PORTAL_PYTHON"
}

portal_cleanup() {
  if [ -n "$PORTAL_PENDING" ] && [ -d "$PORTAL_PENDING" ]; then
    rm -rf -- "$PORTAL_PENDING"
  fi
  PORTAL_PENDING=""
}

# Settings, clean-up on exit, and the lock: two builds never run at once.
portal_begin() {
  umask 022 # nginx (www-data) must be able to read what we write
  portal_settings
  trap portal_cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p -- "$PORTAL_ROOT/releases"
  exec 9>>"$PORTAL_ROOT/.deploy.lock"
  if ! flock -n 9; then
    portal_say "Đang chờ lần xây dựng khác kết thúc / another build is running; waiting for it..."
    flock -w 1800 9 || portal_die "gave up after 30 minutes waiting for $PORTAL_ROOT/.deploy.lock"
  fi
}

# Release names, oldest first.
portal_releases() {
  local dir name
  for dir in "$PORTAL_ROOT"/releases/*/; do
    [ -d "$dir" ] || continue
    name=${dir%/}
    name=${name##*/}
    if [[ $name =~ ^[0-9]{8}T[0-9]{6}Z- ]]; then
      printf '%s\n' "$name"
    fi
  done | LC_ALL=C sort
}

# The release folder `current` points into; fails when there is none.
portal_current_release() {
  local site
  [ -L "$PORTAL_ROOT/current" ] || return 1
  site=$(readlink -f -- "$PORTAL_ROOT/current") || return 1
  [ -d "$site" ] || return 1
  printf '%s\n' "${site%/*}"
}

# Make an empty release folder for commit $1; sets PORTAL_RELEASE.
portal_new_release() {
  local sha=$1 stamp newest
  while :; do
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    newest=$(portal_releases | tail -n 1)
    # Names must stay unique and in time order: never two in the same second.
    [ "${newest%%-*}" = "$stamp" ] || break
    sleep 1
  done
  PORTAL_RELEASE=$PORTAL_ROOT/releases/$stamp-${sha:0:7}
  PORTAL_PENDING=$PORTAL_RELEASE
  mkdir -- "$PORTAL_RELEASE" "$PORTAL_RELEASE/src"
  printf '%s\n' "$sha" >"$PORTAL_RELEASE/REVISION"
}

# Print the failure header, the build's own error lines, and what it means ($2).
portal_report_failure() {
  local log=$1 meaning=$2
  {
    portal_say "$PORTAL_HEADER_FAILED"
    if [ -s "$log" ]; then
      cat -- "$log"
    fi
    portal_say "$meaning"
  } >&2
  if [ -f "$log" ]; then
    cp -- "$log" "$PORTAL_ROOT/last-failure.log" 2>/dev/null || true
  fi
}

# The npm packages of release $1's package-lock.json, for its src/node_modules: build.py copies
# the web editor (Decap CMS and js-yaml, /admin/) from there. They are installed once into
# build/npm/ (shared by every release, as build/cache is) and again only when a commit's
# package-lock.json is not the one they were installed for (build/npm/package-lock.sha256).
# A new install is made beside the old one and renamed over it when npm ci succeeds, so a failed
# or stopped npm ci leaves the last good install (and its stamp) as it was.
#
# Without npm, nothing is installed and the build goes on: it builds the site and says that
# /admin/ was left out, a warning that --strict makes an error when site.yaml has an admin:
# block (deploy/README.md, "The web editor"). Output: stdout (the release's build.log). Fails
# (status 1) only when npm ci fails.
portal_npm_packages() {
  local src=$1/src npm=$PORTAL_ROOT/build/npm new="$PORTAL_ROOT/build/npm.new" want have="" status=0
  rm -rf -- "$src/node_modules"
  [ -f "$src/package-lock.json" ] || return 0 # nothing to install: build.py says what is missing
  want=$(sha256sum -- "$src/package-lock.json")
  want=${want%% *}
  if [ -f "$npm/package-lock.sha256" ]; then
    have=$(head -n 1 -- "$npm/package-lock.sha256")
  fi
  if [ "$have" != "$want" ] || [ ! -d "$npm/node_modules" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      portal_say "*** Máy chủ chưa có Node.js và npm: trang biên tập web (/admin/) cần chúng, và tìm kiếm dùng Pagefind cũ hơn (chậm hơn). Cài bằng apt-get install nodejs npm, rồi push lại. ***"
      portal_say "*** The web editor (/admin/) needs Node.js and npm, and this server has no npm: the npm packages of package-lock.json were not installed, so the build leaves /admin/ out (with --strict that is an error when site.yaml has admin:) and indexes search with the older Pagefind of requirements.txt (1.5, slower in the browser). Install them (apt-get install nodejs npm; deploy/README.md, step 2) and push again. ***"
      return 0
    fi
    portal_say "Đang cài các gói npm / installing the npm packages of package-lock.json: npm ${PORTAL_NPM_CI[*]} (in $npm)"
    rm -rf -- "$new"
    mkdir -p -- "$new"
    cp -- "$src/package-lock.json" "$new/"
    if [ -f "$src/package.json" ]; then
      cp -- "$src/package.json" "$new/"
    fi
    # No stdin, no git variables of the hook, not the lock (fd 9).
    (
      cd -- "$new" &&
        exec env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE \
          timeout "$((PORTAL_NPM_MINUTES * 60))" npm "${PORTAL_NPM_CI[@]}"
    ) </dev/null 2>&1 9>&- || status=$?
    if [ "$status" -ne 0 ]; then
      rm -rf -- "$new"
      [ "$status" -ne 124 ] || portal_say "(npm ci stopped after $PORTAL_NPM_MINUTES minutes)"
      portal_say "package-lock.json: npm ci failed (exit status $status): the npm packages of the web editor (/admin/) could not be installed; npm's messages are above. / Không cài được các gói npm (npm ci thất bại): xem thông báo của npm ở trên."
      return 1
    fi
    printf '%s\n' "$want" >"$new/package-lock.sha256"
    rm -rf -- "$npm"
    mv -T -- "$new" "$npm"
  fi
  ln -s -- ../../../build/npm/node_modules "$src/node_modules" # relative, as src/.cache
}

# Build release $1 (its src/ must be filled), then give it its own copy of the site.
#
# Every build updates the same folder, build/site, with build.py's cache beside it in
# build/cache (src/.cache is a link to it): the cache describes that folder, so a build redoes
# only what the push changed, whichever release is live (a rollback included). build.py
# replaces a changed file by renaming a new one over it and never writes into an existing
# file, so the release's copy can be hard links: it costs no time and no space, and later
# builds cannot change it.
portal_build() {
  local release=$1 work=$PORTAL_ROOT/build args extra
  args=(--root src --output "$work/site" --strict)
  if [ -n "$PORTAL_BASE_URL" ]; then
    args+=(--base-url "$PORTAL_BASE_URL")
  fi
  read -r -a extra <<<"$PORTAL_BUILD_ARGS"
  [ -f "$release/src/build.py" ] || {
    portal_say "src/build.py: file: not found in this commit" >"$release/build.log"
    return 1
  }
  mkdir -p -- "$work/cache"
  rm -rf -- "$release/src/.cache"
  ln -s -- ../../../build/cache "$release/src/.cache"  # relative: PORTAL_ROOT may be moved
  portal_npm_packages "$release" >"$release/build.log" 2>&1 || return 1
  # No .pyc files in src/ (it stays the commit); no git variables of the hook; fd 9 (the lock)
  # is not passed on.
  (
    cd -- "$release" &&
      exec env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE PYTHONDONTWRITEBYTECODE=1 \
        "$PORTAL_PYTHON" src/build.py "${args[@]}" "${extra[@]}"
  ) >>"$release/build.log" 2>&1 9>&- || return 1
  # Hard links need one file system; build/ and releases/ are both in PORTAL_ROOT, but copy
  # if the links cannot be made.
  if ! cp -al -- "$work/site" "$release/site" 2>>"$release/build.log"; then
    rm -rf -- "$release/site"
    cp -a -- "$work/site" "$release/site" 2>>"$release/build.log" || {
      portal_say "$work/site: could not copy the built site into $release/site" >>"$release/build.log"
      return 1
    }
  fi
}

# Point `current` at release $1, atomically: a new link renamed over the old one.
portal_activate() {
  local name=${1##*/} tmp="$PORTAL_ROOT/.current.tmp.$$"
  ln -sfn -- "releases/$name/site" "$tmp"
  mv -T -f -- "$tmp" "$PORTAL_ROOT/current"
  PORTAL_PENDING=""
}

# Delete all but the newest PORTAL_KEEP releases, never the one `current` points to.
portal_prune() {
  local live="" name count=0
  if live=$(portal_current_release); then
    live=${live##*/}
  fi
  while IFS= read -r name; do
    count=$((count + 1))
    if [ "$count" -le "$PORTAL_KEEP" ] || [ "$name" = "$live" ]; then
      continue
    fi
    rm -rf -- "${PORTAL_ROOT:?}/releases/$name"
  done < <(portal_releases | LC_ALL=C sort -r)
}

# The entries of redirect map $1 (build.py writes site/redirects.map: "/old" "/new"; lines),
# without its comment lines; nothing when there is no such file (a release built before
# aliases existed, or no release at all).
portal_redirect_entries() {
  [ -n "$1" ] && [ -f "$1" ] || return 0
  grep -v -E '^[[:space:]]*(#|$)' -- "$1" || true
}

# Whether nginx must read the redirect map again now that release $2 replaced release $1
# ($1 empty: none was live): the map's entries changed, or an earlier reload failed. Run it
# before portal_prune, which may delete release $1.
portal_reload_needed() {
  local old=${1:+$1/site/redirects.map} new=$2/site/redirects.map
  [ -e "$PORTAL_ROOT/.reload-pending" ] && return 0
  [ "$(portal_redirect_entries "$old")" != "$(portal_redirect_entries "$new")" ]
}

# nginx reads the redirect map (deploy/nginx.conf includes current/redirects*.map) only when
# it (re)loads: run PORTAL_RELOAD. The new release is live already and its redirect pages send
# readers on, so a failure is reported (and tried again with the next release that goes live:
# .reload-pending) but does not fail the deploy.
portal_reload_nginx() {
  local out status=0
  if [ -z "$PORTAL_RELOAD" ]; then
    rm -f -- "$PORTAL_ROOT/.reload-pending"
    portal_say "Bảng chuyển hướng (redirects.map) đã thay đổi: cần nạp lại nginx (systemctl reload nginx) để các địa chỉ cũ được chuyển bằng mã 301. / The redirect map changed: reload nginx (systemctl reload nginx) so that old addresses get their 301s, or set PORTAL_RELOAD to have each deploy do it (deploy/README.md, step 7)."
    return 0
  fi
  # No stdin, not the lock (fd 9), and at most 2 minutes.
  out=$(timeout 120 sh -c "$PORTAL_RELOAD" </dev/null 2>&1 9>&-) || status=$?
  if [ "$status" -eq 0 ]; then
    rm -f -- "$PORTAL_ROOT/.reload-pending"
    [ -z "$out" ] || portal_say "$out"
    portal_say "Đã nạp lại nginx / nginx reloaded: the new redirect map is in use."
    return 0
  fi
  : >"$PORTAL_ROOT/.reload-pending" || true
  [ "$status" -ne 124 ] || out=${out:+$out$'\n'}"(stopped after 2 minutes)"
  {
    portal_say "*** Chưa nạp lại được nginx / nginx was NOT reloaded: PORTAL_RELOAD ($PORTAL_RELOAD) failed, exit status $status: ***"
    [ -z "$out" ] || portal_say "$out"
    portal_say "*** Trang mới đã được cập nhật và các trang chuyển hướng vẫn đưa bạn đọc đến bài, nhưng nginx chỉ trả 301 cho các địa chỉ cũ mới sau khi được nạp lại. ***"
    portal_say "*** The new site is live and its redirect pages still send readers on, but the changed old addresses get their 301 only once nginx is reloaded: fix PORTAL_RELOAD (deploy/README.md, step 7) or run systemctl reload nginx on the server. The next deploy tries again. ***"
  } >&2
  return 0
}

# The hook's entry point: build commit $2 of repository $1 and publish it.
portal_deploy_commit() {
  local repo=$1 sha=$2 short tip live reload
  short=${sha:0:7}
  portal_begin
  # While this hook waited for the lock, a later push may have moved the branch on;
  # that push's own hook publishes it. Building this older commit would go backwards.
  tip=$(git --git-dir="$repo" rev-parse -q --verify "refs/heads/$PORTAL_BRANCH^{commit}" 2>/dev/null) || tip=""
  if [ -n "$tip" ] && [ "$tip" != "$sha" ]; then
    portal_say "$PORTAL_BRANCH has moved on to ${tip:0:7} since this push; that push publishes it (skipping $short)."
    return 0
  fi
  portal_new_release "$sha"
  portal_say "Đang xây dựng / building $short (branch $PORTAL_BRANCH) in ${PORTAL_RELEASE}..."
  if ! { git --git-dir="$repo" archive --format=tar "$sha" | tar -x -C "$PORTAL_RELEASE/src"; } 2>"$PORTAL_RELEASE/build.log"; then
    portal_say "git archive $sha: could not check out the commit" >>"$PORTAL_RELEASE/build.log"
    portal_report_failure "$PORTAL_RELEASE/build.log" "$(portal_push_meaning "$short")"
    portal_cleanup
    return 1
  fi
  if ! portal_build "$PORTAL_RELEASE"; then
    portal_report_failure "$PORTAL_RELEASE/build.log" "$(portal_push_meaning "$short")"
    portal_cleanup
    return 1
  fi
  cat -- "$PORTAL_RELEASE/build.log"
  live=$(portal_current_release) || live=""
  reload=0
  if portal_reload_needed "$live" "$PORTAL_RELEASE"; then
    reload=1
  fi
  portal_activate "$PORTAL_RELEASE"
  portal_prune
  portal_say "Trang đã được cập nhật / site updated: $short is live ($PORTAL_ROOT/current -> releases/${PORTAL_RELEASE##*/}/site)"
  [ "$reload" = 0 ] || portal_reload_nginx
}

portal_push_meaning() {
  local short=$1 live="none yet" cur
  if cur=$(portal_current_release); then
    live=${cur##*/}
  fi
  printf '%s\n%s\n%s' \
    "*** Lần push đã được nhận (commit $short đã vào kho), nhưng trang web vẫn giữ bản cũ. Sửa các lỗi trên rồi push lại. ***" \
    "*** The push itself was accepted (commit $short is in the repository), but the site still shows the previous release ($live). Fix the errors above, commit and push again. ***" \
    "*** Full output: $PORTAL_ROOT/last-failure.log on the server. ***"
}

# rebuild.sh's entry point: build the commit `current` shows again, into a new release,
# so that articles whose time has come appear (and expired ones go). When the result
# is byte-identical to what is live, it is thrown away (nothing to publish) unless $1 is 1.
portal_rebuild() {
  local force=${1:-0} cur sha short reload
  portal_begin
  cur=$(portal_current_release) ||
    portal_die "$PORTAL_ROOT/current does not point to a release yet; push the site once first (deploy/README.md, step 6)"
  if [ ! -f "$cur/REVISION" ] || [ ! -d "$cur/src" ]; then
    portal_die "$cur: no REVISION or src/; push the site again to make a complete release"
  fi
  sha=$(head -n 1 -- "$cur/REVISION")
  [[ $sha =~ ^[0-9a-f]{7,64}$ ]] || portal_die "$cur/REVISION: not a commit id: \"$sha\""
  short=${sha:0:7}
  portal_new_release "$sha"
  # The same files as the live release: its src/ as checked out (without Python caches; the
  # links to the build cache and the npm packages are made again by portal_build).
  tar -C "$cur/src" --exclude=./.cache --exclude=./node_modules --exclude=__pycache__ -cf - . |
    tar -C "$PORTAL_RELEASE/src" -xf -
  if ! portal_build "$PORTAL_RELEASE"; then
    portal_report_failure "$PORTAL_RELEASE/build.log" \
      "*** Xây dựng lại $short thất bại; trang web vẫn giữ bản ${cur##*/}. / Rebuilding $short failed; the site still shows release ${cur##*/}. ***"
    portal_cleanup
    return 1
  fi
  if [ "$force" != 1 ] && diff -r -q -- "$cur/site" "$PORTAL_RELEASE/site" >/dev/null 2>&1; then
    portal_cleanup
    portal_say "Không có gì thay đổi / nothing changed: $PORTAL_ROOT/current still shows ${cur##*/} ($short)"
    return 0
  fi
  cat -- "$PORTAL_RELEASE/build.log"
  reload=0
  if portal_reload_needed "$cur" "$PORTAL_RELEASE"; then
    reload=1
  fi
  portal_activate "$PORTAL_RELEASE"
  portal_prune
  portal_say "Trang đã được xây dựng lại / site rebuilt: $short is live ($PORTAL_ROOT/current -> releases/${PORTAL_RELEASE##*/}/site)"
  [ "$reload" = 0 ] || portal_reload_nginx
}
