# Sourced by the CLI test scripts (not itself a test: tests/CMakeLists.txt runs cli/*.sh only).
# Gives: $bin (the clustertop binary, the script's first argument), a scratch directory $tmp
# removed at exit, ok / bad MESSAGE to count checks, and finish NAME to print the count and
# end with the script's status.
set -u
bin=$1
fail=0 pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL $*"; fail=$((fail+1)); }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
finish() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

# An exo runner crash line stamped STAMP ("YYYY-MM-DD HH:MM:SS.mmm"), as exo's file log has it.
exo_crash_line() {
  echo "[ $1 | ERROR | runner_supervisor:_check_runner:273 ] Runner terminated with signal=11 (Segmentation fault: 11)"
}
# Until FILE shows a node `up` (5 s at most), then a moment for its streams' first reads.
wait_node_up() {
  for _ in $(seq 50); do grep -q ' up ' "$1" 2>/dev/null && break; sleep 0.1; done
  sleep "${2:-1}"
}
# The first STATE (FIRING, RESOLVED, ...) line of RULE in FILE within SECONDS (6), in $found
# ("" when none came).
wait_alert() {
  found=""
  for _ in $(seq $(( ${4:-6} * 10 ))); do
    found=$(grep "$1" "$3" | grep "$2" | head -1)
    [ -n "$found" ] && break
    sleep 0.1
  done
}
# The first crash alert in FILE within 6 s, in $fired ("" when none came).
wait_crash_alert() {
  wait_alert FIRING crash "$1"
  fired=$found
}
