#include "clustertop/core/stoppable_output.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace clustertop {

StoppableOutput::StoppableOutput(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {
  struct stat st {};
  // POLLOUT promises a pipe room for PIPE_BUF bytes: a larger write could block again. A
  // regular file is always writable and takes stdio's whole buffer at once.
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) chunk_ = 1 << 16;
  cookie_io_functions_t io{};
  io.write = [](void *self, const char *data, std::size_t size) -> ssize_t {
    return static_cast<StoppableOutput *>(self)->write_some(data, size);
  };
  file_ = ::fopencookie(this, "w", io);
  // Buffered as stdio buffers stdout: by line on a terminal, fully otherwise.
  if (file_ != nullptr && ::isatty(fd) != 0) std::setvbuf(file_, nullptr, _IOLBF, BUFSIZ);
}

StoppableOutput::~StoppableOutput() {
  if (file_ == nullptr) return;
  if (!give_up_at_) stop_after(grace_); // the last flush waits no longer than a stop's
  std::fclose(file_);
}

void StoppableOutput::stop_after(std::chrono::milliseconds grace) {
  grace_ = grace;
  give_up_at_ = std::chrono::steady_clock::now() + grace;
}

long StoppableOutput::write_some(const char *data, std::size_t size) {
  std::size_t done = 0;
  while (done < size && !gave_up_) {
    int wait_ms = -1;
    if (give_up_at_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *give_up_at_ - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
    }
    // Before a stop the signal descriptor is watched too; from then on the grace bounds the
    // wait (the loop reads the signal after this write).
    pollfd fds[2] = {{fd_, POLLOUT, 0}, {give_up_at_ ? -1 : stop_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) { // writable (or its reader gone: the write says so)
      const ssize_t n = ::write(fd_, data + done, std::min(size - done, chunk_));
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return done > 0 ? static_cast<long>(done) : -1;
      }
      done += static_cast<std::size_t>(n);
    } else if ((fds[1].revents & POLLIN) != 0) {
      stop_after(grace_); // a stop signal: what is left gets the grace, not for ever
    } else if (ready == 0 && give_up_at_) {
      gave_up_ = true;
    }
  }
  if (done > 0) return static_cast<long>(done);
  errno = ECANCELED;
  return -1;
}

} // namespace clustertop
