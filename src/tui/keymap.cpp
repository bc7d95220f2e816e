#include "clustertop/tui/keymap.hpp"

#include <array>

#include <curses.h>

namespace clustertop::tui {
namespace {

constexpr int kEsc = 27;
constexpr int kTab = '\t';

constexpr std::array kTable{
    KeyBinding{'?', Action::help, "?", "show or hide this help"},
    KeyBinding{'q', Action::quit, "q", "quit (the terminal is restored)"},
    KeyBinding{3, Action::quit, "Ctrl-C", ""}, // raw mode: Ctrl-C arrives as a key
    KeyBinding{26, Action::suspend, "Ctrl-Z", "suspend to the shell (fg resumes)"}, // raw too
    KeyBinding{KEY_UP, Action::up, "Up / k", "previous node; scroll the log or alerts up"},
    KeyBinding{'k', Action::up, "k", ""},
    KeyBinding{KEY_DOWN, Action::down, "Down / j", "next node; scroll the log or alerts down"},
    KeyBinding{'j', Action::down, "j", ""},
    KeyBinding{KEY_LEFT, Action::left, "Left / h", "previous node column; shorter graph window"},
    KeyBinding{'h', Action::left, "h", ""},
    KeyBinding{KEY_RIGHT, Action::right, "Right / l", "next node column; longer graph window"},
    KeyBinding{'l', Action::right, "l", ""},
    KeyBinding{KEY_PPAGE, Action::page_up, "PgUp", "scroll a page up"},
    KeyBinding{KEY_NPAGE, Action::page_down, "PgDn", "scroll a page down"},
    KeyBinding{KEY_HOME, Action::home, "Home / g", "first node; newest alert; oldest log line"},
    KeyBinding{'g', Action::home, "g", ""},
    KeyBinding{KEY_END, Action::end, "End / G",
               "last node; oldest alert; follow the newest log line"},
    KeyBinding{'G', Action::end, "G", ""},
    KeyBinding{'\n', Action::enter, "Enter", "open the selected node's view"},
    KeyBinding{KEY_ENTER, Action::enter, "Enter", ""},
    KeyBinding{'\r', Action::enter, "Enter", ""},
    KeyBinding{kEsc, Action::back, "Esc", "back to the overview; close help; clear the search"},
    KeyBinding{KEY_BACKSPACE, Action::back, "Backspace", ""},
    KeyBinding{127, Action::back, "Backspace", ""},
    KeyBinding{kTab, Action::next_pane, "Tab", "next pane (nodes/alerts, graphs/log)"},
    KeyBinding{'w', Action::next_window, "w", "graph window 1m / 10m / 1h"},
    KeyBinding{'/', Action::search, "/", "search the log (Enter to keep, Esc to cancel)"},
    KeyBinding{'f', Action::filter, "f", "show only log lines that match the search"},
    KeyBinding{'p', Action::pause, "p", "pause the display (collection continues)"},
    KeyBinding{'s', Action::sort, "s", "sort nodes: order, name, alerts, power, step"},
    KeyBinding{'t', Action::next_theme, "t", "next theme"},
    KeyBinding{'e', Action::csv, "e", "write a CSV snapshot"},
};

} // namespace

std::span<const KeyBinding> key_table() { return kTable; }

std::optional<Action> action_for(int key) {
  for (const auto &b : kTable)
    if (b.key == key) return b.action;
  return std::nullopt;
}

} // namespace clustertop::tui
