#!/bin/bash
# Stage 2 of benchmark.sh (PID 1 in the guest, see run-guest.sh): the fio jobs of issue 3's
# benchmark on every device, one after the other, in this one boot:
#   raw    loop device over a pre-filled tmpfs file (the baseline every ratio divides by)
#   tcmu   LIO + TCMU + tcm_loop served by tcmu-runner (qcow handler on a raw file)
#   off    our local unit with mirroring off (`queue stop-enqueue`): front end + volume + dirty map
#   down   our local unit, link down: front end + journal + volume, nothing sent
#   async  our local unit mirroring to a remote unit in this guest, ack.mode = async
#   sync   the same, ack.mode = sync
#   drbdA  DRBD 8.4 protocol A, both ends in this kernel over 127.0.0.1
#   drbdC  the same, protocol C
# Every measurement prints one "RESULT dev job iops KiB/s clat_mean_us busy% user% sys% softirq%
# extra" line into /mnt/out/results; a device that cannot be set up prints "SKIP dev reason".
# Inputs in /mnt/out: jar (path of blockmirror.jar), optional env file (see benchmark.sh),
# guest-lib.sh (JAR JAVA JOPTS CFG, up say disk_of await_disk unit_conf_base start_unit).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
OUT=/mnt/out
exec > >(tee $OUT/guest.log) 2>&1
# The JVM's default tiered compilation (C2), as the daemons run in production. On one emulated
# vCPU C2 needs long warm-ups (WARMUP) to settle; -XX:TieredStopAtLevel=1 (C1 only) settles at
# once but runs our path about 3x slower per small write (docs/performance.md). Set before
# guest-lib.sh, whose default is C1 (the kernel tests' short-lived JVMs); JOPTS in OUT/env wins.
JOPTS="-Xmx256m -XX:+UseSerialGC -Xshare:auto"
. $OUT/guest-lib.sh || { echo "cannot source $OUT/guest-lib.sh"; exit 1; }
UNIT_LOGS=$OUT                     # start_unit: the units log straight to the host, readable during the run
RUNTIME=${RUNTIME:-10}             # seconds per measured fio job
WARMUP=${WARMUP:-40}               # seconds of each warm-up job (r16, seq, then r1) per device
SETTLE_STEP=${SETTLE_STEP:-20}     # then rounds of r16, r1, seq of this many seconds while C2 still compiles
SETTLE_MAX=${SETTLE_MAX:-360}      #   ... for at most this long: settled = C2 under 5% in 3 rounds in a row
FIO_SIZE=${FIO_SIZE:-120M}
VOLMB=${VOLMB:-128}                # every volume / backing file, MiB
OFF_JOURNAL_MB=${OFF_JOURNAL_MB:-3072}   # the link-down journal keeps everything written to it
JOURNAL_MB=${JOURNAL_MB:-1024}
CONNECTIONS=${CONNECTIONS:-4}      # transport.connections of the mirroring runs (the default)
DEVICES=${DEVICES:-"raw tcmu off down async sync drbdA drbdC"}
JOBS=${JOBS:-"seq r16 r1 r1f"}
TCMU_MAX_SECTORS=${TCMU_MAX_SECTORS:-1024}
GUEST_LIMIT=${GUEST_LIMIT:-1500}   # the guest powers itself off after this many seconds
PERF=${PERF:-}                     # "dev:job ...": a system-wide perf profile of those measured jobs
[ -n "$PERF" ] && JOPTS="$JOPTS -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"   # JIT symbols for perf
# /tmp is a tmpfs of half the guest's memory: the link-down journal alone takes 3 GiB
mount -o remount,size=85% /tmp 2>/dev/null
W=/tmp/bench; mkdir -p $W $OUT/cpu; cd $W
: > $OUT/results

