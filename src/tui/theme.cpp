#include "clustertop/tui/theme.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "clustertop/core/text.hpp"

namespace clustertop::tui {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char *, kThemeKeyCount> kKeyNames{
    "main_bg",     "main_fg",    "title",       "hi_fg",     "selected_bg", "selected_fg",
    "inactive_fg", "div_line",   "good",        "warn",      "crit",        "power_graph",
    "mem_graph",   "step_graph", "fence_graph", "log_error", "log_warn",    "log_info",
    "log_tag",     "status_bg",  "status_fg",   "match_bg"};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::uint8_t> hex_byte(std::string_view s) {
  const int hi = hex_digit(s[0]);
  const int lo = hex_digit(s[1]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<std::uint8_t>(hi * 16 + lo);
}

// "#RRGGBB", "#GG" (grey) or "R G B" in decimal, as btop accepts.
std::optional<Rgb> parse_color(std::string_view v) {
  if (v.size() == 7 && v[0] == '#') {
    auto r = hex_byte(v.substr(1, 2)), g = hex_byte(v.substr(3, 2)), b = hex_byte(v.substr(5, 2));
    if (r && g && b) return Rgb{*r, *g, *b};
    return std::nullopt;
  }
  if (v.size() == 3 && v[0] == '#') {
    if (auto grey = hex_byte(v.substr(1, 2))) return Rgb{*grey, *grey, *grey};
    return std::nullopt;
  }
  std::istringstream in{std::string(v)};
  int r = -1, g = -1, b = -1;
  std::string rest;
  if (!(in >> r >> g >> b) || (in >> rest)) return std::nullopt;
  if (r < 0 || r > 255 || g < 0 || g > 255 || b < 0 || b > 255) return std::nullopt;
  return Rgb{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g),
             static_cast<std::uint8_t>(b)};
}

Error bad_line(const std::string &where, const std::string &reason) {
  return Error{"invalid theme file", reason, where,
               "lines look like theme[main_bg]=\"#1e1e2e\" (see docs/dashboard.md)"};
}

Result<Theme> read_theme_file(const std::string &file, std::vector<std::string> &warnings) {
  // An ifstream opens a directory and reads nothing from it: an empty theme, the built-in
  // colours under the directory's name.
  std::error_code ec;
  if (fs::is_directory(file, ec))
    return Error{"cannot read theme file", "it is a directory", file,
                 "give a .theme file or a theme name (--themes-dir names a directory of them)"};
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return Error{"cannot read theme file", "no such file or not readable", file,
                 "check the path given to --theme"};
  std::ostringstream text;
  text << in.rdbuf();
  auto theme = parse_theme(text.str(), file, warnings);
  if (theme) theme->name = fs::path(file).stem().string();
  return theme;
}

} // namespace

const char *to_string(ThemeKey k) { return kKeyNames[static_cast<std::size_t>(k)]; }

std::optional<ThemeKey> theme_key(std::string_view name) {
  for (std::size_t i = 0; i < kKeyNames.size(); ++i)
    if (name == kKeyNames[i]) return static_cast<ThemeKey>(i);
  return std::nullopt;
}

Theme builtin_theme() {
  Theme t;
  auto set = [&t](ThemeKey k, Rgb c) { t.colors[static_cast<std::size_t>(k)] = c; };
  set(ThemeKey::main_fg, {0xcc, 0xcc, 0xcc});
  set(ThemeKey::title, {0xee, 0xee, 0xee});
  set(ThemeKey::hi_fg, {0x5f, 0xaf, 0xff});
  set(ThemeKey::selected_bg, {0x30, 0x30, 0x50});
  set(ThemeKey::selected_fg, {0xff, 0xff, 0xff});
  set(ThemeKey::inactive_fg, {0x70, 0x70, 0x70});
  set(ThemeKey::div_line, {0x50, 0x50, 0x60});
  set(ThemeKey::good, {0x5f, 0xd7, 0x5f});
  set(ThemeKey::warn, {0xff, 0xaf, 0x00});
  set(ThemeKey::crit, {0xff, 0x50, 0x50});
  set(ThemeKey::power_graph, {0xff, 0xaf, 0x5f});
  set(ThemeKey::mem_graph, {0x5f, 0xaf, 0xff});
  set(ThemeKey::step_graph, {0xaf, 0x87, 0xff});
  set(ThemeKey::fence_graph, {0xff, 0x5f, 0xaf});
  set(ThemeKey::log_error, {0xff, 0x50, 0x50});
  set(ThemeKey::log_warn, {0xff, 0xaf, 0x00});
  set(ThemeKey::log_info, {0x87, 0xaf, 0x87});
  set(ThemeKey::log_tag, {0xff, 0x5f, 0xff});
  set(ThemeKey::status_bg, {0x26, 0x26, 0x3a});
  set(ThemeKey::status_fg, {0xdd, 0xdd, 0xdd});
  set(ThemeKey::match_bg, {0x87, 0x5f, 0x00});
  return t; // main_bg stays the terminal's own background
}

