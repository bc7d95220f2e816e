// clustertop entry point: parse the command line, run the app, turn bugs into exit 70.
#include <fcntl.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>

#include "clustertop/app.hpp"
#include "clustertop/config/cli.hpp"
#include "clustertop/core/exit_codes.hpp"

namespace {

// A descriptor 0-2 closed by the caller (`>&-`) would be the next one opened: the signal
// or wake-up descriptors, which headless output and hooks' stdout then wrote into. /dev/null
// takes its place (open gives the lowest free number, and the lower ones are held already):
// write-only for stderr (its messages are dropped, as docs/alerts.md says), read-only for
// stdout, so that writing the output fails (EBADF) and ends with exit 74.
void hold_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF)
      (void)::open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
}

} // namespace

int main(int argc, char **argv) {
  hold_standard_descriptors();
  // A file past the size limit (`ulimit -f`) is a failed write (EFBIG) that each writer
  // reports and cleans up after, as a full disk: SIGXFSZ killed the process (exit 153), left
  // the temporary file, and a recording's watch died with it. Children get the default back.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    auto cli = clustertop::parse_command_line(argc, argv);
    if (cli.exit_now) return *cli.exit_now;
    return clustertop::run_app(cli.options);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "clustertop: internal error: %s\n  help: please report this\n", e.what());
    return clustertop::exit_code::internal;
  }
}
