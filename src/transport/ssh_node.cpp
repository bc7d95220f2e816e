// Node arguments ("mac1", "user@host:2222", "[::1]:22") and the checks that keep hostile
// names out of libssh, ~/.ssh/config expansion (%h in ProxyCommand) and remote commands.
#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <netinet/in.h>
#include <string>
#include <string_view>

#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/transport/ssh.hpp"

namespace clustertop {
namespace {

constexpr std::size_t kMaxName = 253;

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

// Host names, aliases and user names: letters, digits, '.', '_', '-'; never an option.
bool plain_word(std::string_view s) {
  return !s.empty() && s.size() <= kMaxName && s.front() != '-' && s.front() != '.' &&
         std::all_of(s.begin(), s.end(), name_char);
}

// An IPv6 address, with a zone (`fe80::1%eth0`) or without: not any text with a colon in it
// ("127.0.0.1:2222", a host with its port, passed here and failed at connect with "unknown
// libssh error").
bool ipv6_literal(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.find(':') == std::string_view::npos) return false;
  const auto zone = s.find('%');
  const std::string address(s.substr(0, zone));
  if (zone != std::string_view::npos && !plain_word(s.substr(zone + 1))) return false;
  in6_addr parsed{};
  return ::inet_pton(AF_INET6, address.c_str(), &parsed) == 1;
}

// The node as an error may show it: printable, at most 80 bytes, its credentials redacted
// (a name refused for holding one is not echoed to the terminal or a log of stderr).
std::string shown_node(const std::string &arg) {
  std::string shown;
  for (char c : redact_secrets(arg.substr(0, 80)))
    shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return shown;
}

Error bad_node(const std::string &arg, std::string reason) {
  return Error{"invalid node", std::move(reason), "node '" + shown_node(arg) + "'",
               "write a node as NAME, USER@HOST, USER@HOST:PORT or [IPV6]:PORT; "
               "put anything else in ~/.ssh/config under a Host alias"};
}

Result<int> parse_port(const std::string &arg, std::string_view text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return bad_node(arg, "port '" + std::string(text.substr(0, 8)) + "' is not a number");
  const int port = std::stoi(std::string(text));
  if (port < 1 || port > 65535) return bad_node(arg, "port out of range 1-65535");
  return port;
}

} // namespace

Result<HostKeyPolicy> parse_host_key_policy(const std::string &word) {
  if (word == "strict" || word == "yes") return HostKeyPolicy::strict;
  if (word == "accept-new") return HostKeyPolicy::accept_new;
  if (word == "off" || word == "no") return HostKeyPolicy::off;
  return Error{"invalid host key checking policy", "'" + word + "' is not a policy",
               "--host-key-checking", "use strict (default), accept-new or off"};
}

Result<SshOptions> ssh_options_from(const Options &options) {
  auto policy = parse_host_key_policy(options.host_key_checking);
  if (!policy) return policy.error();
  SshOptions out;
  out.known_hosts = options.known_hosts;
  out.host_key_checking = *policy;
  out.ssh_config = options.ssh_config;
  out.connect_timeout = options.connect_timeout;
  out.max_streams_per_connection = options.max_sessions;
  return out;
}

// libssh refuses '_' in a host name (RFC 1123 labels), an ssh config's Host alias too, with
// "unknown libssh error" at connect, where OpenSSH takes it: said before connecting.
Status host_without_underscore(const std::string &name, const std::string &host) {
  if (host.find('_') == std::string::npos) return ok_status();
  std::string dashed = host.substr(0, 80);
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  return bad_node(name, "host '" + host.substr(0, 80) +
                            "' holds '_', which libssh refuses in a host name: name its Host "
                            "alias in ~/.ssh/config without '_' (e.g. '" +
                            dashed + "'), or write its address");
}

Result<NodeSpec> parse_node_argument(const std::string &arg) {
  if (arg.empty()) return bad_node(arg, "empty node name");
  if (arg.size() > kMaxName + 64) return bad_node(arg, "node name too long");
  if (auto s = validate_node_name(arg); !s) return s.error();
  NodeSpec node;
  node.name = arg;
  std::string_view rest = arg;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    const auto user = rest.substr(0, at);
    if (!plain_word(user)) return bad_node(arg, "user name may hold only letters, digits, . _ -");
    node.user = std::string(user);
    rest.remove_prefix(at + 1);
  }
  std::string_view port_text;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad_node(arg, "missing ']' after IPv6 address");
    const auto host = rest.substr(1, close - 1);
    if (!ipv6_literal(host)) return bad_node(arg, "not an IPv6 address inside [...]");
    node.host = std::string(host);
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_node(arg, "unexpected text after ']'");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos)
      return bad_node(arg, "an IPv6 address needs brackets: [::1]:22");
    const auto host = rest.substr(0, colon);
    if (!plain_word(host)) return bad_node(arg, "host may hold only letters, digits, . -");
    // A command-line node's error is a bad command line (exit 2), as every other one of its.
    if (auto s = host_without_underscore(arg, std::string(host)); !s) return s.error();
    node.host = std::string(host);
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port) {
    auto port = parse_port(arg, port_text);
    if (!port) return port.error();
    node.port = *port;
  }
  return node;
}

