#!/bin/bash
# Stage 2 (PID 1 in the guest, see run-guest.sh): a local and a remote blockmirror unit in one
# guest, talking over 127.0.0.1, both with a SCSI front end through LIO + TCMU (tcm_loop), then
# the local unit exported over iSCSI and checked with libiscsi's iscsi-test-cu.
# Every check prints one "PASS name: detail" or "FAIL name: detail" line; they are collected in
# /mnt/out/results. Inputs in /mnt/out: jar (path of blockmirror.jar), optional env file, optional
# cds (path of a CDS archive for the jar), guest-lib.sh (JAR JAVA JOPTS CFG, up say disk_of
# await_disk unit_conf_base start_unit) and kernel-tests-roles.sh.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
OUT=/mnt/out
exec > >(tee $OUT/guest.log) 2>&1
. $OUT/guest-lib.sh || { echo "FAIL guest-lib: cannot source $OUT/guest-lib.sh" | tee $OUT/results; exit 1; }
VOL=${VOLSIZE:-$((64 << 20))}
ITIME=${ITIME:-600}
W=/tmp/bm; mkdir -p $W
UNIT_LOGS=$W                       # start_unit's logs (copied to $OUT at the end)
: > $OUT/results

pass() { echo "PASS $1: $2" | tee -a $OUT/results; }
fail() { echo "FAIL $1: $2" | tee -a $OUT/results; }
check() { # name detail command...: PASS if the command succeeds
  local name=$1 detail=$2; shift 2
  if "$@"; then pass "$name" "$detail"; else fail "$name" "$detail"; fi
}
finish() {
  say "finish"
  for p in $LOCAL_PID $REMOTE_PID $UNIT_A_PID $UNIT_B_PID; do kill $p 2>/dev/null; done
  for p in $LOCAL_PID $REMOTE_PID $UNIT_A_PID $UNIT_B_PID; do for i in $(seq 200); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; done
  cp $W/*.log $W/*.conf $OUT/ 2>/dev/null
  dmesg > $OUT/dmesg.log
  echo "TIME guest uptime at the end: $(up) s" | tee -a $OUT/results
  echo "DONE" >> $OUT/results
  sync; /bin/busybox poweroff -f
}

# One "TIME part: N s" line per part in the results (guest uptime; the host adds boot and power-off).
PART_T0=0
part_done() { local now; now=$(up); echo "TIME $1: $(awk "BEGIN{printf \"%.0f\", $now - $PART_T0}") s (t=$now)" | tee -a $OUT/results; PART_T0=$now; }

say "guest $(uname -r), $(nproc) cpu, $(awk '/MemTotal/{print int($2/1024) " MiB"}' /proc/meminfo)"
# The host's CDS archive (kernel-tests.sh). With -Xshare:auto a JVM that cannot map it starts
# without it (slowly): cds_note says which it was, from the JVM's memory map.
[ -f $OUT/cds ] && JOPTS="$JOPTS -XX:SharedArchiveFile=$(cat $OUT/cds)"
cds_note() { # pid name
  [ -f $OUT/cds ] || return 0
  if grep -qF "$(cat $OUT/cds)" /proc/$1/maps 2>/dev/null; then say "CDS: the $2 JVM maps $(cat $OUT/cds)"
  else say "CDS: the $2 JVM does NOT map $(cat $OUT/cds): JVM starts are slow (-Xlog:cds says why)"; fi
}
NCPU=$(nproc)
cpus_online() { # 0|1: every vCPU but the first offline / online
  local c; for c in /sys/devices/system/cpu/cpu[1-9]*/online; do [ -w $c ] && echo $1 > $c; done
}
ip link set lo up
modprobe configfs && mount -t configfs configfs /sys/kernel/config
for m in target_core_user tcm_loop iscsi_target_mod raid1 loop sd_mod sg; do
  modprobe $m || fail modprobe "$m"
done
# The roles part (two `blockmirror unit`s, role reversal under md, fail-over through the peer).
. $OUT/kernel-tests-roles.sh || fail roles-helper "cannot source $OUT/kernel-tests-roles.sh"
part_done boot-and-setup

