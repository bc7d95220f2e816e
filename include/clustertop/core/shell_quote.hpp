// Shell quoting for every value put into a remote or local /bin/sh command line.
// Values from config or the network must never be interpreted by the shell.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clustertop {

// POSIX single-quote quoting: 'it'\''s' — safe for any byte string (NUL is dropped, since
// no C string can carry it). The result is always one shell word.
std::string shell_quote(std::string_view value);

// Quotes each argument and joins them with spaces.
std::string shell_join(const std::vector<std::string> &argv);

} // namespace clustertop
