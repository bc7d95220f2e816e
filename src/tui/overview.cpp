// The overview screen: cluster header, one tile per node, the alerts pane.
#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "clustertop/tui/screens.hpp"
#include "clustertop/tui/scroll.hpp"
#include "clustertop/tui/widgets.hpp"

namespace clustertop::tui {
namespace {

// Column widths of the node table, from the tile width; labels use the same plan. A width
// of 0 leaves the column out (a narrow tile).
struct Columns {
  int name = 12;
  int state = 7; // "◌ stale": a mark, a space and the longest state
  int power = 8;
  int power_spark = 0;
  int mem_bar = 6;
  int mem = 14;
  int step = 9;
  int step_spark = 0;
  int tok = 8;
  int fence = 18;
  int ctx = 7;
};

// What a narrow tile leaves out, least useful first, so that the state and the alert badges
// always show (tiles of a multi-column overview are ~80 columns; all columns need ~107).
constexpr std::array kDropOrder{&Columns::ctx,   &Columns::mem_bar, &Columns::tok,  &Columns::mem,
                                &Columns::fence, &Columns::step,    &Columns::power};
constexpr int kBadgeMinCols = 10; // "[crash]"; a longer badge is cut, marked with "…"
constexpr int kBadgeMaxCols = 24; // the room kept for badges, as far as the longest needs

int used_cols(const Columns &c) {
  int used = c.power_spark + c.step_spark;
  for (int Columns::*col :
       {&Columns::name, &Columns::state, &Columns::power, &Columns::mem_bar, &Columns::mem,
        &Columns::step, &Columns::tok, &Columns::fence, &Columns::ctx})
    if (c.*col > 0) used += c.*col + 1; // one space after each column
  return used;
}

std::string badge_text(const NodeSummary &n) {
  std::string out;
  for (const auto &b : n.badges) out += "[" + b + "] ";
  return out;
}

Columns plan_columns(int width, const std::vector<NodeSummary> &nodes) {
  Columns c;
  int longest = 4;
  int badges = 0;
  for (const auto &n : nodes) {
    longest = std::max(longest, static_cast<int>(n.name.size()));
    badges = std::max(badges, static_cast<int>(badge_text(n).size()));
  }
  c.name = std::min(longest, 20) + 2;
  const int badge_room = std::clamp(badges, kBadgeMinCols, kBadgeMaxCols);
  for (int Columns::*col : kDropOrder)
    if (used_cols(c) + badge_room > width) c.*col = 0;
  // The rest, after the badges' room, goes to a wider memory bar and the sparklines.
  int spare = width - used_cols(c) - badge_room;
  if (c.mem_bar > 0 && spare > 40) {
    c.mem_bar = 10;
    spare -= 4;
  }
  const int spark = std::clamp(spare / 2 - 1, 0, 30);
  c.power_spark = spark >= 4 && c.power > 0 ? spark : 0;
  c.step_spark = spark >= 4 && c.step > 0 ? spark : 0;
  return c;
}

// Writes left to right inside one line of a rectangle; stops at its edge.
// The cells `text` takes on the canvas (sanitize_utf8: one element a cell).
int cells(const std::string &text) { return static_cast<int>(sanitize_utf8(text).size()); }

class Line {
public:
  Line(Canvas &c, int row, int col, int width) : c_(c), row_(row), col_(col), end_(col + width) {}
  void put(const std::string &text, Role role, int width = -1) {
    if (width == 0) return;
    const std::string s = width > 0 ? fit(text, width) : text;
    col_ += c_.put(row_, col_, s, role, std::max(0, end_ - col_));
  }
  void gap() { put(" ", Role::normal); }
  [[nodiscard]] int left() const { return std::max(0, end_ - col_); }
  // A figure with its label, whole or not at all: cut at the line's end it read as another
  // figure ("gpu_eval 0" for 0.50 ms). The first that does not fit leaves "…" and ends the
  // line; every field but the last keeps a cell for it.
  void field(const std::string &text, Role role, bool last = false) {
    if (closed_) return;
    if (cells(text) + (last ? 0 : 1) <= left()) {
      put(text, role);
      return;
    }
    put("…", Role::dim);
    closed_ = true;
  }

private:
  Canvas &c_;
  int row_, col_, end_;
  bool closed_ = false;
};

Role state_role(NodeState s) {
  switch (s) {
  case NodeState::up: return Role::good;
  case NodeState::connecting: return Role::warn;
  case NodeState::stale: return Role::warn;
  case NodeState::down: return Role::crit;
  }
  return Role::normal;
}

const char *state_text(NodeState s, bool ascii) {
  switch (s) {
  case NodeState::up: return ascii ? "* up" : "● up";
  case NodeState::connecting: return ascii ? "~ conn" : "◌ conn";
  case NodeState::stale: return ascii ? "? stale" : "◌ stale";
  case NodeState::down: return ascii ? "x down" : "✕ down";
  }
  return "?";
}

Role mem_role(const NodeSummary &n) {
  if (n.mem_pressure >= 2) return Role::crit;
  if (n.mem_pressure >= 1) return Role::warn;
  if (!std::isnan(n.mem_total) && n.mem_total > 0 && n.mem_used / n.mem_total > 0.9)
    return Role::warn;
  return Role::memory;
}

void draw_sparkline(Line &line, const std::vector<double> &values, Role role, bool ascii) {
  line.put(sparkline(values, 0, nice_max(values), ascii), role);
}

std::string mem_text(const NodeSummary &n) {
  if (std::isnan(n.mem_total)) return format_bytes(n.mem_used);
  const std::string used = format_bytes(n.mem_used);
  const std::string total = format_bytes(n.mem_total);
  // "30.0/36.0 G" when both share a unit, else "489 M/23.5 G".
  const auto unit = [](const std::string &s) { return s.substr(s.find(' ') + 1); };
  if (unit(used) != unit(total)) return used + "/" + total;
  return used.substr(0, used.find(' ')) + "/" + total;
}

void draw_table_line(Canvas &c, const Frame &f, const Columns &cols, const NodeSummary &n,
                     const Rect &r, bool selected) {
  Line line(c, r.row, r.col, r.cols);
  const bool ascii = c.ascii();
  const Duration spark_window = std::chrono::seconds(2 * std::max(1, cols.power_spark));
  line.put((selected ? "> " : "  ") + n.name, selected ? Role::selected : Role::title, cols.name);
  line.gap();
  line.put(state_text(n.state, ascii), state_role(n.state), cols.state);
  line.gap();
  if (cols.power > 0) {
    line.put(format_watts(n.power_w), Role::power, cols.power);
    if (cols.power_spark > 0) {
      const int samples = cols.power_spark * samples_per_cell(ascii);
      draw_sparkline(
          line, bucketize_devices(f.store, n.name, "gpu.power_w", f.now, spark_window, samples),
          Role::power, ascii);
    }
    line.gap();
  }
  if (cols.mem_bar > 0) {
    line.put(bar(n.mem_used / n.mem_total, cols.mem_bar, ascii), mem_role(n), cols.mem_bar);
    line.gap();
  }
  if (cols.mem > 0) {
    line.put(mem_text(n), mem_role(n), cols.mem);
    line.gap();
  }
  if (cols.step > 0) {
    line.put(format_ms(n.step_ms), Role::step, cols.step);
    if (cols.step_spark > 0) {
      const int samples = cols.step_spark * samples_per_cell(ascii);
      draw_sparkline(
          line,
          bucketize(f.store.series({n.name, "step.eval_ms", ""}), f.now, spark_window, samples),
          Role::step, ascii);
    }
    line.gap();
  }
  if (cols.tok > 0) {
    line.put(format_rate(n.tokens_per_s), Role::normal, cols.tok);
    line.gap();
  }
  if (cols.fence > 0) {
    const bool fence_bad = n.fence_worst_ms > 10;
    line.put(format_ms(n.fence_ms) + " / " + format_ms(n.fence_worst_ms),
             fence_bad ? Role::warn : Role::fence, cols.fence);
    line.gap();
  }
  if (cols.ctx > 0) {
    line.put(format_count(n.ctx_tokens), Role::normal, cols.ctx);
    line.gap();
  }
  if (const std::string badges = badge_text(n); !badges.empty()) { // cut with "…" if need be
    const int shown = std::min(static_cast<int>(badges.size()), line.left());
    line.put(fit(badges, shown), n.criticals > 0 ? Role::crit : Role::warn);
  }
  if (n.state != NodeState::up && !n.detail.empty()) line.put(n.detail, state_role(n.state));
}

void draw_detail_line(Canvas &c, const Frame &f, const NodeSummary &n, const Rect &r) {
  Line line(c, r.row, r.col + 4, r.cols - 4);
  if (n.state != NodeState::up) {
    // (A node declared but not yet heard of has no `since`: no age counted from 1970.)
    line.put(fmt::format("{}{}", state_words(n),
                         n.since == TimePoint{} ? "" : " for " + format_age(f.now - n.since)),
             state_role(n.state));
    line.put("  ", Role::normal);
  }
  if (n.clock_skew) { // its lines' times are put on this machine's clock: worth knowing
    line.put(describe_clock_skew(*n.clock_skew), Role::warn);
    line.put("  ", Role::normal);
  }
  static constexpr std::array<const char *, 3> kPressure{"normal", "warn", "critical"};
  const std::string pressure =
      std::isnan(n.mem_pressure)
          ? kUnknownText
          : kPressure[static_cast<std::size_t>(std::clamp(static_cast<int>(n.mem_pressure), 0, 2))];
  line.field(fmt::format("mem avail {}", format_bytes(n.mem_available)), Role::dim);
  line.field(fmt::format("  pressure {}", pressure), Role::dim);
  line.field(fmt::format("  swap {}/{}", format_bytes(n.swap_used), format_bytes(n.swap_total)),
             Role::dim);
  // A server's KV cache and queue (vLLM, SGLang): its kv_cache alert's figure, on screen.
  if (!std::isnan(n.kv_cache_pct))
    line.field(fmt::format("  kv cache {}", format_pct(n.kv_cache_pct)),
               std::find(n.badges.begin(), n.badges.end(), "kv_cache") != n.badges.end()
                   ? Role::warn
                   : Role::dim);
  if (const std::string reqs = request_words(n); !reqs.empty())
    line.field("  requests " + reqs, Role::dim);
  line.field(fmt::format("   step model {}", format_ms(n.model_ms)), Role::dim);
  line.field(fmt::format(" | gpu_eval {}", format_ms(n.gpu_eval_ms)), Role::dim);
  line.field(fmt::format(" | overhead {}", format_ms(n.overhead_ms)), Role::dim, true);
}

void draw_alert_line(Canvas &c, const Frame &f, const NodeSummary &n, const Rect &r) {
  Line line(c, r.row, r.col + 4, r.cols - 4);
  for (const bool critical : {true, false}) // as the badges: the critical ones first
    for (const auto &a : f.firing) {
      if (a.node != n.name || (a.severity == Severity::critical) != critical) continue;
      line.put(a.message.empty() ? a.rule : a.message, critical ? Role::crit : Role::warn);
      line.put("  ", Role::normal);
    }
}

// The column labels over one column of tiles.
void draw_labels(Canvas &c, int row, int col, int width, const Columns &cols) {
  Line labels(c, row, col, width);
  auto label = [&labels](const char *text, int w) {
    if (w > 0) labels.put(fit(text, w - 1) + " ", Role::header, w);
  };
  auto with_gap = [](int w) { return w > 0 ? w + 1 : 0; };
  label("  node", cols.name + 1);
  label("state", cols.state + 1);
  label("GPU power", cols.power > 0 ? cols.power + cols.power_spark + 1 : 0);
  label("memory used/total", with_gap(cols.mem_bar) + with_gap(cols.mem));
  label("step", cols.step > 0 ? cols.step + cols.step_spark + 1 : 0);
  label("gen tok", with_gap(cols.tok));
  label("fence now/worst", with_gap(cols.fence));
  label("ctx", with_gap(cols.ctx));
  labels.put("alerts", Role::header);
}

// `columns`: the left edge and width of each column of tiles.
// `paging`: which nodes the tiles show when not all fit ("1-21 of 30"), on the top
// line: on the labels' line it wrote over the last labels ("ct", no "alerts").
void draw_header(Canvas &c, const Frame &f, const Rect &r, const Columns &cols,
                 const std::vector<NodeSummary> &nodes,
                 const std::vector<std::pair<int, int>> &columns, const std::string &paging) {
  const auto sum = summarize_cluster(nodes, f.firing);
  // Whole fields, in this order on screen; where they do not all fit, the least needed are
  // left out (`keep`: lower is needed more). Cut at the edge, an 80-column header ended in a
  // dangling "sort:" and never showed PAUSED or the clock.
  struct Field {
    std::string text;
    Role role;
    int keep;
    std::string shorter = {}; // taken where `text` does not fit
  };
  std::vector<Field> fields;
  fields.push_back({"clustertop ", Role::title, 4});
  fields.push_back({fmt::format(" nodes {}/{} up ", sum.up, sum.nodes),
                    sum.up == sum.nodes ? Role::good : Role::warn, 0});
  if (!paging.empty()) fields.push_back({paging, Role::dim, 1}); // which nodes the tiles show
  fields.push_back({fmt::format(" GPU {} ", format_watts(sum.power_w)), Role::power, 5});
  fields.push_back(
      {fmt::format(" gen {} ", format_tokens_rate(sum.tokens_per_s)), Role::normal, 6});
  const Role alert_role = sum.criticals > 0  ? Role::crit
                          : sum.warnings > 0 ? Role::warn
                                             : Role::good;
  fields.push_back(
      {fmt::format(" alerts {} firing ({} critical) ", sum.criticals + sum.warnings, sum.criticals),
       alert_role, 2,
       fmt::format(" alerts {} ({} crit)", sum.criticals + sum.warnings, sum.criticals)});
  fields.push_back({fmt::format(" sort: {} ", to_string(f.ui.sort)), Role::dim, 7});
  if (f.ui.paused) fields.push_back({" PAUSED ", Role::selected, 3});
  // The most needed first, each where it still fits (a short one after a long one that did
  // not: the name beside the node count on a 40-column screen).
  std::vector<std::size_t> by_need(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) by_need[i] = i;
  std::stable_sort(by_need.begin(), by_need.end(),
                   [&](std::size_t a, std::size_t b) { return fields[a].keep < fields[b].keep; });
  // Each in its shorter form first, then the long forms where there is room left: the long
  // alerts count left PAUSED out where the short one and PAUSED fit.
  std::vector<bool> shown(fields.size(), false);
  int used = 0;
  for (const std::size_t i : by_need) {
    const Field &field = fields[i];
    const std::string &text = field.shorter.empty() ? field.text : field.shorter;
    if (used + cells(text) <= r.cols) used += cells(text), shown[i] = true;
  }
  for (const std::size_t i : by_need) {
    Field &field = fields[i];
    if (field.shorter.empty()) continue;
    const int grow = cells(field.text) - cells(field.shorter);
    if (!shown[i] || used + grow > r.cols)
      field.text = field.shorter;
    else
      used += grow;
  }
  Line line(c, r.row, r.col, r.cols);
  bool first = true;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!shown[i]) continue;
    // The line starts at the screen's edge, not a field's leading space.
    const std::string &text = fields[i].text;
    line.put(first && text.front() == ' ' ? text.substr(1) : text, fields[i].role);
    first = false;
  }
  const std::string clock = iso8601_utc(f.now).substr(11, 8) + " UTC";
  if (line.left() > static_cast<int>(clock.size()))
    c.put(r.row, r.col + r.cols - static_cast<int>(clock.size()), clock, Role::dim);
  for (const auto &[col, width] : columns) draw_labels(c, r.row + 1, col, width, cols);
}

