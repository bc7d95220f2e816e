#!/usr/bin/env bash
# `clustertop snapshot` with the real binary on this machine: a CSV that Python's csv module
# reads back, with the local node's memory matching /proc/meminfo; exit 4 when a node was
# unreachable; the live-run options (--collectors-dir) are accepted after the subcommand; a
# --csv-format flag wins over the config file's csv_format.
set -u
bin=$1 root=$2
fail=0 pass=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$bin" snapshot --for 2s -o "$tmp/snap.csv" --collectors-dir "$root/collectors" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then pass=$((pass+1)); else echo "FAIL snapshot exit $rc: $(cat "$tmp/err")"; fail=$((fail+1)); fi
total=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024 ))
if python3 - "$tmp/snap.csv" "$total" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
assert len(rows) == 1, rows
r = rows[0]
assert r["status"] == "up", r
assert float(r["mem_total_bytes"]) == float(sys.argv[2]), (r["mem_total_bytes"], sys.argv[2])
assert r["gpu_power_w"] == "" or float(r["gpu_power_w"]) >= 0, r   # unknown is empty, never 0
PY
then pass=$((pass+1)); else echo "FAIL snapshot CSV content"; cat "$tmp/snap.csv"; fail=$((fail+1)); fi
# A node nobody listens for: the snapshot is still written, and the exit code says 4.
"$bin" snapshot --for 1s --connect-timeout 1s -o "$tmp/down.csv" root@127.0.0.1:1 2>"$tmp/err2"
rc=$?
if [ $rc -eq 4 ] && grep -q "127.0.0.1" "$tmp/down.csv"; then pass=$((pass+1))
else echo "FAIL unreachable snapshot: exit $rc (want 4)"; cat "$tmp/err2"; fail=$((fail+1)); fi
# A node still inside its connect when --for ends (a listener that never speaks SSH: a jump
# host or a slow link takes seconds too): the snapshot waits for the connect to end, within
# --connect-timeout, and says why the node failed; it said "not reachable: connecting" at 1 s.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(4); print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$tmp/silent.port" &
silent=$!
for _ in $(seq 50); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
start=$(date +%s.%N)
"$bin" snapshot --for 1s --connect-timeout 3s -o "$tmp/slow.csv" "root@127.0.0.1:$(cat "$tmp/silent.port")" 2>"$tmp/errslow"
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
kill $silent 2>/dev/null
if [ $rc -eq 4 ] && ! grep -q 'not reachable: connecting' "$tmp/errslow" && [ "$(echo "$took >= 2.5" | bc)" = 1 ]; then pass=$((pass+1))
else echo "FAIL snapshot during a connect: exit $rc after ${took}s: $(cat "$tmp/errslow")"; fail=$((fail+1)); fi
# A flag wins over the config file even when it repeats the default: --csv-format wide
# over csv_format = "long" (a wide file's header starts time,node,status).
printf '[sinks]\ncsv_format = "long"\n' >"$tmp/long.toml"
printf 'csv_every = "30s"\n' >>"$tmp/long.toml" # no csv_dir: no business of a snapshot
"$bin" snapshot --for 1s -c "$tmp/long.toml" -o "$tmp/cfg.csv" 2>"$tmp/err3"
if head -1 "$tmp/cfg.csv" | grep -q '^time,node,metric,'; then pass=$((pass+1))
else echo "FAIL config csv_format long ignored: $(head -1 "$tmp/cfg.csv")"; cat "$tmp/err3"; fail=$((fail+1)); fi
"$bin" snapshot --for 1s -c "$tmp/long.toml" --csv-format wide -o "$tmp/flag.csv" 2>"$tmp/err4"
if head -1 "$tmp/flag.csv" | grep -q '^time,node,status,'; then pass=$((pass+1))
else echo "FAIL --csv-format wide lost to the config: $(head -1 "$tmp/flag.csv")"; cat "$tmp/err4"; fail=$((fail+1)); fi
# -o into a directory that does not exist: said before collecting (it was said after --for,
# with exit 70); a write that fails (a full disk) is exit 74 with its reason.
start=$(date +%s)
"$bin" snapshot --for 30s -o "$tmp/no/such/dir.csv" 2>"$tmp/err5"
rc=$?
if [ $rc -eq 2 ] && [ $(( $(date +%s) - start )) -lt 10 ] && grep -q "its directory does not exist" "$tmp/err5"
then pass=$((pass+1)); else echo "FAIL -o in a missing directory: exit $rc after $(( $(date +%s) - start )) s: $(cat "$tmp/err5")"; fail=$((fail+1)); fi
"$bin" snapshot --for 1s -o - >/dev/full 2>"$tmp/err6"
rc=$?
if [ $rc -eq 74 ] && grep -q "No space left on device" "$tmp/err6"; then pass=$((pass+1))
else echo "FAIL snapshot -o - >/dev/full: exit $rc: $(cat "$tmp/err6")"; fail=$((fail+1)); fi
# A missing ssh config is said before connecting, as a watch says it (it used to retry every
# node until --for ran out and exit 4).
start=$(date +%s)
"$bin" snapshot --for 30s --ssh-config "$tmp/nope" -o "$tmp/cfgmiss.csv" mac1 2>"$tmp/err7"
rc=$?
if [ $rc -eq 2 ] && [ $(( $(date +%s) - start )) -lt 10 ] && grep -q "cannot read ssh config file" "$tmp/err7"
then pass=$((pass+1)); else echo "FAIL snapshot --ssh-config missing: exit $rc after $(( $(date +%s) - start )) s: $(cat "$tmp/err7")"; fail=$((fail+1)); fi
# A device or a symlink as -o is refused by the atomic write: said before collecting.
start=$(date +%s)
"$bin" snapshot --for 30s -o /dev/full 2>"$tmp/err8"
rc=$?
if [ $rc -eq 2 ] && [ $(( $(date +%s) - start )) -lt 10 ] && grep -q "not a regular file" "$tmp/err8"
then pass=$((pass+1)); else echo "FAIL snapshot -o /dev/full: exit $rc after $(( $(date +%s) - start )) s: $(cat "$tmp/err8")"; fail=$((fail+1)); fi
ln -s "$tmp/elsewhere.csv" "$tmp/link.csv"
"$bin" snapshot --for 30s -o "$tmp/link.csv" 2>"$tmp/err9"
rc=$?
if [ $rc -eq 2 ] && grep -q "symbolic link" "$tmp/err9" && [ ! -e "$tmp/elsewhere.csv" ]
then pass=$((pass+1)); else echo "FAIL snapshot -o symlink: exit $rc: $(cat "$tmp/err9")"; fail=$((fail+1)); fi
# -o into a directory this user cannot write was found only after --for (exit 74): it is said
# before collecting, exit 2. As root permission bits do not apply, so the directory is a
# read-only mount there (a read-only tmpfs); otherwise a directory without write permission.
mkdir "$tmp/ro"
if [ "$(id -u)" -eq 0 ]; then
  mount -t tmpfs -o ro tmpfs "$tmp/ro" 2>/dev/null && ro_mounted=1 || ro_mounted=0