# ---- the pair --------------------------------------------------------------------------------
truncate -s $VOL $W/local.img $W/remote.img
common() { # role
  unit_conf_base $W/$1.img $1 3000
}
{ common remote; cat <<EOF
listen.address = 127.0.0.1:7789
heartbeat.listen = 127.0.0.1:7791
heartbeat.peer = 127.0.0.1:7790
frontend = loopback
EOF
} > $W/remote.conf
local_conf() { # frontend
  { common local; cat <<EOF
remote.address = 127.0.0.1:7789
heartbeat.listen = 127.0.0.1:7790
heartbeat.peer = 127.0.0.1:7791
journal.path = $W/local.journal
journal.size = 96M
journal.full-timeout-ms = 120000
frontend = $1
EOF
  } > $W/local.conf
}

start_remote() { start_unit remote $W/remote.conf; }
start_local() { start_unit local $W/local.conf; }
stop_unit() { # pid name: SIGTERM, wait for a clean exit
  kill "$1" 2>/dev/null
  for i in $(seq 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then fail "$2-stop" "did not exit within 60 s of SIGTERM"; kill -9 "$1"; fi
  wait "$1" 2>/dev/null
}

loopback_checks() {
say "start remote (standby disk) and local (loopback disk)"
local_conf loopback
start_remote
SB=$(await_disk bm-vol1-standby $REMOTE_PID 240)
check standby-disk-appears "/dev/$SB (remote unit, backstore bm-vol1-standby)" test -n "$SB"
cds_note $REMOTE_PID remote
start_local
SD=$(await_disk bm-vol1 $LOCAL_PID 240)
check local-disk-appears "/dev/$SD (local unit, backstore bm-vol1)" test -n "$SD"
if [ -z "$SD" ] || [ -z "$SB" ]; then
  tail -30 $W/remote.log $W/local.log; return 1
fi
say "disks: local /dev/$SD, standby /dev/$SB"

# ---- identity and geometry -------------------------------------------------------------------
size=$(( $(cat /sys/block/$SD/size) * 512 ))
check local-disk-size "$size bytes, configured $VOL" test "$size" = "$VOL"
size=$(( $(cat /sys/block/$SB/size) * 512 ))
check standby-disk-size "$size bytes, configured $VOL" test "$size" = "$VOL"

sg_inq /dev/$SD > $W/inq.txt 2>&1
check sg_inq "$(grep -E 'Vendor identification|Product identification' $W/inq.txt | tr -s ' ' | paste -sd';')" \
  grep -q "BLKMIRR" $W/inq.txt
for p in 0x00 0x80 0x83 0xb0 0xb1 0xb2; do
  sg_vpd -p $p /dev/$SD > $W/vpd-$p.txt 2>&1
  check "sg_vpd-$p" "$(sed -n 2p $W/vpd-$p.txt | tr -s ' ')" test -s $W/vpd-$p.txt -a "$(grep -ci 'error\|illegal\|fail' $W/vpd-$p.txt)" = 0
done
cat $W/vpd-0xb0.txt
grep -i "maximum transfer length" $W/vpd-0xb0.txt
sg_readcap -l /dev/$SD > $W/readcap.txt 2>&1
check sg_readcap "$(grep -E 'Last LBA|Logical block length' $W/readcap.txt | tr -s ' ' | paste -sd';')" \
  grep -q "Last LBA=$(( VOL / 512 - 1 ))" $W/readcap.txt
sg_modes -a /dev/$SD > $W/modes.txt 2>&1
check sg_modes "$(grep -cE '^ *>>|page' $W/modes.txt) lines about pages, $(grep -i 'caching' $W/modes.txt | head -1 | tr -s ' ')" \
  grep -qi "caching" $W/modes.txt
sg_vpd -p 0x80 /dev/$SB > $W/vpd-sb-0x80.txt 2>&1; sg_vpd -p 0x83 /dev/$SB > $W/vpd-sb-0x83.txt 2>&1
same_identity() { cmp -s $W/vpd-0x83.txt $W/vpd-sb-0x83.txt && cmp -s $W/vpd-0x80.txt $W/vpd-sb-0x80.txt; }
same_identity || diff $W/vpd-0x83.txt $W/vpd-sb-0x83.txt
check same-identity "serial and designators of both units' disks are equal: $(grep -i 'serial' $W/vpd-0x80.txt | tr -s ' ')" \
  same_identity

# ---- standby: INQUIRY / READ CAPACITY answer, data commands get NOT READY ----------------------
say "standby disk /dev/$SB"
check standby-inquiry "sg_inq answers" sg_inq /dev/$SB
check standby-readcap "$(sg_readcap -l /dev/$SB 2>&1 | grep -E 'Last LBA' | tr -s ' ')" sg_readcap -l /dev/$SB
sg_raw -r 512 /dev/$SB 28 00 00 00 00 00 00 00 01 00 > $W/sb-read.txt 2>&1
cat $W/sb-read.txt
check standby-read-not-ready "READ(10): $(grep -iE 'not ready|sense' $W/sb-read.txt | tr -s ' ' | paste -sd' ')" \
  grep -qi "manual intervention required" $W/sb-read.txt
t0=$(up)
dd if=/dev/$SB of=/dev/null bs=4k count=1 iflag=direct 2> $W/sb-dd.txt; rc=$?
t1=$(up)
check standby-dd-fails-fast "dd rc=$rc in $(awk "BEGIN{print $t1 - $t0}") s: $(tail -1 $W/sb-dd.txt)" \
  test $rc -ne 0 -a "$(awk "BEGIN{print ($t1 - $t0 < 10)}")" = 1
dmesg | grep -E "$SB" | tail -4

# ---- a file system on our disk ---------------------------------------------------------------
say "mkfs.ext4 / fsck / mount / copy on /dev/$SD"
check mkfs.ext4 "whole disk, with discard" mkfs.ext4 -q -F /dev/$SD
check fsck-clean "fsck.ext4 -f -n after mkfs" fsck.ext4 -f -n /dev/$SD
mkdir -p /mnt/bm $W/src
for i in 1 2 3 4 5 6 7 8; do head -c $((i * 700 * 1024)) /dev/urandom > $W/src/r$i; done
cp -r /usr/include/linux $W/src/linux
(cd $W/src && find . -type f -exec md5sum {} + | sort -k2) > $W/src.md5
mount /dev/$SD /mnt/bm && cp -r $W/src/. /mnt/bm/ && sync && umount /mnt/bm
echo 3 > /proc/sys/vm/drop_caches
mount -o ro /dev/$SD /mnt/bm && (cd /mnt/bm && find . -type f ! -path './lost+found/*' -exec md5sum {} + | sort -k2) > $W/dst.md5
umount /mnt/bm
check copy-checksums "$(wc -l < $W/src.md5) files, $(du -sh $W/src | cut -f1), read back after remount" cmp -s $W/src.md5 $W/dst.md5
check fsck-after-copy "fsck.ext4 -f -n" fsck.ext4 -f -n /dev/$SD

# ---- md RAID-1: our disk (write-mostly) + a loop device --------------------------------------
say "md RAID-1 over a loop device and --write-mostly /dev/$SD"
truncate -s $VOL $W/leg.img
LOOP=$(losetup -f --show $W/leg.img)
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 --bitmap=internal \
  $LOOP --write-mostly /dev/$SD > $W/md.txt 2>&1 || { cat $W/md.txt; fail md-create "mdadm --create failed"; }
mdadm --wait /dev/md0
check md-create "$(grep -E 'md0' /proc/mdstat | tr -s ' ')" grep -q "md0 : active raid1" /proc/mdstat
legs_equal() { # compares the two legs' data areas (and the array) directly, bypassing md
  local off sectors a b m
  off=$(mdadm --examine $LOOP | awk '/Data Offset/{print $4}')
  sectors=$(( $(blockdev --getsz /dev/md0) ))
  echo 3 > /proc/sys/vm/drop_caches
  a=$(dd if=$LOOP bs=1M skip=$((off * 512)) count=$((sectors * 512)) iflag=direct,skip_bytes,count_bytes 2>/dev/null | md5sum | cut -c1-32)
  b=$(dd if=/dev/$SD bs=1M skip=$((off * 512)) count=$((sectors * 512)) iflag=direct,skip_bytes,count_bytes 2>/dev/null | md5sum | cut -c1-32)
  m=$(dd if=/dev/md0 bs=1M iflag=direct 2>/dev/null | md5sum | cut -c1-32)
  echo "loop=$a ours=$b md0=$m"
  [ "$a" = "$b" ] && [ "$a" = "$m" ]
}
DDS=""
for i in 0 1 2 3; do dd if=/dev/urandom of=/dev/md0 bs=256k seek=$((i * 40)) count=40 oflag=direct 2>/dev/null & DDS="$DDS $!"; done
dd if=/dev/urandom of=/dev/md0 bs=1M seek=48 count=24 oflag=direct 2>/dev/null
wait $DDS
sync
r=$(legs_equal); rc=$?
check md-legs-identical "after parallel writers: $r" test $rc = 0
mdadm /dev/md0 --fail /dev/$SD > /dev/null 2>&1 && mdadm /dev/md0 --remove /dev/$SD > /dev/null 2>&1
check md-fail-remove "$(mdadm --detail /dev/md0 | grep -E 'State :' | tr -s ' ')" \
  test "$(mdadm --detail /dev/md0 | awk '/Active Devices/{print $4}')" = 1
dd if=/dev/urandom of=/dev/md0 bs=1M seek=80 count=16 oflag=direct 2>/dev/null
mdadm /dev/md0 --re-add /dev/$SD > $W/readd.txt 2>&1 || cat $W/readd.txt
sleep 1; mdadm --wait /dev/md0
check md-re-add-resync "$(cat $W/readd.txt | tr -s ' '); $(grep -A1 md0 /proc/mdstat | tail -1 | tr -s ' ')" \
  test "$(mdadm --detail /dev/md0 | awk '/Active Devices/{print $4}')" = 2
r=$(legs_equal); rc=$?
check md-legs-identical-after-resync "$r" test $rc = 0
mdadm --stop /dev/md0 > /dev/null 2>&1; losetup -d $LOOP

# ---- the mirror: after drain the remote volume equals the local one ---------------------------
say "drain: waiting for the remote volume to equal the local one"
same=0
for i in $(seq 120); do
  if cmp -s $W/local.img $W/remote.img; then same=1; break; fi
  sleep 1
done
check remote-equals-local "cmp local.img remote.img after ${i}s: $( [ $same = 1 ] && echo identical || cmp $W/local.img $W/remote.img 2>&1 | head -1)" test $same = 1

$JAVA $JOPTS -jar $JAR status --config $W/local.conf > $W/status.txt 2>&1
cat $W/status.txt
check status-front-end "$(grep -A8 '^frontEnd:' $W/status.txt | grep -E 'device|commandsServed' | tr -s ' ' | paste -sd' ')" \
  grep -q "device: /dev/$SD" $W/status.txt

}

if [ "${ONLY_ROLES:-0}" = 1 ]; then
  say "ONLY_ROLES=1: straight to the roles part"
  roles_checks; part_done roles; finish
fi
if [ "${ONLY_ISCSI:-0}" = 1 ]; then
  say "ONLY_ISCSI=1: the local unit alone, straight to the iSCSI export"
  LOCAL_PID=""
else
  loopback_checks || finish
  part_done loopback
fi

# ---- iSCSI export of the local unit, libiscsi's conformance suite ----------------------------
say "crash the local unit (kill -9), restart it with frontend = iscsi"
CRASHED=0
if [ -n "$LOCAL_PID" ]; then
  kill -9 $LOCAL_PID; wait $LOCAL_PID 2>/dev/null; LOCAL_PID=""
  stale=$(ls -d $CFG/core/user_*/bm-vol1 $CFG/loopback/naa.*/tpgt_1/lun/lun_0/bm-vol1 2>/dev/null | wc -l)
  echo "LIO objects left by the crashed unit: $stale"
  CRASHED=1
fi
local_conf iscsi
start_local
IQN=iqn.2024-01.org.blockmirror:bm-vol1
URL=iscsi://127.0.0.1/$IQN/0
ok=0
for i in $(seq 240); do
  iscsi-inq $URL > $W/iscsi-inq.txt 2>&1 && { ok=1; break; }
  kill -0 $LOCAL_PID 2>/dev/null || break
  sleep 1
done
check iscsi-export "iscsi-inq $URL: $(grep -i 'Vendor' $W/iscsi-inq.txt | head -1 | tr -s ' ')" test $ok = 1
cds_note $LOCAL_PID local
if [ $CRASHED = 1 ]; then
  crash_recovered() {
    [ "$stale" -ge 2 ] || return 1                                         # the crash did leave objects
    ! ls $CFG/loopback/naa.*/tpgt_1/lun/lun_0/bm-vol1 > /dev/null 2>&1 || return 1   # its LUN is gone
    [ "$(ls -d $CFG/core/user_*/bm-vol1 | wc -l)" = 1 ] || return 1        # one backstore, the new one
    [ -e $CFG/loopback/naa.*/tpgt_1/lun/lun_0/bm-vol1-standby ] && [ -b /dev/$SB ]   # the neighbour untouched
  }
  check crash-restart-removes-stale "kill -9 left $stale objects; restart removed them, standby /dev/$SB untouched" \
    crash_recovered
fi
part_done iscsi-export
iscsi_conformance() { # libiscsi's suite against $URL
  local t0; t0=$(up)
  say "iscsi-test-cu ALL (dataloss), time limit ${ITIME}s"
  # Each output line stamped with the guest's uptime (read is a builtin: no fork per line).
  timeout $ITIME iscsi-test-cu -d ${IVERBOSE:+-V} -t ${ITEST:-ALL} $URL 2>&1 \
    | while IFS= read -r line; do read -r now _ < /proc/uptime; printf '[%s] %s\n' "$now" "$line"; done \
    > $OUT/iscsi-test-cu.log
  echo "iscsi-test-cu rc=${PIPESTATUS[0]}"
  say "iscsi-test-cu done"
  grep -A4 'Run Summary' $OUT/iscsi-test-cu.log
  read -r total ran passed failed inactive < <(awk '$2=="tests"{print $3, $4, $5, $6, $7}' $OUT/iscsi-test-cu.log)
  echo "ISCSI-TEST-CU total=${total:-?} ran=${ran:-?} passed=${passed:-?} failed=${failed:-?} inactive=${inactive:-?}" | tee -a $OUT/results
  # Every failed test with its first complaint: "Suite.Test: message".
  sed 's/^\[[0-9.]*\] //' $OUT/iscsi-test-cu.log | awk '
    /^Suite: / { suite = $2 }
    /^  Test: / { test = $2; why = "" }
    /\[FAILED\]/ && why == "" { why = $0; sub(/.*\[FAILED\] */, "", why) }
    /FAILED$/ && ($0 ~ /^  Test: / || $0 == "FAILED") { pending = 1 }
    /^ +1\. / && pending { line = $0; sub(/^ +1\. +/, "", line); print "  " suite "." test ": " (why != "" ? why : line); pending = 0 }' > $OUT/iscsi-failed.txt
  check iscsi-test-cu-beats-lio-tcmu-runner "passed ${passed:-?} of ${total:-?} (LIO + tcmu-runner: 168 of 230)" \
    test "${passed:-0}" -gt 168
  echo "TIME iscsi-test-cu: $(awk "BEGIN{printf \"%.0f\", $(up) - $t0}") s" | tee -a $OUT/results
}
# The suite runs with the other vCPUs offline: the one-CPU guest its 216-217 of 230 were measured
# on. With a second CPU online (pinned to vCPU 0 with LIO's iSCSI threads or not),
# Reserve6.Logout and then Reserve6.ITNexusLoss met the previous session's reservation not yet
# released in 2 of 3 runs (215): LIO frees a session asynchronously after the logout response.
if [ $ok = 1 ]; then
  [ $NCPU -ge 2 ] && { cpus_online 0; say "vCPUs online for the suite: $(nproc)"; }
  iscsi_conformance
  [ $NCPU -ge 2 ] && { cpus_online 1; say "vCPUs online again: $(nproc)"; }
fi

say "stop both units"
stop_unit $LOCAL_PID local; LOCAL_PID=""
stop_unit $REMOTE_PID remote; REMOTE_PID=""
left=$(ls $CFG/core/ $CFG/loopback/ $CFG/iscsi/ 2>/dev/null | grep -cE '^(user_|naa\.|iqn\.)')
check clean-shutdown "LIO objects left: $left; errors in the logs: $(grep -c ' ERROR ' $W/local.log $W/remote.log | paste -sd' ')" \
  test "$left" = 0
part_done iscsi-test-cu-and-stop
[ "${SKIP_ROLES:-0}" = 1 ] || { roles_checks; part_done roles; }
finish
