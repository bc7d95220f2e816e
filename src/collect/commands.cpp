// `clustertop parse` and `clustertop collectors`.
#include "clustertop/collect/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/parser.hpp"
#include "clustertop/collect/sample_check.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/core/line_splitter.hpp"
#include "clustertop/core/report.hpp"
#include "json_out.hpp"

namespace clustertop {
namespace {

Result<std::shared_ptr<const CollectorSet>> load_set(const Options &o, std::FILE *err) {
  std::vector<std::string> dirs;
  if (!o.collectors_dir.empty()) dirs.push_back(o.collectors_dir);
  std::vector<std::string> warnings;
  auto set = CollectorSet::load(dirs, warnings);
  for (const auto &w : warnings) report(err, "clustertop: warning: {}\n", w);
  return set;
}

struct Counts {
  std::uint64_t lines = 0, records = 0, skipped = 0;
};

class Emitter {
public:
  explicit Emitter(std::FILE *out) : out_(out) {}
  ~Emitter() { flush(); }
  Emitter(const Emitter &) = delete;
  Emitter &operator=(const Emitter &) = delete;
  void record(const Record &r) {
    append_record_json(buf_, r);
    if (buf_.size() > (1u << 16)) flush();
  }
  void flush() {
    out_.write(std::string_view(buf_.data(), buf_.size()));
    buf_.clear();
  }
  // Out of the FILE's buffer too: to the reader now.
  void push() {
    flush();
    out_.flush();
  }
  // The errno of the first write that failed, or 0 (said at the end: unwritten).
  [[nodiscard]] int failed() const { return out_.failed(); }

private:
  CheckedOutput out_;
  fmt::memory_buffer buf_;
};

void emit(const RecordBuffer &buf, Emitter &em, Counts &c) {
  for (std::size_t i = 0; i < buf.size(); ++i) em.record(buf[i]);
  c.records += buf.size();
}

void parse_lines(std::vector<std::string> &lines, ParserGroup &parsers, TimePoint now,
                 RecordBuffer &buf, Emitter &em, Counts &c) {
  for (const auto &line : lines) {
    ++c.lines;
    buf.clear();
    if (!parsers.feed(line, now, buf)) ++c.skipped;
    emit(buf, em, c);
  }
  lines.clear();
}

} // namespace

int run_parse_command(const Options &options, std::FILE *in, std::FILE *out, std::FILE *err) {
  auto set = load_set(options, err);
  if (!set) {
    report(err, "clustertop: {}\n", set.error().message());
    return exit_code::config;
  }
  ParserGroup parsers = make_parser_group(**set, options.parse_collector);
  if (parsers.empty()) {
    report(err,
           "clustertop: no collector named '{}'\n  help: `clustertop collectors` lists "
           "them; `log` runs every log definition\n",
           options.parse_collector);
    return exit_code::usage;
  }
  const TimePoint now = wall_now(); // only for date-less timestamps ("10:23:45PM")
  LineSplitter splitter;
  std::vector<std::string> lines;
  RecordBuffer buf;
  Counts c;
  int failed = 0;
  int read_error = 0;
  {
    Emitter em(out);
    std::vector<char> chunk(1 << 20);
    // What has arrived, not a full chunk: fread waits for 1 MiB or the end, so a followed log
    // (`tail -F log | clustertop parse …`) printed nothing until either came.
    const int fd = ::fileno(in);
    const auto read_some = [&]() -> std::size_t {
      if (fd < 0) return std::fread(chunk.data(), 1, chunk.size(), in); // a FILE of memory
      for (;;) {
        const ssize_t got = ::read(fd, chunk.data(), chunk.size());
        if (got >= 0) return static_cast<std::size_t>(got);
        if (errno != EINTR) {
          read_error = errno;
          return 0;
        }
      }
    };
    std::size_t n = 0;
    while ((n = read_some()) > 0) {
      splitter.feed(std::string_view(chunk.data(), n), lines);
      parse_lines(lines, parsers, now, buf, em, c);
      if (n < chunk.size()) em.push(); // the input has no more for now: show what it gave
      if (em.failed() != 0) break;     // the reader has gone (`| head`): nothing to do
    }
    if (em.failed() == 0) { // the input's last line, unless the input was left unread
      splitter.finish(lines);
      parse_lines(lines, parsers, now, buf, em, c);
      buf.clear();
      parsers.finish(buf);
      emit(buf, em, c);
      em.flush();
    }
    failed = em.failed();
  }
  report(err, "clustertop parse: {} lines, {} records, {} skipped, {} cut at {} bytes\n", c.lines,
         c.records, c.skipped, splitter.cut_lines(), 64 * 1024);
  const int lost = failed != 0 ? failed : unwritten(out);
  if (lost == EPIPE) return exit_code::ok; // the reader had what it wanted (`| head`)
  if (lost != 0) {
    report(err, "clustertop parse: cannot write the records: {}\n", output_failure(lost));
    return exit_code::output;
  }
  if (read_error != 0 || std::ferror(in)) {
    report(err, "clustertop parse: cannot read the input: {}\n",
           std::strerror(read_error != 0 ? read_error : EIO));
    return exit_code::config;
  }
  return exit_code::ok;
}

int run_parse_command(const Options &options) {
  // A reader that goes away (`| head -1`) is a normal end, told by EPIPE, not a death by
  // SIGPIPE (exit 141 failed scripts under `set -o pipefail`).
  std::signal(SIGPIPE, SIG_IGN);
  if (options.input.empty() || options.input == "-")
    return run_parse_command(options, stdin, stdout, stderr);
  struct stat st {};
  if (::stat(options.input.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    report(stderr, "clustertop: cannot read {}: it is a directory\n  help: name a log file\n",
           options.input);
    return exit_code::usage;
  }
  std::FILE *f = std::fopen(options.input.c_str(), "rb");
  if (f == nullptr) {
    report(stderr, "clustertop: cannot read {}: {}\n", options.input, std::strerror(errno));
    return exit_code::usage;
  }
  const int rc = run_parse_command(options, f, stdout, stderr);
  std::fclose(f);
  return rc;
}

int run_collectors_command(const Options &options, std::FILE *out, std::FILE *err) {
  auto set = load_set(options, err);
  if (!set) {
    report(err, "clustertop: {}\n", set.error().message());
    return exit_code::config;
  }
  int failed = 0;
  report(out, "{:<14} {:<8} {:<6} {:<34} {}\n", "NAME", "TYPE", "PARSE", "NEEDS", "SAMPLES");
  for (const auto *d : (*set)->all()) {
    std::string needs = d->os.empty() ? "any OS" : fmt::format("{}", fmt::join(d->os, "/"));
    for (const auto &c : d->required_commands) needs += " +" + c;
    if (d->needs_sudo) needs += " +sudo -n";
    if (d->type == "log") needs = "tail -F (stream log:<path>)";
    const auto errors = check_samples(*d);
    failed += errors.empty() ? 0 : 1;
    report(out, "{:<14} {:<8} {:<6} {:<34} {}\n", d->name, d->type, d->parse.kind, needs,
           errors.empty() ? fmt::format("{} ok", d->samples.size())
                          : fmt::format("{} FAILED", errors.size()));
    for (const auto &e : errors) report(err, "  {}\n", e);
  }
  if (const int lost = unwritten(out); lost != 0) {
    report(err, "clustertop: cannot write standard output: {}\n", output_failure(lost));
    return exit_code::output;
  }
  return failed == 0 ? exit_code::ok : exit_code::config;
}

int run_collectors_command(const Options &options) {
  return run_collectors_command(options, stdout, stderr);
}

} // namespace clustertop
