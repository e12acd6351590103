# Sourced by kernel-tests-guest.sh (which, with guest-lib.sh, defines say/pass/fail/check/
# await_disk/stop_unit, $JAVA $JOPTS $JAR $W $OUT $CFG): the "roles" part of the real-kernel
# tests (docs/roles.md §5.6).
# Two `blockmirror unit` daemons in the guest, both with a loopback front end:
#   A: primary, its volume a device-mapper linear target over a loop device; B: secondary.
# 1. A's disk is the write-mostly leg of an md RAID-1 (md10) with a loop device; B's disk is the
#    standby (NOT READY). `role reverse --wait` on A while a writer keeps writing to md10: md10
#    keeps working — md fails A's leg (now NOT READY) and goes on with the loop leg; that is what
#    a write-mostly member's site losing the primary role looks like. B's disk becomes ready as the
#    same /dev/sdY, without a rescan, and holds the array's data; md11 is assembled from it alone
#    (a second array on the new primary's disk), written, and the mirror runs B -> A. Then the
#    roles are reversed back.
# 2. Fail-over through the peer (F12): A primary again, its dm table is switched to `error` under
#    a host writer; host I/O goes on through B, `volume status` says degraded; a new blank device
#    goes under the dm target and `volume replace --wait` refills it from B.