else
  chmod 555 "$tmp/ro" && ro_mounted=1
fi
if [ "$ro_mounted" -eq 1 ]; then
  start=$(date +%s)
  "$bin" snapshot --for 30s -o "$tmp/ro/x.csv" 2>"$tmp/err10"
  rc=$?
  if [ $rc -eq 2 ] && [ $(( $(date +%s) - start )) -lt 10 ] && grep -q "cannot create a file in its directory" "$tmp/err10" \
    && [ -z "$(ls -A "$tmp/ro")" ]
  then pass=$((pass+1)); else echo "FAIL snapshot -o in a read-only directory: exit $rc after $(( $(date +%s) - start )) s: $(cat "$tmp/err10")"; fail=$((fail+1)); fi
  if [ "$(id -u)" -eq 0 ]; then umount "$tmp/ro"; else chmod 755 "$tmp/ro"; fi
else
  echo "SKIP snapshot -o in a read-only directory: cannot mount a read-only tmpfs here"
fi
# The check leaves nothing behind in a directory that can be written.
"$bin" snapshot --for 1s -o "$tmp/ro/ok.csv" 2>"$tmp/err11"
rc=$?
if [ $rc -eq 0 ] && [ "$(ls -A "$tmp/ro")" = "ok.csv" ]; then pass=$((pass+1))
else echo "FAIL snapshot into a writable directory: exit $rc, left: $(ls -A "$tmp/ro"): $(cat "$tmp/err11")"; fail=$((fail+1)); fi
# A sampler whose first line comes 3 s after the node is up (over ssh, the meminfo loop's first
# reading came ~3 s after the zone stream's clock reading): `--for 1s` wrote the node's row
# without its figures, exit 0, the moment anything had arrived. A snapshot waits for a line
# from each sampler stream that is up.
mkdir -p "$tmp/late"
cat >"$tmp/late/late.json" <<'EOF'
{"name":"late_sampler","type":"sampler","description":"d","group":"zz","priority":1,
 "command":"sleep 3; while :; do echo v=3; sleep {interval_s}; done",
 "parse":{"kind":"regex","rules":[{"name":"r","prefilter":"v=","regex":"v=(?<v>\\d+)","metrics":{"v":"late.value"}}]},
 "samples":[{"lines":["v=3"],"expect":{"late.value":3}}]}
EOF
"$bin" snapshot --for 1s --collectors-dir "$tmp/late" --csv-format long -o "$tmp/late.csv" 2>"$tmp/err12"
rc=$?
if [ $rc -eq 0 ] && grep -q ',late.value,,3,' "$tmp/late.csv"; then pass=$((pass+1))
else echo "FAIL snapshot --for 1s did not wait for a sampler's first line: exit $rc: $(cat "$tmp/late.csv" "$tmp/err12")"; fail=$((fail+1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
