#include <fcntl.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/follow_position.hpp"
#include "clustertop/transport/follow_watch.hpp"
#include "clustertop/transport/local_transport.hpp"
#include "clustertop/transport/stderr_tail.hpp"

namespace clustertop {
namespace {

using namespace std::chrono_literals;

// Collects events from the queue until `done` says so or the deadline passes.
struct Collector {
  explicit Collector(std::size_t max_lines = 1'000'000) : queue(max_lines) {}
  EventQueue queue;
  std::vector<std::string> lines;
  std::vector<std::string> read_back; // LineBatch::backfilled's lines
  std::vector<NodeStatus> statuses;

  template <typename Pred> bool wait_for(Pred done, Duration timeout = 10s) {
    const auto deadline = wall_now() + timeout;
    while (wall_now() < deadline) {
      pollfd p{queue.wake_fd(), POLLIN, 0};
      ::poll(&p, 1, 50);
      for (auto &e : queue.drain()) {
        if (auto *b = std::get_if<LineBatch>(&e)) {
          for (auto &l : b->lines) lines.push_back(l);
          read_back.insert(read_back.end(), b->lines.begin(),
                           b->lines.begin() + static_cast<std::ptrdiff_t>(b->backfilled));
        } else
          statuses.push_back(std::get<NodeStatus>(e));
      }
      if (done()) return true;
    }
    return false;
  }
  std::string describe() const {
    std::string out;
    for (const auto &s : statuses)
      out += s.stream + " " + to_string(s.state) + " " + s.detail + "\n";
    return out;
  }
  bool saw_status(const std::string &stream, NodeState state, const std::string &text) const {
    for (const auto &s : statuses)
      if (s.stream == stream && s.state == state && s.detail.find(text) != std::string::npos)
        return true;
    return false;
  }
};

// A directory of the test's own under /tmp, removed with all it holds when the test ends
// (an early ASSERT return included).
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char name[] = "/tmp/ct-test-XXXXXX";
    if (::mkdtemp(name) != nullptr) path = name;
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  ~ScratchDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
  [[nodiscard]] std::string file(const std::string &name) const { return path + "/" + name; }
};

NodeSpec node_with(std::vector<StreamSpec> streams) {
  NodeSpec n;
  n.name = "local";
  n.plan = [streams](const Platform &) { return streams; };
  return n;
}

LocalOptions fast_restart() {
  LocalOptions o;
  o.restart_min = 50ms;
  o.restart_max = 200ms;
  return o;
}

bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

TEST(StderrTail, TheLastNonBlankLineOfWhatWasWrittenLast) {
  StderrTail t;
  EXPECT_EQ(t.reason(), "");
  t.add("warming up\nsh: 1: nvidia-smi: not fo");
  t.add("und");
  t.add("\r\n  \n"); // the newline in a write of its own must not erase the message
  EXPECT_EQ(t.reason(), "sh: 1: nvidia-smi: not found");
  t.add(std::string(1000, 'x')); // only the tail is kept, and a line is cut for a status
  EXPECT_EQ(t.reason(), std::string(StderrTail::kReasonMax, 'x'));
  t.clear();
  EXPECT_EQ(t.reason(), "");
}

// GNU tail's messages, as `tail -n 0 -F -- /tmp/tt/x` (coreutils 9.1) wrote them here while
// x was missing, then created.
constexpr const char *kCannotOpen =
    "tail: cannot open '/tmp/tt/x' for reading: No such file or directory\n";
constexpr const char *kAppeared = "tail: '/tmp/tt/x' has appeared;  following new file\n";

TEST(FollowWatch, TailsMessagesSayWhetherTheFileIsReadable) {
  EXPECT_EQ(classify_tail_message("tail: cannot open '/tmp/tt/x' for reading: No such file or "
                                  "directory"),
            FollowNews::unreadable);
  EXPECT_EQ(classify_tail_message("tail: error reading '/tmp/tt/d': Is a directory"),
            FollowNews::unreadable);
  EXPECT_EQ(classify_tail_message("tail: /tmp/tt/d: cannot follow end of this type of file"),
            FollowNews::unreadable);
  EXPECT_EQ(classify_tail_message("tail: '/tmp/tt/x' has appeared;  following new file"),
            FollowNews::readable);
  EXPECT_EQ(classify_tail_message("tail: /tmp/tt/x: file truncated"), FollowNews::none);
  EXPECT_EQ(classify_tail_message(""), FollowNews::none);
}

TEST(FollowWatch, AMessageCountsOnceItsLineIsWholeAndOnlyWhenItChangesTheState) {
  StreamFollow follow;
  follow.starting();
  std::optional<FollowWatch::Change> last;
  auto report = [&](NodeState state, std::string detail) {
    last = FollowWatch::Change{state, std::move(detail)};
  };
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto feed = [&](std::string_view bytes) {
    last.reset();
    follow.stderr_bytes(bytes, report, splitter, lines);
    return last;
  };
  // glibc's error() writes the program name, the message and the newline separately.
  EXPECT_FALSE(feed("tail: "));
  EXPECT_FALSE(feed("cannot open '/tmp/tt/x' for reading: No such file or directory"));
  auto down = feed("\n");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->state, NodeState::down);
  EXPECT_EQ(down->detail, "tail: cannot open '/tmp/tt/x' for reading: No such file or directory");
  EXPECT_FALSE(feed(kCannotOpen)) << "the same words again are no news";
  EXPECT_FALSE(feed("tail: /tmp/tt/x: file truncated\n"));
  auto up = feed(kAppeared);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->state, NodeState::up);
  last.reset();
  follow.lines_came(report);
  EXPECT_FALSE(last) << "readable already";
  EXPECT_FALSE(feed(kAppeared));
  // One read that ends mid-way into the next message: the whole line before it counts.
  auto again = feed(std::string(kCannotOpen) + "tail: ");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, NodeState::down);
}

