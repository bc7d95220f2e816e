#!/usr/bin/env bash
# CLI smoke tests: help, version, usage errors, check-config on good and broken files, CSV
# triggers without a CSV directory.
set -u
bin=$1 root=$2
fail=0 pass=0
check() { # name, expected-exit, command...
  local name=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then echo "FAIL $name: exit $rc, want $want"; echo "$out" | head -20; fail=$((fail+1)); return 1; fi
  pass=$((pass+1)); LAST="$out"
}
contains() { # name, needle
  if ! grep -qF -- "$2" <<<"$LAST"; then echo "FAIL $1: output lacks '$2'"; echo "$LAST" | head -20; fail=$((fail+1)); else pass=$((pass+1)); fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check help 0 "$bin" --help && { contains help-modes "headless"; contains help-replay "replay --node"; contains help-snapshot "snapshot --for"; }
check version 0 "$bin" --version && contains version "clustertop "
check bad-flag 2 "$bin" --no-such-flag && contains bad-flag "--no-such-flag"
check bad-interval 2 "$bin" --interval fast && contains bad-interval "duration"
# A node named twice on the command line is a bad command line (2), not a bad config (3).
check node-twice 2 env XDG_CONFIG_HOME="$tmp" timeout 20 "$bin" --headless node1 node1 \
  && contains node-twice "node 'node1' is named twice"
check example 0 "$bin" check-config "$root/docs/example-config.toml" && contains example "3 node(s)"
printf '[[node]]\nname = "a"\nhots = "x"\n' >"$tmp/typo.toml"
check typo 3 "$bin" check-config "$tmp/typo.toml" && { contains typo-line "typo.toml:3"; contains typo-fix "did you mean 'host'"; }
printf '[general\n' >"$tmp/syntax.toml"
check syntax 3 "$bin" check-config "$tmp/syntax.toml" && contains syntax "syntax.toml:1"
check missing 3 "$bin" check-config "$tmp/nope.toml" && contains missing "No such file"
# A recording directory beside --node logs was dropped without a word (and never checked).
echo '2026-02-23 18:00:01 x' >"$tmp/one.log"
check replay-dir-and-node 2 env XDG_CONFIG_HOME="$tmp" timeout 20 "$bin" replay --headless /does/not/exist --node "n=$tmp/one.log" \
  && contains replay-dir-and-node "a recording directory and --node logs were both given"

# --csv-every / --csv-on-alert without a CSV directory would write nothing: a usage error from
# the command line (2), a config error from the file (3). timeout: the old code ran on.
check csv-every-no-dir 2 env XDG_CONFIG_HOME="$tmp" timeout 20 "$bin" --headless --csv-every 2s \
  && contains csv-every-no-dir "--csv-every needs a CSV directory"
check csv-on-alert-no-dir 2 env XDG_CONFIG_HOME="$tmp" timeout 20 "$bin" --headless --csv-on-alert \
  && contains csv-on-alert-no-dir "--csv-on-alert needs a CSV directory"
printf '[sinks]\ncsv_every = "30s"\n' >"$tmp/every.toml"
check csv-every-config-no-dir 3 timeout 20 "$bin" --headless -c "$tmp/every.toml" \
  && contains csv-every-config-no-dir "csv_every needs a CSV directory"
check csv-every-check-config 3 "$bin" check-config "$tmp/every.toml" \
  && contains csv-every-check-config "csv_every needs a CSV directory"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
