#!/usr/bin/env bash
# The whole program's CPU share with the dashboard open: 3 nodes (local nodes, each with its
# memory sampler and a followed log receiving one step line per second) at 1 Hz, 200x50 in
# tmux, for SECONDS (default 60). Reads clustertop's own utime+stime from /proc (its sampler
# children are the nodes' cost, measured by bench/node_cost.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
bin=${BIN:-build/ci/clustertop}
tmp=$(mktemp -d); sock="ct-bench-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; kill $writer 2>/dev/null || true; rm -rf "$tmp"' EXIT
for n in 1 2 3; do
  : >"$tmp/n$n.log"
  printf '[[node]]\nname = "node%s"\nhost = "local"\nlogs = ["%s"]\n' "$n" "$tmp/n$n.log" >>"$tmp/cluster.toml"
done
( i=0; while :; do i=$((i+1)); for n in 1 2 3; do
    echo "[STEP $i] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=$((i/10))K" >>"$tmp/n$n.log"; done; sleep 1; done ) &
writer=$!
tmux -L "$sock" new-session -d -x 200 -y 50 "$bin -c $tmp/cluster.toml"
sleep 3
pid=$(pgrep -n -f "$bin -c $tmp/cluster.toml")
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
a=$(cpu); sleep "$secs"; b=$(cpu)
echo "clustertop dashboard, 3 nodes at 1 Hz, 200x50, ${secs}s: $(( (b - a) * 1000 / hz )) ms CPU = $(echo "scale=3; ($b - $a) * 100 / $hz / $secs" | bc)% of a core"