TEST(FollowWatch, LinesFromTheFileSayItIsReadableAgain) {
  // A tail that follows the file silently once it is there (BSD's) says nothing more.
  FollowWatch watch;
  ASSERT_TRUE(
      watch.on_line("tail: cannot open '/tmp/tt/x' for reading: No such file or directory"));
  auto up = watch.on_lines();
  ASSERT_TRUE(up);
  EXPECT_EQ(up->state, NodeState::up);
  EXPECT_FALSE(watch.on_lines());
}

TEST(LocalTransport, AFollowedLogThatCannotBeOpenedIsDownUntilItAppears) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string path = dir.file("later.log");
  Collector c;
  StreamSpec log{"log:" + path, "exec tail -n 0 -F -- '" + path + "'", 0s, true};
  log.follows_file = true;
  auto t = make_local_transport(node_with({log}), c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.saw_status(log.name, NodeState::down, "cannot open"); }))
      << c.describe();
  EXPECT_TRUE(c.saw_status(log.name, NodeState::down, "No such file or directory")) << c.describe();
  std::ofstream(path) << "first line\n";
  EXPECT_TRUE(c.wait_for([&] {
    return !c.lines.empty() && c.statuses.back().state == NodeState::up;
  })) << c.describe();
  t->stop();
  EXPECT_EQ(c.lines, std::vector<std::string>{"first line"});
}

TEST(LocalTransport, StderrOfAStreamThatFollowsNoFileChangesNoState) {
  // The control for the test above: the same words from a sampler are kept for its exit
  // report only.
  Collector c;
  auto t = make_local_transport(
      node_with({{"s", std::string("printf %s \"") + kCannotOpen + "\" >&2; echo tick; sleep 5", 0s,
                  false}}),
      c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return !c.lines.empty(); })) << c.describe();
  c.wait_for([] { return false; }, 300ms); // what it reports after the line
  t->stop();
  EXPECT_FALSE(c.saw_status("s", NodeState::down, "cannot open")) << c.describe();
}

std::vector<std::string> feed_all(FollowPosition &pos, std::vector<std::string_view> chunks) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  for (auto c : chunks) pos.feed(c, splitter, lines);
  return lines;
}