void draw_alerts(Canvas &c, const Frame &f, const Rect &r, Drawn &drawn) {
  drawn.alerts_pane = r;
  if (r.rows < 3) return;
  const bool focused = f.ui.pane == 1;
  const int lines = r.rows - 2;
  if (f.transitions.empty()) {
    c.box(r, focused ? Role::header : Role::border,
          fmt::format(" Alerts: {} firing ", f.firing.size()));
    c.put(r.row + 1, r.col + 2, "no alert transitions yet", Role::dim, r.cols - 4);
    return;
  }
  // Newer than the frame time: not shown while paused.
  std::vector<const AlertTransition *> shown;
  auto &numbers = drawn.alerts.newest_first;
  const std::uint64_t pushed = std::max<std::uint64_t>(f.transitions_pushed, f.transitions.size());
  for (std::size_t i = 0; i < f.transitions.size(); ++i) {
    if (f.transitions[i].at > f.now) continue;
    shown.push_back(&f.transitions[i]);
    numbers.push_back(pushed - 1 - i);
  }
  drawn.alerts.rows = static_cast<std::size_t>(lines);
  const std::size_t first = scroll_offset(numbers, f.ui.alerts_anchor, drawn.alerts.rows);
  // Scrolled down, the newest are out of sight: said so, as the log pane says it.
  c.box(r, focused ? Role::header : Role::border,
        first == 0 ? fmt::format(" Alerts: {} firing, newest transitions first ", f.firing.size())
                   : fmt::format(" Alerts: {} firing, scrolled down {} (Home for the newest) ",
                                 f.firing.size(), first));
  for (int i = 0; i < lines && first + static_cast<std::size_t>(i) < shown.size(); ++i) {
    const auto &t = *shown[first + static_cast<std::size_t>(i)];
    Line line(c, r.row + 1 + i, r.col + 2, r.cols - 4);
    line.put(iso8601_utc(t.at).substr(11, 8) + " ", Role::dim);
    const Role role = t.state == AlertState::resolved            ? Role::good
                      : t.finding.severity == Severity::critical ? Role::crit
                                                                 : Role::warn;
    line.put(to_string(t.state), role, 9);
    // 13 cells and a space: a name cut to the field's edge ran into the rule's name.
    line.put(t.finding.node.empty() ? "cluster" : t.finding.node, Role::title, 13);
    line.gap();
    line.put(t.finding.rule + ": ", Role::header);
    line.put(t.finding.message, Role::normal);
  }
}

} // namespace

