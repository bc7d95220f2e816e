#include "clustertop/inventory.hpp"

#include <set>
#include <unistd.h>

#include <fmt/format.h>

#include "clustertop/transport/ssh.hpp"

namespace clustertop {
namespace {

std::string this_machine_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "local";
  std::string name(host);
  return name.substr(0, name.find('.'));
}

void attach_collectors(NodeSpec &spec, std::shared_ptr<const CollectorSet> collectors,
                       StreamChoice choice) {
  spec.probe_command = probe_command(collectors.get());
  spec.parse_probe = [](const std::string &out) { return parse_probe(out); };
  spec.plan = [collectors, choice](const Platform &p) {
    return plan_streams(*collectors, p, choice);
  };
  spec.plan_note = [collectors = std::move(collectors),
                    choice = std::move(choice)](const Platform &p) {
    return plan_note(*collectors, p, choice, plan_streams(*collectors, p, choice));
  };
}

StreamChoice base_choice(const Options &o, const Config &c) {
  StreamChoice choice;
  choice.interval = o.interval;
  choice.backfill_lines = c.backfill_lines;
  return choice;
}

std::vector<std::string> with_cli_logs(std::vector<std::string> logs, const Options &o,
                                       bool local) {
  logs.insert(logs.end(), o.logs.begin(), o.logs.end());
  // "~/" means the home of whoever runs the stream: expand it here for local nodes; remote
  // paths stay as written and the stream's command has the node's shell expand it
  // (plan_streams: "$HOME"/'rest').
  if (local)
    for (auto &path : logs) path = expand_home(path);
  return logs;
}

// `field`: as validate_node's.
Status add_node(Inventory &inv, NodeSpec spec, bool local,
                const std::shared_ptr<const CollectorSet> &collectors, StreamChoice choice,
                std::string_view *field = nullptr) {
  choice.log_paths = spec.log_paths;
  attach_collectors(spec, collectors, std::move(choice));
  if (local) {
    if (auto s = validate_node_name(spec.name); !s) return s;
    inv.local.push_back(std::move(spec));
    return ok_status();
  }
  if (auto s = validate_node(spec, field); !s) return s;
  inv.remote.push_back(std::move(spec));
  return ok_status();
}

// The line of a [[node]]'s `key`, else the [[node]]'s own.
int config_key_line(const NodeConfig &n, std::string_view key) {
  const auto it = n.key_lines.find(std::string(key));
  return it != n.key_lines.end() ? it->second : n.line;
}

} // namespace

Error node_named_twice(const std::string &name, const std::string &where) {
  return Error{fmt::format("node '{}' is named twice", name), "", where,
               "give each node a unique name"};
}

Result<Inventory> build_inventory(const Options &o, const Config &c,
                                  std::shared_ptr<const CollectorSet> collectors) {
  Inventory inv;
  std::set<std::string> names;
  auto unique = [&names](const std::string &name, const std::string &where) -> Status {
    if (names.insert(name).second) return ok_status();
    return node_named_twice(name, where);
  };
  if (!o.nodes.empty()) {
    for (const auto &arg : o.nodes) {
      const bool local = arg == "local";
      NodeSpec spec;
      if (local) {
        spec.name = this_machine_name();
      } else {
        auto parsed = parse_node_argument(arg);
        if (!parsed) return parsed.error();
        spec = std::move(*parsed);
      }
      if (auto s = unique(spec.name, "command line"); !s) return s.error();
      spec.log_paths = with_cli_logs({}, o, local);
      if (auto s = add_node(inv, std::move(spec), local, collectors, base_choice(o, c)); !s)
        return s.error();
    }
    return inv;
  }
  for (const auto &n : c.nodes) {
    const bool local = n.host == "local";
    NodeSpec spec;
    spec.name = n.name;
    spec.host = local ? "" : n.host;
    spec.user = n.user;
    spec.port = n.port;
    spec.identity_file = expand_home(n.identity_file);
    spec.log_paths = with_cli_logs(n.logs, o, local);
    StreamChoice choice = base_choice(o, c);
    choice.add = n.collectors_add;
    choice.remove = n.collectors_remove;
    // A misspelt name (`powermetric`) added or removed nothing, without a word.
    for (const auto *list : {&n.collectors_add, &n.collectors_remove})
      for (const auto &name : *list)
        if (collectors && collectors->find(name) == nullptr)
          return Error{
              fmt::format("unknown collector '{}'", name),
              list == &n.collectors_add ? "in collectors_add" : "in collectors_remove",
              fmt::format("{}:{}", c.path,
                          config_key_line(n, list == &n.collectors_add ? "collectors_add"
                                                                       : "collectors_remove")),
              "`clustertop collectors` lists the collectors; a definition of your "
              "own needs --collectors-dir DIR, here as in a run (`clustertop "
              "check-config --collectors-dir DIR FILE`)"};
    if (n.memory_bytes > 0) inv.memory_hints.emplace_back(n.name, n.memory_bytes);
    if (n.log_zone) inv.log_zones.emplace_back(n.name, *n.log_zone);
    std::string_view field = "name";
    if (auto s = add_node(inv, std::move(spec), local, collectors, std::move(choice), &field); !s) {
      // The line of the key the problem is in, and a fix in the file's own terms (the
      // node-argument forms the help gives on the command line are wrong here).
      Error e = s.error();
      e.where = fmt::format("{}:{}", c.path, config_key_line(n, field));
      e.help = field == "name"
                   ? "in a [[node]], name is a label of your own: printable text holding no "
                     "credential, which may not start with = + - or @ (name = \"gpu1\")"
                   : "in a [[node]], host is a host name, address or ssh alias (no user@, no "
                     ":port, an IPv6 address without brackets); user, port and identity_file "
                     "are keys of their own";
      return e;
    }
  }
  if (inv.size() == 0) {
    inv.this_machine_by_default = true;
    NodeSpec spec;
    spec.name = this_machine_name();
    spec.log_paths = with_cli_logs({}, o, true);
    if (auto s = add_node(inv, std::move(spec), true, collectors, base_choice(o, c)); !s)
      return s.error();
  }
  return inv;
}

} // namespace clustertop
