// libFuzzer target: the timestamps of replayed plain logs (replay_detail::find_stamp, as
// line_time reads them) on every line of arbitrary input. A log's memo (StampMemo) may
// answer a line only with the time a reading without it gives: each line is read with the
// log's memo and without, and so are variants of it with other digits from a point on (a
// log's next line stamped in the same second, or not).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../src/transport/replay_internal.hpp"

namespace {

using clustertop::replay_detail::find_stamp;
using clustertop::replay_detail::StampMemo;

const clustertop::TimePoint kDay = clustertop::from_epoch_seconds(1771804800); // 2026-02-23

void same(const std::string &line, StampMemo &memo) {
  const auto plain = find_stamp(line, 2026, kDay);
  const auto memoed = find_stamp(line, 2026, kDay, &memo);
  if (plain.has_value() != memoed.has_value()) __builtin_trap();
  if (plain &&
      (plain->t != memoed->t || plain->dated != memoed->dated || plain->zoned != memoed->zoned))
    __builtin_trap();
  if (clustertop::line_time(line, 2026, kDay) != (plain ? std::optional(plain->t) : std::nullopt))
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t shift = data[0]; // which digits the variants change, and how
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  StampMemo memo;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string line(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    same(line, memo);
    for (std::size_t from : {std::size_t{shift} % 32, line.size() / 2, line.size() * 3 / 4}) {
      std::string variant = line;
      for (std::size_t i = from; i < variant.size(); ++i)
        if (variant[i] >= '0' && variant[i] <= '9')
          variant[i] = static_cast<char>('0' + (variant[i] - '0' + shift / 32 + 1) % 10);
      same(variant, memo);
    }
  }
  return 0;
}
