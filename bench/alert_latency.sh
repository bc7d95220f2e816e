#!/usr/bin/env bash
# Line-to-alert latency through the real binary: a crash line appended to a followed log
# (tail -F) until its alert is printed by the headless JSON sink. N samples (default 20),
# one every 2.5 s (crash hold set to 1 s so each line is a new alert); prints p50, p99 and max. The SSH hop adds what bench/ssh_bench measures.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
bin=${BIN:-build/ci/clustertop}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
: >"$tmp/x.log"
printf '[thresholds.crash]\nhold = "1s"\n' >"$tmp/c.toml"
"$bin" --headless --json --figures-every 0 --interval 1s -c "$tmp/c.toml" --log "$tmp/x.log" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 2
python3 - "$tmp/x.log" "$tmp/out" "$n" <<'PY'
import json, os, sys, time
log, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lat = []
with open(out) as f:
    for i in range(n):
        f.seek(0, os.SEEK_END)
        t0 = time.monotonic()
        with open(log, "a") as l:
            l.write("[METAL] Command buffer execution failed: Caused GPU Timeout Error "
                    "(00000002:kIOGPUCommandBufferCallbackErrorTimeout) probe %d\n" % i)
        seen = None
        while time.monotonic() - t0 < 5:
            line = f.readline()
            if not line:
                time.sleep(0.001); continue
            j = json.loads(line)
            if j.get("rule") == "crash" and j.get("state") == "firing" and ("probe %d" % i) in j.get("message", ""):
                seen = time.monotonic(); break
        if seen: lat.append((seen - t0) * 1000)
        time.sleep(2.5)  # past the 1 s hold, so the next line is a new alert
lat.sort()
if not lat: sys.exit("no alert seen")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"line -> alert printed, {len(lat)}/{n} samples: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]:.1f} ms")
PY
