#!/usr/bin/env bash
# Recordings that could not be written whole, end to end with the real binary: replaying a
# recording whose last record was cut off says so on stderr (file and byte offset) and
# replays the records before it, exit 0; and, where a tmpfs can be mounted (root), a
# `--record` directory that fills up is said once on stderr ("No space left on device",
# recording stopped) while the watch goes on alerting, the file ends on a whole record, and
# a stop is prompt. Before, both were silent.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

# 1. A cut-off recording.
mkdir "$tmp/cut"
t0=$(( $(date +%s) * 1000000 ))
{
  echo "#clustertop-recording 1 $t0"
  echo "D 0 n log:/x.log"
  echo "S $t0 n \\e up connected"
  echo "L $((t0 + 1000000)) 0 $(exo_crash_line "$(date -u +"%Y-%m-%d %H:%M:%S.123")")"
  printf 'L %s 0 [ 2026-12-06 07:00:00.000 | ERR' $((t0 + 2000000))
} >"$tmp/cut/a.ctrec"
whole=$(( $(stat -c %s "$tmp/cut/a.ctrec") - $(printf 'L %s 0 [ 2026-12-06 07:00:00.000 | ERR' $((t0 + 2000000)) | wc -c) ))
"$bin" replay --json --until 0s "$tmp/cut" >"$tmp/cut.out" 2>"$tmp/cut.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "replay of a cut-off recording: exit $rc: $(cat "$tmp/cut.err")"; fi
if grep -q "$tmp/cut/a.ctrec.*byte $whole" "$tmp/cut.err"; then ok
else bad "no warning naming the file and byte $whole: '$(cat "$tmp/cut.err")'"; fi
if grep -q '"rule":"crash"' "$tmp/cut.out"; then ok; else bad "the complete records were not replayed: $(cat "$tmp/cut.out")"; fi

# 2. A --record directory that fills up (needs a tmpfs mount: root).
mkdir "$tmp/full"
if mount -t tmpfs -o size=16k tmpfs "$tmp/full" 2>/dev/null; then
  trap 'umount "$tmp/full" 2>/dev/null; rm -rf "$tmp"' EXIT
  log="$tmp/c.log"; : >"$log"
  printf '[[node]]\nname = "n"\nhost = "local"\nlogs = ["%s"]\n' "$log" >"$tmp/c.toml"
  "$bin" --headless --json --figures-every 0 --interval 500ms -c "$tmp/c.toml" --record "$tmp/full" \
    >"$tmp/live.out" 2>"$tmp/live.err" &
  pid=$!
  sleep 1.5
  for i in $(seq 1 12); do
    for j in $(seq 1 20); do echo "[STEP $i$j] eval=30ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=20K padding-padding-padding"; done >>"$log"
    sleep 0.2
  done
  exo_crash_line "$(date +"%Y-%m-%d %H:%M:%S.123")" >>"$log"
  wait_alert '"state":"firing"' '"rule":"crash"' "$tmp/live.out"
  if [ -n "$found" ]; then ok; else bad "the live run did not alert with its recording full"; fi
  for _ in $(seq 10); do echo "more after the crash" >>"$log"; sleep 0.1; done
  t_stop=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid"; rc=$?
  took=$(( ($(date +%s%N) - t_stop) / 1000000 ))
  if [ "$rc" -eq 0 ]; then ok; else bad "exit $rc after SIGTERM"; fi
  if [ "$took" -lt 5000 ]; then ok; else bad "stopping took ${took} ms"; fi
  n=$(grep -c 'cannot write the recording' "$tmp/live.err")
  if [ "$n" -eq 1 ]; then ok; else bad "'cannot write the recording' said $n times: $(head -c 600 "$tmp/live.err")"; fi
  if grep 'cannot write the recording' "$tmp/live.err" | grep -q "$tmp/full/.*\.ctrec.*No space left on device.*recording stopped"; then ok
  else bad "the message lacks the file, the reason or what happens next: $(head -c 600 "$tmp/live.err")"; fi
  rec=$(ls "$tmp/full"/*.ctrec)
  if [ "$(tail -c 1 "$rec" | od -An -c | tr -d ' ')" = '\n' ]; then ok; else bad "the recording ends inside a record"; fi
  "$bin" replay --json --until 0s "$tmp/full" >/dev/null 2>"$tmp/replay.err"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok; else bad "replay of the full recording: exit $rc: $(cat "$tmp/replay.err")"; fi
  umount "$tmp/full"
else
  echo "record_errors: no tmpfs mount (not root?): the full-disk part is skipped"
fi

finish record_errors
