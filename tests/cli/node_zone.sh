#!/usr/bin/env bash
# A node whose clock is not on UTC, end to end with the real binary: exo writes its file-format
# times in local time without a zone. The local node's probe reads the zone (`date +%z`, here
# from TZ), and a crash line stamped with the node's local time raises the crash alert at
# once, with the line's time in UTC, for nodes behind and ahead of UTC. (Read as UTC, the line
# lay hours in the past or the future and no alert came.)
source "$(dirname "$0")/lib/checks.sh"

# POSIX TZ strings need no zone database: XST+5 is five hours behind UTC, XST-3 three ahead.
for zone in XST+5 XST-3 XST-5:45; do
  log="$tmp/exo-$RANDOM.log"; : >"$log"
  out="$tmp/out-$RANDOM.txt"
  TZ=$zone "$bin" --headless --interval 500ms --log "$log" >"$out" 2>"$tmp/err.txt" &
  pid=$!
  wait_node_up "$out" # the tail -F is running once the node is up; give it its first read
  local_now=$(TZ=$zone date +"%Y-%m-%d %H:%M:%S.123")
  utc_now=$(date -u -d "TZ=\"$zone\" $local_now" +"%Y-%m-%dT%H:%M:%S.123Z")
  exo_crash_line "$local_now" >>"$log"
  wait_crash_alert "$out"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
  if [ -n "$fired" ]; then ok; else bad "TZ=$zone: no crash alert for a line stamped $local_now (local)"; cat "$out" | tail -5; fi
  if [[ "$fired" == *"at $utc_now"* ]]; then ok; else bad "TZ=$zone: the alert does not give the line's UTC time $utc_now: $fired"; fi
done

finish node_zone