Status validate_node_name(const std::string &name) {
  bool plain_text = true; // UTF-8 without control characters (C0, DEL, C1), line separators
                          // or controls of direction (a name shown in another order)
  for (std::size_t i = 0; i < name.size() && plain_text;) {
    const char32_t cp = decode_utf8(name, i);
    plain_text = cp != kNotUtf8 && !is_control_or_line_break(cp) && !is_bidi_control(cp);
  }
  if (name.empty() || name.size() > kMaxName + 64 || !plain_text)
    return bad_node(name, "node name is empty, too long or holds control characters");
  // A node's name is the user's own label, shown as it is in every output (/metrics labels,
  // CSV cells, --json alerts and figures, hooks): one that redaction would change (a URL with
  // a password, `API_KEY=...`, an `sk-...` token) would leak there, or be hidden in some
  // outputs and not others, breaking joins between them. It is refused instead.
  // A spreadsheet reads a cell that starts with = + - @ as a formula, so CSV writes such a
  // name after a `'`: it then no longer matched its /metrics label, and `-x` and `'-x` were
  // one row.
  if (std::string_view("=+-@").find(name.front()) != std::string_view::npos)
    return Error{"invalid node",
                 "the node name '" + shown_node(name) + "' starts with " + name.front(),
                 "node '" + shown_node(name) + "'",
                 "a node name may not start with = + - or @ (a spreadsheet reads such a CSV cell "
                 "as a formula): name the node with a label of your own (name = \"gpu1\" in a "
                 "[[node]])"};
  // /metrics labels write a backslash doubled, over the exposition format's own escaping
  // (one-to-one text: a byte that is not UTF-8 is `\xHH` there): a name with one was another
  // string in /metrics than in the CSV, --json and hooks, and joins between them broke.
  if (name.find('\\') != std::string::npos)
    return Error{"invalid node", "the node name '" + shown_node(name) + "' holds a backslash",
                 "node '" + shown_node(name) + "'",
                 "a node name is shown as it is in every output, and /metrics would write a "
                 "backslash doubled: name the node without one (name = \"gpu1\" in a [[node]])"};
  if (redact_secrets(name) != name)
    return Error{"invalid node",
                 "the node name '" + shown_node(name) + "' holds what reads as a credential",
                 "node '" + shown_node(name) + "'",
                 "node names are shown as they are in every output: name the node with a label "
                 "of your own (name = \"gpu1\" in a [[node]], a Host alias of ~/.ssh/config on "
                 "the command line) and keep credentials out of it"};
  return ok_status();
}

Status validate_node(const NodeSpec &node, std::string_view *field) {
  // The [[node]] key a problem is in, for a config file's error to name its line.
  const auto at_key = [field](std::string_view key) {
    if (field != nullptr) *field = key;
  };
  at_key("name");
  if (auto s = validate_node_name(node.name); !s) return s;
  at_key("host");
  if (!plain_word(node.host) && !ipv6_literal(node.host)) {
    // "host:port" (as a node argument takes it) in a config's host: say where the port goes.
    const auto colon = node.host.rfind(':');
    if (colon != std::string::npos && node.host.find(':') == colon &&
        plain_word(node.host.substr(0, colon)))
      return bad_node(node.name,
                      "host '" + node.host.substr(0, 80) + "' holds a port: write host = \"" +
                          node.host.substr(0, colon) +
                          "\" and port = " + node.host.substr(colon + 1) + " in its [[node]]");
    // "user@host" or "[::1]" (as a node argument takes them) in a config's host.
    const auto at = node.host.find('@');
    if (at != std::string::npos && at > 0 && plain_word(node.host.substr(0, at)) &&
        plain_word(node.host.substr(at + 1)))
      return bad_node(node.name, "host '" + node.host.substr(0, 80) +
                                     "' holds a user: write user = \"" + node.host.substr(0, at) +
                                     "\" and host = \"" + node.host.substr(at + 1) +
                                     "\" in its [[node]]");
    if (node.host.size() > 2 && node.host.front() == '[' && node.host.back() == ']' &&
        ipv6_literal(node.host.substr(1, node.host.size() - 2)))
      return bad_node(node.name, "host '" + node.host.substr(0, 80) +
                                     "' is an IPv6 address in brackets: write host = \"" +
                                     node.host.substr(1, node.host.size() - 2) + "\"");
    return bad_node(node.name, "host '" + node.host.substr(0, 80) +
                                   "' may hold only letters, digits, . - (or an IPv6 address)");
  }
  if (auto s = host_without_underscore(node.name, node.host); !s) return s;
  at_key("user");
  if (!node.user.empty() && !plain_word(node.user))
    return bad_node(node.name, "user name may hold only letters, digits, . _ -");
  at_key("port");
  if (node.port < 0 || node.port > 65535) return bad_node(node.name, "port out of range");
  at_key("identity_file");
  if (node.identity_file.find('\0') != std::string::npos || node.identity_file.size() > 4096)
    return bad_node(node.name, "identity file path is not a valid path");
  return ok_status();
}

} // namespace clustertop
