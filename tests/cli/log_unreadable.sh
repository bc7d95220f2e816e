#!/usr/bin/env bash
# A log that cannot be read is said, end to end with the real binary and the real tail -F:
# a followed path whose directory does not exist yet raises stream_down with tail's own words,
# and once the file appears its crash line alerts and the stream_down resolves. (Before, the
# stream stayed `up` and a mistyped log path looked exactly like a quiet log.)
source "$(dirname "$0")/lib/checks.sh"

log="$tmp/not-yet/exo.log"
out="$tmp/out.txt"
"$bin" --headless --interval 500ms --log "$log" >"$out" 2>"$tmp/err.txt" &
pid=$!
wait_alert FIRING stream_down "$out" 15 # its `for` is 5 s
down=$found
if [ -n "$down" ]; then ok; else bad "no stream_down for a log that does not exist"; tail -5 "$out"; fi
if [[ "$down" == *"cannot open"*"No such file or directory"* ]]; then ok
else bad "stream_down does not give tail's reason: $down"; fi
if [[ "$down" == *"$log"* ]]; then ok; else bad "stream_down does not name the path: $down"; fi

mkdir "$tmp/not-yet"
exo_crash_line "$(date +"%Y-%m-%d %H:%M:%S.123")" >>"$log"
wait_crash_alert "$out"
if [ -n "$fired" ]; then ok; else bad "no crash alert once the log appeared"; tail -5 "$out"; fi
wait_alert RESOLVED stream_down "$out" 10
resolved=$found
kill -TERM "$pid"; wait "$pid" 2>/dev/null
if [ -n "$resolved" ]; then ok; else bad "stream_down not resolved once the log is read"; tail -5 "$out"; fi

finish log_unreadable
