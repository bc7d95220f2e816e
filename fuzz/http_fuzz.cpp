// libFuzzer target: the HTTP server's request framing and head parsing (frame_request,
// parse_request_head) on arbitrary bytes. The first 8 bytes choose the sizes of the pieces
// the rest arrives in, as recv() may cut it; the server must frame the same heads, and end
// in the same error, as when it arrives in the largest pieces it reads. A head that parses
// is a well-formed request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/sink/http_server.hpp"

namespace {

constexpr std::size_t kMaxHead = 256; // small, so that heads too long are reached too

// The heads the server frames from `bytes` arriving in pieces of `piece()` bytes (at most
// max_head + 1 held, as read_request reads), then "error N" if it ends in one.
template <class Piece> std::vector<std::string> frames(std::string_view bytes, Piece piece) {
  std::vector<std::string> out;
  std::string in;
  std::size_t scanned = 0;
  while (!bytes.empty()) {
    const std::size_t n = std::min({piece(), bytes.size(), kMaxHead + 1 - in.size()});
    in.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    for (;;) {
      const auto f = clustertop::frame_request(in, scanned, kMaxHead);
      if (f.error != 0) {
        out.push_back("error " + std::to_string(f.error));
        return out;
      }
      if (f.end == 0) break;
      out.push_back(in.substr(0, f.end));
      in.erase(0, f.end);
      scanned = 0;
    }
  }
  return out;
}

void check_head(std::string_view head) {
  const auto r = clustertop::parse_request_head(head);
  if (r.error != 0) {
    if (r.error != 400 && r.error != 505) __builtin_trap();
    return;
  }
  if (r.method.empty() || r.path.empty() || r.path[0] != '/' ||
      r.path.find('?') != std::string::npos || r.minor_version < 0 || r.minor_version > 9)
    __builtin_trap();
  for (const char c : r.path)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 8) return 0;
  const std::string_view bytes(reinterpret_cast<const char *>(data) + 8, size - 8);
  std::size_t next = 0;
  const auto cut = frames(bytes, [&] { return std::size_t{data[next++ % 8]} % 64 + 1; });
  const auto whole = frames(bytes, [] { return SIZE_MAX; });
  if (cut != whole) __builtin_trap();
  for (const auto &f : whole) {
    if (f.rfind("error ", 0) == 0) break;
    if (f.size() > kMaxHead || f.back() != '\n') __builtin_trap();
    check_head(f);
  }
  check_head(bytes); // anything at all, framed or not
  return 0;
}
