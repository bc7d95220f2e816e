// Host key policy (strict / accept-new / off, OpenSSH's StrictHostKeyChecking words):
// a changed key is refused with its fingerprint and the ssh-keygen -R line to run.
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "clustertop/config/config.hpp"
#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/child_process.hpp"
#include "clustertop/transport/ssh_session.hpp"

namespace clustertop::ssh {
namespace {

struct KeyInfo {
  std::string type;
  std::string fingerprint; // "SHA256:..."
};

KeyInfo server_key(ssh_session s) {
  KeyInfo info{"unknown", "(no fingerprint)"};
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK) return info;
  info.type = ssh_key_type_to_char(ssh_key_type(key));
  unsigned char *hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
    char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    if (fp != nullptr) info.fingerprint = fp;
    ssh_string_free_char(fp);
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return info;
}

// The name ssh-keygen -R wants: "host" on port 22, "[host]:port" otherwise.
std::string known_hosts_name(ssh_session s) {
  std::string name = option_text(s, SSH_OPTIONS_HOST);
  if (name.empty()) name = "HOST";
  unsigned int port = 22;
  ssh_options_get_port(s, &port);
  return port == 22 ? name : fmt::format("[{}]:{}", name, port);
}

// The server's key as a known_hosts line writes it (base64); empty when there is none.
std::string server_key_blob(ssh_session s) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK) return {};
  char *b64 = nullptr;
  const bool have = ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK && b64 != nullptr;
  std::string blob = have ? b64 : "";
  ssh_string_free_char(b64);
  ssh_key_free(key);
  return blob;
}

// OpenSSH's host pattern: `*` any run, `?` any one character, letters case-blind.
bool host_pattern_matches(std::string_view pattern, std::string_view host) {
  std::size_t p = 0, h = 0, star = std::string_view::npos, from = 0;
  const auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  while (h < host.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], host[h]))) {
      ++p, ++h;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, from = h;
    } else if (star != std::string_view::npos) {
      p = star + 1, h = ++from;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The plain lines (not hashed, no marker) for the server's key in `files` whose patterns
// match `host`: whether one excludes it by a negated pattern (`[10.0.0.*]:22,!10.0.0.9`) and
// whether one names it without excluding it. OpenSSH rejects a line whose negated pattern
// matches; libssh 0.10 took it for a match, and the key of the very node the line excludes
// counted as known.
struct Vouching {
  std::string excluded_by; // the first such line's patterns
  bool named = false;
};
Vouching vouching_lines(const std::vector<std::string> &files, const std::string &host,
                        const std::string &blob) {
  Vouching v;
  for (const auto &file : files) {
    std::ifstream in(expand_home(file));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string hosts, type, data;
      if (!(words >> hosts >> type >> data) || data != blob || hosts.starts_with('@') ||
          hosts.starts_with('|') || hosts.starts_with('#'))
        continue;
      bool positive = false, negative = false;
      for (const auto pattern : split(hosts, ',')) {
        if (pattern.starts_with('!'))
          negative = negative || host_pattern_matches(pattern.substr(1), host);
        else
          positive = positive || host_pattern_matches(pattern, host);
      }
      if (negative && v.excluded_by.empty()) v.excluded_by = hosts;
      v.named = v.named || (positive && !negative);
    }
  }
  return v;
}

// Whether `file` marks the server's key `@revoked`. OpenSSH refuses such a key whatever host
// the line names and whatever else the file says, under every StrictHostKeyChecking; libssh
// skips marker lines, so a revoked key beside a plain line for it was accepted, and
// accept-new recorded a revoked key as new.
bool key_revoked(ssh_session s, const std::string &file) {
  const std::string blob = server_key_blob(s);
  if (blob.empty()) return false;
  std::ifstream in(expand_home(file));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string marker, hosts, type, data;
    if (words >> marker >> hosts >> type >> data && marker == "@revoked" && data == blob)
      return true;
  }
  return false;
}

// Every known-hosts file the key may be revoked in: the one named by --known-hosts (or
// ~/.ssh/known_hosts), the system-wide one, and the user and global files libssh read for
// this node (from the ssh config, tokens expanded). A key revoked in any of them is refused.
std::vector<std::string> revocation_files(ssh_session s, const std::string &checked) {
  std::vector<std::string> files{expand_home(checked), "/etc/ssh/ssh_known_hosts"};
  for (const auto option : {SSH_OPTIONS_KNOWNHOSTS, SSH_OPTIONS_GLOBAL_KNOWNHOSTS}) {
    std::string file = option_text(s, option);
    if (!file.empty() && std::find(files.begin(), files.end(), file) == files.end())
      files.push_back(std::move(file));
  }
  return files;
}