TEST(FollowPosition, TheOffsetLineIsTakenOutAndEachWholeLineMovesThePosition) {
  FollowPosition pos("'/x.log'");
  EXPECT_FALSE(pos.resume_at());
  pos.starting();
  // The offset line (inode 77, offset 120) split over reads, a line, a partial line.
  EXPECT_EQ(feed_all(pos, {"\03677 12", "0 0\nfirst\nsec", "ond\nthi"}),
            (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(pos.resume_at(), 120u + 6u + 7u) << "after \"second\\n\", not the partial line";
  EXPECT_NE(pos.command().find("[ \"$s\" -ge 133 ] && [ \"$i\" = 77 ]"), std::string::npos)
      << pos.command();
}

// The bytes between the resumed offset and the file's size at the start were written before
// it: their lines are read back (their arrival is not their time); a line that ends after
// them is live.
TEST(FollowPosition, LinesWrittenBeforeTheStartAreReadBack) {
  FollowPosition pos("'/x.log'");
  pos.starting();
  // Offset 100, no check bytes, the file 128 bytes long: two lines of 14 bytes to read back.
  EXPECT_EQ(feed_all(pos, {"\03677 100 0 128\n", "read back one\nread ba", "ck two\nlive\n"}),
            (std::vector<std::string>{"read back one", "read back two", "live"}));
  EXPECT_EQ(pos.take_backfilled(), 2u);
  EXPECT_EQ(feed_all(pos, {"live too\n"}), std::vector<std::string>{"live too"});
  EXPECT_EQ(pos.take_backfilled(), 0u);

  pos.starting(); // the size mid-line (a line being written at the start): that line is live
  EXPECT_EQ(feed_all(pos, {"\03677 100 0 120\n", "read back one\nhalf wr", "itten\n"}),
            (std::vector<std::string>{"read back one", "half written"}));
  EXPECT_EQ(pos.take_backfilled(), 1u);

  pos.starting(); // the first start, at the end, and a command without the size: none
  EXPECT_EQ(feed_all(pos, {"\03677 100 0 100\n", "new\n"}), std::vector<std::string>{"new"});
  EXPECT_EQ(pos.take_backfilled(), 0u);
  pos.starting();
  EXPECT_EQ(feed_all(pos, {"\03677 100 0\n", "new\n"}), std::vector<std::string>{"new"});
  EXPECT_EQ(pos.take_backfilled(), 0u);
}

// What the node's cksum prints is what the restart compares: the real cksum on the same bytes.
TEST(FollowPosition, PosixCksumIsTheNodesCksum) {
  for (const std::string bytes : {std::string(), std::string("a"), std::string("first\nsecond\n"),
                                  std::string(300, 'x') + "\n", std::string("\0\xff\n", 3)}) {
    char name[] = "/tmp/ct-cksum-XXXXXX";
    const int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
    std::string out;
    FILE *p = ::popen(("cksum < " + std::string(name)).c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[128];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
    std::remove(name);
    EXPECT_EQ(out, fmt::format("{} {}\n", posix_cksum(bytes), bytes.size())) << bytes.size();
  }
}

// A login shell that greets on stdout (an echo in .zshenv): its lines are passed on and the
// offset line is found after them.
TEST(FollowPosition, TheOffsetLineIsFoundAfterAShellsGreeting) {
  FollowPosition pos("'/x.log'");
  pos.starting();
  const std::string long_greeting(100, 'g');
  EXPECT_EQ(feed_all(pos, {"Last login: today\n", long_greeting, "\n\0369 40 0\nlog line\n"}),
            (std::vector<std::string>{"Last login: today", long_greeting, "log line"}));
  EXPECT_EQ(pos.resume_at(), 49u);
}

TEST(FollowPosition, OutputWithoutTheOffsetLineIsAllLogAndThePositionUnknown) {
  FollowPosition pos("'/x.log'");
  for (const std::string_view first : {"no offset\n", "\0367 8\n", "\036 7 8 0\n", "\0367 8 \n",
                                       "\0367 8 9 1\n", "\0367x 8 0\n", "\0367 8 9\n"}) {
    pos.starting();
    EXPECT_EQ(feed_all(pos, {first, "here\n"}),
              (std::vector<std::string>{std::string(first.substr(0, first.size() - 1)), "here"}))
        << first;
    EXPECT_FALSE(pos.resume_at()) << first;
  }
  pos.starting();
  const std::string long_line(100, '7');
  EXPECT_EQ(feed_all(pos, {"\036", long_line, "\n"}),
            (std::vector<std::string>{"\036" + long_line}));
  EXPECT_FALSE(pos.resume_at()) << "too long for an offset line";
  EXPECT_EQ(pos.command().find("-ge"), std::string::npos) << "from the end again";
}

// What tail says on stderr, through the stream's StreamFollow, as a transport hands it over.
void tail_says(StreamFollow &follow, const std::string &line) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  follow.stderr_bytes(
      line + "\n", [](NodeState, const std::string &) {}, splitter, lines);
}

TEST(FollowPosition, TailSayingItSwitchedFilesLosesTheTrack) {
  // GNU tail's words, as `tail -c +1 -F -- /tmp/tt/x` (coreutils 9.1) wrote them here while
  // x was renamed, created again and truncated.
  for (const char *said :
       {"tail: '/tmp/tt/x' has appeared;  following new file", "tail: /tmp/tt/x: file truncated"}) {
    FollowPosition pos("'/tmp/tt/x'");
    StreamFollow follow;
    follow.attach(&pos);
    follow.starting();
    (void)feed_all(pos, {"\0365 0 0\n", "a line\n"});
    ASSERT_EQ(pos.resume_at(), 7u);
    tail_says(follow, "tail: '/tmp/tt/x' has become inaccessible: No such file or directory");
    EXPECT_EQ(pos.resume_at(), 7u) << "gone is not yet switched";
    tail_says(follow, said);
    EXPECT_FALSE(pos.resume_at()) << said;
    (void)feed_all(pos, {"more\n"});
    EXPECT_FALSE(pos.resume_at()) << "until the next start's offset line";
  }
}

// The standard output of a shell line, up to its first line when `first_line`.
std::string shell_output(const std::string &shell_line, bool first_line = false) {
  std::string out;
  FILE *p = ::popen(shell_line.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    out += buf;
    if (first_line && !out.empty() && out.back() == '\n') break;
  }
  ::pclose(p);
  return out;
}

// The command itself, run by /bin/sh on a real file: the offset line says where tail starts.
std::string first_output_line(const std::string &command) {
  return shell_output("timeout 1 /bin/sh -c " + shell_quote(command), true);
}

std::string inode_of(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? std::to_string(st.st_ino) : "?";
}

TEST(FollowPosition, TheCommandResumesOnlyInTheSameFileAtLeastAsLong) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string path = dir.file("it's *.log");
  std::ofstream(path) << "0123456789\n";
  const std::string ino = inode_of(path);
  FollowPosition pos(shell_quote(path));
  EXPECT_EQ(first_output_line(pos.command()), "\036" + ino + " 11 11 11\n")
      << "the first start: the end";
  pos.starting();
  (void)feed_all(pos, {"\036" + ino + " 4 4\n", "0123456789\n"}); // as if it had started at 4
  ASSERT_EQ(pos.resume_at(), 11u);
  std::ofstream(path, std::ios::app) << "written during the outage\n";
  EXPECT_EQ(first_output_line(pos.command()), "\036" + ino + " 11 11 37\n")
      << "on from the last line; 26 bytes to read back";
  std::ofstream(path, std::ios::trunc) << "cut\n"; // copytruncate: same file, shorter
  EXPECT_EQ(first_output_line(pos.command()), "\036" + ino + " 4 4 4\n") << "shorter: its end";
  std::rename(path.c_str(), (path + ".1").c_str()); // logrotate: a new file in its place
  std::ofstream(path) << "a new file, longer than eleven bytes\n";
  EXPECT_EQ(first_output_line(pos.command()), "\036" + inode_of(path) + " 37 37 37\n")
      << "another file: its end";
  std::remove(path.c_str());
  EXPECT_EQ(first_output_line(pos.command()), "\0360 0 0 0\n") << "a missing file";
}

// A file that exists but cannot be read: no position (offset 0 would later read it all from
// its start once readable, and old crashes would alert again). Run as nobody: root reads all.
TEST(FollowPosition, AFileThatCannotBeReadHasNoPosition) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  ::chmod(dir.path.c_str(), 0755);
  const std::string path = dir.file("secret.log");
  std::ofstream(path) << "old crash 1\nold crash 2\n";
  ::chmod(path.c_str(), 0);
  FollowPosition pos(shell_quote(path));
  const std::string as_nobody =
      "timeout 2 setpriv --reuid=nobody --regid=nogroup --clear-groups /bin/sh -c " +
      shell_quote(pos.command());
  EXPECT_EQ(shell_output(as_nobody + " 2>/dev/null", true), "\036u\n");
  pos.starting();
  (void)feed_all(pos, {"\036u\n"});
  EXPECT_FALSE(pos.resume_at());
  EXPECT_EQ(pos.command().find("-ge"), std::string::npos) << "the next start: the end";
}

