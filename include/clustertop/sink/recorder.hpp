// Recorder (--record DIR): appends every raw line and node status, with its arrival time, to
// DIR/<start>.ctrec. One text record per line, each batch written with one write(2) of whole
// lines, so the file can be copied while running (a reader drops an unfinished last line).
// Owns its file; never parses lines. Format in docs/alerts.md ("Recordings").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "clustertop/core/result.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

class Recorder : public Sink {
public:
  // Creates DIR if needed and a new file named after `start` (never overwrites).
  static Result<std::unique_ptr<Recorder>> open(const std::string &dir, TimePoint start);
  ~Recorder() override;
  Recorder(const Recorder &) = delete;
  Recorder &operator=(const Recorder &) = delete;

  void on_lines(const LineBatch &batch) override;
  void on_status(const NodeStatus &status) override;

  [[nodiscard]] const std::string &path() const { return path_; }
  // Write errors (disk full) since start; recording goes on with the next batch.
  [[nodiscard]] std::uint64_t write_errors() const { return write_errors_; }

private:
  Recorder(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void write_all(const std::string &data);

  int fd_;
  std::string path_;
  std::map<std::pair<std::string, std::string>, int> ids_; // (node, stream) -> id
  std::uint64_t write_errors_ = 0;
};

// Record fields: '\' and control characters escaped; in every field but the last, ' ' too.
std::string record_escape(const std::string &s, bool last_field);
std::string record_unescape(const std::string &s);

} // namespace clustertop
