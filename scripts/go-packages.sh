#!/usr/bin/env bash
# Prints the module's Go packages, leaving out node_modules: npm packages
# (e.g. flatted) can ship Go code, and it is not ours to vet or test.
#
# With --integration: only the packages that have integration tests (files
# with the build tag "integration"). The others' tests are unit tests that
# the unit step runs already; building their test binaries again, one at a
# time (integration runs with -p 1), cost minutes of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--integration" ]; then
  go list -tags integration -f '{{.ImportPath}} {{.Dir}}' ./... |
    grep -v '/node_modules/' |
    while read -r pkg dir; do
      if grep -lqs '^//go:build integration' "$dir"/*_test.go; then echo "$pkg"; fi
    done
  exit 0
fi
go list "$@" ./... | grep -v '/node_modules/'
