// Private to src/collect: a Record as one line of JSON (for `clustertop parse`).
#pragma once

#include <fmt/format.h>

#include "clustertop/collect/record.hpp"

namespace clustertop {

// Unknown values are null; every string is valid UTF-8 JSON (bad bytes become U+FFFD).
void append_record_json(fmt::memory_buffer &out, const Record &r);
// The unit a metric name carries: "ms", "bytes", "%", "W", "C", "tokens/s", "ratio", "".
const char *unit_of(const std::string &metric);

} // namespace clustertop
