#include "clustertop/transport/follow_position.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace clustertop {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i << 24U;
    for (int k = 0; k < 8; ++k) c = (c & 0x80000000U) != 0 ? (c << 1U) ^ 0x04C11DB7U : c << 1U;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t crc_step(std::uint32_t crc, unsigned char byte) {
  return (crc << 8U) ^ kCrcTable[((crc >> 24U) ^ byte) & 0xFFU];
}

// Keeps the last `n` bytes of `s` + `more`.
void keep_last(std::string &s, std::string_view more, std::size_t n) {
  if (more.size() >= n) {
    s.assign(more.substr(more.size() - n));
    return;
  }
  s.append(more);
  if (s.size() > n) s.erase(0, s.size() - n);
}

} // namespace

std::uint32_t posix_cksum(std::string_view bytes) {
  std::uint32_t crc = 0;
  for (const char c : bytes) crc = crc_step(crc, static_cast<unsigned char>(c));
  for (std::uint64_t n = bytes.size(); n != 0; n >>= 8U)
    crc = crc_step(crc, static_cast<unsigned char>(n & 0xFFU));
  return ~crc;
}

std::string FollowPosition::command() const {
  const std::string &p = path_;
  // A device never ends: tail would read /dev/zero at a full core for ever. Said and refused,
  // the stream stays down with this reason.
  std::string c = "set -f; if [ -c " + p + " ] || [ -b " + p +
                  " ]; then echo \"clustertop: cannot follow a device: \"" + p + " >&2; exit 1; fi";
  // A FIFO: tail passes its lines on only when its writer closes it (a crash line came when
  // the engine exited, or never), and every line read is one its other reader loses.
  c += "; if [ -p " + p + " ]; then echo \"clustertop: cannot follow a FIFO (its lines come only " +
       "when its writer closes it, and are taken from its other reader): \"" + p +
       " >&2; exit 1; fi";
  // A file that exists but cannot be read has no size to start at (`wc` fails): offset 0
  // would later read it all from its first byte once it can be read. No position, the end,
  // as `tail -n 0` did; tail says why it cannot read it.
  c += "; if [ -f " + p + " ] && ! [ -r " + p +
       " ]; then printf '\\036u\\n'; exec tail -n 0 -F -- " + p + "; fi";
  // `ls -diL` gives the inode of the file a link points to, on GNU and BSD alike (only its
  // first word is used; `set -f`: no globbing of the others). `wc -c` reads a regular file's
  // size from stat (BSD pads it with blanks, which $((s)) takes out); anything else (a FIFO)
  // counts as size 0 and is not read here. A missing file is inode 0, size 0: tail then says
  // why on stderr (FollowWatch).
  c += "; set -- $(ls -diL -- " + p + " 2>/dev/null); i=${1:-0}; if [ -f " + p +
       " ]; then s=$(wc -c <" + p + ") || s=0; else s=0; fi; s=$((s)); e=$s";
  // A position past 0 is resumed only with bytes to compare (always there once the start's
  // bytes before its offset came).
  if (resume_at_ && (*resume_at_ == 0 || !check_.empty())) {
    const std::uint64_t n = *resume_at_;
    std::string same = fmt::format("[ \"$s\" -ge {} ]", n);
    if (inode_ != 0) same += fmt::format(" && [ \"$i\" = {} ]", inode_);
    if (!check_.empty())
      same += fmt::format(" && [ \"$(dd if={} bs=1 skip={} count={} 2>/dev/null | cksum)\" = "
                          "\"{} {}\" ]",
                          p, n - check_.size(), check_.size(), posix_cksum(check_), check_.size());
    c += fmt::format("; if {0}; then if [ $((s - {1})) -gt {2} ]; then s=$((s - {2})); "
                     "else s={1}; fi; fi",
                     same, n, kMaxCatchUp);
  }
  // tail starts k bytes early: clustertop keeps them (not passed on) as the bytes a restart
  // compares, also when nothing is read before it. e, the file's size now: the bytes from s
  // to e were written before this start (read back, not live).
  c += fmt::format("; k={0}; if [ \"$s\" -lt {0} ]; then k=$s; fi", kCheckBytes);
  c += "; printf '\\036%s %s %s %s\\n' \"$i\" \"$s\" \"$k\" \"$e\"; exec tail -c +$((s - k + 1)) "
       "-F -- " +
       p;
  return c;
}

void FollowPosition::file_switched() {
  // A file missing at the start is read from its first byte when it appears: the count from
  // 0 is its offset. Any other switch leaves the count in another file.
  if (missing_at_start_)
    missing_at_start_ = false;
  else
    resume_at_.reset();
}

void FollowPosition::starting() {
  awaiting_ = true;
  backfill_left_ = 0;
  backfilled_ = 0;
  line_.clear();
  greeting_lines_ = 0;
  in_long_line_ = false;
}

void FollowPosition::ended(const LineSplitter &splitter) {
  if (seed_left_ > 0) resume_at_.reset(); // nothing to compare a restart with
  if (!resume_at_ || !splitter.cutting()) return;
  // The splitter passed on the cut line's first part; the rest would be dropped anyway.
  resume_at_ = at_;
  check_ = last_;
  skip_to_newline_ = true;
}

