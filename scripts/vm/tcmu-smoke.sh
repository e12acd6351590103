#!/bin/bash
# Host driver: builds the classpath, boots the guest with tcmu-smoke-guest.sh, reports.
# Usage: scripts/vm/tcmu-smoke.sh [OUTDIR]   (run setup-host.sh once first; needs root for it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m "${1:-/var/tmp/blockmirror-vm/out-tcmu-smoke}")
mkdir -p "$OUT"
# One reactor run, so mirror-core resolves to its target/classes (we never mvn install).
(cd "$REPO" && mvn -q -B -o -pl scsi-target -am test-compile dependency:build-classpath \
   -Dmdep.outputFile="$OUT/deps.txt" -Dmdep.includeScope=test)
echo "$REPO/scsi-target/target/test-classes:$REPO/scsi-target/target/classes:$(tr : "\n" < "$OUT/deps.txt" | grep -v mirror-core/target/test-classes | paste -sd:)" > "$OUT/classpath"
"$HERE/run-guest.sh" "$HERE/tcmu-smoke-guest.sh" "$OUT" > "$OUT/console.log" 2>&1 || true
cat "$OUT/guest.log" 2>/dev/null | tail -60
grep -q "RESULT RC=0" "$OUT/result" 2>/dev/null && echo "TCMU SMOKE PASSED" || { echo "TCMU SMOKE FAILED (see $OUT)"; exit 1; }
