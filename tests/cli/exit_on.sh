#!/usr/bin/env bash
# --exit-on SEVERITY: a headless watch or replay ends with exit status 5 at the first alert of
# that severity or worse, end to end with the real binary (a live watch following a real log
# with tail -F, and a replay), and a dashboard is refused it (it ends with q).
source "$(dirname "$0")/lib/checks.sh"

log="$tmp/exo.log"
: >"$log"
out="$tmp/out.txt"
"$bin" --headless --exit-on critical --interval 500ms --log "$log" >"$out" 2>"$tmp/err.txt" &
pid=$!
wait_node_up "$out"
exo_crash_line "$(date +"%Y-%m-%d %H:%M:%S.123")" >>"$log"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  bad "the watch did not stop at a critical alert"; kill -TERM "$pid"
fi
wait "$pid"; code=$?
if [ "$code" = 5 ]; then ok; else bad "live: exit $code, not 5"; cat "$tmp/err.txt"; fi
if grep -q "FIRING   critical crash" "$out"; then ok; else bad "the alert was not printed"; fi
if grep -q -- "--exit-on critical: critical crash fired on" "$tmp/err.txt"; then ok
else bad "stderr does not say why it stopped"; cat "$tmp/err.txt"; fi

# A replay stops at the alert: the line after it is not replayed.
{ echo "[ 2026-02-23 18:00:00.000 | INFO     | exo.worker.runner:step:88 ] heartbeat ok"
  exo_crash_line "2026-02-23 18:00:01.000"
  echo "[ 2026-02-23 18:09:00.000 | INFO     | exo.worker.runner:step:88 ] heartbeat ok"
} >"$tmp/replay.log"
"$bin" replay --headless --exit-on warning --node "n=$tmp/replay.log" >"$out" 2>"$tmp/err.txt"
code=$?
if [ "$code" = 5 ]; then ok; else bad "replay: exit $code, not 5"; cat "$tmp/err.txt"; fi
if grep -q "replay stopped" "$tmp/err.txt" && grep -q "at 2026-02-23T18:00:01" "$tmp/err.txt"; then ok
else bad "replay does not say where it stopped"; cat "$tmp/err.txt"; fi
# Nothing at that severity: a normal end.
head -1 "$tmp/replay.log" >"$tmp/quiet.log"
"$bin" replay --headless --exit-on critical --node "n=$tmp/quiet.log" >/dev/null 2>&1
code=$?
if [ "$code" = 0 ]; then ok; else bad "a quiet replay with --exit-on: exit $code, not 0"; fi
# Without --headless, in a terminal-less run, a watch is headless anyway; a snapshot is refused.
"$bin" snapshot --for 1s --exit-on critical -o "$tmp/s.csv" >/dev/null 2>"$tmp/err.txt"
code=$?
if [ "$code" = 2 ]; then ok; else bad "snapshot --exit-on: exit $code, not 2"; cat "$tmp/err.txt"; fi

finish exit_on