Result<Theme> parse_theme(std::string_view text, const std::string &origin,
                          std::vector<std::string> &warnings) {
  Theme theme = builtin_theme();
  theme.origin = origin;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const std::string where = fmt::format("{}:{}", origin, line_no);
    const auto close = line.find(']');
    if (line.substr(0, 6) != "theme[" || close == std::string_view::npos)
      return bad_line(where, "expected theme[key]=\"value\"");
    const std::string_view key = trim(line.substr(6, close - 6));
    std::string_view rest = trim(line.substr(close + 1));
    if (rest.empty() || rest[0] != '=') return bad_line(where, "missing '=' after the key");
    rest = trim(rest.substr(1));
    if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"')
      rest = rest.substr(1, rest.size() - 2);
    const auto k = theme_key(key);
    if (!k) {
      warnings.push_back(fmt::format("{}: unknown theme key '{}' (ignored)", where, key));
      continue;
    }
    auto &slot = theme.colors[static_cast<std::size_t>(*k)];
    if (trim(rest).empty()) {
      slot.reset(); // "" means the terminal's default colour
      continue;
    }
    auto color = parse_color(trim(rest));
    if (!color)
      return bad_line(where, fmt::format("'{}' is not a colour (#RRGGBB, #GG or \"R G B\")",
                                         std::string(rest).substr(0, 40)));
    slot = *color;
  }
  return theme;
}

std::vector<std::string> theme_search_path(const std::string &themes_dir,
                                           const std::string &xdg_config_home,
                                           const std::string &home) {
  std::vector<std::string> out;
  if (!themes_dir.empty()) out.push_back(themes_dir);
  if (!xdg_config_home.empty())
    out.push_back(xdg_config_home + "/clustertop/themes");
  else if (!home.empty())
    out.push_back(home + "/.config/clustertop/themes");
  out.emplace_back(CLUSTERTOP_DATA_DIR "/themes");
  out.emplace_back(CLUSTERTOP_SOURCE_DIR "/themes");
  return out;
}

std::vector<std::string> theme_search_path(const std::string &themes_dir) {
  const char *xdg = std::getenv("XDG_CONFIG_HOME"); // NOLINT(concurrency-mt-unsafe)
  const char *home = std::getenv("HOME");           // NOLINT(concurrency-mt-unsafe)
  return theme_search_path(themes_dir, xdg ? xdg : "", home ? home : "");
}

Result<Theme> load_theme(const std::string &name_or_file, const std::vector<std::string> &path,
                         std::vector<std::string> &warnings) {
  const std::string name = name_or_file.empty() ? "default" : name_or_file;
  const bool is_file = name.find('/') != std::string::npos ||
                       (name.size() > 6 && name.substr(name.size() - 6) == ".theme");
  if (is_file) return read_theme_file(name, warnings);
  for (const auto &dir : path) {
    const fs::path file = fs::path(dir) / (name + ".theme");
    std::error_code ec;
    if (fs::is_regular_file(file, ec)) return read_theme_file(file.string(), warnings);
  }
  if (name == "default") return builtin_theme();
  std::string known;
  for (const auto &n : list_themes(path)) known += (known.empty() ? "" : ", ") + n;
  std::string dirs;
  for (const auto &d : path) dirs += (dirs.empty() ? "" : ", ") + d;
  return Error{"unknown theme '" + name + "'", "no " + name + ".theme in " + dirs, "--theme",
               "available: " + known + "; or give a path to a .theme file"};
}

