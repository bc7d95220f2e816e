#include "clustertop/core/stderr_capture.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

Error capture_error() {
  return Error{"cannot capture standard error", std::strerror(errno), "",
               "messages are drawn over the dashboard until the next redraw"};
}

} // namespace

StderrCapture::~StderrCapture() {
  (void)stop();
  forward_rest();
}

Status StderrCapture::start() {
  if (saved_.valid()) return ok_status();
  forward_rest(); // a capture stopped before: what was written after its stop
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return capture_error();
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  (void)::fcntl(write_end.get(), F_SETPIPE_SZ, 1 << 20); // best effort: 64 KiB otherwise
  UniqueFd saved(::fcntl(target_, F_DUPFD_CLOEXEC, 3));
  if (!saved.valid()) return capture_error();
  if (::dup2(write_end.get(), target_) < 0) return capture_error();
  saved_ = std::move(saved);
  read_ = std::move(read_end);
  return ok_status();
}

void StderrCapture::read_pending() {
  char buf[8192];
  while (read_.valid()) {
    const ssize_t n = ::read(read_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        take_line(std::move(partial_));
        partial_.clear();
      } else if (partial_.size() <= kMaxLineBytes) { // one byte more tells a cut line
        partial_ += buf[i];
      }
    }
  }
}

void StderrCapture::take_line(std::string line) {
  if (line.size() > kMaxLineBytes) {
    line.resize(utf8_boundary(line, kMaxLineBytes));
    line += "...";
  }
  kept_.push_back(line);
  if (kept_.size() > kKeptLines) {
    kept_.pop_front();
    ++dropped_;
  }
  fresh_.push_back(std::move(line));
}

std::vector<std::string> StderrCapture::drain() {
  read_pending();
  return std::exchange(fresh_, {});
}

std::vector<std::string> StderrCapture::stop() {
  if (!saved_.valid()) return {};
  (void)::dup2(saved_.get(), target_);
  saved_.reset();
  read_pending();
  if (!partial_.empty()) take_line(std::exchange(partial_, {}));
  fresh_.clear();
  std::vector<std::string> lines;
  if (dropped_ > 0) lines.push_back(fmt::format("({} earlier lines dropped)", dropped_));
  lines.insert(lines.end(), kept_.begin(), kept_.end());
  kept_.clear();
  dropped_ = 0;
  // The read end stays open: a hook still running holds the write end as its stdout, and a
  // write into a pipe nobody can read killed it with SIGPIPE (hooks are waited for after the
  // screen is gone). The destructor forwards what they write.
  return lines;
}

void StderrCapture::forward_rest() {
  if (!read_.valid()) return;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(read_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(target_, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return; // the target is gone or full: nowhere left to say it
      done += w;
    }
  }
  read_.reset();
}

} // namespace clustertop
