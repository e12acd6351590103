#!/bin/bash
# Issue 3's benchmark on a real kernel: boots Debian's kernel under QEMU (TCG, 1 vCPU) once and
# runs benchmark-guest.sh as PID 1, which measures the fio jobs of ANCHORS.md (seq = 1 MiB write
# libaio QD8; r16 = 4 KiB randwrite libaio QD16; r1 = 4 KiB randwrite psync; r1f = r1 with
# --fsync=1) on a raw loop device, tcmu-runner's disk, our disk with mirroring off (enqueueing
# stopped: front end + volume + dirty map) and with the link down (front end + journal + volume),
# our disk mirroring async and sync to a remote unit in the same guest, and DRBD 8.4 protocol A
# and C with both ends in the guest. Prints every figure and its ratio to the raw loop device
# of the same boot, the anchors' ratios and the goals; the Markdown table goes to OUTDIR/table.md.
#
# Usage: scripts/vm/benchmark.sh [OUTDIR]      (default /var/tmp/blockmirror-vm/out-benchmark)
# Env:   SETUP=1       run setup-host.sh and apt-get install fio tcmu-runner drbd-utils (root)
#        SKIP_BUILD=1  use the blockmirror.jar already built (default: mvn package it)
#        MVN_OFFLINE=1 build with mvn -o
#        REPORT_ONLY=1 print the report of OUTDIR's last run again, boot nothing
#        RUNTIME=10    seconds per measured job; WARMUP=40 seconds of each warm-up job (r16, seq, r1)
#        SETTLE_STEP=20 SETTLE_MAX=360  then, on our units, rounds of r16, r1, seq until C2 is nearly idle (settle.txt)
#        DEVICES="raw tcmu off down async sync drbdA drbdC"   JOBS="seq r16 r1 r1f"   (subsets, in order)
#        CONNECTIONS=4 transport.connections of the mirroring runs; JOPTS JVM options of both units
#                      (default: tiered C2; C1 only is -XX:TieredStopAtLevel=1); MEM=6G guest memory; TIMEOUT=3900 whole-VM limit (s)
#        LOCAL_CONF / REMOTE_CONF  extra configuration lines of the mirroring runs' units, ';' between
#                      lines (e.g. REMOTE_CONF="apply.inline-max-bytes = 0")
#        TCMU_MAX_SECTORS=1024 (tcmu-runner's hw_max_sectors), FIO_SIZE=120M, VOLMB=128
#        PERF="off:r1 tcmu:r1"  perf record -a -g during those measured jobs (costs some of the vCPU);
#                      the reports land in OUTDIR/perf-DEV-JOB.txt, JIT frames named through perf maps
# Exit:  0 every device measured (or SKIPPED: the host cannot run the VM, said why); 1 otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m "${1:-/var/tmp/blockmirror-vm/out-benchmark}")
skip() { echo "BENCHMARK SKIPPED: $*"; exit 0; }
die() { echo "BENCHMARK FAILED: $*"; exit 1; }

