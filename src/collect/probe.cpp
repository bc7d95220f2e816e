// The platform probe (one cheap command at connect) and the choice of streams per node.
#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/units.hpp"
#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/follow_position.hpp"

namespace clustertop {
namespace {

// Every command a shipped definition may require (a test checks that this list covers them
// all); a user's definitions add theirs (probe_command).
constexpr const char *kProbed[] = {"macmon", "nvidia-smi", "powermetrics",    "vm_stat", "sysctl",
                                   "bash",   "tail",       "memory_pressure", "awk",     "vmstat"};

bool fits(const CollectorDef &d, const Platform &p) {
  if (!d.os.empty() && std::find(d.os.begin(), d.os.end(), p.os) == d.os.end()) return false;
  for (const auto &c : d.required_commands)
    if (p.commands.count(c) == 0) return false;
  return !d.needs_sudo || p.sudo_ok;
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// A log path as the node's shell must see it: quoted, but a leading "~/" (or a lone "~") is
// the home of the user the stream runs as, which quoting alone would keep as a literal "~"
// (a file nobody has): "$HOME" is left to the shell, outside the quotes.
std::string remote_path(const std::string &path) {
  if (path == "~") return "\"$HOME\"";
  if (path.rfind("~/", 0) == 0) return "\"$HOME\"/" + shell_quote(path.substr(2));
  return shell_quote(path);
}

// Fills {interval_ms} and {interval_s}: numbers we format ourselves, never user text.
std::string expand(std::string cmd, Duration interval) {
  const double s = std::max(0.1, to_seconds(interval));
  const auto replace = [&](const std::string &key, const std::string &val) {
    for (auto p = cmd.find(key); p != std::string::npos; p = cmd.find(key, p + val.size()))
      cmd.replace(p, key.size(), val);
  };
  replace("{interval_ms}", std::to_string(static_cast<long>(std::lround(s * 1000))));
  replace("{interval_s}", number(s));
  return cmd;
}

} // namespace

std::string probe_command(const CollectorSet *set) {
  std::set<std::string> names(std::begin(kProbed), std::end(kProbed));
  if (set != nullptr)
    for (const CollectorDef *d : set->all())
      names.insert(d->required_commands.begin(), d->required_commands.end());
  std::string cmd = "echo \"uname $(uname -sm)\"; echo \"tz $(date +%z)\"; for c in";
  for (const auto &c : names) cmd += " " + shell_quote(c); // names the loader checked
  cmd +=
      "; do command -v \"$c\" >/dev/null 2>&1 && echo \"cmd $c\"; done; "
      "m=$(sysctl -n hw.memsize 2>/dev/null) && echo \"mem $m\"; "
      "[ -r /proc/meminfo ] && awk '/^MemTotal:/{printf \"mem %.0f\\n\", $2*1024}' /proc/meminfo; "
      "sudo -n true 2>/dev/null && echo sudo_ok; true";
  return cmd;
}

Platform parse_probe(const std::string &output) {
  Platform p;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    if (tag == "uname") {
      ls >> p.os >> p.arch;
    } else if (tag == "cmd") {
      std::string c;
      if (ls >> c) p.commands.insert(c);
    } else if (tag == "mem") {
      std::string v;
      ls >> v;
      double x = 0;
      std::string_view rest;
      if (parse_leading_number(v, x, rest) && rest.empty() && x > 0) p.mem_total_bytes = x;
    } else if (tag == "sudo_ok") {
      p.sudo_ok = true;
    } else if (tag == "tz") {
      std::string v;
      ls >> v;
      p.utc_offset = parse_utc_offset(v);
    }
  }
  return p;
}

std::string plan_note(const CollectorSet &set, const Platform &platform, const StreamChoice &choice,
                      const std::vector<StreamSpec> &planned) {
  if (platform.os != "Darwin") return ""; // a Linux node may have no GPU at all
  const auto gpu = [&](const std::string &name) {
    const CollectorDef *d = set.find(name);
    return d != nullptr && d->group == "gpu";
  };
  for (const auto &s : planned)
    if (gpu(s.name)) return "";
  for (const auto &name : choice.remove)
    if (gpu(name)) return ""; // left out on purpose
  std::string note = "no GPU sampler: macmon is not installed (brew install macmon)";
  if (platform.commands.count("powermetrics") > 0 && !platform.sudo_ok)
    note += ", and sudo -n powermetrics is not allowed (no sudo, or it asks for a password: "
            "allow it without one in sudoers)";
  return note;
}

std::vector<StreamSpec> plan_streams(const CollectorSet &set, const Platform &platform,
                                     const StreamChoice &choice) {
  std::vector<const CollectorDef *> picked;
  for (const auto *d : set.all()) {
    if (d->type != "sampler" || contains(choice.remove, d->name)) continue;
    if (contains(choice.add, d->name) || fits(*d, platform)) picked.push_back(d);
  }
  // Inside a group the highest priority wins, unless config forced both on.
  std::vector<StreamSpec> out;
  for (const auto *d : picked) {
    const bool beaten = !d->group.empty() && !contains(choice.add, d->name) &&
                        std::any_of(picked.begin(), picked.end(), [&](const CollectorDef *o) {
                          return o != d && o->group == d->group && o->priority > d->priority;
                        });
    if (beaten) continue;
    StreamSpec s;
    s.name = d->name;
    s.command = expand(d->command, choice.interval);
    s.watchdog = choice.interval * d->watchdog_intervals;
    out.push_back(std::move(s));
  }
  if (!choice.log_paths.empty()) {
    // Only logs need the zone (their times without one are local). Waiting as the meminfo
    // loop does, on a read of a private FIFO's timeout: one fork a check, and no `sleep` child
    // to outlive a clustertop killed outright (the parent-death signal reaches only the
    // shell); a shell without bash sleeps.
    StreamSpec s;
    s.name = kZoneStream;
    s.command = kZoneCommand;
    out.push_back(std::move(s));
  }
  std::set<std::string> followed;
  for (const auto &path : choice.log_paths) {
    // Twice (in the config and again with --log): one stream, not two that double every line.
    if (!followed.insert(path).second) continue;
    StreamSpec s;
    s.name = std::string(kLogCollector) + ":" + path;
    s.follows_file = true;
    if (choice.backfill_lines > 0) {
      // Lines read back at each start; a restart reads them again.
      s.command =
          "exec tail -n " + std::to_string(choice.backfill_lines) + " -F -- " + remote_path(path);
    } else {
      s.resume_path = remote_path(path);
      s.command = FollowPosition(s.resume_path).command();
    }
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace clustertop
