# Sourced by the stage-2 guest scripts (kernel-tests-guest.sh, benchmark-guest.sh) after they
# set OUT (/mnt/out) and sent their output to $OUT/guest.log. Their host harnesses copy this
# file into OUTDIR (run-guest.sh hands the guest only the stage-2 script and OUTDIR).
# Inputs in $OUT: jar (path of blockmirror.jar), optional env file (VAR="value" lines).
[ -f $OUT/env ] && . $OUT/env
JAR=$(cat $OUT/jar)
JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
JOPTS=${JOPTS:-"-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"}   # C1 only: C2 never settles on 1 emulated vCPU
CFG=/sys/kernel/config/target

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "=== [t=$(up)] $*"; }

# /dev/sdX of the tcm_loop LUN that links to backstore $1 (the LUN link is named after it).
disk_of() {
  local t hct b
  for t in $CFG/loopback/naa.*/tpgt_1; do
    [ -e "$t/lun/lun_0/$1" ] || continue
    hct=$(cat $t/address 2>/dev/null) || continue
    for b in /sys/class/scsi_disk/$hct:0/device/block/*; do [ -e "$b" ] && basename "$b" && return 0; done
  done
  return 1
}
await_disk() { # backstore pid seconds
  local i d
  for i in $(seq $(($3 * 5))); do
    d=$(disk_of "$1") && { echo "$d"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# The lines every unit configuration of these scripts starts with (volume vol1).
unit_conf_base() { # volume-file state-name heartbeat-timeout-ms
  cat <<EOF
volume.id = vol1
volume.path = $1
state.dir = $W/$2-state
control.socket = $W/$2.sock
heartbeat.interval-ms = 500
heartbeat.timeout-ms = $3
heartbeat.probation-ms = 1000
heartbeat.probation-gap-ms = 1500
EOF
}
# Starts `blockmirror ROLE --config CONF ARGS...` in the background, its output appended to
# $UNIT_LOGS/<conf name>.log; sets ${ROLE^^}_PID (LOCAL_PID, REMOTE_PID).
start_unit() { # role conf args...
  $JAVA $JOPTS -jar $JAR $1 --config $2 "${@:3}" >> $UNIT_LOGS/$(basename $2 .conf).log 2>&1 &
  eval "${1^^}_PID=$!"
}
# One control command through a unit's control socket, without a JVM start: prints the JSON
# "result" (or {"error": ...}).
unit_ctl() { # socket command...
  /usr/bin/python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sys.argv[1])
s.sendall((" ".join(sys.argv[2:]) + "\n").encode())
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
r = json.loads(data)
print(json.dumps(r.get("result") if r.get("ok") else {"error": r.get("error")}))
PY
}
