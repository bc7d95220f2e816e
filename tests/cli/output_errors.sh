#!/usr/bin/env bash
# Output that cannot be written, end to end with the real binary: a full disk (/dev/full)
# under standard output ends every command with exit 74 and says why, where the lost output
# used to end in exit 0; a stderr that is closed or full loses its messages but not the
# command's own exit code (a message that failed to print was an "internal error", 70); a
# reader that goes away (`| head -1`) stays a normal end.
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

{
  echo '2026-02-23 18:00:00.000 libc++abi: terminating'
  for i in $(seq 1 2000); do echo "[STEP $i] eval=30ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=20K"; done
} >"$tmp/run.log"
printf '[[node]]\nname = "a"\nhost = "127.0.0.1"\n' >"$tmp/ok.toml"

# expect CODE PATTERN-IN-STDERR DESCRIPTION -- COMMAND...: runs COMMAND with stderr to a file.
expect() {
  local want=$1 pattern=$2 what=$3
  shift 4
  "$@" 2>"$tmp/err"
  local code=$?
  if [ "$code" -eq "$want" ]; then ok; else bad "$what: exit $code (want $want): $(head -c 300 "$tmp/err")"; fi
  if [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/err"; then ok; else bad "$what: no '$pattern' in: $(head -c 300 "$tmp/err")"; fi
}

expect 74 'replay stopped at .*: cannot write standard output: No space left on device' \
  "replay >/dev/full" -- \
  sh -c "exec \"$bin\" replay --node n1=\"$tmp/run.log\" --speed max --headless >/dev/full"
expect 74 'cannot write the records: No space left on device' "parse >/dev/full" -- \
  sh -c "exec \"$bin\" parse --collector exo_step \"$tmp/run.log\" >/dev/full"
expect 74 'cannot write standard output: No space left on device' "collectors >/dev/full" -- \
  sh -c "exec \"$bin\" collectors >/dev/full"
expect 74 'cannot write standard output: No space left on device' "check-config >/dev/full" -- \
  sh -c "exec \"$bin\" check-config \"$tmp/ok.toml\" >/dev/full"
expect 74 'cannot write standard output: No space left on device; stopping' \
  "headless watch >/dev/full" -- \
  timeout -s TERM 10 sh -c "exec \"$bin\" --headless --interval 200ms >/dev/full"

# Past the file size limit (`ulimit -f`), a write fails as on a full disk: SIGXFSZ killed the
# process (exit 153) and left the temporary file beside the target.
mkdir -p "$tmp/fsize"
expect 74 'sf.csv: cannot write the output file: File too large' "snapshot past ulimit -f" -- \
  sh -c "ulimit -f 1; exec \"$bin\" snapshot --csv-format long --for 1s -o \"$tmp/fsize/sf.csv\""
if [ -z "$(ls -A "$tmp/fsize")" ]; then ok; else bad "a file was left behind: $(ls -A "$tmp/fsize")"; fi

# stdout closed (`>&-`): the output cannot be written, exit 74. Its descriptor was taken by
# the next one opened (the signal descriptor), which the output went into: "Invalid argument".
expect 74 'cannot write standard output: Bad file descriptor' "replay >&-" -- \
  sh -c "exec \"$bin\" replay --node n1=\"$tmp/run.log\" --speed max --headless >&-"
expect 74 'cannot write standard output: Bad file descriptor; stopping' "headless watch >&-" -- \
  timeout -s TERM 10 sh -c "exec \"$bin\" --headless --interval 200ms >&-"

# The same commands with a good stdout are fine (exit 0), so the checks above test the output.
expect 0 '' "replay >file" -- \
  sh -c "exec \"$bin\" replay --node n1=\"$tmp/run.log\" --speed max --headless >\"$tmp/out\""
if grep -q 'FIRING.*crash' "$tmp/out"; then ok; else bad "replay wrote no crash alert: $(cat "$tmp/out")"; fi

# stderr closed or full: the run's own exit code, not 70.
expect 0 '' "replay 2>/dev/full" -- \
  sh -c "exec \"$bin\" replay --node n1=\"$tmp/run.log\" --speed max --headless 2>/dev/full >\"$tmp/out\""
expect 3 '' "missing config, stderr closed" -- \
  sh -c "exec \"$bin\" check-config \"$tmp/none.toml\" 2>&-"
expect 0 '' "parse 2>/dev/full" -- \
  sh -c "exec \"$bin\" parse --collector exo_step \"$tmp/run.log\" 2>/dev/full >/dev/null"

# The reader goes away: a normal end. stdout and stderr into one pipe (`2>&1 | head -1`) was
# exit 70: the notice that stdout closed could not be written to the closed stderr either.
# The log is long enough that the replay is still writing when head has gone.
for i in $(seq 1 40); do cat "$tmp/run.log"; done >"$tmp/long.log"
timeout 60 bash -c "\"$bin\" replay --node n1=\"$tmp/long.log\" --speed max --headless 2>&1 | head -1 >/dev/null; exit \${PIPESTATUS[0]}"
code=$?
if [ "$code" -eq 0 ]; then ok; else bad "replay 2>&1 | head -1: exit $code (want 0)"; fi

# parse too: it was killed by SIGPIPE (exit 141), which fails scripts under `set -o pipefail`.
timeout 60 bash -c "\"$bin\" parse --collector exo_step \"$tmp/long.log\" | head -1 >/dev/null; exit \${PIPESTATUS[0]}"
code=$?
if [ "$code" -eq 0 ]; then ok; else bad "parse | head -1: exit $code (want 0)"; fi

# parse shows a record when its line arrives, not when 1 MiB of input or its end has: a
# followed log (`tail -F log | clustertop parse …`) printed nothing. The first record must
# be read while the input is still open.
rm -f "$tmp/first" "$tmp/in_time"
{
  echo '[STEP 1] eval=30ms'
  for _ in $(seq 1 100); do
    if [ -s "$tmp/first" ]; then touch "$tmp/in_time"; break; fi
    sleep 0.1
  done
  echo '[STEP 2] eval=31ms'
} | "$bin" parse --collector exo_step - 2>/dev/null | {
  IFS= read -r first && printf '%s\n' "$first" >"$tmp/first"
  cat >/dev/null
}
if [ -e "$tmp/in_time" ] && grep -q '"step.index","value":1' "$tmp/first"; then ok; else bad "parse held its first record until the input ended"; fi

# --help into a full disk is lost output (it was exit 0); into a reader that goes away, a
# normal end (it was SIGPIPE, 141).
expect 74 '' "--help >/dev/full" -- sh -c "exec \"$bin\" --help >/dev/full"
timeout 20 bash -c "\"$bin\" --help | head -1 >/dev/null; exit \${PIPESTATUS[0]}"
code=$?
if [ "$code" -eq 0 ]; then ok; else bad "--help | head -1: exit $code (want 0)"; fi
# Each subcommand's help gives its own exit codes: snapshot's 4 is any node, and 5 is listed.
if "$bin" snapshot --help | grep -q '4 some node was'; then ok; else bad "snapshot --help: exit 4 not described"; fi
if "$bin" --help | grep -q '5 --exit-on'; then ok; else bad "--help: exit 5 missing"; fi

# parse on a directory says so (it read nothing and said only "0 lines", exit 3).
expect 2 'cannot read .*: it is a directory' "parse DIR" -- "$bin" parse --collector log "$tmp"

finish output_errors
