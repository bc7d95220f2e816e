// CrashRestore: gives the terminal back when the process dies of a signal while the
// dashboard is up. endwin never runs then: an abort (an uncaught exception, a failed
// assertion), a segfault or an external SIGQUIT left the user's shell raw, without echo, on
// the alternate screen, with the cursor hidden and mouse reporting on.
#pragma once

#include <termios.h>

namespace clustertop::tui {

class CrashRestore {
public:
  // Arms the handlers: on a fatal signal, write the terminal's own undo sequence (read from
  // terminfo now, so ncurses must be started) to `out_fd`, put `tty_fd` back in `cooked`
  // mode, then die of the signal as before (same exit status, core dump if enabled).
  CrashRestore(int tty_fd, int out_fd, const termios &cooked);
  // Disarms: the handlers that were there before are put back.
  ~CrashRestore();
  CrashRestore(const CrashRestore &) = delete;
  CrashRestore &operator=(const CrashRestore &) = delete;
};

} // namespace clustertop::tui
