#!/usr/bin/env bash
# A stop (SIGTERM, SIGINT) writes the periodic CSV file of the period it cut short: rows
# collected since the last file were dropped, silently, up to a whole --csv-every period per
# restart. The local node, a followed log and the real binary.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config
log="$tmp/x.log"; : >"$log"

for sig in TERM INT; do
  dir="$tmp/csv-$sig"; mkdir -p "$dir"
  "$bin" --headless --interval 500ms --log "$log" --csv-dir "$dir" --csv-every 10m \
    --csv-format long >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  wait_node_up "$tmp/out" 1
  token=$((RANDOM + 1000))
  echo "[STEP $token] eval=${token}ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=21K" >>"$log"
  sleep 1.5 # three ticks: the line is read and stored
  kill -s "$sig" $pid
  wait $pid; code=$?
  if [ "$code" -eq 0 ]; then ok; else bad "$sig: exit $code: $(cat "$tmp/err")"; fi
  files=("$dir"/clustertop-*-long.csv)
  if [ "${#files[@]}" -eq 1 ] && [ -s "${files[0]}" ]; then ok; else bad "$sig: files: $(ls "$dir")"; continue; fi
  if grep -q ",[^,]*,step.eval_ms,,$token,ms" "${files[0]}"; then ok; else
    bad "$sig: no step row in $(head -3 "${files[0]}")"; fi
  if grep -q ",[^,]*,mem.total_bytes,," "${files[0]}"; then ok; else
    bad "$sig: no memory row in $(head -3 "${files[0]}")"; fi
done

# Wide: the stop's file is the store at the stop, and a replay of the run's recording writes
# the same file, name and every cell (before, the replay's said `connecting, not watched`
# where the live run's said `up`, and its tokens/s differed in the 7th digit).
dir="$tmp/csv-wide"; rec="$tmp/rec"; mkdir -p "$dir" "$rec"
"$bin" --headless --interval 500ms --log "$log" --csv-dir "$dir" --csv-every 10m \
  --record "$rec" >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_node_up "$tmp/out" 1
for i in $(seq 1 12); do
  echo "[STEP $i] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=0.${i}ms ctx=21K" >>"$log"
  sleep 0.1
done
echo "[STEP 13] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=500ms ctx=21K" >>"$log"
sleep 0.3
kill -s TERM $pid
wait $pid; code=$?
if [ "$code" -eq 0 ]; then ok; else bad "wide: exit $code: $(cat "$tmp/err")"; fi
live=("$dir"/clustertop-*.csv)
if [ "${#live[@]}" -eq 1 ] && grep -q ',up,' "${live[0]}"; then ok; else
  bad "wide: files: $(ls "$dir"): $(cat "${live[0]}")"; fi
mkdir -p "$tmp/csv-replayed"
"$bin" replay "$rec" --headless --csv-dir "$tmp/csv-replayed" --csv-every 10m >/dev/null 2>"$tmp/err"
replayed=("$tmp/csv-replayed"/clustertop-*.csv)
if [ "${#replayed[@]}" -eq 1 ] && [ "$(basename "${replayed[0]}")" = "$(basename "${live[0]}")" ] &&
  cmp -s "${replayed[0]}" "${live[0]}"; then ok; else
  bad "the replay's stop file differs: $(ls "$tmp/csv-replayed"): $(diff "${live[0]}" "${replayed[0]}")"; fi
finish csv_stop
