// Widgets as pure functions: number formatting with units, braille sparklines and graphs,
// bars, and the time bucketing that feeds them. Unknown (NaN) is shown as '–' or a gap,
// never as 0. No ncurses, no clock.
#pragma once

#include <string>
#include <vector>

#include "clustertop/core/time.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop::tui {

inline constexpr const char *kUnknownText = "–";

std::string format_watts(double w);           // "12.3 W", "1.25 kW", "–"
std::string format_bytes(double bytes);       // "512 M", "35.2 G" (binary units), "–"
std::string format_ms(double ms);             // "0.42 ms", "36.1 ms", "1.20 s", "–"
std::string format_rate(double per_s);        // "45.1/s", "1.2K/s", "–"
std::string format_tokens_rate(double per_s); // "2186 tok/s", "12.3K tok/s", "–"
std::string format_count(double n);           // "950", "21.3K", "1.2M", "–"
std::string format_pct(double pct);           // "87%", "–"

// Values per character cell: a braille cell holds two columns of four dots.
int samples_per_cell(bool ascii);

// One-line sparkline; values.size() should be cells * samples_per_cell(ascii). NaN is a gap;
// a known value at the bottom of the range still shows one dot. lo/hi: the value range.
std::string sparkline(const std::vector<double> &values, double lo, double hi, bool ascii);

// A filled area graph `rows` cells tall, top row first, same sampling as sparkline.
std::vector<std::string> graph(const std::vector<double> &values, int rows, double lo, double hi,
                               bool ascii);

// A horizontal bar `width` cells wide; fraction 0..1 (clamped); NaN: blank.
std::string bar(double fraction, int width, bool ascii);

// The series over (end - window, end] split into `columns` equal buckets; each bucket holds
// the largest value in it (spikes matter here) or NaN when it holds none. Points after `end`
// are ignored, so a paused screen is stable.
std::vector<double> bucketize(const Series *series, TimePoint end, Duration window, int columns);

// Newest value at or before `end`, NaN when none.
double latest_at(const Series *series, TimePoint end);
// Largest value in (end - window, end], NaN when none.
double max_in_window(const Series *series, TimePoint end, Duration window);

// A range for graphing: [0, max] padded, or [0, 1] when nothing is known.
double nice_max(const std::vector<double> &values);

// Pads (or cuts) UTF-8 text to exactly `width` columns (one code point per column).
std::string fit(const std::string &text, int width, bool right_align = false);

} // namespace clustertop::tui
