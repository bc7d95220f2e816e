// libFuzzer target: the recording reader of `clustertop replay DIR` (ReplaySource::
// from_recording) on arbitrary bytes, written as the one *.ctrec file of a directory. It
// must give events in time order or an error; every event it gives is taken back out.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "clustertop/transport/replay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // Kept to the end (the exit handler removes it), so never destroyed.
  static const std::string &dir = *[] {
    auto *d = new std::string("/tmp/clustertop_recording_fuzz_XXXXXX");
    if (::mkdtemp(d->data()) == nullptr) __builtin_trap();
    std::atexit([] { std::filesystem::remove_all(dir); });
    return d;
  }();
  {
    std::ofstream out(dir + "/a.ctrec", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  }
  auto src = clustertop::ReplaySource::from_recording(dir);
  if (!src) return 0;
  clustertop::TimePoint last = src->first();
  while (auto t = src->peek()) {
    if (*t < last || src->take_next().empty()) __builtin_trap();
    last = *t;
  }
  return 0;
}
