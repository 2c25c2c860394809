#!/bin/busybox sh
# PID 1 of the gatewayd USB system test guest. Real kernel drivers (xhci, usbhid, evdev,
# hidraw, ftdi_sio, dummy_hcd + configfs HID gadget, a FunctionFS PN533 gadget on a second
# dummy_hcd controller), real udevd with the project's rules,
# and the project's gatewayd and case-server run from the host's root (9p, read-only) in a
# chroot. Markers on the console drive the host side (tests/vm/vmtest.py).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /tmp
arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }
WORK=$(arg WORK); BIN=$(arg BIN); SRC=$(arg SRC)
say() { echo "GUEST: $*"; }
fail() { echo "GUEST-FAIL: $*"; echo "GUEST-RESULT: FAIL"; sync; poweroff -f; }
# vivid (the virtual camera) is loaded later, when the test plugs it in. dummy_hcd gets two
# controllers: dummy_udc.0 for the HID scanner gadget, dummy_udc.1 for the PN533 gadget.
for m in $(cat /modules.order); do
  case $m in vivid.ko) ;; dummy_hcd.ko) insmod /mods/$m num=2 2>/dev/null ;; *) insmod /mods/$m 2>/dev/null ;; esac
done
ifconfig lo 127.0.0.1 up

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || fail "no 9p host root"
for d in proc sys dev; do mount --bind /$d /host/$d; done
# A writable copy of the prepared work dir. (The host's /tmp stays visible: the binaries or
# the work dir may live there.)
mkdir -p /tmp/w; cp -a /host$WORK/. /tmp/w/ || fail "cannot copy $WORK"
mount -t tmpfs tmpfs /host/run
mkdir -p /host/run/w; cp -a /tmp/w/. /host/run/w/
[ -x /host$BIN/gatewayd ] || fail "no gatewayd at $BIN"
# The service group, in a writable copy of /etc/group.
cp /host/etc/group /tmp/group; echo "gatewayd:x:990:" >> /tmp/group; mount --bind /tmp/group /host/etc/group
# And the service user, whom `gatewayd --probe` judges device permissions for.
cp /host/etc/passwd /tmp/passwd; echo "gatewayd:x:990:990::/nonexistent:/usr/sbin/nologin" >> /tmp/passwd; mount --bind /tmp/passwd /host/etc/passwd
C="chroot /host env SYSTEMD_IGNORE_CHROOT=1"

# A gadget with a scanner's vendor:product (05e0:1200): a boot keyboard and a HID POS scanner.
mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/usb_gadget/scan
mkdir -p $G/strings/0x409 $G/configs/c.1/strings/0x409
echo 0x05e0 > $G/idVendor; echo 0x1200 > $G/idProduct
echo "FakeScan Inc" > $G/strings/0x409/manufacturer; echo "Virtual Barcode Scanner" > $G/strings/0x409/product
echo SN0001 > $G/strings/0x409/serialnumber
mkdir -p $G/functions/hid.kbd $G/functions/hid.pos
echo 1 > $G/functions/hid.kbd/protocol; echo 1 > $G/functions/hid.kbd/subclass; echo 8 > $G/functions/hid.kbd/report_length
cat /host/run/w/kbd.desc > $G/functions/hid.kbd/report_desc
echo 0 > $G/functions/hid.pos/protocol; echo 0 > $G/functions/hid.pos/subclass; echo 64 > $G/functions/hid.pos/report_length
cat /host/run/w/pos.desc > $G/functions/hid.pos/report_desc
ln -s $G/functions/hid.kbd $G/configs/c.1/; ln -s $G/functions/hid.pos $G/configs/c.1/
echo dummy_udc.0 > $G/UDC

mkdir -p /host/run/udev/rules.d
cp /host/run/w/70-gatewayd.rules /host/run/w/69-gatewayd-local.rules /host/run/w/70-gatewayd-nfc.rules /host/run/udev/rules.d/
# The NFC blacklist, where kmod reads it (/run/modprobe.d): udevd runs in the host root's chroot,
# and its kmod builtin would load the host's pn533_usb for 04cc:2533 from /lib/modules.
mkdir -p /host/run/modprobe.d
cp /host/run/w/gatewayd-nfc-blacklist.conf /host/run/modprobe.d/gatewayd-nfc.conf
# A PN533 NFC stick (04cc:2533): a FunctionFS gadget served by tests/vm/pn533_gadget.py, driven
# through its control FIFO. configfs is mounted again inside the chroot by the gadget.
$C sh -c "python3 $SRC/tests/vm/pn533_gadget.py --udc dummy_udc.1 --control /run/w/pn533.ctl > /run/w/pn533.log 2>&1 &"
d=$(( $(date +%s) + 60 )); while ! grep -q "pn533: bound" /host/run/w/pn533.log 2>/dev/null; do
  [ $(date +%s) -gt $d ] && { sed 's/^/GUEST: /' /host/run/w/pn533.log; fail "PN533 gadget did not bind"; }; sleep 0.2; done
