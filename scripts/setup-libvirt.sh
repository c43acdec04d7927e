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
# libvirt's virtual networks run dnsmasq (DHCP and DNS on the bridge) and
# write their firewall rules with iptables (libvirt 9.0 on Debian 12).
command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
# The system D-Bus and polkit let users of group libvirt (the packaged
# service's user kvm-manager) use qemu:///system without root (issue 19).
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus)
[ -x /usr/lib/polkit-1/polkitd ] || need+=(polkitd)
# The network tests run a libvirtd of their own in a network namespace
# (scripts/netns-libvirt.sh: ip netns, nsenter, unshare).
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# VM creation: the OS catalogue (osinfo-db's XML, read by internal/osinfo),
# UEFI firmware (OVMF), and what builds the test guest's bootable ISO and
# disk image (grub-mkrescue with xorriso and mtools).
[ -d /usr/share/osinfo/os ] || need+=(osinfo-db)
[ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || need+=(ovmf)
command -v xorriso >/dev/null 2>&1 || need+=(xorriso)
command -v grub-mkrescue >/dev/null 2>&1 || need+=(grub-common)
[ -d /usr/lib/grub/i386-pc ] || need+=(grub-pc-bin)
command -v mformat >/dev/null 2>&1 || need+=(mtools)
# TPM 2.0 for VMs (Windows 11 needs one): libvirt runs swtpm per VM, and
# swtpm_setup (swtpm-tools) makes its state on the VM's first start.
command -v swtpm >/dev/null 2>&1 || need+=(swtpm)
command -v swtpm_setup >/dev/null 2>&1 || need+=(swtpm-tools)
# The console's keyboard layout tables and their test (internal/keymap):
# xkb-data compiled by libxkbcommon's xkbcli, keysym names, Compose table.
command -v xkbcli >/dev/null 2>&1 || need+=(libxkbcommon-tools)
[ -d /usr/share/X11/xkb/symbols ] || need+=(xkb-data)
[ -e /usr/include/X11/keysymdef.h ] || need+=(x11proto-dev)
[ -e /usr/share/X11/locale/en_US.UTF-8/Compose ] || need+=(libx11-data)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# libvirt runs swtpm_setup as user tss (qemu.conf's swtpm_user) when that
# user exists as libvirtd starts, and as root when it did not (a libvirtd
# started before swtpm was installed). Root-run setups leave root-owned
# files in swtpm's local CA, and a later tss-run setup then fails with
# "Need read/write rights on /var/lib/swtpm-localca/.lock.swtpm-localca".
# The CA belongs to tss, as the package made it; root can use it anyway.
if id tss >/dev/null 2>&1 && [ -d /var/lib/swtpm-localca ]; then
  chown -R tss:root /var/lib/swtpm-localca
fi

# /dev/kvm is root-only here; udev would normally make it group kvm, mode 0660.
if [ -e /dev/kvm ]; then
  getent group kvm >/dev/null || groupadd -r kvm
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm || log "could not change /dev/kvm permissions; TCG will be used"
  id -nG libvirt-qemu 2>/dev/null | grep -qw kvm || usermod -aG kvm libvirt-qemu 2>/dev/null || true
fi

mkdir -p /run/libvirt /var/log/libvirt /var/lib/libvirt/images

# alive PIDFILE NAME: the daemon that wrote PIDFILE is a live process named
# NAME. Process names alone are not enough: a killed libvirtd can leave a
# forked child named libvirtd behind (it lives on, never listening), and a
# non-root user's session daemon (the remote-host tests run one) is also
# called libvirtd. Either made "is libvirtd running?" answer yes while
# nothing served qemu:///system.
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$2" ] || return 1
  ! ps -o stat= -p "$pid" | grep -q '^Z'
}

