#!/usr/bin/env bash
# Stopping, end to end with the real binary: a replay paced in real time stops on SIGINT,
# SIGTERM or SIGHUP with exit code 130 (it polls the signals it blocks; before, only SIGKILL
# ended it); an interrupted snapshot writes nothing and exits 130; a read-only command
# (check-config reading a pipe) dies on a signal at once; a headless watch whose reader has gone
# (`| head -1`) stops; a stray stamp decades ahead is jumped, not ticked through.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

# Milliseconds from sending `sig` to pid's exit; its exit code in $code.
stop_with() {
  local pid=$1 sig=$2 t0
  t0=$(date +%s%N)
  kill "-$sig" "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  wait "$pid"; code=$?
  took=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# Until pid blocks SIGHUP, SIGINT and SIGTERM (its signal watcher is up; 10 s at most). A
# signal sent before that meets the default action, or is ignored (SIGINT in a script's
# background job), not the handling under test: a sanitizer build on a busy machine took
# longer than a fixed half second to start.
wait_signals_blocked() {
  local mask
  for _ in $(seq 200); do
    mask=$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status" 2>/dev/null)
    [ -n "$mask" ] && (((16#$mask & 16#4003) == 16#4003)) && return 0
    sleep 0.05
  done
}

printf '2026-02-23 18:00:00.000 first\n2026-02-23 19:00:00.000 an hour later\n' >"$tmp/hour.log"
for sig in INT TERM HUP; do
  "$bin" replay --node n1="$tmp/hour.log" --headless --speed 1 >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  wait_signals_blocked "$pid"
  sleep 0.2
  stop_with "$pid" "$sig"
  if [ "$code" -eq 130 ] && [ "$took" -lt 2000 ]; then ok; else bad "replay SIG$sig: exit $code after ${took} ms (want 130, promptly)"; fi
  if grep -q 'replay interrupted at 2026-02-23T18:00' "$tmp/err"; then ok; else bad "replay SIG$sig: no notice: $(cat "$tmp/err")"; fi
done

"$bin" snapshot --for 30s -o "$tmp/snap.csv" >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_signals_blocked "$pid"
sleep 1
stop_with "$pid" INT
if [ "$code" -eq 130 ] && [ ! -e "$tmp/snap.csv" ]; then ok; else bad "snapshot SIGINT: exit $code, file $(ls "$tmp/snap.csv" 2>&1)"; fi
if grep -q 'snapshot interrupted; nothing written' "$tmp/err"; then ok; else bad "snapshot SIGINT: $(cat "$tmp/err")"; fi

# A watch stops normally on a signal.
"$bin" --headless --interval 200ms >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_signals_blocked "$pid"
sleep 1
stop_with "$pid" TERM
if [ "$code" -eq 0 ]; then ok; else bad "headless watch SIGTERM: exit $code"; fi

# check-config reading a pipe that never ends: a signal ends it (the default action; SIGTERM
# here, as a script's background jobs ignore SIGINT).
mkfifo "$tmp/fifo"
sleep 30 >"$tmp/fifo" &
writer=$!
"$bin" check-config "$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 0.5
stop_with "$pid" TERM
kill "$writer" 2>/dev/null
if [ "$code" -eq 143 ] && [ "$took" -lt 2000 ]; then ok; else bad "check-config on a pipe, SIGTERM: exit $code after ${took} ms"; fi

# The reader of a headless watch goes away: the watch ends (it would run on forever).
t0=$(date +%s)
timeout 20 bash -c "\"$bin\" --headless --interval 200ms 2>\"$tmp/err\" | head -1 >/dev/null"
if [ "$?" -ne 124 ]; then ok; else bad "headless | head -1 did not end"; fi
if grep -q 'standard output closed; stopping' "$tmp/err"; then ok; else bad "no notice when stdout closed: $(cat "$tmp/err")"; fi

# Fifty years without a line (a log last written in 2076): jumped (ticking each second of it
# took minutes).
printf '2026-02-23 18:00:00.000 libc++abi: terminating\n2076-02-23 18:00:00.000 late\n' >"$tmp/gap.log"
touch -d '2076-02-23 18:00:01Z' "$tmp/gap.log"
timeout 60 "$bin" replay --node n1="$tmp/gap.log" --headless >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 0 ]; then ok; else bad "replay over a 50-year gap: exit $code"; fi
if grep -q 'replay jumped 1 stretch without lines' "$tmp/err"; then ok; else bad "no notice of the jump: $(cat "$tmp/err")"; fi
if grep -q 'FIRING.*crash' "$tmp/out"; then ok; else bad "the crash before the gap did not alert: $(cat "$tmp/out")"; fi

# A reader that stopped reading (a stalled `| logger`): the watch sat in write(2), where
# SIGTERM, SIGINT and SIGHUP went unseen until the reader woke. The pipe is shrunk to two
# pages, which a figures line every 50 ms fills at once (a pipe says it has room while a page
# is free: the watch waits with a page and a bit held).
for sig in TERM INT; do
  out=$(python3 - "$bin" "$sig" <<'PY'
import fcntl, os, signal, subprocess, sys, termios, time, array
binary, sig = sys.argv[1], getattr(signal, "SIG" + sys.argv[2])
r, w = os.pipe()
fcntl.fcntl(w, 1031, 8192)  # F_SETPIPE_SZ
p = subprocess.Popen([binary, "--headless", "--json", "--interval", "50ms", "local"],
                     stdout=w, stderr=subprocess.PIPE)
os.close(w)
held, last, still = array.array("i", [0]), -1, 0
deadline = time.time() + 30
while time.time() < deadline and still < 20:  # blocked: a page held, unchanged for 2 s
    time.sleep(0.1)
    fcntl.ioctl(r, termios.FIONREAD, held)
    still = still + 1 if held[0] == last and held[0] > 4096 else 0
    last = held[0]
t0 = time.time()
p.send_signal(sig)
try:
    rc = p.wait(timeout=8)
except subprocess.TimeoutExpired:
    p.kill(); p.wait(); print("still running 8 s after the signal; pipe held", held[0]); sys.exit()
print("exit", rc, "after", int((time.time() - t0) * 1000), "ms;", p.stderr.read().decode().strip().splitlines()[-1:])
PY
)
  case $out in
    "exit 0 after "*"not read; stopped without the rest"*) ok ;;
    *) bad "headless watch with a reader that stopped reading, SIG$sig: $out" ;;
  esac
done

# A watch that was itself stopped (Ctrl-Z, SIGSTOP) judges nothing until what the nodes sent
# meanwhile has arrived: steps that never stopped were a step_stall of the stop's length the
# moment it resumed.
printf '[thresholds.stall]\nafter = "2s"\ninterval_multiple = 2\nmin_steps = 3\n' >"$tmp/stall.toml"
: >"$tmp/steps.log"
( i=0; while [ $i -lt 80 ]; do i=$((i + 1)); echo "[STEP $i] eval=30ms model=7ms gpu_eval=20ms fence_wait=0.5ms ctx=1K" >>"$tmp/steps.log"; sleep 0.2; done ) &
writer=$!
"$bin" --headless -c "$tmp/stall.toml" --figures-every 0 --log "$tmp/steps.log" >"$tmp/stall.out" 2>"$tmp/stall.err" &
pid=$!
sleep 3
kill -STOP "$pid"
sleep 7
kill -CONT "$pid"
sleep 3
stop_with "$pid" TERM
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
if [ "$code" -eq 0 ] && ! grep -q "step_stall" "$tmp/stall.out"; then ok; else bad "a watch stopped for 7 s: exit $code: $(cat "$tmp/stall.out" "$tmp/stall.err")"; fi

# A second interrupt while the exit waits for a hook (up to --hook-timeout, 30 s here) ends the
# wait: the hook's group is killed and the watch exits. A Ctrl-C pressed again did nothing.
: >"$tmp/hooked.log"
"$bin" --headless --interval 500ms --log "$tmp/hooked.log" --hook-timeout 30s \
  --on-alert 'exec sleep 97.25' >"$tmp/hook.out" 2>"$tmp/hook.err" &
pid=$!
wait_node_up "$tmp/hook.out"
exo_crash_line "$(date +"%Y-%m-%d %H:%M:%S.123")" >>"$tmp/hooked.log"
wait_alert FIRING crash "$tmp/hook.out" 10
kill -TERM "$pid"
for _ in $(seq 50); do grep -q 'waiting for 1 --on-alert hook' "$tmp/hook.err" && break; sleep 0.1; done
stop_with "$pid" TERM
if [ -n "$found" ] && [ "$code" -eq 0 ] && [ "$took" -lt 3000 ]; then ok; else bad "a second SIGTERM during the hook wait: exit $code after ${took} ms: $(cat "$tmp/hook.out" "$tmp/hook.err")"; fi
if grep -q 'interrupt again to stop them' "$tmp/hook.err" &&
  grep -q 'interrupted again: killed 1 --on-alert hook$' "$tmp/hook.err"; then ok; else bad "no word of the hook killed: $(cat "$tmp/hook.err")"; fi
if ! pgrep -f 'sleep 97.25' >/dev/null; then ok; else bad "the hook outlived the exit"; pkill -f 'sleep 97.25'; fi

finish signals
