// A --collectors-dir that cannot be listed is an error saying why: an unreadable one was
// taken for an empty one (exit 0, nothing loaded) and a missing one was "not a directory".
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "collect_test_util.hpp"

namespace clustertop {
namespace {

Result<std::shared_ptr<const CollectorSet>> load_dir(const std::string &dir) {
  std::vector<std::string> warnings;
  return CollectorSet::load({dir}, warnings);
}

TEST(CollectDefinitionDirs, AMissingDirectoryIsNamedMissing) {
  test::TempDir dir;
  const std::string missing = dir.str() + "/nope";
  auto set = load_dir(missing);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().where, missing);
  EXPECT_EQ(set.error().reason, "No such file or directory") << set.error().message();
  EXPECT_NE(set.error().help.find("--collectors-dir"), std::string::npos);
}

TEST(CollectDefinitionDirs, AFileOrAPathThroughAFileIsNotADirectory) {
  test::TempDir dir;
  dir.write("file.json", "{}");
  for (const auto &path : {dir.str() + "/file.json", dir.str() + "/file.json/sub"}) {
    auto set = load_dir(path);
    ASSERT_FALSE(set.ok()) << path;
    EXPECT_EQ(set.error().reason, "Not a directory") << set.error().message();
  }
}

// Mode 000 stops only an unprivileged reader, so as root the load runs in a child that has
// become nobody (65534); the child's exit code says what it saw.
TEST(CollectDefinitionDirs, AnUnreadableDirectoryIsAnError) {
  test::TempDir dir;
  const std::string locked = dir.str() + "/locked";
  ASSERT_EQ(::mkdir(locked.c_str(), 0755), 0);
  std::ofstream(locked + "/mine.json") << "{}"; // would be a broken definition, if read
  ASSERT_EQ(::chmod(locked.c_str(), 0), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(3);
    auto set = load_dir(locked);
    if (set.ok()) ::_exit(1);
    ::_exit(set.error().reason == "Permission denied" ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::chmod(locked.c_str(), 0755); // so that TempDir can remove it
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: loaded as if empty, 2: another reason, 3: could not become nobody";
}

} // namespace
} // namespace clustertop
