#!/usr/bin/env bash
# make bench: figures, never pass/fail. Sets up libvirt and the test guest,
# builds KVM Manager, then runs each benchmark (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
scripts/setup-libvirt.sh >/dev/null
scripts/build-test-guest.sh >/dev/null
make --no-print-directory build >/dev/null
scripts/node-deps.sh test/e2e

echo "=== web UI: JS+CSS of the first page"
(cd web && node scripts/first-page-size.mjs)

echo "=== 500 VMs: API latency, state change -> SSE, memory; then the dashboard in Chromium"
go run ./cmd/kvm-bench --server bin/kvm-manager --after "node test/e2e/bench-ui.mjs" "$@"
go run ./cmd/bench-serial --server bin/kvm-manager
go run ./cmd/bench-snapshot --server bin/kvm-manager
go run ./cmd/bench-console --server bin/kvm-manager

echo "=== 5,000 slow connections: /healthz latency and the server's memory during and after"
go run ./cmd/bench-conn --server bin/kvm-manager
