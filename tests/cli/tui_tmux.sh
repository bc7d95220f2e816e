#!/usr/bin/env bash
# End-to-end dashboard test in a real terminal (tmux): the overview shows each node, Enter
# opens the node view, ? shows help, resizing keeps a sane screen (and says when it is too
# small), --ascii and NO_COLOR hold, and q exits with the terminal restored.
# Drives tests/clustertop_tui_demo (a synthetic Store fed to the real TuiSink), and the
# clustertop binary itself on the local node once it runs the dashboard.
# Usage: tui_tmux.sh CLUSTERTOP_BINARY SOURCE_DIR
set -euo pipefail
export LC_ALL=C.UTF-8
BIN=${1:?clustertop binary}
DEMO="$(dirname "$BIN")/tests/clustertop_tui_demo"
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 0; }
[[ -x $DEMO ]] || { echo "FAIL: $DEMO not built (cmake --build ... --target clustertop_tui_demo)"; exit 1; }

RUN=0 # one tmux server per case: a server being killed cannot take the next case with it
T() { tmux -L "ct_tui_test_$$_$RUN" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null || true; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "---- screen ----"
  T capture-pane -p -t t 2>/dev/null || true
  exit 1
}
screen() { T capture-pane -p -t t; }
# wait_for TEXT [SECONDS]: until the pane shows TEXT.
wait_for() {
  local deadline=$((SECONDS + ${2:-5}))
  until screen | grep -qF -- "$1"; do
    ((SECONDS < deadline)) || fail "timed out waiting for '$1'"
    sleep 0.1
  done
}
wait_gone() {
  local deadline=$((SECONDS + ${2:-5}))
  while screen | grep -qF -- "$1"; do
    ((SECONDS < deadline)) || fail "'$1' still on screen"
    sleep 0.1
  done
}
start() { # start COLS ROWS COMMAND...
  local cols=$1 rows=$2
  shift 2
  cleanup
  RUN=$((RUN + 1))
  T -u new-session -d -s t -x "$cols" -y "$rows" \
    "env LANG=C.UTF-8 TERM=tmux-256color $*; echo EXIT=\$?; sleep 600"
}
max_width() { # in characters, not bytes
  local m=0 l
  while IFS= read -r l; do ((${#l} > m)) && m=${#l}; done < <(screen)
  echo "$m"
}

check_dashboard() { # check_dashboard NODE... : the full key tour
  for n in "$@"; do wait_for "$n" 10; done
  wait_for "nodes "
  # ? shows the help overlay listing the key table, Esc closes it.
  T send-keys -t t '?'
  wait_for "clustertop keys"
  wait_for "pause the display"
  T send-keys -t t Escape
  wait_gone "clustertop keys"
  # Enter opens the selected node's view: graphs and the log pane.
  T send-keys -t t Enter
  wait_for "< $1"
  wait_for "GPU power"
  wait_for "fence_wait"
  wait_for "Log "
  T send-keys -t t w
  wait_for "window 10m"
  T send-keys -t t Escape
  wait_for "nodes "
  # Resize: still a sane screen at the minimum, a clear message below it, back again.
  T resize-window -t t -x 40 -y 12
  wait_for "nodes "
  (($(max_width) <= 40)) || fail "a line is wider than the 40-column pane"
  T resize-window -t t -x 30 -y 8
  wait_for "Terminal too small"
  T resize-window -t t -x 150 -y 40
  wait_for "$1"
  wait_gone "Terminal too small"
  # q quits and restores the terminal: main screen, cursor visible, exit status 0.
  T send-keys -t t q
  wait_for "EXIT=0"
  [[ $(T display -p -t t '#{alternate_on}') == 0 ]] || fail "still on the alternate screen"
  [[ $(T display -p -t t '#{cursor_flag}') == 1 ]] || fail "cursor left hidden"
  if screen | grep -qF "nodes "; then fail "dashboard left on the screen after q"; fi
  return 0
}

echo "== demo driver: overview, node view, help, resize, quit"
start 150 40 "$DEMO" --nodes 3
check_dashboard node-01 node-02 node-03

echo "== 32 nodes on 200x50: every node on one screen"
start 200 50 "$DEMO" --nodes 32
for i in 01 16 32; do wait_for "node-$i" 10; done
T send-keys -t t q
wait_for "EXIT=0"

echo "== --ascii: no braille or box-drawing glyphs"
start 120 30 "$DEMO" --ascii
wait_for "node-01"
sleep 1.2 # a few ticks of sparklines
if screen | LC_ALL=C.UTF-8 grep -qP '[\x{2500}-\x{28FF}]'; then fail "non-ASCII graph glyphs with --ascii"; fi
T send-keys -t t Enter
wait_for "GPU power"
if screen | LC_ALL=C.UTF-8 grep -qP '[\x{2500}-\x{28FF}]'; then fail "non-ASCII glyphs in node view"; fi
T send-keys -t t q
wait_for "EXIT=0"

echo "== NO_COLOR: no colour escape sequences, attributes only"
start 120 30 env NO_COLOR=1 "$DEMO"
wait_for "node-01"
# SGR parameters that set a colour (39/49, "default colour", are not colours).
colours() { T capture-pane -p -e -t t | grep -oE $'\e\\[[0-9;]*m' | grep -E '[[;](3[0-7]|4[0-7]|9[0-7]|38|48)[;m]' || true; }
[[ -z $(colours) ]] || fail "colour sequences under NO_COLOR: $(colours | head -3 | cat -v)"
T capture-pane -p -e -t t | grep -qE $'\e\\[[0-9;]*(7|1;7)m' || fail "no reverse video under NO_COLOR"
start 120 30 "$DEMO"
wait_for "node-01"
[[ -n $(colours) ]] || fail "no colour at all without NO_COLOR"
colours | grep -qF '38;5;' || fail "no 256-colour sequences on tmux-256color"

echo "== true colour (xterm-direct) and 8 colours (xterm)"
if infocmp xterm-direct >/dev/null 2>&1; then
  start 120 30 env TERM=xterm-direct "$DEMO"
  wait_for "node-01"
  colours | grep -qF '38;2;' || fail "no RGB colour sequences on xterm-direct"
fi
start 120 30 env TERM=xterm "$DEMO"
wait_for "node-01"
[[ -n $(colours) ]] || fail "no colour on an 8-colour terminal"
if colours | grep -qE '38;[25];'; then fail "256/RGB colours sent to an 8-colour terminal"; fi

echo "== a terminal that cannot move its cursor (TERM=dumb) is refused, not drawn into"
start 120 30 env TERM=dumb "$DEMO"
wait_for "EXIT=3"
wait_for "the terminal cannot move its cursor"

echo "== theme errors are reported before the screen starts"
start 120 30 "$DEMO" --theme no-such-theme
wait_for "EXIT=3"
wait_for "unknown theme 'no-such-theme'"

echo "== replay dashboard: wide and zero-width text, a search with no match, e, Ctrl-C"
# Each line once drew wider than its pane (pushing the right border off screen) or left
# ghost text behind after the next frame.
WORK=$(mktemp -d)
trap 'cleanup; rm -rf "$WORK"' EXIT
TAIL=$(printf 'x%.0s' {1..150})
{
  printf '2026-01-01T00:00:01Z INFO emoji \u2705\u26A1\u231A %s\n' "$TAIL"
  printf '2026-01-01T00:00:02Z INFO marks e\uFE0F\uFE0F \u20DD\u20DD %s\n' "$TAIL"
  printf '2026-01-01T00:00:03Z INFO scripts \u0928\u092E\u0938\u094D\u0924\u0947 \u0645\u064E\u0631\u0652\u062D\u064E\u0628\u064B\u0627 %s\n' "$TAIL"
  printf '2026-01-01T00:00:04Z INFO jamo \u1100\u1161\u11A8 bidi \u2066x\u2069 %s\n' "$TAIL"
  printf '2026-01-01T00:00:05Z INFO cards \U0001F004\U0001F0CF %s\n' "$TAIL"
  printf '2026-01-01T00:00:06Z INFO cjk \u8282\u70b9\u4e00 \uac00\uac01 %s\n' "$TAIL"
} >"$WORK/n1.log"
ABS_BIN=$(realpath "$BIN")
start 120 40 env -C "$WORK" "$ABS_BIN" replay --speed max --node "n1=$WORK/n1.log"
wait_for "n1" 10
T send-keys -t t Enter
wait_for "INFO cards"
# CJK glyphs (two columns on every terminal) are shown as they are, emoji as '?'.
wait_for "INFO cjk 节点一 가각 xxx"
# The log box keeps its right border on every line (a row drawn too wide pushes it off:
# tmux clips what it shows to the pane, so the border is what tells).
shown=$(screen)
[[ -z $(grep -F "INFO " <<<"$shown" | grep -v '│$') ]] || fail "a log line pushed the right border away"
if grep -qP '[\x{2705}\x{26A1}\x{231A}\x{1F004}\x{1F0CF}\x{20DD}\x{FE0F}]' <<<"$shown"; then
  fail "a wide or zero-width code point reached the terminal"
fi
T send-keys -t t / z z z z Enter f # filter: only matching lines, of which none
wait_for "no match"
wait_gone "INFO cards"
if screen | grep -qF "xxxxxxxxxx"; then fail "text of an old line left on screen"; fi
T send-keys -t t Escape
wait_for "INFO cards"
T send-keys -t t e
wait_for "CSV snapshot written: "
ls "$WORK"/clustertop-*.csv >/dev/null 2>&1 || fail "e wrote no CSV file in the current directory"
T send-keys -t t / a C-c
wait_for "EXIT=0"

echo "== replay dashboard: CJK node names"
# They were shown as ????, two nodes alike.
start 100 30 env -C "$WORK" "$ABS_BIN" replay --speed max --node "节点一=$WORK/n1.log" \
  --node "节点二=$WORK/n1.log"
wait_for "节点一" 10
wait_for "节点二"
(($(screen | wc -L) <= 100)) || fail "a row is wider than the 100-column pane" # in columns
T send-keys -t t q
wait_for "EXIT=0"

echo "== the clustertop binary on the local node"
start 150 40 "$BIN"
deadline=$((SECONDS + 10))
until screen | grep -qE "EXIT=|nodes [0-9]"; do
  ((SECONDS < deadline)) || fail "clustertop neither drew the dashboard nor exited"
  sleep 0.1
done
if ! screen | grep -qE "nodes [0-9]"; then
  echo "SKIP: this clustertop does not run the dashboard: $(screen | head -1)"
else
  # The local node is named after the host (gethostname up to the first dot).
  check_dashboard "$(hostname | cut -d. -f1)"
  # `e` without --csv-dir writes into the current directory in the format asked for (the
  # live run's fallback wrote wide whatever --csv-format said).
  echo "== live dashboard: e with --csv-format long"
  LIVE=$(mktemp -d)
  trap 'cleanup; rm -rf "$WORK" "$LIVE"' EXIT
  start 150 40 env -C "$LIVE" "$ABS_BIN" --csv-format long
  wait_for "nodes " 10
  T send-keys -t t e
  wait_for "CSV snapshot written: "
  csv=$(ls "$LIVE"/clustertop-*.csv 2>/dev/null | head -1)
  [[ -n $csv ]] || fail "e wrote no CSV file in the current directory"
  [[ $(head -1 "$csv") == $'time,node,metric,device,value,unit\r' ]] ||
    fail "e wrote $(head -1 "$csv"), not the long format asked for"
  T send-keys -t t q
  wait_for "EXIT=0"
fi
echo "PASS"
