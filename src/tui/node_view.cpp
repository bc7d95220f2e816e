// The node view: four braille graphs over a selectable window, and the live log tail under
// the node's streams that are not delivering.
#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/tui/log_search.hpp"
#include "clustertop/tui/screens.hpp"
#include "clustertop/tui/scroll.hpp"
#include "clustertop/tui/widgets.hpp"

namespace clustertop::tui {
namespace {

struct GraphSpec {
  const char *title;
  Role role;
  std::string (*format)(double);
};

// The title's value is the latest reading (`latest`), not the newest column: a column of the
// 1 h window is ~20 s wide and shows its highest point, so a spike read as the present value
// ("fence_wait 250 ms" with the last steps at 0.9 ms) until its column passed. The newest
// column's value stands in only where no latest reading is known.
void draw_graph(Canvas &c, const Rect &r, const GraphSpec &spec, const std::vector<double> &v,
                double hi, const std::string &window, double latest) {
  double now_v = latest;
  for (auto it = v.rbegin(); std::isnan(now_v) && it != v.rend(); ++it)
    if (!std::isnan(*it)) now_v = *it;
  double worst = kUnknown;
  for (double x : v)
    if (!std::isnan(x)) worst = std::isnan(worst) ? x : std::max(worst, x);
  c.box(r, Role::border,
        fmt::format(" {} {}  max {}  ({}) ", spec.title, spec.format(now_v), spec.format(worst),
                    window));
  if (r.rows < 3 || r.cols < 3) return;
  const auto rows = graph(v, r.rows - 2, 0, hi, c.ascii());
  for (std::size_t i = 0; i < rows.size(); ++i)
    c.put(r.row + 1 + static_cast<int>(i), r.col + 1, rows[i], spec.role, r.cols - 2);
  if (std::all_of(v.begin(), v.end(), [](double x) { return std::isnan(x); }))
    c.put(r.row + r.rows / 2, r.col + 3, "no data in this window", Role::dim, r.cols - 6);
}

// The line's level is the first level word in it: its level field comes before its message
// (`| INFO | x:y:1 ] ERROR level test` was drawn as an error).
Role level_role(std::string_view line) {
  struct Word {
    std::string_view text;
    Role role;
  };
  static constexpr std::array<Word, 11> kWords{{{"CRITICAL", Role::log_error},
                                                {"FATAL", Role::log_error},
                                                {"ERROR", Role::log_error},
                                                {"Error", Role::log_error},
                                                {"Traceback", Role::log_error},
                                                {"error:", Role::log_error},
                                                {"WARNING", Role::log_warn},
                                                {"WARN", Role::log_warn},
                                                {"Warning", Role::log_warn},
                                                {"DEBUG", Role::dim},
                                                {"INFO", Role::normal}}};
  std::size_t first = std::string_view::npos;
  Role role = Role::normal;
  for (const auto &w : kWords)
    if (const auto at = line.find(w.text); at < first) first = at, role = w.role;
  return role;
}

// Marks the search's matches in the line drawn at (row, col), `width` cells wide.
void highlight(Canvas &c, int row, int col, const LogSearch &search, std::string_view line,
               int width) {
  for (std::size_t at : search.find_all(searchable_text(line))) {
    const int start = col + static_cast<int>(at);
    const int len = std::min(static_cast<int>(search.cells()), col + width - start);
    if (len > 0) c.set_role({row, start, 1, len}, Role::match);
  }
}

// `text` in lines of at most `width` bytes (so at most as many cells), broken at spaces where
// it can be and between characters where a word is longer than a line.
std::vector<std::string> wrapped(std::string_view text, std::size_t width) {
  std::vector<std::string> out;
  width = std::max<std::size_t>(width, 8);
  while (!text.empty()) {
    std::size_t cut = text.size();
    if (cut > width) {
      cut = text.rfind(' ', width);
      if (cut == std::string_view::npos || cut == 0) cut = utf8_boundary(text, width);
    }
    out.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return out;
}

// The node's streams that are not delivering (a log that cannot be read, a sampler that
// died), one line each: they say why a pane or the log stays empty. A node that is down says
// why in full, wrapped: its fix (`connect once with ssh ... to record the key`) was cut off in
// the title, the tile and the alerts pane at any width.
std::vector<std::string> stream_problems(const Store &store, const std::string &node, int width) {
  std::vector<std::string> out;
  const NodeInfo *info = store.node(node);
  if (info == nullptr) return out;
  if (info->state == NodeState::down)
    return wrapped("down: " + (info->detail.empty() ? "no reason given" : info->detail),
                   static_cast<std::size_t>(std::max(0, width)));
  // The stream's name redacted as its detail is (the Store redacts details): a log path
  // holding a token showed it in the name and `[redacted]` in tail's words beside it.
  for (const auto &[name, st] : info->streams)
    if (st.state == NodeState::down || st.state == NodeState::stale)
      out.push_back(fmt::format("{} {}: {}", redact_secrets(name), to_string(st.state),
                                st.detail.empty() ? "no reason given" : st.detail));
  return out;
}

// Whether the node has a log stream (`log:<path>`), or may have one: its streams are known
// only once it is up.
bool follows_a_log(const Store &store, const std::string &node) {
  const NodeInfo *info = store.node(node);
  if (info == nullptr || info->state != NodeState::up) return true;
  return std::any_of(info->streams.begin(), info->streams.end(),
                     [](const auto &s) { return s.first.starts_with("log:"); });
}

void draw_log(Canvas &c, const Frame &f, const Rect &r, const std::string &node, Drawn &drawn) {
  drawn.log_pane = r;
  const auto *log = f.store.log_lines(node);
  std::unordered_map<std::string_view, const LogEvent *> tagged;
  if (const auto *events = f.store.events(node))
    for (std::size_t i = 0; i < events->size(); ++i)
      if (!(*events)[i].tags.empty()) tagged[(*events)[i].line] = &(*events)[i];
  std::vector<const LogLine *> shown;
  auto &numbers = drawn.log.newest_first; // filled oldest first, reversed below
  const bool filtering = f.ui.filter && !f.ui.search.empty();
  const LogSearch search(f.ui.search); // one matcher for the filter and the highlight
  for (std::size_t i = 0; log != nullptr && i < log->size(); ++i) {
    const LogLine &l = (*log)[i];
    if (l.time > f.now) continue;
    // A search with nothing a line can show (only combining marks) highlights nothing, so
    // the filter keeps nothing.
    if (filtering && (search.empty() || !search.matches(l.text))) continue;
    shown.push_back(&l);
    numbers.push_back(log->pushed() - log->size() + i);
  }
  std::reverse(numbers.begin(), numbers.end());
  drawn.log_lines = shown.size();
  const int lines = r.rows - 2;
  int top = r.row + 1; // the first row for log lines
  const auto problems = stream_problems(f.store, node, r.cols - 2);
  // Keep a row for the log.
  const int problem_rows = std::clamp(static_cast<int>(problems.size()), 0, std::max(0, lines - 1));
  const int rows = lines - problem_rows;
  drawn.log.rows = static_cast<std::size_t>(std::max(0, rows));
  const std::size_t scroll = scroll_offset(numbers, f.ui.log_anchor, drawn.log.rows);
  std::string title = fmt::format(" Log {} line{}", shown.size(), shown.size() == 1 ? "" : "s");
  if (!f.ui.search.empty())
    title += fmt::format("  {} '{}'", filtering ? "filter" : "search", f.ui.search);
  if (f.ui.log_anchor) title += fmt::format("  scrolled up {} (End to follow)", scroll);
  c.box(r, f.ui.pane == 1 ? Role::header : Role::border, title + " ");
  if (lines <= 0) return;
  for (int i = 0; i < problem_rows; ++i)
    c.put(top++, r.col + 1, problems[static_cast<std::size_t>(i)], Role::log_warn, r.cols - 2);
  if (shown.empty())
    c.put(top, r.col + 2,
          log != nullptr                 ? "no match"
          : follows_a_log(f.store, node) ? "no log lines from this node yet"
                                         // "yet" promised lines that no stream would bring
                                         : "no log followed on this node: --log PATH, or logs = "
                                           "[...] in its [[node]]",
          Role::dim, r.cols - 4);
  const std::size_t end = shown.size() - scroll;
  const std::size_t begin = end > static_cast<std::size_t>(rows) ? end - rows : 0;
  for (std::size_t i = begin; i < end; ++i) {
    const LogLine &l = *shown[i];
    const int row = top + static_cast<int>(i - begin);
    int col = r.col + 1;
    const int right = r.col + r.cols - 1;
    col += c.put(row, col, iso8601_utc(l.time).substr(11, 8) + " ", Role::dim, right - col);
    if (auto it = tagged.find(l.text); it != tagged.end()) {
      std::string tags;
      for (const auto &t : it->second->tags) tags += "[" + t + "]";
      col += c.put(row, col, tags + " ", Role::log_tag, right - col);
    }
    c.put(row, col, l.text, level_role(l.text), right - col);
    if (!search.empty()) highlight(c, row, col, search, l.text, right - col);
  }
}

} // namespace

void render_node_view(Canvas &c, const Frame &f, Drawn &drawn) {
  const auto layout = layout_node_view(c.rows(), c.cols());
  const std::string &node = f.ui.selected;
  const Duration window = kWindows[f.ui.window % kWindows.size()];
  const std::string wl = window_label(f.ui.window);
  const auto n = summarize(f.store, node, f.firing, f.now, window);
  // The node and its state, then each figure whole or not at all, from the right: cut in the
  // middle, `ctx 21.8K` read as `ctx 2`.
  // Paused, the view is frozen, which the status line said only until its message aged.
  std::string title =
      fmt::format("< {}{}  {}{}", node, f.ui.paused ? "  PAUSED" : "", state_words(n),
                  n.clock_skew ? "   " + describe_clock_skew(*n.clock_skew) : "");
  std::size_t used = sanitize_utf8(title).size();
  std::vector<std::string> parts{fmt::format("window {} (w)", wl), "GPU " + format_watts(n.power_w),
                                 "step " + format_ms(n.step_ms),
                                 "gen " + format_rate(n.tokens_per_s)};
  // A server's KV cache and requests where it reports them (vLLM, SGLang), else nothing.
  if (!std::isnan(n.kv_cache_pct)) parts.push_back("kv " + format_pct(n.kv_cache_pct));
  if (const std::string reqs = request_words(n); !reqs.empty()) parts.push_back(reqs);
  parts.push_back("ctx " + format_count(n.ctx_tokens));
  for (const std::string &part : parts) {
    used += 3 + sanitize_utf8(part).size();
    if (used > static_cast<std::size_t>(std::max(0, c.cols()))) break;
    title += "   " + part;
  }
  c.put(0, 0, title, Role::title);
  const int spc = samples_per_cell(c.ascii());
  auto samples = [&](const Rect &r) { return std::max(1, r.cols - 2) * spc; };
  auto power =
      bucketize_devices(f.store, node, "gpu.power_w", f.now, window, samples(layout.power));
  draw_graph(c, layout.power, {"GPU power", Role::power, format_watts}, power, nice_max(power), wl,
             n.power_w);
  auto mem = memory_used_buckets(f.store, node, f.now, window, samples(layout.memory));
  const double mem_hi = std::isnan(n.mem_total) ? nice_max(mem) : n.mem_total;
  draw_graph(c, layout.memory, {"memory used", Role::memory, format_bytes}, mem, mem_hi, wl,
             n.mem_used);
  auto step =
      bucketize(f.store.series({node, "step.eval_ms", ""}), f.now, window, samples(layout.step));
  draw_graph(c, layout.step, {"step time", Role::step, format_ms}, step, nice_max(step), wl,
             n.step_ms);
  auto fence = bucketize(f.store.series({node, "step.fence_wait_ms", ""}), f.now, window,
                         samples(layout.fence));
  draw_graph(c, layout.fence, {"fence_wait", Role::fence, format_ms}, fence, nice_max(fence), wl,
             n.fence_ms);
  draw_log(c, f, layout.log, node, drawn);
  render_status(c, layout.status, f);
}

} // namespace clustertop::tui
