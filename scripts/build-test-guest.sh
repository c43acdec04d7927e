#!/usr/bin/env bash
# Builds the tiny KVM Manager test guest: a Debian cloud kernel (vmlinuz) plus a
# busybox initramfs, booted by libvirt with direct kernel boot (see the Go
# package internal/testguest, which defines the domains).
#
# Usage: scripts/build-test-guest.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to $GUEST_DIR, then /var/lib/libvirt/images/kvm-manager-test.
#   KERNEL_PACKAGE=linux-image-...-cloud-amd64 pins the kernel package (default:
#   the newest linux-image-<version>-cloud-amd64 that apt-cache can install).
#   FORCE=1 rebuilds even when the outputs are up to date.
#
# Everything comes from Debian packages: the kernel .deb is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into a temporary directory
# (it is never installed); busybox comes from busybox-static; the guest agent
# (qemu-ga) from Debian's qemu-guest-agent .deb, fetched and unpacked the same
# way, with the shared libraries it links (ldd) copied from this Debian host. The
# .debs are kept in
# OUTPUT_DIR/cache so a rebuild takes a few seconds. Idempotent: when the stamp
# file says the outputs were built from the same kernel, busybox and script,
# nothing is rebuilt.
#
# Outputs (0644 files, 0755 dirs, readable by the libvirt-qemu user):
#   OUTPUT_DIR/vmlinuz        the kernel
#   OUTPUT_DIR/initramfs.gz   newc cpio, gzip
#   OUTPUT_DIR/build.stamp    what they were built from
#   OUTPUT_DIR/kernel.release the kernel's release (what `uname -r` prints in
#                             the guest), read by tests instead of a pinned version
# Nothing per VM is created here: the data disk and ttyS1 log of each VM live in
# OUTPUT_DIR/vms/<name>/ and are made by internal/testguest.
#
# What the guest does (see /init and /etc/inittab below):
#   * mounts proc, sys, devtmpfs, devpts; loads the few modules it needs;
#     hostname kvmtest;
#   * busybox acpid: an ACPI power-button press (virsh shutdown) runs
#     `poweroff -f`, so the domain shuts off within a second or two;
#   * respawns a root shell (busybox ash, job control, PS1 'kvmtest# ') on tty1
#     (VGA, visible over VNC) and on ttyS0 (the libvirt <console>);
#   * once both shells run, prints `KVMTEST-READY boot=<boot id>` on ttyS0 and
#     ttyS1. The boot id is the kernel's random per-boot UUID.
#   * ttyS1 is output-only: the host logs it to a file (vms/<name>/ttyS1.log), and
#     it is the tests' reliable window into the guest. Tests type commands on the
#     ttyS0 console and redirect their output there, e.g.
#         echo "RESULT $((6*7))" > /dev/ttyS1
#     then look for the line in the log file.
#   * with a virtio NIC (eth0), busybox udhcpc asks for a DHCP lease in the
#     background (boot does not wait for it) and prints
#     `KVMTEST-DHCP eth0 ip=<address>/<prefix>` on ttyS1 when it has one;
#   * with a virtio-serial channel named org.qemu.guest_agent.0, qemu-ga (the
#     QEMU guest agent) serves it; `KVMTEST-AGENT started` on ttyS1 says so.
#     /etc/os-release names the guest "KVM Manager test guest". Its
#     guest-shutdown (libvirt's shutdown when the agent is connected) runs
#     /sbin/shutdown, which says `KVMTEST-POWEROFF agent -P` on ttyS1 and
#     powers off; /sbin/start-qemu-ga starts the agent again;
#   * the qcow2 data disk (libvirt target vdb on virtio; the guest kernel calls
#     it /dev/vda, being the only virtio disk) is left alone; tests may dd to it.
#   * /etc/kmap/<layout>.bmap are console keymaps for busybox `loadkmap`
#     (de: Debian console-data's de-latin1, fr: its fr-latin9), compiled here
#     by kbd's `loadkeys -u -b` from the two .debs (fetched and unpacked like
#     the kernel's, never installed: console-data's postinst would set this
#     host's console layout). The keyboard layout test (test/e2e/keymap.spec.ts)
#     switches the VGA console's layout with them. Only the key tables are in
#     a .bmap: dead keys compose with the kernel's built-in accent table.
#     `kbdreset` goes back to the layout the guest booted with (its first run
#     saves that layout with dumpkmap, its later runs load it) and says
#     `KVMTEST-KBDRESET` on ttyS1.
set -euo pipefail

