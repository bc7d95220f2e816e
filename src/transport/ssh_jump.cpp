// ProxyJump: recognise the ProxyCommand libssh 0.10 builds from ProxyJump and rebuild it so
// that the jump's `ssh` reads the same config file, never prompts, keeps strict host keys and
// gives up within our timeouts. See ssh_jump.hpp for why.
#include "clustertop/transport/ssh_jump.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "clustertop/core/shell_quote.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop::ssh {

std::string percent_escaped(std::string_view value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

namespace {

// libssh expands %h, %p, ... in a ProxyCommand before the shell sees it: values we insert
// must come out as written (an IPv6 zone "fe80::1%eth0", a path with %).
std::string word(std::string_view value) { return shell_quote(percent_escaped(value)); }

struct Hop {
  std::string user;
  std::string host;
  std::string port;
};

// "[ssh://][user@]host[:port]" or "[user@][v6]:port", as OpenSSH reads a ProxyJump entry.
Hop parse_hop(std::string_view hop) {
  Hop h;
  if (hop.starts_with("ssh://")) hop.remove_prefix(6);
  if (const auto at = hop.rfind('@'); at != std::string_view::npos) {
    h.user = std::string(hop.substr(0, at));
    hop.remove_prefix(at + 1);
  }
  if (!hop.empty() && hop.front() == '[') {
    const auto close = hop.find(']');
    h.host = std::string(hop.substr(1, close == std::string_view::npos ? hop.size() : close - 1));
    if (close != std::string_view::npos && hop.substr(close + 1).starts_with(':'))
      h.port = std::string(hop.substr(close + 2));
    return h;
  }
  const auto colon = hop.find(':');
  if (colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    h.host = std::string(hop.substr(0, colon));
    h.port = std::string(hop.substr(colon + 1));
  } else {
    h.host = std::string(hop);
  }
  return h;
}

const char *strict_word(HostKeyPolicy policy) {
  switch (policy) {
  case HostKeyPolicy::strict: return "yes";
  case HostKeyPolicy::accept_new: return "accept-new";
  case HostKeyPolicy::off: return "no";
  }
  return "yes";
}

long whole_seconds(Duration d) {
  return std::max<long>(1, static_cast<long>(std::chrono::ceil<std::chrono::seconds>(d).count()));
}

// Undoes shell_quote for one word: 'a'\''b' -> a'b.
std::string unquote(std::string_view quoted) {
  std::string out;
  bool inside = false;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    const char c = quoted[i];
    if (c == '\'') {
      inside = !inside;
    } else if (c == '\\' && !inside && i + 1 < quoted.size()) {
      out += quoted[++i];
    } else {
      out += c;
    }
  }
  return out;
}

constexpr std::string_view kForward = " -W '[%h]:%p' ";

// "user@host:port" as ProxyJump writes a hop ("[fe80::1]:22" for an address with colons).
std::string hop_text(const std::string &user, const std::string &host, const std::string &port) {
  std::string text = user.empty() ? "" : user + "@";
  text += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port.empty() ? text : text + ":" + port;
}

} // namespace

std::vector<std::string> proxy_jump_hops(std::string_view command) {
  const auto t = split(command, ' ');
  if (t.empty() || t[0] != "ssh") return {};
  std::string user;
  std::string port;
  std::string rest;
  std::size_t i = 1;
  while (i + 1 < t.size() && (t[i] == "-l" || t[i] == "-p" || t[i] == "-J")) {
    (t[i] == "-l" ? user : t[i] == "-p" ? port : rest) = std::string(t[i + 1]);
    i += 2;
  }
  if (i + 3 != t.size() || t[i] != "-W" || t[i + 1] != "'[%h]:%p'" || t[i + 2].empty()) return {};
  const std::string first = hop_text(user, std::string(t[i + 2]), port);
  // libssh passes the first entry as the destination and the others as -J, so `ssh -W`
  // would visit the first entry last; OpenSSH's order is first entry first.
  std::vector<std::string> hops{first};
  if (!rest.empty())
    for (auto hop : split(rest, ',')) hops.emplace_back(hop);
  return hops;
}

