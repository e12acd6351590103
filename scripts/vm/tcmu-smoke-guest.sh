#!/bin/bash
# Stage 2 (PID 1 in the guest): our Java TCMU handler behind tcm_loop on a real kernel.
# Checks: /dev/sdX appears with the configured size; a direct-I/O dd write/read round trip
# matches and lands in the backing file; tear-down leaves no configfs objects; the same run
# started over stale objects (simulated crash) recovers.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
OUT=/mnt/out
exec > >(tee $OUT/guest.log) 2>&1
CP=$(cat $OUT/classpath)
JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
CFG=/sys/kernel/config/target
SIZE=$((64 << 20))
RC=0
fail() { echo "FAIL: $*"; RC=1; }
finish() { dmesg | grep -iE 'tcmu|tcm_loop|target' | tail -20; echo "RESULT RC=$RC" > $OUT/result; sync; /bin/busybox poweroff -f; }
echo "guest $(uname -r)"
ip link set lo up 2>/dev/null
modprobe configfs; mount -t configfs configfs /sys/kernel/config
modprobe target_core_user && modprobe tcm_loop && modprobe sd_mod || { fail modprobe; finish; }

run_java() {  # $1 = stop file
  truncate -s $SIZE /tmp/backing.img
  $JAVA -Dblockmirror.test.log=INFO -XX:TieredStopAtLevel=1 -Xshare:auto -cp "$CP" org.blockmirror.tcmu.TcmuSmokeMain /tmp/backing.img $SIZE "$1" \
    > /tmp/java.out 2>&1 &
  JPID=$!
  for i in $(seq 600); do grep -q READY /tmp/java.out && break; kill -0 $JPID 2>/dev/null || break; sleep 0.1; done
  cat /tmp/java.out
  grep -q READY /tmp/java.out || { fail "java did not become ready"; return 1; }
  SD=""
  for i in $(seq 100); do
    for b in /sys/class/scsi_disk/*/device/block/*; do
      [ -e "$b" ] && grep -q SMOKEDISK "$(dirname "$(dirname "$b")")/model" 2>/dev/null && SD=$(basename "$b")
    done
    [ -n "$SD" ] && break; sleep 0.1
  done
  [ -n "$SD" ] || { fail "no sd disk appeared"; return 1; }
  echo "disk: /dev/$SD"
}

stop_java() {
  touch "$1"
  for i in $(seq 300); do kill -0 $JPID 2>/dev/null || break; sleep 0.1; done
  grep -E "ERROR|WARN" /tmp/java.out | grep -v "stale backstores" && fail "errors in the handler log"
  kill -0 $JPID 2>/dev/null && { fail "java did not stop"; kill -9 $JPID; }
  wait $JPID; echo "java exit $?"; tail -3 /tmp/java.out
}

echo "=== run 1: serve, size, dd round trip"
if run_java /tmp/stop1; then
  BYTES=$(( $(cat /sys/block/$SD/size) * 512 ))
  [ "$BYTES" = "$SIZE" ] && echo "size OK ($BYTES)" || fail "size $BYTES != $SIZE"
  head -c $((8 << 20)) /dev/urandom > /tmp/pattern
  dd if=/tmp/pattern of=/dev/$SD bs=1M seek=4 oflag=direct conv=fsync 2>&1 | tail -1 || fail "dd write"
  echo 3 > /proc/sys/vm/drop_caches
  A=$(md5sum < /tmp/pattern | cut -c1-32)
  B=$(dd if=/dev/$SD bs=1M skip=4 count=8 iflag=direct 2>/dev/null | md5sum | cut -c1-32)
  C=$(dd if=/tmp/backing.img bs=1M skip=4 count=8 2>/dev/null | md5sum | cut -c1-32)
  echo "pattern=$A device=$B backing=$C"
  [ "$A" = "$B" ] && [ "$A" = "$C" ] && echo "ROUND TRIP OK" || fail "data mismatch"
  # Several writers at once: many commands in flight, completed out of order.
  DDS=""
  for i in 0 1 2 3 4 5 6 7; do
    head -c $((2 << 20)) /dev/urandom > /tmp/p$i
    dd if=/tmp/p$i of=/dev/$SD bs=64k seek=$((16 + i * 32)) oflag=direct 2>/dev/null &
    DDS="$DDS $!"
  done
  for i in $(seq 600); do running=0; for p in $DDS; do kill -0 $p 2>/dev/null && running=1; done
    [ $running = 0 ] && break; sleep 0.1; done
  if [ $running = 1 ]; then
    fail "parallel writers hang"; tail -30 /tmp/java.out; dmesg | tail -30; cat /sys/block/$SD/inflight
  fi
  wait $DDS   # not a bare wait: the Java handler is a background job of this shell too
  echo 3 > /proc/sys/vm/drop_caches
  for i in 0 1 2 3 4 5 6 7; do
    X=$(md5sum < /tmp/p$i | cut -c1-32)
    Y=$(dd if=/dev/$SD bs=64k skip=$((16 + i * 32)) count=32 iflag=direct 2>/dev/null | md5sum | cut -c1-32)
    [ "$X" = "$Y" ] || fail "parallel writer $i mismatch"
  done
  echo "PARALLEL WRITERS OK"
  command -v sg_inq >/dev/null && sg_inq /dev/$SD | head -8
  stop_java /tmp/stop1
  grep -qE "STOPPED out-of-order=[1-9]" /tmp/java.out && echo "OUT-OF-ORDER COMPLETIONS SEEN" \
    || fail "no out-of-order completion happened"
  ls $CFG/core | grep -q user_7 && fail "backstore left behind"
  ls $CFG/loopback 2>/dev/null | grep -q babe && fail "tcm_loop target left behind"
fi

echo "=== run 2: crash (kill -9) leaves stale objects, the next start removes them"
if run_java /tmp/stop2; then
  kill -9 $JPID; wait $JPID 2>/dev/null
  ls -d $CFG/core/user_7/* && echo "stale objects present after crash"
  if run_java /tmp/stop3; then
    grep "stale objects removed" /tmp/java.out
    dd if=/dev/$SD bs=1M count=1 iflag=direct of=/dev/null 2>&1 | tail -1 || fail "read after recovery"
    stop_java /tmp/stop3
  fi
fi
finish
