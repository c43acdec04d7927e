#!/usr/bin/env bash
# gofmt, go vet, staticcheck over the module's own packages, and go.mod as
# go mod tidy leaves it; fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:"; echo "$unformatted"; exit 1
fi
if ! tidy=$(go mod tidy -diff 2>&1); then
  echo "go.mod/go.sum are not tidy: run go mod tidy"; echo "$tidy"; exit 1
fi
pkgs=$(scripts/go-packages.sh)
go vet $pkgs
go vet -tags integration $(scripts/go-packages.sh -tags integration)
go tool staticcheck $pkgs
go tool staticcheck -tags integration $(scripts/go-packages.sh -tags integration)
echo "lint: clean"
