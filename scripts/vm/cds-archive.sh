#!/bin/bash
# Makes a class-data-sharing (AppCDS) archive for blockmirror.jar on the host, for the guest's
# JVMs: under TCG a JVM start costs 20-30 s, about half of it loading, parsing and verifying
# classes, which an archive (pre-parsed, pre-verified, mapped from the file) saves.
# The class list comes from a short training run on the host, in a temporary directory: a
# `unit` pair with `frontend = none` on file volumes, driven by the CLI commands the guest uses
# (unit init, status, role reverse --wait, volume status), plus every class of the jnr-ffi
# family in the jar (the TCMU front end loads them; it cannot run here).
# The archive is only valid for the same java binary, the same JVM flags that matter (heap size
# -> compressed oops, GC) and the jar at the SAME path with the same size and mtime: the guest
# must run `-jar JAR` with JAR as given here (the host's / is the guest's read-only root).
# Usage: cds-archive.sh JAR ARCHIVE
# Env:   JAVA, JOPTS (as the guest's), PORT0 (first of 4 TCP/UDP ports on 127.0.0.1, 17800),
#        KEEP=1 leaves the training directory (logs, class lists) behind
# Exit: 0 archive written; non-zero otherwise (the caller goes on without one).
set -uo pipefail
JAR=$(realpath "$1"); ARCHIVE=$(realpath -m "$2")
JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
JOPTS=${JOPTS:-"-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"}
JOPTS=$(echo " $JOPTS " | sed 's/ -Xshare:[a-z]* / /g')     # the dump sets -Xshare itself
P=${PORT0:-17800}
T=$(mktemp -d); PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
run() { # list java-arguments...: one JVM whose loaded classes go to list $T/NAME.lst
  local list=$1; shift
  exec "$JAVA" $JOPTS -XX:DumpLoadedClassList=$T/$list.lst -jar "$JAR" "$@"
}
conf() { # name listen peer hb-listen hb-peer
  truncate -s 4M $T/$1.img
  cat > $T/$1.conf <<EOF
volume.id = cds
volume.path = $T/$1.img
state.dir = $T/$1-state
control.socket = $T/$1.sock
journal.path = $T/$1.journal
journal.size = 80M
listen.address = 127.0.0.1:$2
peer.address = 127.0.0.1:$3
heartbeat.listen = 127.0.0.1:$4
heartbeat.peer = 127.0.0.1:$5
heartbeat.interval-ms = 100
heartbeat.timeout-ms = 600
heartbeat.probation-ms = 200
heartbeat.probation-gap-ms = 300
frontend = none
EOF
}
conf A $P $((P + 1)) $((P + 2)) $((P + 3))
conf B $((P + 1)) $P $((P + 3)) $((P + 2))
(run init-a unit init --role primary --config $T/A.conf) > $T/train.log 2>&1 || { cat $T/train.log; exit 1; }
(run init-b unit init --role secondary --config $T/B.conf) >> $T/train.log 2>&1
(run unit-a unit --config $T/A.conf) >> $T/A.log 2>&1 & PIDS="$PIDS $!"
(run unit-b unit --config $T/B.conf) >> $T/B.log 2>&1 & PIDS="$PIDS $!"
for i in $(seq 150); do                               # until A streams to B (a few seconds)
  (run status status --config $T/A.conf) > $T/status.txt 2>&1 && grep -q STREAMING $T/status.txt && break
  for p in $PIDS; do kill -0 $p 2>/dev/null || { echo "cds-archive: a training unit exited:"; tail -n 3 $T/A.log $T/B.log; break 2; }; done
  sleep 0.2
done
(run reverse role reverse --wait --config $T/A.conf) >> $T/train.log 2>&1
(run volume volume status --config $T/B.conf) >> $T/train.log 2>&1
for p in $PIDS; do kill $p; done; wait; PIDS=""     # SIGTERM: the units stop cleanly

{ cat $T/*.lst | grep -v '^#' | sed 's/ id: [0-9]*$//'    # ids are per run; builtin loaders' classes need none
  unzip -Z1 "$JAR" | grep -E '^(jnr|com/kenai|org/objectweb)/.*\.class$' | sed 's/\.class$//'
} | awk '!seen[$0]++' > $T/classes.lst
rm -f "$ARCHIVE"
"$JAVA" $JOPTS -Xshare:dump -XX:SharedClassListFile=$T/classes.lst -XX:SharedArchiveFile="$ARCHIVE" \
  -cp "$JAR" > $T/dump.log 2>&1 || { tail -20 $T/dump.log; exit 1; }
echo "CDS archive $ARCHIVE: $(wc -l < $T/classes.lst) classes listed, $(du -m "$ARCHIVE" | cut -f1) MiB"