bool FollowPosition::take_marker(std::string_view line) {
  if (line.size() == 2 && line[0] == kMarker && line[1] == 'u') {
    resume_at_.reset(); // started with no position (a file it cannot read)
    skip_to_newline_ = false;
    seed_left_ = 0;
    return true;
  }
  // RS, then the inode, the offset, the bytes before it that follow and (from a command that
  // prints it) the file's size: digits, one space between them.
  std::array<std::uint64_t, 4> numbers{0, 0, 0, 0};
  std::size_t which = 0;
  bool digits = false;
  bool ok = line.size() >= 6 && line.front() == kMarker;
  for (std::size_t i = 1; ok && i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ') {
      ok = digits && which + 1 < numbers.size();
      ++which;
      digits = false;
      continue;
    }
    std::uint64_t &v = numbers[which];
    ok = c >= '0' && c <= '9' && v <= (UINT64_MAX - 9) / 10;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    digits = true;
  }
  if (!ok || which < 2 || !digits || numbers[2] > kCheckBytes || numbers[2] > numbers[1])
    return false;
  backfill_left_ = 0;
  // No file is that long: an offset the node's shell could not even compare (its arithmetic
  // is signed 64-bit) is no position, and the next start is at the end.
  if (numbers[1] >= kMaxOffset) {
    resume_at_.reset();
    skip_to_newline_ = false;
    seed_left_ = numbers[2]; // still sent before the offset: dropped, not read as a line
    return true;
  }
  // Resumed where a cut line was being dropped: the rest of it is still dropped.
  if (!(resume_at_ && numbers[1] == *resume_at_)) skip_to_newline_ = false;
  inode_ = numbers[0];
  missing_at_start_ = numbers[0] == 0;
  at_ = numbers[1];
  resume_at_ = numbers[1];
  last_.clear();
  check_.clear();
  seed_left_ = numbers[2];
  if (which == 3 && numbers[3] > numbers[1]) backfill_left_ = numbers[3] - numbers[1];
  return true;
}

void FollowPosition::awaiting(std::string_view &bytes, LineSplitter &splitter,
                              std::vector<std::string> &lines) {
  while (awaiting_ && !bytes.empty()) {
    const auto nl = bytes.find('\n');
    const std::size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
    const std::string_view part = bytes.substr(0, take);
    bytes.remove_prefix(take);
    if (!in_long_line_ && line_.size() + part.size() <= kMarkerMax) {
      line_.append(part);
      if (nl == std::string_view::npos) return;
      if (take_marker(std::string_view(line_).substr(0, line_.size() - 1))) {
        awaiting_ = false;
        return;
      }
      splitter.feed(line_, lines); // a greeting line: passed on as it is
    } else {
      // Too long to be the offset line: passed on as it comes.
      splitter.feed(line_, lines);
      splitter.feed(part, lines);
      in_long_line_ = nl == std::string_view::npos;
      if (in_long_line_) {
        line_.clear();
        return;
      }
    }
    line_.clear();
    if (++greeting_lines_ >= kMaxGreeting) {
      awaiting_ = false; // no offset line: where the output starts is unknown
      resume_at_.reset();
    }
  }
}

void FollowPosition::count(std::string_view bytes) {
  at_ += bytes.size();
  if (const auto nl = bytes.rfind('\n'); nl != std::string_view::npos) {
    resume_at_ = at_ - (bytes.size() - nl - 1);
    check_ = last_;
    keep_last(check_, bytes.substr(0, nl + 1), kCheckBytes);
  }
  keep_last(last_, bytes, kCheckBytes);
}

void FollowPosition::feed(std::string_view bytes, LineSplitter &splitter,
                          std::vector<std::string> &lines) {
  if (awaiting_) {
    awaiting(bytes, splitter, lines);
    if (awaiting_ || bytes.empty()) return;
  }
  if (seed_left_ > 0) {
    // The bytes before the offset: what a restart compares, not log lines read again.
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(seed_left_, bytes.size()));
    if (resume_at_) keep_last(last_, bytes.substr(0, n), kCheckBytes);
    seed_left_ -= n;
    bytes.remove_prefix(n);
    if (seed_left_ == 0 && resume_at_) check_ = last_;
    if (bytes.empty()) return;
  }
  if (!resume_at_) {
    splitter.feed(bytes, lines);
    return;
  }
  if (backfill_left_ > 0) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(backfill_left_, bytes.size()));
    const std::size_t before = lines.size();
    pass_on(bytes.substr(0, n), splitter, lines);
    backfilled_ += lines.size() - before;
    backfill_left_ -= n;
    bytes.remove_prefix(n);
    if (bytes.empty()) return;
  }
  pass_on(bytes, splitter, lines);
}

void FollowPosition::pass_on(std::string_view bytes, LineSplitter &splitter,
                             std::vector<std::string> &lines) {
  count(bytes);
  if (skip_to_newline_) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) return;
    skip_to_newline_ = false;
    bytes.remove_prefix(nl + 1);
  }
  splitter.feed(bytes, lines);
}

} // namespace clustertop
