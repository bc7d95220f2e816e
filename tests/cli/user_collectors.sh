#!/usr/bin/env bash
# User collector definitions (--collectors-dir): a definition named after one of clustertop's
# own streams (`zone` was read as the node clock: a skew of decades, its metrics lost) or
# holding control characters is refused with file:line.
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

finish user_collectors
