// Atomic file replacement for exports: write a temporary file in the target's directory,
// fsync it, rename it over the target, fsync the directory. Never follows a symlink at the
// target and never truncates an existing file; on any failure the old file stays intact.
#pragma once

#include <string>
#include <string_view>

#include "clustertop/core/result.hpp"

namespace clustertop {

// Writes `content` to `path` atomically. Fails (and leaves `path` untouched) when the
// target is a symlink or not a regular file, the directory is missing or not writable,
// or any write/fsync/rename fails (disk full, quota, file size limit).
Status write_file_atomic(const std::string &path, std::string_view content);

} // namespace clustertop