// libssh appends a new key right after the file's last byte: a known_hosts without a final
// newline (written with printf or an editor that leaves none) had the new entry glued onto
// its last line, and both hosts were unknown from then on. The line is ended first.
void end_with_newline(ssh_session s) {
  char *path = nullptr;
  if (ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &path) != SSH_OK || path == nullptr) return;
  const std::string file(path);
  ssh_string_free_char(path);
  std::FILE *f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return; // none yet: libssh creates it
  const bool needs = std::fseek(f, -1, SEEK_END) == 0 && std::fgetc(f) != '\n';
  std::fclose(f);
  if (!needs) return;
  if (std::FILE *a = std::fopen(file.c_str(), "ab")) {
    std::fputc('\n', a);
    std::fclose(a);
  }
}

// The known-hosts files OpenSSH reads for the node besides `checked` (the one libssh read):
// every name of the UserKnownHostsFile and GlobalKnownHostsFile lines `ssh -G` resolves for it,
// tokens and ~ expanded. libssh takes only the first name of such a line: a key kept in a
// second file (`UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/known_hosts_corp`, or OpenSSH's
// default ~/.ssh/known_hosts2) was "not in ~/.ssh/known_hosts", and `ssh NODE`, the advice
// given, knew the key and recorded nothing. None where `ssh` is missing. (`ssh -G` prints a
// name with spaces unquoted: its pieces are files that do not exist, and are passed over.)
std::vector<std::string> more_known_hosts(const NodeSpec &node, const SshOptions &options,
                                          const std::string &checked) {
  const std::string printed =
      output_of(ssh_command(node, options, "-G") + " 2>/dev/null", std::chrono::seconds(3));
  std::vector<std::string> files;
  std::istringstream lines(printed);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, file;
    words >> key;
    if (key != "userknownhostsfile" && key != "globalknownhostsfile") continue;
    while (words >> file)
      if (file != checked && std::find(files.begin(), files.end(), file) == files.end() &&
          ::access(file.c_str(), R_OK) == 0)
        files.push_back(file);
  }
  return files;
}

// What libssh says of the server's key in `file` alone (and the global file it reads).
ssh_known_hosts_e known_in(ssh_session s, const std::string &file) {
  const std::string was = option_text(s, SSH_OPTIONS_KNOWNHOSTS);
  // Set after the connect, the name is used as it is: libssh expands tokens only once.
  if (ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, file.c_str()) != SSH_OK)
    return SSH_KNOWN_HOSTS_ERROR;
  const ssh_known_hosts_e known = ssh_session_is_known_server(s);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, was.c_str()); // accept-new records there
  return known;
}

// A file name as an `ssh -o` value: OpenSSH splits the value as its config does (quotes,
// backslashes) and expands % tokens in a known-hosts file's name, so a path with a quote, a
// space or a % was refused ("command-line line 0: invalid quotes") or named another file.
std::string openssh_file_value(std::string_view path) {
  if (path.find_first_of(" \t'\"\\%") == std::string_view::npos) return std::string(path);
  std::string out = "\"";
  for (const char c : path) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '%') out += '%';
    out += c;
  }
  return out + "\"";
}

} // namespace

// The ssh command that reaches the node as clustertop does and records its key where
// clustertop looks for it: `ssh NODE` alone used another config and known_hosts file when
// --ssh-config or --known-hosts were given.
std::string ssh_command(const NodeSpec &node, const SshOptions &options, std::string_view flags) {
  std::string cmd = "ssh";
  if (!flags.empty()) cmd.append(" ").append(flags);
  if (options.own_ssh_config()) cmd += " -F " + shell_quote(options.ssh_config);
  if (options.ssh_config == "none") cmd += " -F none"; // as clustertop read none
  if (!options.known_hosts.empty())
    cmd += " -o " + shell_quote("UserKnownHostsFile=" + openssh_file_value(options.known_hosts));
  if (node.port > 0) cmd += " -p " + std::to_string(node.port);
  return cmd + " " + shell_quote(node.user.empty() ? node.host : node.user + "@" + node.host);
}

