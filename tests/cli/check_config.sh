#!/usr/bin/env bash
# check-config makes the checks a run makes before it connects, so a file it passes is one a
# run starts with (it passed node names and listen addresses the run refused, and read a
# directory as an empty config); a watch without a terminal runs headless (it spun on stdin's
# end, or wrote the dashboard's escape codes into a file).
source "$(dirname "$0")/lib/checks.sh"
export XDG_CONFIG_HOME=$tmp/xdg # no user config

# expect FILE CODE TEXT: check-config FILE exits CODE, saying TEXT.
expect() {
  local out code
  out=$(timeout 20 "$bin" check-config "$1" 2>&1); code=$?
  if [ "$code" -eq "$2" ] && [[ "$out" == *"$3"* ]]; then ok; else bad "check-config $1: exit $code: $out (want $2, '$3')"; fi
}
printf '[[node]]\nname = "mac1"\nhost = "mac1.local"\n' >"$tmp/good.toml"
expect "$tmp/good.toml" 0 "OK: $tmp/good.toml: 1 node(s)"
# A file with no [[node]]: a run watches this machine; "1 node(s)" read as one the file named.
printf '[thresholds.oom]\ntto_warning = "600s"\n' >"$tmp/no_nodes.toml"
expect "$tmp/no_nodes.toml" 0 "OK: $tmp/no_nodes.toml: no [[node]]; a run watches this machine"
printf '[[node]]\nname = "EVIL\\u001b[2J"\nhost = "local"\n' >"$tmp/local_name.toml"
expect "$tmp/local_name.toml" 3 "node name is empty, too long or holds control characters"
# A value quoted in an error reaches the terminal as visible escapes, never raw.
printf '[ssh]\nhost_key_checking = "\\u001b]2;TITLE\\u0007"\n' >"$tmp/escape.toml"
expect "$tmp/escape.toml" 3 '\x1b]2;TITLE\x07'
if ! timeout 20 "$bin" check-config "$tmp/escape.toml" 2>&1 | grep -q $'\x1b'; then ok; else bad "check-config wrote a raw ESC"; fi
printf '[[node]]\nname = "m"\nhost = "-oProxyCommand=touch /tmp/x"\n' >"$tmp/host.toml"
expect "$tmp/host.toml" 3 "invalid node"
# A known_hosts that is a directory passed, and every key then "was not in" it. A host with its
# port passed as an IPv6 address, and the run failed with "unknown libssh error".
mkdir -p "$tmp/khdir"
printf '[ssh]\nknown_hosts = "%s"\n[[node]]\nname = "n1"\n' "$tmp/khdir" >"$tmp/khdir.toml"
expect "$tmp/khdir.toml" 3 "cannot use the known_hosts file: it is a directory"
printf '[[node]]\nname = "hp"\nhost = "127.0.0.1:23501"\n' >"$tmp/hostport.toml"
expect "$tmp/hostport.toml" 3 'write host = "127.0.0.1" and port = 23501'
# A [[node]] problem names its key's line (it named the [[node]] header's) and a fix in the
# file's terms (it gave the command line's USER@HOST:PORT forms).
printf '[[node]]\nname = "a"\nhost = "x"\nuser = "a b"\n' >"$tmp/user.toml"
expect "$tmp/user.toml" 3 "$tmp/user.toml:4: invalid node: user name"
printf '[[node]]\nname = "a"\nhost = "bob@x"\n' >"$tmp/userhost.toml"
expect "$tmp/userhost.toml" 3 "$tmp/userhost.toml:3: invalid node: host 'bob@x' holds a user: write user = \"bob\" and host = \"x\""
printf '[[node]]\nname = "a"\nhost = "[::1]"\n' >"$tmp/brackets.toml"
expect "$tmp/brackets.toml" 3 'write host = "::1"'
printf '[[node]]\nname = "a"\n\ncollectors_add = ["nope"]\n' >"$tmp/coll.toml"
expect "$tmp/coll.toml" 3 "$tmp/coll.toml:4: unknown collector 'nope'"
# An ssh config line libssh drops (`Port abc`: the node was dialled on 22) or fails without a
# word of where (an empty ProxyJump: "unknown libssh error") is named with its file:line.
printf 'Host n1\n  HostName 127.0.0.1\n  Port abc\n' >"$tmp/ssh_badport"
printf '[ssh]\nconfig_file = "%s"\n[[node]]\nname = "n1"\n' "$tmp/ssh_badport" >"$tmp/badport.toml"
expect "$tmp/badport.toml" 3 "$tmp/ssh_badport:3: invalid ssh config: Port 'abc' is not a port"
printf 'Host n1\n  ProxyJump\n' >"$tmp/ssh_pj"
printf '[ssh]\nconfig_file = "%s"\n[[node]]\nname = "n1"\n' "$tmp/ssh_pj" >"$tmp/pj.toml"
expect "$tmp/pj.toml" 3 "$tmp/ssh_pj:2: invalid ssh config: ProxyJump names no host"
# What ssh takes stays taken: a comment after the port, a quoted port, a service name,
# Keyword=value, ProxyJump none (they were refused).
printf "Host a\n  Port 2222 # the lab sshd\nHost b\n  Port \"2222\"\nHost c\n  Port ssh\nHost d\n  Port=2200\n  ProxyJump none\nHost e\n  Port '2222'\nHost f\n  Port 023701\n" >"$tmp/ssh_good"
printf '[ssh]\nconfig_file = "%s"\n[[node]]\nname = "n1"\n' "$tmp/ssh_good" >"$tmp/sshgood.toml"
expect "$tmp/sshgood.toml" 0 "OK: $tmp/sshgood.toml: 1 node(s)"
# A FIFO as the default ~/.ssh/config (or /dev/zero) hung the check for good, signals and
# all; only a regular file is read.
mkdir -p "$tmp/fifohome/.ssh"
mkfifo "$tmp/fifohome/.ssh/config"
printf '[[node]]\nname = "n1"\n' >"$tmp/sshfifo.toml"
out=$(HOME="$tmp/fifohome" timeout 20 "$bin" check-config "$tmp/sshfifo.toml" 2>&1); code=$?
if [ "$code" -ne 124 ]; then ok; else bad "check-config with a FIFO as ~/.ssh/config hung: $out"; fi
printf '[[node]]\nname = "-x"\n' >"$tmp/formula.toml"
expect "$tmp/formula.toml" 3 "may not start with = + - or @"
printf '[sinks]\nlisten = "not an addr"\n' >"$tmp/listen.toml"
expect "$tmp/listen.toml" 3 "$tmp/listen.toml:2: [sinks] listen: invalid listen address"
# Every problem names its line: these named the file alone.
printf '[sinks]\nlisten = "127.0.0.1:70000"\n' >"$tmp/listen_port.toml"
expect "$tmp/listen_port.toml" 3 "$tmp/listen_port.toml:2: [sinks] listen: invalid listen address"
printf '[sinks]\n\ncsv_every = "30s"\n' >"$tmp/csv_every.toml"
expect "$tmp/csv_every.toml" 3 "$tmp/csv_every.toml:3: [sinks] csv_every needs a CSV directory"
# Sinks' paths and addresses a run refuses at its start: check-config said OK to them.
printf '[sinks]\nrecord = "/etc/passwd"\n' >"$tmp/record.toml"
expect "$tmp/record.toml" 3 "cannot use the record directory: not a directory"
printf '[sinks]\ncsv_dir = "/etc/passwd"\ncsv_every = "30s"\n' >"$tmp/csvdir.toml"
expect "$tmp/csvdir.toml" 3 "cannot use the csv_dir directory: not a directory"
# A directory no file can be created in passed, and every CSV file of the run then failed.
printf '[sinks]\ncsv_dir = "/proc/self"\ncsv_every = "30s"\n' >"$tmp/csvdir_ro.toml"
expect "$tmp/csvdir_ro.toml" 3 "/proc/self: cannot use the csv_dir directory: "
mkdir -p "$tmp/ro"
if mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro" 2>/dev/null; then
  timeout 20 "$bin" --headless --csv-dir "$tmp/ro" --csv-on-alert >/dev/null 2>"$tmp/err"
  code=$?
  umount "$tmp/ro"
  if [ "$code" -eq 2 ] && grep -q "cannot use the csv_dir directory: Read-only file system" "$tmp/err"; then ok; else bad "--csv-dir on a read-only mount: exit $code: $(cat "$tmp/err")"; fi
