// A check of the ssh config's lines that libssh reads for every node but reports badly: a
// `Port abc` it dropped without a word (the node was dialled on port 22), a `ProxyJump`
// without a host it failed as "unknown libssh error". OpenSSH refuses such a file too
// ("Bad port 'abc'"); the error names its file and line.
#pragma once

#include <string>

#include "clustertop/core/result.hpp"

namespace clustertop {

Status lint_ssh_config(const std::string &path);

} // namespace clustertop