$C /lib/systemd/systemd-udevd --daemon 2>/dev/null
$C udevadm trigger --action=add; $C udevadm settle -t 60 || say "udev settle timed out"
say "udev links: $(ls /dev/gatewayd/ 2>/dev/null | tr '\n' ' ')"
for l in $(ls /dev/gatewayd/ 2>/dev/null); do
  l=/dev/gatewayd/$l
  say "UDEV-NODE $(basename $l) -> $(readlink -f $l) $($C stat -c 'group=%G mode=%a' $(readlink -f $l))"
  p=$($C udevadm info -q property -n $l | grep -E '^(LIBINPUT_IGNORE_DEVICE|TAGS|CURRENT_TAGS)=' | tr '\n' ' ')
  say "UDEV-PROPS $(basename $l) $p"
done

# The PN533 gadget's usbfs node (the NFC rules' group) and whether a kernel driver holds it.
for d in /sys/bus/usb/devices/*; do
  [ "$(cat $d/idVendor 2>/dev/null):$(cat $d/idProduct 2>/dev/null)" = "04cc:2533" ] || continue
  n=$(printf /dev/bus/usb/%03d/%03d $(cat $d/busnum) $(cat $d/devnum))
  drv=$(basename "$(readlink $d/$(basename $d):1.0/driver 2>/dev/null)" 2>/dev/null)
  say "NFC-NODE $n $($C stat -c 'group=%G mode=%a' $n) speed=$(cat $d/speed) endpoints=$(ls -d $d/$(basename $d):1.0/ep_* 2>/dev/null | sed 's/.*ep_//' | tr '\n' ' ')driver=${drv:-none} pn533_modules=$(grep -c '^pn533' /proc/modules)"
done
for n in /dev/input/event* /dev/hidraw*; do
  say "DEV $n $($C udevadm info -q property -n $n | grep -E '^(ID_VENDOR_ID|ID_MODEL_ID|ID_SERIAL|GATEWAYD_READER|DEVLINKS)=' | tr '\n' ' ')"
done
cd /host/run/w
$C sh -c "cd /run/w && $BIN/case-server serve --port 8443 --cert pki/server.pem --tls-key pki/server.key --private-key server.key --devices devices --db cases.db --ready-file server.ready > case-server.log 2>&1 &"
$C sh -c "cd /run/w && $BIN/gatewayd --config gatewayd.toml --log-level debug > gatewayd.log 2>&1 &"
# Waits use wall-clock deadlines: each probe is slow under TCG.
until_s() { echo $(( $(date +%s) + $1 )); }
wait_log() { d=$(until_s 120); while ! grep -qE "$1" /host/run/w/gatewayd.log 2>/dev/null; do [ $(date +%s) -gt $d ] && return 1; sleep 0.2; done; return 0; }
connected() { grep "reader connected" /host/run/w/gatewayd.log | grep -c "reader=$1 "; }
for r in kbd gadget-kbd pos serial tap; do
  d=$(until_s 240); while [ "$(connected $r)" -lt 1 ]; do [ $(date +%s) -gt $d ] && { tail -20 /host/run/w/gatewayd.log; fail "reader $r never connected"; }; sleep 0.2; done
done
say "readers: $(grep 'reader connected' /host/run/w/gatewayd.log | sed 's/.*gatewayd: //' | tr '\n' '|')"
# The probe's server check needs case-server listening: under TCG its start can outlast the readers'.
d=$(until_s 240); while [ ! -e /host/run/w/server.ready ]; do [ $(date +%s) -gt $d ] && { tail -20 /host/run/w/case-server.log; fail "case-server never became ready"; }; sleep 0.2; done
# What a technician would see: the probe's readers with their real USB devices and drivers.
echo "PROBE-JSON: $($C sh -c "cd /run/w && $BIN/gatewayd --probe --json --config gatewayd.toml" 2>/dev/null | tr -d '\n')"
# And its USB inventory for a terminal without readers for usb-kbd and the FTDI adapter.
echo "PROBE-USB-JSON: $($C sh -c "cd /run/w && $BIN/gatewayd --probe --json --config gatewayd-usb.toml" 2>/dev/null | tr -d '\n')"
# An NFC usb reader's check inside a devices cgroup that refuses usbfs (the unit's sandbox
# without DeviceAllow=char-usb_device), and outside it. Its stand-in device's node is made
# usable by the service user first, as the NFC udev rules do for real readers, so that only the
# cgroup can refuse the open.
chmod 0666 /dev/bus/usb/*/*
echo "PROBE-NFC-JSON: $($C sh -c "cd /run/w && $BIN/gatewayd --probe --json --config gatewayd-nfc.toml" 2>/dev/null | tr -d '\n')"
mount -t tmpfs cgroups /sys/fs/cgroup && mkdir -p /sys/fs/cgroup/devices && mount -t cgroup -o devices devices /sys/fs/cgroup/devices
mkdir -p /sys/fs/cgroup/devices/sandbox && echo "c 189:* rwm" > /sys/fs/cgroup/devices/sandbox/devices.deny
echo "PROBE-SANDBOX-JSON: $(sh -c "echo \$\$ > /sys/fs/cgroup/devices/sandbox/cgroup.procs && exec $C sh -c 'cd /run/w && $BIN/gatewayd --probe --json --config gatewayd-nfc.toml'" 2>/dev/null | tr -d '\n')"
echo "READY-DEVICES"

