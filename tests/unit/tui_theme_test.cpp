#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "clustertop/tui/theme.hpp"

namespace clustertop::tui {
namespace {

namespace fs = std::filesystem;

const std::string kSourceThemes = CLUSTERTOP_SOURCE_DIR "/themes";

fs::path temp_dir(const std::string &name) {
  auto d = fs::temp_directory_path() / ("clustertop_theme_" + name + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(TuiTheme, ParsesBtopFormatAndWarnsOnUnknownKeysWithFileLine) {
  std::vector<std::string> warnings;
  auto t = parse_theme("# comment\n\ntheme[main_fg]=\"#102030\"\n"
                       "theme[cpu_box]=\"#ffffff\"\n  theme[ hi_fg ] = \"10 20 30\"\n"
                       "theme[title]=\"#7f\"\ntheme[main_bg]=\"\"\n",
                       "x.theme", warnings);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->get(ThemeKey::main_fg), (Rgb{0x10, 0x20, 0x30}));
  EXPECT_EQ(t->get(ThemeKey::hi_fg), (Rgb{10, 20, 30}));
  EXPECT_EQ(t->get(ThemeKey::title), (Rgb{0x7f, 0x7f, 0x7f}));
  EXPECT_FALSE(t->get(ThemeKey::main_bg).has_value());
  EXPECT_EQ(t->get(ThemeKey::crit), builtin_theme().get(ThemeKey::crit)); // defaults kept
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0], "x.theme:4: unknown theme key 'cpu_box' (ignored)");
}

TEST(TuiTheme, MalformedLinesAndColoursAreErrorsWithFileLine) {
  std::vector<std::string> w;
  auto bad = parse_theme("theme[main_fg]=\"#12345\"\n", "a.theme", w);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where, "a.theme:1");
  auto junk = parse_theme("\n\xff\x00garbage", "b.theme", w);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().where, "b.theme:2");
  EXPECT_FALSE(parse_theme("theme[main_fg]\n", "c", w).ok());
  EXPECT_FALSE(parse_theme("theme[main_fg]=\"300 0 0\"\n", "c", w).ok());
}

// A directory given to --theme is an error, as a missing file is: it was taken for an empty
// theme file (the built-in colours, named after the directory).
TEST(TuiTheme, ADirectoryIsNotAThemeFile) {
  const auto dir = temp_dir("dir");
  fs::create_directories(dir / "dark.theme");
  for (const auto &given : {dir.string(), (dir / "dark.theme").string()}) {
    std::vector<std::string> w;
    auto t = load_theme(given, {}, w);
    ASSERT_FALSE(t.ok()) << given << " loaded as theme '" << t->name << "'";
    EXPECT_EQ(t.error().what, "cannot read theme file");
    EXPECT_NE(t.error().message().find("directory"), std::string::npos) << t.error().message();
  }
  // A NAME whose NAME.theme on the path is a directory is not found there either.
  std::vector<std::string> w;
  EXPECT_FALSE(load_theme("dark", {dir.string()}, w).ok());
  fs::remove_all(dir);
}

TEST(TuiTheme, ShippedThemesLoadCleanlyAndDefaultMatchesBuiltin) {
  auto path = theme_search_path("", "", "");
  auto names = list_themes(path);
  for (const char *want : {"default", "light", "mono"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const auto &name : names) {
    std::vector<std::string> w;
    auto t = load_theme(name, path, w);
    ASSERT_TRUE(t.ok()) << name << ": " << t.error().message();
    EXPECT_TRUE(w.empty()) << name << ": " << w.front();
    EXPECT_EQ(t->name, name);
  }
  std::vector<std::string> w;
  auto d = load_theme(kSourceThemes + "/default.theme", {}, w);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->colors, builtin_theme().colors);
}

TEST(TuiTheme, SearchPathOrderAndFallbacks) {
  auto dir = temp_dir("path");
  std::ofstream(dir / "light.theme") << "theme[main_fg]=\"#010203\"\n";
  auto path = theme_search_path(dir.string(), "/nonexistent-xdg", "/home/x");
  ASSERT_GE(path.size(), 4U);
  EXPECT_EQ(path[0], dir.string());
  EXPECT_EQ(path[1], "/nonexistent-xdg/clustertop/themes");
  EXPECT_EQ(path.back(), kSourceThemes);
  EXPECT_EQ(theme_search_path("", "", "/home/x")[0], "/home/x/.config/clustertop/themes");
  std::vector<std::string> w;
  auto t = load_theme("light", path, w); // --themes-dir wins over the shipped one
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->get(ThemeKey::main_fg), (Rgb{1, 2, 3}));
  auto builtin = load_theme("", {dir.string()}, w); // no default.theme anywhere
  ASSERT_TRUE(builtin.ok());
  EXPECT_EQ(builtin->origin, "built-in");
  auto missing = load_theme("nope", path, w);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().help.find("light"), std::string::npos);
  auto no_file = load_theme("/nonexistent/x.theme", path, w);
  EXPECT_FALSE(no_file.ok());
  fs::remove_all(dir);
}

TEST(TuiTheme, PaletteMapping) {
  EXPECT_EQ(to_xterm256({0, 0, 0}), 16);
  EXPECT_EQ(to_xterm256({255, 255, 255}), 231);
  EXPECT_EQ(to_xterm256({255, 0, 0}), 196);
  EXPECT_EQ(to_xterm256({0x80, 0x80, 0x80}), 244);
  EXPECT_EQ(to_ansi8({255, 0, 0}), 1);
  EXPECT_EQ(to_ansi8({0, 0, 255}), 4);
  EXPECT_EQ(to_ansi8({200, 200, 200}), 7);
}

TEST(TuiTheme, StylesKeepMeaningWithoutColour) {
  auto t = builtin_theme();
  auto sel = style_for(Role::selected, t, false);
  EXPECT_TRUE(sel.reverse);
  EXPECT_FALSE(sel.fg.has_value());
  auto crit = style_for(Role::crit, t, true);
  EXPECT_EQ(crit.fg, t.get(ThemeKey::crit));
  EXPECT_TRUE(crit.bold);
}

} // namespace
} // namespace clustertop::tui
