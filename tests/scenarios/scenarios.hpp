// The golden scenarios: each writes a recording (or plain exo logs) into a directory.
// Expected transitions live beside this file in <name>.expected.
#pragma once

#include <filesystem>
#include <fstream>

#include "generate.hpp"

namespace clustertop::scenario {

inline const std::string kLog = "log:/tmp/exo.log";
// Where exo's runner supervisor logs a dead runner (src/exo/worker/runner/runner_supervisor.py).
inline constexpr const char *kRunnerExited =
    "exo.worker.runner.runner_supervisor:_check_runner:260";
inline constexpr const char *kRunnerSignal =
    "exo.worker.runner.runner_supervisor:_check_runner:273";

inline NodeModel mac1() { return {"mac1", 128e9, 31, 0.92}; }
inline NodeModel mac2() { return {"mac2", 128e9, 56, 1.0}; }
inline NodeModel mbp() { return {"mbp", 36e9, 0, 0.0}; } // idle between PP stages (0 W)

inline void up(Writer &w, const std::string &node, double s) {
  w.status(node, "", NodeState::up, "", s);
}

// Three requests on three nodes; each ends with its summary line. No alert at all.
inline void healthy(Writer &w) {
  for (const auto &n : {mac1(), mac2(), mbp()}) {
    up(w, n.name, 0);
    long index = 0;
    for (int r = 0; r < 3; ++r) {
      const double t0 = 1 + r * 95.0, t1 = t0 + 80;
      Decode d;
      d.t0 = t0, d.t1 = t1, d.step_ms = 33 + r * 2, d.model_ms = 30 + r * 2;
      d.ctx0 = 16384 + r * 20000;
      const long start = index;
      index = decode(w, n.name, kLog, d, index);
      finish_request(w, n.name, kLog, t1 + 0.01, index - start, 1000.0 / d.step_ms);
    }
    samplers(
        w, n, 0, 300, [](double t) { return std::fmod(t - 1, 95.0) < 80; },
        [&](double t) { return (n.name == "mbp" ? 8.4e9 : 5.8e9) + std::sin(t) * 30e6; });
  }
}

// mac2 spins in fence_wait (GPU busy at 56 W) from t=100.2; mac1 and mbp stop one step
// later with idle GPUs, waiting on it. The logs end in silence; samplers go on to t=200.
inline void deadlock(Writer &w) {
  for (const auto &n : {mac1(), mac2(), mbp()}) {
    up(w, n.name, 0);
    Decode d;
    d.t0 = 1, d.t1 = n.name == "mac2" ? 100.2 : 100.233;
    if (n.name == "mac2")
      d.fence = [](long i) { return i == 3000 ? 15.0 : 0.3 + 0.7 * ((i * 37) % 10) / 10.0; };
    decode(w, n.name, kLog, d);
    samplers(
        w, n, 0, 200, [&](double t) { return t < 100.2 || n.name == "mac2"; },
        [](double) { return 5.8e9; });
  }
}

// The seeds' MacBook: ~8.4 GB available, 400 KB more per token; context from 4K at 30 tok/s
// reaches ~21K (out of memory) at t~567, where the runner is killed and the log ends.
inline void oom_ramp(Writer &w) {
  auto n = mbp();
  n.gpu_busy_w = 18, n.residency = 0.8;
  up(w, n.name, 0);
  const double rate = 30.0, end = 565;
  Decode d;
  d.t0 = 1, d.t1 = end, d.ctx0 = 4000;
  decode(w, n.name, kLog, d);
  auto avail = [&](double t) {
    return 8.4e9 - 400e3 * (4000 + rate * std::max(0.0, t - 1)) + std::sin(t) * 20e6;
  };
  samplers(
      w, n, 0, end, [](double) { return true; }, avail);
  w.lines(n.name, kLog, end + 0.05,
          {exo_prefix(end + 0.05, "INFO", kRunnerExited) + "Runner exited with exit code -9",
           exo_prefix(end + 0.05, "ERROR", kRunnerSignal) +
               "Runner terminated with signal=9 (Killed: 9)"});
  w.status(n.name, kLog, NodeState::down, "tail exited", end + 1);
}

// mbp drops off the network at t=90: its streams stop and the transport reports it down;
// the pipeline stalls on the two Mac Studios.
inline void node_drop(Writer &w) {
  for (const auto &n : {mac1(), mac2(), mbp()}) {
    up(w, n.name, 0);
    Decode d;
    d.t0 = 1, d.t1 = 90;
    decode(w, n.name, kLog, d);
    samplers(
        w, n, 0, n.name == "mbp" ? 90 : 180, [](double t) { return t < 90; },
        [](double) { return 5.8e9; });
  }
  w.status("mbp", "", NodeState::down, "connection timed out (127.0.0.1:2222)", 90.5);
}

// mac2 generates alone; its sshd goes at t=60 (down at 60.5) while its runner steps on until
// 68, when exo logs it dead; back up at 90, the log's lines from the outage are read back:
// the bare step lines (`[STEP N] …` with no stamp, as exo's forks print them), then the
// stamped crash line. The GPU stays busy (a leftover residency
// as macmon reports it). The crash alert speaks; no step_stall, no gpu_spin: the steps came
// before the crash line, whenever they arrived.
inline void outage_crash(Writer &w) {
  const auto n = mac2();
  up(w, n.name, 0);
  Decode d;
  d.t0 = 1, d.t1 = 60;
  const long i = decode(w, n.name, kLog, d);
  w.status(n.name, "", NodeState::down, "cannot connect: Connection refused", 60.5);
  std::vector<std::string> back;
  long k = i;
  for (double t = 60; t < 68; t += 0.033, ++k)
    back.push_back(step_line(t, k, 33, 30, 0.5, 0.4, 16384 + k).substr(exo_prefix(t).size()));
  back.push_back(exo_prefix(68.1, "INFO", kRunnerExited) + "Runner exited with exit code -9");
  up(w, n.name, 90);
  w.read_back(n.name, kLog, 90.2, std::move(back));
  samplers(
      w, n, 0, 60, [](double) { return true; }, [](double) { return 5.8e9; });
  samplers(
      w, n, 90, 200, [](double) { return true; }, [](double) { return 5.8e9; });
}

// mac2 drops off at t=60 (down at 60.5) while generating; its runner steps on to t=68 and
// then hangs, its GPU still busy; back at 90, the bare steps are read back at 90.2. The hang
// is real: its step_stall says that the last step was written between the outage's start
// (the lower bound it is dated by) and the reconnect, not at the outage's start as fact.
inline void outage_hang(Writer &w) {
  const auto n = mac2();
  up(w, n.name, 0);
  Decode d;
  d.t0 = 1, d.t1 = 60;
  long k = decode(w, n.name, kLog, d);
  w.status(n.name, "", NodeState::down, "cannot connect: Connection refused", 60.5);
  std::vector<std::string> back;
  for (double t = 60; t < 68; t += 0.033, ++k)
    back.push_back(step_line(t, k, 33, 30, 0.5, 0.4, 16384 + k).substr(exo_prefix(t).size()));
  up(w, n.name, 90);
  w.read_back(n.name, kLog, 90.2, std::move(back));
  samplers(
      w, n, 0, 60, [](double) { return true; }, [](double) { return 5.8e9; });
  samplers(
      w, n, 90, 200, [](double) { return true; }, [](double) { return 5.8e9; });
}

// Both Mac Studios drop off at t=60 (down at 60.5) and come back at 90; their runners step on
// through the outage: mac1 generating since t=1, mac2 idle until a request at t=70. The
// read-back bare steps, then live ones to t=150, and each request's end. Only node_down.
inline void outage_steps_on(Writer &w) {
  for (const auto &n : {mac1(), mac2()}) {
    const bool idle_before = n.name == "mac2";
    up(w, n.name, 0);
    long i = 0;
    if (!idle_before) {
      Decode d;
      d.t0 = 1, d.t1 = 60;
      i = decode(w, n.name, kLog, d);
    }
    w.status(n.name, "", NodeState::down, "cannot connect: Connection refused", 60.5);
    std::vector<std::string> back;
    const double first = idle_before ? 70 : 60;
    const long start = i;
    for (double t = first; t < 90.2; t += 0.033, ++i)
      back.push_back(step_line(t, i, 33, 30, 0.5, 0.4, 16384 + i).substr(exo_prefix(t).size()));
    up(w, n.name, 90);
    w.read_back(n.name, kLog, 90.2, std::move(back));
    std::vector<std::string> live;
    for (double t = 90.2; t < 150; t += 0.033, ++i) {
      live.push_back(step_line(t, i, 33, 30, 0.5, 0.4, 16384 + i).substr(exo_prefix(t).size()));
      if (live.size() == 3) w.lines(n.name, kLog, t + 0.01, std::exchange(live, {}));
    }
    finish_request(w, n.name, kLog, 150.01, i - start, 30.3);
    const auto busy = [idle_before](double t) { return !idle_before || t >= 70; };
    samplers(w, n, 0, 60, busy, [](double) { return 5.8e9; });
    samplers(
        w, n, 90, 200, [](double t) { return t < 150; }, [](double) { return 5.8e9; });
  }
}

// mac1 decodes at 33 ms/step, then 250 ms/step for 60 s (thermal or paging), then recovers.
inline void throughput_collapse(Writer &w) {
  auto n = mac1();
  up(w, n.name, 0);
  Decode fast;
  fast.t0 = 1, fast.t1 = 200;
  long i = decode(w, n.name, kLog, fast);
  Decode slow = fast;
  slow.t0 = 200, slow.t1 = 260, slow.step_ms = 250, slow.model_ms = 240, slow.ctx0 += i;
  i = decode(w, n.name, kLog, slow, i);
  Decode again = fast;
  again.t0 = 260, again.t1 = 330, again.ctx0 += i;
  i = decode(w, n.name, kLog, again, i);
  finish_request(w, n.name, kLog, 330.01, i, 30);
  samplers(
      w, n, 0, 340, [](double t) { return t < 330; }, [](double) { return 5.8e9; });
}

// seeds/003: 36 ms steps of which model is 7 ms and gpu_eval 0.5 ms: 29 ms of overhead.
inline void overhead(Writer &w) {
  auto n = mac1();
  up(w, n.name, 0);
  Decode d;
  d.t0 = 1, d.t1 = 120, d.step_ms = 36, d.model_ms = 7, d.gpu_eval_ms = 0.5 * 33 / 36;
  const long i = decode(w, n.name, kLog, d);
  finish_request(w, n.name, kLog, 120.01, i, 27.8);
  samplers(
      w, n, 0, 130, [](double t) { return t < 120; }, [](double) { return 5.8e9; });
}

// Plain exo logs (no recording): mac1 dies of a Metal GPU timeout at t=60; all three logs
// stop there. Returns the --node NAME=LOGFILE arguments.
inline std::vector<std::string> crash_logs(const std::filesystem::path &dir) {
  std::vector<std::string> specs;
  for (const char *name : {"mac1", "mac2", "mbp"}) {
    const auto path = dir / (std::string(name) + "-exo.log");
    std::ofstream out(path);
    out << exo_prefix(0.5) << "Starting runner for mlx-community/MiniMax-M2.5-5bit\n";
    long i = 0;
    for (double t = 1; t < 60; t += 0.033, ++i)
      out << step_line(t, i, 33, 30, 0.5, 0.3 + 0.7 * ((i * 37) % 10) / 10.0, 16384 + i) << "\n";
    if (std::string(name) == "mac1")
      out << "libc++abi: terminating due to uncaught exception of type std::runtime_error: "
             "[METAL] Command buffer execution failed: Caused GPU Timeout Error "
             "(00000002:kIOGPUCommandBufferCallbackErrorTimeout)\n"
          << exo_prefix(60.1, "INFO", kRunnerExited) << "Runner exited with exit code -6\n"
          << exo_prefix(60.1, "ERROR", kRunnerSignal)
          << "Runner terminated with signal=6 (Abort trap: 6)\n";
    specs.push_back(std::string(name) + "=" + path.string());
  }
  return specs;
}

} // namespace clustertop::scenario
