#!/bin/bash
# One-time host setup (Debian 12, as root) for the real-kernel TCMU tests; idempotent.
# Installs QEMU and the tools the guest runs from the host's / (sg3-utils, mdadm, libiscsi-bin,
# e2fsprogs, dmsetup, python3), and unpacks (does not install) Debian's kernel into $KROOT.
set -euo pipefail
VMWORK=${VMWORK:-/var/tmp/blockmirror-vm}
KROOT=${KROOT:-$VMWORK/kernel}
export DEBIAN_FRONTEND=noninteractive
need=()
for p in qemu-system-x86 busybox-static kmod xz-utils cpio sg3-utils mdadm libiscsi-bin e2fsprogs iproute2 dmsetup python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -d "$KROOT/lib/modules" ]; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  mkdir -p "$VMWORK/deb"
  (cd "$VMWORK/deb" && apt-get download "$pkg")
  dpkg-deb -x "$VMWORK/deb/${pkg}"_*.deb "$KROOT"
  depmod -b "$KROOT" "${pkg#linux-image-}"
fi
ls "$KROOT/lib/modules"
