// clustertop entry point: parse the command line, run the app, turn bugs into exit 70.
#include <cstdio>
#include <exception>

#include "clustertop/app.hpp"
#include "clustertop/config/cli.hpp"
#include "clustertop/core/exit_codes.hpp"

int main(int argc, char **argv) {
  try {
    auto cli = clustertop::parse_command_line(argc, argv);
    if (cli.exit_now) return *cli.exit_now;
    return clustertop::run_app(cli.options);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "clustertop: internal error: %s\n  help: please report this\n", e.what());
    return clustertop::exit_code::internal;
  }
}
