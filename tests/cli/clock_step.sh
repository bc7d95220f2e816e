#!/usr/bin/env bash
# This machine's clock stepped while a node generates (NTP after a long drift, `date -s`),
# end to end with the real binary: libfaketime steps clustertop's wall clock 5 minutes forward
# or back at run time and leaves its boot clock alone, as a step does. The node is the local
# one, but its `date` (the zone stream's reading of its clock) and the log's times run on the
# real clock, so after the step the node's clock is 5 minutes off clustertop's, as a real
# node's would be. Before, the node read as 5 minutes silent after a forward step (a false
# critical step_stall for about 100 s, until two clock readings agreed on the new skew), and
# after a step back the loop did not tick for 5 minutes (no figures, no detectors).
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

faketime_lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -z "$faketime_lib" ]; then
  bad "libfaketime is missing (scripts/install-deps.sh installs the faketime package)"
  finish clock_step
fi

mkdir -p "$tmp/bin"
cat >"$tmp/bin/date" <<'EOF'
#!/bin/sh
exec env -u LD_PRELOAD -u FAKETIME_TIMESTAMP_FILE /bin/date "$@"
EOF
chmod +x "$tmp/bin/date"

# decode_lines N LOG: SGLang's decode lines, stamped to the second on the real clock, twice a
# second, N of them, in the background ($writer).
decode_lines() {
  (for i in $(seq "$1"); do
     echo "[$(date -u +'%Y-%m-%d %H:%M:%S') TP0] Decode batch. #running-req: 1, #token: $((1000 + i * 15)), token usage: 0.01, gen throughput (token/s): 30.00, #queue-req: 0" >>"$2"
     sleep 0.5
   done) &
  writer=$!
}
# watch_stepped LOG OUT ERR [ARGS...]: clustertop following LOG on a clock that $tmp/offset
# steps, in the background ($pid). The sanitizer build wants its runtime first among the
# libraries; libfaketime comes first.
watch_stepped() {
  local log=$1 out=$2 err=$3; shift 3
  TZ=UTC PATH="$tmp/bin:$PATH" LD_PRELOAD=$faketime_lib FAKETIME_TIMESTAMP_FILE=$tmp/offset \
    FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$bin" --headless --interval 500ms --log "$log" "$@" >"$out" 2>"$err" &
  pid=$!
}

for step in +300 -300; do
  log="$tmp/sglang$step.log"; : >"$log"
  out="$tmp/out$step.txt" err="$tmp/err$step.txt"
  echo "+0" >"$tmp/offset"
  decode_lines 60 "$log"
  watch_stepped "$log" "$out" "$err" --figures-every 1s
  wait_node_up "$out" 5 # the zone stream's first reading of the node's clock, and steps flowing
  echo "$step" >"$tmp/offset"
  before=$(grep -c ' up ' "$out")
  sleep 15 # the stall's `after` (15 s) and the clock readings' minute: the old skew's lines
  after=$(grep -c ' up ' "$out")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
  kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
  if grep -q "clock was stepped 5m $([ "$step" = +300 ] && echo forward || echo back)" "$err"; then ok
  else bad "step $step: not said on stderr: $(cat "$err")"; fi
  if grep -qE 'FIRING +critical +(step_stall|cluster_stall)' "$out"; then
    bad "step $step: a false stall: $(grep -E 'FIRING.*stall' "$out" | head -1)"
  else ok; fi
  # Figures lines went on every second through the step (about 15 in 15 s).
  if [ $((after - before)) -ge 10 ]; then ok
  else bad "step $step: $((after - before)) figures lines in the 15 s after the step"; fi
  # The node's clock is read against the stepped one at once: off by the step.
  want=$([ "$step" = +300 ] && echo "5 min behind" || echo "5 min ahead")
  if tail -3 "$out" | grep -q "(clock $want)"; then ok
  else bad "step $step: the figures line does not say the node's clock is $want: $(tail -1 "$out")"; fi
done

# An NTP-sized step back (5 s) between a crash line and a hang: what was read before the step
# moves with the clock. Left where it was read, the crash alert resolved and fired again (two
# pages for one crash), and after a step of minutes the hang went unreported.
log="$tmp/sglang-crash.log"; : >"$log"
out="$tmp/out-crash.txt" err="$tmp/err-crash.txt"
echo "+0" >"$tmp/offset"
decode_lines 14 "$log"
watch_stepped "$log" "$out" "$err"
wait_node_up "$out" 2
echo "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB." >>"$log"
sleep 1.5
echo "-5" >"$tmp/offset"
sleep 22 # the writer stops ~5 s after the step: the stall's `after` (15 s) and a margin
kill -TERM "$pid"; wait "$pid" 2>/dev/null
kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
if [ "$(grep -c 'FIRING .*crash' "$out")" -eq 1 ] && ! grep -q 'RESOLVED .*crash' "$out"; then ok
else bad "a crash before a 5 s step back: $(grep -E 'FIRING|RESOLVED' "$out")"; fi
if grep -qE 'FIRING +critical +step_stall' "$out"; then ok
else bad "no step_stall for the hang after a 5 s step back: $(grep -E 'FIRING|RESOLVED' "$out")"; fi

finish clock_step
