#!/bin/busybox sh
# PID 1 of the sandbox VM test's initramfs (tests/vm/sandboxtest.py). Builds a Debian root for
# systemd on a tmpfs: the host's /usr and /opt/swift over 9p (read-only), a copy of the host's
# /etc with the test's units in place of the host's, the build's binaries and the repository
# bound in under /opt/gatewayd. Then hands over to systemd (switch_root), which runs the
# project's gatewayd.service as shipped, with its sandbox.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }
WORK=$(arg WORK); BIN=$(arg BIN); REPO=$(arg REPO)
fail() { echo "GUEST-FAIL: $*"; echo "GUEST-RESULT: FAIL"; sync; poweroff -f; }
for m in $(cat /modules.order); do [ "$m" = vivid.ko ] || insmod /mods/$m 2>/dev/null; done
mkdir -p /host /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || fail "no 9p host root"
R=/newroot
mount -t tmpfs -o mode=0755,size=512m root $R
mkdir -p $R/mnt/out $R/usr $R/opt/swift $R/opt/gatewayd/bin $R/opt/gatewayd/repo $R/proc $R/sys $R/dev $R/run $R/tmp \
  $R/var/lib $R/var/log $R/var/tmp $R/var/cache $R/root $R/home $R/mnt $R/srv
chmod 1777 $R/tmp $R/var/tmp
for l in bin sbin lib lib64; do ln -s usr/$l $R/$l; done
mount --bind /host/usr $R/usr || fail "no /usr"
mount --bind /host/opt/swift $R/opt/swift || fail "no /opt/swift"
mount --bind /host$BIN $R/opt/gatewayd/bin || fail "no $BIN"
mount --bind /host$REPO $R/opt/gatewayd/repo || fail "no $REPO"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out $R/mnt/out || fail "no 9p share for the results"
cp -a /host/etc $R/etc || fail "cannot copy /etc"
# The host's units, wants and mounts stay out: only the test's target runs.
rm -rf $R/etc/systemd/system $R/etc/fstab $R/etc/.updated $R/etc/machine-id $R/etc/hostname
cp -a /host$WORK/etc/. $R/etc/ || fail "cannot copy the test's /etc"
echo 5eb7f8bd7f6a4c3f9a0e1d2c3b4a5968 > $R/etc/machine-id
mkdir -p $R/var/lib/gatewayd $R/var/lib/case-server
cp -a /host$WORK/gatewayd/. $R/var/lib/gatewayd/ && cp -a /host$WORK/case-server/. $R/var/lib/case-server/ || fail "no state"
# The service user and group, from the project's sysusers file, as systemd-sysusers makes them
# at package install.
chroot $R /usr/bin/systemd-sysusers /etc/sysusers.d/gatewayd.conf || fail "systemd-sysusers"
umount /proc /sys /dev 2>/dev/null
exec switch_root $R /lib/systemd/systemd --unit=vmtest.target
