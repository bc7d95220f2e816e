// Parser throughput. BM_ExoStepLines: exo step lines/s on one core through the `kv` parser
// (the figure the issue asks for: >= 5 M lines/s). BM_LogPipeline: the same lines through
// every log definition, as Ingest runs them on a log stream. BM_ParseCommand: the whole
// `clustertop parse` path (split, parse, JSON out) on an in-memory exo-style log.
// `parse_bench --parse-file FILE` runs `clustertop parse --collector exo_step FILE` to /dev/null
// (bench/pipeline_vs_grep.sh uses it when the clustertop binary is not wired yet).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/commands.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/parser.hpp"

namespace {

using namespace clustertop;

std::shared_ptr<const CollectorSet> builtin() {
  std::vector<std::string> warnings;
  auto s = CollectorSet::load({}, warnings);
  if (!s) std::abort();
  return *s;
}

std::vector<std::string> step_lines(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back("[STEP " + std::to_string(1000 + i) + "] eval=" + std::to_string(29 + i % 7) +
                "ms model=7ms gpu_eval=0." + std::to_string(i % 10) +
                "ms fence_wait=0.8ms ctx=" + std::to_string(100 + i % 9) + "K");
  return v;
}

void BM_ExoStepLines(benchmark::State &state) {
  const auto set = builtin();
  auto parser = make_parser(*set->find("exo_step"));
  const auto lines = step_lines(1024);
  RecordBuffer buf;
  std::size_t i = 0;
  for (auto _ : state) {
    buf.clear();
    parser->feed(lines[i++ & 1023], TimePoint{}, buf);
    benchmark::DoNotOptimize(buf.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ExoStepLines);

// Every log definition as one group, the way Ingest parses a `log:` stream, fed `lines` in
// turn.
void feed_all_log_parsers(benchmark::State &state, const std::vector<std::string> &lines) {
  const auto set = builtin();
  ParserGroup ps = make_parser_group(*set, "log");
  RecordBuffer buf;
  std::size_t i = 0;
  for (auto _ : state) {
    buf.clear();
    ps.feed(lines[i++ % lines.size()], TimePoint{}, buf);
    benchmark::DoNotOptimize(buf.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_LogPipeline(benchmark::State &state) { feed_all_log_parsers(state, step_lines(1024)); }
BENCHMARK(BM_LogPipeline);

// An exo file-format line from the runner module, as bench/pipeline_vs_grep.sh writes one in
// four lines: every log definition sees it, and exo's module path has "runner" in it.
void BM_LogPipelineExoFileLine(benchmark::State &state) {
  feed_all_log_parsers(state, {"[ 2026-02-23 10:19:50.612 | INFO     | "
                               "exo.worker.runner:step:88 ] heartbeat ok peers=3"});
}
BENCHMARK(BM_LogPipelineExoFileLine);

void BM_ParseCommand(benchmark::State &state) {
  std::string text;
  for (const auto &l : step_lines(4096)) text += l + "\n";
  Options o;
  o.parse_collector = "exo_step";
  std::FILE *null = std::fopen("/dev/null", "w");
  for (auto _ : state) {
    std::FILE *in = fmemopen(text.data(), text.size(), "r");
    std::FILE *err = std::fopen("/dev/null", "w");
    run_parse_command(o, in, null, err);
    std::fclose(in);
    std::fclose(err);
  }
  std::fclose(null);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 4096);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseCommand);

} // namespace

int main(int argc, char **argv) {
  if (argc == 3 && std::strcmp(argv[1], "--parse-file") == 0) {
    Options o;
    o.parse_collector = "exo_step";
    o.input = argv[2];
    std::FILE *null = std::freopen("/dev/null", "w", stdout);
    (void)null;
    return run_parse_command(o);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
