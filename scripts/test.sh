#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, unit tests (Go with the fuzz seed
# corpora, and the web UI's Vitest), then integration tests and end-to-end
# browser tests against a real libvirtd and real guests. It installs and
# starts what it needs (libvirt, QEMU, Chromium, Node packages, the guest).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

# Each step prints the time it starts at: the suite's time is a budget, and
# CI shows only the output.
step() { printf '\n=== %s  [%s]\n' "$*" "$(date -u +%T)"; }

mkdir -p test-results

step "web UI: dependencies"
scripts/node-deps.sh web

# libvirt, the remote hosts (loopback sshd, kvmtest's qemu:///session,
# libvirtd's TLS listener) and the test guest are set up in the background
# while the lint and unit steps use the CPU: on a fresh machine the set-up
# mostly downloads and unpacks Debian packages. Node.js came first because
# two apt-gets at once would fight over dpkg's lock; nothing in the lint and
# unit steps runs apt-get.
step "libvirt, remote hosts, test guest: set up in the background"
(
  set -e
  scripts/setup-libvirt.sh
  scripts/setup-remote.sh --tls >/dev/null
  scripts/build-test-guest.sh >/dev/null
) >test-results/setup.log 2>&1 &
setup_pid=$!

step "web UI: lint, types, unit tests, build"
(cd web && npm run --silent lint && npm run --silent typecheck && npm run --silent test)
scripts/web-build.sh

step "Go lint"
scripts/lint.sh

step "Go unit tests"
go test -race -count=1 $(scripts/go-packages.sh)

step "libvirt, remote hosts, test guest: waiting for the set-up"
if ! wait "$setup_pid"; then
  cat test-results/setup.log
  echo "set-up failed (log: test-results/setup.log)" >&2
  exit 1
fi
cat test-results/setup.log

step "build"
make --no-print-directory build

step "Debian package: build (reproducible), lint, install, run as user kvm-manager, remove, purge"
scripts/test-deb.sh

step "integration tests (real libvirtd, real guests)"
# TestMetricsPrometheus scrapes the server with Debian's Prometheus.
command -v prometheus >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
# The output is kept, and on failure its failures are printed again at the
# end: CI shows only the end of the output, which is otherwise the server's
# log rather than what failed.
# -v: every test's own time is in the log; the slowest are printed after
# the run, since the suite's time is a budget (CI aims at 30 minutes).
# Only the packages that have integration tests (the unit step ran the rest).
if ! go test -v -tags integration -count=1 -p 1 -timeout 25m $(scripts/go-packages.sh --integration) 2>&1 | tee test-results/integration.log; then
  step "integration failures (again, from test-results/integration.log)"
  grep -E -A8 -- '^\s*--- FAIL|^panic:|^FAIL|running tests:' test-results/integration.log | grep -v 'cannot connect to libvirt' | head -150
  exit 1
fi

step "slowest integration tests"
sed -nE 's/^--- PASS: (\S+) \(([0-9.]+)s\)$/\2 \1/p' test-results/integration.log | sort -rn | head -15 || true

step "end-to-end tests (real binary, libvirtd, guests and Chromium)"
# A failed test is retried once (see playwright.config.ts); tests that
# passed only on the retry are printed again after the run.
e2e_rc=0
E2E_RETRIES=1 scripts/e2e.sh 2>&1 | tee test-results/e2e.log || e2e_rc=$?
step "end-to-end tests that needed their retry (flaky)"
sed -n '/^ *[0-9]* flaky$/,/^ *[0-9]* passed/p' test-results/e2e.log | head -40
grep -q ' flaky$' test-results/e2e.log || echo "none"
if [ "$e2e_rc" != 0 ]; then
  # CI shows only the end of the output: each failed or flaky test's
  # errors again, short (the whole report is in test-results/e2e.log).
  step "end-to-end failures (again, the errors of each attempt)"
  awk '/^  [0-9]+\) /{n=0; print; next} /^ +(Error|Retry #)/{n=14} n>0{print; n--}' test-results/e2e.log | cut -c1-300 | head -200
  sed -n '/^ *[0-9]* failed$/,$p' test-results/e2e.log | head -30
  exit "$e2e_rc"
fi
