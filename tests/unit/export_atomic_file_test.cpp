#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clustertop/sink/atomic_file.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;

class ExportAtomicFile : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "clustertop-atomic-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto &e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  void put(const fs::path &p, const std::string &content) const {
    std::ofstream(p, std::ios::binary) << content;
  }

  fs::path dir_;
};

TEST_F(ExportAtomicFile, WritesAndReplacesWithoutLeavingTemporaryFiles) {
  const auto target = dir_ / "out.csv";
  ASSERT_TRUE(write_file_atomic(target.string(), "first\n").ok());
  EXPECT_EQ(read(target), "first\n");
  ASSERT_TRUE(write_file_atomic(target.string(), "second\n").ok());
  EXPECT_EQ(read(target), "second\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.csv"});
}

TEST_F(ExportAtomicFile, RefusesASymlinkAndLeavesLinkAndTargetAlone) {
  const auto real = dir_ / "precious.txt";
  put(real, "precious");
  fs::create_symlink(real, dir_ / "link.csv");
  const Status st = write_file_atomic((dir_ / "link.csv").string(), "overwritten");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("symbolic link"), std::string::npos) << st.error().message();
  EXPECT_EQ(read(real), "precious");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.csv"));
  EXPECT_EQ(entries(), (std::vector<std::string>{"link.csv", "precious.txt"}));
}

TEST_F(ExportAtomicFile, RefusesADanglingSymlinkInsteadOfCreatingItsTarget) {
  fs::create_symlink(dir_ / "elsewhere", dir_ / "dangling.csv");
  EXPECT_FALSE(write_file_atomic((dir_ / "dangling.csv").string(), "x").ok());
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
}

TEST_F(ExportAtomicFile, RefusesADirectoryAndAMissingDirectoryWithClearErrors) {
  fs::create_directory(dir_ / "sub");
  Status st = write_file_atomic((dir_ / "sub").string(), "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("not a regular file"), std::string::npos);
  st = write_file_atomic((dir_ / "nosuch" / "out.csv").string(), "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("cannot open the output directory"), std::string::npos);
  EXPECT_NE(st.error().message().find("No such file"), std::string::npos);
}

// A real write failure from the kernel: RLIMIT_FSIZE makes write() fail with EFBIG once the
// file would grow past the limit (root is not exempt, unlike a read-only directory). It runs
// in a child process so the limit never touches the test runner.
TEST_F(ExportAtomicFile, AFailedWriteKeepsTheExistingFileIntact) {
  const auto target = dir_ / "keep.csv";
  put(target, "old content\n");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(3);
    const Status st = write_file_atomic(target.string(), std::string(1 << 20, 'x'));
    if (st.ok()) ::_exit(1);
    ::_exit(st.error().message().find("cannot write the output file") != std::string::npos ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: write succeeded, 2: unclear message, 3: no setrlimit";
  EXPECT_EQ(read(target), "old content\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"keep.csv"});
}

} // namespace
} // namespace clustertop
