#!/usr/bin/env bash
# Installs a Node package's dependencies (npm ci) when they are missing or
# older than its package-lock.json. Usage: scripts/node-deps.sh DIR
set -euo pipefail
dir=$1
if ! command -v node >/dev/null 2>&1; then
  echo "node-deps: Node.js is missing; installing Debian's nodejs and npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "node-deps: Node.js $(node --version) is too old; the web build needs Node 20 or newer" >&2
  exit 1
fi
stamp="$dir/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
  echo "node-deps: npm ci in $dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