// An offset no file has (from a hostile or broken node) is no position: put into the next
// start's command, it wrapped (n - 64 in unsigned arithmetic) and overflowed the shell's.
TEST(FollowPosition, AnOffsetNoFileHasIsNoPosition) {
  FollowPosition pos("/x.log");
  pos.starting();
  // Its 3 bytes before the offset ("xx\n") are dropped as a start's always are.
  const auto lines = feed_all(pos, {"\0367 9223372036854775807 3\nxx\nnext\n"});
  EXPECT_FALSE(pos.resume_at());
  EXPECT_EQ(pos.command().find("-ge"), std::string::npos) << "the next start: the end";
  EXPECT_EQ(pos.command().find("922337203685477"), std::string::npos) << pos.command();
  EXPECT_EQ(lines, std::vector<std::string>{"next"});
}

// A device never ends (tail read /dev/zero at a full core on the node): refused with a reason.
TEST(FollowPosition, ADeviceIsRefused) {
  FollowPosition pos("/dev/zero");
  EXPECT_EQ(
      shell_output("timeout 5 /bin/sh -c " + shell_quote(pos.command()) + " 2>&1; echo rc=$?"),
      "clustertop: cannot follow a device: /dev/zero\nrc=1\n");
}

// A FIFO passes its lines on only when its writer closes it, and takes them from its other
// reader: refused with a reason, the stream down.
TEST(FollowPosition, AFifoIsRefused) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string fifo = dir.file("engine.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  FollowPosition pos(fifo);
  EXPECT_EQ(
      shell_output("timeout 5 /bin/sh -c " + shell_quote(pos.command()) + " 2>&1; echo rc=$?"),
      "clustertop: cannot follow a FIFO (its lines come only when its writer closes it, and are "
      "taken from its other reader): " +
          fifo + "\nrc=1\n");
}

