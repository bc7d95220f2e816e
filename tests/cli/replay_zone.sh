#!/usr/bin/env bash
# replay --zone, end to end with the real binary: exo writes its file-format times in the
# node's local time without a zone; replayed with the node's offset, a crash alert gives the
# line's time in UTC (read as UTC, it was an hour off), and a bad offset is a bad command line.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

{
  echo "[ 2026-02-23 10:00:00.004 | INFO | exo.worker.runner:step:88 ] heartbeat ok"
  echo "[ 2026-02-23 10:00:01.004 | ERROR | runner_supervisor:_check_runner:273 ] Runner terminated with signal=11 (Segmentation fault: 11)"
} >"$tmp/exo.log"

"$bin" replay --node "mac1=$tmp/exo.log" --zone +0100 --headless --until 10s >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 0 ]; then ok; else bad "replay --zone +0100: exit $code: $(cat "$tmp/err")"; fi
fired=$(grep 'FIRING' "$tmp/out" | grep crash | head -1)
if [[ "$fired" == 2026-02-23T09:00:01* && "$fired" == *"at 2026-02-23T09:00:01.004Z"* ]]; then ok
else bad "the crash alert is not at the line's UTC time 09:00:01.004Z: ${fired:-$(cat "$tmp/out")}"; fi

"$bin" replay --node "mac1=$tmp/exo.log" --zone -0530 --headless --until 10s >"$tmp/out" 2>"$tmp/err"
if grep 'FIRING' "$tmp/out" | grep crash | grep -q "at 2026-02-23T15:30:01.004Z"; then ok
else bad "--zone -0530: $(cat "$tmp/out")"; fi

"$bin" replay --node "mac1=$tmp/exo.log" --zone CET --headless >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q -- "--zone: expected a UTC offset" "$tmp/err"; then ok
else bad "--zone CET: exit $code: $(cat "$tmp/err")"; fi

# A recording keeps its nodes' zones: --zone with one was ignored without a word.
mkdir -p "$tmp/rec"
"$bin" replay "$tmp/rec" --zone +0500 --headless >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q -- "--zone applies to --node logs" "$tmp/err"; then ok
else bad "--zone with a recording: exit $code: $(cat "$tmp/err")"; fi

# A node whose logs write UTC on a host at +0100 (log_zone = "UTC"): its recording says so
# (a G record), and the replay reads the crash line at 10:00:01 UTC as the live run did (read
# at +0100 it lay an hour back, with a false hour-long stall).
t0=1771840800000000 # 2026-02-23T10:00:00Z
mkdir -p "$tmp/lz"
{
  echo "#clustertop-recording 2 $t0"
  echo "G $t0 mac1 +0000"
  echo "S $t0 mac1 \\e up connected"
  echo "Z $t0 mac1 +0100"
  echo "D 1 mac1 log:/var/log/exo.log"
  echo "L $((t0 + 1004000)) 1 [ 2026-02-23 10:00:01.004 | ERROR | runner_supervisor:_check_runner:273 ] Runner terminated with signal=11 (Segmentation fault: 11)"
  echo "T $((t0 + 1004000))"
  echo "E $((t0 + 2000000))"
} >"$tmp/lz/a.ctrec"
"$bin" replay "$tmp/lz" --headless >"$tmp/out" 2>"$tmp/err"
if grep 'FIRING' "$tmp/out" | grep crash | grep -q "at 2026-02-23T10:00:01.004Z"; then ok
else bad "a recording's log_zone: $(cat "$tmp/out") $(cat "$tmp/err")"; fi

# UTC is a zone too, as log_zone = "UTC" is (it was refused).
"$bin" replay --node "mac1=$tmp/exo.log" --zone UTC --headless --until 10s >"$tmp/out" 2>"$tmp/err"
if grep 'FIRING' "$tmp/out" | grep crash | grep -q "at 2026-02-23T10:00:01.004Z"; then ok
else bad "--zone UTC: $(cat "$tmp/out") $(cat "$tmp/err")"; fi

# A line past 64 KiB is cut and the replay says how many were (it said nothing).
{
  echo "[ 2026-02-23 10:00:00.004 | INFO | exo.worker.runner:step:88 ] heartbeat ok"
  head -c 100000 /dev/zero | tr '\0' x
  echo
  echo "[ 2026-02-23 10:00:01.004 | INFO | exo.worker.runner:step:88 ] heartbeat ok"
} >"$tmp/long.log"
"$bin" replay --node "mac1=$tmp/long.log" --headless --until 1s >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 0 ] && grep -q "replay cut 1 line longer than 65536 bytes" "$tmp/err"; then ok
else bad "a 100 KB line: exit $code: $(cat "$tmp/err")"; fi

# exo's [STEP N] lines carry no time: a log of them between two stamped lines replays them
# all at the first stamp, which read as a hang without a word. It is said; a log whose lines
# are stamped is not warned about.
{
  echo "[ 2026-02-23 10:00:00.004 | INFO | exo.worker.plan:plan:184 ] Worker plan: TextGeneration"
  for i in $(seq 1 300); do echo "[STEP $i] eval=33ms model=7ms gpu_eval=0.5ms fence_wait=0.6ms"; done
  echo "[ 2026-02-23 10:00:10.004 | INFO | exo.worker.runner:main:355 ] runner ready"
} >"$tmp/bare.log"
"$bin" replay --node "mac1=$tmp/bare.log" --headless --until 0s >"$tmp/out" 2>"$tmp/err"
if grep -q "300 of the 302 lines replayed carry no time of their own" "$tmp/err"; then ok
else bad "bare step lines: no warning: $(cat "$tmp/err")"; fi
"$bin" replay --node "mac1=$tmp/exo.log" --headless --until 0s >"$tmp/out" 2>"$tmp/err"
if ! grep -q "carry no time" "$tmp/err"; then ok; else bad "stamped log warned: $(cat "$tmp/err")"; fi

finish replay_zone