std::vector<std::string> list_themes(const std::vector<std::string> &path) {
  std::vector<std::string> out{"default"};
  for (const auto &dir : path) {
    std::error_code ec;
    std::vector<std::string> here;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".theme") here.push_back(it->path().stem().string());
    std::sort(here.begin(), here.end());
    for (auto &n : here)
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  }
  return out;
}

int to_xterm256(Rgb c) {
  auto cube = [](int v) { return v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40; };
  const int r = cube(c.r), g = cube(c.g), b = cube(c.b);
  static constexpr std::array<int, 6> kLevels{0, 95, 135, 175, 215, 255};
  auto dist = [](int a, int b2, int c2, const Rgb &x) {
    return (a - x.r) * (a - x.r) + (b2 - x.g) * (b2 - x.g) + (c2 - x.b) * (c2 - x.b);
  };
  const int cube_dist =
      dist(kLevels[static_cast<std::size_t>(r)], kLevels[static_cast<std::size_t>(g)],
           kLevels[static_cast<std::size_t>(b)], c);
  const int avg = (c.r + c.g + c.b) / 3;
  const int grey = avg > 238 ? 23 : std::max(0, (avg - 3) / 10);
  const int grey_v = 8 + grey * 10;
  if (dist(grey_v, grey_v, grey_v, c) < cube_dist) return 232 + grey;
  return 16 + 36 * r + 6 * g + b;
}

int to_ansi8(Rgb c) {
  // Each channel on or off; a dim colour that would round to black stays visible as white
  // only when it is bright overall.
  const int r = c.r > 127 ? 1 : 0, g = c.g > 127 ? 1 : 0, b = c.b > 127 ? 1 : 0;
  const int idx = r | (g << 1) | (b << 2);
  if (idx == 0 && (c.r + c.g + c.b) > 3 * 90) return 7;
  return idx;
}

} // namespace clustertop::tui

namespace clustertop::tui {

Style style_for(Role role, const Theme &theme, bool color) {
  struct Entry {
    ThemeKey fg;
    ThemeKey bg;
    bool bold, reverse_without_color, underline_without_color;
  };
  using K = ThemeKey;
  static constexpr std::array<Entry, kRoleCount> kTable{{
      {K::main_fg, K::main_bg, false, false, false},       // normal
      {K::inactive_fg, K::main_bg, false, false, false},   // dim
      {K::title, K::main_bg, true, false, false},          // title
      {K::hi_fg, K::main_bg, true, false, false},          // header
      {K::div_line, K::main_bg, false, false, false},      // border
      {K::selected_fg, K::selected_bg, true, true, false}, // selected
      {K::good, K::main_bg, false, false, false},          // good
      {K::warn, K::main_bg, true, false, true},            // warn
      {K::crit, K::main_bg, true, true, false},            // crit
      {K::power_graph, K::main_bg, false, false, false},   // power
      {K::mem_graph, K::main_bg, false, false, false},     // memory
      {K::step_graph, K::main_bg, false, false, false},    // step
      {K::fence_graph, K::main_bg, false, false, false},   // fence
      {K::log_error, K::main_bg, true, false, false},      // log_error
      {K::log_warn, K::main_bg, false, false, true},       // log_warn
      {K::log_info, K::main_bg, false, false, false},      // log_info
      {K::log_tag, K::main_bg, true, true, false},         // log_tag
      {K::status_fg, K::status_bg, false, true, false},    // status
      {K::selected_fg, K::match_bg, true, true, false},    // match
  }};
  const Entry &e = kTable[static_cast<std::size_t>(role)];
  Style s;
  s.bold = e.bold;
  if (!color) {
    s.reverse = e.reverse_without_color;
    s.underline = e.underline_without_color;
    return s;
  }
  s.fg = theme.get(e.fg);
  s.bg = theme.get(e.bg);
  return s;
}

} // namespace clustertop::tui
