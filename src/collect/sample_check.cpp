#include "clustertop/collect/sample_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/parser.hpp"

namespace clustertop {
namespace {

// Sample checks run with a fixed arrival time so date-less timestamps are reproducible.
// The last second of 2026: a time of day reads as that day's, a month and day as 2026's.
const TimePoint kReceived = from_epoch_seconds(1798761599.0); // 2026-12-31T23:59:59Z

bool close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= 1e-12 * std::fabs(b) + 1e-9;
}

void check_one(const CollectorDef &def, const SampleCheck &s, const std::string &where,
               std::vector<std::string> &errors) {
  auto parser = make_parser(def);
  RecordBuffer buf;
  Record all;
  for (const auto &line : s.lines) {
    buf.clear();
    parser->feed(line, kReceived, buf);
    for (std::size_t i = 0; i < buf.size(); ++i) {
      const Record &r = buf[i];
      for (const auto &m : r.metrics) all.metrics.push_back(m);
      for (const auto &t : r.tags) all.tags.push_back(t);
      if (all.level.empty()) all.level = r.level;
      if (!all.time) all.time = r.time;
      all.severity = std::max(all.severity, r.severity);
    }
    if (buf.size() > 0) all.metrics.push_back(Metric{"", "", 0}); // record separator
  }
  buf.clear();
  parser->finish(buf);
  for (std::size_t i = 0; i < buf.size(); ++i)
    for (const auto &m : buf[i].metrics) all.metrics.push_back(m);
  const bool any = std::any_of(all.metrics.begin(), all.metrics.end(),
                               [](const Metric &m) { return !m.name.empty(); }) ||
                   !all.tags.empty() || !all.level.empty();
  if (s.expect_nothing) {
    if (any) errors.push_back(where + ": expected no record, got one");
    return;
  }
  for (const auto &want : s.expect_metrics) {
    // The last value of a metric wins, as in the store.
    const Metric *got = nullptr;
    for (const auto &m : all.metrics)
      if (m.name == want.name && m.device == want.device) got = &m;
    const std::string id = want.device.empty() ? want.name : want.name + "@" + want.device;
    if (got == nullptr)
      errors.push_back(where + ": " + id + " missing");
    else if (!close(got->value, want.value))
      errors.push_back(fmt::format("{}: {} = {}, expected {}", where, id, got->value, want.value));
  }
  for (const auto &t : s.expect_tags)
    if (std::find(all.tags.begin(), all.tags.end(), t) == all.tags.end())
      errors.push_back(where + ": tag " + t + " missing");
  if (!s.expect_level.empty() && all.level != s.expect_level)
    errors.push_back(where + ": level '" + all.level + "', expected '" + s.expect_level + "'");
  if (s.expect_severity_set && all.severity != s.expect_severity)
    errors.push_back(where + ": severity " + to_string(all.severity) + ", expected " +
                     to_string(s.expect_severity));
  if (s.expect_time_set && (!all.time || !close(epoch_seconds(*all.time), s.expect_time)))
    errors.push_back(where + ": time " +
                     (all.time ? iso8601_utc(*all.time) : std::string("missing")) + ", expected " +
                     iso8601_utc(from_epoch_seconds(s.expect_time)));
  if (s.expect_metrics.empty() && s.expect_tags.empty() && s.expect_level.empty() && !any)
    errors.push_back(where + ": sample yields nothing and expects nothing");
}

} // namespace

std::vector<std::string> check_samples(const CollectorDef &def) {
  std::vector<std::string> errors;
  for (std::size_t i = 0; i < def.samples.size(); ++i)
    check_one(def, def.samples[i],
              def.samples[i].line > 0 ? fmt::format("{}:{}: {} sample {}", def.file,
                                                    def.samples[i].line, def.name, i + 1)
                                      : fmt::format("{} ({}) sample {}", def.name, def.file, i + 1),
              errors);
  return errors;
}

Status samples_pass(const CollectorSet &set) {
  for (const auto *def : set.all()) {
    const auto errors = check_samples(*def);
    if (errors.empty()) continue;
    return Error{fmt::format("collector definition '{}' fails its samples", def->name),
                 errors.size() == 1
                     ? errors.front()
                     : fmt::format("{} (and {} more)", errors.front(), errors.size() - 1),
                 {}, // the message starts with the sample's file:line
                 "fix the definition or what its samples expect; `clustertop collectors "
                 "--collectors-dir DIR` lists every failure, `clustertop parse --collector " +
                     def->name + " FILE` shows what it reads"};
  }
  return ok_status();
}

} // namespace clustertop
