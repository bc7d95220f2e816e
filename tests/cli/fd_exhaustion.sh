#!/usr/bin/env bash
# Idle /metrics connections must not take the descriptors the rest of clustertop needs, end
# to end with the real binary under a soft RLIMIT_NOFILE of 256 (macOS's default): with 300
# connections held open (and reopened as the server closes them), a crash still fires its
# --on-alert hook and writes its --csv-on-alert file. Before, the server took every
# descriptor: the CSV file could not be created and the hook silently never ran.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config
bin=$(realpath "$bin") # the run below starts in $tmp

log="$tmp/c.log"; : >"$log"
mkdir "$tmp/csv"
printf '[[node]]\nname = "n"\nhost = "local"\nlogs = ["%s"]\n' "$log" >"$tmp/c.toml"
(
  cd "$tmp" || exit 1
  ulimit -n 256
  exec "$bin" --headless --json --figures-every 0 --interval 500ms -c c.toml --listen 0 \
    --csv-dir csv --csv-on-alert --on-alert 'echo hook-ran-$CLUSTERTOP_STATE >> hook.out'
) >"$tmp/out.jsonl" 2>"$tmp/err.txt" &
pid=$!
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/.*serving \/metrics on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/err.txt" 2>/dev/null)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { bad "no port on stderr: $(cat "$tmp/err.txt")"; kill "$pid"; finish fd_exhaustion; exit; }
sleep 1 # the node's streams start

# Hold 300 connections open, reopening any the server closes, until stop appears.
python3 - "$port" "$tmp/stop" "$tmp/held" <<'EOF' &
import os, socket, sys, time
port, stop, held_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conns = []
deadline = time.time() + 30
while not os.path.exists(stop) and time.time() < deadline:
    alive = []
    for s in conns:
        try:
            s.setblocking(False)
            if s.recv(1) == b"":  # closed by the server
                s.close()
                continue
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        alive.append(s)
    conns = alive
    while len(conns) < 300:
        try:
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            break
    with open(held_file, "w") as f:
        f.write(str(len(conns)))
    time.sleep(0.2)
EOF
holder=$!
for _ in $(seq 50); do [ "$(cat "$tmp/held" 2>/dev/null)" = 300 ] && break; sleep 0.1; done
if [ "$(cat "$tmp/held" 2>/dev/null)" = 300 ]; then ok; else bad "only $(cat "$tmp/held" 2>/dev/null) connections held"; fi
sleep 1.5 # the server has accepted what it will

exo_crash_line "$(date +"%Y-%m-%d %H:%M:%S.123")" >>"$log"
wait_alert '"state":"firing"' '"rule":"crash"' "$tmp/out.jsonl"
if [ -n "$found" ]; then ok; else bad "no crash alert on stdout"; fi
for _ in $(seq 30); do grep -q hook-ran-firing "$tmp/hook.out" 2>/dev/null && break; sleep 0.1; done
if grep -q hook-ran-firing "$tmp/hook.out" 2>/dev/null; then ok
else bad "the hook did not run for the firing alert; stderr: $(head -c 600 "$tmp/err.txt")"; fi
# The file is written at the transition, or at a later tick while no descriptor is free
# (tried again each tick for 10 s: docs/exports.md).
for _ in $(seq 50); do ls "$tmp/csv"/*-alert.csv >/dev/null 2>&1 && break; sleep 0.1; done
if ls "$tmp/csv"/*-alert.csv >/dev/null 2>&1; then ok
else bad "no --csv-on-alert file; stderr: $(head -c 600 "$tmp/err.txt")"; fi
# A scrape is still answered while the connections are held.
if python3 - "$port" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.exit(0 if data.startswith(b"HTTP/1.1 200") else 1)
EOF
then ok; else bad "no 200 from /metrics while 300 connections are held"; fi

touch "$tmp/stop"; wait "$holder"
kill -TERM "$pid"; wait "$pid"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "exit status $rc after SIGTERM"; fi
if grep -q 'Too many open files' "$tmp/err.txt"; then bad "ran out of descriptors: $(grep 'Too many' "$tmp/err.txt" | head -3)"; else ok; fi

finish fd_exhaustion
