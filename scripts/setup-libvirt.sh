#!/usr/bin/env bash
# Installs (when missing) and starts libvirt and QEMU on a Debian 12 host without systemd.
# Idempotent: safe to run again and again; it only does what is not done yet.
# Prints the libvirt version once `virsh -c qemu:///system version` answers.
set -euo pipefail

log() { printf 'setup-libvirt: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs packages and starts libvirtd)"; exit 1
fi

need=()
command -v libvirtd >/dev/null 2>&1 || need+=(libvirt-daemon-system)
command -v virsh >/dev/null 2>&1 || need+=(libvirt-clients)
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
command -v qemu-img >/dev/null 2>&1 || need+=(qemu-utils)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# /dev/kvm is root-only here; udev would normally make it group kvm, mode 0660.
if [ -e /dev/kvm ]; then
  getent group kvm >/dev/null || groupadd -r kvm
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm || log "could not change /dev/kvm permissions; TCG will be used"
  id -nG libvirt-qemu 2>/dev/null | grep -qw kvm || usermod -aG kvm libvirt-qemu 2>/dev/null || true
fi

mkdir -p /run/libvirt /var/log/libvirt /var/lib/libvirt/images

# running NAME: a live (not zombie, not exiting) root process of that name exists.
# Only root's: user kvmtest's session libvirtd (scripts/setup-remote.sh) is
# a libvirtd too, but not the system daemon.
running() { ps -C "$1" -o user=,stat= 2>/dev/null | awk '$1 == "root" && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }

# Loop rather than check once: a daemon killed a moment ago may still be
# exiting when we look, and must then be started on the next round.
for _ in $(seq 1 150); do
  if v=$(virsh -c qemu:///system version 2>/dev/null); then
    log "libvirt is answering"
    printf '%s\n' "$v" | grep -i 'running hypervisor' || true
    exit 0
  fi
  if ! running virtlogd; then
    log "starting virtlogd"; rm -f /run/virtlogd.pid; virtlogd -d
  fi
  if ! running libvirtd; then
    # A stale pid file from a killed daemon makes libvirtd refuse to start.
    log "starting libvirtd"; rm -f /run/libvirtd.pid
    # scripts/setup-remote.sh --tls wrote a config with a TLS listener on
    # loopback for the qemu+tls tests: keep it across restarts.
    tls_conf=${KVM_TEST_REMOTE_DIR:-/var/lib/kvm-manager-test}/tls/libvirtd.conf
    if [ -f "$tls_conf" ]; then libvirtd -d --listen -f "$tls_conf"; else libvirtd -d; fi
  fi
  sleep 0.2
done
log "libvirtd did not answer within 30 s; see /var/log/libvirt/libvirtd.log"
exit 1
