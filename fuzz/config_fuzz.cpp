// libFuzzer target: the config file reader (parse_config) on arbitrary text, and the
// [thresholds] of a config it accepts (rules_from_toml). Each must give a config or an error
// that names the file; crashes, hangs, leaks and UB are the findings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "clustertop/config/config.hpp"
#include "clustertop/detect/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  auto config = clustertop::parse_config(text, "fuzz.toml");
  if (!config) {
    if (config.error().what.empty() || config.error().where.empty()) __builtin_trap();
    return 0;
  }
  for (const auto &n : config->nodes)
    if (n.name.empty() || n.host.empty() || n.port < 0 || n.port > 65535) __builtin_trap();
  (void)clustertop::rules_from_toml(config->thresholds, config->path);
  return 0;
}
