#!/usr/bin/env bash
# Builds the test guest as installation media, for the VM creation tests:
#   OUTPUT_DIR/media/testguest.iso    a BIOS-bootable ISO (grub-mkrescue, El Torito
#                                     and a hybrid MBR), booting the test guest's
#                                     kernel with its initramfs plus nocloud.cpio.gz
#   OUTPUT_DIR/media/testguest.qcow2  the same image as a bootable disk (the ISO
#                                     is hybrid: a BIOS boots it as a hard disk too),
#                                     used as the "cloud image"
#   OUTPUT_DIR/media/nocloud.cpio.gz  the extra initramfs: the CD-ROM drivers and a
#                                     tiny NoCloud reader
# It first runs scripts/build-test-guest.sh (kernel and initramfs, unchanged) and
# takes the CD-ROM modules from the kernel .deb that script cached.
#
# The NoCloud reader (/etc/nocloud, run by busybox init as sysinit before the
# shells) loads the SATA/SCSI CD-ROM and ISO 9660 drivers, mounts each CD-ROM
# read-only, and on the first one holding meta-data (a cloud-init "cidata" seed):
#   * sets the hostname from meta-data's local-hostname;
#   * from a "#cloud-config" user-data, writes each write_files entry given as
#     one-line "path:" and "content:" keys, and runs each "runcmd" entry that is
#     a single-line string;
#   * prints "KVMTEST-NOCLOUD hostname=<name>" on ttyS0 (and ttyS1 when logged).
# This proves the seed image and its contents, not cloud-init itself.
#
# Usage: scripts/build-test-guest-media.sh [OUTPUT_DIR]   (as root; idempotent)
set -euo pipefail

