#!/usr/bin/env bash
# Runs every fuzz target for a while (default 15s each). Inputs that fail
# are written to the package's testdata/fuzz and should be committed.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-15s}
for pkg in $(scripts/go-packages.sh); do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $f ($t)"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
  done
done
