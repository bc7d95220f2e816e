// `record` (or --record) names a directory a run creates when missing: check_settings must
// refuse what the run's create_directories would (it passed any missing path, and the run
// then exited 3 "cannot create the recording directory" after check-config said OK).
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clustertop/config/cli.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/run_settings.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;

std::optional<SettingsProblem> from_file(const std::string &record) {
  auto c = parse_config("[sinks]\nrecord = \"" + record + "\"\n", "c.toml");
  EXPECT_TRUE(c.ok());
  const char *argv[] = {"clustertop"};
  return check_settings(merge_settings(parse_command_line(1, argv).options, *c), c->places);
}

std::optional<SettingsProblem> from_flag(const std::string &record) {
  const char *argv[] = {"clustertop", "--record", record.c_str()};
  return check_settings(merge_settings(parse_command_line(3, argv).options, Config{}), {});
}

// A directory of this test's own, reachable by any user (for the unprivileged child below).
class Scratch {
public:
  Scratch() {
    path_ = fs::temp_directory_path() / ("clustertop_record_" + std::to_string(::getpid()));
    fs::create_directories(path_);
    fs::permissions(path_, fs::perms(0755));
  }
  ~Scratch() {
    std::error_code ec;
    fs::permissions(path_ / "ro", fs::perms(0755), ec);
    fs::remove_all(path_);
  }
  [[nodiscard]] std::string str() const { return path_.string(); }

private:
  fs::path path_;
};

TEST(RunSettingsRecord, AMissingPathUnderAWritableDirectoryIsFine) {
  Scratch dir;
  EXPECT_FALSE(from_file(dir.str() + "/rec/deeper").has_value());
  EXPECT_FALSE(from_flag(dir.str() + "/rec").has_value());
  EXPECT_FALSE(fs::exists(dir.str() + "/rec"));   // a check creates nothing
  EXPECT_FALSE(from_file(dir.str()).has_value()); // an existing directory
}

// /proc/self cannot hold a directory: access(W_OK) says so even to root.
TEST(RunSettingsRecord, APathWhoseParentCannotHoldItIsRefused) {
  auto file = from_file("/proc/self/nope");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->exit_code, exit_code::config);
  EXPECT_EQ(file->error.what, "cannot use the record directory");
  EXPECT_NE(file->error.reason.find("/proc/self"), std::string::npos) << file->error.message();
  EXPECT_NE(file->error.help.find("record in [sinks] (c.toml:2)"), std::string::npos);
  // On the command line it is a bad command line, as a bad --csv-dir is.
  auto flag = from_flag("/proc/self/nope/deeper");
  ASSERT_TRUE(flag.has_value());
  EXPECT_EQ(flag->exit_code, exit_code::usage);
  EXPECT_NE(flag->error.help.find("--record"), std::string::npos);
}

TEST(RunSettingsRecord, APathThroughAFileIsRefused) {
  Scratch dir;
  std::ofstream(dir.str() + "/file") << "x";
  auto p = from_file(dir.str() + "/file/rec");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->error.reason, "Not a directory") << p->error.message();
  auto itself = from_file(dir.str() + "/file");
  ASSERT_TRUE(itself.has_value());
  EXPECT_EQ(itself->error.reason, "not a directory") << itself->error.message();
}

// Mode 0555 stops only an unprivileged writer (a run as root would succeed there too), so
// as root the check runs in a child that has become nobody (65534).
TEST(RunSettingsRecord, APathUnderAReadOnlyDirectoryIsRefused) {
  Scratch dir;
  const std::string ro = dir.str() + "/ro";
  ASSERT_EQ(::mkdir(ro.c_str(), 0555), 0);
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0); // whatever the umask
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(3);
    auto under = from_file(ro + "/rec/deeper");
    auto itself = from_file(ro); // exists, but no file can be made in it
    if (!under || !itself) ::_exit(1);
    const bool said = under->error.reason == "cannot create it in " + ro + ": Permission denied" &&
                      itself->error.reason == "Permission denied";
    ::_exit(said ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: passed, 2: another reason, 3: could not become nobody";
}

} // namespace
} // namespace clustertop
