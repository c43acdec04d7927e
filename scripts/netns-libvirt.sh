#!/usr/bin/env bash
# A libvirtd of its own inside a network namespace, for the tests that give
# guests a network (libvirt networks, DHCP, addresses, reaching a guest).
#
#   scripts/netns-libvirt.sh up     # create the namespace, start libvirtd in it; prints its socket
#   scripts/netns-libvirt.sh down   # stop what "up" started (its guests and networks too), delete the namespace
#
# The namespace (KVM_TEST_NETNS, default kvmtest-net) has only its own
# loopback and the bridges libvirt makes in it, and no route out: a guest's
# traffic, even on a NAT network, cannot leave it, and a test reaches a
# guest only from inside it (nsenter --net=/run/netns/NAME ...).
#
# libvirtd keeps its state under fixed paths (/run/libvirt, /etc/libvirt,
# /var/lib/libvirt/qemu, ...), which the host's own libvirtd uses. This one
# runs in a private mount namespace as well, where those paths are bind
# mounts of directories under KVM_TEST_NETNS_DIR: the host's libvirtd, its
# guests and the other tests are untouched, and its socket is a file the
# tests and the server under test reach from the host's namespaces
# (qemu+unix:///system?socket=DIR/run/libvirt-sock). Guest images stay
# where they are (/var/lib/libvirt/images is shared).
# Idempotent: "up" on a running instance only prints the socket.
set -euo pipefail

NS=${KVM_TEST_NETNS:-kvmtest-net}
DIR=${KVM_TEST_NETNS_DIR:-/var/lib/kvm-manager-test/netns}
SOCK=$DIR/run/libvirt-sock
URI="qemu+unix:///system?socket=$SOCK"

log() { printf 'netns-libvirt: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it creates a network namespace and starts libvirtd)"; exit 1
fi

answering() { virsh -q -c "$URI" version >/dev/null 2>&1; }

alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$2" ]
}

up() {
  if answering; then echo "$SOCK"; return 0; fi
  [ -e "/run/netns/$NS" ] || ip netns add "$NS"
  ip -n "$NS" link set lo up
  if ip -n "$NS" route show | grep -q .; then
    log "namespace $NS has routes other than loopback's:"; ip -n "$NS" route show >&2; exit 1
  fi
  mkdir -p "$DIR"/{run,etc,lib-qemu,lib-dnsmasq,cache,log}
  if [ ! -f "$DIR/etc/libvirtd.conf" ]; then
    # The host's settings, none of its guests, networks or pools.
    cp /etc/libvirt/*.conf "$DIR/etc/"
    [ -d /etc/libvirt/nwfilter ] && cp -r /etc/libvirt/nwfilter "$DIR/etc/"
    # QEMU's capabilities, probed already by the host's libvirtd (checked
    # against QEMU's and libvirtd's binaries when read: safe to share).
    [ -d /var/cache/libvirt/qemu ] && cp -r /var/cache/libvirt/qemu "$DIR/cache/" || true
    # The sysfs mounted below has no cgroup hierarchies: QEMU runs without
    # libvirt's cgroups (they limit resources, which these tests never set).
    printf '\n# netns-libvirt.sh: no cgroups in this mount namespace\ncgroup_controllers = [ ]\n' >>"$DIR/etc/qemu.conf"
  fi
  for d in virtlogd libvirtd; do
    if alive "$DIR/$d.pid" "$d"; then kill "$(cat "$DIR/$d.pid")"; fi
    rm -f "$DIR/$d.pid"
  done
  log "starting libvirtd in network namespace $NS ($DIR)"
  # sysfs is mounted again so that /sys/class/net shows the namespace's
  # own devices (libvirt sets bridge options there).
  nsenter --net="/run/netns/$NS" unshare --mount --propagation private sh -ec '
    DIR=$1
    mount -t sysfs sysfs /sys
    mount --bind "$DIR/run" /run/libvirt
    mount --bind "$DIR/etc" /etc/libvirt
    mount --bind "$DIR/lib-qemu" /var/lib/libvirt/qemu
    mount --bind "$DIR/lib-dnsmasq" /var/lib/libvirt/dnsmasq
    mount --bind "$DIR/cache" /var/cache/libvirt
    mount --bind "$DIR/log" /var/log/libvirt
    virtlogd -d -p "$DIR/virtlogd.pid"
    libvirtd -d -p "$DIR/libvirtd.pid"
  ' sh "$DIR"
  for _ in $(seq 1 150); do
    if answering; then echo "$SOCK"; return 0; fi
    sleep 0.2
  done
  log "libvirtd in $NS did not answer within 30 s; the end of $DIR/log/libvirtd.log:"
  tail -n 20 "$DIR/log/libvirtd.log" >&2 2>/dev/null || true
  exit 1
}

down() {
  if answering; then
    for d in $(virsh -q -c "$URI" list --name); do virsh -q -c "$URI" destroy "$d" >/dev/null 2>&1 || true; done
    for n in $(virsh -q -c "$URI" net-list --name); do virsh -q -c "$URI" net-destroy "$n" >/dev/null 2>&1 || true; done
  fi
  for d in libvirtd virtlogd; do
    if alive "$DIR/$d.pid" "$d"; then kill "$(cat "$DIR/$d.pid")"; fi
    rm -f "$DIR/$d.pid"
  done
  if [ -e "/run/netns/$NS" ]; then
    # What is left in the namespace was started by this script's libvirtd
    # (dnsmasq of a network, a QEMU): end those by their process ids.
    for _ in $(seq 1 50); do
      pids=$(ip netns pids "$NS")
      [ -z "$pids" ] && break
      kill $pids 2>/dev/null || true
      sleep 0.1
    done
    ip netns delete "$NS"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  uri) echo "$URI" ;;
  *) log "usage: $0 up|down|uri"; exit 2 ;;
esac
