// A real ZooKeeper server for the conformance tests (Debian's `zookeeper` package, standalone, on
// 127.0.0.1, a free port, a fresh data directory, a short tickTime), and a trace run against it through
// ZooKeeper's C client.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "zk_conformance/trace.h"

namespace kafkasim::zkconf {

class ZooKeeperServerProcess {
 public:
  // Starts the server and waits (at most `start_limit_s`) until it answers `ruok` with `imok` and `srvr`
  // says it serves (standalone). Throws
  // std::runtime_error saying what is missing or what the server printed.
  static std::unique_ptr<ZooKeeperServerProcess> start(int tick_ms = 200, double start_limit_s = 60);
  ~ZooKeeperServerProcess();  // stops it (by its own pid) and removes its data directory
  ZooKeeperServerProcess(const ZooKeeperServerProcess&) = delete;
  ZooKeeperServerProcess& operator=(const ZooKeeperServerProcess&) = delete;

  std::string connect_string() const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  double start_seconds() const { return start_seconds_; }
  void stop();

 private:
  ZooKeeperServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  double start_seconds_ = 0;
};

// Sends a four-letter word ("ruok", "srvr") and returns the answer ("" if nothing answered in 2 s).
std::string four_letter_word(int port, const std::string& word);

// Runs `trace` on the real server under its own prefix "/conformance-<trace_id>" and returns the log.
// Every wait is bounded (10 s per step); a step that overran says so in the log.
std::string run_on_real(const Trace& trace, const std::string& connect_string, int trace_id);

}  // namespace kafkasim::zkconf
