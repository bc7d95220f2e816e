#!/usr/bin/env bash
# A node's name is the user's own label, shown as it is in every output: /metrics labels, CSV
# cells, --json alerts and figures, hooks' CLUSTERTOP_NODE and stdin. A name that redaction
# would change (a URL with a password, API_KEY=..., an sk-... token) was shown verbatim in all
# of them but CSV, where it was redacted: the CSV node column no longer matched the /metrics
# label, and two nodes differing only in a password were one CSV row. Such a name is refused
# (config: exit 3 naming file:line; command line: exit 2), without echoing the secret; the
# ordinary names stay valid and reach CSV and /metrics alike.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config
echo "2026-02-23 18:00:01 hello" >"$tmp/e.log"
key=sk-abcdefghijklmnopqrstuvwxyz0123456789

# The tester's config: check-config, a headless run and a snapshot refuse it (they started).
cat >"$tmp/cred.toml" <<EOF
[[node]]
name = "mac1"
host = "local"

[[node]]
name = "https://u:hunter2@h/ OPENAI_API_KEY=$key"
host = "local"
logs = ["$tmp/e.log"]
EOF
for cmd in "check-config" "--headless -c" "snapshot --for 30s -o $tmp/cred.csv -c"; do
  # shellcheck disable=SC2086 # $cmd is words
  out=$(timeout 20 "$bin" $cmd "$tmp/cred.toml" 2>&1 </dev/null); code=$?
  # The name key's line (6), where the [[node]] header's (5) was given.
  if [ "$code" -eq 3 ] && [[ "$out" == *"$tmp/cred.toml:6: invalid node"*"credential"* ]] \
    && [[ "$out" != *hunter2* && "$out" != *"$key"* ]]; then ok
  else bad "$cmd with a credential in a node name: exit $code: $out"; fi
done
[ ! -e "$tmp/cred.csv" ] && ok || bad "snapshot wrote $tmp/cred.csv"

# On the command line: a node argument, and a replay's --node NAME, are a bad command line.
out=$(timeout 20 "$bin" --headless "$key" 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"credential"* && "$out" != *"$key"* ]]; then ok
else bad "node argument $key: exit $code: $out"; fi
out=$(timeout 20 "$bin" snapshot --for 30s -o "$tmp/arg.csv" "u@$key" 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"credential"* && "$out" != *"$key"* ]]; then ok
else bad "snapshot node argument u@$key: exit $code: $out"; fi
out=$(timeout 20 "$bin" replay --headless --node "$key=$tmp/e.log" 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"credential"* && "$out" != *"$key"* ]]; then ok
else bad "replay --node $key=LOG: exit $code: $out"; fi

# A host name with '_' (libssh refuses it) given on the command line is a bad command line too,
# as every other bad node argument is; it was "invalid config", exit 3.
for arg in gpu_1 u@h_1:22; do
  out=$(timeout 20 "$bin" snapshot --for 30s -o "$tmp/us.csv" "$arg" 2>&1 </dev/null); code=$?
  if [ "$code" -eq 2 ] && [[ "$out" == *"holds '_', which libssh refuses"* ]]; then ok
  else bad "node argument $arg: exit $code: $out"; fi
done
# And the words for another bad host name list what a host may hold: no '_'.
out=$(timeout 20 "$bin" snapshot --for 30s -o "$tmp/us.csv" 'a b' 2>&1 </dev/null); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"host may hold only letters, digits, . -"* ]]; then ok
else bad "node argument 'a b': exit $code: $out"; fi

# Ordinary names stay valid, in the file and on the command line.
names=(mac1 user@host user@host:2222 gpu-node-07 token-server exo.local)
: >"$tmp/ok.toml"
for n in "${names[@]}"; do printf '[[node]]\nname = "%s"\nhost = "local"\n' "$n" >>"$tmp/ok.toml"; done
out=$(timeout 20 "$bin" check-config "$tmp/ok.toml" 2>&1); code=$?
if [ "$code" -eq 0 ] && [[ "$out" == *"6 node(s)"* ]]; then ok; else bad "ordinary names: exit $code: $out"; fi
out=$(timeout 20 "$bin" replay --headless --node "token-server=$tmp/e.log" 2>&1); code=$?
if [ "$code" -eq 0 ]; then ok; else bad "replay --node token-server: exit $code: $out"; fi

# The CSV node column is the name /metrics labels: a snapshot of these nodes on this machine
# has them all, each as written.
if timeout 30 "$bin" snapshot --for 1s -c "$tmp/ok.toml" -o "$tmp/ok.csv" 2>"$tmp/err" \
  && python3 - "$tmp/ok.csv" "${names[@]}" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
assert sorted(r["node"] for r in rows) == sorted(sys.argv[2:]), [r["node"] for r in rows]
PY
then ok; else bad "snapshot of ordinary names: $(cat "$tmp/err")"; fi
finish node_names
