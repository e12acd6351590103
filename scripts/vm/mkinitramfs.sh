#!/bin/bash
# A minimal initramfs: busybox + the virtio/9p/overlay modules. Its init mounts the host's /
# (9p tag "hostroot") read-only under a tmpfs overlay and switch_roots into it, running the
# stage-2 script named by stage2= on the kernel command line as PID 1.
# Usage: mkinitramfs.sh KROOT KVER OUT.cpio.gz
set -euo pipefail
KROOT=$1 KVER=$2 OUT=$3
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
mkdir -p "$W"/{bin,dev,proc,sys,lower,rw,newroot,mods}
cp /bin/busybox "$W/bin/busybox"
n=10
for m in $(for t in virtio_pci 9pnet_virtio 9p overlay; do modprobe -d "$KROOT" -S "$KVER" --show-depends "$t"; done \
           | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++'); do
  b=$(basename "$m")
  case "$m" in
    *.ko.xz) xz -dc "$m" > "$W/mods/$n-${b%.xz}" ;;
    *.ko) cp "$m" "$W/mods/$n-$b" ;;
  esac
  n=$((n+1))
done
cat > "$W/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in /mods/*.ko; do insmod "$m" || echo "insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower || exec sh
mount -t tmpfs -o size=1g tmpfs /rw; mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || exec sh
mount --move /proc /newroot/proc; mount --move /sys /newroot/sys; mount --move /dev /newroot/dev
mount -t tmpfs tmpfs /newroot/run; mount -t tmpfs tmpfs /newroot/tmp
mkdir -p /newroot/dev/shm /newroot/dev/pts; mount -t tmpfs tmpfs /newroot/dev/shm; mount -t devpts devpts /newroot/dev/pts
if [ -n "$kmoddir" ]; then
  mkdir -p /newroot/lib/modules/$(uname -r); mount --bind /newroot$kmoddir /newroot/lib/modules/$(uname -r)
fi
mkdir -p /newroot/mnt/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /newroot/mnt/out
ln -sf /proc/self/fd /newroot/dev/fd
exec switch_root /newroot ${stage2:-/bin/sh}
INIT
chmod +x "$W/init"
(cd "$W" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT"