else
  echo "SKIP: no tmpfs mount here (a read-only --csv-dir)"
fi
printf '[sinks]\nlisten = "999.1.1.1:80"\n' >"$tmp/listen_host.toml"
expect "$tmp/listen_host.toml" 3 "$tmp/listen_host.toml:2: [sinks] listen: cannot listen for Prometheus scrapes"
# A run whose config's listen port is held names the file's key and line, not a --listen
# that was never given.
python3 -c 'import socket,time;s=socket.socket();s.bind(("127.0.0.1",0));s.listen();print(s.getsockname()[1],flush=True);time.sleep(20)' >"$tmp/port" &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
printf '[sinks]\nlisten = "127.0.0.1:%s"\n' "$(cat "$tmp/port")" >"$tmp/listen_held.toml"
out=$(timeout 20 "$bin" --headless -c "$tmp/listen_held.toml" 2>&1); code=$?
# check-config binds and releases the address, as its help says: it passed a held port.
expect "$tmp/listen_held.toml" 3 "listen_held.toml:2: [sinks] listen: cannot listen for Prometheus scrapes: binding 127.0.0.1:$(cat "$tmp/port") failed: Address already in use"
kill "$holder" 2>/dev/null
if [ "$code" -eq 3 ] && [[ "$out" == *"listen_held.toml:2: [sinks] listen: cannot listen"*"Address already in use"* ]]; then ok; else bad "held listen port: exit $code: $out"; fi
# Released again: the same file passes once the port is free.
wait "$holder" 2>/dev/null
expect "$tmp/listen_held.toml" 0 "OK: $tmp/listen_held.toml"
"$bin" --headless --record /etc/passwd >/dev/null 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q "fix --record" "$tmp/err"; then ok; else bad "--record /etc/passwd: exit $code: $(cat "$tmp/err")"; fi
# A record path that cannot be created passed (any missing path did); the run then exited 3.
printf '[sinks]\nrecord = "/proc/self/nope"\n' >"$tmp/record_proc.toml"
expect "$tmp/record_proc.toml" 3 "cannot use the record directory: cannot create it in /proc/self"
"$bin" --headless --record /proc/self/nope >/dev/null 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q "fix --record" "$tmp/err"; then ok; else bad "--record /proc/self/nope: exit $code: $(cat "$tmp/err")"; fi
printf '[[node]]\nname = "a"\nhost = "local"\ncollectors_add = ["powermetric"]\n' >"$tmp/coll.toml"
expect "$tmp/coll.toml" 3 "unknown collector 'powermetric'"
# A collector of the user's own: check-config takes --collectors-dir as a run does (after the
# subcommand it was a bad command line), and the unknown-collector help says so.
mkdir "$tmp/mine"
cp "$2/collectors/meminfo.json" "$tmp/mine/my_mem.json" # $2: the source tree
sed -i 's/"name": *"meminfo"/"name": "my_mem"/' "$tmp/mine/my_mem.json"
printf '[[node]]\nname = "a"\nhost = "local"\ncollectors_add = ["my_mem"]\n' >"$tmp/mine.toml"
expect "$tmp/mine.toml" 3 "check-config --collectors-dir DIR FILE"
out=$(timeout 20 "$bin" check-config --collectors-dir "$tmp/mine" "$tmp/mine.toml" 2>&1); code=$?
if [ "$code" -eq 0 ] && [[ "$out" == *"1 node(s)"* ]]; then ok; else bad "check-config --collectors-dir: exit $code: $out"; fi
if timeout 20 "$bin" check-config --help | grep -q -- '--collectors-dir'; then ok; else bad "check-config --help lacks --collectors-dir"; fi
# Durations are decimal: strtod took hex and leading spaces (`--for 0x3s` collected for 3 s).
printf '[general]\ninterval = "0x1p4s"\n' >"$tmp/hex.toml"
expect "$tmp/hex.toml" 3 "$tmp/hex.toml:2: 'general.interval' must be a duration"
out=$(timeout 20 "$bin" snapshot --for 0x3s -o "$tmp/hex.csv" 2>&1); code=$?
if [ "$code" -eq 2 ] && [[ "$out" == *"--for"* ]] && [ ! -e "$tmp/hex.csv" ]; then ok; else bad "--for 0x3s: exit $code: $out"; fi
# A FIFO nobody writes to blocked check-config for ever; a pipe that is written is read.
mkfifo "$tmp/fifo.toml"
expect "$tmp/fifo.toml" 3 "nothing was written to it for 10 s"
out=$(timeout 20 "$bin" check-config <(printf '[[node]]\nname = "p"\nhost = "p.local"\n') 2>&1); code=$?
if [ "$code" -eq 0 ] && [[ "$out" == *"1 node(s)"* ]]; then ok; else bad "check-config <(...): exit $code: $out"; fi
mkdir "$tmp/dir.toml"
expect "$tmp/dir.toml" 3 "it is a directory"
expect /dev/zero 3 "config file too large"
# The same mistake on the command line is a bad command line (2), not a bad config (3).
"$bin" --headless root@127.0.0.1:70000 >/dev/null 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q "port out of range" "$tmp/err"; then ok; else bad "bad node argument: exit $code: $(cat "$tmp/err")"; fi
# A named ssh config that is missing failed every node's connect, after check-config said OK.
printf '[ssh]\nconfig_file = "%s/nope_config"\n[[node]]\nname = "a"\n' "$tmp" >"$tmp/sshcfg.toml"
expect "$tmp/sshcfg.toml" 3 "cannot read ssh config file"
"$bin" --headless --ssh-config "$tmp/nope" mac1 >/dev/null 2>"$tmp/err"
code=$?
if [ "$code" -eq 2 ] && grep -q "cannot read ssh config file" "$tmp/err"; then ok; else bad "--ssh-config missing: exit $code: $(cat "$tmp/err")"; fi

# No terminal: stdin from /dev/null, stdout to a file. Headless figures, no escape codes.
"$bin" --interval 200ms </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q ' up ' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid"; code=$?
if [ "$code" -eq 0 ] && grep -q ' up mem avail ' "$tmp/out"; then ok; else bad "no terminal: exit $code, out: $(head -c 300 "$tmp/out" | cat -v)"; fi
if ! grep -q $'\x1b' "$tmp/out"; then ok; else bad "no terminal: escape codes written: $(head -c 200 "$tmp/out" | cat -v)"; fi
if grep -q 'not a terminal; running headless' "$tmp/err"; then ok; else bad "no terminal: no notice: $(cat "$tmp/err")"; fi

finish check_config
