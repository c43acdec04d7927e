#!/usr/bin/env bash
# Builds the web UI into web/dist (skipped when nothing changed since the
# last build), for embedding into the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/node-deps.sh web
newest_src=$(find web/src web/index.html web/package.json web/vite.config.ts web/tsconfig*.json web/public -newer web/dist/index.html 2>/dev/null | head -1 || true)
if [ -f web/dist/index.html ] && [ -z "$newest_src" ]; then
  exit 0
fi
(cd web && npm run build --silent)
