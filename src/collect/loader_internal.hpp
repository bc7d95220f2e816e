// Private to src/collect: reading one collectors/*.json file into a CollectorDef.
#pragma once

#include <string>
#include <vector>

#include "clustertop/collect/definition.hpp"
#include "clustertop/core/result.hpp"

namespace clustertop {

// Parses one definition; `text` is the file content (for file:line in errors).
Result<CollectorDef> load_definition(const std::string &path, const std::string &text,
                                     std::vector<std::string> &warnings);

} // namespace clustertop
