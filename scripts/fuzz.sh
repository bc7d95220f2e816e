#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds (default 15) with the
# real fixtures as its seed corpus. A crash, leak, timeout or undefined behaviour fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Whole files a target starts from as well, for inputs that are files rather than lines:
# fuzz/seeds/NAME/ and these.
declare -A whole_seeds=([config]="docs/example-config.toml")
cmake --preset fuzz >/dev/null
mapfile -t fuzz_targets < <(cd fuzz && ls *_fuzz.cpp | sed 's/\.cpp$//')
cmake --build --preset fuzz -j "$(nproc)" --target "${fuzz_targets[@]}"
shopt -s nullglob
targets=(build/fuzz/fuzz/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then echo "fuzz: no targets"; exit 0; fi
for t in "${targets[@]}"; do
  name=$(basename "$t" _fuzz)
  corpus=$(mktemp -d)
  # Seeds: every fixture file, split into lines, so each run starts from real input.
  # Capped at 2000 seeds so a large recorded fixture cannot make start-up dominate the run.
  find tests/fixtures collectors -type f -print0 2>/dev/null | xargs -0 -r cat | head -n 2000 |
    split -l 1 -a 6 - "$corpus/seed_" || true
  for f in ${whole_seeds[$name]:-} fuzz/seeds/"$name"/*; do cp "$f" "$corpus/"; done
  echo "fuzz: $name for ${seconds}s"
  "$t" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
  rm -rf "$corpus"
done
