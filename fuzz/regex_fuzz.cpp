// libFuzzer target: every `regex` collector definition on arbitrary input.
#include "collect_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  return clustertop::fuzz::run("regex", data, size);
}
