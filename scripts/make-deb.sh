#!/usr/bin/env bash
# Builds dist/gatewayd_<version>_<arch>.deb (make deb): a release build with the Swift runtime
# linked in, staged with `make install`, stripped, with control data whose Depends are computed
# from the binary (dpkg-shlibdeps) and the maintainer scripts in packaging/deb/.
#
#   SCRATCH=.build-release scripts/make-deb.sh    # SwiftPM scratch directory (default .build)
#
# Version: a VERSION file if there is one, else `git describe` of a v<semver> tag (v1.2.0 →
# 1.2.0, 3 commits later → 1.2.0+3.g<hash>), else `gatewayd --version` + git<commits>.g<hash>
# (commit count first, so later commits sort higher); `.dirty` when tracked files differ from
# HEAD. DEB_MAINTAINER overrides the maintainer (default: git config user.name/email).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
SWIFT=${SWIFT:-swift}
SCRATCH=${SCRATCH:-.build}

scripts/install-deps.sh deb
start=$(date +%s)
# Only the gatewayd product (what `make release` builds, without case-server).
# shellcheck disable=SC2046  # the flags are words
"$SWIFT" build $(cat "$(dirname "$0")/release-flags") --scratch-path "$SCRATCH" --product gatewayd
echo "make-deb: release build took $(( $(date +%s) - start )) s"
bin=$("$SWIFT" build -c release --scratch-path "$SCRATCH" --show-bin-path)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants a source tree (debian/control) with the package staged in debian/<pkg>.
root=$work/debian/gatewayd
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
make -s install DESTDIR="$root" CONFIG=release SCRATCH="$SCRATCH" SWIFT="$SWIFT" >/dev/null
before=$(stat -c %s "$root/usr/bin/gatewayd")
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/gatewayd"
echo "make-deb: gatewayd $before bytes, stripped $(stat -c %s "$root/usr/bin/gatewayd") bytes"

# --- version ---------------------------------------------------------------------------------
base=$("$root/usr/bin/gatewayd" --version)
if [ -f VERSION ]; then
  version=$(tr -d '[:space:]' < VERSION)
elif desc=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
  version=$(sed -E 's/^v//; s/-([0-9]+)-g([0-9a-f]+)$/+\1.g\2/' <<<"$desc")
elif hash=$(git rev-parse --short HEAD 2>/dev/null); then
  version="$base+git$(git rev-list --count HEAD).g$hash"
else
  version=$base
fi
if [ ! -f VERSION ] && git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  version="$version.dirty"
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "make-deb: '$version' is not a Debian version" >&2; exit 1; }
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-"$(git config user.name 2>/dev/null || echo gatewayd maintainers) <$(git config user.email 2>/dev/null || echo root@localhost)>"}

# --- what Debian wants next to the package's files (a native package: changelog.gz) ----------
date_r=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'gatewayd (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' \
  "$version" "$(git describe --always --dirty 2>/dev/null || echo 'a source tree')" "$maintainer" "$date_r" \
  | gzip -9n > "$root/usr/share/doc/gatewayd/changelog.gz"
chmod 0644 "$root/usr/share/doc/gatewayd/changelog.gz"
install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/gatewayd"

# --- Depends: the shared libraries the binary needs, and the packages that ship them ----------
# (libzbar0, libusb-1.0-0 and libgps28 are named below: gatewayd loads zbar with dlopen only to
# scan images, libusb only for an NFC reader with backend = "usb", and libgps only when [gps] is
# configured, so dpkg-shlibdeps sees none of them.)
mkdir -p "$work/debian"
printf 'Source: gatewayd\nMaintainer: %s\n\nPackage: gatewayd\nArchitecture: any\n' "$maintainer" > "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O debian/gatewayd/usr/bin/gatewayd 2>"$work/shlibdeps.err") \
  || { cat "$work/shlibdeps.err" >&2; exit 1; }
shlibs=${shlibs#shlibs:Depends=}
[ -n "$shlibs" ] || { echo "make-deb: dpkg-shlibdeps found no libraries" >&2; exit 1; }
echo "make-deb: libraries: $shlibs"
rm -f "$work/debian/control"
# Programs the unit runs besides gatewayd (ExecReload=/bin/kill ...) are needed too: their packages.
unit_pkgs=
for prog in $(sed -nE 's/^Exec[A-Za-z]*=[-@:+!]*([^ ]+).*/\1/p' "$root/lib/systemd/system/gatewayd.service" | sort -u); do
  [ "$prog" = /usr/bin/gatewayd ] && continue
  pkg=$( { dpkg -S "$prog" 2>/dev/null || dpkg -S "${prog#/usr}" 2>/dev/null || dpkg -S "/usr$prog" 2>/dev/null; } \
         | head -1 | sed -E 's/: .*//; s/,.*//; s/:[a-z0-9]+$//')
  [ -n "$pkg" ] || { echo "make-deb: no package ships $prog, which the unit runs" >&2; exit 1; }
  case " $unit_pkgs " in *" $pkg "*) ;; *) unit_pkgs="$unit_pkgs $pkg" ;; esac
done
for pkg in $unit_pkgs; do shlibs="$shlibs, $pkg"; done
echo "make-deb: the unit runs programs from:${unit_pkgs:- (none)}"

# --- control data -----------------------------------------------------------------------------
mkdir -p "$root/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: gatewayd
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $shlibs, libzbar0, libusb-1.0-0, libgps28, ca-certificates, systemd | systemd-sysusers
Recommends: udev, fonts-noto-cjk
Suggests: tpm2-openssl, tpm2-tools
Section: net
Priority: optional
Description: scanner gateway: seals tag scans and delivers them to a case server
 gatewayd reads the tag readers attached to a scanner terminal or kiosk (barcode
 and QR scanners, RFID badge readers), turns every scan into a capture event,
 seals it with HPKE (RFC 9180) to the case server's public key, keeps it in a
 durable SQLite spool and delivers it over HTTPS.
 .
 This package holds the daemon (Swift runtime linked in), its systemd unit,
 sysusers file and udev rules, a modprobe blacklist that keeps the kernel's NFC
 driver off the NFC readers, a commented configuration and a man page. The
 service is not enabled on installation: it needs its keys first (gatewayd(8)).
EOF
printf '%s\n' /etc/gatewayd/gatewayd.toml /etc/modprobe.d/gatewayd-nfc.conf > "$root/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$root/DEBIAN/"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p dist
deb=dist/gatewayd_${version}_${arch}.deb
rm -f dist/gatewayd_*.deb   # one package in dist/, so `apt install ./dist/gatewayd_*.deb` is unambiguous
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "make-deb: $deb ($(( $(stat -c %s "$deb") / 1024 )) KiB, installed $installed_size KiB)"
