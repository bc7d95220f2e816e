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
