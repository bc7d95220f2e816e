// LocalTransport: runs a node's collector streams as child processes of clustertop, with
// the stream semantics the SSH transport shares (line splitting, exit detection, restart
// with backoff, watchdog). One I/O thread owns every child; nothing outlives stop().
#pragma once

#include <memory>

#include "clustertop/transport/transport.hpp"

namespace clustertop {

struct LocalOptions {
  Duration restart_min = std::chrono::seconds(1);
  Duration restart_max = std::chrono::seconds(30);
  Duration probe_timeout = std::chrono::seconds(10);
  std::size_t max_line = 64 * 1024;
};

std::unique_ptr<Transport> make_local_transport(NodeSpec node, EventQueue &queue,
                                                LocalOptions options = {});

// Restart delay after `failures` consecutive quick exits: min * 2^failures capped at max,
// spread by +-20% (jitter01 in [0,1)) so a fleet does not restart in lock-step.
Duration restart_delay(Duration min, Duration max, int failures, double jitter01);

} // namespace clustertop