# ---- the report (from OUT/results) -----------------------------------------------------------
report() {
  local res=$OUT/results
  [ -s "$res" ] || die "no results in $res"
  echo "---- $(head -1 $OUT/devices.txt 2>/dev/null)"
  awk '
    BEGIN {
      split("raw tcmu off down async sync drbdA drbdC", order, " ")
      label["raw"] = "raw loop device (tmpfs file)"; label["tcmu"] = "LIO+TCMU, tcmu-runner"
      label["off"] = "ours, mirroring off (enqueue stopped)"; label["down"] = "ours, link down (journalled)"
      label["async"] = "ours, async mirror"
      label["sync"] = "ours, sync mirror"; label["drbdA"] = "DRBD 8.4 protocol A"; label["drbdC"] = "DRBD 8.4 protocol C"
      # ANCHORS.md, two boots each: ratio to raw for seq r16 r1 r1f
      anchor["tcmu"] = ".21/.21 .14/.12 .17/.13 .15/.15"; anchor["drbdC"] = ".16/.14 .10/.09 .07/.07 .12/.13"
      anchor["drbdA"] = ".09/.09 .11/.16 .11/.10 .16/.16"
    }
    $1 == "RESULT" && $4 != "FAILED" {
      d = $2; j = $3; iops[d, j] = $4; kib[d, j] = $5; lat[d, j] = $6; busy[d, j] = $7; seen[d] = 1
      extra[d, j] = $11
      next
    }
    $1 == "RESULT" { failed[$2, $3] = 1; seen[$2] = 1 }
    $1 == "SKIP" { why = $0; sub(/^SKIP [^ ]+ /, "", why); skipped[$2] = why }
    function val(d, j) { return j == "seq" ? kib[d, j] / 1024 : iops[d, j] }
    function cell(d, j,   v) {
      if ((d, j) in failed) return sprintf("%15s", "FAILED")
      if (!((d, j) in iops)) return sprintf("%15s", "-")
      v = val(d, j)
      return sprintf("%8.0f %s", v, ((("raw", j) in iops) && val("raw", j) > 0) ? sprintf("%6.3f", v / val("raw", j)) : "     ?")
    }
    function mdcell(d, j,   v) {
      if (!((d, j) in iops)) return "-"
      v = val(d, j)
      return sprintf("%.0f (**%.2f**)", v, (("raw", j) in iops) ? v / val("raw", j) : 0)
    }
    function ratio(d, j) { return (((d, j) in iops) && (("raw", j) in iops)) ? val(d, j) / val("raw", j) : -1 }
    END {
      printf "%-34s %15s %15s %15s %9s %15s %s\n", "device", "seq MiB/s  ×raw", "r16 IOPS  ×raw", "r1 IOPS  ×raw", "r1 lat µs", "r1f IOPS  ×raw", "  vCPU busy % seq/r16/r1/r1f"
      md = "| Device | seq MiB/s (×raw) | r16 IOPS (×raw) | r1 IOPS (×raw) | r1 mean clat µs | r1f IOPS (×raw) | vCPU busy % seq/r16/r1/r1f |\n|---|---|---|---|---|---|---|\n"
      for (k = 1; k <= 8; k++) {
        d = order[k]
        if (d in skipped && !(d in seen)) { printf "%-34s SKIPPED: %s\n", label[d], skipped[d]; md = md "| " label[d] " | skipped: " skipped[d] " |||||\n"; continue }
        if (!(d in seen)) continue
        printf "%-34s %s %s %s %9s %s   %s/%s/%s/%s\n", label[d], cell(d, "seq"), cell(d, "r16"), cell(d, "r1"),
          ((d, "r1") in lat) ? sprintf("%.0f", lat[d, "r1"]) : "-", cell(d, "r1f"),
          busy[d, "seq"], busy[d, "r16"], busy[d, "r1"], busy[d, "r1f"]
        md = md sprintf("| %s | %s | %s | %s | %s | %s | %s/%s/%s/%s |\n", label[d], mdcell(d, "seq"), mdcell(d, "r16"),
          mdcell(d, "r1"), ((d, "r1") in lat) ? sprintf("%.0f", lat[d, "r1"]) : "-", mdcell(d, "r1f"),
          busy[d, "seq"], busy[d, "r16"], busy[d, "r1"], busy[d, "r1f"])
      }
      print md > "'$OUT'/table.md"
      print ""
      print "anchors (ANCHORS.md, ratio to raw in two other boots: seq r16 r1 r1f)"
      for (d in anchor) printf "  %-32s %s\n", label[d], anchor[d]
      print ""
      print "goals (ratios of this boot)"
      split("seq r16 r1 r1f", jobs, " ")
      split("off:tcmu async:drbdA sync:drbdC", pairs, " ")
      for (p = 1; p <= 3; p++) {
        split(pairs[p], ab, ":"); line = ""; met = 1
        for (i = 1; i <= 4; i++) {
          a = ratio(ab[1], jobs[i]); b = ratio(ab[2], jobs[i])
          if (a < 0 || b < 0) { line = line sprintf("  %s ?", jobs[i]); met = 0; continue }
          line = line sprintf("  %s %.3f %s %.3f", jobs[i], a, a >= b ? ">=" : "< ", b)
          if (a < b) met = 0
        }
        printf "  %-6s >= %-6s %s   -> %s\n", ab[1], ab[2], line, met ? "MET" : "NOT met"
      }
      print ""
      print "our units, per job (journal use, backlog at the end of the job, drain time, sessions reopened, sync degradations)"
      for (k = 3; k <= 6; k++) for (i = 1; i <= 4; i++) if ((order[k], jobs[i]) in extra && extra[order[k], jobs[i]] != "")
        printf "  %-6s %-4s %s\n", order[k], jobs[i], extra[order[k], jobs[i]]
    }' "$res"
  [ -s $OUT/settle.txt ] && { echo "JIT settle (C2 ticks at 100/s in the last r16 round before measuring)"; sed 's/^=== \[[^]]*\] /  /' $OUT/settle.txt; }
  grep -q '^DONE' "$res" || echo "WARNING: the guest did not finish (see $OUT/guest.log)"
}
if [ "${REPORT_ONLY:-0}" = 1 ]; then report; exit 0; fi

