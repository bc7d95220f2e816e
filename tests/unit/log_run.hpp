// Real log lines through the built-in collectors, the detectors and the AlertBook, as a
// live run hands them over: for tests of what an engine's lines mean to the alerts (a
// collector rule and the detector that reads its metric, together).
#pragma once

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/pipeline.hpp"
#include "detect_test_util.hpp"

namespace clustertop::test {

class LogRun : public Sink {
public:
  explicit LogRun(Rules rules = Rules{}) : rules_(std::move(rules)) {
    std::vector<std::string> warnings;
    auto set = CollectorSet::load({}, warnings);
    EXPECT_TRUE(set.ok()) << set.error().message();
    ingest_ = std::make_unique<Ingest>(*set);
    pipeline_ = std::make_unique<Pipeline>(store_, ingest_handler(*ingest_), rules_);
    pipeline_->add_sink(*this);
  }

  // The node and its stream up at `t` (a node the store does not know has no alerts), its
  // clock `utc_offset` ahead of UTC.
  void up(const std::string &node, const std::string &stream, double t,
          std::chrono::minutes utc_offset = std::chrono::minutes{0}) {
    pipeline_->process({NodeStatus{node, "", NodeState::up, "", at(t), utc_offset},
                        NodeStatus{node, stream, NodeState::up, "", at(t)}},
                       at(t));
  }
  void line(const std::string &node, const std::string &stream, double t, const std::string &text) {
    pipeline_->process({LineBatch{node, stream, at(t), {text}}}, at(t));
  }
  // Ticks every second over [from, to].
  void ticks(double from, double to) {
    for (double t = from; t <= to; t += 1) pipeline_->tick(at(t));
  }

  // A rule's transitions to `state`, in order.
  [[nodiscard]] std::vector<AlertTransition> transitions(const std::string &rule,
                                                         AlertState state) const {
    std::vector<AlertTransition> out;
    for (const auto &t : seen_)
      if (t.finding.rule == rule && t.state == state) out.push_back(t);
    return out;
  }
  [[nodiscard]] std::vector<AlertTransition> fired(const std::string &rule) const {
    return transitions(rule, AlertState::firing);
  }
  [[nodiscard]] std::vector<AlertTransition> resolved(const std::string &rule) const {
    return transitions(rule, AlertState::resolved);
  }

  void on_transition(const AlertTransition &t, const TickContext &) override { seen_.push_back(t); }
  Store &store() { return store_; }

private:
  Rules rules_;
  Store store_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<AlertTransition> seen_;
};

} // namespace clustertop::test