log() { printf 'build-test-guest: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

OUT="${1:-${GUEST_DIR:-/var/lib/libvirt/images/kvm-manager-test}}"
CACHE="$OUT/cache"
BUSYBOX=/bin/busybox
# Modules the guest wants, in load order. Built-in ones are skipped; modules
# are added with their dependencies. virtio_blk: the data disk; virtio_balloon:
# memory statistics for the graphs (with a stats period set); button + evdev:
# the ACPI power button as an input device that acpid watches. The rest are
# normally built into the cloud kernel and listed so a kernel that has them as
# modules still works.
# virtio_net + af_packet: the NIC and udhcpc's raw socket; virtio_console
# also carries the guest agent's virtio-serial channel.
WANT_MODULES="${GUEST_MODULES:-virtio_pci virtio_blk virtio_net af_packet virtio_console virtio_balloon 8250 i8042 atkbd evdev button}"

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, device nodes)"
umask 022
export DEBIAN_FRONTEND=noninteractive

# --- busybox-static -----------------------------------------------------------
if ! dpkg -s busybox-static >/dev/null 2>&1 || [ ! -x "$BUSYBOX" ]; then
  log "installing busybox-static"
  apt-get install -y -qq --no-install-recommends busybox-static >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends busybox-static >/dev/null; }
fi
BB_VERSION=$(dpkg-query -W -f='${Version}' busybox-static)

# --- the guest agent's package version (the .deb is fetched below) -------------
QGA_PKG=qemu-guest-agent
QGA_VER=$(apt-cache policy "$QGA_PKG" 2>/dev/null | awk '/^  Candidate:/ {print $2}')
if [ -z "$QGA_VER" ] || [ "$QGA_VER" = "(none)" ]; then
  apt-get update -qq
  QGA_VER=$(apt-cache policy "$QGA_PKG" 2>/dev/null | awk '/^  Candidate:/ {print $2}')
fi
[ -n "$QGA_VER" ] && [ "$QGA_VER" != "(none)" ] || die "no installable candidate for $QGA_PKG"

# --- kbd and console-data, for the console keymaps (the .debs are fetched below) --
KBD_PKG=kbd
CDATA_PKG=console-data
# One apt-cache run for both (each run costs seconds on a busy machine).
candidates() { # -> "version version" of $KBD_PKG and $CDATA_PKG, "(none)" when missing
  apt-cache policy "$KBD_PKG" "$CDATA_PKG" 2>/dev/null | awk -v a="$KBD_PKG" -v b="$CDATA_PKG" '
    /^[^ ]/ { pkg = $1; sub(/:$/, "", pkg) }
    /^  Candidate:/ { v[pkg] = $2 }
    END { print (a in v ? v[a] : "(none)"), (b in v ? v[b] : "(none)") }'
}
read -r KBD_VER CDATA_VER <<<"$(candidates)"
if [ "$KBD_VER" = "(none)" ] || [ "$CDATA_VER" = "(none)" ]; then
  apt-get update -qq
  read -r KBD_VER CDATA_VER <<<"$(candidates)"
fi
[ -n "$KBD_VER" ] && [ "$KBD_VER" != "(none)" ] || die "no installable candidate for $KBD_PKG"
[ -n "$CDATA_VER" ] && [ "$CDATA_VER" != "(none)" ] || die "no installable candidate for $CDATA_PKG"
# layout=console-data keymap (under usr/share/keymaps/i386): what the guest's
# /etc/kmap/<layout>.bmap is made from.
GUEST_KMAPS="de=qwertz/de-latin1 fr=azerty/fr-latin9"