// A copytruncate during an outage that the file outgrew again before the restart: same inode,
// longer than the offset, but other bytes before it. Resuming there would cut a line.
TEST(FollowPosition, AFileThatWasTruncatedAndGrewBackIsReadFromItsEnd) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string path = dir.file("grow.log");
  std::ofstream(path) << "";
  const std::string ino = inode_of(path);
  FollowPosition pos(shell_quote(path));
  pos.starting();
  (void)feed_all(pos, {"\036" + ino + " 0 0\n", "G-before-0123456789\n"});
  ASSERT_EQ(pos.resume_at(), 20u);
  std::ofstream(path) << "G-before-0123456789\n"
                      << "more\n"; // the same bytes, and more
  EXPECT_EQ(first_output_line(pos.command()), "\036" + ino + " 20 20 25\n")
      << "same bytes: resumes";
  std::ofstream(path, std::ios::trunc) << "G-new-line-1-abcdefghij\nG-new-line-2-abcdefghij\n";
  EXPECT_EQ(inode_of(path), ino);
  EXPECT_EQ(first_output_line(pos.command()), "\036" + ino + " 48 48 48\n")
      << "other bytes: the end";
}

// A quiet log (nothing read before the drop) that was copytruncated and outgrew its old size:
// the bytes before the offset came with the start, so the check has them.
TEST(FollowPosition, AQuietLogIsCheckedToo) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string path = dir.file("q.log");
  std::string old;
  for (int i = 1; i <= 20; ++i) old += fmt::format("old line {}\n", i);
  std::ofstream(path) << old;
  const std::string ino = inode_of(path);
  FollowPosition pos(shell_quote(path));
  const std::string size = std::to_string(old.size());
  ASSERT_EQ(first_output_line(pos.command()), "\036" + ino + " " + size + " 64 " + size + "\n");
  pos.starting();
  (void)feed_all(pos, {"\036" + ino + " " + size + " 64\n", old.substr(old.size() - 64)});
  ASSERT_EQ(pos.resume_at(), old.size());
  std::ofstream(path, std::ios::app) << "new\n";
  EXPECT_EQ(first_output_line(pos.command()),
            "\036" + ino + " " + size + " 64 " + std::to_string(old.size() + 4) + "\n")
      << "the same file: resumes";
  std::string regrown;
  for (int i = 1; i <= 40; ++i) regrown += fmt::format("regrown line number {} xx\n", i);
  std::ofstream(path, std::ios::trunc) << regrown;
  EXPECT_EQ(first_output_line(pos.command()), "\036" + ino + " " + std::to_string(regrown.size()) +
                                                  " 64 " + std::to_string(regrown.size()) + "\n")
      << "other bytes before the offset: the end";
}

