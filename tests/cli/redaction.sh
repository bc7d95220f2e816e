#!/usr/bin/env bash
# Credentials in a crash line never reach headless output: `clustertop replay --headless`
# (text and --json) prints the crash alert with the line's secrets replaced by [redacted],
# and keeps the ordinary figures of the line.
source "$(dirname "$0")/lib/checks.sh"
hf="hf_$(printf 'a%.0s' $(seq 34))"
for i in $(seq 1 5); do
  echo "[ 2026-02-23 18:07:0$i.000 | INFO     | exo.worker.runner:step:88 ] [STEP $i] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=${i}K" >>"$tmp/mbp.log"
done
echo "[ 2026-02-23 18:07:06.000 | ERROR    | exo.worker.runner:run:120 ] [METAL] Command buffer execution failed: Caused GPU Timeout Error (00000002:kIOGPUCommandBufferCallbackErrorTimeout) max_tokens=512 {\"password\": \"hunter2\"} OPENAI_API_KEY=sk-live0123456789abcdefghij $hf" >>"$tmp/mbp.log"
for json in "" --json; do
  out=$("$bin" replay --node "mbp=$tmp/mbp.log" --until 10s --headless $json 2>&1)
  if grep -q "crash" <<<"$out" && grep -q "\[redacted\]" <<<"$out" && grep -q "max_tokens=512" <<<"$out" \
    && ! grep -q -e hunter2 -e sk-live -e "$hf" <<<"$out"; then ok
  else bad "headless${json:+ $json} output carries a secret or lacks the crash:"; echo "$out" | head -20; fi
done
finish redaction
