#include "crash_restore.hpp"

#include <array>
#include <csignal>
#include <cstring>
#include <string_view>
#include <unistd.h>

#include <curses.h>
#include <term.h>

namespace clustertop::tui {
namespace {

constexpr std::array<int, 6> kFatalSignals = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGQUIT};

// What the handler needs, where a handler can reach it: a signal handler has no object to
// ask, so this one state is static. Written before the handlers are armed, only read by them.
struct RestoreState {
  int tty_fd = -1;
  int out_fd = -1;
  termios cooked{};
  int saved_stderr = -1;
  int pipe_read = -1;
  std::array<char, 256> undo{};
  std::size_t undo_len = 0;
  std::array<struct sigaction, kFatalSignals.size()> previous{};
};
RestoreState state; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables): see above

void append_undo(std::string_view s) {
  if (s.size() > state.undo.size() - state.undo_len) return;
  std::memcpy(state.undo.data() + state.undo_len, s.data(), s.size());
  state.undo_len += s.size();
}

// A terminfo string as the terminal takes it: its padding (`$<2>`, a delay tputs would wait
// out) is left out, not written as text.
void append_capability(const char *name) {
  const char *s = tigetstr(name);
  if (s == nullptr || s == reinterpret_cast<char *>(-1)) return; // NOLINT: terminfo's "absent"
  const std::string_view text(s);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t pad = text.find("$<", i);
    const std::size_t end = pad == std::string_view::npos ? pad : text.find('>', pad);
    if (end == std::string_view::npos) {
      append_undo(text.substr(i));
      break;
    }
    append_undo(text.substr(i, pad - i));
    i = end + 1;
  }
}

void on_fatal_signal(int sig) {
  // Async-signal-safe calls only: write(2), tcsetattr(3), raise(3).
  (void)!::write(state.out_fd, state.undo.data(), state.undo_len);
  (void)::tcsetattr(state.tty_fd, TCSANOW, &state.cooked);
  if (state.saved_stderr >= 0 && ::dup2(state.saved_stderr, STDERR_FILENO) >= 0) {
    std::array<char, 4096> buf{};
    ssize_t n = 0;
    while ((n = ::read(state.pipe_read, buf.data(), buf.size())) > 0)
      (void)!::write(STDERR_FILENO, buf.data(), static_cast<std::size_t>(n));
  }
  // SA_RESETHAND put the default action back, and SA_NODEFER lets it come now.
  (void)::raise(sig);
}

} // namespace

CrashRestore::CrashRestore(int tty_fd, int out_fd, const termios &cooked) {
  state.tty_fd = tty_fd;
  state.out_fd = out_fd;
  state.cooked = cooked;
  state.saved_stderr = state.pipe_read = -1;
  state.undo_len = 0;
  append_capability("sgr0");                                   // colours and attributes off
  append_capability("cnorm");                                  // cursor visible
  append_capability("rmkx");                                   // keypad back to its normal mode
  append_undo("\033[?1000l\033[?1002l\033[?1003l\033[?1006l"); // mouse reporting off (xterm)
  append_capability("rmcup"); // the main screen, with what the shell showed before
  append_undo("\r\n");
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = static_cast<int>(SA_RESETHAND | SA_NODEFER);
  for (std::size_t i = 0; i < kFatalSignals.size(); ++i)
    ::sigaction(kFatalSignals[i], &sa, &state.previous[i]);
}

void CrashRestore::forward_stderr(int saved_stderr, int pipe_read) {
  state.pipe_read = pipe_read; // set before the fd the handler tests
  state.saved_stderr = saved_stderr;
}

CrashRestore::~CrashRestore() {
  state.saved_stderr = state.pipe_read = -1;
  for (std::size_t i = 0; i < kFatalSignals.size(); ++i)
    ::sigaction(kFatalSignals[i], &state.previous[i], nullptr);
}

} // namespace clustertop::tui
