#!/usr/bin/env bash
# A replay writes the CSV files and figures lines a live run would (--csv-dir, --csv-every,
# --csv-on-alert, --figures-every), named and stamped with the replay's times: they were
# refused, so a run's CSV could not be made again from its recording or logs.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

{
  for i in $(seq 0 119); do
    printf '2026-02-23 18:%02d:%02d.000 [STEP %d] eval=36ms model=30ms gpu_eval=0.5ms fence_wait=0.8ms ctx=%dK\n' \
      $((i / 60)) $((i % 60)) "$i" $((10 + i / 10))
  done
  echo '2026-02-23 18:02:00.000 libc++abi: terminating due to uncaught exception'
} >"$tmp/n1.log"
mkdir -p "$tmp/csv"
"$bin" replay --headless --node "n1=$tmp/n1.log" --until 30s --csv-dir "$tmp/csv" \
  --csv-every 30s --csv-on-alert --csv-format long --figures-every 60s >"$tmp/out" 2>"$tmp/err"
code=$?
if [ "$code" -eq 0 ]; then ok; else bad "replay with CSV: exit $code: $(cat "$tmp/err")"; fi
# Periodic files every 30 s of replay time, and one at the alert, named by replay time.
for f in clustertop-20260223T180031.000Z-long.csv clustertop-20260223T180101.000Z-long.csv \
  clustertop-20260223T180200.000Z-alert-long.csv; do
  if [ -s "$tmp/csv/$f" ]; then ok; else bad "no $f in: $(ls "$tmp/csv")"; fi
done
if grep -q "n1,step.eval_ms,,36" "$tmp/csv/clustertop-20260223T180101.000Z-long.csv"; then ok; else
  bad "no step sample in the 18:01:01 file: $(head -5 "$tmp/csv/clustertop-20260223T180101.000Z-long.csv")"; fi
# Figures lines in replay time, and the alert.
if [ "$(grep -c '^2026-02-23T18:0[012]:01.000Z n1 up' "$tmp/out")" -eq 3 ]; then ok; else bad "figures lines: $(cat "$tmp/out")"; fi
if grep -q "FIRING   critical crash n1\[abort\]" "$tmp/out"; then ok; else bad "no crash alert: $(cat "$tmp/out")"; fi
# Without a directory, or one no file can be made in: a bad command line.
"$bin" replay --headless --node "n1=$tmp/n1.log" --csv-every 30s >/dev/null 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q "need a CSV directory" "$tmp/err"; then ok; else bad "--csv-every alone: exit $code: $(cat "$tmp/err")"; fi
"$bin" replay --headless --node "n1=$tmp/n1.log" --csv-dir "$tmp/none" >/dev/null 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q "cannot use the csv_dir directory" "$tmp/err"; then ok; else bad "a missing --csv-dir: exit $code: $(cat "$tmp/err")"; fi
finish replay_csv
