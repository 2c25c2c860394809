#!/usr/bin/env bash
# Builds the VM test's initramfs: static busybox, the guest init, and the kernel modules for
# xHCI, HID (usbhid, evdev, hidraw), USB serial (ftdi_sio), 9p (host root) and the gadget stack
# (dummy_hcd, libcomposite, usb_f_hid) and vivid (a virtual V4L2 camera, loaded late by the
# guest). Usage: build-initramfs.sh OUT KVER [INIT]
# (INIT: the guest's PID 1, guest-init.sh by default; sandboxtest.py boots sandbox-init.sh.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
kver=$2
init=${3:-$here/guest-init.sh}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w"/{bin,proc,sys,dev,tmp,mods,host}
cp /bin/busybox "$w/bin/busybox"
cp "$init" "$w/init"
chmod +x "$w/init"
mods="xhci_pci usbhid hid_generic evdev ftdi_sio 9pnet_virtio 9p virtio_pci dummy_hcd libcomposite usb_f_hid usb_f_fs vivid"
for m in $mods; do modprobe -S "$kver" --show-depends "$m"; done | awk '$1=="insmod"{print $2}' | awk '!s[$0]++' |
  while read -r f; do cp "$f" "$w/mods/"; basename "$f" >> "$w/modules.order"; done
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