# --- which kernel ---------------------------------------------------------------
# Prints "package version" for every installable linux-image-<ver>-cloud-amd64.
list_kernels() {
  local names
  names=$(apt-cache pkgnames linux-image- 2>/dev/null | grep -E '^linux-image-[0-9][^ ]*-cloud-amd64$' || true)
  [ -n "$names" ] || return 0
  # shellcheck disable=SC2086
  apt-cache policy $names 2>/dev/null | awk '
    /^[^ ]/ { pkg = $1; sub(/:$/, "", pkg) }
    /^  Candidate:/ { if ($2 != "(none)") print pkg, $2 }'
}

newest_kernel() {
  local best_pkg="" best_ver="" pkg ver
  while read -r pkg ver; do
    if [ -z "$best_ver" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then
      best_pkg=$pkg; best_ver=$ver
    fi
  done
  [ -n "$best_pkg" ] && printf '%s %s\n' "$best_pkg" "$best_ver"
}

if [ -n "${KERNEL_PACKAGE:-}" ]; then
  KPKG=$KERNEL_PACKAGE
  KVER=$(apt-cache policy "$KPKG" 2>/dev/null | awk '/^  Candidate:/ {print $2}')
  if [ -z "$KVER" ] || [ "$KVER" = "(none)" ]; then
    apt-get update -qq
    KVER=$(apt-cache policy "$KPKG" 2>/dev/null | awk '/^  Candidate:/ {print $2}')
  fi
  [ -n "$KVER" ] && [ "$KVER" != "(none)" ] || die "no installable candidate for $KPKG"
else
  pick=$(list_kernels | newest_kernel || true)
  if [ -z "$pick" ]; then
    log "apt-cache knows no cloud kernel; running apt-get update"
    apt-get update -qq
    pick=$(list_kernels | newest_kernel || true)
  fi
  [ -n "$pick" ] || die "no linux-image-*-cloud-amd64 package available"
  read -r KPKG KVER <<<"$pick"
fi

SCRIPT_SUM=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
STAMP="kernel=$KPKG $KVER
busybox=$BB_VERSION
agent=$QGA_PKG $QGA_VER
modules=$WANT_MODULES
kmaps=$KBD_PKG $KBD_VER $CDATA_PKG $CDATA_VER $GUEST_KMAPS
script=$SCRIPT_SUM"

print_outputs() {
  printf '%s\n' "$OUT/vmlinuz" "$OUT/initramfs.gz" "$OUT/build.stamp" "$OUT/kernel.release"
}

install -d -m 0755 "$OUT"
# One build at a time per output dir (parallel test runs may all call this).
exec 9>"$OUT/.build.lock"
flock 9

if [ -z "${FORCE:-}" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.gz" ] && [ -s "$OUT/kernel.release" ] &&
  [ "$(cat "$OUT/build.stamp" 2>/dev/null)" = "$STAMP" ]; then
  log "up to date ($KPKG $KVER)"
  print_outputs
  exit 0
fi

install -d -m 0755 "$CACHE"

# --- fetch the kernel .deb (cached) ---------------------------------------------
DEB=""
for f in "$CACHE/${KPKG}_"*.deb; do
  [ -e "$f" ] || continue
  v=$(dpkg-deb -f "$f" Version 2>/dev/null || true)
  if [ "$v" = "$KVER" ]; then DEB=$f; break; fi
done
if [ -z "$DEB" ]; then
  log "downloading $KPKG $KVER"
  if ! (cd "$CACHE" && apt-get download -qq -o APT::Sandbox::User=root "$KPKG=$KVER"); then
    if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.gz" ] && [ -s "$OUT/kernel.release" ]; then
      log "WARNING: could not download $KPKG $KVER; keeping the guest built before"
      print_outputs
      exit 0
    fi
    die "could not download $KPKG $KVER"
  fi
  for f in "$CACHE/${KPKG}_"*.deb; do
    [ -e "$f" ] || continue
    [ "$(dpkg-deb -f "$f" Version)" = "$KVER" ] && DEB=$f
  done
  [ -n "$DEB" ] || die "apt-get download did not leave a .deb for $KPKG in $CACHE"
fi
# The guest agent's .deb, cached the same way.
QGA_DEB=""
find_agent_deb() {
  local f
  for f in "$CACHE/${QGA_PKG}_"*.deb; do
    [ -e "$f" ] || continue
    [ "$(dpkg-deb -f "$f" Version 2>/dev/null || true)" = "$QGA_VER" ] && { QGA_DEB=$f; return 0; }
  done
  return 1
}
if ! find_agent_deb; then
  log "downloading $QGA_PKG $QGA_VER"
  (cd "$CACHE" && apt-get download -qq -o APT::Sandbox::User=root "$QGA_PKG=$QGA_VER") ||
    die "could not download $QGA_PKG $QGA_VER"
  find_agent_deb || die "apt-get download did not leave a .deb for $QGA_PKG in $CACHE"
fi
# kbd and console-data, cached the same way.
cached_deb() { # package version -> path of its .deb in the cache, downloaded when missing
  local f
  for f in "$CACHE/${1}_"*.deb; do
    [ -e "$f" ] || continue
    [ "$(dpkg-deb -f "$f" Version 2>/dev/null || true)" = "$2" ] && { printf '%s\n' "$f"; return 0; }
  done
  log "downloading $1 $2"
  (cd "$CACHE" && apt-get download -qq -o APT::Sandbox::User=root "$1=$2") >&2 || return 1
  for f in "$CACHE/${1}_"*.deb; do
    [ -e "$f" ] || continue
    [ "$(dpkg-deb -f "$f" Version 2>/dev/null || true)" = "$2" ] && { printf '%s\n' "$f"; return 0; }
  done
  return 1
}
KBD_DEB=$(cached_deb "$KBD_PKG" "$KBD_VER") || die "could not download $KBD_PKG $KBD_VER"
CDATA_DEB=$(cached_deb "$CDATA_PKG" "$CDATA_VER") || die "could not download $CDATA_PKG $CDATA_VER"
# Keep only the .debs in use.
for f in "$CACHE"/*.deb; do
  [ "$f" = "$DEB" ] || [ "$f" = "$QGA_DEB" ] || [ "$f" = "$KBD_DEB" ] || [ "$f" = "$CDATA_DEB" ] || rm -f "$f"
done
chmod 0644 "$DEB" "$QGA_DEB" "$KBD_DEB" "$CDATA_DEB"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
log "unpacking $(basename "$DEB")"
dpkg-deb -x "$DEB" "$TMP/kernel"

MODDIR=$(find "$TMP/kernel/lib/modules" "$TMP/kernel/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n1 || true)
[ -n "$MODDIR" ] || die "no lib/modules/<version> in $DEB"
UNAME_R=$(basename "$MODDIR")
VMLINUZ="$TMP/kernel/boot/vmlinuz-$UNAME_R"
[ -f "$VMLINUZ" ] || die "no boot/vmlinuz-$UNAME_R in $DEB"

# --- initramfs tree -------------------------------------------------------------
ROOT="$TMP/root"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc/acpi/PWRF,proc,sys,dev,tmp,root,lib/modules,run}
chmod 1777 "$ROOT/tmp"
cp "$BUSYBOX" "$ROOT/bin/busybox"
# Applet symlinks (bin/sh, sbin/init, ...), made by one perl-base process
# rather than hundreds of ln runs.
"$BUSYBOX" --list-full | (cd "$ROOT" && perl -ne '
  chomp; next if $_ eq "" || $_ eq "bin/busybox";
  if (m{^(.*)/[^/]+$} && !-d $1) { system("mkdir", "-p", $1) == 0 or die "mkdir $1\n" }
  unlink $_; symlink("/bin/busybox", $_) or die "symlink $_: $!\n";')
mknod -m 0600 "$ROOT/dev/console" c 5 1
mknod -m 0666 "$ROOT/dev/null" c 1 3

# Modules: resolve each wanted one (skip built-ins), then its dependencies
# (read from the module's own .modinfo "depends=" field, since the package has
# no modules.dep), dependencies first. Compressed modules are decompressed on
# the host so busybox insmod can load them whatever the kernel supports.
declare -A MOD_DONE=()
MOD_ORDER=()
mod_path() { # name -> relative path from modules.order (e.g. kernel/drivers/x.ko)
  local n="${1//-/_}"
  awk -v n="$n" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); gsub(/-/, "_", b);
                   if (b == n) { print; exit } }' "$MODDIR/modules.order"
}
mod_builtin() {
  local n="${1//-/_}"
  awk -v n="$n" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b);
                   if (b == n) { f = 1; exit } } END { exit !f }' "$MODDIR/modules.builtin"
}
mod_file() { # relative path as listed -> actual file (maybe compressed)
  local p="$MODDIR/$1" ext
  for ext in "" .xz .zst .gz; do
    [ -f "$p$ext" ] && { printf '%s\n' "$p$ext"; return 0; }
  done
  return 1
}
decompress_to() { # src dst
  case "$1" in
    *.xz) xz -dc "$1" >"$2" ;;
    *.zst) zstd -qdc "$1" >"$2" ;;
    *.gz) gzip -dc "$1" >"$2" ;;
    *) cp "$1" "$2" ;;
  esac
}
add_module() {
  local name="${1//-/_}" rel file ko deps d
  [ -n "${MOD_DONE[$name]:-}" ] && return 0
  MOD_DONE[$name]=1
  if mod_builtin "$name"; then
    log "module $name: built-in"
    return 0
  fi
  rel=$(mod_path "$name")
  if [ -z "$rel" ] || ! file=$(mod_file "$rel"); then
    log "module $name: neither built-in nor a module in $UNAME_R; skipped"
    return 0
  fi
  ko="$TMP/mods/$name.ko"
  mkdir -p "$TMP/mods"
  decompress_to "$file" "$ko"
  deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p')
  deps=${deps%%$'\n'*}
  for d in ${deps//,/ }; do
    add_module "$d"
  done
  install -D -m 0644 "$ko" "$ROOT/lib/modules/$name.ko"
  MOD_ORDER+=("$name")
  log "module $name: module${deps:+ (depends on $deps)}"
}
for m in $WANT_MODULES; do
  add_module "$m"
done
printf '%s\n' "${MOD_ORDER[@]}" >"$ROOT/etc/modules"

# The guest agent: qemu-ga from its .deb, and the shared libraries it links,
# as this Debian host's ldd resolves them (the same Debian release as the
# .deb), at the same paths, with the dynamic loader.
dpkg-deb -x "$QGA_DEB" "$TMP/qga"
install -D -m 0755 "$TMP/qga/usr/sbin/qemu-ga" "$ROOT/usr/sbin/qemu-ga"
ldd_out=$(ldd "$TMP/qga/usr/sbin/qemu-ga") || die "ldd qemu-ga failed"
if grep -q 'not found' <<<"$ldd_out"; then
  die "qemu-ga needs libraries this host lacks: $(grep 'not found' <<<"$ldd_out" | tr -s ' \t' ' ')"
fi
for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out"); do
  install -D -m 0755 "$(readlink -f "$lib")" "$ROOT$lib"
done
# Console keymaps for busybox loadkmap: kbd's loadkeys, run from its unpacked
# .deb, compiles console-data's keymaps (includes are found beside them, in
# ../include) into the binary format loadkmap reads. -u: Unicode keysyms, as
# the guest's console is in Unicode mode (the kernel's default), so that e.g.
# fr-latin9's euro is U+20AC rather than the Latin-9 byte 0xA4.
dpkg-deb -x "$KBD_DEB" "$TMP/kbd"
dpkg-deb -x "$CDATA_DEB" "$TMP/cdata"
LOADKEYS=$(find "$TMP/kbd" -path '*bin/loadkeys' -type f | head -n1)
[ -n "$LOADKEYS" ] || die "no loadkeys in $(basename "$KBD_DEB")"
install -d -m 0755 "$ROOT/etc/kmap"
for km in $GUEST_KMAPS; do
  src="$TMP/cdata/usr/share/keymaps/i386/${km#*=}.kmap.gz"
  [ -f "$src" ] || die "no keymap ${km#*=} in $(basename "$CDATA_DEB")"
  "$LOADKEYS" -q -u -b "$src" </dev/null >"$ROOT/etc/kmap/${km%%=*}.bmap" ||
    die "loadkeys -b ${km#*=} failed"
  [ "$(head -c 7 "$ROOT/etc/kmap/${km%%=*}.bmap")" = bkeymap ] || die "loadkeys -b ${km#*=} wrote no binary keymap"
done
printf 'PRETTY_NAME="KVM Manager test guest"\nNAME="KVM Manager test guest"\nID=kvmtest\nVERSION_ID=1\n' >"$ROOT/etc/os-release"

cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# KVM Manager test guest: PID 1 sets the machine up, then becomes busybox init.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
echo 1 >/proc/sys/kernel/printk 2>/dev/null  # keep the consoles quiet

# Modules, dependencies first (see /etc/modules).
while read -r m; do
  [ -n "$m" ] || continue
  insmod "/lib/modules/$m.ko" || echo "init: insmod $m failed"
done </etc/modules

hostname kvmtest
ip link set lo up

# A virtio NIC: ask for a lease in the background; boot does not wait for it
# (see /etc/udhcpc.script for what happens once there is one).
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  udhcpc -f -i eth0 -s /etc/udhcpc.script -x hostname:kvmtest </dev/null >/dev/null 2>&1 &
fi

# The guest agent, when the VM has its virtio-serial channel.
/sbin/start-qemu-ga

# acpid reads /dev/input/event*, found once at start: wait for the power button
# (ACPI "button" module) to appear as an input device first.
for _ in $(seq 1 100); do
  grep -qs 'Power Button' /sys/class/input/*/name && ls /dev/input/event* >/dev/null 2>&1 && break
  usleep 20000
done
# kvmtest.noacpi on the kernel command line makes a guest that ignores ACPI
# power-button requests, for testing what happens when a guest does that.
if grep -qw kvmtest.noacpi /proc/cmdline; then
  echo "init: kvmtest.noacpi: not starting acpid" >/dev/ttyS1
else
  acpid -c /etc/acpi -l /tmp/acpid.log
fi

exec /sbin/init
EOF

cat >"$ROOT/etc/inittab" <<'EOF'
# busybox init: root shells on the VGA console and the first serial port.
tty1::respawn:-/bin/sh
ttyS0::respawn:-/bin/sh
::once:/etc/ready
::ctrlaltdel:/sbin/poweroff -f
EOF

cat >"$ROOT/etc/ready" <<'EOF'
#!/bin/sh
# Prints the readiness line once a shell runs on tty1 and on ttyS0.
# ttyS1 is output-only (the host logs it to a file): tests type commands on the
# ttyS0 console and redirect what they want to read back there, e.g.
#   echo "RESULT $((6*7))" >/dev/ttyS1
for _ in $(seq 1 250); do
  have=""
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = sh ] || continue
    case "$(readlink "$p/fd/0" 2>/dev/null)" in
      /dev/tty1) have="$have tty1" ;;
      /dev/ttyS0) have="$have ttyS0" ;;
    esac
  done
  case "$have" in *tty1*) case "$have" in *ttyS0*) break ;; esac ;; esac
  usleep 20000
