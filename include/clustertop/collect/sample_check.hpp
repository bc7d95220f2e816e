// Runs a definition's own sample lines through its parser and compares with what the
// definition says they must yield. Used by the collectors test and `clustertop collectors`.
#pragma once

#include <string>
#include <vector>

#include "clustertop/collect/definition.hpp"
#include "clustertop/core/result.hpp"

namespace clustertop {

// One message per mismatch ("meminfo sample 1: mem.total_bytes = 3, expected 4"); empty: all ok.
std::vector<std::string> check_samples(const CollectorDef &def);

class CollectorSet;
// A run's (and check-config's) check that every loaded definition yields what its samples
// expect: a definition of your own with a wrong expectation loaded and ran, and only
// `clustertop collectors` said so. `parse` does not ask, so a definition being written can be
// tried on real lines.
Status samples_pass(const CollectorSet &set);

} // namespace clustertop
