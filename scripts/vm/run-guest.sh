#!/bin/bash
# Boots the unpacked Debian kernel under QEMU (multi-threaded TCG) with the host's / as read-only
# root (+ tmpfs overlay) and runs STAGE2 as PID 1. OUTDIR on the host is /mnt/out in the guest.
# Usage: run-guest.sh STAGE2 OUTDIR
# Env: SMP vCPUs (default 1: benchmark.sh's figures are compared with 1-vCPU anchors), MEM (2G),
#      TIMEOUT whole-VM limit in s (900)
set -euo pipefail
VMWORK=${VMWORK:-/var/tmp/blockmirror-vm}
KROOT=${KROOT:-$VMWORK/kernel}
KVER=${KVER:-$(ls "$KROOT/lib/modules" | sort -V | tail -1)}
STAGE2=$(realpath "$1"); OUTDIR=$(realpath -m "$2")
# The guest mounts a fresh tmpfs on /tmp (and /run), hiding those host directories: a checkout
# there (CI clones anywhere) would be invisible. Run a copy of STAGE2 kept under $VMWORK instead.
mkdir -p "$VMWORK/stage"
cp "$STAGE2" "$VMWORK/stage/$$-$(basename "$STAGE2")"
STAGE2=$VMWORK/stage/$$-$(basename "$STAGE2")
mkdir -p "$OUTDIR"; rm -f "$OUTDIR/result"
INITRD=$VMWORK/initramfs-$KVER.cpio.gz
[ -f "$INITRD" ] || "$(dirname "$0")/mkinitramfs.sh" "$KROOT" "$KVER" "$INITRD"
exec timeout "${TIMEOUT:-900}" qemu-system-x86_64 -accel tcg,thread=multi,tb-size=512 -cpu max \
  -m "${MEM:-2G}" -smp "${SMP:-1}" -M pc -nographic -no-reboot -nic none \
  -kernel "$KROOT/boot/vmlinuz-$KVER" -initrd "$INITRD" \
  -append "console=ttyS0 panic=-1 quiet loglevel=4 stage2=$STAGE2 kmoddir=$(realpath "$KROOT")/lib/modules/$KVER" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$OUTDIR",mount_tag=out,security_model=none
