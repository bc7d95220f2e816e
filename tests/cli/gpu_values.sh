#!/usr/bin/env bash
# nvidia-smi values a GPU cannot have never reach /metrics: a utilization of -5 % was exported
# as clustertop_gpu_utilization_ratio -0.05 (the documented range is 0-1), and a line with an
# empty GPU index made series without a gpu label beside the per-GPU ones. An out-of-range
# percentage is unknown (absent from the scrape); a line without its index is skipped and
# counted. The lines below are constructed hostile input, not output of a real nvidia-smi:
# a fake `nvidia-smi` on PATH prints them to a live run of this machine.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config
mkdir "$tmp/fakebin"
cat >"$tmp/smi.csv" <<'EOF'
0, GPU-a, NVIDIA H100 80GB HBM3, 672.08, 700.00, -5, 1139, 81559, 48
1, GPU-b, NVIDIA H100 80GB HBM3, 600.00, 700.00, 150, 1139, 81559, 47
, GPU-c, NVIDIA H100 80GB HBM3, 500.00, 700.00, 50, 1139, 81559, 46
2, GPU-d, NVIDIA H100 80GB HBM3, 400.00, 700.00, 100, 1139, 81559, 45
EOF
printf '#!/bin/sh\ncat %q\nexec sleep 600\n' "$tmp/smi.csv" >"$tmp/fakebin/nvidia-smi"
chmod +x "$tmp/fakebin/nvidia-smi"

# `clustertop parse` reads the same lines the same way.
out=$("$bin" parse --collector nvidia_smi "$tmp/smi.csv" 2>&1)
if [[ "$out" == *"4 lines, 3 records, 1 skipped"* ]] && ! grep -q '"value":-5\|"value":150' <<<"$out" \
  && [ "$(grep -c '"name":"gpu.power_w","device"' <<<"$out")" -eq 3 ]; then ok
else bad "parse --collector nvidia_smi: $out"; fi

PATH="$tmp/fakebin:$PATH" timeout 20 "$bin" --headless --figures-every 0 --listen 127.0.0.1:0 \
  </dev/null >/dev/null 2>"$tmp/err" &
pid=$!
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/.*serving \/metrics on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/err")
  [ -n "$port" ] && break
  sleep 0.1
done
metrics=""
for _ in $(seq 50); do
  metrics=$(curl -s "http://127.0.0.1:$port/metrics")
  grep -q '^clustertop_gpu_power_watts{.*gpu="2"}' <<<"$metrics" && break
  sleep 0.2
done
kill -TERM "$pid" 2>/dev/null; wait "$pid"
if grep -q '^clustertop_gpu_utilization_ratio{.*gpu="2"} 1$' <<<"$metrics"; then ok
else bad "no utilization of GPU 2 in /metrics: $(grep gpu_ <<<"$metrics") $(cat "$tmp/err")"; fi
if ! grep -q '^clustertop_gpu_utilization_ratio{.*gpu="[01]"}' <<<"$metrics"; then ok
else bad "an out-of-range utilization reached /metrics: $(grep utilization <<<"$metrics")"; fi
if ! grep '^clustertop_gpu_' <<<"$metrics" | grep -vq 'gpu="'; then ok
else bad "a GPU series without a gpu label: $(grep '^clustertop_gpu_' <<<"$metrics" | grep -v 'gpu="')"; fi
if grep -q '^clustertop_node_skipped_lines_total{node="[^"]*"} 1$' <<<"$metrics"; then ok
else bad "the line without an index is not counted: $(grep skipped <<<"$metrics")"; fi
finish gpu_values
