#!/usr/bin/env bash
# make deb: builds dist/kvm-manager_VERSION_ARCH.deb with dpkg-deb from the
# files in packaging/ (docs/design-notes.md says why dpkg-deb, not nfpm).
#
# A release build: the version comes from the git tag (git describe), the
# binary is built with -trimpath and an empty build id, and every time
# stamp is SOURCE_DATE_EPOCH (default: the last commit's time), so that two
# builds of one commit are byte-identical (scripts/test-deb.sh checks it).
#
#   scripts/deb.sh [OUTDIR]      OUTDIR defaults to dist/
# Environment: SKIP_WEB=1 uses the web/dist already built.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
out=${1:-dist}
mkdir -p "$out"

# Debian versions start with a digit: v1.2.3 -> 1.2.3, v1.2.3-4-gabc ->
# 1.2.3+4.gabc, no tag at all -> 0~git.abc.
desc=$(git describe --tags --always --dirty 2>/dev/null || echo unknown)
if tag=$(git describe --tags --dirty 2>/dev/null) &&
  [[ $tag =~ ^v?([0-9][0-9A-Za-z.~+]*)(-([0-9]+)-g([0-9a-f]+))?(-dirty)?$ ]]; then
  version=${BASH_REMATCH[1]}
  [ -n "${BASH_REMATCH[3]}" ] && version+="+${BASH_REMATCH[3]}.g${BASH_REMATCH[4]}"
  [ -n "${BASH_REMATCH[5]}" ] && version+=".dirty"
else
  version="0~git.${desc}"
fi
version=${version//-dirty/.dirty}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
arch=$(dpkg --print-architecture)

if [ "${SKIP_WEB:-}" != 1 ]; then
  scripts/node-deps.sh web >/dev/null
  scripts/web-build.sh >/dev/null
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
pkg="$root/pkg"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/etc/kvm-manager" "$pkg/lib/systemd/system" \
  "$pkg/usr/share/doc/kvm-manager" "$pkg/usr/share/lintian/overrides" "$pkg/var/lib/kvm-manager"
chmod 0700 "$pkg/var/lib/kvm-manager"

# The binary: static (no cgo), reproducible.
CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags builtinassets \
  -ldflags "-s -w -buildid= -X main.version=$desc" -o "$pkg/usr/bin/kvm-manager" ./cmd/kvm-manager

install -m 0644 packaging/config.json packaging/config.example.jsonc "$pkg/etc/kvm-manager/"
install -m 0644 packaging/kvm-manager.service "$pkg/lib/systemd/system/"
install -m 0644 packaging/debian/copyright "$pkg/usr/share/doc/kvm-manager/"
install -m 0644 packaging/debian/lintian-overrides "$pkg/usr/share/lintian/overrides/kvm-manager"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$pkg/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$pkg/DEBIAN/"
# A changelog is required of every package; this one names the commit.
{
  printf 'kvm-manager (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n' "$version" "$desc"
  printf ' -- KVM Manager <maintainers@kvm-manager.example.org>  %s\n' "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$pkg/usr/share/doc/kvm-manager/changelog.gz"
chmod 0644 "$pkg/usr/share/doc/kvm-manager/changelog.gz"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: kvm-manager
Version: $version
Architecture: $arch
Maintainer: KVM Manager <maintainers@kvm-manager.example.org>
Installed-Size: $size
Depends: adduser, libvirt-clients
Recommends: libvirt-daemon-system
Section: admin
Priority: optional
Description: web UI and JSON API for QEMU/KVM virtual machines
 KVM Manager is one program that serves a web UI and a JSON API for the
 virtual machines of one or more libvirt hosts: live dashboard and
 statistics, power control, graphical and serial consoles in the browser,
 snapshots, storage and networks, an audit log and Prometheus metrics.
 .
 It runs as the system user kvm-manager (in group libvirt) under a
 hardened systemd unit; enable it with: systemctl enable --now kvm-manager
CONTROL
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/control"

# Every time stamp is SOURCE_DATE_EPOCH; dpkg-deb uses it for the archive
# members and clamps the files' times to it.
find "$pkg" -exec touch --no-dereference -d "@$SOURCE_DATE_EPOCH" {} +
deb="$out/kvm-manager_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip -z9 --build "$pkg" "$deb" >/dev/null
echo "$deb"
