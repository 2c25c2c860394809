#!/usr/bin/env bash
# Installs what building, the demo and the tests need on Debian 12, and nothing that is there
# already. Safe to run again. Usage: scripts/install-deps.sh [build|test|deb|profile]
set -euo pipefail
what=${1:-build}

# python3: make install writes the man page with scripts/gen-manpage.py. libpcsclite-dev and
# libusb-1.0-0-dev: the NFC readers' headers; libgps-dev: gpsd's client library's header;
# libssl-dev: OpenSSL 3's, for a device key in a TPM (the libraries are loaded only when used).
apt_pkgs=(libsqlite3-dev libudev-dev libzbar-dev zlib1g-dev libpcsclite-dev libusb-1.0-0-dev libgps-dev libssl-dev openssl pkg-config python3)
if [ "$what" = deb ] || [ "$what" = test ]; then
  # make deb: dpkg-shlibdeps (the package's Depends), strip, dpkg-deb.
  apt_pkgs+=(dpkg-dev binutils xz-utils)
fi
if [ "$what" = test ]; then
  # System tests: a QEMU guest with the stock Debian kernel and the host's udevd (tests/vm);
  # qrencode and zint draw the barcodes zbar is tested on.
  apt_pkgs+=(python3 qemu-system-x86 linux-image-amd64 busybox-static kmod cpio udev qrencode zint gpsd gpsd-clients python3-gps systemd gcc)
  # test_install checks the man page with man --warnings; test_deb installs the .deb in a fresh
  # Debian 12 made by debootstrap.
  apt_pkgs+=(man-db debootstrap)
  # test_durable_commits counts the fsyncs of the real processes.
  apt_pkgs+=(strace)
  # test_kiosk drives the kiosk page in headless Chromium (selenium below); DejaVu for its text,
  # Noto CJK for the page in Simplified Chinese (test_talk checks the glyphs are drawn).
  apt_pkgs+=(chromium chromium-driver fonts-dejavu-core fonts-noto-cjk)
  # The NFC readers without hardware: pcscd with libccid and vsmartcard's virtual reader (PC/SC,
  # pcsc-tools to look), umockdev replaying USB traffic to the libusb backend.
  apt_pkgs+=(pcscd libccid vsmartcard-vpcd pcsc-tools umockdev)
  # A device key in a TPM without one: swtpm (a software TPM 2.0), OpenSSL's tpm2 provider and
  # tpm2-tools (keygen --tpm makes the key persistent with them).
  apt_pkgs+=(swtpm swtpm-tools tpm2-openssl tpm2-tools libtss2-tcti-swtpm0)
  # The case server's PostgreSQL backend and its scale-out test: PostgreSQL 15 (the tests make
  # their own cluster with scripts/pg-cluster.sh) and haproxy in front of several instances.
  apt_pkgs+=(postgresql postgresql-client haproxy)
  # Debian's python3 has no pip until python3-pip is installed (the Python tools below need it).
  apt_pkgs+=(python3-pip)
fi

if [ "$what" = profile ]; then
  # make order-file and bench/profile.py: callgrind and perf.
  apt_pkgs+=(valgrind linux-perf binutils)
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # Packages such as postgresql and haproxy start a system service when installed; the tests
  # start their own, so nothing is started now (policy-rc.d) and postgresql makes no cluster.
  policy_rc_d=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_rc_d=/usr/sbin/policy-rc.d
  fi
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null || status=$?
  [ -n "$policy_rc_d" ] && $SUDO rm -f "$policy_rc_d"
  [ $status -eq 0 ] || exit $status
fi

if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
  echo "install-deps: Swift 6.x is not installed (expected on PATH or at /opt/swift/usr/bin)" >&2
  exit 1
fi

if [ "$what" = test ]; then
  # Test-only Python tools: pytest runs the system tests, Pillow rotates and dirties test images,
  # openapi-spec-validator and jsonschema check docs/openapi.yaml against real traffic, pyhpke
  # (with its dependency cryptography) opens spooled envelopes independently of swift-crypto;
  # selenium drives headless Chromium for the kiosk page.
  for mod in pytest:pytest PIL:pillow openapi_spec_validator:openapi-spec-validator jsonschema:jsonschema yaml:pyyaml pyhpke:pyhpke selenium:selenium; do
    if ! python3 -c "import ${mod%%:*}" 2>/dev/null; then
      echo "install-deps: pip install ${mod##*:}"
      python3 -m pip install -q "${mod##*:}" 2>/dev/null || python3 -m pip install -q --break-system-packages "${mod##*:}"
    fi
  done
fi