done
line="KVMTEST-READY boot=$(cat /proc/sys/kernel/random/boot_id)"
echo "$line" >/dev/ttyS1
echo "$line" >/dev/ttyS0
EOF

cat >"$ROOT/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# busybox udhcpc calls this with the lease in the environment.
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    echo "KVMTEST-DHCP $interface ip=$ip/$mask" >/dev/ttyS1
    ;;
esac
exit 0
EOF

cat >"$ROOT/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
# ACPI power button (virsh shutdown): power off at once.
echo "KVMTEST-POWEROFF acpi" >/dev/ttyS1
poweroff -f
EOF

cat >"$ROOT/sbin/start-qemu-ga" <<'EOF'
#!/bin/sh
# Starts qemu-ga when the VM has its virtio-serial channel (there is no udev
# here, so the port is found by its name in sysfs). /init runs it at boot;
# tests run it again after stopping the agent.
for p in /sys/class/virtio-ports/*; do
  [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
  if qemu-ga -d -m virtio-serial -p "/dev/${p##*/}" -f /run/qemu-ga.pid -t /run; then
    echo "KVMTEST-AGENT started" >/dev/ttyS1
  else
    echo "KVMTEST-AGENT failed" >/dev/ttyS1
  fi
done
EOF

cat >"$ROOT/sbin/shutdown" <<'EOF'
#!/bin/sh
# qemu-ga's guest-shutdown runs /sbin/shutdown -P|-H|-r +0 MESSAGE (busybox
# has no shutdown applet): power off (or reboot) at once.
echo "KVMTEST-POWEROFF agent $1" >/dev/ttyS1
case "$1" in
  -r) reboot -f ;;
  *) poweroff -f ;;
