#include "clustertop/app.hpp"

#include <fmt/format.h>

#include "clustertop/core/exit_codes.hpp"

namespace clustertop {

int run_app(const Options &options) {
  (void)options;
  fmt::print(stderr, "clustertop: not wired yet\n");
  return exit_code::internal;
}

} // namespace clustertop