// A line longer than the splitter's limit that was half written at the drop: its cut first
// part was passed on, so the restart does not pass it on again.
TEST(FollowPosition, ALineCutAtTheLimitIsNotPassedOnAgain) {
  FollowPosition pos("'/x.log'");
  LineSplitter splitter(16);
  std::vector<std::string> lines;
  pos.starting();
  pos.feed("\0367 0 0\nshort\nLONGLINE-START-xxxxxxxx", splitter, lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"short", "LONGLINE-START-x"}));
  pos.ended(splitter);
  ASSERT_EQ(pos.resume_at(), 6u + 23u) << "after what was read of the cut line";
  LineSplitter fresh(16);
  lines.clear();
  pos.starting();
  pos.feed("\0367 29 0\nyyyy END\nnext\n", fresh, lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"next"}));
}

// A file missing at the start is read from its first byte when it appears: the count is its
// offset, and a crash written during a later outage is read.
TEST(FollowPosition, AFileThatAppearsAfterTheStartKeepsItsPosition) {
  FollowPosition pos("'/x.log'");
  StreamFollow follow;
  follow.attach(&pos);
  follow.starting();
  (void)feed_all(pos, {"\0360 0 0\n"});
  tail_says(follow, "tail: '/x.log' has appeared;  following new file");
  (void)feed_all(pos, {"late-1\n"});
  EXPECT_EQ(pos.resume_at(), 7u);
  tail_says(follow, "tail: '/x.log' has been replaced;  following new file");
  EXPECT_FALSE(pos.resume_at()) << "a second switch is another file";
}

// Sends SIGTERM to every `tail` whose command line names `path`; how many there were.
int kill_tail_of(const std::string &path) {
  int killed = 0;
  for (const auto &entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmdline.rfind(std::string("tail\0", 5), 0) == 0 &&
        cmdline.find(path) != std::string::npos && ::kill(std::stoi(pid), SIGTERM) == 0)
      ++killed;
  }
  return killed;
}

TEST(LocalTransport, ARestartedTailGoesOnFromTheLastLineRead) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string path = dir.file("exo.log");
  std::ofstream(path) << "before the start\n";
  StreamSpec log{"log:" + path, "", 0s, true};
  log.follows_file = true;
  log.resume_path = shell_quote(path);
  log.command = FollowPosition(log.resume_path).command();
  Collector c;
  LocalOptions slow_restart; // a gap long enough to write into
  slow_restart.restart_min = 1500ms;
  slow_restart.restart_max = 1500ms;
  auto t = make_local_transport(node_with({log}), c.queue, slow_restart);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.saw_status(log.name, NodeState::up, "running"); }));
  std::this_thread::sleep_for(300ms); // tail has opened the file
  std::ofstream(path, std::ios::app) << "one\n";
  ASSERT_TRUE(c.wait_for([&] { return c.lines.size() == 1; })) << c.describe();
  std::ofstream(path, std::ios::app) << "two and a ha";
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(kill_tail_of(path), 1);
  ASSERT_TRUE(c.wait_for([&] { return c.saw_status(log.name, NodeState::down, "restarting"); }))
      << c.describe();
  std::ofstream(path, std::ios::app) << "lf\nwritten while no tail ran\n";
  EXPECT_TRUE(c.wait_for([&] { return c.lines.size() >= 3; }, 5s)) << c.describe();
  c.wait_for([] { return false; }, 300ms);
  t->stop();
  EXPECT_EQ(c.lines,
            (std::vector<std::string>{"one", "two and a half", "written while no tail ran"}));
  EXPECT_EQ(c.read_back, (std::vector<std::string>{"two and a half", "written while no tail ran"}))
      << "written before the restart: read back, not live";
}

