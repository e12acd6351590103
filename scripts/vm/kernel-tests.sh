#!/bin/bash
# Real-kernel tests of the SCSI front end: boots Debian's kernel under QEMU (TCG, 2 vCPUs) once and
# runs kernel-tests-guest.sh as PID 1. In the guest a remote and a local unit run over 127.0.0.1
# with LIO + TCMU front ends; the checks (disk size, sg3_utils answers, ext4, md RAID-1, mirror
# equality, standby NOT READY, iSCSI export + iscsi-test-cu; then two `blockmirror unit`s: role
# reversal under md RAID-1, fail-over through the peer on a dm error target) print PASS/FAIL lines.
#
# Usage: scripts/vm/kernel-tests.sh [OUTDIR]        (default /var/tmp/blockmirror-vm/out-kernel-tests)
# Env:   SETUP=1       run setup-host.sh first (root: apt-get installs QEMU and the guest's tools)
#        SKIP_BUILD=1  use the blockmirror.jar already built (default: mvn package it)
#        MVN_OFFLINE=1 build with mvn -o
#        ITIME=600     iscsi-test-cu time limit (s); ITEST=ALL its test selection (comma-separated
#                      patterns); IVERBOSE=1 its SCSI-level log; ONLY_ISCSI=1 skip to the iSCSI part
#        ONLY_ROLES=1  only the roles part (kernel-tests-roles.sh); SKIP_ROLES=1 leave it out
#        VOLSIZE       bytes per volume (default 64 MiB); TIMEOUT=1500 whole-VM limit (s)
#        SMP=2         guest vCPUs; CDS=0 no class-data-sharing archive for the guest's JVMs;
#        JOPTS         the guest's JVM options
# Exit:  0 every check passed (or SKIPPED: the host cannot run the VM, said why); 1 otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m "${1:-/var/tmp/blockmirror-vm/out-kernel-tests}")
skip() { echo "KERNEL TESTS SKIPPED: $*"; exit 0; }

if [ "${SETUP:-0}" = 1 ]; then
  if ! "$HERE/setup-host.sh" > /tmp/blockmirror-vm-setup.log 2>&1; then
    cat /tmp/blockmirror-vm-setup.log | tail -20
    if grep -qiE "could not resolve|failed to fetch|temporary failure|unable to fetch|connection (timed out|refused)" \
        /tmp/blockmirror-vm-setup.log; then
      skip "apt repositories are unreachable, cannot install QEMU and the guest tools (see above)"
    fi
    echo "KERNEL TESTS FAILED: setup-host.sh failed (see above)"; exit 1
  fi
fi
command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 is not installed (run with SETUP=1 as root)"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg || skip "this QEMU has no TCG accelerator"

JAR=$REPO/blockmirror-cli/target/blockmirror.jar
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$REPO" && mvn -q -B -ntp ${MVN_OFFLINE:+-o} -pl blockmirror-cli -am package -DskipTests) \
    || { echo "KERNEL TESTS FAILED: build failed"; exit 1; }
fi
[ -f "$JAR" ] || { echo "KERNEL TESTS FAILED: $JAR not built"; exit 1; }

t_begin=$(date +%s)
rm -rf "$OUT"; mkdir -p "$OUT"
cp "$JAR" "$OUT/blockmirror.jar"          # the guest reads this copy: a rebuild meanwhile cannot change it
cp "$HERE/guest-lib.sh" "$HERE/kernel-tests-roles.sh" "$OUT/"   # sourced by the guest script (run-guest.sh copies only that one)
echo /mnt/out/blockmirror.jar > "$OUT/jar"
# The guest's JVMs (a dozen starts, 20-30 s each under TCG without it) map a CDS archive made
# here from the same java binary (cds-archive.sh). It is valid only for the jar's path at dump
# time, so the guest then runs the jar by its host path, through its read-only root (/tmp and
# /run are fresh tmpfs in the guest: an OUT there gets no archive).
export JOPTS=${JOPTS:-"-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"}
case "$OUT/" in
  /tmp/*|/run/*) echo "no CDS archive: $OUT is not visible in the guest under its own path" ;;
  *) if [ "${CDS:-1}" = 1 ] && "$HERE/cds-archive.sh" "$OUT/blockmirror.jar" "$OUT/blockmirror.jsa"; then
       echo "$OUT/blockmirror.jar" > "$OUT/jar"; echo "$OUT/blockmirror.jsa" > "$OUT/cds"
     else echo "no CDS archive: the guest's JVMs start without one (slower)"; fi ;;
esac
env | grep -E '^(ITIME|ITEST|IVERBOSE|ONLY_ISCSI|ONLY_ROLES|SKIP_ROLES|VOLSIZE|JOPTS)=' | sed 's/=\(.*\)/="\1"/' > "$OUT/env"
echo "booting the guest (output: $OUT; this takes several minutes under TCG)"
start=$(date +%s)
SMP=${SMP:-2} MEM=${MEM:-3G} TIMEOUT=${TIMEOUT:-1500} "$HERE/run-guest.sh" "$HERE/kernel-tests-guest.sh" "$OUT" > "$OUT/console.log" 2>&1
echo "guest ran $(( $(date +%s) - start )) s (the host's part before the boot, CDS archive included: $((start - t_begin)) s)"

echo "---- results"
grep -E '^(PASS|FAIL|ISCSI-TEST-CU|TIME)' "$OUT/results" 2>/dev/null
if [ -s "$OUT/iscsi-failed.txt" ]; then
  echo "---- iscsi-test-cu failures"; cat "$OUT/iscsi-failed.txt"
fi
passed=$(grep -c '^PASS' "$OUT/results" 2>/dev/null); failed=$(grep -c '^FAIL' "$OUT/results" 2>/dev/null)
if ! grep -q '^DONE' "$OUT/results" 2>/dev/null; then
  echo "---- the guest did not finish; end of its log:"; tail -40 "$OUT/guest.log" 2>/dev/null || tail -40 "$OUT/console.log"
  echo "KERNEL TESTS FAILED: the guest did not finish (${passed:-0} passed, ${failed:-0} failed so far)"; exit 1
fi
if [ "${failed:-0}" != 0 ]; then
  echo "KERNEL TESTS FAILED: $failed of $((passed + failed)) checks failed (logs in $OUT)"; exit 1
fi
echo "KERNEL TESTS PASSED: $passed checks"
