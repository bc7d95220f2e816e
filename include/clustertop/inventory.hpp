// Inventory: which nodes this run watches and how each is reached, from the command line
// and the config file. Builds NodeSpecs (with their probe and stream planner); starts nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/config/config.hpp"
#include "clustertop/config/options.hpp"
#include "clustertop/transport/transport.hpp"

namespace clustertop {

struct Inventory {
  std::vector<NodeSpec> local;                              // run as child processes of clustertop
  std::vector<NodeSpec> remote;                             // reached over ssh
  std::vector<std::pair<std::string, double>> memory_hints; // node -> bytes
  std::vector<std::pair<std::string, std::chrono::minutes>> log_zones; // node -> its logs' zone
  // No node was named (command line or [[node]]): this machine is the one node.
  bool this_machine_by_default = false;
  [[nodiscard]] std::size_t size() const { return local.size() + remote.size(); }
};

// "node 'NAME' is named twice" at `where` (the command line, a config file's line).
Error node_named_twice(const std::string &name, const std::string &where);

// Nodes named on the command line replace the config's [[node]] list; with neither, this
// machine is the one node. `--log` paths are followed on every node.
Result<Inventory> build_inventory(const Options &options, const Config &config,
                                  std::shared_ptr<const CollectorSet> collectors);

} // namespace clustertop
