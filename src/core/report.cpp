#include "clustertop/core/report.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>

namespace clustertop {

void CheckedOutput::note_failure() {
  if (failed_ == 0) failed_ = errno != 0 ? errno : EIO;
}

int unwritten(std::FILE *out) {
  errno = 0;
  if (std::fflush(out) == 0 && std::ferror(out) == 0) return 0;
  if (errno != 0) return errno;
  // The write that failed was earlier and its errno is gone (stdio drops a buffer it could
  // not write). A pipe or socket whose reader has gone still says so.
  pollfd p{::fileno(out), 0, 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0) return EPIPE;
  return kUnknownWriteError;
}

std::string output_failure(int error) {
  if (error == EPIPE) return "the reader closed it";
  if (error == kUnknownWriteError) return "a write to it failed";
  return std::strerror(error);
}

} // namespace clustertop
