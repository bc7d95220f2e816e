// Internal to the ssh transport: ProxyJump. libssh 0.10 has no jump-host code of its own; its
// config parser turns `ProxyJump [user@]host[:port][,...]` into the ProxyCommand
// `ssh [-l user] [-p port] [-J rest] -W '[%h]:%p' host` and runs that through a shell. As it
// stands that `ssh` reads ~/.ssh/config even under --ssh-config FILE, may prompt on the
// terminal clustertop draws on, has no connect timeout or keepalive of ours, and visits the
// hops of a multi-hop list in the wrong order; and `-J` never passes options on to the hops
// it jumps through. This file rebuilds the command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/transport/ssh.hpp"

namespace clustertop::ssh {

// `value` with every '%' doubled. libssh expands %d, %h, %p, ... (and %% to %) in a
// ProxyCommand and in the paths it is given (config file, known_hosts, identity): what we
// pass must come out as written.
std::string percent_escaped(std::string_view value);

// The hops of a ProxyCommand that libssh made from ProxyJump, first hop first, each as
// [user@]host[:port]; empty when `command` is any other ProxyCommand (the user's own is
// run exactly as written).
std::vector<std::string> proxy_jump_hops(std::string_view command);

// The ProxyCommand clustertop runs for `hops`: `exec ssh` in batch mode (never a prompt),
// with the host key policy, connect timeout and keepalive of `options`, `-F FILE` when
// --ssh-config names one, then `-W '[%h]:%p' LAST`; each hop before the last is reached by
// such an ssh of its own, nested as `-o ProxyCommand=...` (OpenSSH's -J would run them
// without these options). An Error for a hop that would read as an option.
Result<std::string> jump_command(const std::vector<std::string> &hops, const SshOptions &options);

// The hops' hosts in a ProxyCommand built by jump_command, first hop first (the last is the
// host `ssh -W` connects to the node from); empty for any other command. For error messages.
std::vector<std::string> jump_hosts(const std::string &proxy_command);

} // namespace clustertop::ssh
