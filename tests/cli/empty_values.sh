#!/usr/bin/env bash
# An empty value was taken as "not given" without a word: `--listen ""` (a `--listen "$PORT"`
# with PORT unset) served nothing, `--csv-dir ""` wrote no CSV, `-c ""` read the default
# config, and `listen = ""` in [sinks] did the same from the file. An option given an empty
# value is a bad command line (exit 2, naming the option); a key set to "" in the config file
# is an invalid config (exit 3, naming file:line and the key), in a run and in check-config.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

for opt in --listen --csv-dir --record --log --theme -c --config --on-alert --known-hosts \
  --ssh-config --themes-dir --collectors-dir; do
  out=$(timeout 5 "$bin" --headless "$opt" "" 2>&1 </dev/null); code=$?
  if [ "$code" -eq 2 ] && [[ "$out" == *"the value is empty"* && "$out" == *"${opt#-c}"* ]]; then ok
  else bad "$opt \"\": exit $code: $(head -c 300 <<<"$out")"; fi
done
# --opt= (one word) is the same; and after a subcommand.
out=$(timeout 5 "$bin" --headless --listen= 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"--listen"* ]]; then ok; else bad "--listen=: exit $code: $out"; fi
out=$(timeout 5 "$bin" snapshot --for 30s -o "" 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"the value is empty"* ]]; then ok; else bad "snapshot -o \"\": exit $code: $out"; fi
out=$(timeout 5 "$bin" snapshot --for 30s -o "$tmp/s.csv" -c "" 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"the value is empty"* ]] && [ ! -e "$tmp/s.csv" ]; then ok
else bad "snapshot -c \"\": exit $code: $out"; fi

# The config file: every string key set to "" names its line (here line 2 or 3).
for key in "sinks]\nlisten" "sinks]\ncsv_dir" "sinks]\nrecord" "sinks]\non_alert" \
  "ssh]\nknown_hosts" "ssh]\nconfig_file" "node]]\nname = \"a\"\nhost" "node]]\nname = \"a\"\nuser"; do
  printf "[$key = \"\"\n" | sed 's/^\[node\]\]/[[node]]/' >"$tmp/empty.toml"
  line=$(grep -n '= ""' "$tmp/empty.toml" | cut -d: -f1)
  for cmd in "check-config" "--headless -c"; do
    # shellcheck disable=SC2086 # $cmd is words
    out=$(timeout 5 "$bin" $cmd "$tmp/empty.toml" 2>&1 </dev/null); code=$?
    if [ "$code" -eq 3 ] && [[ "$out" == *"$tmp/empty.toml:$line: '"*"' is empty"* ]]; then ok
    else bad "$cmd with $(tr '\n' ' ' <"$tmp/empty.toml"): exit $code: $(head -c 300 <<<"$out")"; fi
  done
done
finish empty_values
