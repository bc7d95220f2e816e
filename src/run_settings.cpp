#include "clustertop/run_settings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "clustertop/core/exit_codes.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "clustertop/transport/ssh_config_lint.hpp"

namespace clustertop {
namespace {

// Why `dir` is not an existing directory this user may write files into, or nothing when it
// is one. A read-only one (a read-only mount, another user's) passed, and every CSV file
// then failed, one message a snapshot; `--csv-on-alert` alone said so only at an alert.
std::optional<std::string> why_not_directory(const std::string &dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return "not a directory";
  return why_no_file_in(dir);
}

// Why a run could not make `dir` (create_directories) and write into it, or nothing when it
// could: its nearest existing ancestor (or itself) must be a directory this user may write
// and enter. Any missing path was taken, and a run then refused `/proc/self/nope` or a path
// under a read-only directory at its start.
std::optional<std::string> why_not_creatable(const std::string &dir) {
  std::filesystem::path at = dir;
  struct stat st {};
  while (::stat(at.c_str(), &st) != 0) {
    if (errno != ENOENT) return std::strerror(errno); // ENOTDIR, EACCES, ELOOP: no way through
    at = at.has_relative_path() && at.has_parent_path() ? at.parent_path()
                                                        : std::filesystem::path(".");
  }
  if (!S_ISDIR(st.st_mode))
    return at == dir ? std::string("not a directory") : at.string() + " is not a directory";
  if (::access(at.c_str(), W_OK | X_OK) != 0) {
    const std::string err = std::strerror(errno);
    return at == dir ? err : "cannot create it in " + at.string() + ": " + err;
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> why_no_file_in(const std::string &dir) {
  std::string probe = (dir.ends_with('/') ? dir : dir + "/") + ".clustertop-write-check-XXXXXX";
  const int fd = ::mkostemp(probe.data(), O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return std::nullopt;
}

Options merge_settings(const Options &cli, const Config &c) {
  Options o = cli;
  // The file fills in only what the command line did not give: a flag wins even when it
  // repeats the default (--csv-format wide over csv_format = "long", --csv-every 0).
  const auto set = [&o](std::string_view flag, auto &target, const auto &from_file) {
    if (!o.was_given(flag) && from_file) target = *from_file;
  };
  const auto set_text = [&o](std::string_view flag, std::string &target,
                             const std::string &from_file) {
    if (!o.was_given(flag) && !from_file.empty()) target = from_file;
  };
  set("interval", o.interval, c.interval);
  set_text("known-hosts", o.known_hosts, expand_home(c.ssh.known_hosts));
  set_text("host-key-checking", o.host_key_checking, c.ssh.host_key_checking);
  set_text("ssh-config", o.ssh_config, expand_home(c.ssh.config_file));
  set("connect-timeout", o.connect_timeout, c.ssh.connect_timeout);
  if (c.ssh.max_sessions) o.max_sessions = static_cast<int>(*c.ssh.max_sessions);
  set_text("csv-dir", o.csv_dir, expand_home(c.sinks.csv_dir));
  set("csv-every", o.csv_every, c.sinks.csv_every);
  set("csv-on-alert", o.csv_on_alert, c.sinks.csv_on_alert);
  set_text("csv-format", o.csv_format, c.sinks.csv_format);
  set_text("listen", o.listen, c.sinks.listen);
  set_text("on-alert", o.on_alert, c.sinks.on_alert);
  set("hook-timeout", o.hook_timeout, c.sinks.hook_timeout);
  set_text("record", o.record_dir, expand_home(c.sinks.record_dir));
  o.known_hosts = expand_home(o.known_hosts);
  o.ssh_config = expand_home(o.ssh_config);
  return o;
}

Error listen_error_as_given(const Options &merged, const KeyPlaces &file, Error e) {
  if (merged.was_given("listen")) return e;
  e.what = "[sinks] listen: " + e.what;
  e.where = file.where("sinks.listen");
  return e;
}

std::optional<SettingsProblem> check_settings(const Options &o, const KeyPlaces &file,
                                              bool snapshot) {
  // --csv-every and --csv-on-alert write into --csv-dir; without one they would write nothing.
  if (!snapshot && o.csv_dir.empty() && (o.csv_every > Duration::zero() || o.csv_on_alert)) {
    const bool every = o.csv_every > Duration::zero();
    const std::string_view flag = every ? "csv-every" : "csv-on-alert";
    if (o.was_given(flag))
      return SettingsProblem{Error{fmt::format("--{} needs a CSV directory", flag),
                                   "no --csv-dir given and none in the config file", "",
                                   "add --csv-dir DIR (or csv_dir in [sinks])"},
                             exit_code::usage};
    const std::string key = every ? "csv_every" : "csv_on_alert";
    return SettingsProblem{Error{fmt::format("[sinks] {} needs a CSV directory", key),
                                 "no csv_dir in [sinks] and no --csv-dir given",
                                 file.where("sinks." + key),
                                 "add csv_dir to [sinks] or give --csv-dir DIR"},
                           exit_code::config};
  }
  // A listen address from the file is the file's problem.
  if (!o.listen.empty())
    if (auto address = parse_listen_address(o.listen); !address)
      return SettingsProblem{listen_error_as_given(o, file, address.error()),
                             o.was_given("listen") ? exit_code::usage : exit_code::config};
  // Directories a run writes into: a path that is something else fails the run's start.
  // CSV files go into a directory that exists; a recording's is created when missing.
  const auto directory_problem = [&](std::string_view flag, std::string_view key,
                                     const std::string &dir,
                                     bool may_be_missing) -> std::optional<SettingsProblem> {
    if (dir.empty()) return std::nullopt;
    const auto why = may_be_missing ? why_not_creatable(dir) : why_not_directory(dir);
    if (!why) return std::nullopt;
    const bool given = o.was_given(flag);
    return SettingsProblem{Error{fmt::format("cannot use the {} directory", key), *why, dir,
                                 given ? fmt::format("fix --{}", flag)
                                       : fmt::format("fix {} in [sinks] ({})", key,
                                                     file.where(fmt::format("sinks.{}", key)))},
                           given ? exit_code::usage : exit_code::config};
  };
  if (!snapshot)
    if (auto p = directory_problem("csv-dir", "csv_dir", o.csv_dir, false)) return p;
  if (auto p = directory_problem("record", "record", o.record_dir, true)) return p;
  // An ssh config named but missing fails every node's connect: said once, before any.
  if (!o.ssh_config.empty() && o.ssh_config != "none") {
    struct stat st {};
    const bool found = ::stat(o.ssh_config.c_str(), &st) == 0;
    if (!found || !S_ISREG(st.st_mode)) {
      const std::string why = found ? "not a file" : std::strerror(errno);
      const bool flag = o.was_given("ssh-config");
      return SettingsProblem{
          Error{"cannot read ssh config file", why, o.ssh_config,
                flag ? "check the --ssh-config path (none: read no ssh config)"
                     : "check config_file in [ssh] (" + file.where("ssh.config_file") + ")"},
          flag ? exit_code::usage : exit_code::config};
    }
  }
  // Lines of it that libssh drops or fails without saying where (`Port abc`, an empty
  // ProxyJump): named with their file:line before any connect, as ssh itself refuses them.
  if (o.ssh_config != "none") {
    const std::string path = o.ssh_config.empty() ? expand_home("~/.ssh/config") : o.ssh_config;
    if (auto s = lint_ssh_config(path); !s) return SettingsProblem{s.error(), exit_code::config};
  }
  // A known_hosts that is a directory: every node's key "is not in" it, and the hint to record
  // it cannot work. A missing file is fine (accept-new creates it; strict refuses the keys).
  if (!o.known_hosts.empty()) {
    struct stat st {};
    if (::stat(o.known_hosts.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      const bool flag = o.was_given("known-hosts");
      return SettingsProblem{
          Error{"cannot use the known_hosts file", "it is a directory", o.known_hosts,
                flag
                    ? "name the file with --known-hosts (a directory cannot hold keys)"
                    : "name the file in [ssh] known_hosts (" + file.where("ssh.known_hosts") + ")"},
          flag ? exit_code::usage : exit_code::config};
    }
  }
  return std::nullopt;
}

void apply_node_hints(Rules &rules, const std::vector<NodeConfig> &nodes) {
  double planned = 0;
  for (const auto &n : nodes) {
    if (!n.cluster.empty()) rules.node_cluster[n.name] = n.cluster;
    planned = std::max(planned, n.max_context);
  }
  if (planned > 0) rules.oom.max_context_tokens = planned;
}

Duration run_tick(const Options &o) { return std::max<Duration>(o.interval, kMinTick); }

Result<CsvSinkOptions> csv_sink_options(const Options &o, bool key_only) {
  auto format = parse_csv_format(o.csv_format);
  if (!format) return format.error();
  CsvSinkOptions co;
  co.dir = key_only && o.csv_dir.empty() ? "." : o.csv_dir;
  co.every = key_only ? Duration::zero() : o.csv_every;
  co.on_alert = !key_only && o.csv_on_alert;
  co.tick = run_tick(o);
  co.format = *format;
  return co;
}

} // namespace clustertop