// A rename rotation: the old file's unfinished last line ends where tail says it follows the
// new file; it was glued to the new file's first line, whose parser then read the old line's
// time and level.
TEST(LocalTransport, AnUnfinishedLineEndsAtARenameRotation) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string path = dir.file("exo.log");
  std::ofstream(path) << "";
  StreamSpec log{"log:" + path, "", 0s, true};
  log.follows_file = true;
  log.resume_path = shell_quote(path);
  log.command = FollowPosition(log.resume_path).command();
  Collector c;
  auto t = make_local_transport(node_with({log}), c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.saw_status(log.name, NodeState::up, "running"); }));
  std::this_thread::sleep_for(300ms); // tail has opened the file
  std::ofstream(path, std::ios::app) << "one\nold and unfinished";
  ASSERT_TRUE(c.wait_for([&] { return c.lines.size() == 1; })) << c.describe();
  std::this_thread::sleep_for(300ms);
  std::filesystem::rename(path, path + ".1");
  std::ofstream(path) << "new first\n";
  EXPECT_TRUE(c.wait_for([&] { return c.lines.size() >= 3; }, 8s)) << c.describe();
  t->stop();
  EXPECT_EQ(c.lines, (std::vector<std::string>{"one", "old and unfinished", "new first"}));
}

// A burst larger than the queue holds (6 M lines appended at once, the pipeline behind) is
// waited out, not dropped: whole batches of a followed log were lost without a word.
TEST(LocalTransport, ABurstLargerThanTheQueueLosesNoLine) {
  Collector c(1000);
  auto t = make_local_transport(node_with({{"s", "seq 1 20000; sleep 30", 0s, true}}), c.queue);
  t->start();
  // A slow reader: the queue holds a batch whenever the next one comes.
  for (const auto until = wall_now() + 20s; c.lines.size() < 20000 && wall_now() < until;) {
    std::this_thread::sleep_for(20ms);
    c.wait_for([] { return true; }, 10ms);
  }
  t->stop();
  ASSERT_EQ(c.lines.size(), 20000u);
  for (std::size_t i = 0; i < c.lines.size(); ++i)
    ASSERT_EQ(c.lines[i], std::to_string(i + 1)) << i;
  EXPECT_EQ(c.queue.dropped_lines(), 0u);
}

// A stream that keeps dying (a log path that is a directory: tail exits at once) stays down:
// each restart's "up, running" reset its stream_down's `for`, which then took 13 s to fire.
TEST(LocalTransport, AStreamThatKeepsDyingIsNotUpAtEachRestart) {
  Collector c;
  auto t = make_local_transport(node_with({{"s", "echo dying >&2; exit 1", 0s, true}}), c.queue,
                                fast_restart());
  t->start();
  int downs = 0;
  ASSERT_TRUE(c.wait_for([&] {
    downs = 0;
    for (const auto &s : c.statuses) downs += s.stream == "s" && s.state == NodeState::down;
    return downs >= 4;
  })) << c.describe();
  t->stop();
  int ups = 0;
  for (const auto &s : c.statuses) ups += s.stream == "s" && s.state == NodeState::up;
  EXPECT_EQ(ups, 1) << "the first start only\n" << c.describe();
}

// A restarted stream that keeps running, or prints, is up again.
TEST(LocalTransport, ARestartedStreamIsUpOnceItPrints) {
  Collector c;
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string flag = dir.file("ran");
  auto t = make_local_transport(
      node_with({{"s",
                  "if [ -e " + flag + " ]; then sleep 0.5; echo back; exec sleep 30; fi; touch " +
                      flag + "; exit 1",
                  0s, true}}),
      c.queue, fast_restart());
  t->start();
  EXPECT_TRUE(c.wait_for([&] { return !c.lines.empty(); })) << c.describe();
  c.wait_for([] { return false; }, 200ms);
  t->stop();
  std::vector<std::string> states;
  for (const auto &s : c.statuses)
    if (s.stream == "s") states.push_back(to_string(s.state));
  EXPECT_EQ(states, (std::vector<std::string>{"up", "down", "up"})) << c.describe();
}

TEST(LocalTransport, StreamsCompleteLinesInOrder) {
  Collector c;
  auto t = make_local_transport(
      node_with({{"s", "printf 'a\\nb'; sleep 0.2; printf 'c\\nd\\n'; sleep 5", 0s, false}}),
      c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.lines.size() >= 3; }));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a", "bc", "d"}));
  t->stop();
}

// A stream's command gets its own three descriptors only: not another stream's pipes, an
// ssh node's sockets or files clustertop holds open.
TEST(LocalTransport, AStreamInheritsNoDescriptorButItsStandardOnes) {
  const int held = ::open("/dev/null", O_RDONLY); // no close-on-exec, as libssh's sockets
  ASSERT_GE(held, 3);
  Collector c;
  auto t = make_local_transport(node_with({{"s", "ls /proc/$$/fd; echo end; sleep 5", 0s, false}}),
                                c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return !c.lines.empty() && c.lines.back() == "end"; }))
      << c.describe();
  t->stop();
  ::close(held);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"0", "1", "2", "end"}));
}

