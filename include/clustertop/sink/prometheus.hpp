// Prometheus text exposition (format 0.0.4) of the store and the firing alerts. Pure:
// Store + firing + now -> text. Unknown (NaN) and stale values are omitted, not exported
// as NaN, so `absent()` and missing-data alerts in Prometheus work as operators expect.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/core/time.hpp"
#include "clustertop/detect/finding.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {

class Store;

struct PrometheusOptions {
  // A sample older than this (relative to now) is not exported: a node that went silent
  // must not keep reporting its last power draw forever.
  Duration max_age = kSampleMaxAge;
};

// `\` -> `\\`, `"` -> `\"`, newline -> `\n`; invalid UTF-8 and controls repaired first.
std::string escape_label_value(std::string_view value);

std::string render_prometheus(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                              const PrometheusOptions &options = {});

struct ListenAddress {
  std::string host;
  int port = 0;
};

// "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"; ":9464" and "9464" mean 127.0.0.1.
// Port 0 asks the system for a free port.
Result<ListenAddress> parse_listen_address(const std::string &text);

} // namespace clustertop