# ---- host preparation ------------------------------------------------------------------------
if [ "${SETUP:-0}" = 1 ]; then
  log=/tmp/blockmirror-vm-setup.log
  if ! { "$HERE/setup-host.sh" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      fio tcmu-runner drbd-utils python3; } > $log 2>&1; then
    tail -20 $log
    grep -qiE "could not resolve|failed to fetch|temporary failure|unable to fetch|connection (timed out|refused)" $log \
      && skip "apt repositories are unreachable, cannot install QEMU and the guest tools (see above)"
    die "host setup failed (see above)"
  fi
fi
command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 is not installed (run with SETUP=1 as root)"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg || skip "this QEMU has no TCG accelerator"
# The guest runs the host's own binaries (its / is the host's /, read-only).
missing=""
command -v fio > /dev/null || missing="$missing fio"
command -v python3 > /dev/null || missing="$missing python3"
[ -n "$missing" ] && die "the guest needs these host packages:$missing (apt-get install$missing, or SETUP=1)"
command -v tcmu-runner > /dev/null || echo "note: tcmu-runner is not installed: that row will be skipped (apt-get install tcmu-runner)"
[ -x /lib/drbd/drbdsetup-84 ] || echo "note: drbd-utils is not installed: the DRBD rows will be skipped (apt-get install drbd-utils)"

JAR=$REPO/blockmirror-cli/target/blockmirror.jar
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$REPO" && mvn -q -B -ntp ${MVN_OFFLINE:+-o} -pl blockmirror-cli -am package -DskipTests) || die "build failed"
fi
[ -f "$JAR" ] || die "$JAR not built"

rm -rf "$OUT"; mkdir -p "$OUT"
cp "$JAR" "$OUT/blockmirror.jar"          # the guest reads this copy: a rebuild meanwhile cannot change it
echo /mnt/out/blockmirror.jar > "$OUT/jar"
cp "$HERE/guest-lib.sh" "$OUT/"           # sourced by the guest script (run-guest.sh copies only that one)
env | grep -E '^(RUNTIME|WARMUP|SETTLE_STEP|SETTLE_MAX|DEVICES|JOBS|JOPTS|PERF|TCMU_MAX_SECTORS|FIO_SIZE|VOLMB|JOURNAL_MB|OFF_JOURNAL_MB|CONNECTIONS|LOCAL_CONF|REMOTE_CONF)=' \
  | sed 's/=\(.*\)/="\1"/' > "$OUT/env"
TIMEOUT=${TIMEOUT:-3900}
echo "GUEST_LIMIT=$((TIMEOUT - 30))" >> "$OUT/env"   # the guest powers off (with its logs) before QEMU is killed
echo "booting the guest (output: $OUT; about 10 minutes under TCG); load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
SMP=1 MEM=${MEM:-6G} TIMEOUT=$TIMEOUT "$HERE/run-guest.sh" "$HERE/benchmark-guest.sh" "$OUT" > "$OUT/console.log" 2>&1
rc=$?
echo "guest ran $(( $(date +%s) - start )) s (qemu rc=$rc); load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$OUT/results" ] || { tail -30 "$OUT/guest.log" 2>/dev/null || tail -30 "$OUT/console.log"; die "the guest wrote no results"; }
report
if ! grep -q '^DONE' "$OUT/results"; then
  echo "---- end of the guest's log:"; tail -30 "$OUT/guest.log"; die "the guest did not finish"
fi
if grep -qE '^(SKIP|RESULT .* FAILED)' "$OUT/results"; then
  die "not every device was measured: $(grep -E '^(SKIP|RESULT .* FAILED)' "$OUT/results" | paste -sd';')"
fi
echo "BENCHMARK DONE: logs, per-job CPU breakdowns (cpu/) and fio output in $OUT"
