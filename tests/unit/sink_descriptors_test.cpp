// What the sinks do when the process is out of descriptors, with the real failure: the
// soft RLIMIT_NOFILE filled with real dup()s. And the HTTP server's share of descriptors.
#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "clustertop/sink/csv_sink.hpp"
#include "clustertop/sink/hook_runner.hpp"
#include "clustertop/sink/http_server.hpp"
#include "clustertop/store/store.hpp"

// The sanitizers' runtime opens descriptors of its own (UBSan probes memory through a pipe
// when it checks a call's dynamic type), so a process out of them cannot be tested under
// it: the checks fail inside the runtime, not in the code tested. The plain build runs them.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

namespace clustertop {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Takes every descriptor the process may still open (a soft RLIMIT_NOFILE of at most 1024
// for the test's span), and gives them back when destroyed.
class NoDescriptorsLeft {
public:
  NoDescriptorsLeft() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 1024);
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (int fd = ::dup(2); fd >= 0; fd = ::dup(2)) held_.push_back(fd);
    errno_ = errno;
  }
  ~NoDescriptorsLeft() { give_back(); }
  NoDescriptorsLeft(const NoDescriptorsLeft &) = delete;
  NoDescriptorsLeft &operator=(const NoDescriptorsLeft &) = delete;
  void give_back() {
    for (int fd : held_) ::close(fd);
    held_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  [[nodiscard]] int error() const { return errno_; }

private:
  rlimit saved_{};
  std::vector<int> held_;
  int errno_ = 0;
};

AlertTransition crash_transition() {
  return AlertTransition{
      Finding{"crash", "mac2", "abort", Severity::critical, 1.0, 1.0, "terminating"},
      AlertState::firing, from_epoch_seconds(100), from_epoch_seconds(101)};
}

class SinkDescriptors : public ::testing::Test {
protected:
  void SetUp() override {
    if (kSanitized) GTEST_SKIP() << "out of descriptors is not testable under the sanitizers";
    std::string tmpl = (fs::temp_directory_path() / "clustertop-fderr-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
  Store store_;
  std::vector<Finding> firing_;
  TickContext ctx_at(TimePoint now) { return TickContext{store_, firing_, now}; }
};

std::size_t count(const std::string &text, const std::string &what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A hook that cannot be started (no descriptor for its stdin pipe) was dropped without a
// word: it is said on stderr with the reason, and started at a later tick once descriptors
// are free again.
TEST_F(SinkDescriptors, AHookThatCannotStartIsSaidAndStartedOnceDescriptorsReturn) {
  const fs::path out = dir_ / "ran";
  HookRunner hook("echo \"$CLUSTERTOP_STATE\" > '" + out.string() + "'", 5s);
  ::testing::internal::CaptureStderr();
  {
    NoDescriptorsLeft full;
    ASSERT_EQ(full.error(), EMFILE);
    hook.on_transition(crash_transition(), ctx_at(from_epoch_seconds(101)));
    hook.on_tick(ctx_at(from_epoch_seconds(102))); // still none: no second message
  }
  hook.on_tick(ctx_at(from_epoch_seconds(103)));
  hook.flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(err, "--on-alert hook for crash on mac2[abort] firing not started"), 1u) << err;
  EXPECT_NE(err.find("Too many open files"), std::string::npos) << err;
  EXPECT_NE(err.find("started late"), std::string::npos) << err;
  EXPECT_EQ(hook.started(), 1u);
  std::ifstream in(out);
  std::string state;
  in >> state;
  EXPECT_EQ(state, "firing");
}

// One that never can is given up after its retry time, and that is said too.
TEST_F(SinkDescriptors, AHookThatNeverStartsIsGivenUpAndSaid) {
  HookRunner hook("true", 5s, 16, 200ms);
  ::testing::internal::CaptureStderr();
  {
    NoDescriptorsLeft full;
    hook.on_transition(crash_transition(), ctx_at(from_epoch_seconds(101)));
    hook.on_tick(ctx_at(from_epoch_seconds(102)));
    std::this_thread::sleep_for(250ms);
    hook.on_tick(ctx_at(from_epoch_seconds(103)));
  }
  hook.on_tick(ctx_at(from_epoch_seconds(116)));
  hook.flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("--on-alert hook for crash on mac2[abort] firing not run"), std::string::npos)
      << err;
  EXPECT_EQ(hook.started(), 0u);
}

// The --csv-on-alert file that could not be created for want of a descriptor is written at
// the next tick that can (it was reported, and lost).
TEST_F(SinkDescriptors, AnAlertSnapshotThatFoundNoDescriptorIsWrittenAtALaterTick) {
  store_.add(Sample{"mac2", "gpu.power_w", "", 20, from_epoch_seconds(100)});
  CsvSinkOptions o;
  o.dir = dir_.string();
  o.on_alert = true;
  std::vector<std::string> errors;
  o.on_error = [&](const Error &e) { errors.push_back(e.message()); };
  auto sink = CsvSink::create(store_, o);
  ASSERT_TRUE(sink.ok());
  {
    NoDescriptorsLeft full;
    (*sink)->on_transition(crash_transition(), ctx_at(from_epoch_seconds(101)));
    (*sink)->on_tick(ctx_at(from_epoch_seconds(102)));
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("Too many open files"), std::string::npos) << errors[0];
  EXPECT_EQ((*sink)->snapshots_written(), 0u);
  (*sink)->on_tick(ctx_at(from_epoch_seconds(103)));
  EXPECT_EQ((*sink)->snapshots_written(), 1u);
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_NE(names[0].find("-alert"), std::string::npos) << names[0];
  (*sink)->on_tick(ctx_at(from_epoch_seconds(104)));
  EXPECT_EQ((*sink)->snapshots_written(), 1u); // once
}

// The HTTP server's share of the descriptors: half of those free when it starts, at most
// `most`, at least one; no limit leaves `most`.
TEST(SinkHttpConnectionCap, HalfOfTheFreeDescriptorsAtMost256) {
  EXPECT_EQ(http_connection_cap(256, 20, 256), 118u);  // macOS's default soft limit
  EXPECT_EQ(http_connection_cap(1024, 24, 256), 256u); // Linux's
  EXPECT_EQ(http_connection_cap(64, 20, 256), 22u);    // a tight one
  EXPECT_EQ(http_connection_cap(20, 20, 256), 1u);     // none free: one at a time
  EXPECT_EQ(http_connection_cap(10, 20, 256), 1u);     // over the limit already
  EXPECT_EQ(http_connection_cap(RLIM_INFINITY, 20, 256), 256u);
}

} // namespace
} // namespace clustertop