# start NAME ARGS...: kill what is left of an earlier root NAME daemon
# (orphaned children), remove its stale pid file (which makes it refuse to
# start) and start it again. Only daemons in this network and mount
# namespace: the network tests' own libvirtd and virtlogd
# (scripts/netns-libvirt.sh) are root's too, and a restart of the system
# libvirtd (the fault tests make one) must not kill them.
start() {
  local name=$1; shift
  pkill -KILL -x -u root --ns $$ --nslist net,mnt "$name" 2>/dev/null || true
  rm -f "/run/$name.pid"
  log "starting $name"
  "$name" "$@"
}

# libvirtd_args: scripts/setup-remote.sh --tls wrote a config with a TLS
# listener on loopback for the qemu+tls tests: keep it across restarts.
libvirtd_args() {
  local tls_conf=${KVM_TEST_REMOTE_DIR:-/var/lib/kvm-manager-test}/tls/libvirtd.conf
  if [ -f "$tls_conf" ]; then echo "-d --listen -f $tls_conf"; else echo "-d"; fi
}

# default_network: libvirt's "default" NAT network (192.168.122.0/24) is
# defined when missing, from the definition Debian ships. It is started (and
# marked autostart) only when KVM_MANAGER_START_DEFAULT_NETWORK=1 (make demo):
# a running NAT network forwards its guests' traffic off the machine, and the
# tests never need that (they make isolated networks of their own).
default_network() {
  local def=/usr/share/libvirt/networks/default.xml
  if ! virsh -q -c qemu:///system net-info default >/dev/null 2>&1; then
    if [ -f "$def" ]; then
      log "defining libvirt's default network"
      virsh -q -c qemu:///system net-define "$def" >/dev/null || log "could not define the default network"
    fi
  fi
  if [ "${KVM_MANAGER_START_DEFAULT_NETWORK:-}" = 1 ] &&
    virsh -q -c qemu:///system net-info default 2>/dev/null | grep -Eq '^Active: +no'; then
    log "starting libvirt's default network"
    virsh -q -c qemu:///system net-start default >/dev/null || log "could not start the default network"
    virsh -q -c qemu:///system net-autostart default >/dev/null || true
  fi
}

# Loop rather than check once: a daemon killed a moment ago may still be
# exiting when we look, and must then be started on the next round. A
# daemon just started gets 10 s to write its pid file before it counts as
# failed.
# libvirtd asks polkit (over the system D-Bus, which starts polkitd when
# asked) whether a non-root client may connect, and it connects to the bus
# only once: the bus must run before libvirtd starts. There is no systemd
# here to start it.
# A socket left by a bus that was killed does not count.
bus_pid=$(cat /run/dbus/pid 2>/dev/null || true)
if [ ! -S /run/dbus/system_bus_socket ] || [ -z "$bus_pid" ] || [ "$(ps -o comm= -p "$bus_pid" 2>/dev/null)" != dbus-daemon ]; then
  mkdir -p /run/dbus
  rm -f /run/dbus/pid /run/dbus/system_bus_socket
  dbus-daemon --system --fork || log "could not start the system D-Bus: the libvirt group cannot use qemu:///system without root"
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    log "started the system D-Bus after libvirtd: non-root clients (the packaged service) need libvirtd restarted to use it"
  fi
fi
declare -A started=()
for _ in $(seq 1 200); do
  if v=$(virsh -c qemu:///system version 2>/dev/null); then
    log "libvirt is answering"
    printf '%s\n' "$v" | grep -i 'running hypervisor' || true
    default_network
    exit 0
  fi
  now=$(date +%s)
  for d in virtlogd libvirtd; do
    if ! alive "/run/$d.pid" "$d" && (( now - ${started[$d]:-0} >= 10 )); then
      if [ "$d" = libvirtd ]; then
        # shellcheck disable=SC2046 # the arguments are words without spaces
        start "$d" $(libvirtd_args)
      else
        start "$d" -d
      fi
      started[$d]=$now
    fi
  done
  sleep 0.2
done
log "libvirtd did not answer within 40 s; the end of /var/log/libvirt/libvirtd.log:"
tail -n 20 /var/log/libvirt/libvirtd.log >&2 2>/dev/null || true
ps -o pid,ppid,user,stat,lstart,cmd -C libvirtd,virtlogd >&2 || true
exit 1