skip() { echo "SKIP $1 $2" | tee -a $OUT/results; }
finish() {
  trap - EXIT
  say "finish"
  for p in $LOCAL_PID $REMOTE_PID $RUNNER_PID; do kill $p 2>/dev/null; done
  sleep 1
  perf_reports
  cp $W/*.log $W/*.conf $OUT/ 2>/dev/null
  dmesg > $OUT/dmesg.log
  echo "DONE t=$(up)" >> $OUT/results
  sync; /bin/busybox poweroff -f
}
trap finish EXIT
( sleep $GUEST_LIMIT; echo "=== guest time limit of $GUEST_LIMIT s reached: powering off"; finish ) &

# perf profiles (PERF): recorded during the measured job, reported at the end, once every JVM has
# exited and written its /tmp/perf-PID.map (the guest's perf is the host's, the kernel's version)
perf_reports() {
  local f
  local base
  for f in $W/perf-*.data; do
    [ -e "$f" ] || continue
    base=$OUT/$(basename $f .data)
    { echo "== by thread and object"; perf report -i $f --no-children --sort comm,dso --stdio -g none 2>&1
      echo "== by thread and symbol"
      perf report -i $f --no-children --sort comm,dso,sym --percent-limit 0.1 --stdio -g none 2>&1; } > $base.txt
    perf report -i $f --no-children --sort comm,sym --stdio -g caller,0.5,callee --percent-limit 1 2>&1 \
      | head -3000 > $base-calls.txt
  done
}

# ---- CPU accounting --------------------------------------------------------------------------
# fio runs snap.sh right before its job starts its I/O (exec_prerun) and right after it ends
# (exec_postrun): /proc/stat's cpu line and every thread's utime+stime in ticks. The difference
# says where the single vCPU's time went during the measured I/O, thread by thread.
cat > $W/snap.sh <<'EOF'
#!/bin/bash
head -1 /proc/stat > $1.stat
for f in /proc/[0-9]*/task/[0-9]*/stat; do read -r l < $f 2>/dev/null && echo "${f#/proc/} $l"; done > $1.raw
EOF
chmod +x $W/snap.sh
threads_of() { # snap.sh's .raw -> "pid/tid comm ticks"
  awk '{ key = $1; sub(/\/stat$/, "", key); sub(/\/task/, "", key); s = $0
      i = index(s, "("); j = 0; for (k = length(s); k > i; k--) if (substr(s, k, 1) == ")") { j = k; break }
      comm = substr(s, i + 1, j - i - 1); gsub(/ /, "_", comm)
      split(substr(s, j + 2), a, " "); print key, comm, a[12] + a[13] }' $1
}
cpu_report() { # name: "busy user sys softirq" (%) on stdout; the top threads into cpu/name.txt
  local name=$1 p total
  for p in /proc/[0-9]*; do echo "${p#/proc/} $(tr ' ' _ < $p/comm 2>/dev/null)"; done > $W/names
  threads_of $W/a.raw > $W/a.threads; threads_of $W/b.raw > $W/b.threads
  paste -d' ' $W/a.stat $W/b.stat | awk '{ for (i = 2; i <= 11; i++) { d[i] = $(i + 11) - $i; t += d[i] }
      if (t <= 0) t = 1
      printf "%.0f %.0f %.0f %.0f\n", 100 * (t - d[5] - d[6]) / t, 100 * (d[2] + d[3]) / t, 100 * d[4] / t, 100 * (d[7] + d[8]) / t }'
  total=$(paste -d' ' $W/a.stat $W/b.stat | awk '{ for (i = 2; i <= 11; i++) t += $(i + 11) - $i; print t }')
  {
    paste -d' ' $W/a.stat $W/b.stat | awk '{ t = 0; for (i = 2; i <= 11; i++) t += $(i + 11) - $i
      printf "ticks in the job (100/s): total %d = user %d nice %d system %d idle %d iowait %d irq %d softirq %d\n",
        t, $13-$2, $14-$3, $15-$4, $16-$5, $17-$6, $18-$7, $19-$8 }'
    awk -v total="$total" '
      FILENAME == ARGV[1] { name[$1] = $2; next }
      FILENAME == ARGV[2] { before[$1] = $3; next }
      { d = $3 - before[$1]; if (d <= 0) next; split($1, p, "/")
        printf "%6d %5.1f%%  %-22s %s\n", d, 100 * d / (total > 0 ? total : 1), name[p[1]] "[" p[1] "]", $2 }' \
      $W/names $W/a.threads $W/b.threads | sort -rn | head -25
  } > $OUT/cpu/$name.txt
}

