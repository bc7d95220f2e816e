// Small text helpers shared by the parsers and the theme reader.
#pragma once

#include <string_view>

namespace clustertop {

// `s` without leading and trailing spaces, tabs and carriage returns (CRLF files).
std::string_view trim(std::string_view s);

} // namespace clustertop
