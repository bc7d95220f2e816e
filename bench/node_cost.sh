#!/usr/bin/env bash
# Node-side cost of the 1 Hz memory sampler: runs the meminfo collector's command (as
# plan_streams emits it) and, for scale, a naive `cat; sleep` loop, for N seconds (default 60),
# then reports the CPU time each used (utime+stime of the loop and all its children, from
# /proc/<pid>/stat after the loop is stopped and reaped) as a share of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
cmd=$(python3 -c 'import json;print(json.load(open("collectors/meminfo.json"))["command"].replace("{interval_s}","1"))')
naive='while :; do cat /proc/meminfo; echo; sleep 1; done'
tck=$(getconf CLK_TCK)
measure() { # name, command
  # A subshell that runs the loop as its child and reports its own cumulative child CPU time.
  local out
  out=$(bash -c '
    /bin/sh -c "$1" >/dev/null & pid=$!
    sleep "$2"; kill "$pid"; wait "$pid" 2>/dev/null || true
    pkill -P "$pid" 2>/dev/null || true
    read -r -a f < /proc/self/stat 2>/dev/null || true
    times' _ "$2" "$3" | tail -n 1)
  # `times` prints the children user/sys of that shell: "XmY.YYYs XmZ.ZZZs"
  python3 - "$1" "$out" "$3" <<'PY'
import re, sys
name, out, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
t = sum(int(m)*60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", out))
print(f"{name:<10} cpu {t*1000:8.1f} ms over {secs:.0f} s = {100*t/secs:.3f} % of a core")
PY
}
measure fork-free "$cmd" "$secs" &
measure cat+sleep "$naive" "$secs" &
wait
