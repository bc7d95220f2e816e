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
  // While standard error goes into a pipe (StderrCapture): on a fatal signal, put
  // `saved_stderr` back as fd 2 and copy what waits in `pipe_read` (non-blocking) to it, so
  // the reason of the crash (an assertion's or std::terminate's message) and the lines kept
  // for the exit are not lost. -1, -1: nothing to put back.
  void forward_stderr(int saved_stderr, int pipe_read);
  // Disarms: the handlers that were there before are put back.
  ~CrashRestore();
  CrashRestore(const CrashRestore &) = delete;
  CrashRestore &operator=(const CrashRestore &) = delete;
};

} // namespace clustertop::tui