TEST(LocalTransport, ExitIsReportedWithStderrAndTheStreamRestarts) {
  Collector c;
  auto t = make_local_transport(
      node_with({{"s", "echo run; echo 'boom happened' >&2; exit 3", 0s, true}}), c.queue,
      fast_restart());
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.lines.size() >= 3; }));
  t->stop();
  EXPECT_TRUE(c.saw_status("s", NodeState::down, "exited with status 3: boom happened"));
  EXPECT_TRUE(c.saw_status("s", NodeState::down, "restarting in"));
}

TEST(LocalTransport, MissingCommandSaysSo) {
  Collector c;
  auto t = make_local_transport(node_with({{"s", "exec /nonexistent/collector-tool", 0s, false}}),
                                c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.saw_status("s", NodeState::down, "127"); }))
      << c.describe();
  t->stop();
  EXPECT_TRUE(c.saw_status("s", NodeState::down, "not found")) << c.describe();
}

TEST(LocalTransport, ReasonSurvivesANewlineWrittenSeparately) {
  // dash writes "exec: ...: not found" and its newline in two writes; under load they arrive
  // in two reads, and the newline alone must not erase the reason.
  Collector c;
  auto t = make_local_transport(
      node_with({{"s", "printf 'tool: not found' >&2; sleep 0.3; printf '\\n' >&2; exit 127", 0s,
                  false}}),
      c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.saw_status("s", NodeState::down, "127"); }))
      << c.describe();
  t->stop();
  EXPECT_TRUE(c.saw_status("s", NodeState::down, "exited with status 127: tool: not found"))
      << c.describe();
}

TEST(LocalTransport, StopLeavesNoProcessBehind) {
  Collector c;
  // A quiet background grandchild that would survive a naive kill of the shell.
  auto t = make_local_transport(
      node_with({{"s", "sleep 1000 & echo $!; sleep 1000 | cat; wait", 0s, false}}), c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return !c.lines.empty(); }));
  const pid_t grandchild = std::stoi(c.lines[0]);
  EXPECT_TRUE(process_alive(grandchild));
  t->stop();
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(process_alive(grandchild)) << "pid " << grandchild << " outlived stop()";
}

TEST(LocalTransport, WatchdogMarksASilentStreamStaleAndUpAgain) {
  Collector c;
  auto t = make_local_transport(
      node_with({{"s", "echo 1; sleep 1.5; echo 2; sleep 100", 1s, false}}), c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return c.lines.size() >= 2; }));
  t->stop();
  EXPECT_TRUE(c.saw_status("s", NodeState::stale, "no output for"));
  EXPECT_TRUE(c.saw_status("s", NodeState::up, "output resumed"));
}

TEST(LocalTransport, ProbeOutputChoosesTheStreams) {
  Collector c;
  NodeSpec n;
  n.name = "local";
  n.probe_command = "echo probe-os Linux";
  n.parse_probe = [](const std::string &out) {
    Platform p;
    p.os = out.find("Linux") != std::string::npos ? "Linux" : "?";
    return p;
  };
  n.plan = [](const Platform &p) {
    return std::vector<StreamSpec>{{"os", "echo " + p.os + "; sleep 5", 0s, false}};
  };
  auto t = make_local_transport(n, c.queue);
  t->start();
  ASSERT_TRUE(c.wait_for([&] { return !c.lines.empty(); }));
  t->stop();
  EXPECT_EQ(c.lines[0], "Linux");
}

TEST(LocalTransport, RestartDelayBacksOffWithJitterAndCap) {
  EXPECT_EQ(restart_delay(1s, 30s, 0, 0.5), 1s);
  EXPECT_EQ(restart_delay(1s, 30s, 3, 0.5), 8s);
  EXPECT_EQ(restart_delay(1s, 30s, 20, 0.5), 30s);
  EXPECT_LT(restart_delay(1s, 30s, 0, 0.0), 1s);
  EXPECT_GT(restart_delay(1s, 30s, 0, 0.99), 1s);
}

} // namespace
} // namespace clustertop
