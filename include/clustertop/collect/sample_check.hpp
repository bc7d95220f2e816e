// Runs a definition's own sample lines through its parser and compares with what the
// definition says they must yield. Used by the collectors test and `clustertop collectors`.
#pragma once

#include <string>
#include <vector>

#include "clustertop/collect/definition.hpp"

namespace clustertop {

// One message per mismatch ("meminfo sample 1: mem.total_bytes = 3, expected 4"); empty: all ok.
std::vector<std::string> check_samples(const CollectorDef &def);

} // namespace clustertop