Status verify_host_key(ssh_session s, const NodeSpec &node, const SshOptions &options) {
  const auto policy = options.host_key_checking;
  const KeyInfo key = server_key(s);
  // The file libssh checks: --known-hosts, else the ssh config's UserKnownHostsFile, else
  // ~/.ssh/known_hosts. Messages named ~/.ssh/known_hosts where the config named another
  // file, and their `ssh-keygen -R` edited the wrong one.
  const std::string home_file = "~/.ssh/known_hosts";
  std::string file = options.known_hosts.empty() ? home_file : options.known_hosts;
  if (options.known_hosts.empty())
    if (std::string named = option_text(s, SSH_OPTIONS_KNOWNHOSTS);
        !named.empty() && named != expand_home(home_file))
      file = std::move(named);
  const std::string where = "node " + node.name;
  ssh_known_hosts_e known = ssh_session_is_known_server(s);
  std::vector<std::string> checked = revocation_files(s, file);
  std::string also;          // ", nor in B": more files the key was looked for in
  std::string other_type_in; // a later file that holds a key of another type for the node
  // The ssh config may name more files than the one libssh read (more_known_hosts). A key
  // that one of them holds is known, as OpenSSH has it; one that one of them holds another
  // key of its type for has changed, if no other holds it; one @revoked in any of them is
  // refused. A key of another type there is no change: libssh asks for the key types the
  // first file lists, so a node whose RSA key only a second file holds showed its ed25519
  // key, and "host key changed" told the user to delete the right one.
  const auto changed = [](ssh_known_hosts_e k) {
    return k == SSH_KNOWN_HOSTS_CHANGED || k == SSH_KNOWN_HOSTS_OTHER;
  };
  if (options.known_hosts.empty()) {
    for (auto &more : more_known_hosts(node, options, expand_home(file))) {
      if (known != SSH_KNOWN_HOSTS_OK && known != SSH_KNOWN_HOSTS_ERROR) {
        const ssh_known_hosts_e there = known_in(s, more);
        if (there == SSH_KNOWN_HOSTS_OK) {
          known = there;
        } else if (there == SSH_KNOWN_HOSTS_CHANGED && !changed(known)) {
          known = there;
          file = more;
        } else if (there == SSH_KNOWN_HOSTS_OTHER && !changed(known)) {
          if (other_type_in.empty()) other_type_in = more;
        } else if (there == SSH_KNOWN_HOSTS_UNKNOWN || there == SSH_KNOWN_HOSTS_NOT_FOUND) {
          also += ", nor in " + more;
        }
      }
      if (std::find(checked.begin(), checked.end(), more) == checked.end())
        checked.push_back(std::move(more));
    }
  }
  // A key libssh found only on lines that exclude this host is not known (OpenSSH's
  // reading): strict refuses it, accept-new records it as for a host not yet seen.
  if (known == SSH_KNOWN_HOSTS_OK) {
    const Vouching v = vouching_lines(checked, known_hosts_name(s), server_key_blob(s));
    if (!v.excluded_by.empty() && !v.named) {
      known = SSH_KNOWN_HOSTS_UNKNOWN;
      also += fmt::format(" (a line for it, `{}`, excludes this host)", v.excluded_by);
    }
  }
  for (const auto &listed : checked)
    if (key_revoked(s, listed))
      return Error{"host key revoked, refusing to connect",
                   fmt::format("the server's {} key {} is marked @revoked in {}", key.type,
                               key.fingerprint, listed),
                   where,
                   "the key was withdrawn: find out why before connecting; a reinstalled node "
                   "needs its new key verified and recorded"};
  switch (known) {
  case SSH_KNOWN_HOSTS_OK: return ok_status();
  case SSH_KNOWN_HOSTS_CHANGED:
  case SSH_KNOWN_HOSTS_OTHER: {
    if (policy == HostKeyPolicy::off) return ok_status();
    const std::string name = known_hosts_name(s);
    std::string rm = "ssh-keygen -R " + shell_quote(name);
    if (file != home_file) rm += " -f " + shell_quote(file);
    return Error{
        "host key changed, refusing to connect",
        fmt::format("the server's {} key {} does not match {}", key.type, key.fingerprint, file),
        where,
        fmt::format("if the node was reinstalled, verify the new key out of band, run "
                    "`{}` and connect once with ssh; otherwise someone may be "
                    "intercepting the connection",
                    rm)};
  }
  case SSH_KNOWN_HOSTS_UNKNOWN:
  case SSH_KNOWN_HOSTS_NOT_FOUND:
    if (policy == HostKeyPolicy::off) return ok_status();
    // Known by a key of another type: neither new (accept-new records nothing) nor changed.
    if (!other_type_in.empty())
      return Error{
          "host key of another type known, refusing to connect",
          fmt::format("the server showed its {} key {}, which is not in {}; {} holds a key of "
                      "another type for it, and libssh asks for the key types the first file "
                      "lists",
                      key.type, key.fingerprint, file, other_type_in),
          where,
          fmt::format("copy the node's line from {} into {} (the first known-hosts file), or "
                      "record this key after checking it out of band",
                      other_type_in, file)};
    if (policy == HostKeyPolicy::accept_new) {
      end_with_newline(s);
      if (ssh_session_update_known_hosts(s) == SSH_OK) return ok_status();
      return Error{"cannot record the host key", last_error(s), where,
                   "check that " + file + " is writable"};
    }
    return Error{
        "unknown host key, refusing to connect",
        fmt::format("the server's {} key {} is not in {}{}", key.type, key.fingerprint, file, also),
        where,
        "connect once with `" + ssh_command(node, options) +
            "` to check and record the key, or use --host-key-checking accept-new"};
  case SSH_KNOWN_HOSTS_ERROR: break;
  }
  return Error{"cannot check the host key", last_error(s), where,
               "check that " + file + " is readable"};
}

} // namespace clustertop::ssh
