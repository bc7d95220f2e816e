#!/usr/bin/env bash
# User collector definitions (--collectors-dir): a definition named after one of clustertop's
# own streams (`zone` was read as the node clock: a skew of decades, its metrics lost) or
# holding control characters is refused with file:line; a directory that cannot be listed is
# an error (an unreadable one was ignored: exit 0, nothing loaded), and a missing one is named
# missing.
source "$(dirname "$0")/lib/checks.sh"

# user_def DIR NAME_JSON: a working sampler definition named NAME_JSON in DIR/user.json.
user_def() {
  mkdir -p "$1"
  cat >"$1/user.json" <<EOF
{"name":"$2","type":"sampler","description":"d","group":"zz","priority":1,
 "command":"while :; do echo v=3; sleep {interval_s}; done",
 "parse":{"kind":"regex","rules":[{"name":"r","prefilter":"v=","regex":"v=(?<v>\\\\d+)","metrics":{"v":"foo.value"}}]},
 "samples":[{"lines":["v=3"],"expect":{"foo.value":3}}]}
EOF
}
# expect CODE TEXT ARGS...: clustertop ARGS exits CODE, saying TEXT.
expect() {
  local code=$1 text=$2 out got; shift 2
  out=$(timeout 20 "$bin" "$@" 2>&1); got=$?
  if [ "$got" -eq "$code" ] && [[ "$out" == *"$text"* ]]; then ok; else bad "$*: exit $got: $out (want $code, '$text')"; fi
}

user_def "$tmp/ok" my_zone
expect 0 "my_zone" collectors --collectors-dir "$tmp/ok"
for name in zone log; do
  user_def "$tmp/$name" "$name"
  expect 3 "$tmp/$name/user.json:1" collectors --collectors-dir "$tmp/$name"
  expect 3 "the name '$name' is reserved" collectors --collectors-dir "$tmp/$name"
done
user_def "$tmp/esc" 'e\u001b[2J'
expect 3 "the name 'e\x1b[2J' holds control characters" collectors --collectors-dir "$tmp/esc"
if ! timeout 20 "$bin" collectors --collectors-dir "$tmp/esc" 2>&1 | grep -q $'\x1b'; then ok; else bad "a raw ESC reached the terminal"; fi

expect 3 "No such file or directory" collectors --collectors-dir "$tmp/nope"
# Unreadable: mode 000 stops only an unprivileged reader, so as root run as nobody.
user_def "$tmp/locked" mine
chmod 000 "$tmp/locked"
as_nobody=()
if [ "$(id -u)" -eq 0 ]; then
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chmod 755 "$tmp" # nobody must reach the directory to find it unreadable
fi
out=$(timeout 20 "${as_nobody[@]}" "$bin" collectors --collectors-dir "$tmp/locked" 2>&1); code=$?
if [ "$code" -eq 3 ] && [[ "$out" == *"cannot read collector directory"*"Permission denied"* ]]; then ok
else bad "unreadable --collectors-dir: exit $code: $(head -c 300 <<<"$out")"; fi
chmod 755 "$tmp/locked"

# A definition whose sample expects what it does not yield: check-config and a run refuse it,
# naming the sample's line (check-config said OK and the run started with it); parse, the tool
# for writing one, still runs it.
mkdir -p "$tmp/wrongexp"
cat >"$tmp/wrongexp/w.json" <<'EOF'
{
  "name": "mine",
  "type": "log",
  "parse": {"kind": "regex", "rules": [
    {"name": "a", "prefilter": "lat=", "regex": "lat=(?<v>[\\d.]+ ?\\w*)", "metrics": {"v": "my.lat_ms"}}
  ]},
  "samples": [
    {"lines": ["lat=5ms"], "expect": {"my.lat_ms": 5}},
    {"lines": ["lat=5s"], "expect": {"my.lat_ms": 5}}
  ]
}
EOF
printf '[[node]]\nname = "a"\nhost = "local"\n' >"$tmp/wrongexp.toml"
expect 3 "$tmp/wrongexp/w.json:9: mine sample 2: my.lat_ms = 5000, expected 5" check-config --collectors-dir "$tmp/wrongexp" "$tmp/wrongexp.toml"
expect 3 "fails its samples" replay --collectors-dir "$tmp/wrongexp" --node a=/dev/null --headless
out=$(printf 'lat=5s\n' | "$bin" parse --collector mine --collectors-dir "$tmp/wrongexp" - 2>/dev/null)
if [[ "$out" == *'"value":5000'* ]]; then ok; else bad "parse of a definition with a failing sample: $out"; fi

finish user_collectors