# ---- fio -------------------------------------------------------------------------------------
job_args() {
  case $1 in
    seq) echo "--rw=write --bs=1M --ioengine=libaio --iodepth=8" ;;
    r16) echo "--rw=randwrite --bs=4k --ioengine=libaio --iodepth=16" ;;
    r1) echo "--rw=randwrite --bs=4k --ioengine=psync" ;;
    r1f) echo "--rw=randwrite --bs=4k --ioengine=psync --fsync=1" ;;
  esac
}
fio_run() { # device job seconds [fio options] -> fio terse v3 line (write: 48 KiB/s, 49 IOPS, 57 clat mean µs)
  timeout -k 5 $(($3 + 120)) fio --name=$2 --filename=$1 --direct=1 --size=$FIO_SIZE --runtime=$3 --time_based \
    $(job_args $2) --output-format=terse --terse-version=3 "${@:4}" 2> $W/fio.err | grep "^3;"   # (exec_prerun chatters)
  local rc=${PIPESTATUS[0]}
  [ $rc = 0 ] || { echo "fio $2 on $1 failed (rc=$rc): $(tail -3 $W/fio.err)" >&2; return 1; }
}
# Scheduler none, and the queue's facts, for the device and (for DRBD) its lower devices.
prepare_queue() {
  local d
  for d in "$@"; do
    [ -w /sys/block/$d/queue/scheduler ] && echo none > /sys/block/$d/queue/scheduler 2>/dev/null
    echo "queue $d: scheduler '$(cat /sys/block/$d/queue/scheduler 2>/dev/null)'" \
      "write_cache '$(cat /sys/block/$d/queue/write_cache 2>/dev/null)'" \
      "max_sectors_kb $(cat /sys/block/$d/queue/max_sectors_kb 2>/dev/null)" \
      "nr_requests $(cat /sys/block/$d/queue/nr_requests 2>/dev/null)"
  done | tee -a $OUT/devices.txt
}
# CPU ticks (USER_HZ) the C2 compiler threads of every running JVM have used: 0 without a JVM.
c2_ticks() {
  local t=0 f
  for f in /proc/[0-9]*/task/*/stat; do
    case "$(cat ${f%stat}comm 2>/dev/null)" in "C2 CompilerThre"*) ;; *) continue ;; esac
    t=$((t + $(awk '{ print $14 + $15 }' $f 2>/dev/null || echo 0)))
  done
  echo $t
}
# Warm up (JIT of the JVM devices; the same for every device), then measure every job.
# On one emulated vCPU C2 works through its queue for minutes: a JVM device gets more rounds
# until C2 is nearly idle, so the jobs measure the daemons' steady state, not their compiler.
# BEFORE_JOB / AFTER_JOB hooks (functions) run around each measured job, untimed.
measure() { # name /dev/path
  local name=$1 dev=$2 job line cpu extra
  say "$name: warm-up on $dev (r16, seq, r1: ${WARMUP}s each)"
  fio_run $dev r16 $WARMUP > /dev/null && fio_run $dev seq $WARMUP > /dev/null && fio_run $dev r1 $WARMUP > /dev/null \
    || { skip $name "warm-up failed"; return 1; }
  # Rounds cycle through r16, r1 and seq (each makes other code hot: a JIT settled by r16 alone
  # still compiled through r1); settled = one quiet round of each in a row.
  local settled=0 quiet=0 c2a c2=0 rounds="" sj n=0 cycle=(r16 r1 seq)
  while :; do
    c2a=$(c2_ticks)
    [ "$c2a" = 0 ] && break                       # no JVM: nothing to settle
    [ $settled -ge $SETTLE_MAX ] && break
    sj=${cycle[$((n++ % 3))]}
    fio_run $dev $sj $SETTLE_STEP > /dev/null || break
    c2=$(( $(c2_ticks) - c2a )); settled=$((settled + SETTLE_STEP)); rounds="$rounds $sj:$c2"
    if [ $c2 -lt $((SETTLE_STEP * 5)) ]; then    # under 5% of the round's ticks (100/s)
      quiet=$((quiet + 1)); [ $quiet -ge 3 ] && break
    else
      quiet=0
    fi
  done
  [ "$(c2_ticks)" != 0 ] && say "$name: JIT settle: ${settled}s more, C2 ticks per ${SETTLE_STEP}s round:$rounds" \
    | tee -a $OUT/settle.txt
  for job in $JOBS; do
    declare -F before_job > /dev/null && before_job $job
    say "$name: $job ($(job_args $job), ${RUNTIME}s)"
    rm -f $W/a.stat $W/a.raw $W/b.stat $W/b.raw
    case " $PERF " in *" $name:$job "*)
      perf record -F 199 -a -g -o $W/perf-$name-$job.data -- sleep $RUNTIME > $W/perf.out 2>&1 & ;;
    esac
    line=$(fio_run $dev $job $RUNTIME --exec_prerun="$W/snap.sh $W/a" --exec_postrun="$W/snap.sh $W/b")
    local ok=$?
    cpu=$(cpu_report $name-$job)
    if [ $ok != 0 ] || [ -z "$line" ]; then
      echo "RESULT $name $job FAILED" | tee -a $OUT/results
      continue
    fi
    echo "$line" >> $OUT/fio-terse.txt
    extra=""
    declare -F after_job > /dev/null && extra=$(after_job $job)
    echo "$line" | awk -F';' -v n=$name -v j=$job -v c="$cpu" -v x="$extra" \
      '{ printf "RESULT %s %s %.0f %.0f %.1f %s %s\n", n, j, $49, $48, $57, c, x }' | tee -a $OUT/results
    head -10 $OUT/cpu/$name-$job.txt
  done
}
fill() { # file MiB: allocate every page before anything is timed (first touch halves throughput)
  dd if=/dev/zero of=$1 bs=1M count=$2 2> /dev/null
}

# ---- boot ------------------------------------------------------------------------------------
say "guest $(uname -r), $(nproc) cpu, $(awk '/MemTotal/{print int($2/1024) " MiB"}' /proc/meminfo)," \
  "runtime ${RUNTIME}s per job, warm-up ${WARMUP}s, fio size $FIO_SIZE, devices: $DEVICES"
ip link set lo up
modprobe configfs && mount -t configfs configfs /sys/kernel/config
for m in target_core_user tcm_loop loop sd_mod drbd; do modprobe $m || echo "modprobe $m failed"; done
mkdir -p /run/lock
fio --version; $JAVA -version 2>&1 | head -1
echo "fio: $FIO_SIZE, ${RUNTIME}s per job (warm-up ${WARMUP}s each of r16, seq, r1); jobs $JOBS; transport.connections $CONNECTIONS; JOPTS $JOPTS${LOCAL_CONF:+; local: $LOCAL_CONF}${REMOTE_CONF:+; remote: $REMOTE_CONF}" > $OUT/devices.txt

# ---- 1. raw loop device ----------------------------------------------------------------------
phase_raw() {
  fill $W/raw.img $VOLMB
  local loop; loop=$(losetup -f --show $W/raw.img) || { skip raw "losetup failed"; return; }
  prepare_queue ${loop#/dev/}
  measure raw $loop
  losetup -d $loop; rm -f $W/raw.img
}

# ---- 2. tcmu-runner --------------------------------------------------------------------------
phase_tcmu() {
  local B=$CFG/core/user_9/tcmubench TL=$CFG/loopback/naa.5001405000000091 sd
  command -v tcmu-runner > /dev/null || { skip tcmu "tcmu-runner is not installed on the host (apt-get install tcmu-runner)"; return; }
  fill $W/tcmu.img $VOLMB
  tcmu-runner -l $W > $W/tcmu-runner.out 2>&1 &
  RUNNER_PID=$!
  sleep 2
  kill -0 $RUNNER_PID 2>/dev/null || { skip tcmu "tcmu-runner exited: $(tail -2 $W/tcmu-runner.out)"; RUNNER_PID=""; return; }
  mkdir -p $B && echo -n "dev_config=qcow/$W/tcmu.img" > $B/control && echo -n "dev_size=$((VOLMB << 20))" > $B/control \
    && echo -n "hw_block_size=512" > $B/control && echo -n "hw_max_sectors=$TCMU_MAX_SECTORS" > $B/control \
    && echo -n 1 > $B/enable \
    && mkdir -p $TL/tpgt_1/lun/lun_0 && echo -n naa.5001405000000092 > $TL/tpgt_1/nexus \
    && ln -s $B $TL/tpgt_1/lun/lun_0/tcmubench
  if sd=$(await_disk tcmubench $RUNNER_PID 60); then
    echo "tcmu-runner: $(cat $B/info | tr -s ' \n' ' ')" | tee -a $OUT/devices.txt
    prepare_queue $sd
    measure tcmu /dev/$sd
  else
    skip tcmu "no /dev/sdX for the tcmu-runner backstore: $(tail -3 $W/tcmu-runner.out $W/tcmu-runner.log 2>/dev/null | tr '\n' ' ')"
  fi
  rm -f $TL/tpgt_1/lun/lun_0/tcmubench; rmdir $TL/tpgt_1/lun/lun_0 $TL/tpgt_1 $TL 2>/dev/null
  rmdir $B $CFG/core/user_9 2>/dev/null
  kill $RUNNER_PID; wait $RUNNER_PID 2>/dev/null; RUNNER_PID=""
  rm -f $W/tcmu.img
  [ -e $B ] && echo "WARNING: tcmu-runner's backstore $B could not be removed"
}

# ---- 3-5. our units --------------------------------------------------------------------------
unit_conf() { # role volume-file state-name + extra lines on stdin
  unit_conf_base $2 $3 5000
  cat
}
# One status field of a unit, through its control socket (python: no second JVM start).
status_of() { # socket python-expression-on-r
  python3 - "$1" "$2" <<'PY' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); s.sendall(b"status\n")
buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
r = json.loads(buf)["result"]
print(eval(sys.argv[2]))
PY
}
stop_pid() { # pid name
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null
  for i in $(seq 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then echo "WARNING: $2 did not exit within 60 s of SIGTERM"; kill -9 "$1"; fi
  wait "$1" 2>/dev/null
}
# Our local unit alone: its remote address and heartbeat peer answer nothing, so the link stays DOWN.
#   off:  mirroring switched off by the operator (`queue stop-enqueue`): writes go to the volume and
#         mark the dirty map (one durable map write per chunk first written), nothing is journalled;
#         the front end alone plus change tracking, the counterpart of tcmu-runner's row
#   down: the link is down and every write is journalled (and kept: nothing is acknowledged)
phase_off() { # off|down
  local mode=$1 t0 sd
  if [ $mode = off ]; then
    say "off: local unit with enqueueing stopped (front end + volume + dirty map, nothing journalled or sent)"
  else
    say "down: local unit whose remote is unreachable (link down: front end + journal + volume, nothing sent)"
  fi
  fill $W/$mode.img $VOLMB; fill $W/$mode.journal $OFF_JOURNAL_MB
  unit_conf local $W/$mode.img $mode > $W/$mode.conf <<EOF
remote.address = 127.0.0.1:7799
heartbeat.listen = 127.0.0.1:7797
heartbeat.peer = 127.0.0.1:7798
journal.path = $W/$mode.journal
journal.size = ${OFF_JOURNAL_MB}M
journal.full-timeout-ms = 120000
frontend = loopback
EOF
  t0=$(up)
  start_unit local $W/$mode.conf --format-journal
  if ! sd=$(await_disk bm-vol1 $LOCAL_PID 300); then
    skip $mode "our disk did not appear: $(tail -3 $OUT/$mode.log | tr '\n' ' ')"; stop_pid "$LOCAL_PID" local; LOCAL_PID=""; return
  fi
  say "$mode: /dev/$sd after $(awk "BEGIN{print $(up) - $t0}") s; link $(status_of $W/$mode.sock 'r["link"]["state"]')"
  if [ $mode = off ]; then
    say "off: $(unit_ctl $W/off.sock queue stop-enqueue)"
    [ "$(status_of $W/off.sock 'r["buffer"]["enqueueingStopped"]')" = True ] \
      || { skip off "queue stop-enqueue did not take effect"; stop_pid "$LOCAL_PID" local; LOCAL_PID=""; return; }
  fi
  prepare_queue $sd
  after_job() { # the journal must never fill (down) and nothing may reach it (off): say how full it is
    echo "journal=$(status_of $W/$mode.sock 'str(round(r["journal"]["usedPercent"])) + "%," + r["link"]["state"] + ",mode=" + r["buffer"]["mode"] + ",failed=" + str(r["blocks"]["writesFailed"])')"
  }
  measure $mode /dev/$sd
  unset -f after_job
  stop_pid "$LOCAL_PID" local; LOCAL_PID=""
  rm -rf $W/$mode.img $W/$mode.journal $W/$mode.journal.dirtymap $W/$mode-state
}
# Waits until the remote has acknowledged everything (lagRecords 0); prints the seconds it took.
await_drain() { # socket limit-seconds: prints the seconds it took; on a stall, dumps both units' state
  local t0=$(up) lag
  while :; do
    lag=$(status_of $1 'r["lagRecords"]')   # (lagBytes counts journal space not yet reclaimed)
    [ "$lag" = 0 ] && { awk "BEGIN{printf \"%.1f\", $(up) - $t0}"; return 0; }
    awk "BEGIN{exit !($(up) - $t0 > $2)}" && break
    sleep 0.5
  done
  echo "not-drained(lag=$lag)"
  { echo "=== [t=$(up)] not drained after $2 s: status of both units, thread dumps"
    status_of $W/local.sock 'json.dumps(r, indent=1)'; status_of $W/remote.sock 'json.dumps(r, indent=1)'
    for p in $LOCAL_PID $REMOTE_PID; do timeout 120 ${JAVA%/java}/jcmd $p Thread.print; done
  } >> $OUT/stall-$(up).txt 2>&1
  return 1
}
phase_mirror() { # async|sync
  local mode=$1 sd t0=$(up)
  say "$mode: local unit mirroring to the remote unit in this guest, ack.mode = $mode"
  if [ -z "$REMOTE_PID" ]; then
    fill $W/remote.img $VOLMB; fill $W/local.img $VOLMB; fill $W/local.journal $JOURNAL_MB
    unit_conf remote $W/remote.img remote > $W/remote.conf <<EOF
listen.address = 127.0.0.1:7789
heartbeat.listen = 127.0.0.1:7791
heartbeat.peer = 127.0.0.1:7790
frontend = none
EOF
    [ -z "${REMOTE_CONF:-}" ] || echo "$REMOTE_CONF" | tr ';' '\n' >> $W/remote.conf
    start_unit remote $W/remote.conf
    FORMAT=--format-journal
  fi
  unit_conf local $W/local.img local > $W/local.conf <<EOF
remote.address = 127.0.0.1:7789
heartbeat.listen = 127.0.0.1:7790
heartbeat.peer = 127.0.0.1:7791
journal.path = $W/local.journal
journal.size = ${JOURNAL_MB}M
journal.full-timeout-ms = 120000
ack.mode = $mode
transport.connections = $CONNECTIONS
frontend = loopback
EOF
  [ -z "${LOCAL_CONF:-}" ] || echo "$LOCAL_CONF" | tr ';' '\n' >> $W/local.conf
  start_unit local $W/local.conf $FORMAT; FORMAT=""
  if ! sd=$(await_disk bm-vol1 $LOCAL_PID 300); then
    skip $mode "our disk did not appear: $(tail -3 $OUT/local.log $OUT/remote.log | tr '\n' ' ')"; stop_pid "$LOCAL_PID" local; LOCAL_PID=""; return
  fi
  local phase=""
  for i in $(seq 240); do
    phase=$(status_of $W/local.sock 'r["replication"]["phase"] + "/" + str(r["replication"]["connectionsUp"])')
    [ "${phase%/*}" = STREAMING ] && break
    sleep 0.5
  done
  say "$mode: /dev/$sd after $(awk "BEGIN{print $(up) - $t0}") s; replication $phase"
  [ "${phase%/*}" = STREAMING ] || { skip $mode "replication is not streaming ($phase)"; stop_pid "$LOCAL_PID" local; LOCAL_PID=""; return; }
  prepare_queue $sd
  before_job() { # start every job with nothing in flight to the remote
    local d; d=$(await_drain $W/local.sock 120)
    SESSIONS=$(status_of $W/local.sock 'r["replication"]["sessionsOpened"]')
    DEGRADED=$(grep -c "sync mode degraded" $OUT/local.log)
    echo "drained before the job in $d s"
  }
  after_job() { # backlog left at the end, time to drain it, sessions reopened, sync degradations
    local lag d s g
    lag=$(status_of $W/local.sock 'r["lagRecords"]')
    d=$(await_drain $W/local.sock 120)
    s=$(status_of $W/local.sock 'r["replication"]["sessionsOpened"]')
    g=$(grep -c "sync mode degraded" $OUT/local.log)
    echo "lag_at_end=${lag}rec,drain=${d}s,sessions+$((s - SESSIONS)),degraded+$((g - DEGRADED))"
  }
  measure $mode /dev/$sd
  unset -f before_job after_job
  stop_pid "$LOCAL_PID" local; LOCAL_PID=""
  cmp -s $W/local.img $W/remote.img && echo "$mode: remote volume equals the local one" \
    || echo "WARNING: $mode: remote volume differs from the local one"
}
phase_ours_done() {
  stop_pid "$REMOTE_PID" remote; REMOTE_PID=""
  rm -f $W/local.img $W/remote.img $W/local.journal
}

# ---- 6-7. DRBD 8.4, both ends in this kernel ---------------------------------------------------
D84=/lib/drbd/drbdsetup-84
drbd_up() {
  [ -x $D84 ] || { echo "drbd-utils is not installed on the host (apt-get install drbd-utils)"; return 1; }
  [ -e /proc/drbd ] || { echo "no drbd module"; return 1; }
  fill $W/drbd-a.img $VOLMB; fill $W/drbd-b.img $VOLMB
  DLA=$(losetup -f --show $W/drbd-a.img) && DLB=$(losetup -f --show $W/drbd-b.img) || { echo "losetup failed"; return 1; }
  prepare_queue ${DLA#/dev/} ${DLB#/dev/} > /dev/null
  drbdmeta --force 0 v08 $DLA internal create-md > $W/drbd.log 2>&1 \
    && drbdmeta --force 1 v08 $DLB internal create-md >> $W/drbd.log 2>&1 \
    && $D84 new-resource r0 && $D84 new-minor r0 0 0 && $D84 attach 0 $DLA $DLA internal \
    && $D84 new-resource r1 && $D84 new-minor r1 1 0 && $D84 attach 1 $DLB $DLB internal \
    && $D84 connect r0 ipv4:127.0.0.1:7800 ipv4:127.0.0.1:7801 --protocol=C \
    && $D84 connect r1 ipv4:127.0.0.1:7801 ipv4:127.0.0.1:7800 --protocol=C \
    || { echo "drbdsetup failed: $(tail -3 $W/drbd.log)"; return 1; }
  for i in $(seq 100); do grep -q "0: cs:Connected" /proc/drbd && break; sleep 0.2; done
  grep -q "0: cs:Connected" /proc/drbd || { echo "not connected: $(cat /proc/drbd | tr '\n' ' ')"; return 1; }
  $D84 new-current-uuid 0 --clear-bitmap && $D84 primary 0 || { echo "primary failed"; return 1; }
  for i in $(seq 100); do grep -q "ds:UpToDate/UpToDate" /proc/drbd && break; sleep 0.2; done
  grep -q "ds:UpToDate/UpToDate" /proc/drbd || { echo "not UpToDate: $(cat /proc/drbd | tr '\n' ' ')"; return 1; }
  cat /proc/drbd
}
drbd_protocol() { # A|C: switch live, check /proc/drbd says so
  local p=$1
  $D84 net-options ipv4:127.0.0.1:7800 ipv4:127.0.0.1:7801 --protocol=$p
  $D84 net-options ipv4:127.0.0.1:7801 ipv4:127.0.0.1:7800 --protocol=$p
  sleep 0.5
  grep -q "0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate $p " /proc/drbd \
    || { echo "protocol $p not in effect: $(sed -n 3p /proc/drbd)"; return 1; }
}
drbd_down() {
  $D84 down r0 2>/dev/null; $D84 down r1 2>/dev/null
  losetup -d $DLA $DLB 2>/dev/null; rm -f $W/drbd-a.img $W/drbd-b.img
}
phase_drbd() { # A|C
  local p=$1 why
  if [ -z "$DRBD_UP" ]; then
    why=$(drbd_up) || { skip drbd$p "$why"; drbd_down; DRBD_FAILED=1; return; }
    DRBD_UP=1
  fi
  why=$(drbd_protocol $p) || { skip drbd$p "$why"; return; }
  echo "drbd$p: $(sed -n 3p /proc/drbd)" | tee -a $OUT/devices.txt
  prepare_queue drbd0
  measure drbd$p /dev/drbd0
  grep -q "ds:UpToDate/UpToDate" /proc/drbd || echo "WARNING: drbd$p: $(sed -n 3p /proc/drbd)"
}

# our remote unit serves async and sync in turn; it is stopped after the last of them (DRBD
# needs the CPU and its ports)
LAST_OURS=$(for d in $DEVICES; do case $d in async|sync) echo $d ;; esac; done | tail -1)
for dev in $DEVICES; do
  case $dev in
    raw) phase_raw ;;
    tcmu) phase_tcmu ;;
    off) phase_off off ;;
    down) phase_off down ;;
    async|sync) phase_mirror $dev; [ $dev = "$LAST_OURS" ] && phase_ours_done ;;
    drbdA|drbdC) [ -z "$DRBD_FAILED" ] && phase_drbd ${dev#drbd} ;;
    *) skip $dev "unknown device name (raw tcmu off down async sync drbdA drbdC)" ;;
  esac
done
[ -n "$DRBD_UP" ] && drbd_down
finish
