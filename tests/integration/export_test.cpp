// Exports checked by independent consumers: Python's csv module reads the snapshots back,
// promtool checks the exposition, and a real Prometheus server (started here on loopback)
// scrapes PrometheusSink and answers a query with clustertop's value.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "clustertop/core/shell_quote.hpp"
#include "clustertop/sink/csv.hpp"
#include "clustertop/sink/prometheus_sink.hpp"
#include "clustertop/store/store.hpp"
#include "http_client.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "clustertop-export-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

struct RunResult {
  int code = -1;
  std::string output; // stdout and stderr
};

RunResult run_shell(const std::string &command) {
  RunResult r;
  FILE *p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::vector<std::string> kHostileNodes = {"=cmd|' /C calc'!A0",
                                                "mac,1 \"quoted\"\nnewline",
                                                "bad\xff utf8",
                                                "@node",
                                                "-2+3",
                                                "evil\"} 1\nclustertop_node_up{node=\"x"};

Store hostile_store(TimePoint now) {
  Store store;
  for (const auto &n : kHostileNodes) {
    store.apply(NodeStatus{n, "", NodeState::up, "", now});
    store.add(Sample{n, "gpu.power_w", "0", 123.5, now});
    store.add(Sample{n, "mem.available_bytes", "", 17179869184.0, now});
    store.add(Sample{n, "step.fence_wait_ms", "", 0.4, now});
  }
  store.apply(NodeStatus{kHostileNodes[0], "", NodeState::down,
                         "=exited 1; ssh password=hunter2 rejected", now});
  return store;
}

const std::vector<Finding> kFiring = {Finding{"crash", kHostileNodes[1], "log:/tmp/exo \"x\".log",
                                              Severity::critical, 1, 1,
                                              "Metal error: \"=1+2\", token=abc, line\r\nnext"}};

TEST(ExportCsvReadBack, PythonCsvModuleReadsHostileWideAndLongSnapshots) {
  TempDir dir;
  const auto now = from_epoch_seconds(1'790'000'000);
  const Store store = hostile_store(now);
  const auto wide = (dir.path / "wide.csv").string();
  const auto long_path = (dir.path / "long.csv").string();
  ASSERT_TRUE(write_snapshot(store, kFiring, now, wide, CsvFormat::wide).ok());
  ASSERT_TRUE(write_snapshot(store, kFiring, now, long_path, CsvFormat::long_rows).ok());
  // Strict UTF-8 decoding: a single invalid byte in the file fails the read.
  const std::string script =
      "import csv, json, sys\n"
      "out = []\n"
      "for p in sys.argv[1:]:\n"
      "    with open(p, newline='', encoding='utf-8', errors='strict') as f:\n"
      "        out.append(list(csv.DictReader(f, strict=True)))\n"
      "print(json.dumps(out))\n";
  const auto r = run_shell("python3 -c " + shell_quote(script) + " " + shell_quote(wide) + " " +
                           shell_quote(long_path));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto json = nlohmann::json::parse(r.output);
  const auto &rows = json[0];
  ASSERT_EQ(rows.size(), kHostileNodes.size());
  const std::vector<std::string> expected = {"'=cmd|' /C calc'!A0",
                                             "mac,1 \"quoted\"\nnewline",
                                             "bad\xEF\xBF\xBD utf8",
                                             "'@node",
                                             "'-2+3",
                                             "evil\"} 1\nclustertop_node_up{node=\"x"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["node"], expected[i]);
    EXPECT_EQ(rows[i]["gpu_power_w"], "123.5");
    EXPECT_EQ(rows[i]["mem_available_bytes"], "17179869184");
    EXPECT_EQ(rows[i]["step_eval_ms"], "") << "unknown is an empty cell";
    EXPECT_EQ(rows[i]["time"], "2026-09-21T14:13:20.000Z");
  }
  EXPECT_EQ(rows[0]["status"], "down");
  EXPECT_EQ(rows[0]["status_detail"], "'=exited 1; ssh password=[redacted] rejected");
  // The alert's subject, the stream's hostile path, quoted and read back whole.
  EXPECT_EQ(rows[1]["alerts"], "crash[log:/tmp/exo \"x\".log](critical)");
  EXPECT_EQ(rows[1]["alert_messages"], "Metal error: \"=1+2\", token=[redacted], line\r\nnext");
  const auto &long_rows = json[1];
  ASSERT_EQ(long_rows.size(), kHostileNodes.size() * 3);
  for (const auto &row : long_rows)
    EXPECT_TRUE(std::find(expected.begin(), expected.end(), row["node"]) != expected.end())
        << row.dump();
  EXPECT_EQ(r.output.find("hunter2"), std::string::npos);
}

TEST(ExportPromtool, PromtoolAcceptsTheExpositionOfHostileInput) {
  TempDir dir;
  const auto now = from_epoch_seconds(1'790'000'000);
  const auto text = render_prometheus(hostile_store(now), kFiring, now);
  const auto file = dir.path / "metrics.txt";
  std::ofstream(file) << text;
  const auto r = run_shell("promtool check metrics < " + shell_quote(file.string()));
  EXPECT_EQ(r.code, 0) << r.output << "\n---\n" << text;
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// Prometheus, as a child process this test owns and stops.
class PrometheusServer {
public:
  PrometheusServer(const fs::path &dir, int target_port) : port_(free_loopback_port()) {
    const auto config = dir / "prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                             "scrape_configs:\n  - job_name: clustertop\n    static_configs:\n"
                             "      - targets: ['127.0.0.1:"
                          << target_port << "']\n";
    const std::string args[] = {"prometheus", "--config.file=" + config.string(),
                                "--storage.tsdb.path=" + (dir / "data").string(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                "--log.level=warn"};
    const std::string log = (dir / "prometheus.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(log.c_str(), "w", stderr);
      std::vector<char *> argv;
      for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~PrometheusServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  PrometheusServer(const PrometheusServer &) = delete;
  PrometheusServer &operator=(const PrometheusServer &) = delete;

  // The first sample of an instant query, or null while Prometheus has none.
  nlohmann::json query(const std::string &promql) const {
    auto res = testing::http_exchange(port_,
                                      "GET /api/v1/query?query=" + testing::url_encode(promql) +
                                          " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                                      std::chrono::milliseconds(2000));
    if (!res || res->status != 200) return nullptr;
    const auto json = nlohmann::json::parse(res->body, nullptr, false);
    if (json.is_discarded() || json["data"]["result"].empty()) return nullptr;
    return json["data"]["result"][0];
  }

private:
  int port_;
  pid_t pid_ = -1;
};

TEST(ExportPrometheusServer, ARealPrometheusScrapesTheSinkAndAnswersAQuery) {
  TempDir dir;
  auto sink = PrometheusSink::start("127.0.0.1:0");
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  const int port = (*sink)->port();
  auto before = testing::http_get(port, "/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 503) << "no data before the first tick";

  const auto now = wall_now();
  const Store store = hostile_store(now);
  (*sink)->on_tick(TickContext{store, kFiring, now});
  auto served = testing::http_get(port, "/metrics");
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);
  EXPECT_NE(served->headers["content-type"].find("version=0.0.4"), std::string::npos);

  PrometheusServer prometheus(dir.path, (*sink)->port());
  const std::string want = "clustertop_gpu_power_watts{node=\"@node\",gpu=\"0\"}";
  nlohmann::json sample;
  for (int i = 0; i < 600 && sample.is_null(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sample = prometheus.query(want);
  }
  ASSERT_FALSE(sample.is_null()) << "no scrape within 60 s; see " << dir.path / "prometheus.log";
  EXPECT_EQ(sample["value"][1], "123.5");
  EXPECT_EQ(sample["metric"]["job"], "clustertop");
  const auto up = prometheus.query("up{job=\"clustertop\"}");
  ASSERT_FALSE(up.is_null());
  EXPECT_EQ(up["value"][1], "1") << "the whole exposition parsed";
  const auto alert = prometheus.query("clustertop_alert{rule=\"crash\"}");
  ASSERT_FALSE(alert.is_null());
  EXPECT_EQ(alert["metric"]["node"], kHostileNodes[1]);
  EXPECT_EQ(alert["metric"]["severity"], "critical");

  (*sink)->stop();
  EXPECT_FALSE(testing::http_get(port, "/metrics")) << "the port is closed after stop()";
}

TEST(ExportPrometheusServer, ABusyPortIsAClearError) {
  auto first = PrometheusSink::start("127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  auto second = PrometheusSink::start("127.0.0.1:" + std::to_string((*first)->port()));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("cannot listen"), std::string::npos);
  EXPECT_NE(second.error().message().find("Address already in use"), std::string::npos)
      << "the system's reason: " << second.error().message();
}

} // namespace
} // namespace clustertop