Result<std::string> jump_command(const std::vector<std::string> &hops, const SshOptions &options) {
  std::vector<Hop> parsed;
  for (const auto &hop : hops) {
    Hop h = parse_hop(hop);
    if (h.host.empty() || h.host.front() == '-' || (!h.user.empty() && h.user.front() == '-'))
      return Error{"invalid ProxyJump", "jump host '" + hop.substr(0, 80) + "' is not a host",
                   "ssh config", "write ProxyJump as [user@]host[:port][,...]"};
    parsed.push_back(std::move(h));
  }
  if (parsed.empty()) return Error{"invalid ProxyJump", "no jump host", "ssh config", ""};
  const long interval = whole_seconds(options.keepalive_interval);
  const long count =
      std::max<long>(1, (whole_seconds(options.tcp_user_timeout) + interval - 1) / interval);
  // BatchMode: a prompt (host key, passphrase, password) would write over the dashboard and
  // wait on a terminal nobody answers. ConnectTimeout and ServerAlive*: a dead jump host
  // ends the node's connection like a dead node does, instead of hanging in `ssh`.
  std::string common = fmt::format("ssh -o BatchMode=yes -o StrictHostKeyChecking={} "
                                   "-o ConnectTimeout={} -o ServerAliveInterval={} "
                                   "-o ServerAliveCountMax={}",
                                   strict_word(options.host_key_checking),
                                   whole_seconds(options.connect_timeout), interval, count);
  // `no` alone would record a jump host's new key: `off` promises "connect, not recorded",
  // so its hops read and write no known-hosts file at all.
  if (options.host_key_checking == HostKeyPolicy::off)
    common += " -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null";
  // OpenSSH itself passes -F on to a jump's ssh; without it an alias defined only in
  // --ssh-config FILE would be looked up in ~/.ssh/config.
  if (options.own_ssh_config()) common += " -F " + word(options.ssh_config);
  // One `ssh -W` per hop, each reached through the one before: options on ssh's command line
  // apply only to its destination, so `ssh -J a,b` would run a's ssh without ours (a prompt on
  // the dashboard, no timeout). The command reaching hop i is hop i's ProxyCommand, given as
  // -o: the ssh that runs it expands its %h/%p (the % of the ones nested deeper doubled once
  // more by word()) and runs it through a shell (quoted by word()), adding the `exec` itself.
  std::string cmd;
  for (const Hop &h : parsed) {
    std::string next = common;
    if (!cmd.empty()) next += " -o " + word("ProxyCommand=" + cmd);
    if (!h.user.empty()) next += " -l " + word(h.user);
    if (!h.port.empty()) next += " -p " + word(h.port);
    next += std::string(kForward) + word(h.host);
    cmd = std::move(next);
  }
  // `exec`: libssh runs the command through a shell without one and stops it with SIGTERM,
  // which must reach ssh and not the shell.
  return "exec " + cmd;
}

namespace {

// The shell words of a command we built: separated by single spaces, quoted by shell_quote.
std::vector<std::string> shell_words(std::string_view command) {
  std::vector<std::string> out;
  std::size_t start = 0;
  bool inside = false;
  for (std::size_t i = 0; i <= command.size(); ++i) {
    if (i == command.size() || (command[i] == ' ' && !inside)) {
      if (i > start) out.push_back(unquote(command.substr(start, i - start)));
      start = i + 1;
    } else if (command[i] == '\'') {
      inside = !inside;
    } else if (command[i] == '\\' && !inside) {
      ++i;
    }
  }
  return out;
}

std::string percent_unescaped(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    out += value[i];
    if (value[i] == '%' && i + 1 < value.size() && value[i + 1] == '%') ++i;
  }
  return out;
}

// The hops of one level of jump_command's output (after its % expansion), first hop first.
bool chain_hops(std::string_view command, std::vector<std::string> &hops) {
  const auto words = shell_words(command);
  if (words.size() < 4 || words[0] != "ssh" || words[words.size() - 3] != "-W" ||
      words[words.size() - 2] != "[%h]:%p")
    return false;
  std::string user, port; // as written in the ProxyJump: the hop is named with them
  for (std::size_t i = 1; i + 3 < words.size(); ++i) {
    if (words[i] == "-l") user = words[i + 1];
    if (words[i] == "-p") port = words[i + 1];
    if (words[i] != "-o" || !words[i + 1].starts_with("ProxyCommand=")) continue;
    const auto nested = std::string_view(words[i + 1]).substr(13);
    if (!chain_hops(percent_unescaped(nested), hops)) return false;
  }
  hops.push_back(hop_text(user, words.back(), port));
  return true;
}

} // namespace

std::vector<std::string> jump_hosts(const std::string &proxy_command) {
  std::vector<std::string> hops;
  if (!proxy_command.starts_with("exec ssh ") ||
      !chain_hops(percent_unescaped(std::string_view(proxy_command).substr(5)), hops))
    return {};
  return hops;
}

} // namespace clustertop::ssh
