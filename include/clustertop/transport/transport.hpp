// Transport: how clustertop reaches nodes and runs collector streams on them.
// Implementations: ssh (libssh), local (child processes), replay (recorded files).
// A transport owns its sessions/processes and its I/O thread(s); it talks to the main
// thread only through the EventQueue (LineBatch, NodeStatus). It never parses lines.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "clustertop/core/event_queue.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {

// One long-lived command on a node whose stdout lines become LineBatches.
// Stream names are "<collector>" or "<collector>:<detail>" (e.g. "meminfo",
// "log:/var/log/exo.log"): the part before ':' names the collector that parses it.
// A stream started again after it failed counts as up once it has run this long or printed
// a line: one that keeps dying (a log path that is a directory, a missing tool) stays down
// instead of flapping up at each restart, which kept resetting its stream_down's `for`.
inline constexpr Duration kUpAfterRestart = std::chrono::seconds(3);

struct StreamSpec {
  std::string name;
  std::string command;       // a /bin/sh command line; every interpolated value quoted
  Duration watchdog{0};      // >0: the stream should print at least this often
  bool restart = true;       // restart with backoff when it exits
  bool follows_file = false; // `tail -F` of a log: its stderr says whether the file is readable
  // Non-empty: the followed path as the node's shell reads it, and `command` is the first
  // start of a FollowPosition's: a restart goes on from the last whole line read.
  std::string resume_path;
};

// What the platform probe learnt about a node (collect/probe parses it).
struct Platform {
  std::string os;                 // "Linux", "Darwin"
  std::string arch;               // "x86_64", "arm64"
  std::set<std::string> commands; // which of the probed commands exist
  double mem_total_bytes = 0;
  bool sudo_ok = false; // non-interactive sudo allowed (powermetrics)
  // `date +%z` on the node: its local time's offset from UTC, for log times without a zone.
  std::optional<std::chrono::minutes> utc_offset;
};

// Chooses a node's streams once its platform is known. Pure; may run on any thread.
using StreamPlanner = std::function<std::vector<StreamSpec>(const Platform &)>;

struct NodeSpec {
  std::string name; // what the operator calls it; unique
  std::string host; // host name, address or ssh alias; "" for local
  std::string user;
  int port = 0; // 0: from ~/.ssh/config or 22
  std::string identity_file;
  std::vector<std::string> log_paths;
  StreamPlanner plan; // streams to run once probed
  // What those streams lack that the node needs, and why ("": nothing): said in its `up`.
  std::function<std::string(const Platform &)> plan_note;
  std::string probe_command; // run once at connect; its stdout feeds parse_probe
  std::function<Platform(const std::string &probe_output)> parse_probe;
};

class Transport {
public:
  virtual ~Transport() = default;
  // Starts connecting/running every node; returns at once. Events go to the queue.
  virtual void start() = 0;
  // Stops every stream and leaves nothing running on any node. Idempotent.
  virtual void stop() = 0;
};

} // namespace clustertop
