#!/usr/bin/env bash
# Playwright end-to-end tests in Debian's Chromium against the real binary
# (bin/kvm-manager), the real libvirtd and real test guests. Screenshots go
# to docs/images (used by the user guide) and test-results/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing Debian's chromium" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
scripts/node-deps.sh test/e2e
[ -x bin/kvm-manager ] && [ -x bin/testguest ] || make --no-print-directory build
cd test/e2e
npx playwright test "$@"
