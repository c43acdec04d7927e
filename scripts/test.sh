#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, unit tests (with the fuzz seed
# corpora), then integration tests against a real libvirtd and real guests.
# It installs and starts what it needs (libvirt, QEMU, the test guest).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

step() { printf '\n=== %s\n' "$*"; }

step "lint"
scripts/lint.sh

step "unit tests"
go test -race -count=1 ./...

step "libvirt"
scripts/setup-libvirt.sh

step "test guest"
scripts/build-test-guest.sh >/dev/null

step "build"
make --no-print-directory build

step "integration tests (real libvirtd, real guests)"
go test -tags integration -count=1 -p 1 -timeout 25m ./... 2>&1 | tee /tmp/kvm-manager-integration.log
