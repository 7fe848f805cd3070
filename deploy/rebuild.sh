#!/usr/bin/env bash
# rebuild.sh: build the commit the live site was built from again, so that articles dated in
# the future appear when their time comes (and articles past `expires:` go away).
#
#   bash /srv/portal/current/../src/deploy/rebuild.sh [--force]
#
# It reads PORTAL_ROOT/current, takes that release's REVISION and src/, builds them into a new
# release exactly as the post-receive hook does (src/build.py --strict) and switches `current`
# to it. When the new build is byte-identical to the live one (builds are reproducible), the
# new release is thrown away and nothing changes; --force publishes it anyway. On failure the
# errors go to stderr (the journal, under systemd), the site stays as it was, the exit status
# is 1. Run every 30 minutes by deploy/portal-rebuild.timer (or cron, deploy/README.md).
#
# Settings: the same as the hook (deploy/portal.env). The functions are in lib.sh, which is
# always beside this script: this file is run from a checkout or from a release's src/deploy/.
set -euo pipefail

usage() {
  printf 'usage: %s [--force]\n' "${0##*/}"
}

force=0
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  shift
done

here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

portal_rebuild "$force"
