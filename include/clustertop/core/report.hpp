// Messages for the user on stderr (or a stream given in its place) that never throw.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "clustertop/core/text.hpp"

namespace clustertop {

// fmt::print throws when its write fails, so a message to a stderr that is closed or full
// (`clustertop … 2>&1 | head`, `2>/dev/full`) turned into an "internal error" (exit 70) in
// place of the run's own exit code. A message that cannot be written is dropped instead:
// there is nowhere left to say so.
// Messages quote what came from outside (an sshd's banner before any host key was checked,
// a theme file's line, a config value, a path), so control characters go out as visible
// `\xHH` escapes (terminal_safe), never to the user's terminal.
template <typename... Args>
void report(std::FILE *to, fmt::format_string<Args...> format, Args &&...args) {
  const std::string text = terminal_safe_lines(fmt::format(format, std::forward<Args>(args)...));
  (void)std::fwrite(text.data(), 1, text.size(), to);
}

// An output stream that keeps the errno of its first failed write (stdio keeps none: by
// the time a caller looks at ferror, errno belongs to some later call). The headless
// printers and `parse` write through one, so that a full disk is named as one.
class CheckedOutput {
public:
  explicit CheckedOutput(std::FILE *file) : file_(file) {}
  void write(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) < text.size()) note_failure();
  }
  void flush() {
    if (std::fflush(file_) != 0) note_failure();
  }
  // The errno of the first write or flush that failed, or 0.
  [[nodiscard]] int failed() const { return failed_; }

private:
  void note_failure();

  std::FILE *file_;
  int failed_ = 0;
};

// Whether everything written to `out` reached it, flushed now: 0, or the errno of the write
// that failed (EPIPE where the reader has gone; kUnknownWriteError where only the stream's
// error flag is left to tell). Output that a full disk or a failing device lost must not end
// in exit 0 (exit_code::output).
inline constexpr int kUnknownWriteError = -1;
int unwritten(std::FILE *out);

// The errno of a failed write on standard output as the user reads it: "No space left on
// device", or "the reader closed it" for EPIPE.
std::string output_failure(int error);

} // namespace clustertop
