#!/usr/bin/env bash
# Installs what is missing, then runs every quality gate: a warnings-as-errors build with
# the whole test suite (unit, collectors, golden replays, CLI smoke, integration against a
# real sshd), the ASan+UBSan build with the unit and CLI tests, the clang-format check and
# short libFuzzer runs. Exits non-zero on the first failing gate.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

echo "== format check"
./scripts/format.sh --check

echo "== sanitizer build (ASan + UBSan)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --preset dev -j "$jobs" -L 'unit|cli' --timeout 300

echo "== fuzz (short runs on the real fixtures)"
./scripts/fuzz.sh 15

echo "== ci build (warnings as errors) and the whole suite"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs" --timeout 300
