// Private to src/transport's replay: line timestamps (replay.cpp) and the reader of one
// plain log (replay_log_file.cpp).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "clustertop/transport/replay.hpp"

namespace clustertop::replay_detail {

struct Stamp {
  TimePoint t;
  bool dated = true;     // false: a bare time of day, dated from the file's day
  bool zoned = false;    // it carried its zone ("Z", "+01:00"), so --zone does not apply
  bool yearless = false; // a month and day without a year (vLLM's "12-31 23:59:59")
};

// A log's last stamp read, for its next line stamped within the same second (FractionMemo).
struct StampMemo {
  FractionMemo fraction;
  bool dated = true;
  bool zoned = false;
  bool yearless = false;
};

// The first timestamp in a line's first 80 bytes. With a memo (one per log), a line whose
// stamp opens its text at the same place and differs from the last one only in the
// fraction's digits takes its time from the memo: the same time.
std::optional<Stamp> find_stamp(const std::string &line, int year, TimePoint day,
                                StampMemo *memo = nullptr);

// The same month, day and time `years` years later (earlier when negative); the 29th of
// February of a year without one is the 1st of March.
TimePoint shift_years(TimePoint t, int years);

// The day a log's date-less stamps belong to: its modification day (UTC), and the time
// itself (a log's lines were written before it was last modified).
struct FileDay {
  int year = 1970;
  TimePoint midnight;
  TimePoint modified; // the file's modification time
};
FileDay file_day(const std::string &path);

} // namespace clustertop::replay_detail

namespace clustertop {

// Reads one log through a large buffer, a few events ahead of the replay: `head` is always
// the file's next event (the node's `up` status, then batches of the lines that share an
// arrival time), or empty at the end.
struct ReplaySource::LogFile {
  LogFile(std::string node, const std::string &path, std::FILE *file, std::chrono::minutes zone);
  ~LogFile();
  LogFile(const LogFile &) = delete;
  LogFile &operator=(const LogFile &) = delete;

  // Reads up to the first stamped line; false: the file has none.
  bool start();
  // Replaces `head` with the next event (or none at the end of the file), reading its lines
  // into a batch taken from `spares` (see ReplaySource::recycle).
  void advance(Spares &spares);

  std::optional<TimedEvent> head;
  // What reading this log met so far (ReplaySource::LogCounts).
  [[nodiscard]] const LogCounts &counts() const { return counts_; }

private:
  bool next_line(std::string &line);
  std::optional<TimePoint> stamp(const std::string &line);

  std::string node_, stream_;
  std::FILE *file_;
  replay_detail::FileDay day_;
  std::chrono::minutes zone_; // of the times without one (--zone)
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  LogCounts counts_;
  std::optional<TimePoint> prev_;       // the previous stamp (a bare time of day wraps at midnight)
  replay_detail::StampMemo stamp_memo_; // the previous stamp as find_stamp read it
  TimePoint now_{};                     // arrival time: the latest stamp so far (no rewind)
  std::vector<std::string> ahead_;      // the lines up to the first stamp, read by start()
  // The first line of the batch after `head` when has_carry_: swapped in and out of a
  // batch's strings, so that no line is copied and no string is made per batch.
  std::string carry_;
  bool has_carry_ = false;
};

} // namespace clustertop
