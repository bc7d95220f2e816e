#include "clustertop/sink/atomic_file.hpp"

#include "clustertop/core/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace clustertop {
namespace {

Error file_error(const std::string &path, std::string what, int err, std::string help = {}) {
  return Error{std::move(what), std::strerror(err), path, std::move(help), err};
}

// The target may be absent or a regular file; a symlink or anything else is refused, so a
// planted link can never redirect the write.
Status check_target(int dir_fd, const std::string &name, const std::string &path) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok_status();
    return file_error(path, "cannot inspect the output file", errno);
  }
  if (S_ISLNK(st.st_mode))
    return Error{"refusing to write through a symbolic link", "the output path is a symlink", path,
                 "remove the link or choose another output path"};
  if (!S_ISREG(st.st_mode))
    return Error{"refusing to replace the output path", "it is not a regular file", path,
                 "choose a file path, not a directory or device"};
  return ok_status();
}

Status write_all(int fd, std::string_view content, const std::string &path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return file_error(path, "cannot write the output file", errno,
                        "check free disk space, quotas and file size limits");
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0)
    return file_error(path, "cannot flush the output file to disk", errno,
                      "check free disk space and the file system");
  return ok_status();
}

std::string temp_name(const std::string &name) {
  std::random_device rd;
  return fmt::format(".{}.tmp-{}-{:08x}", name, ::getpid(), rd());
}

// Writes the temporary file, checks the target again and renames over it.
Status write_and_rename(int dir_fd, const std::string &name, const std::string &path,
                        std::string_view content) {
  const std::string tmp = temp_name(name);
  UniqueFd fd(
      ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (fd.get() < 0)
    return file_error(path, "cannot create a temporary file beside the output file", errno,
                      "check that the directory exists and is writable");
  Status st = write_all(fd.get(), content, path);
  if (st) st = check_target(dir_fd, name, path);
  if (st && ::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0)
    st = file_error(path, "cannot rename the temporary file over the output file", errno);
  if (!st) ::unlinkat(dir_fd, tmp.c_str(), 0);
  return st;
}

} // namespace

Status write_file_atomic(const std::string &path, std::string_view content) {
  if (path.empty() || path.back() == '/')
    return Error{"invalid output path", "it names no file", path, "give a file name"};
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name == "." || name == "..")
    return Error{"invalid output path", "it names a directory", path, "give a file name"};
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0)
    return file_error(path, "cannot open the output directory", errno,
                      "create the directory first or fix the path");
  if (Status st = check_target(dir_fd.get(), name, path); !st) return st;
  if (Status st = write_and_rename(dir_fd.get(), name, path, content); !st) return st;
  // The rename is durable only once the directory entry is on disk.
  if (::fsync(dir_fd.get()) != 0)
    return file_error(path, "cannot flush the output directory to disk", errno);
  return ok_status();
}

} // namespace clustertop
