#!/usr/bin/env bash
# A node whose clock runs ten minutes behind this machine's, end to end with the real binary:
# its `date` says so (a `date` first on PATH that reads the clock ten minutes back; the node
# is the local one, so that PATH is its own). A crash line stamped with the node's time is
# placed on this machine's clock and raises the crash alert at once. Read as stamped, it lay
# ten minutes in the past, beyond the crash rule's 5-minute hold, and no alert came.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

mkdir -p "$tmp/bin"
cat >"$tmp/bin/date" <<'EOF'
#!/bin/sh
exec /bin/date -d "@$(( $(/bin/date +%s) - 600 ))" "$@"
EOF
chmod +x "$tmp/bin/date"

log="$tmp/exo.log"; : >"$log"
out="$tmp/out.txt"
TZ=UTC PATH="$tmp/bin:$PATH" "$bin" --headless --interval 500ms --log "$log" >"$out" 2>"$tmp/err.txt" &
pid=$!
wait_node_up "$out" 1.5 # then the zone stream's first reading, and the tail -F's first read
node_now=$(TZ=UTC "$tmp/bin/date" +"%Y-%m-%d %H:%M:%S.123")
our_now=$(date -u +"%Y-%m-%dT%H:%M")
exo_crash_line "$node_now" >>"$log"
wait_crash_alert "$out"
kill -TERM "$pid"; wait "$pid" 2>/dev/null
if [ -n "$fired" ]; then ok; else bad "no crash alert for a line stamped $node_now by a clock 10 minutes behind"; tail -5 "$out"; fi
# The alert gives the line's time on this machine's clock (the minute may have turned).
if [[ "$fired" == *"at $our_now"* ]] || [[ "$fired" == *"at $(date -u +"%Y-%m-%dT%H:%M")"* ]]; then ok
else bad "the alert does not give the line's time on this machine's clock ($our_now): $fired"; fi

# The figures line says how far off the node's clock is.
if grep -q ' up .*(clock 10 min behind)' "$out"; then ok; else bad "no clock skew in the figures line: $(tail -1 "$out")"; fi

finish node_clock
