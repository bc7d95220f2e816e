// Recorder (--record DIR): appends every raw line and node status, with its arrival time, to
// DIR/<start>.ctrec. One text record per line, each batch written with one write(2) of whole
// lines, so the file can be copied while running (a reader drops an unfinished last line).
// Owns its file; never parses lines. Format in docs/alerts.md ("Recordings").
// The first write that fails (a full disk, a quota) is said on stderr with the file and the
// reason, the part of a record it wrote is cut off again (the file keeps whole records) and
// recording stops: a recording with a gap would replay the gap as silence (a hang), and a
// disk that stays full is not written to at every batch.
#pragma once

#include <map>
#include <memory>
#include <optional>
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
  // Where the live run judged: after a drain (`T`), at a tick (`K`), and where it held its
  // alerts after it had not run (`H`). A replay judges there and nowhere else, so its
  // alerts are the live run's (it judged at every distinct arrival time and ticked on its
  // own grid: statuses the live run took in one drain, a log's rotation, were judged apart,
  // and the stop's silence read as every node's stall).
  void on_drained(TimePoint now) override;
  void on_tick(const TickContext &ctx) override;
  void on_hold(TimePoint now, TimePoint until) override;
  // The zone a node's logs write in, as its config said (`log_zone`): a `G` record, so that
  // a replay reads its lines' times as the live run did (it read them in the node's own
  // zone: a false hour-long stall and a crash an hour off).
  void log_zone(const std::string &node, std::chrono::minutes offset, TimePoint at);
  // The watch ends at `at`: an `E` record, so that a replay stops its clock there instead of
  // ticking on past the last line, where the watch's end would read as every node's hang.
  void finish(TimePoint at);

  [[nodiscard]] const std::string &path() const { return path_; }
  // Write errors (disk full) since start: 0 or 1, since recording stops at the first.
  [[nodiscard]] std::uint64_t write_errors() const { return write_errors_; }
  // Whether a write failed and recording stopped.
  [[nodiscard]] bool stopped() const { return fd_ < 0; }

private:
  Recorder(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  // Appends `data` (whole records); 0, or the errno of a failure, which stops recording.
  int write_all(const std::string &data, TimePoint at);

  int fd_; // -1 once stopped
  std::string path_;
  std::uint64_t size_ = 0;        // bytes of whole records in the file
  std::optional<TimePoint> last_; // arrival time of the last record written
  std::map<std::pair<std::string, std::string>, int> ids_; // (node, stream) -> id
  std::uint64_t write_errors_ = 0;
};

// Record fields: '\' and control characters escaped; in every field but the last, ' ' too.
std::string record_escape(const std::string &s, bool last_field);
std::string record_unescape(const std::string &s);

} // namespace clustertop