roles_json() { # json-text python-expression-over-r
  /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
# Waits until the unit at socket $1 is primary and streaming to its peer with IN_SYNC_STREAM.
roles_await_streaming() { # socket seconds
  local i s
  for i in $(seq "$2"); do
    s=$(unit_ctl "$1" status)
    [ "$(roles_json "$s" 'r["role"]["role"] + "/" + (r["half"] or {}).get("replication", {}).get("phase", "-") + "/" + ((r["role"]["lastDecision"] or {}).get("kind") or "-")')" \
      = "PRIMARY/STREAMING/IN_SYNC_STREAM" ] && return 0
    sleep 1
  done
  echo "not streaming after $2 s: $s"
  return 1
}
roles_md5() { # device offset-bytes length-bytes: md5 of that range, read with O_DIRECT
  dd if="$1" bs=1M skip="$2" count="$3" iflag=direct,skip_bytes,count_bytes 2>/dev/null | md5sum | cut -c1-32
}
roles_md5f() { # file offset-bytes length-bytes (tmpfs has no O_DIRECT)
  dd if="$1" bs=1M skip="$2" count="$3" iflag=skip_bytes,count_bytes 2>/dev/null | md5sum | cut -c1-32
}
roles_tur() { sg_turs "$1" > /dev/null 2>&1; }
roles_not_ready() { ! sg_turs "$1" > $W/roles-tur.txt 2>&1 && grep -qi "not ready" $W/roles-tur.txt; }
roles_unit_conf() { # name volume-path listen peer hb-listen hb-peer
  cat > $W/unit$1.conf <<EOF
volume.id = vol2
volume.path = $2
state.dir = $W/unit$1-state
control.socket = $W/unit$1.sock
journal.path = $W/unit$1.journal
journal.size = 80M
journal.full-timeout-ms = 120000
listen.address = 127.0.0.1:$3
peer.address = 127.0.0.1:$4
heartbeat.listen = 127.0.0.1:$5
heartbeat.peer = 127.0.0.1:$6
heartbeat.interval-ms = 500
heartbeat.timeout-ms = 3000
heartbeat.probation-ms = 1000
heartbeat.probation-gap-ms = 1500
frontend = loopback
frontend.name = bm-vol2-$1
EOF
}
roles_dm_swap() { # table: replace bmroleA's table (what the unit's volume.path, $W/a-vol, points to)
  dmsetup suspend bmroleA && dmsetup load bmroleA --table "$1" && dmsetup resume bmroleA
}

roles_checks() {
  say "roles: unit A (primary, volume on dm over a loop device) and unit B (secondary)"
  export DM_DISABLE_UDEV=1                      # no udev in the guest: dmsetup makes /dev/mapper nodes itself
  modprobe dm_mod || { fail roles-modprobe "dm_mod"; return 1; }
  rm -f $W/local.img $W/remote.img $W/leg.img $W/local.journal; rm -rf $W/src   # earlier parts' files: RAM
  local vol=$((32 << 20)); local sect=$((vol / 512)) MiB=$((1 << 20)) i rc r   # small: CI time
  truncate -s $vol $W/a-disk1.img $W/b.img $W/md-leg.img
  ALOOP=$(losetup -f --show $W/a-disk1.img)
  dmsetup create bmroleA --table "0 $sect linear $ALOOP 0" || { fail roles-dm "dmsetup create failed"; return 1; }
  ln -sfn /dev/mapper/bmroleA $W/a-vol
  roles_unit_conf A $W/a-vol 7801 7802 7811 7812
  roles_unit_conf B $W/b.img 7802 7801 7812 7811
  $JAVA $JOPTS -jar $JAR unit init --role primary --config $W/unitA.conf >> $W/unitA.log 2>&1 &
  $JAVA $JOPTS -jar $JAR unit init --role secondary --config $W/unitB.conf >> $W/unitB.log 2>&1
  wait $!
  $JAVA $JOPTS -jar $JAR unit --config $W/unitB.conf >> $W/unitB.log 2>&1 & UNIT_B_PID=$!
  $JAVA $JOPTS -jar $JAR unit --config $W/unitA.conf >> $W/unitA.log 2>&1 & UNIT_A_PID=$!
  SA=$(await_disk bm-vol2-A $UNIT_A_PID 240); SB2=$(await_disk bm-vol2-B $UNIT_B_PID 240)
  check roles-disks-appear "A (primary) /dev/$SA, B (secondary) /dev/$SB2" test -n "$SA" -a -n "$SB2"
  [ -n "$SA" ] && [ -n "$SB2" ] || { tail -n 30 $W/unitA.log $W/unitB.log; return 1; }
  roles_await_streaming $W/unitA.sock 120
  check roles-a-ready-b-standby "A's disk answers TEST UNIT READY; B's: $(sg_turs /dev/$SB2 2>&1 | grep -i 'not ready' | head -1 | tr -s ' ')" \
    eval 'roles_tur /dev/$SA && roles_not_ready /dev/$SB2'

  # ---- md RAID-1 on the host over a loop device and A's disk (write-mostly) ----------------------
  say "md10: a loop device + --write-mostly /dev/$SA (both zeroed: --assume-clean)"
  MDLOOP=$(losetup -f --show $W/md-leg.img)
  mdadm --create /dev/md10 --run --assume-clean --level=1 --raid-devices=2 --metadata=1.2 --bitmap=internal \
    $MDLOOP --write-mostly /dev/$SA > $W/md10.txt 2>&1 || cat $W/md10.txt
  check roles-md-create "$(grep md10 /proc/mdstat | tr -s ' ')" grep -q "md10 : active raid1" /proc/mdstat
  local off; off=$(( $(mdadm --examine $MDLOOP | awk '/Data Offset/{print $4}') * 512 ))
  head -c $((16 * MiB)) /dev/urandom > $W/pat1; head -c $((2 * MiB)) /dev/urandom > $W/pat2
  head -c $((4 * MiB)) /dev/urandom > $W/pat3
  dd if=$W/pat1 of=/dev/md10 bs=1M oflag=direct 2>/dev/null
  local sum1; sum1=$(md5sum < $W/pat1 | cut -c1-32)
  r="md10 [0,16M) $(roles_md5 /dev/md10 0 $((16 * MiB))), A's leg $(roles_md5 /dev/$SA $off $((16 * MiB)))"
  check roles-md-data "$r, written $sum1" test "$r" = "md10 [0,16M) $sum1, A's leg $sum1"

  # ---- role reversal under a writer on md10 ---------------------------------------------------------
  # The writer pauses between passes: `role reverse --wait` (the CLI) waits for a moment when the
  # lag is 0 before it asks the daemon to stop host writes; a writer at full speed delays that.
  say "role reverse --wait on A while a writer rewrites md10 [20M,22M) in a loop"
  rm -f $W/writer.stop
  ( n=0; while [ ! -e $W/writer.stop ]; do
      dd if=$W/pat2 of=/dev/md10 bs=256k seek=$((20 * 4)) oflag=direct 2>> $W/writer.err || exit 1
      n=$((n + 1)); echo $n > $W/writer.n; sleep 1
    done ) & local writer=$!
  sleep 2
  local t0 t1; t0=$(up)
  $JAVA $JOPTS -jar $JAR role reverse --wait --config $W/unitA.conf > $W/reverse1.txt 2>&1; rc=$?
  t1=$(up); cat $W/reverse1.txt
  check roles-reverse "role reverse --wait on A: rc=$rc in $(awk "BEGIN{print $t1 - $t0}") s" test $rc = 0
  sleep 3; touch $W/writer.stop; wait $writer; rc=$?
  dd if=/dev/md10 of=$W/pat2.back bs=256k skip=$((20 * 4)) count=8 iflag=direct 2>/dev/null
  dd if=$W/pat3 of=/dev/md10 bs=1M seek=24 oflag=direct 2>/dev/null; local rc2=$?
  local md_state; md_state="$(grep md10 /proc/mdstat | tr -s ' '); $(mdadm --detail /dev/md10 | grep 'State :' | tr -s ' ')"
  md_ok() {
    [ $rc = 0 ] && [ $rc2 = 0 ] && cmp -s $W/pat2 $W/pat2.back && [ "$(roles_md5 /dev/md10 $((24 * MiB)) $((4 * MiB)))" = "$(md5sum < $W/pat3 | cut -c1-32)" ] \
      && grep md10 /proc/mdstat | grep -q "$SA\[1\](W)(F)" && [ "$(mdadm --detail /dev/md10 | awk '/Active Devices/{print $4}')" = 1 ]
  }
  check roles-md-survives-reversal "writer rc=$rc after $(cat $W/writer.n 2>/dev/null) passes, $(grep -ci error $W/writer.err) error lines; write after rc=$rc2; md failed A's leg (NOT READY, write-mostly) and runs on the loop leg: $md_state" \
    md_ok
  check roles-demoted-disk-not-ready "A's /dev/$SA: $(sg_turs /dev/$SA 2>&1 | grep -i 'not ready' | head -1 | tr -s ' ')" roles_not_ready /dev/$SA
  check roles-promoted-disk-ready "B's disk still /dev/$(disk_of bm-vol2-B) (was /dev/$SB2), TEST UNIT READY answers, no rescan" \
    eval 'test "$(disk_of bm-vol2-B)" = "$SB2" && roles_tur /dev/$SB2'
  r=$(roles_md5 /dev/$SB2 $off $((16 * MiB)))
  check roles-promoted-disk-data "B's disk at the md data offset $off: [0,16M) $r, written $sum1" test "$r" = "$sum1"

  # ---- a second array on the new primary's disk ---------------------------------------------------
  say "stop md10 (the old primary's host), assemble md11 from B's disk alone"
  mdadm --stop /dev/md10 > /dev/null 2>&1
  mdadm --assemble /dev/md11 --run /dev/$SB2 > $W/md11.txt 2>&1; rc=$?; cat $W/md11.txt
  r=$(roles_md5 /dev/md11 0 $((16 * MiB)))
  check roles-second-array "mdadm --assemble --run md11 /dev/$SB2: rc=$rc, $(grep md11 /proc/mdstat | tr -s ' '); [0,16M) $r" \
    test $rc = 0 -a "$r" = "$sum1"
  dd if=$W/pat3 of=/dev/md11 bs=1M seek=4 oflag=direct 2>/dev/null; rc=$?
  local sum3; sum3=$(md5sum < $W/pat3 | cut -c1-32)
  r=$(roles_md5 /dev/md11 $((4 * MiB)) $((4 * MiB)))
  check roles-second-array-writes "dd to md11 rc=$rc, read back $r, written $sum3" test $rc = 0 -a "$r" = "$sum3"
  mdadm --stop /dev/md11 > /dev/null 2>&1
  local same=0
  for i in $(seq 60); do cmp -s /dev/mapper/bmroleA $W/b.img && { same=1; break; }; sleep 1; done
  check roles-mirror-runs-back "A's volume equals B's after ${i} s: $([ $same = 1 ] && echo identical || cmp /dev/mapper/bmroleA $W/b.img 2>&1 | head -1)" \
    test $same = 1

  # ---- reverse back ----------------------------------------------------------------------------------
  say "role reverse --wait on B"
  roles_await_streaming $W/unitB.sock 60
  $JAVA $JOPTS -jar $JAR role reverse --wait --config $W/unitB.conf > $W/reverse2.txt 2>&1; rc=$?
  cat $W/reverse2.txt
  r=$(roles_md5 /dev/$SA $((off + 4 * MiB)) $((4 * MiB)))
  check roles-reverse-back "rc=$rc; A's /dev/$SA ready again with md11's write ($r), B's /dev/$SB2 NOT READY" \
    eval 'test $rc = 0 -a "$r" = "$sum3" && roles_tur /dev/$SA && roles_not_ready /dev/$SB2'

  # ---- fail-over through the peer: A's disk fails under a host writer --------------------------------
  roles_await_streaming $W/unitA.sock 60
  say "fail-over: A's dm table -> error while the host writes to /dev/$SA"
  head -c $((16 * MiB)) /dev/urandom > $W/pat4
  dd if=$W/pat4 of=/dev/$SA bs=256k oflag=direct 2> $W/fo-writer.err & writer=$!
  sleep 1
  local running=no; kill -0 $writer 2>/dev/null && running=yes
  roles_dm_swap "0 $sect error"; local swap=$?
  wait $writer; rc=$?
  dd if=$W/pat3 of=/dev/$SA bs=1M seek=20 oflag=direct 2>> $W/fo-writer.err; rc2=$?
  r="$(roles_md5 /dev/$SA 0 $((16 * MiB))) $(roles_md5 /dev/$SA $((20 * MiB)) $((4 * MiB)))"
  check failover-host-io "dm table -> error rc=$swap (writer running then: $running); writer rc=$rc, write after rc=$rc2; read back $r" \
    test $swap = 0 -a $rc = 0 -a $rc2 = 0 -a "$r" = "$(md5sum < $W/pat4 | cut -c1-32) $sum3"
  $JAVA $JOPTS -jar $JAR volume status --config $W/unitA.conf > $W/fo-status.txt 2>&1; cat $W/fo-status.txt
  check failover-degraded "$(head -1 $W/fo-status.txt)" grep -q "local volume: degraded" $W/fo-status.txt

  # A new disk is a new block device: a fresh dm device, and volume.path (a symlink) points to it.
  # (Putting a healthy table back under the failed dm device instead keeps that block device's
  # unreported writeback error, which the replacement's first fsync then returns.)
  say "replace: a blank device (dm bmroleA2 over a new loop device), volume replace --wait"
  truncate -s $vol $W/a-disk2.img
  ALOOP2=$(losetup -f --show $W/a-disk2.img)
  dmsetup create bmroleA2 --table "0 $sect linear $ALOOP2 0" && ln -sfn /dev/mapper/bmroleA2 $W/a-vol; swap=$?
  $JAVA $JOPTS -jar $JAR volume replace --wait --config $W/unitA.conf > $W/fo-replace.txt 2>&1; rc=$?
  tail -3 $W/fo-replace.txt
  sync; echo 3 > /proc/sys/vm/drop_caches
  same=0
  for i in $(seq 60); do cmp -s $W/a-disk2.img $W/b.img && { same=1; break; }; sleep 1; done
  r=$(roles_md5f $W/a-disk2.img 0 $((16 * MiB)))
  check failover-replace "new dm device rc=$swap, volume replace --wait rc=$rc: $(grep 'local volume' $W/fo-replace.txt | tail -1); new disk = B's volume: $([ $same = 1 ] && echo identical || echo differs); host data on it $r" \
    test $swap = 0 -a $rc = 0 -a $same = 1 -a "$r" = "$(md5sum < $W/pat4 | cut -c1-32)" -a -n "$(grep 'local volume: ok' $W/fo-replace.txt)"
  dd if=$W/pat2 of=/dev/$SA bs=1M seek=24 oflag=direct 2>/dev/null; rc=$?; sync
  r=$(roles_md5f $W/a-disk2.img $((24 * MiB)) $((2 * MiB)))
  check failover-after-replace "a host write after the resync lands on the new disk: rc=$rc, $r" \
    test $rc = 0 -a "$r" = "$(md5sum < $W/pat2 | cut -c1-32)"

  say "roles: stop both units"
  stop_unit $UNIT_A_PID unitA; UNIT_A_PID=""
  stop_unit $UNIT_B_PID unitB; UNIT_B_PID=""
  local left; left=$(ls -d $CFG/core/user_*/bm-vol2-* $CFG/loopback/naa.*/tpgt_1/lun/lun_0/bm-vol2-* 2>/dev/null | wc -l)
  check roles-clean-shutdown "LIO objects of units A and B left: $left" test "$left" = 0
  dmsetup remove bmroleA; dmsetup remove bmroleA2; losetup -d $ALOOP $ALOOP2 $MDLOOP 2>/dev/null
  cp $W/reverse*.txt $W/fo-*.txt $W/md1*.txt $W/writer.err $OUT/ 2>/dev/null
  return 0
}
