#!/usr/bin/env bash
# gofmt, go vet and staticcheck over the module's own packages; fails on any
# finding.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:"; echo "$unformatted"; exit 1
fi
pkgs=$(scripts/go-packages.sh)
go vet $pkgs
go vet -tags integration $(scripts/go-packages.sh -tags integration)
go tool staticcheck $pkgs
go tool staticcheck -tags integration $(scripts/go-packages.sh -tags integration)
echo "lint: clean"
