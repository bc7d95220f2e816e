#!/usr/bin/env bash
# Whole pipeline vs grep: generates an exo-style log of SIZE MB (default 1024) with step lines
# among ordinary log lines, then times `clustertop parse --collector exo_step FILE` and
# `clustertop replay --node n1=FILE --speed max --until 0s --headless` (or `parse_bench
# --parse-file FILE` while the binary is not wired) against `grep -c STEP FILE`, each run twice
# with the file in page cache; prints wall and CPU seconds and both ratios. When the benchmarks
# are built, also bench/replay_floor: a loop written for this one log, doing the least a
# replay of it must do (see replay_floor.cpp): what a replay costs when written for it alone;
# and bench/replay_floor_parallel: the same work with two threads reading and parsing regions
# of the file while the main one stores them (the bound of that design, docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
build=${BUILD:-build/ci}
file=${TMPDIR:-/tmp}/clustertop_exo_${size_mb}mb.log
if [ ! -s "$file" ]; then
  awk -v target=$((size_mb * 1024 * 1024)) 'BEGIN {
    srand(7); n = 0; bytes = 0
    while (bytes < target) {
      n++
      if (n % 4 == 0) l = sprintf("[ 2026-02-23 10:%02d:%02d.%03d | INFO     | exo.worker.runner:step:88 ] heartbeat ok peers=3", (n/60000)%60, (n/1000)%60, n%1000)
      else l = sprintf("[STEP %d] eval=%dms model=7ms gpu_eval=0.%dms fence_wait=0.%dms ctx=%dK", n, 29 + n%7, n%10, 3 + n%7, 16 + n%90)
      print l; bytes += length(l) + 1
    }
  }' > "$file"
fi
if "$build/clustertop" parse --collector exo_step /dev/null >/dev/null 2>&1; then
  runs=("parse:$build/clustertop parse --collector exo_step $file"
        "replay:$build/clustertop replay --node n1=$file --speed max --until 0s --headless")
else
  runs=("parse:$build/bench/parse_bench --parse-file $file")
fi
if [ -x "$build/bench/replay_floor" ]; then
  runs+=("floor:$build/bench/replay_floor $file")
fi
if [ -x "$build/bench/replay_floor_parallel" ]; then
  runs+=("floor_parallel:$build/bench/replay_floor_parallel $file 2")
fi
# Output goes to a file, not /dev/null: GNU grep stops at the first match when stdout is /dev/null.
# Both wall and CPU (user+sys) seconds: on a shared machine CPU time is the steadier figure.
out=$(mktemp)
tf=$(mktemp)
t() {
  /usr/bin/time -f "%e %U %S" -o "$tf" "$@" >"$out" 2>/dev/null || true
  read -r wall usr sys <"$tf"
  echo "$wall $(echo "$usr + $sys" | bc)"
}
cat "$file" >/dev/null
for i in 1 2; do
  read -r gw gc <<<"$(t grep -c STEP "$file")"
  for r in "${runs[@]}"; do
    name=${r%%:*}
    read -r -a cmd <<<"${r#*:}"
    read -r pw pc <<<"$(t "${cmd[@]}")"
    echo "run $i: grep -c STEP ${gw}s wall ${gc}s cpu   $name ${pw}s wall ${pc}s cpu" \
      "  ratio wall $(echo "scale=2; $pw / $gw" | bc) cpu $(echo "scale=2; $pc / ($gc + 0.001)" | bc)"
  done
done
echo "file: $file ($(du -m "$file" | cut -f1) MB, $(wc -l < "$file") lines); target: ratio <= 2.0"
