#!/usr/bin/env bash
# Front end of `make bench`: prepares libvirtd, the test guest and the
# kvm-manager binary (each step is idempotent and quick when already done),
# then runs the benchmark, cmd/kvm-bench. Extra arguments go to kvm-bench,
# e.g. `scripts/bench.sh -n 1000`. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

scripts/setup-libvirt.sh
scripts/build-test-guest.sh >/dev/null
make --no-print-directory build
exec go run ./cmd/kvm-bench --server bin/kvm-manager "$@"
