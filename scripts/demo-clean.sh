#!/usr/bin/env bash
# Removes the demo VMs that make demo created, with their files.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build >/dev/null
for vm in demo-web demo-db demo-build; do
  bin/testguest remove --name "$vm" && echo "removed VM $vm"
done
