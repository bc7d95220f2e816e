// Internal to the ssh transport: ProxyJump. libssh 0.10 has no jump-host code of its own; its
// config parser turns `ProxyJump [user@]host[:port][,...]` into the ProxyCommand
// `ssh [-l user] [-p port] [-J rest] -W '[%h]:%p' host` and runs that through a shell. As it
// stands that `ssh` reads ~/.ssh/config even under --ssh-config FILE, may prompt on the
// terminal clustertop draws on, has no connect timeout or keepalive of ours, and visits the
// hops of a multi-hop list in the wrong order. This file rebuilds the command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/transport/ssh.hpp"

namespace clustertop::ssh {

// The hops of a ProxyCommand that libssh made from ProxyJump, first hop first, each as
// [user@]host[:port]; empty when `command` is any other ProxyCommand (the user's own is
// run exactly as written).
std::vector<std::string> proxy_jump_hops(std::string_view command);

// The ProxyCommand clustertop runs for `hops`: `exec ssh` in batch mode (never a prompt),
// with the host key policy, connect timeout and keepalive of `options`, `-F FILE` when
// --ssh-config names one, `-J` for all hops but the last, then `-W '[%h]:%p' LAST`. An
// Error for a hop that would read as an option.
Result<std::string> jump_command(const std::vector<std::string> &hops, const SshOptions &options);

// The host of the last hop in a ProxyCommand built by jump_command (the host `ssh -W`
// connects to the node from), or empty for any other command. For error messages.
std::string jump_host(const std::string &proxy_command);

} // namespace clustertop::ssh