esac
EOF

cat >"$ROOT/sbin/kbdreset" <<'EOF'
#!/bin/sh
# Back to the keyboard layout the guest booted with, for the layout test
# (test/e2e/keymap.spec.ts), which runs this before and after it switches the
# VGA console to /etc/kmap/<layout>.bmap with loadkmap. The first run saves
# the boot layout (nothing has switched it before); later runs load it. The
# name has only keys that type the same letters on US, German and French
# keyboards (no a, m, q, w, y, z), so it can be typed whatever layout a failed
# run left behind.
if [ -e /run/kmap.boot ]; then
  loadkmap </run/kmap.boot || exit 1
else
  dumpkmap >/run/kmap.boot.new && mv /run/kmap.boot.new /run/kmap.boot || exit 1
fi
echo "KVMTEST-KBDRESET" >/dev/ttyS1
EOF

cat >"$ROOT/etc/profile" <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root
export PS1='kvmtest# '
cd /root
EOF
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$ROOT/etc/group"
printf 'kvmtest\n' >"$ROOT/etc/hostname"
chmod 0755 "$ROOT/init" "$ROOT/sbin/start-qemu-ga" "$ROOT/sbin/shutdown" "$ROOT/sbin/kbdreset" "$ROOT/etc/ready" "$ROOT/etc/acpi/PWRF/00000080" "$ROOT/etc/udhcpc.script"

# --- write the outputs ----------------------------------------------------------
(cd "$ROOT" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) |
  gzip -6n >"$TMP/initramfs.gz"
install -m 0644 "$VMLINUZ" "$OUT/vmlinuz.new"
install -m 0644 "$TMP/initramfs.gz" "$OUT/initramfs.gz.new"
mv -f "$OUT/vmlinuz.new" "$OUT/vmlinuz"
mv -f "$OUT/initramfs.gz.new" "$OUT/initramfs.gz"
# The release comes from the package's own lib/modules/<release> folder, the
# one the guest kernel reports: tests compare with this file, never with a
# version written into them (Debian moves the cloud kernel on).
printf '%s\n' "$UNAME_R" >"$OUT/kernel.release.new"
chmod 0644 "$OUT/kernel.release.new"
mv -f "$OUT/kernel.release.new" "$OUT/kernel.release"
printf '%s\n' "$STAMP" >"$OUT/build.stamp"
chmod 0644 "$OUT/build.stamp"
chmod 0755 "$OUT" "$CACHE"
log "built from $KPKG $KVER (kernel $UNAME_R), modules: ${MOD_ORDER[*]:-none}, keymaps: $GUEST_KMAPS"
print_outputs
