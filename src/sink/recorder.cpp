#include "clustertop/sink/recorder.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

#include "clustertop/core/report.hpp"

namespace clustertop {
namespace {

long long micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::string file_name(TimePoint start) {
  std::string iso = iso8601_utc(start); // 2026-02-23T18:07:01.123Z
  for (char &c : iso)
    if (c == ':') c = '-';
  return iso + "-" + std::to_string(::getpid()) + ".ctrec";
}

} // namespace

std::string record_escape(const std::string &s, bool last_field) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\')
      out += "\\\\";
    else if (c == ' ' && !last_field)
      out += "\\s";
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  if (out.empty() && !last_field) out = "\\e"; // an empty field still takes a place
  return out;
}

std::string record_unescape(const std::string &s) {
  if (s == "\\e") return {};
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    const char n = s[++i];
    if (n == 's')
      out += ' ';
    else if (n == 'x' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else
      out += n;
  }
  return out;
}

Result<std::unique_ptr<Recorder>> Recorder::open(const std::string &dir, TimePoint start) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error{"cannot create the recording directory", ec.message(), dir,
                 "pass --record a directory you can write to"};
  const std::string path = (std::filesystem::path(dir) / file_name(start)).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error{"cannot create the recording file", std::strerror(errno), path,
                 "check the directory's permissions and free space"};
  std::unique_ptr<Recorder> r(new Recorder(fd, path));
  if (const int err =
          r->write_all(fmt::format("#clustertop-recording 2 {}\n", micros(start)), start);
      err != 0) {
    ::unlink(path.c_str()); // a file without its header is not a recording
    return Error{"cannot write the recording file", std::strerror(err), path,
                 "free space on its disk or pass --record another directory"};
  }
  return r;
}

Recorder::~Recorder() {
  if (fd_ >= 0) ::close(fd_);
}

int Recorder::write_all(const std::string &data, TimePoint at) {
  if (fd_ < 0) return 0;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    const int err = n < 0 ? errno : EIO; // 0 bytes for a non-empty write: no progress to wait for
    ++write_errors_;
    // What part of a record was written is cut off again: the file ends on a whole record
    // (if even that fails, a replay says where the cut-off record starts).
    const bool cut = done == 0 || ::ftruncate(fd_, static_cast<off_t>(size_)) == 0;
    ::close(fd_);
    fd_ = -1;
    if (last_) // else open() says it
      report(stderr,
             "clustertop: --record: cannot write the recording {}: {}; recording stopped (the "
             "file keeps what arrived until {}{})\n",
             path_, std::strerror(err), iso8601_utc(*last_),
             cut ? "" : ", and part of the next record");
    return err;
  }
  size_ += data.size();
  last_ = at;
  return 0;
}

void Recorder::on_lines(const LineBatch &batch) {
  if (stopped()) return;
  std::string out;
  auto key = std::make_pair(batch.node, batch.stream);
  auto it = ids_.find(key);
  if (it == ids_.end()) {
    it = ids_.emplace(key, static_cast<int>(ids_.size())).first;
    out += fmt::format("D {} {} {}\n", it->second, record_escape(batch.node, false),
                       record_escape(batch.stream, true));
  }
  const auto t = micros(batch.received_at);
  // Its first N lines were read back (LineBatch::backfilled); a reader that predates the
  // record skips (and counts) it and still reads the lines.
  if (batch.backfilled > 0) out += fmt::format("B {} {} {}\n", t, it->second, batch.backfilled);
  for (const auto &line : batch.lines)
    out += fmt::format("L {} {} {}\n", t, it->second, record_escape(line, true));
  write_all(out, batch.received_at);
}

void Recorder::on_drained(TimePoint now) { write_all(fmt::format("T {}\n", micros(now)), now); }

void Recorder::on_tick(const TickContext &ctx) {
  write_all(fmt::format("K {}\n", micros(ctx.now)), ctx.now);
}

void Recorder::on_hold(TimePoint now, TimePoint until) {
  write_all(fmt::format("H {} {}\n", micros(now), micros(until)), now);
}

void Recorder::log_zone(const std::string &node, std::chrono::minutes offset, TimePoint at) {
  write_all(fmt::format("G {} {} {}\n", micros(at), record_escape(node, false),
                        format_utc_offset(offset)),
            at);
}

void Recorder::finish(TimePoint at) {
  if (stopped()) return; // a recording that stopped early ends where its records do
  write_all(fmt::format("E {}\n", micros(at)), at);
}

void Recorder::on_status(const NodeStatus &s) {
  if (stopped()) return;
  std::string out = fmt::format("S {} {} {} {} {}\n", micros(s.at), record_escape(s.node, false),
                                record_escape(s.stream, false), to_string(s.state),
                                record_escape(s.detail, true));
  // The node's UTC offset, when the status brings one, as its own record right after: a
  // reader that predates it skips (and counts) the line and still reads the status.
  if (s.utc_offset)
    out += fmt::format("Z {} {} {}\n", micros(s.at), record_escape(s.node, false),
                       format_utc_offset(*s.utc_offset));
  write_all(out, s.at);
}

} // namespace clustertop