# The gadget keyboard types "GAD-42" + Enter as HID boot reports (shift = 0x02).
for r in '\x02\x00\x0a' '\x02\x00\x04' '\x02\x00\x07' '\x00\x00\x2d' '\x00\x00\x21' '\x00\x00\x1f' '\x00\x00\x28'; do
  printf "$r\x00\x00\x00\x00\x00" > /dev/hidg0; printf '\0\0\0\0\0\0\0\0' > /dev/hidg0
done
# The HID POS function sends one scanned-data report: EAN-13 4006381333931, ]E0.
cat /host/run/w/pos.report > /dev/hidg1
# One tag on the PN533 gadget: held until gatewayd has stored its tap, then lifted.
echo tap > /host/run/w/pn533.ctl
wait_log "reader=tap .*nfc tap (stored|misread)" || say "the NFC tap was not stored"
echo lift > /host/run/w/pn533.ctl
# Two polls without the tag: gatewayd has seen it leave.
gone() { awk '/pn533: lift/{f=1} f && /tx cmd=4B frame=0000FF03FDD54B00E000/{n++} END{print n+0}' /host/run/w/pn533.log; }
d=$(until_s 60); while [ "$(gone)" -lt 2 ]; do [ $(date +%s) -gt $d ] && { say "no poll after the lift"; break; }; sleep 0.2; done

events() { $C $BIN/case-server events --db /run/w/cases.db --json 2>/dev/null; }
has() { events | grep -q "\"text\":\"$1\""; }
d=$(until_s 120); while ! has KBD-0001; do [ $(date +%s) -gt $d ] && fail "KBD-0001 never arrived"; sleep 0.5; done
echo "GOT-KBD-0001"
wait_log "reader=kbd .*(reader disconnected|reader session ended)" || fail "unplug not noticed"
echo "UNPLUGGED"
d=$(until_s 120); while [ "$(connected kbd)" -lt 2 ]; do [ $(date +%s) -gt $d ] && fail "kbd not reconnected"; sleep 0.2; done
echo "REPLUGGED"
N=$(arg EXPECT)
# An NFC tap with an NDEF message has no text: events are counted, not texts.
d=$(until_s 120); while [ "$(events | grep -o '"captured_at":' | wc -l)" -lt "$N" ]; do [ $(date +%s) -gt $d ] && break; sleep 0.5; done
sleep 2
echo "EVENTS: $(events)"

# A camera appears (vivid: a virtual V4L2 capture device with test patterns), is streamed and
# scanned frame by frame, and goes away again.
insmod /mods/vivid.ko n_devs=1 node_types=0x1 || say "vivid: insmod failed"
$C udevadm settle -t 30
if wait_log "reader=camera .*reader connected"; then
  wait_log "frames=1 reader=camera .*camera frames" && echo "GUEST: CAMERA-FRAMES"
  # Unplug while streaming: unbind the device from its driver (rmmod would refuse: it is open).
  echo vivid.0 > /sys/bus/platform/drivers/vivid/unbind
  wait_log "reader=camera .*(reader disconnected|reader session ended)" && echo "GUEST: CAMERA-GONE"
else
  say "camera reader never connected"; grep -E "camera|video|vivid" /host/run/w/gatewayd.log | tail -8 | sed 's/^/GUEST: /'
  dmesg | grep -i vivid | tail -5 | sed 's/^/GUEST: dmesg: /'
  ls -l /dev/video* | sed 's/^/GUEST: /'
fi
grep -E "reader (connected|disconnected|unusable)|device removed" /host/run/w/gatewayd.log | sed 's/^/GUEST: gatewayd: /'
# What the PN533 gadget saw: its own lines (not the frames), and the frames counted.
grep -vE "pn533: (rx|tx) " /host/run/w/pn533.log | sed 's/^/GUEST: /'
c() { grep -cE "$1" /host/run/w/pn533.log; }
echo "PN533-COUNTS: firmware=$(c 'rx cmd=02 ') polls=$(c 'rx cmd=4A ') reads=$(c 'rx cmd=40 ') releases=$(c 'rx cmd=52 ') rx_ack=$(c 'rx ack') rx_nack=$(c 'rx nack') tx_nack=$(c 'tx nack') errors=$(c 'tx error') tag_polls=$(c 'tx cmd=4B frame=0000FF0FF1D54B0101') gw_unreadable=$(grep -c 'reader=tap .*nfc poll answer unreadable' /host/run/w/gatewayd.log) gw_reopens=$(grep -c 'reader=tap .*nfc reader out of step' /host/run/w/gatewayd.log)"
grep -E "nfc|reader=tap " /host/run/w/gatewayd.log | grep -vE "nfc poll" | tail -20 | sed 's/^/GUEST: gatewayd: /'
echo "GUEST-RESULT: DONE"
sync
poweroff -f