void render_overview(Canvas &c, const Frame &f, Drawn &drawn) {
  std::vector<NodeSummary> nodes;
  nodes.reserve(f.store.nodes().size());
  for (const auto &name : f.store.nodes())
    nodes.push_back(summarize(f.store, name, f.firing, f.now, std::chrono::minutes(10)));
  drawn.order = sorted_nodes(nodes, f.ui.sort);
  std::size_t selected = 0;
  for (std::size_t i = 0; i < drawn.order.size(); ++i)
    if (drawn.order[i] == f.ui.selected) selected = i;
  const auto layout = layout_overview(c.rows(), c.cols(), nodes.size(), selected);
  const int tile_width = layout.tiles.empty() ? c.cols() : layout.tiles.front().cols;
  const Columns cols = plan_columns(tile_width, nodes);
  std::vector<std::pair<int, int>> columns; // the first line of tiles has every column
  for (const Rect &t : layout.tiles)
    if (t.row == layout.tiles.front().row) columns.emplace_back(t.col, t.cols);
  if (columns.empty()) columns.emplace_back(0, c.cols());
  const bool paged =
      layout.first_node > 0 || layout.first_node + layout.tiles.size() < nodes.size();
  draw_header(c, f, layout.header, cols, nodes, columns,
              paged ? fmt::format("{}-{} of {} ", layout.first_node + 1,
                                  layout.first_node + layout.tiles.size(), nodes.size())
                    : std::string());
  if (nodes.empty())
    c.put(layout.header.row + 3, 2, "no nodes yet: waiting for the first connection", Role::dim);
  for (std::size_t i = 0; i < layout.tiles.size(); ++i) {
    const auto &name = drawn.order[layout.first_node + i];
    const auto &n = *std::find_if(nodes.begin(), nodes.end(),
                                  [&](const NodeSummary &s) { return s.name == name; });
    const Rect &r = layout.tiles[i];
    const bool is_selected = layout.first_node + i == selected;
    if (is_selected) c.set_role({r.row, r.col, 1, 1}, Role::selected);
    draw_table_line(c, f, cols, n, {r.row, r.col, 1, r.cols}, is_selected);
    if (r.rows >= 2) draw_detail_line(c, f, n, {r.row + 1, r.col, 1, r.cols});
    if (r.rows >= 3) draw_alert_line(c, f, n, {r.row + 2, r.col, 1, r.cols});
    drawn.tiles.emplace_back(r, name);
  }
  draw_alerts(c, f, layout.alerts, drawn);
  render_status(c, layout.status, f);
}

} // namespace clustertop::tui
