#!/usr/bin/env bash
# make demo: installs what is missing, starts libvirt, creates three small
# demo VMs (the test guest: a busybox shell on VGA and on the serial port),
# builds KVM Manager and runs it in the foreground. It prints the login URL.
# Ctrl-C stops KVM Manager; the demo VMs stay (remove them: make demo-clean).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

KVM_MANAGER_START_DEFAULT_NETWORK=1 scripts/setup-libvirt.sh
scripts/build-test-guest.sh >/dev/null
make --no-print-directory build

# Which accelerator the demo VMs get: KVM when a guest really boots under
# it, TCG (software emulation) otherwise.
type=$(bin/testguest detect 2>/tmp/kvm-manager-detect.txt)
echo "demo VMs use domain type '$type' ($(head -1 /tmp/kvm-manager-detect.txt))"

for vm in demo-web demo-db demo-build; do
  if virsh -c qemu:///system dominfo "$vm" >/dev/null 2>&1; then
    continue
  fi
  # A NIC on libvirt's default network (its guests only ask for a DHCP
  # lease) and the guest agent, so that addresses and agent facts show.
  net=()
  if virsh -q -c qemu:///system net-info default 2>/dev/null | grep -Eq '^Active: +yes'; then
    net=(--network default --agent)
  fi
  bin/testguest create --name "$vm" --type "$type" "${net[@]}" >/dev/null
  echo "created VM $vm"
done
# Two of them running, one stopped, so every state and action can be tried.
for vm in demo-web demo-db; do
  if [ "$(virsh -c qemu:///system domstate "$vm")" = "shut off" ]; then
    virsh -c qemu:///system start "$vm" >/dev/null && echo "started VM $vm"
  fi
done

# Three demo users, one per role, with random passwords made once and kept
# (root-only) in the data dir, so each role can be tried in the browser.
data=/var/lib/kvm-manager
mkdir -p "$data" && chmod 700 "$data"
if [ ! -s "$data/demo-config.json" ] || [ ! -s "$data/demo-users.txt" ]; then
  umask 077
  users=""
  : >"$data/demo-users.txt"
  for pair in viewer:viewer operator:operator admin:admin; do
    name=${pair%%:*} role=${pair##*:}
    pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
    hash=$(printf '%s\n' "$pw" | bin/kvm-manager hash-password)
    users="$users${users:+,}{\"name\":\"$name\",\"password-hash\":\"$hash\",\"role\":\"$role\"}"
    echo "  $name / $pw   ($role)" >>"$data/demo-users.txt"
  done
  echo "{\"users\":[$users]}" >"$data/demo-config.json"
fi
echo
echo "Demo users (user / password), from $data/demo-users.txt:"
cat "$data/demo-users.txt"
echo
exec bin/kvm-manager --data-dir "$data" --config "$data/demo-config.json" "$@"