log() { printf 'build-test-guest-media: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${1:-${GUEST_DIR:-/var/lib/libvirt/images/kvm-manager-test}}"
"$HERE/build-test-guest.sh" "$OUT" >/dev/null
MEDIA="$OUT/media"
for t in grub-mkrescue xorriso mformat; do
  command -v "$t" >/dev/null 2>&1 || die "$t is missing: run scripts/setup-libvirt.sh"
done
[ -d /usr/lib/grub/i386-pc ] || die "grub-pc-bin is missing: run scripts/setup-libvirt.sh"

# In load order, dependencies first (scsi_common: see each .ko's depends=).
MODULES="scsi_common scsi_mod libata libahci ahci cdrom sr_mod isofs"
SCRIPT_SUM=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
STAMP="guest=$(sha256sum "$OUT/vmlinuz" "$OUT/initramfs.gz" | cut -d' ' -f1 | tr '\n' ' ')
script=$SCRIPT_SUM"

install -d -m 0755 "$MEDIA"
exec 9>"$MEDIA/.build.lock"
flock 9
if [ -z "${FORCE:-}" ] && [ -s "$MEDIA/testguest.iso" ] && [ -s "$MEDIA/testguest.qcow2" ] &&
  [ "$(cat "$MEDIA/build.stamp" 2>/dev/null)" = "$STAMP" ]; then
  log "up to date"
  printf '%s\n' "$MEDIA/testguest.iso" "$MEDIA/testguest.qcow2"
  exit 0
fi

DEB=$(ls "$OUT"/cache/linux-image-*.deb 2>/dev/null | head -n1)
[ -n "$DEB" ] || die "no kernel .deb in $OUT/cache (scripts/build-test-guest.sh keeps it there)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
dpkg-deb -x "$DEB" "$TMP/kernel"
MODDIR=$(find "$TMP/kernel/lib/modules" "$TMP/kernel/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n1 || true)
[ "$(basename "$MODDIR")" = "$(cat "$OUT/kernel.release")" ] || die "the cached kernel .deb is not the guest's kernel"

ROOT="$TMP/root"
mkdir -p "$ROOT/lib/modules/cd" "$ROOT/etc" "$ROOT/mnt"
order=()
for m in $MODULES; do
  rel=$(awk -v n="$m" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); if (b == n) { print; exit } }' "$MODDIR/modules.order")
  [ -n "$rel" ] || { log "module $m: not a module here (built in?), skipped"; continue; }
  f=""
  for ext in "" .xz .zst .gz; do [ -f "$MODDIR/$rel$ext" ] && { f="$MODDIR/$rel$ext"; break; }; done
  [ -n "$f" ] || die "module $m: no file for $rel"
  case "$f" in
    *.xz) xz -dc "$f" >"$ROOT/lib/modules/cd/$m.ko" ;;
    *.zst) zstd -qdc "$f" >"$ROOT/lib/modules/cd/$m.ko" ;;
    *.gz) gzip -dc "$f" >"$ROOT/lib/modules/cd/$m.ko" ;;
    *) cp "$f" "$ROOT/lib/modules/cd/$m.ko" ;;
  esac
  for d in $(tr '\0' '\n' <"$ROOT/lib/modules/cd/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
    printf '%s\n' "${order[@]}" | grep -qx "$d" || die "module $m needs $d: add it to MODULES before $m"
  done
  order+=("$m")
done
printf '%s\n' "${order[@]}" >"$ROOT/lib/modules/cd/order"

# busybox init runs sysinit entries first and waits for them.
cat >"$ROOT/etc/inittab" <<'EOT'
# busybox init: the NoCloud reader, then root shells on the VGA console and ttyS0.
::sysinit:/etc/nocloud
tty1::respawn:-/bin/sh
ttyS0::respawn:-/bin/sh
::once:/etc/ready
::ctrlaltdel:/sbin/poweroff -f
EOT

cat >"$ROOT/etc/nocloud" <<'EOT'
#!/bin/sh
# A tiny NoCloud reader (see scripts/build-test-guest-media.sh).
say() {
  echo "$*" >/dev/ttyS0
  [ -e /sys/class/tty/ttyS1 ] && echo "$*" >/dev/ttyS1 2>/dev/null
}
while read -r m; do
  [ -n "$m" ] && insmod "/lib/modules/cd/$m.ko" 2>/dev/null
done </lib/modules/cd/order
# The drives appear asynchronously once AHCI probes: wait up to 3 s.
for _ in $(seq 1 150); do
  ls /dev/sr* >/dev/null 2>&1 && break
  usleep 20000
done
usleep 200000
for dev in /dev/sr*; do
  [ -b "$dev" ] || continue
  mount -t iso9660 -o ro "$dev" /mnt 2>/dev/null || continue
  if [ -f /mnt/meta-data ]; then
    name=$(sed -n 's/^local-hostname:[ ]*//p' /mnt/meta-data | tr -d "\"'\r")
    [ -n "$name" ] && hostname "$name" && echo "$name" >/etc/hostname
    if head -n1 /mnt/user-data 2>/dev/null | grep -q '^#cloud-config'; then
      awk '
        /^[a-z_]+:/ { section = $1; sub(/:$/, "", section) }
        section == "write_files" && /^ *- *path:/ { p = $0; sub(/^ *- *path: */, "", p); gsub(/["\047]/, "", p) }
        section == "write_files" && /^ *content:/ { c = $0; sub(/^ *content: */, "", c); gsub(/^["\047]|["\047]$/, "", c); if (p != "") print "W\t" p "\t" c; p = "" }
        section == "runcmd" && /^ *- / { c = $0; sub(/^ *- */, "", c); gsub(/^["\047]|["\047]$/, "", c); print "R\t" c }
      ' /mnt/user-data >/tmp/nocloud.plan
      while IFS="$(printf '\t')" read -r kind a b; do
        case "$kind" in
          W) mkdir -p "$(dirname "$a")"; printf '%s\n' "$b" >"$a" ;;
          R) sh -c "$a" ;;
        esac
      done </tmp/nocloud.plan
    fi
    umount /mnt
    say "KVMTEST-NOCLOUD hostname=$(hostname)"
    exit 0
  fi
  umount /mnt
done
exit 0
EOT
chmod 0755 "$ROOT/etc/nocloud"
(cd "$ROOT" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6n >"$TMP/nocloud.cpio.gz"

ISO="$TMP/iso"
mkdir -p "$ISO/boot/grub"
cp "$OUT/vmlinuz" "$ISO/vmlinuz"
cp "$OUT/initramfs.gz" "$ISO/initramfs.gz"
cp "$TMP/nocloud.cpio.gz" "$ISO/nocloud.gz"
cat >"$ISO/boot/grub/grub.cfg" <<'EOT'
set timeout=0
serial --unit=0 --speed=115200
terminal_output console
menuentry "KVM Manager test guest" {
  linux /vmlinuz console=tty1 console=ttyS0 quiet no_timer_check
  initrd /initramfs.gz /nocloud.gz
}
EOT
grub-mkrescue -o "$TMP/testguest.iso" "$ISO" -- -volid KVMTEST >"$TMP/mkrescue.log" 2>&1 ||
  die "grub-mkrescue failed: $(tail -n5 "$TMP/mkrescue.log")"
qemu-img convert -q -f raw -O qcow2 "$TMP/testguest.iso" "$TMP/testguest.qcow2"
install -m 0644 "$TMP/nocloud.cpio.gz" "$MEDIA/nocloud.cpio.gz"
install -m 0644 "$TMP/testguest.iso" "$MEDIA/testguest.iso.new" && mv -f "$MEDIA/testguest.iso.new" "$MEDIA/testguest.iso"
install -m 0644 "$TMP/testguest.qcow2" "$MEDIA/testguest.qcow2.new" && mv -f "$MEDIA/testguest.qcow2.new" "$MEDIA/testguest.qcow2"
printf '%s\n' "$STAMP" >"$MEDIA/build.stamp"
log "built (modules: ${order[*]})"
printf '%s\n' "$MEDIA/testguest.iso" "$MEDIA/testguest.qcow2"
