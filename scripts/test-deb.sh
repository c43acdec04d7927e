#!/usr/bin/env bash
# The Debian package, end to end on this machine (issue 19): builds it twice
# (byte-identical), checks its contents and metadata, lints it, verifies the
# unit, installs it, starts the binary as the unit's ExecStart does as user
# kvm-manager, logs in and lists VMs, runs `kvm-manager check` as that user,
# then removes (data kept) and purges it (data gone). It leaves the machine
# as it found it: the package purged, the user removed, and a data dir of
# another KVM Manager (make demo, as root) put back.
#
# Without systemd here the unit's sandbox (ProtectSystem and the rest) is
# not applied: systemd-analyze verify checks the unit, and the start below
# runs its ExecStart with its User= and Group=.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
t0=$SECONDS
log() { printf 'test-deb: [%3ds] %s\n' $((SECONDS - t0)) "$*"; }
# A failure anywhere says where, also one without a message of its own.
trap 'printf "test-deb: FAIL: line %s: %s (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR
fail() { printf 'test-deb: FAIL: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root (it installs and purges the package)"

# lintian and systemd-analyze (the systemd package installs without
# running systemd: Debian's containers do so; nothing is started).
need=()
command -v lintian >/dev/null || need+=(lintian)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
if dpkg -s kvm-manager >/dev/null 2>&1; then
  fail "a kvm-manager package is installed here: this test installs and purges its own; remove it first (dpkg -r kvm-manager)"
fi
if getent passwd kvm-manager >/dev/null; then
  fail "user kvm-manager exists without the package: remove it first (deluser --system kvm-manager)"
fi

work=$(mktemp -d)
saved=""
server=""
cleanup() {
  set +e
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  dpkg -P kvm-manager >/dev/null 2>&1
  getent passwd kvm-manager >/dev/null && deluser --system kvm-manager >/dev/null 2>&1
  getent group kvm-manager >/dev/null && delgroup --system kvm-manager >/dev/null 2>&1
  if [ -n "$saved" ]; then
    rm -rf /var/lib/kvm-manager
    mv "$saved" /var/lib/kvm-manager
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# make demo keeps root's data in /var/lib/kvm-manager: out of the way of
# the purge, and back afterwards.
if [ -e /var/lib/kvm-manager ]; then
  saved=/var/lib/kvm-manager.saved-by-test-deb.$$
  mv /var/lib/kvm-manager "$saved"
fi

log "build twice: the two packages must be byte-identical"
[ -d web/dist ] || { scripts/node-deps.sh web >/dev/null && scripts/web-build.sh >/dev/null; }
deb=$(SKIP_WEB=1 scripts/deb.sh "$work/a")
deb2=$(SKIP_WEB=1 scripts/deb.sh "$work/b")
cmp "$deb" "$deb2" || fail "two builds of one commit differ: $(sha256sum "$deb" "$deb2")"

log "contents and metadata"
contents=$(dpkg-deb -c "$deb")
for want in \
  '-rwxr-xr-x root/root .* ./usr/bin/kvm-manager$' \
  '-rw-r--r-- root/root .* ./etc/kvm-manager/config.json$' \
  '-rw-r--r-- root/root .* ./etc/kvm-manager/config.example.jsonc$' \
  '-rw-r--r-- root/root .* ./lib/systemd/system/kvm-manager.service$' \
  'drwx------ root/root .* ./var/lib/kvm-manager/$'; do
  grep -Eq -- "$want" <<<"$contents" || fail "dpkg-deb -c has no line matching $want:"$'\n'"$contents"
done
info=$(dpkg-deb -I "$deb")
for want in '^ Package: kvm-manager$' '^ Depends: .*libvirt-clients' '^ Recommends: libvirt-daemon-system$' \
  '^ Version: [0-9]' ' conffiles ' ' postinst ' ' postrm '; do
  grep -Eq -- "$want" <<<"$info" || fail "dpkg-deb -I has no line matching $want:"$'\n'"$info"
done
[ "$(dpkg-deb -f "$deb" Version)" != "" ] || fail "no version"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -x /etc/kvm-manager/config.json >/dev/null || fail "config.json is not a conffile"

log "lintian (no errors)"
lint_rc=0
lint=$(lintian --fail-on error "$deb" 2>&1) || lint_rc=$?
grep -v 'running with root privileges' <<<"$lint" || true
[ "$lint_rc" = 0 ] || fail "lintian reports errors (above)"

log "dpkg -i"
dpkg -i "$deb" >/dev/null
id -nG kvm-manager | tr ' ' '\n' | grep -x libvirt >/dev/null || fail "user kvm-manager is not in group libvirt: $(id kvm-manager)"
[ "$(stat -c '%U %a' /var/lib/kvm-manager)" = "kvm-manager 700" ] || fail "/var/lib/kvm-manager: $(stat -c '%U %a' /var/lib/kvm-manager), want kvm-manager 700"
unit=/lib/systemd/system/kvm-manager.service

log "systemd-analyze verify"
if ! out=$(systemd-analyze verify "$unit" 2>&1) || grep -v -e 'libvirtd.service' <<<"$out" | grep . >/dev/null; then
  fail "systemd-analyze verify $unit:"$'\n'"$out"
fi
for want in ProtectSystem=strict ReadWritePaths=/var/lib/kvm-manager NoNewPrivileges=true PrivateTmp=true \
  CapabilityBoundingSet= Restart=on-failure User=kvm-manager; do
  grep -qx -- "$want" "$unit" || fail "the unit lacks $want"
done

log "start as the unit does, as user kvm-manager"
# An admin's edit of the conffile: a free port on loopback.
sed -i 's/"127.0.0.1:8080"/"127.0.0.1:0"/' /etc/kvm-manager/config.json
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
# shellcheck disable=SC2086 # ExecStart is words without quotes
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/kvm-manager \
  setpriv --reuid=kvm-manager --regid=kvm-manager --init-groups $exec_start >"$work/out" 2>"$work/err" &
server=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/login\?token=[A-Za-z0-9_-]+' "$work/out" || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || fail "the server exited:"$'\n'"$(tail -20 "$work/err")"
  sleep 0.1
done
[ -n "$url" ] || fail "no login URL within 30 s:"$'\n'"$(cat "$work/out")"$'\n'"$(tail -20 "$work/err")"
base=${url%%/login*}
[ "$(ps -o user= -p "$server")" = kvm-manager ] || fail "the server runs as $(ps -o user= -p "$server")"
jar="$work/cookies"
curl -sf -c "$jar" -o /dev/null "$url" || fail "login with the printed URL failed"
hosts=""
for _ in $(seq 1 300); do
  hosts=$(curl -sf -b "$jar" "$base/api/v1/hosts" || true)
  grep -q '"state":"connected"' <<<"$hosts" && break
  sleep 0.1
done
grep -q '"state":"connected"' <<<"$hosts" || fail "host local not connected as user kvm-manager: $hosts"$'\n'"$(tail -20 "$work/err")"
vms=$(curl -sf -b "$jar" "$base/api/v1/vms") || fail "GET /api/v1/vms failed"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d["vms"], list)' <<<"$vms" || fail "GET /api/v1/vms: $vms"
# A VM that libvirt lists (as root) is in the list, unless it went away
# meanwhile (other programs' VMs come and go).
want=$(virsh -q -c qemu:///system list --all --uuid | sed -n 1p)
if [ -n "$want" ]; then
  vms=$(curl -sf -b "$jar" "$base/api/v1/vms")
  grep -q "$want" <<<"$vms" || ! virsh -q -c qemu:///system dominfo "$want" >/dev/null 2>&1 ||
    fail "VM $want that libvirt lists is not in GET /api/v1/vms as user kvm-manager"
fi
log "listed $(grep -o '"uuid"' <<<"$vms" | wc -l) VMs as user kvm-manager"
[ "$(stat -c %U /var/lib/kvm-manager/audit.log)" = kvm-manager ] || fail "the audit log is not the service user's"

log "kvm-manager check as user kvm-manager"
run_as() { env -i PATH=/usr/bin:/bin HOME=/var/lib/kvm-manager setpriv --reuid=kvm-manager --regid=kvm-manager --init-groups "$@"; }
run_as /usr/bin/kvm-manager check --config /etc/kvm-manager/config.json >"$work/check" 2>&1 || fail "check failed:"$'\n'"$(cat "$work/check")"
grep -q 'host local: qemu:///system reachable, libvirt' "$work/check" || fail "check output:"$'\n'"$(cat "$work/check")"
# What the service user cannot use fails, and says so.
if run_as /usr/bin/kvm-manager check --config /etc/kvm-manager/config.json --data-dir /root/kvm-manager-test-deb >"$work/check2" 2>&1; then
  fail "check passed with a data dir the user cannot make:"$'\n'"$(cat "$work/check2")"
fi
grep -q 'FAIL data dir /root/kvm-manager-test-deb' "$work/check2" || fail "check output:"$'\n'"$(cat "$work/check2")"
[ "$(run_as /usr/bin/kvm-manager version)" = "kvm-manager $(git describe --tags --always --dirty)" ] || fail "kvm-manager version: $(run_as /usr/bin/kvm-manager version)"

kill "$server"
wait "$server" || true
server=""

log "dpkg -r keeps the data and the configuration"
dpkg -r kvm-manager >/dev/null
[ -f /var/lib/kvm-manager/audit.log ] || fail "dpkg -r removed the data dir"
[ -f /etc/kvm-manager/config.json ] || fail "dpkg -r removed the conffile"
[ ! -e /usr/bin/kvm-manager ] || fail "dpkg -r left the binary"

log "dpkg -P removes them"
dpkg -P kvm-manager >/dev/null
[ ! -e /var/lib/kvm-manager ] || fail "dpkg -P left /var/lib/kvm-manager"
[ ! -e /etc/kvm-manager ] || fail "dpkg -P left /etc/kvm-manager"
log "ok"
