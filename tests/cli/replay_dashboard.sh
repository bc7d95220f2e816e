#!/usr/bin/env bash
# `clustertop replay` in the dashboard (tmux): two plain exo logs, a Metal crash at the end of
# one; the overview shows both nodes, in the order of --node (not of their first lines:
# "sort: config order"), and the crash on the right one; `q` exits 0. The same replay piped
# (not a terminal) prints the alert headless.
set -u
bin=$1
fail=0 pass=0
tmp=$(mktemp -d)
sock="ct-replay-$$"
trap 'for s in "" -TSTP -ABRT -QUIT; do tmux -L "ct-replay-$$$s" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT
# `q`, then the pane once its shell says the exit status (3 s at most; MARK, "EXIT=0" unless
# given, is what it says), in $screen.
quit_and_wait() {
  tmux -L "$sock" send-keys q
  for _ in $(seq 30); do
    screen=$(tmux -L "$sock" capture-pane -p)
    grep -q "${1:-EXIT=0}" <<<"$screen" && break
    sleep 0.1
  done
}
for i in $(seq 1 30); do
  s=$(printf "%02d" "$i")
  echo "[ 2026-02-23 18:07:$s.000 | INFO     | exo.worker.runner:step:88 ] [STEP $i] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=${i}K" >>"$tmp/studio.log"
  echo "[ 2026-02-23 18:07:$s.500 | INFO     | exo.worker.runner:step:88 ] [STEP $i] eval=35ms model=7ms gpu_eval=0.5ms fence_wait=0.6ms ctx=${i}K" >>"$tmp/mbp.log"
done
echo "[ 2026-02-23 18:07:31.000 | ERROR    | exo.worker.runner:run:120 ] [METAL] Command buffer execution failed: Caused GPU Timeout Error (00000002:kIOGPUCommandBufferCallbackErrorTimeout)" >>"$tmp/mbp.log"

tmux -L "$sock" new-session -d -x 150 -y 40 "$bin replay --node mbp=$tmp/mbp.log --node studio=$tmp/studio.log --until 30s; echo EXIT=\$? >$tmp/exit"
screen=""
for _ in $(seq 50); do
  screen=$(tmux -L "$sock" capture-pane -p)
  grep -q "\[crash\]" <<<"$screen" && break
  sleep 0.1
done
if grep -q "studio" <<<"$screen" && grep -E -q "mbp .*\[crash\]" <<<"$screen"; then pass=$((pass+1))
else echo "FAIL overview lacks the nodes or the crash badge on mbp:"; echo "$screen"; fail=$((fail+1)); fi
# studio's first line is older than mbp's, but mbp is named first.
order=$(grep -oE '^. (mbp|studio) ' <<<"$screen" | tr -d ' >' | tr '\n' ' ')
if [ "$order" = "mbp studio " ]; then pass=$((pass+1))
else echo "FAIL nodes not in --node order (mbp, studio): $order"; echo "$screen"; fail=$((fail+1)); fi
tmux -L "$sock" send-keys q
for _ in $(seq 30); do [ -s "$tmp/exit" ] && break; sleep 0.1; done
if grep -q "EXIT=0" "$tmp/exit" 2>/dev/null; then pass=$((pass+1)); else echo "FAIL q did not exit 0"; fail=$((fail+1)); fi

# A hook's output and clustertop's own messages (the hook's exit status) go to stderr: while
# the dashboard is up they are shown in its status line, never drawn over its boxes, and
# printed once the screen is gone.
tmux -L "$sock" kill-server 2>/dev/null
tmux -L "$sock" new-session -d -x 150 -y 40 "$bin replay --node studio=$tmp/studio.log --node mbp=$tmp/mbp.log --until 30s --on-alert 'echo HELLO-FROM-HOOK; exit 3'; echo EXIT=\$?; sleep 30"
for _ in $(seq 150); do # 15 s: a loaded machine (the suite runs two at once) is slow to draw
  screen=$(tmux -L "$sock" capture-pane -p)
  tail -n 1 <<<"$screen" | grep -q "HELLO-FROM-HOOK\|--on-alert hook" && break
  sleep 0.1
done
sleep 0.5 # the hooks of the later alerts write too
screen=$(tmux -L "$sock" capture-pane -p)
if tail -n 1 <<<"$screen" | grep -q "HELLO-FROM-HOOK\|--on-alert hook" &&
  ! head -n -1 <<<"$screen" | grep -q "HELLO-FROM-HOOK\|exited with status"; then pass=$((pass+1))
else echo "FAIL the hook's output was not (only) in the status line:"; echo "$screen"; fail=$((fail+1)); fi
quit_and_wait
if grep -q "written to standard error while the dashboard was up" <<<"$screen" && grep -q "^  HELLO-FROM-HOOK" <<<"$screen" &&
  grep -q "hook for crash on mbp.*exited with status 3" <<<"$screen"; then pass=$((pass+1))
else echo "FAIL the captured lines were not printed at exit:"; echo "$screen"; fail=$((fail+1)); fi

# Ctrl-Z (a key in raw mode) suspends to the shell with the terminal given back, as in any
# full-screen program, also while a search is typed; `fg` brings the dashboard back, and q still exits 0. An interactive
# shell, as a user's: job control is what makes a stopped process a job.
tmux -L "$sock" kill-server 2>/dev/null
sock=ct-replay-$$-TSTP
abs_bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") # the shell starts in $tmp
tmux -L "$sock" new-session -d -x 150 -y 40 -c "$tmp" "env PS1='$ ' bash --norc --noprofile -i"
tmux -L "$sock" send-keys "$abs_bin replay --node suspend_me=$tmp/studio.log --until 30s; echo EXIT=\$?" Enter
for _ in $(seq 50); do
  tmux -L "$sock" capture-pane -p | grep -q "suspend_me  *●" && break
  sleep 0.1
