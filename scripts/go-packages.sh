#!/usr/bin/env bash
# Prints the module's Go packages, leaving out node_modules: npm packages
# (e.g. flatted) can ship Go code, and it is not ours to vet or test.
set -euo pipefail
cd "$(dirname "$0")/.."
go list "$@" ./... | grep -v '/node_modules/'
