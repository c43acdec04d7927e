#!/usr/bin/env bash
# make run: starts libvirt if needed, builds KVM Manager and runs it against
# the host's existing VMs (it creates none). Extra arguments go to
# kvm-manager, e.g. make run ARGS="--listen 127.0.0.1:9090".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
scripts/setup-libvirt.sh
make --no-print-directory build
exec bin/kvm-manager "$@"
