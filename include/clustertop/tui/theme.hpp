// Themes: btop's `theme[key]="#RRGGBB"` files, a built-in default table, the search path,
// and the mapping from RGB to 8/256/true-colour palettes. Owns no terminal state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/tui/canvas.hpp"

namespace clustertop::tui {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb &) const = default;
};

// Theme keys; the first eight are btop's names, so btop themes port with few renames.
enum class ThemeKey : std::uint8_t {
  main_bg,
  main_fg,
  title,
  hi_fg,
  selected_bg,
  selected_fg,
  inactive_fg,
  div_line,
  good,
  warn,
  crit,
  power_graph,
  mem_graph,
  step_graph,
  fence_graph,
  log_error,
  log_warn,
  log_info,
  log_tag,
  status_bg,
  status_fg,
  match_bg,
  count_
};
inline constexpr std::size_t kThemeKeyCount = static_cast<std::size_t>(ThemeKey::count_);
const char *to_string(ThemeKey k);
std::optional<ThemeKey> theme_key(std::string_view name);

struct Theme {
  std::string name = "default";
  std::string origin = "built-in";                         // file path, or "built-in"
  std::array<std::optional<Rgb>, kThemeKeyCount> colors{}; // nullopt: terminal default
  [[nodiscard]] std::optional<Rgb> get(ThemeKey k) const {
    return colors[static_cast<std::size_t>(k)];
  }
};

// How a role looks: colours from the theme, attributes that also carry meaning without
// colour (NO_COLOR, monochrome terminals).
struct Style {
  std::optional<Rgb> fg;
  std::optional<Rgb> bg;
  bool bold = false;
  bool reverse = false;
  bool underline = false;
};
Style style_for(Role role, const Theme &theme, bool color);

Theme builtin_theme(); // the dark default, also shipped as themes/default.theme

// Parses theme text. Unknown keys are warnings ("file:line: unknown theme key 'x'");
// malformed lines and colours are errors naming file:line.
Result<Theme> parse_theme(std::string_view text, const std::string &origin,
                          std::vector<std::string> &warnings);

// Directories searched for NAME.theme, first match wins: --themes-dir,
// $XDG_CONFIG_HOME/clustertop/themes (or ~/.config/...), the install dir, the source dir.
std::vector<std::string> theme_search_path(const std::string &themes_dir,
                                           const std::string &xdg_config_home,
                                           const std::string &home);
// The same, read from the environment (XDG_CONFIG_HOME, HOME).
std::vector<std::string> theme_search_path(const std::string &themes_dir);

// NAME (searched) or FILE (a path, or anything ending in .theme). Empty: "default", which
// falls back to the built-in table when no default.theme is found.
Result<Theme> load_theme(const std::string &name_or_file, const std::vector<std::string> &path,
                         std::vector<std::string> &warnings);

// Theme names found on the path, "default" first, no duplicates.
std::vector<std::string> list_themes(const std::vector<std::string> &path);

// Palette mapping for terminals without true colour.
int to_xterm256(Rgb c);
int to_ansi8(Rgb c);

} // namespace clustertop::tui
