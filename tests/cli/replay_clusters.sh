#!/usr/bin/env bash
# [[node]] cluster, end to end with the real binary: two servers that hang apart are one
# cluster_stall while nothing says they are apart, and two step_stalls and no cluster_stall
# when the config (replay -c) puts each in a cluster of its own, as a live run with that config
# judges them; a cluster name that is no label is refused with its file and line.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

# exo's file-format heartbeat stamps each step line after it: 10 steps a second for 20 s,
# the second node 2 s longer.
steps() { # FILE SECONDS
  awk -v n="$2" 'BEGIN { for (i = 0; i < n * 10; i++) {
    printf "[ 2026-02-23 10:00:%02d.%03d | INFO | exo.worker.runner:step:88 ] heartbeat ok\n", int(i / 10), (i % 10) * 100
    printf "[STEP %d] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=0.6ms ctx=%dK\n", i, 16 + i % 4 } }' >"$1"
}
steps "$tmp/a.log" 20
steps "$tmp/b.log" 22

"$bin" replay --node "gpu1=$tmp/a.log" --node "gpu2=$tmp/b.log" --headless --until 60s \
  >"$tmp/out" 2>"$tmp/err"
if grep FIRING "$tmp/out" | grep -q cluster_stall; then ok
else bad "no config: no cluster_stall: $(cat "$tmp/out" "$tmp/err")"; fi

cat >"$tmp/apart.toml" <<'TOML'
[[node]]
name = "gpu1"
cluster = "left"
[[node]]
name = "gpu2"
cluster = "right"
TOML
"$bin" replay -c "$tmp/apart.toml" --node "gpu1=$tmp/a.log" --node "gpu2=$tmp/b.log" \
  --headless --until 60s >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 0 ] && [ "$(grep FIRING "$tmp/out" | grep -c ' step_stall ')" -eq 2 ]; then ok
else bad "clusters apart: exit $code, not two step_stalls: $(cat "$tmp/out" "$tmp/err")"; fi
if ! grep -q cluster_stall "$tmp/out"; then ok
else bad "clusters apart: a cluster_stall: $(grep cluster_stall "$tmp/out")"; fi
# Alone in its cluster, an idle node waits on no peer.
if ! grep -q "waiting on a peer" "$tmp/out"; then ok
else bad "a node alone in its cluster waits on a peer: $(grep peer "$tmp/out")"; fi

cat >"$tmp/bad.toml" <<'TOML'
[[node]]
name = "gpu1"

cluster = "exo cluster"
TOML
"$bin" check-config "$tmp/bad.toml" >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 3 ] && grep -q "invalid cluster name" "$tmp/err" && grep -q "bad.toml:4" "$tmp/err"
then ok; else bad "a bad cluster name: exit $code: $(cat "$tmp/err")"; fi

finish replay_clusters