done
# In the middle of typing a search, as anywhere else.
tmux -L "$sock" send-keys Enter /
tmux -L "$sock" send-keys -l ab
sleep 0.3
tmux -L "$sock" send-keys C-z
state=""
for _ in $(seq 30); do
  state=$(ps -o stat= -p "$(pgrep -f "^$abs_bin replay --node suspend_me=")" 2>/dev/null)
  [[ $state == T* ]] && break
  sleep 0.1
done
if [[ $state == T* ]] && [ "$(tmux -L "$sock" display -p '#{alternate_on} #{cursor_flag}')" = "0 1" ]; then pass=$((pass+1))
else echo "FAIL Ctrl-Z: process state '$state', $(tmux -L "$sock" display -p 'alternate_on=#{alternate_on} cursor=#{cursor_flag}')"; fail=$((fail+1)); fi
tmux -L "$sock" send-keys 'fg; echo FG=$?' Enter
for _ in $(seq 30); do
  [ "$(tmux -L "$sock" display -p '#{alternate_on}')" = 1 ] && tmux -L "$sock" capture-pane -p | grep -q "^/ab_ " && break
  sleep 0.1
done
# The search goes on as it was: what was typed after the stop (fg) went to the shell.
if [ "$(tmux -L "$sock" display -p '#{alternate_on}')" = 1 ] && tmux -L "$sock" capture-pane -p | grep -q "^/ab_ "; then pass=$((pass+1))
else echo "FAIL fg did not bring the dashboard back:"; tmux -L "$sock" capture-pane -p | tail -5; fail=$((fail+1)); fi
tmux -L "$sock" send-keys Escape
sleep 0.3
quit_and_wait "^FG="
if grep -q "^FG=0" <<<"$screen"; then pass=$((pass+1)); else echo "FAIL after fg, q did not exit 0:"; echo "$screen" | tail -5; fail=$((fail+1)); fi

# Dying of a signal (an abort, a segfault, an external SIGQUIT) never runs endwin: the
# terminal is still given back (main screen, cursor, echo and line editing), and the exit
# status is the signal's.
for sig in ABRT QUIT; do
  tmux -L "$sock" kill-server 2>/dev/null
  sock=ct-replay-$$-$sig # a server of its own: one being killed cannot take the case with it
  tmux -L "$sock" new-session -d -x 150 -y 40 "ulimit -c 0; $bin replay --node crash_$sig=$tmp/studio.log --until 30s; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -- '-\?echo\|-\?icanon' | sort | tr '\n' ' '; echo; sleep 30"
  for _ in $(seq 50); do
    tmux -L "$sock" capture-pane -p | grep -q "crash_$sig" && break
    sleep 0.1
  done
  pkill -"$sig" -f "^$bin replay --node crash_$sig=" # not the pane's shell
  for _ in $(seq 30); do
    screen=$(tmux -L "$sock" capture-pane -p)
    grep -q "EXIT=" <<<"$screen" && break
    sleep 0.1
  done
  sleep 0.2
  screen=$(tmux -L "$sock" capture-pane -p)
  if [ "$(tmux -L "$sock" display -p '#{alternate_on} #{cursor_flag}')" = "0 1" ] &&
    grep -q "^echo icanon *$" <<<"$screen" && grep -q "EXIT=1[0-9][0-9]" <<<"$screen"; then pass=$((pass+1))
  else echo "FAIL SIG$sig left the terminal as the dashboard had it: $(tmux -L "$sock" display -p 'alternate_on=#{alternate_on} cursor=#{cursor_flag}')"; echo "$screen" | grep -v '^$' | tail -5; fail=$((fail+1)); fi
done

# Periodic CSV files that fail (their directory removed) say so in the status line, and at
# exit, as in a live run; they failed without a word.
tmux -L "$sock" kill-server 2>/dev/null
mkdir "$tmp/csvgone"
tmux -L "$sock" new-session -d -x 150 -y 40 "$bin replay --speed 1 --csv-dir $tmp/csvgone --csv-every 1s --node studio=$tmp/studio.log --until 30s; echo EXIT=\$?; sleep 30"
sleep 1.5
rm -rf "$tmp/csvgone"
for _ in $(seq 100); do
  screen=$(tmux -L "$sock" capture-pane -p)
  tail -n 1 <<<"$screen" | grep -q "csvgone" && break
  sleep 0.1
done
if tail -n 1 <<<"$screen" | grep -q "csvgone"; then pass=$((pass+1))
else echo "FAIL a failed periodic CSV file was not in the status line:"; echo "$screen" | tail -3; fail=$((fail+1)); fi
quit_and_wait
if grep -q "csvgone/clustertop-.*csv" <<<"$screen"; then pass=$((pass+1))
else echo "FAIL a failed periodic CSV file was not printed at exit:"; echo "$screen" | grep -v '^$' | tail -5; fail=$((fail+1)); fi

out=$("$bin" replay --node studio="$tmp/studio.log" --node mbp="$tmp/mbp.log" --until 30s --json | cat)
if grep -q '"rule":"crash".*"node":"mbp"\|"node":"mbp".*"rule":"crash"' <<<"$out"; then pass=$((pass+1))
else echo "FAIL piped replay printed no crash alert for mbp:"; echo "$out" | head; fail=$((fail+1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
